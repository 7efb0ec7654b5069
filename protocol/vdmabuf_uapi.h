/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * /dev/vdmabuf, the guest driver's interface to producers (libvdmabuf).
 * Native endianness; every struct is fixed size with explicit padding.
 *
 *   VDMABUF_IOC_INFO       device limits and state
 *   VDMABUF_IOC_EXPORT     share a dmabuf once; returns its 128-bit id
 *   VDMABUF_IOC_PRESENT    show an exported buffer as the next frame
 *   VDMABUF_IOC_UNEXPORT   stop sharing; the buffer retires asynchronously
 *   VDMABUF_IOC_SUBSCRIBE  also receive the host seat's INPUT and KEYMAP
 *   VDMABUF_IOC_POINTER    the cursor image (an exported buffer) and constraint
 *   VDMABUF_IOC_SELECTION  offer the guest's selection (clipboard subscriber)
 *   VDMABUF_IOC_CLIP_OPEN  paste the host's: opens a transfer
 *   VDMABUF_IOC_CLIP_DATA  a piece of a transfer the guest sources
 *   VDMABUF_IOC_CLIP_ACK   bytes of a transfer the guest sinks, consumed
 *   VDMABUF_IOC_CLIP_CLOSE stop a transfer the guest sinks
 *   VDMABUF_IOC_FORMATS    the (fourcc, modifier) pairs the host imports
 *   VDMABUF_IOC_OUTPUT     announce, change or remove one of the guest's outputs
 *   read()                 struct vdmabuf_uevent, one or more per call
 *   poll()                 POLLIN when an event waits; POLLERR after the
 *                          device is gone (every call then fails ENODEV)
 *
 * Closing the file unexports every buffer it exported.
 */
#ifndef VDMABUF_UAPI_H
#define VDMABUF_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#include "vdmabuf_clip.h"
#include "vdmabuf_format.h"
#include "vdmabuf_id.h"
#include "vdmabuf_input.h"

struct vdmabuf_uplane {
	__u32 offset;
	__u32 stride;
};

struct vdmabuf_ioc_info {
	__u64 features;			/* negotiated VDMABUF_F_* bits */
	__u64 max_buffer_size;
	__u32 max_buffers;		/* per device */
	__u32 max_buffers_per_file;
	__u32 max_extents;
	__u32 consumers;		/* host consumers, if announced */
};

struct vdmabuf_ioc_export {
	__s32 fd;			/* in: dmabuf fd */
	__u32 flags;			/* in: 0 */
	__u32 width;
	__u32 height;
	__u32 fourcc;			/* DRM_FORMAT_* */
	__u32 num_planes;		/* 1..4 */
	__u64 modifier;
	struct vdmabuf_uplane planes[4];
	struct vdmabuf_id id;		/* out */
	__u32 num_extents;		/* out: extents the pages merged into */
	__u32 reserved;
};

struct vdmabuf_urect {
	__u32 x, y, width, height;
};

/*
 * A frame leaves for the device only once its buffer is rendered: every
 * write fence of the dmabuf's reservation object (implicit sync) and,
 * with VDMABUF_PRESENT_FENCE_FD, fence_fd (a sync_file, e.g. exported from
 * a DRM syncobj point: explicit sync) have signalled. PRESENT never waits
 * for them: the frame waits in the driver, and the file's later frames
 * wait behind it, in order. A frame whose fences do not signal within the
 * driver's bound (fence_timeout_ms) or which the device refuses after its
 * wait comes back as a RELEASE with VDMABUF_RELEASE_DISCARDED and the
 * errno in count (ETIMEDOUT, or the device's). A frame with nothing to
 * wait for, behind nothing, is sent at once. With protocol version 2
 * (VDMABUF_F_ASYNC_PRESENT, spec §19) PRESENT returns once the frame is
 * queued, and a frame the device refuses comes back the same way, as a
 * DISCARDED RELEASE with the device's errno; with version 1 PRESENT
 * returns the device's answer. A frame in flight when the device resets
 * (VDMABUF_UEVENT_RESET) gets no RELEASE: it went with the reset.
 *
 * output names the guest output the frame is for (spec §20), below
 * VDMABUF_MAX_OUTPUTS (EINVAL). Output 0 is always there; another must
 * have been announced with VDMABUF_IOC_OUTPUT since the last reset
 * (ENXIO), which needs VDMABUF_F_OUTPUTS.
 */
struct vdmabuf_ioc_present {
	struct vdmabuf_id id;
	__u64 frame;
	__u32 num_damage;		/* 0: whole buffer; at most 16 */
	__u32 flags;			/* VDMABUF_PRESENT_* */
	struct vdmabuf_urect damage[16];
	__s32 fence_fd;			/* VDMABUF_PRESENT_FENCE_FD: wait for it too */
	__u32 output;			/* the guest output; 0 before outputs existed */
};

#define VDMABUF_PRESENT_FENCE_FD	(1u << 0)

struct vdmabuf_ioc_unexport {
	struct vdmabuf_id id;
};

#define VDMABUF_IOC_MAGIC	'V'
#define VDMABUF_IOC_INFO	_IOR(VDMABUF_IOC_MAGIC, 0x00, struct vdmabuf_ioc_info)
#define VDMABUF_IOC_EXPORT	_IOWR(VDMABUF_IOC_MAGIC, 0x01, struct vdmabuf_ioc_export)
#define VDMABUF_IOC_PRESENT	_IOW(VDMABUF_IOC_MAGIC, 0x02, struct vdmabuf_ioc_present)
#define VDMABUF_IOC_UNEXPORT	_IOW(VDMABUF_IOC_MAGIC, 0x03, struct vdmabuf_ioc_unexport)
#define VDMABUF_IOC_SUBSCRIBE	_IOW(VDMABUF_IOC_MAGIC, 0x04, struct vdmabuf_ioc_subscribe)
#define VDMABUF_IOC_POINTER	_IOW(VDMABUF_IOC_MAGIC, 0x05, struct vdmabuf_ioc_pointer)
#define VDMABUF_IOC_SELECTION	_IOW(VDMABUF_IOC_MAGIC, 0x06, struct vdmabuf_ioc_selection)
#define VDMABUF_IOC_CLIP_OPEN	_IOWR(VDMABUF_IOC_MAGIC, 0x07, struct vdmabuf_ioc_clip_open)
#define VDMABUF_IOC_CLIP_DATA	_IOW(VDMABUF_IOC_MAGIC, 0x08, struct vdmabuf_ioc_clip_data)
#define VDMABUF_IOC_CLIP_ACK	_IOW(VDMABUF_IOC_MAGIC, 0x09, struct vdmabuf_ioc_clip_ack)
#define VDMABUF_IOC_CLIP_CLOSE	_IOW(VDMABUF_IOC_MAGIC, 0x0a, struct vdmabuf_ioc_clip_ack)
#define VDMABUF_IOC_FORMATS	_IOWR(VDMABUF_IOC_MAGIC, 0x0b, struct vdmabuf_ioc_formats)
#define VDMABUF_IOC_OUTPUT	_IOW(VDMABUF_IOC_MAGIC, 0x0c, struct vdmabuf_ioc_output)

/*
 * One of the guest's outputs as it is now, or gone (spec §20; needs
 * VDMABUF_F_OUTPUTS, else EOPNOTSUPP): sent to the device, which tells
 * the host's consumers, and answered. flags 0: the output (below
 * VDMABUF_MAX_OUTPUTS) has this mode in device pixels (1 to 16384 each
 * way), refresh (0: unknown) and scale * 120 (up to 1920); from now on
 * frames may name it. VDMABUF_IOC_OUTPUT_GONE: it is no more, and every
 * other field is 0. Anything else is EINVAL; the device's refusal comes
 * back as its errno. A device reset forgets every output: announce them
 * again after VDMABUF_UEVENT_RESET.
 */
#define VDMABUF_IOC_OUTPUT_GONE	(1u << 0)	/* VDMABUF_OUTPUT_GONE */

struct vdmabuf_ioc_output {
	__u32 output;
	__u32 flags;			/* VDMABUF_IOC_OUTPUT_GONE */
	__u32 width, height;
	__u32 refresh_mhz;
	__u32 scale_120;
};

/*
 * The host's last whole list of formats (spec §18): up to count pairs
 * written at formats; count comes back as the list's length (0: the host
 * states none, and LINEAR is the fallback). Every file hears of a new
 * list with VDMABUF_UEVENT_FORMATS, and at open if there is one.
 */
struct vdmabuf_ioc_formats {
	__u64 formats;			/* user pointer to struct vdmabuf_format[count] */
	__u32 count;			/* in: room; out: pairs in the list */
	__u32 reserved;			/* 0 */
};

/*
 * The guest's pointer as the host shows it. With VDMABUF_POINTER_IMAGE
 * (vdmabuf_input.h) id, one of this file's buffers, is the cursor image:
 * the host's until a RELEASE of frame serial, as a presented buffer.
 */
struct vdmabuf_ioc_pointer {
	struct vdmabuf_id id;
	__u64 serial;
	__u32 flags;
	__u32 hotspot_x, hotspot_y;
	__u32 constraint;		/* enum vdmabuf_constraint */
};

/*
 * Events a file receives besides its own buffers' and the device's. With
 * INPUT the last whole keymap the host sent is queued at once, if any.
 */
#define VDMABUF_SUBSCRIBE_INPUT	(1u << 0)
/*
 * The clipboard (spec §17; vdmabuf_clip.h): the host's offers and every
 * transfer's events come to the one file that subscribed (EBUSY for a
 * second), which alone may use the VDMABUF_IOC_CLIP_* ioctls (EPERM).
 */
#define VDMABUF_SUBSCRIBE_CLIPBOARD	(1u << 1)

/* The guest's offer of selection: 1 << enum vdmabuf_clip_format bits; 0 withdraws. */
struct vdmabuf_ioc_selection {
	__u32 selection;		/* enum vdmabuf_selection */
	__u32 formats;
};

/* Paste the host's offer serial of selection in format: transfer out. */
struct vdmabuf_ioc_clip_open {
	__u32 selection;
	__u32 serial;
	__u32 format;			/* enum vdmabuf_clip_format */
	__u32 transfer;			/* out */
};

/*
 * A piece of a transfer the host pastes from the guest: len bytes at
 * data, never more than VDMABUF_CLIP_WINDOW unacknowledged; the last
 * with VDMABUF_CLIP_END, status 0 or EIO (could not serve).
 */
struct vdmabuf_ioc_clip_data {
	__u32 transfer;
	__u32 len;
	__u32 flags;			/* VDMABUF_CLIP_END */
	__u32 status;			/* 0 or EIO, with END */
	__u64 data;			/* user pointer */
};

/* ACK: bytes consumed of a transfer the guest pastes; CLOSE: bytes 0. */
struct vdmabuf_ioc_clip_ack {
	__u32 transfer;
	__u32 bytes;
};

struct vdmabuf_ioc_subscribe {
	__u32 events;			/* VDMABUF_SUBSCRIBE_* */
	__u32 reserved;
};

enum vdmabuf_uevent_type {
	VDMABUF_UEVENT_RELEASE = 1,	/* id, frame, present_ns, refresh_ns, flags */
	VDMABUF_UEVENT_RETIRED = 2,	/* id: the host let go after UNEXPORT */
	VDMABUF_UEVENT_CONSUMERS = 3,	/* count */
	/*
	 * output, width, height, refresh_mhz, scale_120: the host's wish for
	 * that output (0 without VDMABUF_F_OUTPUTS); flags
	 * VDMABUF_IOC_OUTPUT_GONE: the host closed it. The last one of each
	 * output also at open.
	 */
	VDMABUF_UEVENT_MODE_HINT = 4,
	VDMABUF_UEVENT_RESET = 5,	/* the device was reset: every id is gone */
	VDMABUF_UEVENT_INPUT = 6,	/* input: subscribed files */
	VDMABUF_UEVENT_KEYMAP = 7,	/* keymap piece: subscribed files */
	/* the clipboard's subscriber: struct vdmabuf_uclip */
	VDMABUF_UEVENT_SELECTION = 8,	/* selection, serial, formats: the host's offer */
	VDMABUF_UEVENT_CLIP_SEND = 9,	/* transfer, selection, format: serve a paste */
	VDMABUF_UEVENT_CLIP_DATA = 10,	/* transfer, piece: of a paste of ours */
	VDMABUF_UEVENT_CLIP_ACK = 11,	/* transfer, bytes the host consumed */
	VDMABUF_UEVENT_CLIP_CANCEL = 12,	/* transfer, status: stop serving it */
	VDMABUF_UEVENT_FORMATS = 13,	/* count: the host's list has that many pairs */
};

/* The clipboard's events; status is 0 or an errno (EFBIG, EPIPE, EIO, EINVAL). */
struct vdmabuf_uclip {
	__u32 transfer;
	union {
		struct {
			__u16 len;
			__u8 flags;		/* VDMABUF_CLIP_END */
			__u8 status;
			__u8 data[48];
		} piece;			/* CLIP_DATA */
		struct {
			__u32 selection;
			__u32 serial;
			__u32 formats;		/* SELECTION */
			__u32 format;		/* CLIP_SEND */
			__u32 bytes;		/* CLIP_ACK */
			__u32 status;		/* CLIP_CANCEL */
		} info;
	};
};

/* INPUT: one event of the host's seat (vdmabuf_input.h). */
struct vdmabuf_uinput {
	__u32 kind;			/* enum vdmabuf_input_kind */
	__u32 output;			/* whose window (VDMABUF_F_OUTPUTS); else 0 */
	__u64 time_usec;		/* this machine's CLOCK_MONOTONIC */
	__s32 args[VDMABUF_INPUT_ARGS];
};

/* KEYMAP: pieces in order; offset 0 starts one, offset + len == size ends it. */
struct vdmabuf_ukeymap {
	__u32 format;			/* VDMABUF_KEYMAP_XKB_V1 */
	__u32 size;
	__u32 offset;
	__u32 len;
	__u8 data[40];
};

/*
 * RELEASE of a frame the driver never sent (see struct vdmabuf_ioc_present):
 * count is its errno. The device's own flags never carry this bit.
 */
#define VDMABUF_RELEASE_DISCARDED	(1u << 31)

struct vdmabuf_uevent {
	__u32 type;
	__u32 flags;			/* RELEASE: VDMABUF_RELEASE_*; MODE_HINT: GONE */
	union {
		struct {
			union {
				struct vdmabuf_id id;
				__u32 output;	/* MODE_HINT */
			};
			__u64 frame;
			/*
			 * RELEASE: when the host showed the frame, on this
			 * machine's CLOCK_MONOTONIC (the driver moves it from
			 * the host's clock; see the spec's "Presentation
			 * times"); 0 if unknown.
			 */
			__u64 present_ns;
			__u32 refresh_ns;
			__u32 count;		/* CONSUMERS, FORMATS; errno of a DISCARDED RELEASE */
			__u32 width, height, refresh_mhz, scale_120;	/* MODE_HINT */
		};
		struct vdmabuf_uinput input;	/* INPUT */
		struct vdmabuf_ukeymap keymap;	/* KEYMAP */
		struct vdmabuf_uclip clip;	/* SELECTION, CLIP_* */
	};
};

#endif /* VDMABUF_UAPI_H */
