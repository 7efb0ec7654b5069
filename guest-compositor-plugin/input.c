// SPDX-License-Identifier: MIT
/*
 * The host window's seat as wlroots devices: one keyboard, one pointer
 * and one touch device, announced on the backend's new_input when the
 * device has input (VDMABUF_F_INPUT), fed from the producer's INPUT and
 * KEYMAP events. Positions arrive in the host output's pixels (24.8 fixed
 * point) and leave normalised to the backend's first output, to which
 * the pointer and touch device are mapped (output_name); relative motion
 * and scroll values are 24.8 fixed point as on wl_pointer.
 *
 * With several outputs (VDMABUF_F_OUTPUTS) each output has a pointer and
 * a touch device of its own, mapped to it (output_name VDMABUF-<id>),
 * announced when the output appears and destroyed with it: an event from
 * output N's window comes from output N's devices, its position in that
 * output's pixels.
 *
 * With the host's keymap (the default) the host's modifier state is
 * mirrored as wlroots' Wayland backend does; with VDMABUF_GUEST_KEYMAP=1
 * the compositor's keymap stays and xkb follows the keys alone.
 */
#include <stdlib.h>
#include <string.h>
#include <wlr/interfaces/wlr_keyboard.h>
#include <wlr/interfaces/wlr_pointer.h>
#include <wlr/interfaces/wlr_touch.h>
#include <wlr/util/log.h>
#include <xkbcommon/xkbcommon.h>

#include "backend.h"

/* A pointer and a touch device of one output (of the first, with one window). */
struct seat_devices {
	struct wlr_pointer pointer;
	struct wlr_touch touch;
	uint32_t output;		/* its id */
	bool live;
};

struct vdmabuf_seat {
	struct vdmabuf_backend *backend;
	struct wlr_keyboard keyboard;
	struct seat_devices devices[VDMABUF_MAX_OUTPUTS];	/* by output id */
	struct xkb_context *xkb;
	bool guest_keymap;		/* the compositor's keymap, not the host's */
	bool announced;
};

static const struct wlr_keyboard_impl keyboard_impl = {
	.name = "vdmabuf-keyboard",
};

static const struct wlr_pointer_impl pointer_impl = {
	.name = "vdmabuf-pointer",
};

static const struct wlr_touch_impl touch_impl = {
	.name = "vdmabuf-touch",
};

static double from_fixed(int32_t v)
{
	return v / 256.0;
}

/* A position in the devices' output's pixels, 0..1 across it. */
static bool normalise(struct vdmabuf_seat *seat, struct seat_devices *d, int32_t x, int32_t y,
		      double *nx, double *ny)
{
	struct vdmabuf_output *output = seat->backend->multi ?
		vdmabuf_backend_find_output(seat->backend, d->output) :
		vdmabuf_backend_host_output(seat->backend);

	if (!output || output->base.width <= 0 || output->base.height <= 0)
		return false;
	*nx = from_fixed(x) / output->base.width;
	*ny = from_fixed(y) / output->base.height;
	return true;
}

/* Keyboard */

static bool key_held(struct wlr_keyboard *keyboard, uint32_t key)
{
	for (size_t i = 0; i < keyboard->num_keycodes; i++)
		if (keyboard->keycodes[i] == key)
			return true;
	return false;
}

static void notify_key(struct vdmabuf_seat *seat, uint32_t time_msec, uint32_t key,
		       bool pressed)
{
	struct wlr_keyboard_key_event event = {
		.time_msec = time_msec,
		.keycode = key,
		.update_state = seat->guest_keymap,
		.state = pressed ? WL_KEYBOARD_KEY_STATE_PRESSED : WL_KEYBOARD_KEY_STATE_RELEASED,
	};

	/* A press of a key held or a release of one not held says nothing. */
	if (key_held(&seat->keyboard, key) == pressed)
		return;
	wlr_keyboard_notify_key(&seat->keyboard, &event);
}

/* The host's focus left the window: no key stays down in the guest. */
static void release_keys(struct vdmabuf_seat *seat, uint32_t time_msec)
{
	uint32_t held[WLR_KEYBOARD_KEYS_CAP];
	size_t n = seat->keyboard.num_keycodes;

	memcpy(held, seat->keyboard.keycodes, n * sizeof(held[0]));
	for (size_t i = 0; i < n; i++)
		notify_key(seat, time_msec, held[i], false);
}

void vdmabuf_seat_handle_keymap(struct vdmabuf_seat *seat, uint32_t format, const char *text,
				uint32_t size)
{
	struct xkb_keymap *keymap;

	if (seat->guest_keymap)
		return;
	if (format != VDMABUF_KEYMAP_XKB_V1) {
		wlr_log(WLR_ERROR, "vdmabuf: host keymap of unknown format %u", format);
		return;
	}
	keymap = xkb_keymap_new_from_string(seat->xkb, text, XKB_KEYMAP_FORMAT_TEXT_V1,
					    XKB_KEYMAP_COMPILE_NO_FLAGS);
	if (!keymap) {
		wlr_log(WLR_ERROR, "vdmabuf: the host's keymap (%u bytes) does not compile", size);
		return;
	}
	if (!wlr_keyboard_set_keymap(&seat->keyboard, keymap))
		wlr_log(WLR_ERROR, "vdmabuf: cannot use the host's keymap");
	else
		wlr_log(WLR_INFO, "vdmabuf: the host's keymap (%u bytes)", size);
	xkb_keymap_unref(keymap);
}

/* Pointer */

static void pointer_absolute(struct vdmabuf_seat *seat, struct seat_devices *d, uint32_t time_msec, int32_t x, int32_t y)
{
	struct wlr_pointer_motion_absolute_event event = {
		.pointer = &d->pointer,
		.time_msec = time_msec,
	};

	if (normalise(seat, d, x, y, &event.x, &event.y))
		wl_signal_emit_mutable(&d->pointer.events.motion_absolute, &event);
}

static void pointer_relative(struct vdmabuf_seat *seat, struct seat_devices *d, uint32_t time_msec, const int32_t *args)
{
	struct wlr_pointer_motion_event event = {
		.pointer = &d->pointer,
		.time_msec = time_msec,
		.delta_x = from_fixed(args[0]),
		.delta_y = from_fixed(args[1]),
		.unaccel_dx = from_fixed(args[2]),
		.unaccel_dy = from_fixed(args[3]),
	};

	wl_signal_emit_mutable(&d->pointer.events.motion, &event);
}

static void pointer_button(struct vdmabuf_seat *seat, struct seat_devices *d, uint32_t time_msec, const int32_t *args)
{
	struct wlr_pointer_button_event event = {
		.pointer = &d->pointer,
		.time_msec = time_msec,
		.button = args[0],
		.state = args[1] ? WL_POINTER_BUTTON_STATE_PRESSED : WL_POINTER_BUTTON_STATE_RELEASED,
	};

	wl_signal_emit_mutable(&d->pointer.events.button, &event);
}

/* args: axis, value, value120, source, inverted; a stop has value 0. */
static void pointer_axis(struct vdmabuf_seat *seat, struct seat_devices *d, uint32_t time_msec, int32_t axis,
			 int32_t value, int32_t value120, int32_t source, int32_t inverted)
{
	struct wlr_pointer_axis_event event = {
		.pointer = &d->pointer,
		.time_msec = time_msec,
		.source = source,
		.orientation = axis,
		.relative_direction = inverted ? WL_POINTER_AXIS_RELATIVE_DIRECTION_INVERTED :
					WL_POINTER_AXIS_RELATIVE_DIRECTION_IDENTICAL,
		.delta = from_fixed(value),
		.delta_discrete = value120,
	};

	wl_signal_emit_mutable(&d->pointer.events.axis, &event);
}

static void pointer_frame(struct vdmabuf_seat *seat, struct seat_devices *d)
{
	wl_signal_emit_mutable(&d->pointer.events.frame, &d->pointer);
}

/* Touch */

static void touch_point(struct vdmabuf_seat *seat, struct seat_devices *d, uint32_t time_msec, const int32_t *args,
			bool down)
{
	struct wlr_touch_down_event event = {
		.touch = &d->touch,
		.time_msec = time_msec,
		.touch_id = args[0],
	};
	struct wlr_touch_motion_event motion;

	if (!normalise(seat, d, args[1], args[2], &event.x, &event.y))
		return;
	if (down) {
		wl_signal_emit_mutable(&d->touch.events.down, &event);
		return;
	}
	motion = (struct wlr_touch_motion_event){
		.touch = &d->touch,
		.time_msec = time_msec,
		.touch_id = args[0],
		.x = event.x,
		.y = event.y,
	};
	wl_signal_emit_mutable(&d->touch.events.motion, &motion);
}

static void touch_up(struct vdmabuf_seat *seat, struct seat_devices *d, uint32_t time_msec, int32_t id)
{
	struct wlr_touch_up_event event = {
		.touch = &d->touch,
		.time_msec = time_msec,
		.touch_id = id,
	};

	wl_signal_emit_mutable(&d->touch.events.up, &event);
}

static void touch_cancel(struct vdmabuf_seat *seat, struct seat_devices *d, uint32_t time_msec)
{
	struct wlr_touch_cancel_event event = {
		.touch = &d->touch,
		.time_msec = time_msec,
	};

	wl_signal_emit_mutable(&d->touch.events.cancel, &event);
}

static void handle_device_input(struct vdmabuf_seat *seat, struct seat_devices *d,
				uint32_t time_msec, const struct vdmabuf_input_event *ev);

void vdmabuf_seat_handle_input(struct vdmabuf_seat *seat, uint32_t output,
			       const struct vdmabuf_input_event *ev)
{
	uint32_t time_msec = (uint32_t)(ev->time_usec / 1000);
	const int32_t *a = ev->args;
	struct seat_devices *d = &seat->devices[seat->backend->multi ? output : 0];

	if (output >= VDMABUF_MAX_OUTPUTS || !d->live) {
		wlr_log(WLR_DEBUG, "vdmabuf: input from output %u, which has no devices", output);
		/* Keys still reach the keyboard: it is one for every window. */
		d = NULL;
	}

	switch (ev->kind) {
	case VDMABUF_INPUT_KEYBOARD_ENTER:
		break;			/* keys held follow as KEY */
	case VDMABUF_INPUT_KEYBOARD_LEAVE:
		release_keys(seat, time_msec);
		break;
	case VDMABUF_INPUT_KEY:
		notify_key(seat, time_msec, a[0], a[1]);
		break;
	case VDMABUF_INPUT_MODIFIERS:
		if (!seat->guest_keymap)
			wlr_keyboard_notify_modifiers(&seat->keyboard, a[0], a[1], a[2], a[3]);
		break;
	case VDMABUF_INPUT_REPEAT:
		wlr_keyboard_set_repeat_info(&seat->keyboard, a[0], a[1]);
		break;
	default:
		if (d)
			handle_device_input(seat, d, time_msec, ev);
		break;
	}
}

static void handle_device_input(struct vdmabuf_seat *seat, struct seat_devices *d,
				uint32_t time_msec, const struct vdmabuf_input_event *ev)
{
	const int32_t *a = ev->args;

	switch (ev->kind) {
	case VDMABUF_INPUT_POINTER_ENTER:
	case VDMABUF_INPUT_MOTION:
		pointer_absolute(seat, d, time_msec, a[0], a[1]);
		break;
	case VDMABUF_INPUT_POINTER_LEAVE:
		break;
	case VDMABUF_INPUT_RELATIVE_MOTION:
		pointer_relative(seat, d, time_msec, a);
		break;
	case VDMABUF_INPUT_BUTTON:
		pointer_button(seat, d, time_msec, a);
		break;
	case VDMABUF_INPUT_AXIS:
		pointer_axis(seat, d, time_msec, a[0], a[1], a[2], a[3], a[4]);
		break;
	case VDMABUF_INPUT_AXIS_STOP:
		pointer_axis(seat, d, time_msec, a[0], 0, 0, a[1], 0);
		break;
	case VDMABUF_INPUT_FRAME:
		pointer_frame(seat, d);
		break;
	case VDMABUF_INPUT_TOUCH_DOWN:
	case VDMABUF_INPUT_TOUCH_MOTION:
		touch_point(seat, d, time_msec, a, ev->kind == VDMABUF_INPUT_TOUCH_DOWN);
		break;
	case VDMABUF_INPUT_TOUCH_UP:
		touch_up(seat, d, time_msec, a[0]);
		break;
	case VDMABUF_INPUT_TOUCH_FRAME:
		wl_signal_emit_mutable(&d->touch.events.frame, NULL);
		break;
	case VDMABUF_INPUT_TOUCH_CANCEL:
		touch_cancel(seat, d, time_msec);
		break;
	default:
		wlr_log(WLR_DEBUG, "vdmabuf: input of unknown kind %u", ev->kind);
		break;
	}
}

static bool env_true(const char *name)
{
	const char *v = getenv(name);

	return v && strcmp(v, "") && strcmp(v, "0");
}

static void devices_init(struct vdmabuf_seat *seat, uint32_t id, const char *output_name)
{
	struct seat_devices *d = &seat->devices[id];

	wlr_pointer_init(&d->pointer, &pointer_impl, pointer_impl.name);
	wlr_touch_init(&d->touch, &touch_impl, touch_impl.name);
	if (output_name) {
		d->pointer.output_name = strdup(output_name);
		d->touch.output_name = strdup(output_name);
	}
	d->output = id;
	d->live = true;
}

static void devices_announce(struct vdmabuf_seat *seat, struct seat_devices *d)
{
	struct wl_signal *new_input = &seat->backend->base.events.new_input;

	wl_signal_emit_mutable(new_input, &d->pointer.base);
	wl_signal_emit_mutable(new_input, &d->touch.base);
}

/* Each emits its device's destroy. */
static void devices_finish(struct seat_devices *d)
{
	if (!d->live)
		return;
	d->live = false;
	wlr_touch_finish(&d->touch);
	wlr_pointer_finish(&d->pointer);
}

void vdmabuf_seat_add_output(struct vdmabuf_seat *seat, struct vdmabuf_output *output)
{
	struct seat_devices *d;

	if (!seat || !seat->backend->multi || output->id >= VDMABUF_MAX_OUTPUTS)
		return;
	d = &seat->devices[output->id];
	devices_finish(d);
	devices_init(seat, output->id, output->base.name);
	if (seat->announced)
		devices_announce(seat, d);
}

void vdmabuf_seat_remove_output(struct vdmabuf_seat *seat, struct vdmabuf_output *output)
{
	if (seat && seat->backend->multi && output->id < VDMABUF_MAX_OUTPUTS)
		devices_finish(&seat->devices[output->id]);
}

struct vdmabuf_seat *vdmabuf_seat_create(struct vdmabuf_backend *backend)
{
	struct vdmabuf_seat *seat = calloc(1, sizeof(*seat));
	struct vdmabuf_output *output;
	const char *output_name = NULL;

	if (!seat)
		return NULL;
	seat->xkb = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	if (!seat->xkb) {
		free(seat);
		return NULL;
	}
	seat->backend = backend;
	seat->guest_keymap = backend->guest_keymap || env_true("VDMABUF_GUEST_KEYMAP");

	wlr_keyboard_init(&seat->keyboard, &keyboard_impl, keyboard_impl.name);
	if (backend->multi) {
		wl_list_for_each(output, &backend->outputs, link)
			devices_init(seat, output->id, output->base.name);
	} else {
		output = vdmabuf_backend_host_output(backend);
		if (output)
			output_name = output->base.name;
		devices_init(seat, 0, output_name);
	}
	wlr_log(WLR_INFO, "vdmabuf: the host's seat%s", seat->guest_keymap ?
		", with the guest's keymap" : "");
	return seat;
}

/* Announces the devices: from the backend's start on. */
void vdmabuf_seat_announce(struct vdmabuf_seat *seat)
{
	struct wl_signal *new_input = &seat->backend->base.events.new_input;

	seat->announced = true;
	wl_signal_emit_mutable(new_input, &seat->keyboard.base);
	for (int i = 0; i < VDMABUF_MAX_OUTPUTS; i++)
		if (seat->devices[i].live)
			devices_announce(seat, &seat->devices[i]);
}

void vdmabuf_seat_destroy(struct vdmabuf_seat *seat)
{
	if (!seat)
		return;
	/* Each emits its device's destroy; the keyboard's releases keys held. */
	for (int i = 0; i < VDMABUF_MAX_OUTPUTS; i++)
		devices_finish(&seat->devices[i]);
	wlr_keyboard_finish(&seat->keyboard);
	xkb_context_unref(seat->xkb);
	free(seat);
}
