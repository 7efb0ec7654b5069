// SPDX-License-Identifier: MIT
/*
 * The window's scale on the host: the guest draws in the host output's
 * device pixels, so that each of its pixels is one on screen. The best
 * source the host compositor has decides: wp_fractional_scale_v1 (with
 * wp_viewporter), else wl_surface.preferred_buffer_scale (wl_compositor
 * 6), else the largest integer scale of the outputs the window is on.
 * A change asks the guest for its mode again (window.c).
 */
#include <stdio.h>
#include <string.h>

#include "viewer.h"

static const char *const source_names[] = {
	[SCALE_NONE] = "none",
	[SCALE_OUTPUT] = "wl_output",
	[SCALE_PREFERRED] = "preferred_buffer_scale",
	[SCALE_FRACTIONAL] = "wp_fractional_scale_v1",
};

static void update(struct viewer *viewer)
{
	struct viewer_scale *sc = &viewer->scale;
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

		for (unsigned int i = 0; i < MAX_OUTPUTS; i++)
			if (sc->outputs[i].output && sc->outputs[i].entered &&
			    sc->outputs[i].scale > max)
				max = sc->outputs[i].scale;
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
	fprintf(stderr, "vdmabuf-viewer: scale %u.%03u (%s)\n", scale_120 / 120,
		scale_120 % 120 * 1000 / 120, source_names[source]);
	window_scale_changed(viewer);
}

static void fractional_preferred_scale(void *data, struct wp_fractional_scale_v1 *fractional,
				       uint32_t scale)
{
	struct viewer *viewer = data;

	viewer->scale.fractional_120 = scale;
	update(viewer);
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
}

static void output_done(void *data, struct wl_output *output)
{
	struct viewer_output *out = data;

	if (out->entered)
		update(out->viewer);
}

static void output_scale(void *data, struct wl_output *output, int32_t factor)
{
	struct viewer_output *out = data;

	out->scale = factor;
}

static void output_name(void *data, struct wl_output *output, const char *name)
{
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

static struct viewer_output *find_output(struct viewer *viewer, struct wl_output *output)
{
	for (unsigned int i = 0; i < MAX_OUTPUTS; i++)
		if (viewer->scale.outputs[i].output == output)
			return &viewer->scale.outputs[i];
	return NULL;
}

static void surface_enter(void *data, struct wl_surface *surface, struct wl_output *output)
{
	struct viewer_output *out = output ? find_output(data, output) : NULL;

	if (out) {
		out->entered = true;
		update(data);
	}
}

static void surface_leave(void *data, struct wl_surface *surface, struct wl_output *output)
{
	struct viewer_output *out = output ? find_output(data, output) : NULL;

	if (out) {
		out->entered = false;
		update(data);
	}
}

static void surface_preferred_buffer_scale(void *data, struct wl_surface *surface, int32_t factor)
{
	struct viewer *viewer = data;

	viewer->scale.buffer_scale = factor;
	update(viewer);
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
	struct viewer_scale *sc = &viewer->scale;

	if (strcmp(interface, wp_fractional_scale_manager_v1_interface.name) == 0) {
		sc->manager = wl_registry_bind(registry, name,
					       &wp_fractional_scale_manager_v1_interface, 1);
		return true;
	}
	if (strcmp(interface, wl_output_interface.name) != 0)
		return false;
	for (unsigned int i = 0; i < MAX_OUTPUTS; i++) {
		struct viewer_output *out = &sc->outputs[i];

		if (out->output)
			continue;
		*out = (struct viewer_output){ .viewer = viewer, .name = name, .scale = 1 };
		out->output = wl_registry_bind(registry, name, &wl_output_interface,
					       version < 4 ? version : 4);
		wl_output_add_listener(out->output, &output_listener, out);
		return true;
	}
	return true;		/* more outputs than we track: their scale is unknown */
}

void scale_global_remove(struct viewer *viewer, uint32_t name)
{
	for (unsigned int i = 0; i < MAX_OUTPUTS; i++) {
		struct viewer_output *out = &viewer->scale.outputs[i];

		if (!out->output || out->name != name)
			continue;
		if (wl_output_get_version(out->output) >= WL_OUTPUT_RELEASE_SINCE_VERSION)
			wl_output_release(out->output);
		else
			wl_output_destroy(out->output);
		out->output = NULL;
		if (out->entered)
			update(viewer);
	}
}

void scale_start(struct viewer *viewer)
{
	struct viewer_scale *sc = &viewer->scale;

	sc->scale_120 = 120;
	wl_surface_add_listener(viewer->surface, &surface_listener, viewer);
	/* A fractional scale needs the viewport to draw at. */
	if (sc->manager && viewer->viewport) {
		sc->fractional = wp_fractional_scale_manager_v1_get_fractional_scale(
			sc->manager, viewer->surface);
		wp_fractional_scale_v1_add_listener(sc->fractional, &fractional_listener, viewer);
	}
}

void scale_finish(struct viewer *viewer)
{
	struct viewer_scale *sc = &viewer->scale;

	if (sc->fractional)
		wp_fractional_scale_v1_destroy(sc->fractional);
	if (sc->manager)
		wp_fractional_scale_manager_v1_destroy(sc->manager);
	for (unsigned int i = 0; i < MAX_OUTPUTS; i++) {
		struct viewer_output *out = &sc->outputs[i];

		if (!out->output)
			continue;
		if (wl_output_get_version(out->output) >= WL_OUTPUT_RELEASE_SINCE_VERSION)
			wl_output_release(out->output);
		else
			wl_output_destroy(out->output);
	}
	memset(sc, 0, sizeof(*sc));
}
