// SPDX-License-Identifier: MIT
/*
 * What the host imports (spec §18): the (fourcc, modifier) pairs the host's
 * consumers reported, as the device last said. The outputs' buffers are
 * allocated within them, with LINEAR 32-bit RGB beside them as the
 * fallback every importer takes; a client's buffer is scanned out only in
 * one of them. A host that states nothing imports the fallback.
 */
#include <inttypes.h>
#include <drm_fourcc.h>
#include <wlr/util/log.h>

#include "backend.h"

static const uint32_t fallback_formats[] = {
	DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888, DRM_FORMAT_XBGR8888, DRM_FORMAT_ABGR8888,
};

static void add_fallback(struct wlr_drm_format_set *set)
{
	for (size_t i = 0; i < sizeof(fallback_formats) / sizeof(fallback_formats[0]); i++)
		wlr_drm_format_set_add(set, fallback_formats[i], DRM_FORMAT_MOD_LINEAR);
}

/* The host's pairs, or the fallback if it states none; false: no memory. */
bool vdmabuf_host_formats_set(struct vdmabuf_backend *backend,
			      const struct vdmabuf_format *formats, uint32_t count)
{
	struct wlr_drm_format_set host = { 0 }, primary = { 0 };
	size_t tiled = 0;

	for (uint32_t i = 0; i < count; i++) {
		if (!wlr_drm_format_set_add(&host, formats[i].fourcc, formats[i].modifier) ||
		    !wlr_drm_format_set_add(&primary, formats[i].fourcc, formats[i].modifier))
			goto err;
		tiled += formats[i].modifier != DRM_FORMAT_MOD_LINEAR;
	}
	if (!count)
		add_fallback(&host);
	add_fallback(&primary);
	wlr_drm_format_set_finish(&backend->host_formats);
	wlr_drm_format_set_finish(&backend->primary_formats);
	backend->host_formats = host;
	backend->primary_formats = primary;
	if (!backend->producer)
		return true;	/* the defaults, before the device said anything */
	if (count)
		wlr_log(WLR_INFO, "vdmabuf: host imports %u format/modifier pairs "
			"(%zu not LINEAR) in %zu formats", count, tiled, host.len);
	else
		wlr_log(WLR_INFO, "vdmabuf: host states no formats: LINEAR 32-bit RGB");
	return true;

err:
	wlr_drm_format_set_finish(&host);
	wlr_drm_format_set_finish(&primary);
	wlr_log(WLR_ERROR, "vdmabuf: no memory for the host's %u formats", count);
	return false;
}

void vdmabuf_host_formats_finish(struct vdmabuf_backend *backend)
{
	wlr_drm_format_set_finish(&backend->host_formats);
	wlr_drm_format_set_finish(&backend->primary_formats);
}

bool vdmabuf_host_can_import(const struct vdmabuf_backend *backend,
			     const struct wlr_dmabuf_attributes *attr)
{
	return attr->n_planes == 1 &&
	       wlr_drm_format_set_has(&backend->host_formats, attr->format, attr->modifier);
}
