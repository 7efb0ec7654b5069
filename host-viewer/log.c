// SPDX-License-Identifier: MIT
/* The viewer's clock and its rate-limited lines (what the other side can cause). */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "viewer.h"

#define LOG_LIMIT_WINDOW_USEC 5000000
#define LOG_LIMIT_LINES 10

uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void log_limited(struct log_limit *limit, const char *fmt, ...)
{
	uint64_t now = now_usec();
	va_list ap;

	if (now - limit->start_usec >= LOG_LIMIT_WINDOW_USEC) {
		limit->start_usec = now;
		limit->lines = 0;
	}
	if (limit->lines == LOG_LIMIT_LINES) {
		limit->suppressed++;
		return;
	}
	limit->lines++;
	fputs("vdmabuf-viewer: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (limit->suppressed)
		fprintf(stderr, " (%u more not logged)", limit->suppressed);
	fputc('\n', stderr);
	limit->suppressed = 0;
}
