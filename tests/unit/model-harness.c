// SPDX-License-Identifier: MIT
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model-harness.h"

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - __builtin_offsetof(type, member)))

static struct harness *from_model(struct vdmabuf_model *m)
{
	return container_of(m, struct harness, model);
}

static int h_pop(struct vdmabuf_model *m, unsigned int vq, struct vdmabuf_model_chain *chain)
{
	struct harness *h = from_model(m);

	if (vq == VDMABUF_VQ_EVENT) {
		if (!h->posted)
			return 0;
		h->posted--;
		*chain = (struct vdmabuf_model_chain){ .head = 1, .in_len = 64 };
		return 1;
	}
	if (!h->requests_queued)
		return 0;
	*chain = (struct vdmabuf_model_chain){
		.head = (uint16_t)h->requests_head, .num_out = 1,
		.out_len = h->request_len[h->requests_head], .in_len = h->reply_room,
	};
	if (h->bad_chain) {
		h->bad_chain = false;
		return -EINVAL;
	}
	return 1;
}

static long h_read(struct vdmabuf_model *m, unsigned int vq, void *dst, size_t len)
{
	struct harness *h = from_model(m);
	size_t n = h->request_len[h->requests_head];

	if (vq != VDMABUF_VQ_CONTROL)
		return 0;
	if (n > len)
		n = len;
	memcpy(dst, h->requests[h->requests_head], n);
	return (long)n;
}

static void clip_received(struct harness_clip *clip, uint32_t transfer, const void *data,
			  uint32_t len, bool end, int32_t status)
{
	if (clip->len < HARNESS_CLIP)
		memcpy(clip->data + clip->len, data,
		       len < HARNESS_CLIP - clip->len ? len : HARNESS_CLIP - clip->len);
	clip->transfer = transfer;
	clip->len += len;
	clip->pieces++;
	if (end) {
		clip->ended = true;
		clip->status = status;
	}
}

static long h_write(struct vdmabuf_model *m, unsigned int vq, const void *src, size_t len)
{
	struct harness *h = from_model(m);

	if (vq == VDMABUF_VQ_EVENT) {
		const struct vdmabuf_event *ev = src;

		if (le32toh(ev->type) == VDMABUF_EVENT_CLIP_DATA)
			clip_received(&h->clip, le32toh(ev->u.piece.transfer), ev->u.piece.data,
				      le16toh(ev->u.piece.len), ev->u.piece.flags & VDMABUF_CLIP_END,
				      ev->u.piece.status);
		if (h->num_events < HARNESS_EVENTS)
			memcpy(&h->events[h->num_events++], src, sizeof(h->events[0]));
		h->events_received++;
		return (long)len;
	}
	if (len > h->reply_room)
		len = h->reply_room;
	memcpy(&h->reply, src, len < sizeof(h->reply) ? len : sizeof(h->reply));
	return (long)len;
}

static void h_push(struct vdmabuf_model *m, unsigned int vq, uint16_t head, uint32_t len)
{
	struct harness *h = from_model(m);

	if (vq != VDMABUF_VQ_CONTROL)
		return;
	h->used_len = len;
	h->control_pushed++;
	h->requests_head = (h->requests_head + 1) % 8;
	h->requests_queued--;
}

static bool h_notify(struct vdmabuf_model *m, unsigned int vq)
{
	from_model(m)->notified[vq]++;
	return true;
}

/* As the daemon does: events now, anything else on the next turn. */
static void h_schedule(struct vdmabuf_model *m, unsigned int vq)
{
	struct harness *h = from_model(m);

	h->scheduled[vq]++;
	if (vq == VDMABUF_VQ_EVENT && !h->flushing) {
		h->flushing = true;
		vdmabuf_model_process(m, vq);
		h->flushing = false;
	}
}

static void h_send(struct vdmabuf_model *m, struct vdmabuf_model_consumer *mc,
		   const struct vdmabuf_consumer_msg *msg)
{
	struct harness_consumer *c = container_of(mc, struct harness_consumer, mc);

	if (msg->type == VDMABUF_MSG_CLIP_DATA)
		clip_received(&c->clip, msg->u.clip.transfer, msg->u.clip.data, msg->u.clip.len,
			      msg->u.clip.flags & VDMABUF_CLIP_END, msg->u.clip.status);
	if (c->num_mail < HARNESS_MAILBOX)
		c->mail[c->num_mail++] = *msg;
	c->received++;
}

static __u32 h_import_create(struct vdmabuf_model *m, const struct vdmabuf_export *req,
			     const struct vdmabuf_extent *extents, __u64 *size, void **import)
{
	struct harness *h = from_model(m);

	if (h->import_status != VDMABUF_S_OK)
		return h->import_status;
	*size = le64toh(req->size);
	*import = malloc(1);
	if (!*import)
		return VDMABUF_S_ENOMEM;
	h->live_imports++;
	return VDMABUF_S_OK;
}

static void h_import_revoke(struct vdmabuf_model *m, void *import)
{
	from_model(m)->revoked++;
}

static bool h_import_busy(struct vdmabuf_model *m, void *import)
{
	return from_model(m)->imports_busy;
}

static void h_import_destroy(struct vdmabuf_model *m, void *import)
{
	from_model(m)->live_imports--;
	free(import);
}

static void h_disconnect(struct vdmabuf_model *m, struct vdmabuf_model_consumer *mc)
{
	((struct harness_consumer *)mc)->disconnected = true;
}

static void h_arm_timer(struct vdmabuf_model *m, __u64 when_ns)
{
	from_model(m)->timer_ns = when_ns;
}

static __u64 h_now_ns(struct vdmabuf_model *m)
{
	return from_model(m)->clock_ns += 1000;
}

/* xorshift64: deterministic, so that a fuzzer's run replays. */
static void h_random(struct vdmabuf_model *m, void *buf, size_t len)
{
	struct harness *h = from_model(m);
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++) {
		h->rng ^= h->rng << 13;
		h->rng ^= h->rng >> 7;
		h->rng ^= h->rng << 17;
		p[i] = (uint8_t)h->rng;
	}
}

static const struct vdmabuf_model_ops harness_ops = {
	.pop = h_pop,
	.read = h_read,
	.write = h_write,
	.push = h_push,
	.notify = h_notify,
	.schedule = h_schedule,
	.send = h_send,
	.import_create = h_import_create,
	.import_revoke = h_import_revoke,
	.import_busy = h_import_busy,
	.import_destroy = h_import_destroy,
	.disconnect = h_disconnect,
	.arm_timer = h_arm_timer,
	.now_ns = h_now_ns,
	.random = h_random,
};

void harness_init(struct harness *h, const struct vdmabuf_limits *limits, uint64_t features)
{
	const struct vdmabuf_limits spec = {
		VDMABUF_MAX_BUFFERS, VDMABUF_MAX_EXTENTS, VDMABUF_MAX_BUFFER_SIZE,
	};

	memset(h, 0, sizeof(*h));
	h->reply_room = sizeof(struct vdmabuf_reply);
	h->rng = 0x9e3779b97f4a7c15ull;
	if (vdmabuf_model_init(&h->model, &harness_ops, limits ? limits : &spec) < 0)
		abort();
	vdmabuf_model_start(&h->model, features, (const unsigned int[]){ 8, 8 });
}

void harness_finish(struct harness *h)
{
	for (unsigned int i = 0; i < HARNESS_CONSUMERS; i++)
		vdmabuf_model_detach(&h->model, &h->consumers[i].mc);
	vdmabuf_model_reset(&h->model);
	vdmabuf_model_finish(&h->model);
}

int harness_request(struct harness *h, const void *req, size_t len)
{
	unsigned int slot = (h->requests_head + h->requests_queued) % 8;
	unsigned long pushed = h->control_pushed;

	if (len > HARNESS_REQUEST)
		len = HARNESS_REQUEST;
	memcpy(h->requests[slot], req, len);
	h->request_len[slot] = len;
	h->requests_queued++;
	memset(&h->reply, 0xff, sizeof(h->reply));
	vdmabuf_model_process(&h->model, VDMABUF_VQ_CONTROL);
	if (h->control_pushed == pushed || h->used_len < sizeof(h->reply))
		return -1;
	return (int)le32toh(h->reply.status);
}

/* The engine comes back for what a run's budget left, as the daemon's loop does. */
void harness_post_events(struct harness *h, unsigned int n)
{
	unsigned long before;

	h->posted += n;
	do {
		before = h->events_received;
		vdmabuf_model_process(&h->model, VDMABUF_VQ_EVENT);
	} while (h->events_received != before);
}

size_t harness_export(void *buf, uint32_t width, uint32_t height, uint32_t pages)
{
	struct vdmabuf_export *req = buf;
	struct vdmabuf_extent *ext = (void *)(req + 1);

	memset(req, 0, sizeof(*req) + sizeof(*ext));
	req->hdr.type = htole32(VDMABUF_CTRL_EXPORT);
	req->hdr.cookie = htole64(77);
	req->width = htole32(width);
	req->height = htole32(height);
	req->fourcc = htole32(0x34325258);	/* XR24 */
	req->num_planes = htole32(1);
	req->planes[0].stride = htole32(width * 4);
	req->size = htole64((uint64_t)pages * VDMABUF_PAGE_SIZE);
	req->num_extents = htole32(1);
	ext->addr = htole64(0x100000);
	ext->len = req->size;
	return sizeof(*req) + sizeof(*ext);
}

static struct vdmabuf_wire_id to_wire(const struct vdmabuf_id *id)
{
	return (struct vdmabuf_wire_id){ htole64(id->device), htole64(id->key) };
}

void harness_present(struct vdmabuf_present *req, const struct vdmabuf_id *id,
		     uint64_t frame, uint32_t num_damage)
{
	memset(req, 0, sizeof(*req));
	req->hdr.type = htole32(VDMABUF_CTRL_PRESENT);
	req->id = to_wire(id);
	req->frame = htole64(frame);
	req->num_damage = htole32(num_damage);
	for (uint32_t i = 0; i < num_damage && i < VDMABUF_MAX_DAMAGE; i++)
		req->damage[i] = (struct vdmabuf_rect){
			htole32(i), htole32(2 * i), htole32(8), htole32(4),
		};
}

void harness_unexport(struct vdmabuf_unexport *req, const struct vdmabuf_id *id)
{
	memset(req, 0, sizeof(*req));
	req->hdr.type = htole32(VDMABUF_CTRL_UNEXPORT);
	req->id = to_wire(id);
}

void harness_pointer(struct vdmabuf_pointer *req, const struct vdmabuf_id *id,
		     uint64_t serial, uint32_t hotspot_x, uint32_t hotspot_y,
		     uint32_t constraint)
{
	memset(req, 0, sizeof(*req));
	req->hdr.type = htole32(VDMABUF_CTRL_POINTER);
	if (id) {
		req->id = to_wire(id);
		req->flags = htole32(VDMABUF_POINTER_IMAGE);
	}
	req->serial = htole64(serial);
	req->hotspot_x = htole32(hotspot_x);
	req->hotspot_y = htole32(hotspot_y);
	req->constraint = htole32(constraint);
}

int harness_clip(struct harness *h, uint32_t type, uint32_t a, uint32_t b, uint32_t c,
		 uint32_t d)
{
	struct vdmabuf_clip_req req = { .hdr.type = htole32(type) };
	__le32 *field = (__le32 *)req.u.raw;

	field[0] = htole32(a);
	field[1] = htole32(b);
	field[2] = htole32(c);
	field[3] = htole32(d);
	return harness_request(h, &req, sizeof(req));
}

int harness_clip_data(struct harness *h, uint32_t transfer, const void *data, uint32_t len,
		      uint32_t flags, uint32_t status)
{
	uint8_t buf[HARNESS_REQUEST];
	struct vdmabuf_clip_data *req = (void *)buf;

	if (len > sizeof(buf) - sizeof(*req))
		abort();
	memset(req, 0, sizeof(*req));
	req->hdr.type = htole32(VDMABUF_CTRL_CLIP_DATA);
	req->transfer = htole32(transfer);
	req->len = htole32(len);
	req->flags = htole32(flags);
	req->status = htole32(status);
	memcpy(req + 1, data, len);
	return harness_request(h, buf, sizeof(*req) + len);
}

int harness_clip_command(struct harness *h, unsigned int i, uint32_t type,
			 const struct vdmabuf_msg_clip *clip, struct vdmabuf_consumer_msg *reply)
{
	struct vdmabuf_consumer_msg req = { .type = type, .u.clip = *clip };
	void *import;

	return vdmabuf_model_command(&h->model, &h->consumers[i].mc, &req, reply, &import);
}

void harness_clip_clear(struct harness_clip *clip)
{
	memset(clip, 0, sizeof(*clip));
}

struct vdmabuf_id harness_reply_id(const struct harness *h)
{
	return (struct vdmabuf_id){ le64toh(h->reply.id.device), le64toh(h->reply.id.key) };
}

struct vdmabuf_id harness_new_buffer(struct harness *h)
{
	uint8_t req[HARNESS_REQUEST];
	size_t len = harness_export(req, 64, 64, 4);

	if (harness_request(h, req, len) != VDMABUF_S_OK) {
		fprintf(stderr, "harness: export refused\n");
		abort();
	}
	return harness_reply_id(h);
}

struct harness_consumer *harness_attach(struct harness *h, unsigned int i)
{
	struct harness_consumer *c = &h->consumers[i];

	memset(c, 0, sizeof(*c));
	c->mc.pid = 1000 + (int)i;
	if (vdmabuf_model_attach(&h->model, &c->mc) < 0)
		return NULL;
	return c;
}

void harness_detach(struct harness *h, unsigned int i)
{
	vdmabuf_model_detach(&h->model, &h->consumers[i].mc);
}

int harness_command(struct harness *h, unsigned int i, uint32_t type,
		    const struct vdmabuf_id *id, uint64_t frame,
		    struct vdmabuf_consumer_msg *reply)
{
	struct vdmabuf_consumer_msg req = { .type = type };
	void *import;
	int err;

	if (id)
		req.id = *id;
	req.u.release.frame = frame;
	err = vdmabuf_model_command(&h->model, &h->consumers[i].mc, &req, reply, &import);
	if (reply->type == VDMABUF_MSG_IMPORT && !import)
		abort();
	return err;
}

const struct vdmabuf_consumer_msg *harness_mail(const struct harness_consumer *c,
						uint32_t type)
{
	for (unsigned int i = c->num_mail; i-- > 0;)
		if (c->mail[i].type == type)
			return &c->mail[i];
	return NULL;
}

unsigned int harness_count_events(const struct harness *h, uint32_t type)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < h->num_events; i++)
		n += le32toh(h->events[i].type) == type;
	return n;
}

const struct vdmabuf_event *harness_last_event(const struct harness *h, uint32_t type)
{
	for (unsigned int i = h->num_events; i-- > 0;)
		if (le32toh(h->events[i].type) == type)
			return &h->events[i];
	return NULL;
}

/* The clipboard's invariants (§17). */
static const char *check_clip(const struct vdmabuf_model *m)
{
	unsigned int queued = 0;

	for (unsigned int i = 0; i < m->backlog_len; i++) {
		uint32_t type = le32toh(m->backlog[(m->backlog_head + i) % VDMABUF_MODEL_BACKLOG].type);

		queued += type >= VDMABUF_EVENT_SELECTION && type <= VDMABUF_EVENT_CLIP_CANCEL;
	}
	if (queued != m->clip_queued)
		return "clip_queued differs from the clipboard events queued";
	if (m->clip_queued > VDMABUF_MODEL_CLIP_BACKLOG)
		return "clipboard events beyond their share of the backlog";
	for (unsigned int i = 0; i < VDMABUF_CLIP_TRANSFERS; i++) {
		const struct vdmabuf_model_transfer *t = &m->transfers[i];

		if (!t->id)
			continue;
		for (unsigned int j = i + 1; j < VDMABUF_CLIP_TRANSFERS; j++)
			if (m->transfers[j].id == t->id)
				return "two transfers with one id";
		if (!t->consumer || !t->consumer->attached || t->consumer != m->seat)
			return "a transfer whose host end is not the seat holder";
		if (t->acked > t->delivered || t->delivered > t->queued ||
		    t->queued + t->pend_len != t->received)
			return "a transfer's bytes out of order: acked <= delivered <= queued";
		if (t->received - t->acked > VDMABUF_CLIP_WINDOW)
			return "a transfer beyond its window";
		if (t->received > VDMABUF_CLIP_MAX_SIZE)
			return "a transfer beyond the cap";
		if (t->pend_len >= (t->guest_sources ? VDMABUF_MSG_CLIP_CHUNK : VDMABUF_CLIP_PIECE))
			return "a whole piece staged";
	}
	for (unsigned int i = 0; i < VDMABUF_SELECTIONS; i++) {
		const struct vdmabuf_model_offer *o = &m->offers[i];

		if (o->formats & ~VDMABUF_CLIP_ALL_FORMATS)
			return "an offer of unknown formats";
		if (o->formats && o->owner == VDMABUF_CLIP_OWNER_HOST && o->consumer != m->seat)
			return "a host offer not the seat holder's";
		if (o->formats && o->owner == VDMABUF_CLIP_OWNER_GUEST && !m->running)
			return "a guest offer while the device is stopped";
	}
	return NULL;
}

const char *harness_check(const struct harness *h)
{
	const struct vdmabuf_model *m = &h->model;
	unsigned int live = 0, held = 0, consumers = 0;
	uint64_t imports = 0, slots = 0, pinned = 0;
	struct vdmabuf_model_buffer *b;

	vdmabuf_model_for_each_buffer(b, (struct vdmabuf_model *)m) {
		held++;
		pinned += b->desc.size;
		live += !b->unexported;
		imports += (uint64_t)__builtin_popcountll(b->importers);
		if (b->owed & ~b->importers)
			return "a frame owed by a slot holding no import";
		if (b->owed && !b->presented)
			return "a frame owed but not presented";
		if (b->unexported && !b->importers)
			return "an unexported buffer without imports not retired";
		if (b->unexported && (b->presented || b->owed))
			return "an unexported buffer still presented";
		if (b->importers & ~m->slots_used)
			return "an import by a slot nobody holds";
		if (b->id.device != m->instance)
			return "a buffer of another instance";
	}
	for (unsigned int i = 0; i < HARNESS_CONSUMERS; i++) {
		if (!h->consumers[i].mc.attached)
			continue;
		consumers++;
		if (slots & (1ull << h->consumers[i].mc.slot))
			return "two consumers in one slot";
		slots |= 1ull << h->consumers[i].mc.slot;
	}
	if (live != m->num_buffers)
		return "num_buffers differs from the live buffers";
	if (held != m->num_held)
		return "num_held differs from the buffers held";
	if (imports != m->stats.imports)
		return "stats.imports differs from the imports held";
	if (consumers != m->num_consumers || slots != m->slots_used)
		return "consumer count or slots differ from the consumers attached";
	if ((long)held != h->live_imports)
		return "host imports live differ from the buffers held";
	if (pinned != m->pinned_bytes)
		return "pinned_bytes differs from the bytes of the buffers held";
	if (m->max_pinned && pinned > m->max_pinned)
		return "more bytes held than the pinned budget";
	if (m->pointer.flags & VDMABUF_POINTER_IMAGE) {
		bool found = false;

		vdmabuf_model_for_each_buffer(b, (struct vdmabuf_model *)m)
			found |= b->id.device == m->pointer_id.device &&
				 b->id.key == m->pointer_id.key && !b->unexported;
		if (!found)
			return "the cursor image is not a live buffer";
	}
	if (m->pointer.flags & ~VDMABUF_POINTER_IMAGE ||
	    m->pointer.constraint > VDMABUF_CONSTRAINT_CONFINED)
		return "a pointer state no POINTER could set";
	if (!m->running && (m->pointer.flags || m->pointer.constraint))
		return "a pointer state while the device is stopped";
	if (m->seat && !m->seat->attached)
		return "the seat held by a consumer that is gone";
	if (m->keymap_received > m->keymap_size)
		return "more keymap received than its size";
	if (m->stats.releases_total > m->stats.frames_total + m->stats.cursors_total)
		return "more releases than frames and cursor images presented";
	if (m->backlog_len > VDMABUF_MODEL_BACKLOG)
		return "backlog overflowed";
	if (m->num_buffers > m->limits.max_buffers)
		return "more buffers than the limit";
	if (m->formats_queued > VDMABUF_MODEL_FORMAT_EVENTS)
		return "more than one list of formats queued";
	if (m->num_formats > VDMABUF_MAX_FORMATS)
		return "a list of formats over the limit";
	for (unsigned int i = 0; i < HARNESS_CONSUMERS; i++) {
		const struct vdmabuf_model_consumer *c = &h->consumers[i].mc;

		if (c->formats_received > c->formats_total ||
		    (c->formats_total && !c->formats))
			return "a consumer's list of formats is inconsistent";
		if (!c->attached && c->formats)
			return "a consumer that is gone still holds formats";
	}
	return check_clip(m);
}
