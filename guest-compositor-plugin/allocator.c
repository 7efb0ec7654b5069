// SPDX-License-Identifier: MIT
/*
 * The output's buffers, dmabufs the device can share.
 *
 * GBM buffers when the renderer has a DRM device (a GPU, or Mesa's
 * software driver on a virtio-gpu without 3D): allocated on the
 * renderer's node, else on its primary node when the render node cannot
 * allocate (a software driver's dumb buffers, which the kernel refuses
 * on render nodes).
 *
 * Page-backed dmabufs for guests without a GPU: the pixman renderer draws
 * through a CPU mapping and the device shares the very same pages. From
 * udmabuf (a sealed memfd) when /dev/udmabuf exists, else from the
 * DMA-BUF system heap.
 */
#include <drm_fourcc.h>
#include <errno.h>
#include <fcntl.h>
#include <gbm.h>
#include <inttypes.h>
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
#include <xf86drm.h>

#include "backend.h"

struct gbm_allocator {
	struct wlr_allocator base;
	int fd;				/* the DRM node GBM allocates on */
	char *node;			/* its path */
	struct gbm_device *gbm;
	struct wl_list buffers;		/* gbm_buffer.link */
};

struct gbm_buffer {
	struct wlr_buffer base;
	struct gbm_bo *bo;		/* NULL once the allocator is gone */
	struct wlr_dmabuf_attributes dmabuf;
	struct wl_list link;		/* gbm_allocator.buffers */
};

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

static const struct wlr_buffer_impl page_buffer_impl = {
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
	wlr_buffer_init(&buffer->base, &page_buffer_impl, width, height);
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

static const struct wlr_allocator_interface page_allocator_impl = {
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
	wlr_allocator_init(&alloc->base, &page_allocator_impl,
			   WLR_BUFFER_CAP_DMABUF | WLR_BUFFER_CAP_DATA_PTR);
	return &alloc->base;
}

/* GBM buffers */

static void gbm_buffer_destroy(struct wlr_buffer *wlr_buffer)
{
	struct gbm_buffer *buffer = wl_container_of(wlr_buffer, buffer, base);

	/* Planes of one dmabuf share its fd: close each fd once. */
	for (int i = 0; i < buffer->dmabuf.n_planes; i++)
		if (i == 0 || buffer->dmabuf.fd[i] != buffer->dmabuf.fd[0])
			close(buffer->dmabuf.fd[i]);
	if (buffer->bo)
		gbm_bo_destroy(buffer->bo);
	wl_list_remove(&buffer->link);
	free(buffer);
}

static bool gbm_buffer_get_dmabuf(struct wlr_buffer *wlr_buffer,
				  struct wlr_dmabuf_attributes *attribs)
{
	struct gbm_buffer *buffer = wl_container_of(wlr_buffer, buffer, base);

	*attribs = buffer->dmabuf;
	return true;
}

static const struct wlr_buffer_impl gbm_buffer_impl = {
	.destroy = gbm_buffer_destroy,
	.get_dmabuf = gbm_buffer_get_dmabuf,
};

/*
 * The bo's planes as dmabuf attributes: a plane in the same GEM object as
 * the first shares its fd (the device takes one dmabuf per buffer).
 */
static bool export_bo(struct gbm_bo *bo, bool linear, struct wlr_dmabuf_attributes *attr)
{
	int n_planes = gbm_bo_get_plane_count(bo);
	uint32_t handle0 = gbm_bo_get_handle_for_plane(bo, 0).u32;

	if (n_planes <= 0 || n_planes > WLR_DMABUF_MAX_PLANES)
		return false;
	*attr = (struct wlr_dmabuf_attributes){
		.width = gbm_bo_get_width(bo),
		.height = gbm_bo_get_height(bo),
		.format = gbm_bo_get_format(bo),
		.modifier = gbm_bo_get_modifier(bo),
		.n_planes = n_planes,
	};
	/* Asked for linear without modifiers: what GBM made is linear. */
	if (linear && attr->modifier == DRM_FORMAT_MOD_INVALID)
		attr->modifier = DRM_FORMAT_MOD_LINEAR;
	for (int i = 0; i < n_planes; i++) {
		attr->offset[i] = gbm_bo_get_offset(bo, i);
		attr->stride[i] = gbm_bo_get_stride_for_plane(bo, i);
		if (i > 0 && gbm_bo_get_handle_for_plane(bo, i).u32 == handle0) {
			attr->fd[i] = attr->fd[0];
			continue;
		}
		attr->fd[i] = gbm_bo_get_fd_for_plane(bo, i);
		if (attr->fd[i] < 0) {
			for (int j = 0; j < i; j++)
				if (j == 0 || attr->fd[j] != attr->fd[0])
					close(attr->fd[j]);
			return false;
		}
	}
	return true;
}

/*
 * With explicit modifiers (a GPU's tiled layouts) GBM picks among them;
 * with none, or only LINEAR and INVALID, the buffer is linear.
 */
static struct gbm_bo *create_bo(struct gbm_device *gbm, int width, int height,
				const struct wlr_drm_format *format, bool *linear)
{
	uint64_t *modifiers;
	struct gbm_bo *bo;
	unsigned int n = 0;

	*linear = true;
	for (size_t i = 0; i < format->len; i++)
		if (format->modifiers[i] != DRM_FORMAT_MOD_INVALID &&
		    format->modifiers[i] != DRM_FORMAT_MOD_LINEAR)
			*linear = false;
	if (*linear)
		return gbm_bo_create(gbm, width, height, format->format,
				     GBM_BO_USE_RENDERING | GBM_BO_USE_LINEAR);
	modifiers = calloc(format->len, sizeof(*modifiers));
	if (!modifiers)
		return NULL;
	for (size_t i = 0; i < format->len; i++)
		if (format->modifiers[i] != DRM_FORMAT_MOD_INVALID)
			modifiers[n++] = format->modifiers[i];
	bo = gbm_bo_create_with_modifiers2(gbm, width, height, format->format, modifiers, n,
					   GBM_BO_USE_RENDERING);
	free(modifiers);
	return bo;
}

static struct wlr_buffer *gbm_allocator_create_buffer(struct wlr_allocator *wlr_alloc,
						      int width, int height,
						      const struct wlr_drm_format *format)
{
	struct gbm_allocator *alloc = wl_container_of(wlr_alloc, alloc, base);
	struct gbm_buffer *buffer;
	struct gbm_bo *bo;
	bool linear;

	bo = create_bo(alloc->gbm, width, height, format, &linear);
	if (!bo) {
		wlr_log_errno(WLR_ERROR, "vdmabuf: GBM cannot allocate a %dx%d %#x buffer on %s",
			      width, height, format->format, alloc->node);
		return NULL;
	}
	buffer = calloc(1, sizeof(*buffer));
	if (!buffer || !export_bo(bo, linear, &buffer->dmabuf)) {
		wlr_log(WLR_ERROR, "vdmabuf: cannot export a GBM buffer as a dmabuf");
		free(buffer);
		gbm_bo_destroy(bo);
		return NULL;
	}
	wlr_buffer_init(&buffer->base, &gbm_buffer_impl, width, height);
	buffer->bo = bo;
	wl_list_insert(&alloc->buffers, &buffer->link);
	wlr_log(WLR_DEBUG, "vdmabuf: GBM buffer %dx%d %#x modifier %#" PRIx64 " on %s",
		width, height, format->format, buffer->dmabuf.modifier, alloc->node);
	return &buffer->base;
}

static void gbm_allocator_destroy(struct wlr_allocator *wlr_alloc)
{
	struct gbm_allocator *alloc = wl_container_of(wlr_alloc, alloc, base);
	struct gbm_buffer *buffer, *tmp;

	/* Buffers still locked keep their dmabufs and outlive the device. */
	wl_list_for_each_safe(buffer, tmp, &alloc->buffers, link) {
		gbm_bo_destroy(buffer->bo);
		buffer->bo = NULL;
		wl_list_remove(&buffer->link);
		wl_list_init(&buffer->link);
	}
	gbm_device_destroy(alloc->gbm);
	close(alloc->fd);
	free(alloc->node);
	free(alloc);
}

static const struct wlr_allocator_interface gbm_allocator_impl = {
	.create_buffer = gbm_allocator_create_buffer,
	.destroy = gbm_allocator_destroy,
};

/* GBM on the node at path; NULL if it cannot allocate a small buffer. */
static struct gbm_device *open_gbm(const char *path, int *fd)
{
	struct gbm_device *gbm;
	struct gbm_bo *probe;

	*fd = open(path, O_RDWR | O_CLOEXEC);
	if (*fd < 0) {
		wlr_log_errno(WLR_ERROR, "vdmabuf: cannot open %s", path);
		return NULL;
	}
	gbm = gbm_create_device(*fd);
	probe = gbm ? gbm_bo_create(gbm, 64, 64, DRM_FORMAT_XRGB8888,
				    GBM_BO_USE_RENDERING | GBM_BO_USE_LINEAR) : NULL;
	if (!probe) {
		if (gbm)
			gbm_device_destroy(gbm);
		close(*fd);
		return NULL;
	}
	gbm_bo_destroy(probe);
	return gbm;
}

/*
 * GBM on the renderer's node. A software driver (Mesa's kms_swrast)
 * allocates dumb buffers, which the kernel allows on the device's
 * primary node only: GBM goes there then.
 */
static struct wlr_allocator *gbm_allocator_create(int render_fd)
{
	struct gbm_allocator *alloc = calloc(1, sizeof(*alloc));

	if (!alloc)
		return NULL;
	alloc->node = drmGetDeviceNameFromFd2(render_fd);
	if (alloc->node && (alloc->gbm = open_gbm(alloc->node, &alloc->fd))) {
		wlr_log(WLR_INFO, "vdmabuf: output buffers from GBM on %s", alloc->node);
	} else {
		free(alloc->node);
		alloc->node = drmGetPrimaryDeviceNameFromFd(render_fd);
		if (!alloc->node || !(alloc->gbm = open_gbm(alloc->node, &alloc->fd))) {
			wlr_log(WLR_ERROR, "vdmabuf: GBM cannot allocate on the render node "
				"nor on its primary node %s", alloc->node ? alloc->node : "(none)");
			free(alloc->node);
			free(alloc);
			return NULL;
		}
		wlr_log(WLR_INFO, "vdmabuf: render node cannot allocate (software driver): "
			"GBM on %s", alloc->node);
	}
	wl_list_init(&alloc->buffers);
	wlr_allocator_init(&alloc->base, &gbm_allocator_impl, WLR_BUFFER_CAP_DMABUF);
	return &alloc->base;
}

const char *vdmabuf_buffer_origin(struct wlr_buffer *buffer)
{
	if (buffer->impl == &gbm_buffer_impl)
		return "GBM buffer";
	if (buffer->impl == &page_buffer_impl)
		return "page-backed buffer";
	return "client buffer";
}

/*
 * With a DRM device, always GBM buffers of ours rather than
 * wlr_allocator_autocreate()'s: wlroots' allocates on the render node
 * only, which a software driver cannot, and ours is the same on a GPU.
 * One GBM path, then, the one the lab runs.
 */
struct wlr_allocator *wlr_vdmabuf_allocator_create(struct wlr_backend *backend,
						   struct wlr_renderer *renderer)
{
	int drm_fd = wlr_renderer_get_drm_fd(renderer);

	if (drm_fd >= 0)
		return gbm_allocator_create(drm_fd);
	return page_allocator_create();
}
