// SPDX-License-Identifier: MIT
/*
 * pattern-client [--frames N] [--log PATH]
 * A Wayland client that draws the known frames of frame-pattern.h, one
 * per frame callback, at whatever size the compositor configures. It logs
 * "configure WxH" at each new size. It never draws into a buffer the
 * compositor has not released.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <wayland-client.h>

#include "frame-pattern.h"
#include "xdg-shell-client-protocol.h"

#define MAX_BUFFERS 4

struct shm_buffer {
	struct wl_buffer *wl_buffer;
	uint32_t *pixels;
	size_t size;
	bool busy;
};

struct client {
	struct wl_display *display;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	struct shm_buffer buffers[MAX_BUFFERS];
	uint32_t width, height;		/* drawing size */
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
	*buffer = (struct shm_buffer){ 0 };
}

static struct shm_buffer *buffer_get(struct client *c)
{
	struct shm_buffer *buffer = NULL;
	struct wl_shm_pool *pool;
	int fd;

	for (int i = 0; i < MAX_BUFFERS; i++) {
		if (c->buffers[i].wl_buffer && !c->buffers[i].busy)
			return &c->buffers[i];
		if (!c->buffers[i].wl_buffer && !buffer)
			buffer = &c->buffers[i];
	}
	if (!buffer)
		return NULL;
	buffer->size = (size_t)c->width * 4 * c->height;
	fd = memfd_create("pattern-client", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, buffer->size) < 0)
		die("memfd");
	buffer->pixels = mmap(NULL, buffer->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (buffer->pixels == MAP_FAILED)
		die("mmap");
	pool = wl_shm_create_pool(c->shm, fd, buffer->size);
	buffer->wl_buffer = wl_shm_pool_create_buffer(pool, 0, c->width, c->height,
						      c->width * 4, WL_SHM_FORMAT_XRGB8888);
	wl_buffer_add_listener(buffer->wl_buffer, &buffer_listener, buffer);
	wl_shm_pool_destroy(pool);
	close(fd);
	return buffer;
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

static void draw(struct client *c)
{
	struct shm_buffer *buffer;

	if (c->waiting_frame || !c->configured)
		return;
	if (c->pending_width != c->width || c->pending_height != c->height) {
		for (int i = 0; i < MAX_BUFFERS; i++)
			buffer_free(&c->buffers[i]);
		c->width = c->pending_width;
		c->height = c->pending_height;
	}
	buffer = buffer_get(c);
	if (!buffer)
		return;		/* all held: a release will come, then a frame */
	c->frame++;
	frame_pattern_fill(buffer->pixels, c->width * 4, c->width, c->height, c->frame);
	buffer->busy = true;
	wl_surface_attach(c->surface, buffer->wl_buffer, 0, 0);
	wl_surface_damage_buffer(c->surface, 0, 0, c->width, c->height);
	wl_callback_add_listener(wl_surface_frame(c->surface), &frame_listener, c);
	c->waiting_frame = true;
	wl_surface_commit(c->surface);
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

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
			    const char *interface, uint32_t version)
{
	struct client *c = data;

	if (strcmp(interface, wl_compositor_interface.name) == 0)
		c->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	else if (strcmp(interface, wl_shm_interface.name) == 0)
		c->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	else if (strcmp(interface, xdg_wm_base_interface.name) == 0) {
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
		{ "log", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct client c = { 0 };
	int opt;

	while ((opt = getopt_long(argc, argv, "f:l:h", options, NULL)) != -1) {
		switch (opt) {
		case 'f':
			c.max_frames = strtoul(optarg, NULL, 10);
			break;
		case 'l':
			c.log = fopen(optarg, "a");
			if (!c.log)
				die(optarg);
			break;
		case 'h':
			printf("Usage: %s [--frames N] [--log PATH]\n", argv[0]);
			return 0;
		default:
			return 2;
		}
	}
	c.display = wl_display_connect(NULL);
	if (!c.display)
		die("wl_display_connect");
	wl_registry_add_listener(wl_display_get_registry(c.display), &registry_listener, &c);
	wl_display_roundtrip(c.display);
	if (!c.compositor || !c.shm || !c.wm_base) {
		fprintf(stderr, "pattern-client: missing globals\n");
		return 1;
	}
	c.surface = wl_compositor_create_surface(c.compositor);
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
