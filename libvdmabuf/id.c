// SPDX-License-Identifier: MIT
#include <stdio.h>

#include "vdmabuf.h"

bool vdmabuf_id_equal(const struct vdmabuf_id *a, const struct vdmabuf_id *b)
{
	return a->device == b->device && a->key == b->key;
}

char *vdmabuf_id_format(const struct vdmabuf_id *id, char buf[VDMABUF_ID_STRLEN])
{
	snprintf(buf, VDMABUF_ID_STRLEN, "%016llx:%016llx",
		 (unsigned long long)id->device, (unsigned long long)id->key);
	return buf;
}
