/* SPDX-License-Identifier: MIT */
/*
 * libvdmabuf: share dmabufs from a guest with its host, without copies.
 *
 * Producers run in the guest and talk to /dev/vdmabuf (virtio_vdmabuf.ko):
 * a buffer is exported once, then presented by id each frame; the host
 * releases it when it is done, with the time it was shown. A producer
 * that subscribes also hears the host window's input and keymap.
 * Consumers run on the host and talk to vdmabuf-backend's socket: they
 * hear of buffers, import them as host dmabufs, and release frames.
 *
 * Conventions: functions return 0 (or a non-negative fd) on success and a
 * negative errno on failure; nothing is printed; no thread is started.
 * Each object has one fd to poll for POLLIN; its dispatch function never
 * blocks and calls the listener for every pending event.
 */
#ifndef VDMABUF_H
#define VDMABUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vdmabuf_clip.h"	/* selections, formats, VDMABUF_CLIP_WINDOW */
#include "vdmabuf_format.h"	/* struct vdmabuf_format, VDMABUF_MAX_FORMATS */
#include "vdmabuf_id.h"
#include "vdmabuf_input.h"	/* enum vdmabuf_input_kind, VDMABUF_INPUT_ARGS */

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with hidden visibility; this marks its API. */
#define VDMABUF_API __attribute__((visibility("default")))

/*
 * A buffer's id is struct vdmabuf_id (vdmabuf_id.h): 128 bits, unique across
 * devices and never reused.
 */

struct vdmabuf_plane {
	uint32_t offset;
	uint32_t stride;
};

/* What a buffer holds: size, DRM fourcc and modifier, 1 to 4 planes. */
struct vdmabuf_buffer_desc {
	uint32_t width;
	uint32_t height;
	uint32_t fourcc;
	uint32_t num_planes;
	uint64_t modifier;
	struct vdmabuf_plane planes[4];
};

struct vdmabuf_rect {
	int32_t x, y;
	int32_t width, height;
};

#define VDMABUF_MAX_DAMAGE_RECTS 16

/* Release flags (the same bits as the wire protocol's). */
#ifndef VDMABUF_RELEASE_PRESENTED
#define VDMABUF_RELEASE_PRESENTED	(1u << 0)	/* shown, not dropped */
#define VDMABUF_RELEASE_VSYNC		(1u << 1)	/* time is a vblank */
#define VDMABUF_RELEASE_ZERO_COPY	(1u << 2)	/* shown without a copy */
#endif
/* Never sent: its rendering did not finish in time, or the device refused it. */
#ifndef VDMABUF_RELEASE_DISCARDED
#define VDMABUF_RELEASE_DISCARDED	(1u << 31)
#endif

VDMABUF_API
bool vdmabuf_id_equal(const struct vdmabuf_id *a, const struct vdmabuf_id *b);
/* Writes "dddddddddddddddd:kkkkkkkkkkkkkkkk" and a NUL; returns buf. */
VDMABUF_API
char *vdmabuf_id_format(const struct vdmabuf_id *id, char buf[VDMABUF_ID_STRLEN]);

/*
 * The clipboard's events, the same on either side (spec §17,
 * vdmabuf_clip.h); every callback is optional. selection: the other side
 * offers selection in formats (1 << enum vdmabuf_clip_format bits; 0:
 * nothing); paste it with *_clip_open(serial). send: the other side
 * pastes our offer of selection in format: send transfer's bytes with
 * *_clip_send(). data: bytes of a paste of ours, in order (valid during
 * the call); end: the last (status 0, or -EFBIG over the cap, -EPIPE the
 * other side went, -EIO it could not serve); acknowledge what was
 * consumed with *_clip_ack() (an ACK that crosses the END is refused
 * with -ENOENT: ignore it). ack: the other side consumed bytes of a
 * transfer we send, so that much more may be sent. cancel: stop sending
 * transfer (status 0: the paste was closed, or -errno).
 */
struct vdmabuf_clip_listener {
	void (*selection)(void *data, uint32_t selection, uint32_t serial, uint32_t formats);
	void (*send)(void *data, uint32_t transfer, uint32_t selection, uint32_t format);
	void (*data)(void *data, uint32_t transfer, const void *bytes, size_t len, bool end,
		     int status);
	void (*ack)(void *data, uint32_t transfer, uint32_t bytes);
	void (*cancel)(void *data, uint32_t transfer, int status);
};

/* An output is gone (spec §20), as struct vdmabuf_output's flags say it. */
#define VDMABUF_OUTPUT_GONE		(1u << 0)

/*
 * The guest's outputs (spec §20), once vdmabuf_consumer_listen_outputs()
 * was called. output: one of the guest's outputs as it is now (flags 0;
 * its mode in device pixels, scale * 120), or gone (VDMABUF_OUTPUT_GONE);
 * on connect for each output the guest has. frame: as the consumer
 * listener's frame, naming the output it is shown on; the consumer
 * listener's own frame is then not called.
 */
struct vdmabuf_output_listener {
	void (*output)(void *data, uint32_t output, uint32_t flags, uint32_t width,
		       uint32_t height, uint32_t refresh_mhz, uint32_t scale_120);
	void (*frame)(void *data, uint32_t output, const struct vdmabuf_id *id, uint64_t frame,
		      const struct vdmabuf_rect *damage, unsigned int num_damage);
};

/* Producer (guest) */

struct vdmabuf_producer;

struct vdmabuf_info {
	uint64_t features;		/* negotiated VDMABUF_F_* bits */
	uint64_t max_buffer_size;	/* bytes */
	uint32_t max_buffers;		/* per device */
	uint32_t max_buffers_per_file;	/* per producer */
	uint32_t max_extents;		/* page runs per buffer */
	uint32_t consumers;		/* host consumers attached */
};

/* vdmabuf_info.features: the host draws our cursor (vdmabuf_producer_pointer()). */
#define VDMABUF_INFO_POINTER		(1ull << 5)	/* 1 << VDMABUF_F_POINTER */

/* Events a producer subscribes to (the same bits as /dev/vdmabuf's). */
#ifndef VDMABUF_SUBSCRIBE_INPUT
#define VDMABUF_SUBSCRIBE_INPUT	(1u << 0)	/* input and keymap */
#define VDMABUF_SUBSCRIBE_CLIPBOARD	(1u << 1)	/* the clipboard: one producer */
#endif

/*
 * One event of the host window's seat, as the producer receives it and a
 * consumer sends it. kind is enum vdmabuf_input_kind; args by kind as
 * vdmabuf_input.h says (keys and buttons evdev codes, positions and
 * deltas 24.8 fixed point in the guest output's pixels), the rest 0.
 */
struct vdmabuf_input_event {
	uint32_t kind;
	uint64_t time_usec;		/* this machine's CLOCK_MONOTONIC */
	int32_t args[VDMABUF_INPUT_ARGS];
};

/*
 * Every callback is optional. release: the host is done with frame of id,
 * shown at present_ns (our CLOCK_MONOTONIC, moved there from the host's
 * by the driver; 0 if not shown or not known yet) on an output
 * refreshing every refresh_ns; the buffer may be drawn into again.
 * retired: an unexported id is dead on the host too. reset: the device
 * lost every id (host backend restarted, VM reset): export again.
 */
struct vdmabuf_producer_listener {
	void (*release)(void *data, const struct vdmabuf_id *id, uint64_t frame,
			uint64_t present_ns, uint32_t refresh_ns, uint32_t flags);
	void (*retired)(void *data, const struct vdmabuf_id *id);
	void (*consumers)(void *data, uint32_t count);
	void (*mode_hint)(void *data, uint32_t width, uint32_t height,
			  uint32_t refresh_mhz, uint32_t scale_120);
	void (*reset)(void *data);
	/*
	 * Only after vdmabuf_producer_subscribe(VDMABUF_SUBSCRIBE_INPUT), so
	 * a listener built before these existed is never read past reset.
	 * input: one event of the host's seat. keymap: the host's whole
	 * keymap (format VDMABUF_KEYMAP_XKB_V1: xkbcommon's text format),
	 * size bytes as the host sent them, and a NUL at text[size]; valid
	 * during the call.
	 */
	void (*input)(void *data, const struct vdmabuf_input_event *ev);
	void (*keymap)(void *data, uint32_t format, const char *text, uint32_t size);
	/* The host's side of the clipboard: only after subscribing to it. */
	const struct vdmabuf_clip_listener *clip;
	/*
	 * What the host imports changed (spec §18): count (fourcc, modifier)
	 * pairs, valid during the call; count 0: the host states nothing and
	 * LINEAR is the fallback. Also once after creation if the host has a
	 * list. (Added with soversion 0, whose listener is not yet frozen.)
	 */
	void (*formats)(void *data, const struct vdmabuf_format *formats, uint32_t count);
	/*
	 * Several outputs (spec §20): only after
	 * vdmabuf_producer_listen_outputs(), so a listener built before it
	 * existed is never read past formats; mode_hint is then not called.
	 * The host's wish for output (below VDMABUF_MAX_OUTPUTS): flags 0,
	 * this mode (an output the guest does not have: add it), or
	 * VDMABUF_OUTPUT_GONE, the host closed it (remove it). The last one
	 * of each output also comes once after creation.
	 */
	void (*output_hint)(void *data, uint32_t output, uint32_t flags, uint32_t width,
			    uint32_t height, uint32_t refresh_mhz, uint32_t scale_120);
	/*
	 * Likewise: input (when subscribed) from output's window, positions
	 * in its pixels; input is then not called.
	 */
	void (*output_input)(void *data, uint32_t output, const struct vdmabuf_input_event *ev);
};

/* vdmabuf_info.features: several outputs (spec §20). */
#define VDMABUF_INFO_OUTPUTS		(1ull << 8)	/* 1 << VDMABUF_F_OUTPUTS */
#ifndef VDMABUF_MAX_OUTPUTS
#define VDMABUF_MAX_OUTPUTS		16
#endif

/* path NULL: /dev/vdmabuf. On failure returns NULL and sets *err. */
VDMABUF_API
struct vdmabuf_producer *vdmabuf_producer_create(const char *path, int *err);
/* Closing unexports every buffer this producer exported. */
VDMABUF_API
void vdmabuf_producer_destroy(struct vdmabuf_producer *producer);
VDMABUF_API
int vdmabuf_producer_get_fd(struct vdmabuf_producer *producer);
VDMABUF_API
int vdmabuf_producer_info(struct vdmabuf_producer *producer, struct vdmabuf_info *info);
/*
 * The (fourcc, modifier) pairs the host imports, as the driver last heard
 * them: up to room written to formats, and how many there are in *count
 * (0: none stated, LINEAR is the fallback).
 */
VDMABUF_API
int vdmabuf_producer_formats(struct vdmabuf_producer *producer, struct vdmabuf_format *formats,
			     uint32_t room, uint32_t *count);
/*
 * Shares dmabuf_fd (which stays the caller's) once; *id names it from now
 * on. -EBADF: not an fd; -EINVAL: not a dmabuf, or desc does not fit it;
 * -EOPNOTSUPP: its memory is not guest RAM the device can reach (device
 * memory its exporter would not move, or an IOMMU translates); -E2BIG: too
 * large or too fragmented for the device; -ENOSPC: too many buffers.
 */
VDMABUF_API
int vdmabuf_producer_export(struct vdmabuf_producer *producer, int dmabuf_fd,
			    const struct vdmabuf_buffer_desc *desc, struct vdmabuf_id *id);
/*
 * Shows id as frame; damage NULL or num_damage 0: all of it. The buffer
 * is the host's until its release. The frame leaves once the buffer's
 * rendering is done (its dmabuf's write fences: implicit sync); until then
 * it waits in the driver, never here, and a frame whose rendering does not
 * finish in time comes back as a release with VDMABUF_RELEASE_DISCARDED.
 * With protocol version 2 (spec §19) the call returns once the frame is
 * queued, and a frame the host refuses comes back that way too. A frame
 * in flight at a reset gets no release. -ENOENT: not an id of this
 * producer; -EBUSY: the previous frame of this buffer is not released
 * yet, or too many frames wait for rendering.
 */
VDMABUF_API
int vdmabuf_producer_present(struct vdmabuf_producer *producer, const struct vdmabuf_id *id,
			     uint64_t frame, const struct vdmabuf_rect *damage,
			     unsigned int num_damage);
/*
 * As vdmabuf_producer_present(), and the frame also waits for fence_fd
 * (a sync_file, which stays the caller's; -1: none): explicit sync.
 * -EINVAL: fence_fd is not a sync_file.
 */
VDMABUF_API
int vdmabuf_producer_present_fenced(struct vdmabuf_producer *producer,
				    const struct vdmabuf_id *id, uint64_t frame,
				    const struct vdmabuf_rect *damage, unsigned int num_damage,
				    int fence_fd);
/*
 * The cursor the host draws over its window at its own pointer (with
 * VDMABUF_F_POINTER, spec §16). image: an exported id of this producer,
 * shown as the cursor with its hotspot (in its pixels) at the pointer;
 * NULL: no cursor. Like a presented frame the image is the host's until
 * its release, whose frame is serial; naming another image or none lets
 * the host release the previous one, and naming the image shown now
 * with its serial again changes only the hotspot or constraint. constraint
 * is enum vdmabuf_constraint (vdmabuf_input.h): a client locked the
 * pointer (the host keeps its pointer still and sends relative motion)
 * or confined it to the window. -EOPNOTSUPP: not negotiated; -ENOENT:
 * not an id of this producer; -EINVAL: a hotspot outside the image or a
 * bad constraint; -EBUSY: the image is presented and not released yet.
 */
VDMABUF_API
int vdmabuf_producer_pointer(struct vdmabuf_producer *producer, const struct vdmabuf_id *image,
			     uint64_t serial, uint32_t hotspot_x, uint32_t hotspot_y,
			     uint32_t constraint);
/*
 * As vdmabuf_producer_present_fenced(), for one of the guest's outputs
 * (spec §20): output 0 always, another once announced with
 * vdmabuf_producer_output() since the last reset (-ENXIO otherwise;
 * -EINVAL: not below VDMABUF_MAX_OUTPUTS).
 */
VDMABUF_API
int vdmabuf_producer_present_output(struct vdmabuf_producer *producer, uint32_t output,
				    const struct vdmabuf_id *id, uint64_t frame,
				    const struct vdmabuf_rect *damage, unsigned int num_damage,
				    int fence_fd);
/*
 * Several outputs (spec §20). listen_outputs: the listener's output_hint
 * is called from now on, for every output, instead of mode_hint (which
 * otherwise hears output 0's hints only). output: tells the host the
 * guest has output (below VDMABUF_MAX_OUTPUTS) with this mode in device
 * pixels, refresh (mHz, 0: unknown) and scale * 120; again at each
 * change and after every reset. output_gone: it has it no more. Both
 * wait for the device's answer. -EOPNOTSUPP: the device has one output
 * only (VDMABUF_INFO_OUTPUTS not negotiated); -EINVAL: a bad id or mode.
 */
VDMABUF_API
void vdmabuf_producer_listen_outputs(struct vdmabuf_producer *producer);
VDMABUF_API
int vdmabuf_producer_output(struct vdmabuf_producer *producer, uint32_t output, uint32_t width,
			    uint32_t height, uint32_t refresh_mhz, uint32_t scale_120);
VDMABUF_API
int vdmabuf_producer_output_gone(struct vdmabuf_producer *producer, uint32_t output);
/* Stops sharing id; its pages stay pinned until retired. */
VDMABUF_API
int vdmabuf_producer_unexport(struct vdmabuf_producer *producer, const struct vdmabuf_id *id);
/*
 * Which events the producer receives besides its buffers' and the
 * device's: VDMABUF_SUBSCRIBE_* bits, 0 for none. With INPUT the host's
 * keymap, if it sent one, comes at once. -EINVAL: an unknown bit;
 * -EOPNOTSUPP: the device has no input (VDMABUF_F_INPUT not negotiated)
 * or no clipboard; -EBUSY: another producer holds the clipboard.
 */
VDMABUF_API
int vdmabuf_producer_subscribe(struct vdmabuf_producer *producer, uint32_t events);
/*
 * The clipboard (after subscribing to VDMABUF_SUBSCRIBE_CLIPBOARD).
 * offer: the guest's selection can be pasted in formats (0 withdraws it).
 * clip_open: paste the host's offer serial of selection in format;
 * *transfer names it (-ENOENT: the offer is gone; -ENOSPC: too many
 * transfers at once). clip_send: len bytes of a transfer the host
 * pastes, never more than VDMABUF_CLIP_WINDOW sent and not acknowledged
 * (clip_ack events); end with the last (status 0, or -EIO: cannot
 * serve). clip_ack: bytes of a paste consumed; clip_close: stop a paste.
 * -EPERM: another producer holds the clipboard; -EOPNOTSUPP: not
 * negotiated.
 */
VDMABUF_API
int vdmabuf_producer_offer(struct vdmabuf_producer *producer, uint32_t selection,
			   uint32_t formats);
VDMABUF_API
int vdmabuf_producer_clip_open(struct vdmabuf_producer *producer, uint32_t selection,
			       uint32_t serial, uint32_t format, uint32_t *transfer);
VDMABUF_API
int vdmabuf_producer_clip_send(struct vdmabuf_producer *producer, uint32_t transfer,
			       const void *bytes, size_t len, bool end, int status);
VDMABUF_API
int vdmabuf_producer_clip_ack(struct vdmabuf_producer *producer, uint32_t transfer,
			      uint32_t bytes);
VDMABUF_API
int vdmabuf_producer_clip_close(struct vdmabuf_producer *producer, uint32_t transfer);
/* Returns the number of events handled, or -ENODEV once the device is gone. */
VDMABUF_API
int vdmabuf_producer_dispatch(struct vdmabuf_producer *producer,
			      const struct vdmabuf_producer_listener *listener, void *data);

/* Consumer (host) */

struct vdmabuf_consumer;

struct vdmabuf_stats {
	uint64_t buffers;		/* live exports */
	uint64_t imports;		/* live imports, all consumers */
	uint64_t exports_total;
	uint64_t frames_total;		/* PRESENTs accepted */
	uint64_t releases_total;	/* frames and cursor images released */
	uint64_t bad_requests;		/* guest requests refused */
	uint64_t consumers;
	uint64_t guest_bytes;		/* bytes of the guest's requests */
	uint64_t input_events;		/* input events queued for the guest */
	uint64_t input_dropped;		/* motion dropped: the guest fell behind */
	uint64_t cursors_total;		/* cursor images presented (not frames) */
	uint64_t logs_suppressed;	/* log lines over the device's rate limit */
	uint64_t consumers_late;	/* disconnected past a release deadline */
	uint64_t pinned_bytes;		/* guest memory the host holds pinned */
	uint64_t pinned_limit;		/* its budget; 0: none */
	uint64_t notifications;		/* the guest's kicks: its VM exits */
	uint64_t interrupts;		/* used-buffer interrupts sent to the guest */
};

/* The requests a consumer makes, as its listener's error names them. */
enum vdmabuf_consumer_request {
	VDMABUF_REQUEST_IMPORT = 16,	/* vdmabuf_consumer_import */
	VDMABUF_REQUEST_RELEASE = 17,	/* vdmabuf_consumer_release */
	VDMABUF_REQUEST_DROP = 18,	/* vdmabuf_consumer_drop */
	VDMABUF_REQUEST_MODE_HINT = 19,	/* vdmabuf_consumer_mode_hint */
	VDMABUF_REQUEST_STATS = 20,	/* vdmabuf_consumer_stats */
	VDMABUF_REQUEST_SEAT = 21,	/* vdmabuf_consumer_claim_seat */
	VDMABUF_REQUEST_INPUT = 22,	/* vdmabuf_consumer_input */
	VDMABUF_REQUEST_KEYMAP = 23,	/* vdmabuf_consumer_keymap */
	VDMABUF_REQUEST_SELECTION = 24,	/* vdmabuf_consumer_offer */
	VDMABUF_REQUEST_CLIP_OPEN = 25,	/* vdmabuf_consumer_clip_open */
	VDMABUF_REQUEST_CLIP_DATA = 26,	/* vdmabuf_consumer_clip_send */
	VDMABUF_REQUEST_CLIP_ACK = 27,	/* vdmabuf_consumer_clip_ack */
	VDMABUF_REQUEST_CLIP_CLOSE = 28,	/* vdmabuf_consumer_clip_close */
	VDMABUF_REQUEST_FORMATS = 29,	/* vdmabuf_consumer_formats */
};

/* vdmabuf_consumer_guest_features(): the guest takes input events. */
#define VDMABUF_GUEST_INPUT		(1u << 4)	/* 1 << VDMABUF_F_INPUT */


/*
 * Every callback is optional. buffer: a buffer exists (on connect, every
 * live one); import it to show it. frame: show id's contents as frame,
 * then release it. gone: the guest unexported id: drop the import and
 * close its fd. reset: every id is gone. error: request (enum
 * vdmabuf_consumer_request) on id was refused with err (-errno).
 *
 * pointer: the guest's pointer (spec §16), once on connect and at every
 * change. image is the cursor image, a buffer announced and imported as
 * any other (an id that is a cursor image is never a frame), or NULL: no
 * cursor. Draw it at the host pointer, hotspot_x/y (in its pixels) on the
 * pointer's position, and release it as a frame, with frame = serial,
 * once it is no longer shown: when a later pointer names another image,
 * or none, and the display let go of it. constraint (enum
 * vdmabuf_constraint): a guest client locked the pointer (keep the host's
 * still and send VDMABUF_INPUT_RELATIVE_MOTION), confined it to the
 * window, or neither.
 */
struct vdmabuf_consumer_listener {
	void (*buffer)(void *data, const struct vdmabuf_id *id,
		       const struct vdmabuf_buffer_desc *desc, uint64_t size);
	void (*frame)(void *data, const struct vdmabuf_id *id, uint64_t frame,
		      const struct vdmabuf_rect *damage, unsigned int num_damage);
	void (*gone)(void *data, const struct vdmabuf_id *id);
	void (*reset)(void *data);
	void (*error)(void *data, uint32_t request, const struct vdmabuf_id *id, int err);
	void (*pointer)(void *data, const struct vdmabuf_id *image, uint64_t serial,
			uint32_t hotspot_x, uint32_t hotspot_y, uint32_t constraint);
	/*
	 * The guest's side of the clipboard: only after
	 * vdmabuf_consumer_listen_clipboard(), so a listener built before it
	 * existed is never read past pointer.
	 */
	const struct vdmabuf_clip_listener *clip;
	/* Several outputs: only after vdmabuf_consumer_listen_outputs(). */
	const struct vdmabuf_output_listener *outputs;
};

/*
 * path NULL: $VDMABUF_CONSUMER_SOCKET, else /run/vdmabuf/consumer.sock.
 * Waits for the daemon's greeting. On failure returns NULL, sets *err.
 */
VDMABUF_API
struct vdmabuf_consumer *vdmabuf_consumer_connect(const char *path, int *err);
/* Takes a connected SOCK_SEQPACKET socket (socket activation, tests). */
VDMABUF_API
struct vdmabuf_consumer *vdmabuf_consumer_create_from_fd(int fd, int *err);
VDMABUF_API
void vdmabuf_consumer_destroy(struct vdmabuf_consumer *consumer);
VDMABUF_API
int vdmabuf_consumer_get_fd(struct vdmabuf_consumer *consumer);
/* Number of messages handled, or -EPIPE once the daemon is gone. */
VDMABUF_API
int vdmabuf_consumer_dispatch(struct vdmabuf_consumer *consumer,
			      const struct vdmabuf_consumer_listener *listener, void *data);
/*
 * Returns a new host dmabuf fd of id (the caller closes it) and fills desc
 * and size if not NULL. Waits up to 5 s for the daemon; messages arriving
 * meanwhile wait for the next dispatch. -ENOENT: no such buffer;
 * -EEXIST: already imported by this consumer.
 */
VDMABUF_API
int vdmabuf_consumer_import(struct vdmabuf_consumer *consumer, const struct vdmabuf_id *id,
			    struct vdmabuf_buffer_desc *desc, uint64_t *size);
/* Done with frame of id; timing as the display reported it, on CLOCK_MONOTONIC. */
VDMABUF_API
int vdmabuf_consumer_release(struct vdmabuf_consumer *consumer, const struct vdmabuf_id *id,
			     uint64_t frame, uint64_t present_ns, uint32_t refresh_ns,
			     uint32_t flags);
/* Done with the import of id (its fd should be closed too). */
VDMABUF_API
int vdmabuf_consumer_drop(struct vdmabuf_consumer *consumer, const struct vdmabuf_id *id);
/* Asks the guest for an output of this size, refresh (mHz) and scale (x120). */
VDMABUF_API
int vdmabuf_consumer_mode_hint(struct vdmabuf_consumer *consumer, uint32_t width,
			       uint32_t height, uint32_t refresh_mhz, uint32_t scale_120);
/*
 * Several outputs (spec §20). listen_outputs: the listener's outputs
 * callbacks are read from now on. output_hint: as mode_hint, for output
 * (below 16): an output the guest does not have is added. output_close:
 * the guest removes output. Refusals come to the listener's error as
 * VDMABUF_REQUEST_MODE_HINT.
 */
VDMABUF_API
void vdmabuf_consumer_listen_outputs(struct vdmabuf_consumer *consumer);
VDMABUF_API
int vdmabuf_consumer_output_hint(struct vdmabuf_consumer *consumer, uint32_t output,
				 uint32_t width, uint32_t height, uint32_t refresh_mhz,
				 uint32_t scale_120);
VDMABUF_API
int vdmabuf_consumer_output_close(struct vdmabuf_consumer *consumer, uint32_t output);
VDMABUF_API
int vdmabuf_consumer_stats(struct vdmabuf_consumer *consumer, struct vdmabuf_stats *stats);
/*
 * The (fourcc, modifier) pairs this consumer imports (spec §18), at most
 * VDMABUF_MAX_FORMATS, none DRM_FORMAT_MOD_INVALID: the guest allocates
 * within what every consumer that said so imports. count 0 withdraws
 * the list. Errors of the daemon come to the listener's error callback
 * as VDMABUF_REQUEST_FORMATS.
 */
VDMABUF_API
int vdmabuf_consumer_formats(struct vdmabuf_consumer *consumer,
			     const struct vdmabuf_format *formats, uint32_t count);
/*
 * The VDMABUF_GUEST_* features the guest's driver negotiated, as the
 * daemon's greeting said (0 while no driver runs).
 */
VDMABUF_API
uint32_t vdmabuf_consumer_guest_features(struct vdmabuf_consumer *consumer);

/*
 * The guest's seat: one consumer at a time holds it and sends the guest
 * its input. Refusals come later through the listener's error:
 * VDMABUF_REQUEST_SEAT -EBUSY: another consumer holds the seat;
 * VDMABUF_REQUEST_INPUT or _KEYMAP -EPERM: this one does not,
 * -ENOTCONN or -EOPNOTSUPP: no guest, or one without input, -EINVAL: the
 * daemon refused the event.
 */
/* Takes (claim true) or gives back the seat. */
VDMABUF_API
int vdmabuf_consumer_claim_seat(struct vdmabuf_consumer *consumer, bool claim);
/* Sends one input event; -EINVAL if vdmabuf_input_valid() refuses it. */
VDMABUF_API
int vdmabuf_consumer_input(struct vdmabuf_consumer *consumer,
			   const struct vdmabuf_input_event *event);
/* As vdmabuf_consumer_input, from output's window (spec §20); the daemon checks output. */
VDMABUF_API
int vdmabuf_consumer_output_input(struct vdmabuf_consumer *consumer, uint32_t output,
				  const struct vdmabuf_input_event *event);
/*
 * Sends the keymap the guest should type with: format VDMABUF_KEYMAP_XKB_V1,
 * size bytes of xkbcommon's text format. -EINVAL: another format or
 * nothing; -E2BIG: over VDMABUF_MAX_KEYMAP.
 */
VDMABUF_API
int vdmabuf_consumer_keymap(struct vdmabuf_consumer *consumer, uint32_t format,
			    const void *text, size_t size);

/*
 * The clipboard, for the seat holder (spec §17). listen_clipboard: the
 * listener's clipboard callbacks are read from now on. offer: the host's
 * selection can be pasted in formats (0 withdraws it). clip_open: paste
 * the guest's offer serial of selection in format; waits up to 5 s for
 * *transfer. clip_send: bytes of a transfer the guest pastes, in
 * messages of VDMABUF_MSG_CLIP_CHUNK, never more than VDMABUF_CLIP_WINDOW
 * sent and not acknowledged (clip_ack); end with the last (status 0, or
 * -EIO). clip_ack: bytes of a paste consumed; clip_close: stop a paste.
 * Refusals come through the listener's error (VDMABUF_REQUEST_*): -EPERM
 * without the seat, -ENOENT an ended transfer or a stale offer.
 */
VDMABUF_API
void vdmabuf_consumer_listen_clipboard(struct vdmabuf_consumer *consumer);
VDMABUF_API
int vdmabuf_consumer_offer(struct vdmabuf_consumer *consumer, uint32_t selection,
			   uint32_t formats);
VDMABUF_API
int vdmabuf_consumer_clip_open(struct vdmabuf_consumer *consumer, uint32_t selection,
			       uint32_t serial, uint32_t format, uint32_t *transfer);
VDMABUF_API
int vdmabuf_consumer_clip_send(struct vdmabuf_consumer *consumer, uint32_t transfer,
			       const void *bytes, size_t len, bool end, int status);
VDMABUF_API
int vdmabuf_consumer_clip_ack(struct vdmabuf_consumer *consumer, uint32_t transfer,
			      uint32_t bytes);
VDMABUF_API
int vdmabuf_consumer_clip_close(struct vdmabuf_consumer *consumer, uint32_t transfer);

/*
 * A paste between a clipboard transfer and a pipe, for a side that
 * bridges the clipboard to a Wayland seat, whose data sources and offers
 * trade in pipes. A source stream reads its fd and sends the transfer's
 * bytes, never more than VDMABUF_CLIP_WINDOW unacknowledged; a sink
 * stream writes the transfer's bytes to its fd and acknowledges only
 * what the fd took (a reader who went is EPIPE, never SIGPIPE). The
 * stream owns fd (made non-blocking; closed by destroy). Poll fd for
 * vdmabuf_clip_stream_events() (0: wait for the other side) and call
 * _dispatch when it is ready; hand it the transfer's events: ack to a
 * source, data to a sink, and cancel (the other side ended it) to
 * either. _dispatch, _ack and _data return 0 while the paste goes on,
 * 1 once it is complete, or a negative errno once it failed (a sink's
 * END status: -EFBIG over the cap, -EPIPE the other side went, -EIO it
 * could not serve; -EPIPE the reader went, -EPROTO a window overrun);
 * then destroy it. Destroying one that is not over ends its transfer:
 * a source's with END and -EIO, a sink's paste closed. NULL: no memory,
 * or fd is not an fd; fd is closed and the transfer ended all the same.
 */
struct vdmabuf_clip_stream;

VDMABUF_API
struct vdmabuf_clip_stream *vdmabuf_clip_stream_producer(struct vdmabuf_producer *producer,
							 uint32_t transfer, int fd, bool source);
VDMABUF_API
struct vdmabuf_clip_stream *vdmabuf_clip_stream_consumer(struct vdmabuf_consumer *consumer,
							 uint32_t transfer, int fd, bool source);
VDMABUF_API
void vdmabuf_clip_stream_destroy(struct vdmabuf_clip_stream *stream);
VDMABUF_API
uint32_t vdmabuf_clip_stream_transfer(const struct vdmabuf_clip_stream *stream);
VDMABUF_API
int vdmabuf_clip_stream_get_fd(const struct vdmabuf_clip_stream *stream);
/* Bytes sent (a source) or written to fd (a sink) so far. */
VDMABUF_API
uint64_t vdmabuf_clip_stream_bytes(const struct vdmabuf_clip_stream *stream);
/* POLLIN, POLLOUT or 0. */
VDMABUF_API
short vdmabuf_clip_stream_events(const struct vdmabuf_clip_stream *stream);
VDMABUF_API
int vdmabuf_clip_stream_dispatch(struct vdmabuf_clip_stream *stream);
VDMABUF_API
int vdmabuf_clip_stream_ack(struct vdmabuf_clip_stream *stream, uint32_t bytes);
VDMABUF_API
int vdmabuf_clip_stream_data(struct vdmabuf_clip_stream *stream, const void *bytes, size_t len,
			     bool end, int status);
VDMABUF_API
void vdmabuf_clip_stream_cancel(struct vdmabuf_clip_stream *stream);

#ifdef __cplusplus
}
#endif

#endif /* VDMABUF_H */
