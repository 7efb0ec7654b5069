// SPDX-License-Identifier: MIT
/*
 * vdmabuf-viewer: shows a VM's outputs, the dmabufs its compositor shares
 * through vdmabuf, each in a window of the host's Wayland desktop, without
 * a copy where the host compositor imports them.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "viewer.h"

static void consumer_buffer(void *data, const struct vdmabuf_id *id,
			    const struct vdmabuf_buffer_desc *desc, uint64_t size)
{
	struct viewer *viewer = data;

	if (!view_buffer_find(viewer, id))
		view_buffer_create(viewer, id);
}

/* A frame goes to its output's window only; one with none gets it back unshown. */
static void output_frame(void *data, uint32_t output, const struct vdmabuf_id *id,
			 uint64_t frame, const struct vdmabuf_rect *damage, unsigned int num_damage)
{
	struct viewer *viewer = data;
	struct view_buffer *buffer = view_buffer_find(viewer, id);
	struct viewer_window *window = window_find(viewer, output);

	if (!buffer && !(buffer = view_buffer_create(viewer, id)))
		return;
	if (!window) {
		log_limited(&viewer->output_log, "output %u: a frame but no window: released",
			    output);
		view_buffer_release_unshown(buffer, frame);
		return;
	}
	if (!window->configured) {
		/* The latest waits for the window's first configure. */
		if (window->pending && window->pending != buffer)
			view_buffer_release_unshown(window->pending, window->pending_frame);
		window->pending = buffer;
		window->pending_frame = frame;
		return;
	}
	view_buffer_show(buffer, window, frame, damage, num_damage);
}

static void output_output(void *data, uint32_t output, uint32_t flags, uint32_t width,
			  uint32_t height, uint32_t refresh_mhz, uint32_t scale_120)
{
	windows_guest_output(data, output, flags, width, height, refresh_mhz, scale_120);
}

static const struct vdmabuf_output_listener output_listener = {
	.output = output_output,
	.frame = output_frame,
};

static void consumer_gone(void *data, const struct vdmabuf_id *id)
{
	struct view_buffer *buffer = view_buffer_find(data, id);

	cursor_buffer_gone(data, id);
	if (buffer)
		view_buffer_destroy(buffer);
}

static void consumer_reset(void *data)
{
	struct viewer *viewer = data;

	cursor_buffer_gone(viewer, NULL);
	for (unsigned int i = 0; i < MAX_BUFFERS; i++)
		if (viewer->buffers[i])
			view_buffer_destroy(viewer->buffers[i]);
	windows_reset(viewer);
}

static void consumer_error(void *data, uint32_t request, const struct vdmabuf_id *id, int err)
{
	char name[VDMABUF_ID_STRLEN];

	/* A frame presented before our import was not ours to release. */
	if (request == VDMABUF_REQUEST_RELEASE && (err == -EALREADY || err == -EPERM))
		return;
	if (request == VDMABUF_REQUEST_SEAT || request == VDMABUF_REQUEST_INPUT ||
	    request == VDMABUF_REQUEST_KEYMAP) {
		input_error(data, request, err);
		return;
	}
	if (request >= VDMABUF_REQUEST_SELECTION && request <= VDMABUF_REQUEST_CLIP_CLOSE) {
		clipboard_error(data, request, err);
		return;
	}

	fprintf(stderr, "vdmabuf-viewer: request %u on %s refused: %s\n", request,
		vdmabuf_id_format(id, name), strerror(-err));
}

static void consumer_pointer(void *data, const struct vdmabuf_id *image, uint64_t serial,
			     uint32_t hotspot_x, uint32_t hotspot_y, uint32_t constraint)
{
	cursor_pointer(data, image, serial, hotspot_x, hotspot_y);
	input_constrain(data, constraint);
}

static const struct vdmabuf_consumer_listener consumer_listener = {
	.buffer = consumer_buffer,
	.gone = consumer_gone,
	.reset = consumer_reset,
	.error = consumer_error,
	.pointer = consumer_pointer,
	.clip = &clipboard_listener,
	.outputs = &output_listener,
};

static void write_stats(const struct viewer *viewer, FILE *f)
{
	const struct viewer_stats *s = &viewer->stats;

	fprintf(f, "viewer: frames=%" PRIu64 " presented=%" PRIu64 " releases=%" PRIu64
		" dmabuf_buffers=%" PRIu64 " shm_buffers=%" PRIu64 " bytes_copied=%" PRIu64
		" path=%s cursor_images=%" PRIu64 " presentation_clock=%s timed_releases=%" PRIu64
		" clock_error_ns=%" PRIu64 " refresh_ns=%" PRIu32 "\n", s->frames, s->presented,
		s->releases, s->dmabuf_buffers, s->shm_buffers, s->bytes_copied,
		s->shm_buffers ? (s->dmabuf_buffers ? "mixed" : "shm") : "dmabuf",
		s->cursor_images, presentation_clock_name(viewer->presentation_clock),
		s->timed_releases,
		viewer->presentation_clock ? viewer->presentation_clock->max_error_ns : 0,
		s->refresh_ns);
}

/* One poll loop: the Wayland display, the daemon, signals and pastes. */
static int run(struct viewer *viewer, int signal_fd)
{
	struct pollfd fds[3 + 2 * VDMABUF_CLIP_TRANSFERS] = {
		{ .fd = wl_display_get_fd(viewer->display), .events = POLLIN },
		{ .fd = vdmabuf_consumer_get_fd(viewer->consumer), .events = POLLIN },
		{ .fd = signal_fd, .events = POLLIN },
	};

	while (!viewer->quit) {
		int ret, pastes;

		while (wl_display_prepare_read(viewer->display) != 0)
			wl_display_dispatch_pending(viewer->display);
		if (wl_display_flush(viewer->display) < 0 && errno != EAGAIN) {
			wl_display_cancel_read(viewer->display);
			fprintf(stderr, "vdmabuf-viewer: lost the Wayland display\n");
			return -1;
		}
		pastes = clipboard_poll_fds(viewer, fds + 3, 2 * VDMABUF_CLIP_TRANSFERS);
		ret = poll(fds, 3 + pastes, -1);
		if (ret < 0) {
			wl_display_cancel_read(viewer->display);
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (fds[0].revents & POLLIN) {
			if (wl_display_read_events(viewer->display) < 0)
				return -1;
		} else {
			wl_display_cancel_read(viewer->display);
		}
		if (wl_display_dispatch_pending(viewer->display) < 0) {
			fprintf(stderr, "vdmabuf-viewer: Wayland error\n");
			return -1;
		}
		if (fds[1].revents) {
			ret = vdmabuf_consumer_dispatch(viewer->consumer, &consumer_listener, viewer);
			if (ret < 0) {
				fprintf(stderr, "vdmabuf-viewer: daemon: %s\n", strerror(-ret));
				return -1;
			}
		}
		if (fds[2].revents) {
			struct signalfd_siginfo si;

			if (read(signal_fd, &si, sizeof(si)) == sizeof(si))
				viewer->quit = true;
		}
		clipboard_dispatch_fds(viewer, fds + 3, pastes);
	}
	return 0;
}

/*
 * The windows to start with: one for each output the guest announces on
 * connect, and for outputs 0 to --outputs - 1, which the guest adds if it
 * has not got them; then each window's first configure.
 */
static int open_windows(struct viewer *viewer)
{
	struct pollfd pfd = { .fd = vdmabuf_consumer_get_fd(viewer->consumer), .events = POLLIN };
	uint64_t end = now_usec() + 200000;
	struct viewer_window *window;
	bool waiting;

	/* What the daemon says on connect comes at once: 200 ms for it. */
	while (now_usec() < end && poll(&pfd, 1, (end - now_usec()) / 1000) > 0) {
		if (vdmabuf_consumer_dispatch(viewer->consumer, &consumer_listener, viewer) < 0) {
			fprintf(stderr, "vdmabuf-viewer: lost the daemon\n");
			return -1;
		}
		if (!wl_list_empty(&viewer->windows))
			break;
	}
	for (uint32_t i = 0; i < viewer->start_outputs; i++) {
		if (window_find(viewer, i))
			continue;
		window = window_create(viewer, i);
		if (!window)
			return -1;
		/* Output 0 follows the guest, as it always did; others need a size. */
		if (i > 0 && window->default_width <= 0) {
			window->default_width = 1024;
			window->default_height = 768;
		}
	}
	do {
		if (wl_display_dispatch(viewer->display) < 0)
			return -1;
		waiting = false;
		wl_list_for_each(window, &viewer->windows, link)
			waiting |= !window->configured;
	} while (waiting && !viewer->quit);
	return 0;
}

static int parse_outputs(const char *arg, unsigned int *n)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);

	if (*end || v < 1 || v > GUEST_OUTPUTS) {
		fprintf(stderr, "vdmabuf-viewer: --outputs takes 1 to %u\n", GUEST_OUTPUTS);
		return -1;
	}
	*n = v;
	return 0;
}

/* [ID=]NAME: output ID's window (0 if not given) fullscreen on host output NAME. */
static int parse_fullscreen_on(struct viewer *viewer, const char *arg)
{
	const char *eq = strchr(arg, '=');
	unsigned long id = 0;
	char *end;

	if (eq) {
		id = strtoul(arg, &end, 10);
		if (end != eq || eq == arg || id >= GUEST_OUTPUTS || !eq[1]) {
			fprintf(stderr, "vdmabuf-viewer: --fullscreen-on %s: want [ID=]NAME, "
				"ID below %u\n", arg, GUEST_OUTPUTS);
			return -1;
		}
		arg = eq + 1;
	}
	viewer->fullscreen_on[id] = arg;
	return 0;
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [OPTIONS]\n"
		"Show a VM's outputs, shared through vdmabuf, each in a Wayland window.\n\n"
		"  -s, --socket PATH   the daemon's consumer socket (default\n"
		"                      $VDMABUF_CONSUMER_SOCKET or /run/vdmabuf/consumer.sock)\n"
		"  -n, --name NAME     the VM's name, for titles and app ids (default \"VM\")\n"
		"  -o, --outputs N     ask the guest for outputs 0 to N-1 (default 1); each\n"
		"                      output the guest has gets a window too\n"
		"  -f, --fullscreen    start every window fullscreen (F11 toggles)\n"
		"      --fullscreen-on [ID=]HOST_OUTPUT\n"
		"                      output ID's window (default 0) fullscreen on the\n"
		"                      host output of that name; may be repeated\n"
		"      --no-input      do not send the guest input (F11 still works)\n"
		"      --guest-keymap  keep the guest's keymap, do not send the host's\n"
		"      --no-clipboard  do not share the clipboard with the guest\n"
		"      --shm           copy every frame into wl_shm (the fallback, forced)\n"
		"      --frames N      exit after N frames were shown\n"
		"      --stats PATH    write statistics there at exit\n"
		"      --times PATH    write each frame's presentation time there, as\n"
		"                      \"frame present_ns refresh_ns\" (CLOCK_MONOTONIC)\n"
		"  -h, --help          show this help\n\n"
		"Shift+F11 opens a window for one more guest output; closing a window\n"
		"removes its output from the guest, closing the last ends the viewer.\n"
		"While a window is focused, the host's shortcuts go to the guest;\n"
		"Shift+F12 gives them back to the host and takes them again.\n"
		"The clipboard and primary selection cross both ways while the window\n"
		"is focused; the guest may paste the host's until 5 s after it was.\n", prog);
}

int main(int argc, char *argv[])
{
	enum {
		OPT_SHM = 256, OPT_FRAMES, OPT_STATS, OPT_NO_INPUT, OPT_GUEST_KEYMAP,
		OPT_NO_CLIPBOARD, OPT_TIMES, OPT_FULLSCREEN_ON,
	};
	static const struct option options[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ "outputs", required_argument, NULL, 'o' },
		{ "fullscreen", no_argument, NULL, 'f' },
		{ "fullscreen-on", required_argument, NULL, OPT_FULLSCREEN_ON },
		{ "no-input", no_argument, NULL, OPT_NO_INPUT },
		{ "guest-keymap", no_argument, NULL, OPT_GUEST_KEYMAP },
		{ "no-clipboard", no_argument, NULL, OPT_NO_CLIPBOARD },
		{ "shm", no_argument, NULL, OPT_SHM },
		{ "frames", required_argument, NULL, OPT_FRAMES },
		{ "stats", required_argument, NULL, OPT_STATS },
		{ "times", required_argument, NULL, OPT_TIMES },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct viewer viewer = {
		.name = "VM",
		.start_outputs = 1,
		.input = { .enabled = true, .send_keymap = true },
		.clipboard = { .enabled = true },
	};
	const char *socket_path = NULL, *stats_path = NULL;
	sigset_t mask;
	int opt, err, signal_fd, ret = EXIT_FAILURE;
	FILE *f;

	wl_list_init(&viewer.windows);
	while ((opt = getopt_long(argc, argv, "s:n:o:fh", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			socket_path = optarg;
			break;
		case 'n':
			viewer.name = optarg;
			break;
		case 'o':
			if (parse_outputs(optarg, &viewer.start_outputs) < 0)
				return EXIT_FAILURE;
			break;
		case 'f':
			viewer.fullscreen = true;
			break;
		case OPT_FULLSCREEN_ON:
			if (parse_fullscreen_on(&viewer, optarg) < 0)
				return EXIT_FAILURE;
			break;
		case OPT_NO_INPUT:
			viewer.input.enabled = false;
			break;
		case OPT_GUEST_KEYMAP:
			viewer.input.send_keymap = false;
			break;
		case OPT_NO_CLIPBOARD:
			viewer.clipboard.enabled = false;
			break;
		case OPT_SHM:
			viewer.force_shm = true;
			break;
		case OPT_FRAMES:
			viewer.exit_after = strtoull(optarg, NULL, 10);
			break;
		case OPT_STATS:
			stats_path = optarg;
			break;
		case OPT_TIMES:
			viewer.times = fopen(optarg, "w");
			if (!viewer.times) {
				fprintf(stderr, "vdmabuf-viewer: %s: %s\n", optarg, strerror(errno));
				return EXIT_FAILURE;
			}
			/* Whole lines, also from a viewer that is killed. */
			setvbuf(viewer.times, NULL, _IOLBF, 0);
			break;
		case 'h':
			usage(stdout, argv[0]);
			return EXIT_SUCCESS;
		default:
			usage(stderr, argv[0]);
			return EXIT_FAILURE;
		}
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal_fd = signalfd(-1, &mask, SFD_CLOEXEC);

	viewer.consumer = vdmabuf_consumer_connect(socket_path, &err);
	if (!viewer.consumer) {
		fprintf(stderr, "vdmabuf-viewer: cannot reach the daemon: %s\n", strerror(-err));
		return EXIT_FAILURE;
	}
	vdmabuf_consumer_listen_outputs(viewer.consumer);
	input_start(&viewer);
	viewer.display = wl_display_connect(NULL);
	if (!viewer.display) {
		fprintf(stderr, "vdmabuf-viewer: no Wayland display\n");
		goto out_consumer;
	}
	if (wayland_start(&viewer) < 0 || open_windows(&viewer) < 0)
		goto out_display;
	clipboard_start(&viewer);
	formats_report(&viewer);
	fprintf(stderr, "vdmabuf-viewer: showing %s (%u dmabuf formats importable)\n",
		viewer.name, viewer.formats.len);
	ret = run(&viewer, signal_fd) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

	write_stats(&viewer, stderr);
	if (stats_path && (f = fopen(stats_path, "w"))) {
		write_stats(&viewer, f);
		fclose(f);
	}
	for (unsigned int i = 0; i < MAX_BUFFERS; i++)
		if (viewer.buffers[i])
			view_buffer_destroy(viewer.buffers[i]);
	cursor_finish(&viewer);
	clipboard_finish(&viewer);
	input_finish(&viewer);
out_display:
	wayland_finish(&viewer);
	wl_display_disconnect(viewer.display);
out_consumer:
	vdmabuf_consumer_destroy(viewer.consumer);
	close(signal_fd);
	if (viewer.times)
		fclose(viewer.times);
	return ret;
}
