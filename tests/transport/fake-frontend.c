// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fake-frontend.h"

/* Guest physical layout of the fake guest. */
#define RING_GPA(q) (0x10000u + (q) * 0x8000u)
#define REQ_GPA 0x40000u
#define REQ_MAX 0x80000u
#define REPLY_GPA 0xc0000u
#define EVENTS_GPA 0xd0000u

/* libFuzzer's timeout alarm interrupts system calls: carry on. */
static int poll_one(int fd, int timeout_ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	int n;

	do
		n = poll(&pfd, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	return n;
}

struct msg_hdr {
	uint32_t request, flags, size;
} __attribute__((packed));

static int send_msg(struct fake_frontend *ff, uint32_t request, uint32_t flags,
		    const void *payload, uint32_t size, const int *fds, unsigned int num_fds)
{
	struct msg_hdr hdr = { request, 0x1 | flags, size };
	struct iovec iov[2] = { { &hdr, sizeof(hdr) }, { (void *)payload, size } };
	char control[CMSG_SPACE(8 * sizeof(int))] = { 0 };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

	if (num_fds) {
		struct cmsghdr *c;

		mh.msg_control = control;
		mh.msg_controllen = CMSG_SPACE(num_fds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(num_fds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, num_fds * sizeof(int));
	}
	return sendmsg(ff->sock, &mh, MSG_NOSIGNAL) == (ssize_t)(sizeof(hdr) + size) ? 0 : -1;
}

static int recv_reply(struct fake_frontend *ff, uint32_t request, void *payload,
		      uint32_t size)
{
	struct msg_hdr hdr;

	if (poll_one(ff->sock, 5000) != 1)
		return -1;
	if (recv(ff->sock, &hdr, sizeof(hdr), MSG_WAITALL) != sizeof(hdr) ||
	    hdr.request != request || !(hdr.flags & 0x4) || hdr.size != size)
		return -1;
	return recv(ff->sock, payload, size, MSG_WAITALL) == (ssize_t)size ? 0 : -1;
}

int ff_request(struct fake_frontend *ff, uint32_t request, const void *payload,
	       uint32_t size, const int *fds, unsigned int num_fds)
{
	uint64_t ack;

	if (send_msg(ff, request, 0x8, payload, size, fds, num_fds) < 0 ||
	    recv_reply(ff, request, &ack, sizeof(ack)) < 0)
		return -1;
	return ack ? -1 : 0;
}

static int get_u64(struct fake_frontend *ff, uint32_t request, uint64_t *v)
{
	if (send_msg(ff, request, 0, NULL, 0, NULL, 0) < 0)
		return -1;
	return recv_reply(ff, request, v, sizeof(*v));
}

int ff_get_config(struct fake_frontend *ff, void *buf, uint32_t size)
{
	struct { uint32_t offset, size, flags; uint8_t region[256]; } cfg = { 0, size, 0, { 0 } };

	if (send_msg(ff, 24, 0, &cfg, 12 + size, NULL, 0) < 0 ||
	    recv_reply(ff, 24, &cfg, 12 + size) < 0)
		return -1;
	memcpy(buf, cfg.region, size);
	return 0;
}

int ff_accept(struct fake_frontend *ff, const char *path, int timeout_ms)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	memset(ff, 0, sizeof(*ff));
	ff->sock = ff->memfd = -1;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	ff->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(path);
	if (ff->listen_fd < 0 || bind(ff->listen_fd, (void *)&addr, sizeof(addr)) < 0 ||
	    listen(ff->listen_fd, 1) < 0)
		return -1;
	if (poll_one(ff->listen_fd, timeout_ms) != 1)
		return -1;
	ff->sock = accept4(ff->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	return ff->sock < 0 ? -1 : 0;
}

/* Sets both queues up from scratch and starts them, with no event posted. */
static int start_queues(struct fake_frontend *ff)
{
	for (unsigned int q = 0; q < 2; q++) {
		struct ff_vring *vr = &ff->vq[q];
		uint64_t base = RING_GPA(q);
		struct { uint32_t index, num; } state = { q, FF_RING_SIZE };
		struct { uint32_t index, flags; uint64_t desc, used, avail, log; } addr;
		uint64_t idx = q;

		memset(ff_gpa(ff, base), 0, 0x3000);
		vr->avail_idx = vr->used_seen = 0;
		vr->desc = ff_gpa(ff, base);
		vr->avail = ff_gpa(ff, base + 0x1000);
		vr->used = ff_gpa(ff, base + 0x2000);
		addr = (typeof(addr)){ q, 0, (uintptr_t)vr->desc, (uintptr_t)vr->used,
				       (uintptr_t)vr->avail, 0 };
		if (vr->kick <= 0)
			vr->kick = eventfd(0, EFD_CLOEXEC);
		if (vr->call <= 0)
			vr->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (ff_request(ff, 8, &state, sizeof(state), NULL, 0) < 0 ||
		    ff_request(ff, 9, &addr, sizeof(addr), NULL, 0) < 0 ||
		    (state.num = 0, ff_request(ff, 10, &state, sizeof(state), NULL, 0) < 0) ||
		    ff_request(ff, 13, &idx, 8, &vr->call, 1) < 0 ||
		    ff_request(ff, 12, &idx, 8, &vr->kick, 1) < 0 ||
		    (state.num = 1, ff_request(ff, 18, &state, sizeof(state), NULL, 0) < 0))
			return -1;
	}
	return 0;
}

void ff_post_events(struct fake_frontend *ff, unsigned int n)
{
	for (uint16_t i = 0; i < n; i++) {
		ff->vq[1].desc[i] = (struct vring_desc){ EVENTS_GPA + i * 64u, 64,
							 VRING_DESC_F_WRITE, 0 };
		ff_make_available(ff, 1, i);
	}
}

int ff_start(struct fake_frontend *ff)
{
	/* VERSION_1, the four device bits, PROTOCOL_FEATURES. */
	uint64_t features, protocol, want = (1ull << 32) | 0xf | (1ull << 30);
	struct { uint32_t n, pad; uint64_t gpa, size, uva, offset; } mem;

	ff->memfd = memfd_create("fake-guest-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (ff->memfd < 0 || ftruncate(ff->memfd, FF_RAM_SIZE) < 0 ||
	    fcntl(ff->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0)
		return -1;
	ff->ram = mmap(NULL, FF_RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, ff->memfd, 0);
	if (ff->ram == MAP_FAILED)
		return -1;

	want |= ff->extra_features;
	if (get_u64(ff, 1, &features) < 0 || (features & want) != want)
		return -1;
	ff->device_features = features;
	if (send_msg(ff, 2, 0, &want, 8, NULL, 0) < 0 ||	/* SET_FEATURES */
	    get_u64(ff, 15, &protocol) < 0)
		return -1;
	protocol &= (1ull << 3) | (1ull << 9) | (1ull << 0);	/* REPLY_ACK, CONFIG, MQ */
	if (send_msg(ff, 16, 0, &protocol, 8, NULL, 0) < 0 ||
	    ff_request(ff, 3, NULL, 0, NULL, 0) < 0)		/* SET_OWNER */
		return -1;
	mem = (typeof(mem)){ 1, 0, 0, FF_RAM_SIZE, (uintptr_t)ff->ram, 0 };
	if (ff_request(ff, 5, &mem, sizeof(mem), &ff->memfd, 1) < 0 ||
	    start_queues(ff) < 0)
		return -1;
	/* Post event buffers, as a driver would. */
	ff_post_events(ff, 64);
	return 0;
}

int ff_restart(struct fake_frontend *ff)
{
	uint64_t count;

	for (uint32_t q = 0; q < 2; q++) {
		struct { uint32_t index, num; } state = { q, 0 };

		/* GET_VRING_BASE: the queue stops, the device with it. */
		if (send_msg(ff, 11, 0, &state, sizeof(state), NULL, 0) < 0 ||
		    recv_reply(ff, 11, &state, sizeof(state)) < 0)
			return -1;
		while (read(ff->vq[q].call, &count, sizeof(count)) > 0)
			;
	}
	return start_queues(ff);
}

int ff_add_region(struct fake_frontend *ff, uint64_t gpa, uint64_t size,
		  const void *uva, uint64_t fd_offset, int fd)
{
	struct { uint64_t padding, gpa, size, uva, offset; } region = {
		0, gpa, size, (uintptr_t)uva, fd_offset,
	};

	return ff_request(ff, 37, &region, sizeof(region), &fd, 1);
}

void ff_close(struct fake_frontend *ff)
{
	if (ff->sock >= 0)
		close(ff->sock);
	if (ff->listen_fd >= 0)
		close(ff->listen_fd);
	if (ff->ram && ff->ram != MAP_FAILED)
		munmap(ff->ram, FF_RAM_SIZE);
	if (ff->memfd >= 0)
		close(ff->memfd);
	for (unsigned int q = 0; q < 2; q++) {
		if (ff->vq[q].kick > 0)
			close(ff->vq[q].kick);
		if (ff->vq[q].call > 0)
			close(ff->vq[q].call);
	}
}

void ff_make_available(struct fake_frontend *ff, unsigned int q, uint16_t head)
{
	struct ff_vring *vr = &ff->vq[q];
	uint64_t one = 1;

	vr->avail->ring[vr->avail_idx % FF_RING_SIZE] = head;
	__atomic_store_n(&vr->avail->idx, ++vr->avail_idx, __ATOMIC_RELEASE);
	if (write(vr->kick, &one, sizeof(one)) != sizeof(one))
		abort();
}

int ff_wait_used(struct fake_frontend *ff, unsigned int q, uint32_t *id,
		 uint32_t *len, int timeout_ms)
{
	struct ff_vring *vr = &ff->vq[q];
	uint64_t count;

	/* With event index, a waiting driver asks for the next entry's interrupt. */
	if (ff->extra_features & (1ull << VIRTIO_RING_F_EVENT_IDX))
		__atomic_store_n(&vr->avail->ring[FF_RING_SIZE], vr->used_seen, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&vr->used->idx, __ATOMIC_ACQUIRE) == vr->used_seen) {
		if (poll_one(vr->call, timeout_ms) != 1)
			return -1;
		if (read(vr->call, &count, sizeof(count)) < 0 && errno != EAGAIN)
			return -1;
	}
	*id = vr->used->ring[vr->used_seen % FF_RING_SIZE].id;
	*len = vr->used->ring[vr->used_seen % FF_RING_SIZE].len;
	vr->used_seen++;
	return 0;
}

int ff_control(struct fake_frontend *ff, const void *req, size_t len, void *reply32)
{
	struct ff_vring *vr = &ff->vq[0];
	uint32_t id, used_len;

	if (len > REQ_MAX)
		return -2;
	memcpy(ff_gpa(ff, REQ_GPA), req, len);
	memset(ff_gpa(ff, REPLY_GPA), 0xee, 32);
	vr->desc[0] = (struct vring_desc){ REQ_GPA, (uint32_t)len, VRING_DESC_F_NEXT, 1 };
	vr->desc[1] = (struct vring_desc){ REPLY_GPA, 32, VRING_DESC_F_WRITE, 0 };
	ff_make_available(ff, 0, 0);
	if (ff_wait_used(ff, 0, &id, &used_len, 5000) < 0)
		return -3;
	if (id != 0 || used_len == 0)
		return -1;
	memcpy(reply32, ff_gpa(ff, REPLY_GPA), 32);
	return (int)*(uint32_t *)reply32;
}

/* Version 2 (spec §19) */

uint16_t *ff_avail_event(struct fake_frontend *ff, unsigned int q)
{
	return (uint16_t *)&ff->vq[q].used->ring[FF_RING_SIZE];
}

uint16_t *ff_used_event(struct fake_frontend *ff, unsigned int q)
{
	return &ff->vq[q].avail->ring[FF_RING_SIZE];
}

unsigned int ff_publish(struct fake_frontend *ff, unsigned int q, uint16_t head)
{
	struct ff_vring *vr = &ff->vq[q];
	uint16_t old = vr->avail_idx;
	uint64_t one = 1;

	vr->avail->ring[vr->avail_idx % FF_RING_SIZE] = head;
	__atomic_store_n(&vr->avail->idx, ++vr->avail_idx, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vring_need_event(__atomic_load_n(ff_avail_event(ff, q), __ATOMIC_ACQUIRE),
			      vr->avail_idx, old))
		return 0;
	if (write(vr->kick, &one, sizeof(one)) != sizeof(one))
		abort();
	return 1;
}

int ff_poll_used(struct fake_frontend *ff, unsigned int q, uint32_t *head, uint32_t *len,
		 int timeout_ms)
{
	struct ff_vring *vr = &ff->vq[q];

	for (int ms = 0; __atomic_load_n(&vr->used->idx, __ATOMIC_ACQUIRE) == vr->used_seen;
	     ms++) {
		if (ms >= timeout_ms)
			return -1;
		usleep(1000);
	}
	*head = vr->used->ring[vr->used_seen % FF_RING_SIZE].id;
	*len = vr->used->ring[vr->used_seen % FF_RING_SIZE].len;
	vr->used_seen++;
	/* Tell the device which interrupt we want next: the next entry's. */
	if (q == 1)
		__atomic_store_n(ff_used_event(ff, q), vr->used_seen, __ATOMIC_RELEASE);
	return 0;
}

uint64_t ff_interrupts(struct fake_frontend *ff, unsigned int q)
{
	uint64_t count = 0;

	if (read(ff->vq[q].call, &count, sizeof(count)) != sizeof(count))
		count = 0;
	return count;
}
