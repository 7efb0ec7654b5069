// SPDX-License-Identifier: MIT
/*
 * The host's seat forwarded to the guest's: the viewer holds the guest's
 * seat (vdmabuf_consumer_claim_seat()) and sends it what the host
 * compositor tells its windows, each event naming the guest output of
 * the window it came from: the keymap, keys and modifiers while one has
 * keyboard focus, the pointer mapped through the window's scaling to its
 * guest output's pixels, touch points. While focused, the host's
 * shortcuts are inhibited so they reach the guest; Shift+F12 (the release
 * key) gives them back to the host and takes them again. F11 (fullscreen),
 * Shift+F11 (one more output) and the release key are the viewer's and
 * never reach the guest. When a guest
 * client locks or confines the pointer, the viewer does the same to the
 * host's over its window and, while locked, forwards relative motion; the
 * release key lets go of that too, until the guest's constraint changes
 * or the key is pressed again.
 */
#include <errno.h>
#include <linux/input-event-codes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "viewer.h"

#define RELEASE_KEY_NAME "Shift+F12"

static bool key_test(const uint8_t *bits, uint32_t key)
{
	return key < INPUT_KEY_BITS && (bits[key / 8] & (1u << key % 8));
}

static void key_set(uint8_t *bits, uint32_t key, bool on)
{
	if (key >= INPUT_KEY_BITS)
		return;
	if (on)
		bits[key / 8] |= 1u << key % 8;
	else
		bits[key / 8] &= ~(1u << key % 8);
}

/* Whether events go to the guest now. */
static bool forwarding(const struct viewer *viewer)
{
	return viewer->input.enabled && !viewer->input.refused;
}

/* Sends one event of kind; args as the kind wants, the rest 0. */
/* From window's guest output (NULL: 0, the first). */
static bool forward(struct viewer *viewer, const struct viewer_window *window, uint32_t kind,
		    const int32_t *args)
{
	struct vdmabuf_input_event ev = { .kind = kind, .time_usec = now_usec() };
	int err;

	if (!forwarding(viewer))
		return false;
	memcpy(ev.args, args, sizeof(ev.args));
	err = vdmabuf_consumer_output_input(viewer->consumer, window ? window->output : 0, &ev);
	if (err == -EINVAL)
		return false;	/* not an event the guest takes (a key beyond KEY_MAX) */
	if (err < 0) {
		input_error(viewer, VDMABUF_REQUEST_INPUT, err);
		return false;
	}
	return true;
}

#define FORWARD(viewer, window, kind, ...) \
	forward(viewer, window, kind, (const int32_t[VDMABUF_INPUT_ARGS]){ __VA_ARGS__ })
/* Events of the keyboard, pointer or touch: from the window they are on. */
#define TO_KEYBOARD(viewer, kind, ...) \
	FORWARD(viewer, (viewer)->input.keyboard_window, kind, __VA_ARGS__)
#define TO_POINTER(viewer, kind, ...) \
	FORWARD(viewer, (viewer)->input.pointer_window, kind, __VA_ARGS__)
#define TO_TOUCH(viewer, kind, ...) \
	FORWARD(viewer, (viewer)->input.touch_window, kind, __VA_ARGS__)

static void send_keymap(struct viewer *viewer)
{
	struct viewer_input *in = &viewer->input;
	int err;

	if (!forwarding(viewer) || !in->send_keymap || !in->keymap)
		return;
	err = vdmabuf_consumer_keymap(viewer->consumer, VDMABUF_KEYMAP_XKB_V1, in->keymap,
				      in->keymap_size);
	if (err == -E2BIG && !in->told_keymap) {
		in->told_keymap = true;
		fprintf(stderr, "vdmabuf-viewer: the host's keymap is over %u bytes: "
			"the guest keeps its own\n", VDMABUF_MAX_KEYMAP);
	} else if (err < 0 && err != -E2BIG) {
		input_error(viewer, VDMABUF_REQUEST_KEYMAP, err);
	}
}

/*
 * Shortcuts go to the guest while the window is focused (the host
 * compositor applies the inhibitor only then) unless the release key
 * gave them back, or the guest gets no input.
 */
static void inhibitor_active(void *data,
			     struct zwp_keyboard_shortcuts_inhibitor_v1 *inhibitor)
{
	struct viewer *viewer = data;

	if (!viewer->input.told_inhibit) {
		viewer->input.told_inhibit = true;
		fprintf(stderr, "vdmabuf-viewer: the host's shortcuts go to the guest while "
			"the window is focused; " RELEASE_KEY_NAME " gives them back\n");
	}
}

static void inhibitor_inactive(void *data,
			       struct zwp_keyboard_shortcuts_inhibitor_v1 *inhibitor)
{
}

static const struct zwp_keyboard_shortcuts_inhibitor_v1_listener inhibitor_listener = {
	.active = inhibitor_active,
	.inactive = inhibitor_inactive,
};

/* Each window inhibits the host's shortcuts while it has the focus. */
static void update_window_inhibitor(struct viewer_window *window, bool want)
{
	struct viewer *viewer = window->viewer;
	struct viewer_input *in = &viewer->input;

	if (want && !window->inhibitor) {
		window->inhibitor = zwp_keyboard_shortcuts_inhibit_manager_v1_inhibit_shortcuts(
			in->inhibit_manager, window->surface, in->seat);
		zwp_keyboard_shortcuts_inhibitor_v1_add_listener(window->inhibitor,
								 &inhibitor_listener, viewer);
	} else if (!want && window->inhibitor) {
		zwp_keyboard_shortcuts_inhibitor_v1_destroy(window->inhibitor);
		window->inhibitor = NULL;
	}
}

static void update_inhibitor(struct viewer *viewer)
{
	struct viewer_input *in = &viewer->input;
	bool want = forwarding(viewer) && !in->inhibit_off && in->inhibit_manager && in->seat;
	struct viewer_window *window;

	wl_list_for_each(window, &viewer->windows, link)
		update_window_inhibitor(window, want);
}

static void pointer_flush(struct viewer *viewer);

/*
 * Relative motion while the host's pointer is locked: surface-local
 * deltas through the viewer's scaling, as positions are (map_position());
 * the unaccelerated ones are the device's and go as they are.
 */
static void relative_motion(void *data, struct zwp_relative_pointer_v1 *relative,
			    uint32_t utime_hi, uint32_t utime_lo, wl_fixed_t dx, wl_fixed_t dy,
			    wl_fixed_t dx_unaccel, wl_fixed_t dy_unaccel)
{
	struct viewer *viewer = data;
	struct viewer_input *in = &viewer->input;
	struct viewer_window *w = in->constraint_window;
	int64_t gx = dx, gy = dy;

	if (!in->lock_active || !w)
		return;
	/* Logical pixels of the guest's output: its frame's over its scale. */
	if (w->shown_width && w->shown_height && w->surface_width > 0 && w->surface_height > 0) {
		uint32_t s = w->hinted_scale_120 ? w->hinted_scale_120 : 120;

		gx = gx * w->shown_width * 120 / ((int64_t)w->surface_width * s);
		gy = gy * w->shown_height * 120 / ((int64_t)w->surface_height * s);
	}
	if (FORWARD(viewer, w, VDMABUF_INPUT_RELATIVE_MOTION, (int32_t)gx, (int32_t)gy,
		    dx_unaccel, dy_unaccel)) {
		in->pointer_dirty = true;
		pointer_flush(viewer);
	}
}

static const struct zwp_relative_pointer_v1_listener relative_listener = {
	.relative_motion = relative_motion,
};

static void locked_locked(void *data, struct zwp_locked_pointer_v1 *locked)
{
	struct viewer *viewer = data;

	viewer->input.lock_active = true;
	fprintf(stderr, "vdmabuf-viewer: pointer: locked for the guest (Shift+F12 frees it)\n");
}

static void locked_unlocked(void *data, struct zwp_locked_pointer_v1 *locked)
{
	struct viewer *viewer = data;

	viewer->input.lock_active = false;
	fprintf(stderr, "vdmabuf-viewer: pointer: unlocked\n");
}

static const struct zwp_locked_pointer_v1_listener locked_listener = {
	.locked = locked_locked,
	.unlocked = locked_unlocked,
};

static void confined_confined(void *data, struct zwp_confined_pointer_v1 *confined)
{
}

static void confined_unconfined(void *data, struct zwp_confined_pointer_v1 *confined)
{
}

static const struct zwp_confined_pointer_v1_listener confined_listener = {
	.confined = confined_confined,
	.unconfined = confined_unconfined,
};

/*
 * Locks or confines the host's pointer over the window as the guest's
 * is, persistently (the host compositor applies it whenever the pointer
 * is over the window), or lets go of it.
 */
static void update_constraint(struct viewer *viewer)
{
	struct viewer_input *in = &viewer->input;
	uint32_t want = VDMABUF_CONSTRAINT_NONE;
	struct viewer_window *window = in->pointer_window;

	/* On the window under the pointer, else the first. */
	if (!window && !wl_list_empty(&viewer->windows))
		window = wl_container_of(viewer->windows.next, window, link);
	if (forwarding(viewer) && !in->constraint_off && in->pointer && in->constraints && window)
		want = in->constraint;
	/* Moved to another window: made again there. */
	if (window != in->constraint_window)
		want = VDMABUF_CONSTRAINT_NONE;
	/* Without relative motion a locked pointer would be a dead one. */
	if (want == VDMABUF_CONSTRAINT_LOCKED && !in->relative_manager) {
		if (!in->told_no_lock)
			fprintf(stderr, "vdmabuf-viewer: the guest locked the pointer, but the "
				"host compositor has no relative pointer: not locked\n");
		in->told_no_lock = true;
		want = VDMABUF_CONSTRAINT_NONE;
	}
	if (want != VDMABUF_CONSTRAINT_LOCKED && in->locked) {
		zwp_relative_pointer_v1_destroy(in->relative);
		zwp_locked_pointer_v1_destroy(in->locked);
		in->relative = NULL;
		in->locked = NULL;
		in->lock_active = false;
	}
	if (want != VDMABUF_CONSTRAINT_CONFINED && in->confined) {
		zwp_confined_pointer_v1_destroy(in->confined);
		in->confined = NULL;
	}
	if (window != in->constraint_window) {
		in->constraint_window = window;
		update_constraint(viewer);
		return;
	}
	if (want == VDMABUF_CONSTRAINT_LOCKED && !in->locked) {
		in->locked = zwp_pointer_constraints_v1_lock_pointer(in->constraints,
			window->surface, in->pointer, NULL,
			ZWP_POINTER_CONSTRAINTS_V1_LIFETIME_PERSISTENT);
		zwp_locked_pointer_v1_add_listener(in->locked, &locked_listener, viewer);
		in->relative = zwp_relative_pointer_manager_v1_get_relative_pointer(
			in->relative_manager, in->pointer);
		zwp_relative_pointer_v1_add_listener(in->relative, &relative_listener, viewer);
	} else if (want == VDMABUF_CONSTRAINT_CONFINED && !in->confined) {
		in->confined = zwp_pointer_constraints_v1_confine_pointer(in->constraints,
			window->surface, in->pointer, NULL,
			ZWP_POINTER_CONSTRAINTS_V1_LIFETIME_PERSISTENT);
		zwp_confined_pointer_v1_add_listener(in->confined, &confined_listener, viewer);
	}
}

void input_constrain(struct viewer *viewer, uint32_t constraint)
{
	struct viewer_input *in = &viewer->input;

	if (constraint != VDMABUF_CONSTRAINT_LOCKED && constraint != VDMABUF_CONSTRAINT_CONFINED)
		constraint = VDMABUF_CONSTRAINT_NONE;
	/* A new constraint from the guest applies even after the release key. */
	if (constraint != in->constraint)
		in->constraint_off = false;
	in->constraint = constraint;
	update_constraint(viewer);
}

static void toggle_release(struct viewer *viewer)
{
	struct viewer_input *in = &viewer->input;
	bool constrained = in->locked || in->confined;

	in->inhibit_off = !in->inhibit_off;
	in->constraint_off = in->inhibit_off;
	update_inhibitor(viewer);
	update_constraint(viewer);
	fprintf(stderr, "vdmabuf-viewer: the host's shortcuts go to the %s%s (" RELEASE_KEY_NAME
		" toggles)\n", in->inhibit_off ? "host" : "guest",
		constrained && in->inhibit_off ? ", and the pointer is free" : "");
}

/* After a refusal, each keyboard focus tries the seat again. */
static void retry_seat(struct viewer *viewer)
{
	struct viewer_input *in = &viewer->input;

	if (!in->enabled || !in->refused)
		return;
	in->refused = false;
	vdmabuf_consumer_claim_seat(viewer->consumer, true);
	send_keymap(viewer);
	update_inhibitor(viewer);
	update_constraint(viewer);
}

static void send_repeat(struct viewer *viewer)
{
	if (viewer->input.repeat_known)
		TO_KEYBOARD(viewer, VDMABUF_INPUT_REPEAT, viewer->input.repeat_rate,
			    viewer->input.repeat_delay);
}

/* Keyboard */

static void keyboard_keymap(void *data, struct wl_keyboard *keyboard, uint32_t format,
			    int32_t fd, uint32_t size)
{
	struct viewer *viewer = data;
	struct viewer_input *in = &viewer->input;
	char *map, *text;
	size_t len;

	if (format != WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1 || !size) {
		close(fd);
		return;
	}
	map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		fprintf(stderr, "vdmabuf-viewer: cannot map the host's keymap: %m\n");
		return;
	}
	len = strnlen(map, size);	/* the text, without its NUL */
	text = len ? malloc(len) : NULL;
	if (text)
		memcpy(text, map, len);
	munmap(map, size);
	if (!text)
		return;
	free(in->keymap);
	in->keymap = text;
	in->keymap_size = len;
	send_keymap(viewer);
}

static void keyboard_enter(void *data, struct wl_keyboard *keyboard, uint32_t serial,
			   struct wl_surface *surface, struct wl_array *keys)
{
	struct viewer *viewer = data;
	struct viewer_input *in = &viewer->input;
	uint32_t *key;

	in->keyboard_window = window_from_surface(viewer, surface);
	retry_seat(viewer);
	update_inhibitor(viewer);
	clipboard_serial(viewer, serial);
	memset(in->held, 0, sizeof(in->held));
	memset(in->sent, 0, sizeof(in->sent));
	in->keyboard_entered = TO_KEYBOARD(viewer, VDMABUF_INPUT_KEYBOARD_ENTER, 0);
	send_repeat(viewer);
	wl_array_for_each(key, keys) {
		key_set(in->held, *key, true);
		/* F11 and the release key stay the viewer's. */
		if (*key != KEY_F11 && *key != KEY_F12 &&
		    TO_KEYBOARD(viewer, VDMABUF_INPUT_KEY, (int32_t)*key, 1))
			key_set(in->sent, *key, true);
	}
}

static void keyboard_leave(void *data, struct wl_keyboard *keyboard, uint32_t serial,
			   struct wl_surface *surface)
{
	struct viewer *viewer = data;

	/* The guest releases every key it holds. */
	if (viewer->input.keyboard_entered)
		TO_KEYBOARD(viewer, VDMABUF_INPUT_KEYBOARD_LEAVE, 0);
	viewer->input.keyboard_entered = false;
	memset(viewer->input.held, 0, sizeof(viewer->input.held));
	memset(viewer->input.sent, 0, sizeof(viewer->input.sent));
	viewer->input.keyboard_window = NULL;
}

static void keyboard_key(void *data, struct wl_keyboard *keyboard, uint32_t serial,
			 uint32_t time, uint32_t key, uint32_t state)
{
	struct viewer *viewer = data;
	struct viewer_input *in = &viewer->input;
	bool pressed = state == WL_KEYBOARD_KEY_STATE_PRESSED;
	bool shift = key_test(in->held, KEY_LEFTSHIFT) || key_test(in->held, KEY_RIGHTSHIFT);

	clipboard_serial(viewer, serial);
	key_set(in->held, key, pressed);
	if (!pressed) {
		if (key_test(in->sent, key) &&
		    TO_KEYBOARD(viewer, VDMABUF_INPUT_KEY, (int32_t)key, 0))
			key_set(in->sent, key, false);
		return;
	}
	if (key == KEY_F11) {
		/* Shift+F11: one more output; F11: this one fullscreen or not. */
		if (shift)
			window_open_next(viewer, in->keyboard_window);
		else if (in->keyboard_window)
			window_set_fullscreen(in->keyboard_window,
					      !in->keyboard_window->fullscreen);
	} else if (key == KEY_F12 && shift && in->enabled)
		toggle_release(viewer);
	else if (TO_KEYBOARD(viewer, VDMABUF_INPUT_KEY, (int32_t)key, 1))
		key_set(in->sent, key, true);
}

static void keyboard_modifiers(void *data, struct wl_keyboard *keyboard, uint32_t serial,
			       uint32_t depressed, uint32_t latched, uint32_t locked,
			       uint32_t group)
{
	struct viewer *viewer = data;

	TO_KEYBOARD(viewer, VDMABUF_INPUT_MODIFIERS, (int32_t)depressed, (int32_t)latched,
		    (int32_t)locked, (int32_t)group);
}

static void keyboard_repeat_info(void *data, struct wl_keyboard *keyboard, int32_t rate,
				 int32_t delay)
{
	struct viewer *viewer = data;

	viewer->input.repeat_rate = rate < 0 ? 0 : rate > 1000 ? 1000 : rate;
	viewer->input.repeat_delay = delay < 0 ? 0 : delay > 10000 ? 10000 : delay;
	viewer->input.repeat_known = true;
	send_repeat(viewer);
}

static const struct wl_keyboard_listener keyboard_listener = {
	.keymap = keyboard_keymap,
	.enter = keyboard_enter,
	.leave = keyboard_leave,
	.key = keyboard_key,
	.modifiers = keyboard_modifiers,
	.repeat_info = keyboard_repeat_info,
};

/*
 * A surface-local position (24.8) in the guest output's pixels (24.8),
 * through the scaling of the frame on screen; false before the first.
 */
static bool map_position(const struct viewer_window *w, wl_fixed_t sx, wl_fixed_t sy,
			 int32_t *x, int32_t *y)
{
	int64_t gx, gy, max_x, max_y;

	if (!w || !w->shown_width || !w->shown_height ||
	    w->surface_width <= 0 || w->surface_height <= 0)
		return false;
	gx = (int64_t)sx * w->shown_width / w->surface_width;
	gy = (int64_t)sy * w->shown_height / w->surface_height;
	max_x = (int64_t)w->shown_width * 256 - 1;
	max_y = (int64_t)w->shown_height * 256 - 1;
	*x = gx < 0 ? 0 : gx > max_x ? max_x : gx;
	*y = gy < 0 ? 0 : gy > max_y ? max_y : gy;
	return true;
}

/* Pointer: events in a wl_pointer frame end with one FRAME. */

static void pointer_flush(struct viewer *viewer)
{
	struct viewer_input *in = &viewer->input;

	for (unsigned int axis = 0; axis < 2; axis++) {
		struct input_axis *a = &in->axes[axis];

		if (a->moved && TO_POINTER(viewer, VDMABUF_INPUT_AXIS, (int32_t)axis, a->value,
					   a->value120, (int32_t)in->axis_source, a->inverted))
			in->pointer_dirty = true;
		if (a->stopped && TO_POINTER(viewer, VDMABUF_INPUT_AXIS_STOP, (int32_t)axis,
					     (int32_t)in->axis_source))
			in->pointer_dirty = true;
		*a = (struct input_axis){ 0 };
	}
	in->axis_source = WL_POINTER_AXIS_SOURCE_WHEEL;
	if (in->pointer_dirty)
		TO_POINTER(viewer, VDMABUF_INPUT_FRAME, 0);
	in->pointer_dirty = false;
}

/* Before version 5 the compositor sends no frames: every event is one. */
static void pointer_maybe_flush(struct viewer *viewer, struct wl_pointer *pointer)
{
	if (wl_pointer_get_version(pointer) < WL_POINTER_FRAME_SINCE_VERSION)
		pointer_flush(viewer);
}

static void pointer_moved(struct viewer *viewer, wl_fixed_t sx, wl_fixed_t sy)
{
	struct viewer_input *in = &viewer->input;
	int32_t x, y;

	if (!map_position(in->pointer_window, sx, sy, &x, &y))
		return;
	if (TO_POINTER(viewer, in->pointer_entered ? VDMABUF_INPUT_MOTION :
		       VDMABUF_INPUT_POINTER_ENTER, x, y)) {
		in->pointer_entered = true;
		in->pointer_dirty = true;
	}
}

static void pointer_enter(void *data, struct wl_pointer *pointer, uint32_t serial,
			  struct wl_surface *surface, wl_fixed_t sx, wl_fixed_t sy)
{
	struct viewer *viewer = data;
	struct viewer_window *window = window_from_surface(viewer, surface);

	if (!window)
		return;		/* one that is gone */
	if (window != viewer->input.pointer_window) {
		viewer->input.pointer_window = window;
		update_constraint(viewer);
	}
	viewer->input.pointer_over = true;
	viewer->input.enter_serial = serial;
	clipboard_serial(viewer, serial);
	cursor_update(viewer);
	viewer->input.pointer_entered = false;
	pointer_moved(viewer, sx, sy);
	pointer_maybe_flush(viewer, pointer);
}

static void pointer_leave(void *data, struct wl_pointer *pointer, uint32_t serial,
			  struct wl_surface *surface)
{
	struct viewer *viewer = data;

	viewer->input.pointer_over = false;
	if (viewer->input.pointer_entered &&
	    TO_POINTER(viewer, VDMABUF_INPUT_POINTER_LEAVE, 0))
		viewer->input.pointer_dirty = true;
	viewer->input.pointer_entered = false;
	pointer_maybe_flush(viewer, pointer);
}

static void pointer_motion(void *data, struct wl_pointer *pointer, uint32_t time,
			   wl_fixed_t sx, wl_fixed_t sy)
{
	pointer_moved(data, sx, sy);
	pointer_maybe_flush(data, pointer);
}

static void pointer_button(void *data, struct wl_pointer *pointer, uint32_t serial,
			   uint32_t time, uint32_t button, uint32_t state)
{
	struct viewer *viewer = data;

	clipboard_serial(viewer, serial);
	if (viewer->input.pointer_entered &&
	    TO_POINTER(viewer, VDMABUF_INPUT_BUTTON, (int32_t)button,
		       state == WL_POINTER_BUTTON_STATE_PRESSED))
		viewer->input.pointer_dirty = true;
	pointer_maybe_flush(viewer, pointer);
}

static void pointer_axis(void *data, struct wl_pointer *pointer, uint32_t time,
			 uint32_t axis, wl_fixed_t value)
{
	struct viewer *viewer = data;

	if (axis > 1)
		return;
	viewer->input.axes[axis].moved = true;
	viewer->input.axes[axis].value += value;
	pointer_maybe_flush(viewer, pointer);
}

static void pointer_frame(void *data, struct wl_pointer *pointer)
{
	pointer_flush(data);
}

static void pointer_axis_source(void *data, struct wl_pointer *pointer, uint32_t source)
{
	struct viewer *viewer = data;

	if (source <= VDMABUF_INPUT_MAX_SOURCE)
		viewer->input.axis_source = source;
}

static void pointer_axis_stop(void *data, struct wl_pointer *pointer, uint32_t time,
			      uint32_t axis)
{
	struct viewer *viewer = data;

	if (axis <= 1)
		viewer->input.axes[axis].stopped = true;
}

/* Versions 5 to 7; from 8 the compositor sends value120 instead. */
static void pointer_axis_discrete(void *data, struct wl_pointer *pointer, uint32_t axis,
				  int32_t discrete)
{
	struct viewer *viewer = data;

	if (axis <= 1)
		viewer->input.axes[axis].value120 += discrete * 120;
}

static void pointer_axis_value120(void *data, struct wl_pointer *pointer, uint32_t axis,
				  int32_t value120)
{
	struct viewer *viewer = data;

	if (axis <= 1)
		viewer->input.axes[axis].value120 += value120;
}

static void pointer_axis_relative_direction(void *data, struct wl_pointer *pointer,
					    uint32_t axis, uint32_t direction)
{
	struct viewer *viewer = data;

	if (axis <= 1)
		viewer->input.axes[axis].inverted =
			direction == WL_POINTER_AXIS_RELATIVE_DIRECTION_INVERTED;
}

static const struct wl_pointer_listener pointer_listener = {
	.enter = pointer_enter,
	.leave = pointer_leave,
	.motion = pointer_motion,
	.button = pointer_button,
	.axis = pointer_axis,
	.frame = pointer_frame,
	.axis_source = pointer_axis_source,
	.axis_stop = pointer_axis_stop,
	.axis_discrete = pointer_axis_discrete,
	.axis_value120 = pointer_axis_value120,
	.axis_relative_direction = pointer_axis_relative_direction,
};

/* Touch: host ids to the guest's slots. */

static int touch_slot(struct viewer_input *in, int32_t id, bool create)
{
	int free_slot = -1;

	for (int i = 0; i < VDMABUF_INPUT_MAX_TOUCH; i++) {
		if (in->touch_used[i] && in->touch_ids[i] == id)
			return i;
		if (!in->touch_used[i] && free_slot < 0)
			free_slot = i;
	}
	if (create && free_slot >= 0) {
		in->touch_used[free_slot] = true;
		in->touch_ids[free_slot] = id;
	}
	return create ? free_slot : -1;
}

static void touch_down(void *data, struct wl_touch *touch, uint32_t serial, uint32_t time,
		       struct wl_surface *surface, int32_t id, wl_fixed_t sx, wl_fixed_t sy)
{
	struct viewer *viewer = data;
	struct viewer_window *window = window_from_surface(viewer, surface);
	int32_t x, y;
	int slot;

	if (window)
		viewer->input.touch_window = window;
	if (!map_position(window, sx, sy, &x, &y) ||
	    (slot = touch_slot(&viewer->input, id, true)) < 0)
		return;
	if (TO_TOUCH(viewer, VDMABUF_INPUT_TOUCH_DOWN, slot, x, y))
		viewer->input.touch_dirty = true;
	else
		viewer->input.touch_used[slot] = false;
}

static void touch_up(void *data, struct wl_touch *touch, uint32_t serial, uint32_t time,
		     int32_t id)
{
	struct viewer *viewer = data;
	int slot = touch_slot(&viewer->input, id, false);

	if (slot < 0)
		return;
	viewer->input.touch_used[slot] = false;
	if (TO_TOUCH(viewer, VDMABUF_INPUT_TOUCH_UP, slot))
		viewer->input.touch_dirty = true;
}

static void touch_motion(void *data, struct wl_touch *touch, uint32_t time, int32_t id,
			 wl_fixed_t sx, wl_fixed_t sy)
{
	struct viewer *viewer = data;
	int slot = touch_slot(&viewer->input, id, false);
	int32_t x, y;

	if (slot >= 0 && map_position(viewer->input.touch_window, sx, sy, &x, &y) &&
	    TO_TOUCH(viewer, VDMABUF_INPUT_TOUCH_MOTION, slot, x, y))
		viewer->input.touch_dirty = true;
}

static void touch_frame(void *data, struct wl_touch *touch)
{
	struct viewer *viewer = data;

	if (viewer->input.touch_dirty)
		TO_TOUCH(viewer, VDMABUF_INPUT_TOUCH_FRAME, 0);
	viewer->input.touch_dirty = false;
}

static void touch_cancel(void *data, struct wl_touch *touch)
{
	struct viewer *viewer = data;

	memset(viewer->input.touch_used, 0, sizeof(viewer->input.touch_used));
	viewer->input.touch_dirty = false;
	TO_TOUCH(viewer, VDMABUF_INPUT_TOUCH_CANCEL, 0);
}

static void touch_shape(void *data, struct wl_touch *touch, int32_t id, wl_fixed_t major,
			wl_fixed_t minor)
{
}

static void touch_orientation(void *data, struct wl_touch *touch, int32_t id,
			      wl_fixed_t orientation)
{
}

static const struct wl_touch_listener touch_listener = {
	.down = touch_down,
	.up = touch_up,
	.motion = touch_motion,
	.frame = touch_frame,
	.cancel = touch_cancel,
	.shape = touch_shape,
	.orientation = touch_orientation,
};

/* Seat */

static void seat_capabilities(void *data, struct wl_seat *seat, uint32_t caps)
{
	struct viewer *viewer = data;
	struct viewer_input *in = &viewer->input;
	bool keyboard = caps & WL_SEAT_CAPABILITY_KEYBOARD;
	bool pointer = in->enabled && (caps & WL_SEAT_CAPABILITY_POINTER);
	bool touch = in->enabled && (caps & WL_SEAT_CAPABILITY_TOUCH);

	/* The keyboard is bound even with --no-input: F11 is the viewer's. */
	if (keyboard && !in->keyboard) {
		in->keyboard = wl_seat_get_keyboard(seat);
		wl_keyboard_add_listener(in->keyboard, &keyboard_listener, viewer);
	} else if (!keyboard && in->keyboard) {
		wl_keyboard_release(in->keyboard);
		in->keyboard = NULL;
	}
	if (pointer && !in->pointer) {
		in->pointer = wl_seat_get_pointer(seat);
		wl_pointer_add_listener(in->pointer, &pointer_listener, viewer);
		update_constraint(viewer);
	} else if (!pointer && in->pointer) {
		struct wl_pointer *old = in->pointer;

		/* Its constraint and relative pointer go first. */
		in->pointer = NULL;
		in->pointer_over = false;
		update_constraint(viewer);
		wl_pointer_release(old);
	}
	if (touch && !in->touch) {
		in->touch = wl_seat_get_touch(seat);
		wl_touch_add_listener(in->touch, &touch_listener, viewer);
	} else if (!touch && in->touch) {
		wl_touch_release(in->touch);
		in->touch = NULL;
	}
}

static void seat_name(void *data, struct wl_seat *seat, const char *name)
{
}

static const struct wl_seat_listener seat_listener = {
	.capabilities = seat_capabilities,
	.name = seat_name,
};

bool input_bind(struct viewer *viewer, struct wl_registry *registry, uint32_t name,
		const char *interface, uint32_t version)
{
	struct viewer_input *in = &viewer->input;

	if (strcmp(interface, wl_seat_interface.name) == 0 && !in->seat && version >= 3) {
		/* Version 9: axis_relative_direction; 10 would add repeated keys. */
		in->seat = wl_registry_bind(registry, name, &wl_seat_interface,
					    version < 9 ? version : 9);
		wl_seat_add_listener(in->seat, &seat_listener, viewer);
		return true;
	}
	if (strcmp(interface, zwp_keyboard_shortcuts_inhibit_manager_v1_interface.name) == 0) {
		in->inhibit_manager = wl_registry_bind(registry, name,
			&zwp_keyboard_shortcuts_inhibit_manager_v1_interface, 1);
		return true;
	}
	if (strcmp(interface, zwp_pointer_constraints_v1_interface.name) == 0) {
		in->constraints = wl_registry_bind(registry, name,
			&zwp_pointer_constraints_v1_interface, 1);
		return true;
	}
	if (strcmp(interface, zwp_relative_pointer_manager_v1_interface.name) == 0) {
		in->relative_manager = wl_registry_bind(registry, name,
			&zwp_relative_pointer_manager_v1_interface, 1);
		return true;
	}
	return false;
}

void input_start(struct viewer *viewer)
{
	int err;

	if (!viewer->input.enabled)
		return;
	err = vdmabuf_consumer_claim_seat(viewer->consumer, true);
	if (err < 0)
		input_error(viewer, VDMABUF_REQUEST_SEAT, err);
}

void input_window_created(struct viewer_window *window)
{
	update_inhibitor(window->viewer);
	update_constraint(window->viewer);
}

/* Out of viewer.windows already: the guest leaves what was on it. */
void input_window_gone(struct viewer_window *window)
{
	struct viewer *viewer = window->viewer;
	struct viewer_input *in = &viewer->input;

	update_window_inhibitor(window, false);
	if (in->keyboard_window == window) {
		if (in->keyboard_entered)
			TO_KEYBOARD(viewer, VDMABUF_INPUT_KEYBOARD_LEAVE, 0);
		in->keyboard_entered = false;
		memset(in->held, 0, sizeof(in->held));
		memset(in->sent, 0, sizeof(in->sent));
		in->keyboard_window = NULL;
	}
	if (in->pointer_window == window) {
		if (in->pointer_entered && TO_POINTER(viewer, VDMABUF_INPUT_POINTER_LEAVE, 0))
			TO_POINTER(viewer, VDMABUF_INPUT_FRAME, 0);
		in->pointer_entered = false;
		in->pointer_over = false;
		in->pointer_dirty = false;
		in->pointer_window = NULL;
	}
	if (in->touch_window == window) {
		if (in->touch_dirty || memchr(in->touch_used, true, sizeof(in->touch_used)))
			TO_TOUCH(viewer, VDMABUF_INPUT_TOUCH_CANCEL, 0);
		memset(in->touch_used, 0, sizeof(in->touch_used));
		in->touch_dirty = false;
		in->touch_window = NULL;
	}
	update_constraint(viewer);
}

void input_error(struct viewer *viewer, uint32_t request, int err)
{
	struct viewer_input *in = &viewer->input;

	if ((request == VDMABUF_REQUEST_SEAT && err == -EBUSY) || err == -EPERM) {
		in->refused = true;
		if (!in->told_busy)
			fprintf(stderr, "vdmabuf-viewer: another consumer holds the guest's seat: "
				"showing frames only (tried again when the window is focused)\n");
		in->told_busy = true;
	} else if (err == -ENOTCONN || err == -EOPNOTSUPP) {
		in->refused = true;
		if (!in->told_no_input)
			fprintf(stderr, "vdmabuf-viewer: the guest takes no input (%s): showing "
				"frames only\n", strerror(-err));
		in->told_no_input = true;
	} else {
		log_limited(&in->errors, "input request %u refused: %s", request, strerror(-err));
		return;
	}
	update_inhibitor(viewer);
	update_constraint(viewer);
}

void input_finish(struct viewer *viewer)
{
	struct viewer_input *in = &viewer->input;

	in->constraint = VDMABUF_CONSTRAINT_NONE;
	update_constraint(viewer);
	if (in->relative_manager)
		zwp_relative_pointer_manager_v1_destroy(in->relative_manager);
	if (in->constraints)
		zwp_pointer_constraints_v1_destroy(in->constraints);
	in->inhibit_off = true;
	update_inhibitor(viewer);
	if (in->inhibit_manager)
		zwp_keyboard_shortcuts_inhibit_manager_v1_destroy(in->inhibit_manager);
	if (in->touch)
		wl_touch_release(in->touch);
	if (in->pointer)
		wl_pointer_release(in->pointer);
	if (in->keyboard)
		wl_keyboard_release(in->keyboard);
	if (in->seat && wl_seat_get_version(in->seat) >= WL_SEAT_RELEASE_SINCE_VERSION)
		wl_seat_release(in->seat);
	else if (in->seat)
		wl_seat_destroy(in->seat);
	if (forwarding(viewer))
		vdmabuf_consumer_claim_seat(viewer->consumer, false);
	free(in->keymap);
	*in = (struct viewer_input){ 0 };
}
