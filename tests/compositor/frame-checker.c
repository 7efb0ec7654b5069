// SPDX-License-Identifier: MIT
/*
 * frame-checker [--socket PATH] [--frames N] [--timeout SEC] [--log PATH]
 *               [--mode-hint WxH --mode-hint-after N] [--formats FOURCC:MODIFIER,...]
 * The host half of the compositor suite: imports every buffer the guest
 * compositor shares and checks every pixel of every frame against
 * frame-pattern.h (an all-black frame, shown while the compositor changes
 * mode, counts as blank), then releases it. A frame naming a buffer it still
 * holds counts as "reused"; a held buffer whose pixels changed before its
 * release as "overwritten", unless the daemon refuses that release with
 * EALREADY: a frame presented before our import reached the daemon was
 * not ours to hold (spec: who owes a release), and the guest may draw into
 * it again. SIGUSR1 pauses (every frame is held), SIGUSR2 resumes (held
 * frames are checked again, then released). Exits after N
 * good frames, or at SIGTERM, 0 only if nothing was bad, reused or
 * overwritten. With --formats it tells the daemon it imports only those
 * (fourcc, modifier) pairs, before anything else.
 */
#include <drm_fourcc.h>
#include <errno.h>
#include <getopt.h>
#include <linux/dma-buf.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <vdmabuf.h>

#include "format-list.h"
#include "checker-common.h"

#define MAX_IMPORTS 64
#define REFRESH_NS 16666667u

struct import {
	struct vdmabuf_id id;
	struct vdmabuf_buffer_desc desc;
	uint64_t size;
	int fd;
	uint32_t *map;
	bool held;
	uint64_t frame;			/* the device's frame number */
	uint32_t n;			/* the pattern's frame number */
};

/* A held frame that changed, overwritten unless its release is refused. */
struct suspect {
	struct vdmabuf_id id;
	bool live;
};

struct checker {
	struct vdmabuf_consumer *consumer;
	struct import imports[MAX_IMPORTS];
	struct suspect suspects[MAX_IMPORTS];
	FILE *log;
	uint64_t checked, bad, reused, overwritten, blank;
	uint32_t last_n;
	uint32_t size_w, size_h, client_w, client_h;
	bool paused;
	uint64_t while_paused;
	uint64_t want_frames;
	uint32_t hint_w, hint_h;
	uint64_t hint_after;
	bool hinted;
	bool failed;
};


static struct import *find(struct checker *c, const struct vdmabuf_id *id)
{
	for (int i = 0; i < MAX_IMPORTS; i++)
		if (c->imports[i].map && vdmabuf_id_equal(&c->imports[i].id, id))
			return &c->imports[i];
	return NULL;
}

/* Counts the pixels of im that are not its frame's; fills n and the drawn size. */
static size_t check_pixels(struct import *im, uint32_t *n, uint32_t *w, uint32_t *h)
{
	return checker_check_pixels(im->fd, im->map, &im->desc, n, w, h);
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
		checker_say(c->log, "checker: more than %d buffers", MAX_IMPORTS);
		c->failed = true;
		return;
	}
	fd = checker_import(c->consumer, id, &im->desc, &im->size, &im->map);
	if (fd == -EPROTO) {
		checker_say(c->log, "checker: %s: unexpected layout %.4s %ux%u stride %u",
		    vdmabuf_id_format(id, name), (const char *)&im->desc.fourcc, im->desc.width,
		    im->desc.height, im->desc.planes[0].stride);
		c->failed = true;
		return;
	}
	if (fd < 0) {
		checker_say(c->log, "checker: import %s: %s", vdmabuf_id_format(id, name), strerror(-fd));
		return;
	}
	im->fd = fd;
	im->id = *id;
	im->held = false;
}

static void release(struct checker *c, struct import *im)
{
	uint32_t n, w, h;
	char name[VDMABUF_ID_STRLEN];

	if (!im->held)
		return;
	/* The guest must not have drawn into what we hold. */
	if (check_pixels(im, &n, &w, &h) || n != im->n) {
		int i = 0;

		while (i < MAX_IMPORTS && c->suspects[i].live)
			i++;
		if (i < MAX_IMPORTS)
			c->suspects[i] = (struct suspect){ .id = im->id, .live = true };
		else
			c->overwritten++;
		checker_say(c->log, "checker: %s changed while held (frame %u, now %u)",
		    vdmabuf_id_format(&im->id, name), im->n, n);
	}
	im->held = false;
	vdmabuf_consumer_release(c->consumer, &im->id, im->frame, checker_now_ns(), REFRESH_NS,
				 VDMABUF_RELEASE_PRESENTED | VDMABUF_RELEASE_ZERO_COPY);
}

static void drop(struct checker *c, struct import *im)
{
	munmap(im->map, im->size);
	close(im->fd);
	vdmabuf_consumer_drop(c->consumer, &im->id);
	memset(im, 0, sizeof(*im));
}

static void on_buffer(void *data, const struct vdmabuf_id *id,
		      const struct vdmabuf_buffer_desc *desc, uint64_t size)
{
	struct checker *c = data;

	if (!find(c, id))
		import_buffer(c, id);
}

static void on_frame(void *data, const struct vdmabuf_id *id, uint64_t frame,
		     const struct vdmabuf_rect *damage, unsigned int num_damage)
{
	struct checker *c = data;
	struct import *im = find(c, id);
	uint32_t n, w, h;
	size_t bad;
	char name[VDMABUF_ID_STRLEN];

	if (!im) {
		import_buffer(c, id);
		if (!(im = find(c, id)))
			return;
	}
	if (im->held) {
		c->reused++;
		checker_say(c->log, "checker: %s presented again before its release", vdmabuf_id_format(id, name));
		return;
	}
	bad = check_pixels(im, &n, &w, &h);
	if (!bad && n == 0) {
		/* All black: what a compositor shows while it changes mode. */
		c->blank++;
	} else if (bad || n < c->last_n) {
		if (c->bad++ < 5)
			checker_say(c->log, "checker: frame %u (%ux%u in %ux%u): %zu bad pixels%s", n, w, h,
			    im->desc.width, im->desc.height, bad,
			    n < c->last_n ? ", out of order" : "");
	} else {
		c->checked++;
	}
	if (n)
		c->last_n = n;
	if (im->desc.width != c->size_w || im->desc.height != c->size_h) {
		c->size_w = im->desc.width;
		c->size_h = im->desc.height;
		checker_say(c->log, "size %ux%u", c->size_w, c->size_h);
	}
	if (w != c->client_w || h != c->client_h) {
		c->client_w = w;
		c->client_h = h;
		checker_say(c->log, "client size %ux%u", w, h);
	}
	im->held = true;
	im->frame = frame;
	im->n = n;
	if (c->paused)
		c->while_paused++;
	else
		release(c, im);
	if (c->hint_w && !c->hinted && c->checked >= c->hint_after) {
		c->hinted = true;
		vdmabuf_consumer_mode_hint(c->consumer, c->hint_w, c->hint_h, 60000, 120);
		checker_say(c->log, "mode hint %ux%u", c->hint_w, c->hint_h);
	}
}

static void on_gone(void *data, const struct vdmabuf_id *id)
{
	struct checker *c = data;
	struct import *im = find(c, id);

	if (im)
		drop(c, im);
}

static void on_reset(void *data)
{
	struct checker *c = data;

	for (int i = 0; i < MAX_IMPORTS; i++)
		if (c->imports[i].map)
			drop(c, &c->imports[i]);
}

static void on_error(void *data, uint32_t request, const struct vdmabuf_id *id, int err)
{
	struct checker *c = data;
	char name[VDMABUF_ID_STRLEN];

	checker_say(c->log, "checker: request %u on %s: %s", request, vdmabuf_id_format(id, name),
	    strerror(-err));
	if (request != VDMABUF_REQUEST_RELEASE || err != -EALREADY)
		return;
	for (int i = 0; i < MAX_IMPORTS; i++) {
		if (c->suspects[i].live && vdmabuf_id_equal(&c->suspects[i].id, id)) {
			c->suspects[i].live = false;
			checker_say(c->log, "checker: %s: that frame came before our import, not ours",
			    vdmabuf_id_format(id, name));
			return;
		}
	}
}

static const struct vdmabuf_consumer_listener listener = {
	.buffer = on_buffer,
	.frame = on_frame,
	.gone = on_gone,
	.reset = on_reset,
	.error = on_error,
};

static void resume(struct checker *c)
{
	c->paused = false;
	checker_say(c->log, "resumed");
	checker_say(c->log, "frames while paused: %llu", (unsigned long long)c->while_paused);
	/* In the order they came: the guest waits for the oldest first. */
	for (;;) {
		struct import *oldest = NULL;

		for (int i = 0; i < MAX_IMPORTS; i++)
			if (c->imports[i].map && c->imports[i].held &&
			    (!oldest || c->imports[i].frame < oldest->frame))
				oldest = &c->imports[i];
		if (!oldest)
			break;
		release(c, oldest);
	}
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "frames", required_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ "log", required_argument, NULL, 'l' },
		{ "mode-hint", required_argument, NULL, 'm' },
		{ "mode-hint-after", required_argument, NULL, 'a' },
		{ "formats", required_argument, NULL, 'F' },
		{ 0 },
	};
	static struct vdmabuf_format formats[VDMABUF_MAX_FORMATS];
	uint32_t num_formats = 0;
	bool report_formats = false;
	struct checker c = { 0 };
	struct vdmabuf_stats stats;
	const char *socket_path = NULL;
	unsigned int timeout = 600;
	struct pollfd fds[2];
	uint64_t deadline;
	sigset_t mask;
	int opt, err;

	while ((opt = getopt_long(argc, argv, "s:f:t:l:m:a:F:", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			socket_path = optarg;
			break;
		case 'f':
			c.want_frames = strtoull(optarg, NULL, 10);
			break;
		case 't':
			timeout = strtoul(optarg, NULL, 10);
			break;
		case 'l':
			c.log = fopen(optarg, "a");
			break;
		case 'm':
			if (sscanf(optarg, "%ux%u", &c.hint_w, &c.hint_h) != 2)
				return 2;
			break;
		case 'a':
			c.hint_after = strtoull(optarg, NULL, 10);
			break;
		case 'F':
			if (format_list_parse(optarg, formats, &num_formats) < 0)
				return 2;
			report_formats = true;
			break;
		default:
			return 2;
		}
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	fds[1] = (struct pollfd){ .fd = signalfd(-1, &mask, SFD_CLOEXEC), .events = POLLIN };

	c.consumer = vdmabuf_consumer_connect(socket_path, &err);
	if (!c.consumer) {
		checker_say(c.log, "checker: connect: %s", strerror(-err));
		return 1;
	}
	if (report_formats) {
		err = vdmabuf_consumer_formats(c.consumer, formats, num_formats);
		if (err < 0) {
			checker_say(c.log, "checker: formats: %s", strerror(-err));
			return 1;
		}
		checker_say(c.log, "checker: %u formats reported", num_formats);
	}
	fds[0] = (struct pollfd){ .fd = vdmabuf_consumer_get_fd(c.consumer), .events = POLLIN };
	deadline = checker_now_ns() + (uint64_t)timeout * 1000000000u;
	while (!c.failed && !(c.want_frames && c.checked >= c.want_frames)) {
		if (checker_now_ns() > deadline) {
			checker_say(c.log, "checker: timed out");
			c.failed = true;
			break;
		}
		if (poll(fds, 2, 1000) < 0 && errno != EINTR)
			break;
		if (fds[0].revents && vdmabuf_consumer_dispatch(c.consumer, &listener, &c) < 0) {
			checker_say(c.log, "checker: the daemon went away");
			c.failed = true;
			break;
		}
		if (fds[1].revents) {
			struct signalfd_siginfo si;

			if (read(fds[1].fd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGUSR1) {
				c.paused = true;
				c.while_paused = 0;
				checker_say(c.log, "paused");
			} else if (si.ssi_signo == SIGUSR2) {
				resume(&c);
			} else {
				break;
			}
		}
	}
	if (c.paused)
		resume(&c);
	for (int i = 0; i < MAX_IMPORTS; i++)
		if (c.imports[i].map)
			release(&c, &c.imports[i]);
	/* The daemon answers in order: after this, every refusal is in. */
	if (vdmabuf_consumer_stats(c.consumer, &stats) < 0 ||
	    vdmabuf_consumer_dispatch(c.consumer, &listener, &c) < 0)
		c.failed = true;
	for (int i = 0; i < MAX_IMPORTS; i++)
		c.overwritten += c.suspects[i].live;
	checker_say(c.log, "checker: %llu frames checked, %llu bad, %llu reused, %llu overwritten, "
	    "%llu blank, last n=%u, size %ux%u, client %ux%u",
	    (unsigned long long)c.checked, (unsigned long long)c.bad,
	    (unsigned long long)c.reused, (unsigned long long)c.overwritten,
	    (unsigned long long)c.blank, c.last_n,
	    c.size_w, c.size_h, c.client_w, c.client_h);
	vdmabuf_consumer_destroy(c.consumer);
	return c.failed || c.bad || c.reused || c.overwritten ||
	       (c.want_frames && c.checked < c.want_frames);
}
