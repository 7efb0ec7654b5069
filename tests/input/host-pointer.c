// SPDX-License-Identifier: MIT
/*
 * host-pointer: suite input's pointer on the host. A virtual pointer
 * (zwlr_virtual_pointer_v1) that stays for the whole test, so that the
 * host compositor's seat has a pointer the viewer binds, driven by lines
 * on stdin, each answered "ok" on stdout once the compositor has it:
 *
 *   abs X Y          absolute motion to (X, Y) of the output
 *   rel DX DY        relative motion
 *   button CODE 0|1  a button (evdev code) released or pressed
 *   wheel N          N wheel clicks down (negative: up)
 *
 * Each line ends with a frame. OUTPUT_W and OUTPUT_H (the output's size)
 * are the first two arguments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wayland-client.h>

#include "wlr-virtual-pointer-unstable-v1-client-protocol.h"

static struct wl_seat *seat;
static struct zwlr_virtual_pointer_manager_v1 *manager;

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
			    const char *interface, uint32_t version)
{
	if (strcmp(interface, wl_seat_interface.name) == 0 && !seat)
		seat = wl_registry_bind(registry, name, &wl_seat_interface, 1);
	else if (strcmp(interface, zwlr_virtual_pointer_manager_v1_interface.name) == 0)
		manager = wl_registry_bind(registry, name,
					   &zwlr_virtual_pointer_manager_v1_interface, 1);
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

static uint32_t now_msec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

int main(int argc, char *argv[])
{
	struct zwlr_virtual_pointer_v1 *pointer;
	struct wl_display *display;
	unsigned int width, height;
	char line[128];

	if (argc != 3 || sscanf(argv[1], "%u", &width) != 1 || sscanf(argv[2], "%u", &height) != 1) {
		fprintf(stderr, "usage: %s OUTPUT_W OUTPUT_H < commands\n", argv[0]);
		return 2;
	}
	display = wl_display_connect(NULL);
	if (!display) {
		fprintf(stderr, "host-pointer: no Wayland display\n");
		return 1;
	}
	wl_registry_add_listener(wl_display_get_registry(display), &registry_listener, NULL);
	wl_display_roundtrip(display);
	if (!seat || !manager) {
		fprintf(stderr, "host-pointer: no seat or no virtual pointer manager\n");
		return 1;
	}
	pointer = zwlr_virtual_pointer_manager_v1_create_virtual_pointer(manager, seat);
	wl_display_roundtrip(display);
	printf("ready\n");
	fflush(stdout);

	while (fgets(line, sizeof(line), stdin)) {
		int a, b;
		uint32_t t = now_msec();

		if (sscanf(line, "abs %d %d", &a, &b) == 2) {
			zwlr_virtual_pointer_v1_motion_absolute(pointer, t, a, b, width, height);
		} else if (sscanf(line, "rel %d %d", &a, &b) == 2) {
			zwlr_virtual_pointer_v1_motion(pointer, t, wl_fixed_from_int(a),
						       wl_fixed_from_int(b));
		} else if (sscanf(line, "button %d %d", &a, &b) == 2) {
			zwlr_virtual_pointer_v1_button(pointer, t, a, b);
		} else if (sscanf(line, "wheel %d", &a) == 1) {
			zwlr_virtual_pointer_v1_axis_source(pointer, WL_POINTER_AXIS_SOURCE_WHEEL);
			zwlr_virtual_pointer_v1_axis_discrete(pointer, t,
							      WL_POINTER_AXIS_VERTICAL_SCROLL,
							      wl_fixed_from_int(15 * a), a);
		} else {
			fprintf(stderr, "host-pointer: bad line: %s", line);
			return 2;
		}
		zwlr_virtual_pointer_v1_frame(pointer);
		if (wl_display_roundtrip(display) < 0) {
			fprintf(stderr, "host-pointer: the compositor went away\n");
			return 1;
		}
		printf("ok\n");
		fflush(stdout);
	}
	zwlr_virtual_pointer_v1_destroy(pointer);
	wl_display_roundtrip(display);
	wl_display_disconnect(display);
	return 0;
}
