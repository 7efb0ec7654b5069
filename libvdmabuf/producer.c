// SPDX-License-Identifier: MIT
/* The guest half of libvdmabuf: /dev/vdmabuf (protocol/vdmabuf_uapi.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vdmabuf.h"
#include "vdmabuf_uapi.h"

/* The keymap being received, in pieces: text has room for size and a NUL. */
struct keymap_rx {
	char *text;
	uint32_t format, size, received;
};

struct vdmabuf_producer {
	int fd;
	uint32_t events;		/* VDMABUF_SUBSCRIBE_* */
	bool outputs;			/* the listener's output_hint is read */
	struct keymap_rx keymap;
};

struct vdmabuf_producer *vdmabuf_producer_create(const char *path, int *err)
{
	struct vdmabuf_producer *producer = calloc(1, sizeof(*producer));

	if (!producer) {
		*err = -ENOMEM;
		return NULL;
	}
	/* Non-blocking: dispatch reads until there is nothing left. */
	producer->fd = open(path ? path : "/dev/vdmabuf", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (producer->fd < 0) {
		*err = -errno;
		free(producer);
		return NULL;
	}
	return producer;
}

void vdmabuf_producer_destroy(struct vdmabuf_producer *producer)
{
	if (!producer)
		return;
	free(producer->keymap.text);
	close(producer->fd);
	free(producer);
}

int vdmabuf_producer_get_fd(struct vdmabuf_producer *producer)
{
	return producer->fd;
}

static int ioctl_retry(int fd, unsigned long request, void *arg)
{
	int ret;

	do
		ret = ioctl(fd, request, arg);
	while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : ret;
}

int vdmabuf_producer_info(struct vdmabuf_producer *producer, struct vdmabuf_info *info)
{
	struct vdmabuf_ioc_info ioc = { 0 };
	int ret = ioctl_retry(producer->fd, VDMABUF_IOC_INFO, &ioc);

	if (ret < 0)
		return ret;
	*info = (struct vdmabuf_info){
		.features = ioc.features,
		.max_buffer_size = ioc.max_buffer_size,
		.max_buffers = ioc.max_buffers,
		.max_buffers_per_file = ioc.max_buffers_per_file,
		.max_extents = ioc.max_extents,
		.consumers = ioc.consumers,
	};
	return 0;
}

int vdmabuf_producer_export(struct vdmabuf_producer *producer, int dmabuf_fd,
			    const struct vdmabuf_buffer_desc *desc, struct vdmabuf_id *id)
{
	struct vdmabuf_ioc_export ioc = {
		.fd = dmabuf_fd,
		.width = desc->width,
		.height = desc->height,
		.fourcc = desc->fourcc,
		.num_planes = desc->num_planes,
		.modifier = desc->modifier,
	};
	int ret;

	for (unsigned int i = 0; i < 4; i++) {
		ioc.planes[i].offset = desc->planes[i].offset;
		ioc.planes[i].stride = desc->planes[i].stride;
	}
	ret = ioctl_retry(producer->fd, VDMABUF_IOC_EXPORT, &ioc);
	if (ret < 0)
		return ret;
	*id = ioc.id;
	return 0;
}

int vdmabuf_producer_present(struct vdmabuf_producer *producer, const struct vdmabuf_id *id,
			     uint64_t frame, const struct vdmabuf_rect *damage,
			     unsigned int num_damage)
{
	return vdmabuf_producer_present_fenced(producer, id, frame, damage, num_damage, -1);
}

int vdmabuf_producer_present_fenced(struct vdmabuf_producer *producer,
				    const struct vdmabuf_id *id, uint64_t frame,
				    const struct vdmabuf_rect *damage, unsigned int num_damage,
				    int fence_fd)
{
	return vdmabuf_producer_present_output(producer, 0, id, frame, damage, num_damage,
					       fence_fd);
}

int vdmabuf_producer_present_output(struct vdmabuf_producer *producer, uint32_t output,
				    const struct vdmabuf_id *id, uint64_t frame,
				    const struct vdmabuf_rect *damage, unsigned int num_damage,
				    int fence_fd)
{
	struct vdmabuf_ioc_present ioc = {
		.id = *id,
		.frame = frame,
		.flags = fence_fd >= 0 ? VDMABUF_PRESENT_FENCE_FD : 0,
		.fence_fd = fence_fd,
		.output = output,
	};

	if (num_damage > VDMABUF_MAX_DAMAGE_RECTS || output >= VDMABUF_MAX_OUTPUTS)
		return -EINVAL;
	ioc.num_damage = damage ? num_damage : 0;
	for (unsigned int i = 0; i < ioc.num_damage; i++) {
		if (damage[i].x < 0 || damage[i].y < 0 || damage[i].width < 0 ||
		    damage[i].height < 0)
			return -EINVAL;
		ioc.damage[i] = (struct vdmabuf_urect){ damage[i].x, damage[i].y,
							damage[i].width, damage[i].height };
	}
	return ioctl_retry(producer->fd, VDMABUF_IOC_PRESENT, &ioc);
}

int vdmabuf_producer_pointer(struct vdmabuf_producer *producer, const struct vdmabuf_id *image,
			     uint64_t serial, uint32_t hotspot_x, uint32_t hotspot_y,
			     uint32_t constraint)
{
	struct vdmabuf_ioc_pointer ioc = { .constraint = constraint };

	if (constraint > VDMABUF_CONSTRAINT_CONFINED)
		return -EINVAL;
	if (image) {
		ioc.id = *image;
		ioc.serial = serial;
		ioc.flags = VDMABUF_POINTER_IMAGE;
		ioc.hotspot_x = hotspot_x;
		ioc.hotspot_y = hotspot_y;
	}
	return ioctl_retry(producer->fd, VDMABUF_IOC_POINTER, &ioc);
}

void vdmabuf_producer_listen_outputs(struct vdmabuf_producer *producer)
{
	producer->outputs = true;
}

int vdmabuf_producer_output(struct vdmabuf_producer *producer, uint32_t output, uint32_t width,
			    uint32_t height, uint32_t refresh_mhz, uint32_t scale_120)
{
	struct vdmabuf_ioc_output ioc = {
		.output = output, .width = width, .height = height,
		.refresh_mhz = refresh_mhz, .scale_120 = scale_120,
	};

	return ioctl_retry(producer->fd, VDMABUF_IOC_OUTPUT, &ioc);
}

int vdmabuf_producer_output_gone(struct vdmabuf_producer *producer, uint32_t output)
{
	struct vdmabuf_ioc_output ioc = { .output = output, .flags = VDMABUF_IOC_OUTPUT_GONE };

	return ioctl_retry(producer->fd, VDMABUF_IOC_OUTPUT, &ioc);
}

int vdmabuf_producer_unexport(struct vdmabuf_producer *producer, const struct vdmabuf_id *id)
{
	struct vdmabuf_ioc_unexport ioc = { .id = *id };

	return ioctl_retry(producer->fd, VDMABUF_IOC_UNEXPORT, &ioc);
}

int vdmabuf_producer_subscribe(struct vdmabuf_producer *producer, uint32_t events)
{
	struct vdmabuf_ioc_subscribe ioc = { .events = events };
	int ret = ioctl_retry(producer->fd, VDMABUF_IOC_SUBSCRIBE, &ioc);

	if (ret < 0)
		return ret;
	producer->events = events;
	return 0;
}

int vdmabuf_producer_offer(struct vdmabuf_producer *producer, uint32_t selection,
			   uint32_t formats)
{
	struct vdmabuf_ioc_selection ioc = { .selection = selection, .formats = formats };

	return ioctl_retry(producer->fd, VDMABUF_IOC_SELECTION, &ioc);
}

int vdmabuf_producer_clip_open(struct vdmabuf_producer *producer, uint32_t selection,
			       uint32_t serial, uint32_t format, uint32_t *transfer)
{
	struct vdmabuf_ioc_clip_open ioc = {
		.selection = selection, .serial = serial, .format = format,
	};
	int ret = ioctl_retry(producer->fd, VDMABUF_IOC_CLIP_OPEN, &ioc);

	if (ret == 0)
		*transfer = ioc.transfer;
	return ret;
}

int vdmabuf_producer_clip_send(struct vdmabuf_producer *producer, uint32_t transfer,
			       const void *bytes, size_t len, bool end, int status)
{
	struct vdmabuf_ioc_clip_data ioc = {
		.transfer = transfer, .len = (uint32_t)len,
		.flags = end ? VDMABUF_CLIP_END : 0, .status = (uint32_t)-status,
		.data = (uint64_t)(uintptr_t)bytes,
	};

	if (len > VDMABUF_CLIP_WINDOW || status > 0)
		return -EINVAL;
	return ioctl_retry(producer->fd, VDMABUF_IOC_CLIP_DATA, &ioc);
}

int vdmabuf_producer_clip_ack(struct vdmabuf_producer *producer, uint32_t transfer,
			      uint32_t bytes)
{
	struct vdmabuf_ioc_clip_ack ioc = { .transfer = transfer, .bytes = bytes };

	return ioctl_retry(producer->fd, VDMABUF_IOC_CLIP_ACK, &ioc);
}

int vdmabuf_producer_clip_close(struct vdmabuf_producer *producer, uint32_t transfer)
{
	struct vdmabuf_ioc_clip_ack ioc = { .transfer = transfer };

	return ioctl_retry(producer->fd, VDMABUF_IOC_CLIP_CLOSE, &ioc);
}

static void deliver_clip(const struct vdmabuf_uevent *ev, const struct vdmabuf_clip_listener *l,
			 void *data)
{
	const struct vdmabuf_uclip *c = &ev->clip;

	switch (ev->type) {
	case VDMABUF_UEVENT_SELECTION:
		if (l->selection)
			l->selection(data, c->info.selection, c->info.serial, c->info.formats);
		break;
	case VDMABUF_UEVENT_CLIP_SEND:
		if (l->send)
			l->send(data, c->transfer, c->info.selection, c->info.format);
		break;
	case VDMABUF_UEVENT_CLIP_DATA:
		if (l->data)
			l->data(data, c->transfer, c->piece.data,
				c->piece.len < sizeof(c->piece.data) ? c->piece.len :
								     sizeof(c->piece.data),
				c->piece.flags & VDMABUF_CLIP_END, -(int)c->piece.status);
		break;
	case VDMABUF_UEVENT_CLIP_ACK:
		if (l->ack)
			l->ack(data, c->transfer, c->info.bytes);
		break;
	case VDMABUF_UEVENT_CLIP_CANCEL:
		if (l->cancel)
			l->cancel(data, c->transfer, -(int)c->info.status);
		break;
	}
}

static void keymap_rx_reset(struct keymap_rx *rx)
{
	free(rx->text);
	*rx = (struct keymap_rx){ 0 };
}

/*
 * One piece of a keymap; the listener hears the whole. A piece out of
 * order (one lost to a full queue) drops the keymap: the driver sends
 * the next whole one from offset 0.
 */
static void receive_keymap(struct vdmabuf_producer *producer, const struct vdmabuf_ukeymap *km,
			   const struct vdmabuf_producer_listener *l, void *data)
{
	struct keymap_rx *rx = &producer->keymap;
	char *text;

	if (!vdmabuf_keymap_piece_valid(km->format, km->size, km->offset, km->len,
					sizeof(km->data), rx->received) ||
	    (km->offset && (km->size != rx->size || km->format != rx->format))) {
		keymap_rx_reset(rx);
		return;
	}
	if (!km->offset) {
		text = realloc(rx->text, (size_t)km->size + 1);
		if (!text) {
			keymap_rx_reset(rx);
			return;
		}
		*rx = (struct keymap_rx){ .text = text, .format = km->format, .size = km->size };
	}
	memcpy(rx->text + km->offset, km->data, km->len);
	rx->received += km->len;
	if (rx->received < rx->size)
		return;
	rx->text[rx->size] = '\0';
	if (l->keymap)
		l->keymap(data, rx->format, rx->text, rx->size);
	keymap_rx_reset(rx);
}

static void deliver_input(struct vdmabuf_producer *producer, const struct vdmabuf_uinput *in,
			  const struct vdmabuf_producer_listener *l, void *data)
{
	struct vdmabuf_input_event ev = {
		.kind = in->kind,
		.time_usec = in->time_usec,
	};

	memcpy(ev.args, in->args, sizeof(ev.args));
	if (producer->outputs) {
		if (l->output_input)
			l->output_input(data, in->output, &ev);
	} else if (l->input) {
		l->input(data, &ev);
	}
}

int vdmabuf_producer_formats(struct vdmabuf_producer *producer, struct vdmabuf_format *formats,
			     uint32_t room, uint32_t *count)
{
	struct vdmabuf_ioc_formats ioc = { .formats = (uintptr_t)formats, .count = room };
	int ret = ioctl_retry(producer->fd, VDMABUF_IOC_FORMATS, &ioc);

	if (ret < 0)
		return ret;
	*count = ioc.count;
	return 0;
}

/* The host's list changed: read it whole, as the driver has it now. */
static void deliver_formats(struct vdmabuf_producer *producer,
			    const struct vdmabuf_producer_listener *l, void *data)
{
	struct vdmabuf_format *formats;
	uint32_t count;

	if (!l->formats)
		return;
	formats = calloc(VDMABUF_MAX_FORMATS, sizeof(*formats));
	if (!formats)
		return;
	if (vdmabuf_producer_formats(producer, formats, VDMABUF_MAX_FORMATS, &count) == 0)
		l->formats(data, formats, count < VDMABUF_MAX_FORMATS ? count : VDMABUF_MAX_FORMATS);
	free(formats);
}

static void deliver(struct vdmabuf_producer *producer, const struct vdmabuf_uevent *ev,
		    const struct vdmabuf_producer_listener *l, void *data)
{
	struct vdmabuf_id id = ev->id;
	bool input = producer->events & VDMABUF_SUBSCRIBE_INPUT;

	switch (ev->type) {
	case VDMABUF_UEVENT_RELEASE:
		if (l->release)
			l->release(data, &id, ev->frame, ev->present_ns, ev->refresh_ns,
				   ev->flags);
		break;
	case VDMABUF_UEVENT_RETIRED:
		if (l->retired)
			l->retired(data, &id);
		break;
	case VDMABUF_UEVENT_CONSUMERS:
		if (l->consumers)
			l->consumers(data, ev->count);
		break;
	case VDMABUF_UEVENT_MODE_HINT:
		if (producer->outputs) {
			if (l->output_hint)
				l->output_hint(data, ev->output, ev->flags, ev->width, ev->height,
					       ev->refresh_mhz, ev->scale_120);
		} else if (l->mode_hint && !ev->output && !ev->flags) {
			/* A listener of one output hears that output's wishes only. */
			l->mode_hint(data, ev->width, ev->height, ev->refresh_mhz, ev->scale_120);
		}
		break;
	case VDMABUF_UEVENT_RESET:
		if (l->reset)
			l->reset(data);
		break;
	case VDMABUF_UEVENT_INPUT:
		if (input)
			deliver_input(producer, &ev->input, l, data);
		break;
	case VDMABUF_UEVENT_KEYMAP:
		if (input)
			receive_keymap(producer, &ev->keymap, l, data);
		break;
	case VDMABUF_UEVENT_FORMATS:
		deliver_formats(producer, l, data);
		break;
	case VDMABUF_UEVENT_SELECTION:
	case VDMABUF_UEVENT_CLIP_SEND:
	case VDMABUF_UEVENT_CLIP_DATA:
	case VDMABUF_UEVENT_CLIP_ACK:
	case VDMABUF_UEVENT_CLIP_CANCEL:
		if ((producer->events & VDMABUF_SUBSCRIBE_CLIPBOARD) && l->clip)
			deliver_clip(ev, l->clip, data);
		break;
	default:
		/* Newer drivers may add events; older producers skip them. */
		break;
	}
}

int vdmabuf_producer_dispatch(struct vdmabuf_producer *producer,
			      const struct vdmabuf_producer_listener *listener, void *data)
{
	struct vdmabuf_uevent events[16];
	int handled = 0;

	for (;;) {
		ssize_t n = read(producer->fd, events, sizeof(events));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return handled;
			return -errno;
		}
		if (n == 0 || n % sizeof(events[0]))
			return n == 0 ? handled : -EPROTO;
		for (size_t i = 0; i < n / sizeof(events[0]); i++, handled++)
			deliver(producer, &events[i], listener, data);
	}
}
