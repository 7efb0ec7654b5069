// SPDX-License-Identifier: MIT
/*
 * importer [--device PATH]
 * The guest half of test importer: /dev/vdmabuf as a dmabuf importer.
 *
 *   refused   a dmabuf of PCI BAR memory (vdmabuf_mmio_exporter.ko, as
 *             VRAM would be) is refused with EOPNOTSUPP.
 *
 * Then frames whose rendering is not done yet. vgem stands in for a GPU: its buffers are guest pages, and it attaches
 * write fences to them that only we signal (or its own 10 s timer). The
 * buffer holds half of a frame's pattern while its fence is unsignalled
 * and the rest only just before the fence signals, so a host that got the
 * frame early would see wrong bytes (the consumer checks every byte).
 *
 *   implicit  frame 1 (buffer A, write fence) then 2 (B, no fence):
 *             PRESENT returns at once, nothing is released while the fence
 *             waits, then both come back in order.
 *   timeout   frame 3 (A, a fence nobody signals) is discarded within the
 *             driver's bound (RELEASE with DISCARDED, ETIMEDOUT), then
 *             frame 4 (B) goes through.
 *   explicit  frame 5 (A) waits for a sync_file of another buffer's fence;
 *             a fence_fd that is no sync_file is EINVAL.
 *   close     frame 7 (A, fence) waits when the producer closes: it never
 *             leaves, and the fence signalled later finds nobody.
 * The host's consumer expects frames 1, 2, 4 and 5, in order.
 */
#include <drm_fourcc.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/dma-buf.h>

#include <vdmabuf.h>

#include "pattern.h"
#include "vgem.h"

#define WIDTH 256
#define HEIGHT 256
#define STRIDE (WIDTH * 4)
#define SIZE ((size_t)STRIDE * HEIGHT)

struct bo {
	uint32_t handle;
	int fd;				/* its dmabuf */
	uint8_t *map;
	struct vdmabuf_id id;
};

struct release {
	uint64_t frame;
	uint32_t flags, count;
	uint64_t at_ns;
};

struct importer_test {
	int vgem;
	struct vdmabuf_producer *p;
	struct release releases[16];
	unsigned int num_releases;
};

static void die(const char *what, int err)
{
	fprintf(stderr, "importer: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static void fail(const char *why)
{
	fprintf(stderr, "importer: %s\n", why);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void bo_create(struct importer_test *t, struct bo *bo)
{
	uint32_t pitch;

	if (vgem_create(t->vgem, WIDTH, HEIGHT, &bo->handle, &pitch))
		die("vgem create", errno);
	if (pitch != STRIDE)
		fail("vgem gave an unexpected layout");
	if (drmPrimeHandleToFD(t->vgem, bo->handle, DRM_CLOEXEC | DRM_RDWR, &bo->fd))
		die("prime export", errno);
	bo->map = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, bo->fd, 0);
	if (bo->map == MAP_FAILED)
		die("mmap", errno);
}

static void bo_export(struct importer_test *t, struct bo *bo)
{
	const struct vdmabuf_buffer_desc desc = {
		.width = WIDTH, .height = HEIGHT, .fourcc = DRM_FORMAT_XRGB8888,
		.num_planes = 1, .modifier = DRM_FORMAT_MOD_LINEAR,
		.planes = { { 0, STRIDE } },
	};
	int err = vdmabuf_producer_export(t->p, bo->fd, &desc, &bo->id);

	if (err < 0)
		die("export", err);
}

/* A write fence on bo that only we (or vgem's timer) signal. */
static uint32_t fence_attach(struct importer_test *t, struct bo *bo)
{
	uint32_t fence = vgem_fence_attach(t->vgem, bo->handle);

	if (!fence)
		die("vgem fence attach", errno);
	return fence;
}

static void fence_signal(struct importer_test *t, uint32_t fence)
{
	if (vgem_fence_signal(t->vgem, fence))
		die("vgem fence signal", errno);
}

/* Half of frame's pattern now; the rest with pattern_finish(). */
static void pattern_half(struct bo *bo, uint64_t frame)
{
	memset(bo->map + PATTERN_MARKER, 0, SIZE - PATTERN_MARKER);
	pattern_fill(bo->map, SIZE / 2, frame);
}

static void pattern_finish(struct bo *bo, uint64_t frame)
{
	pattern_fill(bo->map, SIZE, frame);
}

static void present(struct importer_test *t, struct bo *bo, uint64_t frame, int fence_fd)
{
	uint64_t start = now_ns();
	int err = vdmabuf_producer_present_fenced(t->p, &bo->id, frame, NULL, 0, fence_fd);

	if (err < 0)
		die("present", err);
	/* Never waits for rendering: only for the device's answer, if sent. */
	if (now_ns() - start > 200000000ull)
		fail("PRESENT blocked while its fence was unsignalled");
}

static void on_release(void *data, const struct vdmabuf_id *id, uint64_t frame,
		       uint64_t present_ns, uint32_t refresh_ns, uint32_t flags)
{
	struct importer_test *t = data;

	if (t->num_releases == sizeof(t->releases) / sizeof(t->releases[0]))
		fail("too many releases");
	t->releases[t->num_releases++] = (struct release){ frame, flags, 0, now_ns() };
}

static const struct vdmabuf_producer_listener listener = {
	.release = on_release,
};

/* Handles events for up to ms; returns the release of frame, or NULL. */
static const struct release *wait_release(struct importer_test *t, uint64_t frame, int ms)
{
	struct pollfd pfd = { .fd = vdmabuf_producer_get_fd(t->p), .events = POLLIN };
	uint64_t end = now_ns() + ms * 1000000ull;

	for (;;) {
		int n;

		for (unsigned int i = 0; i < t->num_releases; i++)
			if (t->releases[i].frame == frame)
				return &t->releases[i];
		if (now_ns() >= end)
			return NULL;
		n = poll(&pfd, 1, (int)((end - now_ns()) / 1000000) + 1);
		if (n < 0 && errno != EINTR)
			die("poll", errno);
		if (n > 0 && (n = vdmabuf_producer_dispatch(t->p, &listener, t)) < 0)
			die("dispatch", n);
	}
}

static void expect_shown(struct importer_test *t, struct bo *bo, uint64_t frame)
{
	const struct release *r = wait_release(t, frame, 20000);

	if (!r)
		fail("a frame whose fence signalled never came back");
	if (r->flags & VDMABUF_RELEASE_DISCARDED)
		fail("a frame whose fence signalled was discarded");
	if (!pattern_marked(bo->map, frame))
		fail("the host did not mark the frame it checked");
	printf("importer: frame %llu shown\n", (unsigned long long)frame);
}

static unsigned int fence_timeout_ms(void)
{
	FILE *f = fopen("/sys/module/virtio_vdmabuf/parameters/fence_timeout_ms", "r");
	unsigned int ms = 0;

	if (!f || fscanf(f, "%u", &ms) != 1)
		fail("no fence_timeout_ms parameter");
	fclose(f);
	return ms;
}

static void test_implicit(struct importer_test *t, struct bo *a, struct bo *b)
{
	uint32_t fence = fence_attach(t, a);

	pattern_half(a, 1);
	present(t, a, 1, -1);
	pattern_finish(b, 2);
	present(t, b, 2, -1);
	/* The host would release either frame in milliseconds once it had it. */
	if (wait_release(t, 1, 1000) || wait_release(t, 2, 0))
		fail("a frame left before its fence (or the one ahead of it) signalled");
	pattern_finish(a, 1);
	fence_signal(t, fence);
	expect_shown(t, a, 1);
	expect_shown(t, b, 2);
	if (wait_release(t, 1, 0)->at_ns > wait_release(t, 2, 0)->at_ns)
		fail("frame 2 overtook frame 1, which waited for its fence");
	printf("importer: implicit sync: frames 1 and 2 waited for 1's fence, in order\n");
}

static void test_timeout(struct importer_test *t, struct bo *a, struct bo *b)
{
	unsigned int bound = fence_timeout_ms();
	uint32_t fence = fence_attach(t, a);
	const struct release *r;
	uint64_t start, waited_ms;

	pattern_half(a, 3);
	start = now_ns();
	present(t, a, 3, -1);
	r = wait_release(t, 3, bound + 5000);
	if (!r)
		fail("a frame whose fence never signals was never given back");
	waited_ms = (r->at_ns - start) / 1000000;
	if (!(r->flags & VDMABUF_RELEASE_DISCARDED))
		fail("a frame whose fence never signalled was not discarded");
	if (waited_ms + 50 < bound || waited_ms > bound + 3000)
		fail("the frame was not discarded at the bound");
	fence_signal(t, fence);
	pattern_finish(b, 4);
	present(t, b, 4, -1);
	expect_shown(t, b, 4);
	printf("importer: timeout: frame 3 discarded after %llu ms (bound %u ms), then frame 4 shown\n",
	       (unsigned long long)waited_ms, bound);
}

/* A sync_file of the fences a reader of other must wait for. */
static int export_sync_file(struct bo *other)
{
	struct dma_buf_export_sync_file sync = { .flags = DMA_BUF_SYNC_READ, .fd = -1 };

	if (ioctl(other->fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &sync))
		die("export sync_file", errno);
	return sync.fd;
}

static void test_explicit(struct importer_test *t, struct bo *a, struct bo *c)
{
	uint32_t fence = fence_attach(t, c);
	int sync_file = export_sync_file(c);
	int err;

	err = vdmabuf_producer_present_fenced(t->p, &a->id, 6, NULL, 0, t->vgem);
	if (err != -EINVAL)
		fail("a fence_fd that is no sync_file was not EINVAL");
	pattern_half(a, 5);
	present(t, a, 5, sync_file);
	close(sync_file);
	if (wait_release(t, 5, 1000))
		fail("a frame left before its sync_file signalled");
	pattern_finish(a, 5);
	fence_signal(t, fence);
	expect_shown(t, a, 5);
	printf("importer: explicit sync: frame 5 waited for its sync_file\n");
}

#define VDMABUF_MMIO_EXPORT _IO('M', 1)	/* tests/kmod/vdmabuf_mmio_exporter.c */

static void test_refused(struct importer_test *t)
{
	const struct vdmabuf_buffer_desc desc = {
		.width = 32, .height = 32, .fourcc = DRM_FORMAT_XRGB8888,
		.num_planes = 1, .modifier = DRM_FORMAT_MOD_LINEAR,
		.planes = { { 0, 32 * 4 } },
	};
	int dev = open("/dev/vdmabuf_mmio_exporter", O_RDWR | O_CLOEXEC);
	struct vdmabuf_id id;
	int fd, err;

	if (dev < 0)
		die("/dev/vdmabuf_mmio_exporter", errno);
	fd = ioctl(dev, VDMABUF_MMIO_EXPORT);
	if (fd < 0)
		die("mmio export", errno);
	err = vdmabuf_producer_export(t->p, fd, &desc, &id);
	if (err != -EOPNOTSUPP) {
		fprintf(stderr, "importer: export of BAR memory: %s\n",
			err < 0 ? strerror(-err) : "accepted");
		exit(1);
	}
	close(fd);
	close(dev);
	printf("importer: refused: a dmabuf of BAR memory is EOPNOTSUPP\n");
}

static void test_close(struct importer_test *t, struct bo *a)
{
	uint32_t fence = fence_attach(t, a);

	pattern_half(a, 7);
	present(t, a, 7, -1);
	vdmabuf_producer_destroy(t->p);
	t->p = NULL;
	fence_signal(t, fence);
	printf("importer: close: frame 7 was waiting when the producer closed\n");
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "device", required_argument, NULL, 'd' },
		{ 0 },
	};
	struct importer_test t = { 0 };
	const char *device = NULL;
	struct bo bos[3], *a = &bos[0], *b = &bos[1], *c = &bos[2];
	int opt, err;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (opt != 'd') {
			fprintf(stderr, "usage: importer [--device PATH]\n");
			return 2;
		}
		device = optarg;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	t.vgem = vgem_open();
	if (t.vgem < 0)
		fail("no vgem device (modprobe vgem)");
	t.p = vdmabuf_producer_create(device, &err);
	if (!t.p)
		die("open the device", err);
	for (int i = 0; i < 3; i++)
		bo_create(&t, &bos[i]);
	bo_export(&t, a);
	bo_export(&t, b);

	test_refused(&t);
	test_implicit(&t, a, b);
	test_timeout(&t, a, b);
	test_explicit(&t, a, c);
	test_close(&t, a);

	for (int i = 0; i < 3; i++) {
		munmap(bos[i].map, SIZE);
		close(bos[i].fd);
	}
	close(t.vgem);
	printf("importer: passed\n");
	return 0;
}
