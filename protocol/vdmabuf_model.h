/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * The vdmabuf device model: every rule of protocol/vdmabuf-spec.md that
 * needs no I/O, written once for both host engines, the vhost-user daemon
 * (host-backend/) and vhost_vdmabuf.ko (kmod/), as vdmabuf_proto.h shares
 * the validators. It holds the buffers, mints their ids, keeps the event
 * backlog, knows which consumer owes which release, retires buffers,
 * answers consumer commands, enforces the limits and counts.
 *
 * An engine embeds a struct vdmabuf_model and gives it an ops table: the
 * rings (pop, read, write, push, notify), the consumers (send), host
 * imports (create, destroy) and a clock. The model calls ops only from
 * inside the vdmabuf_model_* function the engine called; it never sleeps
 * on its own and keeps no thread.
 *
 * Every line it logs (but debug) is rate-limited and the lines dropped
 * counted, as the guest and consumers can cause all of them.
 *
 * Locking: none inside. The daemon calls it from its one event loop
 * thread; vhost_vdmabuf.ko with its device mutex held (its ops assert it).
 */
#ifndef VDMABUF_MODEL_H
#define VDMABUF_MODEL_H

#include "vdmabuf_consumer.h"
#include "vdmabuf_proto.h"

#include <linux/virtio_ring.h>

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#endif

/*
 * Events wait here while the guest has no event buffer posted: room for
 * one RELEASE and one RETIRED per buffer, which is never taken by input,
 * and beyond it for a whole keymap and a burst of input events.
 */
#define VDMABUF_MODEL_KEYMAP_EVENTS	(VDMABUF_MAX_KEYMAP / VDMABUF_KEYMAP_CHUNK + 1)
#define VDMABUF_MODEL_INPUT_BACKLOG	(VDMABUF_MODEL_KEYMAP_EVENTS + 1024)
/*
 * The clipboard's share (§17): a transfer the guest sinks has at most a
 * window of pieces queued, as the guest acknowledges only pieces it took,
 * and one SEND, ACK and CANCEL; a transfer opens only while there is room
 * for that much more beside what all transfers, running or ended, queued.
 */
#define VDMABUF_MODEL_TRANSFER_EVENTS	(VDMABUF_CLIP_WINDOW / VDMABUF_CLIP_PIECE + 4)
#define VDMABUF_MODEL_CLIP_BACKLOG	(2 * VDMABUF_CLIP_TRANSFERS * \
					 VDMABUF_MODEL_TRANSFER_EVENTS + VDMABUF_SELECTIONS)
/* One list of what the host imports (§18): a newer one replaces it. */
#define VDMABUF_MODEL_FORMAT_EVENTS	((VDMABUF_MAX_FORMATS + VDMABUF_FORMATS_PER_EVENT - 1) / \
					 VDMABUF_FORMATS_PER_EVENT)
/* Refused unanswered PRESENTs (§19) waiting for the guest; the rest are lost. */
#define VDMABUF_MODEL_PRESENT_ERROR_EVENTS	64
#define VDMABUF_MODEL_BACKLOG		(2 * VDMABUF_MAX_BUFFERS + VDMABUF_MODEL_INPUT_BACKLOG + \
					 VDMABUF_MODEL_CLIP_BACKLOG + VDMABUF_MODEL_FORMAT_EVENTS + \
					 VDMABUF_MODEL_PRESENT_ERROR_EVENTS)
/* Log lines the guest or a consumer can cause: a burst per interval. */
#define VDMABUF_MODEL_LOG_BURST		20
#define VDMABUF_MODEL_LOG_INTERVAL_NS	5000000000ull
/* Consumers are slots 0..63 of the per-buffer bitmasks. */
/*
 * How long a consumer may keep a frame after a newer one on the same plane
 * was shown to it (§11.3), unless the engine sets release_deadline_ns
 * (from VDMABUF_RELEASE_DEADLINE_MIN_MS to ..._MAX_MS). Long enough for a
 * compositor that starts slowly or stops repainting for a while.
 */
#define VDMABUF_MODEL_RELEASE_DEADLINE_NS	30000000000ull
#define VDMABUF_RELEASE_DEADLINE_MIN_MS		100u
#define VDMABUF_RELEASE_DEADLINE_MAX_MS		3600000u
#define VDMABUF_MODEL_MAX_CONSUMERS	64
/* Largest control request: an EXPORT with the most extents of §8. */
#define VDMABUF_MODEL_MAX_REQUEST	(sizeof(struct vdmabuf_export) + \
					 VDMABUF_MAX_EXTENTS * sizeof(struct vdmabuf_extent))
/* Chains taken from a ring in one go when the engine gave no ring size. */
#define VDMABUF_MODEL_DEFAULT_BUDGET	256

/* The feature bits the device offers, whichever engine runs it. */
#define VDMABUF_MODEL_FEATURES	((1ull << VDMABUF_F_DAMAGE) | \
				 (1ull << VDMABUF_F_PRESENT_TIMING) | \
				 (1ull << VDMABUF_F_MODE_HINT) | \
				 (1ull << VDMABUF_F_CONSUMER_EVENTS) | \
				 (1ull << VDMABUF_F_INPUT) | \
				 (1ull << VDMABUF_F_POINTER) | \
				 (1ull << VDMABUF_F_CLIPBOARD) | \
				 (1ull << VDMABUF_F_FORMATS) | \
				 (1ull << VDMABUF_F_OUTPUTS) | \
				 (1ull << VDMABUF_F_ASYNC_PRESENT))
/* What both engines offer QEMU: the model's bits and event index (§19). */
#define VDMABUF_DEVICE_FEATURES	(VDMABUF_MODEL_FEATURES | (1ull << VIRTIO_RING_F_EVENT_IDX))

/* An intrusive list, so that the model needs neither libc's nor the kernel's. */
struct vdmabuf_model_link {
	struct vdmabuf_model_link *prev, *next;
};

/* What an engine can take, as the guest is told (spec §4). */
struct vdmabuf_limits {
	__u32 max_buffers;
	__u32 max_extents;
	__u64 max_buffer_size;
};

/* A guest buffer between EXPORT and RETIRED. */
struct vdmabuf_model_buffer {
	struct vdmabuf_model_link link;	/* vdmabuf_model.buffers */
	struct vdmabuf_id id;
	struct vdmabuf_msg_buffer desc;
	void *import;			/* the engine's host dmabuf */
	bool unexported;		/* GONE sent, waiting for imports to go */
	bool busy;			/* ...and for the engine's host devices */
	__u64 importers;		/* consumer slots holding an import */
	bool presented;			/* a PRESENT waiting for its RELEASE */
	bool cursor;			/* ...on the cursor plane (§16) */
	__u64 superseded_ns;		/* ...and a newer one shown since; 0: not */
	__u64 frame;
	__u64 owed;			/* slots that got FRAME, not yet released */
	struct vdmabuf_msg_release timing;	/* best report so far */
};

/* A selection's current offer (§17.1). */
struct vdmabuf_model_offer {
	__u32 serial;			/* 0: never offered */
	__u32 formats;			/* 0: nothing offered */
	__u32 owner;			/* enum vdmabuf_clip_owner */
	struct vdmabuf_model_consumer *consumer;	/* the host's offerer */
};

/*
 * A clipboard transfer (§17.2) between the guest and one consumer. Bytes
 * from the source are staged in pend until a whole piece for the sink
 * (VDMABUF_CLIP_PIECE for the guest, VDMABUF_MSG_CLIP_CHUNK for a
 * consumer) is there, or the source ends, or the sink has taken
 * everything else (Nagle), so a source of tiny pieces cannot flood the
 * sink's queue beyond its window.
 */
struct vdmabuf_model_transfer {
	__u32 id;			/* 0: the slot is free */
	__u32 selection, format;
	bool guest_sources;		/* else the guest sinks */
	struct vdmabuf_model_consumer *consumer;	/* the host's end */
	__u64 received;			/* bytes from the source */
	__u64 queued;			/* bytes handed to the sink's queue */
	__u64 delivered;		/* ...that reached the sink (the guest's: taken) */
	__u64 acked;			/* bytes the sink acknowledged */
	__u32 pend_len;
	__u8 pend[VDMABUF_MSG_CLIP_CHUNK];
};

/* A consumer, embedded in the engine's own consumer object. */
struct vdmabuf_model_consumer {
	struct vdmabuf_model_link link;	/* vdmabuf_model.consumers */
	unsigned int slot;
	bool attached;			/* on the list, owns its slot */
	int pid;			/* for logs */
	bool late;			/* past a release deadline: disconnect asked */
	/* What it imports (§18): a list once received == total > 0. */
	struct vdmabuf_format *formats;
	__u32 formats_total, formats_received;
};

/*
 * The rate limit of every log line the guest or a consumer can cause:
 * at most VDMABUF_MODEL_LOG_BURST in each VDMABUF_MODEL_LOG_INTERVAL_NS.
 * vdmabuf_log_limit() says whether a line at now may go; it counts the
 * others (suppressed) and, when a window ends with some, sets *summary to
 * how many, for one line that sums them up.
 */
struct vdmabuf_log_limit {
	__u64 window_ns;		/* the window's start */
	unsigned int lines;		/* lines asked for in it */
	__u64 suppressed;		/* all lines refused */
};

bool vdmabuf_log_limit(struct vdmabuf_log_limit *l, __u64 now, unsigned int *summary);

/* A chain the engine took from a ring; it keeps the segments itself. */
struct vdmabuf_model_chain {
	__u16 head;
	unsigned int num_out;
	__u64 out_len, in_len;
};

struct vdmabuf_model;

struct vdmabuf_model_ops {
	/*
	 * Takes the next chain of queue vq: 1 (chain filled in), 0 (ring
	 * empty), -EINVAL (malformed: chain->head is valid, it goes back with
	 * length 0) or -EIO (the ring is broken until the next reset).
	 */
	int (*pop)(struct vdmabuf_model *m, unsigned int vq,
		   struct vdmabuf_model_chain *chain);
	/* Copies from / into the last chain popped of vq: bytes or -errno. */
	long (*read)(struct vdmabuf_model *m, unsigned int vq, void *dst, size_t len);
	long (*write)(struct vdmabuf_model *m, unsigned int vq, const void *src,
		      size_t len);
	void (*push)(struct vdmabuf_model *m, unsigned int vq, __u16 head, __u32 len);
	/* Tells the guest of used buffers; false when it asked not to be. */
	bool (*notify)(struct vdmabuf_model *m, unsigned int vq);
	/*
	 * Queue vq has work the model did not do now (events in the backlog,
	 * requests past the budget): run vdmabuf_model_process() for it, now
	 * or from the engine's loop.
	 */
	void (*schedule)(struct vdmabuf_model *m, unsigned int vq);
	/* Queues msg to one consumer; one that cannot take it is dropped later. */
	void (*send)(struct vdmabuf_model *m, struct vdmabuf_model_consumer *c,
		     const struct vdmabuf_consumer_msg *msg);
	/*
	 * Builds the host dmabuf of a checked EXPORT (extents follow req):
	 * a VDMABUF_S_* status; on success *import and *size (bytes covered).
	 */
	__u32 (*import_create)(struct vdmabuf_model *m, const struct vdmabuf_export *req,
			       const struct vdmabuf_extent *extents, __u64 *size,
			       void **import);
	/*
	 * Optional, for engines that can revoke (§10.3): the guest unexported
	 * the buffer; no consumer may reach its pages from now on.
	 */
	void (*import_revoke)(struct vdmabuf_model *m, void *import);
	/*
	 * Optional: whether a revoked import still has a host device mapping
	 * its pages. A busy buffer retires only after the engine calls
	 * vdmabuf_model_imports_idle().
	 */
	bool (*import_busy)(struct vdmabuf_model *m, void *import);
	/* Ends the import, revoking it where import_revoke exists. */
	void (*import_destroy)(struct vdmabuf_model *m, void *import);
	/*
	 * Disconnects consumer c later (never from inside this call): the
	 * engine then calls vdmabuf_model_detach().
	 */
	void (*disconnect)(struct vdmabuf_model *m, struct vdmabuf_model_consumer *c);
	/* Calls vdmabuf_model_timer() at when_ns (now_ns's clock) or later. */
	void (*arm_timer)(struct vdmabuf_model *m, __u64 when_ns);
	__u64 (*now_ns)(struct vdmabuf_model *m);	/* CLOCK_MONOTONIC */
	void (*random)(struct vdmabuf_model *m, void *buf, size_t len);
};

struct vdmabuf_model {
	const struct vdmabuf_model_ops *ops;
	unsigned int nr;		/* the kernel engine's device number, for logs */
	struct vdmabuf_limits limits;
	__u64 release_deadline_ns;	/* §11.3; an engine may change it */
	/*
	 * The pinned-bytes budget (§8.1 step 8): bytes of guest memory the
	 * buffers held may cover, live and unexported alike. 0: none beyond
	 * the other limits. An engine sets it from what its owner may pin.
	 */
	__u64 max_pinned;
	__u64 timer_ns;			/* when the timer is armed for; 0: not */

	/* Set by vdmabuf_model_start, cleared by vdmabuf_model_reset. */
	bool running;
	__u64 features;			/* negotiated */
	unsigned int budget[VDMABUF_NUM_VQS];	/* chains per run: the ring size */

	/* The current device instance: reset renews all of it. */
	__u64 instance;			/* id.device */
	__u32 next_seq;			/* 0: the sequence space is used up */
	struct vdmabuf_model_link buffers;	/* struct vdmabuf_model_buffer */
	unsigned int num_buffers;	/* not yet unexported */
	unsigned int num_held;		/* on the list: with the unexported ones */
	__u64 pinned_bytes;		/* their bytes, until each is destroyed */
	struct vdmabuf_event *backlog;	/* VDMABUF_MODEL_BACKLOG entries */
	unsigned int backlog_head, backlog_len;
	unsigned long events_lost;

	struct vdmabuf_model_link consumers;	/* struct vdmabuf_model_consumer */
	unsigned int num_consumers;
	__u64 slots_used;

	/*
	 * Several outputs (§20): the mode the host last asked for, and the
	 * guest's own outputs as it announced them; width 0: none.
	 */
	struct vdmabuf_msg_mode mode_hints[VDMABUF_MAX_OUTPUTS];
	struct vdmabuf_msg_output outputs[VDMABUF_MAX_OUTPUTS];
	/*
	 * What every consumer with a list imports (§18), as the guest is
	 * told; num_formats 0: no list. formats_next is room to build the
	 * next one in. Both VDMABUF_MAX_FORMATS entries.
	 */
	struct vdmabuf_format *formats, *formats_next;
	unsigned int num_formats;
	struct vdmabuf_msg_stats stats;
	struct vdmabuf_log_limit log;	/* vdmabuf_model_log_allowed() */

	/* The guest's seat: who may send input, and the keymap it types with. */
	struct vdmabuf_model_consumer *seat;	/* NULL: nobody holds it */
	__u8 *keymap;			/* keymap_size bytes once one began */
	__u32 keymap_size, keymap_received;	/* whole when equal */
	__u8 *request;			/* VDMABUF_MODEL_MAX_REQUEST bytes */

	/*
	 * The guest's pointer (§16) as consumers are told: the cursor image
	 * (pointer_id, with VDMABUF_POINTER_IMAGE in pointer.flags), its
	 * serial and hotspot, and the constraint. Reset clears it.
	 */
	struct vdmabuf_id pointer_id;
	struct vdmabuf_msg_pointer pointer;

	/* The clipboard (§17): the offers, the transfers, their events queued. */
	struct vdmabuf_model_offer offers[VDMABUF_SELECTIONS];
	struct vdmabuf_model_transfer transfers[VDMABUF_CLIP_TRANSFERS];
	__u32 next_transfer;
	unsigned int clip_queued;	/* clipboard events in the backlog */
	unsigned int formats_queued;	/* FORMATS events in the backlog */
	unsigned int errors_queued;	/* PRESENT_ERROR events in the backlog */
};

/* Allocates the backlog and request buffer: 0 or -ENOMEM. */
int vdmabuf_model_init(struct vdmabuf_model *m, const struct vdmabuf_model_ops *ops,
		       const struct vdmabuf_limits *limits);
/* Destroys every buffer; consumers must be detached already. */
void vdmabuf_model_finish(struct vdmabuf_model *m);

/* The driver is running with these features and ring sizes (0: default). */
void vdmabuf_model_start(struct vdmabuf_model *m, __u64 features,
			 const unsigned int ring_size[VDMABUF_NUM_VQS]);
/* The driver or the frontend let go: every buffer dies, a new instance. */
void vdmabuf_model_reset(struct vdmabuf_model *m);
/* Queue vq was kicked, or the model asked for it (ops->schedule). */
void vdmabuf_model_process(struct vdmabuf_model *m, unsigned int vq);
/* Whether an engine may set a release deadline of ms (§11.3). */
static inline bool vdmabuf_release_deadline_valid(__u32 ms)
{
	return ms >= VDMABUF_RELEASE_DEADLINE_MIN_MS && ms <= VDMABUF_RELEASE_DEADLINE_MAX_MS;
}

/* The time ops->arm_timer asked for came: release deadlines (§11.3). */
void vdmabuf_model_timer(struct vdmabuf_model *m);
/* An engine's busy import let go of its pages: buffers may retire now. */
void vdmabuf_model_imports_idle(struct vdmabuf_model *m);
/* The guest kicked the device n times (the engine counts them): STATS. */
void vdmabuf_model_kicked(struct vdmabuf_model *m, __u64 n);

/* The config space every engine serves (spec §4). */
void vdmabuf_config_init(struct vdmabuf_config *cfg, const struct vdmabuf_limits *limits,
			 __u32 consumers);

/* A consumer comes: 0 (HELLO and BUFFERs sent) or -EBUSY (every slot taken). */
int vdmabuf_model_attach(struct vdmabuf_model *m, struct vdmabuf_model_consumer *c);
/* The consumer is gone: its frames settle, its imports drop. */
void vdmabuf_model_detach(struct vdmabuf_model *m, struct vdmabuf_model_consumer *c);
/*
 * A consumer's request. Fills *reply (type 0: none owed) and, for an
 * IMPORT, *import with the host dmabuf to hand over, which the engine
 * references itself. Returns 0 or -errno (also in a REPLY).
 */
int vdmabuf_model_command(struct vdmabuf_model *m, struct vdmabuf_model_consumer *c,
			  const struct vdmabuf_consumer_msg *req,
			  struct vdmabuf_consumer_msg *reply, void **import);
/* An import that could not be handed over: as if dropped at once. */
void vdmabuf_model_undo_import(struct vdmabuf_model *m, struct vdmabuf_model_consumer *c,
			       const struct vdmabuf_id *id);
void vdmabuf_model_stats(const struct vdmabuf_model *m, struct vdmabuf_msg_stats *stats);
/*
 * Whether a line the guest or a consumer caused may be logged, by
 * vdmabuf_log_limit() on the model's window, the rest counted (STATS
 * logs_suppressed). The model's own lines go through it; an
 * engine's may.
 */
bool vdmabuf_model_log_allowed(struct vdmabuf_model *m);

/* Iteration for engines and tests: the live and unexported buffers. */
#define vdmabuf_model_for_each_buffer(b, m)					\
	for ((b) = (struct vdmabuf_model_buffer *)(m)->buffers.next;		\
	     &(b)->link != &(m)->buffers;					\
	     (b) = (struct vdmabuf_model_buffer *)(b)->link.next)

#define vdmabuf_model_for_each_consumer_safe(c, tmp, m)			\
	for ((c) = (struct vdmabuf_model_consumer *)(m)->consumers.next,	\
	     (tmp) = (struct vdmabuf_model_consumer *)(c)->link.next;		\
	     &(c)->link != &(m)->consumers;					\
	     (c) = (tmp), (tmp) = (struct vdmabuf_model_consumer *)(c)->link.next)

#endif /* VDMABUF_MODEL_H */
