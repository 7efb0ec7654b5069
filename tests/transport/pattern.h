/* SPDX-License-Identifier: MIT */
/*
 * The bytes a test producer writes for a frame and a test consumer
 * expects. The first PATTERN_MARKER bytes are the host's: after checking
 * frame f the consumer writes ~f there through its own mapping, and the
 * producer reads it back from its mapping of the same pages.
 */
#ifndef VDMABUF_TEST_PATTERN_H
#define VDMABUF_TEST_PATTERN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PATTERN_MARKER 8

static inline uint8_t pattern_byte(uint64_t frame, size_t offset)
{
	return (uint8_t)((offset >> 2) * 31 + frame * 7 + (offset & 3) + (offset >> 12));
}

static inline void pattern_fill(uint8_t *p, size_t size, uint64_t frame)
{
	for (size_t i = PATTERN_MARKER; i < size; i++)
		p[i] = pattern_byte(frame, i);
}

/* Returns the number of bytes that differ from frame's pattern. */
static inline size_t pattern_check(const uint8_t *p, size_t size, uint64_t frame,
				   size_t *first_bad)
{
	size_t bad = 0;

	for (size_t i = PATTERN_MARKER; i < size; i++) {
		if (p[i] != pattern_byte(frame, i)) {
			if (!bad && first_bad)
				*first_bad = i;
			bad++;
		}
	}
	return bad;
}

static inline void pattern_mark(uint8_t *p, uint64_t frame)
{
	uint64_t marker = ~frame;

	memcpy(p, &marker, sizeof(marker));
}

static inline int pattern_marked(const uint8_t *p, uint64_t frame)
{
	uint64_t marker;

	memcpy(&marker, p, sizeof(marker));
	return marker == ~frame;
}

#endif
