/* SPDX-License-Identifier: MIT */
/*
 * An engine for the device model (protocol/vdmabuf_model.h) that keeps
 * everything in memory: the guest's requests and posted event buffers, the
 * consumers' mailboxes and the host imports. The model under test is the
 * real one; only the I/O around it is this harness. Used by the model's
 * unit tests and by its fuzzer.
 */
#ifndef VDMABUF_MODEL_HARNESS_H
#define VDMABUF_MODEL_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vdmabuf_model.h"

#define HARNESS_CONSUMERS	(VDMABUF_MODEL_MAX_CONSUMERS + 1)
#define HARNESS_MAILBOX		64
#define HARNESS_EVENTS		256
#define HARNESS_REQUEST		(sizeof(struct vdmabuf_export) + 64 * sizeof(struct vdmabuf_extent))

/*
 * What one side received of clipboard transfers, in order and all of it
 * (the first HARNESS_CLIP bytes kept): the tests run one at a time.
 */
#define HARNESS_CLIP		20480

struct harness_clip {
	uint32_t transfer;		/* of the last piece */
	uint64_t len;			/* bytes received */
	unsigned long pieces;
	bool ended;			/* a piece with VDMABUF_CLIP_END came */
	int32_t status;			/* its status */
	uint8_t data[HARNESS_CLIP];
};

struct harness_consumer {
	struct vdmabuf_model_consumer mc;
	struct harness_clip clip;	/* CLIP_DATA mail */
	struct vdmabuf_consumer_msg mail[HARNESS_MAILBOX];
	unsigned int num_mail;		/* kept: the first HARNESS_MAILBOX */
	unsigned long received;		/* all of them */
	bool disconnected;		/* the model asked for it */
};

struct harness {
	struct vdmabuf_model model;

	/* Control queue: the requests the guest queued, answered in order. */
	uint8_t requests[8][HARNESS_REQUEST];
	size_t request_len[8];
	unsigned int requests_head, requests_queued;
	size_t reply_room;		/* writable bytes of each chain (32) */
	bool bad_chain;			/* the next chain is malformed: pop -EINVAL */
	struct vdmabuf_reply reply;	/* the last one written */
	uint32_t used_len;		/* of the last chain pushed on control */
	unsigned long control_pushed;

	/* Event queue: buffers the guest posted, events it received. */
	unsigned int posted;
	struct vdmabuf_event events[HARNESS_EVENTS];
	unsigned int num_events;	/* kept: the first HARNESS_EVENTS */
	unsigned long events_received;
	struct harness_clip clip;	/* CLIP_DATA events */

	unsigned long scheduled[VDMABUF_NUM_VQS];
	unsigned long notified[VDMABUF_NUM_VQS];
	bool flushing;

	struct harness_consumer consumers[HARNESS_CONSUMERS];

	/*
	 * Host imports: live count; the status the next ones get; revocations
	 * asked for; whether a host device maps them (import_busy).
	 */
	long live_imports;
	uint32_t import_status;
	unsigned long revoked;
	bool imports_busy;
	uint64_t clock_ns;
	uint64_t timer_ns;		/* the last arm_timer; 0: never */
	uint64_t rng;
};

/* A model with the given limits (NULL: §8's) and features, started. */
void harness_init(struct harness *h, const struct vdmabuf_limits *limits, uint64_t features);
void harness_finish(struct harness *h);

/*
 * Queues one request and lets the model serve the control queue. Returns
 * the reply's status, or -1 when the chain came back unanswered.
 */
int harness_request(struct harness *h, const void *req, size_t len);
/* Posts n event buffers and lets the model fill them. */
void harness_post_events(struct harness *h, unsigned int n);

/* Requests, well formed unless the caller changes them. */
size_t harness_export(void *buf, uint32_t width, uint32_t height, uint32_t pages);
void harness_present(struct vdmabuf_present *req, const struct vdmabuf_id *id,
		     uint64_t frame, uint32_t num_damage);
void harness_unexport(struct vdmabuf_unexport *req, const struct vdmabuf_id *id);
/* POINTER: with id the cursor image (VDMABUF_POINTER_IMAGE), else none. */
void harness_pointer(struct vdmabuf_pointer *req, const struct vdmabuf_id *id,
		     uint64_t serial, uint32_t hotspot_x, uint32_t hotspot_y,
		     uint32_t constraint);

/*
 * The guest's clipboard requests: SELECTION, CLIP_OPEN, CLIP_ACK and
 * CLIP_CLOSE with their four fields in order (struct vdmabuf_clip_req),
 * and CLIP_DATA. Return the reply's status.
 */
int harness_clip(struct harness *h, uint32_t type, uint32_t a, uint32_t b, uint32_t c,
		 uint32_t d);
int harness_clip_data(struct harness *h, uint32_t transfer, const void *data, uint32_t len,
		      uint32_t flags, uint32_t status);
/* A consumer's clipboard command with clip's fields; returns its status. */
int harness_clip_command(struct harness *h, unsigned int i, uint32_t type,
			 const struct vdmabuf_msg_clip *clip, struct vdmabuf_consumer_msg *reply);
/* Clears what a side's clipboard received. */
void harness_clip_clear(struct harness_clip *clip);

/* The id of the last reply. */
struct vdmabuf_id harness_reply_id(const struct harness *h);
/* Exports a 64x64 buffer of 4 pages; returns its id (fails the test if refused). */
struct vdmabuf_id harness_new_buffer(struct harness *h);

struct harness_consumer *harness_attach(struct harness *h, unsigned int i);
void harness_detach(struct harness *h, unsigned int i);
/* A consumer command; returns its status, *reply filled. */
int harness_command(struct harness *h, unsigned int i, uint32_t type,
		    const struct vdmabuf_id *id, uint64_t frame,
		    struct vdmabuf_consumer_msg *reply);

/* Finds the last message of type in a consumer's mailbox, or NULL. */
const struct vdmabuf_consumer_msg *harness_mail(const struct harness_consumer *c,
						uint32_t type);
/* Counts the events of type the guest received (of those kept). */
unsigned int harness_count_events(const struct harness *h, uint32_t type);
const struct vdmabuf_event *harness_last_event(const struct harness *h, uint32_t type);

/*
 * Checks the model's invariants: counters equal what the lists hold, no
 * frame owed by a slot without an import, retired buffers gone, imports
 * live on the host equal buffers held. Returns NULL or what is wrong.
 */
const char *harness_check(const struct harness *h);

#endif
