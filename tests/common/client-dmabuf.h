/* SPDX-License-Identifier: MIT */
/*
 * A Wayland client's linear XRGB8888 dmabufs, drawn into with the CPU:
 * dumb buffers of the guest's DRM card (the virtio-gpu in the lab),
 * exported as dmabufs (PRIME) and shared with zwp_linux_dmabuf_v1. The
 * compositor's renderer imports them, being that card's, and the
 * compositor may scan them out as they are.
 */
#ifndef VDMABUF_TEST_CLIENT_DMABUF_H
#define VDMABUF_TEST_CLIENT_DMABUF_H

#include <drm_fourcc.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/dma-buf.h>
#include <wayland-client.h>
#include <xf86drm.h>

#include "linux-dmabuf-v1-client-protocol.h"

/* The first DRM node prefix N (N from first on) whose cap is set, or -1. */
static inline int client_drm_open(const char *prefix, int first, uint64_t cap)
{
	char path[32];

	for (int i = first; i < first + 16; i++) {
		uint64_t value = 0;
		int fd;

		snprintf(path, sizeof(path), "%s%d", prefix, i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!drmGetCap(fd, cap, &value) && value)
			return fd;
		close(fd);
	}
	return -1;
}

/* The first DRM card with dumb buffers (a display device), or -1. */
static inline int client_dmabuf_open_card(void)
{
	return client_drm_open("/dev/dri/card", 0, DRM_CAP_DUMB_BUFFER);
}

/*
 * A width x height buffer of card: its dmabuf (returned, -1 on failure),
 * its stride and its CPU mapping of size bytes.
 */
static inline int client_dmabuf_create(int card, uint32_t width, uint32_t height,
				       uint32_t *stride, void **map, size_t *size)
{
	struct drm_mode_create_dumb create = { .width = width, .height = height, .bpp = 32 };
	struct drm_mode_destroy_dumb destroy = { 0 };
	int dmabuf = -1;

	if (drmIoctl(card, DRM_IOCTL_MODE_CREATE_DUMB, &create))
		return -1;
	destroy.handle = create.handle;
	/* The dmabuf keeps the buffer; the handle is not needed past it. */
	if (drmPrimeHandleToFD(card, create.handle, DRM_CLOEXEC | DRM_RDWR, &dmabuf))
		dmabuf = -1;
	drmIoctl(card, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
	if (dmabuf < 0)
		return -1;
	*map = mmap(NULL, create.size, PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf, 0);
	if (*map == MAP_FAILED) {
		close(dmabuf);
		return -1;
	}
	*stride = create.pitch;
	*size = create.size;
	return dmabuf;
}

/* A wl_buffer of dmabuf, width x height XRGB8888 with stride. */
static inline struct wl_buffer *client_dmabuf_wl_buffer(struct zwp_linux_dmabuf_v1 *linux_dmabuf,
							 int dmabuf, uint32_t width,
							 uint32_t height, uint32_t stride)
{
	struct zwp_linux_buffer_params_v1 *params =
		zwp_linux_dmabuf_v1_create_params(linux_dmabuf);
	struct wl_buffer *wl_buffer;

	zwp_linux_buffer_params_v1_add(params, dmabuf, 0, 0, stride,
				       DRM_FORMAT_MOD_LINEAR >> 32,
				       DRM_FORMAT_MOD_LINEAR & 0xffffffff);
	wl_buffer = zwp_linux_buffer_params_v1_create_immed(params, width, height,
							     DRM_FORMAT_XRGB8888, 0);
	zwp_linux_buffer_params_v1_destroy(params);
	return wl_buffer;
}

/* Brackets CPU writes to a dmabuf: flags DMA_BUF_SYNC_START or _END. */
static inline int client_dmabuf_sync(int dmabuf, uint64_t flags)
{
	struct dma_buf_sync sync = { .flags = flags | DMA_BUF_SYNC_WRITE };

	return ioctl(dmabuf, DMA_BUF_IOCTL_SYNC, &sync);
}

#endif
