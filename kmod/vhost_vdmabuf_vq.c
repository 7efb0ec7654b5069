// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest memory and split virtqueues (host-backend/guest_memory.c and
 * virtqueue.c in kernel form). The rings and the guest's buffers are read
 * and written in the owner's address space with copy_{from,to}_user, by the
 * worker that uses the owner's mm. Nothing read from a ring is trusted:
 * indices, chains, descriptor addresses and lengths are all checked against
 * the ring size and the memory table, with arithmetic that cannot wrap, and
 * each descriptor is read once.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/uaccess.h>

#include "vhost_vdmabuf.h"

/* The split ring layout (virtio 1.x, §2.7), little-endian. */
struct vdm_vring_desc {
	__le64 addr;
	__le32 len;
	__le16 flags;
	__le16 next;
};

#define VDM_DESC_F_NEXT		1
#define VDM_DESC_F_WRITE	2
#define VDM_DESC_F_INDIRECT	4
#define VDM_AVAIL_F_NO_INTERRUPT 1

/*
 * avail: flags, idx, ring[num], used_event; used: flags, idx, ring[num] of
 * (id, len), avail_event. The event fields are used with event index only.
 */
#define VDM_AVAIL_IDX(vq)	((vq)->avail + 2)
#define VDM_AVAIL_RING(vq, i)	((vq)->avail + 4 + 2 * (u64)(i))
#define VDM_USED_EVENT(vq)	VDM_AVAIL_RING(vq, (vq)->num)
#define VDM_USED_IDX(vq)	((vq)->used + 2)
#define VDM_USED_RING(vq, i)	((vq)->used + 4 + 8 * (u64)(i))
#define VDM_AVAIL_EVENT(vq)	VDM_USED_RING(vq, (vq)->num)

static bool range_ok(u64 addr, u64 len)
{
	return len && addr + len > addr;
}

const struct vhost_vdmabuf_region *vdm_find_region(const struct vdm_dev *dev,
						   u64 gpa, u64 len)
{
	unsigned int i;

	if (!range_ok(gpa, len))
		return NULL;
	for (i = 0; i < dev->mem.num_regions; i++) {
		const struct vhost_vdmabuf_region *r = &dev->mem.regions[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size &&
		    len <= r->size - (gpa - r->gpa))
			return r;
	}
	return NULL;
}

bool vdm_gpa_to_uaddr(const struct vdm_dev *dev, u64 gpa, u64 len, u64 *uaddr)
{
	const struct vhost_vdmabuf_region *r = vdm_find_region(dev, gpa, len);

	if (!r)
		return false;
	*uaddr = r->uaddr + (gpa - r->gpa);
	return true;
}

bool vdm_uaddr_in_mem(const struct vdm_dev *dev, u64 uaddr, u64 len)
{
	unsigned int i;

	if (!range_ok(uaddr, len))
		return false;
	for (i = 0; i < dev->mem.num_regions; i++) {
		const struct vhost_vdmabuf_region *r = &dev->mem.regions[i];

		if (uaddr >= r->uaddr && uaddr - r->uaddr < r->size &&
		    len <= r->size - (uaddr - r->uaddr))
			return true;
	}
	return false;
}

/* The guest can write a bad chain, or break a ring after each reset, at will. */
#define vq_warn(vq, fmt, ...) \
	vdm_warn_limited((vq)->dev, "vq %u: " fmt, (vq)->index, ##__VA_ARGS__)

static void vq_break(struct vdm_vq *vq, const char *why, unsigned int a,
		     unsigned int b)
{
	vq->broken = true;
	vq_warn(vq, "%s (%u, %u); queue stopped until reset", why, a, b);
}

/*
 * Called by START in the owner's context: the rings must lie in guest RAM,
 * and the device resumes from the used index the driver sees.
 */
int vdm_vq_start(struct vdm_vq *vq)
{
	struct vdm_dev *dev = vq->dev;
	u64 n = vq->num;
	u64 event;
	__le16 idx;

	vq->event_idx = dev->cfg.features & BIT_ULL(VIRTIO_RING_F_EVENT_IDX);
	event = vq->event_idx ? 2 : 0;
	if (!n || !vdm_uaddr_in_mem(dev, vq->desc, n * sizeof(struct vdm_vring_desc)) ||
	    !vdm_uaddr_in_mem(dev, vq->avail, 4 + 2 * n + event) ||
	    !vdm_uaddr_in_mem(dev, vq->used, 4 + 8 * n + event)) {
		pr_err("dev %u: vq %u: ring outside guest memory or size unset\n",
		       dev->nr, vq->index);
		return -EINVAL;
	}
	if (get_user(idx, (__le16 __user *)u64_to_user_ptr(VDM_USED_IDX(vq))))
		return -EFAULT;
	vq->used_idx = le16_to_cpu(idx);
	vq->signalled_valid = false;
	vq->started = true;
	vq->broken = false;
	return 0;
}

/*
 * The ring looked empty: with event index, ask for a kick at the next
 * chain (avail_event), then look again, as the driver may have added one
 * before it could see our request. Returns 0 or -EFAULT.
 */
static int ask_for_kick(struct vdm_vq *vq, __le16 *avail_idx)
{
	if (!vq->event_idx)
		return 0;
	if (put_user(cpu_to_le16(vq->last_avail_idx),
		     (__le16 __user *)u64_to_user_ptr(VDM_AVAIL_EVENT(vq))))
		return -EFAULT;
	smp_mb();
	return get_user(*avail_idx, (__le16 __user *)u64_to_user_ptr(VDM_AVAIL_IDX(vq)));
}

static int chain_add(struct vdm_vq *vq, struct vdm_elem *elem,
		     const struct vdm_vring_desc *d)
{
	u64 addr = le64_to_cpu(d->addr);
	u32 len = le32_to_cpu(d->len);
	u16 flags = le16_to_cpu(d->flags);
	u64 uaddr = 0;

	if (flags & VDM_DESC_F_INDIRECT) {
		/* VIRTIO_RING_F_INDIRECT_DESC is never offered. */
		vq_warn(vq, "indirect descriptor not negotiated");
		return -EINVAL;
	}
	/* A descriptor of length 0 carries no byte: its address is not used. */
	if (len && !vdm_gpa_to_uaddr(vq->dev, addr, len, &uaddr)) {
		vq_warn(vq, "descriptor %#llx+%u outside guest RAM", addr, len);
		return -EINVAL;
	}
	if (flags & VDM_DESC_F_WRITE) {
		elem->segs[elem->num_out + elem->num_in++] =
			(struct vdm_seg){ .uaddr = uaddr, .len = len };
		elem->in_len += len;
	} else {
		if (elem->num_in) {
			vq_warn(vq, "readable descriptor after a writable one");
			return -EINVAL;
		}
		elem->segs[elem->num_out++] =
			(struct vdm_seg){ .uaddr = uaddr, .len = len };
		elem->out_len += len;
	}
	return 0;
}

/*
 * Returns 1 and fills elem with the next chain, 0 if the ring is empty,
 * -EINVAL if the chain is malformed (elem->head is then valid and the chain
 * must be returned with length 0) and -EIO if the ring itself is (the queue
 * is stopped until reset).
 */
int vdm_vq_pop(struct vdm_vq *vq, struct vdm_elem *elem)
{
	unsigned int count;
	__le16 v;
	u16 avail_idx, head, i;

	if (vq->broken || !vq->started)
		return 0;
	if (get_user(v, (__le16 __user *)u64_to_user_ptr(VDM_AVAIL_IDX(vq)))) {
		vq_break(vq, "avail index unreadable", 0, 0);
		return -EIO;
	}
	if (le16_to_cpu(v) == vq->last_avail_idx && ask_for_kick(vq, &v)) {
		vq_break(vq, "avail event unwritable", vq->last_avail_idx, 0);
		return -EIO;
	}
	avail_idx = le16_to_cpu(v);
	if (avail_idx == vq->last_avail_idx)
		return 0;
	/* The ring entries are read after the index that published them. */
	smp_rmb();
	/* num buffers outstanding is a full ring; more is no ring at all. */
	if ((u16)(avail_idx - vq->last_avail_idx) > vq->num) {
		vq_break(vq, "avail index jumped", vq->last_avail_idx, avail_idx);
		return -EIO;
	}
	if (get_user(v, (__le16 __user *)
		     u64_to_user_ptr(VDM_AVAIL_RING(vq, vq->last_avail_idx % vq->num)))) {
		vq_break(vq, "avail ring unreadable", vq->last_avail_idx, 0);
		return -EIO;
	}
	head = le16_to_cpu(v);
	if (head >= vq->num) {
		vq_break(vq, "head beyond ring size", head, vq->num);
		return -EIO;
	}
	vq->last_avail_idx++;

	elem->head = head;
	elem->num_out = 0;
	elem->num_in = 0;
	elem->out_len = 0;
	elem->in_len = 0;
	/* A chain of num descriptors may be whole; a longer one has a loop. */
	for (i = head, count = 0;; count++) {
		struct vdm_vring_desc d;

		if (count == vq->num) {
			vq_warn(vq, "descriptor chain at %u loops", head);
			return -EINVAL;
		}
		/* One read of each descriptor: the guest may rewrite it. */
		if (copy_from_user(&d, u64_to_user_ptr(vq->desc + (u64)i * sizeof(d)),
				   sizeof(d))) {
			vq_break(vq, "descriptor table unreadable", i, 0);
			return -EIO;
		}
		if (chain_add(vq, elem, &d) < 0)
			return -EINVAL;
		if (!(le16_to_cpu(d.flags) & VDM_DESC_F_NEXT))
			break;
		i = le16_to_cpu(d.next);
		if (i >= vq->num) {
			vq_warn(vq, "next %u beyond ring size", i);
			return -EINVAL;
		}
	}
	return 1;
}

void vdm_vq_push(struct vdm_vq *vq, u16 head, u32 len)
{
	u64 e = VDM_USED_RING(vq, vq->used_idx % vq->num);

	if (vq->broken)
		return;
	if (put_user(cpu_to_le32(head), (__le32 __user *)u64_to_user_ptr(e)) ||
	    put_user(cpu_to_le32(len), (__le32 __user *)u64_to_user_ptr(e + 4))) {
		vq_break(vq, "used ring unwritable", vq->used_idx, 0);
		return;
	}
	vq->used_idx++;
	/* The entry is visible before the index that publishes it. */
	smp_wmb();
	if (put_user(cpu_to_le16(vq->used_idx),
		     (__le16 __user *)u64_to_user_ptr(VDM_USED_IDX(vq))))
		vq_break(vq, "used index unwritable", vq->used_idx, 0);
}

/* Whether the driver wants an interrupt for the used chains since the last. */
static bool interrupt_wanted(struct vdm_vq *vq)
{
	u16 old = vq->signalled_used;
	bool valid = vq->signalled_valid;
	__le16 v;

	if (!vq->event_idx) {
		if (get_user(v, (__le16 __user *)u64_to_user_ptr(vq->avail)))
			return false;
		return !(le16_to_cpu(v) & VDM_AVAIL_F_NO_INTERRUPT);
	}
	vq->signalled_used = vq->used_idx;
	vq->signalled_valid = true;
	if (get_user(v, (__le16 __user *)u64_to_user_ptr(VDM_USED_EVENT(vq))))
		return false;
	return !valid || vring_need_event(le16_to_cpu(v), vq->used_idx, old);
}

bool vdm_vq_notify(struct vdm_vq *vq)
{
	/* Our used index is visible before we look at what the driver asked. */
	smp_mb();
	if (!interrupt_wanted(vq) || !vq->call)
		return false;
	eventfd_signal(vq->call);
	return true;
}

/* Copies from the readable part; returns the bytes copied or -EFAULT. */
long vdm_elem_read(const struct vdm_elem *elem, void *dst, size_t len)
{
	size_t done = 0;
	unsigned int i;

	for (i = 0; i < elem->num_out && done < len; i++) {
		size_t n = min_t(size_t, elem->segs[i].len, len - done);

		if (n && copy_from_user((u8 *)dst + done,
					u64_to_user_ptr(elem->segs[i].uaddr), n))
			return -EFAULT;
		done += n;
	}
	return done;
}

/* Copies into the writable part; returns the bytes copied or -EFAULT. */
long vdm_elem_write(const struct vdm_elem *elem, const void *src, size_t len)
{
	size_t done = 0;
	unsigned int i;

	for (i = 0; i < elem->num_in && done < len; i++) {
		const struct vdm_seg *s = &elem->segs[elem->num_out + i];
		size_t n = min_t(size_t, s->len, len - done);

		if (n && copy_to_user(u64_to_user_ptr(s->uaddr),
				      (const u8 *)src + done, n))
			return -EFAULT;
		done += n;
	}
	return done;
}

/* Kicks: our entry on the eventfd's wait queue wakes the worker. */

static int kick_wakeup(wait_queue_entry_t *wait, unsigned int mode, int sync,
		       void *key)
{
	struct vdm_vq *vq = container_of(wait, struct vdm_vq, kick_wait);

	/* Each write to the eventfd wakes us once: one kick. */
	if (key_to_poll(key) & EPOLLIN) {
		atomic_inc(&vq->kicks);
		vdm_wake(vq->dev);
	}
	return 0;
}

static void kick_queue_proc(struct file *file, wait_queue_head_t *wqh,
			    poll_table *pt)
{
	struct vdm_vq *vq = container_of(pt, struct vdm_vq, kick_pt);

	if (vq->kick_wqh)
		return;
	vq->kick_wqh = wqh;
	add_wait_queue(wqh, &vq->kick_wait);
}

static void vq_drop_kick(struct vdm_vq *vq)
{
	if (vq->kick_wqh) {
		remove_wait_queue(vq->kick_wqh, &vq->kick_wait);
		vq->kick_wqh = NULL;
	}
	if (vq->kick) {
		fput(vq->kick);
		vq->kick = NULL;
	}
}

int vdm_vq_set_kick(struct vdm_vq *vq, int fd)
{
	struct eventfd_ctx *ctx;
	struct file *file;
	__poll_t mask;

	file = fget(fd);
	if (!file)
		return -EBADF;
	/* Only an eventfd: its wait queue lives as long as our reference. */
	ctx = eventfd_ctx_fileget(file);
	if (IS_ERR(ctx)) {
		fput(file);
		return PTR_ERR(ctx);
	}
	eventfd_ctx_put(ctx);
	vq_drop_kick(vq);
	vq->kick = file;
	init_waitqueue_func_entry(&vq->kick_wait, kick_wakeup);
	init_poll_funcptr(&vq->kick_pt, kick_queue_proc);
	mask = vfs_poll(file, &vq->kick_pt);
	if (!vq->kick_wqh) {
		vq_drop_kick(vq);
		return -EINVAL;
	}
	if (mask & EPOLLIN)
		vdm_wake(vq->dev);
	return 0;
}

int vdm_vq_set_call(struct vdm_vq *vq, int fd)
{
	struct eventfd_ctx *ctx = NULL;

	if (fd >= 0) {
		ctx = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
	}
	if (vq->call)
		eventfd_ctx_put(vq->call);
	vq->call = ctx;
	return 0;
}

/* Forgets the ring and its eventfds; keeps the index and last_avail_idx. */
void vdm_vq_detach(struct vdm_vq *vq)
{
	vq_drop_kick(vq);
	if (vq->call) {
		eventfd_ctx_put(vq->call);
		vq->call = NULL;
	}
	vq->num = 0;
	vq->desc = 0;
	vq->avail = 0;
	vq->used = 0;
	vq->started = false;
	vq->broken = false;
}
