/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * The guest's seat, as every side names it: input event kinds, their
 * arguments and limits, and the checks every side applies (spec §15).
 * Carried in CPU byte order by the consumer protocol, /dev/vdmabuf and
 * libvdmabuf, little-endian on the wire (vdmabuf_proto.h). Keys and
 * buttons are Linux evdev codes; positions are 24.8 fixed point in the
 * guest output's pixels.
 */
#ifndef VDMABUF_INPUT_H
#define VDMABUF_INPUT_H

#include <linux/types.h>

enum vdmabuf_input_kind {
	VDMABUF_INPUT_KEYBOARD_ENTER	= 1,	/* keys held follow as KEY */
	VDMABUF_INPUT_KEYBOARD_LEAVE	= 2,	/* release every key held */
	VDMABUF_INPUT_KEY		= 3,	/* key, state */
	VDMABUF_INPUT_MODIFIERS		= 4,	/* depressed, latched, locked, group */
	VDMABUF_INPUT_REPEAT		= 5,	/* rate (per s, 0: none), delay (ms) */
	VDMABUF_INPUT_POINTER_ENTER	= 16,	/* x, y */
	VDMABUF_INPUT_POINTER_LEAVE	= 17,
	VDMABUF_INPUT_MOTION		= 18,	/* x, y */
	VDMABUF_INPUT_RELATIVE_MOTION	= 19,	/* dx, dy, dx_unaccel, dy_unaccel */
	VDMABUF_INPUT_BUTTON		= 20,	/* button, state */
	VDMABUF_INPUT_AXIS		= 21,	/* axis, value, value120, source, inverted */
	VDMABUF_INPUT_AXIS_STOP		= 22,	/* axis, source */
	VDMABUF_INPUT_FRAME		= 23,	/* ends a group of pointer events */
	VDMABUF_INPUT_TOUCH_DOWN	= 32,	/* id, x, y */
	VDMABUF_INPUT_TOUCH_UP		= 33,	/* id */
	VDMABUF_INPUT_TOUCH_MOTION	= 34,	/* id, x, y */
	VDMABUF_INPUT_TOUCH_FRAME	= 35,
	VDMABUF_INPUT_TOUCH_CANCEL	= 36,
};

#define VDMABUF_INPUT_ARGS		10
#define VDMABUF_INPUT_MAX_KEY		0x2ff	/* KEY_MAX */
#define VDMABUF_INPUT_BTN_FIRST		0x110	/* BTN_LEFT */
#define VDMABUF_INPUT_BTN_LAST		0x11f
#define VDMABUF_INPUT_MAX_TOUCH		16	/* touch points at once */
#define VDMABUF_INPUT_MAX_SOURCE	3	/* wheel, finger, continuous, tilt */
#define VDMABUF_INPUT_MAX_POS		(16384 * 256)	/* VDMABUF_MAX_DIMENSION, 24.8 */

/* What a guest client did to the pointer (pointer-constraints). */
enum vdmabuf_constraint {
	VDMABUF_CONSTRAINT_NONE		= 0,
	VDMABUF_CONSTRAINT_LOCKED	= 1,	/* it stays put; relative motion only */
	VDMABUF_CONSTRAINT_CONFINED	= 2,	/* it stays inside the window */
};

/* The guest's pointer (spec §16): its id names the cursor image. */
#define VDMABUF_POINTER_IMAGE		(1u << 0)

/* Keymaps: xkbcommon's text format, at most this long. */
#define VDMABUF_KEYMAP_XKB_V1		1
#define VDMABUF_MAX_KEYMAP		(256 * 1024)

static inline int vdmabuf_input_pos_valid(__s32 x, __s32 y)
{
	return x >= 0 && x < VDMABUF_INPUT_MAX_POS && y >= 0 && y < VDMABUF_INPUT_MAX_POS;
}

/* Whether kind is known and args fit it; arguments it does not use are 0. */
static inline int vdmabuf_input_valid(__u32 kind, const __s32 *args)
{
	unsigned int used, i;
	int ok;

	switch (kind) {
	case VDMABUF_INPUT_KEYBOARD_ENTER:
	case VDMABUF_INPUT_KEYBOARD_LEAVE:
	case VDMABUF_INPUT_POINTER_LEAVE:
	case VDMABUF_INPUT_FRAME:
	case VDMABUF_INPUT_TOUCH_FRAME:
	case VDMABUF_INPUT_TOUCH_CANCEL:
		used = 0, ok = 1;
		break;
	case VDMABUF_INPUT_KEY:
		used = 2;
		ok = args[0] >= 0 && args[0] <= VDMABUF_INPUT_MAX_KEY &&
		     (args[1] == 0 || args[1] == 1);
		break;
	case VDMABUF_INPUT_MODIFIERS:
	case VDMABUF_INPUT_RELATIVE_MOTION:
		used = 4, ok = 1;
		break;
	case VDMABUF_INPUT_REPEAT:
		used = 2;
		ok = args[0] >= 0 && args[0] <= 1000 && args[1] >= 0 && args[1] <= 10000;
		break;
	case VDMABUF_INPUT_POINTER_ENTER:
	case VDMABUF_INPUT_MOTION:
		used = 2, ok = vdmabuf_input_pos_valid(args[0], args[1]);
		break;
	case VDMABUF_INPUT_BUTTON:
		used = 2;
		ok = args[0] >= VDMABUF_INPUT_BTN_FIRST && args[0] <= VDMABUF_INPUT_BTN_LAST &&
		     (args[1] == 0 || args[1] == 1);
		break;
	case VDMABUF_INPUT_AXIS:
		used = 5;
		ok = (args[0] == 0 || args[0] == 1) && args[3] >= 0 &&
		     args[3] <= VDMABUF_INPUT_MAX_SOURCE && (args[4] == 0 || args[4] == 1);
		break;
	case VDMABUF_INPUT_AXIS_STOP:
		used = 2;
		ok = (args[0] == 0 || args[0] == 1) && args[1] >= 0 &&
		     args[1] <= VDMABUF_INPUT_MAX_SOURCE;
		break;
	case VDMABUF_INPUT_TOUCH_DOWN:
	case VDMABUF_INPUT_TOUCH_MOTION:
		used = 3;
		ok = args[0] >= 0 && args[0] < VDMABUF_INPUT_MAX_TOUCH &&
		     vdmabuf_input_pos_valid(args[1], args[2]);
		break;
	case VDMABUF_INPUT_TOUCH_UP:
		used = 1, ok = args[0] >= 0 && args[0] < VDMABUF_INPUT_MAX_TOUCH;
		break;
	default:
		return 0;
	}
	for (i = used; i < VDMABUF_INPUT_ARGS; i++)
		ok = ok && args[i] == 0;
	return ok;
}

/*
 * Whether a keymap piece continues the keymap being received (received
 * bytes of it so far) or starts a new one (offset 0), and fits its size.
 */
static inline int vdmabuf_keymap_piece_valid(__u32 format, __u32 size, __u32 offset,
					     __u32 len, __u32 max_len, __u32 received)
{
	return format == VDMABUF_KEYMAP_XKB_V1 && size && size <= VDMABUF_MAX_KEYMAP &&
	       len && len <= max_len && offset <= size && len <= size - offset &&
	       offset == (offset ? received : 0);
}

#endif /* VDMABUF_INPUT_H */
