// SPDX-License-Identifier: MIT
/*
 * The clipboard rules of the device model (spec §17), with the in-memory
 * engine of model-harness.c. Each rule and the test that holds it:
 *
 * §17.1 offers: ENOTSUP without VDMABUF_F_CLIPBOARD; SELECTION EINVAL
 *   (short, hdr.flags, selection > 1, unknown format bits, serial or
 *   owner set); a guest offer to every consumer with the device's serial,
 *   to a consumer that attaches, withdrawn at reset; a host offer only
 *   from the seat holder (EPERM), to the guest, again at start, withdrawn
 *   when the holder lets go; a newer offer replaces one still queued
 *                                                             test_offers
 * §17.2 a paste of the host's offer: ENOENT stale serial, nobody's or the
 *   guest's own selection; EINVAL a format not offered; the transfer in
 *   the reply, SEND to the offerer; pieces of 232 bytes reach the guest
 *   in 48-byte pieces in order, the last with END; acknowledgements to
 *   the source; Nagle: a partial piece waits while others are unread
 *                                                      test_host_to_guest
 * §17.2 a paste of the guest's offer: CLIP_OPEN reply with the transfer,
 *   SEND to the guest, its pieces reach the consumer in 232-byte pieces,
 *   its END and status; ACKs add up in one event; DATA after END ENOENT
 *                                                      test_guest_to_host
 * §17.2 window: a source beyond it, an ACK of bytes never delivered: the
 *   transfer ends with EINVAL on both sides; cap: the piece that crosses
 *   VDMABUF_CLIP_MAX_SIZE ends it with EFBIG; ENOSPC for a fifth
 *   transfer                                                  test_limits
 * §17.2 cancel: CLOSE tells the source CANCEL; EPERM for the side that
 *   is not the sink or source, or another consumer; a source that fails
 *   ends with EIO; the seat holder leaving ends its transfers with EPIPE
 *   (guest told), a reset ends them all (consumers told)      test_ending
 * §17.2 the guest's event backlog keeps a share for the clipboard that
 *   input cannot take                                          test_shares
 *
 * After every step the harness checks the model's invariants, the
 * clipboard's among them (model-harness.c: check_clip).
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model-harness.h"

#define FEATURES VDMABUF_MODEL_FEATURES
#define TEXT_BIT (1u << VDMABUF_CLIP_TEXT)
#define PNG_BIT (1u << VDMABUF_CLIP_PNG)

static struct harness H;
static uint8_t pattern[1 << 16];

static int claim(unsigned int i)
{
	struct vdmabuf_consumer_msg req = { .type = VDMABUF_MSG_SEAT }, reply;
	void *import;

	req.u.seat.claim = 1;
	return vdmabuf_model_command(&H.model, &H.consumers[i].mc, &req, &reply, &import);
}

static int host_offer(unsigned int i, uint32_t selection, uint32_t formats)
{
	struct vdmabuf_msg_clip clip = { .selection = selection, .formats = formats };
	struct vdmabuf_consumer_msg reply;

	return harness_clip_command(&H, i, VDMABUF_MSG_SELECTION, &clip, &reply);
}

/* The consumer pastes the guest's offer: the transfer, or -errno. */
static int host_open(unsigned int i, uint32_t selection, uint32_t serial, uint32_t format)
{
	struct vdmabuf_msg_clip clip = { .selection = selection, .serial = serial,
					 .format = format };
	struct vdmabuf_consumer_msg reply;
	int err = harness_clip_command(&H, i, VDMABUF_MSG_CLIP_OPEN, &clip, &reply);

	if (err)
		return err;
	CHECK(reply.type == VDMABUF_MSG_CLIP_OPEN && reply.u.clip.transfer);
	return (int)reply.u.clip.transfer;
}

static int host_data(unsigned int i, uint32_t transfer, const void *data, uint32_t len,
		     uint32_t flags, int32_t status)
{
	struct vdmabuf_msg_clip clip = { .transfer = transfer, .len = len, .flags = flags,
					 .status = status };
	struct vdmabuf_consumer_msg reply;

	memcpy(clip.data, data, len);
	return harness_clip_command(&H, i, VDMABUF_MSG_CLIP_DATA, &clip, &reply);
}

static int host_xfer_cmd(unsigned int i, uint32_t type, uint32_t transfer, uint32_t len)
{
	struct vdmabuf_msg_clip clip = { .transfer = transfer, .len = len };
	struct vdmabuf_consumer_msg reply;

	return harness_clip_command(&H, i, type, &clip, &reply);
}

/* The guest pastes the host's offer: its status; *transfer from the reply. */
static int guest_open(uint32_t selection, uint32_t serial, uint32_t format, uint32_t *transfer)
{
	int status = harness_clip(&H, VDMABUF_CTRL_CLIP_OPEN, 0, selection, serial, format);

	*transfer = status == VDMABUF_S_OK ? (uint32_t)le64toh(H.reply.id.key) : 0;
	return status;
}

static const struct vdmabuf_event *last_event(uint32_t type)
{
	return harness_last_event(&H, type);
}

/* A model with two consumers attached, consumer 0 holding the seat. */
static void setup(void)
{
	harness_init(&H, NULL, FEATURES);
	harness_post_events(&H, 64);
	harness_attach(&H, 0);
	harness_attach(&H, 1);
	CHECK(claim(0) == 0);
}

static void test_offers(void)
{
	const struct vdmabuf_consumer_msg *msg;
	const struct vdmabuf_event *ev;
	struct vdmabuf_clip_req req = { .hdr.type = htole32(VDMABUF_CTRL_SELECTION) };
	struct harness_consumer *late;

	harness_init(&H, NULL, VDMABUF_MODEL_FEATURES & ~(1ull << VDMABUF_F_CLIPBOARD));
	CHECK(harness_clip(&H, VDMABUF_CTRL_SELECTION, 0, 0, TEXT_BIT, 0) == VDMABUF_S_ENOTSUP);
	harness_finish(&H);

	setup();
	CHECK(harness_request(&H, &req, sizeof(req) - 1) == VDMABUF_S_EINVAL);
	req.hdr.flags = htole32(1);
	CHECK(harness_request(&H, &req, sizeof(req)) == VDMABUF_S_EINVAL);
	CHECK(harness_clip(&H, VDMABUF_CTRL_SELECTION, 2, 0, TEXT_BIT, 0) == VDMABUF_S_EINVAL);
	CHECK(harness_clip(&H, VDMABUF_CTRL_SELECTION, 0, 0, 1u << 6, 0) == VDMABUF_S_EINVAL);
	CHECK(harness_clip(&H, VDMABUF_CTRL_SELECTION, 0, 7, TEXT_BIT, 0) == VDMABUF_S_EINVAL);
	CHECK(harness_clip(&H, VDMABUF_CTRL_SELECTION, 0, 0, TEXT_BIT, 1) == VDMABUF_S_EINVAL);
	CHECK(!harness_mail(&H.consumers[1], VDMABUF_MSG_SELECTION));

	/* The guest's offer, numbered by the device, to every consumer. */
	CHECK(harness_clip(&H, VDMABUF_CTRL_SELECTION, VDMABUF_SELECTION_PRIMARY, 0,
			   TEXT_BIT | PNG_BIT, 0) == VDMABUF_S_OK);
	for (unsigned int i = 0; i < 2; i++) {
		msg = harness_mail(&H.consumers[i], VDMABUF_MSG_SELECTION);
		CHECK(msg && msg->u.clip.selection == VDMABUF_SELECTION_PRIMARY &&
		      msg->u.clip.serial == 1 && msg->u.clip.formats == (TEXT_BIT | PNG_BIT) &&
		      msg->u.clip.owner == VDMABUF_CLIP_OWNER_GUEST);
	}
	late = harness_attach(&H, 2);
	msg = harness_mail(late, VDMABUF_MSG_SELECTION);
	CHECK(msg && msg->u.clip.serial == 1 && msg->u.clip.formats == (TEXT_BIT | PNG_BIT));
	CHECK_MODEL(&H);

	/* The host's offer: the seat holder's only, to the guest. */
	CHECK(host_offer(1, VDMABUF_SELECTION_CLIPBOARD, TEXT_BIT) == -EPERM);
	CHECK(host_offer(0, 2, TEXT_BIT) == -EINVAL);
	CHECK(host_offer(0, VDMABUF_SELECTION_CLIPBOARD, 1u << 9) == -EINVAL);
	CHECK(host_offer(0, VDMABUF_SELECTION_CLIPBOARD, TEXT_BIT) == 0);
	ev = last_event(VDMABUF_EVENT_SELECTION);
	CHECK(ev && le32toh(ev->u.offer.selection) == VDMABUF_SELECTION_CLIPBOARD &&
	      le32toh(ev->u.offer.serial) == 1 && le32toh(ev->u.offer.formats) == TEXT_BIT &&
	      le32toh(ev->u.offer.owner) == VDMABUF_CLIP_OWNER_HOST);

	/* Two offers the guest has not taken yet: the newer replaces the older. */
	H.posted = 0;
	CHECK(host_offer(0, VDMABUF_SELECTION_CLIPBOARD, PNG_BIT) == 0);
	CHECK(host_offer(0, VDMABUF_SELECTION_CLIPBOARD, TEXT_BIT | PNG_BIT) == 0);
	CHECK(H.model.clip_queued == 1);
	harness_post_events(&H, 64);
	ev = last_event(VDMABUF_EVENT_SELECTION);
	CHECK(ev && le32toh(ev->u.offer.serial) == 3 &&
	      le32toh(ev->u.offer.formats) == (TEXT_BIT | PNG_BIT));
	CHECK(harness_count_events(&H, VDMABUF_EVENT_SELECTION) == 2);
	CHECK_MODEL(&H);

	/* A reset withdraws the guest's offer; a start repeats the host's. */
	vdmabuf_model_reset(&H.model);
	msg = harness_mail(&H.consumers[1], VDMABUF_MSG_SELECTION);
	CHECK(msg && msg->u.clip.selection == VDMABUF_SELECTION_PRIMARY &&
	      msg->u.clip.formats == 0 && msg->u.clip.serial == 2);
	H.num_events = 0;
	vdmabuf_model_start(&H.model, FEATURES, NULL);
	ev = last_event(VDMABUF_EVENT_SELECTION);
	CHECK(ev && le32toh(ev->u.offer.serial) == 3 &&
	      le32toh(ev->u.offer.formats) == (TEXT_BIT | PNG_BIT));
	CHECK_MODEL(&H);

	/* The seat holder lets go: its offer is withdrawn. */
	harness_detach(&H, 0);
	ev = last_event(VDMABUF_EVENT_SELECTION);
	CHECK(ev && le32toh(ev->u.offer.serial) == 4 && le32toh(ev->u.offer.formats) == 0);
	CHECK_MODEL(&H);
	harness_finish(&H);
}

/* The guest acknowledges everything it received of its transfer so far. */
static uint64_t guest_acked;

static void guest_ack_all(uint32_t t)
{
	uint32_t n = (uint32_t)(H.clip.len - guest_acked);

	CHECK(harness_clip(&H, VDMABUF_CTRL_CLIP_ACK, t, n, 0, 0) == VDMABUF_S_OK);
	guest_acked += n;
}

static void test_host_to_guest(void)
{
	const struct vdmabuf_consumer_msg *msg;
	uint32_t t, sent = 0;

	setup();
	/* Nothing offered, or the guest's own selection: nothing to paste. */
	CHECK(guest_open(VDMABUF_SELECTION_CLIPBOARD, 0, VDMABUF_CLIP_TEXT, &t) ==
	      VDMABUF_S_ENOENT);
	CHECK(harness_clip(&H, VDMABUF_CTRL_SELECTION, VDMABUF_SELECTION_PRIMARY, 0, TEXT_BIT,
			   0) == VDMABUF_S_OK);
	CHECK(guest_open(VDMABUF_SELECTION_PRIMARY, 1, VDMABUF_CLIP_TEXT, &t) ==
	      VDMABUF_S_ENOENT);
	CHECK(host_offer(0, VDMABUF_SELECTION_CLIPBOARD, TEXT_BIT) == 0);
	CHECK(guest_open(VDMABUF_SELECTION_CLIPBOARD, 2, VDMABUF_CLIP_TEXT, &t) ==
	      VDMABUF_S_ENOENT);		/* stale serial */
	CHECK(guest_open(VDMABUF_SELECTION_CLIPBOARD, 1, VDMABUF_CLIP_PNG, &t) ==
	      VDMABUF_S_EINVAL);		/* not offered */
	CHECK(harness_clip(&H, VDMABUF_CTRL_CLIP_OPEN, 5, VDMABUF_SELECTION_CLIPBOARD, 1,
			   VDMABUF_CLIP_TEXT) == VDMABUF_S_EINVAL);	/* transfer set */
	CHECK(guest_open(VDMABUF_SELECTION_CLIPBOARD, 1, VDMABUF_CLIP_TEXT, &t) ==
	      VDMABUF_S_OK && t);
	msg = harness_mail(&H.consumers[0], VDMABUF_MSG_CLIP_SEND);
	CHECK(msg && msg->u.clip.transfer == t && msg->u.clip.format == VDMABUF_CLIP_TEXT &&
	      msg->u.clip.selection == VDMABUF_SELECTION_CLIPBOARD && msg->u.clip.serial == 1);
	CHECK(!harness_mail(&H.consumers[1], VDMABUF_MSG_CLIP_SEND));
	CHECK_MODEL(&H);

	/* A window of whole pieces reaches the guest in order, 48 bytes an event. */
	while (sent + VDMABUF_MSG_CLIP_CHUNK <= VDMABUF_CLIP_WINDOW) {
		CHECK(host_data(0, t, pattern + sent, VDMABUF_MSG_CLIP_CHUNK, 0, 0) == 0);
		sent += VDMABUF_MSG_CLIP_CHUNK;
		harness_post_events(&H, 8);
		CHECK_MODEL(&H);
	}
	CHECK(H.clip.transfer == t && H.clip.len == sent - sent % VDMABUF_CLIP_PIECE &&
	      H.clip.pieces == sent / VDMABUF_CLIP_PIECE &&
	      !memcmp(H.clip.data, pattern, H.clip.len) && !H.clip.ended);
	/* The rest of a piece waits until the guest has taken every other. */
	guest_acked = 0;
	guest_ack_all(t);
	msg = harness_mail(&H.consumers[0], VDMABUF_MSG_CLIP_ACK);
	CHECK(msg && msg->u.clip.transfer == t && msg->u.clip.len == guest_acked);
	CHECK(H.clip.len == sent);
	CHECK(host_data(0, t, pattern + sent, 100, VDMABUF_CLIP_END, 0) == 0);
	sent += 100;
	CHECK(H.clip.len == sent && H.clip.ended && H.clip.status == VDMABUF_S_OK &&
	      !memcmp(H.clip.data, pattern, sent));
	/* Ended: nothing more of it. */
	CHECK(harness_clip(&H, VDMABUF_CTRL_CLIP_ACK, t, 1, 0, 0) == VDMABUF_S_ENOENT);
	CHECK(host_data(0, t, pattern, 1, 0, 0) == -ENOENT);
	CHECK_MODEL(&H);

	/* Nagle: a byte goes at once when nothing is in flight, the next waits. */
	harness_clip_clear(&H.clip);
	CHECK(guest_open(VDMABUF_SELECTION_CLIPBOARD, 1, VDMABUF_CLIP_TEXT, &t) == VDMABUF_S_OK);
	CHECK(host_data(0, t, "a", 1, 0, 0) == 0 && H.clip.len == 1);
	CHECK(host_data(0, t, "b", 1, 0, 0) == 0 && host_data(0, t, "c", 1, 0, 0) == 0);
	CHECK(H.clip.len == 1);
	guest_acked = 0;
	guest_ack_all(t);
	CHECK(H.clip.len == 3 && !memcmp(H.clip.data, "abc", 3) && H.clip.pieces == 2);
	CHECK_MODEL(&H);
	harness_finish(&H);
}

/* The consumer acknowledges everything it received so far. */
static uint64_t host_acked;

static void host_ack_all(uint32_t t)
{
	uint32_t n = (uint32_t)(H.consumers[0].clip.len - host_acked);

	CHECK(host_xfer_cmd(0, VDMABUF_MSG_CLIP_ACK, t, n) == 0);
	host_acked += n;
}

static void test_guest_to_host(void)
{
	struct harness_clip *got;
	const struct vdmabuf_event *ev;
	uint32_t sent = 0;
	int t;

	setup();
	got = &H.consumers[0].clip;
	CHECK(host_open(0, VDMABUF_SELECTION_CLIPBOARD, 1, VDMABUF_CLIP_PNG) == -ENOENT);
	CHECK(harness_clip(&H, VDMABUF_CTRL_SELECTION, VDMABUF_SELECTION_CLIPBOARD, 0, PNG_BIT,
			   0) == VDMABUF_S_OK);
	CHECK(host_open(1, VDMABUF_SELECTION_CLIPBOARD, 1, VDMABUF_CLIP_PNG) == -EPERM);
	CHECK(host_open(0, VDMABUF_SELECTION_CLIPBOARD, 2, VDMABUF_CLIP_PNG) == -ENOENT);
	CHECK(host_open(0, VDMABUF_SELECTION_CLIPBOARD, 1, VDMABUF_CLIP_TEXT) == -EINVAL);
	t = host_open(0, VDMABUF_SELECTION_CLIPBOARD, 1, VDMABUF_CLIP_PNG);
	CHECK(t > 0);
	ev = last_event(VDMABUF_EVENT_CLIP_SEND);
	CHECK(ev && le32toh(ev->u.xfer.transfer) == (uint32_t)t &&
	      le32toh(ev->u.xfer.format) == VDMABUF_CLIP_PNG && le32toh(ev->u.xfer.serial) == 1);
	CHECK_MODEL(&H);

	/* The guest's pieces reach the consumer 232 bytes a message. */
	while (sent + 1000 <= VDMABUF_CLIP_WINDOW) {
		CHECK(harness_clip_data(&H, t, pattern + sent, 1000, 0, 0) == VDMABUF_S_OK);
		sent += 1000;
		CHECK_MODEL(&H);
	}
	CHECK(got->transfer == (uint32_t)t &&
	      got->len == sent - sent % VDMABUF_MSG_CLIP_CHUNK &&
	      !memcmp(got->data, pattern, got->len) && !got->ended);
	/* Its acknowledgements reach the guest; what waited goes. */
	host_acked = 0;
	host_ack_all(t);
	ev = last_event(VDMABUF_EVENT_CLIP_ACK);
	CHECK(ev && le32toh(ev->u.ack.transfer) == (uint32_t)t &&
	      le32toh(ev->u.ack.bytes) == host_acked);
	CHECK(got->len == sent);
	/* Acknowledgements the guest has not taken add up. */
	H.posted = 0;
	CHECK(host_xfer_cmd(0, VDMABUF_MSG_CLIP_ACK, t, 100) == 0);
	CHECK(host_xfer_cmd(0, VDMABUF_MSG_CLIP_ACK, t, 60) == 0);
	CHECK(H.model.clip_queued == 1);
	harness_post_events(&H, 64);
	ev = last_event(VDMABUF_EVENT_CLIP_ACK);
	CHECK(ev && le32toh(ev->u.ack.bytes) == 160);
	CHECK(harness_clip_data(&H, t, pattern + sent, 10, VDMABUF_CLIP_END, 0) == VDMABUF_S_OK);
	sent += 10;
	CHECK(got->len == sent && got->ended && got->status == 0 &&
	      !memcmp(got->data, pattern, sent));
	CHECK(harness_clip_data(&H, t, pattern, 1, 0, 0) == VDMABUF_S_ENOENT);
	CHECK(host_xfer_cmd(0, VDMABUF_MSG_CLIP_ACK, t, 1) == -ENOENT);
	CHECK_MODEL(&H);
	harness_finish(&H);
}

static void test_limits(void)
{
	const struct vdmabuf_consumer_msg *msg;
	const struct vdmabuf_event *ev;
	uint32_t t[VDMABUF_CLIP_TRANSFERS + 1];
	uint64_t sent = 0;
	int status, g;

	setup();
	CHECK(host_offer(0, VDMABUF_SELECTION_CLIPBOARD, TEXT_BIT) == 0);
	for (unsigned int i = 0; i < VDMABUF_CLIP_TRANSFERS; i++)
		CHECK(guest_open(VDMABUF_SELECTION_CLIPBOARD, 1, VDMABUF_CLIP_TEXT, &t[i]) ==
		      VDMABUF_S_OK);
	CHECK(guest_open(VDMABUF_SELECTION_CLIPBOARD, 1, VDMABUF_CLIP_TEXT, &t[4]) ==
	      VDMABUF_S_ENOSPC);
	CHECK_MODEL(&H);

	/* A source beyond its window: the transfer ends, both sides told. */
	harness_clip_clear(&H.clip);
	for (status = 0; !status && sent <= VDMABUF_CLIP_WINDOW; sent += VDMABUF_MSG_CLIP_CHUNK)
		status = host_data(0, t[0], pattern, VDMABUF_MSG_CLIP_CHUNK, 0, 0);
	CHECK(status == -EINVAL && sent > VDMABUF_CLIP_WINDOW);
	harness_post_events(&H, 512);
	CHECK(H.clip.transfer == t[0] && H.clip.ended && H.clip.status == VDMABUF_S_EINVAL);
	msg = harness_mail(&H.consumers[0], VDMABUF_MSG_CLIP_CANCEL);
	CHECK(msg && msg->u.clip.transfer == t[0] && msg->u.clip.status == -EINVAL);
	CHECK(host_data(0, t[0], pattern, 1, 0, 0) == -ENOENT);
	CHECK_MODEL(&H);

	/* The guest acknowledges bytes it never got: the same... */
	CHECK(host_data(0, t[1], pattern, 48, 0, 0) == 0);
	CHECK(harness_clip(&H, VDMABUF_CTRL_CLIP_ACK, t[1], 49, 0, 0) == VDMABUF_S_EINVAL);
	msg = harness_mail(&H.consumers[0], VDMABUF_MSG_CLIP_CANCEL);
	CHECK(msg && msg->u.clip.transfer == t[1] && msg->u.clip.status == -EINVAL);
	CHECK(host_data(0, t[1], pattern, 1, 0, 0) == -ENOENT);
	/* ...also bytes queued for it but not yet taken from the queue. */
	H.posted = 0;
	CHECK(host_data(0, t[2], pattern, 48, 0, 0) == 0);
	CHECK(harness_clip(&H, VDMABUF_CTRL_CLIP_ACK, t[2], 48, 0, 0) == VDMABUF_S_EINVAL);
	harness_post_events(&H, 64);
	CHECK(host_data(0, t[2], pattern, 1, 0, 0) == -ENOENT);
	CHECK_MODEL(&H);
	harness_finish(&H);

	/* The cap: the piece that crosses 16 MiB ends the transfer, EFBIG. */
	setup();
	CHECK(harness_clip(&H, VDMABUF_CTRL_SELECTION, VDMABUF_SELECTION_CLIPBOARD, 0, TEXT_BIT,
			   0) == VDMABUF_S_OK);
	g = host_open(0, VDMABUF_SELECTION_CLIPBOARD, 1, VDMABUF_CLIP_TEXT);
	host_acked = 0;
	sent = 0;
	for (status = VDMABUF_S_OK; status == VDMABUF_S_OK; sent += 1000) {
		H.num_events = 0;	/* keep the last round's */
		status = harness_clip_data(&H, g, pattern + sent % 4096, 1000, 0, 0);
		if (status == VDMABUF_S_OK)
			host_ack_all(g);
		harness_post_events(&H, 4);
	}
	CHECK(status == VDMABUF_S_EFBIG && sent - 1000 + 1000 > VDMABUF_CLIP_MAX_SIZE &&
	      sent - 1000 <= VDMABUF_CLIP_MAX_SIZE);
	CHECK(H.consumers[0].clip.ended && H.consumers[0].clip.status == -EFBIG &&
	      H.consumers[0].clip.len <= VDMABUF_CLIP_MAX_SIZE);
	ev = last_event(VDMABUF_EVENT_CLIP_CANCEL);
	CHECK(ev && le32toh(ev->u.cancel.transfer) == (uint32_t)g &&
	      le32toh(ev->u.cancel.status) == VDMABUF_S_EFBIG);
	CHECK_MODEL(&H);
	harness_finish(&H);
}

/*
 * setup(), with a paste each way: the host offers the clipboard, the
 * guest the primary selection, and each pastes the other's.
 */
static void setup_pastes(uint32_t *sink, int *source)
{
	setup();
	CHECK(host_offer(0, VDMABUF_SELECTION_CLIPBOARD, TEXT_BIT) == 0);
	CHECK(harness_clip(&H, VDMABUF_CTRL_SELECTION, VDMABUF_SELECTION_PRIMARY, 0, TEXT_BIT,
			   0) == VDMABUF_S_OK);
	CHECK(guest_open(VDMABUF_SELECTION_CLIPBOARD, 1, VDMABUF_CLIP_TEXT, sink) ==
	      VDMABUF_S_OK);
	*source = host_open(0, VDMABUF_SELECTION_PRIMARY, 1, VDMABUF_CLIP_TEXT);
	CHECK(*source > 0);
}

static void test_ending(void)
{
	const struct vdmabuf_consumer_msg *msg;
	const struct vdmabuf_event *ev;
	uint32_t sink;
	int source;

	setup_pastes(&sink, &source);
	/* Each side may do only its part. */
	CHECK(harness_clip_data(&H, sink, "x", 1, 0, 0) == VDMABUF_S_EPERM);
	CHECK(harness_clip(&H, VDMABUF_CTRL_CLIP_ACK, source, 0, 0, 0) == VDMABUF_S_EPERM);
	CHECK(harness_clip(&H, VDMABUF_CTRL_CLIP_CLOSE, source, 0, 0, 0) == VDMABUF_S_EPERM);
	CHECK(host_data(0, source, "x", 1, 0, 0) == -EPERM);
	CHECK(host_xfer_cmd(0, VDMABUF_MSG_CLIP_ACK, sink, 0) == -EPERM);
	CHECK(host_data(1, sink, "x", 1, 0, 0) == -EPERM);
	CHECK(harness_clip_data(&H, source, "x", 1, 0, VDMABUF_S_EIO) == VDMABUF_S_EINVAL);
	CHECK(host_data(0, sink, "x", 1, 0, -EIO) == -EINVAL);
	CHECK(harness_clip(&H, VDMABUF_CTRL_CLIP_CLOSE, sink, 1, 0, 0) == VDMABUF_S_EINVAL);
	CHECK(harness_clip(&H, VDMABUF_CTRL_CLIP_CLOSE, sink, 0, 1, 0) == VDMABUF_S_EINVAL);
	CHECK(harness_clip(&H, VDMABUF_CTRL_CLIP_ACK, sink, 0, 0, 1) == VDMABUF_S_EINVAL);
	CHECK_MODEL(&H);

	/* A sink that lets go: the source told CANCEL, its pieces ENOENT. */
	CHECK(harness_clip(&H, VDMABUF_CTRL_CLIP_CLOSE, sink, 0, 0, 0) == VDMABUF_S_OK);
	msg = harness_mail(&H.consumers[0], VDMABUF_MSG_CLIP_CANCEL);
	CHECK(msg && msg->u.clip.transfer == sink && msg->u.clip.status == 0);
	CHECK(host_data(0, sink, "x", 1, 0, 0) == -ENOENT);
	CHECK(host_xfer_cmd(0, VDMABUF_MSG_CLIP_CLOSE, source, 0) == 0);
	ev = last_event(VDMABUF_EVENT_CLIP_CANCEL);
	CHECK(ev && le32toh(ev->u.cancel.transfer) == (uint32_t)source &&
	      le32toh(ev->u.cancel.status) == VDMABUF_S_OK);
	CHECK_MODEL(&H);

	/* A source that cannot serve ends with EIO. */
	CHECK(guest_open(VDMABUF_SELECTION_CLIPBOARD, 1, VDMABUF_CLIP_TEXT, &sink) ==
	      VDMABUF_S_OK);
	CHECK(host_data(0, sink, "", 0, VDMABUF_CLIP_END, -EIO) == 0);
	CHECK(H.clip.transfer == sink && H.clip.ended && H.clip.status == VDMABUF_S_EIO);
	source = host_open(0, VDMABUF_SELECTION_PRIMARY, 1, VDMABUF_CLIP_TEXT);
	CHECK(harness_clip_data(&H, source, "", 0, VDMABUF_CLIP_END, VDMABUF_S_EIO) ==
	      VDMABUF_S_OK);
	CHECK(H.consumers[0].clip.ended && H.consumers[0].clip.status == -EIO);
	CHECK_MODEL(&H);

	/* The seat holder goes: the guest hears EPIPE on both ends. */
	harness_clip_clear(&H.clip);
	CHECK(guest_open(VDMABUF_SELECTION_CLIPBOARD, 1, VDMABUF_CLIP_TEXT, &sink) ==
	      VDMABUF_S_OK);
	source = host_open(0, VDMABUF_SELECTION_PRIMARY, 1, VDMABUF_CLIP_TEXT);
	harness_detach(&H, 0);
	CHECK(H.clip.transfer == sink && H.clip.ended && H.clip.status == VDMABUF_S_EPIPE);
	ev = last_event(VDMABUF_EVENT_CLIP_CANCEL);
	CHECK(ev && le32toh(ev->u.cancel.transfer) == (uint32_t)source &&
	      le32toh(ev->u.cancel.status) == VDMABUF_S_EPIPE);
	CHECK(harness_clip_data(&H, source, "x", 1, 0, 0) == VDMABUF_S_ENOENT);
	CHECK_MODEL(&H);

	/* A reset ends them all; the consumer hears EPIPE on both ends. */
	harness_attach(&H, 0);
	CHECK(claim(0) == 0);
	harness_clip_clear(&H.consumers[0].clip);
	CHECK(host_offer(0, VDMABUF_SELECTION_CLIPBOARD, TEXT_BIT) == 0);
	/* 3: withdrawn (2) when the seat holder went */
	CHECK(guest_open(VDMABUF_SELECTION_CLIPBOARD, 3, VDMABUF_CLIP_TEXT, &sink) ==
	      VDMABUF_S_OK);
	source = host_open(0, VDMABUF_SELECTION_PRIMARY, 1, VDMABUF_CLIP_TEXT);
	CHECK(source > 0);
	vdmabuf_model_reset(&H.model);
	msg = harness_mail(&H.consumers[0], VDMABUF_MSG_CLIP_CANCEL);
	CHECK(msg && msg->u.clip.transfer == sink && msg->u.clip.status == -EPIPE);
	CHECK(H.consumers[0].clip.transfer == (uint32_t)source &&
	      H.consumers[0].clip.ended && H.consumers[0].clip.status == -EPIPE);
	for (unsigned int i = 0; i < VDMABUF_CLIP_TRANSFERS; i++)
		CHECK(!H.model.transfers[i].id);
	CHECK_MODEL(&H);
	harness_finish(&H);
}

/*
 * The guest's holder goes (CLIP_RESET): its offer withdrawn, the
 * consumer's paste of it ends EPIPE, the guest's paste CANCEL EPIPE; the
 * host's offer stays.
 */
static void test_holder_reset(void)
{
	const struct vdmabuf_consumer_msg *msg;
	uint32_t sink;
	int source;

	setup_pastes(&sink, &source);
	CHECK(harness_clip(&H, VDMABUF_CTRL_CLIP_RESET, 1, 0, 0, 0) == VDMABUF_S_EINVAL);
	CHECK(harness_clip(&H, VDMABUF_CTRL_CLIP_RESET, 0, 0, 0, 0) == VDMABUF_S_OK);
	CHECK(H.consumers[0].clip.transfer == (uint32_t)source &&
	      H.consumers[0].clip.ended && H.consumers[0].clip.status == -EPIPE);
	msg = harness_mail(&H.consumers[0], VDMABUF_MSG_CLIP_CANCEL);
	CHECK(msg && msg->u.clip.transfer == sink && msg->u.clip.status == -EPIPE);
	CHECK(H.model.offers[VDMABUF_SELECTION_PRIMARY].formats == 0);
	CHECK(H.model.offers[VDMABUF_SELECTION_CLIPBOARD].formats == TEXT_BIT);
	for (unsigned int i = 0; i < VDMABUF_CLIP_TRANSFERS; i++)
		CHECK(!H.model.transfers[i].id);
	CHECK_MODEL(&H);
	harness_finish(&H);
}

/* Input that fills the backlog leaves the clipboard its share, and the reverse. */
static void test_shares(void)
{
	struct vdmabuf_consumer_msg req = { .type = VDMABUF_MSG_INPUT }, reply;
	uint32_t t, sent = 0;
	void *import;
	int err = 0, keys = 0;

	setup();
	H.posted = 0;
	CHECK(host_offer(0, VDMABUF_SELECTION_CLIPBOARD, TEXT_BIT) == 0);
	req.u.input.kind = VDMABUF_INPUT_KEY;
	req.u.input.args[0] = 30;
	while (!err && keys < 2 * VDMABUF_MODEL_BACKLOG) {
		req.u.input.args[1] = keys++ & 1;
		err = vdmabuf_model_command(&H.model, &H.consumers[0].mc, &req, &reply, &import);
	}
	CHECK(err == -ENOBUFS);
	CHECK(guest_open(VDMABUF_SELECTION_CLIPBOARD, 1, VDMABUF_CLIP_TEXT, &t) == VDMABUF_S_OK);
	for (; sent + VDMABUF_MSG_CLIP_CHUNK <= VDMABUF_CLIP_WINDOW; sent += VDMABUF_MSG_CLIP_CHUNK)
		CHECK(host_data(0, t, pattern + sent, VDMABUF_MSG_CLIP_CHUNK, 0, 0) == 0);
	/* And the buffers still have theirs: a RELEASE and a RETIRED each. */
	for (unsigned int i = 0; i < VDMABUF_MAX_BUFFERS; i++) {
		struct vdmabuf_present present;
		struct vdmabuf_unexport unexport;
		struct vdmabuf_id id = harness_new_buffer(&H);

		harness_present(&present, &id, 1, 0);
		CHECK(harness_request(&H, &present, sizeof(present)) == VDMABUF_S_OK);
		harness_unexport(&unexport, &id);
		CHECK(harness_request(&H, &unexport, sizeof(unexport)) == VDMABUF_S_OK);
	}
	CHECK(H.model.events_lost == 0);
	CHECK_MODEL(&H);
	harness_post_events(&H, VDMABUF_MODEL_BACKLOG);
	CHECK(H.clip.len == sent - sent % VDMABUF_CLIP_PIECE &&
	      !memcmp(H.clip.data, pattern, H.clip.len));
	CHECK(H.model.backlog_len == 0 && H.model.clip_queued == 0);
	CHECK_MODEL(&H);
	harness_finish(&H);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7 + i / 251);
	test_offers();
	test_host_to_guest();
	test_guest_to_host();
	test_limits();
	test_ending();
	test_holder_reset();
	test_shares();
	if (failures) {
		fprintf(stderr, "test-clip: %d checks failed\n", failures);
		return 1;
	}
	printf("test-clip: all checks passed\n");
	return 0;
}
