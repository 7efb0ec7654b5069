/* SPDX-License-Identifier: MIT */
/*
 * A vhost-user frontend for tests: it plays QEMU and a guest at once, so a
 * test can put any bytes into the rings the real daemon reads, including
 * what no correct driver would write. Guest RAM is one sealed memfd.
 */
#ifndef VDMABUF_FAKE_FRONTEND_H
#define VDMABUF_FAKE_FRONTEND_H

#include <linux/virtio_ring.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vdmabuf_proto.h"

#define FF_RAM_SIZE (64u << 20)
#define FF_RING_SIZE 256

struct ff_vring {
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t avail_idx, used_seen;
	int kick, call;
};

struct fake_frontend {
	int listen_fd, sock;
	int memfd;
	uint8_t *ram;			/* guest physical 0 */
	struct ff_vring vq[2];
	uint64_t device_features;
	uint64_t extra_features;	/* negotiated beside the base set, if offered */
};

/* Listens on path and waits (timeout_ms) for the daemon to connect. */
int ff_accept(struct fake_frontend *ff, const char *path, int timeout_ms);
/*
 * Full negotiation up to running queues; returns 0 or -1. Negotiates
 * VERSION_1, device bits 0-3 and extra_features (set it after ff_accept).
 */
int ff_start(struct fake_frontend *ff);
void ff_close(struct fake_frontend *ff);
/*
 * Stops both queues (GET_VRING_BASE) and starts them again on empty rings
 * with no event posted: a device reset, as a driver's. Returns 0 or -1.
 */
int ff_restart(struct fake_frontend *ff);
/* Posts n 64-byte event buffers, descriptors 0 to n - 1, one by one. */
void ff_post_events(struct fake_frontend *ff, unsigned int n);
/*
 * ADD_MEM_REG of [gpa, gpa + size), at fd_offset of fd and mapped at uva
 * here; 0 if accepted.
 */
int ff_add_region(struct fake_frontend *ff, uint64_t gpa, uint64_t size,
		  const void *uva, uint64_t fd_offset, int fd);
/* GET_CONFIG into buf. */
int ff_get_config(struct fake_frontend *ff, void *buf, uint32_t size);
/* Sends a message with NEED_REPLY and waits for its ack (0 on success). */
int ff_request(struct fake_frontend *ff, uint32_t request, const void *payload,
	       uint32_t size, const int *fds, unsigned int num_fds);

static inline void *ff_gpa(struct fake_frontend *ff, uint64_t gpa)
{
	return ff->ram + gpa;
}

/* Makes desc[head..] available on queue q and kicks. */
void ff_make_available(struct fake_frontend *ff, unsigned int q, uint16_t head);
/* Waits for the next used entry of queue q; returns 0 and fills id/len. */
int ff_wait_used(struct fake_frontend *ff, unsigned int q, uint32_t *id,
		 uint32_t *len, int timeout_ms);

/*
 * A version 2 driver (spec §19), with VDMABUF_F_ASYNC_PRESENT and
 * VIRTIO_RING_F_EVENT_IDX in extra_features (FF_VERSION_2).
 * ff_avail_event / ff_used_event: the event index fields of queue q.
 * ff_publish: makes head available on q, kicking only where the device's
 * avail_event asks for it; returns the kicks (0 or 1). ff_poll_used: the
 * next used entry of q, polled for timeout_ms (no interrupt needed); on
 * the event queue it then asks for the next entry's interrupt.
 * ff_interrupts: the interrupts signalled on q since the last call.
 */
#define FF_VERSION_2 ((1ull << VDMABUF_F_ASYNC_PRESENT) | (1ull << VIRTIO_RING_F_EVENT_IDX))

uint16_t *ff_avail_event(struct fake_frontend *ff, unsigned int q);
uint16_t *ff_used_event(struct fake_frontend *ff, unsigned int q);
unsigned int ff_publish(struct fake_frontend *ff, unsigned int q, uint16_t head);
int ff_poll_used(struct fake_frontend *ff, unsigned int q, uint32_t *head, uint32_t *len,
		 int timeout_ms);
uint64_t ff_interrupts(struct fake_frontend *ff, unsigned int q);

/*
 * Sends one control request (req at a fixed guest address, reply after it)
 * and returns the reply's status, or -1 when the device answered with no
 * reply (used length 0: a request it refused to read).
 */
int ff_control(struct fake_frontend *ff, const void *req, size_t len, void *reply32);

#endif
