/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * What the host can import (spec §18, VDMABUF_F_FORMATS): a list of DRM
 * (fourcc, modifier) pairs, in CPU byte order as every API edge carries
 * it: the host consumer protocol (vdmabuf_consumer.h), the guest driver's
 * /dev/vdmabuf (vdmabuf_uapi.h) and libvdmabuf. On the event virtqueue it
 * travels little-endian in pieces (struct vdmabuf_formats, vdmabuf_proto.h).
 *
 * Each consumer that knows what it imports (the viewer: its compositor's
 * dmabuf feedback) reports a list; the device tells the guest the pairs
 * every reporting consumer has, in the order of the first one's list. The
 * guest allocates and scans out within them; with no list, or for any
 * format beyond it, LINEAR stays its fallback.
 */
#ifndef VDMABUF_FORMAT_H
#define VDMABUF_FORMAT_H

#include <linux/types.h>

struct vdmabuf_format {
	__u32 fourcc;			/* DRM_FORMAT_* */
	__u32 reserved;			/* 0 */
	__u64 modifier;			/* DRM_FORMAT_MOD_*; never INVALID */
};

/* Pairs in one list; a compositor that offers more keeps its first ones. */
#define VDMABUF_MAX_FORMATS		512
/* DRM_FORMAT_MOD_INVALID: an implicit layout, which cannot cross a VM. */
#define VDMABUF_FORMAT_MOD_INVALID	0x00ffffffffffffffULL

static inline int vdmabuf_format_valid(__u32 fourcc, __u32 reserved, __u64 modifier)
{
	return fourcc && !reserved && modifier != VDMABUF_FORMAT_MOD_INVALID;
}

/*
 * A piece of a list, as a consumer sends it and as the device sends it to
 * the guest: count pairs at index of a list of total, the pieces in order
 * from index 0 (which starts a new list), received pairs so far. total 0
 * (a lone piece at index 0, count 0) says the sender has no list.
 */
static inline int vdmabuf_formats_piece_valid(__u32 index, __u32 total, __u32 count,
					      __u32 max_count, __u32 received)
{
	if (!total)
		return !index && !count;
	return total <= VDMABUF_MAX_FORMATS && count && count <= max_count &&
	       index <= total && count <= total - index &&
	       index == (index ? received : 0);
}

#endif /* VDMABUF_FORMAT_H */
