/* SPDX-License-Identifier: MIT */
#ifndef VDMABUF_DEVICE_H
#define VDMABUF_DEVICE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "consumer.h"
#include "vdmabuf_model.h"

struct event_loop;
struct vdmabuf_device;

/* What every engine is given; main.c picks the engine. */
struct vdmabuf_device_config {
	const char *vhost_socket;	/* QEMU's vhost-user server socket */
	const char *consumer_socket;	/* ours, for host consumers */
	mode_t consumer_mode;
	gid_t consumer_group;		/* (gid_t)-1: unchanged */
	struct consumer_policy consumer_policy;	/* who of them is served */
	struct fd_store *fd_store;	/* NULL: no restart without a VM reset */
	uint32_t release_deadline_ms;	/* 0: the default (spec §11.3) */
	uint64_t max_pinned;		/* --max-pinned, bytes; 0: RLIMIT_MEMLOCK's */
	/*
	 * --bench-no-import, for bench/native only: EXPORTs are checked but
	 * no host dmabuf is made, and IMPORT answers with no fd.
	 */
	bool bench_no_import;
};

/* SIZE of --max-pinned: bytes, or with a K, M or G suffix; 0 or -EINVAL. */
int vdmabuf_parse_size(const char *s, uint64_t *bytes);
/*
 * The pinned-bytes budget of the device (spec §8.1 step 8) for either
 * engine: max_pinned (0: none asked) within RLIMIT_MEMLOCK, unless the
 * daemon may lock any amount (CAP_IPC_LOCK, RLIM_INFINITY). 0: no budget.
 */
uint64_t vdmabuf_pinned_budget(uint64_t max_pinned);

/* The userspace engine (--engine user): udmabuf imports, rings read here. */
struct vdmabuf_device *vdmabuf_device_create(struct event_loop *loop,
					     const struct vdmabuf_device_config *config);
void vdmabuf_device_destroy(struct vdmabuf_device *dev);

#endif
