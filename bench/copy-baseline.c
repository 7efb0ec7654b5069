// SPDX-License-Identifier: MIT
/*
 * copy-baseline send|receive [--size WxH] [--frames N] [--port P]
 * The baseline vdmabuf is measured against: the same frames carried the
 * way a copying transport must, over vsock from the guest to the host
 * (the path waypipe takes). The guest sends each frame's bytes; the host
 * receives them into its own buffer and acknowledges; the guest times
 * send to acknowledgement. Bytes copied per frame are counted, not
 * guessed: every byte the host receives was copied at least twice
 * (guest user to kernel, kernel to host user).
 */
#include <errno.h>
#include <getopt.h>
#include <linux/vm_sockets.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int full_io(int fd, void *buf, size_t len, int sending)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = sending ? send(fd, p, len, MSG_NOSIGNAL) : recv(fd, p, len, 0);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "size", required_argument, NULL, 's' },
		{ "frames", required_argument, NULL, 'n' },
		{ "port", required_argument, NULL, 'p' },
		{ 0 },
	};
	unsigned int width = 1920, height = 1080, port = 5000, frames = 60;
	struct sockaddr_vm addr = { .svm_family = AF_VSOCK };
	uint64_t *rtt, copied = 0;
	int sending, opt, fd;
	size_t size;
	uint8_t *frame;

	if (argc < 2)
		return 2;
	sending = strcmp(argv[1], "send") == 0;
	optind = 2;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (sscanf(optarg, "%ux%u", &width, &height) != 2)
				return 2;
			break;
		case 'n':
			frames = atoi(optarg);
			break;
		case 'p':
			port = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	size = (size_t)width * height * 4;
	frame = malloc(size);
	rtt = calloc(frames, sizeof(*rtt));
	memset(frame, 0x5a, size);
	addr.svm_port = port;
	fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("vsock");
		return 1;
	}
	if (sending) {
		addr.svm_cid = VMADDR_CID_HOST;
		for (int tries = 0; connect(fd, (void *)&addr, sizeof(addr)) < 0; tries++) {
			if (tries == 100) {
				perror("connect to the host");
				return 1;
			}
			usleep(100000);
		}
		for (unsigned int i = 0; i < frames; i++) {
			uint64_t start = now_ns(), ack;

			frame[i % size] = i;
			if (full_io(fd, frame, size, 1) < 0 || full_io(fd, &ack, 8, 0) < 0) {
				perror("frame");
				return 1;
			}
			rtt[i] = now_ns() - start;
		}
		qsort(rtt, frames, sizeof(*rtt), compare_u64);
		printf("bench: method=copy-vsock size=%ux%u frames=%u rtt_ms_median=%.3f "
		       "rtt_ms_p99=%.3f bytes_copied_per_frame=%zu\n", width, height, frames,
		       rtt[frames / 2] / 1e6, rtt[frames * 99 / 100] / 1e6, 2 * size);
	} else {
		int listen_fd = fd;

		addr.svm_cid = VMADDR_CID_ANY;
		if (bind(listen_fd, (void *)&addr, sizeof(addr)) < 0 || listen(listen_fd, 1) < 0) {
			perror("listen");
			return 1;
		}
		printf("copy-baseline: listening on port %u\n", port);
		fflush(stdout);
		fd = accept(listen_fd, NULL, NULL);
		if (fd < 0)
			return 1;
		for (unsigned int i = 0; i < frames; i++) {
			uint64_t ack = i;

			if (full_io(fd, frame, size, 0) < 0 || full_io(fd, &ack, 8, 1) < 0)
				return 1;
			copied += size;
		}
		printf("copy-baseline: received %u frames, %llu bytes\n", frames,
		       (unsigned long long)copied);
	}
	return 0;
}
