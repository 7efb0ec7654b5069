// SPDX-License-Identifier: MIT
#include <endian.h>
#include <errno.h>
#include <linux/virtio_ring.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "guest_memory.h"
#include "log.h"
#include "virtqueue.h"

void virtqueue_init(struct virtqueue *vq, unsigned int index)
{
	memset(vq, 0, sizeof(*vq));
	vq->index = index;
	vq->kick_fd = -1;
	vq->call_fd = -1;
	vq->kick_source.fd = -1;
}

void virtqueue_reset(struct virtqueue *vq)
{
	unsigned int index = vq->index;

	if (vq->kick_fd >= 0)
		close(vq->kick_fd);
	if (vq->call_fd >= 0)
		close(vq->call_fd);
	virtqueue_init(vq, index);
}

bool virtqueue_map(struct virtqueue *vq, const struct guest_memory *mem)
{
	uint64_t n = vq->num;
	/* used_event after the avail ring, avail_event after the used ring. */
	uint64_t event = vq->event_idx ? sizeof(uint16_t) : 0;

	if (!n)
		return false;
	vq->desc = guest_memory_uva(mem, vq->desc_uva, n * sizeof(struct vring_desc));
	vq->avail = guest_memory_uva(mem, vq->avail_uva,
				     sizeof(struct vring_avail) + n * sizeof(uint16_t) + event);
	vq->used = guest_memory_uva(mem, vq->used_uva,
				    sizeof(struct vring_used) +
				    n * sizeof(struct vring_used_elem) + event);
	if (!vq->desc || !vq->avail || !vq->used)
		return false;
	/* After a daemon restart the frontend resumes from the used index. */
	vq->used_idx = le16toh(__atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE));
	vq->signalled_valid = false;
	return true;
}

static uint16_t read_avail_idx(const struct virtqueue *vq)
{
	return le16toh(__atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE));
}

/*
 * The ring looked empty: with event_idx, ask for a kick at the next chain
 * (avail_event), then look again, as the driver may have added one before
 * it could see our request. Returns the avail index seen last.
 */
static uint16_t ask_for_kick(struct virtqueue *vq, uint16_t seen)
{
	if (!vq->event_idx)
		return seen;
	__atomic_store_n((uint16_t *)&vq->used->ring[vq->num], htole16(vq->last_avail_idx),
			 __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return read_avail_idx(vq);
}

/* Why a chain or ring was refused, for the caller to log within its limit. */
static int refuse(struct virtqueue_elem *elem, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(elem->why, sizeof(elem->why), fmt, ap);
	va_end(ap);
	return err;
}

static int chain_add(struct virtqueue *vq, const struct guest_memory *mem,
		     struct virtqueue_elem *elem, const struct vring_desc *d)
{
	uint64_t addr = le64toh(d->addr);
	uint32_t len = le32toh(d->len);
	uint16_t flags = le16toh(d->flags);
	void *host;

	/* VIRTIO_RING_F_INDIRECT_DESC is never offered. */
	if (flags & VRING_DESC_F_INDIRECT)
		return refuse(elem, -EINVAL, "vq %u: indirect descriptor not negotiated",
			      vq->index);
	/* A descriptor of length 0 carries no byte: its address is not used. */
	host = len ? guest_memory_gpa(mem, addr, len) : NULL;
	if (len && !host)
		return refuse(elem, -EINVAL, "vq %u: descriptor %#llx+%u outside guest RAM",
			      vq->index, (unsigned long long)addr, len);
	if (flags & VRING_DESC_F_WRITE) {
		elem->in[elem->num_in++] = (struct iovec){ host, len };
		elem->in_len += len;
	} else {
		if (elem->num_in)
			return refuse(elem, -EINVAL,
				      "vq %u: readable descriptor after a writable one",
				      vq->index);
		elem->out[elem->num_out++] = (struct iovec){ host, len };
		elem->out_len += len;
	}
	return 0;
}

int virtqueue_pop(struct virtqueue *vq, const struct guest_memory *mem,
		  struct virtqueue_elem *elem)
{
	uint16_t avail_idx, head, i;
	unsigned int count;

	if (vq->broken || !vq->started)
		return 0;
	avail_idx = read_avail_idx(vq);
	if (avail_idx == vq->last_avail_idx)
		avail_idx = ask_for_kick(vq, avail_idx);
	if (avail_idx == vq->last_avail_idx)
		return 0;
	/* num buffers outstanding is a full ring; more is no ring at all. */
	if ((uint16_t)(avail_idx - vq->last_avail_idx) > vq->num) {
		vq->broken = true;
		return refuse(elem, -EIO, "vq %u: avail index jumped from %u to %u; queue stopped",
			      vq->index, vq->last_avail_idx, avail_idx);
	}
	head = le16toh(vq->avail->ring[vq->last_avail_idx % vq->num]);
	if (head >= vq->num) {
		vq->broken = true;
		return refuse(elem, -EIO, "vq %u: head %u beyond ring size %u; queue stopped",
			      vq->index, head, vq->num);
	}
	vq->last_avail_idx++;

	elem->head = head;
	elem->num_out = elem->num_in = 0;
	elem->out_len = elem->in_len = 0;
	/* A chain of num descriptors may be whole; a longer one has a loop. */
	for (i = head, count = 0;; count++) {
		struct vring_desc d;

		if (count == vq->num)
			return refuse(elem, -EINVAL, "vq %u: descriptor chain at %u loops",
				      vq->index, head);
		/* One read of each descriptor: the guest may rewrite it. */
		memcpy(&d, &vq->desc[i], sizeof(d));
		if (chain_add(vq, mem, elem, &d) < 0)
			return -EINVAL;
		if (!(le16toh(d.flags) & VRING_DESC_F_NEXT))
			break;
		i = le16toh(d.next);
		if (i >= vq->num)
			return refuse(elem, -EINVAL, "vq %u: next %u beyond ring size",
				      vq->index, i);
	}
	return 1;
}

void virtqueue_push(struct virtqueue *vq, uint16_t head, uint32_t len)
{
	struct vring_used_elem *e = &vq->used->ring[vq->used_idx % vq->num];

	e->id = htole32(head);
	e->len = htole32(len);
	vq->used_idx++;
	__atomic_store_n(&vq->used->idx, htole16(vq->used_idx), __ATOMIC_RELEASE);
}

/* Whether the driver wants an interrupt for the used chains since the last. */
static bool interrupt_wanted(struct virtqueue *vq)
{
	uint16_t old = vq->signalled_used, event;
	bool valid = vq->signalled_valid;

	if (!vq->event_idx)
		return !(le16toh(vq->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
	vq->signalled_used = vq->used_idx;
	vq->signalled_valid = true;
	event = le16toh(__atomic_load_n((uint16_t *)&vq->avail->ring[vq->num],
					__ATOMIC_RELAXED));
	return !valid || vring_need_event(event, vq->used_idx, old);
}

bool virtqueue_notify(struct virtqueue *vq)
{
	uint64_t one = 1;

	/* Our used index is visible before we read what the driver asked. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!interrupt_wanted(vq) || vq->call_fd < 0)
		return false;
	if (write(vq->call_fd, &one, sizeof(one)) < 0) {
		log_debug("vq %u: call: %s", vq->index, strerror(errno));
		return false;
	}
	return true;
}

size_t virtqueue_elem_read(const struct virtqueue_elem *elem, void *dst, size_t len)
{
	size_t done = 0;

	for (unsigned int i = 0; i < elem->num_out && done < len; i++) {
		size_t n = elem->out[i].iov_len;

		if (n > len - done)
			n = len - done;
		if (n)
			memcpy((uint8_t *)dst + done, elem->out[i].iov_base, n);
		done += n;
	}
	return done;
}

size_t virtqueue_elem_write(const struct virtqueue_elem *elem, const void *src, size_t len)
{
	size_t done = 0;

	for (unsigned int i = 0; i < elem->num_in && done < len; i++) {
		size_t n = elem->in[i].iov_len;

		if (n > len - done)
			n = len - done;
		if (n)
			memcpy(elem->in[i].iov_base, (const uint8_t *)src + done, n);
		done += n;
	}
	return done;
}
