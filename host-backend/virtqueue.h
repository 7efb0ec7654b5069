/* SPDX-License-Identifier: MIT */
#ifndef VDMABUF_VIRTQUEUE_H
#define VDMABUF_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "event_loop.h"

struct guest_memory;

/* Ring sizes above this are refused; QEMU is configured with 256. */
#define VIRTQUEUE_MAX_SIZE 1024

/* A ring size we take: a power of two up to VIRTQUEUE_MAX_SIZE. */
static inline bool virtqueue_num_valid(uint32_t num)
{
	return num && num <= VIRTQUEUE_MAX_SIZE && !(num & (num - 1));
}

struct vring_desc;
struct vring_avail;
struct vring_used;

/*
 * A split virtqueue as the frontend describes it. Nothing read from the
 * rings is trusted: indices, descriptor addresses, lengths and chains are
 * all checked against the ring size and guest memory.
 */
struct virtqueue {
	unsigned int index;
	unsigned int num;		/* ring size; 0 until SET_VRING_NUM */
	uint64_t desc_uva, avail_uva, used_uva;
	struct vring_desc *desc;	/* translated on start */
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_avail_idx;
	uint16_t used_idx;
	/*
	 * VIRTIO_RING_F_EVENT_IDX (spec §19): avail_event asks for kicks,
	 * used_event for interrupts; signalled_used is the used index of our
	 * last interrupt decision (none yet after a start: !signalled_valid).
	 */
	bool event_idx;
	uint16_t signalled_used;
	bool signalled_valid;
	int kick_fd, call_fd;
	uint64_t kicks;			/* counted on the kick eventfd, not yet reported */
	bool enabled;
	bool started;
	bool broken;			/* ring state is garbage until reset */
	struct event_source kick_source;
};

/* One descriptor chain: driver-readable segments, then device-writable ones. */
struct virtqueue_elem {
	uint16_t head;
	unsigned int num_out, num_in;
	size_t out_len, in_len;
	struct iovec out[VIRTQUEUE_MAX_SIZE];
	struct iovec in[VIRTQUEUE_MAX_SIZE];
	char why[96];			/* virtqueue_pop's refusal, unlogged */
};

void virtqueue_init(struct virtqueue *vq, unsigned int index);
/* Closes the eventfds and forgets the ring; keeps the index. */
void virtqueue_reset(struct virtqueue *vq);
/*
 * Translates the ring addresses (with event_idx set as negotiated);
 * returns false if any lies outside memory.
 */
bool virtqueue_map(struct virtqueue *vq, const struct guest_memory *mem);

/*
 * Returns 1 and fills elem with the next chain, 0 if the ring is empty
 * (with event_idx the driver is then asked to kick at its next chain),
 * -EINVAL if the chain is malformed (elem->head is then valid and the
 * chain must be returned with length 0) and -EIO if the ring itself is
 * (vq->broken is set and nothing more is taken from it). On either
 * error elem->why says what the guest got wrong: the ring does not log,
 * as the guest can repeat it at will; the caller logs it within a limit.
 */
int virtqueue_pop(struct virtqueue *vq, const struct guest_memory *mem,
		  struct virtqueue_elem *elem);
void virtqueue_push(struct virtqueue *vq, uint16_t head, uint32_t len);
/*
 * Signals the call eventfd unless the driver asked not to (its flag, or
 * with event_idx its used_event); true if it did.
 */
bool virtqueue_notify(struct virtqueue *vq);

/* Copies from the readable part / into the writable part; returns bytes. */
size_t virtqueue_elem_read(const struct virtqueue_elem *elem, void *dst, size_t len);
size_t virtqueue_elem_write(const struct virtqueue_elem *elem, const void *src, size_t len);

#endif
