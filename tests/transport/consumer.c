// SPDX-License-Identifier: MIT
/*
 * consumer [--socket PATH] --frames N [--timeout SEC] [--stall-after N] [--in-order]
 *          [--formats FOURCC:MODIFIER,...]
 * The host half of the transport tests: imports every buffer the guest
 * exports, maps the host dmabuf and checks every byte of every presented
 * frame against the frame's pattern, writes the frame's marker through its
 * mapping, and releases the frame with its presentation time. Exits 0
 * after N good frames once every buffer is gone, or at SIGTERM; with
 * --stall-after it stops answering after that many frames, holding every
 * frame in flight, to be killed with -9. With --bench it neither checks
 * nor marks, and prints the import times. With --in-order a frame whose
 * number is not above the one before it is a bad frame. With --formats it
 * first tells the daemon it imports those (fourcc, modifier) pairs; with
 * --frames 0 it then waits for SIGTERM.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <vdmabuf.h>

#include "format-list.h"
#include "pattern.h"

#define MAX_IMPORTS 64
#define REFRESH_NS 16666667u

struct import {
	struct vdmabuf_id id;
	int fd;
	uint8_t *map;
	uint64_t size;
};

struct consumer_test {
	struct vdmabuf_consumer *c;
	struct import imports[MAX_IMPORTS];
	unsigned int live;
	uint64_t frames, bad_frames, buffers_seen, gone;
	uint64_t stall_after;
	bool bench, in_order;
	uint64_t last_frame;
	uint64_t import_ns[MAX_IMPORTS];
	unsigned int imports_timed;
	int failed;
};

static volatile sig_atomic_t terminated;

static void handle_term(int sig)
{
	terminated = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static struct import *find_import(struct consumer_test *t, const struct vdmabuf_id *id)
{
	for (unsigned int i = 0; i < MAX_IMPORTS; i++)
		if (t->imports[i].map && vdmabuf_id_equal(&t->imports[i].id, id))
			return &t->imports[i];
	return NULL;
}

static void on_buffer(void *data, const struct vdmabuf_id *id,
		      const struct vdmabuf_buffer_desc *desc, uint64_t size)
{
	struct consumer_test *t = data;
	struct import *imp = NULL;
	char name[VDMABUF_ID_STRLEN];

	for (unsigned int i = 0; i < MAX_IMPORTS && !imp; i++)
		if (!t->imports[i].map)
			imp = &t->imports[i];
	vdmabuf_id_format(id, name);
	if (!imp) {
		fprintf(stderr, "consumer: too many buffers\n");
		t->failed = 1;
		return;
	}
	uint64_t start = now_ns();

	imp->fd = vdmabuf_consumer_import(t->c, id, NULL, &imp->size);
	if (imp->fd < 0) {
		fprintf(stderr, "consumer: import %s: %s\n", name, strerror(-imp->fd));
		t->failed = 1;
		return;
	}
	imp->map = mmap(NULL, imp->size, PROT_READ | PROT_WRITE, MAP_SHARED, imp->fd, 0);
	if (imp->map == MAP_FAILED) {
		fprintf(stderr, "consumer: mmap %s: %s\n", name, strerror(errno));
		imp->map = NULL;
		close(imp->fd);
		t->failed = 1;
		return;
	}
	imp->id = *id;
	if (t->imports_timed < MAX_IMPORTS)
		t->import_ns[t->imports_timed++] = now_ns() - start;
	t->live++;
	t->buffers_seen++;
}

static void on_frame(void *data, const struct vdmabuf_id *id, uint64_t frame,
		     const struct vdmabuf_rect *damage, unsigned int num_damage)
{
	struct consumer_test *t = data;
	struct import *imp = find_import(t, id);
	size_t first_bad = 0, bad;
	int err;

	if (!imp) {
		fprintf(stderr, "consumer: frame %llu of a buffer not imported\n",
			(unsigned long long)frame);
		t->failed = 1;
		return;
	}
	bad = t->bench ? 0 : pattern_check(imp->map, imp->size, frame, &first_bad);
	if (bad) {
		fprintf(stderr, "consumer: frame %llu: %zu of %llu bytes wrong, first at %zu\n",
			(unsigned long long)frame, bad, (unsigned long long)imp->size, first_bad);
		t->bad_frames++;
	}
	if (t->in_order && t->frames && frame <= t->last_frame) {
		fprintf(stderr, "consumer: frame %llu after frame %llu\n",
			(unsigned long long)frame, (unsigned long long)t->last_frame);
		t->bad_frames++;
	}
	if (!t->bench)
		pattern_mark(imp->map, frame);
	t->last_frame = frame;
	t->frames++;
	if (t->stall_after && t->frames == t->stall_after) {
		printf("consumer: stalled after %llu frames\n", (unsigned long long)t->frames);
		fflush(stdout);
		for (;;)
			pause();
	}
	err = vdmabuf_consumer_release(t->c, id, frame, now_ns(), REFRESH_NS,
				       VDMABUF_RELEASE_PRESENTED | VDMABUF_RELEASE_ZERO_COPY);
	if (err < 0) {
		fprintf(stderr, "consumer: release: %s\n", strerror(-err));
		t->failed = 1;
	}
}

static void on_gone(void *data, const struct vdmabuf_id *id)
{
	struct consumer_test *t = data;
	struct import *imp = find_import(t, id);

	t->gone++;
	if (!imp)
		return;
	munmap(imp->map, imp->size);
	close(imp->fd);
	imp->map = NULL;
	t->live--;
	vdmabuf_consumer_drop(t->c, id);
}

static void on_error(void *data, uint32_t request, const struct vdmabuf_id *id, int err)
{
	struct consumer_test *t = data;

	fprintf(stderr, "consumer: request %u refused: %s\n", request, strerror(-err));
	t->failed = 1;
}

static const struct vdmabuf_consumer_listener listener = {
	.buffer = on_buffer,
	.frame = on_frame,
	.gone = on_gone,
	.error = on_error,
};

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "frames", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "stall-after", required_argument, NULL, 'x' },
		{ "bench", no_argument, NULL, 'B' },
		{ "in-order", no_argument, NULL, 'o' },
		{ "formats", required_argument, NULL, 'f' },
		{ 0 },
	};
	static struct vdmabuf_format formats[VDMABUF_MAX_FORMATS];
	uint32_t num_formats = 0;
	bool report_formats = false;
	struct consumer_test t = { 0 };
	const char *path = NULL;
	uint64_t frames = 0, deadline;
	unsigned int timeout = 120;
	struct vdmabuf_stats stats;
	int opt, err;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			path = optarg;
			break;
		case 'n':
			frames = strtoull(optarg, NULL, 0);
			break;
		case 't':
			timeout = atoi(optarg);
			break;
		case 'B':
			t.bench = true;
			break;
		case 'o':
			t.in_order = true;
			break;
		case 'x':
			t.stall_after = strtoull(optarg, NULL, 0);
			break;
		case 'f':
			if (format_list_parse(optarg, formats, &num_formats) < 0) {
				fprintf(stderr, "consumer: bad --formats '%s'\n", optarg);
				return 2;
			}
			report_formats = true;
			break;
		default:
			return 2;
		}
	}
	t.c = vdmabuf_consumer_connect(path, &err);
	if (!t.c) {
		fprintf(stderr, "consumer: connect: %s\n", strerror(-err));
		return 1;
	}
	signal(SIGTERM, handle_term);
	if (report_formats) {
		err = vdmabuf_consumer_formats(t.c, formats, num_formats);
		if (err < 0) {
			fprintf(stderr, "consumer: formats: %s\n", strerror(-err));
			return 1;
		}
		/* A refusal comes back before the answer to STATS. */
		err = vdmabuf_consumer_stats(t.c, &stats);
		vdmabuf_consumer_dispatch(t.c, &listener, &t);
		if (err < 0 || t.failed)
			return 1;
		printf("consumer: %u formats reported\n", num_formats);
	}
	printf("consumer: connected\n");
	fflush(stdout);
	deadline = now_ns() + timeout * 1000000000ull;
	while (!(t.frames >= frames && t.buffers_seen && t.live == 0) && !t.failed &&
	       !terminated) {
		struct pollfd pfd = { vdmabuf_consumer_get_fd(t.c), POLLIN, 0 };

		if (now_ns() > deadline) {
			fprintf(stderr, "consumer: timed out with %llu of %llu frames\n",
				(unsigned long long)t.frames, (unsigned long long)frames);
			return 1;
		}
		if (poll(&pfd, 1, 1000) < 0 && errno != EINTR)
			return 1;
		err = vdmabuf_consumer_dispatch(t.c, &listener, &t);
		if (err < 0) {
			fprintf(stderr, "consumer: dispatch: %s\n", strerror(-err));
			return 1;
		}
	}
	err = vdmabuf_consumer_stats(t.c, &stats);
	if (err < 0) {
		fprintf(stderr, "consumer: stats: %s\n", strerror(-err));
		return 1;
	}
	printf("consumer: %llu frames checked, %llu bad, %llu buffers, daemon: %llu bytes copied, "
	       "%llu live buffers, %llu imports\n",
	       (unsigned long long)t.frames, (unsigned long long)t.bad_frames,
	       (unsigned long long)t.buffers_seen, (unsigned long long)stats.bytes_copied,
	       (unsigned long long)stats.buffers, (unsigned long long)stats.imports);
	vdmabuf_consumer_destroy(t.c);
	if (t.bench) {
		unsigned long long sum = 0;

		for (unsigned int i = 0; i < t.imports_timed; i++)
			sum += t.import_ns[i];
		printf("bench: imports=%u import_ms_mean=%.3f\n", t.imports_timed,
		       t.imports_timed ? sum / 1e6 / t.imports_timed : 0.0);
	}
	if (t.frames < frames)
		fprintf(stderr, "consumer: %llu frames, wanted %llu\n",
			(unsigned long long)t.frames, (unsigned long long)frames);
	return t.failed || t.bad_frames || stats.bytes_copied || t.live || t.frames < frames;
}
