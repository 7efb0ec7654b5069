// SPDX-License-Identifier: MIT
/*
 * The consumer API against a socketpair on which this test plays the
 * daemon: greeting, events in order, answers waited for while other
 * messages keep their place, errors, and the daemon going away.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vdmabuf.h"
#include "vdmabuf_consumer.h"

static int failures;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		failures++;						\
		fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	}								\
} while (0)

struct log {
	char events[512];
	int errors;
};

static void on_buffer(void *data, const struct vdmabuf_id *id,
		      const struct vdmabuf_buffer_desc *desc, uint64_t size)
{
	struct log *log = data;

	snprintf(log->events + strlen(log->events), sizeof(log->events) - strlen(log->events),
		 "buffer %llu %ux%u %llu;", (unsigned long long)id->key, desc->width,
		 desc->height, (unsigned long long)size);
}

static void on_frame(void *data, const struct vdmabuf_id *id, uint64_t frame,
		     const struct vdmabuf_rect *damage, unsigned int n)
{
	struct log *log = data;

	snprintf(log->events + strlen(log->events), sizeof(log->events) - strlen(log->events),
		 "frame %llu %llu %u;", (unsigned long long)id->key,
		 (unsigned long long)frame, n);
}

static void on_gone(void *data, const struct vdmabuf_id *id)
{
	struct log *log = data;

	snprintf(log->events + strlen(log->events), sizeof(log->events) - strlen(log->events),
		 "gone %llu;", (unsigned long long)id->key);
}

static void on_error(void *data, uint32_t request, const struct vdmabuf_id *id, int err)
{
	struct log *log = data;

	log->errors++;
	snprintf(log->events + strlen(log->events), sizeof(log->events) - strlen(log->events),
		 "error %u %d;", request, err);
}

static const struct vdmabuf_consumer_listener listener = {
	.buffer = on_buffer, .frame = on_frame, .gone = on_gone, .error = on_error,
};

static void daemon_send(int fd, const struct vdmabuf_consumer_msg *msg, int pass_fd)
{
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { (void *)msg, sizeof(*msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (pass_fd >= 0) {
		struct cmsghdr *c;

		mh.msg_control = control;
		mh.msg_controllen = sizeof(control);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	if (sendmsg(fd, &mh, 0) != sizeof(*msg))
		perror("daemon_send");
}

int main(void)
{
	struct vdmabuf_consumer_msg msg = { .type = VDMABUF_MSG_HELLO };
	struct vdmabuf_id id = { 0x1234, 7 }, id2 = { 0x1234, 8 };
	struct vdmabuf_buffer_desc desc;
	struct vdmabuf_consumer *c;
	struct vdmabuf_stats stats;
	struct log log = { 0 };
	char name[VDMABUF_ID_STRLEN];
	uint64_t size;
	int sv[2], err, fd, memfd;

	CHECK(strcmp(vdmabuf_id_format(&id, name), "0000000000001234:0000000000000007") == 0);
	CHECK(vdmabuf_id_equal(&id, &id) && !vdmabuf_id_equal(&id, &id2));

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return 1;
	/* A wrong version is refused. */
	{
		int bad[2];

		socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, bad);
		msg.u.hello.version = 99;
		daemon_send(bad[1], &msg, -1);
		CHECK(!vdmabuf_consumer_create_from_fd(bad[0], &err) && err == -EPROTONOSUPPORT);
		close(bad[1]);
	}
	msg.u.hello.version = VDMABUF_CONSUMER_VERSION;
	daemon_send(sv[1], &msg, -1);
	c = vdmabuf_consumer_create_from_fd(sv[0], &err);
	CHECK(c != NULL);
	if (!c)
		return 1;

	/* Events in order. */
	msg = (struct vdmabuf_consumer_msg){ .type = VDMABUF_MSG_BUFFER, .id = { 0x1234, 7 } };
	msg.u.buffer.width = 64;
	msg.u.buffer.height = 32;
	msg.u.buffer.size = 8192;
	daemon_send(sv[1], &msg, -1);
	msg = (struct vdmabuf_consumer_msg){ .type = VDMABUF_MSG_FRAME, .id = { 0x1234, 7 } };
	msg.u.frame.frame = 5;
	msg.u.frame.num_damage = 2;
	daemon_send(sv[1], &msg, -1);
	CHECK(vdmabuf_consumer_dispatch(c, &listener, &log) == 2);
	CHECK(strcmp(log.events, "buffer 7 64x32 8192;frame 7 5 2;") == 0);

	/* An import answered after an unrelated frame: the frame waits. */
	memfd = memfd_create("test", MFD_CLOEXEC);
	CHECK(ftruncate(memfd, 8192) == 0);
	msg = (struct vdmabuf_consumer_msg){ .type = VDMABUF_MSG_FRAME, .id = { 0x1234, 8 } };
	msg.u.frame.frame = 6;
	daemon_send(sv[1], &msg, -1);
	msg = (struct vdmabuf_consumer_msg){ .type = VDMABUF_MSG_IMPORT, .id = { 0x1234, 7 } };
	msg.u.buffer.width = 64;
	msg.u.buffer.size = 8192;
	daemon_send(sv[1], &msg, memfd);
	close(memfd);
	fd = vdmabuf_consumer_import(c, &id, &desc, &size);
	CHECK(fd >= 0 && desc.width == 64 && size == 8192);
	if (fd >= 0)
		close(fd);
	CHECK(recv(sv[1], &msg, sizeof(msg), 0) == sizeof(msg) &&
	      msg.type == VDMABUF_MSG_IMPORT && msg.id.key == 7);
	log.events[0] = 0;
	CHECK(vdmabuf_consumer_dispatch(c, &listener, &log) == 1);
	CHECK(strcmp(log.events, "frame 8 6 0;") == 0);

	/* A refused import. */
	msg = (struct vdmabuf_consumer_msg){ .type = VDMABUF_MSG_REPLY, .status = -ENOENT,
				     .status_of = VDMABUF_MSG_IMPORT, .id = { 0x1234, 8 } };
	daemon_send(sv[1], &msg, -1);
	CHECK(vdmabuf_consumer_import(c, &id2, NULL, NULL) == -ENOENT);
	recv(sv[1], &msg, sizeof(msg), 0);

	/* An error about a release comes through dispatch. */
	CHECK(vdmabuf_consumer_release(c, &id, 5, 1, 2, VDMABUF_RELEASE_PRESENTED) == 0);
	CHECK(recv(sv[1], &msg, sizeof(msg), 0) == sizeof(msg) &&
	      msg.type == VDMABUF_MSG_RELEASE && msg.u.release.frame == 5 &&
	      msg.u.release.refresh_ns == 2);
	msg = (struct vdmabuf_consumer_msg){ .type = VDMABUF_MSG_REPLY, .status = -EALREADY,
				     .status_of = VDMABUF_MSG_RELEASE, .id = { 0x1234, 7 } };
	daemon_send(sv[1], &msg, -1);
	msg = (struct vdmabuf_consumer_msg){ .type = VDMABUF_MSG_GONE, .id = { 0x1234, 7 } };
	daemon_send(sv[1], &msg, -1);
	log.events[0] = 0;
	CHECK(vdmabuf_consumer_dispatch(c, &listener, &log) == 2);
	CHECK(strcmp(log.events, "error 17 -114;gone 7;") == 0);

	/* Stats. */
	msg = (struct vdmabuf_consumer_msg){ .type = VDMABUF_MSG_STATS };
	msg.u.stats.buffers = 3;
	daemon_send(sv[1], &msg, -1);
	CHECK(vdmabuf_consumer_stats(c, &stats) == 0 && stats.buffers == 3);
	recv(sv[1], &msg, sizeof(msg), 0);

	/* A short message is a protocol error; then the daemon goes away. */
	CHECK(send(sv[1], "x", 1, 0) == 1);
	CHECK(vdmabuf_consumer_dispatch(c, &listener, &log) == -EPROTO);
	close(sv[1]);
	CHECK(vdmabuf_consumer_dispatch(c, &listener, &log) == -EPIPE);
	CHECK(vdmabuf_consumer_import(c, &id, NULL, NULL) == -EPIPE);
	vdmabuf_consumer_destroy(c);
	return failures != 0;
}
