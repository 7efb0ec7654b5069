/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * /dev/vhost-vdmabuf: vhost_vdmabuf.ko, the in-kernel host engine of the
 * vdmabuf device. The vhost-user daemon (vdmabuf-backend --engine kernel)
 * is its owner: it negotiates with QEMU as always and hands the module
 * what it got, and the module runs the data path (rings, requests, events,
 * host dmabufs from the guest's pinned pages) in the kernel.
 *
 * Owner file (open of /dev/vhost-vdmabuf, mode 0600: root only). Each open
 * is one device; closing it resets the device.
 *   VHOST_VDMABUF_SET_MEM_TABLE  guest RAM: guest-physical ranges and where
 *                                they are mapped in the calling process,
 *                                whose address space the module then reads
 *                                (the caller becomes the owner; see below)
 *   VHOST_VDMABUF_SET_CONFIG     negotiated features and the limits to use
 *   VHOST_VDMABUF_SET_VRING      one queue: size, ring addresses in the
 *                                owner's address space, the next available
 *                                index, kick and call eventfds
 *   VHOST_VDMABUF_START          run: a new device instance (RESET first)
 *   VHOST_VDMABUF_STOP           stop: every id dies; returns ring indices
 *   VHOST_VDMABUF_GRANT          a new consumer file (the return value)
 *   VHOST_VDMABUF_GET_STATS      counters and the pages pinned
 *
 * Consumer file (from GRANT only: the owner decides who gets one, e.g. by
 * passing it over a unix socket). It speaks the consumer protocol of
 * vdmabuf_consumer.h, message for message:
 *   read()     one or more struct vdmabuf_consumer_msg: HELLO first, BUFFER for
 *              every live buffer, then BUFFER, FRAME, GONE, RESET
 *   poll()     POLLIN when a message waits
 *   VHOST_VDMABUF_CONSUMER_CMD   a request (IMPORT, RELEASE, DROP,
 *              MODE_HINT, STATS) in, its reply out in the same struct
 *              (type 0: no reply). IMPORT returns the new dmabuf fd
 *              (O_CLOEXEC) as the ioctl's value.
 * Closing a consumer file releases the frames it owes and drops its
 * imports; dmabufs it imported stay valid until their last fd closes, and
 * the guest's pages stay pinned until then.
 *
 * Owner calls, in order: SET_MEM_TABLE, SET_CONFIG (optional: without it
 * the limits of vdmabuf_proto.h and no optional feature), SET_VRING for
 * both queues, START. SET_MEM_TABLE makes the caller the owner (while the
 * device is stopped any process may, e.g. a restarted daemon, which then
 * sets the rings again); SET_VRING and START are refused (EPERM) from any
 * other process. SET_CONFIG, SET_VRING and START answer EBUSY while
 * running. STOP is the device reset (vhost-user GET_VRING_BASE): every id
 * dies, consumers get RESET, both rings and their eventfds are forgotten
 * (SET_VRING again before the next START). START answers EINVAL when a
 * ring was not set or lies outside the memory table, and resumes from the
 * used index found in the ring. Features in SET_CONFIG: bits other than
 * VDMABUF_F_* (VIRTIO_F_VERSION_1, vhost-user's) are ignored.
 *
 * Consumer file details: read() takes whole messages only (count below
 * sizeof(struct vdmabuf_consumer_msg): EINVAL; empty with O_NONBLOCK:
 * EAGAIN) and returns 0 (end of file) once the consumer is disconnected:
 * its owner closed the device, or it left VHOST_VDMABUF_CONSUMER_QUEUE
 * messages unread (poll then also says POLLERR). Messages queued before
 * that can still be read. POLLHUP with end of file. CONSUMER_CMD on a disconnected
 * consumer fails with EPIPE. A refused request is not an ioctl error: the
 * ioctl returns 0 with a REPLY (status -errno, as over the socket). GRANT
 * fails with EBUSY when 64 consumers are attached.
 */
#ifndef VHOST_VDMABUF_UAPI_H
#define VHOST_VDMABUF_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#include "vdmabuf_consumer.h"

#define VHOST_VDMABUF_DEVICE		"/dev/vhost-vdmabuf"
#define VHOST_VDMABUF_MAX_REGIONS	32
#define VHOST_VDMABUF_MAX_QUEUE_SIZE	1024
/* Messages a consumer may leave unread before it is disconnected. */
#define VHOST_VDMABUF_CONSUMER_QUEUE	5120

struct vhost_vdmabuf_region {
	__u64 gpa;			/* guest-physical start, page aligned */
	__u64 size;			/* bytes, page aligned, nonzero */
	__u64 uaddr;			/* the owner's mapping of gpa, page
					 * aligned (the guest's pages are
					 * pinned through it) */
};

struct vhost_vdmabuf_mem_table {
	__u32 num_regions;		/* 1..VHOST_VDMABUF_MAX_REGIONS, no
					 * two overlapping in gpa */
	__u32 reserved;
	struct vhost_vdmabuf_region regions[VHOST_VDMABUF_MAX_REGIONS];
};

struct vhost_vdmabuf_config {
	__u64 features;			/* negotiated VDMABUF_F_*, VIRTIO_RING_F_EVENT_IDX */
	__u64 max_buffer_size;		/* what the guest was told */
	__u32 max_buffers;
	__u32 max_extents;
	__u32 release_deadline_ms;	/* 0: the default (vdmabuf spec 11.3) */
	__u32 reserved;			/* 0 */
	__u64 max_pinned;		/* bytes the device's buffers may pin
					 * (vdmabuf spec 8.1 step 8); 0: no
					 * budget but the starter's
					 * RLIMIT_MEMLOCK, which bounds it too */
};

struct vhost_vdmabuf_vring {
	__u32 index;			/* VDMABUF_VQ_* */
	__u32 num;			/* ring size, a power of 2, <= 1024 */
	__u64 desc_uaddr;		/* in the owner's address space, 16-aligned */
	__u64 avail_uaddr;		/* 2-aligned */
	__u64 used_uaddr;		/* 4-aligned */
	__s32 kick_fd;			/* eventfd the guest kicks */
	__s32 call_fd;			/* eventfd we signal; -1: none */
	__u16 last_avail_idx;		/* where to resume taking requests */
	__u16 reserved[3];
};

struct vhost_vdmabuf_stop {
	__u16 last_avail_idx[2];	/* out: per queue, for GET_VRING_BASE */
	__u32 reserved;
};

struct vhost_vdmabuf_stats {
	struct vdmabuf_msg_stats device;	/* as consumers see them */
	__u64 pinned_pages;		/* this device's, live dmabufs included */
	__u64 dmabufs;			/* host dmabufs not yet released: one
					 * per buffer, kept past RETIRED or
					 * STOP while an import fd is open */
};

#define VHOST_VDMABUF_IOC_MAGIC		0xB7
#define VHOST_VDMABUF_SET_MEM_TABLE	_IOW(VHOST_VDMABUF_IOC_MAGIC, 1, struct vhost_vdmabuf_mem_table)
#define VHOST_VDMABUF_SET_CONFIG	_IOW(VHOST_VDMABUF_IOC_MAGIC, 2, struct vhost_vdmabuf_config)
#define VHOST_VDMABUF_SET_VRING		_IOW(VHOST_VDMABUF_IOC_MAGIC, 3, struct vhost_vdmabuf_vring)
#define VHOST_VDMABUF_START		_IO(VHOST_VDMABUF_IOC_MAGIC, 4)
#define VHOST_VDMABUF_STOP		_IOR(VHOST_VDMABUF_IOC_MAGIC, 5, struct vhost_vdmabuf_stop)
#define VHOST_VDMABUF_GRANT		_IO(VHOST_VDMABUF_IOC_MAGIC, 6)
#define VHOST_VDMABUF_GET_STATS		_IOR(VHOST_VDMABUF_IOC_MAGIC, 7, struct vhost_vdmabuf_stats)
#define VHOST_VDMABUF_CONSUMER_CMD	\
	_IOWR(VHOST_VDMABUF_IOC_MAGIC, 16, struct vdmabuf_consumer_msg)

#endif /* VHOST_VDMABUF_UAPI_H */
