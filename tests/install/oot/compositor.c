// SPDX-License-Identifier: MIT
/*
 * An out-of-tree compositor's start, built from the installed
 * libwlr-vdmabuf-dev alone (see Makefile): creates the vdmabuf backend on
 * the guest's device, adds an output and starts it.
 *   oot-compositor [DEVICE]    default: /dev/vdmabuf
 */
#include <stdio.h>

#include <wayland-server-core.h>
#include <wlr/backend.h>
#include <wlr/util/log.h>
#include <wlr-vdmabuf.h>

int main(int argc, char *argv[])
{
	const char *device = argc > 1 ? argv[1] : NULL;
	struct wl_display *display;
	struct wlr_backend *backend;
	int ret = 1;

	wlr_log_init(WLR_ERROR, NULL);
	display = wl_display_create();
	if (!display)
		return 1;
	backend = wlr_vdmabuf_backend_create(wl_display_get_event_loop(display), device);
	if (!backend) {
		fprintf(stderr, "oot-compositor: no vdmabuf backend on %s\n",
			device ? device : "/dev/vdmabuf");
		goto out;
	}
	if (!wlr_vdmabuf_add_output(backend, 640, 480, 0) || !wlr_backend_start(backend)) {
		fprintf(stderr, "oot-compositor: the backend did not start\n");
	} else {
		printf("oot-compositor: backend started with a 640x480 output\n");
		ret = 0;
	}
	wlr_backend_destroy(backend);
out:
	wl_display_destroy(display);
	return ret;
}
