// SPDX-License-Identifier: MIT
/*
 * consumer [--socket PATH] --frames N [--timeout SEC] [--stall-after N] [--in-order]
 *          [--formats FOURCC:MODIFIER,...] [--keep-maps PATH]
 *          [--device-import CARD:PATH]
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
 * --frames 0 it then waits for SIGTERM. With --keep-maps it drops each
 * buffer at GONE but keeps its fd and mapping; once every buffer is gone it
 * prints "consumer: kept N mappings", waits for PATH to exist (the guest
 * reused the pages) and checks what revocation promises (spec §10.3): the
 * mappings read zeros, a write through one faults, a new mmap is refused.
 * With --device-import it also imports the first buffer into the DRM
 * device CARD (vgem: a static importer that maps it) and, once every
 * buffer is gone, prints "consumer: a device maps one", waits for PATH and
 * closes that import.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <drm/drm.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
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
	struct import kept[MAX_IMPORTS];	/* --keep-maps: dropped, still mapped */
	unsigned int num_kept;
	bool keep_maps;
	int card;			/* --device-import: -1 without */
	uint32_t gem;			/* its import of the first buffer, 0: none */
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
	if (t->card >= 0 && !t->gem) {
		struct drm_prime_handle prime = { .fd = imp->fd };

		if (ioctl(t->card, DRM_IOCTL_PRIME_FD_TO_HANDLE, &prime) < 0) {
			fprintf(stderr, "consumer: device import %s: %s\n", name, strerror(errno));
			t->failed = 1;
		}
		t->gem = prime.handle;
	}
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
	if (t->keep_maps && t->num_kept < MAX_IMPORTS) {
		t->kept[t->num_kept++] = *imp;
	} else {
		munmap(imp->map, imp->size);
		close(imp->fd);
	}
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

/* Whether a write through map (in a child, which shares it) faults. */
static bool write_faults(uint8_t *map)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		map[0] = 0x5a;
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return false;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS;
}

static bool wait_path(const char *path)
{
	for (int waited = 0; access(path, F_OK) < 0; waited++) {
		if (waited == 6000 || terminated) {
			fprintf(stderr, "consumer: %s never came\n", path);
			return false;
		}
		usleep(100000);
	}
	return true;
}

/* --device-import: the device's mapping held until path exists. */
static int release_device(struct consumer_test *t, const char *path)
{
	struct drm_gem_close close_req = { .handle = t->gem };

	if (!t->gem) {
		fprintf(stderr, "consumer: no device import\n");
		return 1;
	}
	printf("consumer: a device maps one\n");
	fflush(stdout);
	if (!wait_path(path))
		return 1;
	if (ioctl(t->card, DRM_IOCTL_GEM_CLOSE, &close_req) < 0) {
		fprintf(stderr, "consumer: device import close: %s\n", strerror(errno));
		return 1;
	}
	printf("consumer: device import closed\n");
	fflush(stdout);
	return 0;
}

/* --keep-maps: what the kept fds and mappings reach once revoked. */
static int check_kept(struct consumer_test *t, const char *kept_wait)
{
	unsigned int readable = 0, writable = 0, mappable = 0;

	printf("consumer: kept %u mappings\n", t->num_kept);
	fflush(stdout);
	if (!wait_path(kept_wait))
		return 1;
	for (unsigned int i = 0; i < t->num_kept; i++) {
		struct import *k = &t->kept[i];
		size_t nonzero = 0;
		void *again;

		for (size_t b = 0; b < k->size; b++)
			nonzero += k->map[b] != 0;
		if (nonzero) {
			fprintf(stderr, "consumer: a revoked mapping reads %zu non-zero bytes, first %#x\n",
				nonzero, k->map[0]);
			readable++;
		}
		if (!write_faults(k->map))
			writable++;
		again = mmap(NULL, k->size, PROT_READ, MAP_SHARED, k->fd, 0);
		if (again != MAP_FAILED) {
			munmap(again, k->size);
			mappable++;
		} else if (errno != ENODEV) {
			fprintf(stderr, "consumer: mmap after revocation: %s\n", strerror(errno));
			mappable++;
		}
		munmap(k->map, k->size);
		close(k->fd);
	}
	printf("consumer: of %u revoked mappings %u read guest data, %u took a write, "
	       "%u mapped again\n", t->num_kept, readable, writable, mappable);
	return readable || writable || mappable || !t->num_kept;
}

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
		{ "keep-maps", required_argument, NULL, 'k' },
		{ "device-import", required_argument, NULL, 'd' },
		{ 0 },
	};
	static struct vdmabuf_format formats[VDMABUF_MAX_FORMATS];
	uint32_t num_formats = 0;
	bool report_formats = false;
	struct consumer_test t = { .card = -1 };
	const char *path = NULL, *kept_wait = NULL, *device_wait = NULL;
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
		case 'd':
			device_wait = strchr(optarg, ':');
			if (!device_wait)
				return 2;
			*(char *)device_wait++ = '\0';
			t.card = open(optarg, O_RDWR | O_CLOEXEC);
			if (t.card < 0) {
				fprintf(stderr, "consumer: %s: %s\n", optarg, strerror(errno));
				return 1;
			}
			break;
		case 'k':
			kept_wait = optarg;
			t.keep_maps = true;
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
	printf("consumer: %llu frames checked, %llu bad, %llu buffers, daemon: "
	       "%llu live buffers, %llu imports\n",
	       (unsigned long long)t.frames, (unsigned long long)t.bad_frames,
	       (unsigned long long)t.buffers_seen,
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
	if (device_wait && release_device(&t, device_wait))
		t.failed = 1;
	if (kept_wait && check_kept(&t, kept_wait))
		t.failed = 1;
	return t.failed || t.bad_frames || t.live || t.frames < frames;
}
