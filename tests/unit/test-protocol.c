// SPDX-License-Identifier: MIT
/*
 * protocol/vdmabuf_proto.h against protocol/vdmabuf-spec.md: constants,
 * sizes and offsets, the exact little-endian bytes of every message (encode
 * and decode), the validators every device side shares, and the device ID;
 * and protocol/vdmabuf_id.h, the id every API edge carries in CPU order.
 * Plain C11, no framework: every failed CHECK prints file:line and the
 * expression, and main returns 1.
 */
#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <linux/virtio_ids.h>

#include "vdmabuf_id.h"
#include "vdmabuf_consumer.h"
#include "vdmabuf_proto.h"
#include "vdmabuf_uapi.h"

static int failures;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		failures++;						\
		fprintf(stderr, "%s:%d: CHECK failed: %s\n",		\
			__FILE__, __LINE__, #cond);			\
	}								\
} while (0)

/* Compares an encoded object with the expected bytes; names the first
 * differing offset. */
#define CHECK_BYTES(obj, want) \
	check_bytes(__FILE__, __LINE__, #obj, &(obj), sizeof(obj), want, sizeof(want))

static void check_bytes(const char *file, int line, const char *what,
			const void *got, size_t got_len,
			const uint8_t *want, size_t want_len)
{
	const uint8_t *g = got;

	if (got_len != want_len) {
		failures++;
		fprintf(stderr, "%s:%d: CHECK failed: %s is %zu bytes, expected %zu\n",
			file, line, what, got_len, want_len);
		return;
	}
	for (size_t i = 0; i < want_len; i++) {
		if (g[i] != want[i]) {
			failures++;
			fprintf(stderr, "%s:%d: CHECK failed: %s byte %zu is 0x%02x, expected 0x%02x\n",
				file, line, what, i, g[i], want[i]);
			return;
		}
	}
}

/* Decodes: copies the wire bytes into a fresh object of that type. */
#define DECODE(obj, bytes) do {						\
	CHECK(sizeof(obj) <= sizeof(bytes));				\
	memcpy(&(obj), bytes, sizeof(obj));				\
} while (0)

#define SIZE(type, n) do {						\
	CHECK(sizeof(struct type) == (n));				\
	CHECK(sizeof(struct type) % 8 == 0);				\
} while (0)
#define OFF(type, field, n) CHECK(offsetof(struct type, field) == (n))

static void test_constants(void)
{
	CHECK(VDMABUF_F_DAMAGE == 0);
	CHECK(VDMABUF_F_PRESENT_TIMING == 1);
	CHECK(VDMABUF_F_MODE_HINT == 2);
	CHECK(VDMABUF_F_CONSUMER_EVENTS == 3);
	CHECK(VDMABUF_F_INPUT == 4);
	CHECK(VDMABUF_EVENT_INPUT == 0x0206 && VDMABUF_EVENT_KEYMAP == 0x0207);
	CHECK(VDMABUF_INPUT_KEY == 3 && VDMABUF_INPUT_MOTION == 18 &&
	      VDMABUF_INPUT_BUTTON == 20 && VDMABUF_INPUT_AXIS == 21 &&
	      VDMABUF_INPUT_TOUCH_DOWN == 32 && VDMABUF_INPUT_TOUCH_CANCEL == 36);

	CHECK(VDMABUF_VQ_CONTROL == 0);
	CHECK(VDMABUF_VQ_EVENT == 1);
	CHECK(VDMABUF_NUM_VQS == 2);

	CHECK(VDMABUF_MAX_PLANES == 4);
	CHECK(VDMABUF_MAX_DAMAGE == 16);
	CHECK(VDMABUF_MAX_EXTENTS == 65536);
	CHECK(VDMABUF_MAX_BUFFER_SIZE == 1073741824ull);
	CHECK(VDMABUF_MAX_BUFFERS == 4096);
	CHECK(VDMABUF_MAX_DIMENSION == 16384);
	CHECK(VDMABUF_PAGE_SIZE == 4096);
	CHECK(VDMABUF_MAX_BUFFER_SIZE % VDMABUF_PAGE_SIZE == 0);

	CHECK(VDMABUF_CTRL_EXPORT == 0x0101);
	CHECK(VDMABUF_CTRL_PRESENT == 0x0102);
	CHECK(VDMABUF_CTRL_UNEXPORT == 0x0103);

	CHECK(VDMABUF_S_OK == 0);
	CHECK(VDMABUF_S_EINVAL == 1);
	CHECK(VDMABUF_S_ERANGE == 2);
	CHECK(VDMABUF_S_ENOENT == 3);
	CHECK(VDMABUF_S_ENOSPC == 4);
	CHECK(VDMABUF_S_ENOMEM == 5);
	CHECK(VDMABUF_S_ENOTSUP == 6);
	CHECK(VDMABUF_S_EBUSY == 7);

	CHECK(VDMABUF_EVENT_RELEASE == 0x0201);
	CHECK(VDMABUF_EVENT_RETIRED == 0x0202);
	CHECK(VDMABUF_EVENT_CONSUMERS == 0x0203);
	CHECK(VDMABUF_EVENT_MODE_HINT == 0x0204);
	CHECK(VDMABUF_EVENT_RESET == 0x0205);

	CHECK(VDMABUF_RELEASE_PRESENTED == 1);
	CHECK(VDMABUF_RELEASE_VSYNC == 2);
	CHECK(VDMABUF_RELEASE_ZERO_COPY == 4);
}

static void test_layout(void)
{
	SIZE(vdmabuf_config, 24);
	OFF(vdmabuf_config, max_buffers, 0);
	OFF(vdmabuf_config, max_extents, 4);
	OFF(vdmabuf_config, max_buffer_size, 8);
	OFF(vdmabuf_config, consumers, 16);
	OFF(vdmabuf_config, reserved, 20);

	SIZE(vdmabuf_wire_id, 16);
	OFF(vdmabuf_wire_id, device, 0);
	OFF(vdmabuf_wire_id, key, 8);

	/* The CPU-order id has the wire id's layout; only the order differs. */
	SIZE(vdmabuf_id, 16);
	OFF(vdmabuf_id, device, 0);
	OFF(vdmabuf_id, key, 8);
	CHECK(VDMABUF_ID_STRLEN == sizeof("dddddddddddddddd:kkkkkkkkkkkkkkkk"));

	SIZE(vdmabuf_ctrl_hdr, 16);
	OFF(vdmabuf_ctrl_hdr, type, 0);
	OFF(vdmabuf_ctrl_hdr, flags, 4);
	OFF(vdmabuf_ctrl_hdr, cookie, 8);

	SIZE(vdmabuf_reply, 32);
	OFF(vdmabuf_reply, status, 0);
	OFF(vdmabuf_reply, reserved, 4);
	OFF(vdmabuf_reply, cookie, 8);
	OFF(vdmabuf_reply, id, 16);
	OFF(vdmabuf_reply, id.device, 16);
	OFF(vdmabuf_reply, id.key, 24);

	SIZE(vdmabuf_extent, 16);
	OFF(vdmabuf_extent, addr, 0);
	OFF(vdmabuf_extent, len, 8);

	SIZE(vdmabuf_plane, 8);
	OFF(vdmabuf_plane, offset, 0);
	OFF(vdmabuf_plane, stride, 4);

	SIZE(vdmabuf_export, 88);
	OFF(vdmabuf_export, hdr, 0);
	OFF(vdmabuf_export, hdr.type, 0);
	OFF(vdmabuf_export, hdr.flags, 4);
	OFF(vdmabuf_export, hdr.cookie, 8);
	OFF(vdmabuf_export, width, 16);
	OFF(vdmabuf_export, height, 20);
	OFF(vdmabuf_export, fourcc, 24);
	OFF(vdmabuf_export, num_planes, 28);
	OFF(vdmabuf_export, modifier, 32);
	OFF(vdmabuf_export, planes, 40);
	OFF(vdmabuf_export, planes[0].offset, 40);
	OFF(vdmabuf_export, planes[0].stride, 44);
	OFF(vdmabuf_export, planes[1].offset, 48);
	OFF(vdmabuf_export, planes[1].stride, 52);
	OFF(vdmabuf_export, planes[2].offset, 56);
	OFF(vdmabuf_export, planes[2].stride, 60);
	OFF(vdmabuf_export, planes[3].offset, 64);
	OFF(vdmabuf_export, planes[3].stride, 68);
	OFF(vdmabuf_export, size, 72);
	OFF(vdmabuf_export, num_extents, 80);
	OFF(vdmabuf_export, reserved, 84);

	SIZE(vdmabuf_rect, 16);
	OFF(vdmabuf_rect, x, 0);
	OFF(vdmabuf_rect, y, 4);
	OFF(vdmabuf_rect, width, 8);
	OFF(vdmabuf_rect, height, 12);

	SIZE(vdmabuf_present, 304);
	OFF(vdmabuf_present, hdr, 0);
	OFF(vdmabuf_present, id, 16);
	OFF(vdmabuf_present, id.device, 16);
	OFF(vdmabuf_present, id.key, 24);
	OFF(vdmabuf_present, frame, 32);
	OFF(vdmabuf_present, num_damage, 40);
	OFF(vdmabuf_present, output, 44);
	OFF(vdmabuf_present, damage, 48);
	OFF(vdmabuf_present, damage[1], 64);
	OFF(vdmabuf_present, damage[15], 288);

	SIZE(vdmabuf_unexport, 32);
	OFF(vdmabuf_unexport, hdr, 0);
	OFF(vdmabuf_unexport, id, 16);
	OFF(vdmabuf_unexport, id.key, 24);

	SIZE(vdmabuf_event, 64);
	OFF(vdmabuf_event, type, 0);
	OFF(vdmabuf_event, reserved, 4);
	OFF(vdmabuf_event, u, 8);
	OFF(vdmabuf_event, u.raw, 8);
	CHECK(sizeof(((struct vdmabuf_event *)0)->u) == 56);

	SIZE(vdmabuf_release, 48);
	OFF(vdmabuf_release, id, 0);
	OFF(vdmabuf_release, frame, 16);
	OFF(vdmabuf_release, present_ns, 24);
	OFF(vdmabuf_release, refresh_ns, 32);
	OFF(vdmabuf_release, flags, 36);
	OFF(vdmabuf_release, sent_ns, 40);
	OFF(vdmabuf_event, u.release.frame, 24);
	OFF(vdmabuf_event, u.release.flags, 44);

	SIZE(vdmabuf_retired, 16);
	OFF(vdmabuf_retired, id, 0);
	SIZE(vdmabuf_present_error, 32);
	OFF(vdmabuf_present_error, id, 0);
	OFF(vdmabuf_present_error, frame, 16);
	OFF(vdmabuf_present_error, status, 24);
	OFF(vdmabuf_present_error, reserved, 28);
	OFF(vdmabuf_event, u.present_error.status, 32);
	SIZE(vdmabuf_reset, 16);
	OFF(vdmabuf_reset, device, 0);

	SIZE(vdmabuf_consumers, 8);
	OFF(vdmabuf_consumers, count, 0);
	OFF(vdmabuf_consumers, reserved, 4);

	SIZE(vdmabuf_mode_hint, 24);
	OFF(vdmabuf_mode_hint, width, 0);
	OFF(vdmabuf_mode_hint, height, 4);
	OFF(vdmabuf_mode_hint, refresh_mhz, 8);
	OFF(vdmabuf_mode_hint, scale_120, 12);
	OFF(vdmabuf_mode_hint, output, 16);
	OFF(vdmabuf_mode_hint, flags, 20);
	OFF(vdmabuf_event, u.mode_hint.scale_120, 20);
	OFF(vdmabuf_event, u.mode_hint.output, 24);

	SIZE(vdmabuf_output, 40);
	OFF(vdmabuf_output, output, 16);
	OFF(vdmabuf_output, flags, 20);
	OFF(vdmabuf_output, width, 24);
	OFF(vdmabuf_output, height, 28);
	OFF(vdmabuf_output, refresh_mhz, 32);
	OFF(vdmabuf_output, scale_120, 36);

	SIZE(vdmabuf_input, 56);
	OFF(vdmabuf_input, kind, 0);
	OFF(vdmabuf_input, output, 4);
	OFF(vdmabuf_input, time_usec, 8);
	OFF(vdmabuf_input, args, 16);
	OFF(vdmabuf_event, u.input.args[9], 60);

	SIZE(vdmabuf_keymap, 56);
	OFF(vdmabuf_keymap, format, 0);
	OFF(vdmabuf_keymap, size, 4);
	OFF(vdmabuf_keymap, offset, 8);
	OFF(vdmabuf_keymap, len, 12);
	OFF(vdmabuf_keymap, data, 16);

	/* The clipboard (§17): payloads in events and after a request's header. */
	SIZE(vdmabuf_clip_offer, 16);
	OFF(vdmabuf_clip_offer, formats, 8);
	OFF(vdmabuf_clip_offer, owner, 12);
	SIZE(vdmabuf_clip_xfer, 16);
	OFF(vdmabuf_clip_xfer, serial, 8);
	OFF(vdmabuf_clip_xfer, format, 12);
	SIZE(vdmabuf_clip_ack, 8);
	SIZE(vdmabuf_clip_cancel, 8);
	CHECK(sizeof(struct vdmabuf_clip_piece) == 56);
	OFF(vdmabuf_clip_piece, len, 4);
	OFF(vdmabuf_clip_piece, flags, 6);
	OFF(vdmabuf_clip_piece, status, 7);
	OFF(vdmabuf_clip_piece, data, 8);
	SIZE(vdmabuf_clip_req, 32);
	OFF(vdmabuf_clip_req, u.offer.selection, 16);
	SIZE(vdmabuf_clip_data, 32);
	OFF(vdmabuf_clip_data, transfer, 16);
	OFF(vdmabuf_clip_data, len, 20);
	OFF(vdmabuf_clip_data, flags, 24);
	OFF(vdmabuf_clip_data, status, 28);
	OFF(vdmabuf_event, u.piece.data[47], 63);
	CHECK(VDMABUF_F_CLIPBOARD == 6);
	CHECK(VDMABUF_CTRL_SELECTION == 0x0105 && VDMABUF_CTRL_CLIP_CLOSE == 0x0109);
	CHECK(VDMABUF_EVENT_SELECTION == 0x0208 && VDMABUF_EVENT_CLIP_CANCEL == 0x020c);
	CHECK(VDMABUF_S_EPERM == 8 && VDMABUF_S_EFBIG == 9 && VDMABUF_S_EPIPE == 10 &&
	      VDMABUF_S_EIO == 11);
	/* Every status reaches the driver's callers and consumers as one errno. */
	CHECK(vdmabuf_status_errno(VDMABUF_S_OK) == 0);
	CHECK(vdmabuf_status_errno(VDMABUF_S_ENOTSUP) == -EOPNOTSUPP);
	CHECK(vdmabuf_status_errno(VDMABUF_S_EFBIG) == -EFBIG);
	CHECK(vdmabuf_status_errno(VDMABUF_S_EPIPE) == -EPIPE);
	CHECK(vdmabuf_status_errno(VDMABUF_S_EIO) == -EIO);
	CHECK(vdmabuf_status_errno(12) == -EIO);

	/* What the host imports (§18), three pairs an event. */
	SIZE(vdmabuf_wire_format, 16);
	OFF(vdmabuf_wire_format, reserved, 4);
	OFF(vdmabuf_wire_format, modifier, 8);
	CHECK(sizeof(struct vdmabuf_formats) == 56);
	OFF(vdmabuf_formats, total, 2);
	OFF(vdmabuf_formats, reserved, 4);
	OFF(vdmabuf_formats, formats, 8);
	OFF(vdmabuf_event, u.formats.formats[2].modifier, 56);
	CHECK(VDMABUF_F_FORMATS == 7 && VDMABUF_EVENT_FORMATS == 0x020d);
	CHECK(sizeof(struct vdmabuf_format) == 16);
	CHECK(sizeof(struct vdmabuf_msg_formats) == 272);
	CHECK(offsetof(struct vdmabuf_msg_formats, formats) == 16);

	/* The consumer protocol and /dev/vdmabuf keep their sizes. */
	CHECK(sizeof(struct vdmabuf_consumer_msg) == 304);
	CHECK(sizeof(struct vdmabuf_msg_clip) == 272);
	CHECK(sizeof(struct vdmabuf_msg_keymap) == 272);
	CHECK(sizeof(struct vdmabuf_msg_input) == 56);
	CHECK(sizeof(struct vdmabuf_uevent) == 64);
	CHECK(offsetof(struct vdmabuf_uevent, scale_120) == 60);
	CHECK(offsetof(struct vdmabuf_uevent, input.args) == 24);
	CHECK(offsetof(struct vdmabuf_uevent, keymap.data) == 24);
}

static void test_check_clip(void)
{
	CHECK(vdmabuf_clip_selection_valid(VDMABUF_SELECTION_PRIMARY));
	CHECK(!vdmabuf_clip_selection_valid(2));
	CHECK(vdmabuf_clip_formats_valid(0) && vdmabuf_clip_formats_valid(0x3f));
	CHECK(!vdmabuf_clip_formats_valid(0x40));
	CHECK(vdmabuf_clip_format_offered(VDMABUF_CLIP_PNG, 1u << VDMABUF_CLIP_PNG));
	CHECK(!vdmabuf_clip_format_offered(VDMABUF_CLIP_TEXT, 1u << VDMABUF_CLIP_PNG));
	CHECK(!vdmabuf_clip_format_offered(32, ~0u));
	CHECK(vdmabuf_clip_piece_fits(100, 100, VDMABUF_CLIP_WINDOW));
	CHECK(!vdmabuf_clip_piece_fits(101, 100, VDMABUF_CLIP_WINDOW));
	/* Each side maps its MIME types to the same formats. */
	CHECK(vdmabuf_clip_format_of_mime("UTF8_STRING") == VDMABUF_CLIP_TEXT);
	CHECK(vdmabuf_clip_format_of_mime("text/plain") == VDMABUF_CLIP_TEXT);
	CHECK(vdmabuf_clip_format_of_mime("image/png") == VDMABUF_CLIP_PNG);
	CHECK(vdmabuf_clip_format_of_mime("text/uri-list") == VDMABUF_CLIP_URI_LIST);
	CHECK(vdmabuf_clip_format_of_mime("text/plain;charset=iso-8859-1") == -1);
	CHECK(vdmabuf_clip_format_of_mime("") == -1);
	for (unsigned int f = 0; f < VDMABUF_CLIP_FORMATS; f++)
		CHECK(vdmabuf_clip_format_of_mime(vdmabuf_clip_format_mime(f)) == (int)f);
	CHECK(!vdmabuf_clip_format_mime(VDMABUF_CLIP_FORMATS));
	/* Every name of every format maps back to it, and no name is two formats'. */
	for (uint32_t f = 0; f < VDMABUF_CLIP_FORMATS; f++)
		for (const char *const *mime = vdmabuf_clip_format_mimes(f); *mime; mime++)
			CHECK(vdmabuf_clip_format_of_mime(*mime) == (int)f);
	CHECK(!vdmabuf_clip_format_mimes(VDMABUF_CLIP_FORMATS));
}

static void test_check_formats(void)
{
	const __u64 linear = 0, invalid = VDMABUF_FORMAT_MOD_INVALID;

	CHECK(vdmabuf_format_valid(VDMABUF_FOURCC('X', 'R', '2', '4'), 0, linear));
	CHECK(!vdmabuf_format_valid(0, 0, linear));
	CHECK(!vdmabuf_format_valid(VDMABUF_FOURCC('X', 'R', '2', '4'), 1, linear));
	CHECK(!vdmabuf_format_valid(VDMABUF_FOURCC('X', 'R', '2', '4'), 0, invalid));
	/* No list: a lone empty piece. */
	CHECK(vdmabuf_formats_piece_valid(0, 0, 0, 3, 0));
	CHECK(!vdmabuf_formats_piece_valid(0, 0, 1, 3, 0));
	CHECK(!vdmabuf_formats_piece_valid(3, 0, 0, 3, 3));
	/* 7 pairs in pieces of 3, in order. */
	CHECK(vdmabuf_formats_piece_valid(0, 7, 3, 3, 0));
	CHECK(vdmabuf_formats_piece_valid(0, 7, 3, 3, 5));	/* index 0 starts again */
	CHECK(vdmabuf_formats_piece_valid(3, 7, 3, 3, 3));
	CHECK(vdmabuf_formats_piece_valid(6, 7, 1, 3, 6));
	CHECK(!vdmabuf_formats_piece_valid(6, 7, 2, 3, 6));	/* past the end */
	CHECK(!vdmabuf_formats_piece_valid(6, 7, 1, 3, 3));	/* a piece lost */
	CHECK(!vdmabuf_formats_piece_valid(3, 7, 4, 3, 3));	/* over the piece size */
	CHECK(!vdmabuf_formats_piece_valid(0, 7, 0, 3, 0));	/* empty */
	CHECK(vdmabuf_formats_piece_valid(0, VDMABUF_MAX_FORMATS, 3, 3, 0));
	CHECK(!vdmabuf_formats_piece_valid(0, VDMABUF_MAX_FORMATS + 1, 3, 3, 0));
	CHECK(!vdmabuf_formats_piece_valid(0xfffffffe, 0xffffffff, 3, 3, 0xfffffffe));
}

static void test_check_input(void)
{
	int32_t a[VDMABUF_INPUT_ARGS] = { 0 };

	CHECK(vdmabuf_input_valid(VDMABUF_INPUT_FRAME, a));
	CHECK(!vdmabuf_input_valid(0, a) && !vdmabuf_input_valid(99, a));
	a[0] = VDMABUF_INPUT_MAX_KEY, a[1] = 1;
	CHECK(vdmabuf_input_valid(VDMABUF_INPUT_KEY, a));
	a[0] = VDMABUF_INPUT_MAX_KEY + 1;
	CHECK(!vdmabuf_input_valid(VDMABUF_INPUT_KEY, a));
	a[0] = 30, a[1] = 2;
	CHECK(!vdmabuf_input_valid(VDMABUF_INPUT_KEY, a));
	a[0] = 0x110, a[1] = 0;
	CHECK(vdmabuf_input_valid(VDMABUF_INPUT_BUTTON, a));
	a[0] = 0x10f;
	CHECK(!vdmabuf_input_valid(VDMABUF_INPUT_BUTTON, a));
	a[0] = VDMABUF_INPUT_MAX_POS - 1, a[1] = 0;
	CHECK(vdmabuf_input_valid(VDMABUF_INPUT_MOTION, a));
	a[1] = -1;
	CHECK(!vdmabuf_input_valid(VDMABUF_INPUT_MOTION, a));
	a[0] = 1, a[1] = -5 * 256, a[2] = -120, a[3] = 0, a[4] = 1;
	CHECK(vdmabuf_input_valid(VDMABUF_INPUT_AXIS, a));
	a[3] = 4;
	CHECK(!vdmabuf_input_valid(VDMABUF_INPUT_AXIS, a));
	a[3] = 0, a[5] = 1;				/* an argument AXIS does not use */
	CHECK(!vdmabuf_input_valid(VDMABUF_INPUT_AXIS, a));
	memset(a, 0, sizeof(a));
	a[0] = VDMABUF_INPUT_MAX_TOUCH;
	CHECK(!vdmabuf_input_valid(VDMABUF_INPUT_TOUCH_UP, a));

	CHECK(vdmabuf_keymap_piece_valid(VDMABUF_KEYMAP_XKB_V1, 100, 0, 40, 40, 0));
	CHECK(vdmabuf_keymap_piece_valid(VDMABUF_KEYMAP_XKB_V1, 100, 80, 20, 40, 80));
	CHECK(!vdmabuf_keymap_piece_valid(VDMABUF_KEYMAP_XKB_V1, 100, 80, 21, 40, 80));
	CHECK(!vdmabuf_keymap_piece_valid(VDMABUF_KEYMAP_XKB_V1, 100, 40, 40, 40, 0));
	CHECK(!vdmabuf_keymap_piece_valid(VDMABUF_KEYMAP_XKB_V1, 100, 0, 41, 40, 0));
	CHECK(!vdmabuf_keymap_piece_valid(2, 100, 0, 40, 40, 0));
	CHECK(!vdmabuf_keymap_piece_valid(VDMABUF_KEYMAP_XKB_V1, VDMABUF_MAX_KEYMAP + 1, 0, 40,
					  40, 0));
}

/* Encoding: every field set to a distinct nonzero value, compared byte by
 * byte with the wire form written out by hand, then decoded back. */

static void test_config_bytes(void)
{
	static const uint8_t want[24] = {
		0x00, 0x10, 0x00, 0x00,			/* max_buffers 4096 */
		0x00, 0x00, 0x01, 0x00,			/* max_extents 65536 */
		0x00, 0x00, 0x00, 0x40, 0, 0, 0, 0,	/* max_buffer_size 1 GiB */
		0x02, 0x00, 0x00, 0x00,			/* consumers 2 */
		0x00, 0x00, 0x00, 0x00,			/* reserved */
	};
	struct vdmabuf_config c;

	memset(&c, 0, sizeof(c));
	c.max_buffers = htole32(4096);
	c.max_extents = htole32(65536);
	c.max_buffer_size = htole64(1ull << 30);
	c.consumers = htole32(2);
	CHECK_BYTES(c, want);

	memset(&c, 0xff, sizeof(c));
	DECODE(c, want);
	CHECK(le32toh(c.max_buffers) == 4096);
	CHECK(le32toh(c.max_extents) == 65536);
	CHECK(le64toh(c.max_buffer_size) == 1ull << 30);
	CHECK(le32toh(c.consumers) == 2);
	CHECK(c.reserved == 0);
}

static void test_small_bytes(void)
{
	static const uint8_t hdr_want[16] = {
		0x01, 0x01, 0x00, 0x00,			/* type EXPORT */
		0x44, 0x33, 0x22, 0x11,			/* flags */
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,	/* cookie */
	};
	static const uint8_t id_want[16] = {
		0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,	/* device */
		0xcc, 0xbb, 0xaa, 0x99, 0x07, 0x00, 0x00, 0x00,	/* key: seq 7 */
	};
	static const uint8_t ext_want[16] = {
		0x00, 0xf0, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01,	/* addr */
		0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00,	/* len 2 MiB */
	};
	static const uint8_t plane_want[8] = {
		0x00, 0x80, 0x7e, 0x00,			/* offset 8290304 */
		0x00, 0x1e, 0x00, 0x00,			/* stride 7680 */
	};
	static const uint8_t rect_want[16] = {
		0x0a, 0x00, 0x00, 0x00,			/* x 10 */
		0x14, 0x00, 0x00, 0x00,			/* y 20 */
		0x00, 0x01, 0x00, 0x00,			/* width 256 */
		0x38, 0x04, 0x00, 0x00,			/* height 1080 */
	};
	static const uint8_t reply_want[32] = {
		0x07, 0x00, 0x00, 0x00,			/* status EBUSY */
		0x00, 0x00, 0x00, 0x00,			/* reserved */
		0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01,	/* cookie */
		0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,	/* id.device */
		0xcc, 0xbb, 0xaa, 0x99, 0x07, 0x00, 0x00, 0x00,	/* id.key */
	};
	static const uint8_t unexport_want[32] = {
		0x03, 0x01, 0x00, 0x00,			/* type UNEXPORT */
		0x00, 0x00, 0x00, 0x00,			/* flags */
		0x2a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* cookie 42 */
		0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,	/* id.device */
		0xcc, 0xbb, 0xaa, 0x99, 0x07, 0x00, 0x00, 0x00,	/* id.key */
	};
	const uint64_t dev = 0x1122334455667788ull, key = 0x0000000799aabbccull;
	struct vdmabuf_ctrl_hdr hdr;
	struct vdmabuf_wire_id id;
	struct vdmabuf_extent ext;
	struct vdmabuf_plane plane;
	struct vdmabuf_rect rect;
	struct vdmabuf_reply reply;
	struct vdmabuf_unexport unexp;

	memset(&hdr, 0, sizeof(hdr));
	hdr.type = htole32(VDMABUF_CTRL_EXPORT);
	hdr.flags = htole32(0x11223344);
	hdr.cookie = htole64(0x0102030405060708ull);
	CHECK_BYTES(hdr, hdr_want);
	DECODE(hdr, hdr_want);
	CHECK(le32toh(hdr.type) == VDMABUF_CTRL_EXPORT);
	CHECK(le32toh(hdr.flags) == 0x11223344);
	CHECK(le64toh(hdr.cookie) == 0x0102030405060708ull);

	memset(&id, 0, sizeof(id));
	id.device = htole64(dev);
	id.key = htole64(key);
	CHECK_BYTES(id, id_want);
	DECODE(id, id_want);
	CHECK(le64toh(id.device) == dev && le64toh(id.key) == key);
	CHECK(le64toh(id.key) >> 32 == 7);		/* the sequence half */

	memset(&ext, 0, sizeof(ext));
	ext.addr = htole64(0x0123456789abf000ull);
	ext.len = htole64(2u << 20);
	CHECK_BYTES(ext, ext_want);
	DECODE(ext, ext_want);
	CHECK(le64toh(ext.addr) == 0x0123456789abf000ull);
	CHECK(le64toh(ext.len) == 2u << 20);

	memset(&plane, 0, sizeof(plane));
	plane.offset = htole32(8290304);
	plane.stride = htole32(7680);
	CHECK_BYTES(plane, plane_want);
	DECODE(plane, plane_want);
	CHECK(le32toh(plane.offset) == 8290304 && le32toh(plane.stride) == 7680);

	memset(&rect, 0, sizeof(rect));
	rect.x = htole32(10);
	rect.y = htole32(20);
	rect.width = htole32(256);
	rect.height = htole32(1080);
	CHECK_BYTES(rect, rect_want);
	DECODE(rect, rect_want);
	CHECK(le32toh(rect.x) == 10 && le32toh(rect.y) == 20);
	CHECK(le32toh(rect.width) == 256 && le32toh(rect.height) == 1080);

	memset(&reply, 0, sizeof(reply));
	reply.status = htole32(VDMABUF_S_EBUSY);
	reply.cookie = htole64(0x0123456789abcdefull);
	reply.id.device = htole64(dev);
	reply.id.key = htole64(key);
	CHECK_BYTES(reply, reply_want);
	memset(&reply, 0xff, sizeof(reply));
	DECODE(reply, reply_want);
	CHECK(le32toh(reply.status) == VDMABUF_S_EBUSY && reply.reserved == 0);
	CHECK(le64toh(reply.cookie) == 0x0123456789abcdefull);
	CHECK(le64toh(reply.id.device) == dev && le64toh(reply.id.key) == key);

	memset(&unexp, 0, sizeof(unexp));
	unexp.hdr.type = htole32(VDMABUF_CTRL_UNEXPORT);
	unexp.hdr.cookie = htole64(42);
	unexp.id.device = htole64(dev);
	unexp.id.key = htole64(key);
	CHECK_BYTES(unexp, unexport_want);
	memset(&unexp, 0xff, sizeof(unexp));
	DECODE(unexp, unexport_want);
	CHECK(le32toh(unexp.hdr.type) == VDMABUF_CTRL_UNEXPORT && unexp.hdr.flags == 0);
	CHECK(le64toh(unexp.hdr.cookie) == 42);
	CHECK(le64toh(unexp.id.device) == dev && le64toh(unexp.id.key) == key);
}

/* An EXPORT as it sits in the driver-readable part of the chain. */
struct export_msg {
	struct vdmabuf_export e;
	struct vdmabuf_extent x[2];
};

static void test_export_bytes(void)
{
	static const uint8_t want[88 + 2 * 16] = {
		0x01, 0x01, 0x00, 0x00,			/*  0 hdr.type EXPORT */
		0x00, 0x00, 0x00, 0x00,			/*  4 hdr.flags */
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,	/*  8 hdr.cookie */
		0x80, 0x07, 0x00, 0x00,			/* 16 width 1920 */
		0x38, 0x04, 0x00, 0x00,			/* 20 height 1080 */
		'N', 'V', '1', '2',			/* 24 fourcc NV12 */
		0x02, 0x00, 0x00, 0x00,			/* 28 num_planes 2 */
		0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,	/* 32 modifier */
		0x00, 0x00, 0x00, 0x00,			/* 40 planes[0].offset 0 */
		0x80, 0x07, 0x00, 0x00,			/* 44 planes[0].stride 1920 */
		0x00, 0xa4, 0x1f, 0x00,			/* 48 planes[1].offset 2073600 */
		0x80, 0x07, 0x00, 0x00,			/* 52 planes[1].stride 1920 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* 56 planes[2] */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* 64 planes[3] */
		0x00, 0x80, 0x2f, 0x00, 0x00, 0x00, 0x00, 0x00,	/* 72 size 3112960 */
		0x02, 0x00, 0x00, 0x00,			/* 80 num_extents 2 */
		0x00, 0x00, 0x00, 0x00,			/* 84 reserved */
		0x00, 0x00, 0x00, 0x40, 0x01, 0x00, 0x00, 0x00,	/* 88 x[0].addr 0x140000000 */
		0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00,	/* 96 x[0].len 2 MiB */
		0x00, 0x30, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00,	/* 104 x[1].addr 0x123000 */
		0x00, 0x80, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00,	/* 112 x[1].len 0xf8000 */
	};
	struct export_msg m;
	__u64 total = 0;

	CHECK(sizeof(m) == 88 + 2 * 16);
	memset(&m, 0, sizeof(m));
	m.e.hdr.type = htole32(VDMABUF_CTRL_EXPORT);
	m.e.hdr.cookie = htole64(0x0102030405060708ull);
	m.e.width = htole32(1920);
	m.e.height = htole32(1080);
	m.e.fourcc = htole32(0x3231564e);	/* 'N' | 'V' << 8 | '1' << 16 | '2' << 24 */
	m.e.num_planes = htole32(2);
	m.e.modifier = htole64(0x0100000000000001ull);
	m.e.planes[0].stride = htole32(1920);
	m.e.planes[1].offset = htole32(1920 * 1080);
	m.e.planes[1].stride = htole32(1920);
	m.e.size = htole64(0x2f8000);
	m.e.num_extents = htole32(2);
	m.x[0].addr = htole64(0x140000000ull);
	m.x[0].len = htole64(0x200000);
	m.x[1].addr = htole64(0x123000);
	m.x[1].len = htole64(0xf8000);
	CHECK_BYTES(m, want);

	memset(&m, 0xff, sizeof(m));
	DECODE(m, want);
	CHECK(le32toh(m.e.hdr.type) == VDMABUF_CTRL_EXPORT && m.e.hdr.flags == 0);
	CHECK(le64toh(m.e.hdr.cookie) == 0x0102030405060708ull);
	CHECK(le32toh(m.e.width) == 1920 && le32toh(m.e.height) == 1080);
	CHECK(le32toh(m.e.fourcc) == 0x3231564e);
	CHECK(le32toh(m.e.num_planes) == 2);
	CHECK(le64toh(m.e.modifier) == 0x0100000000000001ull);
	CHECK(le32toh(m.e.planes[0].offset) == 0 && le32toh(m.e.planes[0].stride) == 1920);
	CHECK(le32toh(m.e.planes[1].offset) == 2073600);
	CHECK(le32toh(m.e.planes[1].stride) == 1920);
	CHECK(m.e.planes[2].offset == 0 && m.e.planes[3].stride == 0);
	CHECK(le64toh(m.e.size) == 3112960 && le32toh(m.e.num_extents) == 2);
	CHECK(m.e.reserved == 0);
	CHECK(le64toh(m.x[0].addr) == 0x140000000ull && le64toh(m.x[1].len) == 0xf8000);

	/* The decoded request is a valid one whose extents add up to size. */
	CHECK(vdmabuf_check_export(&m.e, sizeof(want), 2, VDMABUF_MAX_BUFFER_SIZE) ==
	      VDMABUF_S_OK);
	CHECK(vdmabuf_check_extent(&m.x[0], &total) == VDMABUF_S_OK);
	CHECK(vdmabuf_check_extent(&m.x[1], &total) == VDMABUF_S_OK);
	CHECK(total == le64toh(m.e.size));
}

static void test_present_bytes(void)
{
	static const uint8_t want[304] = {
		0x02, 0x01, 0x00, 0x00,			/*  0 hdr.type PRESENT */
		0x00, 0x00, 0x00, 0x00,			/*  4 hdr.flags */
		0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,	/*  8 hdr.cookie */
		0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,	/* 16 id.device */
		0x04, 0x03, 0x02, 0x01, 0x2a, 0x00, 0x00, 0x00,	/* 24 id.key */
		0xe8, 0x03, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,	/* 32 frame 0x1000003e8 */
		0x10, 0x00, 0x00, 0x00,			/* 40 num_damage 16 */
		0x00, 0x00, 0x00, 0x00,			/* 44 reserved */
		/* 48 damage[0] = { 1, 2, 3, 4 } */
		0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
		0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00,
		/* 64 damage[1] = { 0x100, 0x200, 0x10000, 0x1000000 } */
		0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00,
		0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01,
		/* 288 damage[15] = { 16383, 16383, 1, 1 } */
		[288] = 0xff, 0x3f, 0x00, 0x00, 0xff, 0x3f, 0x00, 0x00,
		0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	};
	struct vdmabuf_present p;

	memset(&p, 0, sizeof(p));
	p.hdr.type = htole32(VDMABUF_CTRL_PRESENT);
	p.hdr.cookie = htole64(0xfedcba9876543210ull);
	p.id.device = htole64(0x1122334455667788ull);
	p.id.key = htole64(0x0000002a01020304ull);
	p.frame = htole64(0x1000003e8ull);
	p.num_damage = htole32(16);
	p.damage[0].x = htole32(1);
	p.damage[0].y = htole32(2);
	p.damage[0].width = htole32(3);
	p.damage[0].height = htole32(4);
	p.damage[1].x = htole32(0x100);
	p.damage[1].y = htole32(0x200);
	p.damage[1].width = htole32(0x10000);
	p.damage[1].height = htole32(0x1000000);
	p.damage[15].x = htole32(16383);
	p.damage[15].y = htole32(16383);
	p.damage[15].width = htole32(1);
	p.damage[15].height = htole32(1);
	CHECK_BYTES(p, want);

	memset(&p, 0xff, sizeof(p));
	DECODE(p, want);
	CHECK(le32toh(p.hdr.type) == VDMABUF_CTRL_PRESENT && p.hdr.flags == 0);
	CHECK(le64toh(p.hdr.cookie) == 0xfedcba9876543210ull);
	CHECK(le64toh(p.id.device) == 0x1122334455667788ull);
	CHECK(le64toh(p.id.key) == 0x0000002a01020304ull);
	CHECK(le64toh(p.frame) == 0x1000003e8ull);
	CHECK(le32toh(p.num_damage) == 16 && p.output == 0);
	CHECK(le32toh(p.damage[0].x) == 1 && le32toh(p.damage[0].height) == 4);
	CHECK(le32toh(p.damage[1].width) == 0x10000);
	CHECK(le32toh(p.damage[1].height) == 0x1000000);
	CHECK(p.damage[2].x == 0 && p.damage[14].height == 0);
	CHECK(le32toh(p.damage[15].x) == 16383 && le32toh(p.damage[15].height) == 1);
	CHECK(vdmabuf_check_present(&p, sizeof(want), 0) == VDMABUF_S_OK);
}

static void test_event_bytes(void)
{
	static const uint8_t release_want[64] = {
		0x01, 0x02, 0x00, 0x00,			/*  0 type RELEASE */
		0x00, 0x00, 0x00, 0x00,			/*  4 reserved */
		0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,	/*  8 id.device */
		0xcc, 0xbb, 0xaa, 0x99, 0x07, 0x00, 0x00, 0x00,	/* 16 id.key */
		0x2a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* 24 frame 42 */
		0x00, 0xca, 0x9a, 0x3b, 0x00, 0x00, 0x00, 0x00,	/* 32 present_ns 1 s */
		0x2b, 0x50, 0xfe, 0x00,			/* 40 refresh_ns 16666667 */
		0x07, 0x00, 0x00, 0x00,			/* 44 flags all three */
		0x00, 0x94, 0x35, 0x77, 0x00, 0x00, 0x00, 0x00,	/* 48 sent_ns 2 s */
		/* 56..63 unused, 0 */
	};
	static const uint8_t retired_want[64] = {
		0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,	/*  8 id.device */
		0xcc, 0xbb, 0xaa, 0x99, 0x07, 0x00, 0x00, 0x00,	/* 16 id.key */
	};
	static const uint8_t consumers_want[64] = {
		0x03, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x03, 0x00, 0x00, 0x00,			/*  8 count 3 */
		0x00, 0x00, 0x00, 0x00,			/* 12 reserved */
	};
	static const uint8_t mode_hint_want[64] = {
		0x04, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x0a, 0x00, 0x00,			/*  8 width 2560 */
		0xa0, 0x05, 0x00, 0x00,			/* 12 height 1440 */
		0x60, 0xea, 0x00, 0x00,			/* 16 refresh_mhz 60000 */
		0xb4, 0x00, 0x00, 0x00,			/* 20 scale_120 180 (1.5) */
	};
	static const uint8_t reset_want[64] = {
		0x05, 0x02, 0x00, 0x00,			/* type RESET, no payload */
	};
	struct vdmabuf_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = htole32(VDMABUF_EVENT_RELEASE);
	ev.u.release.id.device = htole64(0x1122334455667788ull);
	ev.u.release.id.key = htole64(0x0000000799aabbccull);
	ev.u.release.frame = htole64(42);
	ev.u.release.present_ns = htole64(1000000000ull);
	ev.u.release.refresh_ns = htole32(16666667);
	ev.u.release.flags = htole32(VDMABUF_RELEASE_PRESENTED | VDMABUF_RELEASE_VSYNC |
				     VDMABUF_RELEASE_ZERO_COPY);
	ev.u.release.sent_ns = htole64(2000000000ull);
	CHECK_BYTES(ev, release_want);
	memset(&ev, 0xff, sizeof(ev));
	DECODE(ev, release_want);
	CHECK(le32toh(ev.type) == VDMABUF_EVENT_RELEASE && ev.reserved == 0);
	CHECK(le64toh(ev.u.release.id.device) == 0x1122334455667788ull);
	CHECK(le64toh(ev.u.release.id.key) == 0x0000000799aabbccull);
	CHECK(le64toh(ev.u.release.frame) == 42);
	CHECK(le64toh(ev.u.release.present_ns) == 1000000000ull);
	CHECK(le32toh(ev.u.release.refresh_ns) == 16666667);
	CHECK(le32toh(ev.u.release.flags) == 7);
	CHECK(le64toh(ev.u.release.sent_ns) == 2000000000ull);

	memset(&ev, 0, sizeof(ev));
	ev.type = htole32(VDMABUF_EVENT_RETIRED);
	ev.u.retired.id.device = htole64(0x1122334455667788ull);
	ev.u.retired.id.key = htole64(0x0000000799aabbccull);
	CHECK_BYTES(ev, retired_want);
	memset(&ev, 0xff, sizeof(ev));
	DECODE(ev, retired_want);
	CHECK(le32toh(ev.type) == VDMABUF_EVENT_RETIRED);
	CHECK(le64toh(ev.u.retired.id.device) == 0x1122334455667788ull);
	CHECK(le64toh(ev.u.retired.id.key) == 0x0000000799aabbccull);

	memset(&ev, 0, sizeof(ev));
	ev.type = htole32(VDMABUF_EVENT_CONSUMERS);
	ev.u.consumers.count = htole32(3);
	CHECK_BYTES(ev, consumers_want);
	memset(&ev, 0xff, sizeof(ev));
	DECODE(ev, consumers_want);
	CHECK(le32toh(ev.type) == VDMABUF_EVENT_CONSUMERS);
	CHECK(le32toh(ev.u.consumers.count) == 3 && ev.u.consumers.reserved == 0);

	memset(&ev, 0, sizeof(ev));
	ev.type = htole32(VDMABUF_EVENT_MODE_HINT);
	ev.u.mode_hint.width = htole32(2560);
	ev.u.mode_hint.height = htole32(1440);
	ev.u.mode_hint.refresh_mhz = htole32(60000);
	ev.u.mode_hint.scale_120 = htole32(180);
	CHECK_BYTES(ev, mode_hint_want);
	memset(&ev, 0xff, sizeof(ev));
	DECODE(ev, mode_hint_want);
	CHECK(le32toh(ev.type) == VDMABUF_EVENT_MODE_HINT);
	CHECK(le32toh(ev.u.mode_hint.width) == 2560);
	CHECK(le32toh(ev.u.mode_hint.height) == 1440);
	CHECK(le32toh(ev.u.mode_hint.refresh_mhz) == 60000);
	CHECK(le32toh(ev.u.mode_hint.scale_120) == 180);

	memset(&ev, 0, sizeof(ev));
	ev.type = htole32(VDMABUF_EVENT_RESET);
	CHECK_BYTES(ev, reset_want);
	memset(&ev, 0xff, sizeof(ev));
	DECODE(ev, reset_want);
	CHECK(le32toh(ev.type) == VDMABUF_EVENT_RESET);
}

/* Validators */

#define MAX_EXT 4
#define MAX_SIZE (1ull << 20)

/* A valid EXPORT of 64x64 XRGB8888 in two 8 KiB extents. */
static void make_export(struct export_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->e.hdr.type = htole32(VDMABUF_CTRL_EXPORT);
	m->e.width = htole32(64);
	m->e.height = htole32(64);
	m->e.fourcc = htole32(0x34325258);
	m->e.num_planes = htole32(1);
	m->e.planes[0].stride = htole32(256);
	m->e.size = htole64(16384);
	m->e.num_extents = htole32(2);
	m->x[0].addr = htole64(0x100000);
	m->x[0].len = htole64(8192);
	m->x[1].addr = htole64(0x200000);
	m->x[1].len = htole64(8192);
}

static __u32 check_export(const struct export_msg *m, __u64 readable_len)
{
	return vdmabuf_check_export(&m->e, readable_len, MAX_EXT, MAX_SIZE);
}

static void test_check_export(void)
{
	const __u64 full = sizeof(struct export_msg);
	struct export_msg m;

	/* The request is followed by exactly two extents. */
	CHECK(full == 88 + 2 * 16);

#define EXPORT_IS(mutate, want) do {					\
	make_export(&m);						\
	mutate;								\
	CHECK(check_export(&m, full) == (want));			\
} while (0)

	EXPORT_IS((void)0, VDMABUF_S_OK);
	/* Readable length beyond the extents is allowed. */
	make_export(&m);
	CHECK(vdmabuf_check_export(&m.e, full + 4096, MAX_EXT, MAX_SIZE) == VDMABUF_S_OK);

	/* Short request, nonzero flags or reserved: EINVAL. */
	make_export(&m);
	CHECK(check_export(&m, 0) == VDMABUF_S_EINVAL);
	CHECK(check_export(&m, sizeof(struct vdmabuf_ctrl_hdr)) == VDMABUF_S_EINVAL);
	CHECK(check_export(&m, 87) == VDMABUF_S_EINVAL);
	EXPORT_IS(m.e.hdr.flags = htole32(1), VDMABUF_S_EINVAL);
	EXPORT_IS(m.e.hdr.flags = htole32(0x80000000u), VDMABUF_S_EINVAL);
	EXPORT_IS(m.e.reserved = htole32(1), VDMABUF_S_EINVAL);

	/* No extents, empty or unaligned size: EINVAL. */
	EXPORT_IS(m.e.num_extents = 0, VDMABUF_S_EINVAL);
	EXPORT_IS(m.e.size = 0, VDMABUF_S_EINVAL);
	EXPORT_IS(m.e.size = htole64(16384 + 1), VDMABUF_S_EINVAL);
	EXPORT_IS(m.e.size = htole64(16384 - 512), VDMABUF_S_EINVAL);

	/* Over the device's limits: ENOSPC. */
	EXPORT_IS(m.e.num_extents = htole32(MAX_EXT + 1), VDMABUF_S_ENOSPC);
	EXPORT_IS(m.e.num_extents = htole32(0xffffffffu), VDMABUF_S_ENOSPC);
	EXPORT_IS(m.e.size = htole64(MAX_SIZE + 4096), VDMABUF_S_ENOSPC);
	EXPORT_IS(m.e.size = htole64(0xfffffffffffff000ull), VDMABUF_S_ENOSPC);
	EXPORT_IS(m.e.size = htole64(MAX_SIZE), VDMABUF_S_OK);	/* the limit itself */
	make_export(&m);
	m.e.num_extents = htole32(MAX_EXT);
	CHECK(check_export(&m, 88 + MAX_EXT * 16) == VDMABUF_S_OK);

	/* Readable part too short for num_extents extents: EINVAL. */
	make_export(&m);
	CHECK(check_export(&m, full - 1) == VDMABUF_S_EINVAL);
	CHECK(check_export(&m, 88 + 16) == VDMABUF_S_EINVAL);
	CHECK(check_export(&m, 88) == VDMABUF_S_EINVAL);
	EXPORT_IS(m.e.num_extents = htole32(3), VDMABUF_S_EINVAL);

	/* Dimensions: EINVAL outside 1..16384. */
	EXPORT_IS(m.e.width = 0, VDMABUF_S_EINVAL);
	EXPORT_IS(m.e.height = 0, VDMABUF_S_EINVAL);
	EXPORT_IS(m.e.width = htole32(VDMABUF_MAX_DIMENSION + 1), VDMABUF_S_EINVAL);
	EXPORT_IS(m.e.height = htole32(VDMABUF_MAX_DIMENSION + 1), VDMABUF_S_EINVAL);
	EXPORT_IS(m.e.height = htole32(0xffffffffu), VDMABUF_S_EINVAL);
	/* (In a format the layout check does not know, rows that fit.) */
	EXPORT_IS((m.e.fourcc = htole32(0x3f3f3f3f),
		   m.e.width = htole32(VDMABUF_MAX_DIMENSION)), VDMABUF_S_OK);
	EXPORT_IS((m.e.fourcc = htole32(0x3f3f3f3f), m.e.planes[0].stride = htole32(1),
		   m.e.height = htole32(VDMABUF_MAX_DIMENSION)), VDMABUF_S_OK);

	/* Planes: EINVAL for 0 or more than 4, a zero stride, an offset past
	 * the buffer; planes beyond num_planes are not looked at. */
	EXPORT_IS(m.e.num_planes = 0, VDMABUF_S_EINVAL);
	EXPORT_IS(m.e.num_planes = htole32(VDMABUF_MAX_PLANES + 1), VDMABUF_S_EINVAL);
	EXPORT_IS(m.e.planes[0].stride = 0, VDMABUF_S_EINVAL);
	EXPORT_IS(m.e.planes[0].offset = htole32(16384), VDMABUF_S_EINVAL);
	EXPORT_IS(m.e.planes[0].offset = htole32(0xffffffffu), VDMABUF_S_EINVAL);
	EXPORT_IS(m.e.planes[0].offset = htole32(16383), VDMABUF_S_EINVAL);	/* rows past */
	EXPORT_IS((m.e.fourcc = htole32(0x3f3f3f3f), m.e.height = htole32(1),
		   m.e.planes[0].offset = htole32(16128)), VDMABUF_S_OK);
	EXPORT_IS(m.e.planes[1].offset = htole32(0xffffffffu), VDMABUF_S_OK);
	EXPORT_IS((m.e.num_planes = htole32(4),
		   m.e.planes[1].stride = htole32(1), m.e.planes[2].stride = htole32(1),
		   m.e.planes[3].stride = htole32(1), m.e.planes[3].offset = htole32(8192)),
		  VDMABUF_S_OK);
	EXPORT_IS((m.e.num_planes = htole32(4),
		   m.e.planes[1].stride = htole32(1), m.e.planes[2].stride = htole32(1)),
		  VDMABUF_S_EINVAL);	/* plane 3's stride is 0 */

	/*
	 * The layout (spec §8.1, step 7): each row of a known format holds its
	 * pixels, every plane's rows lie inside the buffer, a known format
	 * has all its planes.
	 */
	EXPORT_IS(m.e.planes[0].stride = htole32(255), VDMABUF_S_EINVAL);	/* < 64 * 4 */
	EXPORT_IS(m.e.planes[0].stride = htole32(257), VDMABUF_S_EINVAL);	/* 64 rows past */
	EXPORT_IS((m.e.height = htole32(32), m.e.planes[0].stride = htole32(512)), VDMABUF_S_OK);
	EXPORT_IS((m.e.height = htole32(32), m.e.planes[0].stride = htole32(512),
		   m.e.planes[0].offset = htole32(1)), VDMABUF_S_EINVAL);
	EXPORT_IS(m.e.fourcc = htole32(0x36314752), VDMABUF_S_OK);	/* RG16: 2 bytes */
	EXPORT_IS((m.e.fourcc = htole32(0x36314752), m.e.planes[0].stride = htole32(127)),
		  VDMABUF_S_EINVAL);
	EXPORT_IS(m.e.fourcc = htole32(0x3231564e), VDMABUF_S_EINVAL);	/* NV12, one plane */
	EXPORT_IS((m.e.fourcc = htole32(0x3231564e), m.e.num_planes = htole32(2),
		   m.e.planes[0].stride = htole32(64), m.e.planes[1].offset = htole32(4096),
		   m.e.planes[1].stride = htole32(64)), VDMABUF_S_OK);
	EXPORT_IS((m.e.fourcc = htole32(0x3231564e), m.e.num_planes = htole32(2),
		   m.e.planes[0].stride = htole32(64), m.e.planes[1].offset = htole32(4096),
		   m.e.planes[1].stride = htole32(63)), VDMABUF_S_EINVAL);	/* 32 px * 2 */
	EXPORT_IS((m.e.fourcc = htole32(0x3231564e), m.e.num_planes = htole32(2),
		   m.e.planes[0].stride = htole32(64), m.e.planes[1].offset = htole32(14400),
		   m.e.planes[1].stride = htole32(64)), VDMABUF_S_EINVAL);	/* 32 rows past */

	/* The order of the checks: the first failing step decides. */
	EXPORT_IS((m.e.hdr.flags = htole32(1), m.e.num_extents = htole32(MAX_EXT + 1)),
		  VDMABUF_S_EINVAL);
	EXPORT_IS((m.e.size = 0, m.e.num_extents = htole32(MAX_EXT + 1)),
		  VDMABUF_S_EINVAL);
	EXPORT_IS((m.e.num_extents = htole32(MAX_EXT + 1), m.e.width = 0),
		  VDMABUF_S_ENOSPC);
	make_export(&m);
	m.e.num_extents = htole32(MAX_EXT + 1);
	CHECK(check_export(&m, 88) == VDMABUF_S_ENOSPC);	/* limit before length */
#undef EXPORT_IS
}

static __u32 extent(__u64 addr, __u64 len, __u64 *total)
{
	struct vdmabuf_extent ext;

	ext.addr = htole64(addr);
	ext.len = htole64(len);
	return vdmabuf_check_extent(&ext, total);
}

static void test_check_extent(void)
{
	__u64 total = 0;

	/* OK accumulates the total. */
	CHECK(extent(0x10000, 0x2000, &total) == VDMABUF_S_OK && total == 0x2000);
	CHECK(extent(0, 0x1000, &total) == VDMABUF_S_OK && total == 0x3000);
	CHECK(extent(0x7ffff000, 0x1000, &total) == VDMABUF_S_OK && total == 0x4000);

	/* Zero or unaligned: EINVAL, total untouched. */
	CHECK(extent(0x10000, 0, &total) == VDMABUF_S_EINVAL && total == 0x4000);
	CHECK(extent(0x10001, 0x1000, &total) == VDMABUF_S_EINVAL);
	CHECK(extent(0x10800, 0x1000, &total) == VDMABUF_S_EINVAL);
	CHECK(extent(0x10000, 0x1001, &total) == VDMABUF_S_EINVAL);
	CHECK(extent(0x10000, 0x800, &total) == VDMABUF_S_EINVAL);
	CHECK(total == 0x4000);

	/* addr + len wraps: ERANGE; ending exactly at 2^64 wraps too. */
	CHECK(extent(0xfffffffffffff000ull, 0x2000, &total) == VDMABUF_S_ERANGE);
	CHECK(extent(0xfffffffffffff000ull, 0x1000, &total) == VDMABUF_S_ERANGE);
	CHECK(extent(0x1000, 0xfffffffffffff000ull, &total) == VDMABUF_S_ERANGE);
	CHECK(extent(0xffffffffffffe000ull, 0x1000, &total) == VDMABUF_S_OK);
	CHECK(total == 0x5000);

	/* The running total wraps: ERANGE, total untouched. */
	total = 0xfffffffffffff000ull;
	CHECK(extent(0x10000, 0x2000, &total) == VDMABUF_S_ERANGE);
	CHECK(total == 0xfffffffffffff000ull);
	total = 0xffffffffffffe000ull;
	CHECK(extent(0x10000, 0x1000, &total) == VDMABUF_S_OK);
	CHECK(total == 0xfffffffffffff000ull);

	/* EINVAL is decided before ERANGE. */
	CHECK(extent(0xfffffffffffff001ull, 0x2000, &total) == VDMABUF_S_EINVAL);
}

#define ASYNC (1ull << VDMABUF_F_ASYNC_PRESENT)

static void test_check_output(void)
{
	struct vdmabuf_output o = { .hdr.type = htole32(VDMABUF_CTRL_OUTPUT) };

	o.output = htole32(3);
	o.width = htole32(1920);
	o.height = htole32(1080);
	o.scale_120 = htole32(180);
	CHECK(vdmabuf_check_output(&o, sizeof(o)) == VDMABUF_S_OK);
	CHECK(vdmabuf_check_output(&o, sizeof(o) - 1) == VDMABUF_S_EINVAL);
	o.output = htole32(VDMABUF_MAX_OUTPUTS);
	CHECK(vdmabuf_check_output(&o, sizeof(o)) == VDMABUF_S_EINVAL);
	o.output = htole32(3);
	o.width = 0;
	CHECK(vdmabuf_check_output(&o, sizeof(o)) == VDMABUF_S_EINVAL);
	o.width = htole32(VDMABUF_MAX_DIMENSION + 1);
	CHECK(vdmabuf_check_output(&o, sizeof(o)) == VDMABUF_S_EINVAL);
	o.width = htole32(1920);
	o.scale_120 = htole32(120 * 16 + 1);
	CHECK(vdmabuf_check_output(&o, sizeof(o)) == VDMABUF_S_EINVAL);
	/* GONE names the output and nothing else. */
	o.flags = htole32(VDMABUF_OUTPUT_GONE);
	o.scale_120 = htole32(120);
	CHECK(vdmabuf_check_output(&o, sizeof(o)) == VDMABUF_S_EINVAL);
	o.width = o.height = o.scale_120 = 0;
	CHECK(vdmabuf_check_output(&o, sizeof(o)) == VDMABUF_S_OK);
	o.flags = htole32(2);
	CHECK(vdmabuf_check_output(&o, sizeof(o)) == VDMABUF_S_EINVAL);
	o.flags = 0;
	o.hdr.flags = htole32(1);
	CHECK(vdmabuf_check_output(&o, sizeof(o)) == VDMABUF_S_EINVAL);
}

static void test_check_present(void)
{
	struct vdmabuf_present p;

	memset(&p, 0, sizeof(p));
	p.hdr.type = htole32(VDMABUF_CTRL_PRESENT);
	p.id.key = htole64(1);
	CHECK(vdmabuf_check_present(&p, sizeof(p), 0) == VDMABUF_S_OK);
	CHECK(vdmabuf_check_present(&p, sizeof(p) + 100, 0) == VDMABUF_S_OK);

	/* Short: the whole 304 bytes are required whatever num_damage says. */
	CHECK(vdmabuf_check_present(&p, sizeof(p) - 1, 0) == VDMABUF_S_EINVAL);
	CHECK(vdmabuf_check_present(&p, 48, 0) == VDMABUF_S_EINVAL);
	CHECK(vdmabuf_check_present(&p, 0, 0) == VDMABUF_S_EINVAL);

	p.hdr.flags = htole32(1);
	CHECK(vdmabuf_check_present(&p, sizeof(p), 0) == VDMABUF_S_EINVAL);
	p.hdr.flags = 0;
	/* An output only with VDMABUF_F_OUTPUTS, and below 16. */
	p.output = htole32(1);
	CHECK(vdmabuf_check_present(&p, sizeof(p), 0) == VDMABUF_S_EINVAL);
	CHECK(vdmabuf_check_present(&p, sizeof(p), 1ull << VDMABUF_F_OUTPUTS) == VDMABUF_S_OK);
	p.output = htole32(VDMABUF_MAX_OUTPUTS);
	CHECK(vdmabuf_check_present(&p, sizeof(p), 1ull << VDMABUF_F_OUTPUTS) ==
	      VDMABUF_S_EINVAL);
	p.output = 0;

	p.num_damage = htole32(VDMABUF_MAX_DAMAGE);
	CHECK(vdmabuf_check_present(&p, sizeof(p), 0) == VDMABUF_S_OK);
	p.num_damage = htole32(VDMABUF_MAX_DAMAGE + 1);
	CHECK(vdmabuf_check_present(&p, sizeof(p), 0) == VDMABUF_S_EINVAL);
	p.num_damage = htole32(0xffffffffu);
	CHECK(vdmabuf_check_present(&p, sizeof(p), 0) == VDMABUF_S_EINVAL);
	p.num_damage = htole32(1);
	CHECK(vdmabuf_check_present(&p, sizeof(p), 0) == VDMABUF_S_OK);

	/* Sized (VDMABUF_F_ASYNC_PRESENT): 48 bytes and 16 per rectangle. */
	CHECK(vdmabuf_present_len(0) == 48 && vdmabuf_present_len(5) == 128);
	CHECK(vdmabuf_present_len(VDMABUF_MAX_DAMAGE) == sizeof(p));
	p.num_damage = 0;
	CHECK(vdmabuf_check_present(&p, 48, ASYNC) == VDMABUF_S_OK);
	CHECK(vdmabuf_check_present(&p, 47, ASYNC) == VDMABUF_S_EINVAL);
	p.num_damage = htole32(5);
	CHECK(vdmabuf_check_present(&p, 128, ASYNC) == VDMABUF_S_OK);
	CHECK(vdmabuf_check_present(&p, 127, ASYNC) == VDMABUF_S_EINVAL);
	CHECK(vdmabuf_check_present(&p, 128, 0) == VDMABUF_S_EINVAL);
	p.num_damage = htole32(VDMABUF_MAX_DAMAGE + 1);
	CHECK(vdmabuf_check_present(&p, sizeof(p) + 16, ASYNC) == VDMABUF_S_EINVAL);
	p.num_damage = htole32(0xffffffffu);
	CHECK(vdmabuf_check_present(&p, 48, ASYNC) == VDMABUF_S_EINVAL);
}

/*
 * The device ID fits virtio-pci's modern range as Linux probes it, and no
 * in-tree Linux driver binds it: it differs from every ID Linux names except
 * VIRTIO_ID_DMABUF, which the virtio specification allocated to this kind of
 * device and which no Linux driver claims.
 */
static void test_device_id(void)
{
	static const unsigned int linux_ids[] = {
#ifdef VIRTIO_ID_NET
		VIRTIO_ID_NET,
#endif
#ifdef VIRTIO_ID_BLOCK
		VIRTIO_ID_BLOCK,
#endif
#ifdef VIRTIO_ID_CONSOLE
		VIRTIO_ID_CONSOLE,
#endif
#ifdef VIRTIO_ID_RNG
		VIRTIO_ID_RNG,
#endif
#ifdef VIRTIO_ID_BALLOON
		VIRTIO_ID_BALLOON,
#endif
#ifdef VIRTIO_ID_IOMEM
		VIRTIO_ID_IOMEM,
#endif
#ifdef VIRTIO_ID_RPMSG
		VIRTIO_ID_RPMSG,
#endif
#ifdef VIRTIO_ID_SCSI
		VIRTIO_ID_SCSI,
#endif
#ifdef VIRTIO_ID_9P
		VIRTIO_ID_9P,
#endif
#ifdef VIRTIO_ID_MAC80211_WLAN
		VIRTIO_ID_MAC80211_WLAN,
#endif
#ifdef VIRTIO_ID_RPROC_SERIAL
		VIRTIO_ID_RPROC_SERIAL,
#endif
#ifdef VIRTIO_ID_CAIF
		VIRTIO_ID_CAIF,
#endif
#ifdef VIRTIO_ID_MEMORY_BALLOON
		VIRTIO_ID_MEMORY_BALLOON,
#endif
#ifdef VIRTIO_ID_GPU
		VIRTIO_ID_GPU,
#endif
#ifdef VIRTIO_ID_CLOCK
		VIRTIO_ID_CLOCK,
#endif
#ifdef VIRTIO_ID_INPUT
		VIRTIO_ID_INPUT,
#endif
#ifdef VIRTIO_ID_VSOCK
		VIRTIO_ID_VSOCK,
#endif
#ifdef VIRTIO_ID_CRYPTO
		VIRTIO_ID_CRYPTO,
#endif
#ifdef VIRTIO_ID_SIGNAL_DIST
		VIRTIO_ID_SIGNAL_DIST,
#endif
#ifdef VIRTIO_ID_PSTORE
		VIRTIO_ID_PSTORE,
#endif
#ifdef VIRTIO_ID_IOMMU
		VIRTIO_ID_IOMMU,
#endif
#ifdef VIRTIO_ID_MEM
		VIRTIO_ID_MEM,
#endif
#ifdef VIRTIO_ID_SOUND
		VIRTIO_ID_SOUND,
#endif
#ifdef VIRTIO_ID_FS
		VIRTIO_ID_FS,
#endif
#ifdef VIRTIO_ID_PMEM
		VIRTIO_ID_PMEM,
#endif
#ifdef VIRTIO_ID_RPMB
		VIRTIO_ID_RPMB,
#endif
#ifdef VIRTIO_ID_MAC80211_HWSIM
		VIRTIO_ID_MAC80211_HWSIM,
#endif
#ifdef VIRTIO_ID_VIDEO_ENCODER
		VIRTIO_ID_VIDEO_ENCODER,
#endif
#ifdef VIRTIO_ID_VIDEO_DECODER
		VIRTIO_ID_VIDEO_DECODER,
#endif
#ifdef VIRTIO_ID_SCMI
		VIRTIO_ID_SCMI,
#endif
#ifdef VIRTIO_ID_NITRO_SEC_MOD
		VIRTIO_ID_NITRO_SEC_MOD,
#endif
#ifdef VIRTIO_ID_I2C_ADAPTER
		VIRTIO_ID_I2C_ADAPTER,
#endif
#ifdef VIRTIO_ID_WATCHDOG
		VIRTIO_ID_WATCHDOG,
#endif
#ifdef VIRTIO_ID_CAN
		VIRTIO_ID_CAN,
#endif
#ifdef VIRTIO_ID_PARAM_SERV
		VIRTIO_ID_PARAM_SERV,
#endif
#ifdef VIRTIO_ID_AUDIO_POLICY
		VIRTIO_ID_AUDIO_POLICY,
#endif
#ifdef VIRTIO_ID_BT
		VIRTIO_ID_BT,
#endif
#ifdef VIRTIO_ID_GPIO
		VIRTIO_ID_GPIO,
#endif
#ifdef VIRTIO_ID_SPI
		VIRTIO_ID_SPI,
#endif
		0,	/* reserved, invalid */
	};
	size_t i;

	CHECK(VDMABUF_VIRTIO_ID >= 1);
	CHECK(VDMABUF_VIRTIO_ID <= 63);
	CHECK(0x1040 + VDMABUF_VIRTIO_ID <= 0x107f);
	/* Not one of the IDs nonstandard devices count down from 63 (61..63). */
	CHECK(VDMABUF_VIRTIO_ID < 61);
	for (i = 0; i < sizeof(linux_ids) / sizeof(linux_ids[0]); i++)
		CHECK(VDMABUF_VIRTIO_ID != linux_ids[i]);
#ifdef VIRTIO_ID_DMABUF
	CHECK(VDMABUF_VIRTIO_ID == VIRTIO_ID_DMABUF);
#endif
	/* QEMU's config_size=24. */
	CHECK(sizeof(struct vdmabuf_config) == 24);
}

int main(void)
{
	test_constants();
	test_layout();
	test_check_clip();
	test_check_formats();
	test_check_input();
	test_config_bytes();
	test_small_bytes();
	test_export_bytes();
	test_present_bytes();
	test_event_bytes();
	test_check_export();
	test_check_extent();
	test_check_present();
	test_check_output();
	test_device_id();
	if (failures) {
		fprintf(stderr, "test-protocol: %d check(s) failed\n", failures);
		return 1;
	}
	printf("test-protocol: all checks passed\n");
	return 0;
}
