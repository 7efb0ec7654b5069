// SPDX-License-Identifier: MIT
/*
 * output-checker --ioctl [--timeout SEC] [--log PATH]
 * output-checker --hotplug N --sync DIR --daemon-pid PID [--fd-per-buffer 0|1]
 *                [--timeout SEC] [--log PATH]
 * output-checker --reset [--timeout SEC] [--log PATH]
 * The host half of the compositor suite's outputs test (spec §20), a
 * consumer of the guest's outputs through libvdmabuf.
 *
 * --ioctl: waits for the guest's output 3 (640x480), asks for output 2
 * (800x600 at scale 1.5), waits for the guest to announce it, closes it
 * and waits for it to go, then for output 3 to go: the guest's
 * output-ioctl checks what its driver made of the hints.
 *
 * --hotplug N: the guest's compositor shows client A (frames numbered
 * below 1000000) on output 0. The checker adds output 1, says "output 1
 * up" (the guest then starts client B, numbered from 1000000, which opens
 * on the empty output 1), then closes and adds output 1 N times while A
 * animates. Every frame must name an output the guest has announced and
 * not removed, at that output's size, and hold every pixel of a known
 * frame of that output's client (or be all black); each new output 1 must
 * show B's frames, output 0 A's after each close. Before the first close
 * of the loop and after the last one it takes the daemon's numbers (the
 * guest takes its own at the same sync points, in DIR): the daemon's fds
 * less one per live buffer (--fd-per-buffer, the user engine's) must be
 * the same, its buffers and pinned bytes those of the imports still live
 * here.
 *
 * --reset: after the daemon was killed and started again (a device reset
 * for the guest), output 0 must be announced again and show client A's
 * frames, and output 1 stay closed. Frames on output 0 before it is
 * announced (a frame the guest sent before it read the RESET) are
 * counted, not refused: output 0 is the one every guest has.
 */
#include <dirent.h>
#include <drm_fourcc.h>
#include <errno.h>
#include <getopt.h>
#include <linux/dma-buf.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <vdmabuf.h>

#include "checker-common.h"

#define MAX_IMPORTS 64
#define REFRESH_NS 16666667u
#define CLIENT_B_FIRST 1000000u

struct import {
	struct vdmabuf_id id;
	struct vdmabuf_buffer_desc desc;
	uint64_t size;
	int fd;
	uint32_t *map;
};

struct out {
	bool up;
	uint32_t width, height, scale_120;
	uint64_t frames, content, blank;	/* since it came up */
	uint64_t announcements, gones;
};

struct checker {
	struct vdmabuf_consumer *consumer;
	struct import imports[MAX_IMPORTS];
	struct out outs[VDMABUF_MAX_OUTPUTS];
	FILE *log;
	const char *sync_dir;
	uint64_t deadline;
	uint64_t frames, checked, blank, bad, unknown, wrong, wrong_size, early;
	bool reset_mode;
	bool failed;
};


static struct import *find(struct checker *c, const struct vdmabuf_id *id)
{
	for (int i = 0; i < MAX_IMPORTS; i++)
		if (c->imports[i].map && vdmabuf_id_equal(&c->imports[i].id, id))
			return &c->imports[i];
	return NULL;
}

static void import_buffer(struct checker *c, const struct vdmabuf_id *id)
{
	struct import *im = NULL;
	char name[VDMABUF_ID_STRLEN];
	int fd;

	for (int i = 0; i < MAX_IMPORTS && !im; i++)
		if (!c->imports[i].map)
			im = &c->imports[i];
	if (!im) {
		checker_say(c->log, "checker: more than %d buffers live", MAX_IMPORTS);
		c->failed = true;
		return;
	}
	fd = checker_import(c->consumer, id, &im->desc, &im->size, &im->map);
	if (fd == -EPROTO) {
		checker_say(c->log, "checker: %s: unexpected layout", vdmabuf_id_format(id, name));
		c->failed = true;
		return;
	}
	if (fd < 0) {
		checker_say(c->log, "checker: import %s: %s", vdmabuf_id_format(id, name), strerror(-fd));
		return;
	}
	im->fd = fd;
	im->id = *id;
}

static void on_buffer(void *data, const struct vdmabuf_id *id,
		      const struct vdmabuf_buffer_desc *desc, uint64_t size)
{
	struct checker *c = data;

	if (!find(c, id))
		import_buffer(c, id);
}

static void on_gone(void *data, const struct vdmabuf_id *id)
{
	struct checker *c = data;
	struct import *im = find(c, id);

	if (!im)
		return;
	munmap(im->map, im->size);
	close(im->fd);
	vdmabuf_consumer_drop(c->consumer, &im->id);
	memset(im, 0, sizeof(*im));
}

static void on_reset(void *data)
{
	struct checker *c = data;

	checker_say(c->log, "checker: the device was reset");
	c->failed = true;
}

static void on_error(void *data, uint32_t request, const struct vdmabuf_id *id, int err)
{
	struct checker *c = data;
	char name[VDMABUF_ID_STRLEN];

	checker_say(c->log, "checker: request %u on %s: %s", request, vdmabuf_id_format(id, name),
	    strerror(-err));
	if (request == VDMABUF_REQUEST_MODE_HINT)
		c->failed = true;
}

static void on_output(void *data, uint32_t output, uint32_t flags, uint32_t width,
		      uint32_t height, uint32_t refresh_mhz, uint32_t scale_120)
{
	struct checker *c = data;
	struct out *o;

	if (output >= VDMABUF_MAX_OUTPUTS) {
		checker_say(c->log, "checker: output %u out of range", output);
		c->failed = true;
		return;
	}
	o = &c->outs[output];
	if (flags & VDMABUF_OUTPUT_GONE) {
		checker_say(c->log, "output %u gone", output);
		o->gones++;
		o->up = false;
		return;
	}
	if (!o->up)
		o->frames = o->content = o->blank = 0;
	o->up = true;
	o->width = width;
	o->height = height;
	o->scale_120 = scale_120;
	o->announcements++;
	checker_say(c->log, "output %u %ux%u scale %u/120", output, width, height, scale_120);
}

/* Whose frames output shows: client A's on 0, B's on 1. */
static bool owned(uint32_t output, uint32_t n)
{
	return output == 0 ? n < CLIENT_B_FIRST : n >= CLIENT_B_FIRST;
}

static void on_output_frame(void *data, uint32_t output, const struct vdmabuf_id *id,
			    uint64_t frame, const struct vdmabuf_rect *damage,
			    unsigned int num_damage)
{
	struct checker *c = data;
	struct import *im = find(c, id);
	uint32_t n = 0, w = 0, h = 0;
	struct out *o;
	size_t bad;

	c->frames++;
	if (!im) {
		import_buffer(c, id);
		im = find(c, id);
	}
	if (c->reset_mode && output == 0 && !c->outs[0].up) {
		c->early++;
		goto release;
	}
	if (output >= VDMABUF_MAX_OUTPUTS || !c->outs[output].up) {
		if (c->unknown++ < 5)
			checker_say(c->log, "checker: a frame on output %u, which the guest does not have", output);
		goto release;
	}
	o = &c->outs[output];
	o->frames++;
	if (!im)
		goto release;
	if (im->desc.width != o->width || im->desc.height != o->height) {
		if (c->wrong_size++ < 5)
			checker_say(c->log, "checker: a %ux%u frame on output %u of %ux%u", im->desc.width,
			    im->desc.height, output, o->width, o->height);
	}
	bad = checker_check_pixels(im->fd, im->map, &im->desc, &n, &w, &h);
	if (!bad && n == 0) {
		c->blank++;
		o->blank++;
	} else if (bad) {
		if (c->bad++ < 5)
			checker_say(c->log, "checker: frame %u on output %u: %zu bad pixels", n, output, bad);
	} else if (!owned(output, n)) {
		if (c->wrong++ < 5)
			checker_say(c->log, "checker: frame %u (client %c) on output %u", n,
			    n >= CLIENT_B_FIRST ? 'B' : 'A', output);
	} else {
		c->checked++;
		o->content++;
	}
release:
	vdmabuf_consumer_release(c->consumer, id, frame, checker_now_ns(), REFRESH_NS,
				 VDMABUF_RELEASE_PRESENTED | VDMABUF_RELEASE_ZERO_COPY);
}

static const struct vdmabuf_output_listener output_listener = {
	.output = on_output,
	.frame = on_output_frame,
};

static const struct vdmabuf_consumer_listener listener = {
	.buffer = on_buffer,
	.gone = on_gone,
	.reset = on_reset,
	.error = on_error,
	.outputs = &output_listener,
};

typedef bool (*condition)(struct checker *c, const void *arg);

/* Dispatches until cond holds (true) or the deadline passes (false). */
static bool run_until(struct checker *c, condition cond, const void *arg, const char *what)
{
	struct pollfd pfd = { .fd = vdmabuf_consumer_get_fd(c->consumer), .events = POLLIN };

	while (!cond(c, arg)) {
		if (c->failed)
			return false;
		if (checker_now_ns() > c->deadline) {
			checker_say(c->log, "checker: timed out waiting for %s", what);
			c->failed = true;
			return false;
		}
		if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
			return false;
		if (pfd.revents && vdmabuf_consumer_dispatch(c->consumer, &listener, c) < 0) {
			checker_say(c->log, "checker: the daemon went away");
			c->failed = true;
			return false;
		}
	}
	return true;
}

struct want {
	uint32_t output;
	bool up;
	uint64_t content;		/* frames of its client at least */
};

static bool output_is(struct checker *c, const void *arg)
{
	const struct want *w = arg;
	const struct out *o = &c->outs[w->output];

	return o->up == w->up && (!w->up || o->content >= w->content);
}

static bool content_on_0(struct checker *c, const void *arg)
{
	return c->outs[0].content >= *(const uint64_t *)arg;
}

static bool file_exists(struct checker *c, const void *arg)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", c->sync_dir, (const char *)arg);
	return access(path, F_OK) == 0;
}

static bool time_passed(struct checker *c, const void *arg)
{
	return checker_now_ns() >= *(const uint64_t *)arg;
}

/* Creates DIR/name and waits for DIR/name-done, dispatching meanwhile. */
static bool sync_with_guest(struct checker *c, const char *name)
{
	char path[512], done[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", c->sync_dir, name);
	mkdir(c->sync_dir, 0755);
	f = fopen(path, "w");
	if (f)
		fclose(f);
	snprintf(done, sizeof(done), "%s-done", name);
	return run_until(c, file_exists, done, done);
}

static unsigned int count_fds(int pid)
{
	char path[64];
	struct dirent *e;
	unsigned int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

struct sample {
	unsigned int fds;
	uint64_t buffers, pinned_bytes, live, live_bytes;
};

/* The daemon's numbers, and the buffers live here; false on failure. */
static bool sample(struct checker *c, int daemon_pid, struct sample *s, const char *when)
{
	struct vdmabuf_stats stats;
	uint64_t until = checker_now_ns() + 2000000000u;

	/* Let retirements in flight settle: two seconds of frames. */
	if (!run_until(c, time_passed, &until, "settling"))
		return false;
	if (vdmabuf_consumer_stats(c->consumer, &stats) < 0)
		return false;
	vdmabuf_consumer_dispatch(c->consumer, &listener, c);
	*s = (struct sample){ .fds = count_fds(daemon_pid), .buffers = stats.buffers,
			      .pinned_bytes = stats.pinned_bytes };
	for (int i = 0; i < MAX_IMPORTS; i++) {
		if (c->imports[i].map) {
			s->live++;
			s->live_bytes += c->imports[i].size;
		}
	}
	checker_say(c->log, "daemon %s: fds=%u buffers=%llu pinned_bytes=%llu; here: %llu live imports of "
	    "%llu bytes", when, s->fds, (unsigned long long)s->buffers,
	    (unsigned long long)s->pinned_bytes, (unsigned long long)s->live,
	    (unsigned long long)s->live_bytes);
	return true;
}

static int run_ioctl(struct checker *c)
{
	struct want three = { .output = 3, .up = true }, three_gone = { .output = 3 };
	struct want two = { .output = 2, .up = true }, two_gone = { .output = 2 };

	if (!run_until(c, output_is, &three, "the guest's output 3"))
		return 1;
	if (c->outs[3].width != 640 || c->outs[3].height != 480) {
		checker_say(c->log, "checker: output 3 is %ux%u, not 640x480", c->outs[3].width,
		    c->outs[3].height);
		return 1;
	}
	if (vdmabuf_consumer_output_hint(c->consumer, 2, 800, 600, 60000, 180) < 0 ||
	    !run_until(c, output_is, &two, "the guest to add output 2"))
		return 1;
	if (c->outs[2].width != 800 || c->outs[2].height != 600 || c->outs[2].scale_120 != 180) {
		checker_say(c->log, "checker: output 2 is %ux%u scale %u/120", c->outs[2].width,
		    c->outs[2].height, c->outs[2].scale_120);
		return 1;
	}
	if (vdmabuf_consumer_output_close(c->consumer, 2) < 0 ||
	    !run_until(c, output_is, &two_gone, "the guest to remove output 2"))
		return 1;
	if (!run_until(c, output_is, &three_gone, "output 3 to go"))
		return 1;
	checker_say(c->log, "checker: output 3 announced %llu times, gone %llu",
	    (unsigned long long)c->outs[3].announcements, (unsigned long long)c->outs[3].gones);
	return c->failed;
}

static const uint32_t sizes[][2] = { { 256, 192 }, { 288, 224 }, { 352, 256 } };

/* Adds output 1 of size i and waits until it shows client B's frames (or any, first). */
static bool add_output_1(struct checker *c, unsigned int i, uint64_t content)
{
	struct want up = { .output = 1, .up = true, .content = content };
	const uint32_t *size = sizes[i % 3];

	if (vdmabuf_consumer_output_hint(c->consumer, 1, size[0], size[1], 60000, 120) < 0) {
		c->failed = true;
		return false;
	}
	if (!run_until(c, output_is, &up, "output 1 with client B's frames"))
		return false;
	if (c->outs[1].width != size[0] || c->outs[1].height != size[1]) {
		checker_say(c->log, "checker: output 1 came as %ux%u, not %ux%u", c->outs[1].width,
		    c->outs[1].height, size[0], size[1]);
		c->failed = true;
		return false;
	}
	return true;
}

/* Closes output 1 and waits for it to go and for A's frames on output 0. */
static bool close_output_1(struct checker *c)
{
	struct want gone = { .output = 1 };
	uint64_t more = c->outs[0].content + 2;

	if (vdmabuf_consumer_output_close(c->consumer, 1) < 0) {
		c->failed = true;
		return false;
	}
	return run_until(c, output_is, &gone, "output 1 to go") &&
	       run_until(c, content_on_0, &more, "client A's frames on output 0");
}

static int run_hotplug(struct checker *c, unsigned int rounds, int daemon_pid,
		       bool fd_per_buffer)
{
	struct want zero = { .output = 0, .up = true, .content = 10 };
	struct sample before, after;
	long fds_before, fds_after;
	bool ok = true;

	if (!run_until(c, output_is, &zero, "client A on output 0"))
		return 1;
	checker_say(c->log, "output 0 shows client A");
	if (!add_output_1(c, 0, 0))
		return 1;
	checker_say(c->log, "output 1 up");
	/* The guest starts client B now: it opens on the empty output 1. */
	if (!run_until(c, output_is, &(struct want){ 1, true, 5 }, "client B on output 1"))
		return 1;
	checker_say(c->log, "output 1 shows client B");
	if (!close_output_1(c))
		return 1;
	if (!sample(c, daemon_pid, &before, "before") || !sync_with_guest(c, "baseline"))
		return 1;

	for (unsigned int i = 1; i <= rounds; i++) {
		if (!add_output_1(c, i, 1) || !close_output_1(c)) {
			checker_say(c->log, "checker: round %u of %u failed", i, rounds);
			return 1;
		}
		if (i % 10 == 0)
			checker_say(c->log, "round %u: %llu frames, %llu checked, %llu blank", i,
			    (unsigned long long)c->frames, (unsigned long long)c->checked,
			    (unsigned long long)c->blank);
	}
	if (!sample(c, daemon_pid, &after, "after") || !sync_with_guest(c, "end"))
		return 1;

	checker_say(c->log, "checker: %u rounds; %llu frames, %llu checked, %llu blank, %llu bad, "
	    "%llu on an output the guest did not have, %llu on the wrong output, "
	    "%llu of another size; output 1 announced %llu times, gone %llu",
	    rounds, (unsigned long long)c->frames, (unsigned long long)c->checked,
	    (unsigned long long)c->blank, (unsigned long long)c->bad,
	    (unsigned long long)c->unknown, (unsigned long long)c->wrong,
	    (unsigned long long)c->wrong_size, (unsigned long long)c->outs[1].announcements,
	    (unsigned long long)c->outs[1].gones);
	fds_before = (long)before.fds - (fd_per_buffer ? (long)before.buffers : 0);
	fds_after = (long)after.fds - (fd_per_buffer ? (long)after.buffers : 0);
	if (!before.fds || fds_before != fds_after) {
		checker_say(c->log, "checker: daemon fds leaked: %u with %llu buffers before, %u with %llu after",
		    before.fds, (unsigned long long)before.buffers, after.fds,
		    (unsigned long long)after.buffers);
		ok = false;
	}
	for (int i = 0; i < 2; i++) {
		const struct sample *s = i ? &after : &before;

		if (s->buffers != s->live || s->pinned_bytes != s->live_bytes) {
			checker_say(c->log, "checker: the daemon holds %llu buffers, %llu bytes pinned; %llu "
			    "of %llu bytes are live", (unsigned long long)s->buffers,
			    (unsigned long long)s->pinned_bytes, (unsigned long long)s->live,
			    (unsigned long long)s->live_bytes);
			ok = false;
		}
	}
	if (c->outs[1].announcements != rounds + 1 || c->outs[1].gones != rounds + 1) {
		checker_say(c->log, "checker: output 1 should have come and gone %u times", rounds + 1);
		ok = false;
	}
	return !ok || c->failed || c->bad || c->unknown || c->wrong || c->wrong_size;
}

static int run_reset(struct checker *c)
{
	struct want zero = { .output = 0, .up = true, .content = 30 };

	if (!run_until(c, output_is, &zero, "output 0 again, with client A's frames"))
		return 1;
	checker_say(c->log, "checker: after the reset: output 0 %ux%u announced %llu times; %llu frames, "
	    "%llu checked, %llu blank, %llu bad, %llu before output 0 was announced, %llu on "
	    "an output the guest did not have, %llu on the wrong output, %llu of another size",
	    c->outs[0].width, c->outs[0].height, (unsigned long long)c->outs[0].announcements,
	    (unsigned long long)c->frames, (unsigned long long)c->checked,
	    (unsigned long long)c->blank, (unsigned long long)c->bad,
	    (unsigned long long)c->early, (unsigned long long)c->unknown,
	    (unsigned long long)c->wrong, (unsigned long long)c->wrong_size);
	if (c->outs[1].up) {
		checker_say(c->log, "checker: output 1 is back after the reset");
		return 1;
	}
	return c->failed || c->bad || c->unknown || c->wrong || c->wrong_size;
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "ioctl", no_argument, NULL, 'i' },
		{ "reset", no_argument, NULL, 'r' },
		{ "hotplug", required_argument, NULL, 'H' },
		{ "sync", required_argument, NULL, 'S' },
		{ "daemon-pid", required_argument, NULL, 'p' },
		{ "fd-per-buffer", required_argument, NULL, 'b' },
		{ "socket", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "log", required_argument, NULL, 'l' },
		{ 0 },
	};
	struct checker c = { 0 };
	const char *socket_path = NULL;
	unsigned int timeout = 600, rounds = 0;
	bool ioctl_mode = false, fd_per_buffer = true;
	int opt, err, daemon_pid = 0, ret;

	while ((opt = getopt_long(argc, argv, "irH:S:p:b:s:t:l:", options, NULL)) != -1) {
		switch (opt) {
		case 'r':
			c.reset_mode = true;
			break;
		case 'i':
			ioctl_mode = true;
			break;
		case 'H':
			rounds = strtoul(optarg, NULL, 10);
			break;
		case 'S':
			c.sync_dir = optarg;
			break;
		case 'p':
			daemon_pid = atoi(optarg);
			break;
		case 'b':
			fd_per_buffer = atoi(optarg) != 0;
			break;
		case 's':
			socket_path = optarg;
			break;
		case 't':
			timeout = strtoul(optarg, NULL, 10);
			break;
		case 'l':
			c.log = fopen(optarg, "a");
			break;
		default:
			return 2;
		}
	}
	if (!ioctl_mode && !c.reset_mode && (!rounds || !c.sync_dir || !daemon_pid)) {
		fprintf(stderr, "output-checker: --ioctl, or --hotplug N --sync DIR --daemon-pid PID\n");
		return 2;
	}
	c.consumer = vdmabuf_consumer_connect(socket_path, &err);
	if (!c.consumer) {
		checker_say(c.log, "checker: connect: %s", strerror(-err));
		return 1;
	}
	vdmabuf_consumer_listen_outputs(c.consumer);
	c.deadline = checker_now_ns() + (uint64_t)timeout * 1000000000u;
	if (ioctl_mode)
		ret = run_ioctl(&c);
	else if (c.reset_mode)
		ret = run_reset(&c);
	else
		ret = run_hotplug(&c, rounds, daemon_pid, fd_per_buffer);
	checker_say(c.log, "checker: %s", ret ? "FAILED" : "passed");
	vdmabuf_consumer_destroy(c.consumer);
	return ret;
}
