// SPDX-License-Identifier: MIT
/*
 * The host's clipboard and primary selection as a wlroots seat's (spec
 * §17). The seat's selections, whoever set them (a client through
 * wl_data_device, primary selection or wlr-data-control), are offered to
 * the host in the formats their MIME types name; the host's offers
 * become the seat's selections, as data sources of ours. A paste either
 * way is a transfer carried between the device and the pipe the Wayland
 * side handed out by a vdmabuf_clip_stream.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wlr/types/wlr_data_device.h>
#include <wlr/types/wlr_primary_selection.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/util/log.h>

#include "backend.h"

/* The host's offer of one selection, made the seat's. */
struct host_offer {
	struct vdmabuf_clipboard *clipboard;
	uint32_t selection, serial;
	union {
		struct wlr_data_source data;			/* the clipboard */
		struct wlr_primary_selection_source primary;	/* the primary selection */
	};
};

/* One paste in progress, either way. */
struct clip_paste {
	struct vdmabuf_clipboard *clipboard;
	struct vdmabuf_clip_stream *stream;
	struct wl_event_source *fd_source;
	bool to_host;			/* a guest client's data for the host */
	struct wl_list link;		/* vdmabuf_clipboard.pastes */
};

struct vdmabuf_clipboard {
	struct vdmabuf_backend *backend;
	struct wlr_seat *seat;
	struct host_offer *host[VDMABUF_SELECTIONS];	/* on the seat now, or NULL */
	uint32_t offered[VDMABUF_SELECTIONS];		/* formats the host has from us */
	struct wl_list pastes;				/* clip_paste.link */
	time_t log_second;				/* rate limit of the host's failures */
	unsigned int logged;

	struct wl_listener set_selection;
	struct wl_listener set_primary_selection;
	struct wl_listener seat_destroy;
};

static const char *const selection_name[VDMABUF_SELECTIONS] = { "clipboard", "primary" };

/* Lines the host can cause: at most ten a second. */
static bool log_allowed(struct vdmabuf_clipboard *clipboard)
{
	time_t now = time(NULL);

	if (now != clipboard->log_second) {
		clipboard->log_second = now;
		clipboard->logged = 0;
	}
	return clipboard->logged++ < 10;
}

/* Pastes */

static uint32_t wl_mask(short events)
{
	return (events & POLLIN ? WL_EVENT_READABLE : 0) |
	       (events & POLLOUT ? WL_EVENT_WRITABLE : 0);
}

static void paste_destroy(struct clip_paste *paste)
{
	wl_list_remove(&paste->link);
	if (paste->fd_source)
		wl_event_source_remove(paste->fd_source);
	vdmabuf_clip_stream_destroy(paste->stream);
	free(paste);
}

/* After the stream moved: ret as vdmabuf_clip_stream_dispatch's. */
static void paste_update(struct clip_paste *paste, int ret)
{
	struct vdmabuf_clipboard *clipboard = paste->clipboard;
	uint32_t transfer = vdmabuf_clip_stream_transfer(paste->stream);
	unsigned long long bytes = vdmabuf_clip_stream_bytes(paste->stream);

	if (ret == 0) {
		wl_event_source_fd_update(paste->fd_source,
					  wl_mask(vdmabuf_clip_stream_events(paste->stream)));
		return;
	}
	if (ret > 0 && log_allowed(clipboard))
		wlr_log(WLR_INFO, "vdmabuf: clipboard: transfer %u: %llu bytes %s the host",
			transfer, bytes, paste->to_host ? "to" : "from");
	else if (ret < 0 && log_allowed(clipboard))
		wlr_log(WLR_INFO, "vdmabuf: clipboard: transfer %u failed after %llu bytes: %s",
			transfer, bytes, strerror(-ret));
	paste_destroy(paste);
}

static int handle_paste_fd(int fd, uint32_t mask, void *data)
{
	struct clip_paste *paste = data;

	paste_update(paste, vdmabuf_clip_stream_dispatch(paste->stream));
	return 0;
}

/* Takes fd: a pipe's read end (to_host) or write end; on failure the transfer ends. */
static void paste_create(struct vdmabuf_clipboard *clipboard, uint32_t transfer, int fd,
			 bool to_host)
{
	struct vdmabuf_clip_stream *stream =
		vdmabuf_clip_stream_producer(clipboard->backend->producer, transfer, fd, to_host);
	struct clip_paste *paste = stream ? calloc(1, sizeof(*paste)) : NULL;

	if (!paste) {
		vdmabuf_clip_stream_destroy(stream);	/* ends the transfer */
		goto nomem;
	}
	paste->stream = stream;
	paste->clipboard = clipboard;
	paste->to_host = to_host;
	wl_list_init(&paste->link);
	paste->fd_source = wl_event_loop_add_fd(clipboard->backend->loop,
		vdmabuf_clip_stream_get_fd(paste->stream),
		wl_mask(vdmabuf_clip_stream_events(paste->stream)), handle_paste_fd, paste);
	if (!paste->fd_source) {
		paste_destroy(paste);	/* ends the transfer */
		goto nomem;
	}
	wl_list_insert(&clipboard->pastes, &paste->link);
	return;
nomem:
	wlr_log(WLR_ERROR, "vdmabuf: clipboard: transfer %u: no memory", transfer);
}

static struct clip_paste *paste_find(struct vdmabuf_clipboard *clipboard, uint32_t transfer)
{
	struct clip_paste *paste;

	wl_list_for_each(paste, &clipboard->pastes, link)
		if (vdmabuf_clip_stream_transfer(paste->stream) == transfer)
			return paste;
	return NULL;
}

/* The host's offers, as the seat's data sources */

/* A guest client pastes the host's offer as mime_type into fd. */
static void host_offer_send(struct host_offer *offer, const char *mime_type, int fd)
{
	struct vdmabuf_clipboard *clipboard = offer->clipboard;
	int format = vdmabuf_clip_format_of_mime(mime_type);
	uint32_t transfer;
	int err;

	if (!clipboard || format < 0) {
		close(fd);
		return;
	}
	err = vdmabuf_producer_clip_open(clipboard->backend->producer, offer->selection,
					 offer->serial, (uint32_t)format, &transfer);
	if (err) {
		if (log_allowed(clipboard))
			wlr_log(WLR_INFO, "vdmabuf: clipboard: the host's %s as %s: %s",
				selection_name[offer->selection], mime_type, strerror(-err));
		close(fd);
		return;
	}
	wlr_log(WLR_INFO, "vdmabuf: clipboard: transfer %u: the host's %s pasted as %s", transfer,
		selection_name[offer->selection], mime_type);
	paste_create(clipboard, transfer, fd, false);
}

static void host_offer_forget(struct host_offer *offer)
{
	if (offer->clipboard && offer->clipboard->host[offer->selection] == offer)
		offer->clipboard->host[offer->selection] = NULL;
	free(offer);
}

static void data_source_send(struct wlr_data_source *source, const char *mime_type, int32_t fd)
{
	struct host_offer *offer = wl_container_of(source, offer, data);

	host_offer_send(offer, mime_type, fd);
}

static void data_source_destroy(struct wlr_data_source *source)
{
	struct host_offer *offer = wl_container_of(source, offer, data);

	host_offer_forget(offer);
}

static const struct wlr_data_source_impl data_source_impl = {
	.send = data_source_send,
	.destroy = data_source_destroy,
};

static void primary_source_send(struct wlr_primary_selection_source *source,
				const char *mime_type, int fd)
{
	struct host_offer *offer = wl_container_of(source, offer, primary);

	host_offer_send(offer, mime_type, fd);
}

static void primary_source_destroy(struct wlr_primary_selection_source *source)
{
	struct host_offer *offer = wl_container_of(source, offer, primary);

	host_offer_forget(offer);
}

static const struct wlr_primary_selection_source_impl primary_source_impl = {
	.send = primary_source_send,
	.destroy = primary_source_destroy,
};

/* Every MIME type a client may ask the formats for. */
static bool add_mime_types(struct wl_array *mime_types, uint32_t formats)
{
	const char *const *mime;
	char **p;

	for (uint32_t i = 0; i < VDMABUF_CLIP_FORMATS; i++) {
		if (!(formats & (1u << i)))
			continue;
		for (mime = vdmabuf_clip_format_mimes(i); *mime; mime++) {
			p = wl_array_add(mime_types, sizeof(*p));
			if (!p || !(*p = strdup(*mime)))
				return false;
		}
	}
	return true;
}

static struct wl_array *seat_mime_types(struct wlr_seat *seat, uint32_t selection)
{
	if (selection == VDMABUF_SELECTION_CLIPBOARD)
		return seat->selection_source ? &seat->selection_source->mime_types : NULL;
	return seat->primary_selection_source ? &seat->primary_selection_source->mime_types : NULL;
}

static bool seat_has_host_offer(struct vdmabuf_clipboard *clipboard, uint32_t selection)
{
	struct wlr_seat *seat = clipboard->seat;

	if (selection == VDMABUF_SELECTION_CLIPBOARD)
		return seat->selection_source && seat->selection_source->impl == &data_source_impl;
	return seat->primary_selection_source &&
	       seat->primary_selection_source->impl == &primary_source_impl;
}

static void seat_set(struct vdmabuf_clipboard *clipboard, uint32_t selection,
		     struct host_offer *offer)
{
	struct wlr_seat *seat = clipboard->seat;
	uint32_t serial = wl_display_next_serial(seat->display);

	if (selection == VDMABUF_SELECTION_CLIPBOARD)
		wlr_seat_set_selection(seat, offer ? &offer->data : NULL, serial);
	else
		wlr_seat_set_primary_selection(seat, offer ? &offer->primary : NULL, serial);
}

static void host_selection(void *data, uint32_t selection, uint32_t serial, uint32_t formats)
{
	struct vdmabuf_backend *backend = data;
	struct vdmabuf_clipboard *clipboard = backend->clipboard;
	struct host_offer *offer;
	bool ok;

	if (!clipboard)
		return;
	if (!formats) {
		/* Withdrawn: the seat keeps a selection only if it is a guest's. */
		if (seat_has_host_offer(clipboard, selection))
			seat_set(clipboard, selection, NULL);
		return;
	}
	offer = calloc(1, sizeof(*offer));
	if (!offer)
		goto nomem;
	offer->clipboard = clipboard;
	offer->selection = selection;
	offer->serial = serial;
	if (selection == VDMABUF_SELECTION_CLIPBOARD) {
		wlr_data_source_init(&offer->data, &data_source_impl);
		ok = add_mime_types(&offer->data.mime_types, formats);
	} else {
		wlr_primary_selection_source_init(&offer->primary, &primary_source_impl);
		ok = add_mime_types(&offer->primary.mime_types, formats);
	}
	if (!ok) {
		if (selection == VDMABUF_SELECTION_CLIPBOARD)
			wlr_data_source_destroy(&offer->data);
		else
			wlr_primary_selection_source_destroy(&offer->primary);
		goto nomem;
	}
	/* The seat's selection from now on, and the host has none of ours. */
	clipboard->offered[selection] = 0;
	seat_set(clipboard, selection, offer);
	clipboard->host[selection] = offer;
	if (log_allowed(clipboard))
		wlr_log(WLR_INFO, "vdmabuf: clipboard: the host's %s (formats %#x) is the seat's",
			selection_name[selection], formats);
	return;
nomem:
	wlr_log(WLR_ERROR, "vdmabuf: clipboard: no memory for the host's %s",
		selection_name[selection]);
}

/* The seat's selections, offered to the host */

static void offer_seat_selection(struct vdmabuf_clipboard *clipboard, uint32_t selection)
{
	struct wl_array *types = seat_mime_types(clipboard->seat, selection);
	uint32_t formats = 0;
	char **p;
	int err, format;

	if (seat_has_host_offer(clipboard, selection))
		return;
	if (types)
		wl_array_for_each(p, types)
			if ((format = vdmabuf_clip_format_of_mime(*p)) >= 0)
				formats |= 1u << format;
	if (!formats && !clipboard->offered[selection])
		return;
	err = vdmabuf_producer_offer(clipboard->backend->producer, selection, formats);
	if (err) {
		wlr_log(WLR_ERROR, "vdmabuf: clipboard: offering the %s: %s",
			selection_name[selection], strerror(-err));
		return;
	}
	clipboard->offered[selection] = formats;
	wlr_log(WLR_INFO, "vdmabuf: clipboard: the seat's %s offered to the host (formats %#x)",
		selection_name[selection], formats);
}

static void handle_set_selection(struct wl_listener *listener, void *data)
{
	struct vdmabuf_clipboard *clipboard = wl_container_of(listener, clipboard, set_selection);

	offer_seat_selection(clipboard, VDMABUF_SELECTION_CLIPBOARD);
}

static void handle_set_primary_selection(struct wl_listener *listener, void *data)
{
	struct vdmabuf_clipboard *clipboard =
		wl_container_of(listener, clipboard, set_primary_selection);

	offer_seat_selection(clipboard, VDMABUF_SELECTION_PRIMARY);
}

/* The host pastes the seat's selection in format: transfer carries it. */
static void host_send(void *data, uint32_t transfer, uint32_t selection, uint32_t format)
{
	struct vdmabuf_backend *backend = data;
	struct vdmabuf_clipboard *clipboard = backend->clipboard;
	struct wl_array *types = clipboard ? seat_mime_types(clipboard->seat, selection) : NULL;
	const char *mime_type = NULL;
	int fds[2];
	char **p;

	if (types && !seat_has_host_offer(clipboard, selection))
		wl_array_for_each(p, types)
			if (vdmabuf_clip_format_of_mime(*p) == (int)format) {
				mime_type = *p;
				break;
			}
	if (!mime_type || pipe2(fds, O_CLOEXEC) < 0) {
		if (clipboard && log_allowed(clipboard))
			wlr_log(WLR_INFO, "vdmabuf: clipboard: transfer %u: no %s in format %u",
				transfer, selection_name[selection], format);
		vdmabuf_producer_clip_send(backend->producer, transfer, NULL, 0, true, -EIO);
		return;
	}
	/* The source writes the pipe; wlroots closes its end once sent. */
	if (selection == VDMABUF_SELECTION_CLIPBOARD)
		wlr_data_source_send(clipboard->seat->selection_source, mime_type, fds[1]);
	else
		wlr_primary_selection_source_send(clipboard->seat->primary_selection_source,
						  mime_type, fds[1]);
	paste_create(clipboard, transfer, fds[0], true);
}

static void host_data(void *data, uint32_t transfer, const void *bytes, size_t len, bool end,
		      int status)
{
	struct vdmabuf_backend *backend = data;
	struct clip_paste *paste = backend->clipboard ?
		paste_find(backend->clipboard, transfer) : NULL;

	if (paste && !paste->to_host)
		paste_update(paste, vdmabuf_clip_stream_data(paste->stream, bytes, len, end, status));
}

static void host_ack(void *data, uint32_t transfer, uint32_t bytes)
{
	struct vdmabuf_backend *backend = data;
	struct clip_paste *paste = backend->clipboard ?
		paste_find(backend->clipboard, transfer) : NULL;
	int ret;

	if (!paste || !paste->to_host)
		return;
	ret = vdmabuf_clip_stream_ack(paste->stream, bytes);
	paste_update(paste, ret ? ret : vdmabuf_clip_stream_dispatch(paste->stream));
}

static void host_cancel(void *data, uint32_t transfer, int status)
{
	struct vdmabuf_backend *backend = data;
	struct clip_paste *paste = backend->clipboard ?
		paste_find(backend->clipboard, transfer) : NULL;

	if (!paste)
		return;
	vdmabuf_clip_stream_cancel(paste->stream);
	paste_update(paste, status ? status : 1);
}

const struct vdmabuf_clip_listener vdmabuf_clipboard_listener = {
	.selection = host_selection,
	.send = host_send,
	.data = host_data,
	.ack = host_ack,
	.cancel = host_cancel,
};

void vdmabuf_clipboard_handle_reset(struct vdmabuf_clipboard *clipboard)
{
	struct clip_paste *paste, *tmp;
	uint32_t i;

	/* The device forgot every transfer and offer: ours go again. */
	wl_list_for_each_safe(paste, tmp, &clipboard->pastes, link) {
		vdmabuf_clip_stream_cancel(paste->stream);
		paste_destroy(paste);
	}
	for (i = 0; i < VDMABUF_SELECTIONS; i++) {
		if (seat_has_host_offer(clipboard, i))
			seat_set(clipboard, i, NULL);
		clipboard->offered[i] = 0;
		offer_seat_selection(clipboard, i);
	}
}

void vdmabuf_clipboard_destroy(struct vdmabuf_clipboard *clipboard)
{
	struct clip_paste *paste, *tmp;
	uint32_t i;

	if (!clipboard)
		return;
	wl_list_for_each_safe(paste, tmp, &clipboard->pastes, link)
		paste_destroy(paste);
	/* Sources of ours the seat still holds outlive us, inert. */
	for (i = 0; i < VDMABUF_SELECTIONS; i++)
		if (clipboard->host[i])
			clipboard->host[i]->clipboard = NULL;
	wl_list_remove(&clipboard->set_selection.link);
	wl_list_remove(&clipboard->set_primary_selection.link);
	wl_list_remove(&clipboard->seat_destroy.link);
	clipboard->backend->clipboard = NULL;
	free(clipboard);
}

static void handle_seat_destroy(struct wl_listener *listener, void *data)
{
	struct vdmabuf_clipboard *clipboard = wl_container_of(listener, clipboard, seat_destroy);

	vdmabuf_backend_subscribe(clipboard->backend, 0, VDMABUF_SUBSCRIBE_CLIPBOARD);
	vdmabuf_clipboard_destroy(clipboard);
}

bool wlr_vdmabuf_backend_share_clipboard(struct wlr_backend *wlr_backend, struct wlr_seat *seat)
{
	struct vdmabuf_backend *backend = vdmabuf_backend_from_backend(wlr_backend);
	struct vdmabuf_clipboard *clipboard;
	int err;

	if (backend->clipboard)
		return backend->clipboard->seat == seat;
	clipboard = calloc(1, sizeof(*clipboard));
	if (!clipboard)
		return false;
	clipboard->backend = backend;
	clipboard->seat = seat;
	wl_list_init(&clipboard->pastes);
	backend->clipboard = clipboard;
	/* The host's offers now, queued by the driver, come in the loop. */
	err = vdmabuf_backend_subscribe(backend, VDMABUF_SUBSCRIBE_CLIPBOARD, 0);
	if (err) {
		wlr_log(err == -EOPNOTSUPP ? WLR_INFO : WLR_ERROR,
			"vdmabuf: no clipboard with the host: %s",
			err == -EOPNOTSUPP ? "the device has none" :
			err == -EBUSY ? "another program holds it" : strerror(-err));
		backend->clipboard = NULL;
		free(clipboard);
		return false;
	}
	clipboard->set_selection.notify = handle_set_selection;
	wl_signal_add(&seat->events.set_selection, &clipboard->set_selection);
	clipboard->set_primary_selection.notify = handle_set_primary_selection;
	wl_signal_add(&seat->events.set_primary_selection, &clipboard->set_primary_selection);
	clipboard->seat_destroy.notify = handle_seat_destroy;
	wl_signal_add(&seat->events.destroy, &clipboard->seat_destroy);
	offer_seat_selection(clipboard, VDMABUF_SELECTION_CLIPBOARD);
	offer_seat_selection(clipboard, VDMABUF_SELECTION_PRIMARY);
	wlr_log(WLR_INFO, "vdmabuf: the seat's clipboard and primary selection are the host's");
	return true;
}
