// SPDX-License-Identifier: MIT
/*
 * The vdmabuf device model (protocol/vdmabuf-spec.md) on top of the
 * vhost-user backend: control requests in, events out.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "device.h"
#include "log.h"
#include "vdmabuf_proto.h"

#define DEVICE_FEATURES ((1ull << VDMABUF_F_DAMAGE) | \
			 (1ull << VDMABUF_F_PRESENT_TIMING) | \
			 (1ull << VDMABUF_F_MODE_HINT) | \
			 (1ull << VDMABUF_F_CONSUMER_EVENTS))

/* Largest request: an EXPORT with the most extents we advertise. */
#define MAX_REQUEST (sizeof(struct vdmabuf_export) + \
		     VDMABUF_MAX_EXTENTS * sizeof(struct vdmabuf_extent))

struct vdmabuf_device {
	struct vhost_user vhost;
	uint64_t instance;		/* id.device: random, new per reset */
	uint32_t next_seq;
	struct virtqueue_elem *elem;
	uint8_t *request;
	unsigned long bad_requests;
};

static struct vdmabuf_device *device_from_vhost(struct vhost_user *vu)
{
	return container_of(vu, struct vdmabuf_device, vhost);
}

static void new_instance(struct vdmabuf_device *dev)
{
	if (getrandom(&dev->instance, sizeof(dev->instance), 0) != sizeof(dev->instance))
		abort();
	dev->next_seq = 1;
}

static void device_get_config(struct vhost_user *vu, void *config)
{
	struct vdmabuf_config cfg = {
		.max_buffers = htole32(VDMABUF_MAX_BUFFERS),
		.max_extents = htole32(VDMABUF_MAX_EXTENTS),
		.max_buffer_size = htole64(VDMABUF_MAX_BUFFER_SIZE),
		.consumers = 0,
	};

	memcpy(config, &cfg, sizeof(cfg));
}

static void device_start(struct vhost_user *vu)
{
}

static void device_reset(struct vhost_user *vu)
{
	new_instance(device_from_vhost(vu));
}

static uint32_t handle_request(struct vdmabuf_device *dev, const uint8_t *req,
			       size_t len, struct vdmabuf_reply *reply)
{
	const struct vdmabuf_ctrl_hdr *hdr = (const void *)req;

	if (len < sizeof(*hdr))
		return VDMABUF_S_EINVAL;
	reply->cookie = hdr->cookie;
	switch (le32toh(hdr->type)) {
	default:
		return VDMABUF_S_ENOTSUP;
	}
}

static void process_control(struct vdmabuf_device *dev, struct virtqueue *vq)
{
	struct virtqueue_elem *elem = dev->elem;
	bool used = false;
	int ret;

	while ((ret = virtqueue_pop(vq, &dev->vhost.mem, elem)) != 0) {
		struct vdmabuf_reply reply = { 0 };
		uint32_t written = 0;

		if (ret == -EIO)
			break;
		if (ret > 0 && elem->in_len >= sizeof(reply)) {
			/* Requests are copied once, then parsed from our copy. */
			size_t len = virtqueue_elem_read(elem, dev->request, MAX_REQUEST);

			reply.status = htole32(handle_request(dev, dev->request, len, &reply));
			written = virtqueue_elem_write(elem, &reply, sizeof(reply));
		} else if (ret > 0) {
			log_warn("control: reply buffer of %zu bytes", elem->in_len);
		}
		if (ret < 0 || written == 0)
			dev->bad_requests++;
		virtqueue_push(vq, elem->head, written);
		used = true;
	}
	if (used)
		virtqueue_notify(vq);
}

static void device_kick(struct vhost_user *vu, struct virtqueue *vq)
{
	struct vdmabuf_device *dev = device_from_vhost(vu);

	if (vq->index == VDMABUF_VQ_CONTROL)
		process_control(dev, vq);
	/* Event buffers stay in the ring until there is an event. */
}

static const struct vhost_user_impl device_impl = {
	.features = DEVICE_FEATURES,
	.config_size = sizeof(struct vdmabuf_config),
	.get_config = device_get_config,
	.start = device_start,
	.reset = device_reset,
	.kick = device_kick,
};

struct vdmabuf_device *vdmabuf_device_create(struct event_loop *loop,
					     const char *socket_path)
{
	struct vdmabuf_device *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return NULL;
	dev->elem = malloc(sizeof(*dev->elem));
	dev->request = malloc(MAX_REQUEST);
	if (!dev->elem || !dev->request)
		goto err;
	new_instance(dev);
	if (vhost_user_init(&dev->vhost, &device_impl, loop, socket_path,
			    VDMABUF_NUM_VQS) < 0)
		goto err;
	return dev;
err:
	free(dev->request);
	free(dev->elem);
	free(dev);
	return NULL;
}

void vdmabuf_device_destroy(struct vdmabuf_device *dev)
{
	if (!dev)
		return;
	vhost_user_finish(&dev->vhost);
	free(dev->request);
	free(dev->elem);
	free(dev);
}
