// SPDX-License-Identifier: MIT
/*
 * vdmabuf-compositor: a small kiosk compositor whose outputs are windows
 * on the VM's host, built on the wlr-vdmabuf backend. Every toplevel
 * fills its output; the newest has the focus. Keyboards, pointers and
 * touch devices the backends offer (the host window's, from the vdmabuf
 * backend) drive the seat.
 *
 * Several outputs (the host opens and closes windows, spec §20): a new
 * toplevel opens on the output of the lowest id that shows none, else on
 * the focused toplevel's output; that output is its home. When an output
 * goes, its toplevels move to the remaining output of the lowest id,
 * behind what it shows; when an output of their home's id comes back,
 * they return to it. So a client started while the host shows a new,
 * empty window opens there.
 *
 * Pointer constraints and relative motion (pointer-constraints-unstable-v1,
 * relative-pointer-unstable-v1): when the pointer's surface has a
 * constraint it is activated, and the output tells the host, which then
 * locks its pointer (and sends relative motion only) or confines it to
 * its window; the cursor itself is the host's to draw.
 *
 * Selections: clients set the clipboard and the primary selection
 * (wl_data_device, primary-selection-unstable-v1, and wlr-data-control for
 * tools such as wl-copy), and the backend shares both with the host
 * unless --no-clipboard.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wayland-server-core.h>
#include <wlr/backend.h>
#include <wlr/render/allocator.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_cursor.h>
#include <wlr/types/wlr_data_control_v1.h>
#include <wlr/types/wlr_data_device.h>
#include <wlr/types/wlr_fractional_scale_v1.h>
#include <wlr/types/wlr_input_device.h>
#include <wlr/types/wlr_keyboard.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_pointer.h>
#include <wlr/types/wlr_pointer_constraints_v1.h>
#include <wlr/types/wlr_presentation_time.h>
#include <wlr/types/wlr_primary_selection.h>
#include <wlr/types/wlr_primary_selection_v1.h>
#include <wlr/types/wlr_relative_pointer_v1.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_subcompositor.h>
#include <wlr/types/wlr_touch.h>
#include <wlr/types/wlr_viewporter.h>
#include <wlr/types/wlr_xcursor_manager.h>
#include <wlr/types/wlr_xdg_shell.h>
#include <wlr/util/log.h>
#include <wlr/util/region.h>
#include <xkbcommon/xkbcommon.h>

#include "vdmabuf.h"		/* VDMABUF_MAX_OUTPUTS */
#include "wlr-vdmabuf.h"

struct server {
	bool fixed_mode;		/* --fixed: the host's window does not resize us */
	bool no_clipboard;		/* --no-clipboard: selections stay the guest's */
	struct wl_display *display;
	struct wlr_backend *backend;
	struct wlr_renderer *renderer;
	struct wlr_allocator *allocator;
	struct wlr_vdmabuf_explicit_sync *explicit_sync;	/* NULL: not offered */
	struct wlr_scene *scene;
	struct wlr_scene_output_layout *scene_layout;
	struct wlr_output_layout *output_layout;
	struct wlr_xdg_shell *xdg_shell;
	struct wlr_seat *seat;
	struct wlr_cursor *cursor;
	struct wlr_xcursor_manager *cursor_manager;
	struct wlr_pointer_constraints_v1 *constraints;
	struct wlr_relative_pointer_manager_v1 *relative_pointer;
	struct wlr_pointer_constraint_v1 *active_constraint;	/* NULL: none */
	struct wl_listener new_constraint;
	struct wl_listener constraint_destroy;	/* the active one's */
	struct wl_list outputs;		/* output.link */
	struct wl_list toplevels;	/* toplevel.link, mapped, newest first */
	struct wl_list all_toplevels;	/* toplevel.all_link, mapped or not */
	struct wl_listener layout_change;
	struct wl_list keyboards;	/* keyboard.link */
	unsigned int touch_devices;
	/* Touch points down: where each one's surface lies in the layout. */
	struct touch_origin {
		int32_t id;
		double x, y;
		bool down;
	} touches[16];
	const char *stats_path;
	FILE *times;			/* --times: each presented frame's time */
	pid_t kiosk_pid;
	int exit_status;

	struct wl_listener new_output;
	struct wl_listener new_input;
	struct wl_listener new_toplevel;
	struct wl_listener cursor_motion;
	struct wl_listener cursor_motion_absolute;
	struct wl_listener cursor_button;
	struct wl_listener cursor_axis;
	struct wl_listener cursor_frame;
	struct wl_listener touch_down;
	struct wl_listener touch_up;
	struct wl_listener touch_motion;
	struct wl_listener touch_cancel;
	struct wl_listener touch_frame;
	struct wl_listener request_set_cursor;
	struct wl_listener request_set_selection;
	struct wl_listener request_set_primary_selection;
};

struct output {
	struct server *server;
	struct wlr_output *wlr_output;
	uint32_t id;			/* the vdmabuf output's, the host's too */
	struct wlr_scene_output *scene_output;
	struct wl_list link;
	struct wl_listener frame;
	struct wl_listener request_state;
	struct wl_listener present;
	struct wl_listener destroy;
};

struct toplevel {
	struct server *server;
	struct wlr_xdg_toplevel *xdg;
	struct wlr_scene_tree *tree;
	struct output *output;		/* where it is shown; NULL: no output */
	uint32_t home;			/* the id of the output it opened on */
	bool placed;			/* home chosen */
	int width, height;		/* the size it was last asked for */
	struct wl_list link;
	struct wl_list all_link;	/* server.all_toplevels */
	struct wl_listener commit;
	struct wl_listener map;
	struct wl_listener unmap;
	struct wl_listener destroy;
};

struct touch_device {
	struct server *server;
	struct wl_listener destroy;
};

struct keyboard {
	struct server *server;
	struct wlr_keyboard *wlr_keyboard;
	struct wl_list link;
	struct wl_listener modifiers;
	struct wl_listener key;
	struct wl_listener destroy;
};

/* Toplevels: each fills its output. */

/* The output of the lowest id, but not skip; NULL: none. */
static struct output *first_output(struct server *server, struct output *skip)
{
	struct output *output, *first = NULL;

	wl_list_for_each(output, &server->outputs, link)
		if (output != skip && (!first || output->id < first->id))
			first = output;
	return first;
}

/* Where a new toplevel opens: the lowest id showing none, else the focus's. */
static struct output *pick_output(struct server *server)
{
	struct output *output, *empty = NULL;
	struct toplevel *toplevel;

	wl_list_for_each(output, &server->outputs, link) {
		bool shows = false;

		wl_list_for_each(toplevel, &server->all_toplevels, all_link)
			shows |= toplevel->output == output;
		if (!shows && (!empty || output->id < empty->id))
			empty = output;
	}
	if (empty)
		return empty;
	if (!wl_list_empty(&server->toplevels)) {
		toplevel = wl_container_of(server->toplevels.next, toplevel, link);
		if (toplevel->output)
			return toplevel->output;
	}
	return first_output(server, NULL);
}

/* Shows toplevel on output (NULL: nowhere), filling it. */
static void toplevel_place(struct toplevel *toplevel, struct output *output)
{
	struct wlr_box box = { 0 };

	toplevel->output = output;
	if (output)
		wlr_output_layout_get_box(toplevel->server->output_layout, output->wlr_output,
					  &box);
	wlr_scene_node_set_enabled(&toplevel->tree->node, output != NULL);
	wlr_scene_node_set_position(&toplevel->tree->node, box.x, box.y);
	if (box.width <= 0 || box.height <= 0)
		return;
	if (box.width == toplevel->width && box.height == toplevel->height)
		return;
	toplevel->width = box.width;
	toplevel->height = box.height;
	wlr_xdg_toplevel_set_size(toplevel->xdg, box.width, box.height);
}

static void toplevel_fit(struct toplevel *toplevel)
{
	toplevel_place(toplevel, toplevel->output);
}

static void focus(struct toplevel *toplevel)
{
	struct wlr_seat *seat = toplevel->server->seat;
	struct wlr_surface *surface = toplevel->xdg->base->surface;
	struct wlr_surface *previous = seat->keyboard_state.focused_surface;
	struct wlr_keyboard *keyboard = wlr_seat_get_keyboard(seat);
	struct wlr_xdg_toplevel *prev_toplevel;

	if (previous == surface)
		return;
	if (previous && (prev_toplevel = wlr_xdg_toplevel_try_from_wlr_surface(previous)))
		wlr_xdg_toplevel_set_activated(prev_toplevel, false);
	wlr_scene_node_raise_to_top(&toplevel->tree->node);
	wlr_xdg_toplevel_set_activated(toplevel->xdg, true);
	if (keyboard)
		wlr_seat_keyboard_notify_enter(seat, surface, keyboard->keycodes,
					       keyboard->num_keycodes, &keyboard->modifiers);
	else
		wlr_seat_keyboard_notify_enter(seat, surface, NULL, 0, NULL);
}

static void toplevel_handle_commit(struct wl_listener *listener, void *data)
{
	struct toplevel *toplevel = wl_container_of(listener, toplevel, commit);

	if (!toplevel->xdg->base->initial_commit)
		return;
	if (!toplevel->placed) {
		struct output *output = pick_output(toplevel->server);

		toplevel->placed = true;
		toplevel->output = output;
		toplevel->home = output ? output->id : 0;
		wlr_log(WLR_INFO, "toplevel %s opens on %s", toplevel->xdg->app_id ?
			toplevel->xdg->app_id : "(no app id)",
			output ? output->wlr_output->name : "no output");
	}
	toplevel->width = toplevel->height = 0;	/* the initial configure */
	toplevel_fit(toplevel);
}

static void toplevel_handle_map(struct wl_listener *listener, void *data)
{
	struct toplevel *toplevel = wl_container_of(listener, toplevel, map);

	wl_list_insert(&toplevel->server->toplevels, &toplevel->link);
	focus(toplevel);
}

static void toplevel_handle_unmap(struct wl_listener *listener, void *data)
{
	struct toplevel *toplevel = wl_container_of(listener, toplevel, unmap);
	struct server *server = toplevel->server;

	wl_list_remove(&toplevel->link);
	wl_list_init(&toplevel->link);
	if (!wl_list_empty(&server->toplevels))
		focus(wl_container_of(server->toplevels.next, toplevel, link));
}

static void toplevel_handle_destroy(struct wl_listener *listener, void *data)
{
	struct toplevel *toplevel = wl_container_of(listener, toplevel, destroy);

	wl_list_remove(&toplevel->commit.link);
	wl_list_remove(&toplevel->map.link);
	wl_list_remove(&toplevel->unmap.link);
	wl_list_remove(&toplevel->destroy.link);
	wl_list_remove(&toplevel->all_link);
	free(toplevel);
}

static void handle_new_toplevel(struct wl_listener *listener, void *data)
{
	struct server *server = wl_container_of(listener, server, new_toplevel);
	struct wlr_xdg_toplevel *xdg = data;
	struct toplevel *toplevel = calloc(1, sizeof(*toplevel));

	if (!toplevel)
		return;
	toplevel->server = server;
	toplevel->xdg = xdg;
	toplevel->tree = wlr_scene_xdg_surface_create(&server->scene->tree, xdg->base);
	wl_list_init(&toplevel->link);
	wl_list_insert(&server->all_toplevels, &toplevel->all_link);
	toplevel->commit.notify = toplevel_handle_commit;
	wl_signal_add(&xdg->base->surface->events.commit, &toplevel->commit);
	toplevel->map.notify = toplevel_handle_map;
	wl_signal_add(&xdg->base->surface->events.map, &toplevel->map);
	toplevel->unmap.notify = toplevel_handle_unmap;
	wl_signal_add(&xdg->base->surface->events.unmap, &toplevel->unmap);
	toplevel->destroy.notify = toplevel_handle_destroy;
	wl_signal_add(&xdg->events.destroy, &toplevel->destroy);
}

/* Outputs */

static void output_handle_frame(struct wl_listener *listener, void *data)
{
	struct output *output = wl_container_of(listener, output, frame);
	struct timespec now;

	/* A client's buffer still being rendered: the host keeps this frame. */
	if (!wlr_vdmabuf_explicit_sync_output_ready(output->server->explicit_sync,
						    output->scene_output))
		return;
	wlr_scene_output_commit(output->scene_output, NULL);
	clock_gettime(CLOCK_MONOTONIC, &now);
	wlr_scene_output_send_frame_done(output->scene_output, &now);
}

/* The host's window changed size: follow it, and so do the clients. */
static void output_handle_request_state(struct wl_listener *listener, void *data)
{
	struct output *output = wl_container_of(listener, output, request_state);
	const struct wlr_output_event_request_state *event = data;
	struct toplevel *toplevel;

	if (output->server->fixed_mode) {
		wlr_log(WLR_INFO, "output %s: keeping its mode (--fixed); the host scales it",
			output->wlr_output->name);
		return;
	}
	if (!wlr_output_commit_state(output->wlr_output, event->state)) {
		wlr_log(WLR_ERROR, "output %s: requested state refused", output->wlr_output->name);
		return;
	}
	wlr_log(WLR_INFO, "output %s: now %dx%d", output->wlr_output->name,
		output->wlr_output->width, output->wlr_output->height);
	wl_list_for_each(toplevel, &output->server->all_toplevels, all_link)
		if (toplevel->output == output)
			toplevel_fit(toplevel);
}

/* Outputs came, went or changed: every toplevel follows its output's box. */
static void handle_layout_change(struct wl_listener *listener, void *data)
{
	struct server *server = wl_container_of(listener, server, layout_change);
	struct toplevel *toplevel;

	wl_list_for_each(toplevel, &server->all_toplevels, all_link)
		if (toplevel->output)
			toplevel_fit(toplevel);
}

static void write_stats(struct server *server, FILE *f)
{
	struct output *output;

	wl_list_for_each(output, &server->outputs, link) {
		struct wlr_vdmabuf_output_stats s;

		if (!wlr_output_is_vdmabuf(output->wlr_output))
			continue;
		wlr_vdmabuf_output_get_stats(output->wlr_output, &s);
		fprintf(f, "output %s: %dx%d exports=%" PRIu64 " frames=%" PRIu64
			" composited=%" PRIu64 " composited_bytes=%" PRIu64 " direct=%" PRIu64
			" discarded=%" PRIu64
			" releases=%" PRIu64 " presented=%" PRIu64 " fallback_frames=%" PRIu64
			" resets=%" PRIu64 " in_flight=%u consumers=%u release_points=%" PRIu64
			" host_times=%" PRIu64 "\n",
			output->wlr_output->name, output->wlr_output->width,
			output->wlr_output->height, s.exports, s.frames, s.composited,
			s.composited_bytes, s.direct,
			s.discarded, s.releases, s.presented, s.fallback_frames, s.resets,
			s.in_flight, s.consumers,
			wlr_vdmabuf_explicit_sync_released(server->explicit_sync), s.host_times);
	}
}

/* --times: the time clients are told their frame was shown, by commit. */
static void output_handle_present(struct wl_listener *listener, void *data)
{
	struct output *output = wl_container_of(listener, output, present);
	struct wlr_output_event_present *event = data;
	FILE *times = output->server->times;

	if (times && event->presented && event->when)
		fprintf(times, "%" PRIu32 " %" PRIu64 "\n", event->commit_seq,
			(uint64_t)event->when->tv_sec * 1000000000u +
			(uint64_t)event->when->tv_nsec);
}

/*
 * The output goes (the host closed its window): its toplevels move to the
 * remaining output of the lowest id, behind what that one shows, and the
 * focus with them only if that output shows nothing else.
 */
static void output_handle_destroy(struct wl_listener *listener, void *data)
{
	struct output *output = wl_container_of(listener, output, destroy);
	struct server *server = output->server;
	struct output *dest = first_output(server, output);
	struct wlr_surface *focused = server->seat->keyboard_state.focused_surface;
	struct toplevel *toplevel, *next_focus = NULL;
	bool lost_focus = false;
	unsigned int moved = 0;

	wl_list_for_each(toplevel, &server->toplevels, link)
		if (dest && toplevel->output == dest && !next_focus)
			next_focus = toplevel;
	wl_list_for_each(toplevel, &server->all_toplevels, all_link) {
		if (toplevel->output != output)
			continue;
		lost_focus |= focused && toplevel->xdg->base->surface == focused;
		toplevel_place(toplevel, dest);
		wlr_scene_node_lower_to_bottom(&toplevel->tree->node);
		moved++;
	}
	if (moved)
		wlr_log(WLR_INFO, "output %s gone: %u toplevels moved to %s", output->wlr_output->name,
			moved, dest ? dest->wlr_output->name : "no output");
	if (lost_focus && next_focus)
		focus(next_focus);

	wl_list_remove(&output->frame.link);
	wl_list_remove(&output->request_state.link);
	wl_list_remove(&output->present.link);
	wl_list_remove(&output->destroy.link);
	wl_list_remove(&output->link);
	free(output);
}

static void handle_new_output(struct wl_listener *listener, void *data)
{
	struct server *server = wl_container_of(listener, server, new_output);
	struct wlr_output *wlr_output = data;
	struct wlr_output_layout_output *layout_output;
	struct wlr_output_state state;
	struct toplevel *toplevel;
	struct output *output;

	if (!wlr_output_init_render(wlr_output, server->allocator, server->renderer))
		return;
	wlr_output_state_init(&state);
	wlr_output_state_set_enabled(&state, true);
	if (!wlr_output_commit_state(wlr_output, &state)) {
		wlr_log(WLR_ERROR, "output %s: cannot enable", wlr_output->name);
		wlr_output_state_finish(&state);
		return;
	}
	wlr_output_state_finish(&state);

	output = calloc(1, sizeof(*output));
	if (!output)
		return;
	output->server = server;
	output->wlr_output = wlr_output;
	output->frame.notify = output_handle_frame;
	wl_signal_add(&wlr_output->events.frame, &output->frame);
	output->request_state.notify = output_handle_request_state;
	wl_signal_add(&wlr_output->events.request_state, &output->request_state);
	output->present.notify = output_handle_present;
	wl_signal_add(&wlr_output->events.present, &output->present);
	output->destroy.notify = output_handle_destroy;
	wl_signal_add(&wlr_output->events.destroy, &output->destroy);
	wl_list_insert(&server->outputs, &output->link);

	output->id = wlr_output_is_vdmabuf(wlr_output) ? wlr_vdmabuf_output_get_id(wlr_output) : 0;
	layout_output = wlr_output_layout_add_auto(server->output_layout, wlr_output);
	output->scene_output = wlr_scene_output_create(server->scene, wlr_output);
	wlr_scene_output_layout_add_output(server->scene_layout, layout_output,
					   output->scene_output);
	wlr_log(WLR_INFO, "output %s: %dx%d", wlr_output->name, wlr_output->width,
		wlr_output->height);
	/* Toplevels whose home this is come back; those with no output come here. */
	wl_list_for_each(toplevel, &server->all_toplevels, all_link) {
		if (!toplevel->placed || toplevel->output == output)
			continue;
		if (toplevel->home == output->id || !toplevel->output) {
			toplevel_place(toplevel, output);
			wlr_scene_node_raise_to_top(&toplevel->tree->node);
			wlr_log(WLR_INFO, "toplevel back on %s", wlr_output->name);
		}
	}
}

/* Input */

static void keyboard_handle_modifiers(struct wl_listener *listener, void *data)
{
	struct keyboard *keyboard = wl_container_of(listener, keyboard, modifiers);

	wlr_seat_set_keyboard(keyboard->server->seat, keyboard->wlr_keyboard);
	wlr_seat_keyboard_notify_modifiers(keyboard->server->seat,
					   &keyboard->wlr_keyboard->modifiers);
}

static void keyboard_handle_key(struct wl_listener *listener, void *data)
{
	struct keyboard *keyboard = wl_container_of(listener, keyboard, key);
	struct wlr_keyboard_key_event *event = data;

	wlr_seat_set_keyboard(keyboard->server->seat, keyboard->wlr_keyboard);
	wlr_seat_keyboard_notify_key(keyboard->server->seat, event->time_msec,
				     event->keycode, event->state);
}

static void keyboard_handle_destroy(struct wl_listener *listener, void *data)
{
	struct keyboard *keyboard = wl_container_of(listener, keyboard, destroy);

	wl_list_remove(&keyboard->modifiers.link);
	wl_list_remove(&keyboard->key.link);
	wl_list_remove(&keyboard->destroy.link);
	wl_list_remove(&keyboard->link);
	free(keyboard);
}

static void add_keyboard(struct server *server, struct wlr_input_device *device)
{
	struct wlr_keyboard *wlr_keyboard = wlr_keyboard_from_input_device(device);
	struct xkb_context *context = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	struct xkb_keymap *keymap = xkb_keymap_new_from_names(context, NULL,
							      XKB_KEYMAP_COMPILE_NO_FLAGS);
	struct keyboard *keyboard = calloc(1, sizeof(*keyboard));

	if (keymap)
		wlr_keyboard_set_keymap(wlr_keyboard, keymap);
	xkb_keymap_unref(keymap);
	xkb_context_unref(context);
	if (!keyboard)
		return;
	keyboard->server = server;
	keyboard->wlr_keyboard = wlr_keyboard;
	keyboard->modifiers.notify = keyboard_handle_modifiers;
	wl_signal_add(&wlr_keyboard->events.modifiers, &keyboard->modifiers);
	keyboard->key.notify = keyboard_handle_key;
	wl_signal_add(&wlr_keyboard->events.key, &keyboard->key);
	keyboard->destroy.notify = keyboard_handle_destroy;
	wl_signal_add(&device->events.destroy, &keyboard->destroy);
	wl_list_insert(&server->keyboards, &keyboard->link);
	wlr_seat_set_keyboard(server->seat, wlr_keyboard);
}

static void update_capabilities(struct server *server)
{
	uint32_t caps = WL_SEAT_CAPABILITY_POINTER;

	if (!wl_list_empty(&server->keyboards))
		caps |= WL_SEAT_CAPABILITY_KEYBOARD;
	if (server->touch_devices)
		caps |= WL_SEAT_CAPABILITY_TOUCH;
	wlr_seat_set_capabilities(server->seat, caps);
}

static void touch_device_handle_destroy(struct wl_listener *listener, void *data)
{
	struct touch_device *touch = wl_container_of(listener, touch, destroy);
	struct server *server = touch->server;

	wl_list_remove(&touch->destroy.link);
	free(touch);
	server->touch_devices--;
	update_capabilities(server);
}

/* A touch device's positions are mapped to the layout by the cursor. */
static void add_touch(struct server *server, struct wlr_input_device *device)
{
	struct touch_device *touch = calloc(1, sizeof(*touch));

	if (!touch)
		return;
	touch->server = server;
	touch->destroy.notify = touch_device_handle_destroy;
	wl_signal_add(&device->events.destroy, &touch->destroy);
	wlr_cursor_attach_input_device(server->cursor, device);
	server->touch_devices++;
}

/* A device of one output's window (the vdmabuf backend's) moves over that output. */
static void map_to_output(struct server *server, struct wlr_input_device *device,
			  const char *name)
{
	struct output *output;

	if (!name)
		return;
	wl_list_for_each(output, &server->outputs, link) {
		if (!strcmp(output->wlr_output->name, name)) {
			wlr_cursor_map_input_to_output(server->cursor, device, output->wlr_output);
			return;
		}
	}
}

static void handle_new_input(struct wl_listener *listener, void *data)
{
	struct server *server = wl_container_of(listener, server, new_input);
	struct wlr_input_device *device = data;

	switch (device->type) {
	case WLR_INPUT_DEVICE_KEYBOARD:
		add_keyboard(server, device);
		break;
	case WLR_INPUT_DEVICE_POINTER:
		wlr_cursor_attach_input_device(server->cursor, device);
		map_to_output(server, device, wlr_pointer_from_input_device(device)->output_name);
		break;
	case WLR_INPUT_DEVICE_TOUCH:
		add_touch(server, device);
		map_to_output(server, device, wlr_touch_from_input_device(device)->output_name);
		break;
	default:
		break;
	}
	update_capabilities(server);
}

/* What lies at a layout position: a surface, and the position on it. */
static struct wlr_surface *surface_at(struct server *server, double lx, double ly,
				      double *sx, double *sy)
{
	struct wlr_scene_node *node = wlr_scene_node_at(&server->scene->tree.node, lx, ly, sx, sy);
	struct wlr_scene_surface *scene_surface = NULL;

	if (node && node->type == WLR_SCENE_NODE_BUFFER)
		scene_surface = wlr_scene_surface_try_from_buffer(wlr_scene_buffer_from_node(node));
	return scene_surface ? scene_surface->surface : NULL;
}

/* Pointer constraints: the pointer's surface's one is active. */

static void tell_outputs(struct server *server, enum wlr_vdmabuf_pointer_constraint constraint)
{
	struct output *output;

	wl_list_for_each(output, &server->outputs, link)
		if (wlr_output_is_vdmabuf(output->wlr_output))
			wlr_vdmabuf_output_set_pointer_constraint(output->wlr_output, constraint);
}

static void activate_constraint(struct server *server, struct wlr_pointer_constraint_v1 *constraint)
{
	struct wlr_pointer_constraint_v1 *previous = server->active_constraint;

	if (previous == constraint)
		return;
	if (previous) {
		/* Deactivating a oneshot constraint destroys it: forget it first. */
		wl_list_remove(&server->constraint_destroy.link);
		wl_list_init(&server->constraint_destroy.link);
		server->active_constraint = NULL;
		wlr_pointer_constraint_v1_send_deactivated(previous);
	}
	server->active_constraint = constraint;
	if (!constraint) {
		tell_outputs(server, WLR_VDMABUF_POINTER_NONE);
		return;
	}
	wl_signal_add(&constraint->events.destroy, &server->constraint_destroy);
	wlr_pointer_constraint_v1_send_activated(constraint);
	tell_outputs(server, constraint->type == WLR_POINTER_CONSTRAINT_V1_LOCKED ?
		     WLR_VDMABUF_POINTER_LOCKED : WLR_VDMABUF_POINTER_CONFINED);
}

static void handle_constraint_destroy(struct wl_listener *listener, void *data)
{
	struct server *server = wl_container_of(listener, server, constraint_destroy);

	wl_list_remove(&server->constraint_destroy.link);
	wl_list_init(&server->constraint_destroy.link);
	server->active_constraint = NULL;
	tell_outputs(server, WLR_VDMABUF_POINTER_NONE);
}

static void update_constraint(struct server *server)
{
	struct wlr_surface *surface = server->seat->pointer_state.focused_surface;

	activate_constraint(server, surface ?
		wlr_pointer_constraints_v1_constraint_for_surface(server->constraints, surface,
								  server->seat) : NULL);
}

static void handle_new_constraint(struct wl_listener *listener, void *data)
{
	struct server *server = wl_container_of(listener, server, new_constraint);
	struct wlr_pointer_constraint_v1 *constraint = data;

	if (constraint->surface == server->seat->pointer_state.focused_surface)
		activate_constraint(server, constraint);
}

/* The pointer goes to whatever surface is under it. */
static void pointer_focus(struct server *server, uint32_t time_msec)
{
	double sx, sy;
	struct wlr_surface *surface = surface_at(server, server->cursor->x, server->cursor->y,
						 &sx, &sy);

	if (!surface) {
		wlr_cursor_set_xcursor(server->cursor, server->cursor_manager, "default");
		wlr_seat_pointer_clear_focus(server->seat);
		update_constraint(server);
		return;
	}
	wlr_seat_pointer_notify_enter(server->seat, surface, sx, sy);
	update_constraint(server);
	wlr_seat_pointer_notify_motion(server->seat, time_msec, sx, sy);
}

/*
 * Motion by (dx, dy) in the layout: the client hears it as relative
 * motion whatever the constraint; a locked pointer stays put, a confined
 * one stays in its region. Returns whether the cursor may go there.
 */
static bool pointer_motion(struct server *server, uint32_t time_msec, double *dx, double *dy,
			   double unaccel_dx, double unaccel_dy)
{
	struct wlr_pointer_constraint_v1 *constraint = server->active_constraint;
	double sx, sy, sx_confined, sy_confined;

	if (*dx || *dy || unaccel_dx || unaccel_dy)
		wlr_relative_pointer_manager_v1_send_relative_motion(server->relative_pointer,
			server->seat, (uint64_t)time_msec * 1000, *dx, *dy, unaccel_dx,
			unaccel_dy);
	if (!constraint)
		return true;
	if (constraint->type == WLR_POINTER_CONSTRAINT_V1_LOCKED)
		return false;
	if (surface_at(server, server->cursor->x, server->cursor->y, &sx, &sy) !=
	    constraint->surface)
		return true;
	if (!wlr_region_confine(&constraint->region, sx, sy, sx + *dx, sy + *dy, &sx_confined,
				&sy_confined))
		return false;
	*dx = sx_confined - sx;
	*dy = sy_confined - sy;
	return true;
}

static void handle_cursor_motion(struct wl_listener *listener, void *data)
{
	struct server *server = wl_container_of(listener, server, cursor_motion);
	struct wlr_pointer_motion_event *event = data;
	double dx = event->delta_x, dy = event->delta_y;

	if (!pointer_motion(server, event->time_msec, &dx, &dy, event->unaccel_dx,
			    event->unaccel_dy))
		return;
	wlr_cursor_move(server->cursor, &event->pointer->base, dx, dy);
	pointer_focus(server, event->time_msec);
}

static void handle_cursor_motion_absolute(struct wl_listener *listener, void *data)
{
	struct server *server = wl_container_of(listener, server, cursor_motion_absolute);
	struct wlr_pointer_motion_absolute_event *event = data;
	double lx, ly, dx, dy;

	wlr_cursor_absolute_to_layout_coords(server->cursor, &event->pointer->base, event->x,
					     event->y, &lx, &ly);
	dx = lx - server->cursor->x;
	dy = ly - server->cursor->y;
	if (!pointer_motion(server, event->time_msec, &dx, &dy, dx, dy))
		return;
	if (dx == lx - server->cursor->x && dy == ly - server->cursor->y)
		wlr_cursor_warp_absolute(server->cursor, &event->pointer->base, event->x,
					 event->y);
	else
		wlr_cursor_move(server->cursor, &event->pointer->base, dx, dy);
	pointer_focus(server, event->time_msec);
}

static void handle_cursor_button(struct wl_listener *listener, void *data)
{
	struct server *server = wl_container_of(listener, server, cursor_button);
	struct wlr_pointer_button_event *event = data;

	wlr_seat_pointer_notify_button(server->seat, event->time_msec, event->button,
				       event->state);
}

static void handle_cursor_axis(struct wl_listener *listener, void *data)
{
	struct server *server = wl_container_of(listener, server, cursor_axis);
	struct wlr_pointer_axis_event *event = data;

	wlr_seat_pointer_notify_axis(server->seat, event->time_msec, event->orientation,
				     event->delta, event->delta_discrete, event->source,
				     event->relative_direction);
}

static void handle_cursor_frame(struct wl_listener *listener, void *data)
{
	struct server *server = wl_container_of(listener, server, cursor_frame);

	wlr_seat_pointer_notify_frame(server->seat);
}

/* Touch: each point belongs to the surface it went down on. */

static struct touch_origin *touch_find(struct server *server, int32_t id, bool add)
{
	struct touch_origin *free_slot = NULL;

	for (size_t i = 0; i < sizeof(server->touches) / sizeof(server->touches[0]); i++) {
		struct touch_origin *t = &server->touches[i];

		if (t->down && t->id == id)
			return t;
		if (!t->down && !free_slot)
			free_slot = t;
	}
	return add ? free_slot : NULL;
}

static void handle_touch_down(struct wl_listener *listener, void *data)
{
	struct server *server = wl_container_of(listener, server, touch_down);
	struct wlr_touch_down_event *event = data;
	struct wlr_surface *surface;
	struct touch_origin *t;
	double lx, ly, sx, sy;

	wlr_cursor_absolute_to_layout_coords(server->cursor, &event->touch->base, event->x,
					     event->y, &lx, &ly);
	surface = surface_at(server, lx, ly, &sx, &sy);
	t = touch_find(server, event->touch_id, true);
	if (!surface || !t)
		return;
	*t = (struct touch_origin){ .id = event->touch_id, .x = lx - sx, .y = ly - sy,
				    .down = true };
	wlr_seat_touch_notify_down(server->seat, surface, event->time_msec, event->touch_id,
				   sx, sy);
}

static void handle_touch_motion(struct wl_listener *listener, void *data)
{
	struct server *server = wl_container_of(listener, server, touch_motion);
	struct wlr_touch_motion_event *event = data;
	struct touch_origin *t = touch_find(server, event->touch_id, false);
	double lx, ly;

	if (!t)
		return;
	wlr_cursor_absolute_to_layout_coords(server->cursor, &event->touch->base, event->x,
					     event->y, &lx, &ly);
	wlr_seat_touch_notify_motion(server->seat, event->time_msec, event->touch_id,
				     lx - t->x, ly - t->y);
}

static void handle_touch_up(struct wl_listener *listener, void *data)
{
	struct server *server = wl_container_of(listener, server, touch_up);
	struct wlr_touch_up_event *event = data;
	struct touch_origin *t = touch_find(server, event->touch_id, false);

	if (!t)
		return;
	t->down = false;
	wlr_seat_touch_notify_up(server->seat, event->time_msec, event->touch_id);
}

static void handle_touch_cancel(struct wl_listener *listener, void *data)
{
	struct server *server = wl_container_of(listener, server, touch_cancel);
	struct wlr_seat_client *clients[16];
	struct wlr_touch_point *point;
	size_t n = 0;

	/* Cancelling a client ends its points: collect the clients first. */
	wl_list_for_each(point, &server->seat->touch_state.touch_points, link) {
		bool seen = false;

		for (size_t i = 0; i < n; i++)
			seen = seen || clients[i] == point->client;
		if (!seen && n < sizeof(clients) / sizeof(clients[0]))
			clients[n++] = point->client;
	}
	for (size_t i = 0; i < n; i++)
		wlr_seat_touch_notify_cancel(server->seat, clients[i]);
	for (size_t i = 0; i < sizeof(server->touches) / sizeof(server->touches[0]); i++)
		server->touches[i].down = false;
}

static void handle_touch_frame(struct wl_listener *listener, void *data)
{
	struct server *server = wl_container_of(listener, server, touch_frame);

	wlr_seat_touch_notify_frame(server->seat);
}

static void handle_request_set_cursor(struct wl_listener *listener, void *data)
{
	struct server *server = wl_container_of(listener, server, request_set_cursor);
	struct wlr_seat_pointer_request_set_cursor_event *event = data;

	if (event->seat_client == server->seat->pointer_state.focused_client)
		wlr_cursor_set_surface(server->cursor, event->surface, event->hotspot_x,
				       event->hotspot_y);
}

/* A client (or wlr-data-control) sets a selection: it is the seat's. */
static void handle_request_set_selection(struct wl_listener *listener, void *data)
{
	struct server *server = wl_container_of(listener, server, request_set_selection);
	struct wlr_seat_request_set_selection_event *event = data;

	wlr_seat_set_selection(server->seat, event->source, event->serial);
}

static void handle_request_set_primary_selection(struct wl_listener *listener, void *data)
{
	struct server *server = wl_container_of(listener, server, request_set_primary_selection);
	struct wlr_seat_request_set_primary_selection_event *event = data;

	wlr_seat_set_primary_selection(server->seat, event->source, event->serial);
}

static void setup_input(struct server *server)
{
	server->seat = wlr_seat_create(server->display, "seat0");
	server->cursor = wlr_cursor_create();
	wlr_cursor_attach_output_layout(server->cursor, server->output_layout);
	server->cursor_manager = wlr_xcursor_manager_create(NULL, 24);
	wl_list_init(&server->keyboards);
#define LISTEN(signal, field, fn) \
	do { server->field.notify = fn; wl_signal_add(signal, &server->field); } while (0)
	LISTEN(&server->backend->events.new_input, new_input, handle_new_input);
	LISTEN(&server->cursor->events.motion, cursor_motion, handle_cursor_motion);
	LISTEN(&server->cursor->events.motion_absolute, cursor_motion_absolute,
	       handle_cursor_motion_absolute);
	LISTEN(&server->cursor->events.button, cursor_button, handle_cursor_button);
	LISTEN(&server->cursor->events.axis, cursor_axis, handle_cursor_axis);
	LISTEN(&server->cursor->events.frame, cursor_frame, handle_cursor_frame);
	LISTEN(&server->cursor->events.touch_down, touch_down, handle_touch_down);
	LISTEN(&server->cursor->events.touch_up, touch_up, handle_touch_up);
	LISTEN(&server->cursor->events.touch_motion, touch_motion, handle_touch_motion);
	LISTEN(&server->cursor->events.touch_cancel, touch_cancel, handle_touch_cancel);
	LISTEN(&server->cursor->events.touch_frame, touch_frame, handle_touch_frame);
	LISTEN(&server->seat->events.request_set_cursor, request_set_cursor,
	       handle_request_set_cursor);
	LISTEN(&server->seat->events.request_set_selection, request_set_selection,
	       handle_request_set_selection);
	LISTEN(&server->seat->events.request_set_primary_selection,
	       request_set_primary_selection, handle_request_set_primary_selection);
	server->constraints = wlr_pointer_constraints_v1_create(server->display);
	server->relative_pointer = wlr_relative_pointer_manager_v1_create(server->display);
	LISTEN(&server->constraints->events.new_constraint, new_constraint,
	       handle_new_constraint);
	server->constraint_destroy.notify = handle_constraint_destroy;
	wl_list_init(&server->constraint_destroy.link);
#undef LISTEN
}

/* Kiosk: the compositor lives as long as its command. */

static int handle_signal(int signo, void *data)
{
	struct server *server = data;
	int status;
	pid_t pid;

	if (signo == SIGUSR1) {
		write_stats(server, stderr);
		return 0;
	}
	if (signo != SIGCHLD) {
		wl_display_terminate(server->display);
		return 0;
	}
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid != server->kiosk_pid)
			continue;
		server->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		wlr_log(WLR_INFO, "kiosk command ended (%d)", server->exit_status);
		wl_display_terminate(server->display);
	}
	return 0;
}

static pid_t spawn(const char *command)
{
	pid_t pid = fork();

	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execl("/bin/sh", "/bin/sh", "-c", command, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [OPTIONS] [-s COMMAND]\n"
		"A kiosk Wayland compositor whose output is a window on the VM's host.\n\n"
		"  -s, --startup COMMAND  run COMMAND (sh -c) and exit when it does\n"
		"  -m, --mode WxH[@HZ]    initial output mode (default 1280x720@60); given\n"
		"                         again, one more output of that mode (outputs\n"
		"                         0, 1, ...: with several, the host shows each)\n"
		"  -f, --fixed            keep that mode; the host's window scales it\n"
		"  -C, --no-clipboard     do not share the clipboard with the host\n"
		"  -d, --device PATH      the vdmabuf device (default /dev/vdmabuf)\n"
		"  -S, --stats PATH       write output statistics there at exit\n"
		"  -T, --times PATH       write each frame's presentation time there, as\n"
		"                         \"commit present_ns\" (CLOCK_MONOTONIC)\n"
		"  -v, --verbose          debug logging\n"
		"  -h, --help             show this help\n"
		"SIGUSR1 prints the statistics to stderr.\n", prog);
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "startup", required_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "fixed", no_argument, NULL, 'f' },
		{ "no-clipboard", no_argument, NULL, 'C' },
		{ "device", required_argument, NULL, 'd' },
		{ "stats", required_argument, NULL, 'S' },
		{ "times", required_argument, NULL, 'T' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct server server = { .kiosk_pid = -1 };
	const char *command = NULL, *device = NULL, *socket;
	/* The outputs to start with, one per --mode. */
	struct { int width, height, hz; } modes[VDMABUF_MAX_OUTPUTS] = { { 1280, 720, 60 } };
	int num_modes = 0, width, height, hz, opt;
	enum wlr_log_importance level = WLR_INFO;
	struct wl_event_loop *loop;
	struct wlr_compositor *compositor;
	struct wl_event_source *signals[5];
	static const int signos[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGUSR1 };
	sigset_t mask;
	FILE *f;

	while ((opt = getopt_long(argc, argv, "s:m:fCd:S:T:vh", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			command = optarg;
			break;
		case 'm':
			hz = 60;
			if (sscanf(optarg, "%dx%d@%d", &width, &height, &hz) < 2 ||
			    width <= 0 || height <= 0 || hz <= 0) {
				fprintf(stderr, "bad mode '%s'\n", optarg);
				return EXIT_FAILURE;
			}
			if (num_modes == VDMABUF_MAX_OUTPUTS) {
				fprintf(stderr, "at most %d outputs\n", VDMABUF_MAX_OUTPUTS);
				return EXIT_FAILURE;
			}
			modes[num_modes].width = width;
			modes[num_modes].height = height;
			modes[num_modes++].hz = hz;
			break;
		case 'f':
			server.fixed_mode = true;
			break;
		case 'C':
			server.no_clipboard = true;
			break;
		case 'd':
			device = optarg;
			break;
		case 'S':
			server.stats_path = optarg;
			break;
		case 'T':
			server.times = fopen(optarg, "w");
			if (!server.times) {
				fprintf(stderr, "%s: %s\n", optarg, strerror(errno));
				return EXIT_FAILURE;
			}
			setvbuf(server.times, NULL, _IOLBF, 0);
			break;
		case 'v':
			level = WLR_DEBUG;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return EXIT_SUCCESS;
		default:
			usage(stderr, argv[0]);
			return EXIT_FAILURE;
		}
	}
	wlr_log_init(level, NULL);

	/* Signals arrive through the event loop; children start with none blocked. */
	sigemptyset(&mask);
	for (size_t i = 0; i < sizeof(signos) / sizeof(signos[0]); i++)
		sigaddset(&mask, signos[i]);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	server.display = wl_display_create();
	loop = wl_display_get_event_loop(server.display);
	for (size_t i = 0; i < sizeof(signos) / sizeof(signos[0]); i++)
		signals[i] = wl_event_loop_add_signal(loop, signos[i], handle_signal, &server);

	server.backend = wlr_vdmabuf_backend_create(loop, device);
	if (!server.backend)
		return EXIT_FAILURE;
	for (int i = 0; i < (num_modes ? num_modes : 1); i++)
		if (!wlr_vdmabuf_add_output(server.backend, modes[i].width, modes[i].height,
					    modes[i].hz * 1000))
			return EXIT_FAILURE;
	server.renderer = wlr_renderer_autocreate(server.backend);
	if (!server.renderer)
		return EXIT_FAILURE;
	wlr_renderer_init_wl_display(server.renderer, server.display);
	server.allocator = wlr_vdmabuf_allocator_create(server.backend, server.renderer);
	if (!server.allocator)
		return EXIT_FAILURE;

	/*
	 * Version 6: clients hear their preferred buffer scale; with the
	 * fractional scale and the viewporter a client draws at 1.5x in the
	 * output's device pixels (wlroots' scene sends the scale).
	 */
	compositor = wlr_compositor_create(server.display, 6, server.renderer);
	wlr_viewporter_create(server.display);
	wlr_fractional_scale_manager_v1_create(server.display, 1);
	server.explicit_sync = wlr_vdmabuf_explicit_sync_create(server.display, compositor,
		wlr_renderer_get_drm_fd(server.renderer));
	wlr_subcompositor_create(server.display);
	wlr_data_device_manager_create(server.display);
	wlr_primary_selection_v1_device_manager_create(server.display);
	wlr_data_control_manager_v1_create(server.display);
	wlr_presentation_create(server.display, server.backend);
	server.output_layout = wlr_output_layout_create(server.display);
	server.scene = wlr_scene_create();
	server.scene_layout = wlr_scene_attach_output_layout(server.scene, server.output_layout);
	wl_list_init(&server.outputs);
	wl_list_init(&server.toplevels);
	wl_list_init(&server.all_toplevels);
	server.layout_change.notify = handle_layout_change;
	wl_signal_add(&server.output_layout->events.change, &server.layout_change);
	server.new_output.notify = handle_new_output;
	wl_signal_add(&server.backend->events.new_output, &server.new_output);
	server.xdg_shell = wlr_xdg_shell_create(server.display, 3);
	server.new_toplevel.notify = handle_new_toplevel;
	wl_signal_add(&server.xdg_shell->events.new_toplevel, &server.new_toplevel);
	setup_input(&server);
	if (!server.no_clipboard)
		wlr_vdmabuf_backend_share_clipboard(server.backend, server.seat);

	socket = wl_display_add_socket_auto(server.display);
	if (!socket || !wlr_backend_start(server.backend)) {
		wlr_log(WLR_ERROR, "cannot start: no socket or backend");
		return EXIT_FAILURE;
	}
	setenv("WAYLAND_DISPLAY", socket, true);
	wlr_log(WLR_INFO, "running on WAYLAND_DISPLAY=%s", socket);
	if (command)
		server.kiosk_pid = spawn(command);

	wl_display_run(server.display);

	if (server.stats_path && (f = fopen(server.stats_path, "w"))) {
		write_stats(&server, f);
		fclose(f);
	}
	write_stats(&server, stderr);
	if (server.times)
		fclose(server.times);
	if (server.kiosk_pid > 0)
		kill(server.kiosk_pid, SIGTERM);
	wl_display_destroy_clients(server.display);
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (signals[i])
			wl_event_source_remove(signals[i]);
	wlr_scene_node_destroy(&server.scene->tree.node);
	wlr_xcursor_manager_destroy(server.cursor_manager);
	wlr_cursor_destroy(server.cursor);
	wlr_backend_destroy(server.backend);
	wlr_allocator_destroy(server.allocator);
	wlr_renderer_destroy(server.renderer);
	wl_display_destroy(server.display);
	return server.exit_status;
}
