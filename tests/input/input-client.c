// SPDX-License-Identifier: MIT
/*
 * input-client: a Wayland client that fills its toplevel with one colour
 * (so it takes the keyboard focus and the pointer) and writes each input
 * event it receives to stdout, one line each, flushed:
 *
 *   ready                              first frame committed
 *   keymap <size>                      the compositor's keymap
 *   enter keyboard | leave keyboard
 *   key <evdev> <pressed|released> utf8=<text>
 *   modifiers <depressed> <latched> <locked> <group>
 *   repeat <rate> <delay>
 *   enter pointer <x> <y> | leave pointer
 *   motion <x> <y>
 *   button <code> <pressed|released>
 *   axis <axis> <value> v120=<n> source=<s> inverted=<0|1>
 *   axis_stop <axis>
 *   frame
 *   touch down <id> <x> <y> | touch motion <id> <x> <y> | touch up <id>
 *   touch frame | touch cancel
 *   locked | unlocked                  --lock: the pointer lock's state
 *   relative <dx> <dy>                 --lock: relative motion
 *   cursor set                         --cursor: on each pointer enter
 *   echo <n> <ns>                      --echo: the nth button press, at ns
 *
 * --lock locks the pointer (pointer-constraints, persistent) once the
 * client has the pointer's focus, and logs relative-pointer motion.
 * --cursor sets a cursor of its own at every pointer enter: 16x16 of pure
 * magenta (CURSOR_COLOUR), hotspot (3, 5). --echo (with --cursor)
 * answers each button press at once with the other of two cursor images
 * (magenta, cyan), which the host sees as a new cursor: tools/bench's
 * input round trip; ns is CLOCK_MONOTONIC when the press arrived.
 *
 * Positions are surface-local, with 2 decimals; axis, source (-1: none
 * in this frame) are wl_pointer's numbers. text is what the key types
 * with the compositor's keymap and the modifiers in force (xkbcommon),
 * bytes below 0x21, 0x7f and '\' as \xHH; empty when it types nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>
#include <xkbcommon/xkbcommon.h>

#include "pointer-constraints-unstable-v1-client-protocol.h"
#include "relative-pointer-unstable-v1-client-protocol.h"
#include "xdg-shell-client-protocol.h"

#define COLOUR 0xff3060a0u
#define CURSOR_COLOUR 0xffff00ffu
#define ECHO_COLOUR 0xff00ffffu
#define CURSOR_SIZE 16
#define CURSOR_HOTSPOT_X 3
#define CURSOR_HOTSPOT_Y 5

struct client {
	struct wl_display *display;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	struct wl_seat *seat;
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	struct wl_buffer *buffer;
	int32_t width, height;
	int32_t pending_width, pending_height;
	bool ready;
	bool done;

	struct wl_keyboard *keyboard;
	struct wl_pointer *pointer;
	struct wl_touch *touch;
	struct xkb_context *xkb;
	struct xkb_keymap *keymap;
	struct xkb_state *state;

	/* --lock: the pointer lock and relative motion. */
	bool lock;
	struct zwp_pointer_constraints_v1 *constraints;
	struct zwp_relative_pointer_manager_v1 *relative_manager;
	struct zwp_locked_pointer_v1 *locked_pointer;
	struct zwp_relative_pointer_v1 *relative_pointer;

	/* --cursor: our own cursor surface. */
	bool own_cursor;
	struct wl_surface *cursor_surface;
	struct wl_buffer *cursor_buffer;
	/* --echo: a press flips the cursor to the other image. */
	bool echo;
	struct wl_buffer *echo_buffer;
	unsigned long presses;

	/* The pointer frame being received. */
	int32_t source;
	int32_t value120[2];
	bool inverted[2];
};

__attribute__((format(printf, 1, 2)))
static void say(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vprintf(fmt, args);
	va_end(args);
	putchar('\n');
	fflush(stdout);
}

static void die(const char *what)
{
	fprintf(stderr, "input-client: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Drawing: one buffer of one colour, at the configured size. */

static void buffer_release(void *data, struct wl_buffer *wl_buffer)
{
}

static const struct wl_buffer_listener buffer_listener = {
	.release = buffer_release,
};

/* A wl_buffer of one colour, from a fresh shm pool. */
static struct wl_buffer *solid_buffer(struct client *c, int32_t width, int32_t height,
				      uint32_t format, uint32_t colour)
{
	int32_t stride = width * 4;
	size_t size = (size_t)stride * height;
	struct wl_buffer *buffer;
	struct wl_shm_pool *pool;
	uint32_t *pixels;
	int fd;

	fd = memfd_create("input-client", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, size) < 0)
		die("memfd");
	pixels = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (pixels == MAP_FAILED)
		die("mmap");
	for (size_t i = 0; i < size / 4; i++)
		pixels[i] = colour;
	munmap(pixels, size);
	pool = wl_shm_create_pool(c->shm, fd, size);
	buffer = wl_shm_pool_create_buffer(pool, 0, width, height, stride, format);
	wl_shm_pool_destroy(pool);
	close(fd);
	return buffer;
}

static void draw(struct client *c)
{
	if (c->buffer)
		wl_buffer_destroy(c->buffer);
	c->buffer = solid_buffer(c, c->width, c->height, WL_SHM_FORMAT_XRGB8888, COLOUR);
	wl_buffer_add_listener(c->buffer, &buffer_listener, c);
	wl_surface_attach(c->surface, c->buffer, 0, 0);
	wl_surface_damage_buffer(c->surface, 0, 0, c->width, c->height);
	wl_surface_commit(c->surface);
}

static void xdg_surface_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial)
{
	struct client *c = data;

	xdg_surface_ack_configure(xdg_surface, serial);
	if (c->buffer && c->pending_width == c->width && c->pending_height == c->height) {
		wl_surface_commit(c->surface);
		return;
	}
	c->width = c->pending_width > 0 ? c->pending_width : 640;
	c->height = c->pending_height > 0 ? c->pending_height : 480;
	draw(c);
	if (!c->ready) {
		c->ready = true;
		say("ready");
	}
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = xdg_surface_configure,
};

static void toplevel_configure(void *data, struct xdg_toplevel *toplevel, int32_t width,
			       int32_t height, struct wl_array *states)
{
	struct client *c = data;

	c->pending_width = width;
	c->pending_height = height;
}

static void toplevel_close(void *data, struct xdg_toplevel *toplevel)
{
	((struct client *)data)->done = true;
}

static const struct xdg_toplevel_listener toplevel_listener = {
	.configure = toplevel_configure,
	.close = toplevel_close,
};

static void wm_base_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial)
{
	xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = {
	.ping = wm_base_ping,
};

/* Keyboard */

static void keyboard_keymap(void *data, struct wl_keyboard *keyboard, uint32_t format,
			    int32_t fd, uint32_t size)
{
	struct client *c = data;
	struct xkb_keymap *keymap = NULL;
	char *text;

	say("keymap %u", size);
	if (format == WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1) {
		text = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (text != MAP_FAILED) {
			keymap = xkb_keymap_new_from_buffer(c->xkb, text, strnlen(text, size),
							    XKB_KEYMAP_FORMAT_TEXT_V1,
							    XKB_KEYMAP_COMPILE_NO_FLAGS);
			munmap(text, size);
		}
	}
	close(fd);
	if (!keymap) {
		fprintf(stderr, "input-client: the keymap does not compile\n");
		return;
	}
	xkb_state_unref(c->state);
	xkb_keymap_unref(c->keymap);
	c->keymap = keymap;
	c->state = xkb_state_new(keymap);
}

static void keyboard_enter(void *data, struct wl_keyboard *keyboard, uint32_t serial,
			   struct wl_surface *surface, struct wl_array *keys)
{
	say("enter keyboard");
}

static void keyboard_leave(void *data, struct wl_keyboard *keyboard, uint32_t serial,
			   struct wl_surface *surface)
{
	say("leave keyboard");
}

/* What key types, escaped to one word. */
static void key_text(struct client *c, uint32_t key, char *out, size_t out_size)
{
	char utf8[64];
	size_t n = 0;

	out[0] = '\0';
	if (!c->state)
		return;
	xkb_state_key_get_utf8(c->state, key + 8, utf8, sizeof(utf8));
	for (const unsigned char *p = (const unsigned char *)utf8; *p && n + 5 < out_size; p++) {
		if (*p < 0x21 || *p == 0x7f || *p == '\\')
			n += snprintf(out + n, out_size - n, "\\x%02x", *p);
		else
			out[n++] = *p;
	}
	out[n] = '\0';
}

static void keyboard_key(void *data, struct wl_keyboard *keyboard, uint32_t serial,
			 uint32_t time, uint32_t key, uint32_t state)
{
	struct client *c = data;
	char text[256];

	key_text(c, key, text, sizeof(text));
	say("key %u %s utf8=%s", key,
	    state == WL_KEYBOARD_KEY_STATE_PRESSED ? "pressed" : "released", text);
}

static void keyboard_modifiers(void *data, struct wl_keyboard *keyboard, uint32_t serial,
			       uint32_t depressed, uint32_t latched, uint32_t locked,
			       uint32_t group)
{
	struct client *c = data;

	if (c->state)
		xkb_state_update_mask(c->state, depressed, latched, locked, 0, 0, group);
	say("modifiers %u %u %u %u", depressed, latched, locked, group);
}

static void keyboard_repeat_info(void *data, struct wl_keyboard *keyboard, int32_t rate,
				 int32_t delay)
{
	say("repeat %d %d", rate, delay);
}

static const struct wl_keyboard_listener keyboard_listener = {
	.keymap = keyboard_keymap,
	.enter = keyboard_enter,
	.leave = keyboard_leave,
	.key = keyboard_key,
	.modifiers = keyboard_modifiers,
	.repeat_info = keyboard_repeat_info,
};

/* Pointer */

static void pointer_frame_reset(struct client *c)
{
	c->source = -1;
	c->value120[0] = c->value120[1] = 0;
	c->inverted[0] = c->inverted[1] = false;
}

static void locked(void *data, struct zwp_locked_pointer_v1 *locked_pointer)
{
	say("locked");
}

static void unlocked(void *data, struct zwp_locked_pointer_v1 *locked_pointer)
{
	say("unlocked");
}

static const struct zwp_locked_pointer_v1_listener locked_pointer_listener = {
	.locked = locked,
	.unlocked = unlocked,
};

static void relative_motion(void *data, struct zwp_relative_pointer_v1 *relative_pointer,
			    uint32_t utime_hi, uint32_t utime_lo, wl_fixed_t dx, wl_fixed_t dy,
			    wl_fixed_t dx_unaccel, wl_fixed_t dy_unaccel)
{
	say("relative %.2f %.2f", wl_fixed_to_double(dx), wl_fixed_to_double(dy));
}

static const struct zwp_relative_pointer_v1_listener relative_pointer_listener = {
	.relative_motion = relative_motion,
};

/* --lock: once we have the pointer's focus; persistent, so once is enough. */
static void lock_pointer(struct client *c)
{
	if (!c->locked_pointer) {
		c->locked_pointer = zwp_pointer_constraints_v1_lock_pointer(c->constraints,
			c->surface, c->pointer, NULL,
			ZWP_POINTER_CONSTRAINTS_V1_LIFETIME_PERSISTENT);
		zwp_locked_pointer_v1_add_listener(c->locked_pointer, &locked_pointer_listener, c);
	}
	if (!c->relative_pointer) {
		c->relative_pointer = zwp_relative_pointer_manager_v1_get_relative_pointer(
			c->relative_manager, c->pointer);
		zwp_relative_pointer_v1_add_listener(c->relative_pointer,
						     &relative_pointer_listener, c);
	}
}

/* --cursor: our magenta square, committed once, set at every enter. */
static void set_cursor(struct client *c, uint32_t serial)
{
	if (!c->cursor_surface) {
		c->cursor_surface = wl_compositor_create_surface(c->compositor);
		c->cursor_buffer = solid_buffer(c, CURSOR_SIZE, CURSOR_SIZE,
						WL_SHM_FORMAT_ARGB8888, CURSOR_COLOUR);
		wl_surface_attach(c->cursor_surface, c->cursor_buffer, 0, 0);
		wl_surface_damage_buffer(c->cursor_surface, 0, 0, CURSOR_SIZE, CURSOR_SIZE);
		wl_surface_commit(c->cursor_surface);
	}
	wl_pointer_set_cursor(c->pointer, serial, c->cursor_surface, CURSOR_HOTSPOT_X,
			      CURSOR_HOTSPOT_Y);
	say("cursor set");
}

static void pointer_enter(void *data, struct wl_pointer *pointer, uint32_t serial,
			  struct wl_surface *surface, wl_fixed_t x, wl_fixed_t y)
{
	struct client *c = data;

	say("enter pointer %.2f %.2f", wl_fixed_to_double(x), wl_fixed_to_double(y));
	if (c->own_cursor)
		set_cursor(c, serial);
	if (c->lock)
		lock_pointer(c);
}

static void pointer_leave(void *data, struct wl_pointer *pointer, uint32_t serial,
			  struct wl_surface *surface)
{
	say("leave pointer");
}

static void pointer_motion(void *data, struct wl_pointer *pointer, uint32_t time,
			   wl_fixed_t x, wl_fixed_t y)
{
	say("motion %.2f %.2f", wl_fixed_to_double(x), wl_fixed_to_double(y));
}

/* --echo: the other cursor image, at once. */
static void echo_press(struct client *c)
{
	struct timespec now;
	struct wl_buffer *next;

	clock_gettime(CLOCK_MONOTONIC, &now);
	c->presses++;
	if (!c->echo_buffer)
		c->echo_buffer = solid_buffer(c, CURSOR_SIZE, CURSOR_SIZE, WL_SHM_FORMAT_ARGB8888,
					      ECHO_COLOUR);
	next = c->presses % 2 ? c->echo_buffer : c->cursor_buffer;
	wl_surface_attach(c->cursor_surface, next, 0, 0);
	wl_surface_damage_buffer(c->cursor_surface, 0, 0, CURSOR_SIZE, CURSOR_SIZE);
	wl_surface_commit(c->cursor_surface);
	wl_display_flush(c->display);
	say("echo %lu %lld", c->presses, (long long)now.tv_sec * 1000000000 + now.tv_nsec);
}

static void pointer_button(void *data, struct wl_pointer *pointer, uint32_t serial,
			   uint32_t time, uint32_t button, uint32_t state)
{
	struct client *c = data;

	if (c->echo && c->cursor_surface && state == WL_POINTER_BUTTON_STATE_PRESSED)
		echo_press(c);
	say("button %u %s", button,
	    state == WL_POINTER_BUTTON_STATE_PRESSED ? "pressed" : "released");
}

static void pointer_axis(void *data, struct wl_pointer *pointer, uint32_t time, uint32_t axis,
			 wl_fixed_t value)
{
	struct client *c = data;
	unsigned int i = axis ? 1 : 0;

	say("axis %u %.2f v120=%d source=%d inverted=%d", axis, wl_fixed_to_double(value),
	    c->value120[i], c->source, c->inverted[i]);
}

static void pointer_frame(void *data, struct wl_pointer *pointer)
{
	pointer_frame_reset(data);
	say("frame");
}

static void pointer_axis_source(void *data, struct wl_pointer *pointer, uint32_t source)
{
	((struct client *)data)->source = source;
}

static void pointer_axis_stop(void *data, struct wl_pointer *pointer, uint32_t time,
			      uint32_t axis)
{
	say("axis_stop %u", axis);
}

static void pointer_axis_discrete(void *data, struct wl_pointer *pointer, uint32_t axis,
				  int32_t discrete)
{
	/* Not sent to version 8 and later: value120 replaces it. */
}

static void pointer_axis_value120(void *data, struct wl_pointer *pointer, uint32_t axis,
				  int32_t value120)
{
	((struct client *)data)->value120[axis ? 1 : 0] = value120;
}

static void pointer_axis_relative_direction(void *data, struct wl_pointer *pointer,
					    uint32_t axis, uint32_t direction)
{
	((struct client *)data)->inverted[axis ? 1 : 0] =
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

/* Touch */

static void touch_down(void *data, struct wl_touch *touch, uint32_t serial, uint32_t time,
		       struct wl_surface *surface, int32_t id, wl_fixed_t x, wl_fixed_t y)
{
	say("touch down %d %.2f %.2f", id, wl_fixed_to_double(x), wl_fixed_to_double(y));
}

static void touch_up(void *data, struct wl_touch *touch, uint32_t serial, uint32_t time,
		     int32_t id)
{
	say("touch up %d", id);
}

static void touch_motion(void *data, struct wl_touch *touch, uint32_t time, int32_t id,
			 wl_fixed_t x, wl_fixed_t y)
{
	say("touch motion %d %.2f %.2f", id, wl_fixed_to_double(x), wl_fixed_to_double(y));
}

static void touch_frame(void *data, struct wl_touch *touch)
{
	say("touch frame");
}

static void touch_cancel(void *data, struct wl_touch *touch)
{
	say("touch cancel");
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
	struct client *c = data;
	bool want;

	want = caps & WL_SEAT_CAPABILITY_KEYBOARD;
	if (want && !c->keyboard) {
		c->keyboard = wl_seat_get_keyboard(seat);
		wl_keyboard_add_listener(c->keyboard, &keyboard_listener, c);
	} else if (!want && c->keyboard) {
		wl_keyboard_release(c->keyboard);
		c->keyboard = NULL;
	}
	want = caps & WL_SEAT_CAPABILITY_POINTER;
	if (want && !c->pointer) {
		c->pointer = wl_seat_get_pointer(seat);
		wl_pointer_add_listener(c->pointer, &pointer_listener, c);
	} else if (!want && c->pointer) {
		wl_pointer_release(c->pointer);
		c->pointer = NULL;
	}
	want = caps & WL_SEAT_CAPABILITY_TOUCH;
	if (want && !c->touch) {
		c->touch = wl_seat_get_touch(seat);
		wl_touch_add_listener(c->touch, &touch_listener, c);
	} else if (!want && c->touch) {
		wl_touch_release(c->touch);
		c->touch = NULL;
	}
}

static void seat_name(void *data, struct wl_seat *seat, const char *name)
{
}

static const struct wl_seat_listener seat_listener = {
	.capabilities = seat_capabilities,
	.name = seat_name,
};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
			    const char *interface, uint32_t version)
{
	struct client *c = data;

	if (strcmp(interface, wl_compositor_interface.name) == 0) {
		c->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	} else if (strcmp(interface, wl_shm_interface.name) == 0) {
		c->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, xdg_wm_base_interface.name) == 0) {
		c->wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface, 1);
		xdg_wm_base_add_listener(c->wm_base, &wm_base_listener, c);
	} else if (strcmp(interface, wl_seat_interface.name) == 0 && !c->seat) {
		/* 9: value120 and the relative direction of scrolling. */
		c->seat = wl_registry_bind(registry, name, &wl_seat_interface,
					   version < 9 ? version : 9);
		wl_seat_add_listener(c->seat, &seat_listener, c);
	} else if (strcmp(interface, zwp_pointer_constraints_v1_interface.name) == 0) {
		c->constraints = wl_registry_bind(registry, name,
						  &zwp_pointer_constraints_v1_interface, 1);
	} else if (strcmp(interface, zwp_relative_pointer_manager_v1_interface.name) == 0) {
		c->relative_manager = wl_registry_bind(registry, name,
			&zwp_relative_pointer_manager_v1_interface, 1);
	}
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "lock", no_argument, NULL, 'l' },
		{ "cursor", no_argument, NULL, 'c' },
		{ "echo", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct client c = { 0 };
	int opt;

	while ((opt = getopt_long(argc, argv, "lceh", options, NULL)) != -1) {
		switch (opt) {
		case 'l':
			c.lock = true;
			break;
		case 'c':
			c.own_cursor = true;
			break;
		case 'e':
			c.echo = c.own_cursor = true;
			break;
		default:
			fprintf(opt == 'h' ? stdout : stderr,
				"usage: %s [--lock] [--cursor] [--echo]\n"
				"Logs the input it receives to stdout.\n"
				"  --lock    lock the pointer once it enters; log relative motion\n"
				"  --cursor  set a 16x16 magenta cursor, hotspot (3, 5)\n"
				"  --echo    and flip it to cyan and back at each button press\n",
				argv[0]);
			return opt == 'h' ? 0 : 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", argv[0], argv[optind]);
		return 1;
	}
	pointer_frame_reset(&c);
	c.xkb = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	c.display = wl_display_connect(NULL);
	if (!c.xkb || !c.display)
		die("connect");
	wl_registry_add_listener(wl_display_get_registry(c.display), &registry_listener, &c);
	wl_display_roundtrip(c.display);
	if (!c.compositor || !c.shm || !c.wm_base) {
		fprintf(stderr, "input-client: the compositor lacks wl_shm or xdg_wm_base\n");
		return 1;
	}
	if (!c.seat)
		fprintf(stderr, "input-client: the compositor has no seat\n");
	if (c.lock && (!c.constraints || !c.relative_manager)) {
		fprintf(stderr, "input-client: --lock: the compositor lacks pointer "
			"constraints or relative pointer\n");
		return 1;
	}

	c.surface = wl_compositor_create_surface(c.compositor);
	c.xdg_surface = xdg_wm_base_get_xdg_surface(c.wm_base, c.surface);
	xdg_surface_add_listener(c.xdg_surface, &xdg_surface_listener, &c);
	c.toplevel = xdg_surface_get_toplevel(c.xdg_surface);
	xdg_toplevel_add_listener(c.toplevel, &toplevel_listener, &c);
	xdg_toplevel_set_title(c.toplevel, "input-client");
	wl_surface_commit(c.surface);

	while (!c.done && wl_display_dispatch(c.display) >= 0)
		;
	xkb_state_unref(c.state);
	xkb_keymap_unref(c.keymap);
	xkb_context_unref(c.xkb);
	wl_display_disconnect(c.display);
	return 0;
}
