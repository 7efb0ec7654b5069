// SPDX-License-Identifier: MIT
/*
 * host-key CODE...: presses a chord on the host's seat as a real keyboard
 * would, through a virtual keyboard (zwp_virtual_keyboard_v1) with the
 * default XKB keymap: the evdev CODEs pressed in order, then released in
 * reverse. "host-key 42 87" is Shift+F11. (wtype cannot: it makes up its
 * keycodes and sends modifiers as masks, not keys.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>
#include <xkbcommon/xkbcommon.h>

#include "virtual-keyboard-unstable-v1-client-protocol.h"

static struct wl_seat *seat;
static struct zwp_virtual_keyboard_manager_v1 *manager;

static void global(void *data, struct wl_registry *registry, uint32_t name,
		   const char *interface, uint32_t version)
{
	if (strcmp(interface, wl_seat_interface.name) == 0 && !seat)
		seat = wl_registry_bind(registry, name, &wl_seat_interface, 1);
	else if (strcmp(interface, zwp_virtual_keyboard_manager_v1_interface.name) == 0)
		manager = wl_registry_bind(registry, name,
					   &zwp_virtual_keyboard_manager_v1_interface, 1);
}

static void global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = global,
	.global_remove = global_remove,
};

static uint32_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char *argv[])
{
	struct xkb_context *ctx = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	struct xkb_keymap *keymap;
	struct zwp_virtual_keyboard_v1 *keyboard;
	struct wl_display *display;
	char *text;
	size_t size;
	int fd;

	if (argc < 2) {
		fprintf(stderr, "usage: host-key CODE...\n");
		return 1;
	}
	display = wl_display_connect(NULL);
	if (!display) {
		fprintf(stderr, "host-key: no Wayland display\n");
		return 1;
	}
	wl_registry_add_listener(wl_display_get_registry(display), &registry_listener, NULL);
	wl_display_roundtrip(display);
	if (!seat || !manager) {
		fprintf(stderr, "host-key: no seat or no zwp_virtual_keyboard_manager_v1\n");
		return 1;
	}
	keymap = ctx ? xkb_keymap_new_from_names(ctx, NULL, XKB_KEYMAP_COMPILE_NO_FLAGS) : NULL;
	text = keymap ? xkb_keymap_get_as_string(keymap, XKB_KEYMAP_FORMAT_TEXT_V1) : NULL;
	if (!text) {
		fprintf(stderr, "host-key: no XKB keymap\n");
		return 1;
	}
	size = strlen(text) + 1;
	fd = memfd_create("host-key-keymap", MFD_CLOEXEC);
	if (fd < 0 || write(fd, text, size) != (ssize_t)size) {
		perror("host-key: keymap");
		return 1;
	}
	keyboard = zwp_virtual_keyboard_manager_v1_create_virtual_keyboard(manager, seat);
	zwp_virtual_keyboard_v1_keymap(keyboard, WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1, fd, size);
	wl_display_roundtrip(display);
	/* The keys one by one, as fingers press them; the compositor tracks modifiers. */
	for (int i = 1; i < argc; i++) {
		zwp_virtual_keyboard_v1_key(keyboard, now_ms(), atoi(argv[i]),
					    WL_KEYBOARD_KEY_STATE_PRESSED);
		wl_display_roundtrip(display);
		usleep(50000);
	}
	for (int i = argc - 1; i >= 1; i--) {
		zwp_virtual_keyboard_v1_key(keyboard, now_ms(), atoi(argv[i]),
					    WL_KEYBOARD_KEY_STATE_RELEASED);
		wl_display_roundtrip(display);
		usleep(50000);
	}
	zwp_virtual_keyboard_v1_destroy(keyboard);
	wl_display_roundtrip(display);
	wl_display_disconnect(display);
	close(fd);
	free(text);
	xkb_keymap_unref(keymap);
	xkb_context_unref(ctx);
	return 0;
}
