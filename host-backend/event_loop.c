// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "event_loop.h"

struct event_loop {
	int epoll_fd;
};

struct event_loop *event_loop_create(void)
{
	struct event_loop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return NULL;
	loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epoll_fd < 0) {
		free(loop);
		return NULL;
	}
	return loop;
}

void event_loop_destroy(struct event_loop *loop)
{
	if (!loop)
		return;
	close(loop->epoll_fd);
	free(loop);
}

int event_loop_add(struct event_loop *loop, struct event_source *source,
		   int fd, uint32_t events, event_source_func func)
{
	struct epoll_event ev = { .events = events, .data.ptr = source };

	source->fd = fd;
	source->func = func;
	if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	return 0;
}

int event_loop_modify(struct event_loop *loop, struct event_source *source, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = source };

	if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_MOD, source->fd, &ev) < 0)
		return -errno;
	return 0;
}

void event_loop_remove(struct event_loop *loop, struct event_source *source)
{
	if (source->fd < 0)
		return;
	epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, source->fd, NULL);
	source->fd = -1;
}

int event_loop_dispatch(struct event_loop *loop, int timeout_ms)
{
	struct epoll_event ev;
	int n;

	/*
	 * One event per wait: a callback may destroy the owner of any other
	 * source, so no batch may outlive it.
	 */
	n = epoll_wait(loop->epoll_fd, &ev, 1, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (n == 1) {
		struct event_source *source = ev.data.ptr;

		source->func(source, ev.events);
	}
	return 0;
}
