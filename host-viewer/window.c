// SPDX-License-Identifier: MIT
/*
 * The viewer's window: an xdg toplevel titled with the VM's name. Its size
 * is the host user's: a resize asks the guest for that mode, in the host
 * output's device pixels at the window's scale (scale.c), and until the
 * guest follows, wp_viewporter scales its frames to the window.
 * window_set_fullscreen() is F11's (input.c).
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "viewer.h"

/* A logical length in device pixels at scale_120, as wp_fractional_scale_v1 rounds. */
static uint32_t device_pixels(int32_t logical, uint32_t scale_120)
{
	return ((uint64_t)logical * scale_120 + 60) / 120;
}

static void send_mode_hint(struct viewer *viewer)
{
	uint32_t s = viewer->scale.scale_120 ? viewer->scale.scale_120 : 120;
	uint32_t w, h;
	int err;

	if (viewer->window_width <= 0 || viewer->window_height <= 0)
		return;
	w = device_pixels(viewer->window_width, s);
	h = device_pixels(viewer->window_height, s);
	if (w == viewer->hinted_width && h == viewer->hinted_height &&
	    s == viewer->hinted_scale_120)
		return;
	err = vdmabuf_consumer_mode_hint(viewer->consumer, w, h, 0, s);
	if (err < 0) {
		fprintf(stderr, "vdmabuf-viewer: mode hint %ux%u: %s\n", w, h, strerror(-err));
		return;
	}
	viewer->hinted_width = w;
	viewer->hinted_height = h;
	viewer->hinted_scale_120 = s;
	fprintf(stderr, "vdmabuf-viewer: window %dx%d at scale %u.%03u; asked the guest for "
		"%ux%u scale %u/120\n", viewer->window_width, viewer->window_height, s / 120,
		s % 120 * 1000 / 120, w, h, s);
}

void window_scale_changed(struct viewer *viewer)
{
	if (viewer->configured)
		send_mode_hint(viewer);
}

static void set_buffer_scale(struct viewer *viewer, int32_t scale)
{
	if (scale != viewer->buffer_scale) {
		wl_surface_set_buffer_scale(viewer->surface, scale);
		viewer->buffer_scale = scale;
	}
}

void window_update_viewport(struct viewer *viewer, const struct view_buffer *buffer)
{
	int32_t w = viewer->window_width, h = viewer->window_height;
	uint32_t bw = buffer->desc.width, bh = buffer->desc.height;
	uint32_t s = viewer->scale.scale_120 ? viewer->scale.scale_120 : 120;

	viewer->shown_width = bw;
	viewer->shown_height = bh;
	viewer->surface_width = bw;
	viewer->surface_height = bh;
	if (!viewer->viewport) {
		/* An integer scale still draws 1:1 where the buffer divides. */
		int32_t k = s % 120 == 0 ? s / 120 : 1;

		if (bw % k || bh % k)
			k = 1;
		set_buffer_scale(viewer, k);
		viewer->surface_width = bw / k;
		viewer->surface_height = bh / k;
		return;
	}
	/* Following the guest: its frame's size, in the host's logical pixels. */
	if (w <= 0 || h <= 0) {
		w = ((uint64_t)bw * 120 + s / 2) / s;
		h = ((uint64_t)bh * 120 + s / 2) / s;
		if (!w)
			w = 1;
		if (!h)
			h = 1;
	}
	if ((uint32_t)w == bw && (uint32_t)h == bh) {
		wp_viewport_set_destination(viewer->viewport, -1, -1);
	} else {
		/* At the window's device size, this maps each pixel to one of the output's. */
		wp_viewport_set_destination(viewer->viewport, w, h);
		viewer->surface_width = w;
		viewer->surface_height = h;
	}
}

/*
 * A black pixel to map the window with before the guest's first frame:
 * a guest with nothing new to draw sends one only when the window, once
 * mapped and sized, asks for its mode. NULL if it cannot be made.
 */
static struct wl_buffer *create_placeholder(struct viewer *viewer)
{
	struct wl_shm_pool *pool;
	struct wl_buffer *buffer;
	int fd = memfd_create("vdmabuf-viewer-placeholder", MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, 4) < 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	pool = wl_shm_create_pool(viewer->shm, fd, 4);
	buffer = wl_shm_pool_create_buffer(pool, 0, 1, 1, 4, WL_SHM_FORMAT_XRGB8888);
	wl_shm_pool_destroy(pool);
	close(fd);
	return buffer;
}

static void xdg_surface_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial)
{
	struct viewer *viewer = data;

	xdg_surface_ack_configure(xdg_surface, serial);
	if (!viewer->configured) {
		viewer->configured = true;
		viewer->placeholder = create_placeholder(viewer);
		if (viewer->placeholder)
			wl_surface_attach(viewer->surface, viewer->placeholder, 0, 0);
		wl_surface_commit(viewer->surface);
	}
	send_mode_hint(viewer);
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = xdg_surface_configure,
};

static void toplevel_configure(void *data, struct xdg_toplevel *toplevel, int32_t width,
			       int32_t height, struct wl_array *states)
{
	struct viewer *viewer = data;
	bool activated = false;
	uint32_t *state;

	viewer->fullscreen = false;
	wl_array_for_each(state, states) {
		if (*state == XDG_TOPLEVEL_STATE_FULLSCREEN)
			viewer->fullscreen = true;
		else if (*state == XDG_TOPLEVEL_STATE_ACTIVATED)
			activated = true;
	}
	clipboard_focus(viewer, activated);
	viewer->window_width = width;
	viewer->window_height = height;
}

static void toplevel_close(void *data, struct xdg_toplevel *toplevel)
{
	struct viewer *viewer = data;

	viewer->quit = true;
}

static void toplevel_configure_bounds(void *data, struct xdg_toplevel *toplevel,
				      int32_t width, int32_t height)
{
}

static void toplevel_wm_capabilities(void *data, struct xdg_toplevel *toplevel,
				     struct wl_array *capabilities)
{
}

static const struct xdg_toplevel_listener toplevel_listener = {
	.configure = toplevel_configure,
	.close = toplevel_close,
	.configure_bounds = toplevel_configure_bounds,
	.wm_capabilities = toplevel_wm_capabilities,
};

void window_set_fullscreen(struct viewer *viewer, bool fullscreen)
{
	if (fullscreen)
		xdg_toplevel_set_fullscreen(viewer->toplevel, NULL);
	else
		xdg_toplevel_unset_fullscreen(viewer->toplevel);
}

static void wm_base_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial)
{
	xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = {
	.ping = wm_base_ping,
};

static void presentation_clock_id(void *data, struct wp_presentation *presentation,
				  uint32_t clock_id)
{
	struct viewer *viewer = data;

	presentation_clock_destroy(viewer->presentation_clock);
	viewer->presentation_clock = presentation_clock_create(clock_id);
}

static const struct wp_presentation_listener presentation_listener = {
	.clock_id = presentation_clock_id,
};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
			    const char *interface, uint32_t version)
{
	struct viewer *viewer = data;

#define BIND(iface, max) wl_registry_bind(registry, name, &iface, version < (max) ? version : (max))
	if (strcmp(interface, wl_compositor_interface.name) == 0) {
		/* 6: wl_surface.preferred_buffer_scale */
		viewer->compositor = BIND(wl_compositor_interface, 6);
	} else if (strcmp(interface, wl_shm_interface.name) == 0) {
		viewer->shm = BIND(wl_shm_interface, 1);
	} else if (strcmp(interface, xdg_wm_base_interface.name) == 0) {
		viewer->wm_base = BIND(xdg_wm_base_interface, 5);
		xdg_wm_base_add_listener(viewer->wm_base, &wm_base_listener, viewer);
	} else if (strcmp(interface, zwp_linux_dmabuf_v1_interface.name) == 0 && version >= 3) {
		viewer->dmabuf = BIND(zwp_linux_dmabuf_v1_interface, 4);
	} else if (strcmp(interface, wp_presentation_interface.name) == 0) {
		viewer->presentation = BIND(wp_presentation_interface, 1);
		wp_presentation_add_listener(viewer->presentation, &presentation_listener,
					     viewer);
	} else if (strcmp(interface, wp_viewporter_interface.name) == 0) {
		viewer->viewporter = BIND(wp_viewporter_interface, 1);
	} else if (!scale_bind(viewer, registry, name, interface, version) &&
		   !clipboard_bind(viewer, registry, name, interface, version)) {
		input_bind(viewer, registry, name, interface, version);
	}
#undef BIND
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
	scale_global_remove(data, name);
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

int window_create(struct viewer *viewer)
{
	char title[256];

	viewer->registry = wl_display_get_registry(viewer->display);
	wl_registry_add_listener(viewer->registry, &registry_listener, viewer);
	if (wl_display_roundtrip(viewer->display) < 0)
		return -1;
	if (!viewer->compositor || !viewer->wm_base || !viewer->shm) {
		fprintf(stderr, "vdmabuf-viewer: the compositor lacks wl_compositor, "
			"xdg_wm_base or wl_shm\n");
		return -1;
	}
	if (viewer->dmabuf)
		formats_listen(viewer);
	else
		fprintf(stderr, "vdmabuf-viewer: no zwp_linux_dmabuf_v1: every buffer "
			"goes through the shm copy\n");
	while (viewer->dmabuf && !viewer->formats_done)
		if (wl_display_roundtrip(viewer->display) < 0)
			return -1;
	wl_display_roundtrip(viewer->display);

	viewer->surface = wl_compositor_create_surface(viewer->compositor);
	if (viewer->viewporter)
		viewer->viewport = wp_viewporter_get_viewport(viewer->viewporter, viewer->surface);
	scale_start(viewer);
	viewer->xdg_surface = xdg_wm_base_get_xdg_surface(viewer->wm_base, viewer->surface);
	xdg_surface_add_listener(viewer->xdg_surface, &xdg_surface_listener, viewer);
	viewer->toplevel = xdg_surface_get_toplevel(viewer->xdg_surface);
	xdg_toplevel_add_listener(viewer->toplevel, &toplevel_listener, viewer);
	snprintf(title, sizeof(title), "%s - vdmabuf", viewer->name);
	xdg_toplevel_set_title(viewer->toplevel, title);
	xdg_toplevel_set_app_id(viewer->toplevel, "vdmabuf-viewer");
	if (viewer->fullscreen)
		xdg_toplevel_set_fullscreen(viewer->toplevel, NULL);
	wl_surface_commit(viewer->surface);
	while (!viewer->configured)
		if (wl_display_dispatch(viewer->display) < 0)
			return -1;
	return 0;
}

void window_destroy(struct viewer *viewer)
{
	if (viewer->placeholder)
		wl_buffer_destroy(viewer->placeholder);
	scale_finish(viewer);
	if (viewer->viewport)
		wp_viewport_destroy(viewer->viewport);
	if (viewer->toplevel)
		xdg_toplevel_destroy(viewer->toplevel);
	if (viewer->xdg_surface)
		xdg_surface_destroy(viewer->xdg_surface);
	if (viewer->surface)
		wl_surface_destroy(viewer->surface);
	presentation_clock_destroy(viewer->presentation_clock);
	viewer->presentation_clock = NULL;
	formats_finish(&viewer->formats);
}
