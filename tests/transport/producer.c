// SPDX-License-Identifier: MIT
/*
 * producer [--size WxH] [--frames N] [--buffers K] [--alloc udmabuf|heap]
 *          [--hold SEC] [--wait-consumer] [--any-release] [--expect-reset]
 *          [--rewrite-wait PATH] [--damage N] [--warm N --sync DIR]
 *          [--present-twice PATH]
 * The guest half of the transport tests: exports K dmabufs once through
 * libvdmabuf, then for each frame fills a free buffer with the frame's
 * pattern, presents it and waits for buffers to come back. Each release
 * must name a frame in flight, carry the host's timing, and the buffer
 * must hold the marker the host wrote through its own mapping: the proof
 * that host and guest share the pages. Prints one summary line.
 *
 * --wait-consumer  start once a host consumer is attached
 * --any-release    releases need not be presented (the host's consumer
 *                  may be gone); no timing or marker checks
 * --expect-reset   the host backend restarts meanwhile: on RESET export
 *                  everything again and carry on; at least one must come,
 *                  and frames go on past N until it has (up to 100 N)
 * --bench          no pattern, no marker: time the transport alone and
 *                  print a "bench:" line (bench/transport)
 * --rewrite-wait PATH  once every buffer retired, fill them with
 *                  REWRITE_BYTE as memory the guest reuses, print
 *                  "producer: rewrote", wait for PATH to exist (the host
 *                  tried to reach the pages meanwhile) and fail unless
 *                  every byte is still REWRITE_BYTE
 * --damage N       each frame names N damage rectangles (0: all of it)
 * --warm N --sync DIR  once the first N frames are released, create
 *                  DIR/warm-done and wait for DIR/warm-sampled; once all
 *                  are, DIR/frames-done and DIR/frames-sampled: the host
 *                  reads the device's counters of the frames between
 * --present-twice PATH  present frame 1 of a buffer, wait for PATH (the
 *                  host's consumer holds it), present frame 2 of the same
 *                  buffer: the device refuses it and frame 2 must come
 *                  back discarded (then PATH.discarded is created), before
 *                  frame 1's release
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <vdmabuf.h>

#include "pattern.h"

#define MAX_BUFFERS 16
#define REWRITE_BYTE 0xa5
#define XR24 0x34325258u

struct slot {
	int fd;
	uint8_t *map;
	struct vdmabuf_id id;
	uint64_t frame;		/* in flight, 0 when free */
	uint64_t presented_at;
};

struct producer_test {
	struct slot slots[MAX_BUFFERS];
	unsigned int num_slots;
	size_t size;
	uint64_t releases, presented, not_marked, retired, resets;
	uint64_t *latencies;
	int failed;
	bool any_release;
	bool reset_pending;
	bool bench;
	uint64_t export_ns[MAX_BUFFERS];
	uint64_t first_release_ns;	/* first export to first release */
	uint64_t export_started;
	/* --present-twice: frame 2 discarded (at this release), frame 1 released */
	bool twice;
	uint64_t twice_discarded, twice_released;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "producer: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static int alloc_dmabuf(const char *kind, size_t size)
{
	if (strcmp(kind, "heap") == 0) {
		struct dma_heap_allocation_data data = {
			.len = size, .fd_flags = O_RDWR | O_CLOEXEC,
		};
		int heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);

		if (heap < 0 || ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &data) < 0)
			die("DMA_HEAP_IOCTL_ALLOC", errno);
		close(heap);
		return data.fd;
	} else {
		struct udmabuf_create create = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = size };
		int dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
		int memfd = memfd_create("producer", MFD_ALLOW_SEALING | MFD_CLOEXEC);
		int fd;

		if (dev < 0 || memfd < 0 || ftruncate(memfd, size) < 0 ||
		    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0)
			die("memfd for udmabuf", errno);
		create.memfd = memfd;
		fd = ioctl(dev, UDMABUF_CREATE, &create);
		if (fd < 0)
			die("UDMABUF_CREATE", errno);
		close(memfd);
		close(dev);
		return fd;
	}
}

static void cpu_access(int fd, unsigned long flags)
{
	struct dma_buf_sync sync = { .flags = flags | DMA_BUF_SYNC_RW };

	while (ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync) < 0 && errno == EINTR)
		;
}

static struct slot *find_slot(struct producer_test *t, const struct vdmabuf_id *id)
{
	for (unsigned int i = 0; i < t->num_slots; i++)
		if (vdmabuf_id_equal(&t->slots[i].id, id))
			return &t->slots[i];
	return NULL;
}

static void on_release(void *data, const struct vdmabuf_id *id, uint64_t frame,
		       uint64_t present_ns, uint32_t refresh_ns, uint32_t flags)
{
	struct producer_test *t = data;
	struct slot *slot = find_slot(t, id);

	if (t->twice && slot && slot->frame == 2 && frame == 2 &&
	    (flags & VDMABUF_RELEASE_DISCARDED)) {
		/* --present-twice: the device refused frame 2; frame 1 is still out. */
		t->twice_discarded = ++t->releases;
		slot->frame = 1;
		return;
	}
	if (t->twice && slot && slot->frame == 1 && frame == 1 && t->twice_discarded) {
		t->twice_released = ++t->releases;
		slot->frame = 0;
		return;
	}

	if (!slot || slot->frame != frame) {
		fprintf(stderr, "producer: release of frame %llu not in flight\n",
			(unsigned long long)frame);
		t->failed = 1;
		return;
	}
	if (t->any_release) {
		t->latencies[t->releases++] = now_ns() - slot->presented_at;
		slot->frame = 0;
		return;
	}
	if (!present_ns || !refresh_ns || !(flags & VDMABUF_RELEASE_PRESENTED)) {
		fprintf(stderr, "producer: release of frame %llu without timing\n",
			(unsigned long long)frame);
		t->failed = 1;
	} else if (present_ns < slot->presented_at || present_ns > now_ns()) {
		/* The host showed it between our present and this release. */
		fprintf(stderr, "producer: frame %llu shown at %+lld ns from its present, "
			"released %+lld ns after it: not on our clock\n", (unsigned long long)frame,
			(long long)(present_ns - slot->presented_at),
			(long long)(now_ns() - slot->presented_at));
		t->failed = 1;
	}
	if (!t->first_release_ns)
		t->first_release_ns = now_ns() - t->export_started;
	if (!t->bench) {
		cpu_access(slot->fd, DMA_BUF_SYNC_START);
		if (!pattern_marked(slot->map, frame))
			t->not_marked++;
		cpu_access(slot->fd, DMA_BUF_SYNC_END);
	}
	t->latencies[t->releases++] = now_ns() - slot->presented_at;
	slot->frame = 0;
}

static void on_retired(void *data, const struct vdmabuf_id *id)
{
	((struct producer_test *)data)->retired++;
}

static void on_reset(void *data)
{
	struct producer_test *t = data;

	t->resets++;
	t->reset_pending = true;
	/*
	 * Every id is gone, and the frames in flight with them: a PRESENT
	 * without reply (version 2) was taken, and no RELEASE follows.
	 */
	for (unsigned int i = 0; i < t->num_slots; i++)
		t->slots[i].frame = 0;
}

static const struct vdmabuf_producer_listener listener = {
	.release = on_release,
	.retired = on_retired,
	.reset = on_reset,
};

/*
 * Waits for events for about timeout_ms and handles them. Counts polls
 * rather than reading a clock: a guest nested in TCG sees its clock jump
 * seconds ahead now and then.
 */
static void wait_events(struct vdmabuf_producer *p, struct producer_test *t, int timeout_ms)
{
	struct pollfd pfd = { vdmabuf_producer_get_fd(p), POLLIN, 0 };
	int n, polls = timeout_ms >= 100 ? timeout_ms / 100 : 1;

	while ((n = poll(&pfd, 1, timeout_ms >= 100 ? 100 : timeout_ms)) == 0 && --polls)
		;
	if (n == 0 && timeout_ms >= 10000) {
		fprintf(stderr, "producer: no event in %d polls of 100 ms\n", timeout_ms / 100);
		exit(1);
	}
	n = vdmabuf_producer_dispatch(p, &listener, t);
	if (n < 0)
		die("dispatch", n);
}

static void export_all(struct vdmabuf_producer *p, struct producer_test *t,
		       unsigned int width, unsigned int height)
{
	t->export_started = now_ns();
	for (unsigned int i = 0; i < t->num_slots; i++) {
		struct slot *slot = &t->slots[i];
		struct vdmabuf_buffer_desc desc = {
			.width = width, .height = height, .fourcc = XR24,
			.modifier = 0, .num_planes = 1,
			.planes[0] = { .offset = 0, .stride = width * 4 },
		};
		uint64_t start = now_ns();
		int err = vdmabuf_producer_export(p, slot->fd, &desc, &slot->id);

		if (err < 0)
			die("export", err);
		t->export_ns[i] = now_ns() - start;
		slot->frame = 0;
	}
}

/* Waits for DIR/NAME-sampled after creating DIR/NAME-done (--sync). */
static void sync_host(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s-done", dir, name);
	f = fopen(path, "w");
	if (!f)
		die(path, errno);
	fclose(f);
	snprintf(path, sizeof(path), "%s/%s-sampled", dir, name);
	for (int waited = 0; access(path, F_OK) < 0; waited++) {
		if (waited == 6000)
			die(path, ETIMEDOUT);
		usleep(100000);
	}
}

/*
 * --present-twice: frame 2 of a buffer whose frame 1 the host holds is
 * one the driver takes and the device refuses (EBUSY); it comes back
 * discarded, frame 1 released after it.
 */
static void present_twice(struct vdmabuf_producer *p, struct producer_test *t, const char *path)
{
	struct slot *slot = &t->slots[0];
	char done[4096];
	FILE *f;
	int err;

	t->twice = true;
	slot->frame = 1;
	err = vdmabuf_producer_present(p, &slot->id, 1, NULL, 0);
	if (err < 0)
		die("present frame 1", err);
	for (int waited = 0; access(path, F_OK) < 0; waited++) {
		if (waited == 6000)
			die(path, ETIMEDOUT);
		usleep(100000);
	}
	slot->frame = 2;
	err = vdmabuf_producer_present(p, &slot->id, 2, NULL, 0);
	if (err < 0)
		die("present frame 2", err);
	while (!t->twice_discarded && !t->failed)
		wait_events(p, t, 60000);
	snprintf(done, sizeof(done), "%s.discarded", path);
	f = fopen(done, "w");
	if (!f)
		die(done, errno);
	fclose(f);
	while (!t->twice_released && !t->failed)
		wait_events(p, t, 60000);
	printf("producer: frame 2 discarded at release %llu, frame 1 released at %llu\n",
	       (unsigned long long)t->twice_discarded, (unsigned long long)t->twice_released);
	if (t->twice_discarded != 1 || t->twice_released != 2)
		t->failed = 1;
	t->presented = t->releases;
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int count_fds(void)
{
	char path[64];
	int n = 0;

	for (int fd = 0; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n += access(path, F_OK) == 0;
	}
	return n;
}

/*
 * Retired: the pages are the guest's alone again. Writes them as reused
 * memory would be written, lets the host try to read and write them
 * through what it kept, and checks nothing of the host's reached them.
 */
static void rewrite(struct producer_test *t, const char *wait_path)
{
	size_t changed = 0;

	for (unsigned int i = 0; i < t->num_slots; i++)
		memset(t->slots[i].map, REWRITE_BYTE, t->size);
	printf("producer: rewrote %u retired buffers\n", t->num_slots);
	fflush(stdout);
	for (int waited = 0; access(wait_path, F_OK) < 0; waited++) {
		if (waited == 6000)
			die("waiting for the host", ETIMEDOUT);
		usleep(100000);
	}
	for (unsigned int i = 0; i < t->num_slots; i++)
		for (size_t b = 0; b < t->size; b++)
			changed += t->slots[i].map[b] != REWRITE_BYTE;
	printf("producer: %zu bytes of the retired buffers changed by the host\n", changed);
	if (changed)
		t->failed = 1;
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "size", required_argument, NULL, 's' },
		{ "frames", required_argument, NULL, 'n' },
		{ "buffers", required_argument, NULL, 'b' },
		{ "alloc", required_argument, NULL, 'a' },
		{ "hold", required_argument, NULL, 'h' },
		{ "wait-consumer", no_argument, NULL, 'w' },
		{ "any-release", no_argument, NULL, 'r' },
		{ "expect-reset", no_argument, NULL, 'e' },
		{ "bench", no_argument, NULL, 'B' },
		{ "rewrite-wait", required_argument, NULL, 'W' },
		{ "damage", required_argument, NULL, 'd' },
		{ "warm", required_argument, NULL, 'm' },
		{ "sync", required_argument, NULL, 'S' },
		{ "present-twice", required_argument, NULL, 'T' },
		{ 0 },
	};
	struct vdmabuf_rect damage[16];
	unsigned int num_damage = 0;
	uint64_t warm = 0;
	const char *sync_dir = NULL, *twice_path = NULL;
	unsigned int width = 256, height = 256, hold = 0;
	uint64_t frames = 10;
	const char *alloc = "udmabuf", *rewrite_wait = NULL;
	struct producer_test t = { .num_slots = 3 };
	struct vdmabuf_producer *p;
	bool wait_consumer = false, expect_reset = false;
	int opt, err, fds_before;
	uint64_t start;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (sscanf(optarg, "%ux%u", &width, &height) != 2)
				return 2;
			break;
		case 'n':
			frames = strtoull(optarg, NULL, 0);
			break;
		case 'b':
			t.num_slots = atoi(optarg);
			break;
		case 'a':
			alloc = optarg;
			break;
		case 'h':
			hold = atoi(optarg);
			break;
		case 'w':
			wait_consumer = true;
			break;
		case 'r':
			t.any_release = true;
			break;
		case 'B':
			t.bench = true;
			break;
		case 'W':
			rewrite_wait = optarg;
			break;
		case 'd':
			num_damage = atoi(optarg);
			if (num_damage > 16)
				return 2;
			break;
		case 'm':
			warm = strtoull(optarg, NULL, 0);
			break;
		case 'S':
			sync_dir = optarg;
			break;
		case 'T':
			twice_path = optarg;
			break;
		case 'e':
			expect_reset = true;
			t.any_release = true;
			break;
		default:
			return 2;
		}
	}
	if (!t.num_slots || t.num_slots > MAX_BUFFERS || (warm && (!sync_dir || warm >= frames)))
		return 2;
	/* Bands across the buffer: damage inside it, whatever N. */
	for (unsigned int i = 0; i < num_damage; i++)
		damage[i] = (struct vdmabuf_rect){ 0, (int)(i * height / 16), (int)width,
						   (int)(height / 16 ? height / 16 : 1) };
	t.size = ((size_t)width * height * 4 + 4095) & ~(size_t)4095;
	t.latencies = calloc(frames + 1, sizeof(*t.latencies));

	fds_before = count_fds();
	p = vdmabuf_producer_create(NULL, &err);
	if (!p)
		die("open /dev/vdmabuf", err);
	for (unsigned int i = 0; i < t.num_slots; i++) {
		struct slot *slot = &t.slots[i];

		slot->fd = alloc_dmabuf(alloc, t.size);
		slot->map = mmap(NULL, t.size, PROT_READ | PROT_WRITE, MAP_SHARED, slot->fd, 0);
		if (slot->map == MAP_FAILED)
			die("mmap", errno);
	}
	if (wait_consumer) {
		struct vdmabuf_info info;

		for (int waited = 0; vdmabuf_producer_info(p, &info) == 0 && !info.consumers;
		     waited++) {
			if (waited == 600)
				die("no host consumer", ETIMEDOUT);
			wait_events(p, &t, 100);
		}
	}
	export_all(p, &t, width, height);
	printf("producer: exported %u buffers\n", t.num_slots);
	fflush(stdout);

	if (twice_path) {
		present_twice(p, &t, twice_path);
		frames = 0;
	}
	start = now_ns();
	for (uint64_t frame = 1; !t.failed && frames; frame++) {
		struct slot *slot = NULL;

		/* However slowly the host gets to its restart. */
		if (frame > frames && !(expect_reset && !t.resets && frame <= 100 * frames))
			break;
		if (warm && frame == warm + 1) {
			while (t.releases < t.presented && !t.failed)
				wait_events(p, &t, 10000);
			sync_host(sync_dir, "warm");
		}

		while (!slot) {
			for (unsigned int i = 0; i < t.num_slots && !slot; i++)
				if (!t.slots[i].frame)
					slot = &t.slots[i];
			if (!slot)
				wait_events(p, &t, 10000);
		}
		if (!t.bench) {
			cpu_access(slot->fd, DMA_BUF_SYNC_START);
			pattern_fill(slot->map, t.size, frame);
			memset(slot->map, 0, PATTERN_MARKER);
			cpu_access(slot->fd, DMA_BUF_SYNC_END);
		}
		slot->frame = frame;
		slot->presented_at = now_ns();
		err = vdmabuf_producer_present(p, &slot->id, frame, num_damage ? damage : NULL,
					       num_damage);
		if (err < 0 && expect_reset) {
			/* The device lost our ids: its RESET follows. */
			while (!t.reset_pending)
				wait_events(p, &t, 10000);
		} else if (err < 0) {
			die("present", err);
		} else {
			t.presented++;
		}
		if (t.reset_pending) {
			t.reset_pending = false;
			t.presented = t.releases;
			export_all(p, &t, width, height);
			printf("producer: device reset at frame %llu; exported again\n",
			       (unsigned long long)frame);
			fflush(stdout);
		}
		if (expect_reset)
			usleep(50000);
	}
	while (t.releases < t.presented && !t.failed)
		wait_events(p, &t, 10000);
	if (sync_dir && !t.failed)
		sync_host(sync_dir, "frames");
	if (hold)
		sleep(hold);

	for (unsigned int i = 0; i < t.num_slots; i++) {
		err = vdmabuf_producer_unexport(p, &t.slots[i].id);
		if (err < 0)
			die("unexport", err);
		err = vdmabuf_producer_unexport(p, &t.slots[i].id);
		if (err != -ENOENT) {
			fprintf(stderr, "producer: double unexport gave %d\n", err);
			t.failed = 1;
		}
	}
	while (t.retired < t.num_slots && !t.reset_pending)
		wait_events(p, &t, 10000);
	if (rewrite_wait)
		rewrite(&t, rewrite_wait);
	for (unsigned int i = 0; i < t.num_slots; i++) {
		munmap(t.slots[i].map, t.size);
		close(t.slots[i].fd);
	}
	vdmabuf_producer_destroy(p);

	qsort(t.latencies, t.releases, sizeof(*t.latencies), compare_u64);
	printf("producer: %llu frames %ux%u (%s), %llu released, %llu not marked by the host, "
	       "present-to-release median %.3f ms p99 %.3f ms, %.1f frames/s, fds %d -> %d\n",
	       (unsigned long long)t.presented, width, height, alloc,
	       (unsigned long long)t.releases, (unsigned long long)t.not_marked,
	       t.releases ? t.latencies[t.releases / 2] / 1e6 : 0.0,
	       t.releases ? t.latencies[t.releases * 99 / 100] / 1e6 : 0.0,
	       t.presented * 1e9 / (double)(now_ns() - start), fds_before, count_fds());
	if (t.bench) {
		qsort(t.export_ns, t.num_slots, sizeof(t.export_ns[0]), compare_u64);
		printf("bench: method=vdmabuf size=%ux%u frames=%llu export_ms_median=%.3f "
		       "first_frame_ms=%.3f rtt_ms_median=%.3f rtt_ms_p99=%.3f bytes_copied_per_frame=0\n",
		       width, height, (unsigned long long)t.releases,
		       t.export_ns[t.num_slots / 2] / 1e6, t.first_release_ns / 1e6,
		       t.latencies[t.releases / 2] / 1e6, t.latencies[t.releases * 99 / 100] / 1e6);
	}
	if (t.not_marked || count_fds() != fds_before || (expect_reset && !t.resets))
		t.failed = 1;
	return t.failed;
}
