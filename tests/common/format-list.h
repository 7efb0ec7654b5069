/* SPDX-License-Identifier: MIT */
/*
 * A list of (fourcc, modifier) pairs as the tests' consumers take it on
 * their command line, "XR24:0x0,AB24:0x0100000000000001", for
 * vdmabuf_consumer_formats().
 */
#ifndef VDMABUF_TEST_FORMAT_LIST_H
#define VDMABUF_TEST_FORMAT_LIST_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vdmabuf_format.h"

/* Fills list (room for VDMABUF_MAX_FORMATS): 0 or -EINVAL. */
static inline int format_list_parse(const char *text, struct vdmabuf_format *list,
				    uint32_t *count)
{
	const char *p = text;

	for (*count = 0; *p; (*count)++) {
		char *end;

		if (*count == VDMABUF_MAX_FORMATS || strlen(p) < 6 || p[4] != ':')
			return -EINVAL;
		list[*count] = (struct vdmabuf_format){
			.fourcc = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
				  (uint32_t)p[3] << 24,
			.modifier = strtoull(p + 5, &end, 0),
		};
		if (end == p + 5 || (*end && *end != ','))
			return -EINVAL;
		p = *end ? end + 1 : end;
	}
	return 0;
}

#endif
