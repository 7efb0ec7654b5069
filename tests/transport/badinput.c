// SPDX-License-Identifier: MIT
/*
 * badinput: in the guest, every wrong thing a producer can hand
 * /dev/vdmabuf, each refused with its errno, and the device still
 * exporting good buffers afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/dma-heap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vdmabuf.h>

static int failures, checks;

#define EXPECT(call, want) do {						\
	int got_ = (call);						\
	checks++;							\
	if (got_ != (want)) {						\
		failures++;						\
		fprintf(stderr, "FAIL %s:%d: %s = %d (%s), want %d (%s)\n",	\
			__FILE__, __LINE__, #call, got_, strerror(-got_),	\
			(want), strerror(-(want)));			\
	}								\
} while (0)

static int heap_alloc(size_t size)
{
	struct dma_heap_allocation_data data = { .len = size, .fd_flags = O_RDWR | O_CLOEXEC };
	int heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);

	if (heap < 0 || ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &data) < 0) {
		perror("dma heap");
		exit(1);
	}
	close(heap);
	return data.fd;
}

int main(void)
{
	struct vdmabuf_buffer_desc desc = {
		.width = 64, .height = 64, .fourcc = 0x34325258, .num_planes = 1,
		.planes[0] = { 0, 256 },
	};
	struct vdmabuf_buffer_desc bad;
	struct vdmabuf_info info;
	struct vdmabuf_id id, forged;
	struct vdmabuf_producer *p;
	int err, memfd, fd;

	p = vdmabuf_producer_create(NULL, &err);
	if (!p) {
		fprintf(stderr, "badinput: open: %s\n", strerror(-err));
		return 1;
	}
	EXPECT(vdmabuf_producer_info(p, &info), 0);
	fd = heap_alloc(64 * 64 * 4);
	memfd = memfd_create("not-a-dmabuf", MFD_CLOEXEC);
	if (ftruncate(memfd, 4096 * 4) < 0)
		return 1;

	EXPECT(vdmabuf_producer_export(p, -1, &desc, &id), -EBADF);
	EXPECT(vdmabuf_producer_export(p, 9999, &desc, &id), -EBADF);
	EXPECT(vdmabuf_producer_export(p, memfd, &desc, &id), -EINVAL);
	bad = desc;
	bad.width = 0;
	EXPECT(vdmabuf_producer_export(p, fd, &bad, &id), -EINVAL);
	bad = desc;
	bad.height = 100000;
	EXPECT(vdmabuf_producer_export(p, fd, &bad, &id), -EINVAL);
	bad = desc;
	bad.num_planes = 5;
	EXPECT(vdmabuf_producer_export(p, fd, &bad, &id), -EINVAL);
	bad = desc;
	bad.planes[0].offset = 1 << 20;
	EXPECT(vdmabuf_producer_export(p, fd, &bad, &id), -EINVAL);
	/* Rows too short for their pixels, or running past the buffer (spec §8.1). */
	bad = desc;
	bad.planes[0].stride = 255;
	EXPECT(vdmabuf_producer_export(p, fd, &bad, &id), -EINVAL);
	bad = desc;
	bad.planes[0].offset = 4096;
	EXPECT(vdmabuf_producer_export(p, fd, &bad, &id), -EINVAL);
	/*
	 * 16384x16384 with stride 1 and a modifier nobody imports: a viewer
	 * falling back to shm would allocate 1 GiB for a 16 KiB buffer.
	 */
	bad = desc;
	bad.width = bad.height = 16384;
	bad.planes[0].stride = 1;
	bad.modifier = 0x0100000000000001ull;	/* I915_FORMAT_MOD_X_TILED */
	EXPECT(vdmabuf_producer_export(p, fd, &bad, &id), -EINVAL);
	{
		/* One page more than the device takes. */
		int big = heap_alloc(info.max_buffer_size + 4096);

		EXPECT(vdmabuf_producer_export(p, big, &desc, &id), -E2BIG);
		close(big);
	}

	EXPECT(vdmabuf_producer_export(p, fd, &desc, &id), 0);
	forged = id;
	forged.key ^= 1;
	EXPECT(vdmabuf_producer_present(p, &forged, 1, NULL, 0), -ENOENT);
	EXPECT(vdmabuf_producer_unexport(p, &forged), -ENOENT);
	forged = id;
	forged.device ^= 1;
	EXPECT(vdmabuf_producer_present(p, &forged, 1, NULL, 0), -ENOENT);
	EXPECT(vdmabuf_producer_present(p, &id, 1, NULL, 17), -EINVAL);
	EXPECT(vdmabuf_producer_unexport(p, &id), 0);
	EXPECT(vdmabuf_producer_unexport(p, &id), -ENOENT);
	EXPECT(vdmabuf_producer_present(p, &id, 2, NULL, 0), -ENOENT);
	/* Still serving. */
	EXPECT(vdmabuf_producer_export(p, fd, &desc, &id), 0);
	EXPECT(vdmabuf_producer_unexport(p, &id), 0);

	close(memfd);
	close(fd);
	vdmabuf_producer_destroy(p);
	printf("badinput: %d checks, %d failed\n", checks, failures);
	return failures != 0;
}
