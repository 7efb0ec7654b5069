// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: everything the daemon parses from a guest and from
 * consumers. The real device (host-backend/) runs in a thread of this
 * process; the fuzzer plays QEMU plus a guest through fake-frontend.c and
 * a consumer through the consumer socket. Input: a mode byte, then
 *   0: one control request, as the guest would put it in the ring
 *   1: a descriptor table (16 bytes a descriptor) made available at head 0
 *   2: one consumer message (any length)
 * It negotiates version 2 (sized PRESENTs without a reply, event index).
 * Needs /dev/udmabuf: it runs in the lab's L1.
 */
#include <errno.h>
#include <linux/virtio_ring.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "device.h"
#include "event_loop.h"
#include "fake-frontend.h"
#include "log.h"
#include "vdmabuf_consumer.h"

#define DATA_GPA 0x100000u

static struct fake_frontend ff;
static char consumer_path[108];
static int consumer_fd = -1;

static void *run_device(void *loop)
{
	for (;;)
		event_loop_dispatch(loop, -1);
	return NULL;
}

static int consumer_connect(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct vdmabuf_consumer_msg hello;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	int err;

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", consumer_path);
	ssize_t n;

	/* libFuzzer's timeout alarm interrupts system calls: carry on. */
	do
		err = connect(fd, (void *)&addr, sizeof(addr));
	while (err < 0 && errno == EINTR);
	do
		n = err < 0 ? -1 : recv(fd, &hello, sizeof(hello), 0);
	while (n < 0 && errno == EINTR && err == 0);
	if (fd < 0 || err < 0 || n != sizeof(hello)) {
		fprintf(stderr, "fuzz: consumer connect: %s\n", strerror(errno));
		abort();
	}
	return fd;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char vhost_path[108];
	struct vdmabuf_device_config config = {
		.vhost_socket = vhost_path,
		.consumer_socket = consumer_path,
		.consumer_mode = 0600,
		.consumer_group = (gid_t)-1,
	};
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct event_loop *loop;
	pthread_t thread;
	int listen_fd;

	snprintf(vhost_path, sizeof(vhost_path), "/tmp/fuzz-vhost-%d.sock", getpid());
	snprintf(consumer_path, sizeof(consumer_path), "/tmp/fuzz-consumer-%d.sock", getpid());
	log_init("fuzz-daemon", getenv("FUZZ_DEBUG") ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERROR);

	/* Listen before the device connects, then accept it. */
	memset(&ff, 0, sizeof(ff));
	strcpy(addr.sun_path, vhost_path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(vhost_path);
	if (bind(listen_fd, (void *)&addr, sizeof(addr)) < 0 || listen(listen_fd, 1) < 0)
		abort();
	loop = event_loop_create();
	if (!loop || !vdmabuf_device_create(loop, &config))
		abort();
	ff.listen_fd = listen_fd;
	ff.sock = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	pthread_create(&thread, NULL, run_device, loop);
	/* Version 2 (spec §19): chains without a reply are PRESENTs to parse too. */
	ff.extra_features = FF_VERSION_2;
	if (ff.sock < 0 || ff_start(&ff) < 0) {
		fprintf(stderr, "fuzz: negotiation with the device failed\n");
		abort();
	}
	consumer_fd = consumer_connect();
	return 0;
}

static void fuzz_descriptors(const uint8_t *data, size_t size)
{
	struct vring_desc *desc = ff.vq[0].desc;
	size_t n = size / sizeof(*desc);
	uint32_t id, len;

	if (n == 0 || n > FF_RING_SIZE)
		return;
	memcpy(desc, data, n * sizeof(*desc));
	for (size_t i = 0; i < n; i++) {
		/*
		 * Inside the data area, so replies never land on the rings this
		 * harness itself relies on, unless the top bit asks for an
		 * address outside guest RAM.
		 */
		if (!(desc[i].addr >> 63))
			desc[i].addr = DATA_GPA + desc[i].addr % (FF_RAM_SIZE - DATA_GPA);
		desc[i].next %= FF_RING_SIZE + 8;
	}
	ff_make_available(&ff, 0, 0);
	if (ff_wait_used(&ff, 0, &id, &len, 5000) < 0) {
		fprintf(stderr, "fuzz: the device stopped answering\n");
		abort();
	}
}

static void fuzz_consumer(const uint8_t *data, size_t size)
{
	struct vdmabuf_consumer_msg msg = { .type = VDMABUF_MSG_STATS };
	struct pollfd pfd = { consumer_fd, POLLIN, 0 };
	char reply[512];

	send(consumer_fd, data, size, MSG_NOSIGNAL);
	/* STATS as a barrier; a consumer the daemon dropped comes back. */
	if (send(consumer_fd, &msg, sizeof(msg), MSG_NOSIGNAL) != sizeof(msg))
		goto reconnect;
	for (;;) {
		ssize_t n;

		int ready = poll(&pfd, 1, 5000);

		if (ready < 0 && errno == EINTR)
			continue;
		if (ready != 1) {
			fprintf(stderr, "fuzz: the daemon stopped answering consumers\n");
			abort();
		}
		n = recv(consumer_fd, reply, sizeof(reply), MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto reconnect;
		if (n == sizeof(msg) &&
		    ((struct vdmabuf_consumer_msg *)reply)->type == VDMABUF_MSG_STATS)
			return;
	}
reconnect:
	close(consumer_fd);
	consumer_fd = consumer_connect();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t reply[32];

	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		if (ff_control(&ff, data + 1, size - 1, reply) == -3) {
			fprintf(stderr, "fuzz: the device stopped answering\n");
			abort();
		}
		break;
	case 1:
		fuzz_descriptors(data + 1, size - 1);
		break;
	case 2:
		fuzz_consumer(data + 1, size - 1);
		break;
	}
	return 0;
}
