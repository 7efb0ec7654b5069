// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "consumer.h"
#include "log.h"

/* Room for a burst of announcements to a consumer that is busy drawing. */
#define CONSUMER_SNDBUF (1 << 20)

/* 0, -EAGAIN (the socket is full) or another -errno. */
static int send_now(struct consumer *consumer, const struct vdmabuf_consumer_msg *msg, int fd)
{
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { (void *)msg, sizeof(*msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		struct cmsghdr *cmsg;

		mh.msg_control = control;
		mh.msg_controllen = sizeof(control);
		cmsg = CMSG_FIRSTHDR(&mh);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	if (sendmsg(consumer->source.fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return 0;
}

static void queue_clear(struct consumer *consumer)
{
	for (unsigned int i = 0; i < consumer->queue_len; i++) {
		int fd = consumer->queue[(consumer->queue_head + i) % consumer->queue_cap].fd;

		if (fd >= 0)
			close(fd);
	}
	free(consumer->queue);
	consumer->queue = NULL;
	consumer->queue_head = consumer->queue_len = consumer->queue_cap = 0;
}

static int queue_push(struct consumer *consumer, const struct vdmabuf_consumer_msg *msg, int fd)
{
	struct consumer_pending *slot;

	if (consumer->queue_len == CONSUMER_QUEUE_MAX)
		return -ENOBUFS;
	if (consumer->queue_len == consumer->queue_cap) {
		unsigned int cap = consumer->queue_cap ? 2 * consumer->queue_cap : 64;
		struct consumer_pending *q;

		if (cap > CONSUMER_QUEUE_MAX)
			cap = CONSUMER_QUEUE_MAX;
		q = malloc(cap * sizeof(*q));
		if (!q)
			return -ENOMEM;
		for (unsigned int i = 0; i < consumer->queue_len; i++)
			q[i] = consumer->queue[(consumer->queue_head + i) % consumer->queue_cap];
		free(consumer->queue);
		consumer->queue = q;
		consumer->queue_head = 0;
		consumer->queue_cap = cap;
	}
	if (fd >= 0 && (fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0)
		return -errno;
	slot = &consumer->queue[(consumer->queue_head + consumer->queue_len++) %
				consumer->queue_cap];
	slot->msg = *msg;
	slot->fd = fd;
	return 0;
}

/* Sends what waits while the socket takes it: 0, or -errno (then dropped). */
static int queue_flush(struct consumer *consumer)
{
	while (consumer->queue_len) {
		struct consumer_pending *p = &consumer->queue[consumer->queue_head];
		int err = send_now(consumer, &p->msg, p->fd);

		if (err == -EAGAIN)
			return 0;
		if (p->fd >= 0)
			close(p->fd);
		if (err < 0)
			return err;
		consumer->queue_head = (consumer->queue_head + 1) % consumer->queue_cap;
		consumer->queue_len--;
	}
	return event_loop_modify(consumer->server->loop, &consumer->source, EPOLLIN);
}

bool consumer_log_allowed(struct consumer_server *server)
{
	struct timespec ts;
	unsigned int summary;
	bool allowed;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	allowed = vdmabuf_log_limit(&server->log, ts.tv_sec * 1000000000ull + ts.tv_nsec,
				    &summary);
	if (summary)
		log_warn("consumers: %u log lines suppressed", summary);
	return allowed;
}

void consumer_stats(const struct consumer_server *server, struct vdmabuf_consumer_msg *reply)
{
	if (reply->type == VDMABUF_MSG_STATS)
		reply->u.stats.logs_suppressed += server->log.suppressed;
}

static void consumer_drop(struct consumer *consumer, const char *why, int err)
{
	if (consumer_log_allowed(consumer->server))
		log_warn("consumer %u: %s: %s; disconnected", consumer->slot, why,
			 strerror(-err));
	consumer_close(consumer);
}

int consumer_send(struct consumer *consumer, const struct vdmabuf_consumer_msg *msg, int fd)
{
	bool was_empty = consumer->queue_len == 0;
	int err;

	if (consumer->source.fd < 0 || consumer->closing)
		return -ENOTCONN;
	/* In order: nothing overtakes what waits. */
	err = was_empty ? send_now(consumer, msg, fd) : -EAGAIN;
	if (err == -EAGAIN) {
		err = queue_push(consumer, msg, fd);
		if (!err && was_empty)
			err = event_loop_modify(consumer->server->loop, &consumer->source,
						EPOLLIN | EPOLLOUT);
	}
	if (err < 0) {
		/* Never block the device for one consumer. */
		consumer_drop(consumer, err == -ENOBUFS ? "cannot keep up" : "send", err);
		return err;
	}
	return 0;
}

static void handle_listen(struct event_source *source, uint32_t events);

static void consumer_destroy(struct consumer *consumer)
{
	struct consumer_server *server = consumer->server;
	int fd = consumer->source.fd;

	event_loop_remove(server->loop, &consumer->source);
	close(fd);
	queue_clear(consumer);
	list_remove(&consumer->link);
	server->slots_used &= ~(1ull << consumer->slot);
	server->count--;
	log_debug("socket %u (pid %d) gone; %u left", consumer->slot,
		 (int)consumer->pid, server->count);
	server->impl->disconnected(server, consumer);
	free(consumer);
	if (server->paused_fd >= 0 &&
	    event_loop_add(server->loop, &server->listen_source, server->paused_fd,
			   EPOLLIN, handle_listen) == 0) {
		server->paused_fd = -1;
		log_info("consumers: listening again");
	}
}

static void handle_consumer(struct event_source *source, uint32_t events)
{
	struct consumer *consumer = container_of(source, struct consumer, source);
	struct vdmabuf_consumer_msg msg;
	struct iovec iov = { &msg, sizeof(msg) };
	/*
	 * No room for fds: consumers never send any, and the kernel drops
	 * those sent without installing them here, so no close() of ours can
	 * block on one (a FUSE file whose server never answers FLUSH) and
	 * none takes one of our fds. MSG_CTRUNC tells that some came.
	 */
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;
	int err;

	if ((events & EPOLLOUT) && !consumer->closing && (err = queue_flush(consumer)) < 0)
		consumer_drop(consumer, "send", err);
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	n = recvmsg(source->fd, &mh, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		consumer_destroy(consumer);
		return;
	}
	if (n != sizeof(msg) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		if (consumer_log_allowed(consumer->server))
			log_warn("consumer %u: message of %zd bytes%s, want %zu; disconnected",
				 consumer->slot, n, mh.msg_flags & MSG_CTRUNC ? " with fds" : "",
				 sizeof(msg));
		consumer_destroy(consumer);
		return;
	}
	consumer->server->impl->request(consumer->server, consumer, &msg);
}

static bool policy_has_gid(const struct consumer_policy *policy, gid_t gid)
{
	for (unsigned int i = 0; i < policy->num_gids; i++)
		if (policy->gids[i] == gid)
			return true;
	return false;
}

/* Whether the policy names the peer of fd, by uid, group or supplementary group. */
static bool policy_allows(const struct consumer_policy *policy, int fd,
			  const struct ucred *cred)
{
	gid_t groups[64];
	socklen_t len = sizeof(groups);

	if ((!policy->num_uids && !policy->num_gids) || cred->uid == 0)
		return true;
	for (unsigned int i = 0; i < policy->num_uids; i++)
		if (policy->uids[i] == cred->uid)
			return true;
	if (policy_has_gid(policy, cred->gid))
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return false;
	for (size_t i = 0; i < len / sizeof(groups[0]); i++)
		if (policy_has_gid(policy, groups[i]))
			return true;
	return false;
}

static unsigned int connections_of(struct consumer_server *server, uid_t uid)
{
	struct consumer *consumer, *tmp;
	unsigned int n = 0;

	list_for_each_safe(consumer, tmp, &server->consumers, link)
		n += consumer->uid == uid;
	return n;
}

/*
 * 0 if the peer may be served, else why not as -errno: EACCES (not named
 * for this VM), EUSERS (its uid holds its quota), EBUSY (every slot taken).
 */
static int consumer_admit(struct consumer_server *server, int fd, struct ucred *cred)
{
	socklen_t len = sizeof(*cred);
	unsigned int per_uid = server->policy.max_per_uid ?
			       server->policy.max_per_uid : CONSUMER_DEFAULT_PER_UID;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) < 0)
		return -EACCES;
	if (!policy_allows(&server->policy, fd, cred))
		return -EACCES;
	if (connections_of(server, cred->uid) >= per_uid)
		return -EUSERS;
	if (server->count == CONSUMER_MAX)
		return -EBUSY;
	return 0;
}

/* Tells the peer why (REPLY to no request) and lets it go. */
static void consumer_refuse(struct consumer_server *server, int fd, const struct ucred *cred,
			    int err)
{
	struct vdmabuf_consumer_msg msg = { .type = VDMABUF_MSG_REPLY, .status = err };

	send(fd, &msg, sizeof(msg), MSG_DONTWAIT | MSG_NOSIGNAL);
	close(fd);
	if (consumer_log_allowed(server))
		log_warn("consumer (pid %d, uid %u) refused: %s; %lu refused so far",
			 (int)cred->pid, (unsigned int)cred->uid, strerror(-err),
			 server->refused + 1);
	server->refused++;
}

static void handle_listen(struct event_source *source, uint32_t events)
{
	struct consumer_server *server =
		container_of(source, struct consumer_server, listen_source);
	struct consumer *consumer;
	struct ucred cred = { .pid = 0 };
	int sndbuf = CONSUMER_SNDBUF;
	int fd, err;

	fd = accept4(source->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
		/*
		 * The connection waits in the backlog: stop listening until a
		 * consumer leaves, rather than spin on a socket still readable.
		 */
		log_warn("consumers: out of fds (%s); not listening until one leaves",
			 strerror(errno));
		server->paused_fd = source->fd;
		event_loop_remove(server->loop, &server->listen_source);
		return;
	}
	if (fd < 0)
		return;
	err = consumer_admit(server, fd, &cred);
	if (err < 0) {
		consumer_refuse(server, fd, &cred, err);
		return;
	}
	consumer = calloc(1, sizeof(*consumer));
	if (!consumer) {
		close(fd);
		return;
	}
	consumer->server = server;
	consumer->slot = __builtin_ctzll(~server->slots_used);
	consumer->pid = cred.pid;
	consumer->uid = cred.uid;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (event_loop_add(server->loop, &consumer->source, fd, EPOLLIN,
			   handle_consumer) < 0) {
		close(fd);
		free(consumer);
		return;
	}
	server->slots_used |= 1ull << consumer->slot;
	server->count++;
	list_insert(server->consumers.prev, &consumer->link);
	log_debug("socket %u (pid %d) connected; %u now", consumer->slot,
		 (int)consumer->pid, server->count);
	if (server->impl->connected(server, consumer) < 0)
		consumer_close(consumer);
}

void consumer_close(struct consumer *consumer)
{
	/* The caller may be iterating the consumers: only shut down here. */
	consumer->closing = true;
	shutdown(consumer->source.fd, SHUT_RDWR);
}

int consumer_server_init(struct consumer_server *server,
			 const struct consumer_server_impl *impl,
			 struct event_loop *loop, const char *path,
			 mode_t mode, gid_t group, const struct consumer_policy *policy)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, err;

	memset(server, 0, sizeof(*server));
	server->impl = impl;
	server->loop = loop;
	server->listen_source.fd = -1;
	server->paused_fd = -1;
	if (policy)
		server->policy = *policy;
	list_init(&server->consumers);
	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    chmod(path, mode) < 0 ||
	    (group != (gid_t)-1 && chown(path, (uid_t)-1, group) < 0) ||
	    listen(fd, 16) < 0)
		goto err;
	server->path = strdup(path);
	if (!server->path)
		goto err;
	err = event_loop_add(loop, &server->listen_source, fd, EPOLLIN, handle_listen);
	if (err < 0) {
		errno = -err;
		goto err;
	}
	log_info("consumers: %s (mode %04o), %s, at most %u per uid", path, (unsigned int)mode,
		 server->policy.num_uids || server->policy.num_gids ?
		 "the uids and groups named" : "whoever can open it",
		 server->policy.max_per_uid ? server->policy.max_per_uid :
		 CONSUMER_DEFAULT_PER_UID);
	return 0;
err:
	err = -errno;
	log_error("consumer socket %s: %s", path, strerror(errno));
	close(fd);
	unlink(path);
	free(server->path);
	server->path = NULL;
	return err;
}

void consumer_server_finish(struct consumer_server *server)
{
	struct consumer *consumer, *tmp;
	int fd;

	list_for_each_safe(consumer, tmp, &server->consumers, link)
		consumer_destroy(consumer);
	/* Destroying consumers may have resumed listening. */
	fd = server->listen_source.fd;
	if (server->paused_fd >= 0)
		close(server->paused_fd);
	if (fd >= 0) {
		event_loop_remove(server->loop, &server->listen_source);
		close(fd);
	}
	if (server->path)
		unlink(server->path);
	free(server->path);
}
