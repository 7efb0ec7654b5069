// SPDX-License-Identifier: MIT
/*
 * output-ioctl [--device PATH] [--timeout SEC]
 * The guest half of the outputs test's driver part (spec §20), through
 * /dev/vdmabuf's ioctls as they are (protocol/vdmabuf_uapi.h): the
 * device must have VDMABUF_F_OUTPUTS. VDMABUF_IOC_OUTPUT refuses a bad
 * id, flags and modes with EINVAL; announces output 3 (640x480), which
 * /sys/class/misc/vdmabuf/outputs then shows; a PRESENT on an output not
 * announced is ENXIO, on one past the last EINVAL, on output 3 taken. The
 * host (output-checker --ioctl) asks for output 2 and, once the guest
 * announced it, closes it: the MODE_HINT uevents must carry output 2, its
 * mode and then GONE, which the guest announces too. Last,
 * output 3 goes, and a PRESENT on it is ENXIO again. Prints each check.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/udmabuf.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <drm_fourcc.h>

#include "vdmabuf_proto.h"
#include "vdmabuf_uapi.h"

static int failures;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		failures++;						\
		printf("FAIL %s:%d: %s (errno %d)\n", __FILE__, __LINE__, #cond, errno); \
	} else {							\
		printf("ok: %s\n", #cond);				\
	}								\
	fflush(stdout);							\
} while (0)

static int output_ioc(int fd, uint32_t output, uint32_t flags, uint32_t w, uint32_t h,
		      uint32_t refresh, uint32_t scale)
{
	struct vdmabuf_ioc_output ioc = { output, flags, w, h, refresh, scale };

	return ioctl(fd, VDMABUF_IOC_OUTPUT, &ioc) < 0 ? -errno : 0;
}

static int present(int fd, const struct vdmabuf_id *id, uint64_t frame, uint32_t output)
{
	struct vdmabuf_ioc_present ioc = { .id = *id, .frame = frame, .output = output };

	return ioctl(fd, VDMABUF_IOC_PRESENT, &ioc) < 0 ? -errno : 0;
}

static void sysfs_outputs(char *buf, size_t len)
{
	FILE *f = fopen("/sys/class/misc/vdmabuf/outputs", "r");

	buf[0] = '\0';
	if (f) {
		if (!fgets(buf, (int)len, f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
}

/* A 64x64 XRGB8888 udmabuf, exported: its id. */
static int export_buffer(int fd, struct vdmabuf_id *id)
{
	struct udmabuf_create create = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = 64 * 64 * 4 };
	struct vdmabuf_ioc_export ioc = {
		.width = 64, .height = 64, .fourcc = DRM_FORMAT_XRGB8888, .num_planes = 1,
		.modifier = DRM_FORMAT_MOD_LINEAR, .planes = { { 0, 256 } },
	};
	int dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	int memfd = memfd_create("output-ioctl", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	int dmabuf;

	if (dev < 0 || memfd < 0 || ftruncate(memfd, create.size) < 0 ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0)
		return -1;
	create.memfd = memfd;
	dmabuf = ioctl(dev, UDMABUF_CREATE, &create);
	close(memfd);
	close(dev);
	if (dmabuf < 0)
		return -1;
	ioc.fd = dmabuf;
	if (ioctl(fd, VDMABUF_IOC_EXPORT, &ioc) < 0)
		return -1;
	close(dmabuf);
	*id = ioc.id;
	return 0;
}

/* Reads uevents until the host's GONE of output 2, or the timeout. */
static bool read_hints(int fd, unsigned int timeout, struct vdmabuf_uevent *mode,
		       struct vdmabuf_uevent *gone)
{
	time_t end = time(NULL) + timeout;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	while (time(NULL) < end) {
		struct vdmabuf_uevent ev[16];
		ssize_t n;

		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		n = read(fd, ev, sizeof(ev));
		for (ssize_t i = 0; n > 0 && i < n / (ssize_t)sizeof(ev[0]); i++) {
			if (ev[i].type != VDMABUF_UEVENT_MODE_HINT)
				continue;
			printf("mode hint: output %u flags %#x %ux%u %u mHz scale %u/120\n",
			       ev[i].output, ev[i].flags, ev[i].width, ev[i].height,
			       ev[i].refresh_mhz, ev[i].scale_120);
			if (ev[i].output != 2)
				continue;
			if (ev[i].flags & VDMABUF_IOC_OUTPUT_GONE) {
				*gone = ev[i];
				return output_ioc(fd, 2, VDMABUF_IOC_OUTPUT_GONE, 0, 0, 0, 0) == 0;
			}
			/* The guest adds it, as a compositor does. */
			*mode = ev[i];
			if (output_ioc(fd, 2, 0, ev[i].width, ev[i].height, ev[i].refresh_mhz,
				       ev[i].scale_120) < 0)
				return false;
		}
	}
	return false;
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "timeout", required_argument, NULL, 't' },
		{ 0 },
	};
	struct vdmabuf_uevent mode = { 0 }, gone = { 0 };
	const char *device = "/dev/vdmabuf";
	struct vdmabuf_ioc_info info = { 0 };
	unsigned int timeout = 300;
	struct vdmabuf_id id;
	char outputs[32];
	int fd, opt;

	while ((opt = getopt_long(argc, argv, "d:t:", options, NULL)) != -1) {
		if (opt == 'd')
			device = optarg;
		else if (opt == 't')
			timeout = strtoul(optarg, NULL, 10);
		else
			return 2;
	}
	fd = open(device, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		perror(device);
		return 1;
	}
	CHECK(ioctl(fd, VDMABUF_IOC_INFO, &info) == 0);
	CHECK(info.features & (1ull << VDMABUF_F_OUTPUTS));

	/* Refused before they reach the device. */
	CHECK(output_ioc(fd, VDMABUF_MAX_OUTPUTS, 0, 640, 480, 60000, 120) == -EINVAL);
	CHECK(output_ioc(fd, 3, 2, 640, 480, 60000, 120) == -EINVAL);
	CHECK(output_ioc(fd, 3, 0, 0, 480, 60000, 120) == -EINVAL);
	CHECK(output_ioc(fd, 3, 0, 640, 16385, 60000, 120) == -EINVAL);
	CHECK(output_ioc(fd, 3, 0, 640, 480, 60000, 1921) == -EINVAL);
	CHECK(output_ioc(fd, 3, VDMABUF_IOC_OUTPUT_GONE, 640, 480, 0, 0) == -EINVAL);
	CHECK(output_ioc(fd, 3, VDMABUF_IOC_OUTPUT_GONE, 0, 0, 0, 120) == -EINVAL);
	sysfs_outputs(outputs, sizeof(outputs));
	CHECK(!strcmp(outputs, "0x0"));

	/* A frame names an output the guest has. */
	CHECK(export_buffer(fd, &id) == 0);
	CHECK(present(fd, &id, 1, 5) == -ENXIO);
	CHECK(present(fd, &id, 2, VDMABUF_MAX_OUTPUTS) == -EINVAL);
	CHECK(output_ioc(fd, 3, 0, 640, 480, 60000, 120) == 0);
	sysfs_outputs(outputs, sizeof(outputs));
	CHECK(!strcmp(outputs, "0x8"));
	CHECK(present(fd, &id, 3, 5) == -ENXIO);
	CHECK(present(fd, &id, 4, 3) == 0);

	/* The host's hints name their output; closing one is GONE. */
	CHECK(read_hints(fd, timeout, &mode, &gone));
	CHECK(mode.type == VDMABUF_UEVENT_MODE_HINT && mode.output == 2 && !mode.flags &&
	      mode.width == 800 && mode.height == 600 && mode.scale_120 == 180);
	CHECK(gone.output == 2 && gone.flags == VDMABUF_IOC_OUTPUT_GONE && !gone.width &&
	      !gone.height);

	/* Gone: frames for it are refused again. */
	CHECK(output_ioc(fd, 3, VDMABUF_IOC_OUTPUT_GONE, 0, 0, 0, 0) == 0);
	sysfs_outputs(outputs, sizeof(outputs));
	CHECK(!strcmp(outputs, "0x0"));
	CHECK(present(fd, &id, 5, 3) == -ENXIO);
	close(fd);
	printf("%s: %d checks failed\n", failures ? "FAILED" : "passed", failures);
	return failures ? 1 : 0;
}
