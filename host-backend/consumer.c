// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "consumer.h"
#include "log.h"

/* Room for a burst of announcements to a consumer that is busy drawing. */
#define CONSUMER_SNDBUF (1 << 20)

static void consumer_destroy(struct consumer *consumer)
{
	struct consumer_server *server = consumer->server;
	int fd = consumer->source.fd;

	event_loop_remove(server->loop, &consumer->source);
	close(fd);
	list_remove(&consumer->link);
	server->slots_used &= ~(1ull << consumer->slot);
	server->count--;
	log_debug("socket %u (pid %d) gone; %u left", consumer->slot,
		 (int)consumer->pid, server->count);
	server->impl->disconnected(server, consumer);
	free(consumer);
}

static void handle_consumer(struct event_source *source, uint32_t events)
{
	struct consumer *consumer = container_of(source, struct consumer, source);
	char control[CMSG_SPACE(4 * sizeof(int))];
	struct vdmabuf_consumer_msg msg;
	struct iovec iov = { &msg, sizeof(msg) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *cmsg;
	ssize_t n;

	n = recvmsg(source->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* Consumers never send fds: close any, then judge the message. */
	for (cmsg = CMSG_FIRSTHDR(&mh); cmsg; cmsg = CMSG_NXTHDR(&mh, cmsg)) {
		if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
			int *fds = (int *)CMSG_DATA(cmsg);
			size_t nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (size_t i = 0; i < nfds; i++)
				close(fds[i]);
		}
	}
	if (n <= 0) {
		consumer_destroy(consumer);
		return;
	}
	if (n != sizeof(msg) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		log_warn("consumer %u: message of %zd bytes, want %zu; disconnected",
			 consumer->slot, n, sizeof(msg));
		consumer_destroy(consumer);
		return;
	}
	consumer->server->impl->request(consumer->server, consumer, &msg);
}

static void handle_listen(struct event_source *source, uint32_t events)
{
	struct consumer_server *server =
		container_of(source, struct consumer_server, listen_source);
	struct consumer *consumer;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int sndbuf = CONSUMER_SNDBUF;
	int fd;

	fd = accept4(source->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (server->count == CONSUMER_MAX) {
		log_warn("consumer refused: %d connected already", CONSUMER_MAX);
		close(fd);
		return;
	}
	consumer = calloc(1, sizeof(*consumer));
	if (!consumer) {
		close(fd);
		return;
	}
	consumer->server = server;
	consumer->slot = __builtin_ctzll(~server->slots_used);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
		consumer->pid = cred.pid;
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
	shutdown(consumer->source.fd, SHUT_RDWR);
}

int consumer_send(struct consumer *consumer, const struct vdmabuf_consumer_msg *msg, int fd)
{
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { (void *)msg, sizeof(*msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (consumer->source.fd < 0)
		return -ENOTCONN;
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
	if (sendmsg(consumer->source.fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		int err = -errno;

		/* Never block the device for one consumer. */
		log_warn("consumer %u: send: %s; disconnected", consumer->slot,
			 strerror(errno));
		consumer_close(consumer);
		return err;
	}
	return 0;
}

int consumer_server_init(struct consumer_server *server,
			 const struct consumer_server_impl *impl,
			 struct event_loop *loop, const char *path,
			 mode_t mode, gid_t group)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, err;

	memset(server, 0, sizeof(*server));
	server->impl = impl;
	server->loop = loop;
	server->listen_source.fd = -1;
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
	log_info("consumers: %s (mode %04o)", path, (unsigned int)mode);
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
	int fd = server->listen_source.fd;

	list_for_each_safe(consumer, tmp, &server->consumers, link)
		consumer_destroy(consumer);
	if (fd >= 0) {
		event_loop_remove(server->loop, &server->listen_source);
		close(fd);
	}
	if (server->path)
		unlink(server->path);
	free(server->path);
}
