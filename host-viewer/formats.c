// SPDX-License-Identifier: MIT
/*
 * Which (format, modifier) pairs the host compositor imports: from the
 * default dmabuf feedback's format table and tranches (version 4), or from
 * the modifier events of older compositors (version 3); and telling the
 * guest, through the daemon, so that it allocates within them (spec §18).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "viewer.h"

struct format_table_entry {
	uint32_t format;
	uint32_t pad;
	uint64_t modifier;
};

struct feedback {
	struct viewer *viewer;
	struct format_table_entry *table;
	size_t table_size;
};

static void add(struct format_set *set, uint32_t format, uint64_t modifier)
{
	if (formats_allow(set, format, modifier))
		return;
	if (set->len == set->cap) {
		unsigned int cap = set->cap ? set->cap * 2 : 64;
		void *pairs = realloc(set->pairs, cap * sizeof(set->pairs[0]));

		if (!pairs)
			return;
		set->pairs = pairs;
		set->cap = cap;
	}
	set->pairs[set->len].format = format;
	set->pairs[set->len].modifier = modifier;
	set->len++;
}

bool formats_allow(const struct format_set *set, uint32_t format, uint64_t modifier)
{
	for (unsigned int i = 0; i < set->len; i++)
		if (set->pairs[i].format == format && set->pairs[i].modifier == modifier)
			return true;
	return false;
}

void formats_finish(struct format_set *set)
{
	free(set->pairs);
	*set = (struct format_set){ 0 };
}

static void feedback_done(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb)
{
	struct feedback *feedback = data;

	feedback->viewer->formats_done = true;
	if (feedback->table)
		munmap(feedback->table, feedback->table_size);
	zwp_linux_dmabuf_feedback_v1_destroy(fb);
	free(feedback);
}

static void feedback_format_table(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb,
				  int32_t fd, uint32_t size)
{
	struct feedback *feedback = data;
	void *table = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);

	close(fd);
	if (table == MAP_FAILED)
		return;
	feedback->table = table;
	feedback->table_size = size;
}

static void feedback_main_device(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb,
				 struct wl_array *device)
{
}

static void feedback_tranche_done(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb)
{
}

static void feedback_tranche_target_device(void *data,
					   struct zwp_linux_dmabuf_feedback_v1 *fb,
					   struct wl_array *device)
{
}

static void feedback_tranche_formats(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb,
				     struct wl_array *indices)
{
	struct feedback *feedback = data;
	size_t entries = feedback->table_size / sizeof(struct format_table_entry);
	uint16_t *index;

	if (!feedback->table)
		return;
	wl_array_for_each(index, indices)
		if (*index < entries)
			add(&feedback->viewer->formats, feedback->table[*index].format,
			    feedback->table[*index].modifier);
}

static void feedback_tranche_flags(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb,
				   uint32_t flags)
{
}

static const struct zwp_linux_dmabuf_feedback_v1_listener feedback_listener = {
	.done = feedback_done,
	.format_table = feedback_format_table,
	.main_device = feedback_main_device,
	.tranche_done = feedback_tranche_done,
	.tranche_target_device = feedback_tranche_target_device,
	.tranche_formats = feedback_tranche_formats,
	.tranche_flags = feedback_tranche_flags,
};

static void dmabuf_format(void *data, struct zwp_linux_dmabuf_v1 *dmabuf, uint32_t format)
{
}

static void dmabuf_modifier(void *data, struct zwp_linux_dmabuf_v1 *dmabuf, uint32_t format,
			    uint32_t hi, uint32_t lo)
{
	struct viewer *viewer = data;

	add(&viewer->formats, format, (uint64_t)hi << 32 | lo);
}

static const struct zwp_linux_dmabuf_v1_listener dmabuf_listener = {
	.format = dmabuf_format,
	.modifier = dmabuf_modifier,
};

void formats_listen(struct viewer *viewer)
{
	struct feedback *feedback;

	if (zwp_linux_dmabuf_v1_get_version(viewer->dmabuf) <
	    ZWP_LINUX_DMABUF_V1_GET_DEFAULT_FEEDBACK_SINCE_VERSION) {
		/* Version 3: the modifier events come before the next roundtrip. */
		zwp_linux_dmabuf_v1_add_listener(viewer->dmabuf, &dmabuf_listener, viewer);
		viewer->formats_done = true;
		return;
	}
	feedback = calloc(1, sizeof(*feedback));
	if (!feedback)
		return;
	feedback->viewer = viewer;
	zwp_linux_dmabuf_feedback_v1_add_listener(
		zwp_linux_dmabuf_v1_get_default_feedback(viewer->dmabuf),
		&feedback_listener, feedback);
}

/*
 * The guest hears what the host compositor imports. Implicit modifiers
 * (DRM_FORMAT_MOD_INVALID) mean a layout only this machine's driver knows,
 * and the shm copy takes anything: neither narrows what the guest may use.
 */
void formats_report(struct viewer *viewer)
{
	struct vdmabuf_format *list;
	uint32_t n = 0;
	int err;

	if (viewer->force_shm || !viewer->dmabuf || !viewer->formats.len)
		return;
	list = calloc(VDMABUF_MAX_FORMATS, sizeof(*list));
	if (!list)
		return;
	for (unsigned int i = 0; i < viewer->formats.len && n < VDMABUF_MAX_FORMATS; i++)
		if (viewer->formats.pairs[i].modifier != VDMABUF_FORMAT_MOD_INVALID)
			list[n++] = (struct vdmabuf_format){
				.fourcc = viewer->formats.pairs[i].format,
				.modifier = viewer->formats.pairs[i].modifier,
			};
	if (n < viewer->formats.len)
		fprintf(stderr, "vdmabuf-viewer: %u of %u dmabuf formats not told to the guest "
			"(implicit modifier, or over %u)\n", viewer->formats.len - n,
			viewer->formats.len, VDMABUF_MAX_FORMATS);
	err = n ? vdmabuf_consumer_formats(viewer->consumer, list, n) : 0;
	if (err < 0)
		fprintf(stderr, "vdmabuf-viewer: telling the guest our formats: %s\n",
			strerror(-err));
	else if (n)
		fprintf(stderr, "vdmabuf-viewer: told the guest of %u format/modifier pairs\n", n);
	free(list);
}
