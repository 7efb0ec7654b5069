/* SPDX-License-Identifier: MIT */
/*
 * wlr-vdmabuf: a wlroots 0.18 backend whose outputs are windows on the
 * VM's host. Each frame the compositor commits is shared once through
 * /dev/vdmabuf (virtio_vdmabuf.ko) and then presented by id with its
 * damage; the buffer stays locked until the host releases it, and the
 * host's releases pace the output's frame events.
 *
 * A compositor adds it next to its other backends:
 *
 *	struct wlr_backend *vdmabuf = wlr_vdmabuf_backend_create(loop, NULL);
 *	wlr_multi_backend_add(multi, vdmabuf);	// or use it alone
 *	wlr_vdmabuf_add_output(vdmabuf, 1280, 720, 60000);
 *	renderer = wlr_renderer_autocreate(backend);
 *	allocator = wlr_vdmabuf_allocator_create(backend, renderer);
 *	// on new_output: wlr_output_init_render(output, allocator, renderer),
 *	// and honour output->events.request_state: the host's window size.
 *
 * When the device carries the host window's input (VDMABUF_F_INPUT), the
 * backend's start announces a keyboard, a pointer and a touch device on
 * events.new_input, as any backend does: a compositor that handles
 * new_input (the keyboard to its seat, the pointer and touch to its
 * wlr_cursor with the output layout) needs nothing more. The pointer and
 * touch device are mapped to the first output (their output_name), whose
 * pixels the host's positions are in. The keyboard takes the host's
 * keymap as it arrives, after new_input, replacing one the compositor set
 * there; wlr_vdmabuf_backend_keep_keymap() or VDMABUF_GUEST_KEYMAP=1
 * keeps the compositor's. Keys held when the host window loses the focus
 * are released.
 *
 * When the device draws the cursor (VDMABUF_F_POINTER), the output has a
 * hardware cursor: the host draws the image wlroots sets at its own
 * pointer, and moving it sends nothing. Otherwise wlroots draws software
 * cursors into the frames, as on any output without a cursor plane.
 *
 * Build with `pkg-config --cflags --libs wlr-vdmabuf` and -DWLR_USE_UNSTABLE.
 */
#ifndef WLR_VDMABUF_H
#define WLR_VDMABUF_H

#include <stdbool.h>
#include <stdint.h>
#include <wayland-server-core.h>

#define WLR_VDMABUF_API __attribute__((visibility("default")))

struct wlr_allocator;
struct wlr_backend;
struct wlr_output;
struct wlr_renderer;
struct wlr_seat;

/*
 * Opens the vdmabuf device (device_path NULL: /dev/vdmabuf) and, when the
 * guest has one, a GPU render node to render with. NULL on failure,
 * with the reason logged.
 */
WLR_VDMABUF_API struct wlr_backend *wlr_vdmabuf_backend_create(struct wl_event_loop *loop,
					       const char *device_path);
WLR_VDMABUF_API bool wlr_backend_is_vdmabuf(struct wlr_backend *backend);
/* Before the backend starts: keep the compositor's keymap, not the host's. */
WLR_VDMABUF_API void wlr_vdmabuf_backend_keep_keymap(struct wlr_backend *backend, bool keep);

/*
 * Makes the host's clipboard and primary selection seat's, both ways
 * (with VDMABUF_F_CLIPBOARD): what a client of seat copies, through
 * wl_data_device, primary selection or wlr-data-control, the host can
 * paste, and what the host copies becomes seat's selection. Text, HTML,
 * URI lists and PNG, JPEG and BMP images cross, up to 16 MiB a paste.
 * The compositor still honours its seat's request_set_selection and
 * request_set_primary_selection as usual. false: the device has no
 * clipboard, another program holds it (one per guest), or another seat
 * has it; the reason is logged.
 */
WLR_VDMABUF_API bool wlr_vdmabuf_backend_share_clipboard(struct wlr_backend *backend,
							 struct wlr_seat *seat);

/*
 * Adds an output of this initial mode (refresh in mHz; 0 for 60 Hz), with
 * the lowest free id. The host may ask for another mode at any time
 * through request_state. NULL: every id (16) is taken.
 *
 * Several outputs (VDMABUF_F_OUTPUTS, spec §20): each output has an id,
 * the same on the host, where each is a window of its own. The backend
 * announces each output to the host when it appears and at each change
 * of its mode or scale, and that it is gone when destroyed, and again
 * after a device reset; every frame names its output. When the host asks
 * for an output the guest does not have (a new window), the backend adds
 * it and emits it on new_output, as a headless backend's added output;
 * when the host closes one, the backend destroys it (wlr_output_destroy:
 * its destroy event) unless it is the last. Without the feature the host
 * has one window and the backend one output: adding a second fails (NULL).
 */
WLR_VDMABUF_API struct wlr_output *wlr_vdmabuf_add_output(struct wlr_backend *backend,
					  int width, int height, int refresh_mhz);
WLR_VDMABUF_API bool wlr_output_is_vdmabuf(struct wlr_output *output);
/* The output's id (spec §20), below 16; its name is VDMABUF-<id>. */
WLR_VDMABUF_API uint32_t wlr_vdmabuf_output_get_id(struct wlr_output *output);

/*
 * An allocator whose buffers the device can share: GBM when the renderer
 * has a DRM device (on its render node, or on its primary node when a
 * software driver such as Mesa's kms_swrast cannot allocate on the render
 * node), else page-backed dmabufs (udmabuf, or the DMA-BUF system heap)
 * the pixman renderer draws into. backend may be a multi-backend.
 */
WLR_VDMABUF_API struct wlr_allocator *wlr_vdmabuf_allocator_create(struct wlr_backend *backend,
						   struct wlr_renderer *renderer);

/* What the focused client did to the pointer (pointer-constraints). */
enum wlr_vdmabuf_pointer_constraint {
	WLR_VDMABUF_POINTER_NONE = 0,
	WLR_VDMABUF_POINTER_LOCKED = 1,		/* the host keeps its pointer still */
	WLR_VDMABUF_POINTER_CONFINED = 2,	/* inside the host's window */
};

/*
 * Tells the host that the pointer is locked or confined, or free again,
 * with the cursor image it shows now. The host then locks its pointer and
 * sends relative motion (the backend's wlr_pointer emits it as motion
 * events), or keeps it inside its window. false: not a vdmabuf output, or
 * the device cannot (no VDMABUF_F_POINTER); the compositor constrains the
 * guest's cursor alone then.
 */
WLR_VDMABUF_API bool wlr_vdmabuf_output_set_pointer_constraint(struct wlr_output *output,
					enum wlr_vdmabuf_pointer_constraint constraint);

/* What an output did so far; for tests and statistics. */
struct wlr_vdmabuf_output_stats {
	uint64_t exports;		/* buffers shared */
	uint64_t frames;		/* presents */
	uint64_t composited;		/* ... of a buffer the compositor drew */
	uint64_t direct;		/* ... of a client's buffer (direct scan-out) */
	/*
	 * Bytes the compositor drew into the composited ones: its clients'
	 * pixels copied (the damage, 4 bytes a pixel). Direct scan-out costs none.
	 */
	uint64_t composited_bytes;
	uint64_t discarded;		/* ... never sent: rendering not done in time */
	uint64_t releases;		/* of which came back */
	uint64_t presented;		/* ... shown by a host consumer */
	uint64_t fallback_frames;	/* frame events from the fallback clock */
	uint64_t resets;		/* device resets survived */
	uint32_t in_flight;		/* presented, not yet released */
	uint32_t consumers;		/* host consumers attached */
	uint64_t host_times;		/* releases that carried the host's presentation time */
};

WLR_VDMABUF_API void wlr_vdmabuf_output_get_stats(struct wlr_output *output,
				  struct wlr_vdmabuf_output_stats *stats);

/*
 * Explicit sync for clients (linux-drm-syncobj-v1) where drm_fd, the
 * renderer's node, has syncobj timelines; NULL otherwise, and the global
 * is not offered. wlroots 0.18 neither waits for a client's acquire point
 * nor signals its release point: call
 * wlr_vdmabuf_explicit_sync_output_ready() before each
 * wlr_scene_output_commit() and skip the commit when it returns false (a
 * buffer to show is not rendered yet; the output gets a frame event once
 * it is), and the release points are signalled as wlroots lets go of the
 * buffers. Lives as long as the display.
 */
struct wlr_vdmabuf_explicit_sync;
struct wlr_compositor;
struct wlr_scene_output;

WLR_VDMABUF_API struct wlr_vdmabuf_explicit_sync *wlr_vdmabuf_explicit_sync_create(
	struct wl_display *display, struct wlr_compositor *compositor, int drm_fd);
WLR_VDMABUF_API bool wlr_vdmabuf_explicit_sync_output_ready(
	struct wlr_vdmabuf_explicit_sync *sync, struct wlr_scene_output *scene_output);
/* Release points signalled so far (0 for NULL). */
WLR_VDMABUF_API uint64_t wlr_vdmabuf_explicit_sync_released(
	struct wlr_vdmabuf_explicit_sync *sync);

#endif
