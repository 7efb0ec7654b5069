// SPDX-License-Identifier: MIT
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <linux/udmabuf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "guest_memory.h"
#include "udmabuf_import.h"
#include "log.h"

/* Appends [fd offset, +len) to the list, merging with the last item. */
static bool add_item(struct udmabuf_create_list *list, uint32_t max_items,
		     int fd, uint64_t offset, uint64_t len)
{
	struct udmabuf_create_item *last = list->count ? &list->list[list->count - 1] : NULL;

	if (last && last->memfd == (uint32_t)fd && last->offset + last->size == offset) {
		last->size += len;
		return true;
	}
	if (list->count == max_items)
		return false;
	list->list[list->count++] = (struct udmabuf_create_item){
		.memfd = fd, .offset = offset, .size = len,
	};
	return true;
}

uint32_t udmabuf_import_create(const struct guest_memory *mem, int udmabuf_dev,
			      const struct vdmabuf_export *req,
			      const struct vdmabuf_extent *extents, uint32_t max_items,
			      uint64_t *size, int *dmabuf_fd, char *why, size_t why_len)
{
	uint32_t n = le32toh(req->num_extents);
	struct udmabuf_create_list *list;
	__u64 total = 0;
	uint32_t status;
	int fd;

	/*
	 * Splits at region ends add at most one item per region; sized to the
	 * request, not to the limit, so that a small buffer costs little.
	 */
	if ((uint64_t)n + mem->num_regions < max_items)
		max_items = n + mem->num_regions;
	list = calloc(1, sizeof(*list) + (size_t)max_items * sizeof(list->list[0]));
	if (!list)
		return VDMABUF_S_ENOMEM;
	list->flags = UDMABUF_FLAGS_CLOEXEC;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t addr = le64toh(extents[i].addr);
		uint64_t len = le64toh(extents[i].len);

		status = vdmabuf_check_extent(&extents[i], &total);
		if (status != VDMABUF_S_OK) {
			snprintf(why, why_len, "extent %u (%#llx+%#llx) malformed", i,
				 (unsigned long long)addr, (unsigned long long)len);
			goto out;
		}
		/* An extent may straddle two RAM regions: split it. */
		while (len) {
			const struct guest_region *r =
				guest_memory_find(mem, addr, VDMABUF_PAGE_SIZE);
			uint64_t chunk;

			if (!r) {
				snprintf(why, why_len, "extent %u at %#llx outside guest RAM", i,
					 (unsigned long long)addr);
				status = VDMABUF_S_ERANGE;
				goto out;
			}
			chunk = r->size - (addr - r->gpa);
			if (chunk > len)
				chunk = len;
			if (!add_item(list, max_items, r->fd,
				      r->fd_offset + (addr - r->gpa), chunk)) {
				snprintf(why, why_len, "more than %u memory ranges", max_items);
				status = VDMABUF_S_ENOSPC;
				goto out;
			}
			addr += chunk;
			len -= chunk;
		}
	}
	if (total != le64toh(req->size)) {
		snprintf(why, why_len, "extents cover %llu bytes, size is %llu",
			 (unsigned long long)total, (unsigned long long)le64toh(req->size));
		status = VDMABUF_S_EINVAL;
		goto out;
	}

	fd = udmabuf_dev < 0 ? -1 : ioctl(udmabuf_dev, UDMABUF_CREATE_LIST, list);
	if (fd < 0 && udmabuf_dev >= 0) {
		snprintf(why, why_len, "UDMABUF_CREATE_LIST of %u ranges: %s", list->count,
			 strerror(errno));
		status = VDMABUF_S_ENOMEM;
		goto out;
	}
	*dmabuf_fd = fd;
	*size = total;
	status = VDMABUF_S_OK;
out:
	free(list);
	return status;
}
