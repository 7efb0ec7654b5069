/* SPDX-License-Identifier: MIT */
#ifndef VDMABUF_LIST_H
#define VDMABUF_LIST_H

#include <stdbool.h>

#include "event_loop.h"

/* An intrusive doubly linked list, as wl_list. */
struct list {
	struct list *prev, *next;
};

static inline void list_init(struct list *list)
{
	list->prev = list->next = list;
}

static inline bool list_empty(const struct list *list)
{
	return list->next == list;
}

/* Inserts elm after list (at the head when list is the head). */
static inline void list_insert(struct list *list, struct list *elm)
{
	elm->prev = list;
	elm->next = list->next;
	list->next->prev = elm;
	list->next = elm;
}

static inline void list_remove(struct list *elm)
{
	elm->prev->next = elm->next;
	elm->next->prev = elm->prev;
	elm->prev = elm->next = elm;
}

#define list_for_each_safe(pos, tmp, head, member)				\
	for (pos = container_of((head)->next, __typeof__(*pos), member),	\
	     tmp = container_of(pos->member.next, __typeof__(*pos), member);	\
	     &pos->member != (head);						\
	     pos = tmp, tmp = container_of(pos->member.next, __typeof__(*pos), member))

#endif
