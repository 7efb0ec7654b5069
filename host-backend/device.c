// SPDX-License-Identifier: MIT
/*
 * The vdmabuf device model (protocol/vdmabuf-spec.md): control requests
 * from the guest, events to it, and the host consumers in between.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "buffer.h"
#include "consumer.h"
#include "device.h"
#include "log.h"
#include "vhost_user.h"

/* Largest request: an EXPORT with the most extents we advertise. */
#define MAX_REQUEST (sizeof(struct vdmabuf_export) + \
		     VDMABUF_MAX_EXTENTS * sizeof(struct vdmabuf_extent))

/* Events wait here while the guest has no event buffer posted. */
#define EVENT_BACKLOG (2 * VDMABUF_MAX_BUFFERS)

#define UDMABUF_PARAMS "/sys/module/udmabuf/parameters/"

struct vdmabuf_device {
	struct vhost_user vhost;
	struct consumer_server consumers;
	int udmabuf_dev;
	uint32_t max_extents;		/* udmabuf's list_limit, capped */
	uint64_t max_buffer_size;	/* udmabuf's size_limit_mb, capped */

	/* The current device instance: reset renews all of it. */
	uint64_t instance;		/* id.device */
	uint32_t next_seq;
	struct list buffers;		/* struct buffer.link */
	unsigned int num_buffers;	/* not yet unexported */
	struct vdmabuf_event backlog[EVENT_BACKLOG];
	unsigned int backlog_head, backlog_len;
	unsigned long events_lost;

	struct vdmabuf_msg_mode mode_hint;	/* last one asked for */
	struct vdmabuf_msg_stats stats;
	/* One each: handling a request may send events. */
	struct virtqueue_elem *control_elem, *event_elem;
	uint8_t *request;
};

static struct vdmabuf_device *device_from_vhost(struct vhost_user *vu)
{
	return container_of(vu, struct vdmabuf_device, vhost);
}

static struct vdmabuf_device *device_from_consumers(struct consumer_server *server)
{
	return container_of(server, struct vdmabuf_device, consumers);
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static void random_bytes(void *buf, size_t len)
{
	if (getrandom(buf, len, 0) != (ssize_t)len)
		abort();
}

/* "device:key", the form every log line and tool uses. */
struct id_str {
	char s[VDMABUF_ID_STRLEN];
};

static struct id_str format_id(const struct vdmabuf_id *id)
{
	struct id_str str;

	snprintf(str.s, sizeof(str.s), "%016llx:%016llx",
		 (unsigned long long)id->device, (unsigned long long)id->key);
	return str;
}

static struct buffer *find_buffer(struct vdmabuf_device *dev, const struct vdmabuf_id *id)
{
	struct buffer *buffer, *tmp;

	list_for_each_safe(buffer, tmp, &dev->buffers, link)
		if (buffer->id.device == id->device && buffer->id.key == id->key)
			return buffer;
	return NULL;
}

/* Events to the guest */

static void flush_events(struct vdmabuf_device *dev)
{
	struct virtqueue *vq = &dev->vhost.vqs[VDMABUF_VQ_EVENT];
	struct virtqueue_elem *elem = dev->event_elem;
	bool used = false;
	int ret;

	if (!dev->vhost.running)
		return;
	while (dev->backlog_len && (ret = virtqueue_pop(vq, &dev->vhost.mem, elem))) {
		const struct vdmabuf_event *ev = &dev->backlog[dev->backlog_head];
		uint32_t written = 0;

		if (ret == -EIO)
			break;
		if (ret > 0 && elem->num_out == 0 && elem->in_len >= sizeof(*ev)) {
			written = virtqueue_elem_write(elem, ev, sizeof(*ev));
			dev->backlog_head = (dev->backlog_head + 1) % EVENT_BACKLOG;
			dev->backlog_len--;
		} else {
			log_warn("event: unusable buffer from the guest");
			dev->stats.bad_requests++;
		}
		virtqueue_push(vq, elem->head, written);
		used = true;
	}
	if (used)
		virtqueue_notify(vq);
}

static void send_event(struct vdmabuf_device *dev, const struct vdmabuf_event *ev)
{
	uint32_t type = le32toh(ev->type);

	/* A newer count or mode replaces one the guest has not taken yet. */
	if (type == VDMABUF_EVENT_CONSUMERS || type == VDMABUF_EVENT_MODE_HINT) {
		for (unsigned int i = 0; i < dev->backlog_len; i++) {
			struct vdmabuf_event *queued =
				&dev->backlog[(dev->backlog_head + i) % EVENT_BACKLOG];

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
	if (dev->backlog_len == EVENT_BACKLOG) {
		if (!dev->events_lost++)
			log_error("event: backlog full; events lost");
		return;
	}
	dev->backlog[(dev->backlog_head + dev->backlog_len++) % EVENT_BACKLOG] = *ev;
	flush_events(dev);
}

static struct vdmabuf_wire_id wire_id(const struct vdmabuf_id *id)
{
	return (struct vdmabuf_wire_id){ htole64(id->device), htole64(id->key) };
}

static void send_release(struct vdmabuf_device *dev, struct buffer *buffer)
{
	struct vdmabuf_event ev = { .type = htole32(VDMABUF_EVENT_RELEASE) };
	struct vdmabuf_release *r = &ev.u.release;

	r->id = wire_id(&buffer->id);
	r->frame = htole64(buffer->frame);
	if (vhost_user_has_feature(&dev->vhost, VDMABUF_F_PRESENT_TIMING)) {
		r->present_ns = htole64(buffer->timing.present_ns);
		r->refresh_ns = htole32(buffer->timing.refresh_ns);
		r->sent_ns = htole64(monotonic_ns());
	}
	r->flags = htole32(buffer->timing.flags);
	buffer->presented = false;
	buffer->owed = 0;
	dev->stats.releases_total++;
	send_event(dev, &ev);
}

static void send_consumers(struct vdmabuf_device *dev)
{
	struct vdmabuf_event ev = { .type = htole32(VDMABUF_EVENT_CONSUMERS) };

	if (!dev->vhost.running ||
	    !vhost_user_has_feature(&dev->vhost, VDMABUF_F_CONSUMER_EVENTS))
		return;
	ev.u.consumers.count = htole32(dev->consumers.count);
	send_event(dev, &ev);
}

static void send_mode_hint(struct vdmabuf_device *dev)
{
	struct vdmabuf_event ev = { .type = htole32(VDMABUF_EVENT_MODE_HINT) };

	if (!dev->vhost.running || !dev->mode_hint.width ||
	    !vhost_user_has_feature(&dev->vhost, VDMABUF_F_MODE_HINT))
		return;
	ev.u.mode_hint = (struct vdmabuf_mode_hint){
		htole32(dev->mode_hint.width), htole32(dev->mode_hint.height),
		htole32(dev->mode_hint.refresh_mhz), htole32(dev->mode_hint.scale_120),
	};
	send_event(dev, &ev);
}

/* A consumer slot let go of a presented frame; the last one releases it. */
static void settle(struct vdmabuf_device *dev, struct buffer *buffer, uint64_t slot_bit)
{
	if (!buffer->presented || !(buffer->owed & slot_bit))
		return;
	buffer->owed &= ~slot_bit;
	if (!buffer->owed)
		send_release(dev, buffer);
}

/* RETIRED once the guest unexported it and no consumer holds an import. */
static void maybe_retire(struct vdmabuf_device *dev, struct buffer *buffer)
{
	struct vdmabuf_event ev = { .type = htole32(VDMABUF_EVENT_RETIRED) };

	if (!buffer->unexported || buffer->importers)
		return;
	ev.u.retired.id = wire_id(&buffer->id);
	log_debug("buffer %s retired", format_id(&buffer->id).s);
	buffer_destroy(buffer);
	send_event(dev, &ev);
}

/* Control requests */

static void announce(struct vdmabuf_device *dev, struct consumer *only,
		     struct buffer *buffer)
{
	struct vdmabuf_consumer_msg msg = {
		.type = VDMABUF_MSG_BUFFER,
		.id = buffer->id,
		.u.buffer = buffer->desc,
	};

	if (only)
		consumer_send(only, &msg, -1);
	else
		consumer_broadcast(&dev->consumers, &msg);
}

static uint32_t handle_export(struct vdmabuf_device *dev, const uint8_t *req_bytes,
			      size_t len, struct vdmabuf_reply *reply)
{
	const struct vdmabuf_export *req = (const void *)req_bytes;
	struct buffer *buffer;
	uint32_t status, random_key;

	status = vdmabuf_check_export(req, len, dev->max_extents, dev->max_buffer_size);
	if (status != VDMABUF_S_OK)
		return status;
	if (dev->num_buffers >= VDMABUF_MAX_BUFFERS || dev->next_seq == 0)
		return VDMABUF_S_ENOSPC;
	status = buffer_create(&dev->vhost.mem, dev->udmabuf_dev, req,
			       (const void *)(req_bytes + sizeof(*req)),
			       dev->max_extents, &buffer);
	if (status != VDMABUF_S_OK)
		return status;
	random_bytes(&random_key, sizeof(random_key));
	buffer->id.device = dev->instance;
	buffer->id.key = (uint64_t)dev->next_seq++ << 32 | random_key;
	list_insert(dev->buffers.prev, &buffer->link);
	dev->num_buffers++;
	dev->stats.exports_total++;
	reply->id = wire_id(&buffer->id);
	log_debug("buffer %s exported: %ux%u %.4s, %llu bytes in %u extents",
		  format_id(&buffer->id).s, buffer->desc.width, buffer->desc.height,
		  (const char *)&buffer->desc.fourcc,
		  (unsigned long long)buffer->desc.size, buffer->desc.num_extents);
	announce(dev, NULL, buffer);
	return VDMABUF_S_OK;
}

static struct vdmabuf_id cpu_id(const struct vdmabuf_wire_id *id)
{
	return (struct vdmabuf_id){ le64toh(id->device), le64toh(id->key) };
}

static uint32_t handle_present(struct vdmabuf_device *dev, const uint8_t *req_bytes,
			       size_t len, struct vdmabuf_reply *reply)
{
	const struct vdmabuf_present *req = (const void *)req_bytes;
	struct vdmabuf_consumer_msg msg = { .type = VDMABUF_MSG_FRAME };
	struct vdmabuf_id id;
	struct buffer *buffer;
	uint32_t status, n;

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
	buffer->frame = le64toh(req->frame);
	buffer->owed = buffer->importers;
	buffer->timing = (struct vdmabuf_msg_release){ 0 };
	dev->stats.frames_total++;

	msg.id = id;
	msg.u.frame.frame = buffer->frame;
	n = vhost_user_has_feature(&dev->vhost, VDMABUF_F_DAMAGE) ?
		le32toh(req->num_damage) : 0;
	msg.u.frame.num_damage = n;
	for (uint32_t i = 0; i < n; i++) {
		msg.u.frame.damage[i].x = le32toh(req->damage[i].x);
		msg.u.frame.damage[i].y = le32toh(req->damage[i].y);
		msg.u.frame.damage[i].width = le32toh(req->damage[i].width);
		msg.u.frame.damage[i].height = le32toh(req->damage[i].height);
	}
	consumer_broadcast(&dev->consumers, &msg);
	/* Nobody to show it: hand it straight back, marked not presented. */
	if (!buffer->owed)
		send_release(dev, buffer);
	return VDMABUF_S_OK;
}

static uint32_t handle_unexport(struct vdmabuf_device *dev, const uint8_t *req_bytes,
				size_t len, struct vdmabuf_reply *reply)
{
	const struct vdmabuf_unexport *req = (const void *)req_bytes;
	struct vdmabuf_consumer_msg msg = { .type = VDMABUF_MSG_GONE };
	struct buffer *buffer;

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
	log_debug("buffer %s unexported", format_id(&buffer->id).s);
	consumer_broadcast(&dev->consumers, &msg);
	maybe_retire(dev, buffer);
	return VDMABUF_S_OK;
}

static uint32_t handle_request(struct vdmabuf_device *dev, const uint8_t *req,
			       size_t len, struct vdmabuf_reply *reply)
{
	const struct vdmabuf_ctrl_hdr *hdr = (const void *)req;

	if (len < sizeof(*hdr))
		return VDMABUF_S_EINVAL;
	reply->cookie = hdr->cookie;
	switch (le32toh(hdr->type)) {
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

static void process_control(struct vdmabuf_device *dev, struct virtqueue *vq)
{
	struct virtqueue_elem *elem = dev->control_elem;
	bool used = false;
	int ret;

	while ((ret = virtqueue_pop(vq, &dev->vhost.mem, elem)) != 0) {
		struct vdmabuf_reply reply = { 0 };
		uint32_t written = 0, status;

		if (ret == -EIO)
			break;
		if (ret > 0 && elem->in_len >= sizeof(reply)) {
			/* Parsed from our copy: the guest may change its own. */
			size_t len = virtqueue_elem_read(elem, dev->request, MAX_REQUEST);

			dev->stats.guest_bytes += len;
			status = handle_request(dev, dev->request, len, &reply);
			if (status != VDMABUF_S_OK) {
				dev->stats.bad_requests++;
				log_debug("request %#x refused: status %u",
					  len >= 4 ? le32toh(*(uint32_t *)dev->request) : 0,
					  status);
			}
			reply.status = htole32(status);
			written = virtqueue_elem_write(elem, &reply, sizeof(reply));
		} else {
			/* Malformed chain: returned unanswered (used length 0). */
			dev->stats.bad_requests++;
			if (ret > 0)
				log_warn("control: reply buffer of %zu bytes", elem->in_len);
		}
		virtqueue_push(vq, elem->head, written);
		used = true;
	}
	if (used)
		virtqueue_notify(vq);
}

/* vhost-user device callbacks */

void vdmabuf_config_write(void *config, const struct vdmabuf_limits *limits,
			  uint32_t consumers)
{
	struct vdmabuf_config cfg = {
		.max_buffers = htole32(limits->max_buffers),
		.max_extents = htole32(limits->max_extents),
		.max_buffer_size = htole64(limits->max_buffer_size),
		.consumers = htole32(consumers),
	};

	memcpy(config, &cfg, sizeof(cfg));
}

static void device_get_config(struct vhost_user *vu, void *config)
{
	struct vdmabuf_device *dev = device_from_vhost(vu);
	const struct vdmabuf_limits limits = {
		.max_buffers = VDMABUF_MAX_BUFFERS,
		.max_extents = dev->max_extents,
		.max_buffer_size = dev->max_buffer_size,
	};

	vdmabuf_config_write(config, &limits, dev->consumers.count);
}

static void device_start(struct vhost_user *vu)
{
	struct vdmabuf_device *dev = device_from_vhost(vu);
	struct vdmabuf_event reset = { .type = htole32(VDMABUF_EVENT_RESET) };

	/* Whatever the driver exported before this start is gone. */
	send_event(dev, &reset);
	send_consumers(dev);
	send_mode_hint(dev);
}

static void device_reset(struct vhost_user *vu)
{
	struct vdmabuf_device *dev = device_from_vhost(vu);
	struct vdmabuf_consumer_msg msg = { .type = VDMABUF_MSG_RESET };
	struct buffer *buffer, *tmp;
	unsigned int n = 0;

	list_for_each_safe(buffer, tmp, &dev->buffers, link) {
		buffer_destroy(buffer);
		n++;
	}
	dev->num_buffers = 0;
	dev->backlog_len = 0;
	random_bytes(&dev->instance, sizeof(dev->instance));
	dev->next_seq = 1;
	msg.id.device = dev->instance;
	consumer_broadcast(&dev->consumers, &msg);
	if (n)
		log_info("device reset: %u buffers dropped", n);
}

static void device_kick(struct vhost_user *vu, struct virtqueue *vq)
{
	struct vdmabuf_device *dev = device_from_vhost(vu);

	if (vq->index == VDMABUF_VQ_CONTROL)
		process_control(dev, vq);
	else
		flush_events(dev);
}

static const struct vhost_user_impl device_vhost_impl = {
	.features = VDMABUF_DEVICE_FEATURES,
	.config_size = sizeof(struct vdmabuf_config),
	.get_config = device_get_config,
	.start = device_start,
	.reset = device_reset,
	.kick = device_kick,
};

/* Consumer callbacks */

static void consumer_connected(struct consumer_server *server, struct consumer *consumer)
{
	struct vdmabuf_device *dev = device_from_consumers(server);
	struct vdmabuf_consumer_msg hello = {
		.type = VDMABUF_MSG_HELLO,
		.u.hello = {
			.version = VDMABUF_CONSUMER_VERSION,
			.consumers = server->count,
			.device = dev->instance,
			.guest_connected = dev->vhost.running,
		},
	};
	struct buffer *buffer, *tmp;

	consumer_send(consumer, &hello, -1);
	list_for_each_safe(buffer, tmp, &dev->buffers, link)
		if (!buffer->unexported)
			announce(dev, consumer, buffer);
	send_consumers(dev);
}

static void consumer_disconnected(struct consumer_server *server, struct consumer *consumer)
{
	struct vdmabuf_device *dev = device_from_consumers(server);
	uint64_t bit = 1ull << consumer->slot;
	struct buffer *buffer, *tmp;

	list_for_each_safe(buffer, tmp, &dev->buffers, link) {
		settle(dev, buffer, bit);
		if (buffer->importers & bit) {
			buffer->importers &= ~bit;
			dev->stats.imports--;
			maybe_retire(dev, buffer);
		}
	}
	send_consumers(dev);
}

static int consumer_import(struct vdmabuf_device *dev, struct consumer *consumer,
			   const struct vdmabuf_consumer_msg *req)
{
	struct buffer *buffer = find_buffer(dev, &req->id);
	uint64_t bit = 1ull << consumer->slot;
	struct vdmabuf_consumer_msg msg = { .type = VDMABUF_MSG_IMPORT, .id = req->id };

	if (!buffer || buffer->unexported)
		return -ENOENT;
	if (buffer->importers & bit)
		return -EEXIST;
	buffer->importers |= bit;
	dev->stats.imports++;
	msg.u.buffer = buffer->desc;
	consumer_send(consumer, &msg, buffer->dmabuf_fd);
	log_debug("buffer %s imported by consumer %u", format_id(&buffer->id).s,
		  consumer->slot);
	return 0;
}

static int consumer_release(struct vdmabuf_device *dev, struct consumer *consumer,
			    const struct vdmabuf_consumer_msg *req)
{
	struct buffer *buffer = find_buffer(dev, &req->id);
	const struct vdmabuf_msg_release *r = &req->u.release;
	uint64_t bit = 1ull << consumer->slot;

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

static int consumer_drop(struct vdmabuf_device *dev, struct consumer *consumer,
			 const struct vdmabuf_consumer_msg *req)
{
	struct buffer *buffer = find_buffer(dev, &req->id);
	uint64_t bit = 1ull << consumer->slot;

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

static int consumer_mode_hint(struct vdmabuf_device *dev, const struct vdmabuf_consumer_msg *req)
{
	const struct vdmabuf_msg_mode *m = &req->u.mode;

	if (!m->width || !m->height || m->width > VDMABUF_MAX_DIMENSION ||
	    m->height > VDMABUF_MAX_DIMENSION || m->scale_120 > 120 * 16)
		return -EINVAL;
	dev->mode_hint = *m;
	log_info("mode hint %ux%u@%u mHz scale %u/120", m->width, m->height,
		 m->refresh_mhz, m->scale_120);
	send_mode_hint(dev);
	return 0;
}

static void consumer_request(struct consumer_server *server, struct consumer *consumer,
			     const struct vdmabuf_consumer_msg *req)
{
	struct vdmabuf_device *dev = device_from_consumers(server);
	int err;

	switch (req->type) {
	case VDMABUF_MSG_IMPORT:
		err = consumer_import(dev, consumer, req);
		break;
	case VDMABUF_MSG_RELEASE:
		err = consumer_release(dev, consumer, req);
		break;
	case VDMABUF_MSG_DROP:
		err = consumer_drop(dev, consumer, req);
		break;
	case VDMABUF_MSG_MODE_HINT:
		err = consumer_mode_hint(dev, req);
		break;
	case VDMABUF_MSG_STATS: {
		struct vdmabuf_consumer_msg msg = { .type = VDMABUF_MSG_STATS };

		msg.u.stats = dev->stats;
		msg.u.stats.buffers = dev->num_buffers;
		msg.u.stats.consumers = server->count;
		consumer_send(consumer, &msg, -1);
		return;
	}
	default:
		err = -EOPNOTSUPP;
		break;
	}
	if (err) {
		log_debug("consumer %u: request %u for %s: %s", consumer->slot,
			  req->type, format_id(&req->id).s, strerror(-err));
		consumer_reply(consumer, req, err);
	}
}

static const struct consumer_server_impl device_consumer_impl = {
	.connected = consumer_connected,
	.disconnected = consumer_disconnected,
	.request = consumer_request,
};

static uint64_t read_param(const char *name, uint64_t fallback)
{
	unsigned long long v;
	FILE *f = fopen(name, "re");

	if (!f)
		return fallback;
	if (fscanf(f, "%llu", &v) != 1)
		v = fallback;
	fclose(f);
	return v;
}

struct vdmabuf_device *vdmabuf_device_create(struct event_loop *loop,
					     const struct vdmabuf_device_config *config)
{
	struct vdmabuf_device *dev = calloc(1, sizeof(*dev));
	uint64_t list_limit, size_limit_mb;

	if (!dev)
		return NULL;
	list_init(&dev->buffers);
	dev->udmabuf_dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev->udmabuf_dev < 0) {
		log_error("/dev/udmabuf: %s (a kernel with CONFIG_UDMABUF is needed)",
			  strerror(errno));
		free(dev);
		return NULL;
	}
	/* udmabuf's own limits bound what a guest may export. */
	list_limit = read_param(UDMABUF_PARAMS "list_limit", 1024);
	size_limit_mb = read_param(UDMABUF_PARAMS "size_limit_mb", 64);
	dev->max_extents = list_limit < VDMABUF_MAX_EXTENTS ? list_limit : VDMABUF_MAX_EXTENTS;
	dev->max_buffer_size = size_limit_mb << 20 < VDMABUF_MAX_BUFFER_SIZE ?
		size_limit_mb << 20 : VDMABUF_MAX_BUFFER_SIZE;
	log_info("udmabuf: up to %u ranges and %llu MiB per buffer", dev->max_extents,
		 (unsigned long long)(dev->max_buffer_size >> 20));
	random_bytes(&dev->instance, sizeof(dev->instance));
	dev->next_seq = 1;

	dev->control_elem = malloc(sizeof(*dev->control_elem));
	dev->event_elem = malloc(sizeof(*dev->event_elem));
	dev->request = malloc(MAX_REQUEST);
	if (!dev->control_elem || !dev->event_elem || !dev->request)
		goto err;
	if (consumer_server_init(&dev->consumers, &device_consumer_impl, loop,
				 config->consumer_socket, config->consumer_mode,
				 config->consumer_group) < 0)
		goto err;
	if (vhost_user_init(&dev->vhost, &device_vhost_impl, loop,
			    config->vhost_socket, VDMABUF_NUM_VQS, config->fd_store) < 0) {
		consumer_server_finish(&dev->consumers);
		goto err;
	}
	return dev;
err:
	close(dev->udmabuf_dev);
	free(dev->request);
	free(dev->event_elem);
	free(dev->control_elem);
	free(dev);
	return NULL;
}

void vdmabuf_device_destroy(struct vdmabuf_device *dev)
{
	struct buffer *buffer, *tmp;

	if (!dev)
		return;
	vhost_user_finish(&dev->vhost);
	consumer_server_finish(&dev->consumers);
	list_for_each_safe(buffer, tmp, &dev->buffers, link)
		buffer_destroy(buffer);
	close(dev->udmabuf_dev);
	free(dev->request);
	free(dev->event_elem);
	free(dev->control_elem);
	free(dev);
}
