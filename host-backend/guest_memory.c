// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest_memory.h"
#include "log.h"

void guest_memory_init(struct guest_memory *mem)
{
	memset(mem, 0, sizeof(*mem));
}

static int range_ok(uint64_t addr, uint64_t len)
{
	return len && addr + len > addr;
}

static int region_overlaps(const struct guest_region *r, uint64_t gpa, uint64_t size)
{
	return gpa < r->gpa + r->size && r->gpa < gpa + size;
}

int guest_memory_add(struct guest_memory *mem, uint64_t gpa, uint64_t size,
		     uint64_t uva, uint64_t fd_offset, int fd)
{
	struct guest_region *r;
	void *map;
	uint64_t map_size;

	if (mem->num_regions == GUEST_MEMORY_MAX_REGIONS) {
		log_error("memory: more than %d regions", GUEST_MEMORY_MAX_REGIONS);
		close(fd);
		return -ENOSPC;
	}
	map_size = fd_offset + size;
	if (!range_ok(gpa, size) || !range_ok(uva, size) || map_size < size ||
	    map_size > SIZE_MAX) {
		log_error("memory: bad region gpa %#llx size %#llx",
			  (unsigned long long)gpa, (unsigned long long)size);
		close(fd);
		return -EINVAL;
	}
	/*
	 * Guest pages are handed on as whole host pages (udmabuf's ranges,
	 * the module's pins): a region whose pages do not start on a page
	 * of its fd could be read here but never imported.
	 */
	if ((gpa | size | fd_offset) & (uint64_t)(sysconf(_SC_PAGESIZE) - 1)) {
		log_error("memory: region gpa %#llx size %#llx at fd offset %#llx not page aligned",
			  (unsigned long long)gpa, (unsigned long long)size,
			  (unsigned long long)fd_offset);
		close(fd);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < mem->num_regions; i++) {
		if (region_overlaps(&mem->regions[i], gpa, size)) {
			log_error("memory: region at %#llx overlaps another",
				  (unsigned long long)gpa);
			close(fd);
			return -EINVAL;
		}
	}
	map = mmap(NULL, map_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		int err = -errno;

		log_error("memory: mmap of %#llx bytes: %s",
			  (unsigned long long)map_size, strerror(errno));
		close(fd);
		return err;
	}
	r = &mem->regions[mem->num_regions++];
	*r = (struct guest_region){
		.gpa = gpa, .size = size, .uva = uva, .fd_offset = fd_offset,
		.host = (uint8_t *)map + fd_offset, .map = map,
		.map_size = map_size, .fd = fd,
	};
	log_debug("memory: region gpa %#llx size %#llx", (unsigned long long)gpa,
		  (unsigned long long)size);
	return 0;
}

static void region_release(struct guest_region *r)
{
	munmap(r->map, r->map_size);
	close(r->fd);
}

int guest_memory_remove(struct guest_memory *mem, uint64_t gpa, uint64_t size)
{
	for (unsigned int i = 0; i < mem->num_regions; i++) {
		struct guest_region *r = &mem->regions[i];

		if (r->gpa != gpa || r->size != size)
			continue;
		region_release(r);
		mem->regions[i] = mem->regions[--mem->num_regions];
		return 0;
	}
	return -ENOENT;
}

void guest_memory_clear(struct guest_memory *mem)
{
	for (unsigned int i = 0; i < mem->num_regions; i++)
		region_release(&mem->regions[i]);
	mem->num_regions = 0;
}

const struct guest_region *guest_memory_find(const struct guest_memory *mem,
					     uint64_t gpa, uint64_t len)
{
	if (!range_ok(gpa, len))
		return NULL;
	for (unsigned int i = 0; i < mem->num_regions; i++) {
		const struct guest_region *r = &mem->regions[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size &&
		    len <= r->size - (gpa - r->gpa))
			return r;
	}
	return NULL;
}

void *guest_memory_gpa(const struct guest_memory *mem, uint64_t gpa, uint64_t len)
{
	const struct guest_region *r = guest_memory_find(mem, gpa, len);

	return r ? r->host + (gpa - r->gpa) : NULL;
}

void *guest_memory_uva(const struct guest_memory *mem, uint64_t uva, uint64_t len)
{
	if (!range_ok(uva, len))
		return NULL;
	for (unsigned int i = 0; i < mem->num_regions; i++) {
		const struct guest_region *r = &mem->regions[i];

		if (uva >= r->uva && uva - r->uva < r->size &&
		    len <= r->size - (uva - r->uva))
			return r->host + (uva - r->uva);
	}
	return NULL;
}
