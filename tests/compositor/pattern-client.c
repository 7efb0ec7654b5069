// SPDX-License-Identifier: MIT
/*
 * pattern-client [--frames N] [--first N] [--log PATH] [--presentation] [--dmabuf [--syncobj]]
 *                [--hidpi]
 * A Wayland client that draws the known frames of frame-pattern.h, one
 * per frame callback, at whatever size the compositor configures. It logs
 * "configure WxH" at each new size. It never draws into a buffer the
 * compositor has not released. Its buffers are wl_shm, or with --dmabuf
 * linear dmabufs of the DRM card's dumb buffers (zwp_linux_dmabuf_v1),
 * which a compositor may scan out as they are. With --syncobj it draws as a GPU
 * client with explicit sync does (linux-drm-syncobj-v1): each frame is
 * committed with an acquire point that has a fence but has not signalled
 * (a vgem fence stands in for the GPU's) and with the buffer still grey;
 * 50 ms later the pattern is drawn and the fence signalled. A buffer is
 * drawn into again only once its release point signalled: one that does
 * not within 5 s ends the client with an error. After SIGUSR1 it draws at
 * half the configured size, as a window that does not fill the output.
 * With --presentation it asks wp_presentation for feedback on each frame
 * and logs "presented NS" (the time it was told, on CLOCK_MONOTONIC).
 * With --first N its frame numbers start after N (one client's frames
 * told from another's, e.g. per output); --frames counts from there.
 * With --hidpi it draws in the output's device pixels, as a HiDPI-aware
 * client does: at wp_fractional_scale_v1's scale through wp_viewporter
 * where the compositor has both, else at the integer wl_output.scale of
 * the outputs it is on (wl_surface.set_buffer_scale); it logs "scale N/120"
 * at each new scale.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/dma-buf.h>
#include <wayland-client.h>

#include "client-dmabuf.h"
#include "fractional-scale-v1-client-protocol.h"
#include "frame-pattern.h"
#include "linux-drm-syncobj-v1-client-protocol.h"
#include "presentation-time-client-protocol.h"
#include "vgem.h"
#include "viewporter-client-protocol.h"
#include "xdg-shell-client-protocol.h"

#define MAX_BUFFERS 4
#define MAX_OUTPUTS 8
#define RENDER_NS 50000000	/* --syncobj: how long a frame "renders" */
#define RELEASE_WAIT_NS 5000000000ll

struct shm_buffer {
	struct wl_buffer *wl_buffer;
	uint32_t *pixels;
	uint32_t stride;
	size_t size;
	int dmabuf;			/* --dmabuf: its dmabuf, else -1 */
	bool busy;
	uint64_t release_point;		/* --syncobj: free once signalled; 0: free */
};

struct client {
	struct wl_display *display;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct zwp_linux_dmabuf_v1 *linux_dmabuf;
	int card;			/* --dmabuf: the DRM card buffers come from, else -1 */
	/* --syncobj: timelines on a DRM node, and vgem's fences as the GPU's. */
	struct wp_linux_drm_syncobj_manager_v1 *syncobj_manager;
	struct wp_linux_drm_syncobj_surface_v1 *syncobj_surface;
	struct wp_linux_drm_syncobj_timeline_v1 *acquire, *release;
	int drm, vgem, vgem_dmabuf;
	uint32_t acquire_handle, release_handle, vgem_handle;
	uint64_t point;			/* the last frame's acquire and release point */
	struct xdg_wm_base *wm_base;
	struct wp_presentation *presentation;	/* --presentation */
	bool presentation_wanted;
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	struct shm_buffer buffers[MAX_BUFFERS];
	/* --hidpi: the scale to draw at, and where it comes from. */
	bool hidpi;
	struct wp_viewporter *viewporter;
	struct wp_viewport *viewport;
	struct wp_fractional_scale_manager_v1 *fractional_manager;
	uint32_t fractional_120;	/* 0: not told */
	struct { struct wl_output *output; int32_t scale; bool entered; } outputs[MAX_OUTPUTS];
	uint32_t scale_120;		/* drawn at; 120: 1 */
	uint32_t width, height;		/* drawing size, in buffer pixels */
	uint32_t pending_width, pending_height;
	bool configured;
	bool waiting_frame;
	uint32_t frame;
	uint32_t max_frames;
	FILE *log;
	bool done;
};

__attribute__((format(printf, 2, 3)))
static void say(struct client *c, const char *fmt, ...)
{
	va_list args;

	if (!c->log)
		return;
	va_start(args, fmt);
	vfprintf(c->log, fmt, args);
	va_end(args);
	fputc('\n', c->log);
	fflush(c->log);
}

static void die(const char *what)
{
	fprintf(stderr, "pattern-client: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void buffer_release(void *data, struct wl_buffer *wl_buffer)
{
	struct shm_buffer *buffer = data;

	buffer->busy = false;
}

static const struct wl_buffer_listener buffer_listener = {
	.release = buffer_release,
};

static void buffer_free(struct shm_buffer *buffer)
{
	if (!buffer->wl_buffer)
		return;
	wl_buffer_destroy(buffer->wl_buffer);
	munmap(buffer->pixels, buffer->size);
	if (buffer->dmabuf >= 0)
		close(buffer->dmabuf);
	*buffer = (struct shm_buffer){ .dmabuf = -1 };
}

/* CPU access to a dmabuf's pages is bracketed. */
static void buffer_sync(struct shm_buffer *buffer, uint64_t flags)
{
	if (buffer->dmabuf >= 0 && client_dmabuf_sync(buffer->dmabuf, flags) < 0)
		die("DMA_BUF_IOCTL_SYNC");
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* Whether point of the release timeline signalled, waiting until deadline. */
static bool release_signalled(struct client *c, uint64_t point, int64_t deadline)
{
	return !drmSyncobjTimelineWait(c->drm, &c->release_handle, &point, 1, deadline,
				       DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT, NULL);
}

static struct shm_buffer *buffer_create(struct client *c, struct shm_buffer *buffer)
{
	struct wl_shm_pool *pool;
	void *map;
	int fd;

	if (c->card >= 0) {
		buffer->dmabuf = client_dmabuf_create(c->card, c->width, c->height,
						      &buffer->stride, &map, &buffer->size);
		if (buffer->dmabuf < 0)
			die("dumb buffer");
		buffer->pixels = map;
		buffer->wl_buffer = client_dmabuf_wl_buffer(c->linux_dmabuf, buffer->dmabuf,
							    c->width, c->height, buffer->stride);
		wl_buffer_add_listener(buffer->wl_buffer, &buffer_listener, buffer);
		return buffer;
	}
	buffer->dmabuf = -1;
	buffer->stride = c->width * 4;
	buffer->size = (size_t)buffer->stride * c->height;
	fd = memfd_create("pattern-client", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, buffer->size) < 0)
		die("memfd");
	buffer->pixels = mmap(NULL, buffer->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (buffer->pixels == MAP_FAILED)
		die("mmap");
	pool = wl_shm_create_pool(c->shm, fd, buffer->size);
	buffer->wl_buffer = wl_shm_pool_create_buffer(pool, 0, c->width, c->height,
						      buffer->stride, WL_SHM_FORMAT_XRGB8888);
	wl_shm_pool_destroy(pool);
	wl_buffer_add_listener(buffer->wl_buffer, &buffer_listener, buffer);
	close(fd);
	return buffer;
}

/* A buffer whose release point signalled; the oldest is waited for. */
static struct shm_buffer *syncobj_buffer_get(struct client *c)
{
	struct shm_buffer *oldest = NULL;

	for (int i = 0; i < MAX_BUFFERS; i++) {
		struct shm_buffer *buffer = &c->buffers[i];

		if (!buffer->wl_buffer)
			return buffer_create(c, buffer);
		if (!buffer->release_point || release_signalled(c, buffer->release_point, 0))
			return buffer;
		if (!oldest || buffer->release_point < oldest->release_point)
			oldest = buffer;
	}
	if (!release_signalled(c, oldest->release_point, now_ns() + RELEASE_WAIT_NS)) {
		fprintf(stderr, "pattern-client: release point %llu never signalled\n",
			(unsigned long long)oldest->release_point);
		exit(1);
	}
	return oldest;
}

static struct shm_buffer *buffer_get(struct client *c)
{
	struct shm_buffer *buffer = NULL;

	if (c->syncobj_surface)
		return syncobj_buffer_get(c);
	for (int i = 0; i < MAX_BUFFERS; i++) {
		if (c->buffers[i].wl_buffer && !c->buffers[i].busy)
			return &c->buffers[i];
		if (!c->buffers[i].wl_buffer && !buffer)
			buffer = &c->buffers[i];
	}
	if (!buffer)
		return NULL;
	return buffer_create(c, buffer);
}

static void draw(struct client *c);

static void frame_done(void *data, struct wl_callback *callback, uint32_t time)
{
	struct client *c = data;

	wl_callback_destroy(callback);
	c->waiting_frame = false;
	if (c->max_frames && c->frame >= c->max_frames) {
		c->done = true;
		return;
	}
	draw(c);
}

static const struct wl_callback_listener frame_listener = {
	.done = frame_done,
};

static void feedback_sync_output(void *data, struct wp_presentation_feedback *feedback,
				 struct wl_output *output)
{
}

static void feedback_presented(void *data, struct wp_presentation_feedback *feedback,
			       uint32_t tv_sec_hi, uint32_t tv_sec_lo, uint32_t tv_nsec,
			       uint32_t refresh, uint32_t seq_hi, uint32_t seq_lo, uint32_t flags)
{
	say(data, "presented %llu", (((unsigned long long)tv_sec_hi << 32) | tv_sec_lo) *
	    1000000000ull + tv_nsec);
	wp_presentation_feedback_destroy(feedback);
}

static void feedback_discarded(void *data, struct wp_presentation_feedback *feedback)
{
	wp_presentation_feedback_destroy(feedback);
}

static const struct wp_presentation_feedback_listener feedback_listener = {
	.sync_output = feedback_sync_output,
	.presented = feedback_presented,
	.discarded = feedback_discarded,
};

static void presentation_clock_id(void *data, struct wp_presentation *presentation,
				  uint32_t clock_id)
{
	if (clock_id != CLOCK_MONOTONIC) {
		fprintf(stderr, "pattern-client: presentation clock %u, not MONOTONIC\n", clock_id);
		exit(1);
	}
}

static const struct wp_presentation_listener presentation_listener = {
	.clock_id = presentation_clock_id,
};

static void commit(struct client *c, struct shm_buffer *buffer)
{
	wl_surface_attach(c->surface, buffer->wl_buffer, 0, 0);
	wl_surface_damage_buffer(c->surface, 0, 0, c->width, c->height);
	wl_callback_add_listener(wl_surface_frame(c->surface), &frame_listener, c);
	c->waiting_frame = true;
	if (c->presentation)
		wp_presentation_feedback_add_listener(
			wp_presentation_feedback(c->presentation, c->surface), &feedback_listener, c);
	wl_surface_commit(c->surface);
}

/* Point of the acquire timeline gets a fence that has not signalled. */
static uint32_t acquire_point_unsignalled(struct client *c, uint64_t point)
{
	struct dma_buf_export_sync_file sync = { .flags = DMA_BUF_SYNC_READ, .fd = -1 };
	uint32_t fence = vgem_fence_attach(c->vgem, c->vgem_handle);
	uint32_t tmp;

	if (!fence || ioctl(c->vgem_dmabuf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &sync) < 0)
		die("vgem fence");
	if (drmSyncobjCreate(c->drm, 0, &tmp) || drmSyncobjImportSyncFile(c->drm, tmp, sync.fd) ||
	    drmSyncobjTransfer(c->drm, c->acquire_handle, point, tmp, 0, 0))
		die("acquire point");
	drmSyncobjDestroy(c->drm, tmp);
	close(sync.fd);
	return fence;
}

/* Commits a frame still "rendering", then finishes it and signals. */
static void syncobj_draw(struct client *c, struct shm_buffer *buffer)
{
	uint64_t point = ++c->point;
	uint32_t fence = acquire_point_unsignalled(c, point);
	struct timespec render = { 0, RENDER_NS };

	buffer_sync(buffer, DMA_BUF_SYNC_START);
	/* Not drawn yet: grey, which no known frame is, nor the black of a mode change. */
	memset(buffer->pixels, 0x7f, buffer->size);
	buffer_sync(buffer, DMA_BUF_SYNC_END);
	wp_linux_drm_syncobj_surface_v1_set_acquire_point(c->syncobj_surface, c->acquire,
							  point >> 32, point & 0xffffffff);
	wp_linux_drm_syncobj_surface_v1_set_release_point(c->syncobj_surface, c->release,
							  point >> 32, point & 0xffffffff);
	buffer->release_point = point;
	commit(c, buffer);
	wl_display_flush(c->display);
	nanosleep(&render, NULL);
	buffer_sync(buffer, DMA_BUF_SYNC_START);
	frame_pattern_fill(buffer->pixels, buffer->stride, c->width, c->height, c->frame);
	buffer_sync(buffer, DMA_BUF_SYNC_END);
	if (vgem_fence_signal(c->vgem, fence))
		die("vgem fence signal");
}

static struct wp_linux_drm_syncobj_timeline_v1 *timeline_create(struct client *c,
								 uint32_t *handle)
{
	struct wp_linux_drm_syncobj_timeline_v1 *timeline;
	int fd;

	if (drmSyncobjCreate(c->drm, 0, handle) || drmSyncobjHandleToFD(c->drm, *handle, &fd))
		die("syncobj");
	timeline = wp_linux_drm_syncobj_manager_v1_import_timeline(c->syncobj_manager, fd);
	close(fd);
	return timeline;
}

static void syncobj_setup(struct client *c)
{
	uint32_t pitch;

	/* A render node with syncobj timelines (not vgem's: it has none). */
	c->drm = client_drm_open("/dev/dri/renderD", 128, DRM_CAP_SYNCOBJ_TIMELINE);
	c->vgem = vgem_open();
	if (c->drm < 0 || c->vgem < 0 || !c->syncobj_manager) {
		fprintf(stderr, "pattern-client: --syncobj needs a node with timelines, vgem "
			"and wp_linux_drm_syncobj_manager_v1\n");
		exit(1);
	}
	if (vgem_create(c->vgem, 1, 1, &c->vgem_handle, &pitch) ||
	    drmPrimeHandleToFD(c->vgem, c->vgem_handle, DRM_CLOEXEC | DRM_RDWR, &c->vgem_dmabuf))
		die("vgem buffer");
	c->acquire = timeline_create(c, &c->acquire_handle);
	c->release = timeline_create(c, &c->release_handle);
	c->syncobj_surface = wp_linux_drm_syncobj_manager_v1_get_surface(c->syncobj_manager,
									 c->surface);
}

static volatile sig_atomic_t windowed;

static void handle_usr1(int sig)
{
	windowed = 1;
}

/* --hidpi: the scale the compositor prefers, as scale * 120. */
static uint32_t preferred_scale(const struct client *c)
{
	int32_t max = 1;

	if (c->fractional_120 && c->viewport)
		return c->fractional_120;
	for (int i = 0; i < MAX_OUTPUTS; i++)
		if (c->outputs[i].output && c->outputs[i].entered && c->outputs[i].scale > max)
			max = c->outputs[i].scale;
	return 120 * max;
}

static void draw(struct client *c)
{
	uint32_t width = windowed ? c->pending_width / 2 : c->pending_width;
	uint32_t height = windowed ? c->pending_height / 2 : c->pending_height;
	uint32_t logical_width = width, logical_height = height;
	uint32_t scale_120 = c->hidpi ? preferred_scale(c) : 120;
	struct shm_buffer *buffer;

	if (c->waiting_frame || !c->configured)
		return;
	if (scale_120 != c->scale_120) {
		say(c, "scale %u/120", scale_120);
		c->scale_120 = scale_120;
		if (!c->viewport)
			wl_surface_set_buffer_scale(c->surface, scale_120 / 120);
	}
	/* Logical size in device pixels, rounded as wp_fractional_scale_v1 says. */
	width = ((uint64_t)width * scale_120 + 60) / 120;
	height = ((uint64_t)height * scale_120 + 60) / 120;
	if (width != c->width || height != c->height) {
		for (int i = 0; i < MAX_BUFFERS; i++)
			buffer_free(&c->buffers[i]);
		if (windowed)
			say(c, "windowed: %ux%u", width, height);
		if (c->viewport)
			wp_viewport_set_destination(c->viewport, logical_width, logical_height);
		c->width = width;
		c->height = height;
	}
	buffer = buffer_get(c);
	if (!buffer)
		return;		/* all held: a release will come, then a frame */
	c->frame++;
	if (c->syncobj_surface) {
		syncobj_draw(c, buffer);
	} else {
		buffer_sync(buffer, DMA_BUF_SYNC_START);
		frame_pattern_fill(buffer->pixels, buffer->stride, c->width, c->height, c->frame);
		buffer_sync(buffer, DMA_BUF_SYNC_END);
		buffer->busy = true;
		commit(c, buffer);
	}
	if (c->frame % 100 == 0)
		say(c, "frame %u", c->frame);
}

static void xdg_surface_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial)
{
	struct client *c = data;

	xdg_surface_ack_configure(xdg_surface, serial);
	c->configured = true;
	draw(c);
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = xdg_surface_configure,
};

static void toplevel_configure(void *data, struct xdg_toplevel *toplevel, int32_t width,
			       int32_t height, struct wl_array *states)
{
	struct client *c = data;
	uint32_t w = width > 0 ? width : 640, h = height > 0 ? height : 480;

	if (w != c->pending_width || h != c->pending_height)
		say(c, "configure %ux%u", w, h);
	c->pending_width = w;
	c->pending_height = h;
}

static void toplevel_close(void *data, struct xdg_toplevel *toplevel)
{
	((struct client *)data)->done = true;
}

static void toplevel_configure_bounds(void *data, struct xdg_toplevel *toplevel,
				      int32_t width, int32_t height)
{
}

static void toplevel_wm_capabilities(void *data, struct xdg_toplevel *toplevel,
				     struct wl_array *capabilities)
{
}

static const struct xdg_toplevel_listener toplevel_listener = {
	.configure = toplevel_configure,
	.close = toplevel_close,
	.configure_bounds = toplevel_configure_bounds,
	.wm_capabilities = toplevel_wm_capabilities,
};

static void wm_base_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial)
{
	xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = {
	.ping = wm_base_ping,
};

static void fractional_preferred_scale(void *data, struct wp_fractional_scale_v1 *fractional,
				       uint32_t scale)
{
	((struct client *)data)->fractional_120 = scale;
}

static const struct wp_fractional_scale_v1_listener fractional_listener = {
	.preferred_scale = fractional_preferred_scale,
};

static void output_geometry(void *data, struct wl_output *output, int32_t x, int32_t y,
			    int32_t physical_width, int32_t physical_height, int32_t subpixel,
			    const char *make, const char *model, int32_t transform)
{
}

static void output_mode(void *data, struct wl_output *output, uint32_t flags, int32_t width,
			int32_t height, int32_t refresh)
{
}

static void output_done(void *data, struct wl_output *output)
{
}

static void output_scale(void *data, struct wl_output *output, int32_t factor)
{
	struct client *c = data;

	for (int i = 0; i < MAX_OUTPUTS; i++)
		if (c->outputs[i].output == output)
			c->outputs[i].scale = factor;
}

static const struct wl_output_listener output_listener = {
	.geometry = output_geometry,
	.mode = output_mode,
	.done = output_done,
	.scale = output_scale,
};

static void surface_enter_leave(struct client *c, struct wl_output *output, bool entered)
{
	for (int i = 0; i < MAX_OUTPUTS; i++)
		if (output && c->outputs[i].output == output)
			c->outputs[i].entered = entered;
}

static void surface_enter(void *data, struct wl_surface *surface, struct wl_output *output)
{
	surface_enter_leave(data, output, true);
}

static void surface_leave(void *data, struct wl_surface *surface, struct wl_output *output)
{
	surface_enter_leave(data, output, false);
}

static const struct wl_surface_listener surface_listener = {
	.enter = surface_enter,
	.leave = surface_leave,
};

/* --hidpi: what tells the scale. */
static bool hidpi_global(struct client *c, struct wl_registry *registry, uint32_t name,
			 const char *interface)
{
	if (strcmp(interface, wp_viewporter_interface.name) == 0) {
		c->viewporter = wl_registry_bind(registry, name, &wp_viewporter_interface, 1);
	} else if (strcmp(interface, wp_fractional_scale_manager_v1_interface.name) == 0) {
		c->fractional_manager = wl_registry_bind(
			registry, name, &wp_fractional_scale_manager_v1_interface, 1);
	} else if (strcmp(interface, wl_output_interface.name) == 0) {
		for (int i = 0; i < MAX_OUTPUTS; i++) {
			if (c->outputs[i].output)
				continue;
			c->outputs[i].scale = 1;
			c->outputs[i].output = wl_registry_bind(registry, name,
								&wl_output_interface, 2);
			wl_output_add_listener(c->outputs[i].output, &output_listener, c);
			break;
		}
	} else {
		return false;
	}
	return true;
}

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
			    const char *interface, uint32_t version)
{
	struct client *c = data;

	if (c->hidpi && hidpi_global(c, registry, name, interface))
		return;
	if (strcmp(interface, wl_compositor_interface.name) == 0)
		c->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	else if (strcmp(interface, wl_shm_interface.name) == 0)
		c->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	else if (strcmp(interface, zwp_linux_dmabuf_v1_interface.name) == 0 && version >= 3)
		c->linux_dmabuf = wl_registry_bind(registry, name, &zwp_linux_dmabuf_v1_interface, 3);
	else if (strcmp(interface, wp_linux_drm_syncobj_manager_v1_interface.name) == 0)
		c->syncobj_manager = wl_registry_bind(registry, name,
						      &wp_linux_drm_syncobj_manager_v1_interface, 1);
	else if (strcmp(interface, wp_presentation_interface.name) == 0 &&
		 c->presentation_wanted) {
		c->presentation = wl_registry_bind(registry, name, &wp_presentation_interface, 1);
		wp_presentation_add_listener(c->presentation, &presentation_listener, c);
	} else if (strcmp(interface, xdg_wm_base_interface.name) == 0) {
		c->wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface,
					      version < 5 ? version : 5);
		xdg_wm_base_add_listener(c->wm_base, &wm_base_listener, c);
	}
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "frames", required_argument, NULL, 'f' },
		{ "first", required_argument, NULL, 'F' },
		{ "log", required_argument, NULL, 'l' },
		{ "presentation", no_argument, NULL, 'p' },
		{ "dmabuf", no_argument, NULL, 'd' },
		{ "syncobj", no_argument, NULL, 'x' },
		{ "hidpi", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct client c = { .card = -1 };
	bool dmabuf = false, syncobj = false;
	uint32_t first = 0;
	int opt;

	while ((opt = getopt_long(argc, argv, "f:F:l:pdxsh", options, NULL)) != -1) {
		switch (opt) {
		case 'f':
			c.max_frames = strtoul(optarg, NULL, 10);
			break;
		case 'F':
			first = strtoul(optarg, NULL, 10);
			break;
		case 'l':
			c.log = fopen(optarg, "a");
			if (!c.log)
				die(optarg);
			break;
		case 'p':
			c.presentation_wanted = true;
			break;
		case 'd':
			dmabuf = true;
			break;
		case 'x':
			syncobj = dmabuf = true;
			break;
		case 's':
			c.hidpi = true;
			break;
		case 'h':
			printf("Usage: %s [--frames N] [--first N] [--log PATH] [--presentation] "
			       "[--dmabuf [--syncobj]] [--hidpi]\n",
			       argv[0]);
			return 0;
		default:
			return 2;
		}
	}
	/* libwayland's poll carries on through the signal. */
	signal(SIGUSR1, handle_usr1);
	c.frame = first;
	if (c.max_frames)
		c.max_frames += first;
	c.display = wl_display_connect(NULL);
	if (!c.display)
		die("wl_display_connect");
	wl_registry_add_listener(wl_display_get_registry(c.display), &registry_listener, &c);
	wl_display_roundtrip(c.display);
	if (!c.compositor || !c.shm || !c.wm_base || (dmabuf && !c.linux_dmabuf) ||
	    (c.presentation_wanted && !c.presentation)) {
		fprintf(stderr, "pattern-client: missing globals\n");
		return 1;
	}
	if (dmabuf && (c.card = client_dmabuf_open_card()) < 0)
		die("no DRM card with dumb buffers");
	say(&c, "buffers: %s%s", dmabuf ? "dmabuf" : "shm", syncobj ? ", explicit sync" : "");
	c.surface = wl_compositor_create_surface(c.compositor);
	c.scale_120 = 120;
	if (c.hidpi) {
		wl_surface_add_listener(c.surface, &surface_listener, &c);
		if (c.viewporter && c.fractional_manager) {
			struct wp_fractional_scale_v1 *fractional =
				wp_fractional_scale_manager_v1_get_fractional_scale(
					c.fractional_manager, c.surface);

			wp_fractional_scale_v1_add_listener(fractional, &fractional_listener, &c);
			c.viewport = wp_viewporter_get_viewport(c.viewporter, c.surface);
		}
	}
	if (syncobj)
		syncobj_setup(&c);
	c.xdg_surface = xdg_wm_base_get_xdg_surface(c.wm_base, c.surface);
	xdg_surface_add_listener(c.xdg_surface, &xdg_surface_listener, &c);
	c.toplevel = xdg_surface_get_toplevel(c.xdg_surface);
	xdg_toplevel_add_listener(c.toplevel, &toplevel_listener, &c);
	xdg_toplevel_set_title(c.toplevel, "pattern-client");
	wl_surface_commit(c.surface);
	while (!c.done) {
		if (wl_display_dispatch(c.display) < 0) {
			fprintf(stderr, "pattern-client: display lost\n");
			return 1;
		}
		/* A release may have freed a buffer a frame callback wanted. */
		if (!c.waiting_frame)
			draw(&c);
	}
	say(&c, "done after %u frames", c.frame);
	return 0;
}
