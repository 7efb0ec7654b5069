// SPDX-License-Identifier: MIT
/*
 * A vdmabuf output: each committed buffer is exported once, presented by
 * id with its damage, and locked until the host releases it.
 *
 * Pacing: the host holds the frame it shows until the next one replaces
 * it, so a release of the previous frame means the new one is up. A frame
 * event is sent once at most one frame is held by the host (the one on
 * screen) and no sooner than one refresh after the last: the host's
 * refresh from its releases, else the mode's. With no consumer the device
 * hands frames straight back and the mode's refresh alone clocks the
 * output (the fallback clock). A paused consumer holds two frames and the
 * output stops until it lets one go.
 *
 * Cursor: with VDMABUF_F_POINTER the output has a hardware cursor. The
 * host draws the image over its window at its own pointer, so a motion
 * costs the guest nothing (move_cursor sends nothing) and no frame. Each
 * cursor buffer wlroots renders (from its cursor swapchain, through the
 * output's allocator: page-backed or GBM dmabufs) is exported once, named
 * by POINTER with a fresh serial and locked until the host releases that
 * serial. A buffer that cannot be shared is refused, and wlroots draws a
 * software cursor instead; so it does on a device without the feature.
 *
 * Several outputs (VDMABUF_F_OUTPUTS): the output has an id, the host's
 * too; it announces itself (OUTPUT) on creation and at each change of
 * its mode or scale, and GONE when destroyed, and each of its frames
 * names it.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <drm_fourcc.h>
#include <wlr/interfaces/wlr_buffer.h>
#include <wlr/render/dmabuf.h>
#include <wlr/render/swapchain.h>
#include <wlr/util/log.h>

#include "backend.h"

#define DEFAULT_REFRESH_MHZ 60000
#define MAX_HELD_BY_HOST 1

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static struct vdmabuf_output *output_from_wlr(struct wlr_output *wlr_output)
{
	assert(wlr_output_is_vdmabuf(wlr_output));
	return wl_container_of(wlr_output, (struct vdmabuf_output *)NULL, base);
}

static uint64_t refresh_ns(const struct vdmabuf_output *output)
{
	int mhz = output->base.refresh > 0 ? output->base.refresh : DEFAULT_REFRESH_MHZ;

	if (output->host_refresh_ns)
		return output->host_refresh_ns;
	return 1000000000000ull / (uint64_t)mhz;
}

/* deferred: never from inside a commit, whose frame_pending comes after. */
static void update_frame(struct vdmabuf_output *output, bool deferred)
{
	uint64_t now, due;

	if (!output->frame_owed || output->stats.in_flight > MAX_HELD_BY_HOST)
		return;
	now = now_ns();
	due = output->last_frame_ns + refresh_ns(output);
	if (deferred || now + 500000 < due) {
		int ms = due > now ? (int)((due - now + 999999) / 1000000) : 0;

		wl_event_source_timer_update(output->frame_timer, ms > 0 ? ms : 1);
		return;
	}
	output->frame_owed = false;
	output->last_frame_ns = now;
	if (!output->backend->consumers)
		output->stats.fallback_frames++;
	wlr_output_send_frame(&output->base);
}

void vdmabuf_output_update_frame(struct vdmabuf_output *output)
{
	update_frame(output, false);
}

static int handle_frame_timer(void *data)
{
	struct vdmabuf_output *output = data;

	update_frame(output, false);
	return 0;
}

/* Exports */

static void export_destroy(struct vdmabuf_export *export, bool unexport)
{
	struct vdmabuf_output *output = export->output;
	struct wlr_buffer *held = export->held;
	bool in_flight = export->in_flight;
	char name[VDMABUF_ID_STRLEN];

	if (unexport) {
		int err = vdmabuf_producer_unexport(output->backend->producer, &export->id);

		if (err < 0 && err != -ENOENT)
			wlr_log(WLR_ERROR, "vdmabuf: unexport %s: %s",
				vdmabuf_id_format(&export->id, name), strerror(-err));
	}
	if (in_flight && !export->is_cursor)
		output->stats.in_flight--;
	if (output->cursor == export)
		output->cursor = NULL;
	wl_list_remove(&export->link);
	wlr_addon_finish(&export->addon);
	free(export);
	/* Last: the unlock may destroy the buffer. */
	if (in_flight)
		wlr_buffer_unlock(held);
}

static void export_handle_buffer_destroy(struct wlr_addon *addon)
{
	struct vdmabuf_export *export = wl_container_of(addon, export, addon);

	export_destroy(export, true);
}

static const struct wlr_addon_interface export_addon_impl = {
	.name = "vdmabuf_export",
	.destroy = export_handle_buffer_destroy,
};

/*
 * The buffer an export belongs to: wlroots wraps each commit of a client's
 * buffer in a new wlr_client_buffer, whose source is the client's own for
 * as long as the client keeps it; a client's buffer scanned out is
 * exported once, as a swapchain's is.
 */
static struct wlr_buffer *export_key(struct wlr_buffer *buffer)
{
	struct wlr_client_buffer *client_buffer = wlr_client_buffer_get(buffer);

	return client_buffer && client_buffer->source ? client_buffer->source : buffer;
}

static struct vdmabuf_export *export_find(struct vdmabuf_output *output,
					  struct wlr_buffer *buffer)
{
	struct wlr_addon *addon = wlr_addon_find(&export_key(buffer)->addons, output,
						 &export_addon_impl);

	return addon ? wl_container_of(addon, (struct vdmabuf_export *)NULL, addon) : NULL;
}

static struct vdmabuf_export *export_create(struct vdmabuf_output *output,
					    struct wlr_buffer *buffer)
{
	struct wlr_dmabuf_attributes attr;
	struct vdmabuf_buffer_desc desc = { 0 };
	struct vdmabuf_export *export;
	char name[VDMABUF_ID_STRLEN];
	int err;

	if (!wlr_buffer_get_dmabuf(buffer, &attr)) {
		wlr_log(WLR_ERROR, "vdmabuf: the output's buffer is not a dmabuf; "
			"use wlr_vdmabuf_allocator_create()");
		return NULL;
	}
	for (int i = 1; i < attr.n_planes; i++) {
		if (attr.fd[i] != attr.fd[0]) {
			wlr_log(WLR_ERROR, "vdmabuf: planes in separate dmabufs are not supported");
			return NULL;
		}
	}
	desc = (struct vdmabuf_buffer_desc){
		.width = attr.width,
		.height = attr.height,
		.fourcc = attr.format,
		.num_planes = attr.n_planes,
		.modifier = attr.modifier,
	};
	for (int i = 0; i < attr.n_planes; i++)
		desc.planes[i] = (struct vdmabuf_plane){ attr.offset[i], attr.stride[i] };

	export = calloc(1, sizeof(*export));
	if (!export)
		return NULL;
	err = vdmabuf_producer_export(output->backend->producer, attr.fd[0], &desc,
				      &export->id);
	if (err < 0) {
		wlr_log(WLR_ERROR, "vdmabuf: export of a %dx%d buffer: %s", attr.width,
			attr.height, strerror(-err));
		free(export);
		return NULL;
	}
	export->output = output;
	export->buffer = export_key(buffer);
	wlr_addon_init(&export->addon, &export->buffer->addons, output, &export_addon_impl);
	wl_list_insert(&output->backend->exports, &export->link);
	output->stats.exports++;
	wlr_log(WLR_INFO, "vdmabuf: exported %s (%dx%d, %s)",
		vdmabuf_id_format(&export->id, name), attr.width, attr.height,
		vdmabuf_buffer_origin(buffer));
	return export;
}

static int present(struct vdmabuf_output *output, struct vdmabuf_export *export,
		   const struct wlr_output_state *state, uint32_t seq)
{
	struct vdmabuf_rect rects[VDMABUF_MAX_DAMAGE_RECTS];
	unsigned int n = 0;

	if (state->committed & WLR_OUTPUT_STATE_DAMAGE) {
		int count;
		const pixman_box32_t *boxes =
			pixman_region32_rectangles((pixman_region32_t *)&state->damage, &count);

		/* More rectangles than the protocol carries: the whole frame. */
		if (count > 0 && count <= VDMABUF_MAX_DAMAGE_RECTS) {
			for (int i = 0; i < count; i++)
				rects[n++] = (struct vdmabuf_rect){
					boxes[i].x1, boxes[i].y1,
					boxes[i].x2 - boxes[i].x1, boxes[i].y2 - boxes[i].y1,
				};
		}
	}
	return vdmabuf_producer_present_output(output->backend->producer,
					       output->backend->multi ? output->id : 0,
					       &export->id, seq, n ? rects : NULL, n, -1);
}

/*
 * Pixels a composited frame drew: its damage, or all of it without. Our
 * buffers are 32 bits a pixel (allocator.c takes no other format).
 */
static uint64_t composited_bytes(const struct vdmabuf_output *output,
				 const struct wlr_output_state *state)
{
	uint64_t pixels = 0;

	if (state->committed & WLR_OUTPUT_STATE_DAMAGE) {
		int count;
		const pixman_box32_t *boxes =
			pixman_region32_rectangles((pixman_region32_t *)&state->damage, &count);

		for (int i = 0; i < count; i++)
			pixels += (uint64_t)(boxes[i].x2 - boxes[i].x1) *
				  (uint64_t)(boxes[i].y2 - boxes[i].y1);
	} else {
		pixels = (uint64_t)state->buffer->width * (uint64_t)state->buffer->height;
	}
	return 4 * pixels;
}

static bool commit_buffer(struct vdmabuf_output *output, const struct wlr_output_state *state)
{
	struct wlr_buffer *buffer = state->buffer;
	struct vdmabuf_export *export = export_find(output, buffer);
	uint32_t seq = output->base.commit_seq + 1;
	char name[VDMABUF_ID_STRLEN];
	bool direct;
	int err;

	if (!export && !(export = export_create(output, buffer)))
		return false;
	if (export->in_flight) {
		/* Cannot happen while the lock holds; never draw over the host. */
		wlr_log(WLR_ERROR, "vdmabuf: %s committed while the host holds it",
			vdmabuf_id_format(&export->id, name));
		return false;
	}
	err = present(output, export, state, seq);
	if (err == -ENOENT) {
		/* The device was reset under us and its RESET is still queued. */
		export_destroy(export, false);
		if (!(export = export_create(output, buffer)))
			return false;
		err = present(output, export, state, seq);
	}
	if (err < 0) {
		wlr_log(WLR_ERROR, "vdmabuf: present %s: %s",
			vdmabuf_id_format(&export->id, name), strerror(-err));
		return false;
	}
	export->in_flight = true;
	export->commit_seq = seq;
	export->held = wlr_buffer_lock(buffer);
	output->stats.frames++;
	/* Not from the output's swapchain: wlroots scans a client's buffer out. */
	direct = !output->base.swapchain ||
		 !wlr_swapchain_has_buffer(output->base.swapchain, buffer);
	if (direct) {
		output->stats.direct++;
	} else {
		output->stats.composited++;
		output->stats.composited_bytes += composited_bytes(output, state);
	}
	if (direct != output->scanning_out) {
		/* A window filled the output, or something else appeared. */
		output->scanning_out = direct;
		wlr_log(WLR_INFO, "vdmabuf: %s after %" PRIu64 " composited frames",
			direct ? "direct scan-out of a client's buffer" : "composition resumes",
			output->stats.composited);
	}
	output->stats.in_flight++;
	output->frame_owed = true;
	return true;
}

void vdmabuf_output_handle_release(struct vdmabuf_export *export, uint64_t present_ns,
				   uint32_t host_refresh_ns, uint32_t flags)
{
	struct vdmabuf_output *output = export->output;
	struct wlr_buffer *held = export->held;
	struct timespec when;
	struct wlr_output_event_present event = {
		.output = &output->base,
		.commit_seq = export->commit_seq,
		.presented = flags & VDMABUF_RELEASE_PRESENTED,
		.when = &when,
	};

	if (!export->in_flight)
		return;
	export->in_flight = false;
	output->stats.in_flight--;
	output->stats.releases++;
	if (flags & VDMABUF_RELEASE_DISCARDED) {
		char name[VDMABUF_ID_STRLEN];

		output->stats.discarded++;
		if (output->stats.discarded <= 10 || !(output->stats.discarded % 1000))
			wlr_log(WLR_ERROR, "vdmabuf: frame of %s discarded: its rendering did "
				"not finish in time (%" PRIu64 " so far)",
				vdmabuf_id_format(&export->id, name), output->stats.discarded);
	}
	if (flags & VDMABUF_RELEASE_PRESENTED) {
		output->stats.presented++;
		output->host_refresh_ns = host_refresh_ns;
		event.refresh = host_refresh_ns;
		if (flags & VDMABUF_RELEASE_VSYNC)
			event.flags |= WLR_OUTPUT_PRESENT_VSYNC;
		if (flags & VDMABUF_RELEASE_ZERO_COPY)
			event.flags |= WLR_OUTPUT_PRESENT_ZERO_COPY;
	}
	/* The driver put present_ns on our clock; 0 while it cannot. */
	if (present_ns && (flags & VDMABUF_RELEASE_PRESENTED)) {
		output->stats.host_times++;
		when.tv_sec = present_ns / 1000000000u;
		when.tv_nsec = present_ns % 1000000000u;
	} else {
		clock_gettime(CLOCK_MONOTONIC, &when);
	}
	wlr_output_send_present(&output->base, &event);
	wlr_buffer_unlock(held);
	vdmabuf_output_update_frame(output);
}

/* Cursor (spec §16) */

/* The image named last (or none) with its serial, and the constraint. */
static int send_pointer(struct vdmabuf_output *output)
{
	struct vdmabuf_export *cursor = output->cursor;

	return vdmabuf_producer_pointer(output->backend->producer,
					cursor ? &cursor->id : NULL,
					cursor ? cursor->serial : 0,
					(uint32_t)output->cursor_hotspot_x,
					(uint32_t)output->cursor_hotspot_y, output->constraint);
}

/* Names buffer as the cursor image: exported once, held until released. */
static int show_cursor(struct vdmabuf_output *output, struct wlr_buffer *buffer,
		       int hotspot_x, int hotspot_y)
{
	struct vdmabuf_export *export = export_find(output, buffer);
	struct vdmabuf_export *previous = output->cursor;
	int previous_x = output->cursor_hotspot_x, previous_y = output->cursor_hotspot_y;
	int err;

	if (export && (!export->is_cursor || export->in_flight))
		return -EBUSY;	/* cannot happen while our lock holds */
	if (!export && !(export = export_create(output, buffer)))
		return -EINVAL;
	export->is_cursor = true;
	export->serial = ++output->cursor_serial;
	output->cursor = export;
	output->cursor_hotspot_x = hotspot_x;
	output->cursor_hotspot_y = hotspot_y;
	err = send_pointer(output);
	if (err == -ENOENT) {
		/* The device was reset under us and its RESET is still queued. */
		export_destroy(export, false);
		if (!(export = export_create(output, buffer))) {
			err = -EINVAL;
		} else {
			export->is_cursor = true;
			export->serial = ++output->cursor_serial;
			output->cursor = export;
			err = send_pointer(output);
		}
	}
	if (err < 0) {
		/* The host still shows the previous one, if any. */
		output->cursor = previous;
		output->cursor_hotspot_x = previous_x;
		output->cursor_hotspot_y = previous_y;
		return err;
	}
	export->in_flight = true;
	export->held = wlr_buffer_lock(buffer);
	return 0;
}

static bool output_set_cursor(struct wlr_output *wlr_output, struct wlr_buffer *buffer,
			      int hotspot_x, int hotspot_y)
{
	struct vdmabuf_output *output = output_from_wlr(wlr_output);
	struct wlr_dmabuf_attributes attr;
	int err;

	if (!output->backend->pointer)
		return false;
	if (!buffer) {
		/* The previous image stays locked until its release comes. */
		output->cursor = NULL;
		output->cursor_hotspot_x = output->cursor_hotspot_y = 0;
		err = send_pointer(output);
	} else if (!wlr_buffer_get_dmabuf(buffer, &attr) || hotspot_x < 0 || hotspot_y < 0 ||
		   hotspot_x >= buffer->width || hotspot_y >= buffer->height) {
		wlr_log(WLR_DEBUG, "vdmabuf: a %dx%d cursor with hotspot %d,%d the host "
			"cannot draw; software cursor", buffer->width, buffer->height,
			hotspot_x, hotspot_y);
		return false;
	} else {
		err = show_cursor(output, buffer, hotspot_x, hotspot_y);
	}
	if (err == -EOPNOTSUPP) {
		wlr_log(WLR_INFO, "vdmabuf: the device draws no cursor; software cursors");
		output->backend->pointer = false;
	} else if (err < 0) {
		wlr_log(WLR_ERROR, "vdmabuf: cursor: %s; software cursor", strerror(-err));
	}
	return err == 0;
}

/* The host draws the cursor at its own pointer: nothing to tell it. */
static bool output_move_cursor(struct wlr_output *wlr_output, int x, int y)
{
	return output_from_wlr(wlr_output)->backend->pointer;
}

static const struct wlr_drm_format_set *output_get_cursor_formats(struct wlr_output *wlr_output,
								  uint32_t buffer_caps)
{
	struct vdmabuf_output *output = output_from_wlr(wlr_output);

	/* Linear ARGB: what every host consumer can show. */
	if (!(buffer_caps & WLR_BUFFER_CAP_DMABUF))
		return NULL;
	return &output->cursor_formats;
}

void vdmabuf_output_handle_cursor_release(struct vdmabuf_export *export, uint64_t serial)
{
	struct wlr_buffer *held = export->held;

	if (!export->in_flight || export->serial != serial)
		return;
	export->in_flight = false;
	/* Last: the unlock may destroy the buffer, and the export with it. */
	wlr_buffer_unlock(held);
}

bool wlr_vdmabuf_output_set_pointer_constraint(struct wlr_output *wlr_output,
					       enum wlr_vdmabuf_pointer_constraint constraint)
{
	struct vdmabuf_output *output;
	int err;

	if (!wlr_output_is_vdmabuf(wlr_output) || constraint > WLR_VDMABUF_POINTER_CONFINED)
		return false;
	output = output_from_wlr(wlr_output);
	if (!output->backend->pointer)
		return false;
	if (output->constraint == (uint32_t)constraint)
		return true;
	output->constraint = constraint;
	/* With the image shown now and its serial: the host keeps it. */
	err = send_pointer(output);
	if (err < 0) {
		wlr_log(WLR_ERROR, "vdmabuf: pointer constraint %d: %s", constraint,
			strerror(-err));
		return false;
	}
	return true;
}

void vdmabuf_output_handle_reset(struct vdmabuf_output *output)
{
	struct vdmabuf_export *export, *tmp;
	struct wlr_buffer *cursor = output->cursor ? output->cursor->buffer : NULL;
	int hotspot_x = output->cursor_hotspot_x, hotspot_y = output->cursor_hotspot_y;

	/* wlroots holds the cursor image it set: it outlives its export. */
	wl_list_for_each_safe(export, tmp, &output->backend->exports, link)
		if (export->output == output)
			export_destroy(export, false);
	output->stats.resets++;
	output->host_refresh_ns = 0;
	/* The new device knows no cursor: name it again, and the constraint. */
	if (output->backend->pointer && (cursor || output->constraint)) {
		int err = cursor ? show_cursor(output, cursor, hotspot_x, hotspot_y) :
				   send_pointer(output);

		if (err < 0)
			wlr_log(WLR_ERROR, "vdmabuf: cursor after a reset: %s", strerror(-err));
	}
	vdmabuf_output_update_frame(output);
}

void vdmabuf_output_handle_mode_hint(struct vdmabuf_output *output, uint32_t width,
				     uint32_t height, uint32_t refresh_mhz,
				     uint32_t scale_120)
{
	struct wlr_output_state state;

	if (!width || !height || width > 16384 || height > 16384) {
		wlr_log(WLR_ERROR, "vdmabuf: ignoring mode hint %ux%u", width, height);
		return;
	}
	wlr_log(WLR_INFO, "vdmabuf: host asks for %ux%u@%u.%03u scale %u/120", width,
		height, refresh_mhz / 1000, refresh_mhz % 1000, scale_120);
	wlr_output_state_init(&state);
	wlr_output_state_set_custom_mode(&state, width, height,
					 refresh_mhz ? (int)refresh_mhz : output->base.refresh);
	if (scale_120)
		wlr_output_state_set_scale(&state, scale_120 / 120.0f);
	wlr_output_send_request_state(&output->base, &state);
	wlr_output_state_finish(&state);
	/*
	 * A window asks when it appears or changes: it gets a frame even if
	 * the mode stays and nothing on the output changed (the present
	 * carries no damage, which the host takes as the whole buffer).
	 */
	wlr_output_update_needs_frame(&output->base);
}

void vdmabuf_output_handle_formats(struct vdmabuf_output *output)
{
	/*
	 * wlroots picks the swapchain's format and modifiers from
	 * get_primary_formats on every frame and makes a new swapchain when
	 * they differ; a frame now makes that happen.
	 */
	wlr_output_update_needs_frame(&output->base);
}

/* wlr_output_impl */

static const struct wlr_drm_format_set *output_get_primary_formats(struct wlr_output *wlr_output,
								   uint32_t buffer_caps)
{
	if (!(buffer_caps & WLR_BUFFER_CAP_DMABUF))
		return NULL;
	return &output_from_wlr(wlr_output)->backend->primary_formats;
}

static const uint32_t supported_state = WLR_OUTPUT_STATE_BACKEND_OPTIONAL |
	WLR_OUTPUT_STATE_BUFFER | WLR_OUTPUT_STATE_MODE | WLR_OUTPUT_STATE_ENABLED;

static bool output_test(struct wlr_output *wlr_output, const struct wlr_output_state *state)
{
	uint32_t unsupported = state->committed & ~supported_state;

	if (unsupported) {
		wlr_log(WLR_DEBUG, "vdmabuf: unsupported output state %#x", unsupported);
		return false;
	}
	if ((state->committed & WLR_OUTPUT_STATE_MODE) &&
	    state->mode_type != WLR_OUTPUT_STATE_MODE_CUSTOM) {
		wlr_log(WLR_DEBUG, "vdmabuf: only custom modes");
		return false;
	}
	/*
	 * Only dmabufs can be shared: a client's shm buffer offered for direct
	 * scan-out is refused here, and the compositor composites it instead;
	 * so is a client's dmabuf the host may not import.
	 */
	if (state->committed & WLR_OUTPUT_STATE_BUFFER) {
		struct wlr_dmabuf_attributes attr;

		if (!wlr_buffer_get_dmabuf(state->buffer, &attr))
			return false;
		if (wlr_client_buffer_get(state->buffer) &&
		    !vdmabuf_host_can_import(output_from_wlr(wlr_output)->backend, &attr)) {
			wlr_log(WLR_DEBUG, "vdmabuf: a client's %dx%d buffer of format %#x, "
				"modifier %#" PRIx64 ": composited", attr.width, attr.height,
				attr.format, attr.modifier);
			return false;
		}
	}
	return true;
}

static uint32_t scale_120(float scale)
{
	return scale > 0 ? (uint32_t)(scale * 120.0f + 0.5f) : 120;
}

void vdmabuf_output_announce(struct vdmabuf_output *output, const struct wlr_output_state *state)
{
	int32_t width = output->base.width, height = output->base.height;
	int32_t refresh = output->base.refresh;
	float scale = output->base.scale;
	int err;

	if (!output->backend->multi)
		return;
	if (state && (state->committed & WLR_OUTPUT_STATE_MODE)) {
		width = state->custom_mode.width;
		height = state->custom_mode.height;
		refresh = state->custom_mode.refresh;
	}
	if (state && (state->committed & WLR_OUTPUT_STATE_SCALE))
		scale = state->scale;
	err = vdmabuf_producer_output(output->backend->producer, output->id, (uint32_t)width,
				      (uint32_t)height, refresh > 0 ? (uint32_t)refresh : 0,
				      scale_120(scale));
	if (err < 0)
		wlr_log(WLR_ERROR, "vdmabuf: announcing %s (%dx%d) to the host: %s",
			output->base.name, width, height, strerror(-err));
	else
		wlr_log(WLR_DEBUG, "vdmabuf: %s announced: %dx%d scale %u/120",
			output->base.name, width, height, scale_120(scale));
}

void vdmabuf_output_announce_gone(struct vdmabuf_output *output)
{
	int err;

	if (!output->backend->multi)
		return;
	err = vdmabuf_producer_output_gone(output->backend->producer, output->id);
	if (err < 0 && err != -ENODEV)
		wlr_log(WLR_ERROR, "vdmabuf: %s gone: the host was not told: %s",
			output->base.name, strerror(-err));
}

static bool output_commit(struct wlr_output *wlr_output, const struct wlr_output_state *state)
{
	struct vdmabuf_output *output = output_from_wlr(wlr_output);

	if (!output_test(wlr_output, state))
		return false;
	if (state->committed & WLR_OUTPUT_STATE_MODE)
		output->host_refresh_ns = 0;
	/* Before its first frame of that size: the host resizes its window. */
	if (state->committed & (WLR_OUTPUT_STATE_MODE | WLR_OUTPUT_STATE_SCALE))
		vdmabuf_output_announce(output, state);
	if ((state->committed & WLR_OUTPUT_STATE_BUFFER) && !commit_buffer(output, state))
		return false;
	update_frame(output, true);
	return true;
}

static void output_destroy(struct wlr_output *wlr_output)
{
	struct vdmabuf_output *output = output_from_wlr(wlr_output);
	struct vdmabuf_export *export, *tmp;

	wl_list_for_each_safe(export, tmp, &output->backend->exports, link)
		if (export->output == output)
			export_destroy(export, true);
	vdmabuf_output_announce_gone(output);
	vdmabuf_seat_remove_output(output->backend->seat, output);
	wl_list_remove(&output->link);
	wl_event_source_remove(output->frame_timer);
	wlr_drm_format_set_finish(&output->cursor_formats);
	free(output);
}

static const struct wlr_output_impl output_impl = {
	.set_cursor = output_set_cursor,
	.move_cursor = output_move_cursor,
	.destroy = output_destroy,
	.test = output_test,
	.commit = output_commit,
	.get_cursor_formats = output_get_cursor_formats,
	.get_primary_formats = output_get_primary_formats,
};

_Static_assert((int)WLR_VDMABUF_POINTER_NONE == VDMABUF_CONSTRAINT_NONE &&
	       (int)WLR_VDMABUF_POINTER_LOCKED == VDMABUF_CONSTRAINT_LOCKED &&
	       (int)WLR_VDMABUF_POINTER_CONFINED == VDMABUF_CONSTRAINT_CONFINED,
	       "the API's constraints are the protocol's");

bool wlr_output_is_vdmabuf(struct wlr_output *wlr_output)
{
	return wlr_output->impl == &output_impl;
}

uint32_t wlr_vdmabuf_output_get_id(struct wlr_output *wlr_output)
{
	return output_from_wlr(wlr_output)->id;
}

void wlr_vdmabuf_output_get_stats(struct wlr_output *wlr_output,
				  struct wlr_vdmabuf_output_stats *stats)
{
	struct vdmabuf_output *output = output_from_wlr(wlr_output);

	*stats = output->stats;
	stats->consumers = output->backend->consumers;
}

struct vdmabuf_output *vdmabuf_output_create(struct vdmabuf_backend *backend, uint32_t id,
					     int width, int height, int refresh_mhz,
					     uint32_t scale)
{
	struct vdmabuf_output *output = calloc(1, sizeof(*output));
	struct wlr_output_state state;
	char name[32];

	if (!output)
		return NULL;
	output->backend = backend;
	output->id = id;
	wlr_drm_format_set_add(&output->cursor_formats, DRM_FORMAT_ARGB8888,
			       DRM_FORMAT_MOD_LINEAR);
	output->frame_timer = wl_event_loop_add_timer(backend->loop, handle_frame_timer, output);
	if (!output->frame_timer) {
		wlr_drm_format_set_finish(&output->cursor_formats);
		free(output);
		return NULL;
	}
	wlr_output_state_init(&state);
	wlr_output_state_set_custom_mode(&state, width, height,
					 refresh_mhz > 0 ? refresh_mhz : DEFAULT_REFRESH_MHZ);
	if (scale)
		wlr_output_state_set_scale(&state, scale / 120.0f);
	wlr_output_init(&output->base, &backend->base, &output_impl, backend->loop, &state);
	wlr_output_state_finish(&state);
	/* No cursor plane: wlroots need not render cursor buffers to try one. */
	if (!backend->pointer)
		wlr_output_lock_software_cursors(&output->base, true);
	snprintf(name, sizeof(name), "VDMABUF-%u", id);
	wlr_output_set_name(&output->base, name);
	wlr_output_set_description(&output->base, "vdmabuf output: a window on the VM's host");
	wl_list_insert(&backend->outputs, &output->link);
	/* Before any frame names it. */
	vdmabuf_output_announce(output, NULL);
	return output;
}
