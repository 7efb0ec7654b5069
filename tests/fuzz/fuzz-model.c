// SPDX-License-Identifier: MIT
/*
 * libFuzzer target over the device model itself (protocol/vdmabuf_model.c),
 * the rules both engines run: each input is a script of guest requests,
 * consumer commands, event buffers, resets, failing imports and the
 * guest's pointer (cursor images presented and released as frames) and the
 * clipboard (offers and transfers both ways, acknowledged or not), driven
 * through the in-memory engine of tests/unit/model-harness.c. After every
 * step the model's invariants must hold (harness_check: counters equal
 * what the lists hold, no frame owed by a slot without an import, no more
 * releases than frames, host imports equal buffers held); at the end
 * every host import is gone.
 */
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model-harness.h"

#define KNOWN_IDS 16

struct script {
	const uint8_t *data;
	size_t len, pos;
};

static uint8_t next8(struct script *s)
{
	return s->pos < s->len ? s->data[s->pos++] : 0;
}

static uint32_t next32(struct script *s)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v = v << 8 | next8(s);
	return v;
}

static struct harness H;
static struct vdmabuf_id known[KNOWN_IDS];
static unsigned int num_known;

static const struct vdmabuf_id *pick_id(struct script *s)
{
	static struct vdmabuf_id forged;
	uint8_t i = next8(s);

	if (num_known && i < 0xf0)
		return &known[i % num_known];
	forged = (struct vdmabuf_id){ H.model.instance, (uint64_t)next32(s) << 32 | next32(s) };
	return &forged;
}

/* A running transfer's id, an offer's serial, or anything. */
static uint32_t pick_transfer(struct script *s)
{
	uint8_t i = next8(s);

	return i < 0xf0 ? H.model.transfers[i % VDMABUF_CLIP_TRANSFERS].id : next32(s);
}

static uint32_t pick_serial(struct script *s, uint32_t selection)
{
	return next8(s) < 0xf0 ? H.model.offers[selection % VDMABUF_SELECTIONS].serial :
				 next32(s);
}

static void remember(const struct vdmabuf_id *id)
{
	known[num_known < KNOWN_IDS ? num_known++ : id->key % KNOWN_IDS] = *id;
}

static void step(struct script *s)
{
	uint8_t op = next8(s), arg = next8(s);
	unsigned int c = arg % HARNESS_CONSUMERS;
	struct vdmabuf_consumer_msg req = { 0 }, reply;
	uint8_t buf[HARNESS_REQUEST];
	void *import;
	size_t len;

	switch (op % 21) {
	case 0: {	/* EXPORT, perhaps with one byte changed */
		len = harness_export(buf, 1 + arg % 64, 1 + next8(s) % 64, 1 + next8(s) % 8);
		if (next8(s) & 1)
			buf[next8(s) % len] ^= next8(s);
		if (harness_request(&H, buf, len - next8(s) % 3) == VDMABUF_S_OK)
			remember(&(struct vdmabuf_id){ le64toh(H.reply.id.device),
						      le64toh(H.reply.id.key) });
		break;
	}
	case 1: {
		struct vdmabuf_present p;

		harness_present(&p, pick_id(s), next8(s), next8(s) % 18);
		harness_request(&H, &p, sizeof(p));
		break;
	}
	case 2: {
		struct vdmabuf_unexport u;

		harness_unexport(&u, pick_id(s));
		harness_request(&H, &u, sizeof(u));
		break;
	}
	case 3:
		if (!H.consumers[c].mc.attached)
			harness_attach(&H, c);
		break;
	case 4:
		harness_detach(&H, c);
		break;
	case 5:
	case 6:
	case 7:
		/* IMPORT, RELEASE, DROP (and now and then any type). */
		req.type = next8(s) < 8 ? next8(s) : VDMABUF_MSG_IMPORT + (op % 14 - 5);
		req.id = *pick_id(s);
		req.u.release = (struct vdmabuf_msg_release){ next8(s), next32(s), next32(s),
							      next8(s) & 7 };
		if (H.consumers[c].mc.attached || next8(s) & 1)
			vdmabuf_model_command(&H.model, &H.consumers[c].mc, &req, &reply,
					      &import);
		break;
	case 8:
		req.type = VDMABUF_MSG_MODE_HINT;
		req.u.mode = (struct vdmabuf_msg_mode){ next32(s) % 20000, next32(s) % 20000,
						       next32(s), next32(s) % 2500,
						       next32(s) % 20, next32(s) % 4 };
		if (H.consumers[c].mc.attached)
			vdmabuf_model_command(&H.model, &H.consumers[c].mc, &req, &reply,
					      &import);
		break;
	case 9:
		harness_post_events(&H, arg % 32);
		break;
	case 10:
		vdmabuf_model_reset(&H.model);
		num_known = 0;
		if (arg & 1)
			vdmabuf_model_start(&H.model, next8(s) & 0x7f,
					    (const unsigned int[]){ 1 + next8(s) % 8, 1 + next8(s) % 8 });
		break;
	case 11:	/* raw request bytes */
		len = next8(s) % sizeof(buf);
		for (size_t i = 0; i < len; i++)
			buf[i] = next8(s);
		harness_request(&H, buf, len);
		break;
	case 12:
		H.import_status = arg % 6 == 0 ? VDMABUF_S_ENOMEM :
				  arg % 6 == 1 ? VDMABUF_S_ERANGE : VDMABUF_S_OK;
		break;
	case 13:
		H.bad_chain = arg & 1;
		H.reply_room = arg & 2 ? 31 : sizeof(struct vdmabuf_reply);
		break;
	case 14:	/* the seat: take or give back (or a bad claim) */
		req.type = VDMABUF_MSG_SEAT;
		req.u.seat.claim = next8(s) % 3;
		if (H.consumers[c].mc.attached)
			vdmabuf_model_command(&H.model, &H.consumers[c].mc, &req, &reply,
					      &import);
		break;
	case 15:	/* an input event, well formed or not */
		req.type = VDMABUF_MSG_INPUT;
		req.u.input.kind = next8(s) % 40;
		req.u.input.time_usec = next32(s);
		for (int i = 0; i < VDMABUF_INPUT_ARGS; i++)
			req.u.input.args[i] = next8(s) < 0xc0 ? (i < 3 ? next8(s) : 0) :
					      (int32_t)next32(s);
		if (H.consumers[c].mc.attached)
			vdmabuf_model_command(&H.model, &H.consumers[c].mc, &req, &reply,
					      &import);
		break;
	case 16:	/* a keymap piece: the next one, or anything */
		req.type = VDMABUF_MSG_KEYMAP;
		req.u.keymap.format = next8(s) < 0xf0 ? VDMABUF_KEYMAP_XKB_V1 : next8(s);
		req.u.keymap.size = next8(s) & 1 ? 1 + next32(s) % 2048 :
				    (H.model.keymap_size ? H.model.keymap_size : 700);
		req.u.keymap.offset = next8(s) & 1 ? next32(s) % 2048 : H.model.keymap_received;
		req.u.keymap.len = 1 + next8(s) % 300;
		if (H.consumers[c].mc.attached)
			vdmabuf_model_command(&H.model, &H.consumers[c].mc, &req, &reply,
					      &import);
		break;
	case 17: {	/* POINTER: an image or none, now and then malformed */
		struct vdmabuf_pointer p;
		const struct vdmabuf_id *id = arg & 1 ? pick_id(s) : NULL;

		harness_pointer(&p, id, next8(s) % 4, next8(s) % 72, next8(s) % 72,
				next8(s) % 4);
		if (next8(s) >= 0xe0)
			((uint8_t *)&p)[next8(s) % sizeof(p)] ^= next8(s);
		harness_request(&H, &p, sizeof(p) - (next8(s) >= 0xf8));
		break;
	}
	case 18: {	/* a small clipboard request of the guest */
		static const uint32_t types[] = {
			VDMABUF_CTRL_SELECTION, VDMABUF_CTRL_CLIP_OPEN, VDMABUF_CTRL_CLIP_ACK,
			VDMABUF_CTRL_CLIP_CLOSE,
		};
		uint32_t type = types[arg % 4], selection = next8(s) % 3;

		if (type == VDMABUF_CTRL_SELECTION)
			harness_clip(&H, type, selection, 0, next8(s) & 0x7f, 0);
		else if (type == VDMABUF_CTRL_CLIP_OPEN)
			harness_clip(&H, type, 0, selection, pick_serial(s, selection),
				     next8(s) % 7);
		else
			harness_clip(&H, type, pick_transfer(s),
				     type == VDMABUF_CTRL_CLIP_ACK ? next8(s) * next8(s) : 0, 0, 0);
		break;
	}
	case 19:	/* a piece of the guest's, END or failing now and then */
		len = next8(s) * 4 % 1024;
		memset(buf, arg, len);
		harness_clip_data(&H, pick_transfer(s), buf, len,
				  next8(s) >= 0xe0 ? VDMABUF_CLIP_END : 0,
				  next8(s) >= 0xf8 ? VDMABUF_S_EIO : 0);
		break;
	case 20: {	/* a consumer's clipboard command */
		struct vdmabuf_msg_clip clip = { .selection = next8(s) % 3 };

		req.type = VDMABUF_MSG_SELECTION + arg % 5;
		clip.serial = req.type == VDMABUF_MSG_CLIP_OPEN ? pick_serial(s, clip.selection) : 0;
		clip.formats = req.type == VDMABUF_MSG_SELECTION ? next8(s) & 0x7f : 0;
		clip.format = next8(s) % 7;
		clip.transfer = req.type == VDMABUF_MSG_CLIP_OPEN ? 0 : pick_transfer(s);
		clip.len = req.type == VDMABUF_MSG_CLIP_DATA ? next8(s) % (VDMABUF_MSG_CLIP_CHUNK + 4) :
			   next8(s) * next8(s);
		clip.flags = next8(s) >= 0xe0 ? VDMABUF_CLIP_END : 0;
		memset(clip.data, arg, sizeof(clip.data));
		if (H.consumers[c].mc.attached)
			harness_clip_command(&H, c, req.type, &clip, &reply);
		break;
	}
	}
	H.requests_queued = 0;	/* requests a stopped device did not take */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct script s = { data, size, 0 };
	const struct vdmabuf_limits limits = { 8, 16, 1 << 20 };
	const char *why;

	harness_init(&H, &limits, VDMABUF_MODEL_FEATURES);
	/* Below 8 buffers of up to 8 pages: the pinned budget binds too. */
	H.model.max_pinned = 16 * VDMABUF_PAGE_SIZE;
	num_known = 0;
	while (s.pos < s.len) {
		step(&s);
		why = harness_check(&H);
		if (why) {
			fprintf(stderr, "fuzz-model: after byte %zu: %s\n", s.pos, why);
			abort();
		}
	}
	harness_finish(&H);
	if (H.live_imports != 0) {
		fprintf(stderr, "fuzz-model: %ld host imports leaked\n", H.live_imports);
		abort();
	}
	return 0;
}
