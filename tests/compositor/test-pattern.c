// SPDX-License-Identifier: MIT
/* The known-frame pattern finds a frame whole, and finds one wrong pixel. */
#include <stdio.h>
#include <stdlib.h>

#include "frame-pattern.h"

int main(void)
{
	enum { W = 64, H = 48, BUF_W = 80, BUF_H = 50 };
	static uint32_t pixels[BUF_W * BUF_H];
	uint32_t n, w, h;
	size_t bad;

	frame_pattern_fill(pixels, BUF_W * 4, W, H, 1234);
	bad = frame_pattern_check(pixels, BUF_W * 4, BUF_W, BUF_H, &n, &w, &h);
	if (bad || n != 1234 || w != W || h != H) {
		fprintf(stderr, "whole frame: %zu bad, n=%u %ux%u\n", bad, n, w, h);
		return 1;
	}
	pixels[5 * BUF_W + 7] ^= 0x10;
	pixels[49 * BUF_W + 70] = 0x00ffffff;	/* outside the client: not black */
	bad = frame_pattern_check(pixels, BUF_W * 4, BUF_W, BUF_H, &n, &w, &h);
	if (bad != 2) {
		fprintf(stderr, "two wrong pixels: %zu found\n", bad);
		return 1;
	}
	if (frame_pattern_pixel(1, 0, 1) == frame_pattern_pixel(2, 0, 1)) {
		fprintf(stderr, "frames 1 and 2 look the same\n");
		return 1;
	}
	return 0;
}
