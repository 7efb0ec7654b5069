// SPDX-License-Identifier: MIT
/*
 * Page-backed dmabufs for guests without a GPU: the pixman renderer draws
 * through a CPU mapping and the device shares the very same pages. From
 * udmabuf (a sealed memfd) when /dev/udmabuf exists, else from the
 * DMA-BUF system heap.
 */
#include <drm_fourcc.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <wlr/interfaces/wlr_buffer.h>
#include <wlr/render/allocator.h>
#include <wlr/render/drm_format_set.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/util/log.h>

#include "wlr-vdmabuf.h"

struct page_allocator {
	struct wlr_allocator base;
	int udmabuf_fd;			/* /dev/udmabuf, or -1 */
	int heap_fd;			/* /dev/dma_heap/system, or -1 */
};

struct page_buffer {
	struct wlr_buffer base;
	struct wlr_dmabuf_attributes dmabuf;
	void *data;
	size_t size;
};

static bool format_supported(const struct wlr_drm_format *format)
{
	bool modifier_ok = format->len == 0;

	switch (format->format) {
	case DRM_FORMAT_XRGB8888:
	case DRM_FORMAT_ARGB8888:
	case DRM_FORMAT_XBGR8888:
	case DRM_FORMAT_ABGR8888:
		break;
	default:
		return false;
	}
	for (size_t i = 0; i < format->len; i++)
		if (format->modifiers[i] == DRM_FORMAT_MOD_LINEAR ||
		    format->modifiers[i] == DRM_FORMAT_MOD_INVALID)
			modifier_ok = true;
	return modifier_ok;
}

static int sync_access(int fd, uint64_t flags)
{
	struct dma_buf_sync sync = { .flags = flags };
	int ret;

	do {
		ret = ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
	} while (ret < 0 && (errno == EINTR || errno == EAGAIN));
	return ret;
}

static struct page_buffer *buffer_from_wlr(struct wlr_buffer *wlr_buffer)
{
	return wl_container_of(wlr_buffer, (struct page_buffer *)NULL, base);
}

static void buffer_destroy(struct wlr_buffer *wlr_buffer)
{
	struct page_buffer *buffer = buffer_from_wlr(wlr_buffer);

	munmap(buffer->data, buffer->size);
	close(buffer->dmabuf.fd[0]);
	free(buffer);
}

static bool buffer_get_dmabuf(struct wlr_buffer *wlr_buffer,
			      struct wlr_dmabuf_attributes *attribs)
{
	*attribs = buffer_from_wlr(wlr_buffer)->dmabuf;
	return true;
}

static bool buffer_begin_data_ptr_access(struct wlr_buffer *wlr_buffer, uint32_t flags,
					 void **data, uint32_t *format, size_t *stride)
{
	struct page_buffer *buffer = buffer_from_wlr(wlr_buffer);
	uint64_t sync = DMA_BUF_SYNC_START;

	if (flags & WLR_BUFFER_DATA_PTR_ACCESS_READ)
		sync |= DMA_BUF_SYNC_READ;
	if (flags & WLR_BUFFER_DATA_PTR_ACCESS_WRITE)
		sync |= DMA_BUF_SYNC_WRITE;
	if (sync_access(buffer->dmabuf.fd[0], sync) < 0)
		return false;
	*data = buffer->data;
	*format = buffer->dmabuf.format;
	*stride = buffer->dmabuf.stride[0];
	return true;
}

static void buffer_end_data_ptr_access(struct wlr_buffer *wlr_buffer)
{
	struct page_buffer *buffer = buffer_from_wlr(wlr_buffer);

	sync_access(buffer->dmabuf.fd[0], DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
}

static const struct wlr_buffer_impl buffer_impl = {
	.destroy = buffer_destroy,
	.get_dmabuf = buffer_get_dmabuf,
	.begin_data_ptr_access = buffer_begin_data_ptr_access,
	.end_data_ptr_access = buffer_end_data_ptr_access,
};

/* A dmabuf of size bytes; its CPU mapping in *data. */
static int alloc_pages(struct page_allocator *alloc, size_t size, void **data)
{
	int fd;

	if (alloc->udmabuf_fd >= 0) {
		struct udmabuf_create create = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = size };
		int memfd = memfd_create("vdmabuf-output", MFD_CLOEXEC | MFD_ALLOW_SEALING);

		if (memfd < 0)
			return -1;
		if (ftruncate(memfd, size) < 0 ||
		    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0) {
			close(memfd);
			return -1;
		}
		create.memfd = memfd;
		fd = ioctl(alloc->udmabuf_fd, UDMABUF_CREATE, &create);
		if (fd >= 0)
			*data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
		close(memfd);
	} else {
		struct dma_heap_allocation_data heap = {
			.len = size, .fd_flags = O_RDWR | O_CLOEXEC,
		};

		if (ioctl(alloc->heap_fd, DMA_HEAP_IOCTL_ALLOC, &heap) < 0)
			return -1;
		fd = heap.fd;
		*data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	}
	if (fd >= 0 && *data == MAP_FAILED) {
		close(fd);
		return -1;
	}
	return fd;
}

static struct wlr_buffer *allocator_create_buffer(struct wlr_allocator *wlr_alloc,
						  int width, int height,
						  const struct wlr_drm_format *format)
{
	struct page_allocator *alloc = wl_container_of(wlr_alloc, alloc, base);
	struct page_buffer *buffer;
	uint32_t stride = (uint32_t)width * 4;
	int fd;

	if (!format_supported(format)) {
		wlr_log(WLR_ERROR, "vdmabuf: format %#x not supported by page buffers",
			format->format);
		return NULL;
	}
	buffer = calloc(1, sizeof(*buffer));
	if (!buffer)
		return NULL;
	buffer->size = ((size_t)stride * height + 4095) & ~(size_t)4095;
	fd = alloc_pages(alloc, buffer->size, &buffer->data);
	if (fd < 0) {
		wlr_log_errno(WLR_ERROR, "vdmabuf: allocating a %dx%d buffer", width, height);
		free(buffer);
		return NULL;
	}
	wlr_buffer_init(&buffer->base, &buffer_impl, width, height);
	buffer->dmabuf = (struct wlr_dmabuf_attributes){
		.width = width,
		.height = height,
		.format = format->format,
		.modifier = DRM_FORMAT_MOD_LINEAR,
		.n_planes = 1,
		.stride = { stride },
		.fd = { fd, -1, -1, -1 },
	};
	return &buffer->base;
}

static void allocator_destroy(struct wlr_allocator *wlr_alloc)
{
	struct page_allocator *alloc = wl_container_of(wlr_alloc, alloc, base);

	if (alloc->udmabuf_fd >= 0)
		close(alloc->udmabuf_fd);
	if (alloc->heap_fd >= 0)
		close(alloc->heap_fd);
	free(alloc);
}

static const struct wlr_allocator_interface allocator_impl = {
	.create_buffer = allocator_create_buffer,
	.destroy = allocator_destroy,
};

static struct wlr_allocator *page_allocator_create(void)
{
	struct page_allocator *alloc = calloc(1, sizeof(*alloc));

	if (!alloc)
		return NULL;
	alloc->heap_fd = -1;
	alloc->udmabuf_fd = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (alloc->udmabuf_fd < 0)
		alloc->heap_fd = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);
	if (alloc->udmabuf_fd < 0 && alloc->heap_fd < 0) {
		wlr_log(WLR_ERROR, "vdmabuf: neither /dev/udmabuf nor /dev/dma_heap/system: "
			"no page-backed buffers (modprobe udmabuf)");
		free(alloc);
		return NULL;
	}
	wlr_log(WLR_INFO, "vdmabuf: output buffers from %s",
		alloc->udmabuf_fd >= 0 ? "udmabuf" : "the system DMA-BUF heap");
	wlr_allocator_init(&alloc->base, &allocator_impl,
			   WLR_BUFFER_CAP_DMABUF | WLR_BUFFER_CAP_DATA_PTR);
	return &alloc->base;
}

struct wlr_allocator *wlr_vdmabuf_allocator_create(struct wlr_backend *backend,
						   struct wlr_renderer *renderer)
{
	if (wlr_renderer_get_drm_fd(renderer) >= 0)
		return wlr_allocator_autocreate(backend, renderer);
	return page_allocator_create();
}
