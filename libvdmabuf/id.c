// SPDX-License-Identifier: MIT
#include <stdio.h>

#include "vdmabuf.h"

bool vdmabuf_id_equal(const struct vdmabuf_id *a, const struct vdmabuf_id *b)
{
	return a->device == b->device && a->key == b->key;
}

char *vdmabuf_id_format(const struct vdmabuf_id *id, char buf[34])
{
	snprintf(buf, 34, "%016llx:%016llx", (unsigned long long)id->device,
		 (unsigned long long)id->key);
	return buf;
}
