// SPDX-License-Identifier: MIT
/*
 * fragmented MIB: exports a udmabuf of MIB MiB whose pages were faulted in
 * a shuffled order, so that nearly every page is an extent of its own,
 * and prints "max_extents N; export of MIB MiB: <why>". The guest half of
 * suite security's extents test.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/udmabuf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <vdmabuf.h>

int main(int argc, char *argv[])
{
	long mib = argc == 2 ? strtol(argv[1], NULL, 10) : 0;
	size_t size = (size_t)mib << 20, pages = size / 4096;
	struct udmabuf_create create = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = size };
	struct vdmabuf_buffer_desc desc = {
		.width = 4096, .height = (uint32_t)(size / 4096 / 4),
		.fourcc = DRM_FORMAT_XRGB8888, .modifier = DRM_FORMAT_MOD_LINEAR,
		.num_planes = 1, .planes = { { .offset = 0, .stride = 4096 * 4 } },
	};
	struct vdmabuf_producer *p;
	struct vdmabuf_info info;
	struct vdmabuf_id id;
	uint8_t *map;
	int memfd, dev, fd, err = 0;

	if (mib <= 0 || mib > 1024) {
		fprintf(stderr, "usage: fragmented MIB\n");
		return 2;
	}
	memfd = memfd_create("fragmented", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, size) < 0 ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0) {
		perror("fragmented: memfd");
		return 1;
	}
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (map == MAP_FAILED) {
		perror("fragmented: mmap");
		return 1;
	}
	/* Fault the pages in a stride coprime with their count: shuffled. */
	for (size_t i = 0, k = 0; i < pages; i++, k = (k + 40503) % pages)
		map[k * 4096] = 1;
	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	create.memfd = memfd;
	fd = dev < 0 ? -1 : ioctl(dev, UDMABUF_CREATE, &create);
	if (fd < 0) {
		perror("fragmented: udmabuf");
		return 1;
	}
	p = vdmabuf_producer_create(NULL, &err);
	if (!p || vdmabuf_producer_info(p, &info) < 0) {
		fprintf(stderr, "fragmented: /dev/vdmabuf: %s\n", strerror(-err));
		return 1;
	}
	err = vdmabuf_producer_export(p, fd, &desc, &id);
	printf("max_extents %u; export of %ld MiB: %s\n", info.max_extents, mib,
	       err < 0 ? strerror(-err) : "exported");
	vdmabuf_producer_destroy(p);
	return 0;
}
