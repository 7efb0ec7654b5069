// SPDX-License-Identifier: MIT
/*
 * The device model (protocol/vdmabuf_model.c), the rules both engines run,
 * driven by scripted sequences with no VM, against the spec's text:
 *
 * §8.1 statuses, check by check
 *   any request: short (< 16) EINVAL; unknown type ENOTSUP      test_any_request
 *   EXPORT 1-7 (vdmabuf_check_export) EINVAL/ENOSPC             test_export_checks
 *   EXPORT 8: max_buffers live, sequence used up -> ENOSPC      test_export_limits
 *   EXPORT 8: over the pinned-bytes budget -> ENOSPC; unexported
 *     buffers count until RETIRED (imports, busy); reset frees;
 *     STATS pinned_bytes, pinned_limit                           test_pinned
 *   EXPORT 9-11: the engine's import status answered, no id     test_export_import_fails
 *   PRESENT 1-2 EINVAL; ENOENT unknown/other instance/
 *     unexported/retired; EBUSY presented and not released      test_present_checks
 *   UNEXPORT EINVAL; ENOENT unknown/other instance/retired;
 *     EBUSY waiting for RETIRED                                 test_unexport_checks
 *   unusable chain (reply room < 32, malformed): used length 0  test_unusable_chains
 * §9 ids: device half per instance, key = seq << 32 | random,
 *   seq from 1, new device half after reset                     test_ids
 * §10 life of a buffer, steps 1-7                               test_life
 *   damage passed only with VDMABUF_F_DAMAGE                    test_damage
 *   timing: first consumer that presented times the guest       test_timing
 * §10.3 revocation: at UNEXPORT, imports held or not; RETIRED
 *   waits while the engine's import is busy, until imports_idle  test_revoke
 * §11.3 release deadline: a consumer keeping a superseded frame
 *   past it is disconnected, the latest frame may be kept; the
 *   cursor plane apart                                            test_deadline
 * §10.1 device reset: no RETIRED, RESET to consumers, imports
 *   uncounted, RESET/CONSUMERS/MODE_HINT events at start        test_reset
 * §11 consumers: HELLO then BUFFER per live buffer; EEXIST,
 *   EPERM, EALREADY, ENOENT, EINVAL, EOPNOTSUPP; a frame owed
 *   only by consumers holding an import when presented;
 *   disconnect releases and drops; 64 slots; STATS              test_consumers
 * §6.9/§13 events: kept while no event buffer is posted;
 *   CONSUMERS and MODE_HINT replace a queued one of their type  test_events
 * log lines the guest causes: a burst per interval, the rest counted
 *   (stats.logs_suppressed)                                      test_unusable_chains
 * the per-run budget: a ring's worth, then schedule()           test_budget
 * §15 the seat: one holder (MODE_HINT only from it), EBUSY/EPERM/EINVAL/ENOTCONN/
 *   EOPNOTSUPP; INPUT events as sent; KEYMAP reassembled and
 *   sent again at start; leave events when the holder goes       test_seat
 * §18 formats: EINVAL out of order, over the limit, INVALID,
 *   reserved; the pairs every listing consumer has, in pieces;
 *   unchanged lists not sent again; sent at start; withdrawn or
 *   gone: total 0; one list queued at most; needs the feature   test_formats
 * §15.3 input never takes the buffers' share of the backlog;
 *   motion dropped and counted, keys refused with ENOBUFS        test_input_backlog
 * §16 the guest's pointer: ENOTSUP without VDMABUF_F_POINTER;
 *   EINVAL R < 64, hdr.flags, unknown flags, reserved, constraint
 *   > 2, hotspot outside the image; ENOENT unknown/other instance/
 *   unexported id; EBUSY image presented (frame or cursor) and not
 *   released, and PRESENT of the cursor image EBUSY      test_pointer_checks
 *   an image presented as a frame is: owed by the importers,
 *   released with frame = serial, at once with no importer;
 *   counted in cursors_total, not frames_total;
 *   MSG_POINTER to all; the image shown named again with its serial
 *   kept (no second RELEASE); the current pointer after BUFFERs on
 *   attach; a detach settles it; unexport and reset as a frame's,
 *   the image (or all of it) cleared and told                 test_pointer
 *
 * After every step the harness checks the model's invariants
 * (tests/unit/model-harness.c: harness_check).
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model-harness.h"

#define ALL_FEATURES VDMABUF_MODEL_FEATURES

static struct harness H;

static int export_with(struct harness *h, void (*edit)(struct vdmabuf_export *), size_t trim)
{
	uint8_t req[HARNESS_REQUEST];
	size_t len = harness_export(req, 64, 64, 4);

	if (edit)
		edit((struct vdmabuf_export *)req);
	return harness_request(h, req, len - trim);
}

static int present(struct harness *h, const struct vdmabuf_id *id, uint64_t frame)
{
	struct vdmabuf_present req;

	harness_present(&req, id, frame, 0);
	return harness_request(h, &req, sizeof(req));
}

static int unexport(struct harness *h, const struct vdmabuf_id *id)
{
	struct vdmabuf_unexport req;

	harness_unexport(&req, id);
	return harness_request(h, &req, sizeof(req));
}

static uint64_t le64(__le64 v)
{
	return le64toh(v);
}

static void test_any_request(void)
{
	struct vdmabuf_ctrl_hdr hdr = { .type = htole32(0x0199) };

	harness_init(&H, NULL, ALL_FEATURES);
	CHECK(harness_request(&H, &hdr, sizeof(hdr) - 1) == VDMABUF_S_EINVAL);
	CHECK(harness_request(&H, &hdr, sizeof(hdr)) == VDMABUF_S_ENOTSUP);
	CHECK(H.model.stats.bad_requests == 2);
	/* The cookie is echoed, whatever the status. */
	hdr.cookie = htole64(0xfeed);
	CHECK(harness_request(&H, &hdr, sizeof(hdr)) == VDMABUF_S_ENOTSUP);
	CHECK(le64(H.reply.cookie) == 0xfeed);
	CHECK_MODEL(&H);
	harness_finish(&H);
}

static void flags_set(struct vdmabuf_export *r) { r->hdr.flags = htole32(1); }
static void reserved_set(struct vdmabuf_export *r) { r->reserved = htole32(1); }
static void no_extents(struct vdmabuf_export *r) { r->num_extents = 0; }
static void size_zero(struct vdmabuf_export *r) { r->size = 0; }
static void size_odd(struct vdmabuf_export *r) { r->size = htole64(4 * 4096 + 1); }
static void many_extents(struct vdmabuf_export *r) { r->num_extents = htole32(5); }
static void too_big(struct vdmabuf_export *r) { r->size = htole64(1ull << 31); }
static void two_extents(struct vdmabuf_export *r) { r->num_extents = htole32(2); }
static void width_zero(struct vdmabuf_export *r) { r->width = 0; }
static void height_huge(struct vdmabuf_export *r) { r->height = htole32(VDMABUF_MAX_DIMENSION + 1); }
static void planes_zero(struct vdmabuf_export *r) { r->num_planes = 0; }
static void planes_five(struct vdmabuf_export *r) { r->num_planes = htole32(5); }
static void stride_zero(struct vdmabuf_export *r) { r->planes[0].stride = 0; }
static void offset_past(struct vdmabuf_export *r) { r->planes[0].offset = htole32(4 * 4096); }
/* A 16 KiB buffer claiming 16384x16384 rows of 1 byte: 1 GiB to a viewer. */
static void stride_one(struct vdmabuf_export *r)
{
	r->width = r->height = htole32(16384);
	r->planes[0].stride = htole32(1);
	r->modifier = htole64(0x0100000000000001ull);	/* I915_FORMAT_MOD_X_TILED */
}
static void unused_plane(struct vdmabuf_export *r) { r->planes[3].offset = htole32(0xffffffff); }

static void test_export_checks(void)
{
	const struct vdmabuf_limits limits = { 16, 4, 1 << 20 };
	struct {
		void (*edit)(struct vdmabuf_export *);
		size_t trim;
		int status;
	} cases[] = {
		{ NULL, sizeof(struct vdmabuf_extent) + 1, VDMABUF_S_EINVAL },	/* 1: R < 88 */
		{ flags_set, 0, VDMABUF_S_EINVAL },
		{ reserved_set, 0, VDMABUF_S_EINVAL },
		{ no_extents, 0, VDMABUF_S_EINVAL },				/* 2 */
		{ size_zero, 0, VDMABUF_S_EINVAL },
		{ size_odd, 0, VDMABUF_S_EINVAL },
		{ many_extents, 0, VDMABUF_S_ENOSPC },				/* 3 */
		{ too_big, 0, VDMABUF_S_ENOSPC },
		{ two_extents, 0, VDMABUF_S_EINVAL },				/* 4 */
		{ width_zero, 0, VDMABUF_S_EINVAL },				/* 5 */
		{ height_huge, 0, VDMABUF_S_EINVAL },
		{ planes_zero, 0, VDMABUF_S_EINVAL },				/* 6 */
		{ planes_five, 0, VDMABUF_S_EINVAL },
		{ stride_zero, 0, VDMABUF_S_EINVAL },				/* 7 */
		{ offset_past, 0, VDMABUF_S_EINVAL },
		{ stride_one, 0, VDMABUF_S_EINVAL },
		{ unused_plane, 0, VDMABUF_S_OK },	/* planes past num_planes unread */
	};

	harness_init(&H, &limits, ALL_FEATURES);
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int status = export_with(&H, cases[i].edit, cases[i].trim);

		if (status != cases[i].status)
			fprintf(stderr, "export case %u: status %d, want %d\n", i, status,
				cases[i].status);
		CHECK(status == cases[i].status);
	}
	CHECK(H.model.num_buffers == 1);
	CHECK(H.model.stats.bad_requests == sizeof(cases) / sizeof(cases[0]) - 1);
	CHECK_MODEL(&H);
	harness_finish(&H);
}

static void test_export_limits(void)
{
	const struct vdmabuf_limits limits = { 3, 16, 1 << 20 };

	harness_init(&H, &limits, ALL_FEATURES);
	for (int i = 0; i < 3; i++)
		CHECK(export_with(&H, NULL, 0) == VDMABUF_S_OK);
	CHECK(export_with(&H, NULL, 0) == VDMABUF_S_ENOSPC);		/* 8: max_buffers */
	/* An unexported buffer no longer counts, even before it retires. */
	CHECK(unexport(&H, &(struct vdmabuf_id){ 0 }) == VDMABUF_S_ENOENT);
	{
		struct vdmabuf_id id = harness_reply_id(&H);
		struct vdmabuf_model_buffer *b;

		vdmabuf_model_for_each_buffer(b, &H.model) {
			id = b->id;
			break;
		}
		CHECK(unexport(&H, &id) == VDMABUF_S_OK);
	}
	CHECK(export_with(&H, NULL, 0) == VDMABUF_S_OK);
	CHECK_MODEL(&H);
	harness_finish(&H);

	/* 8: the sequence number space used up, until the next reset. */
	harness_init(&H, NULL, ALL_FEATURES);
	H.model.next_seq = 0xffffffff;
	CHECK(export_with(&H, NULL, 0) == VDMABUF_S_OK);
	CHECK(harness_reply_id(&H).key >> 32 == 0xffffffff);
	CHECK(export_with(&H, NULL, 0) == VDMABUF_S_ENOSPC);
	vdmabuf_model_reset(&H.model);
	vdmabuf_model_start(&H.model, ALL_FEATURES, NULL);
	CHECK(export_with(&H, NULL, 0) == VDMABUF_S_OK);
	CHECK(harness_reply_id(&H).key >> 32 == 1);
	CHECK_MODEL(&H);
	harness_finish(&H);
}

static int export_pages(struct harness *h, uint32_t pages)
{
	uint8_t req[HARNESS_REQUEST];

	return harness_request(h, req, harness_export(req, 64, 16 * pages, pages));
}

static void test_pinned(void)
{
	const uint64_t page = VDMABUF_PAGE_SIZE;
	struct vdmabuf_consumer_msg reply;
	struct vdmabuf_id a, b;
	unsigned long bad;

	harness_init(&H, NULL, ALL_FEATURES);
	harness_post_events(&H, 16);
	harness_attach(&H, 0);
	H.model.max_pinned = 10 * page;
	CHECK(export_pages(&H, 4) == VDMABUF_S_OK);
	a = harness_reply_id(&H);
	CHECK(export_pages(&H, 4) == VDMABUF_S_OK);
	b = harness_reply_id(&H);
	bad = H.model.stats.bad_requests;
	CHECK(export_pages(&H, 3) == VDMABUF_S_ENOSPC);		/* 11 > 10 pages */
	CHECK(H.model.stats.bad_requests == bad + 1);
	CHECK(H.model.stats.exports_total == 2 && H.live_imports == 2);
	CHECK(export_pages(&H, 2) == VDMABUF_S_OK);			/* exactly 10 */
	CHECK(export_pages(&H, 1) == VDMABUF_S_ENOSPC);
	CHECK_MODEL(&H);
	CHECK(harness_command(&H, 0, VDMABUF_MSG_STATS, NULL, 0, &reply) == 0);
	CHECK(reply.u.stats.pinned_bytes == 10 * page);
	CHECK(reply.u.stats.pinned_limit == 10 * page);

	/* Unexported but imported: its pages are still pinned. */
	CHECK(harness_command(&H, 0, VDMABUF_MSG_IMPORT, &a, 0, &reply) == 0);
	CHECK(unexport(&H, &a) == VDMABUF_S_OK);
	CHECK(H.model.num_buffers == 2 && H.model.pinned_bytes == 10 * page);
	CHECK(export_pages(&H, 1) == VDMABUF_S_ENOSPC);
	/* Dropped while a host device maps it: busy, still counted. */
	H.imports_busy = true;
	CHECK(harness_command(&H, 0, VDMABUF_MSG_DROP, &a, 0, &reply) == 0);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_RETIRED) == 0);
	CHECK(export_pages(&H, 1) == VDMABUF_S_ENOSPC);
	/* RETIRED: its budget is free again. */
	H.imports_busy = false;
	vdmabuf_model_imports_idle(&H.model);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_RETIRED) == 1);
	CHECK(H.model.pinned_bytes == 6 * page);
	CHECK(export_pages(&H, 5) == VDMABUF_S_ENOSPC);
	CHECK(export_pages(&H, 4) == VDMABUF_S_OK);
	CHECK_MODEL(&H);
	/* Unexported and not imported: retired and freed at once. */
	CHECK(unexport(&H, &b) == VDMABUF_S_OK);
	CHECK(H.model.pinned_bytes == 6 * page);
	CHECK(export_pages(&H, 4) == VDMABUF_S_OK);
	/* A reset frees everything; the budget stays. */
	vdmabuf_model_reset(&H.model);
	CHECK(H.model.pinned_bytes == 0);
	vdmabuf_model_start(&H.model, ALL_FEATURES, NULL);
	CHECK(export_pages(&H, 10) == VDMABUF_S_OK);
	CHECK(export_pages(&H, 1) == VDMABUF_S_ENOSPC);
	CHECK_MODEL(&H);
	harness_finish(&H);

	/* No budget: only the other limits. */
	harness_init(&H, NULL, ALL_FEATURES);
	for (int i = 0; i < 64; i++)
		CHECK(export_pages(&H, 64) == VDMABUF_S_OK);
	CHECK(H.model.pinned_bytes == 64 * 64 * page);
	vdmabuf_model_stats(&H.model, &reply.u.stats);
	CHECK(reply.u.stats.pinned_bytes == 64 * 64 * page && reply.u.stats.pinned_limit == 0);
	CHECK_MODEL(&H);
	harness_finish(&H);
}

static void test_export_import_fails(void)
{
	const uint32_t statuses[] = { VDMABUF_S_EINVAL, VDMABUF_S_ERANGE, VDMABUF_S_ENOSPC,
				      VDMABUF_S_ENOMEM };
	struct harness_consumer *c;

	harness_init(&H, NULL, ALL_FEATURES);
	c = harness_attach(&H, 0);
	for (unsigned int i = 0; i < 4; i++) {
		H.import_status = statuses[i];
		CHECK(export_with(&H, NULL, 0) == (int)statuses[i]);
	}
	H.import_status = VDMABUF_S_OK;
	CHECK(H.model.stats.exports_total == 0);
	CHECK(!harness_mail(c, VDMABUF_MSG_BUFFER));
	/* Nothing was minted: the first id that works has sequence 1. */
	CHECK(export_with(&H, NULL, 0) == VDMABUF_S_OK);
	CHECK(harness_reply_id(&H).key >> 32 == 1);
	CHECK_MODEL(&H);
	harness_finish(&H);
}

static void test_present_checks(void)
{
	struct vdmabuf_present req;
	struct vdmabuf_id id, other, retired;

	/* Version 1: the whole 304 bytes whatever num_damage says. */
	harness_init(&H, NULL, ALL_FEATURES & ~(1ull << VDMABUF_F_ASYNC_PRESENT));
	harness_attach(&H, 0);
	id = harness_new_buffer(&H);
	harness_present(&req, &id, 1, 0);
	CHECK(harness_request(&H, &req, sizeof(req) - 1) == VDMABUF_S_EINVAL);	/* 1 */
	CHECK(harness_request(&H, &req, vdmabuf_present_len(0)) == VDMABUF_S_EINVAL);
	H.reply_room = 0;					/* no reply: malformed */
	CHECK(harness_request(&H, &req, sizeof(req)) == -1 && H.used_len == 0);
	CHECK(H.model.stats.frames_total == 0 && !harness_count_events(&H, VDMABUF_EVENT_PRESENT_ERROR));
	CHECK_MODEL(&H);
	harness_finish(&H);

	harness_init(&H, NULL, ALL_FEATURES);
	harness_attach(&H, 0);
	id = harness_new_buffer(&H);
	harness_present(&req, &id, 1, 2);
	CHECK(harness_request(&H, &req, vdmabuf_present_len(2) - 1) == VDMABUF_S_EINVAL);
	req.hdr.flags = htole32(1);
	CHECK(harness_request(&H, &req, sizeof(req)) == VDMABUF_S_EINVAL);
	harness_present(&req, &id, 1, 0);
	req.output = htole32(VDMABUF_MAX_OUTPUTS);
	CHECK(harness_request(&H, &req, sizeof(req)) == VDMABUF_S_EINVAL);
	harness_present(&req, &id, 1, VDMABUF_MAX_DAMAGE + 1);			/* 2 */
	CHECK(harness_request(&H, &req, sizeof(req)) == VDMABUF_S_EINVAL);

	other = id;
	other.device ^= 1;
	CHECK(present(&H, &other, 1) == VDMABUF_S_ENOENT);	/* other instance */
	other = id;
	other.key ^= 1;
	CHECK(present(&H, &other, 1) == VDMABUF_S_ENOENT);	/* unknown */
	/* Consumer 0 imports: the frame stays owed, the buffer presented. */
	CHECK(harness_command(&H, 0, VDMABUF_MSG_IMPORT, &id, 0,
			      &(struct vdmabuf_consumer_msg){ 0 }) == 0);
	CHECK(present(&H, &id, 1) == VDMABUF_S_OK);
	CHECK(present(&H, &id, 2) == VDMABUF_S_EBUSY);		/* not released */
	CHECK(unexport(&H, &id) == VDMABUF_S_OK);
	CHECK(present(&H, &id, 3) == VDMABUF_S_ENOENT);		/* unexported */
	CHECK(harness_command(&H, 0, VDMABUF_MSG_DROP, &id, 0,
			      &(struct vdmabuf_consumer_msg){ 0 }) == 0);
	retired = id;
	CHECK(present(&H, &retired, 4) == VDMABUF_S_ENOENT);	/* retired */
	/* An id from before a reset is another instance's. */
	id = harness_new_buffer(&H);
	vdmabuf_model_reset(&H.model);
	vdmabuf_model_start(&H.model, ALL_FEATURES, NULL);
	CHECK(present(&H, &id, 1) == VDMABUF_S_ENOENT);
	CHECK_MODEL(&H);
	harness_finish(&H);
}

/* Version 2 (§19): a PRESENT sized by its damage, without a reply. */
static void test_async_present(void)
{
	struct vdmabuf_present req;
	const struct vdmabuf_event *ev;
	struct vdmabuf_id id, unknown;
	unsigned int i, spare;
	uint64_t bytes;

	harness_init(&H, NULL, ALL_FEATURES);
	harness_attach(&H, 0);
	harness_post_events(&H, 16);
	id = harness_new_buffer(&H);
	CHECK(harness_command(&H, 0, VDMABUF_MSG_IMPORT, &id, 0,
			      &(struct vdmabuf_consumer_msg){ 0 }) == 0);
	H.reply_room = 0;
	bytes = H.model.stats.guest_bytes;

	/* 48 bytes and 16 per rectangle are read; no reply, used length 0. */
	harness_present(&req, &id, 7, 5);
	CHECK(harness_request(&H, &req, vdmabuf_present_len(5)) == -1);
	CHECK(H.used_len == 0 && H.model.stats.frames_total == 1);
	CHECK(H.model.stats.guest_bytes - bytes == 128);
	CHECK(harness_mail(&H.consumers[0], VDMABUF_MSG_FRAME)->u.frame.num_damage == 5);
	CHECK(!harness_count_events(&H, VDMABUF_EVENT_PRESENT_ERROR));

	/* Refused: the status comes back as an event, with id and frame. */
	CHECK(harness_request(&H, &req, vdmabuf_present_len(5)) == -1);	/* EBUSY */
	unknown = id;
	unknown.key ^= 1;
	harness_present(&req, &unknown, 9, 0);
	CHECK(harness_request(&H, &req, vdmabuf_present_len(0)) == -1);	/* ENOENT */
	harness_present(&req, &id, 10, 3);
	CHECK(harness_request(&H, &req, vdmabuf_present_len(3) - 16) == -1);	/* EINVAL */
	CHECK(H.used_len == 0 && H.model.stats.frames_total == 1);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_PRESENT_ERROR) == 3);
	ev = harness_last_event(&H, VDMABUF_EVENT_PRESENT_ERROR);
	CHECK(le32toh(ev->u.present_error.status) == VDMABUF_S_EINVAL);
	CHECK(le64toh(ev->u.present_error.frame) == 10 && ev->u.present_error.reserved == 0);
	CHECK(le64toh(ev->u.present_error.id.key) == id.key);

	/* With a reply part it is answered as version 1: no event. */
	H.reply_room = sizeof(struct vdmabuf_reply);
	harness_present(&req, &unknown, 11, 0);
	CHECK(harness_request(&H, &req, vdmabuf_present_len(0)) == VDMABUF_S_ENOENT);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_PRESENT_ERROR) == 3);

	/* Only a PRESENT may go without a reply. */
	H.reply_room = 0;
	{
		struct vdmabuf_unexport un;

		harness_unexport(&un, &id);
		CHECK(harness_request(&H, &un, sizeof(un)) == -1 && H.used_len == 0);
		CHECK(H.model.num_buffers == 1);
	}

	/* A guest that takes no events loses only its own errors, counted. */
	spare = H.posted;
	for (i = 0; i < spare + VDMABUF_MODEL_PRESENT_ERROR_EVENTS + 10; i++) {
		harness_present(&req, &unknown, i, 0);
		harness_request(&H, &req, vdmabuf_present_len(0));
	}
	CHECK(H.model.errors_queued == VDMABUF_MODEL_PRESENT_ERROR_EVENTS);
	CHECK(H.model.events_lost == 10);
	/* ...and its RELEASE still has room. */
	CHECK(harness_command(&H, 0, VDMABUF_MSG_RELEASE, &id, 7,
			      &(struct vdmabuf_consumer_msg){ 0 }) == 0);
	harness_post_events(&H, VDMABUF_MODEL_PRESENT_ERROR_EVENTS + 8);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_RELEASE) == 1);
	CHECK(H.model.errors_queued == 0);
	CHECK_MODEL(&H);
	harness_finish(&H);
}

static void test_unexport_checks(void)
{
	struct vdmabuf_unexport req;
	struct vdmabuf_id id, other;

	harness_init(&H, NULL, ALL_FEATURES);
	harness_attach(&H, 0);
	id = harness_new_buffer(&H);
	harness_unexport(&req, &id);
	CHECK(harness_request(&H, &req, sizeof(req) - 1) == VDMABUF_S_EINVAL);
	req.hdr.flags = htole32(2);
	CHECK(harness_request(&H, &req, sizeof(req)) == VDMABUF_S_EINVAL);
	other = id;
	other.device++;
	CHECK(unexport(&H, &other) == VDMABUF_S_ENOENT);
	CHECK(harness_command(&H, 0, VDMABUF_MSG_IMPORT, &id, 0,
			      &(struct vdmabuf_consumer_msg){ 0 }) == 0);
	CHECK(unexport(&H, &id) == VDMABUF_S_OK);
	CHECK(le64(H.reply.id.key) == id.key);			/* echoed */
	CHECK(unexport(&H, &id) == VDMABUF_S_EBUSY);		/* waiting for RETIRED */
	harness_detach(&H, 0);					/* retires it */
	CHECK(unexport(&H, &id) == VDMABUF_S_ENOENT);		/* retired */
	CHECK_MODEL(&H);
	harness_finish(&H);
}

static void test_unusable_chains(void)
{
	uint8_t req[HARNESS_REQUEST];
	struct vdmabuf_msg_stats stats;
	size_t len;

	harness_init(&H, NULL, ALL_FEATURES);
	len = harness_export(req, 64, 64, 4);
	H.reply_room = sizeof(struct vdmabuf_reply) - 1;
	CHECK(harness_request(&H, req, len) == -1);
	CHECK(H.used_len == 0);
	H.reply_room = sizeof(struct vdmabuf_reply);
	H.bad_chain = true;
	CHECK(harness_request(&H, req, len) == -1);
	CHECK(H.used_len == 0);
	CHECK(H.model.num_buffers == 0 && H.model.stats.bad_requests == 2);
	CHECK(harness_request(&H, req, len) == VDMABUF_S_OK);
	CHECK(H.used_len == sizeof(struct vdmabuf_reply));
	/* 10,000 more: each counted, the log's lines bounded, the rest counted. */
	H.reply_room = sizeof(struct vdmabuf_reply) - 1;
	for (int i = 0; i < 10000; i++)
		harness_request(&H, req, len);
	CHECK(H.model.stats.bad_requests == 10002);
	vdmabuf_model_stats(&H.model, &stats);
	CHECK(stats.logs_suppressed == 10001 - VDMABUF_MODEL_LOG_BURST);
	/* A new interval: lines again. */
	H.clock_ns += VDMABUF_MODEL_LOG_INTERVAL_NS;
	harness_request(&H, req, len);
	vdmabuf_model_stats(&H.model, &stats);
	CHECK(stats.logs_suppressed == 10001 - VDMABUF_MODEL_LOG_BURST);
	CHECK_MODEL(&H);
	harness_finish(&H);
}

static void test_ids(void)
{
	struct vdmabuf_id a, b;
	uint64_t instance;

	harness_init(&H, NULL, ALL_FEATURES);
	a = harness_new_buffer(&H);
	b = harness_new_buffer(&H);
	CHECK(a.device == H.model.instance && b.device == a.device);
	CHECK(a.key >> 32 == 1 && b.key >> 32 == 2);
	CHECK((uint32_t)a.key != (uint32_t)b.key);		/* random low halves */
	instance = H.model.instance;
	vdmabuf_model_reset(&H.model);
	vdmabuf_model_start(&H.model, ALL_FEATURES, NULL);
	CHECK(H.model.instance != instance);
	a = harness_new_buffer(&H);
	CHECK(a.device == H.model.instance && a.key >> 32 == 1);
	CHECK_MODEL(&H);
	harness_finish(&H);
}

static void test_life(void)
{
	struct vdmabuf_consumer_msg reply;
	struct harness_consumer *c0, *c1;
	const struct vdmabuf_consumer_msg *msg;
	const struct vdmabuf_event *ev;
	struct vdmabuf_id id;

	harness_init(&H, NULL, ALL_FEATURES);
	harness_post_events(&H, 64);
	c0 = harness_attach(&H, 0);
	c1 = harness_attach(&H, 1);
	/* 1-2: exported and announced to every consumer. */
	id = harness_new_buffer(&H);
	msg = harness_mail(c1, VDMABUF_MSG_BUFFER);
	CHECK(msg && msg->id.key == id.key && msg->u.buffer.width == 64 &&
	      msg->u.buffer.size == 4 * 4096 && msg->u.buffer.fourcc == 0x34325258);
	/* 3: imported, once per consumer; the engine's import handed over. */
	CHECK(harness_command(&H, 0, VDMABUF_MSG_IMPORT, &id, 0, &reply) == 0);
	CHECK(reply.type == VDMABUF_MSG_IMPORT && reply.u.buffer.height == 64);
	CHECK(harness_command(&H, 0, VDMABUF_MSG_IMPORT, &id, 0, &reply) == -EEXIST);
	CHECK(reply.type == VDMABUF_MSG_REPLY && reply.status == -EEXIST &&
	      reply.status_of == VDMABUF_MSG_IMPORT);
	CHECK(harness_command(&H, 1, VDMABUF_MSG_IMPORT, &id, 0, &reply) == 0);
	CHECK(H.model.stats.imports == 2);
	CHECK_MODEL(&H);
	/* 4: presented, every importer shown the frame. */
	CHECK(present(&H, &id, 7) == VDMABUF_S_OK);
	msg = harness_mail(c0, VDMABUF_MSG_FRAME);
	CHECK(msg && msg->u.frame.frame == 7);
	CHECK(harness_mail(c1, VDMABUF_MSG_FRAME));
	/* 5: released once the last one lets go. */
	CHECK(harness_command(&H, 0, VDMABUF_MSG_RELEASE, &id, 7, &reply) == 0);
	CHECK(reply.type == 0);					/* no reply owed */
	CHECK(harness_count_events(&H, VDMABUF_EVENT_RELEASE) == 0);
	CHECK(harness_command(&H, 1, VDMABUF_MSG_RELEASE, &id, 7, &reply) == 0);
	ev = harness_last_event(&H, VDMABUF_EVENT_RELEASE);
	CHECK(ev && le64(ev->u.release.frame) == 7 && le64(ev->u.release.id.key) == id.key);
	CHECK(H.model.stats.releases_total == 1);
	/* Back to 4 and 6: unexported while presented, the RELEASE not sent. */
	CHECK(present(&H, &id, 8) == VDMABUF_S_OK);
	CHECK(unexport(&H, &id) == VDMABUF_S_OK);
	CHECK(harness_mail(c0, VDMABUF_MSG_GONE) && harness_mail(c1, VDMABUF_MSG_GONE));
	CHECK(harness_command(&H, 0, VDMABUF_MSG_RELEASE, &id, 8, &reply) == -EALREADY);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_RELEASE) == 1);
	CHECK(harness_command(&H, 0, VDMABUF_MSG_IMPORT, &id, 0, &reply) == -ENOENT);
	/* 7: retired when the last import goes, and the import with it. */
	CHECK(harness_command(&H, 0, VDMABUF_MSG_DROP, &id, 0, &reply) == 0);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_RETIRED) == 0);
	CHECK(H.live_imports == 1);
	CHECK(harness_command(&H, 1, VDMABUF_MSG_DROP, &id, 0, &reply) == 0);
	ev = harness_last_event(&H, VDMABUF_EVENT_RETIRED);
	CHECK(ev && le64(ev->u.retired.id.key) == id.key);
	CHECK(H.live_imports == 0 && H.model.stats.imports == 0);
	CHECK(harness_command(&H, 1, VDMABUF_MSG_DROP, &id, 0, &reply) == -ENOENT);
	/* With no importer a PRESENT is released at once, not presented. */
	id = harness_new_buffer(&H);
	CHECK(present(&H, &id, 9) == VDMABUF_S_OK);
	ev = harness_last_event(&H, VDMABUF_EVENT_RELEASE);
	CHECK(ev && le64(ev->u.release.frame) == 9 && ev->u.release.flags == 0);
	/* An unexport with no importer retires at once. */
	CHECK(unexport(&H, &id) == VDMABUF_S_OK);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_RETIRED) == 2);
	CHECK_MODEL(&H);
	harness_finish(&H);
}

static void test_damage(void)
{
	struct harness_consumer *c;
	struct vdmabuf_present req;
	struct vdmabuf_id id;
	const struct vdmabuf_consumer_msg *msg;

	for (int with = 0; with < 2; with++) {
		harness_init(&H, NULL, with ? ALL_FEATURES :
			     ALL_FEATURES & ~(1ull << VDMABUF_F_DAMAGE));
		c = harness_attach(&H, 0);
		id = harness_new_buffer(&H);
		harness_present(&req, &id, 1, 3);
		CHECK(harness_request(&H, &req, sizeof(req)) == VDMABUF_S_OK);
		msg = harness_mail(c, VDMABUF_MSG_FRAME);
		CHECK(msg && msg->u.frame.num_damage == (with ? 3u : 0u));
		if (with && msg)
			CHECK(msg->u.frame.damage[2].x == 2 && msg->u.frame.damage[2].y == 4 &&
			      msg->u.frame.damage[2].width == 8);
		harness_finish(&H);
	}
}

static int release_timed(struct harness *h, unsigned int i, const struct vdmabuf_id *id,
			 uint64_t frame, uint64_t present_ns, uint32_t flags)
{
	struct vdmabuf_consumer_msg req = { .type = VDMABUF_MSG_RELEASE, .id = *id }, reply;
	void *import;

	req.u.release = (struct vdmabuf_msg_release){ frame, present_ns, 16666666, flags };
	return vdmabuf_model_command(&h->model, &h->consumers[i].mc, &req, &reply, &import);
}

static void test_timing(void)
{
	const struct vdmabuf_event *ev;
	struct vdmabuf_id id;

	for (int with = 0; with < 2; with++) {
		harness_init(&H, NULL, with ? ALL_FEATURES :
			     ALL_FEATURES & ~(1ull << VDMABUF_F_PRESENT_TIMING));
		harness_post_events(&H, 16);
		harness_attach(&H, 0);
		harness_attach(&H, 1);
		id = harness_new_buffer(&H);
		harness_command(&H, 0, VDMABUF_MSG_IMPORT, &id, 0, &(struct vdmabuf_consumer_msg){ 0 });
		harness_command(&H, 1, VDMABUF_MSG_IMPORT, &id, 0, &(struct vdmabuf_consumer_msg){ 0 });
		CHECK(present(&H, &id, 3) == VDMABUF_S_OK);
		/* A drop (not shown) first, then the consumer that showed it. */
		CHECK(release_timed(&H, 0, &id, 3, 0, 0) == 0);
		CHECK(release_timed(&H, 1, &id, 3, 5000,
				    VDMABUF_RELEASE_PRESENTED | VDMABUF_RELEASE_ZERO_COPY) == 0);
		ev = harness_last_event(&H, VDMABUF_EVENT_RELEASE);
		CHECK(ev != NULL);
		if (ev) {
			CHECK(le32toh(ev->u.release.flags) ==
			      (VDMABUF_RELEASE_PRESENTED | VDMABUF_RELEASE_ZERO_COPY));
			CHECK(le64(ev->u.release.present_ns) == (with ? 5000u : 0u));
			CHECK(le32toh(ev->u.release.refresh_ns) == (with ? 16666666u : 0u));
			CHECK((le64(ev->u.release.sent_ns) != 0) == with);
		}
		/* The same frame released twice, or one never shown: EALREADY. */
		CHECK(release_timed(&H, 1, &id, 3, 0, 0) == -EALREADY);
		CHECK(present(&H, &id, 4) == VDMABUF_S_OK);
		CHECK(release_timed(&H, 1, &id, 3, 0, 0) == -EALREADY);
		CHECK_MODEL(&H);
		harness_finish(&H);
	}
}

static void test_reset(void)
{
	struct harness_consumer *c;
	const struct vdmabuf_consumer_msg *msg;
	struct vdmabuf_id id;
	struct vdmabuf_consumer_msg mode = { .type = VDMABUF_MSG_MODE_HINT }, reply;
	void *import;

	harness_init(&H, NULL, ALL_FEATURES);
	harness_post_events(&H, 64);
	c = harness_attach(&H, 0);
	mode.u.mode = (struct vdmabuf_msg_mode){ .width = 1280, .height = 720, .refresh_mhz = 60000, .scale_120 = 120 };
	CHECK(vdmabuf_model_command(&H.model, &c->mc, &mode, &reply, &import) == 0);
	id = harness_new_buffer(&H);
	harness_command(&H, 0, VDMABUF_MSG_IMPORT, &id, 0, &reply);
	harness_new_buffer(&H);
	CHECK(present(&H, &id, 1) == VDMABUF_S_OK);
	H.num_events = 0;
	vdmabuf_model_reset(&H.model);
	CHECK(H.model.num_buffers == 0 && H.live_imports == 0);
	CHECK(H.model.stats.imports == 0);		/* the consumer's dmabuf is not ours */
	CHECK(harness_count_events(&H, VDMABUF_EVENT_RETIRED) == 0);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_RELEASE) == 0);
	msg = harness_mail(c, VDMABUF_MSG_RESET);
	CHECK(msg && msg->id.device == H.model.instance);
	/* Requests while stopped are not served. */
	CHECK(export_with(&H, NULL, 0) == -1);
	H.requests_queued = 0;
	/* The next start: RESET, the consumer count and the last mode. */
	vdmabuf_model_start(&H.model, ALL_FEATURES, NULL);
	harness_post_events(&H, 8);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_RESET) == 1);
	/* It names the instance that starts: its ids survive it (§6.10). */
	CHECK(le64(harness_last_event(&H, VDMABUF_EVENT_RESET)->u.reset.device) ==
	      H.model.instance);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_CONSUMERS) == 1);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_MODE_HINT) == 1);
	CHECK(le32toh(harness_last_event(&H, VDMABUF_EVENT_MODE_HINT)->u.mode_hint.width) == 1280);
	/* Consumer commands on ids of the old instance. */
	CHECK(harness_command(&H, 0, VDMABUF_MSG_RELEASE, &id, 1, &reply) == -ENOENT);
	CHECK(harness_command(&H, 0, VDMABUF_MSG_DROP, &id, 0, &reply) == -ENOENT);
	CHECK_MODEL(&H);
	harness_finish(&H);
}

static void test_consumers(void)
{
	struct harness_consumer *c0, *c1, *late;
	struct vdmabuf_consumer_msg reply, req = { .type = 99 };
	struct vdmabuf_id a, b;
	void *import;

	harness_init(&H, NULL, ALL_FEATURES);
	harness_post_events(&H, 200);
	a = harness_new_buffer(&H);
	b = harness_new_buffer(&H);
	CHECK(unexport(&H, &b) == VDMABUF_S_OK);
	/* HELLO, then BUFFER for every live buffer (not the unexported one). */
	c0 = harness_attach(&H, 0);
	CHECK(c0->num_mail >= 2 && c0->mail[0].type == VDMABUF_MSG_HELLO);
	CHECK(c0->mail[0].u.hello.device == H.model.instance &&
	      c0->mail[0].u.hello.consumers == 1 && c0->mail[0].u.hello.guest_connected);
	CHECK(c0->mail[1].type == VDMABUF_MSG_BUFFER && c0->mail[1].id.key == a.key);
	CHECK(c0->num_mail == 2);
	CHECK(le32toh(harness_last_event(&H, VDMABUF_EVENT_CONSUMERS)->u.consumers.count) == 1);

	CHECK(harness_command(&H, 0, VDMABUF_MSG_RELEASE, &a, 0, &reply) == -EPERM);
	CHECK(harness_command(&H, 0, VDMABUF_MSG_DROP, &a, 0, &reply) == -EPERM);
	CHECK(harness_command(&H, 0, VDMABUF_MSG_IMPORT, &b, 0, &reply) == -ENOENT);
	CHECK(vdmabuf_model_command(&H.model, &c0->mc, &req, &reply, &import) == -EOPNOTSUPP);
	CHECK(reply.type == VDMABUF_MSG_REPLY && reply.status_of == 99);
	req.type = VDMABUF_MSG_MODE_HINT;
	req.u.mode = (struct vdmabuf_msg_mode){ .height = 720, .scale_120 = 120 };
	CHECK(vdmabuf_model_command(&H.model, &c0->mc, &req, &reply, &import) == -EINVAL);
	req.u.mode = (struct vdmabuf_msg_mode){ .width = 800, .height = 600, .scale_120 = 120 * 17 };
	CHECK(vdmabuf_model_command(&H.model, &c0->mc, &req, &reply, &import) == -EINVAL);

	/* A frame is owed only by those holding an import when presented. */
	CHECK(harness_command(&H, 0, VDMABUF_MSG_IMPORT, &a, 0, &reply) == 0);
	c1 = harness_attach(&H, 1);
	CHECK(present(&H, &a, 1) == VDMABUF_S_OK);
	CHECK(harness_mail(c1, VDMABUF_MSG_FRAME));		/* shown, not owed */
	CHECK(harness_command(&H, 1, VDMABUF_MSG_IMPORT, &a, 0, &reply) == 0);
	CHECK(harness_command(&H, 1, VDMABUF_MSG_RELEASE, &a, 1, &reply) == -EALREADY);
	/* A consumer that goes releases its frames and drops its imports. */
	harness_detach(&H, 0);
	CHECK(harness_last_event(&H, VDMABUF_EVENT_RELEASE) &&
	      le64(harness_last_event(&H, VDMABUF_EVENT_RELEASE)->u.release.frame) == 1);
	CHECK(H.model.stats.imports == 1);
	CHECK(le32toh(harness_last_event(&H, VDMABUF_EVENT_CONSUMERS)->u.consumers.count) == 1);
	/* Slots are reused; the 65th consumer is refused. */
	late = harness_attach(&H, 0);
	CHECK(late && late->mc.slot == 0);
	for (unsigned int i = 2; i < VDMABUF_MODEL_MAX_CONSUMERS; i++)
		CHECK(harness_attach(&H, i) != NULL);
	CHECK(harness_attach(&H, VDMABUF_MODEL_MAX_CONSUMERS) == NULL);
	CHECK(H.model.num_consumers == VDMABUF_MODEL_MAX_CONSUMERS);
	/* A detached consumer's commands fail. */
	harness_detach(&H, 5);
	CHECK(harness_command(&H, 5, VDMABUF_MSG_STATS, NULL, 0, &reply) == -EPIPE);
	/* STATS: what the lists hold. */
	CHECK(harness_command(&H, 1, VDMABUF_MSG_STATS, NULL, 0, &reply) == 0);
	CHECK(reply.type == VDMABUF_MSG_STATS && reply.u.stats.buffers == 1 &&
	      reply.u.stats.imports == 1 && reply.u.stats.consumers == 63 &&
	      reply.u.stats.exports_total == 2 && reply.u.stats.frames_total == 1);
	/* Every notify the engine signalled is an interrupt; kicks, as told. */
	CHECK(reply.u.stats.interrupts == H.notified[0] + H.notified[1] &&
	      reply.u.stats.interrupts > 0 && reply.u.stats.notifications == 0);
	vdmabuf_model_kicked(&H.model, 3);
	CHECK(harness_command(&H, 1, VDMABUF_MSG_STATS, NULL, 0, &reply) == 0 &&
	      reply.u.stats.notifications == 3);
	CHECK_MODEL(&H);
	harness_finish(&H);
}

static void test_events(void)
{
	struct vdmabuf_consumer_msg mode = { .type = VDMABUF_MSG_MODE_HINT }, reply;
	struct vdmabuf_id ids[4];
	void *import;

	harness_init(&H, NULL, ALL_FEATURES);
	/* START queued RESET and CONSUMERS (0); no event buffer is posted yet. */
	CHECK(H.model.backlog_len == 2 && H.num_events == 0);
	harness_attach(&H, 0);
	harness_attach(&H, 1);
	harness_attach(&H, 2);
	for (unsigned int i = 0; i < 3; i++) {
		mode.u.mode = (struct vdmabuf_msg_mode){ .width = 640 + i, .height = 480, .scale_120 = 120 };
		vdmabuf_model_command(&H.model, &H.consumers[0].mc, &mode, &reply, &import);
	}
	for (unsigned int i = 0; i < 4; i++) {
		ids[i] = harness_new_buffer(&H);
		CHECK(present(&H, &ids[i], i) == VDMABUF_S_OK);
	}
	/* RESET, one CONSUMERS (the last count), one MODE_HINT, 4 RELEASEs. */
	CHECK(H.model.backlog_len == 7);
	harness_post_events(&H, 3);
	CHECK(H.num_events == 3 && H.model.backlog_len == 4);
	harness_post_events(&H, 10);
	CHECK(H.num_events == 7 && H.model.backlog_len == 0 && H.posted == 6);
	CHECK(le32toh(H.events[0].type) == VDMABUF_EVENT_RESET);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_CONSUMERS) == 1);
	CHECK(le32toh(harness_last_event(&H, VDMABUF_EVENT_CONSUMERS)->u.consumers.count) == 3);
	CHECK(le32toh(harness_last_event(&H, VDMABUF_EVENT_MODE_HINT)->u.mode_hint.width) == 642);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_RELEASE) == 4);
	/* Events go out as they happen while buffers are posted. */
	CHECK(unexport(&H, &ids[0]) == VDMABUF_S_OK);
	CHECK(H.num_events == 8 && H.posted == 5);
	CHECK_MODEL(&H);
	harness_finish(&H);
}

static void test_budget(void)
{
	uint8_t req[HARNESS_REQUEST];
	size_t len;

	harness_init(&H, NULL, ALL_FEATURES);
	vdmabuf_model_start(&H.model, ALL_FEATURES, (const unsigned int[]){ 2, 2 });
	len = harness_export(req, 64, 64, 4);
	for (int i = 0; i < 5; i++) {
		memcpy(H.requests[i], req, len);
		H.request_len[i] = len;
	}
	H.requests_queued = 5;
	H.scheduled[VDMABUF_VQ_CONTROL] = 0;
	vdmabuf_model_process(&H.model, VDMABUF_VQ_CONTROL);
	CHECK(H.control_pushed == 2 && H.scheduled[VDMABUF_VQ_CONTROL] == 1);
	CHECK(H.notified[VDMABUF_VQ_CONTROL] == 1);
	vdmabuf_model_process(&H.model, VDMABUF_VQ_CONTROL);
	vdmabuf_model_process(&H.model, VDMABUF_VQ_CONTROL);
	CHECK(H.control_pushed == 5 && H.model.num_buffers == 5);
	CHECK(H.scheduled[VDMABUF_VQ_CONTROL] == 2);
	CHECK_MODEL(&H);
	harness_finish(&H);
}

static int seat_cmd(struct harness *h, unsigned int i, uint32_t type,
		    const struct vdmabuf_consumer_msg *body)
{
	struct vdmabuf_consumer_msg req = *body, reply;
	void *import;

	req.type = type;
	return vdmabuf_model_command(&h->model, &h->consumers[i].mc, &req, &reply, &import);
}

static int claim(struct harness *h, unsigned int i, uint32_t on)
{
	struct vdmabuf_consumer_msg msg = { .u.seat.claim = on };

	return seat_cmd(h, i, VDMABUF_MSG_SEAT, &msg);
}

static int input(struct harness *h, unsigned int i, uint32_t kind, int32_t a0, int32_t a1)
{
	struct vdmabuf_consumer_msg msg = { 0 };

	msg.u.input.kind = kind;
	msg.u.input.time_usec = 123456;
	msg.u.input.args[0] = a0;
	msg.u.input.args[1] = a1;
	return seat_cmd(h, i, VDMABUF_MSG_INPUT, &msg);
}

static int keymap_piece(struct harness *h, unsigned int i, const char *text, uint32_t size,
			uint32_t offset, uint32_t len)
{
	struct vdmabuf_consumer_msg msg = { 0 };

	msg.u.keymap.format = VDMABUF_KEYMAP_XKB_V1;
	msg.u.keymap.size = size;
	msg.u.keymap.offset = offset;
	msg.u.keymap.len = len;
	memcpy(msg.u.keymap.data, text + offset, len);
	return seat_cmd(h, i, VDMABUF_MSG_KEYMAP, &msg);
}

/* The keymap the guest assembled from the KEYMAP events it got, or NULL. */
static char *guest_keymap(const struct harness *h, uint32_t *size)
{
	char *text = NULL;

	for (unsigned int i = 0; i < h->num_events; i++) {
		const struct vdmabuf_keymap *k = &h->events[i].u.keymap;

		if (le32toh(h->events[i].type) != VDMABUF_EVENT_KEYMAP)
			continue;
		if (!le32toh(k->offset)) {
			free(text);
			*size = le32toh(k->size);
			text = calloc(1, *size + 1);
		}
		memcpy(text + le32toh(k->offset), k->data, le32toh(k->len));
	}
	return text;
}

static void test_seat(void)
{
	const struct vdmabuf_input *in;
	char text[600], *got;
	uint32_t size = 0;

	for (unsigned int i = 0; i < sizeof(text); i++)
		text[i] = (char)('a' + i % 26);
	harness_init(&H, NULL, ALL_FEATURES);
	harness_post_events(&H, 200);
	harness_attach(&H, 0);
	harness_attach(&H, 1);
	CHECK(input(&H, 0, VDMABUF_INPUT_KEY, 30, 1) == -EPERM);	/* no seat */
	CHECK(claim(&H, 0, 1) == 0);
	CHECK(claim(&H, 0, 1) == 0);
	CHECK(claim(&H, 1, 1) == -EBUSY);
	CHECK(claim(&H, 1, 2) == -EINVAL);
	/* While 0 holds the seat, the window's size is 0's to ask for. */
	{
		struct vdmabuf_consumer_msg mode = { .u.mode = { .width = 640, .height = 480, .scale_120 = 120 } };

		CHECK(seat_cmd(&H, 1, VDMABUF_MSG_MODE_HINT, &mode) == -EPERM);
		CHECK(seat_cmd(&H, 0, VDMABUF_MSG_MODE_HINT, &mode) == 0);
	}
	CHECK(input(&H, 1, VDMABUF_INPUT_KEY, 30, 1) == -EPERM);
	H.num_events = 0;
	CHECK(input(&H, 0, VDMABUF_INPUT_KEY, 30, 1) == 0);
	in = &harness_last_event(&H, VDMABUF_EVENT_INPUT)->u.input;
	CHECK(le32toh(in->kind) == VDMABUF_INPUT_KEY && le32toh(in->args[0]) == 30 &&
	      le32toh(in->args[1]) == 1 && le64(in->time_usec) == 123456);
	CHECK(input(&H, 0, VDMABUF_INPUT_MOTION, 100 * 256, 50 * 256) == 0);
	CHECK(input(&H, 0, VDMABUF_INPUT_BUTTON, 0x110, 1) == 0);
	CHECK(input(&H, 0, VDMABUF_INPUT_FRAME, 0, 0) == 0);
	CHECK(H.model.stats.input_events == 4 && harness_count_events(&H, VDMABUF_EVENT_INPUT) == 4);
	/* Bad events: unknown kind, key or button out of range, a state of 2,
	 * a position outside, an argument the kind does not use. */
	CHECK(input(&H, 0, 99, 0, 0) == -EINVAL);
	CHECK(input(&H, 0, VDMABUF_INPUT_KEY, 0x300, 1) == -EINVAL);
	CHECK(input(&H, 0, VDMABUF_INPUT_KEY, 30, 2) == -EINVAL);
	CHECK(input(&H, 0, VDMABUF_INPUT_BUTTON, 30, 1) == -EINVAL);
	CHECK(input(&H, 0, VDMABUF_INPUT_MOTION, -1, 0) == -EINVAL);
	CHECK(input(&H, 0, VDMABUF_INPUT_MOTION, 0, VDMABUF_INPUT_MAX_POS) == -EINVAL);
	CHECK(input(&H, 0, VDMABUF_INPUT_FRAME, 1, 0) == -EINVAL);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_INPUT) == 4);

	/* The keymap, in pieces, in order, from the holder only. */
	CHECK(keymap_piece(&H, 1, text, sizeof(text), 0, 256) == -EPERM);
	CHECK(keymap_piece(&H, 0, text, sizeof(text), 256, 256) == -EINVAL);	/* not first */
	CHECK(keymap_piece(&H, 0, text, VDMABUF_MAX_KEYMAP + 1, 0, 256) == -EINVAL);
	CHECK(keymap_piece(&H, 0, text, sizeof(text), 0, 257) == -EINVAL);
	CHECK(keymap_piece(&H, 0, text, sizeof(text), 0, 256) == 0);
	CHECK(keymap_piece(&H, 0, text, sizeof(text), 0 + 300, 256) == -EINVAL);	/* a gap */
	CHECK(keymap_piece(&H, 0, text, sizeof(text), 256, 256) == 0);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_KEYMAP) == 0);
	CHECK(keymap_piece(&H, 0, text, sizeof(text), 512, 88) == 0);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_KEYMAP) == 15);	/* 600 / 40 */
	got = guest_keymap(&H, &size);
	CHECK(got && size == sizeof(text) && memcmp(got, text, size) == 0);
	free(got);
	/* A new start: the keymap again, and the holder's seat kept. */
	vdmabuf_model_reset(&H.model);
	CHECK(input(&H, 0, VDMABUF_INPUT_KEY, 30, 0) == -ENOTCONN);
	H.num_events = 0;
	vdmabuf_model_start(&H.model, ALL_FEATURES, NULL);
	harness_post_events(&H, 100);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_KEYMAP) == 15);
	CHECK(input(&H, 0, VDMABUF_INPUT_KEY, 30, 0) == 0);
	/* The holder goes: the guest lets go of keys and pointer, another takes it. */
	H.num_events = 0;
	harness_detach(&H, 0);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_INPUT) == 2);
	CHECK(le32toh(H.events[0].u.input.kind) == VDMABUF_INPUT_KEYBOARD_LEAVE);
	CHECK(H.model.seat == NULL);
	CHECK(claim(&H, 1, 1) == 0);
	CHECK(claim(&H, 1, 0) == 0 && H.model.seat == NULL);
	CHECK_MODEL(&H);
	harness_finish(&H);

	/* A guest without VDMABUF_F_INPUT: refused, and no keymap sent. */
	harness_init(&H, NULL, ALL_FEATURES & ~(1ull << VDMABUF_F_INPUT));
	harness_post_events(&H, 100);
	harness_attach(&H, 0);
	CHECK(claim(&H, 0, 1) == 0);
	CHECK(input(&H, 0, VDMABUF_INPUT_KEY, 30, 1) == -EOPNOTSUPP);
	CHECK(keymap_piece(&H, 0, text, 100, 0, 100) == 0);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_KEYMAP) == 0);
	CHECK(H.consumers[0].mail[0].u.hello.guest_features ==
	      (ALL_FEATURES & ~(1ull << VDMABUF_F_INPUT)));
	CHECK_MODEL(&H);
	harness_finish(&H);
}

/* Several outputs (§20). */
static int output_req(struct harness *h, uint32_t output, uint32_t flags, uint32_t w, uint32_t hgt)
{
	struct vdmabuf_output req = { .hdr.type = htole32(VDMABUF_CTRL_OUTPUT) };

	req.output = htole32(output);
	req.flags = htole32(flags);
	req.width = htole32(w);
	req.height = htole32(hgt);
	req.scale_120 = htole32(w ? 180 : 0);
	return harness_request(h, &req, sizeof(req));
}

static int output_hint(struct harness *h, unsigned int i, uint32_t output, uint32_t flags,
		       uint32_t w)
{
	struct vdmabuf_consumer_msg msg = { .type = VDMABUF_MSG_MODE_HINT };
	struct vdmabuf_consumer_msg reply;
	void *import;

	msg.u.mode = (struct vdmabuf_msg_mode){ .width = w, .height = w ? 600 : 0,
						.scale_120 = w ? 120 : 0, .output = output,
						.flags = flags };
	return vdmabuf_model_command(&h->model, &h->consumers[i].mc, &msg, &reply, &import);
}

static void test_outputs(void)
{
	const struct vdmabuf_consumer_msg *mail;
	const struct vdmabuf_event *ev;
	struct vdmabuf_present req;
	struct vdmabuf_id id;

	harness_init(&H, NULL, ALL_FEATURES);
	harness_attach(&H, 0);
	/* The guest announces output 2: every consumer hears of it. */
	CHECK(output_req(&H, 2, 0, 800, 600) == VDMABUF_S_OK);
	mail = harness_mail(&H.consumers[0], VDMABUF_MSG_OUTPUT);
	CHECK(mail && mail->u.output.output == 2 && mail->u.output.width == 800 &&
	      mail->u.output.height == 600 && mail->u.output.scale_120 == 180 &&
	      !mail->u.output.flags);
	CHECK(output_req(&H, VDMABUF_MAX_OUTPUTS, 0, 800, 600) == VDMABUF_S_EINVAL);
	CHECK(output_req(&H, 3, 0, 0, 600) == VDMABUF_S_EINVAL);
	/* ...and one that comes later too. */
	harness_attach(&H, 1);
	mail = harness_mail(&H.consumers[1], VDMABUF_MSG_OUTPUT);
	CHECK(mail && mail->u.output.output == 2 && mail->u.output.width == 800);

	/* A frame names its output. */
	id = harness_new_buffer(&H);
	harness_present(&req, &id, 1, 0);
	req.output = htole32(2);
	CHECK(harness_request(&H, &req, sizeof(req)) == VDMABUF_S_OK);
	mail = harness_mail(&H.consumers[0], VDMABUF_MSG_FRAME);
	CHECK(mail && mail->u.frame.output == 2);

	/* The host asks for outputs 1 and 3: two hints, not merged; the same one merges. */
	CHECK(output_hint(&H, 0, 1, 0, 1024) == 0);
	CHECK(output_hint(&H, 0, 3, 0, 640) == 0);
	CHECK(output_hint(&H, 0, 3, 0, 641) == 0);
	CHECK(output_hint(&H, 0, 3, VDMABUF_OUTPUT_GONE, 0) == 0);
	CHECK(output_hint(&H, 0, 3, VDMABUF_OUTPUT_GONE, 640) == -EINVAL);
	CHECK(output_hint(&H, 0, VDMABUF_MAX_OUTPUTS, 0, 640) == -EINVAL);
	CHECK(output_hint(&H, 0, 1, 2, 640) == -EINVAL);
	harness_post_events(&H, 32);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_MODE_HINT) == 2);
	ev = harness_last_event(&H, VDMABUF_EVENT_MODE_HINT);
	CHECK(le32toh(ev->u.mode_hint.output) == 3 &&
	      le32toh(ev->u.mode_hint.flags) == VDMABUF_OUTPUT_GONE && !ev->u.mode_hint.width);
	CHECK(H.model.mode_hints[1].width == 1024 && !H.model.mode_hints[3].width);

	/* Input names the window it came from. */
	CHECK(claim(&H, 0, 1) == 0);
	{
		struct vdmabuf_consumer_msg msg = { 0 };

		msg.u.input.kind = VDMABUF_INPUT_POINTER_ENTER;
		msg.u.input.output = 2;
		CHECK(seat_cmd(&H, 0, VDMABUF_MSG_INPUT, &msg) == 0);
		ev = harness_last_event(&H, VDMABUF_EVENT_INPUT);
		CHECK(ev && le32toh(ev->u.input.output) == 2);
		msg.u.input.output = VDMABUF_MAX_OUTPUTS;
		CHECK(seat_cmd(&H, 0, VDMABUF_MSG_INPUT, &msg) == -EINVAL);
	}

	/* Gone: consumers hear it, a newcomer hears nothing of it. */
	CHECK(output_req(&H, 2, VDMABUF_OUTPUT_GONE, 0, 0) == VDMABUF_S_OK);
	mail = harness_mail(&H.consumers[0], VDMABUF_MSG_OUTPUT);
	CHECK(mail && mail->u.output.output == 2 && mail->u.output.flags == VDMABUF_OUTPUT_GONE);
	harness_detach(&H, 1);
	harness_attach(&H, 1);
	CHECK(!harness_mail(&H.consumers[1], VDMABUF_MSG_OUTPUT));

	/* A reset ends the guest's outputs; the host's wishes stay and are sent again. */
	CHECK(output_req(&H, 5, 0, 320, 240) == VDMABUF_S_OK);
	vdmabuf_model_reset(&H.model);
	mail = harness_mail(&H.consumers[1], VDMABUF_MSG_OUTPUT);
	CHECK(mail && mail->u.output.output == 5 && mail->u.output.flags == VDMABUF_OUTPUT_GONE);
	CHECK(!H.model.outputs[5].width);
	vdmabuf_model_start(&H.model, ALL_FEATURES, NULL);
	harness_post_events(&H, 32);
	ev = harness_last_event(&H, VDMABUF_EVENT_MODE_HINT);
	CHECK(ev && le32toh(ev->u.mode_hint.output) == 1 &&
	      le32toh(ev->u.mode_hint.width) == 1024);
	CHECK_MODEL(&H);
	harness_finish(&H);

	/* A guest of one output: no OUTPUT, no frame or input elsewhere, hints of 0 only. */
	harness_init(&H, NULL, ALL_FEATURES & ~(1ull << VDMABUF_F_OUTPUTS));
	harness_attach(&H, 0);
	CHECK(output_req(&H, 0, 0, 800, 600) == VDMABUF_S_ENOTSUP);
	id = harness_new_buffer(&H);
	harness_present(&req, &id, 1, 0);
	req.output = htole32(1);
	CHECK(harness_request(&H, &req, sizeof(req)) == VDMABUF_S_EINVAL);
	CHECK(output_hint(&H, 0, 1, 0, 1024) == 0);
	CHECK(output_hint(&H, 0, 0, 0, 1024) == 0);
	harness_post_events(&H, 32);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_MODE_HINT) == 1);
	ev = harness_last_event(&H, VDMABUF_EVENT_MODE_HINT);
	CHECK(!ev->u.mode_hint.output && le32toh(ev->u.mode_hint.width) == 1024);
	CHECK(claim(&H, 0, 1) == 0);
	{
		struct vdmabuf_consumer_msg msg = { 0 };

		msg.u.input.kind = VDMABUF_INPUT_POINTER_ENTER;
		msg.u.input.output = 1;
		CHECK(seat_cmd(&H, 0, VDMABUF_MSG_INPUT, &msg) == -EOPNOTSUPP);
	}
	CHECK_MODEL(&H);
	harness_finish(&H);
}

static void test_input_backlog(void)
{
	const unsigned int input_room = VDMABUF_MODEL_BACKLOG - 2 * VDMABUF_MAX_BUFFERS;
	struct vdmabuf_id id;
	unsigned int sent = 0;
	int err = 0;

	harness_init(&H, NULL, ALL_FEATURES);
	harness_attach(&H, 0);
	claim(&H, 0, 1);
	/* The guest posts no event buffer: motion fills half the room, then drops. */
	for (unsigned int i = 0; i < input_room; i++)
		if (input(&H, 0, VDMABUF_INPUT_MOTION, 256, 256) == 0)
			sent++;
	CHECK(H.model.stats.input_dropped > 0);
	CHECK(H.model.backlog_len <= input_room);
	/* Keys still go in, until the room is full; then ENOBUFS. */
	while (!err && sent < 2 * input_room)
		err = input(&H, 0, VDMABUF_INPUT_KEY, 30, sent++ & 1);
	CHECK(err == -ENOBUFS);
	CHECK(H.model.backlog_len <= input_room + 1);
	/* Every buffer's RELEASE still fits. */
	for (unsigned int i = 0; i < 64; i++) {
		id = harness_new_buffer(&H);
		CHECK(present(&H, &id, i) == VDMABUF_S_OK);
	}
	CHECK(H.model.events_lost == 0);
	harness_post_events(&H, VDMABUF_MODEL_BACKLOG);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_RELEASE) +
	      harness_count_events(&H, VDMABUF_EVENT_INPUT) > 0);
	CHECK(H.events_received == H.model.stats.input_events + 64 + 2);	/* + RESET, CONSUMERS */
	CHECK_MODEL(&H);
	harness_finish(&H);
}

/* Consumer i's list of n pairs, fourccs from base, modifier mod, in pieces. */
static int formats_list(struct harness *h, unsigned int i, uint32_t n, uint32_t base,
			uint64_t mod)
{
	struct vdmabuf_consumer_msg req = { .type = VDMABUF_MSG_FORMATS }, reply;
	void *import;
	uint32_t index = 0;
	int err;

	req.u.formats.total = n;
	do {
		req.u.formats.index = index;
		req.u.formats.count = n - index < VDMABUF_MSG_FORMATS_CHUNK ?
				      n - index : VDMABUF_MSG_FORMATS_CHUNK;
		for (uint32_t j = 0; j < req.u.formats.count; j++)
			req.u.formats.formats[j] = (struct vdmabuf_format){
				.fourcc = base + index + j, .modifier = mod };
		err = vdmabuf_model_command(&h->model, &h->consumers[i].mc, &req, &reply, &import);
		index += req.u.formats.count;
	} while (!err && index < n);
	return err;
}

/* The list the guest was told last: its pairs, or -1 if none came. */
static int guest_formats(const struct harness *h, struct vdmabuf_format *out)
{
	int total = -1;

	for (unsigned int i = 0; i < h->num_events && i < HARNESS_EVENTS; i++) {
		const struct vdmabuf_formats *f = &h->events[i].u.formats;

		if (le32toh(h->events[i].type) != VDMABUF_EVENT_FORMATS)
			continue;
		if (!vdmabuf_formats_piece_valid(le16toh(f->index), le16toh(f->total),
						 le16toh(f->total) ? 1 : 0, 3, le16toh(f->index)))
			return -2;
		total = le16toh(f->total);
		for (unsigned int j = 0; j < 3 && le16toh(f->index) + j < (unsigned int)total; j++)
			out[le16toh(f->index) + j] = (struct vdmabuf_format){
				.fourcc = le32toh(f->formats[j].fourcc),
				.modifier = le64toh(f->formats[j].modifier) };
	}
	return total;
}

static void test_formats(void)
{
	struct vdmabuf_format got[VDMABUF_MAX_FORMATS];
	struct vdmabuf_consumer_msg req = { .type = VDMABUF_MSG_FORMATS }, reply;
	void *import;

	harness_init(&H, NULL, ALL_FEATURES);
	harness_post_events(&H, 250);
	harness_attach(&H, 0);
	harness_attach(&H, 1);
	harness_attach(&H, 2);
	H.num_events = 0;
	/* Bad pieces: out of order, over the limit, INVALID, reserved set. */
	req.u.formats = (struct vdmabuf_msg_formats){ .index = 16, .total = 40, .count = 16 };
	CHECK(vdmabuf_model_command(&H.model, &H.consumers[0].mc, &req, &reply, &import) ==
	      -EINVAL && reply.status_of == VDMABUF_MSG_FORMATS);
	CHECK(formats_list(&H, 0, VDMABUF_MAX_FORMATS + 1, 1, 0) == -EINVAL);
	CHECK(formats_list(&H, 0, 2, 1, VDMABUF_FORMAT_MOD_INVALID) == -EINVAL);
	CHECK(formats_list(&H, 0, 2, 0, 0) == -EINVAL);		/* fourcc 0 */
	req.u.formats = (struct vdmabuf_msg_formats){ .total = 1, .count = 1, .reserved = 1,
		.formats[0] = { .fourcc = 1 } };
	CHECK(vdmabuf_model_command(&H.model, &H.consumers[0].mc, &req, &reply, &import) ==
	      -EINVAL);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_FORMATS) == 0);

	/* One list of 40 pairs: the guest gets them all, in 14 pieces. */
	CHECK(formats_list(&H, 0, 40, 100, 0) == 0);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_FORMATS) == 14);
	CHECK(guest_formats(&H, got) == 40);
	CHECK(got[0].fourcc == 100 && got[39].fourcc == 139 && got[39].modifier == 0);
	/* The same again changes nothing; a second consumer narrows it. */
	H.num_events = 0;
	CHECK(formats_list(&H, 0, 40, 100, 0) == 0);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_FORMATS) == 0);
	CHECK(formats_list(&H, 1, 20, 130, 0) == 0);		/* 130..149: 10 shared */
	CHECK(guest_formats(&H, got) == 10);
	CHECK(got[0].fourcc == 130 && got[9].fourcc == 139);
	/* A third with other modifiers only: nothing shared, no list. */
	CHECK(formats_list(&H, 2, 5, 130, 7) == 0);
	CHECK(guest_formats(&H, got) == 0);
	/* It goes: the two lists' pairs again; the guest restarts with them. */
	harness_detach(&H, 2);
	CHECK(guest_formats(&H, got) == 10);
	H.num_events = 0;
	vdmabuf_model_reset(&H.model);
	vdmabuf_model_start(&H.model, ALL_FEATURES, NULL);
	harness_post_events(&H, 100);
	CHECK(guest_formats(&H, got) == 10);
	/* Withdrawn (total 0) and gone: no list. */
	H.num_events = 0;
	req.u.formats = (struct vdmabuf_msg_formats){ 0 };
	CHECK(vdmabuf_model_command(&H.model, &H.consumers[1].mc, &req, &reply, &import) == 0);
	CHECK(guest_formats(&H, got) == 40);
	harness_detach(&H, 0);
	CHECK(guest_formats(&H, got) == 0);
	CHECK_MODEL(&H);
	harness_finish(&H);

	/* While the guest takes no events, only the newest list waits. */
	harness_init(&H, NULL, ALL_FEATURES);
	harness_attach(&H, 0);
	harness_attach(&H, 1);
	CHECK(formats_list(&H, 0, VDMABUF_MAX_FORMATS, 1, 0) == 0);
	CHECK(H.model.formats_queued == VDMABUF_MODEL_FORMAT_EVENTS);
	CHECK(formats_list(&H, 1, 4, 1, 0) == 0);
	CHECK(H.model.formats_queued == 2);
	H.num_events = 0;
	harness_post_events(&H, 10);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_FORMATS) == 2 && guest_formats(&H, got) == 4);
	CHECK(H.model.formats_queued == 0);
	CHECK_MODEL(&H);
	harness_finish(&H);

	/* A guest without VDMABUF_F_FORMATS hears nothing of it. */
	harness_init(&H, NULL, ALL_FEATURES & ~(1ull << VDMABUF_F_FORMATS));
	harness_post_events(&H, 100);
	harness_attach(&H, 0);
	CHECK(formats_list(&H, 0, 4, 1, 0) == 0);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_FORMATS) == 0);
	CHECK_MODEL(&H);
	harness_finish(&H);
}

static int pointer(struct harness *h, const struct vdmabuf_id *id, uint64_t serial,
		   uint32_t hx, uint32_t hy, uint32_t constraint)
{
	struct vdmabuf_pointer req;

	harness_pointer(&req, id, serial, hx, hy, constraint);
	return harness_request(h, &req, sizeof(req));
}

static void test_pointer_checks(void)
{
	struct vdmabuf_consumer_msg reply;
	struct vdmabuf_pointer req;
	struct vdmabuf_id id, cursor, other;

	/* Without VDMABUF_F_POINTER the request is unknown. */
	harness_init(&H, NULL, ALL_FEATURES & ~(1ull << VDMABUF_F_POINTER));
	id = harness_new_buffer(&H);
	CHECK(pointer(&H, &id, 1, 0, 0, 0) == VDMABUF_S_ENOTSUP);
	CHECK(pointer(&H, NULL, 0, 0, 0, 0) == VDMABUF_S_ENOTSUP);
	CHECK_MODEL(&H);
	harness_finish(&H);

	harness_init(&H, NULL, ALL_FEATURES);
	harness_attach(&H, 0);
	id = harness_new_buffer(&H);			/* 64x64 */
	harness_pointer(&req, &id, 1, 0, 0, 0);
	CHECK(harness_request(&H, &req, sizeof(req) - 1) == VDMABUF_S_EINVAL);	/* R < 64 */
	req.hdr.flags = htole32(1);
	CHECK(harness_request(&H, &req, sizeof(req)) == VDMABUF_S_EINVAL);
	harness_pointer(&req, &id, 1, 0, 0, 0);
	req.flags = htole32(VDMABUF_POINTER_IMAGE | 2);
	CHECK(harness_request(&H, &req, sizeof(req)) == VDMABUF_S_EINVAL);
	harness_pointer(&req, &id, 1, 0, 0, 0);
	req.reserved[0] = htole32(1);
	CHECK(harness_request(&H, &req, sizeof(req)) == VDMABUF_S_EINVAL);
	harness_pointer(&req, &id, 1, 0, 0, 0);
	req.reserved[1] = htole32(1);
	CHECK(harness_request(&H, &req, sizeof(req)) == VDMABUF_S_EINVAL);
	CHECK(pointer(&H, &id, 1, 0, 0, VDMABUF_CONSTRAINT_CONFINED + 1) == VDMABUF_S_EINVAL);
	CHECK(pointer(&H, NULL, 1, 0, 0, 3) == VDMABUF_S_EINVAL);
	CHECK(pointer(&H, &id, 1, 64, 0, 0) == VDMABUF_S_EINVAL);	/* hotspot */
	CHECK(pointer(&H, &id, 1, 0, 64, 0) == VDMABUF_S_EINVAL);
	other = id;
	other.device ^= 1;
	CHECK(pointer(&H, &other, 1, 0, 0, 0) == VDMABUF_S_ENOENT);	/* other instance */
	other = id;
	other.key ^= 1;
	CHECK(pointer(&H, &other, 1, 0, 0, 0) == VDMABUF_S_ENOENT);	/* unknown */
	/* Nothing refused changed the pointer or reached a consumer. */
	CHECK(!harness_mail(&H.consumers[0], VDMABUF_MSG_POINTER));
	CHECK(H.model.stats.frames_total == 0 && H.model.stats.bad_requests == 11);

	/* A frame presented and not released cannot be the cursor... */
	CHECK(harness_command(&H, 0, VDMABUF_MSG_IMPORT, &id, 0, &reply) == 0);
	CHECK(present(&H, &id, 5) == VDMABUF_S_OK);
	CHECK(pointer(&H, &id, 6, 0, 0, 0) == VDMABUF_S_EBUSY);
	CHECK(harness_command(&H, 0, VDMABUF_MSG_RELEASE, &id, 5, &reply) == 0);
	CHECK(pointer(&H, &id, 6, 63, 63, 0) == VDMABUF_S_OK);
	/* ...nor the cursor a frame, nor named with a new serial. */
	CHECK(present(&H, &id, 7) == VDMABUF_S_EBUSY);
	CHECK(pointer(&H, &id, 7, 0, 0, 0) == VDMABUF_S_EBUSY);
	cursor = id;
	/* An unexported one is unknown. */
	id = harness_new_buffer(&H);
	CHECK(unexport(&H, &id) == VDMABUF_S_OK);
	CHECK(pointer(&H, &id, 1, 0, 0, 0) == VDMABUF_S_ENOENT);
	/* An id from before a reset is another instance's. */
	vdmabuf_model_reset(&H.model);
	vdmabuf_model_start(&H.model, ALL_FEATURES, NULL);
	CHECK(pointer(&H, &cursor, 1, 0, 0, 0) == VDMABUF_S_ENOENT);
	CHECK_MODEL(&H);
	harness_finish(&H);
}

static void test_pointer(void)
{
	struct harness_consumer *c0, *c1, *late;
	const struct vdmabuf_consumer_msg *msg;
	const struct vdmabuf_event *ev;
	struct vdmabuf_consumer_msg reply;
	struct vdmabuf_id a, b;
	uint64_t cursors;

	harness_init(&H, NULL, ALL_FEATURES);
	harness_post_events(&H, 64);
	c0 = harness_attach(&H, 0);
	c1 = harness_attach(&H, 1);
	a = harness_new_buffer(&H);
	b = harness_new_buffer(&H);
	CHECK(harness_command(&H, 0, VDMABUF_MSG_IMPORT, &a, 0, &reply) == 0);
	CHECK(harness_command(&H, 0, VDMABUF_MSG_IMPORT, &b, 0, &reply) == 0);

	/* Presented on the cursor plane: every consumer told, the importer owes it. */
	CHECK(pointer(&H, &a, 10, 3, 5, VDMABUF_CONSTRAINT_NONE) == VDMABUF_S_OK);
	CHECK(le64(H.reply.id.key) == a.key);			/* echoed */
	msg = harness_mail(c1, VDMABUF_MSG_POINTER);
	CHECK(msg && msg->id.key == a.key && msg->id.device == a.device &&
	      msg->u.pointer.serial == 10 && msg->u.pointer.flags == VDMABUF_POINTER_IMAGE &&
	      msg->u.pointer.hotspot_x == 3 && msg->u.pointer.hotspot_y == 5 &&
	      msg->u.pointer.constraint == VDMABUF_CONSTRAINT_NONE);
	CHECK(harness_mail(c0, VDMABUF_MSG_POINTER) && !harness_mail(c0, VDMABUF_MSG_FRAME));
	/* A cursor image, counted as one and not as a frame. */
	CHECK(H.model.stats.cursors_total == 1 && H.model.stats.frames_total == 0);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_RELEASE) == 0);
	/* Named again with its serial: a new hotspot and constraint, still owed once. */
	CHECK(pointer(&H, &a, 10, 1, 1, VDMABUF_CONSTRAINT_CONFINED) == VDMABUF_S_OK);
	msg = harness_mail(c0, VDMABUF_MSG_POINTER);
	CHECK(msg && msg->u.pointer.hotspot_x == 1 &&
	      msg->u.pointer.constraint == VDMABUF_CONSTRAINT_CONFINED);
	CHECK(H.model.stats.cursors_total == 1);
	/* A consumer that comes is told after the buffers; it owes nothing. */
	late = harness_attach(&H, 2);
	CHECK(late->num_mail == 4 && late->mail[1].type == VDMABUF_MSG_BUFFER &&
	      late->mail[2].type == VDMABUF_MSG_BUFFER &&
	      late->mail[3].type == VDMABUF_MSG_POINTER && late->mail[3].id.key == a.key &&
	      late->mail[3].u.pointer.constraint == VDMABUF_CONSTRAINT_CONFINED);
	CHECK(harness_command(&H, 2, VDMABUF_MSG_IMPORT, &a, 0, &reply) == 0);
	CHECK(harness_command(&H, 2, VDMABUF_MSG_RELEASE, &a, 10, &reply) == -EALREADY);
	/* Another image: the consumers let the previous one go, as a frame. */
	CHECK(pointer(&H, &b, 11, 0, 0, VDMABUF_CONSTRAINT_NONE) == VDMABUF_S_OK);
	CHECK(harness_mail(c1, VDMABUF_MSG_POINTER)->id.key == b.key);
	CHECK(harness_command(&H, 0, VDMABUF_MSG_RELEASE, &a, 9, &reply) == -EALREADY);
	CHECK(harness_command(&H, 0, VDMABUF_MSG_RELEASE, &a, 10, &reply) == 0);
	ev = harness_last_event(&H, VDMABUF_EVENT_RELEASE);
	CHECK(ev && le64(ev->u.release.id.key) == a.key && le64(ev->u.release.frame) == 10);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_RELEASE) == 1);
	/* The released image may be a frame again, or the cursor again. */
	CHECK(pointer(&H, &a, 12, 0, 0, 0) == VDMABUF_S_OK);
	/* A consumer that goes settles what it owed: b is released. */
	harness_detach(&H, 0);
	ev = harness_last_event(&H, VDMABUF_EVENT_RELEASE);
	CHECK(ev && le64(ev->u.release.id.key) == b.key && le64(ev->u.release.frame) == 11);
	/* a (serial 12) was owed by consumer 2 only; it drops the import. */
	CHECK(harness_command(&H, 2, VDMABUF_MSG_DROP, &a, 0, &reply) == 0);
	ev = harness_last_event(&H, VDMABUF_EVENT_RELEASE);
	CHECK(ev && le64(ev->u.release.id.key) == a.key && le64(ev->u.release.frame) == 12);
	CHECK_MODEL(&H);

	/* With no importer the image comes back at once, not presented. */
	cursors = H.model.stats.cursors_total;
	CHECK(pointer(&H, &b, 13, 0, 0, 0) == VDMABUF_S_OK);
	ev = harness_last_event(&H, VDMABUF_EVENT_RELEASE);
	CHECK(ev && le64(ev->u.release.id.key) == b.key && le64(ev->u.release.frame) == 13 &&
	      ev->u.release.flags == 0);
	CHECK(H.model.stats.cursors_total == cursors + 1 && H.model.stats.frames_total == 0);
	/* No image: no cursor; the constraint alone is state too. */
	CHECK(pointer(&H, NULL, 0, 0, 0, VDMABUF_CONSTRAINT_LOCKED) == VDMABUF_S_OK);
	msg = harness_mail(c1, VDMABUF_MSG_POINTER);
	CHECK(msg && msg->u.pointer.flags == 0 && msg->id.key == 0 &&
	      msg->u.pointer.constraint == VDMABUF_CONSTRAINT_LOCKED);
	late = harness_attach(&H, 0);
	msg = harness_mail(late, VDMABUF_MSG_POINTER);
	CHECK(msg && msg->u.pointer.constraint == VDMABUF_CONSTRAINT_LOCKED);
	CHECK(pointer(&H, NULL, 0, 0, 0, VDMABUF_CONSTRAINT_NONE) == VDMABUF_S_OK);
	late = harness_attach(&H, 3);
	CHECK(!harness_mail(late, VDMABUF_MSG_POINTER));	/* nothing to tell */
	CHECK_MODEL(&H);

	/* The cursor image unexported: as a presented frame, and no cursor. */
	CHECK(harness_command(&H, 1, VDMABUF_MSG_IMPORT, &b, 0, &reply) == 0);
	CHECK(pointer(&H, &b, 14, 0, 0, VDMABUF_CONSTRAINT_CONFINED) == VDMABUF_S_OK);
	ev = harness_last_event(&H, VDMABUF_EVENT_RELEASE);
	CHECK(le64(ev->u.release.frame) == 13);
	c1->num_mail = 0;
	CHECK(unexport(&H, &b) == VDMABUF_S_OK);
	CHECK(c1->num_mail == 2 && c1->mail[0].type == VDMABUF_MSG_GONE &&
	      c1->mail[1].type == VDMABUF_MSG_POINTER && c1->mail[1].u.pointer.flags == 0 &&
	      c1->mail[1].u.pointer.constraint == VDMABUF_CONSTRAINT_CONFINED);
	CHECK(harness_command(&H, 1, VDMABUF_MSG_RELEASE, &b, 14, &reply) == -EALREADY);
	CHECK(harness_command(&H, 1, VDMABUF_MSG_DROP, &b, 0, &reply) == 0);
	CHECK(harness_last_event(&H, VDMABUF_EVENT_RETIRED) &&
	      le64(harness_last_event(&H, VDMABUF_EVENT_RETIRED)->u.retired.id.key) == b.key);
	ev = harness_last_event(&H, VDMABUF_EVENT_RELEASE);
	CHECK(le64(ev->u.release.frame) == 13);			/* none for 14 */
	CHECK_MODEL(&H);

	/* Reset: no RELEASE; consumers get RESET, then no pointer at all. */
	CHECK(harness_command(&H, 1, VDMABUF_MSG_IMPORT, &a, 0, &reply) == 0);
	CHECK(pointer(&H, &a, 15, 0, 0, VDMABUF_CONSTRAINT_LOCKED) == VDMABUF_S_OK);
	H.num_events = 0;
	c1->num_mail = 0;
	vdmabuf_model_reset(&H.model);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_RELEASE) == 0);
	CHECK(c1->num_mail == 2 && c1->mail[0].type == VDMABUF_MSG_RESET &&
	      c1->mail[1].type == VDMABUF_MSG_POINTER && c1->mail[1].u.pointer.flags == 0 &&
	      c1->mail[1].u.pointer.constraint == VDMABUF_CONSTRAINT_NONE);
	CHECK(!H.model.pointer.flags && !H.model.pointer.constraint);
	vdmabuf_model_start(&H.model, ALL_FEATURES, NULL);
	late = harness_attach(&H, 4);
	CHECK(!harness_mail(late, VDMABUF_MSG_POINTER));
	CHECK_MODEL(&H);
	harness_finish(&H);
}

static void test_revoke(void)
{
	struct vdmabuf_consumer_msg reply;
	struct vdmabuf_id id;

	harness_init(&H, NULL, 0);
	harness_post_events(&H, 8);
	harness_attach(&H, 0);
	id = harness_new_buffer(&H);
	CHECK(harness_command(&H, 0, VDMABUF_MSG_IMPORT, &id, 0, &reply) == 0);
	CHECK(H.revoked == 0);
	/* Revoked at UNEXPORT, though a consumer still holds it. */
	CHECK(unexport(&H, &id) == VDMABUF_S_OK);
	CHECK(H.revoked == 1);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_RETIRED) == 0);
	/* Dropped, but a host device still maps the pages: not retired. */
	H.imports_busy = true;
	CHECK(harness_command(&H, 0, VDMABUF_MSG_DROP, &id, 0, &reply) == 0);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_RETIRED) == 0);
	CHECK(H.live_imports == 1 && H.model.num_held == 1);
	vdmabuf_model_imports_idle(&H.model);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_RETIRED) == 0);
	/* The device let go: retired, the import ended. */
	H.imports_busy = false;
	vdmabuf_model_imports_idle(&H.model);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_RETIRED) == 1);
	CHECK(H.live_imports == 0 && H.model.num_held == 0);
	CHECK(unexport(&H, &id) == VDMABUF_S_ENOENT);
	CHECK_MODEL(&H);
	harness_finish(&H);
}

static void test_deadline(void)
{
	struct vdmabuf_consumer_msg reply;
	struct harness_consumer *c0, *c1;
	struct vdmabuf_id a, b;
	uint64_t t;

	harness_init(&H, NULL, 0);
	harness_post_events(&H, 64);
	c0 = harness_attach(&H, 0);
	c1 = harness_attach(&H, 1);
	a = harness_new_buffer(&H);
	b = harness_new_buffer(&H);
	for (unsigned int i = 0; i < 2; i++) {
		CHECK(harness_command(&H, i, VDMABUF_MSG_IMPORT, &a, 0, &reply) == 0);
		CHECK(harness_command(&H, i, VDMABUF_MSG_IMPORT, &b, 0, &reply) == 0);
	}
	/* The latest frame may be kept however long: no timer. */
	CHECK(present(&H, &a, 1) == VDMABUF_S_OK);
	H.clock_ns += 10 * VDMABUF_MODEL_RELEASE_DEADLINE_NS;
	CHECK(H.timer_ns == 0);
	vdmabuf_model_timer(&H.model);
	CHECK(!c0->disconnected && !c1->disconnected);
	/* A newer one shown: frame 1 is due within the deadline. */
	t = H.clock_ns;
	CHECK(present(&H, &b, 2) == VDMABUF_S_OK);
	CHECK(H.timer_ns > t && H.timer_ns <= H.clock_ns + VDMABUF_MODEL_RELEASE_DEADLINE_NS);
	CHECK(harness_command(&H, 0, VDMABUF_MSG_RELEASE, &a, 1, &reply) == 0);
	vdmabuf_model_timer(&H.model);				/* early: nothing */
	CHECK(!c0->disconnected && !c1->disconnected);
	CHECK(H.timer_ns > H.clock_ns);				/* armed again */
	H.clock_ns += VDMABUF_MODEL_RELEASE_DEADLINE_NS;
	vdmabuf_model_timer(&H.model);
	CHECK(!c0->disconnected && c1->disconnected);
	/* Asked once; the engine's detach releases what it owed. */
	c1->disconnected = false;
	vdmabuf_model_timer(&H.model);
	CHECK(!c1->disconnected);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_RELEASE) == 0);
	harness_detach(&H, 1);
	CHECK(harness_count_events(&H, VDMABUF_EVENT_RELEASE) == 1);
	CHECK(H.model.stats.consumers_late == 1);
	CHECK_MODEL(&H);
	harness_finish(&H);
}

int main(void)
{
	test_any_request();
	test_export_checks();
	test_export_limits();
	test_pinned();
	test_export_import_fails();
	test_present_checks();
	test_outputs();
	test_async_present();
	test_unexport_checks();
	test_unusable_chains();
	test_ids();
	test_life();
	test_damage();
	test_timing();
	test_revoke();
	test_deadline();
	test_reset();
	test_consumers();
	test_events();
	test_budget();
	test_seat();
	test_input_backlog();
	test_formats();
	test_pointer_checks();
	test_pointer();
	if (failures) {
		fprintf(stderr, "test-model: %d checks failed\n", failures);
		return 1;
	}
	printf("test-model: all checks passed\n");
	return 0;
}
