/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vhost_vdmabuf: the in-kernel host engine of the vdmabuf device. Private
 * definitions shared by the files of the module:
 *   vhost_vdmabuf_main.c      /dev/vhost-vdmabuf, owner ioctls, the worker
 *   vhost_vdmabuf_model.c     the device model (protocol/vdmabuf_model.c)
 *   vhost_vdmabuf_device.c    the model's ops: rings, consumers, dmabufs
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
#include <linux/timer.h>
#include <linux/types.h>
#include <linux/wait.h>

#include "vdmabuf_model.h"
#include "vhost_vdmabuf_uapi.h"

struct dma_buf;
struct eventfd_ctx;
struct file;
struct mem_cgroup;
struct mm_struct;
struct task_struct;

/*
 * Pages a device may hold pinned, live dmabufs included, in multiples of
 * its guest's RAM: buffers are distinct guest memory, so only a guest that
 * exports the same pages over and over comes near it. It bounds the page
 * arrays (8 bytes per pinned page) a guest can make the host allocate.
 */
#define VDM_PIN_LIMIT_RAM	2
/* Messages a consumer may leave unread before it is dropped. */
#define VDM_CONSUMER_QUEUE	VHOST_VDMABUF_CONSUMER_QUEUE

/*
 * Counters of host dmabufs, shared by a device and every dmabuf it made:
 * a dmabuf that outlives its device still decrements them.
 */
struct vdm_counters {
	struct kref ref;
	atomic64_t pinned_pages;
	atomic64_t dmabufs;
	/* Guards dev: the device to wake when a revoked buffer settles. */
	spinlock_t lock;
	struct vdm_dev *dev;		/* NULL once its worker is gone */
};

/* Bits of vdm_dev.work */
#define VDM_WORK_PENDING	0	/* run the model */
#define VDM_WORK_IMPORTS_IDLE	1	/* a revoked buffer let go of its pages */
#define VDM_WORK_TIMER		2	/* the model's timer is due */

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
	/*
	 * VIRTIO_RING_F_EVENT_IDX (vdmabuf spec §19): avail_event asks for
	 * kicks, used_event for interrupts; signalled_used is the used index
	 * of the last interrupt decision (none since the start: !signalled_valid).
	 */
	bool event_idx;
	u16 signalled_used;
	bool signalled_valid;

	/* Kick: our entry on the kick eventfd's wait queue. */
	struct file *kick;
	wait_queue_head_t *kick_wqh;
	wait_queue_entry_t kick_wait;
	poll_table kick_pt;
	atomic_t kicks;			/* since the worker last counted them */
	struct eventfd_ctx *call;	/* NULL: nobody to tell */
};

struct vdm_consumer {
	struct vdm_dev *dev;		/* a reference (vdm_dev.ref) */
	struct vdmabuf_model_consumer model;	/* guarded by vdm_dev.lock */

	/* Guards queue, qlen, dead, overflow. */
	spinlock_t qlock;
	struct list_head queue;		/* struct vdm_cmsg_node */
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
	unsigned long work;		/* VDM_WORK_* bits */
	struct timer_list timer;	/* the model's (arm_timer) */

	/*
	 * Guards everything below: the owner's configuration, the rings, the
	 * device model (buffers, ids, events, stats) and the consumer list.
	 * Taken by owner ioctls, consumer ioctls and the worker; may be held
	 * across guest memory access and page pinning (it is a mutex).
	 */
	struct mutex lock;
	bool closed;			/* the owner file is gone */
	struct mm_struct *mm;		/* the owner's, mmgrab()ed */
	/*
	 * Who pays for the pins, from START (vdm_charge_owner()): pages
	 * pinned count in mm->pinned_vm up to pin_limit, the starter's
	 * RLIMIT_MEMLOCK in pages (ULONG_MAX: CAP_IPC_LOCK or unlimited);
	 * the worker's allocations go to memcg, a reference.
	 */
	unsigned long pin_limit;
	struct mem_cgroup *memcg;
	struct vhost_vdmabuf_mem_table mem;	/* num_regions 0: none */
	u64 mem_pages;			/* guest RAM in the table, in pages */
	struct vhost_vdmabuf_config cfg;
	struct vdm_vq vqs[VDMABUF_NUM_VQS];
	bool running;
	struct vdm_elem *elem;		/* the chain the worker popped last */
	bool reap;			/* a consumer died: detach it */
	/* Buffers, ids, events, consumers, stats: the shared rules. */
	struct vdmabuf_model model;
};

/*
 * A line the guest or a consumer can cause at will: logged within the
 * device model's limit (vdmabuf_model_log_allowed(), the daemon's engine's
 * too), which counts the lines it holds back in STATS.
 */
#define vdm_warn_limited(dev, fmt, ...)						\
	do {									\
		lockdep_assert_held(&(dev)->lock);				\
		if (vdmabuf_model_log_allowed(&(dev)->model))			\
			pr_warn("dev %u: " fmt "\n", (dev)->nr, ##__VA_ARGS__);	\
	} while (0)

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
bool vdm_vq_notify(struct vdm_vq *vq);
long vdm_elem_read(const struct vdm_elem *elem, void *dst, size_t len);
long vdm_elem_write(const struct vdm_elem *elem, const void *src, size_t len);
int vdm_vq_set_kick(struct vdm_vq *vq, int fd);
int vdm_vq_set_call(struct vdm_vq *vq, int fd);
void vdm_vq_detach(struct vdm_vq *vq);

/* vhost_vdmabuf_buffer.c; in the worker, under the owner's mm. */
u32 vdm_hostbuf_create(struct vdm_dev *dev, const struct vdmabuf_export *req,
		       const struct vdmabuf_extent *extents, u64 *total,
		       struct dma_buf **out);
void vdm_hostbuf_revoke(struct dma_buf *dmabuf);
bool vdm_hostbuf_busy(struct dma_buf *dmabuf);
void vdm_counters_put(struct vdm_counters *c);

/* vhost_vdmabuf_device.c: the model's ops, all with dev->lock held. */
extern const struct vdmabuf_model_ops vdm_model_ops;

/* vhost_vdmabuf_consumer.c */
int vdm_consumer_grant(struct vdm_dev *dev);
/* With dev->lock held: queues msg, or drops a consumer that cannot take it. */
void vdm_consumer_send(struct vdm_consumer *c, const struct vdmabuf_consumer_msg *msg);
/* With dev->lock held: kills c, detached later (a release deadline passed). */
void vdm_consumer_disconnect(struct vdm_consumer *c);
/* With dev->lock held: detaches dead consumers. */
void vdm_consumer_reap(struct vdm_dev *dev);
/* With dev->lock held: detaches every consumer (the owner is gone). */
void vdm_consumer_disconnect_all(struct vdm_dev *dev);

#endif /* VHOST_VDMABUF_H */
