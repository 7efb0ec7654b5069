// SPDX-License-Identifier: MIT
/*
 * The vdmabuf backend: one /dev/vdmabuf producer shared by its outputs.
 * Device events (releases, resets, consumers coming and going, the host's
 * preferred mode, the host window's input) arrive on the producer's fd in
 * the compositor's loop.
 *
 * With VDMABUF_F_OUTPUTS the outputs are a set keyed by their id (spec
 * §20): a host's hint for an id the guest does not have adds an output
 * (emitted on new_output, as wlr_headless_add_output() does), one with
 * GONE destroys it; a reset announces every output again.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wlr/util/log.h>
#include <xf86drm.h>

#include "backend.h"

#define MAX_RENDER_NODES 64

static const struct wlr_backend_impl backend_impl;

struct vdmabuf_backend *vdmabuf_backend_from_backend(struct wlr_backend *wlr_backend)
{
	assert(wlr_backend_is_vdmabuf(wlr_backend));
	return wl_container_of(wlr_backend, (struct vdmabuf_backend *)NULL, base);
}

static struct vdmabuf_export *find_export(struct vdmabuf_backend *backend,
					  const struct vdmabuf_id *id)
{
	struct vdmabuf_export *export;

	wl_list_for_each(export, &backend->exports, link)
		if (vdmabuf_id_equal(&export->id, id))
			return export;
	return NULL;
}

static void device_release(void *data, const struct vdmabuf_id *id, uint64_t frame,
			   uint64_t present_ns, uint32_t refresh_ns, uint32_t flags)
{
	struct vdmabuf_export *export = find_export(data, id);

	if (export && export->is_cursor)
		vdmabuf_output_handle_cursor_release(export, frame);
	else if (export && export->commit_seq == (uint32_t)frame)
		vdmabuf_output_handle_release(export, present_ns, refresh_ns, flags);
}

static void device_consumers(void *data, uint32_t count)
{
	struct vdmabuf_backend *backend = data;
	struct vdmabuf_output *output;

	wlr_log(count != backend->consumers ? WLR_INFO : WLR_DEBUG,
		"vdmabuf: %u host consumers", count);
	backend->consumers = count;
	wl_list_for_each(output, &backend->outputs, link)
		vdmabuf_output_update_frame(output);
}

/* The host shows one window per device: its first output. */
struct vdmabuf_output *vdmabuf_backend_host_output(struct vdmabuf_backend *backend)
{
	struct vdmabuf_output *output;

	if (wl_list_empty(&backend->outputs))
		return NULL;
	return wl_container_of(backend->outputs.prev, output, link);
}

static void device_mode_hint(void *data, uint32_t width, uint32_t height,
			     uint32_t refresh_mhz, uint32_t scale_120)
{
	struct vdmabuf_output *output = vdmabuf_backend_host_output(data);

	if (output)
		vdmabuf_output_handle_mode_hint(output, width, height, refresh_mhz, scale_120);
}

struct vdmabuf_output *vdmabuf_backend_find_output(struct vdmabuf_backend *backend, uint32_t id)
{
	struct vdmabuf_output *output;

	wl_list_for_each(output, &backend->outputs, link)
		if (output->id == id)
			return output;
	return NULL;
}

static void emit_output(struct vdmabuf_backend *backend, struct vdmabuf_output *output)
{
	if (!backend->started || output->emitted)
		return;
	output->emitted = true;
	wl_signal_emit_mutable(&backend->base.events.new_output, &output->base);
	/* After the output: a compositor maps the devices to it by name. */
	vdmabuf_seat_add_output(backend->seat, output);
}

/*
 * The host's wish for one output (spec §20): a new window adds an output
 * of its mode, a window closed removes one, and a known output's hint is
 * a mode change as with one output.
 */
static void device_output_hint(void *data, uint32_t id, uint32_t flags, uint32_t width,
			       uint32_t height, uint32_t refresh_mhz, uint32_t scale_120)
{
	struct vdmabuf_backend *backend = data;
	struct vdmabuf_output *output = vdmabuf_backend_find_output(backend, id);

	if (flags & VDMABUF_OUTPUT_GONE) {
		if (!output)
			return;
		if (wl_list_length(&backend->outputs) == 1) {
			wlr_log(WLR_INFO, "vdmabuf: host closed %s, the last output; kept",
				output->base.name);
			return;
		}
		wlr_log(WLR_INFO, "vdmabuf: host closed %s", output->base.name);
		wlr_output_destroy(&output->base);
		return;
	}
	if (output) {
		vdmabuf_output_handle_mode_hint(output, width, height, refresh_mhz, scale_120);
		return;
	}
	if (!width || !height || width > 16384 || height > 16384 || id >= VDMABUF_MAX_OUTPUTS) {
		wlr_log(WLR_ERROR, "vdmabuf: ignoring a new output %u of %ux%u", id, width, height);
		return;
	}
	output = vdmabuf_output_create(backend, id, (int)width, (int)height, (int)refresh_mhz,
				       scale_120);
	if (!output)
		return;
	wlr_log(WLR_INFO, "vdmabuf: host added %s: %ux%u scale %u/120", output->base.name, width,
		height, scale_120);
	emit_output(backend, output);
}

static void device_formats(void *data, const struct vdmabuf_format *formats, uint32_t count)
{
	struct vdmabuf_backend *backend = data;
	struct vdmabuf_output *output;

	if (!vdmabuf_host_formats_set(backend, formats, count))
		return;
	wl_list_for_each(output, &backend->outputs, link)
		vdmabuf_output_handle_formats(output);
}

static void device_reset(void *data)
{
	struct vdmabuf_backend *backend = data;
	struct vdmabuf_output *output;

	wlr_log(WLR_INFO, "vdmabuf: device reset; sharing buffers again");
	/* The new instance knows no output: announce each before its frames. */
	wl_list_for_each(output, &backend->outputs, link)
		vdmabuf_output_announce(output, NULL);
	wl_list_for_each(output, &backend->outputs, link)
		vdmabuf_output_handle_reset(output);
	if (backend->clipboard)
		vdmabuf_clipboard_handle_reset(backend->clipboard);
}

static void device_input(void *data, const struct vdmabuf_input_event *ev)
{
	struct vdmabuf_backend *backend = data;

	if (backend->seat)
		vdmabuf_seat_handle_input(backend->seat, 0, ev);
}

static void device_output_input(void *data, uint32_t output,
				const struct vdmabuf_input_event *ev)
{
	struct vdmabuf_backend *backend = data;

	if (backend->seat)
		vdmabuf_seat_handle_input(backend->seat, output, ev);
}

static void device_keymap(void *data, uint32_t format, const char *text, uint32_t size)
{
	struct vdmabuf_backend *backend = data;

	if (backend->seat)
		vdmabuf_seat_handle_keymap(backend->seat, format, text, size);
}

static const struct vdmabuf_producer_listener producer_listener = {
	.release = device_release,
	.consumers = device_consumers,
	.mode_hint = device_mode_hint,
	.reset = device_reset,
	.input = device_input,
	.keymap = device_keymap,
	.clip = &vdmabuf_clipboard_listener,
	.formats = device_formats,
	.output_hint = device_output_hint,
	.output_input = device_output_input,
};

static int handle_device(int fd, uint32_t mask, void *data)
{
	struct vdmabuf_backend *backend = data;
	int ret = vdmabuf_producer_dispatch(backend->producer, &producer_listener, backend);

	if (ret < 0 && ret != -EAGAIN) {
		wlr_log(WLR_ERROR, "vdmabuf: device lost: %s", strerror(-ret));
		wl_event_source_remove(backend->device_source);
		backend->device_source = NULL;
	}
	return 0;
}

int vdmabuf_backend_subscribe(struct vdmabuf_backend *backend, uint32_t add, uint32_t remove)
{
	uint32_t events = (backend->subscribed | add) & ~remove;
	int err = vdmabuf_producer_subscribe(backend->producer, events);

	if (!err)
		backend->subscribed = events;
	return err;
}

/*
 * The host window's input, when the device has it: the devices are
 * announced now, their events (and the host's keymap, which the driver
 * queues at once) come through handle_device() in the loop.
 */
static void start_seat(struct vdmabuf_backend *backend)
{
	int err;

	backend->seat = vdmabuf_seat_create(backend);
	if (!backend->seat) {
		wlr_log(WLR_ERROR, "vdmabuf: no memory for the host's seat");
		return;
	}
	err = vdmabuf_backend_subscribe(backend, VDMABUF_SUBSCRIBE_INPUT, 0);
	if (err) {
		wlr_log(err == -EOPNOTSUPP ? WLR_INFO : WLR_ERROR, "vdmabuf: no input from the host: %s",
			err == -EOPNOTSUPP ? "the device has none" : strerror(-err));
		vdmabuf_seat_destroy(backend->seat);
		backend->seat = NULL;
		return;
	}
	vdmabuf_seat_announce(backend->seat);
}

/* wlr_backend_impl */

static bool backend_start(struct wlr_backend *wlr_backend)
{
	struct vdmabuf_backend *backend = vdmabuf_backend_from_backend(wlr_backend);
	struct vdmabuf_output *output;
	struct vdmabuf_info info;

	if (vdmabuf_producer_info(backend->producer, &info) == 0)
		backend->consumers = info.consumers;
	backend->started = true;
	wl_list_for_each(output, &backend->outputs, link)
		emit_output(backend, output);
	start_seat(backend);
	return true;
}

static void backend_destroy(struct wlr_backend *wlr_backend)
{
	struct vdmabuf_backend *backend = vdmabuf_backend_from_backend(wlr_backend);
	struct vdmabuf_output *output, *tmp;

	wlr_backend_finish(wlr_backend);
	vdmabuf_clipboard_destroy(backend->clipboard);
	vdmabuf_seat_destroy(backend->seat);
	wl_list_for_each_safe(output, tmp, &backend->outputs, link)
		wlr_output_destroy(&output->base);
	wl_list_remove(&backend->event_loop_destroy.link);
	if (backend->device_source)
		wl_event_source_remove(backend->device_source);
	/* Closing the device unexports whatever is left. */
	vdmabuf_producer_destroy(backend->producer);
	if (backend->drm_fd >= 0)
		close(backend->drm_fd);
	vdmabuf_host_formats_finish(backend);
	free(backend);
}

static int backend_get_drm_fd(struct wlr_backend *wlr_backend)
{
	return vdmabuf_backend_from_backend(wlr_backend)->drm_fd;
}

static uint32_t backend_get_buffer_caps(struct wlr_backend *wlr_backend)
{
	return WLR_BUFFER_CAP_DMABUF;
}

static const struct wlr_backend_impl backend_impl = {
	.start = backend_start,
	.destroy = backend_destroy,
	.get_drm_fd = backend_get_drm_fd,
	.get_buffer_caps = backend_get_buffer_caps,
};

bool wlr_backend_is_vdmabuf(struct wlr_backend *wlr_backend)
{
	return wlr_backend->impl == &backend_impl;
}

static void handle_event_loop_destroy(struct wl_listener *listener, void *data)
{
	struct vdmabuf_backend *backend =
		wl_container_of(listener, backend, event_loop_destroy);

	wlr_backend_destroy(&backend->base);
}

/*
 * Whether Mesa can render on the node's driver. vgem is a DRM device with
 * buffers and fences but no renderer: a guest may load it (for its
 * fences) beside its GPU, and it may come first.
 */
static bool node_has_renderer(int fd, const char *path)
{
	drmVersionPtr version = drmGetVersion(fd);
	bool renderer = version && strcmp(version->name, "vgem") != 0;

	if (!renderer)
		wlr_log(WLR_INFO, "vdmabuf: %s (%s) has no renderer; skipped", path,
			version ? version->name : "no driver name");
	drmFreeVersion(version);
	return renderer;
}

/*
 * The guest's GPU, if it has one (a passed-through card, or a virtio-gpu
 * Mesa renders on in software with WLR_RENDERER_ALLOW_SOFTWARE=1):
 * render there.
 */
static int open_render_node(void)
{
	char path[64];

	for (int i = 128; i < 128 + MAX_RENDER_NODES; i++) {
		int fd;

		snprintf(path, sizeof(path), "/dev/dri/renderD%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!node_has_renderer(fd, path)) {
			close(fd);
			continue;
		}
		wlr_log(WLR_INFO, "vdmabuf: rendering on %s", path);
		return fd;
	}
	wlr_log(WLR_INFO, "vdmabuf: no GPU render node; software rendering "
		"into page-backed buffers");
	return -1;
}

struct wlr_backend *wlr_vdmabuf_backend_create(struct wl_event_loop *loop,
					       const char *device_path)
{
	struct vdmabuf_backend *backend = calloc(1, sizeof(*backend));
	struct vdmabuf_info info;
	int err;

	if (!backend)
		return NULL;
	/* Until the device names the host's formats (at the first dispatch). */
	if (!vdmabuf_host_formats_set(backend, NULL, 0)) {
		free(backend);
		return NULL;
	}
	backend->producer = vdmabuf_producer_create(device_path, &err);
	if (!backend->producer) {
		wlr_log(WLR_ERROR, "vdmabuf: cannot open %s: %s",
			device_path ? device_path : "/dev/vdmabuf", strerror(-err));
		vdmabuf_host_formats_finish(backend);
		free(backend);
		return NULL;
	}
	backend->device_source = wl_event_loop_add_fd(loop,
		vdmabuf_producer_get_fd(backend->producer), WL_EVENT_READABLE,
		handle_device, backend);
	if (!backend->device_source) {
		vdmabuf_producer_destroy(backend->producer);
		vdmabuf_host_formats_finish(backend);
		free(backend);
		return NULL;
	}
	/* The host draws the cursor (hardware cursors), or we do. */
	if (vdmabuf_producer_info(backend->producer, &info) == 0) {
		backend->pointer = info.features & VDMABUF_INFO_POINTER;
		backend->multi = info.features & VDMABUF_INFO_OUTPUTS;
	}
	wlr_log(WLR_INFO, "vdmabuf: %s cursors; %s", backend->pointer ?
		"the host draws the guest's" : "software", backend->multi ?
		"outputs by id, each a window on the host" : "one window on the host");
	if (backend->multi)
		vdmabuf_producer_listen_outputs(backend->producer);
	wlr_backend_init(&backend->base, &backend_impl);
	backend->loop = loop;
	backend->drm_fd = open_render_node();
	wl_list_init(&backend->outputs);
	wl_list_init(&backend->exports);
	backend->event_loop_destroy.notify = handle_event_loop_destroy;
	wl_event_loop_add_destroy_listener(loop, &backend->event_loop_destroy);
	return &backend->base;
}

void wlr_vdmabuf_backend_keep_keymap(struct wlr_backend *wlr_backend, bool keep)
{
	vdmabuf_backend_from_backend(wlr_backend)->guest_keymap = keep;
}

struct wlr_output *wlr_vdmabuf_add_output(struct wlr_backend *wlr_backend,
					  int width, int height, int refresh_mhz)
{
	struct vdmabuf_backend *backend = vdmabuf_backend_from_backend(wlr_backend);
	struct vdmabuf_output *output;
	uint32_t id = 0;

	/* Without VDMABUF_F_OUTPUTS, a second output's frames would share the window. */
	if (!backend->multi && !wl_list_empty(&backend->outputs)) {
		wlr_log(WLR_ERROR, "vdmabuf: the device shows one output only");
		return NULL;
	}
	while (id < VDMABUF_MAX_OUTPUTS && vdmabuf_backend_find_output(backend, id))
		id++;
	if (id == VDMABUF_MAX_OUTPUTS) {
		wlr_log(WLR_ERROR, "vdmabuf: no free output id");
		return NULL;
	}
	output = vdmabuf_output_create(backend, id, width, height, refresh_mhz, 0);
	if (!output)
		return NULL;
	emit_output(backend, output);
	return &output->base;
}
