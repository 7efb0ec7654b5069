// SPDX-License-Identifier: MIT
/*
 * A guest buffer on the host's screen: imported once, wrapped in one
 * wl_buffer (the dmabuf itself, or, where the host compositor cannot take
 * it, a wl_shm copy), attached each time the guest presents it, and its
 * frame released to the guest when the host compositor lets it go.
 */
#include <drm_fourcc.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/dma-buf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "viewer.h"

static void release_to_guest(struct view_buffer *buffer)
{
	struct viewer *viewer = buffer->viewer;
	char name[VDMABUF_ID_STRLEN];
	int err;

	if (!buffer->owed)
		return;
	buffer->owed = false;
	err = vdmabuf_consumer_release(viewer->consumer, &buffer->id, buffer->frame,
				       buffer->present_ns, buffer->refresh_ns, buffer->flags);
	if (err < 0) {
		fprintf(stderr, "vdmabuf-viewer: release %s: %s\n",
			vdmabuf_id_format(&buffer->id, name), strerror(-err));
		return;
	}
	viewer->stats.releases++;
	if (!buffer->present_ns)
		return;
	viewer->stats.timed_releases++;
	if (viewer->times)
		fprintf(viewer->times, "%" PRIu64 " %" PRIu64 " %" PRIu32 "\n", buffer->frame,
			buffer->present_ns, buffer->refresh_ns);
}

static void handle_wl_buffer_release(void *data, struct wl_buffer *wl_buffer)
{
	struct view_buffer *buffer = data;

	buffer->held = false;
	if (!buffer->awaiting_feedback)
		release_to_guest(buffer);
}

static const struct wl_buffer_listener wl_buffer_listener = {
	.release = handle_wl_buffer_release,
};

/*
 * Presentation feedback of one commit: the frame's time for its release.
 * By id: the buffer may be gone by the time the feedback comes.
 */
struct presented {
	struct viewer *viewer;
	struct vdmabuf_id id;
	uint64_t frame;
};

static void feedback_came(struct view_buffer *buffer)
{
	buffer->awaiting_feedback = false;
	if (!buffer->held)
		release_to_guest(buffer);
}

static void feedback_sync_output(void *data, struct wp_presentation_feedback *feedback,
				 struct wl_output *output)
{
}

static void feedback_presented(void *data, struct wp_presentation_feedback *feedback,
			       uint32_t tv_sec_hi, uint32_t tv_sec_lo, uint32_t tv_nsec,
			       uint32_t refresh, uint32_t seq_hi, uint32_t seq_lo,
			       uint32_t flags)
{
	struct presented *p = data;
	struct viewer *viewer = p->viewer;
	struct view_buffer *buffer = view_buffer_find(viewer, &p->id);

	if (buffer && buffer->owed && buffer->frame == p->frame) {
		buffer->present_ns = presentation_clock_to_monotonic(viewer->presentation_clock,
			((uint64_t)tv_sec_hi << 32 | tv_sec_lo) * 1000000000ull + tv_nsec);
		buffer->refresh_ns = refresh;
		if (refresh)
			viewer->stats.refresh_ns = refresh;
		buffer->flags |= VDMABUF_RELEASE_PRESENTED;
		if (flags & WP_PRESENTATION_FEEDBACK_KIND_VSYNC)
			buffer->flags |= VDMABUF_RELEASE_VSYNC;
		feedback_came(buffer);
	}
	viewer->stats.presented++;
	if (viewer->exit_after && viewer->stats.presented >= viewer->exit_after)
		viewer->quit = true;
	wp_presentation_feedback_destroy(feedback);
	free(p);
}

static void feedback_discarded(void *data, struct wp_presentation_feedback *feedback)
{
	struct presented *p = data;
	struct view_buffer *buffer = view_buffer_find(p->viewer, &p->id);

	if (buffer && buffer->owed && buffer->frame == p->frame)
		feedback_came(buffer);
	wp_presentation_feedback_destroy(feedback);
	free(p);
}

static const struct wp_presentation_feedback_listener feedback_listener = {
	.sync_output = feedback_sync_output,
	.presented = feedback_presented,
	.discarded = feedback_discarded,
};

static int create_shm_file(size_t size)
{
	int fd = memfd_create("vdmabuf-viewer-shm", MFD_CLOEXEC);

	if (fd >= 0 && ftruncate(fd, size) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The explicit, counted fallback: a wl_shm buffer the frames are copied into. */
static bool create_shm_buffer(struct view_buffer *buffer)
{
	struct viewer *viewer = buffer->viewer;
	uint32_t stride = buffer->desc.width * 4;
	size_t size = (size_t)stride * buffer->desc.height;
	struct wl_shm_pool *pool;
	uint32_t shm_format;
	int fd;

	/*
	 * Rows are copied as they lie: only a linear buffer's make a picture,
	 * and the copy is never bigger than the guest's buffer itself.
	 */
	if (buffer->desc.num_planes != 1 || buffer->desc.modifier != DRM_FORMAT_MOD_LINEAR ||
	    (buffer->desc.fourcc != DRM_FORMAT_XRGB8888 &&
	     buffer->desc.fourcc != DRM_FORMAT_ARGB8888) ||
	    (uint64_t)stride * buffer->desc.height > buffer->size)
		return false;
	shm_format = buffer->desc.fourcc == DRM_FORMAT_XRGB8888 ?
		WL_SHM_FORMAT_XRGB8888 : WL_SHM_FORMAT_ARGB8888;
	fd = create_shm_file(size);
	if (fd < 0)
		return false;
	buffer->shm_data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (buffer->shm_data == MAP_FAILED) {
		buffer->shm_data = NULL;
		close(fd);
		return false;
	}
	pool = wl_shm_create_pool(viewer->shm, fd, size);
	buffer->wl_buffer = wl_shm_pool_create_buffer(pool, 0, buffer->desc.width,
						      buffer->desc.height, stride, shm_format);
	wl_shm_pool_destroy(pool);
	close(fd);
	buffer->shm = true;
	viewer->stats.shm_buffers++;
	if (!viewer->shm_warned) {
		fprintf(stderr, "vdmabuf-viewer: warning: %s; showing frames through a "
			"shm copy (counted in bytes_copied)\n", viewer->force_shm ?
			"shm forced" : "the host compositor cannot import these dmabufs");
		viewer->shm_warned = true;
	}
	return true;
}

/* The host compositor's answer to one import: a wl_buffer, or failed. */
struct import_result {
	struct wl_buffer *wl_buffer;
	bool done;
};

static void params_created(void *data, struct zwp_linux_buffer_params_v1 *params,
			   struct wl_buffer *wl_buffer)
{
	struct import_result *result = data;

	result->wl_buffer = wl_buffer;
	result->done = true;
}

static void params_failed(void *data, struct zwp_linux_buffer_params_v1 *params)
{
	struct import_result *result = data;

	result->done = true;
}

static const struct zwp_linux_buffer_params_v1_listener params_listener = {
	.created = params_created,
	.failed = params_failed,
};

/*
 * Asks the host compositor to import the dmabuf and waits for its answer:
 * one that advertises the format may still refuse these pages, and then
 * the shm copy takes over instead of a protocol error ending the viewer.
 */
static bool create_dmabuf_buffer(struct view_buffer *buffer)
{
	struct viewer *viewer = buffer->viewer;
	const struct vdmabuf_buffer_desc *d = &buffer->desc;
	struct zwp_linux_buffer_params_v1 *params;
	struct import_result result = { 0 };

	if (viewer->force_shm || !viewer->dmabuf ||
	    !formats_allow(&viewer->formats, d->fourcc, d->modifier))
		return false;
	params = zwp_linux_dmabuf_v1_create_params(viewer->dmabuf);
	zwp_linux_buffer_params_v1_add_listener(params, &params_listener, &result);
	for (uint32_t i = 0; i < d->num_planes; i++)
		zwp_linux_buffer_params_v1_add(params, buffer->dmabuf_fd, i, d->planes[i].offset,
					       d->planes[i].stride, d->modifier >> 32,
					       d->modifier & 0xffffffff);
	zwp_linux_buffer_params_v1_create(params, d->width, d->height, d->fourcc, 0);
	while (!result.done)
		if (wl_display_roundtrip(viewer->display) < 0)
			break;
	zwp_linux_buffer_params_v1_destroy(params);
	if (!result.wl_buffer) {
		fprintf(stderr, "vdmabuf-viewer: the host compositor refused a %ux%u %.4s dmabuf\n",
			d->width, d->height, (const char *)&d->fourcc);
		return false;
	}
	buffer->wl_buffer = result.wl_buffer;
	viewer->stats.dmabuf_buffers++;
	return true;
}

struct view_buffer *view_buffer_create(struct viewer *viewer, const struct vdmabuf_id *id)
{
	struct view_buffer *buffer = NULL;
	unsigned int slot;
	char name[VDMABUF_ID_STRLEN];
	int fd;

	for (slot = 0; slot < MAX_BUFFERS && viewer->buffers[slot]; slot++)
		;
	if (slot == MAX_BUFFERS) {
		fprintf(stderr, "vdmabuf-viewer: more than %d buffers\n", MAX_BUFFERS);
		return NULL;
	}
	buffer = calloc(1, sizeof(*buffer));
	if (!buffer)
		return NULL;
	buffer->viewer = viewer;
	buffer->id = *id;
	fd = vdmabuf_consumer_import(viewer->consumer, id, &buffer->desc, &buffer->size);
	if (fd < 0) {
		fprintf(stderr, "vdmabuf-viewer: import %s: %s\n",
			vdmabuf_id_format(id, name), strerror(-fd));
		free(buffer);
		return NULL;
	}
	buffer->dmabuf_fd = fd;
	if (!create_dmabuf_buffer(buffer) && !create_shm_buffer(buffer)) {
		fprintf(stderr, "vdmabuf-viewer: %s: format %.4s modifier %#llx cannot be shown\n",
			vdmabuf_id_format(id, name), (const char *)&buffer->desc.fourcc,
			(unsigned long long)buffer->desc.modifier);
		vdmabuf_consumer_drop(viewer->consumer, id);
		close(fd);
		free(buffer);
		return NULL;
	}
	wl_buffer_add_listener(buffer->wl_buffer, &wl_buffer_listener, buffer);
	viewer->buffers[slot] = buffer;
	return buffer;
}

void view_buffer_destroy(struct view_buffer *buffer)
{
	struct viewer *viewer = buffer->viewer;
	struct viewer_window *window;

	wl_list_for_each(window, &viewer->windows, link)
		if (window->pending == buffer)
			window->pending = NULL;

	for (unsigned int i = 0; i < MAX_BUFFERS; i++)
		if (viewer->buffers[i] == buffer)
			viewer->buffers[i] = NULL;
	wl_buffer_destroy(buffer->wl_buffer);
	if (buffer->shm_data)
		munmap(buffer->shm_data, (size_t)buffer->desc.width * 4 * buffer->desc.height);
	vdmabuf_consumer_drop(viewer->consumer, &buffer->id);
	close(buffer->dmabuf_fd);
	free(buffer);
}

struct view_buffer *view_buffer_find(struct viewer *viewer, const struct vdmabuf_id *id)
{
	for (unsigned int i = 0; i < MAX_BUFFERS; i++)
		if (viewer->buffers[i] && vdmabuf_id_equal(&viewer->buffers[i]->id, id))
			return viewer->buffers[i];
	return NULL;
}

static bool copy_to_shm(struct view_buffer *buffer)
{
	const struct vdmabuf_buffer_desc *d = &buffer->desc;
	uint32_t row = d->width * 4;
	struct dma_buf_sync sync = { DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ };
	uint8_t *src;

	if (d->planes[0].offset + (uint64_t)d->planes[0].stride * (d->height - 1) + row >
	    buffer->size)
		return false;
	src = mmap(NULL, buffer->size, PROT_READ, MAP_SHARED, buffer->dmabuf_fd, 0);
	if (src == MAP_FAILED)
		return false;
	ioctl(buffer->dmabuf_fd, DMA_BUF_IOCTL_SYNC, &sync);
	for (uint32_t y = 0; y < d->height; y++)
		memcpy((uint8_t *)buffer->shm_data + (size_t)y * row,
		       src + d->planes[0].offset + (size_t)y * d->planes[0].stride, row);
	sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ;
	ioctl(buffer->dmabuf_fd, DMA_BUF_IOCTL_SYNC, &sync);
	munmap(src, buffer->size);
	buffer->viewer->stats.bytes_copied += (uint64_t)row * d->height;
	return true;
}

void view_buffer_release_unshown(struct view_buffer *buffer, uint64_t frame)
{
	buffer->owed = true;
	buffer->held = false;
	buffer->awaiting_feedback = false;
	buffer->frame = frame;
	buffer->present_ns = 0;
	buffer->refresh_ns = 0;
	buffer->flags = 0;
	release_to_guest(buffer);
}

bool view_buffer_show(struct view_buffer *buffer, struct viewer_window *window, uint64_t frame,
		      const struct vdmabuf_rect *damage, unsigned int num_damage)
{
	struct viewer *viewer = buffer->viewer;
	struct wl_surface *surface = window->surface;
	struct presented *p;

	/*
	 * The guest presents a buffer again only once every release owed came
	 * back: a frame we still count as ours was presented before we had
	 * imported the buffer, and the daemon released it for us.
	 */
	buffer->owed = false;
	if (buffer->shm && !copy_to_shm(buffer))
		return false;
	buffer->owed = true;
	buffer->held = true;
	buffer->awaiting_feedback = false;
	buffer->frame = frame;
	buffer->present_ns = 0;
	buffer->refresh_ns = 0;
	buffer->flags = buffer->shm ? 0 : VDMABUF_RELEASE_ZERO_COPY;

	window_update_viewport(window, buffer);
	wl_surface_attach(surface, buffer->wl_buffer, 0, 0);
	if (num_damage && !buffer->shm) {
		for (unsigned int i = 0; i < num_damage; i++)
			wl_surface_damage_buffer(surface, damage[i].x, damage[i].y,
						 damage[i].width, damage[i].height);
	} else {
		wl_surface_damage_buffer(surface, 0, 0, INT32_MAX, INT32_MAX);
	}
	if (viewer->presentation && (p = calloc(1, sizeof(*p)))) {
		p->viewer = viewer;
		p->id = buffer->id;
		p->frame = frame;
		buffer->awaiting_feedback = true;
		wp_presentation_feedback_add_listener(
			wp_presentation_feedback(viewer->presentation, surface),
			&feedback_listener, p);
	}
	wl_surface_commit(surface);
	viewer->stats.frames++;
	return true;
}

bool view_buffer_show_cursor(struct view_buffer *buffer, struct wl_surface *surface,
			     uint64_t serial)
{
	/*
	 * The same image again under a new serial: the guest is done waiting
	 * for the old one, which the surface keeps showing until the commit.
	 */
	if (buffer->owed && buffer->frame != serial)
		release_to_guest(buffer);
	if (buffer->shm && !copy_to_shm(buffer))
		return false;
	buffer->owed = true;
	buffer->held = true;
	/* No presentation feedback: the cursor plane is shown when attached. */
	buffer->awaiting_feedback = false;
	buffer->frame = serial;
	buffer->present_ns = 0;
	buffer->refresh_ns = 0;
	buffer->flags = VDMABUF_RELEASE_PRESENTED | (buffer->shm ? 0 : VDMABUF_RELEASE_ZERO_COPY);
	wl_surface_attach(surface, buffer->wl_buffer, 0, 0);
	wl_surface_damage_buffer(surface, 0, 0, INT32_MAX, INT32_MAX);
	wl_surface_commit(surface);
	return true;
}
