// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * The vdmabuf device model (vdmabuf_model.h): control requests from the
 * guest, events to it, and the host consumers in between, for both
 * engines. Built into the daemon as it is and into vhost_vdmabuf.ko
 * through kmod/vhost_vdmabuf_model.c; the few lines that differ between
 * the two (allocation, logging, byte order) are the macros below.
 */
#ifdef __KERNEL__
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/string.h>

/* Charged to the memcg of the owner (the worker's active memcg). */
#define model_zalloc(size)	kvzalloc(size, GFP_KERNEL_ACCOUNT)
#define model_free(p)		kvfree(p)
#define model_popcount(x)	hweight64(x)
#define model_ffz(x)		__ffs64(~(x))
#define cpu_to_le16_(x)		cpu_to_le16(x)
#define cpu_to_le32_(x)		cpu_to_le32(x)
#define cpu_to_le64_(x)		cpu_to_le64(x)
#define model_debug(m, fmt, ...) pr_debug("dev %u: " fmt "\n", (m)->nr, ##__VA_ARGS__)
#define model_print_info(m, fmt, ...) pr_info("dev %u: " fmt "\n", (m)->nr, ##__VA_ARGS__)
#define model_print_warn(m, fmt, ...) pr_warn("dev %u: " fmt "\n", (m)->nr, ##__VA_ARGS__)
#define model_print_error(m, fmt, ...) pr_err("dev %u: " fmt "\n", (m)->nr, ##__VA_ARGS__)
#else
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define model_zalloc(size)	calloc(1, size)
#define model_free(p)		free(p)
#define model_popcount(x)	((unsigned int)__builtin_popcountll(x))
#define model_ffz(x)		((unsigned int)__builtin_ctzll(~(x)))
#define cpu_to_le16_(x)		htole16(x)
#define cpu_to_le32_(x)		htole32(x)
#define cpu_to_le64_(x)		htole64(x)
#define model_debug(m, fmt, ...) log_debug(fmt, ##__VA_ARGS__)
#define model_print_info(m, fmt, ...) log_info(fmt, ##__VA_ARGS__)
#define model_print_warn(m, fmt, ...) log_warn(fmt, ##__VA_ARGS__)
#define model_print_error(m, fmt, ...) log_error(fmt, ##__VA_ARGS__)
#endif

#include "vdmabuf_model.h"

bool vdmabuf_log_limit(struct vdmabuf_log_limit *l, __u64 now, unsigned int *summary)
{
	*summary = 0;
	if (!l->lines || now - l->window_ns >= VDMABUF_MODEL_LOG_INTERVAL_NS) {
		if (l->lines > VDMABUF_MODEL_LOG_BURST)
			*summary = l->lines - VDMABUF_MODEL_LOG_BURST;
		l->window_ns = now;
		l->lines = 0;
	}
	if (l->lines++ < VDMABUF_MODEL_LOG_BURST)
		return true;
	l->suppressed++;
	return false;
}

bool vdmabuf_model_log_allowed(struct vdmabuf_model *m)
{
	unsigned int summary;
	bool allowed = vdmabuf_log_limit(&m->log, m->ops->now_ns(m), &summary);

	if (summary)
		model_print_warn(m, "%u log lines suppressed", summary);
	return allowed;
}

#define model_info(m, ...) \
	do { if (vdmabuf_model_log_allowed(m)) model_print_info(m, __VA_ARGS__); } while (0)
#define model_warn(m, ...) \
	do { if (vdmabuf_model_log_allowed(m)) model_print_warn(m, __VA_ARGS__); } while (0)
#define model_error(m, ...) \
	do { if (vdmabuf_model_log_allowed(m)) model_print_error(m, __VA_ARGS__); } while (0)

#define ID_FMT "%016llx:%016llx"
#define ID_ARG(id) (unsigned long long)(id)->device, (unsigned long long)(id)->key

static void link_init(struct vdmabuf_model_link *head)
{
	head->prev = head->next = head;
}

static void link_add_tail(struct vdmabuf_model_link *head, struct vdmabuf_model_link *elm)
{
	elm->prev = head->prev;
	elm->next = head;
	head->prev->next = elm;
	head->prev = elm;
}

static void link_del(struct vdmabuf_model_link *elm)
{
	elm->prev->next = elm->next;
	elm->next->prev = elm->prev;
	elm->prev = elm->next = elm;
}

/* Both lists hold their structs at offset 0 of the link. */
#define next_buffer(b) ((struct vdmabuf_model_buffer *)(b)->link.next)
#define next_consumer(c) ((struct vdmabuf_model_consumer *)(c)->link.next)
#define for_each_buffer_safe(b, tmp, m)						\
	for ((b) = (struct vdmabuf_model_buffer *)(m)->buffers.next,		\
	     (tmp) = next_buffer(b); &(b)->link != &(m)->buffers;		\
	     (b) = (tmp), (tmp) = next_buffer(b))
#define for_each_consumer(c, m)							\
	for ((c) = (struct vdmabuf_model_consumer *)(m)->consumers.next;	\
	     &(c)->link != &(m)->consumers; (c) = next_consumer(c))

static bool has_feature(const struct vdmabuf_model *m, unsigned int bit)
{
	return m->features & (1ull << bit);
}

static bool id_equal(const struct vdmabuf_id *a, const struct vdmabuf_id *b)
{
	return a->device == b->device && a->key == b->key;
}

static struct vdmabuf_wire_id wire_id(const struct vdmabuf_id *id)
{
	return (struct vdmabuf_wire_id){ cpu_to_le64_(id->device), cpu_to_le64_(id->key) };
}

static struct vdmabuf_id cpu_id(const struct vdmabuf_wire_id *id)
{
	return (struct vdmabuf_id){ vdmabuf_le64_to_cpu(id->device),
				    vdmabuf_le64_to_cpu(id->key) };
}

static struct vdmabuf_model_buffer *find_buffer(struct vdmabuf_model *m,
						const struct vdmabuf_id *id)
{
	struct vdmabuf_model_buffer *b;

	vdmabuf_model_for_each_buffer(b, m)
		if (id_equal(&b->id, id))
			return b;
	return NULL;
}

static void buffer_destroy(struct vdmabuf_model *m, struct vdmabuf_model_buffer *b)
{
	m->num_held--;
	m->pinned_bytes -= b->desc.size;
	link_del(&b->link);
	m->ops->import_destroy(m, b->import);
	model_free(b);
}

static void broadcast(struct vdmabuf_model *m, const struct vdmabuf_consumer_msg *msg)
{
	struct vdmabuf_model_consumer *c;

	for_each_consumer(c, m)
		m->ops->send(m, c, msg);
}

/* The guest's pointer (§16), to one consumer or to all. */
static void send_pointer(struct vdmabuf_model *m, struct vdmabuf_model_consumer *only)
{
	struct vdmabuf_consumer_msg msg = {
		.type = VDMABUF_MSG_POINTER,
		.u.pointer = m->pointer,
	};

	if (m->pointer.flags & VDMABUF_POINTER_IMAGE)
		msg.id = m->pointer_id;
	if (only)
		m->ops->send(m, only, &msg);
	else
		broadcast(m, &msg);
}

/* Anything to tell a consumer that connects: an image or a constraint. */
static bool pointer_set(const struct vdmabuf_model *m)
{
	return m->pointer.flags || m->pointer.constraint;
}

static bool pointer_shows(const struct vdmabuf_model *m, const struct vdmabuf_model_buffer *b)
{
	return (m->pointer.flags & VDMABUF_POINTER_IMAGE) && id_equal(&m->pointer_id, &b->id);
}

/* Events to the guest (§10) */

static void clip_event_taken(struct vdmabuf_model *m, const struct vdmabuf_event *ev);

static void flush_events(struct vdmabuf_model *m)
{
	const unsigned int vq = VDMABUF_VQ_EVENT;
	struct vdmabuf_model_chain chain;
	unsigned int budget = m->budget[vq];
	bool used = false;
	int ret;

	while (m->running && m->backlog_len && budget &&
	       (ret = m->ops->pop(m, vq, &chain)) != 0) {
		const struct vdmabuf_event *ev = &m->backlog[m->backlog_head];
		long written = 0;

		if (ret == -EIO)
			break;
		budget--;
		if (ret > 0 && chain.num_out == 0 && chain.in_len >= sizeof(*ev)) {
			written = m->ops->write(m, vq, ev, sizeof(*ev));
			if (written < 0)
				written = 0;
			if (vdmabuf_le32_to_cpu(ev->type) == VDMABUF_EVENT_FORMATS)
				m->formats_queued--;
			else if (vdmabuf_le32_to_cpu(ev->type) == VDMABUF_EVENT_PRESENT_ERROR)
				m->errors_queued--;
			clip_event_taken(m, ev);
			m->backlog_head = (m->backlog_head + 1) % VDMABUF_MODEL_BACKLOG;
			m->backlog_len--;
		} else {
			model_warn(m, "event: unusable buffer from the guest");
			m->stats.bad_requests++;
		}
		m->ops->push(m, vq, chain.head, written);
		used = true;
	}
	if (m->running && m->backlog_len && !budget)
		m->ops->schedule(m, vq);
	if (used && m->ops->notify(m, vq))
		m->stats.interrupts++;
}

static struct vdmabuf_event *queued_event(struct vdmabuf_model *m, unsigned int i)
{
	return &m->backlog[(m->backlog_head + i) % VDMABUF_MODEL_BACKLOG];
}

static bool is_clip_event(__u32 type)
{
	return type >= VDMABUF_EVENT_SELECTION && type <= VDMABUF_EVENT_CLIP_CANCEL;
}

/*
 * Folds ev into queued, an event of its type the guest has not taken yet,
 * where a newer one makes it moot: a newer count, mode or offer of the
 * same selection replaces it; acknowledgements of a transfer add up.
 */
static bool merge_event(struct vdmabuf_event *queued, const struct vdmabuf_event *ev)
{
	if (queued->type != ev->type)
		return false;
	switch (vdmabuf_le32_to_cpu(ev->type)) {
	case VDMABUF_EVENT_CONSUMERS:
		break;
	case VDMABUF_EVENT_MODE_HINT:
		if (queued->u.mode_hint.output != ev->u.mode_hint.output)
			return false;
		break;
	case VDMABUF_EVENT_SELECTION:
		if (queued->u.offer.selection != ev->u.offer.selection)
			return false;
		break;
	case VDMABUF_EVENT_CLIP_ACK:
		if (queued->u.ack.transfer != ev->u.ack.transfer)
			return false;
		queued->u.ack.bytes = cpu_to_le32_(vdmabuf_le32_to_cpu(queued->u.ack.bytes) +
						   vdmabuf_le32_to_cpu(ev->u.ack.bytes));
		return true;
	default:
		return false;
	}
	*queued = *ev;
	return true;
}

static void send_event(struct vdmabuf_model *m, const struct vdmabuf_event *ev)
{
	__u32 type = vdmabuf_le32_to_cpu(ev->type);
	unsigned int i;

	/* Only these ever merge: every other event queues without a scan. */
	if (type == VDMABUF_EVENT_CONSUMERS || type == VDMABUF_EVENT_MODE_HINT ||
	    type == VDMABUF_EVENT_SELECTION || type == VDMABUF_EVENT_CLIP_ACK) {
		for (i = 0; i < m->backlog_len; i++)
			if (merge_event(queued_event(m, i), ev))
				return;
	}
	/*
	 * Cannot happen while the guest posts event buffers: each buffer has
	 * at most one RELEASE and one RETIRED pending, and the clipboard's
	 * transfers keep to their share (VDMABUF_MODEL_CLIP_BACKLOG).
	 */
	if (m->backlog_len == VDMABUF_MODEL_BACKLOG) {
		if (!m->events_lost++)
			model_error(m, "event: backlog full; events lost");
		return;
	}
	*queued_event(m, m->backlog_len++) = *ev;
	if (is_clip_event(type))
		m->clip_queued++;
	else if (type == VDMABUF_EVENT_FORMATS)
		m->formats_queued++;
	else if (type == VDMABUF_EVENT_PRESENT_ERROR)
		m->errors_queued++;
	m->ops->schedule(m, VDMABUF_VQ_EVENT);
}

static void send_release(struct vdmabuf_model *m, struct vdmabuf_model_buffer *b)
{
	struct vdmabuf_event ev = { .type = cpu_to_le32_(VDMABUF_EVENT_RELEASE) };
	struct vdmabuf_release *r = &ev.u.release;

	r->id = wire_id(&b->id);
	r->frame = cpu_to_le64_(b->frame);
	if (has_feature(m, VDMABUF_F_PRESENT_TIMING)) {
		r->present_ns = cpu_to_le64_(b->timing.present_ns);
		r->refresh_ns = cpu_to_le32_(b->timing.refresh_ns);
		r->sent_ns = cpu_to_le64_(m->ops->now_ns(m));
	}
	r->flags = cpu_to_le32_(b->timing.flags);
	b->presented = false;
	b->owed = 0;
	m->stats.releases_total++;
	send_event(m, &ev);
}

static void send_consumers(struct vdmabuf_model *m)
{
	struct vdmabuf_event ev = { .type = cpu_to_le32_(VDMABUF_EVENT_CONSUMERS) };

	if (!m->running || !has_feature(m, VDMABUF_F_CONSUMER_EVENTS))
		return;
	ev.u.consumers.count = cpu_to_le32_(m->num_consumers);
	send_event(m, &ev);
}

/* The host's wish for one output (§20): its mode, or GONE. */
static void send_mode_hint(struct vdmabuf_model *m, const struct vdmabuf_msg_mode *mode)
{
	struct vdmabuf_event ev = { .type = cpu_to_le32_(VDMABUF_EVENT_MODE_HINT) };

	if (!m->running || !has_feature(m, VDMABUF_F_MODE_HINT))
		return;
	/* A guest of one output hears of output 0 only. */
	if ((mode->output || mode->flags) && !has_feature(m, VDMABUF_F_OUTPUTS))
		return;
	ev.u.mode_hint.width = cpu_to_le32_(mode->width);
	ev.u.mode_hint.height = cpu_to_le32_(mode->height);
	ev.u.mode_hint.refresh_mhz = cpu_to_le32_(mode->refresh_mhz);
	ev.u.mode_hint.scale_120 = cpu_to_le32_(mode->scale_120);
	ev.u.mode_hint.output = cpu_to_le32_(mode->output);
	ev.u.mode_hint.flags = cpu_to_le32_(mode->flags);
	send_event(m, &ev);
}

/* One of the guest's outputs, to consumer c or (NULL) to all. */
static void send_output(struct vdmabuf_model *m, struct vdmabuf_model_consumer *c,
			const struct vdmabuf_msg_output *output)
{
	struct vdmabuf_consumer_msg msg = { .type = VDMABUF_MSG_OUTPUT };

	msg.u.output = *output;
	if (c)
		m->ops->send(m, c, &msg);
	else
		broadcast(m, &msg);
}

/* What the host imports (§18) */

/* Takes the queued pieces of an older list out of the backlog. */
static void drop_queued_formats(struct vdmabuf_model *m)
{
	unsigned int i, kept = 0;

	if (!m->formats_queued)
		return;
	for (i = 0; i < m->backlog_len; i++) {
		const struct vdmabuf_event *ev = queued_event(m, i);

		if (vdmabuf_le32_to_cpu(ev->type) != VDMABUF_EVENT_FORMATS)
			*queued_event(m, kept++) = *ev;
	}
	m->backlog_len = kept;
	m->formats_queued = 0;
}

/* The list in pieces; total 0 if there is none. */
static void send_formats(struct vdmabuf_model *m)
{
	struct vdmabuf_event ev = { .type = cpu_to_le32_(VDMABUF_EVENT_FORMATS) };
	unsigned int index = 0, i;

	if (!m->running || !has_feature(m, VDMABUF_F_FORMATS))
		return;
	drop_queued_formats(m);
	ev.u.formats.total = cpu_to_le16_(m->num_formats);
	do {
		ev.u.formats.index = cpu_to_le16_(index);
		memset(ev.u.formats.formats, 0, sizeof(ev.u.formats.formats));
		for (i = 0; i < VDMABUF_FORMATS_PER_EVENT && index < m->num_formats; i++, index++) {
			ev.u.formats.formats[i].fourcc = cpu_to_le32_(m->formats[index].fourcc);
			ev.u.formats.formats[i].modifier = cpu_to_le64_(m->formats[index].modifier);
		}
		send_event(m, &ev);
	} while (index < m->num_formats);
}

static bool consumer_has_list(const struct vdmabuf_model_consumer *c)
{
	return c->formats_total && c->formats_received == c->formats_total;
}

/* Frees c's list, whole or not; returns whether it was whole. */
static bool consumer_drop_list(struct vdmabuf_model_consumer *c)
{
	bool had = consumer_has_list(c);

	model_free(c->formats);
	c->formats = NULL;
	c->formats_total = c->formats_received = 0;
	return had;
}

static bool formats_have(const struct vdmabuf_format *list, unsigned int n,
			 const struct vdmabuf_format *f)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (list[i].fourcc == f->fourcc && list[i].modifier == f->modifier)
			return true;
	return false;
}

/*
 * The pairs every consumer with a list has, in the first one's order; the
 * guest hears of it when it changed.
 */
static void update_formats(struct vdmabuf_model *m)
{
	struct vdmabuf_model_consumer *c, *first = NULL;
	struct vdmabuf_format *list = m->formats_next;
	unsigned int i, n = 0, lists = 0;

	for_each_consumer(c, m) {
		if (!consumer_has_list(c))
			continue;
		lists++;
		if (!first)
			first = c;
	}
	for (i = 0; first && i < first->formats_total; i++) {
		const struct vdmabuf_format *f = &first->formats[i];
		bool everyone = true;

		for_each_consumer(c, m)
			if (c != first && consumer_has_list(c) &&
			    !formats_have(c->formats, c->formats_total, f))
				everyone = false;
		if (everyone && !formats_have(list, n, f))
			list[n++] = *f;
	}
	if (n == m->num_formats && !memcmp(list, m->formats, n * sizeof(*list)))
		return;
	m->formats_next = m->formats;
	m->formats = list;
	m->num_formats = n;
	if (lists && !n)
		model_warn(m, "formats: no pair all %u consumers import; the guest falls back to LINEAR",
			   lists);
	else
		model_info(m, "formats: %u pairs, from %u consumers", n, lists);
	send_formats(m);
}

static int consumer_formats(struct vdmabuf_model *m, struct vdmabuf_model_consumer *c,
			    const struct vdmabuf_consumer_msg *req)
{
	const struct vdmabuf_msg_formats *f = &req->u.formats;
	unsigned int i;

	if (f->reserved || !vdmabuf_formats_piece_valid(f->index, f->total, f->count,
							 VDMABUF_MSG_FORMATS_CHUNK,
							 c->formats_received))
		return -EINVAL;
	for (i = 0; i < f->count; i++)
		if (!vdmabuf_format_valid(f->formats[i].fourcc, f->formats[i].reserved,
					  f->formats[i].modifier))
			return -EINVAL;
	if (!f->index) {
		/* A new list replaces the old one once whole; none, at once. */
		if (consumer_drop_list(c) && !f->total)
			update_formats(m);
		if (!f->total)
			return 0;
		c->formats = model_zalloc(f->total * sizeof(*c->formats));
		if (!c->formats)
			return -ENOMEM;
		c->formats_total = f->total;
	} else if (f->total != c->formats_total) {
		return -EINVAL;
	}
	memcpy(c->formats + f->index, f->formats, f->count * sizeof(*c->formats));
	c->formats_received += f->count;
	if (consumer_has_list(c)) {
		model_info(m, "formats: consumer %u imports %u pairs", c->slot, c->formats_total);
		update_formats(m);
	}
	return 0;
}

static void consumer_forget_formats(struct vdmabuf_model *m, struct vdmabuf_model_consumer *c)
{
	if (consumer_drop_list(c))
		update_formats(m);
}

/* The guest's seat (§15) */

static bool input_ready(struct vdmabuf_model *m)
{
	return m->running && has_feature(m, VDMABUF_F_INPUT);
}

/*
 * Room for n more seat events, never taking the buffers' share (§15.3),
 * the clipboard's (counted apart: its transfers keep to their windows) or
 * the formats' (one list at most).
 */
static bool input_room(const struct vdmabuf_model *m, unsigned int n)
{
	return m->backlog_len - m->clip_queued - m->formats_queued - m->errors_queued + n <=
	       VDMABUF_MODEL_BACKLOG - 2 * VDMABUF_MAX_BUFFERS - VDMABUF_MODEL_CLIP_BACKLOG -
	       VDMABUF_MODEL_FORMAT_EVENTS - VDMABUF_MODEL_PRESENT_ERROR_EVENTS;
}

static void send_input(struct vdmabuf_model *m, __u32 kind, __u32 output, __u64 time_usec,
		       const __s32 *args)
{
	struct vdmabuf_event ev = { .type = cpu_to_le32_(VDMABUF_EVENT_INPUT) };
	unsigned int i;

	ev.u.input.kind = cpu_to_le32_(kind);
	ev.u.input.output = cpu_to_le32_(output);
	ev.u.input.time_usec = cpu_to_le64_(time_usec);
	for (i = 0; args && i < VDMABUF_INPUT_ARGS; i++)
		ev.u.input.args[i] = cpu_to_le32_((__u32)args[i]);
	m->stats.input_events++;
	send_event(m, &ev);
}

/* The whole keymap, in pieces, if the guest takes input and there is room. */
static void send_keymap(struct vdmabuf_model *m)
{
	struct vdmabuf_event ev = { .type = cpu_to_le32_(VDMABUF_EVENT_KEYMAP) };
	__u32 offset, len;

	if (!input_ready(m) || !m->keymap_size || m->keymap_received != m->keymap_size)
		return;
	if (!input_room(m, m->keymap_size / VDMABUF_KEYMAP_CHUNK + 1)) {
		model_warn(m, "input: no room for a keymap of %u bytes", m->keymap_size);
		m->stats.input_dropped++;
		return;
	}
	ev.u.keymap.format = cpu_to_le32_(VDMABUF_KEYMAP_XKB_V1);
	ev.u.keymap.size = cpu_to_le32_(m->keymap_size);
	for (offset = 0; offset < m->keymap_size; offset += len) {
		len = m->keymap_size - offset;
		if (len > VDMABUF_KEYMAP_CHUNK)
			len = VDMABUF_KEYMAP_CHUNK;
		ev.u.keymap.offset = cpu_to_le32_(offset);
		ev.u.keymap.len = cpu_to_le32_(len);
		memset(ev.u.keymap.data, 0, sizeof(ev.u.keymap.data));
		memcpy(ev.u.keymap.data, m->keymap + offset, len);
		send_event(m, &ev);
	}
}

/* Whoever held the seat lets go: the guest releases what it held. */
static void clip_forget_consumer(struct vdmabuf_model *m, struct vdmabuf_model_consumer *c);

static void release_seat(struct vdmabuf_model *m)
{
	clip_forget_consumer(m, m->seat);
	m->seat = NULL;
	if (!input_ready(m) || !input_room(m, 2))
		return;
	send_input(m, VDMABUF_INPUT_KEYBOARD_LEAVE, 0, 0, NULL);
	send_input(m, VDMABUF_INPUT_POINTER_LEAVE, 0, 0, NULL);
}

/* A consumer slot let go of a presented frame; the last one releases it (§11). */
static void settle(struct vdmabuf_model *m, struct vdmabuf_model_buffer *b, __u64 slot_bit)
{
	if (!b->presented || !(b->owed & slot_bit))
		return;
	b->owed &= ~slot_bit;
	if (!b->owed)
		send_release(m, b);
}

/*
 * RETIRED once the guest unexported it, no consumer holds an import and
 * no host device maps its pages (§10.3).
 */
static void maybe_retire(struct vdmabuf_model *m, struct vdmabuf_model_buffer *b)
{
	struct vdmabuf_event ev = { .type = cpu_to_le32_(VDMABUF_EVENT_RETIRED) };

	if (!b->unexported || b->importers)
		return;
	b->busy = m->ops->import_busy && m->ops->import_busy(m, b->import);
	if (b->busy) {
		model_debug(m, "buffer " ID_FMT " waits for a host device to unmap it",
			    ID_ARG(&b->id));
		return;
	}
	ev.u.retired.id = wire_id(&b->id);
	model_debug(m, "buffer " ID_FMT " retired", ID_ARG(&b->id));
	buffer_destroy(m, b);
	send_event(m, &ev);
}

void vdmabuf_model_imports_idle(struct vdmabuf_model *m)
{
	struct vdmabuf_model_buffer *b, *tmp;

	for_each_buffer_safe(b, tmp, m)
		if (b->busy)
			maybe_retire(m, b);
}

/* One consumer slot lets go of its import of b. */
static void drop_import(struct vdmabuf_model *m, struct vdmabuf_model_buffer *b,
			__u64 slot_bit)
{
	settle(m, b, slot_bit);
	b->importers &= ~slot_bit;
	m->stats.imports--;
	maybe_retire(m, b);
}

/* Control requests (§8) */

static void announce(struct vdmabuf_model *m, struct vdmabuf_model_consumer *only,
		     struct vdmabuf_model_buffer *b)
{
	struct vdmabuf_consumer_msg msg = {
		.type = VDMABUF_MSG_BUFFER,
		.id = b->id,
		.u.buffer = b->desc,
	};

	if (only)
		m->ops->send(m, only, &msg);
	else
		broadcast(m, &msg);
}

static void describe(struct vdmabuf_msg_buffer *desc, const struct vdmabuf_export *req,
		     __u64 size)
{
	unsigned int i;

	*desc = (struct vdmabuf_msg_buffer){
		.width = vdmabuf_le32_to_cpu(req->width),
		.height = vdmabuf_le32_to_cpu(req->height),
		.fourcc = vdmabuf_le32_to_cpu(req->fourcc),
		.num_planes = vdmabuf_le32_to_cpu(req->num_planes),
		.modifier = vdmabuf_le64_to_cpu(req->modifier),
		.size = size,
		.num_extents = vdmabuf_le32_to_cpu(req->num_extents),
	};
	for (i = 0; i < VDMABUF_MAX_PLANES; i++) {
		desc->planes[i].offset = vdmabuf_le32_to_cpu(req->planes[i].offset);
		desc->planes[i].stride = vdmabuf_le32_to_cpu(req->planes[i].stride);
	}
}

/*
 * Whether the pinned-bytes budget has room for a checked EXPORT: the pages
 * of every buffer held count until it is destroyed (RETIRED or reset), as
 * the host pins them that long. The import covers exactly req->size bytes
 * (§8.1 step 10).
 */
static bool pinned_room(struct vdmabuf_model *m, const struct vdmabuf_export *req)
{
	__u64 size = vdmabuf_le64_to_cpu(req->size);

	if (!m->max_pinned || m->pinned_bytes + size <= m->max_pinned)
		return true;
	model_warn(m, "export %ux%u %.4s of %llu KiB refused: %llu of %llu KiB pinned",
		   vdmabuf_le32_to_cpu(req->width), vdmabuf_le32_to_cpu(req->height),
		   (const char *)&req->fourcc, (unsigned long long)(size >> 10),
		   (unsigned long long)(m->pinned_bytes >> 10),
		   (unsigned long long)(m->max_pinned >> 10));
	return false;
}

static __u32 handle_export(struct vdmabuf_model *m, size_t len, struct vdmabuf_reply *reply)
{
	const struct vdmabuf_export *req = (const void *)m->request;
	struct vdmabuf_model_buffer *b;
	__u32 status, random_key;
	__u64 size = 0;

	status = vdmabuf_check_export(req, len, m->limits.max_extents,
				      m->limits.max_buffer_size);
	if (status != VDMABUF_S_OK)
		return status;
	/*
	 * Every host import counts, unexported ones a consumer still holds
	 * too: each is a dmabuf (an fd in the daemon) and pinned pages.
	 */
	if (m->num_held >= m->limits.max_buffers || m->next_seq == 0)
		return VDMABUF_S_ENOSPC;
	if (!pinned_room(m, req))
		return VDMABUF_S_ENOSPC;
	b = model_zalloc(sizeof(*b));
	if (!b)
		return VDMABUF_S_ENOMEM;
	status = m->ops->import_create(m, req, (const void *)(m->request + sizeof(*req)),
				       &size, &b->import);
	if (status != VDMABUF_S_OK) {
		model_free(b);
		return status;
	}
	describe(&b->desc, req, size);
	m->ops->random(m, &random_key, sizeof(random_key));
	b->id.device = m->instance;
	b->id.key = (__u64)m->next_seq++ << 32 | random_key;
	link_add_tail(&m->buffers, &b->link);
	m->num_buffers++;
	m->num_held++;
	m->pinned_bytes += b->desc.size;
	m->stats.exports_total++;
	reply->id = wire_id(&b->id);
	model_debug(m, "buffer " ID_FMT " exported: %ux%u %.4s, %llu bytes in %u extents",
		    ID_ARG(&b->id), b->desc.width, b->desc.height,
		    (const char *)&b->desc.fourcc, (unsigned long long)b->desc.size,
		    b->desc.num_extents);
	announce(m, NULL, b);
	return VDMABUF_S_OK;
}

static void arm_timer(struct vdmabuf_model *m, __u64 when)
{
	if (m->timer_ns && m->timer_ns <= when)
		return;
	m->timer_ns = when;
	m->ops->arm_timer(m, when);
}

/*
 * b was just shown on its plane: consumers still owing an older frame of
 * that plane have until the deadline to release it (§11.3).
 */
static void supersede(struct vdmabuf_model *m, const struct vdmabuf_model_buffer *shown,
		      bool cursor)
{
	struct vdmabuf_model_buffer *b;
	__u64 now = m->ops->now_ns(m);

	vdmabuf_model_for_each_buffer(b, m) {
		if (b == shown || !b->presented || !b->owed || b->cursor != cursor ||
		    b->superseded_ns)
			continue;
		b->superseded_ns = now;
		arm_timer(m, now + m->release_deadline_ns);
	}
}

/* A frame of b is shown (FRAME or POINTER to consumers) on its plane. */
static void show(struct vdmabuf_model *m, struct vdmabuf_model_buffer *b, __u64 frame,
		 bool cursor)
{
	b->presented = true;
	b->cursor = cursor;
	b->superseded_ns = 0;
	b->frame = frame;
	b->owed = b->importers;
	memset(&b->timing, 0, sizeof(b->timing));
	supersede(m, b, cursor);
}

static __u32 handle_present(struct vdmabuf_model *m, size_t len, struct vdmabuf_reply *reply)
{
	const struct vdmabuf_present *req = (const void *)m->request;
	struct vdmabuf_consumer_msg msg = { .type = VDMABUF_MSG_FRAME };
	struct vdmabuf_model_buffer *b;
	__u32 status, n, i;

	status = vdmabuf_check_present(req, len, m->features);
	if (status != VDMABUF_S_OK)
		return status;
	reply->id = req->id;
	msg.id = cpu_id(&req->id);
	b = find_buffer(m, &msg.id);
	if (!b || b->unexported)
		return VDMABUF_S_ENOENT;
	if (b->presented)
		return VDMABUF_S_EBUSY;

	show(m, b, vdmabuf_le64_to_cpu(req->frame), false);
	m->stats.frames_total++;

	msg.u.frame.frame = b->frame;
	msg.u.frame.output = vdmabuf_le32_to_cpu(req->output);
	n = has_feature(m, VDMABUF_F_DAMAGE) ? vdmabuf_le32_to_cpu(req->num_damage) : 0;
	msg.u.frame.num_damage = n;
	for (i = 0; i < n; i++) {
		msg.u.frame.damage[i].x = vdmabuf_le32_to_cpu(req->damage[i].x);
		msg.u.frame.damage[i].y = vdmabuf_le32_to_cpu(req->damage[i].y);
		msg.u.frame.damage[i].width = vdmabuf_le32_to_cpu(req->damage[i].width);
		msg.u.frame.damage[i].height = vdmabuf_le32_to_cpu(req->damage[i].height);
	}
	broadcast(m, &msg);
	/* Nobody to show it: hand it straight back, marked not presented. */
	if (!b->owed)
		send_release(m, b);
	return VDMABUF_S_OK;
}

static __u32 handle_unexport(struct vdmabuf_model *m, size_t len, struct vdmabuf_reply *reply)
{
	const struct vdmabuf_unexport *req = (const void *)m->request;
	struct vdmabuf_consumer_msg msg = { .type = VDMABUF_MSG_GONE };
	struct vdmabuf_model_buffer *b;

	if (len < sizeof(*req) || req->hdr.flags)
		return VDMABUF_S_EINVAL;
	reply->id = req->id;
	msg.id = cpu_id(&req->id);
	b = find_buffer(m, &msg.id);
	if (!b)
		return VDMABUF_S_ENOENT;
	if (b->unexported)
		return VDMABUF_S_EBUSY;
	b->unexported = true;
	b->presented = false;
	b->owed = 0;
	m->num_buffers--;
	model_debug(m, "buffer " ID_FMT " unexported", ID_ARG(&b->id));
	if (m->ops->import_revoke)
		m->ops->import_revoke(m, b->import);
	broadcast(m, &msg);
	/* The cursor image gone: no cursor, the constraint kept. */
	if (pointer_shows(m, b)) {
		m->pointer = (struct vdmabuf_msg_pointer){
			.constraint = m->pointer.constraint,
		};
		m->pointer_id = (struct vdmabuf_id){ 0 };
		send_pointer(m, NULL);
	}
	maybe_retire(m, b);
	return VDMABUF_S_OK;
}

/*
 * POINTER (§16): the cursor image is presented as a frame is, on the
 * cursor plane, and released the same way (frame = serial); consumers
 * are told with MSG_POINTER instead of FRAME. Naming the image shown
 * now with its serial again changes the hotspot or constraint only: it
 * stays presented, and owes no second RELEASE.
 */
static __u32 handle_pointer(struct vdmabuf_model *m, size_t len, struct vdmabuf_reply *reply)
{
	const struct vdmabuf_pointer *req = (const void *)m->request;
	struct vdmabuf_msg_pointer state = { 0 };
	struct vdmabuf_model_buffer *b = NULL;
	struct vdmabuf_id id = { 0 };
	bool kept = false;

	if (!has_feature(m, VDMABUF_F_POINTER))
		return VDMABUF_S_ENOTSUP;
	if (len < sizeof(*req) || req->hdr.flags || req->reserved[0] || req->reserved[1])
		return VDMABUF_S_EINVAL;
	state.flags = vdmabuf_le32_to_cpu(req->flags);
	state.constraint = vdmabuf_le32_to_cpu(req->constraint);
	if (state.flags & ~VDMABUF_POINTER_IMAGE ||
	    state.constraint > VDMABUF_CONSTRAINT_CONFINED)
		return VDMABUF_S_EINVAL;
	reply->id = req->id;
	if (state.flags & VDMABUF_POINTER_IMAGE) {
		id = cpu_id(&req->id);
		b = find_buffer(m, &id);
		if (!b || b->unexported)
			return VDMABUF_S_ENOENT;
		state.serial = vdmabuf_le64_to_cpu(req->serial);
		state.hotspot_x = vdmabuf_le32_to_cpu(req->hotspot_x);
		state.hotspot_y = vdmabuf_le32_to_cpu(req->hotspot_y);
		if (state.hotspot_x >= b->desc.width || state.hotspot_y >= b->desc.height)
			return VDMABUF_S_EINVAL;
		kept = pointer_shows(m, b) && m->pointer.serial == state.serial;
		if (b->presented && !kept)
			return VDMABUF_S_EBUSY;
	}

	if (b && !kept) {
		show(m, b, state.serial, true);
		m->stats.cursors_total++;
	} else if (!b) {
		/* No cursor shown: every image before it is done with. */
		supersede(m, NULL, true);
	}
	m->pointer = state;
	m->pointer_id = id;
	send_pointer(m, NULL);
	/* Nobody to show it: hand it straight back, marked not presented. */
	if (b && !kept && !b->owed)
		send_release(m, b);
	return VDMABUF_S_OK;
}

/* The clipboard (§17) */

static bool clip_ready(const struct vdmabuf_model *m)
{
	return m->running && has_feature(m, VDMABUF_F_CLIPBOARD);
}

static struct vdmabuf_model_transfer *find_transfer(struct vdmabuf_model *m, __u32 id)
{
	unsigned int i;

	for (i = 0; id && i < VDMABUF_CLIP_TRANSFERS; i++)
		if (m->transfers[i].id == id)
			return &m->transfers[i];
	return NULL;
}

/* The guest took ev from the backlog. */
static void clip_event_taken(struct vdmabuf_model *m, const struct vdmabuf_event *ev)
{
	struct vdmabuf_model_transfer *t;

	if (!is_clip_event(vdmabuf_le32_to_cpu(ev->type)))
		return;
	m->clip_queued--;
	if (vdmabuf_le32_to_cpu(ev->type) != VDMABUF_EVENT_CLIP_DATA)
		return;
	t = find_transfer(m, vdmabuf_le32_to_cpu(ev->u.piece.transfer));
	if (t)
		t->delivered += vdmabuf_le16_to_cpu(ev->u.piece.len);
}

/* A selection's offer, to the guest (made by the host) or to consumers. */
static void send_offer(struct vdmabuf_model *m, unsigned int selection,
		       struct vdmabuf_model_consumer *only)
{
	const struct vdmabuf_model_offer *o = &m->offers[selection];

	if (o->owner == VDMABUF_CLIP_OWNER_HOST) {
		struct vdmabuf_event ev = { .type = cpu_to_le32_(VDMABUF_EVENT_SELECTION) };

		if (!clip_ready(m))
			return;
		ev.u.offer.selection = cpu_to_le32_(selection);
		ev.u.offer.serial = cpu_to_le32_(o->serial);
		ev.u.offer.formats = cpu_to_le32_(o->formats);
		ev.u.offer.owner = cpu_to_le32_(VDMABUF_CLIP_OWNER_HOST);
		send_event(m, &ev);
	} else {
		struct vdmabuf_consumer_msg msg = { .type = VDMABUF_MSG_SELECTION };

		msg.u.clip.selection = selection;
		msg.u.clip.serial = o->serial;
		msg.u.clip.formats = o->formats;
		msg.u.clip.owner = VDMABUF_CLIP_OWNER_GUEST;
		if (only)
			m->ops->send(m, only, &msg);
		else
			broadcast(m, &msg);
	}
}

/* Every standing offer owner made, to the guest or to consumers (only: one). */
static void send_offers(struct vdmabuf_model *m, __u32 owner,
			struct vdmabuf_model_consumer *only)
{
	unsigned int i;

	for (i = 0; i < VDMABUF_SELECTIONS; i++)
		if (m->offers[i].owner == owner && m->offers[i].formats)
			send_offer(m, i, only);
}

static void set_offer(struct vdmabuf_model *m, unsigned int selection, __u32 owner,
		      __u32 formats, struct vdmabuf_model_consumer *c)
{
	struct vdmabuf_model_offer *o = &m->offers[selection];

	o->serial = o->serial + 1 ? o->serial + 1 : 1;
	o->owner = owner;
	o->formats = formats;
	o->consumer = c;
	model_debug(m, "clipboard: selection %u serial %u: formats %#x from the %s", selection,
		    o->serial, formats, owner == VDMABUF_CLIP_OWNER_HOST ? "host" : "guest");
	send_offer(m, selection, NULL);
}

/* Room in the backlog for one more transfer beside everything queued. */
static bool transfer_room(const struct vdmabuf_model *m)
{
	unsigned int i, running = 0;

	for (i = 0; i < VDMABUF_CLIP_TRANSFERS; i++)
		running += m->transfers[i].id != 0;
	return m->clip_queued + (running + 1) * VDMABUF_MODEL_TRANSFER_EVENTS +
	       VDMABUF_SELECTIONS <= VDMABUF_MODEL_CLIP_BACKLOG;
}

static struct vdmabuf_model_transfer *transfer_create(struct vdmabuf_model *m,
						      struct vdmabuf_model_consumer *c,
						      __u32 selection, __u32 format,
						      bool guest_sources)
{
	struct vdmabuf_model_transfer *t = NULL;
	unsigned int i;

	for (i = 0; !t && i < VDMABUF_CLIP_TRANSFERS; i++)
		if (!m->transfers[i].id)
			t = &m->transfers[i];
	if (!t || !transfer_room(m))
		return NULL;
	memset(t, 0, sizeof(*t));
	do
		t->id = ++m->next_transfer;
	while (!t->id || find_transfer(m, t->id) != t);
	t->selection = selection;
	t->format = format;
	t->guest_sources = guest_sources;
	t->consumer = c;
	model_debug(m, "clipboard: transfer %u opened, selection %u format %u, %s to consumer %u",
		    t->id, selection, format, guest_sources ? "guest" : "host", c->slot);
	return t;
}

/* Hands the staged bytes to the sink; with end, the transfer's last piece. */
static void flush_pend(struct vdmabuf_model *m, struct vdmabuf_model_transfer *t, bool end,
		       __u32 status)
{
	if (t->guest_sources) {
		struct vdmabuf_consumer_msg msg = { .type = VDMABUF_MSG_CLIP_DATA };

		msg.u.clip.transfer = t->id;
		msg.u.clip.len = t->pend_len;
		msg.u.clip.flags = end ? VDMABUF_CLIP_END : 0;
		msg.u.clip.status = end ? vdmabuf_status_errno(status) : 0;
		memcpy(msg.u.clip.data, t->pend, t->pend_len);
		m->ops->send(m, t->consumer, &msg);
		t->delivered += t->pend_len;
	} else {
		struct vdmabuf_event ev = { .type = cpu_to_le32_(VDMABUF_EVENT_CLIP_DATA) };

		ev.u.piece.transfer = cpu_to_le32_(t->id);
		ev.u.piece.len = cpu_to_le16_(t->pend_len);
		ev.u.piece.flags = end ? VDMABUF_CLIP_END : 0;
		ev.u.piece.status = end ? status : 0;
		memcpy(ev.u.piece.data, t->pend, t->pend_len);
		send_event(m, &ev);
	}
	t->queued += t->pend_len;
	t->pend_len = 0;
}

/* Nagle: a partial piece goes once the sink has taken all the others. */
static void flush_idle(struct vdmabuf_model *m, struct vdmabuf_model_transfer *t)
{
	if (t->pend_len && t->queued == t->acked)
		flush_pend(m, t, false, 0);
}

/* Tells the source to stop, why in status. */
static void send_cancel(struct vdmabuf_model *m, struct vdmabuf_model_transfer *t, __u32 status)
{
	if (t->guest_sources) {
		struct vdmabuf_event ev = { .type = cpu_to_le32_(VDMABUF_EVENT_CLIP_CANCEL) };

		ev.u.cancel.transfer = cpu_to_le32_(t->id);
		ev.u.cancel.status = cpu_to_le32_(status);
		if (clip_ready(m))
			send_event(m, &ev);
	} else {
		struct vdmabuf_consumer_msg msg = { .type = VDMABUF_MSG_CLIP_CANCEL };

		msg.u.clip.transfer = t->id;
		msg.u.clip.status = vdmabuf_status_errno(status);
		m->ops->send(m, t->consumer, &msg);
	}
}

static void transfer_end(struct vdmabuf_model *m, struct vdmabuf_model_transfer *t,
			 __u32 status)
{
	model_debug(m, "clipboard: transfer %u ended after %llu bytes, status %u", t->id,
		    (unsigned long long)t->queued, status);
	t->id = 0;
}

/*
 * Ends t before its source did: the sink gets END with status, the source
 * CANCEL; the host's end only if tell_host (not when it is the one going).
 */
static void transfer_abort(struct vdmabuf_model *m, struct vdmabuf_model_transfer *t,
			   __u32 status, bool tell_host)
{
	t->pend_len = 0;
	if (t->guest_sources ? tell_host : clip_ready(m))
		flush_pend(m, t, true, status);
	if (t->guest_sources || tell_host)
		send_cancel(m, t, status);
	transfer_end(m, t, status);
}

/* A piece from t's source: a VDMABUF_S_* status for the source. */
static __u32 transfer_take(struct vdmabuf_model *m, struct vdmabuf_model_transfer *t,
			   const __u8 *data, __u32 len, bool end, __u32 status)
{
	__u32 chunk = t->guest_sources ? VDMABUF_MSG_CLIP_CHUNK : VDMABUF_CLIP_PIECE;
	__u32 n;

	if (!vdmabuf_clip_piece_fits(t->received, t->acked, len)) {
		model_warn(m, "clipboard: transfer %u: source overran its window", t->id);
		transfer_abort(m, t, VDMABUF_S_EINVAL, true);
		return VDMABUF_S_EINVAL;
	}
	if (len > VDMABUF_CLIP_MAX_SIZE - t->received) {
		model_info(m, "clipboard: transfer %u over %u bytes: refused", t->id,
			   VDMABUF_CLIP_MAX_SIZE);
		transfer_abort(m, t, VDMABUF_S_EFBIG, true);
		return VDMABUF_S_EFBIG;
	}
	t->received += len;
	while (len) {
		n = chunk - t->pend_len < len ? chunk - t->pend_len : len;
		memcpy(t->pend + t->pend_len, data, n);
		t->pend_len += n;
		data += n;
		len -= n;
		if (t->pend_len == chunk)
			flush_pend(m, t, false, 0);
	}
	if (end) {
		flush_pend(m, t, true, status);
		transfer_end(m, t, status);
	} else {
		flush_idle(m, t);
	}
	return VDMABUF_S_OK;
}

/* The sink consumed bytes: the source may send that much more. */
static __u32 transfer_ack(struct vdmabuf_model *m, struct vdmabuf_model_transfer *t, __u32 bytes)
{
	if (bytes > t->delivered - t->acked) {
		model_warn(m, "clipboard: transfer %u: ACK of bytes never delivered", t->id);
		transfer_abort(m, t, VDMABUF_S_EINVAL, true);
		return VDMABUF_S_EINVAL;
	}
	t->acked += bytes;
	if (t->guest_sources) {
		struct vdmabuf_event ev = { .type = cpu_to_le32_(VDMABUF_EVENT_CLIP_ACK) };

		ev.u.ack.transfer = cpu_to_le32_(t->id);
		ev.u.ack.bytes = cpu_to_le32_(bytes);
		send_event(m, &ev);
	} else {
		struct vdmabuf_consumer_msg msg = { .type = VDMABUF_MSG_CLIP_ACK };

		msg.u.clip.transfer = t->id;
		msg.u.clip.len = bytes;
		m->ops->send(m, t->consumer, &msg);
	}
	flush_idle(m, t);
	return VDMABUF_S_OK;
}

/* The sink let go: the source stops. */
static void transfer_close(struct vdmabuf_model *m, struct vdmabuf_model_transfer *t)
{
	send_cancel(m, t, VDMABUF_S_OK);
	transfer_end(m, t, VDMABUF_S_OK);
}

/*
 * The seat holder lets go, or leaves: its transfers end (the guest's side
 * told EPIPE) and its offers are withdrawn.
 */
static void clip_forget_consumer(struct vdmabuf_model *m, struct vdmabuf_model_consumer *c)
{
	unsigned int i;

	for (i = 0; i < VDMABUF_CLIP_TRANSFERS; i++)
		if (m->transfers[i].id && m->transfers[i].consumer == c)
			transfer_abort(m, &m->transfers[i], VDMABUF_S_EPIPE, false);
	for (i = 0; i < VDMABUF_SELECTIONS; i++)
		if (m->offers[i].consumer == c && m->offers[i].formats)
			set_offer(m, i, VDMABUF_CLIP_OWNER_HOST, 0, NULL);
}

/*
 * The driver went, or the guest's clipboard holder did (CLIP_RESET): every
 * transfer ends (consumers told EPIPE), the guest's offers too.
 */
static void clip_reset(struct vdmabuf_model *m)
{
	unsigned int i;

	for (i = 0; i < VDMABUF_CLIP_TRANSFERS; i++)
		if (m->transfers[i].id)
			transfer_abort(m, &m->transfers[i], VDMABUF_S_EPIPE, true);
	for (i = 0; i < VDMABUF_SELECTIONS; i++)
		if (m->offers[i].owner == VDMABUF_CLIP_OWNER_GUEST && m->offers[i].formats)
			set_offer(m, i, VDMABUF_CLIP_OWNER_GUEST, 0, NULL);
}

/* Guest requests */

/* A small clipboard request whose payload uses its first used bytes; the rest is 0. */
static __u32 check_clip_req(struct vdmabuf_model *m, size_t len, size_t used)
{
	const struct vdmabuf_clip_req *req = (const void *)m->request;
	size_t i;

	if (!has_feature(m, VDMABUF_F_CLIPBOARD))
		return VDMABUF_S_ENOTSUP;
	if (len < sizeof(*req) || req->hdr.flags)
		return VDMABUF_S_EINVAL;
	for (i = used; i < sizeof(req->u.raw); i++)
		if (req->u.raw[i])
			return VDMABUF_S_EINVAL;
	return VDMABUF_S_OK;
}

static __u32 handle_selection(struct vdmabuf_model *m, size_t len)
{
	const struct vdmabuf_clip_req *req = (const void *)m->request;
	__u32 status = check_clip_req(m, len, sizeof(req->u.offer));
	__u32 selection = vdmabuf_le32_to_cpu(req->u.offer.selection);
	__u32 formats = vdmabuf_le32_to_cpu(req->u.offer.formats);

	if (status)
		return status;
	if (!vdmabuf_clip_selection_valid(selection) || !vdmabuf_clip_formats_valid(formats) ||
	    req->u.offer.serial || req->u.offer.owner)
		return VDMABUF_S_EINVAL;
	set_offer(m, selection, VDMABUF_CLIP_OWNER_GUEST, formats, NULL);
	return VDMABUF_S_OK;
}

static __u32 handle_clip_open(struct vdmabuf_model *m, size_t len, struct vdmabuf_reply *reply)
{
	const struct vdmabuf_clip_req *req = (const void *)m->request;
	struct vdmabuf_consumer_msg msg = { .type = VDMABUF_MSG_CLIP_SEND };
	__u32 status = check_clip_req(m, len, sizeof(req->u.xfer));
	__u32 selection = vdmabuf_le32_to_cpu(req->u.xfer.selection);
	__u32 format = vdmabuf_le32_to_cpu(req->u.xfer.format);
	const struct vdmabuf_model_offer *o;
	struct vdmabuf_model_transfer *t;

	if (status)
		return status;
	if (!vdmabuf_clip_selection_valid(selection) || req->u.xfer.transfer)
		return VDMABUF_S_EINVAL;
	o = &m->offers[selection];
	if (o->owner != VDMABUF_CLIP_OWNER_HOST || !o->formats ||
	    o->serial != vdmabuf_le32_to_cpu(req->u.xfer.serial))
		return VDMABUF_S_ENOENT;
	if (!vdmabuf_clip_format_offered(format, o->formats))
		return VDMABUF_S_EINVAL;
	t = transfer_create(m, o->consumer, selection, format, false);
	if (!t)
		return VDMABUF_S_ENOSPC;
	msg.u.clip.transfer = t->id;
	msg.u.clip.selection = selection;
	msg.u.clip.serial = o->serial;
	msg.u.clip.format = format;
	m->ops->send(m, t->consumer, &msg);
	reply->id.key = cpu_to_le64_(t->id);
	return VDMABUF_S_OK;
}

/* The transfer a guest request names, if the guest is its source (or sink). */
static __u32 guest_transfer(struct vdmabuf_model *m, __le32 id, bool source,
			    struct vdmabuf_model_transfer **t)
{
	*t = find_transfer(m, vdmabuf_le32_to_cpu(id));
	if (!*t)
		return VDMABUF_S_ENOENT;
	return (*t)->guest_sources == source ? VDMABUF_S_OK : VDMABUF_S_EPERM;
}

static __u32 handle_clip_data(struct vdmabuf_model *m, size_t len)
{
	const struct vdmabuf_clip_data *req = (const void *)m->request;
	struct vdmabuf_model_transfer *t;
	__u32 n, flags, end_status, status;

	if (!has_feature(m, VDMABUF_F_CLIPBOARD))
		return VDMABUF_S_ENOTSUP;
	if (len < sizeof(*req) || req->hdr.flags)
		return VDMABUF_S_EINVAL;
	n = vdmabuf_le32_to_cpu(req->len);
	flags = vdmabuf_le32_to_cpu(req->flags);
	end_status = vdmabuf_le32_to_cpu(req->status);
	if (n > VDMABUF_CLIP_WINDOW || n > len - sizeof(*req) || flags & ~VDMABUF_CLIP_END ||
	    (end_status != VDMABUF_S_OK &&
	     (end_status != VDMABUF_S_EIO || !(flags & VDMABUF_CLIP_END))))
		return VDMABUF_S_EINVAL;
	status = guest_transfer(m, req->transfer, true, &t);
	if (status)
		return status;
	return transfer_take(m, t, (const __u8 *)(req + 1), n, flags & VDMABUF_CLIP_END,
			     end_status);
}

static __u32 handle_clip_ack(struct vdmabuf_model *m, size_t len)
{
	const struct vdmabuf_clip_req *req = (const void *)m->request;
	__u32 status = check_clip_req(m, len, sizeof(req->u.ack));
	struct vdmabuf_model_transfer *t;

	if (status)
		return status;
	status = guest_transfer(m, req->u.ack.transfer, false, &t);
	if (status)
		return status;
	return transfer_ack(m, t, vdmabuf_le32_to_cpu(req->u.ack.bytes));
}

static __u32 handle_clip_close(struct vdmabuf_model *m, size_t len)
{
	const struct vdmabuf_clip_req *req = (const void *)m->request;
	__u32 status = check_clip_req(m, len, sizeof(req->u.cancel));
	struct vdmabuf_model_transfer *t;

	if (status)
		return status;
	if (req->u.cancel.status)
		return VDMABUF_S_EINVAL;
	status = guest_transfer(m, req->u.cancel.transfer, false, &t);
	if (status)
		return status;
	transfer_close(m, t);
	return VDMABUF_S_OK;
}

/* Consumer requests: the seat holder's side of the clipboard */

static int consumer_selection(struct vdmabuf_model *m, struct vdmabuf_model_consumer *c,
			      const struct vdmabuf_consumer_msg *req)
{
	const struct vdmabuf_msg_clip *clip = &req->u.clip;

	if (m->seat != c)
		return -EPERM;
	if (!vdmabuf_clip_selection_valid(clip->selection) ||
	    !vdmabuf_clip_formats_valid(clip->formats) || clip->serial || clip->owner ||
	    clip->reserved)
		return -EINVAL;
	set_offer(m, clip->selection, VDMABUF_CLIP_OWNER_HOST, clip->formats,
		  clip->formats ? c : NULL);
	return 0;
}

static int consumer_clip_open(struct vdmabuf_model *m, struct vdmabuf_model_consumer *c,
			      const struct vdmabuf_consumer_msg *req,
			      struct vdmabuf_consumer_msg *reply)
{
	struct vdmabuf_event ev = { .type = cpu_to_le32_(VDMABUF_EVENT_CLIP_SEND) };
	const struct vdmabuf_msg_clip *clip = &req->u.clip;
	const struct vdmabuf_model_offer *o;
	struct vdmabuf_model_transfer *t;

	if (m->seat != c)
		return -EPERM;
	if (!vdmabuf_clip_selection_valid(clip->selection) || clip->transfer || clip->reserved)
		return -EINVAL;
	if (!m->running)
		return -ENOTCONN;
	if (!has_feature(m, VDMABUF_F_CLIPBOARD))
		return -EOPNOTSUPP;
	o = &m->offers[clip->selection];
	if (o->owner != VDMABUF_CLIP_OWNER_GUEST || !o->formats || o->serial != clip->serial)
		return -ENOENT;
	if (!vdmabuf_clip_format_offered(clip->format, o->formats))
		return -EINVAL;
	t = transfer_create(m, c, clip->selection, clip->format, true);
	if (!t)
		return -ENOSPC;
	ev.u.xfer.transfer = cpu_to_le32_(t->id);
	ev.u.xfer.selection = cpu_to_le32_(t->selection);
	ev.u.xfer.serial = cpu_to_le32_(o->serial);
	ev.u.xfer.format = cpu_to_le32_(t->format);
	send_event(m, &ev);
	reply->type = VDMABUF_MSG_CLIP_OPEN;
	reply->u.clip = *clip;
	reply->u.clip.transfer = t->id;
	return 0;
}

/* The transfer a consumer names, if it is its host end and its source (or sink). */
static int consumer_transfer(struct vdmabuf_model *m, struct vdmabuf_model_consumer *c,
			     const struct vdmabuf_msg_clip *clip, bool source,
			     struct vdmabuf_model_transfer **t)
{
	*t = find_transfer(m, clip->transfer);
	if (!*t)
		return -ENOENT;
	if ((*t)->consumer != c || (*t)->guest_sources == source)
		return -EPERM;
	return 0;
}

static int consumer_clip_data(struct vdmabuf_model *m, struct vdmabuf_model_consumer *c,
			      const struct vdmabuf_consumer_msg *req)
{
	const struct vdmabuf_msg_clip *clip = &req->u.clip;
	struct vdmabuf_model_transfer *t;
	bool end = clip->flags & VDMABUF_CLIP_END;
	int err;

	if (clip->len > VDMABUF_MSG_CLIP_CHUNK || clip->flags & ~VDMABUF_CLIP_END ||
	    (clip->status && (clip->status != -EIO || !end)) || clip->reserved)
		return -EINVAL;
	err = consumer_transfer(m, c, clip, true, &t);
	if (err)
		return err;
	return vdmabuf_status_errno(transfer_take(m, t, clip->data, clip->len, end,
					  clip->status ? VDMABUF_S_EIO : VDMABUF_S_OK));
}

static int consumer_clip_ack(struct vdmabuf_model *m, struct vdmabuf_model_consumer *c,
			     const struct vdmabuf_consumer_msg *req)
{
	struct vdmabuf_model_transfer *t;
	int err = consumer_transfer(m, c, &req->u.clip, false, &t);

	if (err)
		return err;
	return vdmabuf_status_errno(transfer_ack(m, t, req->u.clip.len));
}

static int consumer_clip_close(struct vdmabuf_model *m, struct vdmabuf_model_consumer *c,
			       const struct vdmabuf_consumer_msg *req)
{
	struct vdmabuf_model_transfer *t;
	int err = consumer_transfer(m, c, &req->u.clip, false, &t);

	if (err)
		return err;
	transfer_close(m, t);
	return 0;
}

static __u32 handle_clip_reset(struct vdmabuf_model *m, size_t len)
{
	__u32 status = check_clip_req(m, len, 0);

	if (status)
		return status;
	model_debug(m, "clipboard: the guest's holder went");
	clip_reset(m);
	return VDMABUF_S_OK;
}

/* OUTPUT (§20): one of the guest's outputs, as consumers are told. */
static __u32 handle_output(struct vdmabuf_model *m, size_t len)
{
	const struct vdmabuf_output *req = (const void *)m->request;
	struct vdmabuf_msg_output *o;
	__u32 status;

	if (!has_feature(m, VDMABUF_F_OUTPUTS))
		return VDMABUF_S_ENOTSUP;
	status = vdmabuf_check_output(req, len);
	if (status != VDMABUF_S_OK)
		return status;
	o = &m->outputs[vdmabuf_le32_to_cpu(req->output)];
	*o = (struct vdmabuf_msg_output){
		.output = vdmabuf_le32_to_cpu(req->output),
		.flags = vdmabuf_le32_to_cpu(req->flags),
		.width = vdmabuf_le32_to_cpu(req->width),
		.height = vdmabuf_le32_to_cpu(req->height),
		.refresh_mhz = vdmabuf_le32_to_cpu(req->refresh_mhz),
		.scale_120 = vdmabuf_le32_to_cpu(req->scale_120),
	};
	model_debug(m, "output %u: %ux%u scale %u/120%s", o->output, o->width, o->height,
		    o->scale_120, o->flags & VDMABUF_OUTPUT_GONE ? ", gone" : "");
	send_output(m, NULL, o);
	if (o->flags & VDMABUF_OUTPUT_GONE)
		*o = (struct vdmabuf_msg_output){ 0 };
	return VDMABUF_S_OK;
}

static __u32 handle_request(struct vdmabuf_model *m, size_t len, struct vdmabuf_reply *reply)
{
	const struct vdmabuf_ctrl_hdr *hdr = (const void *)m->request;

	if (len < sizeof(*hdr))
		return VDMABUF_S_EINVAL;
	reply->cookie = hdr->cookie;
	switch (vdmabuf_le32_to_cpu(hdr->type)) {
	case VDMABUF_CTRL_EXPORT:
		return handle_export(m, len, reply);
	case VDMABUF_CTRL_PRESENT:
		return handle_present(m, len, reply);
	case VDMABUF_CTRL_UNEXPORT:
		return handle_unexport(m, len, reply);
	case VDMABUF_CTRL_POINTER:
		return handle_pointer(m, len, reply);
	case VDMABUF_CTRL_SELECTION:
		return handle_selection(m, len);
	case VDMABUF_CTRL_CLIP_OPEN:
		return handle_clip_open(m, len, reply);
	case VDMABUF_CTRL_CLIP_DATA:
		return handle_clip_data(m, len);
	case VDMABUF_CTRL_CLIP_ACK:
		return handle_clip_ack(m, len);
	case VDMABUF_CTRL_CLIP_CLOSE:
		return handle_clip_close(m, len);
	case VDMABUF_CTRL_CLIP_RESET:
		return handle_clip_reset(m, len);
	case VDMABUF_CTRL_OUTPUT:
		return handle_output(m, len);
	default:
		return VDMABUF_S_ENOTSUP;
	}
}

/*
 * A PRESENT without a reply (§19) the model refused: the guest learns it
 * from a PRESENT_ERROR, of which at most VDMABUF_MODEL_PRESENT_ERROR_EVENTS
 * wait; beyond them the guest loses only its own errors.
 */
static void send_present_error(struct vdmabuf_model *m, long len, __u32 status)
{
	const struct vdmabuf_present *req = (const void *)m->request;
	struct vdmabuf_event ev = { .type = cpu_to_le32_(VDMABUF_EVENT_PRESENT_ERROR) };

	if (m->errors_queued >= VDMABUF_MODEL_PRESENT_ERROR_EVENTS) {
		m->events_lost++;
		model_warn(m, "present: errors not taken by the guest; one lost");
		return;
	}
	/* The fields a shorter request lacks stay 0. */
	if (len >= (long)offsetof(struct vdmabuf_present, frame))
		ev.u.present_error.id = req->id;
	if (len >= (long)offsetof(struct vdmabuf_present, num_damage))
		ev.u.present_error.frame = req->frame;
	ev.u.present_error.status = cpu_to_le32_(status);
	send_event(m, &ev);
}

/* Whether the chain is a PRESENT the guest sent without a reply (§19). */
static bool is_async_present(const struct vdmabuf_model *m, long len)
{
	const struct vdmabuf_ctrl_hdr *hdr = (const void *)m->request;

	return len >= (long)sizeof(*hdr) &&
	       vdmabuf_le32_to_cpu(hdr->type) == VDMABUF_CTRL_PRESENT;
}

/* One chain of the control queue: its request parsed from our copy. */
static long serve_request(struct vdmabuf_model *m, int popped,
			  const struct vdmabuf_model_chain *chain)
{
	const unsigned int vq = VDMABUF_VQ_CONTROL;
	struct vdmabuf_reply reply = { 0 };
	bool unanswered = false;
	__u32 status;
	long n = -EINVAL;

	/* The guest may change its own copy while we read ours. */
	if (popped > 0 && chain->in_len >= sizeof(reply)) {
		n = m->ops->read(m, vq, m->request, VDMABUF_MODEL_MAX_REQUEST);
	} else if (popped > 0 && !chain->in_len && has_feature(m, VDMABUF_F_ASYNC_PRESENT)) {
		n = m->ops->read(m, vq, m->request, sizeof(struct vdmabuf_present));
		unanswered = n >= 0;
		if (unanswered && !is_async_present(m, n))
			n = -EINVAL;
	}
	if (n < 0) {
		/* Malformed chain: returned unanswered (used length 0). */
		m->stats.bad_requests++;
		if (popped > 0)
			model_warn(m, "control: reply buffer of %llu bytes",
				   (unsigned long long)chain->in_len);
		return 0;
	}
	m->stats.guest_bytes += n;
	status = handle_request(m, n, &reply);
	if (status != VDMABUF_S_OK) {
		m->stats.bad_requests++;
		model_debug(m, "request %#x refused: status %u",
			    n >= 4 ? vdmabuf_le32_to_cpu(*(__le32 *)m->request) : 0, status);
		if (unanswered)
			send_present_error(m, n, status);
	}
	if (unanswered)
		return 0;
	reply.status = cpu_to_le32_(status);
	n = m->ops->write(m, vq, &reply, sizeof(reply));
	return n > 0 ? n : 0;
}

/* At most a ring's worth per run: the engine comes back for the rest. */
static void process_control(struct vdmabuf_model *m)
{
	const unsigned int vq = VDMABUF_VQ_CONTROL;
	struct vdmabuf_model_chain chain;
	unsigned int budget = m->budget[vq];
	bool used = false;
	int ret;

	while (m->running && budget && (ret = m->ops->pop(m, vq, &chain)) != 0) {
		if (ret == -EIO)
			break;
		budget--;
		m->ops->push(m, vq, chain.head, serve_request(m, ret, &chain));
		used = true;
	}
	if (m->running && !budget)
		m->ops->schedule(m, vq);
	if (used && m->ops->notify(m, vq))
		m->stats.interrupts++;
}

void vdmabuf_model_process(struct vdmabuf_model *m, unsigned int vq)
{
	if (vq == VDMABUF_VQ_CONTROL)
		process_control(m);
	else
		flush_events(m);
}

/* Device lifetime */

static void renew(struct vdmabuf_model *m)
{
	m->ops->random(m, &m->instance, sizeof(m->instance));
	m->next_seq = 1;
	m->backlog_head = 0;
	m->backlog_len = 0;
	m->clip_queued = 0;
	m->formats_queued = 0;
	m->errors_queued = 0;
}

int vdmabuf_model_init(struct vdmabuf_model *m, const struct vdmabuf_model_ops *ops,
		       const struct vdmabuf_limits *limits)
{
	unsigned int i;

	m->ops = ops;
	m->limits = *limits;
	m->release_deadline_ns = VDMABUF_MODEL_RELEASE_DEADLINE_NS;
	link_init(&m->buffers);
	link_init(&m->consumers);
	for (i = 0; i < VDMABUF_NUM_VQS; i++)
		m->budget[i] = VDMABUF_MODEL_DEFAULT_BUDGET;
	m->backlog = model_zalloc(VDMABUF_MODEL_BACKLOG * sizeof(*m->backlog));
	m->request = model_zalloc(VDMABUF_MODEL_MAX_REQUEST);
	m->formats = model_zalloc(VDMABUF_MAX_FORMATS * sizeof(*m->formats));
	m->formats_next = model_zalloc(VDMABUF_MAX_FORMATS * sizeof(*m->formats));
	if (!m->backlog || !m->request || !m->formats || !m->formats_next) {
		model_free(m->backlog);
		model_free(m->request);
		model_free(m->formats);
		model_free(m->formats_next);
		return -ENOMEM;
	}
	renew(m);
	return 0;
}

void vdmabuf_model_timer(struct vdmabuf_model *m)
{
	struct vdmabuf_model_buffer *b;
	struct vdmabuf_model_consumer *c;
	__u64 now = m->ops->now_ns(m), next = 0;

	m->timer_ns = 0;
	vdmabuf_model_for_each_buffer(b, m) {
		__u64 due = b->superseded_ns + m->release_deadline_ns;

		if (!b->presented || !b->owed || !b->superseded_ns)
			continue;
		if (due > now) {
			next = next && next < due ? next : due;
			continue;
		}
		for_each_consumer(c, m) {
			if (!(b->owed & 1ull << c->slot) || c->late)
				continue;
			c->late = true;
			m->stats.consumers_late++;
			model_warn(m, "consumer %u (pid %d) kept frame %llu of " ID_FMT
				   " %llu ms after a newer one; disconnected", c->slot, c->pid,
				   (unsigned long long)b->frame, ID_ARG(&b->id),
				   (unsigned long long)((now - b->superseded_ns) / 1000000));
			m->ops->disconnect(m, c);
		}
	}
	if (next)
		arm_timer(m, next);
}

void vdmabuf_model_finish(struct vdmabuf_model *m)
{
	struct vdmabuf_model_buffer *b, *tmp;

	for_each_buffer_safe(b, tmp, m)
		buffer_destroy(m, b);
	model_free(m->backlog);
	model_free(m->request);
	model_free(m->keymap);
	model_free(m->formats);
	model_free(m->formats_next);
	m->backlog = NULL;
	m->request = NULL;
	m->keymap = NULL;
	m->formats = m->formats_next = NULL;
}

void vdmabuf_config_init(struct vdmabuf_config *cfg, const struct vdmabuf_limits *limits,
			 __u32 consumers)
{
	*cfg = (struct vdmabuf_config){
		.max_buffers = cpu_to_le32_(limits->max_buffers),
		.max_extents = cpu_to_le32_(limits->max_extents),
		.max_buffer_size = cpu_to_le64_(limits->max_buffer_size),
		.consumers = cpu_to_le32_(consumers),
	};
}

void vdmabuf_model_start(struct vdmabuf_model *m, __u64 features,
			 const unsigned int ring_size[VDMABUF_NUM_VQS])
{
	struct vdmabuf_event reset = { .type = cpu_to_le32_(VDMABUF_EVENT_RESET) };
	unsigned int i;

	reset.u.reset.device = cpu_to_le64_(m->instance);
	m->running = true;
	m->features = features;
	for (i = 0; i < VDMABUF_NUM_VQS; i++)
		m->budget[i] = ring_size && ring_size[i] ? ring_size[i] :
			VDMABUF_MODEL_DEFAULT_BUDGET;
	/* Whatever the driver exported before this start is gone. */
	send_event(m, &reset);
	send_consumers(m);
	for (i = 0; i < VDMABUF_MAX_OUTPUTS; i++)
		if (m->mode_hints[i].width)
			send_mode_hint(m, &m->mode_hints[i]);
	if (m->num_formats)
		send_formats(m);
	send_keymap(m);
	send_offers(m, VDMABUF_CLIP_OWNER_HOST, NULL);
	/* Requests may wait in the ring already. */
	m->ops->schedule(m, VDMABUF_VQ_CONTROL);
}

void vdmabuf_model_reset(struct vdmabuf_model *m)
{
	struct vdmabuf_consumer_msg msg = { .type = VDMABUF_MSG_RESET };
	struct vdmabuf_model_buffer *b, *tmp;
	bool had_pointer = pointer_set(m);
	unsigned int n = 0, i;

	m->running = false;
	clip_reset(m);
	m->features = 0;
	m->pointer = (struct vdmabuf_msg_pointer){ 0 };
	m->pointer_id = (struct vdmabuf_id){ 0 };
	for_each_buffer_safe(b, tmp, m) {
		/* The consumers' dmabufs live on; the device holds none of them. */
		m->stats.imports -= model_popcount(b->importers);
		buffer_destroy(m, b);
		n++;
	}
	m->num_buffers = 0;
	renew(m);
	msg.id.device = m->instance;
	broadcast(m, &msg);
	/* The guest's outputs went with it; it announces them again. */
	for (i = 0; i < VDMABUF_MAX_OUTPUTS; i++) {
		struct vdmabuf_msg_output gone = { .output = i, .flags = VDMABUF_OUTPUT_GONE };

		if (!m->outputs[i].width)
			continue;
		m->outputs[i] = (struct vdmabuf_msg_output){ 0 };
		send_output(m, NULL, &gone);
	}
	/* No cursor and no constraint until the driver sends them again. */
	if (had_pointer)
		send_pointer(m, NULL);
	if (n)
		model_info(m, "device reset: %u buffers dropped", n);
}

/* Consumers (§11) */

int vdmabuf_model_attach(struct vdmabuf_model *m, struct vdmabuf_model_consumer *c)
{
	struct vdmabuf_consumer_msg hello = { .type = VDMABUF_MSG_HELLO };
	struct vdmabuf_model_buffer *b;
	unsigned int i;

	if (m->num_consumers == VDMABUF_MODEL_MAX_CONSUMERS) {
		model_warn(m, "consumer (pid %d) refused: %u connected already", c->pid,
			   m->num_consumers);
		return -EBUSY;
	}
	c->slot = model_ffz(m->slots_used);
	c->attached = true;
	c->late = false;
	c->formats = NULL;
	c->formats_total = c->formats_received = 0;
	m->slots_used |= 1ull << c->slot;
	m->num_consumers++;
	link_add_tail(&m->consumers, &c->link);
	model_info(m, "consumer %u (pid %d) connected; %u now", c->slot, c->pid,
		   m->num_consumers);

	hello.u.hello = (struct vdmabuf_msg_hello){
		.version = VDMABUF_CONSUMER_VERSION,
		.consumers = m->num_consumers,
		.device = m->instance,
		.guest_connected = m->running,
		.guest_features = m->running ? (__u32)m->features : 0,
	};
	m->ops->send(m, c, &hello);
	vdmabuf_model_for_each_buffer(b, m)
		if (!b->unexported)
			announce(m, c, b);
	for (i = 0; i < VDMABUF_MAX_OUTPUTS; i++)
		if (m->outputs[i].width)
			send_output(m, c, &m->outputs[i]);
	if (pointer_set(m))
		send_pointer(m, c);
	send_offers(m, VDMABUF_CLIP_OWNER_GUEST, c);
	send_consumers(m);
	return 0;
}

void vdmabuf_model_detach(struct vdmabuf_model *m, struct vdmabuf_model_consumer *c)
{
	__u64 bit = 1ull << c->slot;
	struct vdmabuf_model_buffer *b, *tmp;

	if (!c->attached)
		return;
	link_del(&c->link);
	c->attached = false;
	m->slots_used &= ~bit;
	m->num_consumers--;
	model_info(m, "consumer %u (pid %d) gone; %u left", c->slot, c->pid,
		   m->num_consumers);
	if (m->seat == c)
		release_seat(m);
	consumer_forget_formats(m, c);
	for_each_buffer_safe(b, tmp, m) {
		if (b->importers & bit)
			drop_import(m, b, bit);
		else
			settle(m, b, bit);
	}
	send_consumers(m);
}

static int consumer_import(struct vdmabuf_model *m, struct vdmabuf_model_consumer *c,
			   const struct vdmabuf_consumer_msg *req,
			   struct vdmabuf_consumer_msg *reply, void **import)
{
	struct vdmabuf_model_buffer *b = find_buffer(m, &req->id);
	__u64 bit = 1ull << c->slot;

	if (!b || b->unexported)
		return -ENOENT;
	if (b->importers & bit)
		return -EEXIST;
	b->importers |= bit;
	m->stats.imports++;
	reply->type = VDMABUF_MSG_IMPORT;
	reply->id = req->id;
	reply->u.buffer = b->desc;
	*import = b->import;
	model_debug(m, "buffer " ID_FMT " imported by consumer %u", ID_ARG(&b->id), c->slot);
	return 0;
}

static int consumer_release(struct vdmabuf_model *m, struct vdmabuf_model_consumer *c,
			    const struct vdmabuf_consumer_msg *req)
{
	struct vdmabuf_model_buffer *b = find_buffer(m, &req->id);
	const struct vdmabuf_msg_release *r = &req->u.release;
	__u64 bit = 1ull << c->slot;

	if (!b)
		return -ENOENT;
	if (!(b->importers & bit))
		return -EPERM;
	if (!b->presented || b->frame != r->frame || !(b->owed & bit))
		return -EALREADY;
	/* The first consumer that saw it on screen times the guest. */
	if ((r->flags & VDMABUF_RELEASE_PRESENTED) &&
	    !(b->timing.flags & VDMABUF_RELEASE_PRESENTED))
		b->timing = *r;
	settle(m, b, bit);
	return 0;
}

static int consumer_drop(struct vdmabuf_model *m, struct vdmabuf_model_consumer *c,
			 const struct vdmabuf_id *id)
{
	struct vdmabuf_model_buffer *b = find_buffer(m, id);
	__u64 bit = 1ull << c->slot;

	if (!b)
		return -ENOENT;
	if (!(b->importers & bit))
		return -EPERM;
	drop_import(m, b, bit);
	return 0;
}

static int consumer_mode_hint(struct vdmabuf_model *m, struct vdmabuf_model_consumer *c,
			     const struct vdmabuf_consumer_msg *req)
{
	const struct vdmabuf_msg_mode *mode = &req->u.mode;

	/* The window the guest is shown in is the seat holder's. */
	if (m->seat && m->seat != c)
		return -EPERM;

	if (mode->output >= VDMABUF_MAX_OUTPUTS || mode->flags & ~VDMABUF_OUTPUT_GONE)
		return -EINVAL;
	if (mode->flags & VDMABUF_OUTPUT_GONE) {
		/* Close it: only the output's id. */
		if (mode->width || mode->height || mode->refresh_mhz || mode->scale_120)
			return -EINVAL;
		model_info(m, "mode hint: output %u closed", mode->output);
		m->mode_hints[mode->output] = (struct vdmabuf_msg_mode){ 0 };
		send_mode_hint(m, mode);
		return 0;
	}
	if (!vdmabuf_mode_valid(mode->width, mode->height, mode->scale_120))
		return -EINVAL;
	m->mode_hints[mode->output] = *mode;
	model_info(m, "mode hint: output %u %ux%u@%u mHz scale %u/120", mode->output,
		   mode->width, mode->height, mode->refresh_mhz, mode->scale_120);
	send_mode_hint(m, mode);
	return 0;
}

static int consumer_seat(struct vdmabuf_model *m, struct vdmabuf_model_consumer *c,
			 const struct vdmabuf_consumer_msg *req)
{
	const struct vdmabuf_msg_seat *seat = &req->u.seat;

	if (seat->claim > 1 || seat->reserved)
		return -EINVAL;
	if (!seat->claim) {
		if (m->seat == c)
			release_seat(m);
		return 0;
	}
	if (m->seat && m->seat != c)
		return -EBUSY;
	if (!m->seat)
		model_info(m, "input: consumer %u (pid %d) holds the seat", c->slot, c->pid);
	m->seat = c;
	return 0;
}

/* Motion that finds the guest behind is dropped; keys and buttons never are. */
static bool input_droppable(__u32 kind)
{
	return kind == VDMABUF_INPUT_MOTION || kind == VDMABUF_INPUT_RELATIVE_MOTION ||
	       kind == VDMABUF_INPUT_TOUCH_MOTION || kind == VDMABUF_INPUT_AXIS;
}

static int consumer_input(struct vdmabuf_model *m, struct vdmabuf_model_consumer *c,
			  const struct vdmabuf_consumer_msg *req)
{
	const struct vdmabuf_msg_input *in = &req->u.input;

	if (m->seat != c)
		return -EPERM;
	if (in->output >= VDMABUF_MAX_OUTPUTS || !vdmabuf_input_valid(in->kind, in->args))
		return -EINVAL;
	if (!m->running)
		return -ENOTCONN;
	if (!has_feature(m, VDMABUF_F_INPUT) || (in->output && !has_feature(m, VDMABUF_F_OUTPUTS)))
		return -EOPNOTSUPP;
	if (!input_room(m, input_droppable(in->kind) ? VDMABUF_MODEL_INPUT_BACKLOG / 2 : 1)) {
		m->stats.input_dropped++;
		if (!input_droppable(in->kind)) {
			model_warn(m, "input: the guest takes no events; event %u refused",
				   in->kind);
			return -ENOBUFS;
		}
		return 0;
	}
	send_input(m, in->kind, in->output, in->time_usec, in->args);
	return 0;
}

static int consumer_keymap(struct vdmabuf_model *m, struct vdmabuf_model_consumer *c,
			   const struct vdmabuf_consumer_msg *req)
{
	const struct vdmabuf_msg_keymap *k = &req->u.keymap;

	if (m->seat != c)
		return -EPERM;
	if (!vdmabuf_keymap_piece_valid(k->format, k->size, k->offset, k->len,
					VDMABUF_MSG_KEYMAP_CHUNK, m->keymap_received))
		return -EINVAL;
	if (!k->offset) {
		model_free(m->keymap);
		m->keymap_size = m->keymap_received = 0;
		m->keymap = model_zalloc(k->size);
		if (!m->keymap)
			return -ENOMEM;
		m->keymap_size = k->size;
	} else if (k->size != m->keymap_size) {
		return -EINVAL;
	}
	memcpy(m->keymap + k->offset, k->data, k->len);
	m->keymap_received += k->len;
	if (m->keymap_received == m->keymap_size) {
		model_info(m, "input: keymap of %u bytes", m->keymap_size);
		send_keymap(m);
	}
	return 0;
}

void vdmabuf_model_kicked(struct vdmabuf_model *m, __u64 n)
{
	m->stats.notifications += n;
}

void vdmabuf_model_stats(const struct vdmabuf_model *m, struct vdmabuf_msg_stats *stats)
{
	*stats = m->stats;
	stats->buffers = m->num_buffers;
	stats->consumers = m->num_consumers;
	stats->pinned_bytes = m->pinned_bytes;
	stats->pinned_limit = m->max_pinned;
	stats->logs_suppressed = m->log.suppressed;
}

int vdmabuf_model_command(struct vdmabuf_model *m, struct vdmabuf_model_consumer *c,
			  const struct vdmabuf_consumer_msg *req,
			  struct vdmabuf_consumer_msg *reply, void **import)
{
	int err;

	memset(reply, 0, sizeof(*reply));
	*import = NULL;
	if (!c->attached)
		return -EPIPE;
	switch (req->type) {
	case VDMABUF_MSG_IMPORT:
		err = consumer_import(m, c, req, reply, import);
		break;
	case VDMABUF_MSG_RELEASE:
		err = consumer_release(m, c, req);
		break;
	case VDMABUF_MSG_DROP:
		err = consumer_drop(m, c, &req->id);
		break;
	case VDMABUF_MSG_MODE_HINT:
		err = consumer_mode_hint(m, c, req);
		break;
	case VDMABUF_MSG_SEAT:
		err = consumer_seat(m, c, req);
		break;
	case VDMABUF_MSG_INPUT:
		err = consumer_input(m, c, req);
		break;
	case VDMABUF_MSG_KEYMAP:
		err = consumer_keymap(m, c, req);
		break;
	case VDMABUF_MSG_SELECTION:
		err = consumer_selection(m, c, req);
		break;
	case VDMABUF_MSG_CLIP_OPEN:
		err = consumer_clip_open(m, c, req, reply);
		break;
	case VDMABUF_MSG_CLIP_DATA:
		err = consumer_clip_data(m, c, req);
		break;
	case VDMABUF_MSG_CLIP_ACK:
		err = consumer_clip_ack(m, c, req);
		break;
	case VDMABUF_MSG_CLIP_CLOSE:
		err = consumer_clip_close(m, c, req);
		break;
	case VDMABUF_MSG_FORMATS:
		err = consumer_formats(m, c, req);
		break;
	case VDMABUF_MSG_STATS:
		reply->type = VDMABUF_MSG_STATS;
		vdmabuf_model_stats(m, &reply->u.stats);
		return 0;
	default:
		err = -EOPNOTSUPP;
		break;
	}
	if (err) {
		model_debug(m, "consumer %u: request %u for " ID_FMT ": error %d", c->slot,
			    req->type, ID_ARG(&req->id), err);
		memset(reply, 0, sizeof(*reply));
		reply->type = VDMABUF_MSG_REPLY;
		reply->status = err;
		reply->status_of = req->type;
		reply->id = req->id;
	}
	return err;
}

void vdmabuf_model_undo_import(struct vdmabuf_model *m, struct vdmabuf_model_consumer *c,
			       const struct vdmabuf_id *id)
{
	if (c->attached)
		consumer_drop(m, c, id);
}
