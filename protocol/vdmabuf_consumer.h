/* SPDX-License-Identifier: MIT */
/*
 * The host consumer protocol: vdmabuf-backend <-> consumers (libvdmabuf),
 * over a SOCK_SEQPACKET unix socket. Every message is exactly one struct
 * vdmabuf_consumer_msg in native endianness; IMPORT's reply carries the host dmabuf
 * fd as SCM_RIGHTS. Who may connect is decided by the socket's file mode:
 * whoever can connect may import. protocol/vdmabuf-spec.md, "Host
 * consumers", is the normative text.
 *
 * On connect the daemon sends HELLO, then BUFFER for every live buffer.
 * Then, as they happen: BUFFER (exported), FRAME (presented), GONE
 * (unexported: drop the import and close its fd), RESET (every id gone).
 * Consumer requests and their replies (REPLY with the request's type in
 * status_of and -errno in status, or IMPORT with the fd):
 *   IMPORT id           take a host dmabuf of the buffer (one per consumer)
 *   RELEASE id frame    done with FRAME frame; present_ns/refresh_ns/flags
 *                       are what the consumer's display reported
 *   DROP id             done with the import (the fd is closed)
 *   MODE_HINT           ask the guest for an output mode
 *   STATS               daemon counters, answered with STATS
 * Version 2, the guest's seat (one consumer at a time holds it):
 *   SEAT claim          take (1) or give back (0) the seat; EBUSY if held
 *   INPUT               one input event for the guest (holder only)
 *   KEYMAP              a piece of the keymap the guest types with
 * and the daemon sends POINTER (on connect too): the guest's cursor image
 * (an id, imported as any buffer and released with frame = serial) and
 * whether a guest client locked or confined the pointer.
 * Version 3, the clipboard (spec §17, vdmabuf_clip.h; the seat holder
 * only): SELECTION both ways (an offer), CLIP_OPEN (paste: reply
 * CLIP_OPEN with the transfer, or REPLY), CLIP_DATA and CLIP_ACK both
 * ways, CLIP_CLOSE; the daemon sends CLIP_SEND (serve a paste) and
 * CLIP_CANCEL (stop serving one).
 * Version 4, what the host imports (spec §18, vdmabuf_format.h; any
 * consumer): FORMATS, the consumer's (fourcc, modifier) pairs in pieces,
 * total 0 to withdraw them. The guest is told the pairs every consumer
 * that sent a list has; a consumer that sent none does not narrow it.
 * Version 5, several outputs (spec §20): FRAME, MODE_HINT and INPUT name
 * the guest output (0 before); MODE_HINT with VDMABUF_OUTPUT_GONE closes
 * one, to an unknown id adds one; the daemon sends OUTPUT (on connect too)
 * for each output the guest has, as it changes or goes.
 */
#ifndef VDMABUF_CONSUMER_H
#define VDMABUF_CONSUMER_H

#include <linux/types.h>

#include "vdmabuf_clip.h"
#include "vdmabuf_format.h"
#include "vdmabuf_id.h"
#include "vdmabuf_input.h"

#define VDMABUF_CONSUMER_VERSION 5

enum vdmabuf_consumer_msg_type {
	/* daemon -> consumer */
	VDMABUF_MSG_HELLO = 1,
	VDMABUF_MSG_BUFFER = 2,
	VDMABUF_MSG_FRAME = 3,
	VDMABUF_MSG_GONE = 4,
	VDMABUF_MSG_RESET = 5,
	VDMABUF_MSG_REPLY = 6,
	VDMABUF_MSG_POINTER = 7,	/* version 2: the guest's pointer (spec §16) */
	VDMABUF_MSG_CLIP_SEND = 8,	/* version 3: serve a paste of the host's offer */
	VDMABUF_MSG_CLIP_CANCEL = 9,	/* version 3: stop serving it; status says why */
	VDMABUF_MSG_OUTPUT = 10,	/* version 5: one of the guest's outputs (spec §20) */
	/* consumer -> daemon */
	VDMABUF_MSG_IMPORT = 16,	/* reply: IMPORT + fd, or REPLY */
	VDMABUF_MSG_RELEASE = 17,	/* reply: REPLY only on error */
	VDMABUF_MSG_DROP = 18,		/* reply: REPLY only on error */
	VDMABUF_MSG_MODE_HINT = 19,	/* reply: REPLY only on error */
	VDMABUF_MSG_STATS = 20,		/* reply: STATS */
	/* version 2: the guest's seat (spec §15) */
	VDMABUF_MSG_SEAT = 21,		/* reply: REPLY only on error */
	VDMABUF_MSG_INPUT = 22,		/* reply: REPLY only on error */
	VDMABUF_MSG_KEYMAP = 23,	/* reply: REPLY only on error */
	/* version 3: the clipboard (spec §17); SELECTION, DATA, ACK both ways */
	VDMABUF_MSG_SELECTION = 24,	/* reply: REPLY only on error */
	VDMABUF_MSG_CLIP_OPEN = 25,	/* reply: CLIP_OPEN with transfer, or REPLY */
	VDMABUF_MSG_CLIP_DATA = 26,	/* reply: REPLY only on error */
	VDMABUF_MSG_CLIP_ACK = 27,	/* reply: REPLY only on error */
	VDMABUF_MSG_CLIP_CLOSE = 28,	/* reply: REPLY only on error */
	/* version 4: what the consumer imports (spec §18) */
	VDMABUF_MSG_FORMATS = 29,	/* reply: REPLY only on error */
};

struct vdmabuf_msg_hello {
	__u32 version;
	__u32 consumers;		/* including this one */
	__u64 device;			/* id.device of the current instance */
	__u32 guest_connected;		/* a driver is bound and running */
	__u32 guest_features;		/* VDMABUF_F_* it negotiated, if running */
};

/* BUFFER, and IMPORT's reply. */
struct vdmabuf_msg_buffer {
	__u32 width;
	__u32 height;
	__u32 fourcc;
	__u32 num_planes;
	__u64 modifier;
	struct { __u32 offset, stride; } planes[4];
	__u64 size;
	__u32 num_extents;
	__u32 reserved;
};

struct vdmabuf_msg_frame {
	__u64 frame;
	__u32 num_damage;		/* 0: whole buffer */
	__u32 output;			/* version 5: the guest output shown on */
	struct { __u32 x, y, width, height; } damage[16];
};

struct vdmabuf_msg_release {
	__u64 frame;
	__u64 present_ns;		/* CLOCK_MONOTONIC; 0 if not shown */
	__u32 refresh_ns;
	__u32 flags;			/* VDMABUF_RELEASE_* (vdmabuf.h) */
};

struct vdmabuf_msg_mode {
	__u32 width;
	__u32 height;
	__u32 refresh_mhz;
	__u32 scale_120;
	__u32 output;			/* version 5: < VDMABUF_MAX_OUTPUTS */
	__u32 flags;			/* version 5: VDMABUF_OUTPUT_GONE: close it */
};

/* OUTPUT (version 5): as struct vdmabuf_output of vdmabuf_proto.h. */
struct vdmabuf_msg_output {
	__u32 output;
	__u32 flags;			/* VDMABUF_OUTPUT_GONE */
	__u32 width;
	__u32 height;
	__u32 refresh_mhz;
	__u32 scale_120;
};

struct vdmabuf_msg_stats {
	__u64 buffers;			/* live exports */
	__u64 imports;			/* live imports, all consumers */
	__u64 exports_total;
	__u64 frames_total;		/* PRESENTs accepted */
	__u64 releases_total;		/* RELEASE events sent to the guest: frames and cursors */
	__u64 reserved0;		/* 0; the daemon copies no pixel, so counts none */
	__u64 bad_requests;		/* guest requests refused */
	__u64 consumers;
	__u64 guest_bytes;		/* bytes of the guest's requests */
	__u64 input_events;		/* INPUT events queued for the guest */
	__u64 input_dropped;		/* motion dropped: the guest fell behind */
	__u64 cursors_total;		/* POINTERs that presented a cursor image */
	__u64 logs_suppressed;		/* log lines over the device's rate limit */
	__u64 consumers_late;		/* disconnected past a release deadline (§11.3) */
	__u64 pinned_bytes;		/* guest memory of the buffers held (§8.1 step 8) */
	__u64 pinned_limit;		/* its budget; 0: none */
	__u64 notifications;		/* the guest's kicks, both queues: its VM exits */
	__u64 interrupts;		/* used-buffer interrupts sent to the guest */
};

/* POINTER: id is the image's (when flags has VDMABUF_POINTER_IMAGE). */
struct vdmabuf_msg_pointer {
	__u64 serial;			/* release the image with frame = serial */
	__u32 flags;			/* VDMABUF_POINTER_* (vdmabuf_input.h) */
	__u32 hotspot_x;
	__u32 hotspot_y;
	__u32 constraint;		/* enum vdmabuf_constraint */
};

/* SEAT. */
struct vdmabuf_msg_seat {
	__u32 claim;			/* 1: take the seat, 0: give it back */
	__u32 reserved;
};

/* INPUT: as struct vdmabuf_input of vdmabuf_proto.h, in CPU byte order. */
struct vdmabuf_msg_input {
	__u32 kind;			/* enum vdmabuf_input_kind */
	__u32 output;			/* version 5: whose window; else 0 */
	__u64 time_usec;		/* CLOCK_MONOTONIC */
	__s32 args[VDMABUF_INPUT_ARGS];
};

/* KEYMAP: the keymap in pieces, from offset 0, in order. */
#define VDMABUF_MSG_KEYMAP_CHUNK 256

struct vdmabuf_msg_keymap {
	__u32 format;			/* VDMABUF_KEYMAP_XKB_V1 */
	__u32 size;			/* of the whole keymap */
	__u32 offset;			/* of this piece; 0 starts a new keymap */
	__u32 len;			/* <= VDMABUF_MSG_KEYMAP_CHUNK */
	__u8 data[VDMABUF_MSG_KEYMAP_CHUNK];
};

/* The clipboard: the fields each message uses, the rest 0. */
#define VDMABUF_MSG_CLIP_CHUNK 232

struct vdmabuf_msg_clip {
	__u32 selection;		/* SELECTION, CLIP_OPEN, CLIP_SEND */
	__u32 serial;			/* of the offer: SELECTION (daemon's), CLIP_OPEN */
	__u32 formats;			/* SELECTION */
	__u32 owner;			/* SELECTION from the daemon */
	__u32 transfer;			/* every other */
	__u32 format;			/* CLIP_OPEN, CLIP_SEND */
	__u32 len;			/* CLIP_DATA: bytes of data; CLIP_ACK: consumed */
	__u32 flags;			/* CLIP_DATA: VDMABUF_CLIP_END */
	__s32 status;			/* CLIP_DATA with END, CLIP_CANCEL: 0 or -errno */
	__u32 reserved;
	__u8 data[VDMABUF_MSG_CLIP_CHUNK];
};

/* FORMATS: the consumer's pairs in pieces, from index 0, in order. */
#define VDMABUF_MSG_FORMATS_CHUNK 16

struct vdmabuf_msg_formats {
	__u32 index;			/* of formats[0]; 0 starts a new list */
	__u32 total;			/* <= VDMABUF_MAX_FORMATS; 0: no list */
	__u32 count;			/* <= VDMABUF_MSG_FORMATS_CHUNK */
	__u32 reserved;
	struct vdmabuf_format formats[VDMABUF_MSG_FORMATS_CHUNK];
};

struct vdmabuf_consumer_msg {
	__u32 type;			/* enum vdmabuf_consumer_msg_type */
	__s32 status;			/* REPLY, IMPORT reply: 0 or -errno */
	__u32 status_of;		/* REPLY: the request's type */
	__u32 reserved;
	struct vdmabuf_id id;
	union {
		struct vdmabuf_msg_hello hello;
		struct vdmabuf_msg_buffer buffer;
		struct vdmabuf_msg_frame frame;
		struct vdmabuf_msg_release release;
		struct vdmabuf_msg_mode mode;
		struct vdmabuf_msg_stats stats;
		struct vdmabuf_msg_seat seat;
		struct vdmabuf_msg_pointer pointer;
		struct vdmabuf_msg_input input;
		struct vdmabuf_msg_keymap keymap;
		struct vdmabuf_msg_clip clip;
		struct vdmabuf_msg_formats formats;
		struct vdmabuf_msg_output output;
		__u8 raw[272];
	} u;
};

#endif /* VDMABUF_CONSUMER_H */
