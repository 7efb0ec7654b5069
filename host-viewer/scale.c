// SPDX-License-Identifier: MIT
/*
 * Each window's scale on the host: the guest draws its output in the host
 * output's device pixels, so that each of its pixels is one on screen.
 * The best source the host compositor has decides: wp_fractional_scale_v1 (with
 * wp_viewporter), else wl_surface.preferred_buffer_scale (wl_compositor
 * 6), else the largest integer scale of the outputs the window is on.
 * A change asks the guest for that output's mode again (window.c). The
 * host's outputs are bound here, with their names for --fullscreen-on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viewer.h"

static const char *const source_names[] = {
	[SCALE_NONE] = "none",
	[SCALE_OUTPUT] = "wl_output",
	[SCALE_PREFERRED] = "preferred_buffer_scale",
	[SCALE_FRACTIONAL] = "wp_fractional_scale_v1",
};

static void update(struct viewer_window *window)
{
	struct viewer *viewer = window->viewer;
	struct window_scale *sc = &window->scale;
	enum scale_source source = SCALE_NONE;
	uint32_t scale_120 = 120;

	if (sc->fractional_120) {
		source = SCALE_FRACTIONAL;
		scale_120 = sc->fractional_120;
	} else if (sc->buffer_scale > 0) {
		source = SCALE_PREFERRED;
		scale_120 = 120 * sc->buffer_scale;
	} else {
		int32_t max = 0;

		for (unsigned int i = 0; i < MAX_HOST_OUTPUTS; i++)
			if (viewer->host_outputs[i].output && (sc->entered & 1u << i) &&
			    viewer->host_outputs[i].scale > max)
				max = viewer->host_outputs[i].scale;
		if (max > 0) {
			source = SCALE_OUTPUT;
			scale_120 = 120 * max;
		}
	}
	if (scale_120 > 120 * 16)
		scale_120 = 120 * 16;
	if (scale_120 == sc->scale_120 && source == sc->source)
		return;
	sc->source = source;
	if (scale_120 == sc->scale_120)
		return;
	sc->scale_120 = scale_120;
	fprintf(stderr, "vdmabuf-viewer: output %u: scale %u.%03u (%s)\n", window->output,
		scale_120 / 120, scale_120 % 120 * 1000 / 120, source_names[source]);
	window_scale_changed(window);
}

/* The windows on host output slot i: their scale may have changed. */
static void update_on(struct viewer *viewer, unsigned int i)
{
	struct viewer_window *window, *tmp;

	wl_list_for_each_safe(window, tmp, &viewer->windows, link)
		if (window->scale.entered & 1u << i)
			update(window);
}

static void fractional_preferred_scale(void *data, struct wp_fractional_scale_v1 *fractional,
				       uint32_t scale)
{
	struct viewer_window *window = data;

	window->scale.fractional_120 = scale;
	update(window);
}

static const struct wp_fractional_scale_v1_listener fractional_listener = {
	.preferred_scale = fractional_preferred_scale,
};

static void output_geometry(void *data, struct wl_output *output, int32_t x, int32_t y,
			    int32_t physical_width, int32_t physical_height, int32_t subpixel,
			    const char *make, const char *model, int32_t transform)
{
}

static void output_mode(void *data, struct wl_output *output, uint32_t flags, int32_t width,
			int32_t height, int32_t refresh)
{
	struct host_output *out = data;

	if (flags & WL_OUTPUT_MODE_CURRENT) {
		out->width = width;
		out->height = height;
	}
}

static void output_done(void *data, struct wl_output *output)
{
	struct host_output *out = data;
	struct viewer *viewer = out->viewer;

	update_on(viewer, out - viewer->host_outputs);
	if (out->name)
		windows_host_output_named(viewer, out);
}

static void output_scale(void *data, struct wl_output *output, int32_t factor)
{
	struct host_output *out = data;

	out->scale = factor;
}

static void output_name(void *data, struct wl_output *output, const char *name)
{
	struct host_output *out = data;

	free(out->name);
	out->name = strdup(name);
}

static void output_description(void *data, struct wl_output *output, const char *description)
{
}

static const struct wl_output_listener output_listener = {
	.geometry = output_geometry,
	.mode = output_mode,
	.done = output_done,
	.scale = output_scale,
	.name = output_name,
	.description = output_description,
};

static int find_slot(struct viewer *viewer, struct wl_output *output)
{
	for (unsigned int i = 0; i < MAX_HOST_OUTPUTS; i++)
		if (output && viewer->host_outputs[i].output == output)
			return i;
	return -1;
}

struct host_output *scale_find_output(struct viewer *viewer, const char *name)
{
	for (unsigned int i = 0; i < MAX_HOST_OUTPUTS; i++) {
		struct host_output *out = &viewer->host_outputs[i];

		if (out->output && out->name && strcmp(out->name, name) == 0)
			return out;
	}
	return NULL;
}

static void surface_enter(void *data, struct wl_surface *surface, struct wl_output *output)
{
	struct viewer_window *window = data;
	int i = find_slot(window->viewer, output);

	if (i >= 0) {
		window->scale.entered |= 1u << i;
		update(window);
	}
}

static void surface_leave(void *data, struct wl_surface *surface, struct wl_output *output)
{
	struct viewer_window *window = data;
	int i = find_slot(window->viewer, output);

	if (i >= 0) {
		window->scale.entered &= ~(1u << i);
		update(window);
	}
}

static void surface_preferred_buffer_scale(void *data, struct wl_surface *surface, int32_t factor)
{
	struct viewer_window *window = data;

	window->scale.buffer_scale = factor;
	update(window);
}

static void surface_preferred_buffer_transform(void *data, struct wl_surface *surface,
					       uint32_t transform)
{
}

static const struct wl_surface_listener surface_listener = {
	.enter = surface_enter,
	.leave = surface_leave,
	.preferred_buffer_scale = surface_preferred_buffer_scale,
	.preferred_buffer_transform = surface_preferred_buffer_transform,
};

bool scale_bind(struct viewer *viewer, struct wl_registry *registry, uint32_t name,
		const char *interface, uint32_t version)
{
	if (strcmp(interface, wp_fractional_scale_manager_v1_interface.name) == 0) {
		viewer->fractional_manager = wl_registry_bind(registry, name,
			&wp_fractional_scale_manager_v1_interface, 1);
		return true;
	}
	if (strcmp(interface, wl_output_interface.name) != 0)
		return false;
	for (unsigned int i = 0; i < MAX_HOST_OUTPUTS; i++) {
		struct host_output *out = &viewer->host_outputs[i];

		if (out->output)
			continue;
		*out = (struct host_output){ .viewer = viewer, .global = name, .scale = 1 };
		/* 4: its name, for --fullscreen-on */
		out->output = wl_registry_bind(registry, name, &wl_output_interface,
					       version < 4 ? version : 4);
		wl_output_add_listener(out->output, &output_listener, out);
		return true;
	}
	return true;		/* more outputs than we track: their scale is unknown */
}

static void release_output(struct host_output *out)
{
	if (wl_output_get_version(out->output) >= WL_OUTPUT_RELEASE_SINCE_VERSION)
		wl_output_release(out->output);
	else
		wl_output_destroy(out->output);
	free(out->name);
	out->name = NULL;
	out->output = NULL;
}

void scale_global_remove(struct viewer *viewer, uint32_t name)
{
	struct viewer_window *window;

	for (unsigned int i = 0; i < MAX_HOST_OUTPUTS; i++) {
		struct host_output *out = &viewer->host_outputs[i];

		if (!out->output || out->global != name)
			continue;
		release_output(out);
		/* A window fullscreen on it goes there again if it comes back. */
		wl_list_for_each(window, &viewer->windows, link) {
			const char *want = viewer->fullscreen_on[window->output];

			if (want && window->on_named && !scale_find_output(viewer, want))
				window->on_named = false;
		}
		wl_list_for_each(window, &viewer->windows, link) {
			if (window->scale.entered & 1u << i) {
				window->scale.entered &= ~(1u << i);
				update(window);
			}
		}
	}
}

void scale_start(struct viewer_window *window)
{
	struct viewer *viewer = window->viewer;
	struct window_scale *sc = &window->scale;

	sc->scale_120 = 120;
	wl_surface_add_listener(window->surface, &surface_listener, window);
	/* A fractional scale needs the viewport to draw at. */
	if (viewer->fractional_manager && window->viewport) {
		sc->fractional = wp_fractional_scale_manager_v1_get_fractional_scale(
			viewer->fractional_manager, window->surface);
		wp_fractional_scale_v1_add_listener(sc->fractional, &fractional_listener, window);
	}
}

void scale_finish(struct viewer_window *window)
{
	struct window_scale *sc = &window->scale;

	if (sc->fractional)
		wp_fractional_scale_v1_destroy(sc->fractional);
	memset(sc, 0, sizeof(*sc));
}

void scale_finish_outputs(struct viewer *viewer)
{
	if (viewer->fractional_manager)
		wp_fractional_scale_manager_v1_destroy(viewer->fractional_manager);
	viewer->fractional_manager = NULL;
	for (unsigned int i = 0; i < MAX_HOST_OUTPUTS; i++)
		if (viewer->host_outputs[i].output)
			release_output(&viewer->host_outputs[i]);
}
