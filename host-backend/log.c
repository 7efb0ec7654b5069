// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static const char *log_prog = "vdmabuf";
static enum log_level log_max = LOG_LEVEL_INFO;

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warning",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

void log_init(const char *prog, enum log_level level)
{
	log_prog = prog;
	log_max = level;
}

int log_level_parse(const char *name, enum log_level *level)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0 ||
		    (i == LOG_LEVEL_WARN && strcmp(name, "warn") == 0)) {
			*level = i;
			return 0;
		}
	}
	return -1;
}

void log_message(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_max)
		return;
	/* One fprintf per line so lines from a restart don't interleave. */
	char line[1024];
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s: %s\n", log_prog, level_names[level], line);
}
