// SPDX-License-Identifier: MIT
/*
 * Explicit sync (linux-drm-syncobj-v1) for a wlroots 0.18 compositor on
 * this backend. wlroots 0.18 speaks the protocol, but neither its GLES2
 * renderer nor wlr_output_state carries timelines (0.19 adds them): left
 * alone, a client's buffer would be composited or scanned out before its
 * rendering finished, and its release point never signalled. So:
 *
 *   acquire  an output commits only once every buffer it would show has
 *            its acquire point signalled; until then the host keeps the
 *            last frame, and a timeline waiter asks for a frame when the
 *            point signals (wlr_vdmabuf_explicit_sync_output_ready()).
 *   release  a buffer's release point is signalled when wlroots lets go
 *            of the buffer (its source's release): after composition,
 *            or after the host's RELEASE when it was scanned out.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <xf86drm.h>
#include <wlr/render/drm_syncobj.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_linux_drm_syncobj_v1.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/util/addon.h>
#include <wlr/util/log.h>

#include "wlr-vdmabuf.h"

struct wlr_vdmabuf_explicit_sync {
	struct wlr_linux_drm_syncobj_manager_v1 *manager;
	struct wl_event_loop *loop;
	uint64_t released;		/* release points signalled */
	struct wl_listener new_surface;
	struct wl_listener display_destroy;
};

/* A surface of a client that may use explicit sync. */
struct sync_surface {
	struct wlr_vdmabuf_explicit_sync *sync;
	struct wlr_surface *surface;
	struct wl_listener commit;
	struct wl_listener destroy;
};

/* A release point owed once wlroots lets go of buffer. */
struct sync_release {
	struct wlr_vdmabuf_explicit_sync *sync;
	struct wlr_drm_syncobj_timeline *timeline;
	uint64_t point;
	struct wl_listener release;
	struct wl_listener destroy;
};

/* An output waiting for an acquire point before it commits again. */
struct sync_output {
	struct wlr_addon addon;		/* on output->addons, owned by the sync */
	struct wlr_output *output;
	struct wlr_drm_syncobj_timeline_waiter waiter;
	bool waiting;
	struct wl_listener ready;
};

static void release_destroy(struct sync_release *release)
{
	wl_list_remove(&release->release.link);
	wl_list_remove(&release->destroy.link);
	wlr_drm_syncobj_timeline_unref(release->timeline);
	free(release);
}

static void release_signal(struct sync_release *release)
{
	struct wlr_drm_syncobj_timeline *timeline = release->timeline;

	if (drmSyncobjTimelineSignal(timeline->drm_fd, &timeline->handle, &release->point, 1))
		wlr_log_errno(WLR_ERROR, "vdmabuf: signalling release point %" PRIu64,
			      release->point);
	else
		release->sync->released++;
	release_destroy(release);
}

static void release_handle_release(struct wl_listener *listener, void *data)
{
	release_signal(wl_container_of(listener, (struct sync_release *)NULL, release));
}

static void release_handle_destroy(struct wl_listener *listener, void *data)
{
	release_signal(wl_container_of(listener, (struct sync_release *)NULL, destroy));
}

/* The buffer surface committed is the client's until its release point. */
static void surface_handle_commit(struct wl_listener *listener, void *data)
{
	struct sync_surface *sync_surface = wl_container_of(listener, sync_surface, commit);
	struct wlr_surface *surface = sync_surface->surface;
	struct wlr_linux_drm_syncobj_surface_v1_state *state =
		wlr_linux_drm_syncobj_v1_get_surface_state(surface);
	struct sync_release *release;
	struct wlr_buffer *source;

	if (!state || !state->release_timeline ||
	    !(surface->current.committed & WLR_SURFACE_STATE_BUFFER) ||
	    !surface->buffer || !(source = surface->buffer->source))
		return;
	release = calloc(1, sizeof(*release));
	if (!release) {
		wlr_log(WLR_ERROR, "vdmabuf: out of memory: a release point is lost");
		return;
	}
	release->sync = sync_surface->sync;
	release->timeline = wlr_drm_syncobj_timeline_ref(state->release_timeline);
	release->point = state->release_point;
	release->release.notify = release_handle_release;
	wl_signal_add(&source->events.release, &release->release);
	release->destroy.notify = release_handle_destroy;
	wl_signal_add(&source->events.destroy, &release->destroy);
}

static void surface_handle_destroy(struct wl_listener *listener, void *data)
{
	struct sync_surface *sync_surface = wl_container_of(listener, sync_surface, destroy);

	wl_list_remove(&sync_surface->commit.link);
	wl_list_remove(&sync_surface->destroy.link);
	free(sync_surface);
}

static void handle_new_surface(struct wl_listener *listener, void *data)
{
	struct wlr_vdmabuf_explicit_sync *sync = wl_container_of(listener, sync, new_surface);
	struct wlr_surface *surface = data;
	struct sync_surface *sync_surface = calloc(1, sizeof(*sync_surface));

	if (!sync_surface) {
		wlr_log(WLR_ERROR, "vdmabuf: out of memory: a surface without explicit sync");
		return;
	}
	sync_surface->sync = sync;
	sync_surface->surface = surface;
	sync_surface->commit.notify = surface_handle_commit;
	wl_signal_add(&surface->events.commit, &sync_surface->commit);
	sync_surface->destroy.notify = surface_handle_destroy;
	wl_signal_add(&surface->events.destroy, &sync_surface->destroy);
}

static void handle_display_destroy(struct wl_listener *listener, void *data)
{
	struct wlr_vdmabuf_explicit_sync *sync = wl_container_of(listener, sync, display_destroy);

	wl_list_remove(&sync->new_surface.link);
	wl_list_remove(&sync->display_destroy.link);
	free(sync);
}

struct wlr_vdmabuf_explicit_sync *wlr_vdmabuf_explicit_sync_create(struct wl_display *display,
								 struct wlr_compositor *compositor,
								 int drm_fd)
{
	struct wlr_vdmabuf_explicit_sync *sync;
	uint64_t timelines = 0;

	if (drm_fd < 0 || drmGetCap(drm_fd, DRM_CAP_SYNCOBJ_TIMELINE, &timelines) || !timelines) {
		wlr_log(WLR_INFO, "vdmabuf: no explicit sync: the render node has no "
			"syncobj timelines");
		return NULL;
	}
	sync = calloc(1, sizeof(*sync));
	if (!sync)
		return NULL;
	sync->manager = wlr_linux_drm_syncobj_manager_v1_create(display, 1, drm_fd);
	if (!sync->manager) {
		free(sync);
		return NULL;
	}
	sync->loop = wl_display_get_event_loop(display);
	sync->new_surface.notify = handle_new_surface;
	wl_signal_add(&compositor->events.new_surface, &sync->new_surface);
	sync->display_destroy.notify = handle_display_destroy;
	wl_display_add_destroy_listener(display, &sync->display_destroy);
	wlr_log(WLR_INFO, "vdmabuf: explicit sync (linux-drm-syncobj-v1) offered");
	return sync;
}

uint64_t wlr_vdmabuf_explicit_sync_released(struct wlr_vdmabuf_explicit_sync *sync)
{
	return sync ? sync->released : 0;
}

/* Outputs */

static void output_stop_waiting(struct sync_output *sync_output)
{
	if (!sync_output->waiting)
		return;
	wl_list_remove(&sync_output->ready.link);
	wlr_drm_syncobj_timeline_waiter_finish(&sync_output->waiter);
	sync_output->waiting = false;
}

static void output_addon_destroy(struct wlr_addon *addon)
{
	struct sync_output *sync_output = wl_container_of(addon, sync_output, addon);

	output_stop_waiting(sync_output);
	wlr_addon_finish(&sync_output->addon);
	free(sync_output);
}

static const struct wlr_addon_interface output_addon_impl = {
	.name = "wlr_vdmabuf_explicit_sync",
	.destroy = output_addon_destroy,
};

static void output_handle_ready(struct wl_listener *listener, void *data)
{
	struct sync_output *sync_output = wl_container_of(listener, sync_output, ready);
	struct wlr_output *output = sync_output->output;

	output_stop_waiting(sync_output);
	wlr_output_schedule_frame(output);
}

static struct sync_output *output_get(struct wlr_vdmabuf_explicit_sync *sync,
				      struct wlr_output *output)
{
	struct wlr_addon *addon = wlr_addon_find(&output->addons, sync, &output_addon_impl);
	struct sync_output *sync_output;

	if (addon)
		return wl_container_of(addon, sync_output, addon);
	sync_output = calloc(1, sizeof(*sync_output));
	if (!sync_output)
		return NULL;
	sync_output->output = output;
	wlr_addon_init(&sync_output->addon, &output->addons, sync, &output_addon_impl);
	return sync_output;
}

struct unsignalled {
	struct wlr_drm_syncobj_timeline *timeline;
	uint64_t point;
};

static void find_unsignalled(struct wlr_scene_buffer *scene_buffer, int sx, int sy, void *data)
{
	struct unsignalled *first = data;
	struct wlr_scene_surface *scene_surface = wlr_scene_surface_try_from_buffer(scene_buffer);
	struct wlr_linux_drm_syncobj_surface_v1_state *state;
	bool signalled = false;

	if (first->timeline || !scene_surface)
		return;
	state = wlr_linux_drm_syncobj_v1_get_surface_state(scene_surface->surface);
	if (!state || !state->acquire_timeline)
		return;
	if (!wlr_drm_syncobj_timeline_check(state->acquire_timeline, state->acquire_point,
					    DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT, &signalled))
		return;		/* logged; do not hold the output for ever */
	if (!signalled) {
		first->timeline = state->acquire_timeline;
		first->point = state->acquire_point;
	}
}

bool wlr_vdmabuf_explicit_sync_output_ready(struct wlr_vdmabuf_explicit_sync *sync,
					    struct wlr_scene_output *scene_output)
{
	struct unsignalled first = { 0 };
	struct sync_output *sync_output;

	if (!sync)
		return true;
	wlr_scene_output_for_each_buffer(scene_output, find_unsignalled, &first);
	if (!first.timeline)
		return true;
	sync_output = output_get(sync, scene_output->output);
	if (!sync_output)
		return true;
	output_stop_waiting(sync_output);
	if (!wlr_drm_syncobj_timeline_waiter_init(&sync_output->waiter, first.timeline,
						  first.point, 0, sync->loop))
		return true;
	sync_output->ready.notify = output_handle_ready;
	wl_signal_add(&sync_output->waiter.events.ready, &sync_output->ready);
	sync_output->waiting = true;
	return false;
}
