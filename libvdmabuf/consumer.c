// SPDX-License-Identifier: MIT
/* The host half of libvdmabuf: vdmabuf-backend's consumer socket. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vdmabuf.h"
#include "vdmabuf_consumer.h"

/* The listener's error passes the request's message type on. */
_Static_assert((int)VDMABUF_REQUEST_IMPORT == (int)VDMABUF_MSG_IMPORT &&
	       (int)VDMABUF_REQUEST_RELEASE == (int)VDMABUF_MSG_RELEASE &&
	       (int)VDMABUF_REQUEST_DROP == (int)VDMABUF_MSG_DROP &&
	       (int)VDMABUF_REQUEST_MODE_HINT == (int)VDMABUF_MSG_MODE_HINT &&
	       (int)VDMABUF_REQUEST_STATS == (int)VDMABUF_MSG_STATS &&
	       (int)VDMABUF_REQUEST_SEAT == (int)VDMABUF_MSG_SEAT &&
	       (int)VDMABUF_REQUEST_INPUT == (int)VDMABUF_MSG_INPUT &&
	       (int)VDMABUF_REQUEST_KEYMAP == (int)VDMABUF_MSG_KEYMAP &&
	       (int)VDMABUF_REQUEST_FORMATS == (int)VDMABUF_MSG_FORMATS,
	       "enum vdmabuf_consumer_request differs from the consumer protocol");

#define DEFAULT_SOCKET "/run/vdmabuf/consumer.sock"
#define SYNC_TIMEOUT_MS 5000

/*
 * Messages that arrived while import or stats waited for their answer;
 * dispatch delivers them first, in order.
 */
struct pending {
	struct vdmabuf_consumer_msg *msgs;
	size_t head, len, cap;
};

struct vdmabuf_consumer {
	int fd;
	struct pending pending;
	uint32_t guest_features;	/* from the latest HELLO */
	bool clipboard;			/* the listener has the clipboard's callbacks */
	bool outputs;			/* ...and the outputs' */
};

static int pending_push(struct pending *p, const struct vdmabuf_consumer_msg *msg)
{
	if (p->head + p->len == p->cap) {
		if (p->head) {
			memmove(p->msgs, p->msgs + p->head, p->len * sizeof(*msg));
			p->head = 0;
		} else {
			size_t cap = p->cap ? 2 * p->cap : 16;
			struct vdmabuf_consumer_msg *msgs = realloc(p->msgs, cap * sizeof(*msg));

			if (!msgs)
				return -ENOMEM;
			p->msgs = msgs;
			p->cap = cap;
		}
	}
	p->msgs[p->head + p->len++] = *msg;
	return 0;
}

static bool pending_pop(struct pending *p, struct vdmabuf_consumer_msg *msg)
{
	if (!p->len)
		return false;
	*msg = p->msgs[p->head++];
	if (--p->len == 0)
		p->head = 0;
	return true;
}

/*
 * Receives one message: 1, 0 when none waits (non-blocking), or -errno
 * (-EPIPE when the daemon hung up). *fd gets an attached fd, else -1.
 */
static int receive(struct vdmabuf_consumer *c, struct vdmabuf_consumer_msg *msg, int *fd)
{
	char control[CMSG_SPACE(4 * sizeof(int))];
	struct iovec iov = { msg, sizeof(*msg) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *cmsg;
	ssize_t n;

	*fd = -1;
	do
		n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	for (cmsg = CMSG_FIRSTHDR(&mh); cmsg; cmsg = CMSG_NXTHDR(&mh, cmsg)) {
		int *fds = (int *)CMSG_DATA(cmsg);
		size_t nfds;

		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfds; i++) {
			if (*fd < 0)
				*fd = fds[i];
			else
				close(fds[i]);
		}
	}
	if (n == 0)
		return -EPIPE;
	if (n != sizeof(*msg) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -EPROTO;
	}
	return 1;
}

static int send_msg(struct vdmabuf_consumer *c, const struct vdmabuf_consumer_msg *msg)
{
	ssize_t n;

	do
		n = send(c->fd, msg, sizeof(*msg), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == ECONNRESET ? -EPIPE : -errno;
	return n == sizeof(*msg) ? 0 : -EPROTO;
}

static int wait_readable(struct vdmabuf_consumer *c, struct timespec *deadline)
{
	struct timespec now;
	struct pollfd pfd = { c->fd, POLLIN, 0 };
	int ms, ret;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
	if (ms <= 0)
		return -ETIMEDOUT;
	ret = poll(&pfd, 1, ms);
	if (ret < 0)
		return errno == EINTR ? 0 : -errno;
	return ret == 0 ? -ETIMEDOUT : 0;
}

/*
 * Waits for the answer to a request: a message of type @type (with the
 * id, if @id) or a REPLY about @request. Everything else is kept for the
 * next dispatch. Returns 0 with *answer filled, or -errno.
 */
static int wait_answer(struct vdmabuf_consumer *c, uint32_t type, uint32_t request,
		       const struct vdmabuf_id *id, struct vdmabuf_consumer_msg *answer, int *fd)
{
	struct timespec deadline;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += SYNC_TIMEOUT_MS / 1000;
	for (;;) {
		int ret = receive(c, answer, fd);

		if (ret < 0)
			return ret;
		if (ret == 0) {
			ret = wait_readable(c, &deadline);
			if (ret < 0)
				return ret;
			continue;
		}
		if ((answer->type == type ||
		     (answer->type == VDMABUF_MSG_REPLY && answer->status_of == request)) &&
		    (!id || (answer->id.device == id->device && answer->id.key == id->key)))
			return 0;
		if (*fd >= 0)
			close(*fd);
		ret = pending_push(&c->pending, answer);
		if (ret < 0)
			return ret;
	}
}

struct vdmabuf_consumer *vdmabuf_consumer_create_from_fd(int fd, int *err)
{
	struct vdmabuf_consumer *c = calloc(1, sizeof(*c));
	struct vdmabuf_consumer_msg hello;
	int ret, extra_fd;

	if (!c) {
		close(fd);
		*err = -ENOMEM;
		return NULL;
	}
	c->fd = fd;
	ret = wait_answer(c, VDMABUF_MSG_HELLO, 0, NULL, &hello, &extra_fd);
	/* A daemon that will not serve us says why (EACCES, EUSERS, EBUSY). */
	if (ret == 0 && hello.type == VDMABUF_MSG_REPLY && hello.status < 0)
		ret = hello.status;
	if (ret == 0 && hello.type != VDMABUF_MSG_HELLO)
		ret = -EPROTO;
	if (ret == 0 && hello.u.hello.version != VDMABUF_CONSUMER_VERSION)
		ret = -EPROTONOSUPPORT;
	if (ret < 0) {
		*err = ret;
		vdmabuf_consumer_destroy(c);
		return NULL;
	}
	c->guest_features = hello.u.hello.guest_connected ? hello.u.hello.guest_features : 0;
	return c;
}

struct vdmabuf_consumer *vdmabuf_consumer_connect(const char *path, int *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (!path)
		path = getenv("VDMABUF_CONSUMER_SOCKET");
	if (!path)
		path = DEFAULT_SOCKET;
	if (strlen(path) >= sizeof(addr.sun_path)) {
		*err = -ENAMETOOLONG;
		return NULL;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		*err = -errno;
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	return vdmabuf_consumer_create_from_fd(fd, err);
}

void vdmabuf_consumer_destroy(struct vdmabuf_consumer *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c->pending.msgs);
	free(c);
}

int vdmabuf_consumer_get_fd(struct vdmabuf_consumer *c)
{
	return c->fd;
}

static void deliver_clip(const struct vdmabuf_consumer_msg *msg,
			 const struct vdmabuf_clip_listener *l, void *data)
{
	const struct vdmabuf_msg_clip *clip = &msg->u.clip;

	switch (msg->type) {
	case VDMABUF_MSG_SELECTION:
		if (l->selection)
			l->selection(data, clip->selection, clip->serial, clip->formats);
		break;
	case VDMABUF_MSG_CLIP_SEND:
		if (l->send)
			l->send(data, clip->transfer, clip->selection, clip->format);
		break;
	case VDMABUF_MSG_CLIP_DATA:
		if (l->data)
			l->data(data, clip->transfer, clip->data,
				clip->len < sizeof(clip->data) ? clip->len : sizeof(clip->data),
				clip->flags & VDMABUF_CLIP_END, clip->status);
		break;
	case VDMABUF_MSG_CLIP_ACK:
		if (l->ack)
			l->ack(data, clip->transfer, clip->len);
		break;
	case VDMABUF_MSG_CLIP_CANCEL:
		if (l->cancel)
			l->cancel(data, clip->transfer, clip->status);
		break;
	}
}

static void deliver(struct vdmabuf_consumer *c, const struct vdmabuf_consumer_msg *msg,
		    const struct vdmabuf_consumer_listener *l, void *data)
{
	struct vdmabuf_id id = msg->id;

	switch (msg->type) {
	case VDMABUF_MSG_HELLO:
		c->guest_features = msg->u.hello.guest_connected ? msg->u.hello.guest_features : 0;
		break;
	case VDMABUF_MSG_BUFFER:
		if (l->buffer) {
			const struct vdmabuf_msg_buffer *b = &msg->u.buffer;
			struct vdmabuf_buffer_desc desc = {
				.width = b->width, .height = b->height, .fourcc = b->fourcc,
				.num_planes = b->num_planes, .modifier = b->modifier,
			};

			for (unsigned int i = 0; i < 4; i++)
				desc.planes[i] = (struct vdmabuf_plane){
					b->planes[i].offset, b->planes[i].stride };
			l->buffer(data, &id, &desc, b->size);
		}
		break;
	case VDMABUF_MSG_FRAME:
		if (l->frame || (c->outputs && l->outputs && l->outputs->frame)) {
			const struct vdmabuf_msg_frame *f = &msg->u.frame;
			struct vdmabuf_rect damage[VDMABUF_MAX_DAMAGE_RECTS];
			unsigned int n = f->num_damage < VDMABUF_MAX_DAMAGE_RECTS ?
				f->num_damage : VDMABUF_MAX_DAMAGE_RECTS;

			for (unsigned int i = 0; i < n; i++)
				damage[i] = (struct vdmabuf_rect){
					(int32_t)f->damage[i].x, (int32_t)f->damage[i].y,
					(int32_t)f->damage[i].width, (int32_t)f->damage[i].height };
			if (c->outputs && l->outputs && l->outputs->frame)
				l->outputs->frame(data, f->output, &id, f->frame, damage, n);
			else
				l->frame(data, &id, f->frame, damage, n);
		}
		break;
	case VDMABUF_MSG_OUTPUT:
		if (c->outputs && l->outputs && l->outputs->output) {
			const struct vdmabuf_msg_output *o = &msg->u.output;

			l->outputs->output(data, o->output, o->flags, o->width, o->height,
					   o->refresh_mhz, o->scale_120);
		}
		break;
	case VDMABUF_MSG_GONE:
		if (l->gone)
			l->gone(data, &id);
		break;
	case VDMABUF_MSG_RESET:
		if (l->reset)
			l->reset(data);
		break;
	case VDMABUF_MSG_REPLY:
		if (l->error && msg->status)
			l->error(data, msg->status_of, &id, msg->status);
		break;
	case VDMABUF_MSG_POINTER:
		if (l->pointer) {
			const struct vdmabuf_msg_pointer *p = &msg->u.pointer;

			l->pointer(data, p->flags & VDMABUF_POINTER_IMAGE ? &id : NULL,
				   p->serial, p->hotspot_x, p->hotspot_y, p->constraint);
		}
		break;
	case VDMABUF_MSG_SELECTION:
	case VDMABUF_MSG_CLIP_SEND:
	case VDMABUF_MSG_CLIP_DATA:
	case VDMABUF_MSG_CLIP_ACK:
	case VDMABUF_MSG_CLIP_CANCEL:
		if (c->clipboard && l->clip)
			deliver_clip(msg, l->clip, data);
		break;
	default:
		/* Answers nobody waits for, newer messages. */
		break;
	}
}

int vdmabuf_consumer_dispatch(struct vdmabuf_consumer *c,
			      const struct vdmabuf_consumer_listener *listener, void *data)
{
	struct vdmabuf_consumer_msg msg;
	int handled = 0;

	/* A callback may import, which may queue more: pop one at a time. */
	while (pending_pop(&c->pending, &msg)) {
		deliver(c, &msg, listener, data);
		handled++;
	}
	for (;;) {
		int fd, ret = receive(c, &msg, &fd);

		if (fd >= 0)
			close(fd);
		if (ret < 0)
			return ret;
		if (ret == 0)
			return handled;
		deliver(c, &msg, listener, data);
		handled++;
		while (pending_pop(&c->pending, &msg)) {
			deliver(c, &msg, listener, data);
			handled++;
		}
	}
}

int vdmabuf_consumer_import(struct vdmabuf_consumer *c, const struct vdmabuf_id *id,
			    struct vdmabuf_buffer_desc *desc, uint64_t *size)
{
	struct vdmabuf_consumer_msg msg = { .type = VDMABUF_MSG_IMPORT, .id = *id };
	int ret, fd;

	ret = send_msg(c, &msg);
	if (ret < 0)
		return ret;
	ret = wait_answer(c, VDMABUF_MSG_IMPORT, VDMABUF_MSG_IMPORT, &msg.id, &msg, &fd);
	if (ret < 0)
		return ret;
	if (msg.type == VDMABUF_MSG_REPLY || msg.status) {
		if (fd >= 0)
			close(fd);
		return msg.status ? msg.status : -EPROTO;
	}
	if (fd < 0)
		return -EPROTO;
	if (desc) {
		const struct vdmabuf_msg_buffer *b = &msg.u.buffer;

		*desc = (struct vdmabuf_buffer_desc){
			.width = b->width, .height = b->height, .fourcc = b->fourcc,
			.num_planes = b->num_planes, .modifier = b->modifier,
		};
		for (unsigned int i = 0; i < 4; i++)
			desc->planes[i] = (struct vdmabuf_plane){
				b->planes[i].offset, b->planes[i].stride };
	}
	if (size)
		*size = msg.u.buffer.size;
	return fd;
}

int vdmabuf_consumer_release(struct vdmabuf_consumer *c, const struct vdmabuf_id *id,
			     uint64_t frame, uint64_t present_ns, uint32_t refresh_ns,
			     uint32_t flags)
{
	struct vdmabuf_consumer_msg msg = {
		.type = VDMABUF_MSG_RELEASE,
		.id = *id,
		.u.release = { frame, present_ns, refresh_ns, flags },
	};

	return send_msg(c, &msg);
}

int vdmabuf_consumer_drop(struct vdmabuf_consumer *c, const struct vdmabuf_id *id)
{
	struct vdmabuf_consumer_msg msg = { .type = VDMABUF_MSG_DROP, .id = *id };

	return send_msg(c, &msg);
}

int vdmabuf_consumer_output_hint(struct vdmabuf_consumer *c, uint32_t output,
				 uint32_t width, uint32_t height, uint32_t refresh_mhz,
				 uint32_t scale_120)
{
	struct vdmabuf_consumer_msg msg = {
		.type = VDMABUF_MSG_MODE_HINT,
		.u.mode = { .width = width, .height = height, .refresh_mhz = refresh_mhz,
			    .scale_120 = scale_120, .output = output },
	};

	return send_msg(c, &msg);
}

int vdmabuf_consumer_mode_hint(struct vdmabuf_consumer *c, uint32_t width,
			       uint32_t height, uint32_t refresh_mhz, uint32_t scale_120)
{
	return vdmabuf_consumer_output_hint(c, 0, width, height, refresh_mhz, scale_120);
}

int vdmabuf_consumer_output_close(struct vdmabuf_consumer *c, uint32_t output)
{
	struct vdmabuf_consumer_msg msg = {
		.type = VDMABUF_MSG_MODE_HINT,
		.u.mode = { .output = output, .flags = VDMABUF_OUTPUT_GONE },
	};

	return send_msg(c, &msg);
}

void vdmabuf_consumer_listen_outputs(struct vdmabuf_consumer *c)
{
	c->outputs = true;
}

int vdmabuf_consumer_formats(struct vdmabuf_consumer *c, const struct vdmabuf_format *formats,
			     uint32_t count)
{
	struct vdmabuf_consumer_msg msg = { .type = VDMABUF_MSG_FORMATS };
	uint32_t index = 0;
	int err;

	if (count > VDMABUF_MAX_FORMATS)
		return -E2BIG;
	msg.u.formats.total = count;
	do {
		uint32_t n = count - index;

		if (n > VDMABUF_MSG_FORMATS_CHUNK)
			n = VDMABUF_MSG_FORMATS_CHUNK;
		msg.u.formats.index = index;
		msg.u.formats.count = n;
		memset(msg.u.formats.formats, 0, sizeof(msg.u.formats.formats));
		memcpy(msg.u.formats.formats, formats + index, n * sizeof(*formats));
		err = send_msg(c, &msg);
		index += n;
	} while (!err && index < count);
	return err;
}

int vdmabuf_consumer_stats(struct vdmabuf_consumer *c, struct vdmabuf_stats *stats)
{
	struct vdmabuf_consumer_msg msg = { .type = VDMABUF_MSG_STATS };
	int ret, fd;

	ret = send_msg(c, &msg);
	if (ret < 0)
		return ret;
	ret = wait_answer(c, VDMABUF_MSG_STATS, VDMABUF_MSG_STATS, NULL, &msg, &fd);
	if (fd >= 0)
		close(fd);
	if (ret < 0)
		return ret;
	if (msg.type != VDMABUF_MSG_STATS)
		return msg.status ? msg.status : -EPROTO;
	*stats = (struct vdmabuf_stats){
		.buffers = msg.u.stats.buffers,
		.imports = msg.u.stats.imports,
		.exports_total = msg.u.stats.exports_total,
		.frames_total = msg.u.stats.frames_total,
		.releases_total = msg.u.stats.releases_total,
		.bad_requests = msg.u.stats.bad_requests,
		.consumers = msg.u.stats.consumers,
		.guest_bytes = msg.u.stats.guest_bytes,
		.input_events = msg.u.stats.input_events,
		.input_dropped = msg.u.stats.input_dropped,
		.cursors_total = msg.u.stats.cursors_total,
		.logs_suppressed = msg.u.stats.logs_suppressed,
		.consumers_late = msg.u.stats.consumers_late,
		.pinned_bytes = msg.u.stats.pinned_bytes,
		.pinned_limit = msg.u.stats.pinned_limit,
		.notifications = msg.u.stats.notifications,
		.interrupts = msg.u.stats.interrupts,
	};
	return 0;
}

uint32_t vdmabuf_consumer_guest_features(struct vdmabuf_consumer *c)
{
	return c->guest_features;
}

int vdmabuf_consumer_claim_seat(struct vdmabuf_consumer *c, bool claim)
{
	struct vdmabuf_consumer_msg msg = {
		.type = VDMABUF_MSG_SEAT,
		.u.seat = { .claim = claim },
	};

	return send_msg(c, &msg);
}

int vdmabuf_consumer_output_input(struct vdmabuf_consumer *c, uint32_t output,
				  const struct vdmabuf_input_event *ev)
{
	struct vdmabuf_consumer_msg msg = {
		.type = VDMABUF_MSG_INPUT,
		.u.input = { .kind = ev->kind, .output = output, .time_usec = ev->time_usec },
	};

	if (!vdmabuf_input_valid(ev->kind, ev->args))
		return -EINVAL;
	memcpy(msg.u.input.args, ev->args, sizeof(msg.u.input.args));
	return send_msg(c, &msg);
}

int vdmabuf_consumer_input(struct vdmabuf_consumer *c, const struct vdmabuf_input_event *ev)
{
	return vdmabuf_consumer_output_input(c, 0, ev);
}

int vdmabuf_consumer_keymap(struct vdmabuf_consumer *c, uint32_t format, const void *text,
			    size_t size)
{
	struct vdmabuf_consumer_msg msg = { .type = VDMABUF_MSG_KEYMAP };
	size_t offset;

	if (format != VDMABUF_KEYMAP_XKB_V1 || !text || !size)
		return -EINVAL;
	if (size > VDMABUF_MAX_KEYMAP)
		return -E2BIG;
	for (offset = 0; offset < size; offset += msg.u.keymap.len) {
		size_t len = size - offset;
		int ret;

		if (len > VDMABUF_MSG_KEYMAP_CHUNK)
			len = VDMABUF_MSG_KEYMAP_CHUNK;
		msg.u.keymap = (struct vdmabuf_msg_keymap){
			.format = format, .size = size, .offset = offset, .len = len,
		};
		memcpy(msg.u.keymap.data, (const uint8_t *)text + offset, len);
		ret = send_msg(c, &msg);
		if (ret < 0)
			return ret;
	}
	return 0;
}

void vdmabuf_consumer_listen_clipboard(struct vdmabuf_consumer *c)
{
	c->clipboard = true;
}

int vdmabuf_consumer_offer(struct vdmabuf_consumer *c, uint32_t selection, uint32_t formats)
{
	struct vdmabuf_consumer_msg msg = {
		.type = VDMABUF_MSG_SELECTION,
		.u.clip = { .selection = selection, .formats = formats },
	};

	return send_msg(c, &msg);
}

int vdmabuf_consumer_clip_open(struct vdmabuf_consumer *c, uint32_t selection, uint32_t serial,
			       uint32_t format, uint32_t *transfer)
{
	struct vdmabuf_consumer_msg msg = {
		.type = VDMABUF_MSG_CLIP_OPEN,
		.u.clip = { .selection = selection, .serial = serial, .format = format },
	};
	int ret, fd;

	ret = send_msg(c, &msg);
	if (ret < 0)
		return ret;
	ret = wait_answer(c, VDMABUF_MSG_CLIP_OPEN, VDMABUF_MSG_CLIP_OPEN, NULL, &msg, &fd);
	if (fd >= 0)
		close(fd);
	if (ret < 0)
		return ret;
	if (msg.type != VDMABUF_MSG_CLIP_OPEN)
		return msg.status ? msg.status : -EPROTO;
	*transfer = msg.u.clip.transfer;
	return 0;
}

int vdmabuf_consumer_clip_send(struct vdmabuf_consumer *c, uint32_t transfer, const void *bytes,
			       size_t len, bool end, int status)
{
	struct vdmabuf_consumer_msg msg = { .type = VDMABUF_MSG_CLIP_DATA };
	size_t offset = 0;
	int ret;

	if (len > VDMABUF_CLIP_WINDOW || status > 0)
		return -EINVAL;
	do {
		size_t n = len - offset < VDMABUF_MSG_CLIP_CHUNK ? len - offset :
								   VDMABUF_MSG_CLIP_CHUNK;
		bool last = offset + n == len;

		msg.u.clip = (struct vdmabuf_msg_clip){
			.transfer = transfer, .len = (uint32_t)n,
			.flags = end && last ? VDMABUF_CLIP_END : 0,
			.status = end && last ? status : 0,
		};
		memcpy(msg.u.clip.data, (const uint8_t *)bytes + offset, n);
		ret = send_msg(c, &msg);
		if (ret < 0)
			return ret;
		offset += n;
	} while (offset < len);
	return 0;
}

int vdmabuf_consumer_clip_ack(struct vdmabuf_consumer *c, uint32_t transfer, uint32_t bytes)
{
	struct vdmabuf_consumer_msg msg = {
		.type = VDMABUF_MSG_CLIP_ACK,
		.u.clip = { .transfer = transfer, .len = bytes },
	};

	return send_msg(c, &msg);
}

int vdmabuf_consumer_clip_close(struct vdmabuf_consumer *c, uint32_t transfer)
{
	struct vdmabuf_consumer_msg msg = {
		.type = VDMABUF_MSG_CLIP_CLOSE,
		.u.clip = { .transfer = transfer },
	};

	return send_msg(c, &msg);
}
