/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vhost_vdmabuf: the in-kernel host engine of the vdmabuf device. Private
 * definitions shared by the files of the module:
 *   vhost_vdmabuf_main.c      /dev/vhost-vdmabuf, owner ioctls, the worker
 *   vhost_vdmabuf_device.c    the device model (host-backend/device.c)
 *   vhost_vdmabuf_vq.c        guest memory and split rings, nothing trusted
 *   vhost_vdmabuf_buffer.c    host dmabufs of the guest's pinned pages
 *   vhost_vdmabuf_consumer.c  consumer files
 */
#ifndef VHOST_VDMABUF_H
#define VHOST_VDMABUF_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#include "vdmabuf_proto.h"
#include "vhost_vdmabuf_uapi.h"

struct dma_buf;
struct eventfd_ctx;
struct file;
struct mm_struct;
struct task_struct;

#define VDM_FEATURES	(BIT_ULL(VDMABUF_F_DAMAGE) | \
			 BIT_ULL(VDMABUF_F_PRESENT_TIMING) | \
			 BIT_ULL(VDMABUF_F_MODE_HINT) | \
			 BIT_ULL(VDMABUF_F_CONSUMER_EVENTS))

/* Largest request: an EXPORT with the most extents of §8. */
#define VDM_MAX_REQUEST	(sizeof(struct vdmabuf_export) + \
			 VDMABUF_MAX_EXTENTS * sizeof(struct vdmabuf_extent))
/* Events wait here while the guest has no event buffer posted. */
#define VDM_EVENT_BACKLOG	(2 * VDMABUF_MAX_BUFFERS)
/* Slots index the per-buffer bitmasks. */
#define VDM_MAX_CONSUMERS	64
/*
 * Pages a device may hold pinned, live dmabufs included, in multiples of
 * its guest's RAM: buffers are distinct guest memory, so only a guest that
 * exports the same pages over and over comes near it. It bounds the page
 * arrays (8 bytes per pinned page) a guest can make the host allocate.
 */
#define VDM_PIN_LIMIT_RAM	2
/* Messages a consumer may leave unread before it is dropped. */
#define VDM_CONSUMER_QUEUE	VHOST_VDMABUF_CONSUMER_QUEUE

/* "device:key", as in every log line and tool. */
#define VDM_ID_FMT	"%016llx:%016llx"
#define VDM_ID_ARG(id)	(unsigned long long)(id)->device, (unsigned long long)(id)->key

/*
 * Counters of host dmabufs, shared by a device and every dmabuf it made:
 * a dmabuf that outlives its device still decrements them.
 */
struct vdm_counters {
	struct kref ref;
	atomic64_t pinned_pages;
	atomic64_t dmabufs;
};

/* One descriptor's bytes, translated into the owner's address space. */
struct vdm_seg {
	u64 uaddr;
	u32 len;
};

/* One descriptor chain: driver-readable segments, then device-writable. */
struct vdm_elem {
	u16 head;
	unsigned int num_out, num_in;	/* segs[0..num_out), then num_in */
	u64 out_len, in_len;
	struct vdm_seg segs[VHOST_VDMABUF_MAX_QUEUE_SIZE];
};

/* A split virtqueue; all fields guarded by vdm_dev.lock. */
struct vdm_vq {
	struct vdm_dev *dev;
	unsigned int index;
	unsigned int num;		/* 0: not set since the last STOP */
	u64 desc, avail, used;		/* owner's addresses */
	u16 last_avail_idx;
	u16 used_idx;
	bool started;
	bool broken;			/* stopped until the next reset */

	/* Kick: our entry on the kick eventfd's wait queue. */
	struct file *kick;
	wait_queue_head_t *kick_wqh;
	wait_queue_entry_t kick_wait;
	poll_table kick_pt;
	struct eventfd_ctx *call;	/* NULL: nobody to tell */
};

/* A guest buffer between EXPORT and RETIRED (host-backend/buffer.h). */
struct vdm_buffer {
	struct list_head link;		/* vdm_dev.buffers */
	struct vdmabuf_id id;
	struct vdmabuf_msg_buffer desc;
	struct dma_buf *dmabuf;		/* the device's reference */
	bool unexported;		/* GONE sent, waiting for imports to go */
	u64 importers;			/* consumer slots holding an import */
	bool presented;			/* a PRESENT waiting for its RELEASE */
	u64 frame;
	u64 owed;			/* slots that got FRAME, not yet released */
	struct vdmabuf_msg_release timing;	/* best report so far */
};

struct vdm_consumer {
	struct vdm_dev *dev;		/* a reference (vdm_dev.ref) */
	/* Guarded by vdm_dev.lock. */
	struct list_head link;		/* vdm_dev.consumers */
	unsigned int slot;
	bool attached;			/* on vdm_dev.consumers, owns slot */
	pid_t pid;			/* for logs */

	/* Guards queue, qlen, dead, overflow. */
	spinlock_t qlock;
	struct list_head queue;		/* struct vdm_msg_node */
	unsigned int qlen;
	bool dead;			/* no more messages; read() ends with 0 */
	bool overflow;			/* dropped for not reading */
	wait_queue_head_t wait;
};

struct vdm_dev {
	struct kref ref;		/* owner file, consumer files */
	unsigned int nr;		/* for logs */
	struct vdm_counters *counters;

	/* Guards worker against its exit; taken from wake functions. */
	spinlock_t wake_lock;
	struct task_struct *worker;
	unsigned long work;		/* bit 0: work pending */

	/*
	 * Guards everything below: the owner's configuration, the rings, the
	 * device model (buffers, ids, events, stats) and the consumer list.
	 * Taken by owner ioctls, consumer ioctls and the worker; may be held
	 * across guest memory access and page pinning (it is a mutex).
	 */
	struct mutex lock;
	bool closed;			/* the owner file is gone */
	struct mm_struct *mm;		/* the owner's, mmgrab()ed */
	struct vhost_vdmabuf_mem_table mem;	/* num_regions 0: none */
	u64 mem_pages;			/* guest RAM in the table, in pages */
	struct vhost_vdmabuf_config cfg;
	struct vdm_vq vqs[VDMABUF_NUM_VQS];
	bool running;
	struct vdm_elem *elem;
	u8 *request;			/* VDM_MAX_REQUEST bytes */

	/* The current device instance: reset renews all of it. */
	u64 instance;
	u32 next_seq;			/* 0: the sequence space is used up */
	struct list_head buffers;	/* struct vdm_buffer.link */
	unsigned int num_buffers;	/* not yet unexported */
	struct vdmabuf_event *backlog;	/* VDM_EVENT_BACKLOG entries */
	unsigned int backlog_head, backlog_len;
	unsigned long events_lost;

	struct list_head consumers;	/* struct vdm_consumer.link */
	unsigned int num_consumers;
	u64 slots_used;
	bool reap;			/* a consumer died: detach it */

	struct vdmabuf_msg_mode mode_hint;	/* last one asked for */
	struct vdmabuf_msg_stats stats;
};

/* vhost_vdmabuf_main.c */
void vdm_wake(struct vdm_dev *dev);
void vdm_dev_put(struct vdm_dev *dev);

/* vhost_vdmabuf_vq.c; all with dev->lock held. */
bool vdm_gpa_to_uaddr(const struct vdm_dev *dev, u64 gpa, u64 len, u64 *uaddr);
const struct vhost_vdmabuf_region *vdm_find_region(const struct vdm_dev *dev,
						   u64 gpa, u64 len);
bool vdm_uaddr_in_mem(const struct vdm_dev *dev, u64 uaddr, u64 len);
int vdm_vq_start(struct vdm_vq *vq);		/* in the owner's context */
int vdm_vq_pop(struct vdm_vq *vq, struct vdm_elem *elem);	/* the worker */
void vdm_vq_push(struct vdm_vq *vq, u16 head, u32 len);
void vdm_vq_notify(struct vdm_vq *vq);
long vdm_elem_read(const struct vdm_elem *elem, void *dst, size_t len);
long vdm_elem_write(const struct vdm_elem *elem, const void *src, size_t len);
int vdm_vq_set_kick(struct vdm_vq *vq, int fd);
int vdm_vq_set_call(struct vdm_vq *vq, int fd);
void vdm_vq_detach(struct vdm_vq *vq);

/* vhost_vdmabuf_buffer.c; in the worker, under the owner's mm. */
u32 vdm_hostbuf_create(struct vdm_dev *dev, const struct vdmabuf_export *req,
		       const struct vdmabuf_extent *extents, u64 *total,
		       struct dma_buf **out);
void vdm_counters_put(struct vdm_counters *c);

/* vhost_vdmabuf_device.c; all with dev->lock held. */
void vdm_device_process_control(struct vdm_dev *dev);
void vdm_device_flush_events(struct vdm_dev *dev);
void vdm_device_start(struct vdm_dev *dev);
void vdm_device_reset(struct vdm_dev *dev);
void vdm_device_renew(struct vdm_dev *dev);
void vdm_device_connected(struct vdm_dev *dev, struct vdm_consumer *c);
void vdm_device_disconnected(struct vdm_dev *dev, struct vdm_consumer *c);
/* A consumer request; fills *reply (type 0: none) and returns 0 or -errno. */
int vdm_device_consumer_cmd(struct vdm_dev *dev, struct vdm_consumer *c,
			    const struct vdmabuf_consumer_msg *req,
			    struct vdmabuf_consumer_msg *reply, struct dma_buf **import);
void vdm_device_undo_import(struct vdm_dev *dev, struct vdm_consumer *c,
			    const struct vdmabuf_id *id);
void vdm_device_stats(struct vdm_dev *dev, struct vdmabuf_msg_stats *stats);

/* vhost_vdmabuf_consumer.c */
int vdm_consumer_grant(struct vdm_dev *dev);
/* With dev->lock held: queues msg, or drops a consumer that cannot take it. */
void vdm_consumer_send(struct vdm_consumer *c, const struct vdmabuf_consumer_msg *msg);
void vdm_consumer_broadcast(struct vdm_dev *dev, const struct vdmabuf_consumer_msg *msg);
/* With dev->lock held: detaches dead consumers. */
void vdm_consumer_reap(struct vdm_dev *dev);
/* With dev->lock held: detaches every consumer (the owner is gone). */
void vdm_consumer_disconnect_all(struct vdm_dev *dev);

#endif /* VHOST_VDMABUF_H */
