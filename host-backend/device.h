/* SPDX-License-Identifier: MIT */
#ifndef VDMABUF_DEVICE_H
#define VDMABUF_DEVICE_H

#include <stdint.h>
#include <sys/types.h>

#include "vdmabuf_proto.h"

struct event_loop;
struct vdmabuf_device;

/* The feature bits the device offers, whichever engine runs it. */
#define VDMABUF_DEVICE_FEATURES ((1ull << VDMABUF_F_DAMAGE) | \
				 (1ull << VDMABUF_F_PRESENT_TIMING) | \
				 (1ull << VDMABUF_F_MODE_HINT) | \
				 (1ull << VDMABUF_F_CONSUMER_EVENTS))

/* What an engine can take, as the guest is told (spec §4). */
struct vdmabuf_limits {
	uint32_t max_buffers;
	uint32_t max_extents;
	uint64_t max_buffer_size;
};

/* Writes the config space (struct vdmabuf_config) both engines serve. */
void vdmabuf_config_write(void *config, const struct vdmabuf_limits *limits,
			  uint32_t consumers);

/* What every engine is given; main.c picks the engine. */
struct vdmabuf_device_config {
	const char *vhost_socket;	/* QEMU's vhost-user server socket */
	const char *consumer_socket;	/* ours, for host consumers */
	mode_t consumer_mode;
	gid_t consumer_group;		/* (gid_t)-1: unchanged */
	struct fd_store *fd_store;	/* NULL: no restart without a VM reset */
};

/* The userspace engine (--engine user): udmabuf imports, rings read here. */
struct vdmabuf_device *vdmabuf_device_create(struct event_loop *loop,
					     const struct vdmabuf_device_config *config);
void vdmabuf_device_destroy(struct vdmabuf_device *dev);

#endif
