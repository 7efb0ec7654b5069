/* SPDX-License-Identifier: MIT */
#ifndef VDMABUF_VHOST_USER_H
#define VDMABUF_VHOST_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event_loop.h"
#include "guest_memory.h"
#include "virtqueue.h"

#define VHOST_USER_MAX_QUEUES 2

struct vhost_user;

/* What a device built on the vhost-user backend provides. */
struct vhost_user_impl {
	uint64_t features;		/* device feature bits offered */
	size_t config_size;
	void (*get_config)(struct vhost_user *vu, void *config);
	/* Every queue has rings, a kick fd and is enabled. */
	void (*start)(struct vhost_user *vu);
	/* The guest driver or the frontend let go: forget all device state. */
	void (*reset)(struct vhost_user *vu);
	void (*kick)(struct vhost_user *vu, struct virtqueue *vq);
};

/*
 * The backend end of one vhost-user connection. The daemon connects to the
 * socket QEMU listens on (`-chardev socket,server=on`) and connects again
 * whenever the connection is lost: QEMU's vhost-user devices re-initialise
 * a backend that comes back, so the daemon can restart under a running VM.
 */
struct vhost_user {
	const struct vhost_user_impl *impl;
	struct event_loop *loop;
	char *socket_path;
	struct event_source retry_source;	/* timerfd between attempts */
	bool waiting;				/* "waiting" already logged */
	struct event_source client_source;
	uint64_t features;		/* acked by the frontend */
	uint64_t protocol_features;
	struct guest_memory mem;
	struct virtqueue vqs[VHOST_USER_MAX_QUEUES];
	unsigned int num_vqs;
	bool running;			/* impl->start called, no reset since */
};

int vhost_user_init(struct vhost_user *vu, const struct vhost_user_impl *impl,
		    struct event_loop *loop, const char *socket_path,
		    unsigned int num_vqs);
void vhost_user_finish(struct vhost_user *vu);
bool vhost_user_has_feature(const struct vhost_user *vu, unsigned int bit);

#endif
