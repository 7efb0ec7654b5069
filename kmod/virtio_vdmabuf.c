// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio_vdmabuf: the guest side of vdmabuf. Shares dmabufs with the host
 * through the vdmabuf virtio device (protocol/vdmabuf-spec.md) and offers
 * them to producers as /dev/vdmabuf (protocol/vdmabuf_uapi.h).
 *
 * A buffer is exported once: the driver attaches to the dmabuf as any
 * importer does (dynamically, without peer-to-peer, so an exporter with
 * device memory moves the buffer to system memory), pins it, maps it for
 * the device and sends the DMA addresses of that mapping as extents. The
 * device has no IOMMU of its own (no VIRTIO_F_ACCESS_PLATFORM), so those
 * addresses are guest-physical when the transport's device is not behind
 * a translating IOMMU; extents that are not guest RAM are refused. The
 * struct pages of an imported buffer are never looked at. The
 * attachment stays pinned until the device retires the buffer. Each frame
 * is then a PRESENT naming the buffer's id. Events from the device reach
 * the file that owns the id.
 *
 * A frame waits for its buffer's rendering without blocking its producer:
 * PRESENT queues it with the fences it waits for (the dmabuf's write
 * fences, the producer's sync_file), each fence's callback kicks the
 * file's fenced_work, and the work sends the frames at the head of the
 * queue whose fences have signalled, or discards one whose bound passed.
 *
 * With VDMABUF_F_INPUT the device also sends the host seat's input and
 * keymap: they reach every file that subscribed (VDMABUF_IOC_SUBSCRIBE).
 * The driver assembles the keymap's pieces, keeps the last whole one for
 * files that subscribe later, and hands it to each file as one ring slot
 * that read() turns back into pieces.
 *
 * With VDMABUF_F_FORMATS the device sends the (fourcc, modifier) pairs
 * the host imports; the driver keeps the last whole list, tells every file
 * its length and hands it out with VDMABUF_IOC_FORMATS.
 *
 * With VDMABUF_F_POINTER a producer names one of its exported buffers as
 * the cursor image the host draws at its own pointer (VDMABUF_IOC_POINTER);
 * it comes back with a RELEASE as a presented frame does.
 *
 * With VDMABUF_F_OUTPUTS the guest has several outputs by id (spec §20):
 * a producer announces each with VDMABUF_IOC_OUTPUT, and its frames name
 * theirs. The driver remembers which outputs are announced (so a frame for
 * another is refused before it reaches the device) and the host's last
 * mode hint of each output, for files opened later. Without the feature
 * there is output 0 only, as before.
 */
#include <linux/dma-buf.h>
#include <linux/dma-fence.h>
#include <linux/dma-resv.h>
#include <linux/iommu.h>
#include <linux/ioport.h>
#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/sync_file.h>
#include <linux/uaccess.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "vdmabuf_compat.h"
#include "vdmabuf_proto.h"
#include "vdmabuf_uapi.h"

#define EVENT_BUFFERS		64
/*
 * Event buffers the driver handled are given back this many at once,
 * with one kick: without event index each kick is a VM exit.
 */
#define EVENT_BATCH		(EVENT_BUFFERS / 4)
#define FILE_EVENTS		256
/*
 * Input never pushes a file's buffer events out: it fills a ring only up
 * to these marks and is dropped past them, motion first.
 */
#define FILE_INPUT_EVENTS	(FILE_EVENTS - 32)
#define FILE_MOTION_EVENTS	(FILE_EVENTS / 2)
#define REQUEST_TIMEOUT		(10 * HZ)
/*
 * The clipboard subscriber's own ring: a window of pieces for each of the
 * transfers the device runs at once, their SEND and CANCEL, and the
 * offers (an offer or an ACK not read yet is updated where it waits).
 */
#define FILE_CLIP_EVENTS	(VDMABUF_CLIP_TRANSFERS * \
				 (VDMABUF_CLIP_WINDOW / VDMABUF_CLIP_PIECE + 8) + 16)

static unsigned int max_buffers_per_file = 64;
module_param(max_buffers_per_file, uint, 0644);
MODULE_PARM_DESC(max_buffers_per_file, "Buffers one open file may export (default 64)");

/* Frames one file may have waiting for their rendering. */
#define FILE_FENCED_FRAMES	8

/*
 * The protocol the driver speaks (spec §19): 2 negotiates
 * VDMABUF_F_ASYNC_PRESENT and event index when the device offers them, 1
 * neither, as a version 1 driver does. Read at probe.
 */
static unsigned int protocol = 2;
module_param(protocol, uint, 0444);
MODULE_PARM_DESC(protocol, "Protocol version the driver speaks, 1 or 2 (default 2)");

static unsigned int fence_timeout_ms = 2000;
module_param(fence_timeout_ms, uint, 0644);
MODULE_PARM_DESC(fence_timeout_ms,
		 "How long a frame waits for its rendering before it is discarded (default 2000)");

struct vdmabuf_dev {
	struct kref kref;
	struct virtio_device *vdev;
	struct virtqueue *ctrl_vq;
	struct virtqueue *event_vq;
	struct miscdevice misc;

	/*
	 * The device buffers are mapped for (the transport's, as the
	 * device has no DMA of its own), and whether its DMA addresses are
	 * guest-physical: no IOMMU translates for it.
	 */
	struct device *dma_dev;
	bool dma_is_phys;

	/* Limits the device advertises in its config space. */
	u32 max_buffers;
	u32 max_extents;
	u64 max_buffer_size;

	/*
	 * Guards ctrl_vq, inflight (requests the device holds), late
	 * (abandoned requests it answered, for late_work) and
	 * unexport_waiting (an UNEXPORT found the ring full: late_work runs
	 * again when a reply frees room). late_work is delayed only to retry
	 * an UNEXPORT it had no memory for (vdmabuf_late_work_retry()).
	 * What the device returns is taken back in vdmabuf_ctrl_reap() only.
	 * Also replies_owed: requests in flight with a reply part (all but
	 * PRESENTs without reply). ctrl_vq's callbacks are on only while one
	 * is owed or an UNEXPORT waits for room (vdmabuf_ctrl_arm()): a
	 * PRESENT without reply costs no interrupt.
	 */
	spinlock_t ctrl_lock;
	struct list_head inflight;
	struct list_head late;
	unsigned int replies_owed;
	bool unexport_waiting;
	struct delayed_work late_work;
	/* VDMABUF_F_ASYNC_PRESENT: PRESENT sized, without reply. Set at probe. */
	bool async_present;

	/*
	 * Guards event_vq; events are handled in event_work. ready (false
	 * once remove began) is written under event_lock and ctrl_lock both,
	 * read under either. held: the event buffers handled and not given
	 * back yet, fewer than EVENT_BATCH once event_work is done.
	 */
	spinlock_t event_lock;
	struct vdmabuf_event *events;
	struct vdmabuf_event *held[EVENT_BUFFERS];
	unsigned int num_held;
	struct work_struct event_work;
	bool ready;

	/*
	 * Held for reading by every ioctl and release, for writing by remove
	 * once it has failed the requests in flight: vdev stays valid for
	 * whoever holds it and sees !gone.
	 */
	struct rw_semaphore remove_sem;

	/*
	 * Guards files, every file's buffers list, retiring, num_buffers,
	 * consumers, mode_hints, outputs, host_lead_ns and gone. Never held
	 * while waiting for the device.
	 */
	struct mutex lock;
	struct list_head files;
	struct list_head retiring;	/* unexported, waiting for RETIRED */
	u32 num_buffers;		/* on files' lists, all files */
	u32 consumers;
	/*
	 * The host's last preferred mode of each output (type 0: none, or
	 * closed), for late openers; with VDMABUF_F_OUTPUTS, the outputs
	 * announced since the last reset (bit per id; output 0 is always
	 * there). outputs_lock serialises OUTPUT requests, so that the
	 * device's answers and outputs agree.
	 */
	struct vdmabuf_uevent mode_hints[VDMABUF_MAX_OUTPUTS];
	u16 outputs;
	struct mutex outputs_lock;
	/* The host clock's lead over ours (0: not known yet), spec 10.2. */
	s64 host_lead_ns;
	bool gone;			/* removed: every call fails ENODEV */

	/*
	 * Also guarded by lock: the host's last whole keymap (NULL: none
	 * yet), the one being received, every file's subscription, and
	 * the count of input events and keymap pieces refused.
	 */
	struct vdmabuf_keymap_blob *keymap;
	struct vdmabuf_keymap_blob *keymap_rx;
	u64 input_invalid;
	/*
	 * Also guarded by lock: the file that holds the clipboard, or NULL,
	 * and the host's last offer of each selection (type 0: none yet),
	 * queued to a file when it subscribes.
	 */
	struct vdmabuf_file *clip_file;
	struct vdmabuf_uevent offers[VDMABUF_SELECTIONS];
	/*
	 * Also guarded by lock: with VDMABUF_F_FORMATS, the host's last
	 * whole list of (fourcc, modifier) pairs (num_formats 0: none) and
	 * the one being received, formats_rx_total pairs of which
	 * formats_rx_received came. Both VDMABUF_MAX_FORMATS entries, or
	 * NULL until the first piece.
	 */
	struct vdmabuf_format *formats;
	struct vdmabuf_format *formats_rx;
	u32 num_formats;
	u32 formats_rx_total, formats_rx_received;
};

/* A keymap, shared by the device and the files it is queued to. */
struct vdmabuf_keymap_blob {
	struct kref kref;
	u32 format;
	u32 size;
	u32 received;			/* bytes so far, while assembled */
	u8 data[] __counted_by(size);
};

struct vdmabuf_file {
	struct vdmabuf_dev *vd;
	struct list_head link;		/* vd->files */
	struct list_head buffers;	/* exported by this file */
	u32 num_buffers;
	/* Serialises this file's ioctls and its teardown. */
	struct mutex ioctl_lock;

	u32 events;			/* VDMABUF_SUBSCRIBE_*; vd->lock */

	/*
	 * Guards the event ring, and km: the keymap read() hands out in
	 * pieces, from km_off, while the ring's one KEYMAP slot is at its
	 * head (km is set exactly while that slot is in the ring).
	 */
	spinlock_t ev_lock;
	struct vdmabuf_uevent ev[FILE_EVENTS];
	unsigned int ev_head, ev_len;
	unsigned long ev_lost;
	unsigned long input_lost;	/* input dropped: the ring was full */
	struct vdmabuf_keymap_blob *km;
	u32 km_off;
	/*
	 * Frames waiting for their rendering, oldest first, and their
	 * count: fenced_lock, also held while fenced_work or PRESENT sends
	 * a frame, so frames reach the device in the order presented.
	 */
	struct mutex fenced_lock;
	struct list_head fenced;
	unsigned int num_fenced;
	struct delayed_work fenced_work;
	/* The clipboard's ring (FILE_CLIP_EVENTS, allocated at subscribe). */
	struct vdmabuf_uevent *clip;
	unsigned int clip_head, clip_len;
	unsigned long clip_lost;
	bool dead;
	wait_queue_head_t wait;
};

struct vdmabuf_buffer {
	struct list_head link;		/* owner->buffers or vd->retiring */
	struct vdmabuf_file *owner;	/* NULL once its file is closed */
	bool unexport_pending;		/* retiring; its UNEXPORT not queued yet */
	u64 id_device, id_key;
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;	/* dynamic, pinned */
	struct sg_table *sgt;			/* its mapping for dma_dev */
};

/* A fence a frame waits for; its callback kicks the file's fenced_work. */
struct vdmabuf_fence_wait {
	struct dma_fence *fence;	/* NULL: signalled */
	struct dma_fence_cb cb;
	struct vdmabuf_file *f;
};

/* A frame waiting for its rendering: its PRESENT, built, and its fences. */
struct vdmabuf_fenced_frame {
	struct list_head link;		/* f->fenced */
	struct vdmabuf_request *r;
	struct vdmabuf_id id;
	u64 frame;
	unsigned long deadline;		/* jiffies */
	struct vdmabuf_fence_wait waits[2];	/* the buffer's, the producer's */
};

/* One control request and its reply, as long as the device holds them. */
struct vdmabuf_request {
	struct list_head link;		/* vd->inflight, then vd->late */
	struct completion done;
	bool abandoned;			/* nobody waits: late_work takes the reply */
	/* A PRESENT without reply (spec §19): freed once the device returns it. */
	bool async;
	/* An EXPORT's buffer, pinned until late_work knows the reply. */
	struct vdmabuf_buffer *orphan;
	unsigned int reply_len;
	struct vdmabuf_reply reply;
	u8 *req;			/* kvmalloc'd: EXPORTs may be large */
	size_t len;			/* bytes of req to send */
	struct scatterlist *sg;		/* one entry per page of req */
};

static DEFINE_MUTEX(vdmabuf_dev_lock);
static struct vdmabuf_dev *vdmabuf_the_dev;

static struct vdmabuf_keymap_blob *vdmabuf_keymap_alloc(u32 format, u32 size)
{
	struct vdmabuf_keymap_blob *km;

	km = kvmalloc(struct_size(km, data, size), GFP_KERNEL);
	if (!km)
		return NULL;
	kref_init(&km->kref);
	km->format = format;
	km->size = size;
	km->received = 0;
	return km;
}

static struct vdmabuf_keymap_blob *vdmabuf_keymap_get(struct vdmabuf_keymap_blob *km)
{
	kref_get(&km->kref);
	return km;
}

static void vdmabuf_keymap_free(struct kref *kref)
{
	kvfree(container_of(kref, struct vdmabuf_keymap_blob, kref));
}

/* May sleep (kvfree): never with a spinlock held. */
static void vdmabuf_keymap_put(struct vdmabuf_keymap_blob *km)
{
	if (km)
		kref_put(&km->kref, vdmabuf_keymap_free);
}

static void vdmabuf_dev_free(struct kref *kref)
{
	struct vdmabuf_dev *vd = container_of(kref, struct vdmabuf_dev, kref);

	vdmabuf_keymap_put(vd->keymap);
	vdmabuf_keymap_put(vd->keymap_rx);
	kvfree(vd->formats);
	kvfree(vd->formats_rx);
	kfree(vd->events);
	/* Nothing queues it any more; a retry may still be armed. */
	cancel_delayed_work_sync(&vd->late_work);
	kfree(vd);
}

/* Control requests */

static struct vdmabuf_request *vdmabuf_request_alloc(size_t len)
{
	struct vdmabuf_request *r;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return NULL;
	r->req = kvzalloc(len, GFP_KERNEL);
	if (!r->req) {
		kfree(r);
		return NULL;
	}
	r->len = len;
	init_completion(&r->done);
	return r;
}

static void vdmabuf_request_free(struct vdmabuf_request *r)
{
	kfree(r->sg);
	kvfree(r->req);
	kfree(r);
}

static void vdmabuf_request_free_list(struct list_head *list)
{
	struct vdmabuf_request *r, *tmp;

	list_for_each_entry_safe(r, tmp, list, link)
		vdmabuf_request_free(r);
}

/* Describes r->req page by page: it may be vmalloc memory. */
static int vdmabuf_request_map(struct vdmabuf_request *r)
{
	unsigned int i, n = DIV_ROUND_UP(offset_in_page(r->req) + r->len, PAGE_SIZE);
	u8 *p = r->req;
	size_t left = r->len;

	r->sg = kmalloc_array(n, sizeof(*r->sg), GFP_KERNEL);
	if (!r->sg)
		return -ENOMEM;
	sg_init_table(r->sg, n);
	for (i = 0; i < n; i++) {
		size_t chunk = min_t(size_t, left, PAGE_SIZE - offset_in_page(p));
		struct page *page = is_vmalloc_addr(p) ? vmalloc_to_page(p) : virt_to_page(p);

		sg_set_page(&r->sg[i], page, chunk, offset_in_page(p));
		p += chunk;
		left -= chunk;
	}
	return 0;
}

/*
 * What the device answered r, as an errno: -ENODEV when it went away,
 * -EIO when it returned no reply (it refused to read the request).
 */
static int vdmabuf_request_errno(const struct vdmabuf_request *r)
{
	if (r->reply_len == UINT_MAX)
		return -ENODEV;
	if (r->reply_len < sizeof(r->reply))
		return -EIO;
	return vdmabuf_status_errno(le32_to_cpu(r->reply.status));
}

/*
 * The device is done with r (len: the reply's length; UINT_MAX: the
 * device went away). Its waiter learns it, or late_work does when nobody
 * waits; a PRESENT without reply goes to freed, for the caller to free
 * once it dropped ctrl_lock. The one place a request leaves inflight.
 */
static void vdmabuf_request_done(struct vdmabuf_dev *vd, struct vdmabuf_request *r,
				 unsigned int len, struct list_head *freed)
{
	lockdep_assert_held(&vd->ctrl_lock);
	list_del(&r->link);
	r->reply_len = len;
	if (r->async) {
		list_add_tail(&r->link, freed);
		return;
	}
	vd->replies_owed--;
	if (r->abandoned) {
		list_add_tail(&r->link, &vd->late);
		mod_delayed_work(system_wq, &vd->late_work, 0);
	} else {
		complete(&r->done);
	}
}

/*
 * Takes back every chain the device returned; returns how many. Room
 * came back for the UNEXPORTs that found the ring full.
 */
static unsigned int vdmabuf_ctrl_reap(struct vdmabuf_dev *vd, struct list_head *freed)
{
	struct vdmabuf_request *r;
	unsigned int len, n = 0;

	lockdep_assert_held(&vd->ctrl_lock);
	while ((r = virtqueue_get_buf(vd->ctrl_vq, &len))) {
		vdmabuf_request_done(vd, r, len, freed);
		n++;
	}
	if (n && vd->unexport_waiting) {
		vd->unexport_waiting = false;
		mod_delayed_work(system_wq, &vd->late_work, 0);
	}
	return n;
}

/*
 * Callbacks on while a reply is owed or an UNEXPORT waits for room, with
 * what came meanwhile taken back; off otherwise.
 */
static void vdmabuf_ctrl_arm(struct vdmabuf_dev *vd, struct list_head *freed)
{
	lockdep_assert_held(&vd->ctrl_lock);
	while (vd->replies_owed || vd->unexport_waiting) {
		if (virtqueue_enable_cb(vd->ctrl_vq))
			return;
		vdmabuf_ctrl_reap(vd, freed);
	}
	virtqueue_disable_cb(vd->ctrl_vq);
}

/*
 * Queues r to the device: 0, -EBUSY (the ring is full), -ENODEV or
 * -ENOMEM. With abandoned, nobody waits: late_work takes the reply, and
 * a full ring has late_work run again once a reply frees room. A PRESENT
 * without reply (r->async) is the device's once queued: the caller must
 * not touch it again. Chains the device returned are taken back first,
 * and again once if the ring is full.
 */
static int vdmabuf_request_queue(struct vdmabuf_dev *vd, struct vdmabuf_request *r,
				 bool abandoned)
{
	struct scatterlist reply_sg, *sgs[2];
	unsigned int in = r->async ? 0 : 1;
	unsigned long flags;
	LIST_HEAD(freed);
	int err;

	if (!r->sg) {
		err = vdmabuf_request_map(r);
		if (err)
			return err;
	}
	sg_init_one(&reply_sg, &r->reply, sizeof(r->reply));
	sgs[0] = r->sg;
	sgs[1] = &reply_sg;

	spin_lock_irqsave(&vd->ctrl_lock, flags);
	if (!vd->ready) {
		spin_unlock_irqrestore(&vd->ctrl_lock, flags);
		return -ENODEV;
	}
	r->abandoned = abandoned;
	vdmabuf_ctrl_reap(vd, &freed);
	err = virtqueue_add_sgs(vd->ctrl_vq, sgs, 1, in, r, GFP_ATOMIC);
	if (err == -ENOSPC && vdmabuf_ctrl_reap(vd, &freed))
		err = virtqueue_add_sgs(vd->ctrl_vq, sgs, 1, in, r, GFP_ATOMIC);
	if (!err) {
		list_add_tail(&r->link, &vd->inflight);
		if (!r->async)
			vd->replies_owed++;
	} else if (err == -ENOSPC && abandoned) {
		vd->unexport_waiting = true;
	}
	/* Before the kick: the reply's interrupt must not be missed. */
	vdmabuf_ctrl_arm(vd, &freed);
	if (!err)
		virtqueue_kick(vd->ctrl_vq);
	spin_unlock_irqrestore(&vd->ctrl_lock, flags);
	vdmabuf_request_free_list(&freed);
	return err == -ENOSPC ? -EBUSY : err;
}

/*
 * Sends r and waits for its reply. Returns the device's status as an
 * errno; -EIO when the device returned no reply (it refused to read the
 * request), -ETIMEDOUT, -ENODEV when the device went away. The request
 * belongs to the caller again unless -ETIMEDOUT was returned: then
 * late_work takes its reply (and frees it).
 */
static int vdmabuf_request_send(struct vdmabuf_dev *vd, struct vdmabuf_request *r)
{
	unsigned long flags;
	int err;

	err = vdmabuf_request_queue(vd, r, false);
	if (err)
		return err;

	if (!wait_for_completion_timeout(&r->done, REQUEST_TIMEOUT)) {
		spin_lock_irqsave(&vd->ctrl_lock, flags);
		if (!completion_done(&r->done)) {
			r->abandoned = true;
			spin_unlock_irqrestore(&vd->ctrl_lock, flags);
			dev_warn_ratelimited(&vd->vdev->dev, "request timed out\n");
			return -ETIMEDOUT;
		}
		spin_unlock_irqrestore(&vd->ctrl_lock, flags);
	}
	return vdmabuf_request_errno(r);
}

static void vdmabuf_ctrl_done(struct virtqueue *vq)
{
	struct vdmabuf_dev *vd = vq->vdev->priv;
	unsigned long flags;
	LIST_HEAD(freed);

	spin_lock_irqsave(&vd->ctrl_lock, flags);
	virtqueue_disable_cb(vq);
	vdmabuf_ctrl_reap(vd, &freed);
	vdmabuf_ctrl_arm(vd, &freed);
	spin_unlock_irqrestore(&vd->ctrl_lock, flags);
	vdmabuf_request_free_list(&freed);
}

/*
 * Events follow the requests they answer (a RELEASE its PRESENT): the
 * chains of PRESENTs without reply are back by now.
 */
static void vdmabuf_ctrl_reap_now(struct vdmabuf_dev *vd)
{
	LIST_HEAD(freed);

	spin_lock_irq(&vd->ctrl_lock);
	if (vd->ready) {
		vdmabuf_ctrl_reap(vd, &freed);
		vdmabuf_ctrl_arm(vd, &freed);
	}
	spin_unlock_irq(&vd->ctrl_lock);
	vdmabuf_request_free_list(&freed);
}

/* Per-file events */

/* Drops the oldest event of f's full ring; returns a keymap to put. */
static struct vdmabuf_keymap_blob *vdmabuf_file_evict(struct vdmabuf_file *f)
{
	struct vdmabuf_keymap_blob *km = NULL;

	lockdep_assert_held(&f->ev_lock);
	if (f->ev[f->ev_head].type == VDMABUF_UEVENT_KEYMAP) {
		km = f->km;
		f->km = NULL;
	}
	f->ev_head = (f->ev_head + 1) % FILE_EVENTS;
	f->ev_len--;
	return km;
}

static void vdmabuf_file_append(struct vdmabuf_file *f, const struct vdmabuf_uevent *ev)
{
	lockdep_assert_held(&f->ev_lock);
	f->ev[(f->ev_head + f->ev_len++) % FILE_EVENTS] = *ev;
}

/* A buffer or device event: always queued, the oldest goes if need be. */
static void vdmabuf_file_queue(struct vdmabuf_file *f, const struct vdmabuf_uevent *ev)
{
	struct vdmabuf_keymap_blob *lost = NULL;
	unsigned long flags;

	spin_lock_irqsave(&f->ev_lock, flags);
	if (f->ev_len == FILE_EVENTS) {
		/* The producer stopped reading: the oldest event goes. */
		lost = vdmabuf_file_evict(f);
		if (!f->ev_lost++)
			pr_warn_ratelimited("virtio_vdmabuf: a producer does not read its events\n");
	}
	vdmabuf_file_append(f, ev);
	spin_unlock_irqrestore(&f->ev_lock, flags);
	vdmabuf_keymap_put(lost);
	wake_up_interruptible(&f->wait);
}

/*
 * A frame that never reached the host: its producer gets the buffer back,
 * as a RELEASE flagged VDMABUF_RELEASE_DISCARDED with the errno. A fenced
 * frame whose rendering did not finish in time or that could not be sent,
 * and a PRESENT the device refused (PRESENT_ERROR) come here.
 */
static void vdmabuf_frame_discard(struct vdmabuf_file *f, const struct vdmabuf_id *id, u64 frame,
				  int err)
{
	struct vdmabuf_uevent uev = {
		.type = VDMABUF_UEVENT_RELEASE,
		.flags = VDMABUF_RELEASE_DISCARDED,
		.id = *id,
		.frame = frame,
		.count = -err,
	};

	/* Not dev_warn(): the device may be gone, the file outlives it. */
	pr_warn_ratelimited("virtio_vdmabuf: frame %llu of %016llx:%016llx discarded: %s (%d)\n",
			    frame, id->device, id->key,
			    err == -ETIMEDOUT ? "its rendering did not finish in time" :
			    "the device refused it", err);
	vdmabuf_file_queue(f, &uev);
}

/* Input: queued while the ring holds fewer than room events, else dropped. */
static void vdmabuf_file_queue_input(struct vdmabuf_file *f, const struct vdmabuf_uevent *ev,
				     unsigned int room)
{
	unsigned long flags;
	bool queued;

	spin_lock_irqsave(&f->ev_lock, flags);
	queued = f->ev_len < room;
	if (queued)
		vdmabuf_file_append(f, ev);
	else if (!(f->input_lost++ % 1024))
		pr_warn_ratelimited("virtio_vdmabuf: input dropped: a producer does not read (%lu lost)\n",
				    f->input_lost);
	spin_unlock_irqrestore(&f->ev_lock, flags);
	if (queued)
		wake_up_interruptible(&f->wait);
}

/*
 * Hands km to f. A keymap f has not read yet is replaced where it waits
 * (read() starts the new one at offset 0, which starts a new keymap).
 */
static void vdmabuf_file_queue_keymap(struct vdmabuf_file *f, struct vdmabuf_keymap_blob *km)
{
	const struct vdmabuf_uevent slot = { .type = VDMABUF_UEVENT_KEYMAP };
	struct vdmabuf_keymap_blob *old = NULL;
	unsigned long flags;
	bool queued = true;

	spin_lock_irqsave(&f->ev_lock, flags);
	if (f->km) {
		old = f->km;
		f->km = vdmabuf_keymap_get(km);
	} else if (f->ev_len < FILE_INPUT_EVENTS) {
		f->km = vdmabuf_keymap_get(km);
		vdmabuf_file_append(f, &slot);
	} else {
		queued = false;
		f->input_lost++;
		pr_warn_ratelimited("virtio_vdmabuf: keymap dropped: a producer does not read\n");
	}
	f->km_off = 0;
	spin_unlock_irqrestore(&f->ev_lock, flags);
	vdmabuf_keymap_put(old);
	if (queued)
		wake_up_interruptible(&f->wait);
}

/*
 * Takes f's next event into *ev: the ring's head, or the next piece of
 * the keymap at the head. Returns a keymap to put once fully read.
 */
static struct vdmabuf_keymap_blob *vdmabuf_file_take(struct vdmabuf_file *f,
						     struct vdmabuf_uevent *ev)
{
	struct vdmabuf_keymap_blob *km = f->km;
	u32 len;

	lockdep_assert_held(&f->ev_lock);
	*ev = f->ev[f->ev_head];
	if (ev->type != VDMABUF_UEVENT_KEYMAP || !km) {
		f->ev_head = (f->ev_head + 1) % FILE_EVENTS;
		f->ev_len--;
		return NULL;
	}
	len = min_t(u32, km->size - f->km_off, sizeof(ev->keymap.data));
	ev->keymap.format = km->format;
	ev->keymap.size = km->size;
	ev->keymap.offset = f->km_off;
	ev->keymap.len = len;
	memcpy(ev->keymap.data, km->data + f->km_off, len);
	f->km_off += len;
	if (f->km_off < km->size)
		return NULL;
	f->km = NULL;
	f->ev_head = (f->ev_head + 1) % FILE_EVENTS;
	f->ev_len--;
	return km;
}

/*
 * A clipboard event for f. A newer offer of a selection, or another ACK
 * of a transfer, updates the one f has not read yet; the device keeps the
 * rest within FILE_CLIP_EVENTS (its windows), so past it events are lost.
 */
static void vdmabuf_file_queue_clip(struct vdmabuf_file *f, const struct vdmabuf_uevent *ev)
{
	struct vdmabuf_uevent *q;
	unsigned long flags;
	unsigned int i;
	bool queued = true;

	spin_lock_irqsave(&f->ev_lock, flags);
	for (i = 0; i < f->clip_len; i++) {
		q = &f->clip[(f->clip_head + i) % FILE_CLIP_EVENTS];
		if (q->type != ev->type)
			continue;
		if (ev->type == VDMABUF_UEVENT_SELECTION &&
		    q->clip.info.selection == ev->clip.info.selection) {
			*q = *ev;
			goto out_unlock;
		}
		if (ev->type == VDMABUF_UEVENT_CLIP_ACK && q->clip.transfer == ev->clip.transfer) {
			q->clip.info.bytes += ev->clip.info.bytes;
			goto out_unlock;
		}
	}
	if (f->clip_len == FILE_CLIP_EVENTS) {
		queued = false;
		if (!f->clip_lost++)
			pr_warn_ratelimited("virtio_vdmabuf: clipboard events lost: the holder does not read\n");
	} else {
		f->clip[(f->clip_head + f->clip_len++) % FILE_CLIP_EVENTS] = *ev;
	}
out_unlock:
	spin_unlock_irqrestore(&f->ev_lock, flags);
	if (queued)
		wake_up_interruptible(&f->wait);
}

static void vdmabuf_queue_all(struct vdmabuf_dev *vd, const struct vdmabuf_uevent *ev)
{
	struct vdmabuf_file *f;

	lockdep_assert_held(&vd->lock);
	list_for_each_entry(f, &vd->files, link)
		vdmabuf_file_queue(f, ev);
}

/* Buffers */

/*
 * The attachment is pinned, so an exporter never moves the buffer while
 * the host maps its pages; one that does anyway is broken, and the host
 * would show stale memory: say so.
 */
static void vdmabuf_move_notify(struct dma_buf_attachment *attach)
{
	struct vdmabuf_buffer *b = attach->importer_priv;

	pr_warn_ratelimited("virtio_vdmabuf: %s moved pinned buffer %016llx:%016llx\n",
			    attach->dmabuf->exp_name, b->id_device, b->id_key);
}

static const struct dma_buf_attach_ops vdmabuf_importer_ops = {
	.allow_peer2peer = false,
#ifdef VDMABUF_INVALIDATE_MAPPINGS
	.invalidate_mappings = vdmabuf_move_notify,
#else
	.move_notify = vdmabuf_move_notify,
#endif
};

/*
 * Attaches to b's dmabuf, pins it and maps it for the device: its memory
 * stays where it is until unpinned.
 */
static int vdmabuf_buffer_pin(struct vdmabuf_dev *vd, struct vdmabuf_buffer *b)
{
	struct dma_resv *resv = b->dmabuf->resv;
	int err;

	b->attach = dma_buf_dynamic_attach(b->dmabuf, vd->dma_dev, &vdmabuf_importer_ops, b);
	if (IS_ERR(b->attach))
		return PTR_ERR(b->attach);
	err = dma_resv_lock_interruptible(resv, NULL);
	if (err)
		goto err_detach;
	err = dma_buf_pin(b->attach);
	if (err)
		goto err_unlock;
	b->sgt = dma_buf_map_attachment(b->attach, DMA_BIDIRECTIONAL);
	if (IS_ERR(b->sgt)) {
		err = PTR_ERR(b->sgt);
		goto err_unpin;
	}
	dma_resv_unlock(resv);
	return 0;

err_unpin:
	dma_buf_unpin(b->attach);
err_unlock:
	dma_resv_unlock(resv);
err_detach:
	dma_buf_detach(b->dmabuf, b->attach);
	return err;
}

static void vdmabuf_buffer_unpin(struct vdmabuf_buffer *b)
{
	struct dma_resv *resv = b->dmabuf->resv;

	dma_resv_lock(resv, NULL);
	dma_buf_unmap_attachment(b->attach, b->sgt, DMA_BIDIRECTIONAL);
	dma_buf_unpin(b->attach);
	dma_resv_unlock(resv);
	dma_buf_detach(b->dmabuf, b->attach);
}

static void vdmabuf_buffer_free(struct vdmabuf_buffer *b)
{
	vdmabuf_buffer_unpin(b);
	dma_buf_put(b->dmabuf);
	kfree(b);
}

static struct vdmabuf_buffer *vdmabuf_find(struct list_head *list, u64 device, u64 key)
{
	struct vdmabuf_buffer *b;

	list_for_each_entry(b, list, link)
		if (b->id_device == device && b->id_key == key)
			return b;
	return NULL;
}

/* The buffer with this id on a file's list (RELEASE, PRESENT_ERROR), or NULL. */
static struct vdmabuf_buffer *vdmabuf_find_owned(struct vdmabuf_dev *vd, u64 device, u64 key)
{
	struct vdmabuf_buffer *b;
	struct vdmabuf_file *f;

	lockdep_assert_held(&vd->lock);
	list_for_each_entry(f, &vd->files, link) {
		b = vdmabuf_find(&f->buffers, device, key);
		if (b)
			return b;
	}
	return NULL;
}

/* Moves the buffers of @list whose ids are not of instance @keep to @out. */
static unsigned int vdmabuf_collect_list(struct list_head *list, u64 keep,
					 struct list_head *out)
{
	struct vdmabuf_buffer *b, *tmp;
	unsigned int n = 0;

	list_for_each_entry_safe(b, tmp, list, link) {
		if (keep && b->id_device == keep)
			continue;
		list_move_tail(&b->link, out);
		n++;
	}
	return n;
}

/*
 * Moves every buffer (of every file, and retiring) to @out but those of
 * device instance @keep (0: none kept); vd->lock held.
 */
static void vdmabuf_collect_all(struct vdmabuf_dev *vd, u64 keep, struct list_head *out)
{
	struct vdmabuf_file *f;
	unsigned int n;

	lockdep_assert_held(&vd->lock);
	list_for_each_entry(f, &vd->files, link) {
		n = vdmabuf_collect_list(&f->buffers, keep, out);
		vd->num_buffers -= n;
		f->num_buffers -= n;
	}
	vdmabuf_collect_list(&vd->retiring, keep, out);
}

static void vdmabuf_free_list(struct list_head *list)
{
	struct vdmabuf_buffer *b, *tmp;

	list_for_each_entry_safe(b, tmp, list, link) {
		list_del(&b->link);
		vdmabuf_buffer_free(b);
	}
}

/* Device events */

/*
 * sent_ns - received_ns is the host clock's lead less the event's transit:
 * keep the largest sample, falling by 1/64 of the gap toward smaller ones
 * so that a drift between the clocks is followed. Called with lock held.
 */
static void vdmabuf_learn_host_clock(struct vdmabuf_dev *vd, u64 sent_ns, u64 received_ns)
{
	s64 sample = (s64)(sent_ns - received_ns);

	if (!sent_ns)
		return;
	if (!vd->host_lead_ns || sample > vd->host_lead_ns)
		vd->host_lead_ns = sample;
	else
		vd->host_lead_ns -= (vd->host_lead_ns - sample) / 64;
}

/* A host present time on our clock, never later than its news came. */
static u64 vdmabuf_guest_time(struct vdmabuf_dev *vd, u64 host_ns, u64 received_ns)
{
	u64 t;

	if (!host_ns || !vd->host_lead_ns)
		return 0;
	t = host_ns - vd->host_lead_ns;
	return t < received_ns ? t : received_ns;
}

/* An input event's host time on our clock; when that is not known, now. */
static u64 vdmabuf_input_time(struct vdmabuf_dev *vd, u64 host_usec, u64 received_ns)
{
	u64 t = 0;

	if (host_usec <= U64_MAX / NSEC_PER_USEC)
		t = vdmabuf_guest_time(vd, host_usec * NSEC_PER_USEC, received_ns);
	return t ? t : received_ns;
}

static bool vdmabuf_input_is_motion(u32 kind)
{
	return kind == VDMABUF_INPUT_MOTION || kind == VDMABUF_INPUT_RELATIVE_MOTION ||
	       kind == VDMABUF_INPUT_TOUCH_MOTION;
}

/* INPUT: checked, moved to our clock, queued to every subscribed file. */
static void vdmabuf_handle_input(struct vdmabuf_dev *vd, const struct vdmabuf_input *in,
				 u64 received_ns)
{
	struct vdmabuf_uevent uev = { .type = VDMABUF_UEVENT_INPUT };
	struct vdmabuf_file *f;
	unsigned int i, room;
	u32 kind;

	lockdep_assert_held(&vd->lock);
	kind = le32_to_cpu(in->kind);
	for (i = 0; i < VDMABUF_INPUT_ARGS; i++)
		uev.input.args[i] = (s32)le32_to_cpu(in->args[i]);
	if (!vdmabuf_input_valid(kind, uev.input.args)) {
		vd->input_invalid++;
		dev_warn_ratelimited(&vd->vdev->dev, "bad input event (kind %u; %llu refused)\n",
				     kind, vd->input_invalid);
		return;
	}
	uev.input.kind = kind;
	uev.input.output = le32_to_cpu(in->output);
	uev.input.time_usec = div_u64(vdmabuf_input_time(vd, le64_to_cpu(in->time_usec),
							 received_ns), NSEC_PER_USEC);
	room = vdmabuf_input_is_motion(kind) ? FILE_MOTION_EVENTS : FILE_INPUT_EVENTS;
	list_for_each_entry(f, &vd->files, link)
		if (f->events & VDMABUF_SUBSCRIBE_INPUT)
			vdmabuf_file_queue_input(f, &uev, room);
}

static void vdmabuf_keymap_refuse(struct vdmabuf_dev *vd, const char *why)
{
	lockdep_assert_held(&vd->lock);
	vdmabuf_keymap_put(vd->keymap_rx);
	vd->keymap_rx = NULL;
	vd->input_invalid++;
	dev_warn_ratelimited(&vd->vdev->dev, "keymap piece refused: %s (%llu refused)\n",
			     why, vd->input_invalid);
}

/*
 * KEYMAP: one piece, in order from offset 0. A whole keymap replaces the
 * one kept and goes to every subscribed file.
 */
static void vdmabuf_handle_keymap(struct vdmabuf_dev *vd, const struct vdmabuf_keymap *piece)
{
	u32 format = le32_to_cpu(piece->format), size = le32_to_cpu(piece->size);
	u32 offset = le32_to_cpu(piece->offset), len = le32_to_cpu(piece->len);
	struct vdmabuf_keymap_blob *km = vd->keymap_rx;
	struct vdmabuf_file *f;

	lockdep_assert_held(&vd->lock);
	if (!vdmabuf_keymap_piece_valid(format, size, offset, len, VDMABUF_KEYMAP_CHUNK,
					km ? km->received : 0)) {
		vdmabuf_keymap_refuse(vd, "out of order or out of bounds");
		return;
	}
	if (!offset) {
		vdmabuf_keymap_put(km);
		km = vdmabuf_keymap_alloc(format, size);
		vd->keymap_rx = km;
		if (!km) {
			dev_warn_ratelimited(&vd->vdev->dev, "no memory for a %u-byte keymap\n",
					     size);
			return;
		}
	} else if (km->size != size || km->format != format) {
		vdmabuf_keymap_refuse(vd, "size changed within a keymap");
		return;
	}
	memcpy(km->data + offset, piece->data, len);
	km->received += len;
	if (km->received < km->size)
		return;

	vd->keymap_rx = NULL;
	vdmabuf_keymap_put(vd->keymap);
	vd->keymap = km;
	dev_dbg(&vd->vdev->dev, "keymap of %u bytes\n", km->size);
	list_for_each_entry(f, &vd->files, link)
		if (f->events & VDMABUF_SUBSCRIBE_INPUT)
			vdmabuf_file_queue_keymap(f, km);
}

/*
 * The host's wish for one output (spec §20): its mode, or GONE. Another
 * output than 0, or GONE, only with VDMABUF_F_OUTPUTS; a malformed hint
 * (a mode out of the protocol's range too) is dropped. Kept per output
 * for late openers; GONE clears it.
 */
static void vdmabuf_handle_mode_hint(struct vdmabuf_dev *vd, const struct vdmabuf_mode_hint *h)
{
	struct vdmabuf_uevent uev = { .type = VDMABUF_UEVENT_MODE_HINT };
	bool outputs = virtio_has_feature(vd->vdev, VDMABUF_F_OUTPUTS);
	u32 output = outputs ? le32_to_cpu(h->output) : 0;
	u32 flags = outputs ? le32_to_cpu(h->flags) : 0;

	lockdep_assert_held(&vd->lock);
	uev.output = output;
	uev.flags = flags;
	uev.width = le32_to_cpu(h->width);
	uev.height = le32_to_cpu(h->height);
	uev.refresh_mhz = le32_to_cpu(h->refresh_mhz);
	uev.scale_120 = le32_to_cpu(h->scale_120);
	if (output >= VDMABUF_MAX_OUTPUTS || (flags & ~VDMABUF_OUTPUT_GONE) ||
	    ((flags & VDMABUF_OUTPUT_GONE) ? uev.width || uev.height :
	     !vdmabuf_mode_valid(uev.width, uev.height, uev.scale_120))) {
		dev_warn_ratelimited(&vd->vdev->dev,
				     "malformed mode hint (output %u, flags %#x) dropped\n",
				     output, flags);
		return;
	}
	if (flags & VDMABUF_OUTPUT_GONE)
		vd->mode_hints[output].type = 0;
	else
		vd->mode_hints[output] = uev;
	vdmabuf_queue_all(vd, &uev);
}

/* Whether the device may send events of feature bit; says so if not. */
static bool vdmabuf_event_negotiated(struct vdmabuf_dev *vd, unsigned int bit, const char *what)
{
	if (virtio_has_feature(vd->vdev, bit))
		return true;
	dev_warn_ratelimited(&vd->vdev->dev, "%s not negotiated\n", what);
	return false;
}

static void vdmabuf_formats_refuse(struct vdmabuf_dev *vd, const char *why)
{
	lockdep_assert_held(&vd->lock);
	vd->formats_rx_total = vd->formats_rx_received = 0;
	dev_warn_ratelimited(&vd->vdev->dev, "host formats dropped: %s\n", why);
}

/*
 * A piece of the host's list of formats; once whole it replaces the last
 * one and every file hears how many pairs it has (VDMABUF_IOC_FORMATS
 * reads them). total 0: the host states none.
 */
static void vdmabuf_handle_formats(struct vdmabuf_dev *vd, const struct vdmabuf_formats *piece)
{
	u32 index = le16_to_cpu(piece->index), total = le16_to_cpu(piece->total);
	u32 count = total > index ? min_t(u32, total - index, VDMABUF_FORMATS_PER_EVENT) : 0;
	struct vdmabuf_uevent uev = { .type = VDMABUF_UEVENT_FORMATS };
	struct vdmabuf_format *swap;
	u32 i;

	lockdep_assert_held(&vd->lock);
	if (piece->reserved ||
	    !vdmabuf_formats_piece_valid(index, total, count, VDMABUF_FORMATS_PER_EVENT,
					 vd->formats_rx_received)) {
		vdmabuf_formats_refuse(vd, "out of order or out of bounds");
		return;
	}
	if (!index) {
		vd->formats_rx_total = total;
		vd->formats_rx_received = 0;
	} else if (total != vd->formats_rx_total) {
		vdmabuf_formats_refuse(vd, "total changed within a list");
		return;
	}
	if (total && !vd->formats_rx) {
		vd->formats_rx = kvcalloc(VDMABUF_MAX_FORMATS, sizeof(*vd->formats_rx),
					  GFP_KERNEL);
		if (!vd->formats_rx) {
			vdmabuf_formats_refuse(vd, "no memory");
			return;
		}
	}
	for (i = 0; i < count; i++) {
		const struct vdmabuf_wire_format *w = &piece->formats[i];
		struct vdmabuf_format fmt = {
			.fourcc = le32_to_cpu(w->fourcc),
			.reserved = le32_to_cpu(w->reserved),
			.modifier = le64_to_cpu(w->modifier),
		};

		if (!vdmabuf_format_valid(fmt.fourcc, fmt.reserved, fmt.modifier)) {
			vdmabuf_formats_refuse(vd, "a pair no consumer could list");
			return;
		}
		vd->formats_rx[index + i] = fmt;
	}
	vd->formats_rx_received += count;
	if (vd->formats_rx_received < total)
		return;

	swap = vd->formats;
	vd->formats = vd->formats_rx;
	vd->formats_rx = swap;
	vd->num_formats = total;
	vd->formats_rx_total = vd->formats_rx_received = 0;
	dev_info(&vd->vdev->dev, "host imports %u format/modifier pairs\n", total);
	uev.count = total;
	vdmabuf_queue_all(vd, &uev);
}

/* A clipboard event, to the file that holds the clipboard (if one does). */
static void vdmabuf_handle_clip(struct vdmabuf_dev *vd, const struct vdmabuf_event *ev)
{
	struct vdmabuf_uevent uev = { 0 };
	u32 type = le32_to_cpu(ev->type);

	lockdep_assert_held(&vd->lock);
	switch (type) {
	case VDMABUF_EVENT_SELECTION:
		uev.type = VDMABUF_UEVENT_SELECTION;
		uev.clip.info.selection = le32_to_cpu(ev->u.offer.selection);
		uev.clip.info.serial = le32_to_cpu(ev->u.offer.serial);
		uev.clip.info.formats = le32_to_cpu(ev->u.offer.formats);
		if (!vdmabuf_clip_selection_valid(uev.clip.info.selection) ||
		    !vdmabuf_clip_formats_valid(uev.clip.info.formats))
			goto bad;
		break;
	case VDMABUF_EVENT_CLIP_SEND:
		uev.type = VDMABUF_UEVENT_CLIP_SEND;
		uev.clip.transfer = le32_to_cpu(ev->u.xfer.transfer);
		uev.clip.info.selection = le32_to_cpu(ev->u.xfer.selection);
		uev.clip.info.serial = le32_to_cpu(ev->u.xfer.serial);
		uev.clip.info.format = le32_to_cpu(ev->u.xfer.format);
		if (!vdmabuf_clip_selection_valid(uev.clip.info.selection) ||
		    uev.clip.info.format >= VDMABUF_CLIP_FORMATS)
			goto bad;
		break;
	case VDMABUF_EVENT_CLIP_DATA:
		uev.type = VDMABUF_UEVENT_CLIP_DATA;
		uev.clip.transfer = le32_to_cpu(ev->u.piece.transfer);
		uev.clip.piece.len = le16_to_cpu(ev->u.piece.len);
		uev.clip.piece.flags = ev->u.piece.flags;
		uev.clip.piece.status = -vdmabuf_status_errno(ev->u.piece.status);
		if (uev.clip.piece.len > VDMABUF_CLIP_PIECE ||
		    uev.clip.piece.flags & ~VDMABUF_CLIP_END)
			goto bad;
		memcpy(uev.clip.piece.data, ev->u.piece.data, uev.clip.piece.len);
		break;
	case VDMABUF_EVENT_CLIP_ACK:
		uev.type = VDMABUF_UEVENT_CLIP_ACK;
		uev.clip.transfer = le32_to_cpu(ev->u.ack.transfer);
		uev.clip.info.bytes = le32_to_cpu(ev->u.ack.bytes);
		break;
	default:
		uev.type = VDMABUF_UEVENT_CLIP_CANCEL;
		uev.clip.transfer = le32_to_cpu(ev->u.cancel.transfer);
		uev.clip.info.status = -vdmabuf_status_errno(le32_to_cpu(ev->u.cancel.status));
		break;
	}
	if (uev.type == VDMABUF_UEVENT_SELECTION)
		vd->offers[uev.clip.info.selection] = uev;
	if (vd->clip_file)
		vdmabuf_file_queue_clip(vd->clip_file, &uev);
	else
		dev_dbg(&vd->vdev->dev, "clipboard event %#x: nobody holds the clipboard\n", type);
	return;
bad:
	dev_warn_ratelimited(&vd->vdev->dev, "malformed clipboard event %#x dropped\n", type);
}

static void vdmabuf_handle_event(struct vdmabuf_dev *vd, const struct vdmabuf_event *ev,
				 unsigned int len, u64 received_ns)
{
	struct vdmabuf_uevent uev = { 0 };
	struct vdmabuf_buffer *b = NULL;
	LIST_HEAD(dead);
	u64 device, key;
	int err;

	if (len < sizeof(*ev)) {
		dev_warn_ratelimited(&vd->vdev->dev, "short event (%u bytes)\n", len);
		return;
	}
	mutex_lock(&vd->lock);
	switch (le32_to_cpu(ev->type)) {
	case VDMABUF_EVENT_RELEASE:
		vdmabuf_learn_host_clock(vd, le64_to_cpu(ev->u.release.sent_ns), received_ns);
		device = le64_to_cpu(ev->u.release.id.device);
		key = le64_to_cpu(ev->u.release.id.key);
		b = vdmabuf_find_owned(vd, device, key);
		if (!b) {
			dev_dbg(&vd->vdev->dev, "release of %016llx:%016llx: no owner\n",
				device, key);
			break;
		}
		uev.type = VDMABUF_UEVENT_RELEASE;
		uev.id.device = device;
		uev.id.key = key;
		uev.frame = le64_to_cpu(ev->u.release.frame);
		uev.present_ns = vdmabuf_guest_time(vd, le64_to_cpu(ev->u.release.present_ns),
						    received_ns);
		uev.refresh_ns = le32_to_cpu(ev->u.release.refresh_ns);
		uev.flags = le32_to_cpu(ev->u.release.flags) & ~VDMABUF_RELEASE_DISCARDED;
		vdmabuf_file_queue(b->owner, &uev);
		break;
	case VDMABUF_EVENT_PRESENT_ERROR:
		if (!vdmabuf_event_negotiated(vd, VDMABUF_F_ASYNC_PRESENT, "present error"))
			break;
		uev.id.device = le64_to_cpu(ev->u.present_error.id.device);
		uev.id.key = le64_to_cpu(ev->u.present_error.id.key);
		b = vdmabuf_find_owned(vd, uev.id.device, uev.id.key);
		if (!b) {
			dev_dbg(&vd->vdev->dev, "present error of %016llx:%016llx: no owner\n",
				uev.id.device, uev.id.key);
			break;
		}
		/* A status that is no error is a device's fault: EIO. */
		err = vdmabuf_status_errno(le32_to_cpu(ev->u.present_error.status));
		vdmabuf_frame_discard(b->owner, &uev.id,
				      le64_to_cpu(ev->u.present_error.frame), err ? err : -EIO);
		break;
	case VDMABUF_EVENT_RETIRED:
		device = le64_to_cpu(ev->u.retired.id.device);
		key = le64_to_cpu(ev->u.retired.id.key);
		b = vdmabuf_find(&vd->retiring, device, key);
		if (!b) {
			dev_warn_ratelimited(&vd->vdev->dev,
					     "retired %016llx:%016llx was not unexported\n",
					     device, key);
			break;
		}
		list_move(&b->link, &dead);
		if (b->owner) {
			uev.type = VDMABUF_UEVENT_RETIRED;
			uev.id.device = device;
			uev.id.key = key;
			vdmabuf_file_queue(b->owner, &uev);
		}
		dev_dbg(&vd->vdev->dev, "%016llx:%016llx retired\n", device, key);
		break;
	case VDMABUF_EVENT_CONSUMERS:
		vd->consumers = le32_to_cpu(ev->u.consumers.count);
		uev.type = VDMABUF_UEVENT_CONSUMERS;
		uev.count = vd->consumers;
		vdmabuf_queue_all(vd, &uev);
		break;
	case VDMABUF_EVENT_MODE_HINT:
		vdmabuf_handle_mode_hint(vd, &ev->u.mode_hint);
		break;
	case VDMABUF_EVENT_RESET:
		/* The new instance may have answered an EXPORT already. */
		device = le64_to_cpu(ev->u.reset.device);
		vdmabuf_collect_all(vd, device, &dead);
		if (!list_empty(&dead))
			dev_info(&vd->vdev->dev, "device reset: buffers before instance %016llx dropped\n",
				 device);
		uev.type = VDMABUF_UEVENT_RESET;
		vdmabuf_queue_all(vd, &uev);
		/* The new instance knows no output: producers announce them again. */
		vd->outputs = 0;
		vd->host_lead_ns = 0;	/* the device may now run on another host */
		/* The whole keymap stays; the host sends it again on start. */
		vdmabuf_keymap_put(vd->keymap_rx);
		vd->keymap_rx = NULL;
		/* So does the host's list of formats, likewise. */
		vd->formats_rx_total = vd->formats_rx_received = 0;
		break;
	case VDMABUF_EVENT_INPUT:
		if (vdmabuf_event_negotiated(vd, VDMABUF_F_INPUT, "input"))
			vdmabuf_handle_input(vd, &ev->u.input, received_ns);
		break;
	case VDMABUF_EVENT_KEYMAP:
		if (vdmabuf_event_negotiated(vd, VDMABUF_F_INPUT, "keymap"))
			vdmabuf_handle_keymap(vd, &ev->u.keymap);
		break;
	case VDMABUF_EVENT_FORMATS:
		if (vdmabuf_event_negotiated(vd, VDMABUF_F_FORMATS, "formats"))
			vdmabuf_handle_formats(vd, &ev->u.formats);
		break;
	case VDMABUF_EVENT_SELECTION:
	case VDMABUF_EVENT_CLIP_SEND:
	case VDMABUF_EVENT_CLIP_DATA:
	case VDMABUF_EVENT_CLIP_ACK:
	case VDMABUF_EVENT_CLIP_CANCEL:
		if (vdmabuf_event_negotiated(vd, VDMABUF_F_CLIPBOARD, "clipboard"))
			vdmabuf_handle_clip(vd, ev);
		break;
	default:
		dev_dbg(&vd->vdev->dev, "unknown event %#x\n", le32_to_cpu(ev->type));
		break;
	}
	mutex_unlock(&vd->lock);
	vdmabuf_free_list(&dead);
}

static int vdmabuf_post_event(struct vdmabuf_dev *vd, struct vdmabuf_event *ev)
{
	struct scatterlist sg;

	sg_init_one(&sg, ev, sizeof(*ev));
	return virtqueue_add_inbuf(vd->event_vq, &sg, 1, ev, GFP_ATOMIC);
}

/* Gives the held event buffers back to the device, with one kick. */
static void vdmabuf_events_give_back(struct vdmabuf_dev *vd)
{
	unsigned int n = 0;

	lockdep_assert_held(&vd->event_lock);
	while (n < vd->num_held && vdmabuf_post_event(vd, vd->held[n]) == 0)
		n++;
	vd->num_held -= n;
	memmove(vd->held, vd->held + n, vd->num_held * sizeof(vd->held[0]));
	if (n)
		virtqueue_kick(vd->event_vq);
}

static void vdmabuf_event_work(struct work_struct *work)
{
	struct vdmabuf_dev *vd = container_of(work, struct vdmabuf_dev, event_work);
	struct vdmabuf_event *ev, copy;
	unsigned int len;

	spin_lock_irq(&vd->event_lock);
	while (vd->ready && (ev = virtqueue_get_buf(vd->event_vq, &len))) {
		/* Handled from a copy: the buffer is free for its batch. */
		copy = *ev;
		vd->held[vd->num_held++] = ev;
		spin_unlock_irq(&vd->event_lock);
		vdmabuf_handle_event(vd, &copy, len, ktime_get_ns());
		spin_lock_irq(&vd->event_lock);
	}
	/* The device keeps more than 3/4 of them: no event waits for these. */
	if (vd->ready && vd->num_held >= EVENT_BATCH)
		vdmabuf_events_give_back(vd);
	spin_unlock_irq(&vd->event_lock);
	vdmabuf_ctrl_reap_now(vd);
}

static void vdmabuf_event_done(struct virtqueue *vq)
{
	struct vdmabuf_dev *vd = vq->vdev->priv;

	schedule_work(&vd->event_work);
}

static int vdmabuf_fill_events(struct vdmabuf_dev *vd)
{
	unsigned int i;
	int err;

	for (i = 0; i < EVENT_BUFFERS; i++) {
		err = vdmabuf_post_event(vd, &vd->events[i]);
		if (err)
			return err;
	}
	virtqueue_kick(vd->event_vq);
	return 0;
}

/* ioctls */

static long vdmabuf_ioctl_info(struct vdmabuf_file *f, void __user *arg)
{
	struct vdmabuf_dev *vd = f->vd;
	struct vdmabuf_ioc_info info = {
		.max_buffer_size = vd->max_buffer_size,
		.max_buffers = vd->max_buffers,
		.max_buffers_per_file = max_buffers_per_file,
		.max_extents = vd->max_extents,
	};

	mutex_lock(&vd->lock);
	if (!vd->gone) {
		info.features = vd->vdev->features & GENMASK_ULL(23, 0);
		info.consumers = vd->consumers;
	}
	mutex_unlock(&vd->lock);
	if (copy_to_user(arg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

/* The host's list of formats: as many pairs as fit in the caller's room. */
static long vdmabuf_ioctl_formats(struct vdmabuf_file *f, void __user *arg)
{
	struct vdmabuf_dev *vd = f->vd;
	struct vdmabuf_ioc_formats req;
	struct vdmabuf_format *copy = NULL;
	u32 n;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (req.reserved)
		return -EINVAL;
	mutex_lock(&vd->lock);
	n = min(req.count, vd->num_formats);
	if (n) {
		copy = kmemdup(vd->formats, n * sizeof(*copy), GFP_KERNEL);
		if (!copy) {
			mutex_unlock(&vd->lock);
			return -ENOMEM;
		}
	}
	req.count = vd->num_formats;
	mutex_unlock(&vd->lock);
	if (n && copy_to_user(u64_to_user_ptr(req.formats), copy, n * sizeof(*copy))) {
		kfree(copy);
		return -EFAULT;
	}
	kfree(copy);
	if (copy_to_user(arg, &req, sizeof(req)))
		return -EFAULT;
	return 0;
}

/*
 * Writes the extents of sgt's DMA addresses into ext (room for max) and
 * returns their number: contiguous runs merge into one extent. Each is
 * whole pages; whether it is guest RAM is checked by the caller.
 */
static int vdmabuf_sgt_extents(struct sg_table *sgt, struct vdmabuf_extent *ext,
			       unsigned int max, u64 *total)
{
	struct scatterlist *sg;
	dma_addr_t end = 0;
	unsigned int i;
	int n = 0;

	*total = 0;
	for_each_sgtable_dma_sg(sgt, sg, i) {
		dma_addr_t addr = sg_dma_address(sg);
		unsigned int len = sg_dma_len(sg);

		if (!len)
			continue;
		if (addr % PAGE_SIZE || len % PAGE_SIZE)
			return -EOPNOTSUPP;
		if (n && addr == end) {
			ext[n - 1].len = cpu_to_le64(le64_to_cpu(ext[n - 1].len) + len);
		} else {
			if (n == max)
				return -E2BIG;
			ext[n].addr = cpu_to_le64(addr);
			ext[n].len = cpu_to_le64(len);
			n++;
		}
		end = addr + len;
		*total += len;
	}
	return n;
}

/* Whether every extent is guest RAM, which the host can reach. */
static bool vdmabuf_extents_in_ram(const struct vdmabuf_extent *ext, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (region_intersects(le64_to_cpu(ext[i].addr), le64_to_cpu(ext[i].len),
				      IORESOURCE_SYSTEM_RAM, IORES_DESC_NONE) != REGION_INTERSECTS)
			return false;
	return true;
}

/*
 * EXPORT, step by step: check what the caller asked for and its dmabuf,
 * count the buffer against the limits, pin its pages, build the request
 * from their extents, send it, and publish the buffer on the file.
 */

static int vdmabuf_export_check_args(const struct vdmabuf_ioc_export *args)
{
	if (args->flags || args->reserved || !args->num_planes ||
	    args->num_planes > VDMABUF_MAX_PLANES || !args->width || !args->height ||
	    args->width > VDMABUF_MAX_DIMENSION || args->height > VDMABUF_MAX_DIMENSION)
		return -EINVAL;
	return 0;
}

static int vdmabuf_export_check_dmabuf(struct vdmabuf_dev *vd,
				       const struct vdmabuf_ioc_export *args,
				       const struct dma_buf *dmabuf)
{
	unsigned int i;

	if (!dmabuf->size || dmabuf->size % PAGE_SIZE)
		return -EINVAL;
	if (dmabuf->size > vd->max_buffer_size)
		return -E2BIG;
	for (i = 0; i < args->num_planes; i++)
		if (!args->planes[i].stride || args->planes[i].offset >= dmabuf->size)
			return -EINVAL;
	return 0;
}

/* Counts one more buffer of f, within the file's and the device's limits. */
static int vdmabuf_export_reserve(struct vdmabuf_file *f)
{
	struct vdmabuf_dev *vd = f->vd;
	int err;

	mutex_lock(&vd->lock);
	err = vd->gone ? -ENODEV : 0;
	if (!err && (f->num_buffers >= max_buffers_per_file ||
		     vd->num_buffers >= vd->max_buffers))
		err = -ENOSPC;
	if (!err) {
		f->num_buffers++;
		vd->num_buffers++;
	}
	mutex_unlock(&vd->lock);
	return err;
}

static void vdmabuf_export_unreserve(struct vdmabuf_file *f)
{
	struct vdmabuf_dev *vd = f->vd;

	mutex_lock(&vd->lock);
	f->num_buffers--;
	vd->num_buffers--;
	mutex_unlock(&vd->lock);
}

/*
 * Writes the extents of b's mapping into ext (room for max) and returns
 * their number; they must cover the whole dmabuf, in guest RAM.
 */
static int vdmabuf_export_extents(struct vdmabuf_dev *vd, struct vdmabuf_buffer *b,
				  struct vdmabuf_extent *ext, unsigned int max)
{
	u64 total;
	int n;

	if (!vd->dma_is_phys) {
		dev_warn_ratelimited(&vd->vdev->dev,
				     "an IOMMU translates for the device: cannot share %s buffers\n",
				     b->dmabuf->exp_name);
		return -EOPNOTSUPP;
	}
	n = vdmabuf_sgt_extents(b->sgt, ext, max, &total);
	if (n >= 0 && !vdmabuf_extents_in_ram(ext, n))
		n = -EOPNOTSUPP;
	if (n == -EOPNOTSUPP)
		dev_warn_ratelimited(&vd->vdev->dev,
				     "%s buffer of %zu bytes is not in guest RAM: not shared\n",
				     b->dmabuf->exp_name, b->dmabuf->size);
	if (n < 0)
		return n;
	if (total != b->dmabuf->size)
		return -EINVAL;
	return n;
}

/*
 * The extents one EXPORT can carry in a chain of the control ring (spec
 * 8): a descriptor per page of the request, one for the reply, and one
 * spare for a request that does not start on a page.
 */
static u32 vdmabuf_ring_extents(struct virtqueue *vq)
{
	u64 bytes = (u64)(virtqueue_get_vring_size(vq) - 2) * PAGE_SIZE;

	if (virtqueue_get_vring_size(vq) < 3 || bytes < sizeof(struct vdmabuf_export))
		return 0;
	return min_t(u64, (bytes - sizeof(struct vdmabuf_export)) / sizeof(struct vdmabuf_extent),
		     U32_MAX);
}

/* Builds the EXPORT request of b as args describe it, of *num_extents extents. */
static struct vdmabuf_request *vdmabuf_export_request(struct vdmabuf_dev *vd,
						      struct vdmabuf_buffer *b,
						      const struct vdmabuf_ioc_export *args,
						      u32 *num_extents)
{
	struct vdmabuf_request *r;
	struct vdmabuf_export *req;
	unsigned int i, max;
	int n;

	max = min_t(unsigned int, b->sgt->nents, vd->max_extents);
	r = vdmabuf_request_alloc(sizeof(*req) + max * sizeof(struct vdmabuf_extent));
	if (!r)
		return ERR_PTR(-ENOMEM);
	req = (struct vdmabuf_export *)r->req;
	n = vdmabuf_export_extents(vd, b, (struct vdmabuf_extent *)(req + 1), max);
	if (n < 0) {
		vdmabuf_request_free(r);
		return ERR_PTR(n);
	}
	req->hdr.type = cpu_to_le32(VDMABUF_CTRL_EXPORT);
	req->width = cpu_to_le32(args->width);
	req->height = cpu_to_le32(args->height);
	req->fourcc = cpu_to_le32(args->fourcc);
	req->num_planes = cpu_to_le32(args->num_planes);
	req->modifier = cpu_to_le64(args->modifier);
	for (i = 0; i < args->num_planes; i++) {
		req->planes[i].offset = cpu_to_le32(args->planes[i].offset);
		req->planes[i].stride = cpu_to_le32(args->planes[i].stride);
	}
	req->size = cpu_to_le64(b->dmabuf->size);
	req->num_extents = cpu_to_le32(n);
	/* Send only the extents used. */
	r->len = sizeof(*req) + n * sizeof(struct vdmabuf_extent);
	*num_extents = n;
	return r;
}

/*
 * Sends r, EXPORT of b, and waits: on success b has the id the device
 * minted. r is freed here, or by late_work after -ETIMEDOUT.
 */
static int vdmabuf_export_submit(struct vdmabuf_dev *vd, struct vdmabuf_buffer *b,
				 struct vdmabuf_request *r)
{
	int err;

	err = vdmabuf_request_send(vd, r);
	if (err == -ETIMEDOUT)
		return err;
	if (!err) {
		b->id_device = le64_to_cpu(r->reply.id.device);
		b->id_key = le64_to_cpu(r->reply.id.key);
	}
	vdmabuf_request_free(r);
	return err;
}

/* b, exported, becomes f's: events for its id reach f from now on. */
static void vdmabuf_export_publish(struct vdmabuf_file *f, struct vdmabuf_buffer *b)
{
	struct vdmabuf_dev *vd = f->vd;

	mutex_lock(&vd->lock);
	b->owner = f;
	list_add_tail(&b->link, &f->buffers);
	mutex_unlock(&vd->lock);
}

static long vdmabuf_ioctl_export(struct vdmabuf_file *f, void __user *arg)
{
	struct vdmabuf_dev *vd = f->vd;
	struct vdmabuf_ioc_export args;
	struct vdmabuf_request *r;
	struct vdmabuf_buffer *b;
	size_t size;
	int err;

	if (copy_from_user(&args, arg, sizeof(args)))
		return -EFAULT;
	err = vdmabuf_export_check_args(&args);
	if (err)
		return err;

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	b->dmabuf = dma_buf_get(args.fd);
	if (IS_ERR(b->dmabuf)) {
		err = PTR_ERR(b->dmabuf);
		goto err_free;
	}
	err = vdmabuf_export_check_dmabuf(vd, &args, b->dmabuf);
	if (err)
		goto err_put;
	err = vdmabuf_export_reserve(f);
	if (err)
		goto err_put;
	err = vdmabuf_buffer_pin(vd, b);
	if (err)
		goto err_unreserve;
	r = vdmabuf_export_request(vd, b, &args, &args.num_extents);
	if (IS_ERR(r)) {
		err = PTR_ERR(r);
		goto err_unpin;
	}
	/* If the wait times out, the request keeps b until its reply. */
	r->orphan = b;
	err = vdmabuf_export_submit(vd, b, r);
	if (err == -ETIMEDOUT)
		goto err_unreserve_only;
	if (err)
		goto err_unpin;

	args.id.device = b->id_device;
	args.id.key = b->id_key;
	size = b->dmabuf->size;
	vdmabuf_export_publish(f, b);
	dev_dbg(&vd->vdev->dev, "exported %016llx:%016llx: %zu bytes, %u extents\n",
		args.id.device, args.id.key, size, args.num_extents);
	/* The buffer is exported; a failed copy only loses the caller its id. */
	if (copy_to_user(arg, &args, sizeof(args)))
		return -EFAULT;
	return 0;

err_unreserve_only:
	vdmabuf_export_unreserve(f);
	return err;

err_unpin:
	vdmabuf_buffer_unpin(b);
err_unreserve:
	vdmabuf_export_unreserve(f);
err_put:
	dma_buf_put(b->dmabuf);
err_free:
	kfree(b);
	return err;
}

/*
 * Looks up an id of this file; returns -ENOENT or -ENODEV. With dmabuf,
 * also a reference to the buffer's dmabuf.
 */
static int vdmabuf_file_has(struct vdmabuf_file *f, const struct vdmabuf_id *id,
			    struct dma_buf **dmabuf)
{
	struct vdmabuf_dev *vd = f->vd;
	struct vdmabuf_buffer *b = NULL;
	int err = 0;

	mutex_lock(&vd->lock);
	if (vd->gone)
		err = -ENODEV;
	else if (!(b = vdmabuf_find(&f->buffers, id->device, id->key)))
		err = -ENOENT;
	if (!err && dmabuf) {
		get_dma_buf(b->dmabuf);
		*dmabuf = b->dmabuf;
	}
	mutex_unlock(&vd->lock);
	return err;
}

/*
 * The PRESENT of args: with VDMABUF_F_ASYNC_PRESENT as long as its damage
 * and without reply (spec §19), else the whole structure.
 */
static struct vdmabuf_request *vdmabuf_present_request(struct vdmabuf_dev *vd,
						       const struct vdmabuf_ioc_present *args)
{
	struct vdmabuf_present *req;
	struct vdmabuf_request *r;
	unsigned int i;

	r = vdmabuf_request_alloc(sizeof(*req));
	if (!r)
		return NULL;
	if (vd->async_present) {
		r->async = true;
		r->len = vdmabuf_present_len(args->num_damage);
	}
	req = (struct vdmabuf_present *)r->req;
	req->hdr.type = cpu_to_le32(VDMABUF_CTRL_PRESENT);
	req->id.device = cpu_to_le64(args->id.device);
	req->id.key = cpu_to_le64(args->id.key);
	req->frame = cpu_to_le64(args->frame);
	req->num_damage = cpu_to_le32(args->num_damage);
	req->output = cpu_to_le32(args->output);
	for (i = 0; i < args->num_damage; i++) {
		req->damage[i].x = cpu_to_le32(args->damage[i].x);
		req->damage[i].y = cpu_to_le32(args->damage[i].y);
		req->damage[i].width = cpu_to_le32(args->damage[i].width);
		req->damage[i].height = cpu_to_le32(args->damage[i].height);
	}
	return r;
}

/*
 * Sends a PRESENT and frees it (late_work does after -ETIMEDOUT). One
 * without reply returns once queued: the device's refusal comes back as
 * a PRESENT_ERROR event.
 */
static int vdmabuf_present_send(struct vdmabuf_dev *vd, struct vdmabuf_request *r)
{
	int err;

	if (r->async) {
		err = vdmabuf_request_queue(vd, r, false);
		if (err)
			vdmabuf_request_free(r);
		return err;
	}
	err = vdmabuf_request_send(vd, r);

	if (err != -ETIMEDOUT)
		vdmabuf_request_free(r);
	return err;
}

/* Fenced frames */

static void vdmabuf_fence_signalled(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	struct vdmabuf_fence_wait *w = container_of(cb, struct vdmabuf_fence_wait, cb);

	mod_delayed_work(system_unbound_wq, &w->f->fenced_work, 0);
}

/* Waits for fence (taken over) unless it has signalled already. */
static void vdmabuf_fence_wait_init(struct vdmabuf_fence_wait *w, struct vdmabuf_file *f,
				    struct dma_fence *fence)
{
	w->f = f;
	w->fence = fence;
	if (fence && dma_fence_add_callback(fence, &w->cb, vdmabuf_fence_signalled)) {
		dma_fence_put(fence);
		w->fence = NULL;
	}
}

/* After this, w's callback neither runs nor will. */
static void vdmabuf_fence_wait_finish(struct vdmabuf_fence_wait *w)
{
	if (!w->fence)
		return;
	dma_fence_remove_callback(w->fence, &w->cb);
	dma_fence_put(w->fence);
	w->fence = NULL;
}

static bool vdmabuf_fenced_ready(const struct vdmabuf_fenced_frame *fr)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fr->waits); i++)
		if (fr->waits[i].fence && !dma_fence_is_signaled(fr->waits[i].fence))
			return false;
	return true;
}

/* After this, none of fr's fence callbacks runs nor will. */
static void vdmabuf_fenced_stop_waits(struct vdmabuf_fenced_frame *fr)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fr->waits); i++)
		vdmabuf_fence_wait_finish(&fr->waits[i]);
}

static void vdmabuf_fenced_free(struct vdmabuf_fenced_frame *fr)
{
	vdmabuf_fenced_stop_waits(fr);
	if (fr->r)
		vdmabuf_request_free(fr->r);
	kfree(fr);
}

/*
 * Sends the frames at the head of f's queue whose fences have signalled,
 * in order; discards the head once its bound passed; comes back at the
 * head's deadline.
 */
static void vdmabuf_fenced_work(struct work_struct *work)
{
	struct vdmabuf_file *f = container_of(to_delayed_work(work), struct vdmabuf_file,
					      fenced_work);
	struct vdmabuf_dev *vd = f->vd;
	struct vdmabuf_fenced_frame *fr;

	down_read(&vd->remove_sem);
	mutex_lock(&f->fenced_lock);
	while ((fr = list_first_entry_or_null(&f->fenced, struct vdmabuf_fenced_frame, link))) {
		int err = 0;

		if (!vdmabuf_fenced_ready(fr)) {
			if (time_before(jiffies, fr->deadline)) {
				mod_delayed_work(system_unbound_wq, &f->fenced_work,
						 fr->deadline - jiffies);
				break;
			}
			err = -ETIMEDOUT;
		}
		list_del(&fr->link);
		f->num_fenced--;
		if (!err) {
			err = vdmabuf_present_send(vd, fr->r);
			fr->r = NULL;
		}
		if (err)
			vdmabuf_frame_discard(f, &fr->id, fr->frame, err);
		vdmabuf_fenced_free(fr);
	}
	mutex_unlock(&f->fenced_lock);
	up_read(&vd->remove_sem);
}

/*
 * The fences a frame of dmabuf waits for: the buffer's write fences, as
 * one (NULL: none unsignalled), and the producer's fence_fd.
 */
static int vdmabuf_present_fences(struct dma_buf *dmabuf, const struct vdmabuf_ioc_present *args,
				  struct dma_fence *fences[2])
{
	int err;

	fences[0] = fences[1] = NULL;
	if (args->flags & VDMABUF_PRESENT_FENCE_FD) {
		fences[1] = sync_file_get_fence(args->fence_fd);
		if (!fences[1])
			return -EINVAL;
	}
	err = dma_resv_lock_interruptible(dmabuf->resv, NULL);
	if (err)
		goto err_put;
	err = dma_resv_get_singleton(dmabuf->resv, DMA_RESV_USAGE_WRITE, &fences[0]);
	dma_resv_unlock(dmabuf->resv);
	if (err)
		goto err_put;
	return 0;

err_put:
	dma_fence_put(fences[1]);
	fences[1] = NULL;
	return err;
}

static bool vdmabuf_fences_signalled(struct dma_fence *fences[2])
{
	return (!fences[0] || dma_fence_is_signaled(fences[0])) &&
	       (!fences[1] || dma_fence_is_signaled(fences[1]));
}

/* Queues r, a frame of args, behind f's others until its fences signal. */
static int vdmabuf_fenced_queue(struct vdmabuf_file *f, const struct vdmabuf_ioc_present *args,
				struct vdmabuf_request *r, struct dma_fence *fences[2])
{
	struct vdmabuf_fenced_frame *fr;
	unsigned int i;

	lockdep_assert_held(&f->fenced_lock);
	if (f->num_fenced >= FILE_FENCED_FRAMES)
		return -EBUSY;
	fr = kzalloc(sizeof(*fr), GFP_KERNEL);
	if (!fr)
		return -ENOMEM;
	fr->r = r;
	fr->id = args->id;
	fr->frame = args->frame;
	fr->deadline = jiffies + msecs_to_jiffies(READ_ONCE(fence_timeout_ms));
	for (i = 0; i < ARRAY_SIZE(fr->waits); i++)
		vdmabuf_fence_wait_init(&fr->waits[i], f, fences[i]);
	list_add_tail(&fr->link, &f->fenced);
	f->num_fenced++;
	/* The work sends what is ready and arms the deadline. */
	mod_delayed_work(system_unbound_wq, &f->fenced_work, 0);
	return 0;
}

/* Closing: f's waiting frames go, unsent; nothing kicks fenced_work again. */
static void vdmabuf_fenced_flush(struct vdmabuf_file *f)
{
	struct vdmabuf_fenced_frame *fr, *tmp;
	LIST_HEAD(frames);

	mutex_lock(&f->fenced_lock);
	list_splice_init(&f->fenced, &frames);
	f->num_fenced = 0;
	list_for_each_entry(fr, &frames, link)
		vdmabuf_fenced_stop_waits(fr);
	mutex_unlock(&f->fenced_lock);
	cancel_delayed_work_sync(&f->fenced_work);
	list_for_each_entry_safe(fr, tmp, &frames, link)
		vdmabuf_fenced_free(fr);
}

/*
 * Whether frames may name output: 0 always; another once announced
 * (ENXIO), which takes VDMABUF_F_OUTPUTS. A frame that waits for its
 * fences is not checked again: an output gone meanwhile is the host's
 * to refuse (it shows nothing for an output it does not know).
 */
static int vdmabuf_output_check(struct vdmabuf_dev *vd, u32 output)
{
	int err = 0;

	if (!output)
		return 0;
	mutex_lock(&vd->lock);
	if (vd->gone)
		err = -ENODEV;
	else if (!(vd->outputs & BIT(output)))
		err = -ENXIO;
	mutex_unlock(&vd->lock);
	return err;
}

static long vdmabuf_ioctl_present(struct vdmabuf_file *f, void __user *arg)
{
	struct vdmabuf_ioc_present args;
	struct dma_fence *fences[2];
	struct vdmabuf_request *r;
	struct dma_buf *dmabuf;
	int err;

	if (copy_from_user(&args, arg, sizeof(args)))
		return -EFAULT;
	if ((args.flags & ~VDMABUF_PRESENT_FENCE_FD) || args.output >= VDMABUF_MAX_OUTPUTS ||
	    args.num_damage > VDMABUF_MAX_DAMAGE)
		return -EINVAL;
	err = vdmabuf_file_has(f, &args.id, &dmabuf);
	if (err)
		return err;
	err = vdmabuf_output_check(f->vd, args.output);
	if (err) {
		dma_buf_put(dmabuf);
		return err;
	}
	err = vdmabuf_present_fences(dmabuf, &args, fences);
	dma_buf_put(dmabuf);
	if (err)
		return err;
	r = vdmabuf_present_request(f->vd, &args);
	if (!r) {
		err = -ENOMEM;
		goto out_put;
	}

	mutex_lock(&f->fenced_lock);
	if (list_empty(&f->fenced) && vdmabuf_fences_signalled(fences)) {
		err = vdmabuf_present_send(f->vd, r);
	} else {
		err = vdmabuf_fenced_queue(f, &args, r, fences);
		if (!err)
			fences[0] = fences[1] = NULL;	/* the frame's now */
		else
			vdmabuf_request_free(r);
	}
	mutex_unlock(&f->fenced_lock);
out_put:
	dma_fence_put(fences[0]);
	dma_fence_put(fences[1]);
	return err;
}

/*
 * The cursor image (one of f's buffers) or none, and the pointer
 * constraint: a POINTER request, sent and answered as PRESENT is. The
 * image is the host's until its RELEASE with frame = serial.
 */
static long vdmabuf_ioctl_pointer(struct vdmabuf_file *f, void __user *arg)
{
	struct vdmabuf_ioc_pointer args;
	struct vdmabuf_dev *vd = f->vd;
	struct vdmabuf_pointer *req;
	struct vdmabuf_request *r;
	int err = 0;

	/* f's buffers stay on its list, and vdev valid, until we return. */
	lockdep_assert_held(&f->ioctl_lock);
	lockdep_assert_held_read(&vd->remove_sem);
	if (copy_from_user(&args, arg, sizeof(args)))
		return -EFAULT;
	if (args.flags & ~VDMABUF_POINTER_IMAGE ||
	    args.constraint > VDMABUF_CONSTRAINT_CONFINED)
		return -EINVAL;
	mutex_lock(&vd->lock);
	if (vd->gone)
		err = -ENODEV;
	else if (!virtio_has_feature(vd->vdev, VDMABUF_F_POINTER))
		err = -EOPNOTSUPP;
	else if ((args.flags & VDMABUF_POINTER_IMAGE) &&
		 !vdmabuf_find(&f->buffers, args.id.device, args.id.key))
		err = -ENOENT;
	mutex_unlock(&vd->lock);
	if (err)
		return err;
	r = vdmabuf_request_alloc(sizeof(*req));
	if (!r)
		return -ENOMEM;
	req = (struct vdmabuf_pointer *)r->req;
	req->hdr.type = cpu_to_le32(VDMABUF_CTRL_POINTER);
	if (args.flags & VDMABUF_POINTER_IMAGE) {
		req->id.device = cpu_to_le64(args.id.device);
		req->id.key = cpu_to_le64(args.id.key);
		req->serial = cpu_to_le64(args.serial);
		req->hotspot_x = cpu_to_le32(args.hotspot_x);
		req->hotspot_y = cpu_to_le32(args.hotspot_y);
	}
	req->flags = cpu_to_le32(args.flags);
	req->constraint = cpu_to_le32(args.constraint);
	err = vdmabuf_request_send(vd, r);
	if (err != -ETIMEDOUT)
		vdmabuf_request_free(r);
	return err;
}

/*
 * One of the guest's outputs as it is now, or gone (spec §20): an OUTPUT
 * request, sent and answered. Its mode is checked here as the device
 * checks it. outputs_lock keeps requests and vd->outputs in one order: a
 * frame for an output may go once its announcement was answered, and
 * none once its GONE is sent.
 */
static long vdmabuf_ioctl_output(struct vdmabuf_file *f, void __user *arg)
{
	struct vdmabuf_ioc_output args;
	struct vdmabuf_dev *vd = f->vd;
	struct vdmabuf_output *req;
	struct vdmabuf_request *r;
	bool gone;
	int err = 0;

	lockdep_assert_held_read(&vd->remove_sem);
	if (copy_from_user(&args, arg, sizeof(args)))
		return -EFAULT;
	gone = args.flags & VDMABUF_IOC_OUTPUT_GONE;
	if (args.output >= VDMABUF_MAX_OUTPUTS || (args.flags & ~VDMABUF_IOC_OUTPUT_GONE))
		return -EINVAL;
	if (gone && (args.width || args.height || args.refresh_mhz || args.scale_120))
		return -EINVAL;
	if (!gone && !vdmabuf_mode_valid(args.width, args.height, args.scale_120))
		return -EINVAL;
	if (!virtio_has_feature(vd->vdev, VDMABUF_F_OUTPUTS))
		return -EOPNOTSUPP;

	r = vdmabuf_request_alloc(sizeof(*req));
	if (!r)
		return -ENOMEM;
	req = (struct vdmabuf_output *)r->req;
	req->hdr.type = cpu_to_le32(VDMABUF_CTRL_OUTPUT);
	req->output = cpu_to_le32(args.output);
	req->flags = cpu_to_le32(gone ? VDMABUF_OUTPUT_GONE : 0);
	req->width = cpu_to_le32(args.width);
	req->height = cpu_to_le32(args.height);
	req->refresh_mhz = cpu_to_le32(args.refresh_mhz);
	req->scale_120 = cpu_to_le32(args.scale_120);

	mutex_lock(&vd->outputs_lock);
	mutex_lock(&vd->lock);
	if (vd->gone)
		err = -ENODEV;
	else if (gone)
		/* No frame for it from now on, whatever the device answers. */
		vd->outputs &= ~BIT(args.output);
	mutex_unlock(&vd->lock);
	if (err)
		goto out_unlock;
	err = vdmabuf_request_send(vd, r);
	if (!err && !gone) {
		mutex_lock(&vd->lock);
		vd->outputs |= BIT(args.output);
		mutex_unlock(&vd->lock);
	}
	if (err)
		dev_dbg(&vd->vdev->dev, "output %u%s refused: %d\n", args.output,
			gone ? " gone" : "", err);
out_unlock:
	mutex_unlock(&vd->outputs_lock);
	if (err != -ETIMEDOUT)
		vdmabuf_request_free(r);
	return err;
}

/*
 * Puts b on retiring, its UNEXPORT for late_work to queue; false once the
 * device is gone (nobody reads the pages: the caller frees b).
 */
static bool vdmabuf_retire_later(struct vdmabuf_dev *vd, struct vdmabuf_buffer *b)
{
	lockdep_assert_held(&vd->lock);
	if (vd->gone)
		return false;
	b->unexport_pending = true;
	list_add_tail(&b->link, &vd->retiring);
	return true;
}

/*
 * Unexports b (already off its file's list): it waits on retiring, pinned,
 * for RETIRED (or a reset, or the device saying it has no such id), and
 * late_work queues its UNEXPORT without waiting for the reply: a close()
 * with many buffers never waits for the device, and an UNEXPORT that
 * finds the ring full is queued once there is room again.
 */
static void vdmabuf_unexport(struct vdmabuf_dev *vd, struct vdmabuf_buffer *b)
{
	bool retiring;

	mutex_lock(&vd->lock);
	vd->num_buffers--;
	retiring = vdmabuf_retire_later(vd, b);
	mutex_unlock(&vd->lock);
	if (retiring)
		mod_delayed_work(system_wq, &vd->late_work, 0);
	else
		vdmabuf_buffer_free(b);
}

/* Takes the retiring buffer with this id back and frees it, if still there. */
static void vdmabuf_retiring_free(struct vdmabuf_dev *vd, u64 device, u64 key)
{
	struct vdmabuf_buffer *b;

	mutex_lock(&vd->lock);
	b = vdmabuf_find(&vd->retiring, device, key);
	if (b)
		list_del(&b->link);
	mutex_unlock(&vd->lock);
	if (b)
		vdmabuf_buffer_free(b);
}

/*
 * No memory for an UNEXPORT: nothing else may run late_work again (the
 * ring may be idle), so it runs again in 100 ms. False once the device
 * is gone: then nobody reads the pages any more.
 */
static bool vdmabuf_late_work_retry(struct vdmabuf_dev *vd)
{
	bool ready;

	spin_lock_irq(&vd->ctrl_lock);
	ready = vd->ready;
	if (ready)
		mod_delayed_work(system_wq, &vd->late_work, HZ / 10);
	spin_unlock_irq(&vd->ctrl_lock);
	return ready;
}

/*
 * Queues the UNEXPORT of every retiring buffer still waiting for one,
 * until the ring is full (late_work runs again when a reply frees room).
 */
static void vdmabuf_unexport_flush(struct vdmabuf_dev *vd)
{
	struct vdmabuf_unexport *req;
	struct vdmabuf_request *r;
	struct vdmabuf_buffer *b;
	u64 device, key;
	int err;

	for (;;) {
		mutex_lock(&vd->lock);
		device = key = 0;
		list_for_each_entry(b, &vd->retiring, link) {
			if (b->unexport_pending) {
				device = b->id_device;
				key = b->id_key;
				break;
			}
		}
		mutex_unlock(&vd->lock);
		if (!device && !key)
			return;

		r = vdmabuf_request_alloc(sizeof(*req));
		if (!r) {
			err = -ENOMEM;
		} else {
			req = (struct vdmabuf_unexport *)r->req;
			req->hdr.type = cpu_to_le32(VDMABUF_CTRL_UNEXPORT);
			req->id.device = cpu_to_le64(device);
			req->id.key = cpu_to_le64(key);
			err = vdmabuf_request_queue(vd, r, true);
			if (err)
				vdmabuf_request_free(r);
		}
		if (err == -ENOMEM && !vdmabuf_late_work_retry(vd))
			err = -ENODEV;
		if (err == -ENODEV) {
			/* No device to read the pages any more. */
			vdmabuf_retiring_free(vd, device, key);
			continue;
		}
		if (err) {
			/* Ring full: again once a reply frees room. */
			if (err != -EBUSY)
				dev_warn_ratelimited(&vd->vdev->dev,
						     "unexport %016llx:%016llx: %d; retried later\n",
						     device, key, err);
			return;
		}
		mutex_lock(&vd->lock);
		b = vdmabuf_find(&vd->retiring, device, key);
		if (b)
			b->unexport_pending = false;
		mutex_unlock(&vd->lock);
	}
}

/* A reply nobody waited for: what it means for the buffer it names. */
static void vdmabuf_late_reply(struct vdmabuf_dev *vd, struct vdmabuf_request *r)
{
	const struct vdmabuf_ctrl_hdr *hdr = (const void *)r->req;
	const struct vdmabuf_unexport *unexport = (const void *)r->req;
	struct vdmabuf_buffer *b = r->orphan;
	int err = vdmabuf_request_errno(r);

	switch (le32_to_cpu(hdr->type)) {
	case VDMABUF_CTRL_EXPORT:
		/*
		 * The caller timed out: exported after all, the host may map
		 * the pages, so they stay pinned until it retires the id.
		 */
		if (b && !err) {
			b->id_device = le64_to_cpu(r->reply.id.device);
			b->id_key = le64_to_cpu(r->reply.id.key);
			dev_info_ratelimited(&vd->vdev->dev,
					     "%016llx:%016llx: late export, unexported\n",
					     b->id_device, b->id_key);
			b->owner = NULL;
			mutex_lock(&vd->lock);
			if (vdmabuf_retire_later(vd, b))
				b = NULL;
			mutex_unlock(&vd->lock);
		}
		if (b)
			vdmabuf_buffer_free(b);
		break;
	case VDMABUF_CTRL_UNEXPORT:
		/* The device has no such id (reset, or gone): nobody reads it. */
		if (err == -ENODEV || err == -ENOENT)
			vdmabuf_retiring_free(vd, le64_to_cpu(unexport->id.device),
					      le64_to_cpu(unexport->id.key));
		break;
	}
}

/* Replies nobody waited for, then the UNEXPORTs waiting for room. */
static void vdmabuf_late_work(struct work_struct *work)
{
	struct vdmabuf_dev *vd = container_of(to_delayed_work(work), struct vdmabuf_dev,
					      late_work);
	struct vdmabuf_request *r, *tmp;
	LIST_HEAD(late);

	spin_lock_irq(&vd->ctrl_lock);
	list_splice_init(&vd->late, &late);
	spin_unlock_irq(&vd->ctrl_lock);
	list_for_each_entry_safe(r, tmp, &late, link) {
		list_del(&r->link);
		vdmabuf_late_reply(vd, r);
		vdmabuf_request_free(r);
	}
	vdmabuf_unexport_flush(vd);
}

static long vdmabuf_ioctl_unexport(struct vdmabuf_file *f, void __user *arg)
{
	struct vdmabuf_ioc_unexport args;
	struct vdmabuf_dev *vd = f->vd;
	struct vdmabuf_buffer *b;

	if (copy_from_user(&args, arg, sizeof(args)))
		return -EFAULT;
	mutex_lock(&vd->lock);
	b = vd->gone ? NULL : vdmabuf_find(&f->buffers, args.id.device, args.id.key);
	if (b) {
		list_del_init(&b->link);
		f->num_buffers--;
	}
	mutex_unlock(&vd->lock);
	if (!b)
		return vd->gone ? -ENODEV : -ENOENT;
	vdmabuf_unexport(vd, b);
	return 0;
}

/*
 * Which events f receives besides its own; subscribing to input queues
 * the host's last whole keymap at once. -EOPNOTSUPP: the device has no
 * input.
 */
static void vdmabuf_clip_reset(struct vdmabuf_dev *vd);

static long vdmabuf_ioctl_subscribe(struct vdmabuf_file *f, void __user *arg)
{
	struct vdmabuf_ioc_subscribe args;
	struct vdmabuf_dev *vd = f->vd;
	struct vdmabuf_uevent *clip = NULL;
	bool let_go = false;
	int err = 0;

	if (copy_from_user(&args, arg, sizeof(args)))
		return -EFAULT;
	if (args.reserved ||
	    args.events & ~(VDMABUF_SUBSCRIBE_INPUT | VDMABUF_SUBSCRIBE_CLIPBOARD))
		return -EINVAL;
	if ((args.events & VDMABUF_SUBSCRIBE_CLIPBOARD) && !f->clip) {
		clip = kvcalloc(FILE_CLIP_EVENTS, sizeof(*clip), GFP_KERNEL);
		if (!clip)
			return -ENOMEM;
	}
	mutex_lock(&vd->lock);
	if (vd->gone) {
		err = -ENODEV;
		goto out_unlock;
	}
	if (((args.events & VDMABUF_SUBSCRIBE_INPUT) &&
	     !virtio_has_feature(vd->vdev, VDMABUF_F_INPUT)) ||
	    ((args.events & VDMABUF_SUBSCRIBE_CLIPBOARD) &&
	     !virtio_has_feature(vd->vdev, VDMABUF_F_CLIPBOARD))) {
		err = -EOPNOTSUPP;
		goto out_unlock;
	}
	if ((args.events & VDMABUF_SUBSCRIBE_CLIPBOARD) && vd->clip_file &&
	    vd->clip_file != f) {
		err = -EBUSY;
		goto out_unlock;
	}
	if (args.events & VDMABUF_SUBSCRIBE_CLIPBOARD) {
		unsigned int i;

		if (clip) {
			spin_lock_irq(&f->ev_lock);
			f->clip = clip;
			spin_unlock_irq(&f->ev_lock);
			clip = NULL;
		}
		/* A new holder hears what the host offers now. */
		if (vd->clip_file != f)
			for (i = 0; i < VDMABUF_SELECTIONS; i++)
				if (vd->offers[i].type)
					vdmabuf_file_queue_clip(f, &vd->offers[i]);
		vd->clip_file = f;
	} else if (vd->clip_file == f) {
		vd->clip_file = NULL;
		let_go = true;
	}
	f->events = args.events;
	if ((f->events & VDMABUF_SUBSCRIBE_INPUT) && vd->keymap)
		vdmabuf_file_queue_keymap(f, vd->keymap);
out_unlock:
	mutex_unlock(&vd->lock);
	kvfree(clip);
	if (let_go)
		vdmabuf_clip_reset(vd);
	return err;
}

/* The clipboard (spec §17) */

/* Whether f may speak for the guest's clipboard now. */
static int vdmabuf_clip_check(struct vdmabuf_file *f)
{
	struct vdmabuf_dev *vd = f->vd;
	int err = 0;

	mutex_lock(&vd->lock);
	if (vd->gone)
		err = -ENODEV;
	else if (!virtio_has_feature(vd->vdev, VDMABUF_F_CLIPBOARD))
		err = -EOPNOTSUPP;
	else if (vd->clip_file != f)
		err = -EPERM;
	mutex_unlock(&vd->lock);
	return err;
}

/*
 * Sends one of the small clipboard requests (hdr and a 16-byte payload,
 * four u32 fields); *key gets the reply's id.key (CLIP_OPEN: the transfer).
 */
static int vdmabuf_clip_send(struct vdmabuf_dev *vd, u32 type, const u32 field[4], u64 *key)
{
	struct vdmabuf_clip_req *req;
	struct vdmabuf_request *r;
	__le32 *out;
	int err, i;

	r = vdmabuf_request_alloc(sizeof(*req));
	if (!r)
		return -ENOMEM;
	req = (struct vdmabuf_clip_req *)r->req;
	req->hdr.type = cpu_to_le32(type);
	out = (__le32 *)req->u.raw;
	for (i = 0; i < 4; i++)
		out[i] = cpu_to_le32(field[i]);
	err = vdmabuf_request_send(vd, r);
	if (!err && key)
		*key = le64_to_cpu(r->reply.id.key);
	if (err != -ETIMEDOUT)
		vdmabuf_request_free(r);
	return err;
}

/* A request of the file that holds the clipboard. */
static int vdmabuf_clip_request(struct vdmabuf_file *f, u32 type, const u32 field[4], u64 *key)
{
	int err = vdmabuf_clip_check(f);

	return err ? err : vdmabuf_clip_send(f->vd, type, field, key);
}

/*
 * The clipboard's holder closed or let go (it no longer is vd->clip_file):
 * the device ends its transfers and withdraws its offers, so no paste
 * from the host waits on it.
 */
static void vdmabuf_clip_reset(struct vdmabuf_dev *vd)
{
	bool gone;
	int err;

	mutex_lock(&vd->lock);
	gone = vd->gone;
	mutex_unlock(&vd->lock);
	if (gone || !virtio_has_feature(vd->vdev, VDMABUF_F_CLIPBOARD))
		return;
	err = vdmabuf_clip_send(vd, VDMABUF_CTRL_CLIP_RESET, (u32[4]){ 0 }, NULL);
	if (err)
		dev_warn(&vd->vdev->dev, "clipboard reset refused: %d\n", err);
}

static long vdmabuf_ioctl_selection(struct vdmabuf_file *f, void __user *arg)
{
	struct vdmabuf_ioc_selection args;

	if (copy_from_user(&args, arg, sizeof(args)))
		return -EFAULT;
	if (!vdmabuf_clip_selection_valid(args.selection) ||
	    !vdmabuf_clip_formats_valid(args.formats))
		return -EINVAL;
	return vdmabuf_clip_request(f, VDMABUF_CTRL_SELECTION,
				    (u32[4]){ args.selection, 0, args.formats, 0 }, NULL);
}

static long vdmabuf_ioctl_clip_open(struct vdmabuf_file *f, void __user *arg)
{
	struct vdmabuf_ioc_clip_open args;
	u64 transfer = 0;
	int err;

	if (copy_from_user(&args, arg, sizeof(args)))
		return -EFAULT;
	if (!vdmabuf_clip_selection_valid(args.selection) || args.format >= VDMABUF_CLIP_FORMATS)
		return -EINVAL;
	err = vdmabuf_clip_request(f, VDMABUF_CTRL_CLIP_OPEN,
				   (u32[4]){ 0, args.selection, args.serial, args.format },
				   &transfer);
	if (err)
		return err;
	if (!transfer || transfer > U32_MAX)
		return -EIO;	/* the device named no transfer */
	args.transfer = transfer;
	return copy_to_user(arg, &args, sizeof(args)) ? -EFAULT : 0;
}

/* ACK (bytes consumed) or CLOSE (bytes 0) of a transfer the guest pastes. */
static long vdmabuf_ioctl_clip_ack(struct vdmabuf_file *f, void __user *arg, u32 type)
{
	struct vdmabuf_ioc_clip_ack args;

	if (copy_from_user(&args, arg, sizeof(args)))
		return -EFAULT;
	if (type == VDMABUF_CTRL_CLIP_CLOSE && args.bytes)
		return -EINVAL;
	return vdmabuf_clip_request(f, type, (u32[4]){ args.transfer, args.bytes, 0, 0 }, NULL);
}

static long vdmabuf_ioctl_clip_data(struct vdmabuf_file *f, void __user *arg)
{
	struct vdmabuf_ioc_clip_data args;
	struct vdmabuf_clip_data *req;
	struct vdmabuf_request *r;
	int err;

	if (copy_from_user(&args, arg, sizeof(args)))
		return -EFAULT;
	if (args.len > VDMABUF_CLIP_WINDOW || args.flags & ~VDMABUF_CLIP_END ||
	    (args.status && (args.status != EIO || !(args.flags & VDMABUF_CLIP_END))))
		return -EINVAL;
	err = vdmabuf_clip_check(f);
	if (err)
		return err;
	r = vdmabuf_request_alloc(sizeof(*req) + args.len);
	if (!r)
		return -ENOMEM;
	req = (struct vdmabuf_clip_data *)r->req;
	if (copy_from_user(req + 1, u64_to_user_ptr(args.data), args.len)) {
		vdmabuf_request_free(r);
		return -EFAULT;
	}
	req->hdr.type = cpu_to_le32(VDMABUF_CTRL_CLIP_DATA);
	req->transfer = cpu_to_le32(args.transfer);
	req->len = cpu_to_le32(args.len);
	req->flags = cpu_to_le32(args.flags);
	req->status = cpu_to_le32(args.status ? VDMABUF_S_EIO : VDMABUF_S_OK);
	err = vdmabuf_request_send(f->vd, r);
	if (err != -ETIMEDOUT)
		vdmabuf_request_free(r);
	return err;
}

static long vdmabuf_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct vdmabuf_file *f = file->private_data;
	void __user *uarg = (void __user *)arg;
	long ret;

	mutex_lock(&f->ioctl_lock);
	down_read(&f->vd->remove_sem);
	switch (cmd) {
	case VDMABUF_IOC_INFO:
		ret = vdmabuf_ioctl_info(f, uarg);
		break;
	case VDMABUF_IOC_EXPORT:
		ret = vdmabuf_ioctl_export(f, uarg);
		break;
	case VDMABUF_IOC_PRESENT:
		ret = vdmabuf_ioctl_present(f, uarg);
		break;
	case VDMABUF_IOC_UNEXPORT:
		ret = vdmabuf_ioctl_unexport(f, uarg);
		break;
	case VDMABUF_IOC_SUBSCRIBE:
		ret = vdmabuf_ioctl_subscribe(f, uarg);
		break;
	case VDMABUF_IOC_POINTER:
		ret = vdmabuf_ioctl_pointer(f, uarg);
		break;
	case VDMABUF_IOC_SELECTION:
		ret = vdmabuf_ioctl_selection(f, uarg);
		break;
	case VDMABUF_IOC_CLIP_OPEN:
		ret = vdmabuf_ioctl_clip_open(f, uarg);
		break;
	case VDMABUF_IOC_CLIP_DATA:
		ret = vdmabuf_ioctl_clip_data(f, uarg);
		break;
	case VDMABUF_IOC_CLIP_ACK:
		ret = vdmabuf_ioctl_clip_ack(f, uarg, VDMABUF_CTRL_CLIP_ACK);
		break;
	case VDMABUF_IOC_CLIP_CLOSE:
		ret = vdmabuf_ioctl_clip_ack(f, uarg, VDMABUF_CTRL_CLIP_CLOSE);
		break;
	case VDMABUF_IOC_FORMATS:
		ret = vdmabuf_ioctl_formats(f, uarg);
		break;
	case VDMABUF_IOC_OUTPUT:
		ret = vdmabuf_ioctl_output(f, uarg);
		break;
	default:
		ret = -ENOTTY;
		break;
	}
	up_read(&f->vd->remove_sem);
	mutex_unlock(&f->ioctl_lock);
	return ret;
}

/* read, poll, open, release */

static ssize_t vdmabuf_read(struct file *file, char __user *buf, size_t count, loff_t *ppos)
{
	struct vdmabuf_file *f = file->private_data;
	struct vdmabuf_keymap_blob *km;
	struct vdmabuf_uevent ev;
	size_t done = 0;
	int err;

	if (count < sizeof(ev))
		return -EINVAL;
	for (;;) {
		spin_lock_irq(&f->ev_lock);
		if (f->ev_len || f->clip_len || f->dead)
			break;
		spin_unlock_irq(&f->ev_lock);
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		err = wait_event_interruptible(f->wait, READ_ONCE(f->ev_len) ||
					       READ_ONCE(f->clip_len) || READ_ONCE(f->dead));
		if (err)
			return err;
	}
	while ((f->ev_len || f->clip_len) && count - done >= sizeof(ev)) {
		km = NULL;
		if (f->ev_len) {
			km = vdmabuf_file_take(f, &ev);
		} else {
			ev = f->clip[f->clip_head];
			f->clip_head = (f->clip_head + 1) % FILE_CLIP_EVENTS;
			f->clip_len--;
		}
		spin_unlock_irq(&f->ev_lock);
		vdmabuf_keymap_put(km);
		if (copy_to_user(buf + done, &ev, sizeof(ev)))
			return done ? done : -EFAULT;
		done += sizeof(ev);
		spin_lock_irq(&f->ev_lock);
	}
	spin_unlock_irq(&f->ev_lock);
	return done ? done : -ENODEV;
}

static __poll_t vdmabuf_poll(struct file *file, poll_table *wait)
{
	struct vdmabuf_file *f = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &f->wait, wait);
	spin_lock_irq(&f->ev_lock);
	if (f->ev_len || f->clip_len)
		mask |= EPOLLIN | EPOLLRDNORM;
	if (f->dead)
		mask |= EPOLLERR | EPOLLHUP;
	spin_unlock_irq(&f->ev_lock);
	return mask;
}

static int vdmabuf_open(struct inode *inode, struct file *file)
{
	struct vdmabuf_dev *vd;
	struct vdmabuf_file *f;
	unsigned int i;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	INIT_LIST_HEAD(&f->buffers);
	mutex_init(&f->ioctl_lock);
	mutex_init(&f->fenced_lock);
	INIT_LIST_HEAD(&f->fenced);
	INIT_DELAYED_WORK(&f->fenced_work, vdmabuf_fenced_work);
	spin_lock_init(&f->ev_lock);
	init_waitqueue_head(&f->wait);

	mutex_lock(&vdmabuf_dev_lock);
	vd = vdmabuf_the_dev;
	if (!vd) {
		mutex_unlock(&vdmabuf_dev_lock);
		kfree(f);
		return -ENODEV;
	}
	kref_get(&vd->kref);
	mutex_unlock(&vdmabuf_dev_lock);

	f->vd = vd;
	mutex_lock(&vd->lock);
	list_add_tail(&f->link, &vd->files);
	/* A compositor that starts after the host asked still hears it. */
	for (i = 0; i < VDMABUF_MAX_OUTPUTS; i++)
		if (vd->mode_hints[i].type)
			vdmabuf_file_queue(f, &vd->mode_hints[i]);
	if (vd->num_formats) {
		const struct vdmabuf_uevent formats = {
			.type = VDMABUF_UEVENT_FORMATS, .count = vd->num_formats,
		};

		vdmabuf_file_queue(f, &formats);
	}
	mutex_unlock(&vd->lock);
	file->private_data = f;
	return stream_open(inode, file);
}

static int vdmabuf_release(struct inode *inode, struct file *file)
{
	struct vdmabuf_file *f = file->private_data;
	struct vdmabuf_dev *vd = f->vd;
	struct vdmabuf_buffer *b;
	LIST_HEAD(mine);
	unsigned int n = 0;
	bool held_clipboard = false;

	mutex_lock(&f->ioctl_lock);
	/* Before remove_sem: fenced_work takes it. */
	vdmabuf_fenced_flush(f);
	down_read(&vd->remove_sem);
	mutex_lock(&vd->lock);
	list_del(&f->link);
	if (vd->clip_file == f) {
		vd->clip_file = NULL;
		held_clipboard = true;
	}
	list_splice_init(&f->buffers, &mine);
	f->num_buffers = 0;
	/* Buffers already retiring outlive the file. */
	list_for_each_entry(b, &vd->retiring, link)
		if (b->owner == f)
			b->owner = NULL;
	mutex_unlock(&vd->lock);

	while (!list_empty(&mine)) {
		b = list_first_entry(&mine, struct vdmabuf_buffer, link);
		list_del_init(&b->link);
		b->owner = NULL;
		vdmabuf_unexport(vd, b);
		n++;
	}
	if (held_clipboard)
		vdmabuf_clip_reset(vd);
	up_read(&vd->remove_sem);
	mutex_unlock(&f->ioctl_lock);
	if (n)
		pr_debug("virtio_vdmabuf: closed with %u buffers exported\n", n);
	vdmabuf_keymap_put(f->km);
	kvfree(f->clip);
	kfree(f);
	kref_put(&vd->kref, vdmabuf_dev_free);
	return 0;
}

static const struct file_operations vdmabuf_fops = {
	.owner = THIS_MODULE,
	.open = vdmabuf_open,
	.release = vdmabuf_release,
	.read = vdmabuf_read,
	.poll = vdmabuf_poll,
	.unlocked_ioctl = vdmabuf_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/*
 * What the driver holds, for tests and the curious, in
 * /sys/class/misc/vdmabuf/: buffers exported (on files' lists), buffers
 * unexported and not retired yet, and the outputs announced (a hex mask).
 */
static struct vdmabuf_dev *vdmabuf_dev_from_sysfs(struct device *dev)
{
	struct miscdevice *misc = dev_get_drvdata(dev);

	return container_of(misc, struct vdmabuf_dev, misc);
}

static ssize_t buffers_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct vdmabuf_dev *vd = vdmabuf_dev_from_sysfs(dev);
	u32 n;

	mutex_lock(&vd->lock);
	n = vd->num_buffers;
	mutex_unlock(&vd->lock);
	return sysfs_emit(buf, "%u\n", n);
}
static DEVICE_ATTR_RO(buffers);

static ssize_t retiring_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct vdmabuf_dev *vd = vdmabuf_dev_from_sysfs(dev);
	struct vdmabuf_buffer *b;
	u32 n = 0;

	mutex_lock(&vd->lock);
	list_for_each_entry(b, &vd->retiring, link)
		n++;
	mutex_unlock(&vd->lock);
	return sysfs_emit(buf, "%u\n", n);
}
static DEVICE_ATTR_RO(retiring);

static ssize_t outputs_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct vdmabuf_dev *vd = vdmabuf_dev_from_sysfs(dev);
	u16 outputs;

	mutex_lock(&vd->lock);
	outputs = vd->outputs;
	mutex_unlock(&vd->lock);
	return sysfs_emit(buf, "0x%x\n", outputs);
}
static DEVICE_ATTR_RO(outputs);

static struct attribute *vdmabuf_attrs[] = {
	&dev_attr_buffers.attr,
	&dev_attr_retiring.attr,
	&dev_attr_outputs.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vdmabuf);

/* virtio driver */

/*
 * Whether dev's DMA addresses are guest-physical: no IOMMU, or one that
 * passes it through. The device reads guest memory by physical address.
 */
static bool vdmabuf_dma_is_phys(struct device *dev)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);

	return !domain || domain->type == IOMMU_DOMAIN_IDENTITY;
}

static int vdmabuf_probe(struct virtio_device *vdev)
{
	struct virtqueue_info vqs_info[VDMABUF_NUM_VQS] = {
		[VDMABUF_VQ_CONTROL] = { "control", vdmabuf_ctrl_done },
		[VDMABUF_VQ_EVENT] = { "event", vdmabuf_event_done },
	};
	struct virtqueue *vqs[VDMABUF_NUM_VQS];
	struct vdmabuf_dev *vd;
	int err;

	mutex_lock(&vdmabuf_dev_lock);
	if (vdmabuf_the_dev) {
		mutex_unlock(&vdmabuf_dev_lock);
		dev_err(&vdev->dev, "only one vdmabuf device is supported\n");
		return -EBUSY;
	}

	vd = kzalloc(sizeof(*vd), GFP_KERNEL);
	if (!vd) {
		err = -ENOMEM;
		goto err_unlock;
	}
	vd->events = kcalloc(EVENT_BUFFERS, sizeof(*vd->events), GFP_KERNEL);
	if (!vd->events) {
		err = -ENOMEM;
		goto err_free;
	}
	kref_init(&vd->kref);
	vd->vdev = vdev;
	vdev->priv = vd;
	spin_lock_init(&vd->ctrl_lock);
	spin_lock_init(&vd->event_lock);
	INIT_LIST_HEAD(&vd->inflight);
	INIT_LIST_HEAD(&vd->late);
	INIT_DELAYED_WORK(&vd->late_work, vdmabuf_late_work);
	INIT_WORK(&vd->event_work, vdmabuf_event_work);
	init_rwsem(&vd->remove_sem);
	mutex_init(&vd->lock);
	mutex_init(&vd->outputs_lock);
	INIT_LIST_HEAD(&vd->files);
	INIT_LIST_HEAD(&vd->retiring);

	virtio_cread_le(vdev, struct vdmabuf_config, max_buffers, &vd->max_buffers);
	virtio_cread_le(vdev, struct vdmabuf_config, max_extents, &vd->max_extents);
	virtio_cread_le(vdev, struct vdmabuf_config, max_buffer_size,
			&vd->max_buffer_size);
	vd->dma_dev = vdev->dev.parent;
	vd->dma_is_phys = vdmabuf_dma_is_phys(vd->dma_dev);
	vd->max_buffers = min_t(u32, vd->max_buffers, VDMABUF_MAX_BUFFERS);
	vd->max_extents = min_t(u32, vd->max_extents, VDMABUF_MAX_EXTENTS);
	vd->max_buffer_size = min_t(u64, vd->max_buffer_size, VDMABUF_MAX_BUFFER_SIZE);
	if (!vd->max_buffers || !vd->max_extents || !vd->max_buffer_size) {
		dev_err(&vdev->dev, "device advertises zero limits\n");
		err = -EINVAL;
		goto err_free_events;
	}

	err = virtio_find_vqs(vdev, VDMABUF_NUM_VQS, vqs, vqs_info, NULL);
	if (err)
		goto err_free_events;
	vd->ctrl_vq = vqs[VDMABUF_VQ_CONTROL];
	vd->event_vq = vqs[VDMABUF_VQ_EVENT];
	vd->async_present = virtio_has_feature(vdev, VDMABUF_F_ASYNC_PRESENT);
	/* No reply is owed yet (vdmabuf_ctrl_arm()). */
	virtqueue_disable_cb(vd->ctrl_vq);
	/* An EXPORT with more extents than its ring can chain would never go. */
	vd->max_extents = min(vd->max_extents, vdmabuf_ring_extents(vd->ctrl_vq));
	if (!vd->max_extents) {
		dev_err(&vdev->dev, "control queue of %u entries: no room for an EXPORT\n",
			virtqueue_get_vring_size(vd->ctrl_vq));
		err = -EINVAL;
		vdev->config->del_vqs(vdev);
		goto err_free_events;
	}

	virtio_device_ready(vdev);
	vd->ready = true;
	spin_lock_irq(&vd->event_lock);
	err = vdmabuf_fill_events(vd);
	spin_unlock_irq(&vd->event_lock);
	if (err)
		goto err_reset;

	vd->misc.minor = MISC_DYNAMIC_MINOR;
	vd->misc.name = "vdmabuf";
	vd->misc.fops = &vdmabuf_fops;
	vd->misc.parent = &vdev->dev;
	vd->misc.mode = 0660;
	vd->misc.groups = vdmabuf_groups;
	err = misc_register(&vd->misc);
	if (err)
		goto err_reset;

	vdmabuf_the_dev = vd;
	mutex_unlock(&vdmabuf_dev_lock);
	dev_info(&vdev->dev,
		 "bound: features %#llx, max %u buffers, %u extents, %llu bytes%s\n",
		 vdev->features, vd->max_buffers, vd->max_extents,
		 vd->max_buffer_size,
		 vd->dma_is_phys ? "" : "; an IOMMU translates: no buffer can be shared");
	return 0;

err_reset:
	vd->ready = false;
	virtio_reset_device(vdev);
	vdev->config->del_vqs(vdev);
err_free_events:
	kfree(vd->events);
err_free:
	kfree(vd);
err_unlock:
	mutex_unlock(&vdmabuf_dev_lock);
	return err;
}

/* A version 1 driver (protocol=1) takes neither bit of version 2. */
static int vdmabuf_validate(struct virtio_device *vdev)
{
	if (protocol != 1 && protocol != 2) {
		dev_err(&vdev->dev, "protocol=%u: only 1 and 2 are spoken\n", protocol);
		return -EINVAL;
	}
	if (protocol == 1) {
		__virtio_clear_bit(vdev, VDMABUF_F_ASYNC_PRESENT);
		__virtio_clear_bit(vdev, VIRTIO_RING_F_EVENT_IDX);
	}
	return 0;
}

static void vdmabuf_remove(struct virtio_device *vdev)
{
	struct vdmabuf_dev *vd = vdev->priv;
	struct vdmabuf_request *r, *tmp;
	struct vdmabuf_file *f;
	LIST_HEAD(freed);
	LIST_HEAD(dead);

	mutex_lock(&vdmabuf_dev_lock);
	misc_deregister(&vd->misc);
	vdmabuf_the_dev = NULL;
	mutex_unlock(&vdmabuf_dev_lock);

	/* No callback runs after the reset: fail what the device held. */
	spin_lock_irq(&vd->event_lock);
	spin_lock(&vd->ctrl_lock);
	vd->ready = false;
	spin_unlock(&vd->ctrl_lock);
	spin_unlock_irq(&vd->event_lock);
	virtio_reset_device(vdev);
	cancel_work_sync(&vd->event_work);
	spin_lock_irq(&vd->ctrl_lock);
	list_for_each_entry_safe(r, tmp, &vd->inflight, link)
		vdmabuf_request_done(vd, r, UINT_MAX, &freed);
	spin_unlock_irq(&vd->ctrl_lock);
	vdmabuf_request_free_list(&freed);

	/* Every id dies with the device; open files learn it and fail. */
	down_write(&vd->remove_sem);
	mutex_lock(&vd->lock);
	vd->gone = true;
	vdmabuf_collect_all(vd, 0, &dead);
	list_for_each_entry(f, &vd->files, link) {
		struct vdmabuf_uevent ev = { .type = VDMABUF_UEVENT_RESET };

		vdmabuf_file_queue(f, &ev);
		spin_lock_irq(&f->ev_lock);
		f->dead = true;
		spin_unlock_irq(&f->ev_lock);
		wake_up_interruptible(&f->wait);
	}
	mutex_unlock(&vd->lock);
	up_write(&vd->remove_sem);
	vdmabuf_free_list(&dead);
	/* The replies failed above: their buffers go too. */
	flush_delayed_work(&vd->late_work);

	vdev->config->del_vqs(vdev);
	dev_info(&vdev->dev, "removed\n");
	kref_put(&vd->kref, vdmabuf_dev_free);
}

static const struct virtio_device_id vdmabuf_id_table[] = {
	{ VDMABUF_VIRTIO_ID, VIRTIO_DEV_ANY_ID },
	{ 0 },
};
MODULE_DEVICE_TABLE(virtio, vdmabuf_id_table);

static unsigned int vdmabuf_features[] = {
	VDMABUF_F_DAMAGE,
	VDMABUF_F_PRESENT_TIMING,
	VDMABUF_F_MODE_HINT,
	VDMABUF_F_CONSUMER_EVENTS,
	VDMABUF_F_INPUT,
	VDMABUF_F_POINTER,
	VDMABUF_F_CLIPBOARD,
	VDMABUF_F_FORMATS,
	VDMABUF_F_ASYNC_PRESENT,
	VDMABUF_F_OUTPUTS,
};

static struct virtio_driver vdmabuf_driver = {
	.driver.name = KBUILD_MODNAME,
	.id_table = vdmabuf_id_table,
	.feature_table = vdmabuf_features,
	.feature_table_size = ARRAY_SIZE(vdmabuf_features),
	.validate = vdmabuf_validate,
	.probe = vdmabuf_probe,
	.remove = vdmabuf_remove,
};
module_virtio_driver(vdmabuf_driver);

MODULE_DESCRIPTION("vdmabuf: share guest dmabufs with the host");
MODULE_IMPORT_NS(VDMABUF_NS_DMA_BUF);
MODULE_LICENSE("GPL");
