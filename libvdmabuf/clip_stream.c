// SPDX-License-Identifier: MIT
/*
 * A paste between a clipboard transfer and a pipe: the one place where
 * either side's bridge to a Wayland seat (the guest compositor's, the
 * host viewer's) keeps the transfer's window (spec §17).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <poll.h>
#include <unistd.h>

#include "vdmabuf.h"

struct vdmabuf_clip_stream {
	struct vdmabuf_producer *producer;	/* one of these two */
	struct vdmabuf_consumer *consumer;
	uint32_t transfer;
	int fd;
	bool source;			/* reads fd; else writes it */
	bool over;			/* the transfer ended: nothing more to send */
	bool end_received;		/* sink: the source's last piece came */
	uint64_t sent, acked;		/* source */
	uint64_t written;		/* sink: bytes the fd took */
	size_t pend_len;		/* sink: received, not yet written */
	uint8_t buf[VDMABUF_CLIP_WINDOW];
};

static int stream_send(struct vdmabuf_clip_stream *s, const void *bytes, size_t len, bool end,
		       int status)
{
	return s->producer ? vdmabuf_producer_clip_send(s->producer, s->transfer, bytes, len, end,
							status) :
			     vdmabuf_consumer_clip_send(s->consumer, s->transfer, bytes, len, end,
							status);
}

static int stream_ack(struct vdmabuf_clip_stream *s, uint32_t bytes)
{
	return s->producer ? vdmabuf_producer_clip_ack(s->producer, s->transfer, bytes) :
			     vdmabuf_consumer_clip_ack(s->consumer, s->transfer, bytes);
}

/* Ends a transfer its side cannot carry on: a source's with END and EIO. */
static void end_transfer(struct vdmabuf_producer *producer, struct vdmabuf_consumer *consumer,
			 uint32_t transfer, bool source)
{
	if (source && producer)
		vdmabuf_producer_clip_send(producer, transfer, NULL, 0, true, -EIO);
	else if (source)
		vdmabuf_consumer_clip_send(consumer, transfer, NULL, 0, true, -EIO);
	else if (producer)
		vdmabuf_producer_clip_close(producer, transfer);
	else
		vdmabuf_consumer_clip_close(consumer, transfer);
}

/* Takes fd and the transfer: on failure both end. */
static struct vdmabuf_clip_stream *stream_create(struct vdmabuf_producer *producer,
						 struct vdmabuf_consumer *consumer,
						 uint32_t transfer, int fd, bool source)
{
	struct vdmabuf_clip_stream *s = calloc(1, sizeof(*s));
	int flags = fcntl(fd, F_GETFL);

	if (!s || flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		free(s);
		end_transfer(producer, consumer, transfer, source);
		close(fd);
		return NULL;
	}
	s->producer = producer;
	s->consumer = consumer;
	s->transfer = transfer;
	s->fd = fd;
	s->source = source;
	return s;
}

static void stream_end(struct vdmabuf_clip_stream *s)
{
	end_transfer(s->producer, s->consumer, s->transfer, s->source);
}

struct vdmabuf_clip_stream *vdmabuf_clip_stream_producer(struct vdmabuf_producer *producer,
							 uint32_t transfer, int fd, bool source)
{
	return stream_create(producer, NULL, transfer, fd, source);
}

struct vdmabuf_clip_stream *vdmabuf_clip_stream_consumer(struct vdmabuf_consumer *consumer,
							 uint32_t transfer, int fd, bool source)
{
	return stream_create(NULL, consumer, transfer, fd, source);
}

void vdmabuf_clip_stream_destroy(struct vdmabuf_clip_stream *s)
{
	if (!s)
		return;
	if (!s->over)
		stream_end(s);
	close(s->fd);
	free(s);
}

uint32_t vdmabuf_clip_stream_transfer(const struct vdmabuf_clip_stream *s)
{
	return s->transfer;
}

int vdmabuf_clip_stream_get_fd(const struct vdmabuf_clip_stream *s)
{
	return s->fd;
}

uint64_t vdmabuf_clip_stream_bytes(const struct vdmabuf_clip_stream *s)
{
	return s->source ? s->sent : s->written;
}

short vdmabuf_clip_stream_events(const struct vdmabuf_clip_stream *s)
{
	if (s->over)
		return 0;
	if (s->source)
		return s->sent - s->acked < VDMABUF_CLIP_WINDOW ? POLLIN : 0;
	return s->pend_len ? POLLOUT : 0;
}

/* The source: as much of fd as the window has room for. */
static int source_pump(struct vdmabuf_clip_stream *s)
{
	size_t room = VDMABUF_CLIP_WINDOW - (size_t)(s->sent - s->acked);
	ssize_t n;
	int ret;

	while (room && !s->over) {
		n = read(s->fd, s->buf, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0) {
			ret = n < 0 ? -errno : 0;
			s->over = true;
			stream_send(s, NULL, 0, true, ret ? -EIO : 0);
			return ret ? ret : 1;
		}
		ret = stream_send(s, s->buf, (size_t)n, false, 0);
		if (ret < 0) {
			s->over = true;
			return ret;
		}
		s->sent += (uint64_t)n;
		room -= (size_t)n;
	}
	return 0;
}

/*
 * A write that may meet a reader who went: EPIPE, and no SIGPIPE for a
 * process that did not ask for one (SIGPIPE held for the call, and taken
 * if the write raised it).
 */
static ssize_t write_no_sigpipe(int fd, const void *buf, size_t len)
{
	static const struct timespec now;
	sigset_t pipe_set, old;
	ssize_t n;
	int err;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_set, &old);
	n = write(fd, buf, len);
	err = errno;
	if (n < 0 && err == EPIPE)
		sigtimedwait(&pipe_set, NULL, &now);
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = err;
	return n;
}

/* The sink: what fd takes of what came, acknowledged as it goes. */
static int sink_flush(struct vdmabuf_clip_stream *s)
{
	ssize_t n;
	int ret;

	while (s->pend_len) {
		n = write_no_sigpipe(s->fd, s->buf, s->pend_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0) {
			ret = -errno;
			if (!s->over)
				stream_end(s);
			s->over = true;
			return ret;
		}
		memmove(s->buf, s->buf + n, s->pend_len - (size_t)n);
		s->pend_len -= (size_t)n;
		s->written += (uint64_t)n;
		/*
		 * Nothing is owed after the END came; an ACK that crosses it
		 * (the source sent its last piece, the device forgot the
		 * transfer, the pieces are still on their way) is ENOENT.
		 */
		if (!s->over) {
			ret = stream_ack(s, (uint32_t)n);
			if (ret < 0 && ret != -ENOENT) {
				s->over = true;
				return ret;
			}
		}
	}
	return s->end_received ? 1 : 0;
}

int vdmabuf_clip_stream_dispatch(struct vdmabuf_clip_stream *s)
{
	return s->source ? source_pump(s) : sink_flush(s);
}

int vdmabuf_clip_stream_ack(struct vdmabuf_clip_stream *s, uint32_t bytes)
{
	if (!s->source || bytes > s->sent - s->acked)
		return -EINVAL;
	s->acked += bytes;
	return 0;
}

int vdmabuf_clip_stream_data(struct vdmabuf_clip_stream *s, const void *bytes, size_t len,
			     bool end, int status)
{
	if (s->source || s->end_received)
		return -EINVAL;
	if (len > sizeof(s->buf) - s->pend_len) {
		/* The other side overran the window it was given. */
		if (!s->over)
			stream_end(s);
		s->over = true;
		return -EPROTO;
	}
	memcpy(s->buf + s->pend_len, bytes, len);
	s->pend_len += len;
	if (end) {
		s->end_received = true;
		s->over = true;		/* the transfer is gone: nothing to ACK or close */
		if (status < 0)
			return status;
	}
	return sink_flush(s);
}

void vdmabuf_clip_stream_cancel(struct vdmabuf_clip_stream *s)
{
	s->over = true;
}
