/* SPDX-License-Identifier: MIT */
#ifndef VDMABUF_CONSUMER_SERVER_H
#define VDMABUF_CONSUMER_SERVER_H

#include <stdint.h>
#include <sys/types.h>

#include "event_loop.h"
#include "list.h"
#include "vdmabuf_model.h"

/* Slots index the per-buffer bitmasks. */
#define CONSUMER_MAX 64

struct consumer_server;

/* One connected consumer (protocol/vdmabuf_consumer.h). */
struct consumer {
	struct consumer_server *server;
	struct list link;		/* consumer_server.consumers */
	struct event_source source;
	unsigned int slot;		/* index among the sockets connected */
	pid_t pid;			/* for logs */
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
};

/* mode and group (-1: keep) decide who may connect, hence import. */
int consumer_server_init(struct consumer_server *server,
			 const struct consumer_server_impl *impl,
			 struct event_loop *loop, const char *path,
			 mode_t mode, gid_t group);
void consumer_server_finish(struct consumer_server *server);

/*
 * Sends msg (and fd, if >= 0); a consumer that cannot keep up is dropped.
 * Returns 0 or -errno.
 */
int consumer_send(struct consumer *consumer, const struct vdmabuf_consumer_msg *msg, int fd);
/* Drops the consumer: the loop sees its hangup and destroys it. */
void consumer_close(struct consumer *consumer);

#endif
