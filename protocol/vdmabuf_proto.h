/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * vdmabuf wire protocol, version 2: version 1 and the frame path of
 * VDMABUF_F_ASYNC_PRESENT with VIRTIO_RING_F_EVENT_IDX (spec §19).
 *
 * The one definition of every structure that crosses the virtqueues, shared
 * by the guest driver, the host kernel backend, the vhost-user daemon and
 * libvdmabuf. protocol/vdmabuf-spec.md is the normative text; this header
 * must match its tables byte for byte (tests/unit/test-protocol.c checks).
 *
 * All fields are little-endian. Every structure has a fixed size that is a
 * multiple of 8 and no implicit padding.
 */
#ifndef VDMABUF_PROTO_H
#define VDMABUF_PROTO_H

#include <linux/types.h>

#include "vdmabuf_clip.h"
#include "vdmabuf_format.h"
#include "vdmabuf_input.h"

#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/kernel.h>
#define vdmabuf_le16_to_cpu(x) le16_to_cpu(x)
#define vdmabuf_le32_to_cpu(x) le32_to_cpu(x)
#define vdmabuf_le64_to_cpu(x) le64_to_cpu(x)
#else
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#define vdmabuf_le16_to_cpu(x) le16toh(x)
#define vdmabuf_le32_to_cpu(x) le32toh(x)
#define vdmabuf_le64_to_cpu(x) le64toh(x)
#endif

/*
 * Device ID: 37, which the virtio specification set aside for a dmabuf
 * sharing device (Linux names it VIRTIO_ID_DMABUF) and which no in-tree
 * Linux driver binds. It has to be an ID the specification allocated:
 * stock QEMU's vhost-user-test-device-pci aborts on any ID missing from its
 * table of device names, and Linux's virtio_pci only claims PCI device IDs
 * 0x1040 + ID up to 0x107f. protocol/vdmabuf-spec.md says more.
 */
#define VDMABUF_VIRTIO_ID		37

/* Feature bits (device-specific bits 0..23). */
#define VDMABUF_F_DAMAGE		0	/* PRESENT carries damage rects */
#define VDMABUF_F_PRESENT_TIMING	1	/* RELEASE carries timestamps */
#define VDMABUF_F_MODE_HINT		2	/* device sends MODE_HINT events */
#define VDMABUF_F_CONSUMER_EVENTS	3	/* device sends CONSUMERS events */
#define VDMABUF_F_INPUT			4	/* device sends INPUT and KEYMAP events */
#define VDMABUF_F_POINTER		5	/* driver sends POINTER: cursor image, constraint */
#define VDMABUF_F_CLIPBOARD		6	/* selections and transfers both ways (§17) */
#define VDMABUF_F_FORMATS		7	/* device sends FORMATS: what the host imports (§18) */
#define VDMABUF_F_OUTPUTS		8	/* several guest outputs by id, hotplug (§20) */
#define VDMABUF_F_ASYNC_PRESENT		9	/* PRESENT sized by its damage, unanswered (§19) */

/* Virtqueues. */
#define VDMABUF_VQ_CONTROL		0	/* driver requests, device replies */
#define VDMABUF_VQ_EVENT		1	/* device events into driver buffers */
#define VDMABUF_NUM_VQS			2

/* Limits; the device may advertise smaller ones in its config space. */
#define VDMABUF_MAX_PLANES		4
#define VDMABUF_MAX_DAMAGE		16
#define VDMABUF_MAX_EXTENTS		65536
#define VDMABUF_MAX_BUFFER_SIZE		(1ULL << 30)
#define VDMABUF_MAX_BUFFERS		4096
#define VDMABUF_MAX_DIMENSION		16384
#define VDMABUF_PAGE_SIZE		4096
#define VDMABUF_MAX_OUTPUTS		16	/* output ids 0..15 (§20) */

/* Device configuration space (read-only for the driver). */
struct vdmabuf_config {
	__le32 max_buffers;		/* live exports per device */
	__le32 max_extents;		/* extents per EXPORT */
	__le64 max_buffer_size;		/* bytes per buffer */
	__le32 consumers;		/* host consumers attached now */
	__le32 reserved;
};

/*
 * A buffer id on the wire; every API edge carries it in CPU byte order as
 * struct vdmabuf_id (vdmabuf_id.h). 128 bits minted by the device: @device
 * is random per device instance (new after every reset), so ids from two
 * VMs or from before and after a reset never collide; @key holds a 32-bit
 * sequence number in its high half and 32 random bits in its low half, so
 * an id cannot be guessed from another one and a retired id is never
 * minted again.
 */
struct vdmabuf_wire_id {
	__le64 device;
	__le64 key;
};

/* Control requests (driver -> device) and their types. */
enum vdmabuf_ctrl_type {
	VDMABUF_CTRL_EXPORT	= 0x0101,
	VDMABUF_CTRL_PRESENT	= 0x0102,
	VDMABUF_CTRL_UNEXPORT	= 0x0103,
	VDMABUF_CTRL_POINTER	= 0x0104,	/* VDMABUF_F_POINTER */
	/* VDMABUF_F_CLIPBOARD (vdmabuf_clip.h) */
	VDMABUF_CTRL_SELECTION	= 0x0105,	/* struct vdmabuf_clip_req: offer */
	VDMABUF_CTRL_CLIP_OPEN	= 0x0106,	/* struct vdmabuf_clip_req: xfer */
	VDMABUF_CTRL_CLIP_DATA	= 0x0107,	/* struct vdmabuf_clip_data + bytes */
	VDMABUF_CTRL_CLIP_ACK	= 0x0108,	/* struct vdmabuf_clip_req: ack */
	VDMABUF_CTRL_CLIP_CLOSE	= 0x0109,	/* struct vdmabuf_clip_req: cancel */
	VDMABUF_CTRL_CLIP_RESET	= 0x010a,	/* struct vdmabuf_clip_req: all 0 */
	VDMABUF_CTRL_OUTPUT	= 0x010b,	/* VDMABUF_F_OUTPUTS: struct vdmabuf_output */
};

/* Statuses in every reply. */
enum vdmabuf_status {
	VDMABUF_S_OK		= 0,
	VDMABUF_S_EINVAL	= 1,	/* malformed request */
	VDMABUF_S_ERANGE	= 2,	/* address outside guest RAM, overflow */
	VDMABUF_S_ENOENT	= 3,	/* unknown or retired id */
	VDMABUF_S_ENOSPC	= 4,	/* a limit was reached */
	VDMABUF_S_ENOMEM	= 5,	/* device out of resources */
	VDMABUF_S_ENOTSUP	= 6,	/* unknown request type */
	VDMABUF_S_EBUSY		= 7,	/* id already being unexported */
	/* VDMABUF_F_CLIPBOARD: also in a transfer's status fields */
	VDMABUF_S_EPERM		= 8,	/* not this side's transfer */
	VDMABUF_S_EFBIG		= 9,	/* a transfer over VDMABUF_CLIP_MAX_SIZE */
	VDMABUF_S_EPIPE		= 10,	/* the other side went */
	VDMABUF_S_EIO		= 11,	/* the source could not serve */
};

/* A status as the guest driver's callers and host consumers see it: 0 or -errno. */
static inline int vdmabuf_status_errno(__u32 status)
{
	switch (status) {
	case VDMABUF_S_OK:
		return 0;
	case VDMABUF_S_EINVAL:
		return -EINVAL;
	case VDMABUF_S_ERANGE:
		return -ERANGE;
	case VDMABUF_S_ENOENT:
		return -ENOENT;
	case VDMABUF_S_ENOSPC:
		return -ENOSPC;
	case VDMABUF_S_ENOMEM:
		return -ENOMEM;
	case VDMABUF_S_ENOTSUP:
		return -EOPNOTSUPP;
	case VDMABUF_S_EBUSY:
		return -EBUSY;
	case VDMABUF_S_EPERM:
		return -EPERM;
	case VDMABUF_S_EFBIG:
		return -EFBIG;
	case VDMABUF_S_EPIPE:
		return -EPIPE;
	default:
		return -EIO;
	}
}

struct vdmabuf_ctrl_hdr {
	__le32 type;			/* enum vdmabuf_ctrl_type */
	__le32 flags;			/* 0 */
	__le64 cookie;			/* echoed in the reply */
};

struct vdmabuf_reply {
	__le32 status;			/* enum vdmabuf_status */
	__le32 reserved;
	__le64 cookie;
	struct vdmabuf_wire_id id;	/* EXPORT: the new id; else echoed */
};

struct vdmabuf_extent {
	__le64 addr;			/* guest physical, page aligned */
	__le64 len;			/* bytes, multiple of the page size */
};

struct vdmabuf_plane {
	__le32 offset;			/* bytes from the buffer start */
	__le32 stride;			/* bytes per row */
};

/*
 * EXPORT: register a buffer once. Followed, in the same driver-readable
 * part of the chain, by @num_extents struct vdmabuf_extent whose lengths
 * add up to @size. The device keeps its import until UNEXPORT.
 */
struct vdmabuf_export {
	struct vdmabuf_ctrl_hdr hdr;
	__le32 width;
	__le32 height;
	__le32 fourcc;			/* DRM_FORMAT_* */
	__le32 num_planes;		/* 1..VDMABUF_MAX_PLANES */
	__le64 modifier;		/* DRM_FORMAT_MOD_* */
	struct vdmabuf_plane planes[VDMABUF_MAX_PLANES];
	__le64 size;			/* bytes, multiple of the page size */
	__le32 num_extents;
	__le32 reserved;
	/* struct vdmabuf_extent extents[num_extents]; */
};

struct vdmabuf_rect {
	__le32 x;
	__le32 y;
	__le32 width;
	__le32 height;
};

/*
 * PRESENT: show an exported buffer as the next frame. The buffer belongs
 * to the host until the matching RELEASE event. Version 1 sends all of it;
 * with VDMABUF_F_ASYNC_PRESENT the driver sends only the num_damage
 * rectangles it uses (vdmabuf_present_len()) and no reply buffer.
 */
struct vdmabuf_present {
	struct vdmabuf_ctrl_hdr hdr;
	struct vdmabuf_wire_id id;
	__le64 frame;			/* driver's frame counter, echoed */
	__le32 num_damage;		/* 0: whole buffer */
	__le32 output;			/* VDMABUF_F_OUTPUTS: the guest output; else 0 */
	struct vdmabuf_rect damage[VDMABUF_MAX_DAMAGE];
};

/* Bytes of a PRESENT with n damage rectangles, as VDMABUF_F_ASYNC_PRESENT sends it. */
#define vdmabuf_present_len(n) \
	(sizeof(struct vdmabuf_present) - \
	 (VDMABUF_MAX_DAMAGE - (n)) * sizeof(struct vdmabuf_rect))

/* UNEXPORT: the guest is done; the device answers RETIRED when it lets go. */
struct vdmabuf_unexport {
	struct vdmabuf_ctrl_hdr hdr;
	struct vdmabuf_wire_id id;
};

/*
 * POINTER: the guest's pointer as the host shows it over its window (spec
 * §16). With VDMABUF_POINTER_IMAGE, id names an exported buffer as the
 * cursor image, presented on the cursor plane: like a PRESENT it is the
 * host's until the RELEASE with frame = serial. Without it no cursor is
 * shown. constraint says whether a guest client locked or confined the
 * pointer; the host then does so and sends RELATIVE_MOTION.
 */
struct vdmabuf_pointer {
	struct vdmabuf_ctrl_hdr hdr;
	struct vdmabuf_wire_id id;	/* with VDMABUF_POINTER_IMAGE */
	__le64 serial;			/* the RELEASE's frame */
	__le32 flags;			/* VDMABUF_POINTER_* (vdmabuf_input.h) */
	__le32 hotspot_x;		/* in the image's pixels */
	__le32 hotspot_y;
	__le32 constraint;		/* enum vdmabuf_constraint (vdmabuf_input.h) */
	__le32 reserved[2];
};

/*
 * OUTPUT (VDMABUF_F_OUTPUTS, §20): one of the guest's outputs as it is now,
 * or gone. The host shows each output the guest has in a window of its own.
 */
#define VDMABUF_OUTPUT_GONE		(1u << 0)

struct vdmabuf_output {
	struct vdmabuf_ctrl_hdr hdr;
	__le32 output;			/* < VDMABUF_MAX_OUTPUTS */
	__le32 flags;			/* VDMABUF_OUTPUT_GONE */
	__le32 width;			/* its mode in device pixels; 0 when gone */
	__le32 height;
	__le32 refresh_mhz;		/* 0: unknown */
	__le32 scale_120;		/* scale * 120; 0 when gone */
};

/* Events (device -> driver), each in one struct vdmabuf_event. */
enum vdmabuf_event_type {
	VDMABUF_EVENT_RELEASE	= 0x0201,
	VDMABUF_EVENT_RETIRED	= 0x0202,
	VDMABUF_EVENT_CONSUMERS	= 0x0203,
	VDMABUF_EVENT_MODE_HINT	= 0x0204,
	/*
	 * The device lost every id: sent when its queues start without the
	 * state of an earlier start (a restarted host backend, a VM resumed).
	 * The driver drops every buffer as if RETIRED; producers export again.
	 */
	VDMABUF_EVENT_RESET	= 0x0205,
	VDMABUF_EVENT_INPUT	= 0x0206,	/* VDMABUF_F_INPUT */
	VDMABUF_EVENT_KEYMAP	= 0x0207,	/* VDMABUF_F_INPUT */
	/* VDMABUF_F_CLIPBOARD (vdmabuf_clip.h) */
	VDMABUF_EVENT_SELECTION	= 0x0208,	/* struct vdmabuf_clip_offer */
	VDMABUF_EVENT_CLIP_SEND	= 0x0209,	/* struct vdmabuf_clip_xfer */
	VDMABUF_EVENT_CLIP_DATA	= 0x020a,	/* struct vdmabuf_clip_piece */
	VDMABUF_EVENT_CLIP_ACK	= 0x020b,	/* struct vdmabuf_clip_ack */
	VDMABUF_EVENT_CLIP_CANCEL = 0x020c,	/* struct vdmabuf_clip_cancel */
	VDMABUF_EVENT_FORMATS	= 0x020d,	/* VDMABUF_F_FORMATS: struct vdmabuf_formats */
	/* VDMABUF_F_ASYNC_PRESENT: an unanswered PRESENT was refused (§19) */
	VDMABUF_EVENT_PRESENT_ERROR = 0x020e,	/* struct vdmabuf_present_error */
};

/* RELEASE flags. */
#define VDMABUF_RELEASE_PRESENTED	(1u << 0)	/* shown, not dropped */
#define VDMABUF_RELEASE_VSYNC		(1u << 1)	/* time is a vblank */
#define VDMABUF_RELEASE_ZERO_COPY	(1u << 2)	/* shown without a copy */

struct vdmabuf_release {
	struct vdmabuf_wire_id id;
	__le64 frame;			/* PRESENT's frame */
	__le64 present_ns;		/* host CLOCK_MONOTONIC; 0 if unknown */
	__le32 refresh_ns;		/* host output period; 0 if unknown */
	__le32 flags;			/* VDMABUF_RELEASE_* */
	__le64 sent_ns;			/* host CLOCK_MONOTONIC at sending */
};

struct vdmabuf_retired {
	struct vdmabuf_wire_id id;
};

/* PRESENT_ERROR: what an unanswered PRESENT's reply would have said. */
struct vdmabuf_present_error {
	struct vdmabuf_wire_id id;	/* the PRESENT's */
	__le64 frame;			/* the PRESENT's */
	__le32 status;			/* enum vdmabuf_status, never OK */
	__le32 reserved;
};

/* RESET (§6.10): the instance that starts; ids of it outlive the event. */
struct vdmabuf_reset {
	__le64 device;			/* its ids' device half; 0: none named */
	__le64 reserved;
};

struct vdmabuf_consumers {
	__le32 count;			/* host consumers attached now */
	__le32 reserved;
};

struct vdmabuf_mode_hint {
	__le32 width;
	__le32 height;
	__le32 refresh_mhz;		/* 0: no preference */
	__le32 scale_120;		/* scale * 120, as wp_fractional_scale */
	__le32 output;			/* VDMABUF_F_OUTPUTS: which (§20); else 0 */
	__le32 flags;			/* VDMABUF_OUTPUT_GONE: the host closed it */
};

/* INPUT: one input event of the host's seat (spec §15; vdmabuf_input.h). */
struct vdmabuf_input {
	__le32 kind;			/* enum vdmabuf_input_kind */
	__le32 output;			/* VDMABUF_F_OUTPUTS: whose window (§20); else 0 */
	__le64 time_usec;		/* host CLOCK_MONOTONIC */
	__le32 args[VDMABUF_INPUT_ARGS];	/* by kind; the rest 0 */
};

/* KEYMAP: one piece of the host's keymap, in order from offset 0. */
#define VDMABUF_KEYMAP_CHUNK		40

struct vdmabuf_keymap {
	__le32 format;			/* VDMABUF_KEYMAP_XKB_V1 */
	__le32 size;			/* of the whole keymap, <= VDMABUF_MAX_KEYMAP */
	__le32 offset;			/* of this piece; 0 starts a new keymap */
	__le32 len;			/* <= VDMABUF_KEYMAP_CHUNK */
	__u8 data[VDMABUF_KEYMAP_CHUNK];
};

/*
 * The clipboard (spec §17). The payloads serve as events and, after a
 * header, as the guest's small requests (struct vdmabuf_clip_req).
 */
struct vdmabuf_clip_offer {
	__le32 selection;		/* enum vdmabuf_selection */
	__le32 serial;			/* event: the device's number; request: 0 */
	__le32 formats;			/* 1 << enum vdmabuf_clip_format; 0: none */
	__le32 owner;			/* event: enum vdmabuf_clip_owner; request: 0 */
};

struct vdmabuf_clip_xfer {
	__le32 transfer;		/* SEND: the device's number; OPEN: 0 */
	__le32 selection;
	__le32 serial;			/* of the offer */
	__le32 format;			/* enum vdmabuf_clip_format */
};

struct vdmabuf_clip_ack {
	__le32 transfer;
	__le32 bytes;			/* consumed since the last ACK */
};

struct vdmabuf_clip_cancel {
	__le32 transfer;
	__le32 status;			/* event: why (enum vdmabuf_status); CLOSE: 0 */
};

#define VDMABUF_CLIP_PIECE		48

/* CLIP_DATA event: a piece of a transfer the guest sinks. */
struct vdmabuf_clip_piece {
	__le32 transfer;
	__le16 len;			/* <= VDMABUF_CLIP_PIECE */
	__u8 flags;			/* VDMABUF_CLIP_END */
	__u8 status;			/* with END: enum vdmabuf_status */
	__u8 data[VDMABUF_CLIP_PIECE];
};

struct vdmabuf_clip_req {
	struct vdmabuf_ctrl_hdr hdr;
	union {
		struct vdmabuf_clip_offer offer;	/* SELECTION */
		struct vdmabuf_clip_xfer xfer;		/* CLIP_OPEN */
		struct vdmabuf_clip_ack ack;		/* CLIP_ACK */
		struct vdmabuf_clip_cancel cancel;	/* CLIP_CLOSE */
		__u8 raw[16];
	} u;
};

/* CLIP_DATA request: a piece of a transfer the guest sources. */
struct vdmabuf_clip_data {
	struct vdmabuf_ctrl_hdr hdr;
	__le32 transfer;
	__le32 len;			/* <= VDMABUF_CLIP_WINDOW; the bytes follow */
	__le32 flags;			/* VDMABUF_CLIP_END */
	__le32 status;			/* with END: OK or EIO */
	/* __u8 data[len]; */
};

/*
 * FORMATS: a piece of the host's list of (fourcc, modifier) pairs
 * (vdmabuf_format.h): formats[0..n) are pairs index.. of total, n =
 * min(VDMABUF_FORMATS_PER_EVENT, total - index), the pieces in order from
 * index 0, which starts a new list. total 0: the host has no list.
 */
#define VDMABUF_FORMATS_PER_EVENT	3

struct vdmabuf_wire_format {
	__le32 fourcc;
	__le32 reserved;
	__le64 modifier;
};

struct vdmabuf_formats {
	__le16 index;
	__le16 total;			/* <= VDMABUF_MAX_FORMATS */
	__le32 reserved;
	struct vdmabuf_wire_format formats[VDMABUF_FORMATS_PER_EVENT];
};

struct vdmabuf_event {
	__le32 type;			/* enum vdmabuf_event_type */
	__le32 reserved;
	union {
		struct vdmabuf_release release;
		struct vdmabuf_retired retired;
		struct vdmabuf_present_error present_error;
		struct vdmabuf_reset reset;
		struct vdmabuf_consumers consumers;
		struct vdmabuf_mode_hint mode_hint;
		struct vdmabuf_input input;
		struct vdmabuf_keymap keymap;
		struct vdmabuf_clip_offer offer;
		struct vdmabuf_clip_xfer xfer;
		struct vdmabuf_clip_piece piece;
		struct vdmabuf_clip_ack ack;
		struct vdmabuf_clip_cancel cancel;
		struct vdmabuf_formats formats;
		__u8 raw[56];
	} u;
};

/*
 * Validation shared by every device side. Each returns a VDMABUF_S_* code;
 * they look at the request only, guest RAM bounds are the caller's.
 */
/*
 * What the layout check knows of a DRM fourcc: its planes, and for plane
 * p the bytes per pixel and the subsampling. Formats it does not know
 * keep only the checks every format gets.
 */
struct vdmabuf_format_info {
	__u32 fourcc;
	__u8 planes;
	__u8 cpp[2];
	__u8 hsub, vsub;		/* of the planes after the first */
};

#define VDMABUF_FOURCC(a, b, c, d) \
	((__u32)(a) | ((__u32)(b) << 8) | ((__u32)(c) << 16) | ((__u32)(d) << 24))

static inline const struct vdmabuf_format_info *vdmabuf_format_info(__u32 fourcc)
{
	static const struct vdmabuf_format_info formats[] = {
		{ VDMABUF_FOURCC('X', 'R', '2', '4'), 1, { 4 }, 1, 1 },
		{ VDMABUF_FOURCC('A', 'R', '2', '4'), 1, { 4 }, 1, 1 },
		{ VDMABUF_FOURCC('X', 'B', '2', '4'), 1, { 4 }, 1, 1 },
		{ VDMABUF_FOURCC('A', 'B', '2', '4'), 1, { 4 }, 1, 1 },
		{ VDMABUF_FOURCC('R', 'X', '2', '4'), 1, { 4 }, 1, 1 },
		{ VDMABUF_FOURCC('R', 'A', '2', '4'), 1, { 4 }, 1, 1 },
		{ VDMABUF_FOURCC('B', 'X', '2', '4'), 1, { 4 }, 1, 1 },
		{ VDMABUF_FOURCC('B', 'A', '2', '4'), 1, { 4 }, 1, 1 },
		{ VDMABUF_FOURCC('X', 'R', '3', '0'), 1, { 4 }, 1, 1 },
		{ VDMABUF_FOURCC('A', 'R', '3', '0'), 1, { 4 }, 1, 1 },
		{ VDMABUF_FOURCC('X', 'B', '3', '0'), 1, { 4 }, 1, 1 },
		{ VDMABUF_FOURCC('A', 'B', '3', '0'), 1, { 4 }, 1, 1 },
		{ VDMABUF_FOURCC('R', 'G', '2', '4'), 1, { 3 }, 1, 1 },
		{ VDMABUF_FOURCC('B', 'G', '2', '4'), 1, { 3 }, 1, 1 },
		{ VDMABUF_FOURCC('R', 'G', '1', '6'), 1, { 2 }, 1, 1 },
		{ VDMABUF_FOURCC('X', 'R', '4', 'H'), 1, { 8 }, 1, 1 },
		{ VDMABUF_FOURCC('A', 'B', '4', 'H'), 1, { 8 }, 1, 1 },
		{ VDMABUF_FOURCC('N', 'V', '1', '2'), 2, { 1, 2 }, 2, 2 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (formats[i].fourcc == fourcc)
			return &formats[i];
	return NULL;
}

/*
 * Whether plane p of a w x h buffer of size bytes fits it: its rows
 * (stride apart from offset) inside the buffer and, for a format we know,
 * each row long enough for its pixels. Planes a modifier adds past the
 * format's own (compression metadata) and planes of formats we do not know
 * past the first are checked for their offset only.
 */
static inline int vdmabuf_plane_fits(const struct vdmabuf_format_info *fmt, __u32 p, __u32 w,
				     __u32 h, __u64 offset, __u64 stride, __u64 size)
{
	__u64 rows = 1;

	if (fmt && p < fmt->planes) {
		__u32 hsub = p ? fmt->hsub : 1, vsub = p ? fmt->vsub : 1;

		if (stride < (__u64)((w + hsub - 1) / hsub) * fmt->cpp[p])
			return 0;
		rows = (h + vsub - 1) / vsub;
	} else if (!fmt && p == 0) {
		rows = h;
	}
	/* stride < 2^32 and rows <= 16384: no wrap. */
	return offset + stride * rows <= size;
}

static inline __u32 vdmabuf_check_export(const struct vdmabuf_export *req,
					 __u64 readable_len, __u32 max_extents,
					 __u64 max_size)
{
	__u64 size;
	const struct vdmabuf_format_info *fmt;
	__u32 n, planes, w, h, i;

	/* Nothing of the request is read before its length is known. */
	if (readable_len < sizeof(*req) || req->hdr.flags || req->reserved)
		return VDMABUF_S_EINVAL;
	size = vdmabuf_le64_to_cpu(req->size);
	n = vdmabuf_le32_to_cpu(req->num_extents);
	planes = vdmabuf_le32_to_cpu(req->num_planes);
	w = vdmabuf_le32_to_cpu(req->width);
	h = vdmabuf_le32_to_cpu(req->height);
	if (n == 0 || size == 0 || size % VDMABUF_PAGE_SIZE)
		return VDMABUF_S_EINVAL;
	if (n > max_extents || size > max_size)
		return VDMABUF_S_ENOSPC;
	if ((readable_len - sizeof(*req)) / sizeof(struct vdmabuf_extent) < n)
		return VDMABUF_S_EINVAL;
	if (!w || !h || w > VDMABUF_MAX_DIMENSION || h > VDMABUF_MAX_DIMENSION)
		return VDMABUF_S_EINVAL;
	if (!planes || planes > VDMABUF_MAX_PLANES)
		return VDMABUF_S_EINVAL;
	fmt = vdmabuf_format_info(vdmabuf_le32_to_cpu(req->fourcc));
	if (fmt && planes < fmt->planes)
		return VDMABUF_S_EINVAL;
	for (i = 0; i < planes; i++) {
		__u64 off = vdmabuf_le32_to_cpu(req->planes[i].offset);
		__u64 stride = vdmabuf_le32_to_cpu(req->planes[i].stride);

		if (!stride || off >= size || !vdmabuf_plane_fits(fmt, i, w, h, off, stride, size))
			return VDMABUF_S_EINVAL;
	}
	return VDMABUF_S_OK;
}

/* Checks one extent and adds it to *total; rejects wrap-around. */
static inline __u32 vdmabuf_check_extent(const struct vdmabuf_extent *ext,
					 __u64 *total)
{
	__u64 addr = vdmabuf_le64_to_cpu(ext->addr);
	__u64 len = vdmabuf_le64_to_cpu(ext->len);

	if (!len || addr % VDMABUF_PAGE_SIZE || len % VDMABUF_PAGE_SIZE)
		return VDMABUF_S_EINVAL;
	if (addr + len < addr || *total + len < *total)
		return VDMABUF_S_ERANGE;
	*total += len;
	return VDMABUF_S_OK;
}

/*
 * A PRESENT of readable_len bytes under the negotiated features: version
 * 1's whole structure, or with VDMABUF_F_ASYNC_PRESENT at least its
 * num_damage rectangles (nothing past them is read); an output only with
 * VDMABUF_F_OUTPUTS.
 */
static inline __u32 vdmabuf_check_present(const struct vdmabuf_present *req,
					  __u64 readable_len, __u64 features)
{
	int sized = !!(features & (1ull << VDMABUF_F_ASYNC_PRESENT));
	__u32 n, output;

	if (readable_len < vdmabuf_present_len(0) || req->hdr.flags)
		return VDMABUF_S_EINVAL;
	output = vdmabuf_le32_to_cpu(req->output);
	if (output >= VDMABUF_MAX_OUTPUTS ||
	    (output && !(features & (1ull << VDMABUF_F_OUTPUTS))))
		return VDMABUF_S_EINVAL;
	n = vdmabuf_le32_to_cpu(req->num_damage);
	if (n > VDMABUF_MAX_DAMAGE)
		return VDMABUF_S_EINVAL;
	if (readable_len < (sized ? vdmabuf_present_len(n) : sizeof(*req)))
		return VDMABUF_S_EINVAL;
	return VDMABUF_S_OK;
}

/* A mode: a size within the protocol's, a scale up to 16. */
static inline int vdmabuf_mode_valid(__u32 width, __u32 height, __u32 scale_120)
{
	return width && height && width <= VDMABUF_MAX_DIMENSION &&
	       height <= VDMABUF_MAX_DIMENSION && scale_120 <= 120 * 16;
}

/* An OUTPUT of readable_len bytes (§20): a mode, or GONE and nothing else. */
static inline __u32 vdmabuf_check_output(const struct vdmabuf_output *req,
					 __u64 readable_len)
{
	__u32 flags;

	if (readable_len < sizeof(*req) || req->hdr.flags)
		return VDMABUF_S_EINVAL;
	flags = vdmabuf_le32_to_cpu(req->flags);
	if (vdmabuf_le32_to_cpu(req->output) >= VDMABUF_MAX_OUTPUTS ||
	    (flags & ~VDMABUF_OUTPUT_GONE))
		return VDMABUF_S_EINVAL;
	if (flags & VDMABUF_OUTPUT_GONE)
		return req->width || req->height || req->refresh_mhz || req->scale_120 ?
		       VDMABUF_S_EINVAL : VDMABUF_S_OK;
	return vdmabuf_mode_valid(vdmabuf_le32_to_cpu(req->width),
				  vdmabuf_le32_to_cpu(req->height),
				  vdmabuf_le32_to_cpu(req->scale_120)) ?
	       VDMABUF_S_OK : VDMABUF_S_EINVAL;
}

#endif /* VDMABUF_PROTO_H */
