// SPDX-License-Identifier: MIT
/*
 * wl-roundtrip --size WxH --frames N [--warmup N] [--hold]
 * The Wayland side of tools/bench --native: the frames of
 * bench/frame-client (WxH XRGB8888 wl_shm, a noise field scrolled by 3
 * rows a frame, whole-buffer damage), each drawn into a free buffer
 * before its clock starts, then timed from the commit to the answer of
 * a wl_display.sync sent right after it: the frame has reached the
 * compositor and it answered, through whatever carries the protocol
 * (waypipe, or nothing). One frame in flight, as vdmabuf-native's round
 * trip. Prints one JSON object. With --hold it prints "warm" after the
 * warm-up and waits for a line on stdin, and again after the JSON, so
 * that the bench reads the counters of the processes serving it then.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>

#include "clock.h"
#include "xdg-shell-client-protocol.h"

#define NUM_BUFFERS 3
#define SCROLL_ROWS 3
#define NOISE_EXTRA_ROWS 256

struct buffer {
	struct wl_buffer *wl_buffer;
	uint32_t *pixels;
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
	struct buffer buffers[NUM_BUFFERS];
	uint32_t *noise;
	uint32_t width, height;
	bool configured, synced;
};

static void die(const char *what)
{
	fprintf(stderr, "wl-roundtrip: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void wm_base_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial)
{
	xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = { .ping = wm_base_ping };

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
			    const char *interface, uint32_t version)
{
	struct client *c = data;

	if (!strcmp(interface, wl_compositor_interface.name))
		c->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	else if (!strcmp(interface, wl_shm_interface.name))
		c->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	else if (!strcmp(interface, xdg_wm_base_interface.name)) {
		c->wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface, 1);
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

static void xdg_surface_configure(void *data, struct xdg_surface *surface, uint32_t serial)
{
	struct client *c = data;

	xdg_surface_ack_configure(surface, serial);
	c->configured = true;
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = xdg_surface_configure,
};

static void toplevel_configure(void *data, struct xdg_toplevel *toplevel, int32_t w,
			       int32_t h, struct wl_array *states)
{
}

static void toplevel_close(void *data, struct xdg_toplevel *toplevel)
{
}

static const struct xdg_toplevel_listener toplevel_listener = {
	.configure = toplevel_configure,
	.close = toplevel_close,
};

static void buffer_release(void *data, struct wl_buffer *wl_buffer)
{
	((struct buffer *)data)->busy = false;
}

static const struct wl_buffer_listener buffer_listener = { .release = buffer_release };

static void sync_done(void *data, struct wl_callback *callback, uint32_t serial)
{
	((struct client *)data)->synced = true;
	wl_callback_destroy(callback);
}

static const struct wl_callback_listener sync_listener = { .done = sync_done };

static void buffers_create(struct client *c)
{
	size_t size = (size_t)c->width * 4 * c->height;
	struct wl_shm_pool *pool;
	uint8_t *map;
	int fd = memfd_create("wl-roundtrip", MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, size * NUM_BUFFERS) < 0)
		die("memfd");
	map = mmap(NULL, size * NUM_BUFFERS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		die("mmap");
	pool = wl_shm_create_pool(c->shm, fd, size * NUM_BUFFERS);
	for (int i = 0; i < NUM_BUFFERS; i++) {
		c->buffers[i].pixels = (uint32_t *)(map + size * i);
		c->buffers[i].wl_buffer = wl_shm_pool_create_buffer(pool, size * i, c->width,
				c->height, c->width * 4, WL_SHM_FORMAT_XRGB8888);
		wl_buffer_add_listener(c->buffers[i].wl_buffer, &buffer_listener, &c->buffers[i]);
	}
	wl_shm_pool_destroy(pool);
	close(fd);
}

/* bench/frame-client's field: xorshift noise, the same seed. */
static void noise_create(struct client *c)
{
	size_t n = (size_t)c->width * (c->height + NOISE_EXTRA_ROWS);
	uint64_t x = 0x9e3779b97f4a7c15ull;

	c->noise = malloc(n * 4);
	if (!c->noise)
		die("noise");
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		c->noise[i] = (uint32_t)x | 0xff000000u;
	}
}

static void dispatch(struct client *c)
{
	if (wl_display_dispatch(c->display) < 0)
		die("wl_display_dispatch");
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "size", required_argument, NULL, 's' },
		{ "frames", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "hold", no_argument, NULL, 'H' },
		{ 0 },
	};
	struct client c = { .width = 1920, .height = 1080 };
	unsigned int frames = 300, warmup = 30, total;
	struct wl_registry *registry;
	uint64_t *lat, t0 = 0, wall;
	bool hold = false;
	int opt;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (sscanf(optarg, "%ux%u", &c.width, &c.height) != 2)
				return 2;
			break;
		case 'n': frames = strtoul(optarg, NULL, 10); break;
		case 'w': warmup = strtoul(optarg, NULL, 10); break;
		case 'H': hold = true; break;
		default: return 2;
		}
	}
	total = warmup + frames;
	lat = calloc(frames ? frames : 1, sizeof(*lat));
	c.display = wl_display_connect(NULL);
	if (!lat || !c.display)
		die("wl_display_connect");
	registry = wl_display_get_registry(c.display);
	wl_registry_add_listener(registry, &registry_listener, &c);
	wl_display_roundtrip(c.display);
	if (!c.compositor || !c.shm || !c.wm_base) {
		errno = ENOTSUP;
		die("compositor, wl_shm or xdg_wm_base missing");
	}
	noise_create(&c);
	buffers_create(&c);
	c.surface = wl_compositor_create_surface(c.compositor);
	c.xdg_surface = xdg_wm_base_get_xdg_surface(c.wm_base, c.surface);
	xdg_surface_add_listener(c.xdg_surface, &xdg_surface_listener, &c);
	c.toplevel = xdg_surface_get_toplevel(c.xdg_surface);
	xdg_toplevel_add_listener(c.toplevel, &toplevel_listener, &c);
	xdg_toplevel_set_title(c.toplevel, "wl-roundtrip");
	wl_surface_commit(c.surface);
	while (!c.configured)
		dispatch(&c);

	for (unsigned int f = 0; f < total; f++) {
		struct buffer *b = NULL;
		uint64_t start;
		size_t row;

		if (f == warmup) {
			if (hold) {
				char line[16];

				printf("warm\n");
				fflush(stdout);
				if (!fgets(line, sizeof(line), stdin))
					die("stdin");
			}
			t0 = now_ns();
		}
		/* A free buffer, drawn: not timed. */
		while (!b) {
			for (int i = 0; i < NUM_BUFFERS && !b; i++)
				if (!c.buffers[i].busy)
					b = &c.buffers[i];
			if (!b)
				dispatch(&c);
		}
		row = (size_t)f * SCROLL_ROWS % NOISE_EXTRA_ROWS;
		memcpy(b->pixels, c.noise + row * c.width, (size_t)c.width * 4 * c.height);
		b->busy = true;

		start = now_ns();
		wl_surface_attach(c.surface, b->wl_buffer, 0, 0);
		wl_surface_damage_buffer(c.surface, 0, 0, c.width, c.height);
		wl_surface_commit(c.surface);
		c.synced = false;
		wl_callback_add_listener(wl_display_sync(c.display), &sync_listener, &c);
		while (!c.synced)
			dispatch(&c);
		if (f >= warmup)
			lat[f - warmup] = now_ns() - start;
	}
	wall = now_ns() - t0;
	qsort(lat, frames, sizeof(*lat), cmp_u64);
	printf("{\"frames\": %u, \"warmup\": %u, \"size\": \"%ux%u\", \"us_median\": %.3f, "
	       "\"us_p90\": %.3f, \"us_p99\": %.3f, \"us_min\": %.3f, \"us_max\": %.3f, "
	       "\"us_per_frame_wall\": %.3f}\n", frames, warmup, c.width, c.height,
	       lat[frames / 2] / 1000.0, lat[frames * 9 / 10] / 1000.0,
	       lat[frames * 99 / 100] / 1000.0, lat[0] / 1000.0, lat[frames - 1] / 1000.0,
	       wall / 1000.0 / frames);
	fflush(stdout);
	if (hold) {
		char line[16];

		/* Until the counts of the processes serving us are read. */
		if (!fgets(line, sizeof(line), stdin))
			die("stdin");
	}
	wl_display_disconnect(c.display);
	return 0;
}
