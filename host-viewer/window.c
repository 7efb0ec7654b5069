// SPDX-License-Identifier: MIT
/*
 * The viewer's windows: one xdg toplevel per guest output, titled with the
 * VM's name and the output's id. A window opens when the guest announces
 * an output or the user asks for one more (--outputs, Shift+F11), and
 * closes when the guest's output is gone or the user closes it, which asks
 * the guest to remove the output; closing the last window ends the viewer.
 * A window's size is the host user's: a resize asks the guest for that
 * mode of its output, in the host output's device pixels at the window's
 * scale (scale.c), and until the guest follows, wp_viewporter scales its
 * frames to the window. --fullscreen-on puts an output's window fullscreen
 * on a named host output. The Wayland globals are bound here too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "viewer.h"

/* A window that is not following the guest, and has no size of its own yet. */
#define DEFAULT_WIDTH 1024
#define DEFAULT_HEIGHT 768

/* A logical length in device pixels at scale_120, as wp_fractional_scale_v1 rounds. */
static uint32_t device_pixels(int32_t logical, uint32_t scale_120)
{
	return ((uint64_t)logical * scale_120 + 60) / 120;
}

static void send_mode_hint(struct viewer_window *window)
{
	struct viewer *viewer = window->viewer;
	uint32_t s = window->scale.scale_120 ? window->scale.scale_120 : 120;
	int32_t lw = window->width, lh = window->height;
	uint32_t w, h;
	int err;

	/*
	 * The host leaves the size to us: the guest's output has its own; a
	 * new one gets the default size, once the host, having mapped the
	 * window, has not given it one (sway sizes it only then).
	 */
	if (lw <= 0 || lh <= 0) {
		if (window->announced || window->default_width <= 0 || !window->settled)
			return;
		lw = window->default_width;
		lh = window->default_height;
	}
	w = device_pixels(lw, s);
	h = device_pixels(lh, s);
	if (w == window->hinted_width && h == window->hinted_height &&
	    s == window->hinted_scale_120)
		return;
	err = vdmabuf_consumer_output_hint(viewer->consumer, window->output, w, h, 0, s);
	if (err < 0) {
		fprintf(stderr, "vdmabuf-viewer: output %u: mode hint %ux%u: %s\n",
			window->output, w, h, strerror(-err));
		return;
	}
	window->hinted_width = w;
	window->hinted_height = h;
	window->hinted_scale_120 = s;
	fprintf(stderr, "vdmabuf-viewer: output %u: window %dx%d at scale %u.%03u; asked the "
		"guest for %ux%u scale %u/120\n", window->output, lw, lh, s / 120,
		s % 120 * 1000 / 120, w, h, s);
}

void window_scale_changed(struct viewer_window *window)
{
	if (window->configured)
		send_mode_hint(window);
}

static void set_buffer_scale(struct viewer_window *window, int32_t scale)
{
	if (scale != window->buffer_scale) {
		wl_surface_set_buffer_scale(window->surface, scale);
		window->buffer_scale = scale;
	}
}

void window_update_viewport(struct viewer_window *window, const struct view_buffer *buffer)
{
	int32_t w = window->width, h = window->height;
	uint32_t bw = buffer->desc.width, bh = buffer->desc.height;
	uint32_t s = window->scale.scale_120 ? window->scale.scale_120 : 120;

	window->shown_width = bw;
	window->shown_height = bh;
	window->surface_width = bw;
	window->surface_height = bh;
	if (!window->viewport) {
		/* An integer scale still draws 1:1 where the buffer divides. */
		int32_t k = s % 120 == 0 ? s / 120 : 1;

		if (bw % k || bh % k)
			k = 1;
		set_buffer_scale(window, k);
		window->surface_width = bw / k;
		window->surface_height = bh / k;
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
		wp_viewport_set_destination(window->viewport, -1, -1);
	} else {
		/* At the window's device size, this maps each pixel to one of the output's. */
		wp_viewport_set_destination(window->viewport, w, h);
		window->surface_width = w;
		window->surface_height = h;
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

static void settled_done(void *data, struct wl_callback *callback, uint32_t time)
{
	struct viewer_window *window = data;

	wl_callback_destroy(callback);
	window->settle = NULL;
	window->settled = true;
	send_mode_hint(window);
}

static const struct wl_callback_listener settled_listener = {
	.done = settled_done,
};

static void xdg_surface_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial)
{
	struct viewer_window *window = data;

	xdg_surface_ack_configure(xdg_surface, serial);
	if (!window->configured) {
		window->configured = true;
		if (window->pending) {
			/* The guest's frame that came first. */
			struct view_buffer *pending = window->pending;

			window->pending = NULL;
			view_buffer_show(pending, window, window->pending_frame, NULL, 0);
		} else {
			window->placeholder = create_placeholder(window->viewer);
			if (window->placeholder)
				wl_surface_attach(window->surface, window->placeholder, 0, 0);
			/* An output the guest has not yet: the size it is asked for. */
			if (window->viewport && !window->announced && window->default_width > 0)
				wp_viewport_set_destination(window->viewport,
							    window->default_width,
							    window->default_height);
			wl_surface_commit(window->surface);
		}
		/* What the host makes of the mapped window comes before this. */
		window->settle = wl_display_sync(window->viewer->display);
		wl_callback_add_listener(window->settle, &settled_listener, window);
	}
	send_mode_hint(window);
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = xdg_surface_configure,
};

/* Whether one of the windows has the focus. */
static bool windows_activated(struct viewer *viewer)
{
	struct viewer_window *window;

	wl_list_for_each(window, &viewer->windows, link)
		if (window->activated)
			return true;
	return false;
}

static unsigned int window_count(struct viewer *viewer)
{
	return wl_list_length(&viewer->windows);
}

static void toplevel_configure(void *data, struct xdg_toplevel *toplevel, int32_t width,
			       int32_t height, struct wl_array *states)
{
	struct viewer_window *window = data;
	bool activated = false;
	uint32_t *state;

	window->fullscreen = false;
	wl_array_for_each(state, states) {
		if (*state == XDG_TOPLEVEL_STATE_FULLSCREEN)
			window->fullscreen = true;
		else if (*state == XDG_TOPLEVEL_STATE_ACTIVATED)
			activated = true;
	}
	window->activated = activated;
	clipboard_focus(window->viewer, windows_activated(window->viewer));
	window->width = width;
	window->height = height;
}

static void toplevel_close(void *data, struct xdg_toplevel *toplevel)
{
	struct viewer_window *window = data;
	struct viewer *viewer = window->viewer;
	int err;

	if (window_count(viewer) == 1) {
		viewer->quit = true;
		return;
	}
	err = vdmabuf_consumer_output_close(viewer->consumer, window->output);
	fprintf(stderr, "vdmabuf-viewer: output %u: window closed; %s\n", window->output,
		err < 0 ? strerror(-err) : "asked the guest to remove it");
	window_destroy(window);
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

/* The host output named for window's output with --fullscreen-on, if it is there. */
static struct host_output *named_output(struct viewer_window *window)
{
	const char *name = window->viewer->fullscreen_on[window->output];

	return name ? scale_find_output(window->viewer, name) : NULL;
}

void window_set_fullscreen(struct viewer_window *window, bool fullscreen)
{
	struct host_output *out = named_output(window);

	if (fullscreen) {
		xdg_toplevel_set_fullscreen(window->toplevel, out ? out->output : NULL);
		window->on_named = out != NULL;
	} else {
		xdg_toplevel_unset_fullscreen(window->toplevel);
		window->on_named = false;
	}
}

void windows_host_output_named(struct viewer *viewer, struct host_output *out)
{
	struct viewer_window *window;

	wl_list_for_each(window, &viewer->windows, link) {
		const char *name = viewer->fullscreen_on[window->output];

		if (!window->on_named && name && strcmp(name, out->name) == 0) {
			fprintf(stderr, "vdmabuf-viewer: output %u: fullscreen on %s\n",
				window->output, name);
			window_set_fullscreen(window, true);
		}
	}
}

struct viewer_window *window_find(struct viewer *viewer, uint32_t output)
{
	struct viewer_window *window;

	wl_list_for_each(window, &viewer->windows, link)
		if (window->output == output)
			return window;
	return NULL;
}

struct viewer_window *window_from_surface(struct viewer *viewer, struct wl_surface *surface)
{
	struct viewer_window *window;

	if (!surface)
		return NULL;
	wl_list_for_each(window, &viewer->windows, link)
		if (window->surface == surface)
			return window;
	return NULL;
}

struct viewer_window *window_create(struct viewer *viewer, uint32_t output)
{
	struct viewer_window *window;
	struct host_output *out;
	char title[256], app_id[256];

	if (output >= GUEST_OUTPUTS)
		return NULL;
	window = calloc(1, sizeof(*window));
	if (!window)
		return NULL;
	window->viewer = viewer;
	window->output = output;
	wl_list_insert(viewer->windows.prev, &window->link);
	window->surface = wl_compositor_create_surface(viewer->compositor);
	if (viewer->viewporter)
		window->viewport = wp_viewporter_get_viewport(viewer->viewporter, window->surface);
	scale_start(window);
	window->xdg_surface = xdg_wm_base_get_xdg_surface(viewer->wm_base, window->surface);
	xdg_surface_add_listener(window->xdg_surface, &xdg_surface_listener, window);
	window->toplevel = xdg_surface_get_toplevel(window->xdg_surface);
	xdg_toplevel_add_listener(window->toplevel, &toplevel_listener, window);
	/* The title for people, the app id for the host's window rules: stable. */
	snprintf(title, sizeof(title), "vdmabuf: %s \u2014 output %u", viewer->name, output);
	xdg_toplevel_set_title(window->toplevel, title);
	snprintf(app_id, sizeof(app_id), "vdmabuf-viewer.%s.%u", viewer->name, output);
	xdg_toplevel_set_app_id(window->toplevel, app_id);
	out = named_output(window);
	/* Fullscreen there: what to ask a new output for until the host says. */
	if (out && out->width > 0 && out->height > 0 && out->scale > 0) {
		window->default_width = out->width / out->scale;
		window->default_height = out->height / out->scale;
	}
	if (out || viewer->fullscreen)
		window_set_fullscreen(window, true);
	else if (viewer->fullscreen_on[output])
		fprintf(stderr, "vdmabuf-viewer: output %u: no host output %s yet; fullscreen "
			"on it when it comes\n", output, viewer->fullscreen_on[output]);
	if (out)
		fprintf(stderr, "vdmabuf-viewer: output %u: fullscreen on %s\n", output, out->name);
	input_window_created(window);
	wl_surface_commit(window->surface);
	/* The guest can open windows: rate-limited. */
	log_limited(&viewer->output_log, "output %u: window opened", output);
	return window;
}

void window_destroy(struct viewer_window *window)
{
	struct viewer *viewer = window->viewer;

	wl_list_remove(&window->link);
	input_window_gone(window);
	if (window->pending)
		view_buffer_release_unshown(window->pending, window->pending_frame);
	if (window->placeholder)
		wl_buffer_destroy(window->placeholder);
	if (window->settle)
		wl_callback_destroy(window->settle);
	scale_finish(window);
	if (window->viewport)
		wp_viewport_destroy(window->viewport);
	if (window->toplevel)
		xdg_toplevel_destroy(window->toplevel);
	if (window->xdg_surface)
		xdg_surface_destroy(window->xdg_surface);
	if (window->surface)
		wl_surface_destroy(window->surface);
	free(window);
	clipboard_focus(viewer, windows_activated(viewer));
	/* The compositor lets go of what the window showed. */
	wl_display_flush(viewer->display);
}

/* The lowest output id with no window: one more output for the guest. */
struct viewer_window *window_open_next(struct viewer *viewer, const struct viewer_window *beside)
{
	struct viewer_window *window;
	uint32_t id;

	for (id = 0; id < GUEST_OUTPUTS && window_find(viewer, id); id++)
		;
	if (id == GUEST_OUTPUTS) {
		fprintf(stderr, "vdmabuf-viewer: already %u outputs\n", GUEST_OUTPUTS);
		return NULL;
	}
	window = window_create(viewer, id);
	if (!window)
		return NULL;
	/* As big as the window it was asked from, in logical pixels. */
	if (window->default_width > 0) {
		/* Its host output's. */
	} else if (beside && beside->width > 0 && beside->height > 0) {
		window->default_width = beside->width;
		window->default_height = beside->height;
	} else if (beside && beside->surface_width > 0 && beside->surface_height > 0) {
		window->default_width = beside->surface_width;
		window->default_height = beside->surface_height;
	} else {
		window->default_width = DEFAULT_WIDTH;
		window->default_height = DEFAULT_HEIGHT;
	}
	return window;
}

void windows_guest_output(struct viewer *viewer, uint32_t output, uint32_t flags,
			  uint32_t width, uint32_t height, uint32_t refresh_mhz,
			  uint32_t scale_120)
{
	struct viewer_window *window = window_find(viewer, output);

	if (output >= GUEST_OUTPUTS)
		return;
	if (flags & VDMABUF_OUTPUT_GONE) {
		log_limited(&viewer->output_log, "output %u: gone from the guest%s", output,
			    window && window->reset ? " (device reset)" : "");
		if (!window)
			return;
		window->announced = false;
		/* A reset's outputs come back; the last window waits for one. */
		if (window->reset || window_count(viewer) == 1) {
			window->reset = false;
			return;
		}
		window_destroy(window);
		return;
	}
	log_limited(&viewer->output_log, "output %u: the guest's is %ux%u@%u.%03u scale %u/120",
		    output, width, height, refresh_mhz / 1000, refresh_mhz % 1000, scale_120);
	if (!window) {
		window = window_create(viewer, output);
		if (!window)
			return;
	}
	window->announced = true;
	window->reset = false;
}

void windows_reset(struct viewer *viewer)
{
	struct viewer_window *window;

	wl_list_for_each(window, &viewer->windows, link)
		window->reset = window->announced;
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

int wayland_start(struct viewer *viewer)
{
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
	/* The outputs' names and scales. */
	return wl_display_roundtrip(viewer->display) < 0 ? -1 : 0;
}

void wayland_finish(struct viewer *viewer)
{
	struct viewer_window *window, *tmp;

	wl_list_for_each_safe(window, tmp, &viewer->windows, link)
		window_destroy(window);
	scale_finish_outputs(viewer);
	presentation_clock_destroy(viewer->presentation_clock);
	viewer->presentation_clock = NULL;
	formats_finish(&viewer->formats);
}
