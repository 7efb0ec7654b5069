/* SPDX-License-Identifier: MIT */
#ifndef VDMABUF_BUFFER_H
#define VDMABUF_BUFFER_H

#include <stdbool.h>
#include <stdint.h>

#include "list.h"
#include "vdmabuf_consumer.h"
#include "vdmabuf_proto.h"

struct guest_memory;

/*
 * A guest buffer between EXPORT and RETIRED. Consumers are slots 0..63 in
 * the bitmasks; a buffer retires when it is unexported and no consumer
 * holds an import.
 */
struct buffer {
	struct list link;		/* vdmabuf_device.buffers */
	struct vdmabuf_id id;
	struct vdmabuf_msg_buffer desc;
	int dmabuf_fd;			/* the host dmabuf (udmabuf) */
	bool unexported;		/* GONE sent, waiting for imports to go */
	uint64_t importers;		/* consumer slots holding an import */
	/* A PRESENT waiting for its RELEASE. */
	bool presented;
	uint64_t frame;
	uint64_t owed;			/* slots that got FRAME, not yet released */
	struct vdmabuf_msg_release timing;	/* best report so far */
};

/*
 * Builds the host dmabuf of an EXPORT from guest memory: every extent is
 * checked against guest RAM and becomes memfd ranges of one
 * UDMABUF_CREATE_LIST, so the host dmabuf is the guest's pages. Returns a
 * VDMABUF_S_* status; on success *buffer is new and owns its dmabuf fd.
 */
uint32_t buffer_create(const struct guest_memory *mem, int udmabuf_dev,
		       const struct vdmabuf_export *req,
		       const struct vdmabuf_extent *extents, uint32_t max_items,
		       struct buffer **buffer);
void buffer_destroy(struct buffer *buffer);

#endif
