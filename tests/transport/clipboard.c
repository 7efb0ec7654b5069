// SPDX-License-Identifier: MIT
/*
 * Suite transport: the clipboard both ways through the real device
 * (spec §17), with no compositor: `clipboard host` is the seat holder
 * (libvdmabuf's consumer), `clipboard guest` holds the guest's clipboard
 * (libvdmabuf's producer on /dev/vdmabuf). As on a desktop, one side's
 * copy replaces the other's: the host offers first and the guest pastes
 * every format, then the guest offers (its copy) and the host pastes.
 * Each serves pastes within the window, each acknowledges as it consumes
 * and checks every byte. The guest also serves one paste of
 * VDMABUF_CLIP_MAX_SIZE + 1 bytes: the host must see it end with EFBIG
 * and the guest be told to stop.
 *
 *   clipboard host [SOCKET]      exits 0 once its pastes are right
 *   clipboard guest              exits 0 once its pastes are right and
 *                                its over-cap paste was cancelled
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vdmabuf.h"

#define TIMEOUT_S 600
#define CLIP (VDMABUF_SELECTION_CLIPBOARD)
#define PRIMARY (VDMABUF_SELECTION_PRIMARY)

/* What each side offers, and so what the other expects to paste. */
struct content {
	uint32_t selection, format;
	size_t size;
	const char *text;		/* repeated to size; NULL: bytes of pattern() */
	int expect;			/* the paste's end status (0 or -EFBIG) */
};

static const struct content host_offers[] = {
	{ CLIP, VDMABUF_CLIP_TEXT, 70000, "Grüße vom Host, Zoë: 42€ ✓\n", 0 },
	{ CLIP, VDMABUF_CLIP_PNG, 100000, NULL, 0 },
	{ PRIMARY, VDMABUF_CLIP_TEXT, 13, "primary host\n", 0 },
};

static const struct content guest_offers[] = {
	{ CLIP, VDMABUF_CLIP_TEXT, 66000, "the guest's text, ß and €\n", 0 },
	{ CLIP, VDMABUF_CLIP_BMP, VDMABUF_CLIP_MAX_SIZE + 1, NULL, -EFBIG },
	{ PRIMARY, VDMABUF_CLIP_TEXT, 14, "primary guest\n", 0 },
};

#define OFFERS 3

static uint8_t byte_at(const struct content *c, size_t i)
{
	if (c->text)
		return (uint8_t)c->text[i % strlen(c->text)];
	return (uint8_t)(i * 131 + (i >> 9) + c->format);
}

/* A transfer this side serves (source) or pastes (sink). */
struct transfer {
	uint32_t id;
	const struct content *content;
	size_t sent, acked;		/* source */
	size_t received, unacked;	/* sink */
	bool done;
	int status;
};

struct side {
	bool guest;
	struct vdmabuf_producer *producer;
	struct vdmabuf_consumer *consumer;
	const struct content *mine, *theirs;
	struct transfer serving[8];
	struct transfer pasting[OFFERS];
	unsigned int pastes_done, served, failures;
	bool offered, over_cap_cancelled;
	uint8_t buf[VDMABUF_CLIP_WINDOW];
};

static void fail(struct side *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct side *s, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "clipboard %s: ", s->guest ? "guest" : "host");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	s->failures++;
}

static int offer(struct side *s, uint32_t selection, uint32_t formats)
{
	return s->guest ? vdmabuf_producer_offer(s->producer, selection, formats) :
			  vdmabuf_consumer_offer(s->consumer, selection, formats);
}

static int clip_send(struct side *s, uint32_t id, const void *bytes, size_t len, bool end)
{
	return s->guest ? vdmabuf_producer_clip_send(s->producer, id, bytes, len, end, 0) :
			  vdmabuf_consumer_clip_send(s->consumer, id, bytes, len, end, 0);
}

static int clip_ack(struct side *s, uint32_t id, uint32_t bytes)
{
	return s->guest ? vdmabuf_producer_clip_ack(s->producer, id, bytes) :
			  vdmabuf_consumer_clip_ack(s->consumer, id, bytes);
}

static int clip_open(struct side *s, uint32_t selection, uint32_t serial, uint32_t format,
		     uint32_t *id)
{
	return s->guest ?
		vdmabuf_producer_clip_open(s->producer, selection, serial, format, id) :
		vdmabuf_consumer_clip_open(s->consumer, selection, serial, format, id);
}

/* Sends what the window allows of t. */
static void serve(struct side *s, struct transfer *t)
{
	while (!t->done && (t->sent < t->content->size || !t->sent) &&
	       t->sent - t->acked < VDMABUF_CLIP_WINDOW) {
		size_t n = VDMABUF_CLIP_WINDOW - (t->sent - t->acked);
		bool end;
		int err;

		if (n > t->content->size - t->sent)
			n = t->content->size - t->sent;
		for (size_t i = 0; i < n; i++)
			s->buf[i] = byte_at(t->content, t->sent + i);
		end = t->sent + n == t->content->size;
		err = clip_send(s, t->id, s->buf, n, end);
		if (err) {
			/* Over the cap: refused, and a CANCEL follows. */
			if (err != t->content->expect)
				fail(s, "sending transfer %u: %s", t->id, strerror(-err));
			t->done = true;
			return;
		}
		t->sent += n;
		t->done = end;
		s->served += end;
	}
}

static void on_send(void *data, uint32_t id, uint32_t selection, uint32_t format)
{
	struct side *s = data;
	struct transfer *t = NULL;

	for (unsigned int i = 0; i < 8 && !t; i++)
		if (!s->serving[i].id || s->serving[i].done)
			t = &s->serving[i];
	for (unsigned int i = 0; i < OFFERS && t; i++)
		if (s->mine[i].selection == selection && s->mine[i].format == format) {
			*t = (struct transfer){ .id = id, .content = &s->mine[i] };
			serve(s, t);
			return;
		}
	fail(s, "a paste of selection %u format %u we do not serve", selection, format);
}

static struct transfer *find(struct transfer *list, unsigned int n, uint32_t id)
{
	for (unsigned int i = 0; i < n; i++)
		if (list[i].id == id)
			return &list[i];
	return NULL;
}

static void on_ack(void *data, uint32_t id, uint32_t bytes)
{
	struct side *s = data;
	struct transfer *t = find(s->serving, 8, id);

	if (!t)
		return;
	t->acked += bytes;
	serve(s, t);
}

static void on_cancel(void *data, uint32_t id, int status)
{
	struct side *s = data;
	struct transfer *t = find(s->serving, 8, id);

	if (!t)
		return;
	if (t->content->expect == -EFBIG && status == -EFBIG)
		s->over_cap_cancelled = true;
	else
		fail(s, "transfer %u cancelled: %d", id, status);
	t->done = true;
}

static void on_data(void *data, uint32_t id, const void *bytes, size_t len, bool end,
		    int status)
{
	struct side *s = data;
	struct transfer *t = find(s->pasting, OFFERS, id);
	const uint8_t *b = bytes;

	if (!t || t->done) {
		fail(s, "data of transfer %u we do not paste", id);
		return;
	}
	for (size_t i = 0; i < len; i++, t->received++)
		if (b[i] != byte_at(t->content, t->received)) {
			fail(s, "transfer %u: byte %zu differs", id, t->received);
			t->done = true;
			return;
		}
	t->unacked += len;
	if (!end)
		return;
	t->done = true;
	t->status = status;
	s->pastes_done++;
	if (status != t->content->expect)
		fail(s, "transfer %u ended with %d, want %d", id, status, t->content->expect);
	else if (!status && t->received != t->content->size)
		fail(s, "transfer %u: %zu bytes, want %zu", id, t->received, t->content->size);
	else
		printf("clipboard %s: pasted selection %u format %u: %zu bytes, status %d\n",
		       s->guest ? "guest" : "host", t->content->selection, t->content->format,
		       t->received, status);
}

/* The other side offers: paste every format we expect of that selection. */
static void on_selection(void *data, uint32_t selection, uint32_t serial, uint32_t formats)
{
	struct side *s = data;

	printf("clipboard %s: selection %u serial %u formats %#x offered\n",
	       s->guest ? "guest" : "host", selection, serial, formats);
	for (unsigned int i = 0; i < OFFERS; i++) {
		const struct content *c = &s->theirs[i];
		struct transfer *t = &s->pasting[i];
		int err;

		if (c->selection != selection || !(formats & (1u << c->format)) || t->id)
			continue;
		*t = (struct transfer){ .content = c };
		err = clip_open(s, selection, serial, c->format, &t->id);
		if (err)
			fail(s, "paste of selection %u format %u: %s", selection, c->format,
			     strerror(-err));
	}
}

/*
 * Acknowledges what the last dispatch consumed, once per transfer. A
 * transfer whose END came needs none (the device forgot it: ENOENT).
 */
static void ack_consumed(struct side *s)
{
	for (unsigned int i = 0; i < OFFERS; i++) {
		struct transfer *t = &s->pasting[i];
		int err;

		if (!t->unacked || t->done)
			continue;
		err = clip_ack(s, t->id, (uint32_t)t->unacked);
		if (err && err != -ENOENT)
			fail(s, "ack of transfer %u refused: %s", t->id, strerror(-err));
		t->unacked = 0;
	}
}

static bool finished(const struct side *s)
{
	bool served = true;

	for (unsigned int i = 0; i < 8; i++)
		served &= !s->serving[i].id || s->serving[i].done;
	/* Every offer of ours pasted once: whole, or (over the cap) cancelled. */
	return s->pastes_done == OFFERS && served &&
	       s->served + (s->guest && s->over_cap_cancelled) == OFFERS;
}

static void offer_mine(struct side *s)
{
	uint32_t formats[VDMABUF_SELECTIONS] = { 0 };

	for (unsigned int i = 0; i < OFFERS; i++)
		formats[s->mine[i].selection] |= 1u << s->mine[i].format;
	for (uint32_t sel = 0; sel < VDMABUF_SELECTIONS; sel++)
		if (offer(s, sel, formats[sel]))
			fail(s, "offer of selection %u refused", sel);
}

static void on_error(void *data, uint32_t request, const struct vdmabuf_id *id, int err)
{
	/* An ACK that crossed the transfer's END (spec §17.2). */
	if (request == VDMABUF_REQUEST_CLIP_ACK && err == -ENOENT)
		return;
	fail(data, "request %u refused: %s", request, strerror(-err));
}

int main(int argc, char **argv)
{
	static struct side side;
	struct side *s = &side;
	/* The same clipboard either side: only how it is reached differs. */
	const struct vdmabuf_clip_listener clip = {
		.selection = on_selection, .send = on_send, .data = on_data,
		.ack = on_ack, .cancel = on_cancel,
	};
	const struct vdmabuf_producer_listener pl = { .clip = &clip };
	const struct vdmabuf_consumer_listener cl = { .error = on_error, .clip = &clip };
	time_t deadline = time(NULL) + TIMEOUT_S;
	struct pollfd pfd = { .events = POLLIN };
	int err = 0;

	if (argc < 2 || (strcmp(argv[1], "host") && strcmp(argv[1], "guest"))) {
		fprintf(stderr, "usage: clipboard host [SOCKET] | guest\n");
		return 2;
	}
	s->guest = !strcmp(argv[1], "guest");
	s->mine = s->guest ? guest_offers : host_offers;
	s->theirs = s->guest ? host_offers : guest_offers;
	if (s->guest) {
		s->producer = vdmabuf_producer_create(NULL, &err);
		if (s->producer)
			err = vdmabuf_producer_subscribe(s->producer, VDMABUF_SUBSCRIBE_CLIPBOARD);
		pfd.fd = s->producer ? vdmabuf_producer_get_fd(s->producer) : -1;
	} else {
		s->consumer = vdmabuf_consumer_connect(argc > 2 ? argv[2] : NULL, &err);
		if (s->consumer) {
			vdmabuf_consumer_listen_clipboard(s->consumer);
			err = vdmabuf_consumer_claim_seat(s->consumer, true);
		}
		pfd.fd = s->consumer ? vdmabuf_consumer_get_fd(s->consumer) : -1;
	}
	if (err) {
		fprintf(stderr, "clipboard %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	while (!finished(s) && !s->failures) {
		/* The host copies first; the guest once it pasted the host's. */
		if (!s->offered && (!s->guest || s->pastes_done == OFFERS)) {
			offer_mine(s);
			s->offered = true;
		}
		if (time(NULL) > deadline) {
			fail(s, "timed out: %u of %u pastes done%s", s->pastes_done, OFFERS,
			     s->guest && !s->over_cap_cancelled ? ", no over-cap cancel" : "");
			break;
		}
		if (poll(&pfd, 1, 1000) < 0 && errno != EINTR)
			break;
		err = s->guest ? vdmabuf_producer_dispatch(s->producer, &pl, s) :
				 vdmabuf_consumer_dispatch(s->consumer, &cl, s);
		if (err < 0) {
			fail(s, "dispatch: %s", strerror(-err));
			break;
		}
		ack_consumed(s);
	}
	if (!s->failures)
		printf("clipboard %s: every paste right\n", argv[1]);
	if (s->guest)
		vdmabuf_producer_destroy(s->producer);
	else
		vdmabuf_consumer_destroy(s->consumer);
	return s->failures ? 1 : 0;
}
