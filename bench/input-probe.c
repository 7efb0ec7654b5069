// SPDX-License-Identifier: MIT
/*
 * input-probe: the input bench's host end (bench/input-host.sh). On the
 * host compositor's seat it is a virtual pointer (zwlr_virtual_pointer_v1)
 * over the viewer's window; to the vdmabuf daemon it is one more consumer,
 * which takes no seat and imports nothing but hears the guest's pointer
 * (consumer POINTER, sent to every consumer). Each click presses the left
 * button at t0; the guest's input-client --echo answers the press with a
 * new cursor image, whose POINTER reaches us at t1. Both times are this
 * machine's CLOCK_MONOTONIC, so t1 - t0 is the round trip host input
 * event -> guest client -> its answer back on the host, on one clock.
 *
 *   input-probe [--clicks N] [--socket PATH] WIDTH HEIGHT
 *
 * prints "click <n> <t0_ns> <t1_ns>" per click answered within 5 s,
 * "lost <n>" per click that was not, and the pointer starts at the middle
 * of the WIDTHxHEIGHT output.
 */
#include <errno.h>
#include <getopt.h>
#include <linux/input-event-codes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vdmabuf.h>
#include <wayland-client.h>

#include "wlr-virtual-pointer-unstable-v1-client-protocol.h"

#define ANSWER_TIMEOUT_MS 5000
#define READY_TIMEOUT_MS 120000

struct probe {
	struct wl_display *display;
	struct wl_seat *seat;
	struct zwlr_virtual_pointer_manager_v1 *manager;
	struct zwlr_virtual_pointer_v1 *pointer;
	struct vdmabuf_consumer *consumer;
	uint64_t serial;		/* of the guest's cursor image now */
	uint64_t changed_ns;		/* when it last changed */
	unsigned long changes;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
			    const char *interface, uint32_t version)
{
	struct probe *p = data;

	if (strcmp(interface, wl_seat_interface.name) == 0 && !p->seat)
		p->seat = wl_registry_bind(registry, name, &wl_seat_interface, 1);
	else if (strcmp(interface, zwlr_virtual_pointer_manager_v1_interface.name) == 0)
		p->manager = wl_registry_bind(registry, name,
					      &zwlr_virtual_pointer_manager_v1_interface, 1);
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

static void on_pointer(void *data, const struct vdmabuf_id *image, uint64_t serial,
		       uint32_t hotspot_x, uint32_t hotspot_y, uint32_t constraint)
{
	struct probe *p = data;

	if (image && serial != p->serial) {
		p->serial = serial;
		p->changed_ns = now_ns();
		p->changes++;
	}
}

static const struct vdmabuf_consumer_listener consumer_listener = {
	.pointer = on_pointer,
};

/* Hears the daemon until the guest's cursor changed (or timeout_ms). */
static int await_change(struct probe *p, unsigned long changes, int timeout_ms)
{
	struct pollfd pfd = { .fd = vdmabuf_consumer_get_fd(p->consumer), .events = POLLIN };
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000;
	int ret;

	while (p->changes == changes) {
		uint64_t now = now_ns();

		if (now >= deadline)
			return -ETIMEDOUT;
		ret = poll(&pfd, 1, (int)((deadline - now) / 1000000) + 1);
		if (ret < 0 && errno != EINTR)
			return -errno;
		if (ret > 0) {
			ret = vdmabuf_consumer_dispatch(p->consumer, &consumer_listener, p);
			if (ret < 0 && ret != -EAGAIN)
				return ret;
		}
	}
	return 0;
}

static void button(struct probe *p, bool pressed)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	zwlr_virtual_pointer_v1_button(p->pointer, (uint32_t)(ts.tv_sec * 1000 +
							       ts.tv_nsec / 1000000),
				       BTN_LEFT, pressed ? WL_POINTER_BUTTON_STATE_PRESSED :
							   WL_POINTER_BUTTON_STATE_RELEASED);
	zwlr_virtual_pointer_v1_frame(p->pointer);
	wl_display_flush(p->display);
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "clicks", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ 0 },
	};
	struct probe p = { 0 };
	const char *socket_path = NULL;
	unsigned long clicks = 200, lost = 0, initial;
	unsigned int width, height;
	int opt, err;

	while ((opt = getopt_long(argc, argv, "c:s:", options, NULL)) != -1) {
		if (opt == 'c')
			clicks = strtoul(optarg, NULL, 10);
		else if (opt == 's')
			socket_path = optarg;
		else
			return 2;
	}
	if (argc - optind != 2 || sscanf(argv[optind], "%u", &width) != 1 ||
	    sscanf(argv[optind + 1], "%u", &height) != 1 || !width || !height) {
		fprintf(stderr, "usage: %s [--clicks N] [--socket PATH] WIDTH HEIGHT\n", argv[0]);
		return 2;
	}
	p.consumer = vdmabuf_consumer_connect(socket_path, &err);
	if (!p.consumer) {
		fprintf(stderr, "input-probe: the daemon: %s\n", strerror(-err));
		return 1;
	}
	p.display = wl_display_connect(NULL);
	if (!p.display) {
		fprintf(stderr, "input-probe: no Wayland display\n");
		return 1;
	}
	wl_registry_add_listener(wl_display_get_registry(p.display), &registry_listener, &p);
	wl_display_roundtrip(p.display);
	if (!p.manager) {
		fprintf(stderr, "input-probe: no zwlr_virtual_pointer_manager_v1\n");
		return 1;
	}
	p.pointer = zwlr_virtual_pointer_manager_v1_create_virtual_pointer(p.manager, p.seat);
	/*
	 * Over the window until the guest's client has the pointer: its
	 * cursor, a change from the one the daemon tells a new consumer, is
	 * the sign. (The viewer binds its wl_pointer only once our pointer
	 * gave the seat one, and hears enter at the next motion.)
	 */
	await_change(&p, 0, 1000);
	initial = p.changes;
	for (unsigned int i = 0; p.changes == initial; i++) {
		if (i == READY_TIMEOUT_MS / 200) {
			fprintf(stderr, "input-probe: the guest's client never set its cursor\n");
			return 1;
		}
		zwlr_virtual_pointer_v1_motion_absolute(p.pointer, 0, width / 2 + i % 2,
							height / 2, width, height);
		zwlr_virtual_pointer_v1_frame(p.pointer);
		wl_display_roundtrip(p.display);
		err = await_change(&p, initial, 200);
		if (err && err != -ETIMEDOUT) {
			fprintf(stderr, "input-probe: the daemon: %s\n", strerror(-err));
			return 1;
		}
	}
	/* Whatever else the pointer's arrival brings comes before the first click. */
	while (await_change(&p, p.changes, 1000) == 0)
		;

	for (unsigned long i = 1; i <= clicks; i++) {
		unsigned long changes = p.changes;
		uint64_t t0 = now_ns();

		button(&p, true);
		err = await_change(&p, changes, ANSWER_TIMEOUT_MS);
		if (err == -ETIMEDOUT) {
			printf("lost %lu\n", i);
			lost++;
		} else if (err) {
			fprintf(stderr, "input-probe: the daemon: %s\n", strerror(-err));
			return 1;
		} else {
			printf("click %lu %llu %llu\n", i, (unsigned long long)t0,
			       (unsigned long long)p.changed_ns);
		}
		fflush(stdout);
		button(&p, false);
		if (wl_display_roundtrip(p.display) < 0) {
			fprintf(stderr, "input-probe: lost the Wayland display\n");
			return 1;
		}
		/* Apart, at varying phases of the host's and guest's frames. */
		nanosleep(&(struct timespec){ 0, (long)(20 + i * 7 % 31) * 1000000 }, NULL);
	}
	fprintf(stderr, "input-probe: %lu clicks, %lu lost\n", clicks, lost);
	zwlr_virtual_pointer_v1_destroy(p.pointer);
	wl_display_disconnect(p.display);
	vdmabuf_consumer_destroy(p.consumer);
	return lost == clicks;
}
