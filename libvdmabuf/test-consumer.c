// SPDX-License-Identifier: MIT
/*
 * The consumer API against a socketpair on which this test plays the
 * daemon: greeting, events in order, answers waited for while other
 * messages keep their place, errors, the guest's seat (claim, input
 * events checked before they leave, the keymap in pieces), the guest's
 * pointer, the clipboard (callbacks only once asked for, pieces of
 * VDMABUF_MSG_CLIP_CHUNK with END on the last, a paste's transfer waited
 * for), a paste between a transfer and a pipe (vdmabuf_clip_stream: the
 * window kept, acknowledgements only of what the pipe took, a reader who
 * went), and the daemon going away.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
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

static void on_pointer(void *data, const struct vdmabuf_id *image, uint64_t serial,
		       uint32_t hotspot_x, uint32_t hotspot_y, uint32_t constraint)
{
	struct log *log = data;

	snprintf(log->events + strlen(log->events), sizeof(log->events) - strlen(log->events),
		 "pointer %lld %llu %u,%u %u;", image ? (long long)image->key : -1LL,
		 (unsigned long long)serial, hotspot_x, hotspot_y, constraint);
}

static void on_selection(void *data, uint32_t selection, uint32_t serial, uint32_t formats)
{
	struct log *log = data;

	snprintf(log->events + strlen(log->events), sizeof(log->events) - strlen(log->events),
		 "selection %u %u %#x;", selection, serial, formats);
}

static void on_clip_data(void *data, uint32_t transfer, const void *bytes, size_t len,
			 bool end, int status)
{
	struct log *log = data;

	snprintf(log->events + strlen(log->events), sizeof(log->events) - strlen(log->events),
		 "data %u %.*s %d %d;", transfer, (int)len, (const char *)bytes, end, status);
}

static const struct vdmabuf_clip_listener clip_listener = {
	.selection = on_selection, .data = on_clip_data,
};

static const struct vdmabuf_consumer_listener listener = {
	.buffer = on_buffer, .frame = on_frame, .gone = on_gone, .error = on_error,
	.pointer = on_pointer, .clip = &clip_listener,
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

/* The next message the consumer sent, or type 0 if none is waiting. */
static struct vdmabuf_consumer_msg daemon_recv(int fd)
{
	struct vdmabuf_consumer_msg msg = { 0 };

	if (recv(fd, &msg, sizeof(msg), MSG_DONTWAIT) != sizeof(msg))
		msg.type = 0;
	return msg;
}

static void test_seat(struct vdmabuf_consumer *c, int daemon, struct log *log)
{
	struct vdmabuf_input_event ev = { .kind = VDMABUF_INPUT_KEY, .time_usec = 42,
					  .args = { 30, 1 } };
	struct vdmabuf_consumer_msg msg;
	size_t size = 2 * VDMABUF_MSG_KEYMAP_CHUNK + 10, got = 0;
	char *text = malloc(VDMABUF_MAX_KEYMAP + 1);
	int status;
	pid_t pid;

	CHECK(vdmabuf_consumer_claim_seat(c, true) == 0);
	msg = daemon_recv(daemon);
	CHECK(msg.type == VDMABUF_MSG_SEAT && msg.u.seat.claim == 1);
	CHECK(vdmabuf_consumer_claim_seat(c, false) == 0);
	msg = daemon_recv(daemon);
	CHECK(msg.type == VDMABUF_MSG_SEAT && msg.u.seat.claim == 0);

	/* An event goes out as it is. */
	CHECK(vdmabuf_consumer_input(c, &ev) == 0);
	msg = daemon_recv(daemon);
	CHECK(msg.type == VDMABUF_MSG_INPUT && msg.u.input.kind == VDMABUF_INPUT_KEY &&
	      msg.u.input.time_usec == 42 && msg.u.input.args[0] == 30 &&
	      msg.u.input.args[1] == 1 && msg.u.input.args[2] == 0);
	ev = (struct vdmabuf_input_event){ .kind = VDMABUF_INPUT_MOTION,
					   .args = { 100 * 256 + 128, 7 * 256 } };
	CHECK(vdmabuf_consumer_input(c, &ev) == 0);
	msg = daemon_recv(daemon);
	CHECK(msg.type == VDMABUF_MSG_INPUT && msg.u.input.args[0] == 100 * 256 + 128);
	/* From another output's window: the output goes with it. */
	CHECK(vdmabuf_consumer_output_input(c, 3, &ev) == 0);
	msg = daemon_recv(daemon);
	CHECK(msg.type == VDMABUF_MSG_INPUT && msg.u.input.output == 3 &&
	      msg.u.input.args[0] == 100 * 256 + 128);

	/* Bad events never leave. */
	ev = (struct vdmabuf_input_event){ .kind = 99 };
	CHECK(vdmabuf_consumer_input(c, &ev) == -EINVAL);
	ev = (struct vdmabuf_input_event){ .kind = VDMABUF_INPUT_KEY, .args = { 0x300, 1 } };
	CHECK(vdmabuf_consumer_input(c, &ev) == -EINVAL);
	ev = (struct vdmabuf_input_event){ .kind = VDMABUF_INPUT_MOTION, .args = { -1, 0 } };
	CHECK(vdmabuf_consumer_input(c, &ev) == -EINVAL);
	ev = (struct vdmabuf_input_event){ .kind = VDMABUF_INPUT_FRAME, .args = { [9] = 1 } };
	CHECK(vdmabuf_consumer_input(c, &ev) == -EINVAL);
	ev = (struct vdmabuf_input_event){ .kind = VDMABUF_INPUT_BUTTON, .args = { 0x10f, 1 } };
	CHECK(vdmabuf_consumer_input(c, &ev) == -EINVAL);
	CHECK(daemon_recv(daemon).type == 0);

	/* The keymap in pieces, in order, each checked as the daemon will. */
	for (size_t i = 0; i < size; i++)
		text[i] = 'a' + i % 26;
	CHECK(vdmabuf_consumer_keymap(c, VDMABUF_KEYMAP_XKB_V1, text, size) == 0);
	for (unsigned int n = 0; n < 3; n++) {
		const struct vdmabuf_msg_keymap *k = &msg.u.keymap;

		msg = daemon_recv(daemon);
		CHECK(msg.type == VDMABUF_MSG_KEYMAP && k->size == size);
		CHECK(vdmabuf_keymap_piece_valid(k->format, k->size, k->offset, k->len,
						 VDMABUF_MSG_KEYMAP_CHUNK, got));
		CHECK(k->len <= VDMABUF_MSG_KEYMAP_CHUNK &&
		      memcmp(k->data, text + k->offset, k->len) == 0);
		got += k->len;
	}
	CHECK(got == size && daemon_recv(daemon).type == 0);
	/* The largest keymap outgrows the socket's buffer: a child reads it. */
	pid = fork();
	if (pid == 0) {
		for (got = 0; recv(daemon, &msg, sizeof(msg), 0) == sizeof(msg) &&
			      msg.type == VDMABUF_MSG_KEYMAP; got += msg.u.keymap.len)
			if (!vdmabuf_keymap_piece_valid(msg.u.keymap.format, msg.u.keymap.size,
							msg.u.keymap.offset, msg.u.keymap.len,
							VDMABUF_MSG_KEYMAP_CHUNK, got))
				_exit(2);
		_exit(got == VDMABUF_MAX_KEYMAP && msg.type == VDMABUF_MSG_SEAT ? 0 : 1);
	}
	CHECK(pid > 0);
	CHECK(vdmabuf_consumer_keymap(c, VDMABUF_KEYMAP_XKB_V1, text, VDMABUF_MAX_KEYMAP) == 0);
	CHECK(vdmabuf_consumer_claim_seat(c, true) == 0);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(vdmabuf_consumer_keymap(c, VDMABUF_KEYMAP_XKB_V1, text,
				      VDMABUF_MAX_KEYMAP + 1) == -E2BIG);
	CHECK(vdmabuf_consumer_keymap(c, 2, text, size) == -EINVAL);
	CHECK(vdmabuf_consumer_keymap(c, VDMABUF_KEYMAP_XKB_V1, text, 0) == -EINVAL);
	CHECK(daemon_recv(daemon).type == 0);
	free(text);

	/* Refusals come through dispatch, named by request. */
	msg = (struct vdmabuf_consumer_msg){ .type = VDMABUF_MSG_REPLY, .status = -EBUSY,
					     .status_of = VDMABUF_MSG_SEAT };
	daemon_send(daemon, &msg, -1);
	msg = (struct vdmabuf_consumer_msg){ .type = VDMABUF_MSG_REPLY, .status = -EPERM,
					     .status_of = VDMABUF_MSG_INPUT };
	daemon_send(daemon, &msg, -1);
	log->events[0] = 0;
	CHECK(vdmabuf_consumer_dispatch(c, &listener, log) == 2);
	CHECK(strcmp(log->events, "error 21 -16;error 22 -1;") == 0);
}

static struct vdmabuf_consumer_msg pointer_msg(uint64_t key, uint64_t serial, uint32_t flags,
					       uint32_t hx, uint32_t hy, uint32_t constraint)
{
	struct vdmabuf_consumer_msg msg = { .type = VDMABUF_MSG_POINTER, .id = { 0x1234, key } };

	msg.u.pointer = (struct vdmabuf_msg_pointer){
		.serial = serial, .flags = flags, .hotspot_x = hx, .hotspot_y = hy,
		.constraint = constraint,
	};
	return msg;
}

/*
 * The guest's pointer: the image only with VDMABUF_POINTER_IMAGE, kept in
 * order behind an import's answer, ignored by a listener without pointer.
 */
static void test_pointer(struct vdmabuf_consumer *c, int daemon, struct log *log)
{
	static const struct vdmabuf_consumer_listener no_pointer = { .error = on_error };
	struct vdmabuf_consumer_msg msg;
	struct vdmabuf_id id = { 0x1234, 9 };
	int fd, memfd;

	msg = pointer_msg(9, 3, VDMABUF_POINTER_IMAGE, 4, 5, VDMABUF_CONSTRAINT_NONE);
	daemon_send(daemon, &msg, -1);
	/* Without the flag the id means nothing: no cursor. */
	msg = pointer_msg(9, 4, 0, 0, 0, VDMABUF_CONSTRAINT_LOCKED);
	daemon_send(daemon, &msg, -1);
	log->events[0] = 0;
	CHECK(vdmabuf_consumer_dispatch(c, &listener, log) == 2);
	CHECK(strcmp(log->events, "pointer 9 3 4,5 0;pointer -1 4 0,0 1;") == 0);

	/* One arriving while an import waits comes at the next dispatch. */
	msg = pointer_msg(9, 5, VDMABUF_POINTER_IMAGE, 1, 2, VDMABUF_CONSTRAINT_CONFINED);
	daemon_send(daemon, &msg, -1);
	memfd = memfd_create("cursor", MFD_CLOEXEC);
	CHECK(ftruncate(memfd, 4096) == 0);
	msg = (struct vdmabuf_consumer_msg){ .type = VDMABUF_MSG_IMPORT, .id = id };
	msg.u.buffer.width = 32;
	msg.u.buffer.height = 32;
	msg.u.buffer.size = 4096;
	daemon_send(daemon, &msg, memfd);
	close(memfd);
	fd = vdmabuf_consumer_import(c, &id, NULL, NULL);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	CHECK(daemon_recv(daemon).type == VDMABUF_MSG_IMPORT);
	log->events[0] = 0;
	CHECK(vdmabuf_consumer_dispatch(c, &listener, log) == 1);
	CHECK(strcmp(log->events, "pointer 9 5 1,2 2;") == 0);

	/* The image goes back as a frame: frame = serial. */
	CHECK(vdmabuf_consumer_release(c, &id, 5, 0, 0, VDMABUF_RELEASE_ZERO_COPY) == 0);
	msg = daemon_recv(daemon);
	CHECK(msg.type == VDMABUF_MSG_RELEASE && msg.id.key == 9 && msg.u.release.frame == 5);

	/* A listener without the callback takes the message and moves on. */
	msg = pointer_msg(9, 6, VDMABUF_POINTER_IMAGE, 0, 0, VDMABUF_CONSTRAINT_NONE);
	daemon_send(daemon, &msg, -1);
	log->events[0] = 0;
	CHECK(vdmabuf_consumer_dispatch(c, &no_pointer, log) == 1);
	CHECK(log->events[0] == 0);
}

static void test_clipboard(struct vdmabuf_consumer *c, int daemon, struct log *log)
{
	struct vdmabuf_consumer_msg msg = { .type = VDMABUF_MSG_SELECTION };
	static char big[VDMABUF_MSG_CLIP_CHUNK + 10];
	uint32_t transfer = 0;

	/* Not asked for: the clipboard's messages pass by. */
	msg.u.clip = (struct vdmabuf_msg_clip){ .selection = 1, .serial = 4, .formats = 9 };
	daemon_send(daemon, &msg, -1);
	log->events[0] = 0;
	CHECK(vdmabuf_consumer_dispatch(c, &listener, log) == 1 && !log->events[0]);
	vdmabuf_consumer_listen_clipboard(c);
	daemon_send(daemon, &msg, -1);
	msg = (struct vdmabuf_consumer_msg){ .type = VDMABUF_MSG_CLIP_DATA };
	msg.u.clip = (struct vdmabuf_msg_clip){ .transfer = 3, .len = 2, .data = "hi",
						.flags = VDMABUF_CLIP_END };
	daemon_send(daemon, &msg, -1);
	CHECK(vdmabuf_consumer_dispatch(c, &listener, log) == 2);
	CHECK(strcmp(log->events, "selection 1 4 0x9;data 3 hi 1 0;") == 0);

	/* A paste: its transfer comes in the reply. */
	msg = (struct vdmabuf_consumer_msg){ .type = VDMABUF_MSG_CLIP_OPEN };
	msg.u.clip.transfer = 12;
	daemon_send(daemon, &msg, -1);
	CHECK(vdmabuf_consumer_clip_open(c, 1, 4, VDMABUF_CLIP_PNG, &transfer) == 0 &&
	      transfer == 12);
	msg = daemon_recv(daemon);
	CHECK(msg.type == VDMABUF_MSG_CLIP_OPEN && msg.u.clip.selection == 1 &&
	      msg.u.clip.serial == 4 && msg.u.clip.format == VDMABUF_CLIP_PNG);
	msg = (struct vdmabuf_consumer_msg){ .type = VDMABUF_MSG_REPLY, .status = -ENOENT,
					     .status_of = VDMABUF_MSG_CLIP_OPEN };
	daemon_send(daemon, &msg, -1);
	CHECK(vdmabuf_consumer_clip_open(c, 1, 3, VDMABUF_CLIP_PNG, &transfer) == -ENOENT);
	daemon_recv(daemon);

	/* Sending: whole pieces, END on the last only. */
	memset(big, 'x', sizeof(big));
	CHECK(vdmabuf_consumer_clip_send(c, 5, big, sizeof(big), true, 0) == 0);
	msg = daemon_recv(daemon);
	CHECK(msg.type == VDMABUF_MSG_CLIP_DATA && msg.u.clip.transfer == 5 &&
	      msg.u.clip.len == VDMABUF_MSG_CLIP_CHUNK && !msg.u.clip.flags);
	msg = daemon_recv(daemon);
	CHECK(msg.type == VDMABUF_MSG_CLIP_DATA && msg.u.clip.len == 10 &&
	      msg.u.clip.flags == VDMABUF_CLIP_END && msg.u.clip.status == 0);
	CHECK(vdmabuf_consumer_clip_send(c, 5, "", 0, true, -EIO) == 0);
	msg = daemon_recv(daemon);
	CHECK(msg.type == VDMABUF_MSG_CLIP_DATA && msg.u.clip.len == 0 &&
	      msg.u.clip.flags == VDMABUF_CLIP_END && msg.u.clip.status == -EIO);
	CHECK(vdmabuf_consumer_clip_send(c, 5, big, VDMABUF_CLIP_WINDOW + 1, false, 0) == -EINVAL);
	CHECK(vdmabuf_consumer_clip_ack(c, 5, 100) == 0);
	msg = daemon_recv(daemon);
	CHECK(msg.type == VDMABUF_MSG_CLIP_ACK && msg.u.clip.transfer == 5 && msg.u.clip.len == 100);
	CHECK(vdmabuf_consumer_offer(c, 0, 1) == 0);
	msg = daemon_recv(daemon);
	CHECK(msg.type == VDMABUF_MSG_SELECTION && msg.u.clip.selection == 0 &&
	      msg.u.clip.formats == 1);
}

/* The bytes of the transfer's DATA messages waiting; *end: one had END. */
static size_t daemon_drain_data(int fd, uint32_t transfer, uint8_t *out, bool *end)
{
	struct vdmabuf_consumer_msg msg;
	size_t n = 0;

	while ((msg = daemon_recv(fd)).type) {
		CHECK(msg.type == VDMABUF_MSG_CLIP_DATA && msg.u.clip.transfer == transfer &&
		      msg.u.clip.len <= VDMABUF_MSG_CLIP_CHUNK && !*end);
		memcpy(out + n, msg.u.clip.data, msg.u.clip.len);
		n += msg.u.clip.len;
		*end = msg.u.clip.flags & VDMABUF_CLIP_END;
	}
	return n;
}

static void on_output(void *data, uint32_t output, uint32_t flags, uint32_t width,
		      uint32_t height, uint32_t refresh_mhz, uint32_t scale_120)
{
	struct log *log = data;

	snprintf(log->events + strlen(log->events), sizeof(log->events) - strlen(log->events),
		 "output %u %#x %ux%u %u %u;", output, flags, width, height, refresh_mhz,
		 scale_120);
}

static void on_output_frame(void *data, uint32_t output, const struct vdmabuf_id *id,
			    uint64_t frame, const struct vdmabuf_rect *damage, unsigned int n)
{
	struct log *log = data;

	snprintf(log->events + strlen(log->events), sizeof(log->events) - strlen(log->events),
		 "frame on %u %llu %llu %u;", output, (unsigned long long)id->key,
		 (unsigned long long)frame, n);
}

/* Several outputs (spec §20): callbacks only once asked for; hints name theirs. */
static void test_outputs(struct vdmabuf_consumer *c, int daemon, struct log *log)
{
	static const struct vdmabuf_output_listener outputs = {
		.output = on_output, .frame = on_output_frame,
	};
	struct vdmabuf_consumer_listener l = listener;
	struct vdmabuf_consumer_msg msg;

	l.outputs = &outputs;
	msg = (struct vdmabuf_consumer_msg){ .type = VDMABUF_MSG_OUTPUT };
	msg.u.output = (struct vdmabuf_msg_output){ 2, 0, 800, 600, 60000, 180 };
	daemon_send(daemon, &msg, -1);
	msg = (struct vdmabuf_consumer_msg){ .type = VDMABUF_MSG_FRAME, .id = { 0x1234, 7 } };
	msg.u.frame.frame = 9;
	msg.u.frame.output = 2;
	daemon_send(daemon, &msg, -1);
	/* Before listen_outputs: no output, the frame as before. */
	log->events[0] = 0;
	CHECK(vdmabuf_consumer_dispatch(c, &l, log) == 2);
	CHECK(strcmp(log->events, "frame 7 9 0;") == 0);

	vdmabuf_consumer_listen_outputs(c);
	msg = (struct vdmabuf_consumer_msg){ .type = VDMABUF_MSG_OUTPUT };
	msg.u.output = (struct vdmabuf_msg_output){ 2, 0, 800, 600, 60000, 180 };
	daemon_send(daemon, &msg, -1);
	msg.u.output = (struct vdmabuf_msg_output){ 3, VDMABUF_OUTPUT_GONE, 0, 0, 0, 0 };
	daemon_send(daemon, &msg, -1);
	msg = (struct vdmabuf_consumer_msg){ .type = VDMABUF_MSG_FRAME, .id = { 0x1234, 7 } };
	msg.u.frame.frame = 10;
	msg.u.frame.output = 2;
	msg.u.frame.num_damage = 1;
	daemon_send(daemon, &msg, -1);
	log->events[0] = 0;
	CHECK(vdmabuf_consumer_dispatch(c, &l, log) == 3);
	CHECK(strcmp(log->events, "output 2 0 800x600 60000 180;output 3 0x1 0x0 0 0;"
		      "frame on 2 7 10 1;") == 0);

	/* Hints name their output; output 0 is mode_hint's; close is GONE alone. */
	CHECK(vdmabuf_consumer_output_hint(c, 4, 1024, 768, 0, 240) == 0);
	msg = daemon_recv(daemon);
	CHECK(msg.type == VDMABUF_MSG_MODE_HINT && msg.u.mode.output == 4 &&
	      msg.u.mode.width == 1024 && msg.u.mode.scale_120 == 240 && !msg.u.mode.flags);
	CHECK(vdmabuf_consumer_mode_hint(c, 640, 480, 0, 120) == 0);
	msg = daemon_recv(daemon);
	CHECK(msg.type == VDMABUF_MSG_MODE_HINT && msg.u.mode.output == 0 &&
	      msg.u.mode.width == 640);
	CHECK(vdmabuf_consumer_output_close(c, 4) == 0);
	msg = daemon_recv(daemon);
	CHECK(msg.type == VDMABUF_MSG_MODE_HINT && msg.u.mode.output == 4 &&
	      msg.u.mode.flags == VDMABUF_OUTPUT_GONE && !msg.u.mode.width);
}

static void test_clip_stream(struct vdmabuf_consumer *c, int daemon)
{
	static uint8_t in[40000], out[sizeof(in)];
	struct vdmabuf_clip_stream *s;
	struct vdmabuf_consumer_msg msg;
	size_t got = 0, acked, n;
	bool end = false;
	int p[2], ret;

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + i / 251);

	/* A source: never more than the window unacknowledged. */
	CHECK(pipe(p) == 0 && write(p[1], in, sizeof(in)) == sizeof(in));
	close(p[1]);
	s = vdmabuf_clip_stream_consumer(c, 7, p[0], true);
	CHECK(s && vdmabuf_clip_stream_events(s) == POLLIN);
	CHECK(vdmabuf_clip_stream_dispatch(s) == 0);
	got = daemon_drain_data(daemon, 7, out, &end);
	CHECK(got == VDMABUF_CLIP_WINDOW && !end && vdmabuf_clip_stream_events(s) == 0);
	CHECK(vdmabuf_clip_stream_ack(s, VDMABUF_CLIP_WINDOW + 1) == -EINVAL);
	CHECK(vdmabuf_clip_stream_ack(s, 10000) == 0 && vdmabuf_clip_stream_dispatch(s) == 0);
	n = daemon_drain_data(daemon, 7, out + got, &end);
	CHECK(n == 10000 && !end);
	got += n;
	acked = 10000;
	ret = 0;
	for (int i = 0; i < 8 && ret == 0; i++) {
		CHECK(vdmabuf_clip_stream_ack(s, (uint32_t)(got - acked)) == 0);
		acked = got;
		ret = vdmabuf_clip_stream_dispatch(s);
		got += daemon_drain_data(daemon, 7, out + got, &end);
	}
	CHECK(ret == 1 && end && got == sizeof(in) && memcmp(in, out, sizeof(in)) == 0);
	CHECK(vdmabuf_clip_stream_bytes(s) == sizeof(in) && vdmabuf_clip_stream_events(s) == 0);
	vdmabuf_clip_stream_destroy(s);
	CHECK(daemon_recv(daemon).type == 0);	/* over: destroy sends nothing */

	/* A sink: acknowledges what the pipe took, completes at END. */
	CHECK(pipe(p) == 0);
	s = vdmabuf_clip_stream_consumer(c, 9, p[1], false);
	CHECK(s && vdmabuf_clip_stream_events(s) == 0);
	CHECK(vdmabuf_clip_stream_data(s, in, 1000, false, 0) == 0);
	msg = daemon_recv(daemon);
	CHECK(msg.type == VDMABUF_MSG_CLIP_ACK && msg.u.clip.transfer == 9 &&
	      msg.u.clip.len == 1000);
	CHECK(vdmabuf_clip_stream_data(s, in + 1000, 24, true, 0) == 1);
	CHECK(daemon_recv(daemon).type == 0);	/* no ACK across the END */
	CHECK(read(p[0], out, sizeof(out)) == 1024 && memcmp(in, out, 1024) == 0);
	vdmabuf_clip_stream_destroy(s);
	CHECK(read(p[0], out, 1) == 0);		/* the reader sees the end */
	close(p[0]);

	/* A sink whose reader went: EPIPE (no SIGPIPE), the paste closed. */
	CHECK(pipe(p) == 0);
	close(p[0]);
	s = vdmabuf_clip_stream_consumer(c, 11, p[1], false);
	CHECK(s && vdmabuf_clip_stream_data(s, in, 10, false, 0) == -EPIPE);
	msg = daemon_recv(daemon);
	CHECK(msg.type == VDMABUF_MSG_CLIP_CLOSE && msg.u.clip.transfer == 11);
	vdmabuf_clip_stream_destroy(s);

	/* A source's END with a status the sink reports; over the window: EPROTO. */
	CHECK(pipe(p) == 0);
	s = vdmabuf_clip_stream_consumer(c, 13, p[1], false);
	CHECK(s && vdmabuf_clip_stream_data(s, in, 5, true, -EFBIG) == -EFBIG);
	vdmabuf_clip_stream_destroy(s);
	close(p[0]);
	CHECK(pipe(p) == 0);
	CHECK(fcntl(p[1], F_SETPIPE_SZ, 4096) >= 0);
	s = vdmabuf_clip_stream_consumer(c, 15, p[1], false);
	CHECK(s && vdmabuf_clip_stream_data(s, in, VDMABUF_CLIP_WINDOW, false, 0) == 0);
	msg = daemon_recv(daemon);
	CHECK(msg.type == VDMABUF_MSG_CLIP_ACK && msg.u.clip.len == 4096);
	CHECK(vdmabuf_clip_stream_events(s) == POLLOUT);
	CHECK(vdmabuf_clip_stream_data(s, in, 4097, false, 0) == -EPROTO);
	msg = daemon_recv(daemon);
	CHECK(msg.type == VDMABUF_MSG_CLIP_CLOSE && msg.u.clip.transfer == 15);
	vdmabuf_clip_stream_destroy(s);
	close(p[0]);
	/* Not made (fd is no fd): the transfer ends all the same. */
	CHECK(!vdmabuf_clip_stream_consumer(c, 19, -1, true));
	msg = daemon_recv(daemon);
	CHECK(msg.type == VDMABUF_MSG_CLIP_DATA && msg.u.clip.transfer == 19 &&
	      msg.u.clip.flags == VDMABUF_CLIP_END && msg.u.clip.status == -EIO);
	/* Destroyed before it was over: the transfer ends. */
	CHECK(pipe(p) == 0);
	s = vdmabuf_clip_stream_consumer(c, 17, p[0], true);
	vdmabuf_clip_stream_destroy(s);
	close(p[1]);
	msg = daemon_recv(daemon);
	CHECK(msg.type == VDMABUF_MSG_CLIP_DATA && msg.u.clip.transfer == 17 &&
	      msg.u.clip.flags == VDMABUF_CLIP_END && msg.u.clip.status == -EIO);
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
	msg.u.hello.guest_connected = 1;
	msg.u.hello.guest_features = VDMABUF_GUEST_INPUT | 1;
	daemon_send(sv[1], &msg, -1);
	c = vdmabuf_consumer_create_from_fd(sv[0], &err);
	CHECK(c != NULL);
	if (!c)
		return 1;
	CHECK(vdmabuf_consumer_guest_features(c) == (VDMABUF_GUEST_INPUT | 1));

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
	msg.u.stats.input_events = 11;
	msg.u.stats.input_dropped = 2;
	daemon_send(sv[1], &msg, -1);
	CHECK(vdmabuf_consumer_stats(c, &stats) == 0 && stats.buffers == 3 &&
	      stats.input_events == 11 && stats.input_dropped == 2);
	recv(sv[1], &msg, sizeof(msg), 0);

	/* The seat: claimed, refused later through the listener. */
	test_seat(c, sv[1], &log);

	/* The guest's pointer: cursor image and constraint. */
	test_pointer(c, sv[1], &log);

	/* The clipboard. */
	test_clipboard(c, sv[1], &log);
	test_clip_stream(c, sv[1]);
	test_outputs(c, sv[1], &log);

	/* A greeting again (the guest's driver left): no features. */
	msg = (struct vdmabuf_consumer_msg){ .type = VDMABUF_MSG_HELLO };
	msg.u.hello.version = VDMABUF_CONSUMER_VERSION;
	msg.u.hello.guest_features = VDMABUF_GUEST_INPUT;
	daemon_send(sv[1], &msg, -1);
	CHECK(vdmabuf_consumer_dispatch(c, &listener, &log) == 1);
	CHECK(vdmabuf_consumer_guest_features(c) == 0);

	/* A short message is a protocol error; then the daemon goes away. */
	CHECK(send(sv[1], "x", 1, 0) == 1);
	CHECK(vdmabuf_consumer_dispatch(c, &listener, &log) == -EPROTO);
	close(sv[1]);
	CHECK(vdmabuf_consumer_dispatch(c, &listener, &log) == -EPIPE);
	CHECK(vdmabuf_consumer_import(c, &id, NULL, NULL) == -EPIPE);
	vdmabuf_consumer_destroy(c);
	return failures != 0;
}
