/* SPDX-License-Identifier: MIT */
#ifndef VDMABUF_GUEST_MEMORY_H
#define VDMABUF_GUEST_MEMORY_H

#include <stdint.h>

/* Enough for any q35 layout; QEMU is told this through GET_MAX_MEM_SLOTS. */
#define GUEST_MEMORY_MAX_REGIONS 32

/*
 * One region of guest RAM as the vhost-user frontend shares it: an fd (a
 * memfd for memory-backend-memfd), mapped here so rings can be read, and
 * kept open so host dmabufs can be built from it without a copy.
 */
struct guest_region {
	uint64_t gpa;		/* guest physical start */
	uint64_t size;
	uint64_t uva;		/* the frontend's virtual address of gpa */
	uint64_t fd_offset;	/* offset of gpa within fd */
	uint8_t *host;		/* our mapping of gpa */
	void *map;
	size_t map_size;
	int fd;
};

struct guest_memory {
	struct guest_region regions[GUEST_MEMORY_MAX_REGIONS];
	unsigned int num_regions;
};

void guest_memory_init(struct guest_memory *mem);
/* Takes ownership of fd, also on failure. Returns 0 or -errno. */
int guest_memory_add(struct guest_memory *mem, uint64_t gpa, uint64_t size,
		     uint64_t uva, uint64_t fd_offset, int fd);
int guest_memory_remove(struct guest_memory *mem, uint64_t gpa, uint64_t size);
void guest_memory_clear(struct guest_memory *mem);

/*
 * Translations of [addr, addr + len) that lies wholly inside one region;
 * NULL when any byte of it is outside guest RAM or the range wraps.
 */
void *guest_memory_gpa(const struct guest_memory *mem, uint64_t gpa, uint64_t len);
void *guest_memory_uva(const struct guest_memory *mem, uint64_t uva, uint64_t len);
const struct guest_region *guest_memory_find(const struct guest_memory *mem,
					     uint64_t gpa, uint64_t len);

#endif
