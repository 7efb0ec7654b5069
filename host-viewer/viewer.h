/* SPDX-License-Identifier: MIT */
#ifndef VDMABUF_VIEWER_H
#define VDMABUF_VIEWER_H

#include <stdbool.h>
#include <stdint.h>
#include <poll.h>
#include <stdio.h>
#include <time.h>
#include <vdmabuf.h>
#include <wayland-client.h>

#include "keyboard-shortcuts-inhibit-unstable-v1-client-protocol.h"
#include "linux-dmabuf-v1-client-protocol.h"
#include "pointer-constraints-unstable-v1-client-protocol.h"
#include "presentation-time-client-protocol.h"
#include "fractional-scale-v1-client-protocol.h"
#include "primary-selection-unstable-v1-client-protocol.h"
#include "relative-pointer-unstable-v1-client-protocol.h"
#include "viewporter-client-protocol.h"
#include "xdg-shell-client-protocol.h"

struct viewer;
struct viewer_window;
struct host_output;

#define MAX_BUFFERS 64
/* Guest output ids: below VDMABUF_MAX_OUTPUTS of the protocol (spec §20). */
#define GUEST_OUTPUTS 16

/*
 * A rate limit for lines the other side can cause (log.c): ten in five
 * seconds, then a count of those held back on the next that goes out.
 */
struct log_limit {
	uint64_t start_usec;		/* of the current window */
	unsigned int lines, suppressed;
};

/* What the viewer did; printed at exit and written with --stats. */
struct viewer_stats {
	uint64_t frames;		/* frames committed to the host compositor */
	uint64_t presented;		/* ... that it reported shown */
	uint64_t releases;		/* frames handed back to the guest */
	uint64_t dmabuf_buffers;	/* buffers shown straight from their dmabuf */
	uint64_t shm_buffers;		/* buffers shown through the shm copy */
	uint64_t bytes_copied;		/* by the shm fallback */
	uint64_t cursor_images;		/* guest cursor images put on the cursor plane */
	uint64_t timed_releases;	/* releases that carried a presentation time */
	uint32_t refresh_ns;		/* the host compositor's, last reported */
};

/* The host compositor's presentation clock (presentation_clock.c). */
struct presentation_clock {
	clockid_t id;
	char number[12];		/* its name when it has none of ours */
	bool readable;			/* by clock_gettime(); else times go as 0 */
	uint64_t max_error_ns;		/* the largest bound on a conversion's error */
};

/* The (format, modifier) pairs the host compositor can import. */
struct format_set {
	struct { uint32_t format; uint64_t modifier; } *pairs;
	unsigned int len, cap;
};

/* One guest buffer as the viewer shows it: one wl_buffer per buffer id. */
struct view_buffer {
	struct viewer *viewer;
	struct vdmabuf_id id;
	struct vdmabuf_buffer_desc desc;
	uint64_t size;
	int dmabuf_fd;
	struct wl_buffer *wl_buffer;
	bool shm;			/* the copy fallback */
	void *shm_data;			/* the wl_shm pool's mapping */
	bool held;			/* the host compositor has it */
	/*
	 * Its frame's presentation feedback has not come: a compositor may
	 * let go of a wl_shm buffer once it has read it, before it shows it.
	 */
	bool awaiting_feedback;
	bool owed;			/* a frame of it is not yet released */
	uint64_t frame;
	uint64_t present_ns;		/* of that frame, once shown */
	uint32_t refresh_ns;
	uint32_t flags;			/* VDMABUF_RELEASE_* learnt so far */
};

/* What one wl_pointer frame said about one axis, sent at its end. */
struct input_axis {
	bool moved, stopped;
	wl_fixed_t value;
	int32_t value120;		/* 0: continuous */
	bool inverted;
};

#define INPUT_KEY_BITS (VDMABUF_INPUT_MAX_KEY + 1)

/* The host's seat, forwarded to the guest's (input.c). */
struct viewer_input {
	bool enabled;			/* not --no-input */
	bool send_keymap;		/* not --guest-keymap */
	/* The daemon refused: no seat, or no guest input; retried at enter. */
	bool refused;
	bool told_busy, told_no_input, told_keymap, told_inhibit;
	struct log_limit errors;	/* other refusals */

	struct wl_seat *seat;
	struct wl_keyboard *keyboard;
	struct wl_pointer *pointer;
	struct wl_touch *touch;
	struct zwp_keyboard_shortcuts_inhibit_manager_v1 *inhibit_manager;
	bool inhibit_off;		/* the release key gave shortcuts back */
	/* The windows the keyboard, the pointer and touch are on; NULL: none. */
	struct viewer_window *keyboard_window, *pointer_window, *touch_window;

	/* The guest's pointer constraint, applied to the host's pointer. */
	struct zwp_pointer_constraints_v1 *constraints;
	struct zwp_relative_pointer_manager_v1 *relative_manager;
	uint32_t constraint;		/* the guest's: enum vdmabuf_constraint */
	bool constraint_off;		/* the release key let go of it */
	bool told_no_lock;
	struct viewer_window *constraint_window;	/* the locked or confined one */
	struct zwp_locked_pointer_v1 *locked;
	struct zwp_relative_pointer_v1 *relative;
	bool lock_active;		/* the host locked it: relative motion only */
	struct zwp_confined_pointer_v1 *confined;

	char *keymap;			/* the host's, as text */
	size_t keymap_size;
	int32_t repeat_rate, repeat_delay;
	bool repeat_known;
	uint8_t held[INPUT_KEY_BITS / 8];	/* keys down on the host */
	uint8_t sent[INPUT_KEY_BITS / 8];	/* ... whose press the guest got */

	bool keyboard_entered;		/* the guest was told */
	bool pointer_entered;
	bool pointer_over;		/* the host pointer is over the window */
	uint32_t enter_serial;		/* of its latest wl_pointer.enter */
	bool pointer_dirty;		/* events since the last FRAME */
	uint32_t axis_source;
	struct input_axis axes[2];
	int32_t touch_ids[VDMABUF_INPUT_MAX_TOUCH];	/* host id per guest slot */
	bool touch_used[VDMABUF_INPUT_MAX_TOUCH];
	bool touch_dirty;
};

/* The guest's cursor, drawn by the host compositor (cursor.c). */
struct viewer_cursor {
	bool known;			/* the guest named its cursor: set_cursor is ours */
	bool shown;			/* image is attached to surface */
	struct vdmabuf_id image;
	uint64_t serial;		/* the image's, for its release */
	int32_t hotspot_x, hotspot_y;	/* in the image's pixels */
	uint32_t scale_120;		/* the image's pixels per logical pixel, x120 */
	struct wl_surface *surface;
	struct wp_viewport *viewport;
	int32_t buffer_scale;		/* set with wl_surface.set_buffer_scale */
};

/* One of the host's offers (clipboard.c): the first type naming each format. */
struct clip_host_offer {
	void *proxy;			/* wl_data_offer or zwp_primary_selection_offer_v1 */
	uint32_t selection;		/* enum vdmabuf_selection: its protocol */
	bool ours;			/* made of our source: the guest's own selection */
	char *mime[VDMABUF_CLIP_FORMATS];
};

/* The guest's offer of one selection, as the host's selection. */
struct clip_guest_source {
	struct viewer *viewer;
	void *proxy;			/* wl_data_source or ..._source_v1; NULL: none */
	uint32_t selection, serial;
};

/* One paste in progress, either way. */
struct clip_paste {
	struct vdmabuf_clip_stream *stream;
	bool to_guest;			/* the host's data for the guest */
	struct wl_list link;		/* viewer_clipboard.pastes */
};

/* The host's selections, shared with the guest while focused (clipboard.c). */
struct viewer_clipboard {
	bool enabled;			/* not --no-clipboard */
	struct wl_data_device_manager *manager;
	struct wl_data_device *device;
	struct zwp_primary_selection_device_manager_v1 *primary_manager;
	struct zwp_primary_selection_device_v1 *primary_device;
	bool focused;			/* the window is activated */
	uint64_t left_usec;		/* when it lost it */
	uint32_t serial;		/* of its last input event */
	struct clip_host_offer *pending;	/* announced, its selection not yet */
	struct clip_host_offer *host[VDMABUF_SELECTIONS];	/* the host's now */
	bool untold[VDMABUF_SELECTIONS];	/* host[] changed since the guest was told */
	bool offered[VDMABUF_SELECTIONS];	/* the guest has a host offer of ours */
	struct clip_guest_source guest[VDMABUF_SELECTIONS];
	struct wl_list pastes;		/* clip_paste.link */
	struct log_limit log;		/* what the guest can cause */
};

#define MAX_HOST_OUTPUTS 16

/* A host output (scale.c): its integer scale and its name. */
struct host_output {
	struct viewer *viewer;
	struct wl_output *output;	/* NULL: a free slot */
	uint32_t global;		/* its global's name */
	int32_t scale;
	int32_t width, height;		/* its current mode, device pixels */
	char *name;			/* wl_output.name (version 4); NULL: not told */
};

/* Where a window's scale came from, best last. */
enum scale_source {
	SCALE_NONE,
	SCALE_OUTPUT,			/* the outputs' integer wl_output.scale */
	SCALE_PREFERRED,		/* wl_surface.preferred_buffer_scale */
	SCALE_FRACTIONAL,		/* wp_fractional_scale_v1 */
};

/* One window's scale on the host (scale.c). */
struct window_scale {
	struct wp_fractional_scale_v1 *fractional;
	uint32_t fractional_120;	/* its preferred scale * 120; 0: not told */
	int32_t buffer_scale;		/* wl_surface.preferred_buffer_scale; 0: not told */
	uint32_t entered;		/* the host outputs it is on: a bit per slot */
	uint32_t scale_120;		/* the one in use: 120 is 1 */
	enum scale_source source;
};

/*
 * One guest output in a toplevel of its own (window.c). It opens when the
 * guest announces the output or the user asks for one, and closes when
 * the guest's output is gone or the user closes it (then the guest
 * removes its output); only the last window stays.
 */
struct viewer_window {
	struct viewer *viewer;
	struct wl_list link;		/* viewer.windows */
	uint32_t output;		/* the guest output's id */
	bool announced;			/* the guest has the output now */
	bool reset;			/* the device reset: the output comes back */
	struct wl_surface *surface;
	struct wl_buffer *placeholder;	/* shown until the guest's first frame */
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	struct wp_viewport *viewport;
	struct zwp_keyboard_shortcuts_inhibitor_v1 *inhibitor;
	bool configured;
	struct wl_callback *settle;	/* after the first configure's commit */
	bool settled;			/* the host has had its say on the size */
	bool fullscreen;
	bool activated;			/* it has the keyboard focus */
	bool on_named;			/* fullscreen on its --fullscreen-on output */
	int32_t width, height;		/* the host's configure; 0: follow the guest */
	int32_t default_width, default_height;	/* an output not the guest's yet */
	uint32_t hinted_width, hinted_height;	/* last mode hint sent, device pixels */
	uint32_t hinted_scale_120;
	int32_t buffer_scale;		/* set with wl_surface.set_buffer_scale */
	struct view_buffer *pending;	/* a frame before the first configure */
	uint64_t pending_frame;
	struct window_scale scale;
	/* The frame on screen: its buffer's size, and the surface's (logical). */
	uint32_t shown_width, shown_height;
	int32_t surface_width, surface_height;
};

struct viewer {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	struct zwp_linux_dmabuf_v1 *dmabuf;
	struct wp_presentation *presentation;
	struct presentation_clock *presentation_clock;	/* NULL until announced */
	struct wp_viewporter *viewporter;
	struct wp_fractional_scale_manager_v1 *fractional_manager;
	struct host_output host_outputs[MAX_HOST_OUTPUTS];
	struct format_set formats;
	bool formats_done;

	struct vdmabuf_consumer *consumer;
	struct view_buffer *buffers[MAX_BUFFERS];

	struct wl_list windows;			/* viewer_window.link */
	unsigned int start_outputs;		/* --outputs */
	const char *fullscreen_on[GUEST_OUTPUTS];	/* --fullscreen-on, by output */
	const char *name;
	bool force_shm;
	bool shm_warned;
	bool fullscreen;			/* --fullscreen: windows start so */
	struct log_limit output_log;		/* what the guest's outputs cause */
	struct viewer_input input;
	struct viewer_cursor cursor;
	struct viewer_clipboard clipboard;
	FILE *times;				/* --times: one line per timed release */
	uint64_t exit_after;			/* presented frames; 0: never */
	bool quit;
	struct viewer_stats stats;
};

/* log.c: CLOCK_MONOTONIC in microseconds; a line after "vdmabuf-viewer: ". */
uint64_t now_usec(void);
void log_limited(struct log_limit *limit, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* presentation_clock.c */
struct presentation_clock *presentation_clock_create(uint32_t clock_id);
void presentation_clock_destroy(struct presentation_clock *clock);
/* NULL clock: "none". */
const char *presentation_clock_name(const struct presentation_clock *clock);
/* A time on clock as CLOCK_MONOTONIC ns; 0 if it cannot be converted. */
uint64_t presentation_clock_to_monotonic(struct presentation_clock *clock, uint64_t ns);

/* formats.c: what zwp_linux_dmabuf_v1 (v4 feedback, or v3 events) allows. */
void formats_listen(struct viewer *viewer);
bool formats_allow(const struct format_set *set, uint32_t format, uint64_t modifier);
void formats_finish(struct format_set *set);
/* Tells the guest, through the daemon, what the host compositor imports. */
void formats_report(struct viewer *viewer);

/* view_buffer.c */
struct view_buffer *view_buffer_create(struct viewer *viewer, const struct vdmabuf_id *id);
void view_buffer_destroy(struct view_buffer *buffer);
struct view_buffer *view_buffer_find(struct viewer *viewer, const struct vdmabuf_id *id);
/* Shows frame of buffer in window with damage; false if it cannot be shown. */
bool view_buffer_show(struct view_buffer *buffer, struct viewer_window *window, uint64_t frame,
		      const struct vdmabuf_rect *damage, unsigned int num_damage);
/* Gives frame of buffer back unshown: it has no window to be shown in. */
void view_buffer_release_unshown(struct view_buffer *buffer, uint64_t frame);

/*
 * The cursor image of serial onto surface; it goes back to the guest once
 * the host compositor released it. False if it cannot be shown.
 */
bool view_buffer_show_cursor(struct view_buffer *buffer, struct wl_surface *surface,
			     uint64_t serial);

/* cursor.c: the guest's cursor image as the host pointer's cursor. */
/* The guest's pointer changed (libvdmabuf's pointer); image NULL: none. */
void cursor_pointer(struct viewer *viewer, const struct vdmabuf_id *image, uint64_t serial,
		    uint32_t hotspot_x, uint32_t hotspot_y);
/* Sets the host pointer's cursor over the window (at every enter). */
void cursor_update(struct viewer *viewer);
/* id (NULL: every buffer) is gone: no cursor shows it any more. */
void cursor_buffer_gone(struct viewer *viewer, const struct vdmabuf_id *id);
void cursor_finish(struct viewer *viewer);

/* window.c: a window per guest output, and the Wayland globals. */
/* Binds the globals and learns the formats and outputs; -1 on failure. */
int wayland_start(struct viewer *viewer);
/* Destroys every window and what wayland_start() bound. */
void wayland_finish(struct viewer *viewer);
/* A window for guest output output (below GUEST_OUTPUTS); NULL on failure. */
struct viewer_window *window_create(struct viewer *viewer, uint32_t output);
void window_destroy(struct viewer_window *window);
struct viewer_window *window_find(struct viewer *viewer, uint32_t output);
struct viewer_window *window_from_surface(struct viewer *viewer, struct wl_surface *surface);
/* One more output, for the lowest free id, beside (NULL: none) window's size. */
struct viewer_window *window_open_next(struct viewer *viewer,
				       const struct viewer_window *beside);
/* Fullscreen: on its --fullscreen-on output if there, else where the host puts it. */
void window_set_fullscreen(struct viewer_window *window, bool fullscreen);
/*
 * The guest's buffer size changed or the window did: scale to fit; a
 * buffer of the window's size in device pixels is shown 1:1.
 */
void window_update_viewport(struct viewer_window *window, const struct view_buffer *buffer);
/* The window's scale changed (scale.c): asks the guest for its new mode. */
void window_scale_changed(struct viewer_window *window);
/* A host output told its name: windows waiting for it go fullscreen there. */
void windows_host_output_named(struct viewer *viewer, struct host_output *out);
/* One of the guest's outputs, as vdmabuf_output_listener.output says. */
void windows_guest_output(struct viewer *viewer, uint32_t output, uint32_t flags,
			  uint32_t width, uint32_t height, uint32_t refresh_mhz,
			  uint32_t scale_120);
/* The device reset: the gone outputs that follow come back. */
void windows_reset(struct viewer *viewer);

/* scale.c: each window's scale, fractional where the host has it. */
/* Binds wp_fractional_scale_manager_v1 and wl_outputs; false if interface is neither. */
bool scale_bind(struct viewer *viewer, struct wl_registry *registry, uint32_t name,
		const char *interface, uint32_t version);
void scale_global_remove(struct viewer *viewer, uint32_t name);
/* The host output of that wl_output.name; NULL: none. */
struct host_output *scale_find_output(struct viewer *viewer, const char *name);
/* Once the window's surface and its viewport exist. */
void scale_start(struct viewer_window *window);
void scale_finish(struct viewer_window *window);
void scale_finish_outputs(struct viewer *viewer);

/* input.c: the host's seat forwarded to the guest's. */
/* Binds the seat and the shortcuts inhibitor; false if interface is not one. */
bool input_bind(struct viewer *viewer, struct wl_registry *registry, uint32_t name,
		const char *interface, uint32_t version);
/* Claims the guest's seat (unless --no-input). */
void input_start(struct viewer *viewer);
/* A window was made, or is about to go: its inhibitor, focus, constraint. */
void input_window_created(struct viewer_window *window);
void input_window_gone(struct viewer_window *window);
/* The guest's pointer constraint (enum vdmabuf_constraint) changed. */
void input_constrain(struct viewer *viewer, uint32_t constraint);
/* The daemon refused request (VDMABUF_REQUEST_SEAT, _INPUT, _KEYMAP). */
void input_error(struct viewer *viewer, uint32_t request, int err);
void input_finish(struct viewer *viewer);

/* clipboard.c: the host's selections shared with the guest. */
extern const struct vdmabuf_clip_listener clipboard_listener;
bool clipboard_bind(struct viewer *viewer, struct wl_registry *registry, uint32_t name,
		    const char *interface, uint32_t version);
/* After the registry's globals, with the seat bound (unless --no-clipboard). */
void clipboard_start(struct viewer *viewer);
/* The window was activated (it has the focus), or no longer is. */
void clipboard_focus(struct viewer *viewer, bool focused);
/* The serial of the window's latest input event, to set selections with. */
void clipboard_serial(struct viewer *viewer, uint32_t serial);
/* The daemon refused a clipboard request (VDMABUF_REQUEST_SELECTION..CLIP_CLOSE). */
void clipboard_error(struct viewer *viewer, uint32_t request, int err);
/* Pastes' fds to poll (at most max), and their events. */
int clipboard_poll_fds(struct viewer *viewer, struct pollfd *fds, int max);
void clipboard_dispatch_fds(struct viewer *viewer, const struct pollfd *fds, int n);
void clipboard_finish(struct viewer *viewer);

#endif
