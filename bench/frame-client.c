// SPDX-License-Identifier: MIT
/*
 * frame-client --size WxH --frames N --out PATH [--dmabuf] [--feedback PATH]
 * The client of tools/bench: the same frames whatever carries them. It
 * draws N frames of WxH, one per frame callback, each new in every pixel
 * and with little redundancy (a noise field scrolled by 3 rows a frame, as
 * video or a game would be), asks wp_presentation for feedback on each
 * commit, and writes PATH: one CSV row per frame (commit and presentation
 * times on CLOCK_MONOTONIC), then "# key=value" lines with the CPU time of
 * this process and of its parent (the compositor or waypipe that serves
 * it) over the run. Its buffers are wl_shm, or with --dmabuf linear
 * dmabufs of the DRM card's dumb buffers, which the compositor may scan
 * out as they are. With --feedback, the second PATH gets each frame's
 * presentation feedback as the compositor sent it: "frame commit_ns status
 * present_ns refresh_ns seq flags", the sequence (MSC) and the flags as
 * they came (tools/bench --pacing).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>

#include "client-dmabuf.h"
#include "presentation-time-client-protocol.h"
#include "xdg-shell-client-protocol.h"

#define MAX_BUFFERS 3
#define SCROLL_ROWS 3
#define NOISE_EXTRA_ROWS 256	/* the field repeats every 256 / 3 frames */
#define FEEDBACK_WAIT_NS 3000000000ull

enum frame_status { FRAME_PENDING, FRAME_PRESENTED, FRAME_DISCARDED };

struct frame_record {
	uint64_t commit_ns;
	uint64_t present_ns;
	uint32_t refresh_ns;
	uint64_t seq;
	uint32_t flags;
	enum frame_status status;
};

struct shm_buffer {
	struct wl_buffer *wl_buffer;
	uint32_t *pixels;
	int dmabuf;			/* --dmabuf: its dmabuf, else -1 */
	bool busy;
};

struct feedback {
	struct frame_client *client;
	uint32_t frame;
};

struct frame_client {
	struct wl_display *display;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct zwp_linux_dmabuf_v1 *linux_dmabuf;
	int card;			/* --dmabuf: the DRM card buffers come from, else -1 */
	struct xdg_wm_base *wm_base;
	struct wp_presentation *presentation;
	clockid_t presentation_clock;
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	struct shm_buffer buffers[MAX_BUFFERS];
	uint32_t *noise;		/* width x (height + NOISE_EXTRA_ROWS) */
	uint32_t width, height;
	bool configured;
	bool waiting_frame;
	uint32_t frames, max_frames;
	uint32_t answered;		/* feedback presented or discarded */
	struct frame_record *records;
	bool closed;
};

static void die(const char *what)
{
	fprintf(stderr, "frame-client: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/*
 * --hold PREFIX: at the end of the warm-up (before frame --warmup N is drawn,
 * the frames before it all shown) and at the end of the run, the client
 * makes PREFIX-warm (PREFIX-end) and waits for PREFIX-warm-go (-end-go):
 * the bench samples its counters there, with no frame in flight.
 */
static const char *hold_prefix;
static uint32_t hold_frame = 10;

static void hold(const char *point)
{
	uint64_t deadline = clock_ns(CLOCK_MONOTONIC) + 600000000000ull;
	char path[4096];
	int fd;

	if (!hold_prefix)
		return;
	snprintf(path, sizeof(path), "%s-%s", hold_prefix, point);
	if ((fd = open(path, O_WRONLY | O_CREAT, 0644)) < 0)
		die(path);
	close(fd);
	snprintf(path, sizeof(path), "%s-%s-go", hold_prefix, point);
	while (access(path, F_OK)) {
		if (clock_ns(CLOCK_MONOTONIC) > deadline) {
			fprintf(stderr, "frame-client: no %s in 600 s\n", path);
			exit(1);
		}
		usleep(20000);
	}
}

/* utime + stime of a whole process, all threads, in ns (tick resolution). */
static uint64_t process_cpu_ns(pid_t pid)
{
	unsigned long long utime, stime;
	char path[64], buf[1024], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (!(f = fopen(path, "r")))
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields 14 and 15, counted after the parenthesised command name. */
	if (!(p = strrchr(buf, ')')) ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
		   &utime, &stime) != 2)
		return 0;
	return (utime + stime) * (1000000000ull / sysconf(_SC_CLK_TCK));
}

static void process_name(pid_t pid, char *name, size_t size)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	name[0] = '\0';
	if ((f = fopen(path, "r"))) {
		if (fgets(name, size, f))
			name[strcspn(name, "\n")] = '\0';
		fclose(f);
	}
}

static void buffer_release(void *data, struct wl_buffer *wl_buffer)
{
	((struct shm_buffer *)data)->busy = false;
}

static const struct wl_buffer_listener buffer_listener = {
	.release = buffer_release,
};

/* One dmabuf a buffer: the compositor may show each as it is. */
static void dmabuf_buffers_create(struct frame_client *c)
{
	for (int i = 0; i < MAX_BUFFERS; i++) {
		struct shm_buffer *b = &c->buffers[i];
		uint32_t stride;
		size_t size;
		void *map;

		b->dmabuf = client_dmabuf_create(c->card, c->width, c->height, &stride, &map, &size);
		if (b->dmabuf < 0)
			die("dumb buffer");
		if (stride != c->width * 4) {
			errno = EINVAL;
			die("a dumb buffer with padded rows");
		}
		b->pixels = map;
		b->wl_buffer = client_dmabuf_wl_buffer(c->linux_dmabuf, b->dmabuf, c->width,
						       c->height, stride);
		wl_buffer_add_listener(b->wl_buffer, &buffer_listener, b);
	}
}

static void buffers_create(struct frame_client *c)
{
	size_t size = (size_t)c->width * 4 * c->height;
	struct wl_shm_pool *pool;
	uint8_t *map;
	int fd;

	fd = memfd_create("frame-client", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, size * MAX_BUFFERS) < 0)
		die("memfd");
	map = mmap(NULL, size * MAX_BUFFERS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		die("mmap");
	pool = wl_shm_create_pool(c->shm, fd, size * MAX_BUFFERS);
	for (int i = 0; i < MAX_BUFFERS; i++) {
		struct shm_buffer *b = &c->buffers[i];

		b->pixels = (uint32_t *)(map + size * i);
		b->dmabuf = -1;
		b->wl_buffer = wl_shm_pool_create_buffer(pool, size * i, c->width, c->height,
							 c->width * 4, WL_SHM_FORMAT_XRGB8888);
		wl_buffer_add_listener(b->wl_buffer, &buffer_listener, b);
	}
	wl_shm_pool_destroy(pool);
	close(fd);
}

static void noise_create(struct frame_client *c)
{
	size_t n = (size_t)c->width * (c->height + NOISE_EXTRA_ROWS);
	uint64_t x = 0x9e3779b97f4a7c15ull;

	if (!(c->noise = malloc(n * 4)))
		die("noise field");
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		c->noise[i] = (uint32_t)x | 0xff000000u;
	}
}

static void feedback_sync_output(void *data, struct wp_presentation_feedback *feedback,
				 struct wl_output *output)
{
}

static void feedback_done(struct feedback *fb, struct wp_presentation_feedback *feedback)
{
	fb->client->answered++;
	wp_presentation_feedback_destroy(feedback);
	free(fb);
}

static void feedback_presented(void *data, struct wp_presentation_feedback *feedback,
			       uint32_t tv_sec_hi, uint32_t tv_sec_lo, uint32_t tv_nsec,
			       uint32_t refresh, uint32_t seq_hi, uint32_t seq_lo,
			       uint32_t flags)
{
	struct feedback *fb = data;
	struct frame_record *r = &fb->client->records[fb->frame];

	r->status = FRAME_PRESENTED;
	r->present_ns = ((uint64_t)tv_sec_hi << 32 | tv_sec_lo) * 1000000000ull + tv_nsec;
	r->refresh_ns = refresh;
	r->seq = (uint64_t)seq_hi << 32 | seq_lo;
	r->flags = flags;
	feedback_done(fb, feedback);
}

static void feedback_discarded(void *data, struct wp_presentation_feedback *feedback)
{
	struct feedback *fb = data;

	fb->client->records[fb->frame].status = FRAME_DISCARDED;
	feedback_done(fb, feedback);
}

static const struct wp_presentation_feedback_listener feedback_listener = {
	.sync_output = feedback_sync_output,
	.presented = feedback_presented,
	.discarded = feedback_discarded,
};

static void draw(struct frame_client *c);

static void frame_done(void *data, struct wl_callback *callback, uint32_t time)
{
	struct frame_client *c = data;

	wl_callback_destroy(callback);
	c->waiting_frame = false;
	draw(c);
}

static const struct wl_callback_listener frame_listener = {
	.done = frame_done,
};

static void draw(struct frame_client *c)
{
	struct shm_buffer *buffer = NULL;
	struct feedback *fb;
	size_t row;

	if (c->waiting_frame || !c->configured || c->frames == c->max_frames)
		return;
	for (int i = 0; i < MAX_BUFFERS && !buffer; i++)
		if (!c->buffers[i].busy)
			buffer = &c->buffers[i];
	if (!buffer)
		return;		/* all held: a release will come */
	if (c->frames == hold_frame)
		hold("warm");
	row = (size_t)c->frames * SCROLL_ROWS % NOISE_EXTRA_ROWS;
	if (buffer->dmabuf >= 0 && client_dmabuf_sync(buffer->dmabuf, DMA_BUF_SYNC_START) < 0)
		die("DMA_BUF_IOCTL_SYNC");
	memcpy(buffer->pixels, c->noise + row * c->width, (size_t)c->width * 4 * c->height);
	if (buffer->dmabuf >= 0 && client_dmabuf_sync(buffer->dmabuf, DMA_BUF_SYNC_END) < 0)
		die("DMA_BUF_IOCTL_SYNC");
	buffer->busy = true;
	wl_surface_attach(c->surface, buffer->wl_buffer, 0, 0);
	wl_surface_damage_buffer(c->surface, 0, 0, c->width, c->height);
	wl_callback_add_listener(wl_surface_frame(c->surface), &frame_listener, c);
	if (!(fb = calloc(1, sizeof(*fb))))
		die("feedback");
	fb->client = c;
	fb->frame = c->frames;
	wp_presentation_feedback_add_listener(wp_presentation_feedback(c->presentation, c->surface),
					      &feedback_listener, fb);
	c->waiting_frame = true;
	c->records[c->frames++].commit_ns = clock_ns(c->presentation_clock);
	wl_surface_commit(c->surface);
}

static void xdg_surface_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial)
{
	struct frame_client *c = data;

	xdg_surface_ack_configure(xdg_surface, serial);
	c->configured = true;
	draw(c);
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = xdg_surface_configure,
};

/* The size is ours: every method gets the same frames. */
static void toplevel_configure(void *data, struct xdg_toplevel *toplevel, int32_t width,
			       int32_t height, struct wl_array *states)
{
}

static void toplevel_close(void *data, struct xdg_toplevel *toplevel)
{
	((struct frame_client *)data)->closed = true;
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

static void presentation_clock_id(void *data, struct wp_presentation *presentation,
				  uint32_t clock_id)
{
	((struct frame_client *)data)->presentation_clock = clock_id;
}

static const struct wp_presentation_listener presentation_listener = {
	.clock_id = presentation_clock_id,
};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
			    const char *interface, uint32_t version)
{
	struct frame_client *c = data;

	if (strcmp(interface, wl_compositor_interface.name) == 0) {
		c->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	} else if (strcmp(interface, wl_shm_interface.name) == 0) {
		c->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, zwp_linux_dmabuf_v1_interface.name) == 0 && version >= 3) {
		c->linux_dmabuf = wl_registry_bind(registry, name, &zwp_linux_dmabuf_v1_interface, 3);
	} else if (strcmp(interface, xdg_wm_base_interface.name) == 0) {
		c->wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface, 1);
		xdg_wm_base_add_listener(c->wm_base, &wm_base_listener, c);
	} else if (strcmp(interface, wp_presentation_interface.name) == 0) {
		c->presentation = wl_registry_bind(registry, name, &wp_presentation_interface, 1);
		wp_presentation_add_listener(c->presentation, &presentation_listener, c);
	}
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

static int dispatch_timeout(struct wl_display *display, int timeout_ms)
{
	struct pollfd pfd = { .fd = wl_display_get_fd(display), .events = POLLIN };

	while (wl_display_prepare_read(display) != 0)
		wl_display_dispatch_pending(display);
	wl_display_flush(display);
	if (poll(&pfd, 1, timeout_ms) <= 0) {
		wl_display_cancel_read(display);
		return 0;
	}
	if (wl_display_read_events(display) < 0)
		return -1;
	return wl_display_dispatch_pending(display);
}

static const char *const status_names[] = {
	[FRAME_PENDING] = "lost",
	[FRAME_PRESENTED] = "presented",
	[FRAME_DISCARDED] = "discarded",
};

struct run_usage {
	uint64_t cpu_client_ns, cpu_server_ns;
	char server[32];
};

static void usage_begin(struct run_usage *u, pid_t server)
{
	u->cpu_client_ns = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	u->cpu_server_ns = process_cpu_ns(server);
}

static void usage_end(struct run_usage *u, pid_t server)
{
	u->cpu_client_ns = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - u->cpu_client_ns;
	u->cpu_server_ns = process_cpu_ns(server) - u->cpu_server_ns;
	process_name(server, u->server, sizeof(u->server));
}

static void write_results(struct frame_client *c, const char *path, const struct run_usage *u)
{
	FILE *f = fopen(path, "w");

	if (!f)
		die(path);
	fprintf(f, "frame,commit_ns,present_ns,refresh_ns,status\n");
	for (uint32_t i = 0; i < c->frames; i++) {
		const struct frame_record *r = &c->records[i];

		fprintf(f, "%u,%" PRIu64 ",%" PRIu64 ",%u,%s\n", i, r->commit_ns, r->present_ns,
			r->refresh_ns, status_names[r->status]);
	}
	fprintf(f, "# size=%ux%u\n# frames=%u\n# clock_id=%d\n", c->width, c->height, c->frames,
		(int)c->presentation_clock);
	fprintf(f, "# cpu_client_ns=%" PRIu64 "\n# cpu_server_ns=%" PRIu64 "\n",
		u->cpu_client_ns, u->cpu_server_ns);
	fprintf(f, "# server=%s\n", u->server);
	if (fclose(f))
		die(path);
}

static void write_feedback(struct frame_client *c, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		die(path);
	for (uint32_t i = 0; i < c->frames; i++) {
		const struct frame_record *r = &c->records[i];

		fprintf(f, "%u %" PRIu64 " %s %" PRIu64 " %u %" PRIu64 " %u\n", i, r->commit_ns,
			status_names[r->status], r->present_ns, r->refresh_ns, r->seq, r->flags);
	}
	if (fclose(f))
		die(path);
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "size", required_argument, NULL, 's' },
		{ "frames", required_argument, NULL, 'f' },
		{ "out", required_argument, NULL, 'o' },
		{ "dmabuf", no_argument, NULL, 'd' },
		{ "hold", required_argument, NULL, 'h' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "feedback", required_argument, NULL, 'F' },
		{ 0 },
	};
	struct frame_client c = { .presentation_clock = CLOCK_MONOTONIC, .card = -1 };
	bool dmabuf = false;
	struct run_usage usage;
	const char *out = NULL, *feedback_out = NULL;
	pid_t server = getppid();
	uint64_t deadline;
	int opt;

	while ((opt = getopt_long(argc, argv, "s:f:o:dF:h:w:", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (sscanf(optarg, "%ux%u", &c.width, &c.height) != 2)
				return 2;
			break;
		case 'f':
			c.max_frames = strtoul(optarg, NULL, 10);
			break;
		case 'o':
			out = optarg;
			break;
		case 'd':
			dmabuf = true;
			break;
		case 'h':
			hold_prefix = optarg;
			break;
		case 'w':
			hold_frame = strtoul(optarg, NULL, 10);
			break;
		case 'F':
			feedback_out = optarg;
			break;
		default:
			return 2;
		}
	}
	if (!c.width || !c.height || !c.max_frames || !out) {
		fprintf(stderr, "usage: %s --size WxH --frames N --out PATH [--dmabuf] "
			"[--feedback PATH]\n", argv[0]);
		return 2;
	}
	if (!(c.records = calloc(c.max_frames, sizeof(*c.records))))
		die("records");
	noise_create(&c);
	if (!(c.display = wl_display_connect(NULL)))
		die("wl_display_connect");
	wl_registry_add_listener(wl_display_get_registry(c.display), &registry_listener, &c);
	wl_display_roundtrip(c.display);
	if (!c.compositor || !c.shm || !c.wm_base || !c.presentation ||
	    (dmabuf && !c.linux_dmabuf)) {
		fprintf(stderr, "frame-client: the compositor lacks a global we need\n");
		return 1;
	}
	wl_display_roundtrip(c.display);	/* the presentation clock */
	if (dmabuf) {
		if ((c.card = client_dmabuf_open_card()) < 0)
			die("no DRM card with dumb buffers");
		dmabuf_buffers_create(&c);
	} else {
		buffers_create(&c);
	}
	c.surface = wl_compositor_create_surface(c.compositor);
	c.xdg_surface = xdg_wm_base_get_xdg_surface(c.wm_base, c.surface);
	xdg_surface_add_listener(c.xdg_surface, &xdg_surface_listener, &c);
	c.toplevel = xdg_surface_get_toplevel(c.xdg_surface);
	xdg_toplevel_add_listener(c.toplevel, &toplevel_listener, &c);
	xdg_toplevel_set_title(c.toplevel, "frame-client");
	xdg_toplevel_set_fullscreen(c.toplevel, NULL);
	wl_surface_commit(c.surface);
	while (!c.closed && c.frames == 0)
		if (wl_display_dispatch(c.display) < 0)
			die("display lost");
	usage_begin(&usage, server);
	while (!c.closed && c.frames < c.max_frames) {
		if (wl_display_dispatch(c.display) < 0)
			die("display lost");
		if (!c.waiting_frame)
			draw(&c);
	}
	/*
	 * The end hold once every frame but the last was answered: the host
	 * keeps the last on screen, and vdmabuf answers a frame when the host
	 * releases it for the next one. Then the last frames' feedback, if it
	 * comes.
	 */
	deadline = clock_ns(CLOCK_MONOTONIC) + FEEDBACK_WAIT_NS;
	while (hold_prefix && c.answered + 1 < c.frames && clock_ns(CLOCK_MONOTONIC) < deadline)
		if (dispatch_timeout(c.display, 100) < 0)
			break;
	hold("end");
	deadline = clock_ns(CLOCK_MONOTONIC) + FEEDBACK_WAIT_NS;
	while (c.answered < c.frames && clock_ns(CLOCK_MONOTONIC) < deadline)
		if (dispatch_timeout(c.display, 100) < 0)
			break;
	usage_end(&usage, server);
	write_results(&c, out, &usage);
	if (feedback_out)
		write_feedback(&c, feedback_out);
	printf("frame-client: %u frames, %u answered, served by %s\n", c.frames, c.answered,
	       usage.server);
	return 0;
}
