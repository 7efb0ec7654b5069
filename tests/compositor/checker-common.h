/* SPDX-License-Identifier: MIT */
/*
 * What the host checkers of suite compositor (frame-checker, output-checker)
 * share: their log, their clock, and reading a guest buffer's pixels through
 * an imported, mapped dmabuf.
 */
#ifndef CHECKER_COMMON_H
#define CHECKER_COMMON_H

#include <drm_fourcc.h>
#include <errno.h>
#include <linux/dma-buf.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <vdmabuf.h>

#include "frame-pattern.h"

/* A line to stdout and, if log, to log too. */
__attribute__((format(printf, 2, 3)))
static inline void checker_say(FILE *log, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vprintf(fmt, args);
	va_end(args);
	putchar('\n');
	fflush(stdout);
	if (log) {
		va_start(args, fmt);
		vfprintf(log, fmt, args);
		va_end(args);
		fputc('\n', log);
		fflush(log);
	}
}

static inline uint64_t checker_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static inline void checker_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync sync = { .flags = flags };

	while (ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync) < 0 && (errno == EINTR || errno == EAGAIN))
		;
}

/*
 * Imports id and maps it to read: its fd, or -errno of the import, or
 * -EPROTO when it is not a 32-bit RGB buffer its size holds (desc says
 * what it is), or -errno of mmap.
 */
static inline int checker_import(struct vdmabuf_consumer *consumer, const struct vdmabuf_id *id,
				 struct vdmabuf_buffer_desc *desc, uint64_t *size,
				 uint32_t **map)
{
	int fd, err;

	fd = vdmabuf_consumer_import(consumer, id, desc, size);
	if (fd < 0)
		return fd;
	if ((desc->fourcc != DRM_FORMAT_XRGB8888 && desc->fourcc != DRM_FORMAT_ARGB8888) ||
	    desc->planes[0].offset + (uint64_t)desc->planes[0].stride * desc->height > *size ||
	    desc->planes[0].stride < desc->width * 4) {
		close(fd);
		return -EPROTO;
	}
	*map = mmap(NULL, *size, PROT_READ, MAP_SHARED, fd, 0);
	if (*map == MAP_FAILED) {
		err = -errno;
		*map = NULL;
		close(fd);
		return err;
	}
	return fd;
}

/* Counts the pixels of a mapped buffer that are not its frame's; fills n and the drawn size. */
static inline size_t checker_check_pixels(int fd, const uint32_t *map,
					  const struct vdmabuf_buffer_desc *desc,
					  uint32_t *n, uint32_t *w, uint32_t *h)
{
	size_t bad;

	*n = *w = *h = 0;	/* a buffer too small for the pattern has none */
	checker_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	bad = frame_pattern_check((const uint32_t *)((const uint8_t *)map + desc->planes[0].offset),
				  desc->planes[0].stride, desc->width, desc->height, n, w, h);
	checker_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	return bad;
}

#endif /* CHECKER_COMMON_H */
