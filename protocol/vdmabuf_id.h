/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * A buffer's id in CPU byte order, as every API edge carries it: the guest
 * driver's /dev/vdmabuf (vdmabuf_uapi.h), the host consumer protocol
 * (vdmabuf_consumer.h) and libvdmabuf (vdmabuf.h). On the virtqueues it
 * travels little-endian as struct vdmabuf_wire_id (vdmabuf_proto.h).
 *
 * 128 bits minted by the device: @device is random per device instance
 * (new after every reset); @key holds a sequence number in its high half
 * and 32 random bits in its low half. Written as text, an id is
 * "dddddddddddddddd:kkkkkkkkkkkkkkkk" (both halves in hex).
 */
#ifndef VDMABUF_ID_H
#define VDMABUF_ID_H

#include <linux/types.h>

struct vdmabuf_id {
	__u64 device;
	__u64 key;
};

/* Bytes of an id as text: 16 hex digits, ':', 16 hex digits, NUL. */
#define VDMABUF_ID_STRLEN 34

#endif /* VDMABUF_ID_H */
