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

struct vdmabuf_ioc_present {
	struct vdmabuf_id id;
	__u64 frame;
	__u32 num_damage;		/* 0: whole buffer; at most 16 */
	__u32 flags;			/* 0 */
	struct vdmabuf_urect damage[16];
};

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

struct vdmabuf_ioc_subscribe {
	__u32 events;			/* VDMABUF_SUBSCRIBE_* */
	__u32 reserved;
};

enum vdmabuf_uevent_type {
	VDMABUF_UEVENT_RELEASE = 1,	/* id, frame, present_ns, refresh_ns, flags */
	VDMABUF_UEVENT_RETIRED = 2,	/* id: the host let go after UNEXPORT */
	VDMABUF_UEVENT_CONSUMERS = 3,	/* count */
	/* width, height, refresh_mhz, scale_120; the last one also at open */
	VDMABUF_UEVENT_MODE_HINT = 4,
	VDMABUF_UEVENT_RESET = 5,	/* the device was reset: every id is gone */
	VDMABUF_UEVENT_INPUT = 6,	/* input: subscribed files */
	VDMABUF_UEVENT_KEYMAP = 7,	/* keymap piece: subscribed files */
};

/* INPUT: one event of the host's seat (vdmabuf_input.h). */
struct vdmabuf_uinput {
	__u32 kind;			/* enum vdmabuf_input_kind */
	__u32 reserved;
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

struct vdmabuf_uevent {
	__u32 type;
	__u32 flags;			/* RELEASE: VDMABUF_RELEASE_* */
	union {
		struct {
			struct vdmabuf_id id;
			__u64 frame;
			/*
			 * RELEASE: when the host showed the frame, on this
			 * machine's CLOCK_MONOTONIC (the driver moves it from
			 * the host's clock; see the spec's "Presentation
			 * times"); 0 if unknown.
			 */
			__u64 present_ns;
			__u32 refresh_ns;
			__u32 count;		/* CONSUMERS */
			__u32 width, height, refresh_mhz, scale_120;	/* MODE_HINT */
		};
		struct vdmabuf_uinput input;	/* INPUT */
		struct vdmabuf_ukeymap keymap;	/* KEYMAP */
	};
};

#endif /* VDMABUF_UAPI_H */
