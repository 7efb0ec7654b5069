/* SPDX-License-Identifier: MIT */
#ifndef VDMABUF_DEVICE_H
#define VDMABUF_DEVICE_H

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
};

/* The userspace engine (--engine user): udmabuf imports, rings read here. */
struct vdmabuf_device *vdmabuf_device_create(struct event_loop *loop,
					     const struct vdmabuf_device_config *config);
void vdmabuf_device_destroy(struct vdmabuf_device *dev);

#endif
