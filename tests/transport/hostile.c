// SPDX-License-Identifier: MIT
/*
 * hostile VHOST_SOCKET CONSUMER_SOCKET NOFLUSH_FILE: plays QEMU and a
 * misbehaving guest against the real daemon (started with --socket
 * VHOST_SOCKET), and a misbehaving consumer on its consumer socket. Every
 * bad request must be refused with the right status, and good requests
 * must keep working. NOFLUSH_FILE is a file on a FUSE mount whose server
 * never answers FLUSH (fuse-noflush.c).
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake-frontend.h"
#include "vdmabuf_consumer.h"
#include "vdmabuf_proto.h"

static int failures, checks;

#define CHECK(cond, ...) do {						\
	checks++;							\
	if (!(cond)) {							\
		failures++;						\
		fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
	}								\
} while (0)

#define BUF_GPA 0x1000000u
#define XR24 0x34325258u
/* Where fake-frontend.c puts a control request and its reply. */
#define REQ_GPA 0x40000u
#define REPLY_GPA 0xc0000u
#define EVENTS_GPA 0xd0000u
/* A second RAM region, right after the first (ADD_MEM_REG). */
#define RAM2_SIZE (2u << 20)
/* Beyond every region. */
#define NOWHERE 0x1000000000ull
#define RING FF_RING_SIZE

/* Guest side */

struct export_req {
	struct vdmabuf_export hdr;
	struct vdmabuf_extent ext[8];
};

static size_t make_export(struct export_req *r, uint64_t size, unsigned int n,
			  const uint64_t (*ext)[2])
{
	memset(r, 0, sizeof(*r));
	r->hdr.hdr.type = htole32(VDMABUF_CTRL_EXPORT);
	r->hdr.width = htole32(64);
	r->hdr.height = htole32(size / 256 ? size / 256 : 1);
	r->hdr.fourcc = htole32(XR24);
	r->hdr.num_planes = htole32(1);
	r->hdr.planes[0].stride = htole32(256);
	r->hdr.size = htole64(size);
	r->hdr.num_extents = htole32(n);
	for (unsigned int i = 0; i < n && i < 8; i++) {
		r->ext[i].addr = htole64(ext[i][0]);
		r->ext[i].len = htole64(ext[i][1]);
	}
	return sizeof(r->hdr) + (n < 8 ? n : 8) * sizeof(r->ext[0]);
}

static int export(struct fake_frontend *ff, struct export_req *r, size_t len,
		  struct vdmabuf_wire_id *id)
{
	struct vdmabuf_reply reply;
	int status = ff_control(ff, r, len, &reply);

	if (status == 0 && id)
		*id = reply.id;
	return status;
}

static int present(struct fake_frontend *ff, const struct vdmabuf_wire_id *id, uint64_t frame)
{
	struct vdmabuf_present p = { .hdr.type = htole32(VDMABUF_CTRL_PRESENT) };
	struct vdmabuf_reply reply;

	p.id = *id;
	p.frame = htole64(frame);
	return ff_control(ff, &p, sizeof(p), &reply);
}

static int unexport(struct fake_frontend *ff, const struct vdmabuf_wire_id *id)
{
	struct vdmabuf_unexport u = { .hdr.type = htole32(VDMABUF_CTRL_UNEXPORT) };
	struct vdmabuf_reply reply;

	u.id = *id;
	return ff_control(ff, &u, sizeof(u), &reply);
}

/* Next event of a given type; others (CONSUMERS) are skipped. */
static int next_event(struct fake_frontend *ff, uint32_t type, struct vdmabuf_event *ev)
{
	uint32_t head, len;

	for (;;) {
		if (ff_wait_used(ff, 1, &head, &len, 5000) < 0 || len != sizeof(*ev))
			return -1;
		memcpy(ev, ff_gpa(ff, ff->vq[1].desc[head].addr), sizeof(*ev));
		ff_make_available(ff, 1, head);
		if (le32toh(ev->type) == type)
			return 0;
	}
}

static int bad_chain(struct fake_frontend *ff, const struct vring_desc *desc, unsigned int n)
{
	uint32_t head, len;

	memcpy(ff->vq[0].desc, desc, n * sizeof(*desc));
	ff_make_available(ff, 0, 0);
	if (ff_wait_used(ff, 0, &head, &len, 5000) < 0)
		return -2;
	return head == 0 ? (int)len : -3;
}

/* Consumer side: raw messages, as a hostile consumer would send them. */

static int consumer_connect(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct vdmabuf_consumer_msg hello;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (void *)&addr, sizeof(addr)) < 0 ||
	    recv(fd, &hello, sizeof(hello), 0) != sizeof(hello) ||
	    hello.type != VDMABUF_MSG_HELLO || hello.u.hello.version != VDMABUF_CONSUMER_VERSION) {
		perror("consumer connect");
		exit(1);
	}
	return fd;
}

/* Receives the next message of type (skipping others), with its fd. */
static int consumer_recv(int fd, uint32_t type, struct vdmabuf_consumer_msg *msg, int *msg_fd)
{
	char control[CMSG_SPACE(sizeof(int))];
	struct pollfd pfd = { fd, POLLIN, 0 };

	for (;;) {
		struct iovec iov = { msg, sizeof(*msg) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = control, .msg_controllen = sizeof(control) };
		struct cmsghdr *c;

		if (poll(&pfd, 1, 5000) != 1 ||
		    recvmsg(fd, &mh, MSG_CMSG_CLOEXEC) != sizeof(*msg))
			return -1;
		c = CMSG_FIRSTHDR(&mh);
		if (msg_fd)
			*msg_fd = -1;
		if (c && c->cmsg_type == SCM_RIGHTS) {
			int got;

			memcpy(&got, CMSG_DATA(c), sizeof(got));
			if (msg_fd)
				*msg_fd = got;
			else
				close(got);
		}
		if (msg->type == type)
			return 0;
	}
}

static void consumer_send(int fd, uint32_t type, const struct vdmabuf_id *id,
			  const struct vdmabuf_msg_release *release)
{
	struct vdmabuf_consumer_msg msg = { .type = type };

	if (id)
		msg.id = *id;
	if (release)
		msg.u.release = *release;
	/*
	 * To a consumer the daemon dropped already this fails (EPIPE): the
	 * answer that never comes says so to the caller.
	 */
	(void)!send(fd, &msg, sizeof(msg), MSG_NOSIGNAL);
}

static int consumer_request(int fd, uint32_t type, const struct vdmabuf_id *id,
			    const struct vdmabuf_msg_release *release, int *out_fd)
{
	struct vdmabuf_consumer_msg msg;
	char control[CMSG_SPACE(sizeof(int))];
	struct pollfd pfd = { fd, POLLIN, 0 };

	consumer_send(fd, type, id, release);
	consumer_send(fd, VDMABUF_MSG_STATS, NULL, NULL);
	if (out_fd)
		*out_fd = -1;
	/* Until the STATS fence: the error REPLY or the IMPORT, if any. */
	for (int status = 0;;) {
		struct iovec iov = { &msg, sizeof(msg) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = control, .msg_controllen = sizeof(control) };
		struct cmsghdr *c;

		if (poll(&pfd, 1, 5000) != 1 || recvmsg(fd, &mh, MSG_CMSG_CLOEXEC) != sizeof(msg))
			return -EPIPE;
		c = CMSG_FIRSTHDR(&mh);
		if (c && c->cmsg_type == SCM_RIGHTS && out_fd)
			memcpy(out_fd, CMSG_DATA(c), sizeof(int));
		if (msg.type == VDMABUF_MSG_REPLY && msg.status_of == type)
			status = msg.status;
		if (msg.type == VDMABUF_MSG_STATS)
			return status;
	}
}

static struct vdmabuf_id cid(const struct vdmabuf_wire_id *id)
{
	return (struct vdmabuf_id){ le64toh(id->device), le64toh(id->key) };
}

static int stats(int fd, struct vdmabuf_msg_stats *out)
{
	struct vdmabuf_consumer_msg msg;

	consumer_send(fd, VDMABUF_MSG_STATS, NULL, NULL);
	if (consumer_recv(fd, VDMABUF_MSG_STATS, &msg, NULL) < 0)
		return -1;
	*out = msg.u.stats;
	return 0;
}

/* Ring edges: what a driver may write at the limits, and just past them. */

/* Makes heads[0..n) (or 0..n - 1) available on queue q with one index store. */
static void publish(struct fake_frontend *ff, unsigned int q, const uint16_t *heads,
		    unsigned int n)
{
	struct ff_vring *vr = &ff->vq[q];
	uint64_t one = 1;

	for (unsigned int i = 0; i < n; i++)
		vr->avail->ring[(uint16_t)(vr->avail_idx + i) % RING] = heads ? heads[i] : i;
	vr->avail_idx += n;
	__atomic_store_n(&vr->avail->idx, vr->avail_idx, __ATOMIC_RELEASE);
	if (write(vr->kick, &one, sizeof(one)) != sizeof(one))
		abort();
}

/* The event in the writable chain at head, gathered from its segments. */
static void gather_event(struct fake_frontend *ff, uint32_t head, struct vdmabuf_event *ev)
{
	size_t done = 0;

	for (unsigned int i = head, n = 0; n < RING && done < sizeof(*ev); n++) {
		const struct vring_desc *d = &ff->vq[1].desc[i];
		size_t len = d->len < sizeof(*ev) - done ? d->len : sizeof(*ev) - done;

		memcpy((uint8_t *)ev + done, ff_gpa(ff, d->addr), len);
		done += len;
		if (!(d->flags & VRING_DESC_F_NEXT))
			break;
		i = d->next;
	}
}

/* UNEXPORT of an id nobody minted: ENOENT, a request any device answers. */
static void stranger_unexport(struct fake_frontend *ff)
{
	struct vdmabuf_unexport u = { .hdr.type = htole32(VDMABUF_CTRL_UNEXPORT) };

	u.id.device = htole64(1);
	memcpy(ff_gpa(ff, REQ_GPA), &u, sizeof(u));
	ff->vq[0].desc[0] = (struct vring_desc){ REQ_GPA, sizeof(u), VRING_DESC_F_NEXT, 1 };
	ff->vq[0].desc[1] = (struct vring_desc){ REPLY_GPA, 32, VRING_DESC_F_WRITE, 0 };
}

/* Whether a request made available now is answered within ms: a live queue. */
static bool answered(struct fake_frontend *ff, int ms)
{
	uint32_t head, len;

	stranger_unexport(ff);
	publish(ff, 0, NULL, 1);
	return ff_wait_used(ff, 0, &head, &len, ms) == 0;
}

/* A device reset, then the RESET event the new instance starts with. */
static void restart(struct fake_frontend *ff, const char *why)
{
	struct vdmabuf_event ev;

	CHECK(ff_restart(ff) == 0, "restart after %s", why);
	ff_post_events(ff, 64);
	CHECK(next_event(ff, VDMABUF_EVENT_RESET, &ev) == 0, "RESET after %s", why);
}

static void ring_edges(struct fake_frontend *ff)
{
	static const uint64_t good[2][2] = { { BUF_GPA, 0x2000 }, { BUF_GPA + 0x100000, 0x2000 } };
	struct vring_desc *desc = ff->vq[0].desc;
	struct vdmabuf_present p = { .hdr.type = htole32(VDMABUF_CTRL_PRESENT) };
	struct vdmabuf_unexport u = { .hdr.type = htole32(VDMABUF_CTRL_UNEXPORT) };
	struct vdmabuf_wire_id id = { 0 };
	struct vdmabuf_reply *reply = ff_gpa(ff, REPLY_GPA);
	struct vdmabuf_event ev;
	struct export_req req;
	uint32_t head, len;
	uint16_t heads[RING + 1];
	unsigned int i, n;

	/* A fresh instance, its event queue empty: the edges start from 0. */
	restart(ff, "the bad chains");
	CHECK(export(ff, &req, make_export(&req, 0x4000, 2, good), &id) == VDMABUF_S_OK,
	      "export for the ring edges");

	/*
	 * A chain of exactly num descriptors is whole: a PRESENT spread over
	 * 255 readable ones (254 of one byte), then its reply.
	 */
	p.id = id;
	p.frame = htole64(1);
	memcpy(ff_gpa(ff, REQ_GPA), &p, sizeof(p));
	for (i = 0; i < RING - 2; i++)
		desc[i] = (struct vring_desc){ REQ_GPA + i, 1, VRING_DESC_F_NEXT, i + 1 };
	desc[RING - 2] = (struct vring_desc){ REQ_GPA + i, sizeof(p) - i, VRING_DESC_F_NEXT,
					      RING - 1 };
	desc[RING - 1] = (struct vring_desc){ REPLY_GPA, 32, VRING_DESC_F_WRITE, 0 };
	memset(reply, 0xee, 32);
	publish(ff, 0, NULL, 1);
	CHECK(ff_wait_used(ff, 0, &head, &len, 5000) == 0 && head == 0 && len == 32 &&
	      le32toh(reply->status) == VDMABUF_S_OK,
	      "PRESENT in a chain of %u descriptors: used %u, status %u", RING, len,
	      le32toh(reply->status));
	CHECK(next_event(ff, VDMABUF_EVENT_RELEASE, &ev) == 0 &&
	      ev.u.release.id.key == id.key, "RELEASE of the %u-descriptor PRESENT", RING);

	/* num + 1: every descriptor, then the first again. A loop: no reply. */
	for (i = 0; i < RING; i++)
		desc[i] = (struct vring_desc){ REQ_GPA, 1, VRING_DESC_F_NEXT, (i + 1) % RING };
	publish(ff, 0, NULL, 1);
	CHECK(ff_wait_used(ff, 0, &head, &len, 5000) == 0 && head == 0 && len == 0,
	      "chain of %u descriptors: used %u, want 0", RING + 1, len);

	/*
	 * Zero-length descriptors carry nothing, wherever they point: an
	 * UNEXPORT among them is answered like any other.
	 */
	u.id = id;
	memcpy(ff_gpa(ff, REQ_GPA), &u, sizeof(u));
	desc[0] = (struct vring_desc){ REQ_GPA, 0, VRING_DESC_F_NEXT, 1 };
	desc[1] = (struct vring_desc){ REQ_GPA, sizeof(u), VRING_DESC_F_NEXT, 2 };
	desc[2] = (struct vring_desc){ 0xfffffffffffff000ull, 0, VRING_DESC_F_NEXT, 3 };
	desc[3] = (struct vring_desc){ REPLY_GPA, 0, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 4 };
	desc[4] = (struct vring_desc){ REPLY_GPA, 32, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 5 };
	desc[5] = (struct vring_desc){ NOWHERE, 0, VRING_DESC_F_WRITE, 0 };
	memset(reply, 0xee, 32);
	publish(ff, 0, NULL, 1);
	CHECK(ff_wait_used(ff, 0, &head, &len, 5000) == 0 && head == 0 && len == 32 &&
	      le32toh(reply->status) == VDMABUF_S_OK,
	      "UNEXPORT among zero-length descriptors: used %u, status %u", len,
	      le32toh(reply->status));
	CHECK(next_event(ff, VDMABUF_EVENT_RETIRED, &ev) == 0 && ev.u.retired.id.key == id.key,
	      "RETIRED after the UNEXPORT among zero-length descriptors");

	/*
	 * An avail index num ahead is a full ring, legal: num requests (one
	 * chain offered num times), num replies.
	 */
	stranger_unexport(ff);
	memset(heads, 0, sizeof(heads));
	publish(ff, 0, heads, RING);
	for (n = 0; n < RING; n++)
		if (ff_wait_used(ff, 0, &head, &len, 5000) < 0 || head != 0 || len != 32)
			break;
	CHECK(n == RING, "avail index %u ahead: %u of %u answered", RING, n, RING);
	CHECK(answered(ff, 5000), "control queue alive after a full ring");

	/* num + 1 ahead is no ring: the queue stops until reset. */
	stranger_unexport(ff);
	publish(ff, 0, heads, RING + 1);
	CHECK(ff_wait_used(ff, 0, &head, &len, 1000) < 0, "avail index %u ahead: answered",
	      RING + 1);
	CHECK(!answered(ff, 1000), "avail index %u ahead: queue not stopped", RING + 1);
	restart(ff, "avail index num + 1 ahead");

	/* A head index >= num stops the queue too. */
	heads[0] = RING;
	publish(ff, 0, heads, 1);
	CHECK(!answered(ff, 1000), "head %u: queue not stopped", RING);
	restart(ff, "head >= num");
	CHECK(answered(ff, 5000), "control queue alive after the restart");

	/*
	 * Event buffers: num offered at once (legal), and split across
	 * segments. Restarted with none posted, the device holds a RESET.
	 */
	CHECK(ff_restart(ff) == 0, "restart for the event queue");
	for (i = 0; i < RING; i++)
		ff->vq[1].desc[i] = (struct vring_desc){ EVENTS_GPA + i * 64u, 64,
							  VRING_DESC_F_WRITE, 0 };
	publish(ff, 1, NULL, RING);
	memset(&ev, 0, sizeof(ev));
	CHECK(ff_wait_used(ff, 1, &head, &len, 5000) == 0 && len == 64 &&
	      (gather_event(ff, head, &ev), le32toh(ev.type) == VDMABUF_EVENT_RESET),
	      "%u event buffers offered at once: used %u, event %#x", RING, len,
	      le32toh(ev.type));

	CHECK(ff_restart(ff) == 0, "restart for split event buffers");
	{
		struct vring_desc *ed = ff->vq[1].desc;
		uint16_t split[2] = { 4, 0 };

		/* 16 + 0 + 48 bytes: an event fits; 16 + 16: none does. */
		ed[0] = (struct vring_desc){ EVENTS_GPA, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1 };
		ed[1] = (struct vring_desc){ NOWHERE, 0, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2 };
		ed[2] = (struct vring_desc){ EVENTS_GPA + 0x1000, 48, VRING_DESC_F_WRITE, 0 };
		ed[4] = (struct vring_desc){ EVENTS_GPA + 0x2000, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 5 };
		ed[5] = (struct vring_desc){ EVENTS_GPA + 0x3000, 16, VRING_DESC_F_WRITE, 0 };
		memset(ff_gpa(ff, EVENTS_GPA), 0xee, 0x4000);
		publish(ff, 1, split, 2);
		CHECK(ff_wait_used(ff, 1, &head, &len, 5000) == 0 && head == 4 && len == 0,
		      "32-byte event buffer in two segments: head %u used %u, want 4, 0", head, len);
		memset(&ev, 0, sizeof(ev));
		CHECK(ff_wait_used(ff, 1, &head, &len, 5000) == 0 && head == 0 && len == 64 &&
		      (gather_event(ff, 0, &ev), le32toh(ev.type) == VDMABUF_EVENT_RESET) &&
		      ev.reserved == 0,
		      "event in 16 + 0 + 48 bytes: head %u used %u, event %#x", head, len,
		      le32toh(ev.type));
	}
	ff_post_events(ff, 64);
}

/*
 * Extents across two RAM regions or over each other: every byte of each
 * is guest RAM (spec §8.1), so the buffer is what they say, in order.
 * Returns how many of its bytes the consumer sees wrong, or -1.
 */
static int export_bytes(struct fake_frontend *ff, int importer, const uint64_t (*ext)[2],
			unsigned int n, uint64_t size, const uint8_t *const *pages)
{
	struct vdmabuf_wire_id id;
	struct vdmabuf_event ev;
	struct export_req req;
	struct vdmabuf_id c;
	int dmabuf_fd, bad = 0;
	uint8_t *host;

	if (export(ff, &req, make_export(&req, size, n, ext), &id) != VDMABUF_S_OK)
		return -1;
	c = cid(&id);
	if (consumer_request(importer, VDMABUF_MSG_IMPORT, &c, NULL, &dmabuf_fd) != 0 ||
	    dmabuf_fd < 0)
		return -1;
	host = mmap(NULL, size, PROT_READ, MAP_SHARED, dmabuf_fd, 0);
	if (host == MAP_FAILED) {
		bad = -1;
	} else {
		for (uint64_t i = 0; i < size; i++)
			bad += host[i] != pages[i / 0x1000][i % 0x1000];
		munmap(host, size);
	}
	close(dmabuf_fd);
	if (consumer_request(importer, VDMABUF_MSG_DROP, &c, NULL, NULL) != 0 ||
	    unexport(ff, &id) != VDMABUF_S_OK || next_event(ff, VDMABUF_EVENT_RETIRED, &ev) < 0)
		return -1;
	return bad;
}

static void memory_regions(struct fake_frontend *ff, int importer)
{
	int ram2_fd = memfd_create("fake-guest-ram2", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	uint8_t *ram2;
	int bad;

	/* Sealed as QEMU's memory-backend-memfd is: udmabuf takes no other. */
	CHECK(ram2_fd >= 0 && ftruncate(ram2_fd, 2 * RAM2_SIZE) == 0 &&
	      fcntl(ram2_fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0, "memfd");
	ram2 = mmap(NULL, 2 * RAM2_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, ram2_fd, 0);
	if (ram2 == MAP_FAILED) {
		CHECK(0, "mmap: %s", strerror(errno));
		return;
	}
	CHECK(ff_add_region(ff, FF_RAM_SIZE, RAM2_SIZE, ram2, 0, ram2_fd) == 0,
	      "ADD_MEM_REG of a second region");
	for (unsigned int i = 0; i < 0x1000; i++) {
		*(uint8_t *)ff_gpa(ff, FF_RAM_SIZE - 0x1000 + i) = i * 3;
		ram2[i] = i * 5;
		*(uint8_t *)ff_gpa(ff, BUF_GPA + i) = i * 11;
		*(uint8_t *)ff_gpa(ff, BUF_GPA + 0x1000 + i) = i * 17;
		*(uint8_t *)ff_gpa(ff, BUF_GPA + 0x2000 + i) = i * 19;
	}
	{
		static const uint64_t straddle[1][2] = { { FF_RAM_SIZE - 0x1000, 0x2000 } };
		const uint8_t *pages[2] = { ff_gpa(ff, FF_RAM_SIZE - 0x1000), ram2 };

		bad = export_bytes(ff, importer, straddle, 1, 0x2000, pages);
		CHECK(bad == 0, "extent across two regions: %d", bad);
	}
	{
		/* Pages 0 1 | 1 2: the same guest page twice in one buffer. */
		static const uint64_t overlap[2][2] = { { BUF_GPA, 0x2000 },
							{ BUF_GPA + 0x1000, 0x2000 } };
		const uint8_t *pages[4] = { ff_gpa(ff, BUF_GPA), ff_gpa(ff, BUF_GPA + 0x1000),
					    ff_gpa(ff, BUF_GPA + 0x1000), ff_gpa(ff, BUF_GPA + 0x2000) };

		bad = export_bytes(ff, importer, overlap, 2, 0x4000, pages);
		CHECK(bad == 0, "overlapping extents: %d", bad);
	}

	/*
	 * A region whose guest pages do not start on a page of its fd can
	 * never be imported: refused, and the device keeps serving.
	 */
	CHECK(ff_add_region(ff, FF_RAM_SIZE + 2 * RAM2_SIZE, RAM2_SIZE, ram2 + 0x800, 0x800,
			    ram2_fd) < 0, "ADD_MEM_REG at an unaligned fd offset refused");
	{
		static const uint64_t one[1][2] = { { BUF_GPA, 0x1000 } };
		const uint8_t *pages[1] = { ff_gpa(ff, BUF_GPA) };

		bad = export_bytes(ff, importer, one, 1, 0x1000, pages);
		CHECK(bad == 0, "export after the unaligned region: %d", bad);
	}
	munmap(ram2, 2 * RAM2_SIZE);
	close(ram2_fd);
}

/*
 * 10,000 malformed chains back to back: each counted, logged within the
 * device's limit, the rest of the lines counted as suppressed.
 */
#define FLOOD 10000

static void flood(struct fake_frontend *ff, int importer)
{
	static const uint16_t kinds[] = { 0, 1, 2, 4, 6, 8 };
	struct vring_desc *desc = ff->vq[0].desc;
	struct vdmabuf_msg_stats before, after;
	uint16_t heads[128];
	unsigned int sent, wrong = 0;
	uint32_t head, len;

	desc[0] = (struct vring_desc){ REQ_GPA, 64, VRING_DESC_F_INDIRECT, 0 };
	desc[1] = (struct vring_desc){ REQ_GPA, 64, VRING_DESC_F_NEXT, 4000 };
	desc[2] = (struct vring_desc){ NOWHERE, 64, VRING_DESC_F_NEXT, 3 };
	desc[3] = (struct vring_desc){ REPLY_GPA, 32, VRING_DESC_F_WRITE, 0 };
	desc[4] = (struct vring_desc){ REQ_GPA, 64, VRING_DESC_F_NEXT, 5 };
	desc[5] = (struct vring_desc){ REQ_GPA, 64, VRING_DESC_F_NEXT, 4 };
	desc[6] = (struct vring_desc){ REPLY_GPA, 32, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 7 };
	desc[7] = (struct vring_desc){ REQ_GPA, 64, 0, 0 };
	desc[8] = (struct vring_desc){ REQ_GPA, 64, VRING_DESC_F_NEXT, 9 };
	desc[9] = (struct vring_desc){ REPLY_GPA, 8, VRING_DESC_F_WRITE, 0 };
	CHECK(stats(importer, &before) == 0, "stats before the flood");
	for (sent = 0; sent < FLOOD;) {
		unsigned int n = FLOOD - sent < 128 ? FLOOD - sent : 128;

		for (unsigned int i = 0; i < n; i++)
			heads[i] = kinds[(sent + i) % (sizeof(kinds) / sizeof(kinds[0]))];
		publish(ff, 0, heads, n);
		for (unsigned int i = 0; i < n && !wrong; i++)
			wrong += ff_wait_used(ff, 0, &head, &len, 5000) < 0 ||
				 head != heads[i] || len != 0;
		sent += n;
		if (wrong)
			break;
	}
	CHECK(sent == FLOOD && wrong == 0, "%u malformed chains: %u answered wrong", sent, wrong);
	CHECK(stats(importer, &after) == 0, "stats after the flood");
	CHECK(after.bad_requests - before.bad_requests >= FLOOD,
	      "%d malformed chains: bad_requests up by %llu", FLOOD,
	      (unsigned long long)(after.bad_requests - before.bad_requests));
	/* hostile.sh counts the lines that were logged: under 100. */
	CHECK(after.logs_suppressed - before.logs_suppressed >= FLOOD - 100,
	      "%d malformed chains: logs_suppressed up by %llu", FLOOD,
	      (unsigned long long)(after.logs_suppressed - before.logs_suppressed));
	CHECK(answered(ff, 5000), "control queue alive after the flood");
}

/*
 * A consumer hands the daemon the fd of a FUSE file whose server never
 * answers FLUSH: a close() of it would block the daemon, and QEMU with
 * it. The sender's own close() shows that it blocks; the daemon must not.
 */
static void noflush_fd(struct fake_frontend *ff, int importer, const char *sock_path,
		       const char *noflush_path)
{
	static const uint64_t one[1][2] = { { BUF_GPA, 0x1000 } };
	int fs = consumer_connect(sock_path);
	struct vdmabuf_consumer_msg msg;
	struct vdmabuf_msg_stats st;
	struct vdmabuf_wire_id id;
	struct vdmabuf_event ev;
	struct export_req req;
	struct pollfd pfd;
	int sync[2], status;
	char sent = 0;
	pid_t pid;

	if (pipe2(sync, O_CLOEXEC) < 0)
		exit(1);
	pid = fork();
	if (pid < 0)
		exit(1);
	if (pid == 0) {
		char control[CMSG_SPACE(sizeof(int))] = { 0 };
		struct vdmabuf_consumer_msg m = { .type = VDMABUF_MSG_STATS };
		struct iovec iov = { &m, sizeof(m) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = control, .msg_controllen = sizeof(control) };
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		int file;

		/* Only the two sockets: the daemon must see ours go. */
		for (int fd = 3; fd < 1024; fd++)
			if (fd != fs && fd != sync[1])
				close(fd);
		file = open(noflush_path, O_RDONLY);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &file, sizeof(int));
		if (file < 0 || sendmsg(fs, &mh, MSG_NOSIGNAL) != sizeof(m))
			_exit(1);
		if (write(sync[1], "s", 1) != 1)
			_exit(1);
		close(file);		/* blocks in FLUSH until the server goes */
		_exit(0);
	}
	close(sync[1]);
	pfd = (struct pollfd){ sync[0], POLLIN, 0 };
	CHECK(poll(&pfd, 1, 5000) == 1 && read(sync[0], &sent, 1) == 1 && sent == 's',
	      "a FUSE fd sent by a consumer");
	close(sync[0]);
	CHECK(consumer_recv(fs, VDMABUF_MSG_STATS, &msg, NULL) < 0,
	      "a consumer sending a FUSE fd is dropped, unanswered");
	close(fs);
	/* The daemon goes on serving QEMU and its consumers. */
	CHECK(export(ff, &req, make_export(&req, 0x1000, 1, one), &id) == VDMABUF_S_OK &&
	      unexport(ff, &id) == VDMABUF_S_OK && next_event(ff, VDMABUF_EVENT_RETIRED, &ev) == 0,
	      "export after a consumer sent a FUSE fd");
	CHECK(stats(importer, &st) == 0, "STATS after a consumer sent a FUSE fd");
	/* Else the fd never stalled a close(), and this proved nothing. */
	CHECK(sent && waitpid(pid, &status, WNOHANG) == 0,
	      "close() of the FUSE fd did not block its sender");
	kill(pid, SIGKILL);	/* it goes when the FUSE server does */

	/* A memfd of a size no buffer has, with a RELEASE, then an IMPORT. */
	for (unsigned int type = VDMABUF_MSG_RELEASE, i = 0; i < 2;
	     i++, type = VDMABUF_MSG_IMPORT) {
		int memfd = memfd_create("wrong-size", MFD_CLOEXEC);
		char control[CMSG_SPACE(sizeof(int))] = { 0 };
		struct vdmabuf_consumer_msg m = { .type = type, .id = { 1, 2 } };
		struct iovec iov = { &m, sizeof(m) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = control, .msg_controllen = sizeof(control) };
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

		fs = consumer_connect(sock_path);
		CHECK(memfd >= 0 && ftruncate(memfd, 4097) == 0, "memfd");
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &memfd, sizeof(int));
		CHECK(sendmsg(fs, &mh, MSG_NOSIGNAL) == sizeof(m), "send a wrong-sized memfd");
		consumer_send(fs, VDMABUF_MSG_STATS, NULL, NULL);
		CHECK(consumer_recv(fs, VDMABUF_MSG_STATS, &msg, NULL) < 0,
		      "a consumer sending a wrong-sized memfd is dropped, unanswered");
		close(fs);
		close(memfd);
	}
	CHECK(export(ff, &req, make_export(&req, 0x1000, 1, one), &id) == VDMABUF_S_OK &&
	      unexport(ff, &id) == VDMABUF_S_OK && next_event(ff, VDMABUF_EVENT_RETIRED, &ev) == 0,
	      "export after a consumer sent a wrong-sized memfd");
}

/*
 * Version 2 (spec §19), as a driver that negotiated it runs the frame path:
 * sized PRESENTs without a reply, kicks only where avail_event asks for
 * them, the control queue's interrupts off, event buffers given back
 * without a kick. The device must cost one kick and one interrupt a frame
 * and report a refused PRESENT as a PRESENT_ERROR event.
 */
#define V2_FRAMES 100
#define V2_PRESENT_GPA 0x50000u
#define V2_CTRL_HEAD 2

/* An unanswered PRESENT of len bytes with n damage rectangles; returns kicks. */
static unsigned int v2_present(struct fake_frontend *ff, const struct vdmabuf_wire_id *id,
			       uint64_t frame, uint32_t n, size_t len)
{
	struct vdmabuf_present p = { .hdr.type = htole32(VDMABUF_CTRL_PRESENT) };

	p.id = *id;
	p.frame = htole64(frame);
	p.num_damage = htole32(n);
	for (uint32_t i = 0; i < n; i++)
		p.damage[i] = (struct vdmabuf_rect){ htole32(i), 0, htole32(1), htole32(1) };
	memcpy(ff_gpa(ff, V2_PRESENT_GPA), &p, len);
	ff->vq[0].desc[V2_CTRL_HEAD] = (struct vring_desc){ V2_PRESENT_GPA, (uint32_t)len, 0, 0 };
	return ff_publish(ff, 0, V2_CTRL_HEAD);
}

/* The next event of type (others go back), its buffer given back without a kick. */
static int v2_event(struct fake_frontend *ff, uint32_t type, struct vdmabuf_event *ev,
		    unsigned int *kicks)
{
	uint32_t head, len;

	for (;;) {
		if (ff_poll_used(ff, 1, &head, &len, 5000) < 0 || len != sizeof(*ev))
			return -1;
		gather_event(ff, head, ev);
		*kicks += ff_publish(ff, 1, head);
		if (le32toh(ev->type) == type)
			return 0;
	}
}

static int version2(const char *vhost_path, const char *consumer_path)
{
	static const uint64_t ext[1][2] = { { BUF_GPA, 0x4000 } };
	struct vdmabuf_msg_release release = { .flags = VDMABUF_RELEASE_PRESENTED };
	struct vdmabuf_msg_stats before, after;
	struct vdmabuf_consumer_msg msg;
	struct vdmabuf_wire_id id, unknown;
	struct vdmabuf_event ev;
	struct export_req req;
	struct fake_frontend ff;
	unsigned int kicks = 0, event_kicks = 0;
	uint64_t bytes = 0, ctrl_irqs, event_irqs;
	uint32_t head, len;
	int importer, dmabuf_fd;

	if (ff_accept(&ff, vhost_path, 10000) < 0)
		return 1;
	ff.extra_features = FF_VERSION_2;
	CHECK(ff_start(&ff) == 0, "version 2 not offered: features %#llx",
	      (unsigned long long)ff.device_features);
	importer = consumer_connect(consumer_path);
	CHECK(export(&ff, &req, make_export(&req, 0x4000, 1, ext), &id) == VDMABUF_S_OK,
	      "export");
	CHECK(consumer_request(importer, VDMABUF_MSG_IMPORT, &(struct vdmabuf_id){
				       le64toh(id.device), le64toh(id.key) }, NULL, &dmabuf_fd) == 0,
	      "import");
	close(dmabuf_fd);
	/* It took the EXPORT and found the ring empty: kick me at the next one. */
	CHECK(*ff_avail_event(&ff, 0) == ff.vq[0].avail_idx, "control avail_event %u, avail %u",
	      *ff_avail_event(&ff, 0), ff.vq[0].avail_idx);

	/* Steady state: interrupts off on the control queue, on for events. */
	*ff_used_event(&ff, 0) = (uint16_t)(ff.vq[0].used_seen + 0x8000);
	while (__atomic_load_n(&ff.vq[1].used->idx, __ATOMIC_ACQUIRE) != ff.vq[1].used_seen &&
	       ff_poll_used(&ff, 1, &head, &len, 5000) == 0)
		event_kicks += ff_publish(&ff, 1, head);	/* CONSUMERS and the like */
	*ff_used_event(&ff, 1) = ff.vq[1].used_seen;
	event_kicks = 0;
	ff_interrupts(&ff, 0);
	ff_interrupts(&ff, 1);
	CHECK(stats(importer, &before) == 0, "stats");
	for (uint64_t frame = 1; frame <= V2_FRAMES; frame++) {
		uint32_t n = frame % 10 ? 0 : 5;

		bytes += vdmabuf_present_len(n);
		kicks += v2_present(&ff, &id, frame, n, vdmabuf_present_len(n));
		if (consumer_recv(importer, VDMABUF_MSG_FRAME, &msg, NULL) < 0 ||
		    msg.u.frame.frame != frame || msg.u.frame.num_damage != n) {
			CHECK(0, "frame %llu not shown", (unsigned long long)frame);
			break;
		}
		CHECK(ff_poll_used(&ff, 0, &head, &len, 5000) == 0 && head == V2_CTRL_HEAD && len == 0,
		      "PRESENT %llu returned with used length %u", (unsigned long long)frame, len);
		release.frame = frame;
		consumer_send(importer, VDMABUF_MSG_RELEASE, &(struct vdmabuf_id){
				      le64toh(id.device), le64toh(id.key) }, &release);
		if (v2_event(&ff, VDMABUF_EVENT_RELEASE, &ev, &event_kicks) < 0 ||
		    le64toh(ev.u.release.frame) != frame) {
			CHECK(0, "no RELEASE of frame %llu", (unsigned long long)frame);
			break;
		}
	}
	ctrl_irqs = ff_interrupts(&ff, 0);
	event_irqs = ff_interrupts(&ff, 1);
	CHECK(stats(importer, &after) == 0, "stats");
	printf("version 2: %u frames: %u kicks (%u for event buffers), %llu + %llu interrupts "
	       "(control, events), %llu bytes read; device: %llu notifications, %llu interrupts, "
	       "%llu bytes\n", V2_FRAMES, kicks + event_kicks, event_kicks,
	       (unsigned long long)ctrl_irqs, (unsigned long long)event_irqs,
	       (unsigned long long)bytes,
	       (unsigned long long)(after.notifications - before.notifications),
	       (unsigned long long)(after.interrupts - before.interrupts),
	       (unsigned long long)(after.guest_bytes - before.guest_bytes));
	CHECK(after.frames_total - before.frames_total == V2_FRAMES, "frames %llu",
	      (unsigned long long)(after.frames_total - before.frames_total));
	CHECK(after.guest_bytes - before.guest_bytes == bytes, "device read %llu bytes, sent %llu",
	      (unsigned long long)(after.guest_bytes - before.guest_bytes),
	      (unsigned long long)bytes);
	CHECK(bytes <= 128 * V2_FRAMES, "%llu bytes for %u frames", (unsigned long long)bytes,
	      V2_FRAMES);
	CHECK(event_kicks == 0, "%u kicks for event buffers the device did not need", event_kicks);
	CHECK(kicks <= V2_FRAMES && after.notifications - before.notifications == kicks,
	      "%u kicks, device counted %llu", kicks,
	      (unsigned long long)(after.notifications - before.notifications));
	CHECK(ctrl_irqs == 0, "%llu control-queue interrupts asked not to be sent",
	      (unsigned long long)ctrl_irqs);
	CHECK(event_irqs == V2_FRAMES && after.interrupts - before.interrupts == V2_FRAMES,
	      "%llu event interrupts, device counted %llu", (unsigned long long)event_irqs,
	      (unsigned long long)(after.interrupts - before.interrupts));

	/* Refused: the status comes back as PRESENT_ERROR, the chain unanswered. */
	unknown = id;
	unknown.key ^= htole64(1);
	v2_present(&ff, &unknown, 7, 0, vdmabuf_present_len(0));
	CHECK(ff_poll_used(&ff, 0, &head, &len, 5000) == 0 && len == 0, "refused PRESENT: used length %u",
	      len);
	CHECK(v2_event(&ff, VDMABUF_EVENT_PRESENT_ERROR, &ev, &event_kicks) == 0 &&
	      le32toh(ev.u.present_error.status) == VDMABUF_S_ENOENT &&
	      le64toh(ev.u.present_error.frame) == 7 && ev.u.present_error.id.key == unknown.key,
	      "PRESENT_ERROR of an unknown id");
	v2_present(&ff, &id, 8, 3, vdmabuf_present_len(3) - 1);
	CHECK(ff_poll_used(&ff, 0, &head, &len, 5000) == 0 && len == 0, "short PRESENT: used length %u",
	      len);
	CHECK(v2_event(&ff, VDMABUF_EVENT_PRESENT_ERROR, &ev, &event_kicks) == 0 &&
	      le32toh(ev.u.present_error.status) == VDMABUF_S_EINVAL,
	      "PRESENT_ERROR of a PRESENT short of its damage");
	/* With a reply part it is answered as version 1. */
	{
		struct vdmabuf_present p = { .hdr.type = htole32(VDMABUF_CTRL_PRESENT) };
		struct vdmabuf_reply reply;

		p.id = unknown;
		CHECK(ff_control(&ff, &p, vdmabuf_present_len(0), &reply) == VDMABUF_S_ENOENT,
		      "answered PRESENT");
	}
	/* Only a PRESENT goes without a reply: an UNEXPORT without one is not read. */
	{
		struct vdmabuf_unexport u = { .hdr.type = htole32(VDMABUF_CTRL_UNEXPORT) };

		u.id = id;
		memcpy(ff_gpa(&ff, V2_PRESENT_GPA), &u, sizeof(u));
		ff.vq[0].desc[V2_CTRL_HEAD] =
			(struct vring_desc){ V2_PRESENT_GPA, sizeof(u), 0, 0 };
		ff_publish(&ff, 0, V2_CTRL_HEAD);
		CHECK(ff_poll_used(&ff, 0, &head, &len, 5000) == 0 && len == 0, "UNEXPORT without reply");
		CHECK(stats(importer, &after) == 0 && after.buffers == 1,
		      "UNEXPORT without reply was done: %llu buffers",
		      (unsigned long long)after.buffers);
	}
	ff_close(&ff);
	close(importer);
	printf("hostile --v2: %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}

int main(int argc, char *argv[])
{
	static const uint64_t good[2][2] = { { BUF_GPA, 0x2000 }, { BUF_GPA + 0x100000, 0x2000 } };
	struct vdmabuf_msg_release release = { .frame = 1, .present_ns = 123456789,
						.refresh_ns = 16666667,
						.flags = VDMABUF_RELEASE_PRESENTED };
	struct fake_frontend ff;
	struct vdmabuf_config config;
	struct vdmabuf_wire_id id, forged;
	struct vdmabuf_id c;
	struct vdmabuf_event ev;
	struct export_req req;
	uint8_t *host;
	int importer, other, dmabuf_fd;
	size_t len;
	int status;

	if (argc == 4 && !strcmp(argv[1], "--v2"))
		return version2(argv[2], argv[3]);
	if (argc != 4) {
		fprintf(stderr, "usage: hostile VHOST_SOCKET CONSUMER_SOCKET NOFLUSH_FILE\n"
			"       hostile --v2 VHOST_SOCKET CONSUMER_SOCKET\n");
		return 2;
	}
	if (ff_accept(&ff, argv[1], 10000) < 0 || ff_start(&ff) < 0) {
		fprintf(stderr, "negotiation with the daemon failed\n");
		return 1;
	}
	CHECK(ff_get_config(&ff, &config, sizeof(config)) == 0 &&
	      le32toh(config.max_buffers) == VDMABUF_MAX_BUFFERS, "config");
	importer = consumer_connect(argv[2]);
	other = consumer_connect(argv[2]);

	/* A good buffer: two extents; the consumer sees the guest's bytes. */
	for (unsigned int i = 0; i < 0x2000; i++) {
		*(uint8_t *)ff_gpa(&ff, BUF_GPA + i) = i * 7;
		*(uint8_t *)ff_gpa(&ff, BUF_GPA + 0x100000 + i) = i * 13;
	}
	len = make_export(&req, 0x4000, 2, good);
	CHECK(export(&ff, &req, len, &id) == VDMABUF_S_OK, "good export");
	c = cid(&id);
	CHECK(c.device != 0 && (c.key >> 32) != 0, "id %016llx:%016llx",
	      (unsigned long long)c.device, (unsigned long long)c.key);
	CHECK(consumer_request(importer, VDMABUF_MSG_IMPORT, &c, NULL, &dmabuf_fd) == 0 &&
	      dmabuf_fd >= 0, "import");
	host = mmap(NULL, 0x4000, PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf_fd, 0);
	CHECK(host != MAP_FAILED, "mmap of the host dmabuf: %s", strerror(errno));
	if (host != MAP_FAILED) {
		int bad = 0;

		for (unsigned int i = 0; i < 0x2000; i++)
			bad += host[i] != (uint8_t)(i * 7) ||
			       host[0x2000 + i] != (uint8_t)(i * 13);
		CHECK(bad == 0, "%d bytes differ", bad);
		host[0x2100] = 0x5a;
		CHECK(*(uint8_t *)ff_gpa(&ff, BUF_GPA + 0x100000 + 0x100) == 0x5a,
		      "host write not seen by the guest");
		munmap(host, 0x4000);
	}

	/* Present, replayed present, release from strangers, replayed release. */
	CHECK(present(&ff, &id, 1) == VDMABUF_S_OK, "present");
	CHECK(present(&ff, &id, 2) == VDMABUF_S_EBUSY, "present before release");
	CHECK(consumer_request(other, VDMABUF_MSG_RELEASE, &c, &release, NULL) == -EPERM,
	      "release from a consumer that never imported");
	CHECK(consumer_request(importer, VDMABUF_MSG_RELEASE, &c, &release, NULL) == 0,
	      "release");
	CHECK(next_event(&ff, VDMABUF_EVENT_RELEASE, &ev) == 0 &&
	      ev.u.release.id.key == id.key && le64toh(ev.u.release.frame) == 1 &&
	      le64toh(ev.u.release.present_ns) == 123456789 &&
	      le32toh(ev.u.release.refresh_ns) == 16666667 &&
	      (le32toh(ev.u.release.flags) & VDMABUF_RELEASE_PRESENTED), "RELEASE event");
	CHECK(consumer_request(importer, VDMABUF_MSG_RELEASE, &c, &release, NULL) == -EALREADY,
	      "replayed release");

	/* Unknown, forged and replayed ids. */
	forged = id;
	forged.key ^= htole64(1);
	CHECK(present(&ff, &forged, 3) == VDMABUF_S_ENOENT, "forged id");
	forged = id;
	forged.device ^= htole64(1);
	CHECK(present(&ff, &forged, 3) == VDMABUF_S_ENOENT, "other device's id");
	CHECK(consumer_request(other, VDMABUF_MSG_IMPORT, &(struct vdmabuf_id){ 1, 2 },
			       NULL, NULL) == -ENOENT, "import of an unknown id");
	CHECK(consumer_request(importer, VDMABUF_MSG_IMPORT, &c, NULL, NULL) == -EEXIST,
	      "second import");
	CHECK(consumer_request(other, 99, &c, NULL, NULL) == -EOPNOTSUPP, "unknown request");

	/* Unexport while imported: GONE, then RETIRED once dropped. */
	CHECK(unexport(&ff, &id) == VDMABUF_S_OK, "unexport");
	CHECK(unexport(&ff, &id) == VDMABUF_S_EBUSY, "double unexport while retiring");
	CHECK(present(&ff, &id, 4) == VDMABUF_S_ENOENT, "present after unexport");
	CHECK(consumer_request(importer, VDMABUF_MSG_DROP, &c, NULL, NULL) == 0, "drop");
	CHECK(next_event(&ff, VDMABUF_EVENT_RETIRED, &ev) == 0 &&
	      ev.u.retired.id.key == id.key, "RETIRED after the last import went");
	CHECK(unexport(&ff, &id) == VDMABUF_S_ENOENT, "unexport of a retired id");
	close(dmabuf_fd);

	/* Malformed EXPORTs. */
	{
		static const uint64_t outside[1][2] = { { FF_RAM_SIZE, 0x1000 } };
		static const uint64_t straddle[1][2] = { { FF_RAM_SIZE - 0x1000, 0x2000 } };
		static const uint64_t wrap[1][2] = { { 0xfffffffffffff000ull, 0x2000 } };
		static const uint64_t unaligned[1][2] = { { BUF_GPA + 8, 0x1000 } };
		static const uint64_t zero[1][2] = { { BUF_GPA, 0 } };

		len = make_export(&req, 0x1000, 1, outside);
		CHECK(export(&ff, &req, len, NULL) == VDMABUF_S_ERANGE, "outside RAM");
		len = make_export(&req, 0x2000, 1, straddle);
		CHECK(export(&ff, &req, len, NULL) == VDMABUF_S_ERANGE, "straddles RAM's end");
		len = make_export(&req, 0x2000, 1, wrap);
		CHECK(export(&ff, &req, len, NULL) == VDMABUF_S_ERANGE, "wraps around");
		len = make_export(&req, 0x1000, 1, unaligned);
		CHECK(export(&ff, &req, len, NULL) == VDMABUF_S_EINVAL, "unaligned");
		len = make_export(&req, 0x1000, 1, zero);
		CHECK(export(&ff, &req, len, NULL) == VDMABUF_S_EINVAL, "zero-length extent");
		len = make_export(&req, 0x8000, 2, good);
		CHECK(export(&ff, &req, len, NULL) == VDMABUF_S_EINVAL, "size != extents");
		len = make_export(&req, 0, 2, good);
		CHECK(export(&ff, &req, len, NULL) == VDMABUF_S_EINVAL, "zero size");
		len = make_export(&req, 2ull << 30, 2, good);
		CHECK(export(&ff, &req, len, NULL) == VDMABUF_S_ENOSPC, "oversized buffer");
		len = make_export(&req, 0x4000, 2, good);
		req.hdr.num_extents = htole32(VDMABUF_MAX_EXTENTS + 1);
		CHECK(export(&ff, &req, len, NULL) == VDMABUF_S_ENOSPC, "too many extents");
		req.hdr.num_extents = htole32(100);
		CHECK(export(&ff, &req, len, NULL) == VDMABUF_S_EINVAL, "extents beyond the request");
		req.hdr.num_extents = htole32(2);
		req.hdr.num_planes = htole32(5);
		CHECK(export(&ff, &req, len, NULL) == VDMABUF_S_EINVAL, "5 planes");
		req.hdr.num_planes = htole32(1);
		req.hdr.hdr.type = htole32(0x1ff);
		CHECK(export(&ff, &req, len, NULL) == VDMABUF_S_ENOTSUP, "unknown request type");
		CHECK(export(&ff, &req, 8, NULL) == VDMABUF_S_EINVAL, "8-byte request");
	}

	/* Descriptor chains no driver would write: answered with nothing. */
	{
		uint32_t reply = 0xc0000;
		struct vring_desc outside[2] = {
			{ FF_RAM_SIZE + 0x1000, 64, VRING_DESC_F_NEXT, 1 },
			{ reply, 32, VRING_DESC_F_WRITE, 0 } };
		struct vring_desc loop[2] = {
			{ 0x40000, 64, VRING_DESC_F_NEXT, 1 },
			{ 0x40000, 64, VRING_DESC_F_NEXT, 0 } };
		struct vring_desc huge[2] = {
			{ 0x40000, 0xffffffff, VRING_DESC_F_NEXT, 1 },
			{ reply, 32, VRING_DESC_F_WRITE, 0 } };
		struct vring_desc bad_next[1] = {
			{ 0x40000, 64, VRING_DESC_F_NEXT, 4000 } };
		struct vring_desc indirect[1] = {
			{ 0x40000, 64, VRING_DESC_F_INDIRECT, 0 } };
		struct vring_desc write_then_read[2] = {
			{ reply, 32, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1 },
			{ 0x40000, 64, 0, 0 } };
		struct vring_desc small_reply[2] = {
			{ 0x40000, 64, VRING_DESC_F_NEXT, 1 },
			{ reply, 8, VRING_DESC_F_WRITE, 0 } };

		CHECK(bad_chain(&ff, outside, 2) == 0, "descriptor outside RAM");
		CHECK(bad_chain(&ff, loop, 2) == 0, "looping chain");
		CHECK(bad_chain(&ff, huge, 2) == 0, "4 GiB descriptor");
		CHECK(bad_chain(&ff, bad_next, 1) == 0, "next beyond the ring");
		CHECK(bad_chain(&ff, indirect, 1) == 0, "indirect, not negotiated");
		CHECK(bad_chain(&ff, write_then_read, 2) == 0, "readable after writable");
		CHECK(bad_chain(&ff, small_reply, 2) == 0, "reply buffer too small");
	}

	ring_edges(&ff);
	memory_regions(&ff, importer);
	flood(&ff, importer);

	/* Still serving: a good export after all that. */
	len = make_export(&req, 0x4000, 2, good);
	status = export(&ff, &req, len, &id);
	CHECK(status == VDMABUF_S_OK, "export after the garbage: %d", status);
	status = unexport(&ff, &id);
	CHECK(status == VDMABUF_S_OK, "unexport: %d", status);
	CHECK(next_event(&ff, VDMABUF_EVENT_RETIRED, &ev) == 0, "RETIRED with no importer");

	/* A consumer that sends garbage is dropped; the others stay. */
	CHECK(send(other, "garbage", 7, MSG_NOSIGNAL) == 7, "send");
	CHECK(consumer_request(other, VDMABUF_MSG_STATS, NULL, NULL, NULL) == -EPIPE,
	      "garbage consumer dropped");
	/*
	 * So is one that sends fds with a message (consumers never do): the
	 * daemon never holds them, so none can stall its loop on close().
	 */
	{
		int fds = consumer_connect(argv[2]);
		struct vdmabuf_consumer_msg msg = { .type = VDMABUF_MSG_STATS };
		char control[CMSG_SPACE(64 * sizeof(int))] = { 0 };
		struct iovec iov = { &msg, sizeof(msg) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = control, .msg_controllen = sizeof(control) };
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		int many[64], pipe_fds[2];

		CHECK(pipe(pipe_fds) == 0, "pipe");
		for (int i = 0; i < 64; i++)
			many[i] = pipe_fds[0];	/* one fd, 64 times */
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(many));
		memcpy(CMSG_DATA(cm), many, sizeof(many));
		CHECK(fds >= 0 && sendmsg(fds, &mh, MSG_NOSIGNAL) == sizeof(msg), "send with fds");
		CHECK(consumer_recv(fds, VDMABUF_MSG_STATS, &msg, NULL) < 0,
		      "a consumer sending fds is dropped, unanswered");
		close(fds);
		close(pipe_fds[0]);
		close(pipe_fds[1]);
	}
	noflush_fd(&ff, importer, argv[2], argv[3]);
	{
		struct vdmabuf_consumer_msg stats;

		consumer_send(importer, VDMABUF_MSG_STATS, NULL, NULL);
		CHECK(consumer_recv(importer, VDMABUF_MSG_STATS, &stats, NULL) == 0 &&
		      stats.u.stats.consumers == 1 && stats.u.stats.buffers == 0 &&
		      stats.u.stats.imports == 0 && stats.u.stats.bad_requests >= 20,
		      "stats: consumers %llu buffers %llu imports %llu bad %llu",
		      (unsigned long long)stats.u.stats.consumers,
		      (unsigned long long)stats.u.stats.buffers,
		      (unsigned long long)stats.u.stats.imports,
		      (unsigned long long)stats.u.stats.bad_requests);
	}

	/*
	 * A frontend resizing or moving a started queue is refused: the ring
	 * was mapped for its size and addresses.
	 */
	{
		struct { uint32_t index, num; } state = { 1, 1024 };
		struct { uint32_t index, flags; uint64_t desc, used, avail, log; } addr = { .index = 1 };
		struct vdmabuf_consumer_msg stats;

		CHECK(ff_request(&ff, 8, &state, sizeof(state), NULL, 0) < 0,
		      "SET_VRING_NUM 1024 of a started queue refused");
		CHECK(ff_request(&ff, 9, &addr, sizeof(addr), NULL, 0) < 0,
		      "SET_VRING_ADDR of a started queue refused");
		consumer_send(importer, VDMABUF_MSG_STATS, NULL, NULL);
		CHECK(consumer_recv(importer, VDMABUF_MSG_STATS, &stats, NULL) == 0,
		      "daemon alive after the refusals");
	}

	/* A ring index the guest made up stops that queue, not the daemon. */
	ff.vq[0].avail_idx += 1000;
	ff_make_available(&ff, 0, 0);
	usleep(200000);
	consumer_send(importer, VDMABUF_MSG_STATS, NULL, NULL);
	{
		struct vdmabuf_consumer_msg stats;

		CHECK(consumer_recv(importer, VDMABUF_MSG_STATS, &stats, NULL) == 0,
		      "daemon alive after a broken ring");
	}

	/*
	 * REM_MEM_REG of the region holding the rings, then a kick: the
	 * queues are broken, never read through the unmapped memory.
	 */
	{
		struct { uint64_t padding, gpa, size, uva, offset; } region = {
			0, 0, FF_RAM_SIZE, (uintptr_t)ff.ram, 0,
		};
		struct vdmabuf_consumer_msg stats;

		CHECK(ff_request(&ff, 38, &region, sizeof(region), NULL, 0) == 0,
		      "REM_MEM_REG of the rings' region");
		ff_make_available(&ff, 1, 0);
		usleep(200000);
		consumer_send(importer, VDMABUF_MSG_STATS, NULL, NULL);
		CHECK(consumer_recv(importer, VDMABUF_MSG_STATS, &stats, NULL) == 0,
		      "daemon alive after the rings' memory went");
	}

	ff_close(&ff);
	close(importer);
	close(other);
	printf("hostile: %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
