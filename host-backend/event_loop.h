/* SPDX-License-Identifier: MIT */
#ifndef VDMABUF_EVENT_LOOP_H
#define VDMABUF_EVENT_LOOP_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A single-threaded epoll loop. Every fd the daemon watches is a struct
 * event_source embedded in its owner; the callback finds the owner with
 * wl_container_of-style arithmetic (container_of below).
 */
struct event_source;
typedef void (*event_source_func)(struct event_source *source, uint32_t events);

struct event_source {
	int fd;
	event_source_func func;
};

struct event_loop;

struct event_loop *event_loop_create(void);
void event_loop_destroy(struct event_loop *loop);
int event_loop_add(struct event_loop *loop, struct event_source *source,
		   int fd, uint32_t events, event_source_func func);
/* The events a source waits for now (EPOLLIN, EPOLLOUT). */
int event_loop_modify(struct event_loop *loop, struct event_source *source, uint32_t events);
void event_loop_remove(struct event_loop *loop, struct event_source *source);
/* Dispatches ready sources; returns -errno on failure, 0 otherwise. */
int event_loop_dispatch(struct event_loop *loop, int timeout_ms);

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - __builtin_offsetof(type, member)))

#endif
