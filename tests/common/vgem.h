/* SPDX-License-Identifier: MIT */
/*
 * vgem as a stand-in GPU for tests: buffers of guest pages and write
 * fences that only the test signals (or vgem's own 10 s timer).
 */
#ifndef VDMABUF_TEST_VGEM_H
#define VDMABUF_TEST_VGEM_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <drm/drm.h>
#include <drm/vgem_drm.h>
#include <xf86drm.h>

/* vgem's card node, or -1. */
static inline int vgem_open(void)
{
	char path[32];

	for (int i = 0; i < 16; i++) {
		drmVersionPtr v;
		int fd;

		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		v = drmGetVersion(fd);
		if (v && !strcmp(v->name, "vgem")) {
			drmFreeVersion(v);
			return fd;
		}
		drmFreeVersion(v);
		close(fd);
	}
	return -1;
}

/* A width x height 32-bit buffer: its handle and pitch; -errno on failure. */
static inline int vgem_create(int vgem, uint32_t width, uint32_t height, uint32_t *handle,
			      uint32_t *pitch)
{
	struct drm_mode_create_dumb create = { .width = width, .height = height, .bpp = 32 };

	if (drmIoctl(vgem, DRM_IOCTL_MODE_CREATE_DUMB, &create))
		return -1;
	*handle = create.handle;
	*pitch = create.pitch;
	return 0;
}

/* An unsignalled write fence on handle's buffer; 0 on failure (errno). */
static inline uint32_t vgem_fence_attach(int vgem, uint32_t handle)
{
	struct drm_vgem_fence_attach attach = { .handle = handle, .flags = VGEM_FENCE_WRITE };

	return drmIoctl(vgem, DRM_IOCTL_VGEM_FENCE_ATTACH, &attach) ? 0 : attach.out_fence;
}

static inline int vgem_fence_signal(int vgem, uint32_t fence)
{
	struct drm_vgem_fence_signal signal = { .fence = fence };

	return drmIoctl(vgem, DRM_IOCTL_VGEM_FENCE_SIGNAL, &signal);
}

#endif
