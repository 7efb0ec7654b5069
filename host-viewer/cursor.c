// SPDX-License-Identifier: MIT
/*
 * The guest's cursor on the host's cursor plane (spec §16). The guest
 * names one of its buffers as its cursor image; the viewer attaches it to
 * a surface of its own and makes that surface the host pointer's cursor
 * over the window (wl_pointer.set_cursor, again at every enter). The host
 * compositor then draws the guest's cursor at the host pointer's position:
 * moving the pointer needs no guest frame. An image goes back to the guest
 * as a frame, with frame = serial, once the host compositor let go of its
 * wl_buffer after another image, or none, replaced it (view_buffer.c).
 */
#include <stdio.h>
#include <string.h>

#include "viewer.h"

static struct wl_surface *cursor_surface(struct viewer *viewer)
{
	struct viewer_cursor *cur = &viewer->cursor;

	if (!cur->surface) {
		cur->surface = wl_compositor_create_surface(viewer->compositor);
		if (viewer->viewporter)
			cur->viewport = wp_viewporter_get_viewport(viewer->viewporter,
								   cur->surface);
	}
	return cur->surface;
}

/*
 * The guest draws its cursor at its output's scale, the one the viewer
 * asked for: shown at that scale, it keeps its size against the frame.
 */
static void cursor_scale(struct viewer *viewer, const struct view_buffer *buffer)
{
	struct viewer_cursor *cur = &viewer->cursor;
	struct viewer_window *window = viewer->input.pointer_window;
	uint32_t w = buffer->desc.width, h = buffer->desc.height;
	uint32_t s;
	int32_t k;

	/* The window under the pointer, else the first: the guest's output it is on. */
	if (!window && !wl_list_empty(&viewer->windows))
		window = wl_container_of(viewer->windows.next, window, link);
	s = window && window->hinted_scale_120 ? window->hinted_scale_120 : 120;
	k = s % 120 == 0 ? s / 120 : 1;
	if (cur->viewport) {
		if (s == 120)
			wp_viewport_set_destination(cur->viewport, -1, -1);
		else
			wp_viewport_set_destination(cur->viewport,
						    ((uint64_t)w * 120 + s / 2) / s ?: 1,
						    ((uint64_t)h * 120 + s / 2) / s ?: 1);
		cur->scale_120 = s;
		return;
	}
	if (w % k || h % k)
		k = 1;
	if (k != cur->buffer_scale) {
		wl_surface_set_buffer_scale(cur->surface, k);
		cur->buffer_scale = k;
	}
	cur->scale_120 = 120 * k;
}

/* Makes the cursor surface, or none, the host pointer's over the window. */
void cursor_update(struct viewer *viewer)
{
	struct viewer_cursor *cur = &viewer->cursor;
	struct viewer_input *in = &viewer->input;
	int64_t s = cur->scale_120 ? cur->scale_120 : 120;

	/* A guest that never named a cursor leaves the host's alone. */
	if (!cur->known || !in->pointer || !in->pointer_over)
		return;
	if (cur->shown)
		wl_pointer_set_cursor(in->pointer, in->enter_serial, cur->surface,
				      cur->hotspot_x * 120 / s, cur->hotspot_y * 120 / s);
	else
		wl_pointer_set_cursor(in->pointer, in->enter_serial, NULL, 0, 0);
}

/* Takes the image off the cursor surface: the host compositor lets it go. */
static void cursor_detach(struct viewer *viewer)
{
	struct viewer_cursor *cur = &viewer->cursor;

	if (!cur->shown)
		return;
	cur->shown = false;
	wl_surface_attach(cur->surface, NULL, 0, 0);
	wl_surface_commit(cur->surface);
}

void cursor_pointer(struct viewer *viewer, const struct vdmabuf_id *image, uint64_t serial,
		    uint32_t hotspot_x, uint32_t hotspot_y)
{
	struct viewer_cursor *cur = &viewer->cursor;
	struct view_buffer *buffer = NULL;
	char name[VDMABUF_ID_STRLEN];

	cur->known = true;
	if (image && cur->shown && vdmabuf_id_equal(&cur->image, image) &&
	    cur->serial == serial && view_buffer_find(viewer, image)) {
		/* The same image: a new hotspot, or only a new constraint. */
	} else if (image) {
		buffer = view_buffer_find(viewer, image);
		if (!buffer)
			buffer = view_buffer_create(viewer, image);
		if (buffer) {
			cursor_surface(viewer);
			cursor_scale(viewer, buffer);
		}
		if (!buffer || !view_buffer_show_cursor(buffer, cursor_surface(viewer), serial)) {
			/* Never shown: it goes back to the guest at once. */
			fprintf(stderr, "vdmabuf-viewer: cannot show the guest's cursor %s\n",
				vdmabuf_id_format(image, name));
			vdmabuf_consumer_release(viewer->consumer, image, serial, 0, 0, 0);
			cursor_detach(viewer);
		} else {
			cur->shown = true;
			cur->image = *image;
			cur->serial = serial;
			viewer->stats.cursor_images++;
		}
	} else {
		cursor_detach(viewer);
	}
	/* Within the image, as the spec wants; a bad one is the guest's. */
	cur->hotspot_x = hotspot_x > INT32_MAX ? 0 : (int32_t)hotspot_x;
	cur->hotspot_y = hotspot_y > INT32_MAX ? 0 : (int32_t)hotspot_y;
	cursor_update(viewer);
}

void cursor_buffer_gone(struct viewer *viewer, const struct vdmabuf_id *id)
{
	struct viewer_cursor *cur = &viewer->cursor;

	if (cur->shown && (!id || vdmabuf_id_equal(&cur->image, id))) {
		cursor_detach(viewer);
		cursor_update(viewer);
	}
}

void cursor_finish(struct viewer *viewer)
{
	struct viewer_cursor *cur = &viewer->cursor;

	if (cur->viewport)
		wp_viewport_destroy(cur->viewport);
	if (cur->surface)
		wl_surface_destroy(cur->surface);
	*cur = (struct viewer_cursor){ 0 };
}
