// SPDX-License-Identifier: MIT
/*
 * vdmabuf: look at vdmabuf from the command line.
 *   vdmabuf list [--socket PATH]             host: live buffers and daemon counters
 *   vdmabuf watch [--socket PATH] [--count N] host: one line per event
 *   vdmabuf info [--device PATH]              guest: the device's limits
 *   vdmabuf formats [--device PATH]           guest: the pairs the host imports
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdmabuf.h"

struct watch {
	long remaining;
};

static void print_buffer(void *data, const struct vdmabuf_id *id,
			 const struct vdmabuf_buffer_desc *desc, uint64_t size)
{
	char name[VDMABUF_ID_STRLEN];

	printf("buffer %s %ux%u %.4s modifier %#llx %llu bytes\n", vdmabuf_id_format(id, name),
	       desc->width, desc->height, (const char *)&desc->fourcc,
	       (unsigned long long)desc->modifier, (unsigned long long)size);
	if (data)
		((struct watch *)data)->remaining--;
}

static void print_frame(void *data, const struct vdmabuf_id *id, uint64_t frame,
			const struct vdmabuf_rect *damage, unsigned int num_damage)
{
	char name[VDMABUF_ID_STRLEN];

	printf("frame %s %llu damage %u\n", vdmabuf_id_format(id, name),
	       (unsigned long long)frame, num_damage);
	((struct watch *)data)->remaining--;
}

static void print_gone(void *data, const struct vdmabuf_id *id)
{
	char name[VDMABUF_ID_STRLEN];

	printf("gone %s\n", vdmabuf_id_format(id, name));
	if (data)
		((struct watch *)data)->remaining--;
}

static void print_reset(void *data)
{
	printf("reset\n");
	if (data)
		((struct watch *)data)->remaining--;
}

static void print_pointer(void *data, const struct vdmabuf_id *image, uint64_t serial,
			  uint32_t hotspot_x, uint32_t hotspot_y, uint32_t constraint)
{
	static const char *const constraints[] = { "none", "locked", "confined" };
	char name[VDMABUF_ID_STRLEN];

	printf("pointer %s serial %llu hotspot %u,%u constraint %s\n",
	       image ? vdmabuf_id_format(image, name) : "hidden", (unsigned long long)serial,
	       hotspot_x, hotspot_y, constraint < 3 ? constraints[constraint] : "unknown");
	((struct watch *)data)->remaining--;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "vdmabuf: %s: %s\n", what, strerror(-err));
	return 1;
}

static int list(const char *socket)
{
	static const struct vdmabuf_consumer_listener listener = {
		.buffer = print_buffer, .gone = print_gone, .reset = print_reset,
	};
	struct vdmabuf_consumer *c;
	struct vdmabuf_stats s;
	int err;

	c = vdmabuf_consumer_connect(socket, &err);
	if (!c)
		return fail("connect", err);
	/* The daemon announces every live buffer before it answers. */
	err = vdmabuf_consumer_stats(c, &s);
	if (err < 0)
		return fail("stats", err);
	vdmabuf_consumer_dispatch(c, &listener, NULL);
	/* Named as struct vdmabuf_stats names them: scripts read them by name. */
	printf("buffers=%llu imports=%llu exports_total=%llu frames_total=%llu "
	       "cursors_total=%llu releases_total=%llu bad_requests=%llu "
	       "consumers=%llu guest_bytes=%llu input_events=%llu input_dropped=%llu "
	       "logs_suppressed=%llu consumers_late=%llu pinned_bytes=%llu pinned_limit=%llu "
	       "notifications=%llu interrupts=%llu\n",
	       (unsigned long long)s.buffers, (unsigned long long)s.imports,
	       (unsigned long long)s.exports_total, (unsigned long long)s.frames_total,
	       (unsigned long long)s.cursors_total, (unsigned long long)s.releases_total,
	       (unsigned long long)s.bad_requests,
	       (unsigned long long)s.consumers, (unsigned long long)s.guest_bytes,
	       (unsigned long long)s.input_events, (unsigned long long)s.input_dropped,
	       (unsigned long long)s.logs_suppressed, (unsigned long long)s.consumers_late,
	       (unsigned long long)s.pinned_bytes, (unsigned long long)s.pinned_limit,
	       (unsigned long long)s.notifications, (unsigned long long)s.interrupts);
	vdmabuf_consumer_destroy(c);
	return 0;
}

static int watch(const char *socket, long count)
{
	static const struct vdmabuf_consumer_listener listener = {
		.buffer = print_buffer, .frame = print_frame, .gone = print_gone,
		.reset = print_reset, .pointer = print_pointer,
	};
	struct watch w = { count > 0 ? count : -1 };
	struct vdmabuf_consumer *c;
	int err;

	c = vdmabuf_consumer_connect(socket, &err);
	if (!c)
		return fail("connect", err);
	while (w.remaining != 0) {
		struct pollfd pfd = { vdmabuf_consumer_get_fd(c), POLLIN, 0 };

		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return fail("poll", -errno);
		err = vdmabuf_consumer_dispatch(c, &listener, &w);
		if (err < 0)
			return fail("daemon", err);
		fflush(stdout);
	}
	vdmabuf_consumer_destroy(c);
	return 0;
}

static int info(const char *device)
{
	struct vdmabuf_producer *p;
	struct vdmabuf_info i;
	int err;

	p = vdmabuf_producer_create(device, &err);
	if (!p)
		return fail(device ? device : "/dev/vdmabuf", err);
	err = vdmabuf_producer_info(p, &i);
	if (err < 0)
		return fail("info", err);
	printf("features=%#llx max_buffers=%u max_buffers_per_file=%u max_extents=%u "
	       "max_buffer_size=%llu consumers=%u\n", (unsigned long long)i.features,
	       i.max_buffers, i.max_buffers_per_file, i.max_extents,
	       (unsigned long long)i.max_buffer_size, i.consumers);
	vdmabuf_producer_destroy(p);
	return 0;
}

static int formats(const char *device)
{
	struct vdmabuf_format *list = calloc(VDMABUF_MAX_FORMATS, sizeof(*list));
	struct vdmabuf_producer *p;
	uint32_t count = 0;
	int err;

	if (!list)
		return fail("formats", -ENOMEM);
	p = vdmabuf_producer_create(device, &err);
	if (!p)
		return fail(device ? device : "/dev/vdmabuf", err);
	err = vdmabuf_producer_formats(p, list, VDMABUF_MAX_FORMATS, &count);
	if (err < 0)
		return fail("formats", err);
	/* One pair a line: fourcc as DRM names it, modifier in hex. */
	printf("formats=%u\n", count);
	for (uint32_t i = 0; i < count && i < VDMABUF_MAX_FORMATS; i++)
		printf("%.4s 0x%016llx\n", (const char *)&list[i].fourcc,
		       (unsigned long long)list[i].modifier);
	vdmabuf_producer_destroy(p);
	free(list);
	return 0;
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "device", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *socket = NULL, *device = NULL, *cmd;
	long count = 0;
	int opt;

	if (argc < 2 || argv[1][0] == '-') {
		fprintf(argc < 2 ? stderr : stdout,
			"usage: vdmabuf list|watch [--socket PATH] [--count N] | info|formats [--device PATH]\n");
		return argc < 2 ? 2 : 0;
	}
	cmd = argv[1];
	optind = 2;
	while ((opt = getopt_long(argc, argv, "s:d:n:h", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			socket = optarg;
			break;
		case 'd':
			device = optarg;
			break;
		case 'n':
			count = strtol(optarg, NULL, 0);
			break;
		default:
			return 2;
		}
	}
	if (strcmp(cmd, "list") == 0)
		return list(socket);
	if (strcmp(cmd, "watch") == 0)
		return watch(socket, count);
	if (strcmp(cmd, "info") == 0)
		return info(device);
	if (strcmp(cmd, "formats") == 0)
		return formats(device);
	fprintf(stderr, "vdmabuf: unknown command '%s'\n", cmd);
	return 2;
}
