// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vdmabuf device model (protocol/vdmabuf-spec.md), as the daemon's
 * host-backend/device.c has it: control requests from the guest, events to
 * it, and the host consumers in between. Every function here runs with
 * vdm_dev.lock held; the ones that touch the rings run in the worker,
 * which uses the owner's mm. Events are queued in the backlog by anyone
 * and written into the event queue by the worker.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "vhost_vdmabuf.h"

static bool has_feature(const struct vdm_dev *dev, unsigned int bit)
{
	return dev->cfg.features & BIT_ULL(bit);
}

static struct vdm_buffer *find_buffer(struct vdm_dev *dev,
				      const struct vdmabuf_id *id)
{
	struct vdm_buffer *buffer;

	list_for_each_entry(buffer, &dev->buffers, link)
		if (buffer->id.device == id->device && buffer->id.key == id->key)
			return buffer;
	return NULL;
}

static struct vdmabuf_wire_id wire_id(const struct vdmabuf_id *id)
{
	return (struct vdmabuf_wire_id){ cpu_to_le64(id->device), cpu_to_le64(id->key) };
}

static struct vdmabuf_id cpu_id(const struct vdmabuf_wire_id *id)
{
	return (struct vdmabuf_id){ le64_to_cpu(id->device), le64_to_cpu(id->key) };
}

static void buffer_destroy(struct vdm_buffer *buffer)
{
	list_del(&buffer->link);
	dma_buf_put(buffer->dmabuf);
	kfree(buffer);
}

/* Events to the guest */

void vdm_device_flush_events(struct vdm_dev *dev)
{
	struct vdm_vq *vq = &dev->vqs[VDMABUF_VQ_EVENT];
	struct vdm_elem *elem = dev->elem;
	bool used = false;
	int ret;

	if (!dev->running)
		return;
	while (dev->backlog_len && (ret = vdm_vq_pop(vq, elem))) {
		const struct vdmabuf_event *ev = &dev->backlog[dev->backlog_head];
		u32 written = 0;

		if (ret == -EIO)
			break;
		if (ret > 0 && elem->num_out == 0 && elem->in_len >= sizeof(*ev)) {
			long n = vdm_elem_write(elem, ev, sizeof(*ev));

			written = n > 0 ? n : 0;
			dev->backlog_head = (dev->backlog_head + 1) % VDM_EVENT_BACKLOG;
			dev->backlog_len--;
		} else {
			pr_warn_ratelimited("dev %u: event: unusable buffer from the guest\n",
					    dev->nr);
			dev->stats.bad_requests++;
		}
		vdm_vq_push(vq, elem->head, written);
		used = true;
	}
	if (used)
		vdm_vq_notify(vq);
}

static void send_event(struct vdm_dev *dev, const struct vdmabuf_event *ev)
{
	u32 type = le32_to_cpu(ev->type);
	unsigned int i;

	/* A newer count or mode replaces one the guest has not taken yet. */
	if (type == VDMABUF_EVENT_CONSUMERS || type == VDMABUF_EVENT_MODE_HINT) {
		for (i = 0; i < dev->backlog_len; i++) {
			struct vdmabuf_event *queued =
				&dev->backlog[(dev->backlog_head + i) % VDM_EVENT_BACKLOG];

			if (queued->type == ev->type) {
				*queued = *ev;
				return;
			}
		}
	}
	/*
	 * Cannot happen while the guest posts event buffers: each buffer has
	 * at most one RELEASE and one RETIRED pending.
	 */
	if (dev->backlog_len == VDM_EVENT_BACKLOG) {
		if (!dev->events_lost++)
			pr_err("dev %u: event backlog full; events lost\n", dev->nr);
		return;
	}
	dev->backlog[(dev->backlog_head + dev->backlog_len++) % VDM_EVENT_BACKLOG] = *ev;
	/* The worker writes it into the event queue. */
	vdm_wake(dev);
}

static void send_release(struct vdm_dev *dev, struct vdm_buffer *buffer)
{
	struct vdmabuf_event ev = { .type = cpu_to_le32(VDMABUF_EVENT_RELEASE) };
	struct vdmabuf_release *r = &ev.u.release;

	r->id = wire_id(&buffer->id);
	r->frame = cpu_to_le64(buffer->frame);
	if (has_feature(dev, VDMABUF_F_PRESENT_TIMING)) {
		r->present_ns = cpu_to_le64(buffer->timing.present_ns);
		r->refresh_ns = cpu_to_le32(buffer->timing.refresh_ns);
		r->sent_ns = cpu_to_le64(ktime_get_ns());
	}
	r->flags = cpu_to_le32(buffer->timing.flags);
	buffer->presented = false;
	buffer->owed = 0;
	dev->stats.releases_total++;
	send_event(dev, &ev);
}

static void send_consumers(struct vdm_dev *dev)
{
	struct vdmabuf_event ev = { .type = cpu_to_le32(VDMABUF_EVENT_CONSUMERS) };

	if (!dev->running || !has_feature(dev, VDMABUF_F_CONSUMER_EVENTS))
		return;
	ev.u.consumers.count = cpu_to_le32(dev->num_consumers);
	send_event(dev, &ev);
}

static void send_mode_hint(struct vdm_dev *dev)
{
	struct vdmabuf_event ev = { .type = cpu_to_le32(VDMABUF_EVENT_MODE_HINT) };

	if (!dev->running || !dev->mode_hint.width ||
	    !has_feature(dev, VDMABUF_F_MODE_HINT))
		return;
	ev.u.mode_hint.width = cpu_to_le32(dev->mode_hint.width);
	ev.u.mode_hint.height = cpu_to_le32(dev->mode_hint.height);
	ev.u.mode_hint.refresh_mhz = cpu_to_le32(dev->mode_hint.refresh_mhz);
	ev.u.mode_hint.scale_120 = cpu_to_le32(dev->mode_hint.scale_120);
	send_event(dev, &ev);
}

/* A consumer slot let go of a presented frame; the last one releases it. */
static void settle(struct vdm_dev *dev, struct vdm_buffer *buffer, u64 slot_bit)
{
	if (!buffer->presented || !(buffer->owed & slot_bit))
		return;
	buffer->owed &= ~slot_bit;
	if (!buffer->owed)
		send_release(dev, buffer);
}

/* RETIRED once the guest unexported it and no consumer holds an import. */
static void maybe_retire(struct vdm_dev *dev, struct vdm_buffer *buffer)
{
	struct vdmabuf_event ev = { .type = cpu_to_le32(VDMABUF_EVENT_RETIRED) };

	if (!buffer->unexported || buffer->importers)
		return;
	ev.u.retired.id = wire_id(&buffer->id);
	pr_debug("dev %u: buffer " VDM_ID_FMT " retired\n", dev->nr,
		 VDM_ID_ARG(&buffer->id));
	buffer_destroy(buffer);
	send_event(dev, &ev);
}

/* Control requests */

static void announce(struct vdm_dev *dev, struct vdm_consumer *only,
		     struct vdm_buffer *buffer)
{
	struct vdmabuf_consumer_msg msg = {
		.type = VDMABUF_MSG_BUFFER,
		.id = buffer->id,
		.u.buffer = buffer->desc,
	};

	if (only)
		vdm_consumer_send(only, &msg);
	else
		vdm_consumer_broadcast(dev, &msg);
}

static u32 handle_export(struct vdm_dev *dev, const u8 *req_bytes, size_t len,
			 struct vdmabuf_reply *reply)
{
	const struct vdmabuf_export *req = (const void *)req_bytes;
	struct vdm_buffer *buffer;
	struct dma_buf *dmabuf;
	u32 status, random_key;
	unsigned int i;
	u64 total;

	status = vdmabuf_check_export(req, len, dev->cfg.max_extents,
				      dev->cfg.max_buffer_size);
	if (status != VDMABUF_S_OK)
		return status;
	if (dev->num_buffers >= dev->cfg.max_buffers || dev->next_seq == 0)
		return VDMABUF_S_ENOSPC;
	buffer = kzalloc(sizeof(*buffer), GFP_KERNEL);
	if (!buffer)
		return VDMABUF_S_ENOMEM;
	status = vdm_hostbuf_create(dev, req, (const void *)(req_bytes + sizeof(*req)),
				    &total, &dmabuf);
	if (status != VDMABUF_S_OK) {
		kfree(buffer);
		return status;
	}
	buffer->dmabuf = dmabuf;
	buffer->desc = (struct vdmabuf_msg_buffer){
		.width = le32_to_cpu(req->width),
		.height = le32_to_cpu(req->height),
		.fourcc = le32_to_cpu(req->fourcc),
		.num_planes = le32_to_cpu(req->num_planes),
		.modifier = le64_to_cpu(req->modifier),
		.size = total,
		.num_extents = le32_to_cpu(req->num_extents),
	};
	for (i = 0; i < VDMABUF_MAX_PLANES; i++) {
		buffer->desc.planes[i].offset = le32_to_cpu(req->planes[i].offset);
		buffer->desc.planes[i].stride = le32_to_cpu(req->planes[i].stride);
	}
	random_key = get_random_u32();
	buffer->id.device = dev->instance;
	buffer->id.key = (u64)dev->next_seq++ << 32 | random_key;
	list_add_tail(&buffer->link, &dev->buffers);
	dev->num_buffers++;
	dev->stats.exports_total++;
	reply->id = wire_id(&buffer->id);
	pr_debug("dev %u: buffer " VDM_ID_FMT " exported: %ux%u %p4cc, %llu bytes in %u extents\n",
		 dev->nr, VDM_ID_ARG(&buffer->id), buffer->desc.width,
		 buffer->desc.height, &buffer->desc.fourcc, buffer->desc.size,
		 buffer->desc.num_extents);
	announce(dev, NULL, buffer);
	return VDMABUF_S_OK;
}

static u32 handle_present(struct vdm_dev *dev, const u8 *req_bytes, size_t len,
			  struct vdmabuf_reply *reply)
{
	const struct vdmabuf_present *req = (const void *)req_bytes;
	struct vdmabuf_consumer_msg msg = { .type = VDMABUF_MSG_FRAME };
	struct vdm_buffer *buffer;
	struct vdmabuf_id id;
	u32 status, n, i;

	status = vdmabuf_check_present(req, len);
	if (status != VDMABUF_S_OK)
		return status;
	reply->id = req->id;
	id = cpu_id(&req->id);
	buffer = find_buffer(dev, &id);
	if (!buffer || buffer->unexported)
		return VDMABUF_S_ENOENT;
	if (buffer->presented)
		return VDMABUF_S_EBUSY;

	buffer->presented = true;
	buffer->frame = le64_to_cpu(req->frame);
	buffer->owed = buffer->importers;
	memset(&buffer->timing, 0, sizeof(buffer->timing));
	dev->stats.frames_total++;

	msg.id = id;
	msg.u.frame.frame = buffer->frame;
	n = has_feature(dev, VDMABUF_F_DAMAGE) ? le32_to_cpu(req->num_damage) : 0;
	msg.u.frame.num_damage = n;
	for (i = 0; i < n; i++) {
		msg.u.frame.damage[i].x = le32_to_cpu(req->damage[i].x);
		msg.u.frame.damage[i].y = le32_to_cpu(req->damage[i].y);
		msg.u.frame.damage[i].width = le32_to_cpu(req->damage[i].width);
		msg.u.frame.damage[i].height = le32_to_cpu(req->damage[i].height);
	}
	vdm_consumer_broadcast(dev, &msg);
	/* Nobody to show it: hand it straight back, marked not presented. */
	if (!buffer->owed)
		send_release(dev, buffer);
	return VDMABUF_S_OK;
}

static u32 handle_unexport(struct vdm_dev *dev, const u8 *req_bytes, size_t len,
			   struct vdmabuf_reply *reply)
{
	const struct vdmabuf_unexport *req = (const void *)req_bytes;
	struct vdmabuf_consumer_msg msg = { .type = VDMABUF_MSG_GONE };
	struct vdm_buffer *buffer;

	if (len < sizeof(*req) || req->hdr.flags)
		return VDMABUF_S_EINVAL;
	reply->id = req->id;
	msg.id = cpu_id(&req->id);
	buffer = find_buffer(dev, &msg.id);
	if (!buffer)
		return VDMABUF_S_ENOENT;
	if (buffer->unexported)
		return VDMABUF_S_EBUSY;
	buffer->unexported = true;
	buffer->presented = false;
	buffer->owed = 0;
	dev->num_buffers--;
	pr_debug("dev %u: buffer " VDM_ID_FMT " unexported\n", dev->nr,
		 VDM_ID_ARG(&buffer->id));
	vdm_consumer_broadcast(dev, &msg);
	maybe_retire(dev, buffer);
	return VDMABUF_S_OK;
}

static u32 handle_request(struct vdm_dev *dev, const u8 *req, size_t len,
			  struct vdmabuf_reply *reply)
{
	const struct vdmabuf_ctrl_hdr *hdr = (const void *)req;

	if (len < sizeof(*hdr))
		return VDMABUF_S_EINVAL;
	reply->cookie = hdr->cookie;
	switch (le32_to_cpu(hdr->type)) {
	case VDMABUF_CTRL_EXPORT:
		return handle_export(dev, req, len, reply);
	case VDMABUF_CTRL_PRESENT:
		return handle_present(dev, req, len, reply);
	case VDMABUF_CTRL_UNEXPORT:
		return handle_unexport(dev, req, len, reply);
	default:
		return VDMABUF_S_ENOTSUP;
	}
}

/* At most a ring's worth per call: the worker comes back for the rest. */
void vdm_device_process_control(struct vdm_dev *dev)
{
	struct vdm_vq *vq = &dev->vqs[VDMABUF_VQ_CONTROL];
	struct vdm_elem *elem = dev->elem;
	unsigned int budget = vq->num;
	bool used = false;
	int ret;

	if (!dev->running)
		return;
	while (budget && (ret = vdm_vq_pop(vq, elem)) != 0) {
		struct vdmabuf_reply reply = { 0 };
		u32 written = 0, status;
		long n;

		budget--;
		if (ret == -EIO)
			break;
		/* Parsed from our copy: the guest may change its own. */
		n = ret > 0 && elem->in_len >= sizeof(reply) ?
			vdm_elem_read(elem, dev->request, VDM_MAX_REQUEST) : -EINVAL;
		if (n >= 0) {
			dev->stats.guest_bytes += n;
			status = handle_request(dev, dev->request, n, &reply);
			if (status != VDMABUF_S_OK) {
				dev->stats.bad_requests++;
				pr_debug("dev %u: request %#x refused: status %u\n", dev->nr,
					 n >= 4 ? le32_to_cpu(*(__le32 *)dev->request) : 0,
					 status);
			}
			reply.status = cpu_to_le32(status);
			n = vdm_elem_write(elem, &reply, sizeof(reply));
			written = n > 0 ? n : 0;
		} else {
			/* Malformed chain: returned unanswered (used length 0). */
			dev->stats.bad_requests++;
			if (ret > 0)
				pr_warn_ratelimited("dev %u: control: reply buffer of %llu bytes\n",
						    dev->nr, elem->in_len);
		}
		vdm_vq_push(vq, elem->head, written);
		used = true;
	}
	if (!budget)
		vdm_wake(dev);
	if (used)
		vdm_vq_notify(vq);
}

/* Device start and reset */

void vdm_device_start(struct vdm_dev *dev)
{
	struct vdmabuf_event reset = { .type = cpu_to_le32(VDMABUF_EVENT_RESET) };

	/* Whatever the driver exported before this start is gone. */
	send_event(dev, &reset);
	send_consumers(dev);
	send_mode_hint(dev);
}

/* A new instance: new id.device, the sequence from 1, no events. */
void vdm_device_renew(struct vdm_dev *dev)
{
	get_random_bytes(&dev->instance, sizeof(dev->instance));
	dev->next_seq = 1;
	dev->backlog_head = 0;
	dev->backlog_len = 0;
}

void vdm_device_reset(struct vdm_dev *dev)
{
	struct vdmabuf_consumer_msg msg = { .type = VDMABUF_MSG_RESET };
	struct vdm_buffer *buffer, *tmp;
	unsigned int n = 0;

	list_for_each_entry_safe(buffer, tmp, &dev->buffers, link) {
		dev->stats.imports -= hweight64(buffer->importers);
		buffer_destroy(buffer);
		n++;
	}
	dev->num_buffers = 0;
	vdm_device_renew(dev);
	msg.id.device = dev->instance;
	vdm_consumer_broadcast(dev, &msg);
	if (n)
		pr_info("dev %u: device reset: %u buffers dropped\n", dev->nr, n);
}

/* Consumers */

void vdm_device_connected(struct vdm_dev *dev, struct vdm_consumer *c)
{
	struct vdmabuf_consumer_msg hello = {
		.type = VDMABUF_MSG_HELLO,
		.u.hello = {
			.version = VDMABUF_CONSUMER_VERSION,
			.consumers = dev->num_consumers,
			.device = dev->instance,
			.guest_connected = dev->running,
		},
	};
	struct vdm_buffer *buffer;

	vdm_consumer_send(c, &hello);
	list_for_each_entry(buffer, &dev->buffers, link)
		if (!buffer->unexported)
			announce(dev, c, buffer);
	send_consumers(dev);
}

/* The consumer is off the list already: its frames and imports go. */
void vdm_device_disconnected(struct vdm_dev *dev, struct vdm_consumer *c)
{
	u64 bit = BIT_ULL(c->slot);
	struct vdm_buffer *buffer, *tmp;

	list_for_each_entry_safe(buffer, tmp, &dev->buffers, link) {
		settle(dev, buffer, bit);
		if (buffer->importers & bit) {
			buffer->importers &= ~bit;
			dev->stats.imports--;
			maybe_retire(dev, buffer);
		}
	}
	send_consumers(dev);
}

static int consumer_import(struct vdm_dev *dev, struct vdm_consumer *c,
			   const struct vdmabuf_consumer_msg *req,
			   struct vdmabuf_consumer_msg *reply, struct dma_buf **import)
{
	struct vdm_buffer *buffer = find_buffer(dev, &req->id);
	u64 bit = BIT_ULL(c->slot);

	if (!buffer || buffer->unexported)
		return -ENOENT;
	if (buffer->importers & bit)
		return -EEXIST;
	buffer->importers |= bit;
	dev->stats.imports++;
	reply->type = VDMABUF_MSG_IMPORT;
	reply->id = req->id;
	reply->u.buffer = buffer->desc;
	get_dma_buf(buffer->dmabuf);
	*import = buffer->dmabuf;
	pr_debug("dev %u: buffer " VDM_ID_FMT " imported by consumer %u\n",
		 dev->nr, VDM_ID_ARG(&buffer->id), c->slot);
	return 0;
}

static int consumer_drop(struct vdm_dev *dev, struct vdm_consumer *c,
			 const struct vdmabuf_id *id)
{
	struct vdm_buffer *buffer = find_buffer(dev, id);
	u64 bit = BIT_ULL(c->slot);

	if (!buffer)
		return -ENOENT;
	if (!(buffer->importers & bit))
		return -EPERM;
	settle(dev, buffer, bit);
	buffer->importers &= ~bit;
	dev->stats.imports--;
	maybe_retire(dev, buffer);
	return 0;
}

/* The import's fd could not be handed over: as if dropped at once. */
void vdm_device_undo_import(struct vdm_dev *dev, struct vdm_consumer *c,
			    const struct vdmabuf_id *id)
{
	if (c->attached)
		consumer_drop(dev, c, id);
}

static int consumer_release(struct vdm_dev *dev, struct vdm_consumer *c,
			    const struct vdmabuf_consumer_msg *req)
{
	struct vdm_buffer *buffer = find_buffer(dev, &req->id);
	const struct vdmabuf_msg_release *r = &req->u.release;
	u64 bit = BIT_ULL(c->slot);

	if (!buffer)
		return -ENOENT;
	if (!(buffer->importers & bit))
		return -EPERM;
	if (!buffer->presented || buffer->frame != r->frame || !(buffer->owed & bit))
		return -EALREADY;
	/* The first consumer that saw it on screen times the guest. */
	if ((r->flags & VDMABUF_RELEASE_PRESENTED) &&
	    !(buffer->timing.flags & VDMABUF_RELEASE_PRESENTED))
		buffer->timing = *r;
	settle(dev, buffer, bit);
	return 0;
}

static int consumer_mode_hint(struct vdm_dev *dev, const struct vdmabuf_consumer_msg *req)
{
	const struct vdmabuf_msg_mode *m = &req->u.mode;

	if (!m->width || !m->height || m->width > VDMABUF_MAX_DIMENSION ||
	    m->height > VDMABUF_MAX_DIMENSION || m->scale_120 > 120 * 16)
		return -EINVAL;
	dev->mode_hint = *m;
	pr_info_ratelimited("dev %u: mode hint %ux%u@%u mHz scale %u/120\n",
			    dev->nr, m->width, m->height, m->refresh_mhz, m->scale_120);
	send_mode_hint(dev);
	return 0;
}

void vdm_device_stats(struct vdm_dev *dev, struct vdmabuf_msg_stats *stats)
{
	*stats = dev->stats;
	stats->buffers = dev->num_buffers;
	stats->consumers = dev->num_consumers;
}

int vdm_device_consumer_cmd(struct vdm_dev *dev, struct vdm_consumer *c,
			    const struct vdmabuf_consumer_msg *req,
			    struct vdmabuf_consumer_msg *reply, struct dma_buf **import)
{
	int err;

	memset(reply, 0, sizeof(*reply));
	switch (req->type) {
	case VDMABUF_MSG_IMPORT:
		err = consumer_import(dev, c, req, reply, import);
		break;
	case VDMABUF_MSG_RELEASE:
		err = consumer_release(dev, c, req);
		break;
	case VDMABUF_MSG_DROP:
		err = consumer_drop(dev, c, &req->id);
		break;
	case VDMABUF_MSG_MODE_HINT:
		err = consumer_mode_hint(dev, req);
		break;
	case VDMABUF_MSG_STATS:
		reply->type = VDMABUF_MSG_STATS;
		vdm_device_stats(dev, &reply->u.stats);
		return 0;
	default:
		err = -EOPNOTSUPP;
		break;
	}
	if (err) {
		pr_debug("dev %u: consumer %u: request %u for " VDM_ID_FMT ": %d\n",
			 dev->nr, c->slot, req->type, VDM_ID_ARG(&req->id), err);
		memset(reply, 0, sizeof(*reply));
		reply->type = VDMABUF_MSG_REPLY;
		reply->status = err;
		reply->status_of = req->type;
		reply->id = req->id;
	}
	return err;
}
