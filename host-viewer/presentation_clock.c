// SPDX-License-Identifier: MIT
/*
 * The host compositor's presentation clock, whichever wp_presentation
 * announces, and its times moved to CLOCK_MONOTONIC: a RELEASE carries
 * present_ns on the host's CLOCK_MONOTONIC (spec §6.9, §10.2), the clock
 * the daemon stamps sent_ns with and the guest's driver maps to its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "viewer.h"

/* Bracketed reads per conversion; the narrowest bracket wins. */
#define OFFSET_SAMPLES 3

static uint64_t timespec_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

const char *presentation_clock_name(const struct presentation_clock *clock)
{
	if (!clock)
		return "none";
	switch (clock->id) {
	case CLOCK_MONOTONIC:
		return "MONOTONIC";
	case CLOCK_MONOTONIC_RAW:
		return "MONOTONIC_RAW";
	case CLOCK_REALTIME:
		return "REALTIME";
	case CLOCK_BOOTTIME:
		return "BOOTTIME";
	case CLOCK_TAI:
		return "TAI";
	default:
		return clock->number;
	}
}

struct presentation_clock *presentation_clock_create(uint32_t clock_id)
{
	struct presentation_clock *clock = calloc(1, sizeof(*clock));
	struct timespec ts;

	if (!clock)
		return NULL;
	clock->id = (clockid_t)clock_id;
	snprintf(clock->number, sizeof(clock->number), "%u", clock_id);
	clock->readable = clock_gettime(clock->id, &ts) == 0;
	if (!clock->readable)
		fprintf(stderr, "vdmabuf-viewer: warning: presentation clock %s unreadable: "
			"frames go back to the guest without their time\n",
			presentation_clock_name(clock));
	else if (clock->id != CLOCK_MONOTONIC)
		fprintf(stderr, "vdmabuf-viewer: presentation times on %s, converted to "
			"MONOTONIC\n", presentation_clock_name(clock));
	return clock;
}

void presentation_clock_destroy(struct presentation_clock *clock)
{
	free(clock);
}

/*
 * The offset between the clocks is sampled at every conversion: read the
 * clock, MONOTONIC, the clock again; MONOTONIC was read somewhere inside
 * that bracket, so taking its middle errs by at most half its width (the
 * narrowest of OFFSET_SAMPLES, typically well under a microsecond: nine
 * vDSO reads a frame). The time converted is a few milliseconds old when
 * its feedback comes; MONOTONIC's rate differs from MONOTONIC_RAW's by
 * NTP's slew, at most 500 ppm, so that age adds at most 0.05% of it
 * (5 us for 10 ms). A clock that steps (REALTIME) converts at the offset
 * of now. max_error_ns keeps the largest half bracket seen.
 */
uint64_t presentation_clock_to_monotonic(struct presentation_clock *clock, uint64_t ns)
{
	struct timespec a, m, b;
	uint64_t width, best = UINT64_MAX;
	int64_t offset = 0, t;

	if (!clock || !clock->readable || !ns)
		return 0;
	if (clock->id == CLOCK_MONOTONIC)
		return ns;
	for (int i = 0; i < OFFSET_SAMPLES; i++) {
		if (clock_gettime(clock->id, &a) < 0 || clock_gettime(CLOCK_MONOTONIC, &m) < 0 ||
		    clock_gettime(clock->id, &b) < 0)
			return 0;
		width = timespec_ns(&b) - timespec_ns(&a);
		if (width < best) {
			best = width;
			offset = (int64_t)(timespec_ns(&m) - (timespec_ns(&a) + width / 2));
		}
	}
	if (best / 2 + 1 > clock->max_error_ns)
		clock->max_error_ns = best / 2 + 1;
	t = (int64_t)ns + offset;
	return t > 0 ? (uint64_t)t : 0;
}
