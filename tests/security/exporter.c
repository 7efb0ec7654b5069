// SPDX-License-Identifier: MIT
/*
 * exporter N [PAGES]: the guest half of suite security's fd, stall and
 * pinned tests. Exports N udmabufs of PAGES pages (default 1; 32 pixels
 * wide, 32 rows a page) through /dev/vdmabuf, each once and never
 * presented, until all are exported or the device refuses one; prints
 * "exported K of N: <why>" and holds them until SIGTERM, then closes
 * /dev/vdmabuf with all of them exported. At each SIGUSR1 it exports one
 * more and prints "one more: <why>"; at each SIGUSR2 it unexports the
 * oldest it holds and prints "unexported one: <why>". Its own fd for each
 * buffer is closed once exported: the driver holds the dmabuf.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/udmabuf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <vdmabuf.h>

static long pages = 1;

static int one_buffer(int dev)
{
	struct udmabuf_create create = {
		.flags = UDMABUF_FLAGS_CLOEXEC, .size = pages * 4096,
	};
	int memfd = memfd_create("exporter", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	int fd;

	if (memfd < 0 || ftruncate(memfd, pages * 4096) < 0 ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0)
		return -errno;
	create.memfd = memfd;
	fd = ioctl(dev, UDMABUF_CREATE, &create);
	if (fd < 0)
		fd = -errno;
	close(memfd);
	return fd;
}

/* Held: ids[first..count) exported and not yet unexported. */
static struct vdmabuf_id *ids;
static long first, count;

static int export_one(struct vdmabuf_producer *p, int dev)
{
	const struct vdmabuf_buffer_desc desc = {
		.width = 32, .height = 32 * pages, .fourcc = DRM_FORMAT_XRGB8888,
		.modifier = DRM_FORMAT_MOD_LINEAR, .num_planes = 1,
		.planes = { { .offset = 0, .stride = 128 } },
	};
	int fd = one_buffer(dev), err;

	if (fd < 0)
		return fd;
	err = vdmabuf_producer_export(p, fd, &desc, &ids[count]);
	close(fd);
	if (err >= 0)
		count++;
	return err;
}

int main(int argc, char *argv[])
{
	long n = argc >= 2 && argc <= 3 ? strtol(argv[1], NULL, 10) : 0;
	struct vdmabuf_producer *p;
	int dev, sig, err = 0;
	long k;
	sigset_t mask;

	if (argc == 3)
		pages = strtol(argv[2], NULL, 10);
	if (n <= 0 || pages <= 0 || pages > 512) {
		fprintf(stderr, "usage: exporter N [PAGES]\n");
		return 2;
	}
	/* Room for every SIGUSR1 too. */
	ids = calloc(n + 1024, sizeof(*ids));
	if (!ids)
		return 1;
	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	p = vdmabuf_producer_create(NULL, &err);
	if (dev < 0 || !p) {
		fprintf(stderr, "exporter: %s\n", strerror(dev < 0 ? errno : -err));
		return 1;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	for (k = 0; k < n; k++)
		if ((err = export_one(p, dev)) < 0)
			break;
	printf("exported %ld of %ld: %s\n", k, n, k == n ? "all" : strerror(-err));
	fflush(stdout);
	while ((sig = sigwaitinfo(&mask, NULL)) == SIGUSR1 || sig == SIGUSR2) {
		if (sig == SIGUSR2) {
			err = first < count ? vdmabuf_producer_unexport(p, &ids[first]) : -ENOENT;
			first += err >= 0;
			printf("unexported one: %s\n", err < 0 ? strerror(-err) : "done");
		} else if (count == n + 1024) {
			printf("one more: no room\n");
		} else {
			err = export_one(p, dev);
			printf("one more: %s\n", err < 0 ? strerror(-err) : "exported");
		}
		fflush(stdout);
	}
	vdmabuf_producer_destroy(p);
	return 0;
}
