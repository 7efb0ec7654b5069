/* SPDX-License-Identifier: MIT */
#ifndef VDMABUF_UDMABUF_IMPORT_H
#define VDMABUF_UDMABUF_IMPORT_H

#include <stdint.h>

#include "vdmabuf_proto.h"

struct guest_memory;

/*
 * Builds the host dmabuf of a checked EXPORT from guest memory: every
 * extent is checked against guest RAM and becomes memfd ranges of one
 * UDMABUF_CREATE_LIST, so the host dmabuf is the guest's pages. Returns a
 * VDMABUF_S_* status; on success *dmabuf_fd is the new dmabuf and *size
 * the bytes it covers, else why_len bytes at why say why (the guest
 * causes it: the caller logs it rate-limited). udmabuf_dev < 0
 * (--bench-no-import): every check, no dmabuf (*dmabuf_fd is -1).
 */
uint32_t udmabuf_import_create(const struct guest_memory *mem, int udmabuf_dev,
			       const struct vdmabuf_export *req,
			       const struct vdmabuf_extent *extents, uint32_t max_items,
			       uint64_t *size, int *dmabuf_fd, char *why, size_t why_len);

#endif
