// SPDX-License-Identifier: MIT
/*
 * The host's clipboard and primary selection, shared with the guest's
 * while the window has the focus (xdg_toplevel's activated; spec §17).
 * What the host copies reaches the viewer as wl_data_device's (or primary
 * selection's) selection, and is offered to the guest while focused; the
 * guest pastes it only while the window is focused or was until
 * CLIP_GRACE_USEC ago.
 * What the guest copies becomes the host's selection, set with the
 * serial of the window's last input event: only while focused, as
 * Wayland allows. Each paste is a transfer carried between the daemon
 * and the pipe of the host's offer or source by a vdmabuf_clip_stream.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "viewer.h"

#define CLIP_GRACE_USEC 5000000		/* a paste after the focus left */

static const char *const selection_name[VDMABUF_SELECTIONS] = { "clipboard", "primary" };

/*
 * What differs between wl_data_device and the primary selection: one
 * implementation per selection, indexed by enum vdmabuf_selection.
 */
struct selection_impl {
	void (*offer_receive)(void *offer, const char *mime_type, int fd);
	void (*offer_destroy)(void *offer);
	void *(*source_create)(struct viewer_clipboard *clipboard, struct clip_guest_source *src);
	void (*source_offer)(void *source, const char *mime_type);
	void (*source_destroy)(void *source);
	void (*set_selection)(struct viewer_clipboard *clipboard, void *source, uint32_t serial);
};

static const struct selection_impl impls[VDMABUF_SELECTIONS];

/* Whatever the guest can cause goes out rate-limited. */
#define clip_log(clipboard, fmt, ...) \
	log_limited(&(clipboard)->log, "clipboard: " fmt, ##__VA_ARGS__)

/* Pastes */

static void paste_destroy(struct clip_paste *paste)
{
	wl_list_remove(&paste->link);
	vdmabuf_clip_stream_destroy(paste->stream);
	free(paste);
}

/* After the stream moved: ret as vdmabuf_clip_stream_dispatch's. */
static void paste_update(struct viewer_clipboard *clipboard, struct clip_paste *paste, int ret)
{
	uint32_t transfer = vdmabuf_clip_stream_transfer(paste->stream);
	unsigned long long bytes = vdmabuf_clip_stream_bytes(paste->stream);

	if (ret == 0)
		return;
	if (ret > 0)
		clip_log(clipboard, "transfer %u: %llu bytes %s the guest", transfer, bytes,
			 paste->to_guest ? "to" : "from");
	else if (ret == -EFBIG)
		clip_log(clipboard, "transfer %u: refused over %u bytes, the paste cut short at %llu",
			 transfer, VDMABUF_CLIP_MAX_SIZE, bytes);
	else
		clip_log(clipboard, "transfer %u failed after %llu bytes: %s", transfer, bytes,
			 strerror(-ret));
	paste_destroy(paste);
}

/* Takes fd: a pipe's read end (to_guest) or write end. */
static void paste_create(struct viewer *viewer, uint32_t transfer, int fd, bool to_guest)
{
	struct vdmabuf_clip_stream *stream =
		vdmabuf_clip_stream_consumer(viewer->consumer, transfer, fd, to_guest);
	struct clip_paste *paste = stream ? calloc(1, sizeof(*paste)) : NULL;

	if (!paste) {
		fprintf(stderr, "vdmabuf-viewer: clipboard: transfer %u: no memory\n", transfer);
		vdmabuf_clip_stream_destroy(stream);	/* ends the transfer */
		return;
	}
	paste->stream = stream;
	paste->to_guest = to_guest;
	wl_list_insert(&viewer->clipboard.pastes, &paste->link);
	/* A source has the pipe to read at once, maybe all of it. */
	paste_update(&viewer->clipboard, paste, vdmabuf_clip_stream_dispatch(paste->stream));
}

static struct clip_paste *paste_find(struct viewer_clipboard *clipboard, uint32_t transfer)
{
	struct clip_paste *paste;

	wl_list_for_each(paste, &clipboard->pastes, link)
		if (vdmabuf_clip_stream_transfer(paste->stream) == transfer)
			return paste;
	return NULL;
}

int clipboard_poll_fds(struct viewer *viewer, struct pollfd *fds, int max)
{
	struct clip_paste *paste;
	int n = 0;

	wl_list_for_each(paste, &viewer->clipboard.pastes, link) {
		short events = vdmabuf_clip_stream_events(paste->stream);

		if (!events || n == max)
			continue;
		fds[n++] = (struct pollfd){
			.fd = vdmabuf_clip_stream_get_fd(paste->stream), .events = events,
		};
	}
	return n;
}

void clipboard_dispatch_fds(struct viewer *viewer, const struct pollfd *fds, int n)
{
	struct clip_paste *paste, *tmp;

	for (int i = 0; i < n; i++) {
		if (!fds[i].revents)
			continue;
		wl_list_for_each_safe(paste, tmp, &viewer->clipboard.pastes, link)
			if (vdmabuf_clip_stream_get_fd(paste->stream) == fds[i].fd) {
				paste_update(&viewer->clipboard, paste,
					     vdmabuf_clip_stream_dispatch(paste->stream));
				break;
			}
	}
}

/* The host's selections, offered to the guest */

static bool recently_focused(const struct viewer_clipboard *clipboard)
{
	return clipboard->focused || now_usec() - clipboard->left_usec < CLIP_GRACE_USEC;
}

static void host_offer_destroy(struct clip_host_offer *offer)
{
	if (!offer)
		return;
	impls[offer->selection].offer_destroy(offer->proxy);
	for (unsigned int i = 0; i < VDMABUF_CLIP_FORMATS; i++)
		free(offer->mime[i]);
	free(offer);
}

static void host_offer_type(struct clip_host_offer *offer, const char *mime_type)
{
	int format = vdmabuf_clip_format_of_mime(mime_type);

	if (format >= 0 && !offer->mime[format])
		offer->mime[format] = strdup(mime_type);
}

static uint32_t host_offer_formats(const struct clip_host_offer *offer)
{
	uint32_t formats = 0;

	for (unsigned int i = 0; offer && i < VDMABUF_CLIP_FORMATS; i++)
		if (offer->mime[i])
			formats |= 1u << i;
	return formats;
}

/* The host's selection as it is now, to the guest (focused only). */
static void offer_to_guest(struct viewer *viewer, uint32_t selection)
{
	struct viewer_clipboard *clipboard = &viewer->clipboard;
	struct clip_host_offer *offer = clipboard->host[selection];

	if (!clipboard->device || !clipboard->focused ||
	    !clipboard->untold[selection])
		return;
	/*
	 * Our own source, the guest's selection: the guest keeps it. An empty
	 * selection withdraws only an offer of ours, never the guest's.
	 */
	if (offer && !offer->ours) {
		uint32_t formats = host_offer_formats(offer);

		if (vdmabuf_consumer_offer(viewer->consumer, selection, formats) < 0)
			return;
		clipboard->offered[selection] = formats != 0;
		fprintf(stderr, "vdmabuf-viewer: clipboard: the host's %s (formats %#x) offered "
			"to the guest\n", selection_name[selection], formats);
	} else if (!offer && clipboard->offered[selection]) {
		if (vdmabuf_consumer_offer(viewer->consumer, selection, 0) < 0)
			return;
		clipboard->offered[selection] = false;
	}
	clipboard->untold[selection] = false;
}

/* A new selection of the host: offer (NULL: none). */
static void host_selection(struct viewer *viewer, uint32_t selection, void *proxy)
{
	struct viewer_clipboard *clipboard = &viewer->clipboard;
	struct clip_host_offer *offer = proxy ? clipboard->pending : NULL;

	if (proxy && (!offer || offer->proxy != proxy)) {
		/* Not one we heard being made: take it without types. */
		impls[selection].offer_destroy(proxy);
		offer = NULL;
	}
	if (offer) {
		clipboard->pending = NULL;
		offer->selection = selection;
		/* Made of our source, which is still the selection: the guest's own. */
		offer->ours = clipboard->guest[selection].proxy != NULL;
	}
	clipboard->untold[selection] = true;
	host_offer_destroy(clipboard->host[selection]);
	clipboard->host[selection] = offer;
	offer_to_guest(viewer, selection);
}

/* The guest pastes the host's selection in format: transfer carries it. */
static void guest_send(void *data, uint32_t transfer, uint32_t selection, uint32_t format)
{
	struct viewer *viewer = data;
	struct viewer_clipboard *clipboard = &viewer->clipboard;
	struct clip_host_offer *offer = clipboard->host[selection];
	int fds[2];

	if (!recently_focused(clipboard)) {
		clip_log(clipboard, "transfer %u: the guest pasted the host's %s while the window "
			 "was not focused: refused", transfer, selection_name[selection]);
		goto refuse;
	}
	if (!offer || offer->ours || format >= VDMABUF_CLIP_FORMATS || !offer->mime[format]) {
		clip_log(clipboard, "transfer %u: no host %s in format %u", transfer,
			 selection_name[selection], format);
		goto refuse;
	}
	if (pipe2(fds, O_CLOEXEC) < 0)
		goto refuse;
	clip_log(clipboard, "transfer %u: the guest pastes the host's %s as %s", transfer,
		 selection_name[selection], offer->mime[format]);
	impls[selection].offer_receive(offer->proxy, offer->mime[format], fds[1]);
	close(fds[1]);
	wl_display_flush(viewer->display);
	paste_create(viewer, transfer, fds[0], true);
	return;
refuse:
	vdmabuf_consumer_clip_send(viewer->consumer, transfer, NULL, 0, true, -EIO);
}

/* The guest's selections, as the host's */

static void guest_source_drop(struct viewer_clipboard *clipboard, uint32_t selection)
{
	struct clip_guest_source *src = &clipboard->guest[selection];

	if (src->proxy)
		impls[selection].source_destroy(src->proxy);
	src->proxy = NULL;
}

/* A host client pastes the guest's selection as mime_type into fd. */
static void guest_source_send(struct clip_guest_source *src, const char *mime_type, int fd)
{
	struct viewer *viewer = src->viewer;
	int format = vdmabuf_clip_format_of_mime(mime_type);
	uint32_t transfer;
	int err;

	if (format < 0) {
		close(fd);
		return;
	}
	err = vdmabuf_consumer_clip_open(viewer->consumer, src->selection, src->serial,
					 (uint32_t)format, &transfer);
	if (err) {
		clip_log(&viewer->clipboard, "the guest's %s as %s: %s",
			 selection_name[src->selection], mime_type, strerror(-err));
		close(fd);
		return;
	}
	paste_create(viewer, transfer, fd, false);
}

static void guest_selection(void *data, uint32_t selection, uint32_t serial, uint32_t formats)
{
	struct viewer *viewer = data;
	struct viewer_clipboard *clipboard = &viewer->clipboard;
	struct clip_guest_source *src = &clipboard->guest[selection];
	void *old = src->proxy;

	/*
	 * The guest's offer replaced whatever it had from us. Our previous
	 * source goes only once the new one is the selection: destroyed
	 * first, it would leave the host no selection for a moment, and that
	 * would reach the guest as the host's (empty) offer, replacing this.
	 */
	clipboard->untold[selection] = false;
	clipboard->offered[selection] = false;
	src->proxy = NULL;
	if (!formats || !impls[selection].source_create) {
		goto out;
	} else if (!clipboard->focused) {
		clip_log(clipboard, "the guest's %s stays the guest's: the window is not focused",
			 selection_name[selection]);
		goto out;
	}
	src->viewer = viewer;
	src->selection = selection;
	src->serial = serial;
	src->proxy = impls[selection].source_create(clipboard, src);
	if (!src->proxy)
		goto out;
	for (uint32_t i = 0; i < VDMABUF_CLIP_FORMATS; i++)
		if (formats & (1u << i))
			for (const char *const *mime = vdmabuf_clip_format_mimes(i); *mime; mime++)
				impls[selection].source_offer(src->proxy, *mime);
	impls[selection].set_selection(clipboard, src->proxy, clipboard->serial);
	clip_log(clipboard, "the guest's %s (formats %#x) is the host's", selection_name[selection],
		 formats);
out:
	if (old)
		impls[selection].source_destroy(old);
}

static void guest_data(void *data, uint32_t transfer, const void *bytes, size_t len, bool end,
		       int status)
{
	struct viewer *viewer = data;
	struct clip_paste *paste = paste_find(&viewer->clipboard, transfer);

	if (paste && !paste->to_guest)
		paste_update(&viewer->clipboard, paste,
			     vdmabuf_clip_stream_data(paste->stream, bytes, len, end, status));
}

static void guest_ack(void *data, uint32_t transfer, uint32_t bytes)
{
	struct viewer *viewer = data;
	struct clip_paste *paste = paste_find(&viewer->clipboard, transfer);
	int ret;

	if (!paste || !paste->to_guest)
		return;
	ret = vdmabuf_clip_stream_ack(paste->stream, bytes);
	paste_update(&viewer->clipboard, paste,
		     ret ? ret : vdmabuf_clip_stream_dispatch(paste->stream));
}

static void guest_cancel(void *data, uint32_t transfer, int status)
{
	struct viewer *viewer = data;
	struct clip_paste *paste = paste_find(&viewer->clipboard, transfer);

	if (!paste)
		return;
	vdmabuf_clip_stream_cancel(paste->stream);
	paste_update(&viewer->clipboard, paste, status ? status : 1);
}

const struct vdmabuf_clip_listener clipboard_listener = {
	.selection = guest_selection,
	.send = guest_send,
	.data = guest_data,
	.ack = guest_ack,
	.cancel = guest_cancel,
};

/* wl_data_device: the clipboard */

static void data_offer_offer(void *data, struct wl_data_offer *proxy, const char *mime_type)
{
	host_offer_type(data, mime_type);
}

static void data_offer_source_actions(void *data, struct wl_data_offer *proxy, uint32_t actions)
{
}

static void data_offer_action(void *data, struct wl_data_offer *proxy, uint32_t action)
{
}

static const struct wl_data_offer_listener data_offer_listener = {
	.offer = data_offer_offer,
	.source_actions = data_offer_source_actions,
	.action = data_offer_action,
};

/* A new offer, whose types come next: a selection's, or a drag's. */
static void new_host_offer(struct viewer *viewer, void *proxy)
{
	struct viewer_clipboard *clipboard = &viewer->clipboard;
	struct clip_host_offer *offer = calloc(1, sizeof(*offer));

	host_offer_destroy(clipboard->pending);
	clipboard->pending = offer;
	if (offer)
		offer->proxy = proxy;
}

static void data_device_data_offer(void *data, struct wl_data_device *device,
				   struct wl_data_offer *proxy)
{
	struct viewer *viewer = data;

	new_host_offer(viewer, proxy);
	if (viewer->clipboard.pending)
		wl_data_offer_add_listener(proxy, &data_offer_listener, viewer->clipboard.pending);
	else
		wl_data_offer_destroy(proxy);
}

/* Drags are not the guest's: their offers go at once. */
static void data_device_enter(void *data, struct wl_data_device *device, uint32_t serial,
			      struct wl_surface *surface, wl_fixed_t x, wl_fixed_t y,
			      struct wl_data_offer *proxy)
{
	struct viewer_clipboard *clipboard = &((struct viewer *)data)->clipboard;

	if (clipboard->pending && clipboard->pending->proxy == proxy) {
		clipboard->pending->selection = VDMABUF_SELECTION_CLIPBOARD;
		host_offer_destroy(clipboard->pending);
		clipboard->pending = NULL;
	}
}

static void data_device_leave(void *data, struct wl_data_device *device)
{
}

static void data_device_motion(void *data, struct wl_data_device *device, uint32_t time,
			       wl_fixed_t x, wl_fixed_t y)
{
}

static void data_device_drop(void *data, struct wl_data_device *device)
{
}

static void data_device_selection(void *data, struct wl_data_device *device,
				  struct wl_data_offer *proxy)
{
	host_selection(data, VDMABUF_SELECTION_CLIPBOARD, proxy);
}

static const struct wl_data_device_listener data_device_listener = {
	.data_offer = data_device_data_offer,
	.enter = data_device_enter,
	.leave = data_device_leave,
	.motion = data_device_motion,
	.drop = data_device_drop,
	.selection = data_device_selection,
};

static void data_source_target(void *data, struct wl_data_source *source, const char *mime_type)
{
}

static void data_source_send(void *data, struct wl_data_source *source, const char *mime_type,
			     int32_t fd)
{
	guest_source_send(data, mime_type, fd);
}

static void data_source_cancelled(void *data, struct wl_data_source *source)
{
	struct clip_guest_source *src = data;

	guest_source_drop(&src->viewer->clipboard, VDMABUF_SELECTION_CLIPBOARD);
}

static void data_source_dnd_drop_performed(void *data, struct wl_data_source *source)
{
}

static void data_source_dnd_finished(void *data, struct wl_data_source *source)
{
}

static void data_source_action(void *data, struct wl_data_source *source, uint32_t action)
{
}

static const struct wl_data_source_listener data_source_listener = {
	.target = data_source_target,
	.send = data_source_send,
	.cancelled = data_source_cancelled,
	.dnd_drop_performed = data_source_dnd_drop_performed,
	.dnd_finished = data_source_dnd_finished,
	.action = data_source_action,
};

static void data_receive(void *offer, const char *mime_type, int fd)
{
	wl_data_offer_receive(offer, mime_type, fd);
}

static void data_offer_destroy(void *offer)
{
	wl_data_offer_destroy(offer);
}

static void *data_source_create(struct viewer_clipboard *clipboard, struct clip_guest_source *src)
{
	struct wl_data_source *source =
		wl_data_device_manager_create_data_source(clipboard->manager);

	wl_data_source_add_listener(source, &data_source_listener, src);
	return source;
}

static void data_source_offer(void *source, const char *mime_type)
{
	wl_data_source_offer(source, mime_type);
}

static void data_source_destroy(void *source)
{
	wl_data_source_destroy(source);
}

static void data_set_selection(struct viewer_clipboard *clipboard, void *source, uint32_t serial)
{
	wl_data_device_set_selection(clipboard->device, source, serial);
}

/* zwp_primary_selection_device_v1: the primary selection */

static void primary_offer_offer(void *data, struct zwp_primary_selection_offer_v1 *proxy,
				const char *mime_type)
{
	host_offer_type(data, mime_type);
}

static const struct zwp_primary_selection_offer_v1_listener primary_offer_listener = {
	.offer = primary_offer_offer,
};

static void primary_device_data_offer(void *data, struct zwp_primary_selection_device_v1 *device,
				      struct zwp_primary_selection_offer_v1 *proxy)
{
	struct viewer *viewer = data;

	new_host_offer(viewer, proxy);
	if (viewer->clipboard.pending) {
		viewer->clipboard.pending->selection = VDMABUF_SELECTION_PRIMARY;
		zwp_primary_selection_offer_v1_add_listener(proxy, &primary_offer_listener,
							    viewer->clipboard.pending);
	} else {
		zwp_primary_selection_offer_v1_destroy(proxy);
	}
}

static void primary_device_selection(void *data, struct zwp_primary_selection_device_v1 *device,
				     struct zwp_primary_selection_offer_v1 *proxy)
{
	host_selection(data, VDMABUF_SELECTION_PRIMARY, proxy);
}

static const struct zwp_primary_selection_device_v1_listener primary_device_listener = {
	.data_offer = primary_device_data_offer,
	.selection = primary_device_selection,
};

static void primary_source_send(void *data, struct zwp_primary_selection_source_v1 *source,
				const char *mime_type, int32_t fd)
{
	guest_source_send(data, mime_type, fd);
}

static void primary_source_cancelled(void *data, struct zwp_primary_selection_source_v1 *source)
{
	struct clip_guest_source *src = data;

	guest_source_drop(&src->viewer->clipboard, VDMABUF_SELECTION_PRIMARY);
}

static const struct zwp_primary_selection_source_v1_listener primary_source_listener = {
	.send = primary_source_send,
	.cancelled = primary_source_cancelled,
};

static void primary_receive(void *offer, const char *mime_type, int fd)
{
	zwp_primary_selection_offer_v1_receive(offer, mime_type, fd);
}

static void primary_offer_destroy(void *offer)
{
	zwp_primary_selection_offer_v1_destroy(offer);
}

static void *primary_source_create(struct viewer_clipboard *clipboard,
				   struct clip_guest_source *src)
{
	struct zwp_primary_selection_source_v1 *source;

	if (!clipboard->primary_manager)
		return NULL;
	source = zwp_primary_selection_device_manager_v1_create_source(clipboard->primary_manager);
	zwp_primary_selection_source_v1_add_listener(source, &primary_source_listener, src);
	return source;
}

static void primary_source_offer(void *source, const char *mime_type)
{
	zwp_primary_selection_source_v1_offer(source, mime_type);
}

static void primary_source_destroy(void *source)
{
	zwp_primary_selection_source_v1_destroy(source);
}

static void primary_set_selection(struct viewer_clipboard *clipboard, void *source,
				  uint32_t serial)
{
	zwp_primary_selection_device_v1_set_selection(clipboard->primary_device, source, serial);
}

static const struct selection_impl impls[VDMABUF_SELECTIONS] = {
	[VDMABUF_SELECTION_CLIPBOARD] = {
		.offer_receive = data_receive,
		.offer_destroy = data_offer_destroy,
		.source_create = data_source_create,
		.source_offer = data_source_offer,
		.source_destroy = data_source_destroy,
		.set_selection = data_set_selection,
	},
	[VDMABUF_SELECTION_PRIMARY] = {
		.offer_receive = primary_receive,
		.offer_destroy = primary_offer_destroy,
		.source_create = primary_source_create,
		.source_offer = primary_source_offer,
		.source_destroy = primary_source_destroy,
		.set_selection = primary_set_selection,
	},
};

/* The viewer's side */

bool clipboard_bind(struct viewer *viewer, struct wl_registry *registry, uint32_t name,
		    const char *interface, uint32_t version)
{
	struct viewer_clipboard *clipboard = &viewer->clipboard;

	if (strcmp(interface, wl_data_device_manager_interface.name) == 0) {
		clipboard->manager = wl_registry_bind(registry, name,
			&wl_data_device_manager_interface, version < 3 ? version : 3);
		return true;
	}
	if (strcmp(interface, zwp_primary_selection_device_manager_v1_interface.name) == 0) {
		clipboard->primary_manager = wl_registry_bind(registry, name,
			&zwp_primary_selection_device_manager_v1_interface, 1);
		return true;
	}
	return false;
}

void clipboard_start(struct viewer *viewer)
{
	struct viewer_clipboard *clipboard = &viewer->clipboard;

	wl_list_init(&clipboard->pastes);
	if (!clipboard->enabled || !viewer->input.enabled || !viewer->input.seat)
		return;
	if (!clipboard->manager) {
		fprintf(stderr, "vdmabuf-viewer: no wl_data_device_manager: no clipboard\n");
		return;
	}
	clipboard->device = wl_data_device_manager_get_data_device(clipboard->manager,
								   viewer->input.seat);
	wl_data_device_add_listener(clipboard->device, &data_device_listener, viewer);
	if (clipboard->primary_manager) {
		clipboard->primary_device = zwp_primary_selection_device_manager_v1_get_device(
			clipboard->primary_manager, viewer->input.seat);
		zwp_primary_selection_device_v1_add_listener(clipboard->primary_device,
							     &primary_device_listener, viewer);
	}
	vdmabuf_consumer_listen_clipboard(viewer->consumer);
}

void clipboard_focus(struct viewer *viewer, bool focused)
{
	struct viewer_clipboard *clipboard = &viewer->clipboard;

	if (!focused && clipboard->focused)
		clipboard->left_usec = now_usec();
	clipboard->focused = focused;
	if (focused)
		for (uint32_t i = 0; i < VDMABUF_SELECTIONS; i++)
			offer_to_guest(viewer, i);
}

void clipboard_serial(struct viewer *viewer, uint32_t serial)
{
	viewer->clipboard.serial = serial;
}

void clipboard_error(struct viewer *viewer, uint32_t request, int err)
{
	/* An ACK that crossed its transfer's END, a piece after a CANCEL. */
	if (err == -ENOENT &&
	    (request == VDMABUF_REQUEST_CLIP_ACK || request == VDMABUF_REQUEST_CLIP_DATA))
		return;
	clip_log(&viewer->clipboard, "request %u refused: %s", request, strerror(-err));
}

void clipboard_finish(struct viewer *viewer)
{
	struct viewer_clipboard *clipboard = &viewer->clipboard;
	struct clip_paste *paste, *tmp;

	if (clipboard->pastes.next)
		wl_list_for_each_safe(paste, tmp, &clipboard->pastes, link)
			paste_destroy(paste);
	for (uint32_t i = 0; i < VDMABUF_SELECTIONS; i++) {
		guest_source_drop(clipboard, i);
		host_offer_destroy(clipboard->host[i]);
	}
	host_offer_destroy(clipboard->pending);
	if (clipboard->primary_device)
		zwp_primary_selection_device_v1_destroy(clipboard->primary_device);
	if (clipboard->primary_manager)
		zwp_primary_selection_device_manager_v1_destroy(clipboard->primary_manager);
	if (clipboard->device &&
	    wl_data_device_get_version(clipboard->device) >= WL_DATA_DEVICE_RELEASE_SINCE_VERSION)
		wl_data_device_release(clipboard->device);
	else if (clipboard->device)
		wl_data_device_destroy(clipboard->device);
	if (clipboard->manager)
		wl_data_device_manager_destroy(clipboard->manager);
	*clipboard = (struct viewer_clipboard){ 0 };
}
