/* SPDX-License-Identifier: MIT */
/* What both native benchmarks time with: one clock, one order of samples. */
#ifndef VDMABUF_BENCH_NATIVE_CLOCK_H
#define VDMABUF_BENCH_NATIVE_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/* qsort() order of uint64_t samples. */
static inline int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

#endif
