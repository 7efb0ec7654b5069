/* SPDX-License-Identifier: MIT */
#ifndef VDMABUF_DEVICE_H
#define VDMABUF_DEVICE_H

#include "vhost_user.h"

struct event_loop;
struct vdmabuf_device;

struct vdmabuf_device *vdmabuf_device_create(struct event_loop *loop,
					     const char *socket_path);
void vdmabuf_device_destroy(struct vdmabuf_device *dev);

#endif
