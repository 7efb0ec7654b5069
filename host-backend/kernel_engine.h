/* SPDX-License-Identifier: MIT */
#ifndef VDMABUF_KERNEL_ENGINE_H
#define VDMABUF_KERNEL_ENGINE_H

#include "device.h"

struct event_loop;
struct kernel_engine;

/*
 * The in-kernel engine (--engine kernel): the daemon negotiates with QEMU
 * and serves the consumer socket as always, and hands guest memory, rings,
 * eventfds and consumers to vhost_vdmabuf.ko, which runs the device.
 * NULL if /dev/vhost-vdmabuf cannot be opened.
 */
struct kernel_engine *kernel_engine_create(struct event_loop *loop,
					   const struct vdmabuf_device_config *config);
void kernel_engine_destroy(struct kernel_engine *engine);

#endif
