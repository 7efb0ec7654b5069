/* SPDX-License-Identifier: MIT */
#ifndef VDMABUF_CONSUMER_SERVER_H
#define VDMABUF_CONSUMER_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "event_loop.h"
#include "list.h"
#include "vdmabuf_model.h"

/* Slots index the per-buffer bitmasks. */
#define CONSUMER_MAX 64
/*
 * Messages waiting for a consumer's socket: room for every buffer's
 * announcement at connect and a burst of frames beyond; a consumer that
 * lets more pile up cannot keep up and is dropped.
 */
#define CONSUMER_QUEUE_MAX (VDMABUF_MAX_BUFFERS + 1024)
#define CONSUMER_POLICY_MAX 16
#define CONSUMER_DEFAULT_PER_UID 8

/*
 * Who may connect, beyond the socket's file mode (spec §11.2): with any
 * uid or gid listed, only those (and root); and at most max_per_uid
 * connections of one uid, so that nobody locks the others out.
 */
struct consumer_policy {
	uid_t uids[CONSUMER_POLICY_MAX];
	unsigned int num_uids;
	gid_t gids[CONSUMER_POLICY_MAX];
	unsigned int num_gids;
	unsigned int max_per_uid;	/* 0: CONSUMER_DEFAULT_PER_UID */
};

struct consumer_server;

/* A message the socket could not take yet, with the fd it carries (ours). */
struct consumer_pending {
	struct vdmabuf_consumer_msg msg;
	int fd;
};

/* One connected consumer (protocol/vdmabuf_consumer.h). */
struct consumer {
	struct consumer_server *server;
	struct list link;		/* consumer_server.consumers */
	struct event_source source;
	unsigned int slot;		/* index among the sockets connected */
	pid_t pid;			/* for logs */
	uid_t uid;
	bool closing;			/* shut down: sends are dropped */
	/* What waits for the socket, in order: a ring, grown on demand. */
	struct consumer_pending *queue;
	unsigned int queue_head, queue_len, queue_cap;
	struct vdmabuf_model_consumer model;	/* the user engine's */
};

struct consumer_server_impl {
	/*
	 * The impl greets the consumer: HELLO, then every live buffer; a
	 * negative errno refuses it (it is then disconnected).
	 */
	int (*connected)(struct consumer_server *server, struct consumer *consumer);
	/* Called before the consumer is freed; its imports are gone. */
	void (*disconnected)(struct consumer_server *server, struct consumer *consumer);
	void (*request)(struct consumer_server *server, struct consumer *consumer,
			const struct vdmabuf_consumer_msg *msg);
};

struct consumer_server {
	const struct consumer_server_impl *impl;
	struct event_loop *loop;
	struct event_source listen_source;
	char *path;
	struct list consumers;
	unsigned int count;
	uint64_t slots_used;
	struct consumer_policy policy;
	unsigned long refused;		/* connections refused */
	/* Lines consumers cause (consumer_log_allowed()); STATS counts the rest. */
	struct vdmabuf_log_limit log;
	int paused_fd;			/* out of fds, not listening: until one leaves */
};

/*
 * mode and group (-1: keep) decide who may connect, policy (NULL: none)
 * who of them is served, hence may import.
 */
int consumer_server_init(struct consumer_server *server,
			 const struct consumer_server_impl *impl,
			 struct event_loop *loop, const char *path,
			 mode_t mode, gid_t group, const struct consumer_policy *policy);
void consumer_server_finish(struct consumer_server *server);

/*
 * Whether a line a consumer (or whoever can reach the socket) caused may
 * be logged: the device model's limit, on the server's own window.
 */
bool consumer_log_allowed(struct consumer_server *server);
/* Adds the server's suppressed lines to a STATS reply of the device's. */
void consumer_stats(const struct consumer_server *server, struct vdmabuf_consumer_msg *reply);

/*
 * Sends msg (and fd, if >= 0: a copy goes, the caller keeps its own), or
 * queues it while the socket is full; a consumer that cannot keep up is
 * dropped. Never blocks. Returns 0 or -errno.
 */
int consumer_send(struct consumer *consumer, const struct vdmabuf_consumer_msg *msg, int fd);
/* Drops the consumer: the loop sees its hangup and destroys it. */
void consumer_close(struct consumer *consumer);

#endif
