/* SPDX-License-Identifier: MIT */
#ifndef WLR_VDMABUF_BACKEND_H
#define WLR_VDMABUF_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <vdmabuf.h>
#include <wayland-server-core.h>
#include <wlr/backend/interface.h>
#include <wlr/interfaces/wlr_output.h>
#include <wlr/render/dmabuf.h>
#include <wlr/render/drm_format_set.h>
#include <wlr/util/addon.h>

#include "wlr-vdmabuf.h"

struct vdmabuf_backend {
	struct wlr_backend base;
	struct wl_event_loop *loop;
	struct vdmabuf_producer *producer;
	struct wl_event_source *device_source;
	int drm_fd;			/* a GPU render node, or -1 */
	struct wl_list outputs;		/* vdmabuf_output.link */
	struct wl_list exports;		/* vdmabuf_export.link, every output's */
	uint32_t consumers;		/* host consumers attached */
	struct vdmabuf_seat *seat;	/* the host's input; NULL: none */
	uint32_t subscribed;		/* VDMABUF_SUBSCRIBE_* */
	struct vdmabuf_clipboard *clipboard;	/* shared with a seat; NULL: not */
	bool guest_keymap;		/* keep the compositor's keymap */
	bool pointer;			/* VDMABUF_F_POINTER: the host draws the cursor */
	/*
	 * VDMABUF_F_OUTPUTS: outputs by id (spec §20), each announced to
	 * the host, frames naming theirs, the host's hints adding and
	 * removing them. Without it every output presents as output 0.
	 */
	bool multi;
	bool started;
	/*
	 * What the host imports (host_formats.c): for direct scan-out, and
	 * with the LINEAR fallback beside it, for the outputs' buffers.
	 */
	struct wlr_drm_format_set host_formats;
	struct wlr_drm_format_set primary_formats;
	struct wl_listener event_loop_destroy;
};

struct vdmabuf_output {
	struct wlr_output base;
	struct vdmabuf_backend *backend;
	struct wl_list link;		/* vdmabuf_backend.outputs */
	uint32_t id;			/* below VDMABUF_MAX_OUTPUTS, the host's too */
	bool emitted;			/* on the backend's new_output */
	struct wl_event_source *frame_timer;
	bool frame_owed;		/* committed, frame event not yet sent */
	uint64_t last_frame_ns;		/* CLOCK_MONOTONIC of the last frame event */
	uint32_t host_refresh_ns;	/* from the host's releases; 0: unknown */
	bool scanning_out;		/* the last frame was a client's buffer */
	struct wlr_vdmabuf_output_stats stats;

	/*
	 * The hardware cursor: the host draws the image at its own pointer
	 * (spec §16). cursor is the image named last (NULL: none), with its
	 * hotspot; constraint what the focused client asked for.
	 */
	struct wlr_drm_format_set cursor_formats;
	struct vdmabuf_export *cursor;
	int cursor_hotspot_x, cursor_hotspot_y;
	uint64_t cursor_serial;		/* the last one used */
	uint32_t constraint;		/* enum vdmabuf_constraint */
};

/*
 * One wlr_buffer shared with the host: exported on its first commit, then
 * presented by id. While in flight the buffer committed is locked, so the
 * swapchain cannot hand it out for rendering, nor a client draw into it;
 * the host's release unlocks it. A client's buffer scanned out is
 * committed as a new wlr_client_buffer each time: the export belongs to
 * its source. A cursor image is one too, named by POINTER with serial
 * instead of presented, and in flight until the release of that serial.
 */
struct vdmabuf_export {
	struct wlr_addon addon;		/* on buffer->addons, owned by the output */
	struct vdmabuf_output *output;
	struct wlr_buffer *buffer;	/* the swapchain's, or a client's own */
	struct wlr_buffer *held;	/* locked while in flight: as committed */
	struct vdmabuf_id id;
	struct wl_list link;		/* vdmabuf_backend.exports */
	bool in_flight;
	uint32_t commit_seq;		/* of the frame in flight */
	bool is_cursor;			/* an image of the cursor plane */
	uint64_t serial;		/* the cursor image's, in flight */
};

struct vdmabuf_backend *vdmabuf_backend_from_backend(struct wlr_backend *backend);
/* The output the host shows (its first), or NULL. */
struct vdmabuf_output *vdmabuf_backend_host_output(struct vdmabuf_backend *backend);
/* id: free, below VDMABUF_MAX_OUTPUTS; scale_120 0: 1. Announced to the host. */
struct vdmabuf_output *vdmabuf_output_create(struct vdmabuf_backend *backend, uint32_t id,
					     int width, int height, int refresh_mhz,
					     uint32_t scale_120);
struct vdmabuf_output *vdmabuf_backend_find_output(struct vdmabuf_backend *backend, uint32_t id);
/*
 * Tells the host the output's mode as it is (or as state makes it), or
 * that it is gone: with VDMABUF_F_OUTPUTS only.
 */
void vdmabuf_output_announce(struct vdmabuf_output *output, const struct wlr_output_state *state);
void vdmabuf_output_announce_gone(struct vdmabuf_output *output);
void vdmabuf_output_handle_release(struct vdmabuf_export *export, uint64_t present_ns,
				   uint32_t refresh_ns, uint32_t flags);
/* The host let go of a cursor image (frame = its serial). */
void vdmabuf_output_handle_cursor_release(struct vdmabuf_export *export, uint64_t serial);
/* The device forgot every id: drop them all, unlock what was in flight. */
void vdmabuf_output_handle_reset(struct vdmabuf_output *output);
void vdmabuf_output_handle_mode_hint(struct vdmabuf_output *output, uint32_t width,
				     uint32_t height, uint32_t refresh_mhz,
				     uint32_t scale_120);
/* A frame event may be due: releases and consumer changes call this. */
void vdmabuf_output_update_frame(struct vdmabuf_output *output);

/* host_formats.c: what the host imports, as the device said (count 0: nothing). */
bool vdmabuf_host_formats_set(struct vdmabuf_backend *backend,
			      const struct vdmabuf_format *formats, uint32_t count);
void vdmabuf_host_formats_finish(struct vdmabuf_backend *backend);
bool vdmabuf_host_can_import(const struct vdmabuf_backend *backend,
			     const struct wlr_dmabuf_attributes *attr);
/* New formats: the outputs pick their buffers again on the next frame. */
void vdmabuf_output_handle_formats(struct vdmabuf_output *output);

/* allocator.c: "GBM buffer", "page-backed buffer" or "client buffer", for logs. */
const char *vdmabuf_buffer_origin(struct wlr_buffer *buffer);

/* input.c: the host window's seat as a wlr_keyboard, wlr_pointer, wlr_touch. */
struct vdmabuf_seat *vdmabuf_seat_create(struct vdmabuf_backend *backend);
/* Emits the devices on the backend's new_input. */
void vdmabuf_seat_announce(struct vdmabuf_seat *seat);
void vdmabuf_seat_destroy(struct vdmabuf_seat *seat);
/* An event from output's window (0 with one window). */
void vdmabuf_seat_handle_input(struct vdmabuf_seat *seat, uint32_t output,
			       const struct vdmabuf_input_event *ev);
/* With several outputs: output's pointer and touch device, announced; or gone. */
void vdmabuf_seat_add_output(struct vdmabuf_seat *seat, struct vdmabuf_output *output);
void vdmabuf_seat_remove_output(struct vdmabuf_seat *seat, struct vdmabuf_output *output);
void vdmabuf_seat_handle_keymap(struct vdmabuf_seat *seat, uint32_t format, const char *text,
				uint32_t size);

/* Adds and removes VDMABUF_SUBSCRIBE_* bits: 0 or the driver's -errno. */
int vdmabuf_backend_subscribe(struct vdmabuf_backend *backend, uint32_t add, uint32_t remove);

/* clipboard.c: the host's selections as a wlr_seat's (wlr_vdmabuf_backend_share_clipboard). */
extern const struct vdmabuf_clip_listener vdmabuf_clipboard_listener;
/* The device forgot every transfer and offer. */
void vdmabuf_clipboard_handle_reset(struct vdmabuf_clipboard *clipboard);
void vdmabuf_clipboard_destroy(struct vdmabuf_clipboard *clipboard);

#endif
