/* SPDX-License-Identifier: MIT */
#ifndef VDMABUF_VHOST_USER_H
#define VDMABUF_VHOST_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event_loop.h"
#include "fd_store.h"
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
	/*
	 * The guest driver or the frontend let go: forget all device state.
	 * Called before the queues are forgotten; an engine that ran the
	 * rings leaves where it stopped in each vq->last_avail_idx.
	 */
	void (*reset)(struct vhost_user *vu);
	/*
	 * A queue's kick fd fired. NULL: the engine runs the rings itself,
	 * kicks included, with the memory and eventfds it got at start; it is
	 * stopped and started again when they change under it.
	 */
	void (*kick)(struct vhost_user *vu, struct virtqueue *vq);
};

/*
 * The backend end of one vhost-user connection. The daemon connects to the
 * socket QEMU listens on (`-chardev socket,server=on`) and connects again
 * whenever the connection is lost (a new VM on the same socket). Under a
 * service manager with an fd store the session survives the daemon: see
 * vhost_user_session.c.
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
	struct fd_store *store;		/* NULL: the session dies with us */
	int session_fd;			/* memfd of saved state, or -1 */
	unsigned int kept_regions;	/* "mem-N" names in the store */
};

/* With a store, resumes the session a previous daemon kept there, if any. */
int vhost_user_init(struct vhost_user *vu, const struct vhost_user_impl *impl,
		    struct event_loop *loop, const char *socket_path,
		    unsigned int num_vqs, struct fd_store *store);
void vhost_user_finish(struct vhost_user *vu);
/* What the daemon offers in GET_FEATURES; a frontend may take no more. */
uint64_t vhost_user_offered_features(const struct vhost_user *vu);
bool vhost_user_has_feature(const struct vhost_user *vu, unsigned int bit);

#endif
