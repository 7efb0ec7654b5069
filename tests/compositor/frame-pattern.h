/* SPDX-License-Identifier: MIT */
/*
 * The known frames of the compositor and e2e suites, XRGB8888 (words
 * 0xXXRRGGBB, compared under FRAME_PATTERN_MASK). Row 0 starts with the
 * frame number and the size the client drew at; every other pixel of that
 * size is a hash of (frame, x, y); the rest of the output is the
 * compositor's black background. tests/e2e/screenshot-check.py holds the
 * same formula.
 */
#ifndef FRAME_PATTERN_H
#define FRAME_PATTERN_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_PATTERN_MASK 0x00ffffffu
#define FRAME_PATTERN_HEADER 3		/* pixels of row 0: n, width, height */

static inline uint32_t frame_pattern_pixel(uint32_t n, uint32_t x, uint32_t y)
{
	uint32_t v = n * 0x9e3779b1u ^ x * 0x85ebca6bu ^ y * 0xc2b2ae35u;

	v ^= v >> 15;
	v *= 0x2c1b3c6du;
	v ^= v >> 12;
	return v & FRAME_PATTERN_MASK;
}

static inline void frame_pattern_fill(uint32_t *pixels, size_t stride, uint32_t width,
				      uint32_t height, uint32_t n)
{
	for (uint32_t y = 0; y < height; y++) {
		uint32_t *row = (uint32_t *)((uint8_t *)pixels + y * stride);

		for (uint32_t x = 0; x < width; x++)
			row[x] = 0xff000000u | frame_pattern_pixel(n, x, y);
	}
	pixels[0] = 0xff000000u | (n & FRAME_PATTERN_MASK);
	pixels[1] = 0xff000000u | width;
	pixels[2] = 0xff000000u | height;
}

/*
 * Reads n and the drawn size from row 0 and counts the pixels of a
 * buf_width x buf_height image that are not frame n's: inside the drawn
 * size the pattern, outside it black.
 */
static inline size_t frame_pattern_check(const uint32_t *pixels, size_t stride,
					 uint32_t buf_width, uint32_t buf_height,
					 uint32_t *n, uint32_t *width, uint32_t *height)
{
	size_t bad = 0;

	if (buf_width < FRAME_PATTERN_HEADER || !buf_height)
		return (size_t)buf_width * buf_height + 1;
	*n = pixels[0] & FRAME_PATTERN_MASK;
	*width = pixels[1] & FRAME_PATTERN_MASK;
	*height = pixels[2] & FRAME_PATTERN_MASK;
	for (uint32_t y = 0; y < buf_height; y++) {
		const uint32_t *row = (const uint32_t *)((const uint8_t *)pixels + y * stride);

		for (uint32_t x = y ? 0 : FRAME_PATTERN_HEADER; x < buf_width; x++) {
			uint32_t want = x < *width && y < *height ?
				frame_pattern_pixel(*n, x, y) : 0;

			bad += (row[x] & FRAME_PATTERN_MASK) != want;
		}
	}
	return bad;
}

#endif
