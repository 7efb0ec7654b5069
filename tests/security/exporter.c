// SPDX-License-Identifier: MIT
/*
 * exporter N: the guest half of suite security's fd test. Exports N
 * one-page udmabufs through /dev/vdmabuf, each once and never presented,
 * until all are exported or the device refuses one; prints
 * "exported K of N: <why>" and holds them until SIGTERM, then closes
 * /dev/vdmabuf with all of them exported. At each SIGUSR1 it exports one
 * more and prints "one more: <why>". Its own fd for each buffer is closed
 * once exported: the driver holds the dmabuf.
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

static int one_page(int dev)
{
	struct udmabuf_create create = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = 4096 };
	int memfd = memfd_create("exporter", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	int fd;

	if (memfd < 0 || ftruncate(memfd, 4096) < 0 ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0)
		return -errno;
	create.memfd = memfd;
	fd = ioctl(dev, UDMABUF_CREATE, &create);
	if (fd < 0)
		fd = -errno;
	close(memfd);
	return fd;
}

static const struct vdmabuf_buffer_desc desc = {
	.width = 32, .height = 32, .fourcc = DRM_FORMAT_XRGB8888,
	.modifier = DRM_FORMAT_MOD_LINEAR, .num_planes = 1,
	.planes = { { .offset = 0, .stride = 128 } },
};

static int export_one(struct vdmabuf_producer *p, int dev)
{
	struct vdmabuf_id id;
	int fd = one_page(dev), err;

	if (fd < 0)
		return fd;
	err = vdmabuf_producer_export(p, fd, &desc, &id);
	close(fd);
	return err;
}

int main(int argc, char *argv[])
{
	long n = argc == 2 ? strtol(argv[1], NULL, 10) : 0;
	struct vdmabuf_producer *p;
	int dev, err = 0;
	long k;
	sigset_t mask;

	if (n <= 0) {
		fprintf(stderr, "usage: exporter N\n");
		return 2;
	}
	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	p = vdmabuf_producer_create(NULL, &err);
	if (dev < 0 || !p) {
		fprintf(stderr, "exporter: %s\n", strerror(dev < 0 ? errno : -err));
		return 1;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	for (k = 0; k < n; k++)
		if ((err = export_one(p, dev)) < 0)
			break;
	printf("exported %ld of %ld: %s\n", k, n, k == n ? "all" : strerror(-err));
	fflush(stdout);
	while (sigwaitinfo(&mask, NULL) == SIGUSR1) {
		err = export_one(p, dev);
		printf("one more: %s\n", err < 0 ? strerror(-err) : "exported");
		fflush(stdout);
	}
	vdmabuf_producer_destroy(p);
	return 0;
}
