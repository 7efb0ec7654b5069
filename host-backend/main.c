// SPDX-License-Identifier: MIT
/*
 * vdmabuf-backend: the host side of the vdmabuf virtio device, as a
 * vhost-user backend for QEMU's vhost-user-test-device-pci.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "device.h"
#include "event_loop.h"
#include "log.h"

struct daemon {
	struct event_loop *loop;
	struct event_source signal_source;
	bool quit;
};

static void handle_signal(struct event_source *source, uint32_t events)
{
	struct daemon *d = container_of(source, struct daemon, signal_source);
	struct signalfd_siginfo si;

	if (read(source->fd, &si, sizeof(si)) == sizeof(si)) {
		log_info("signal %u: exiting", si.ssi_signo);
		d->quit = true;
	}
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s --socket PATH [--log-level LEVEL]\n"
		"Serve the vdmabuf virtio device to QEMU over vhost-user.\n\n"
		"  -s, --socket PATH     QEMU's vhost-user socket (-chardev socket,server=on)\n"
		"  -l, --log-level LVL   error, warning, info (default) or debug\n"
		"  -h, --help            show this help\n", prog);
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	enum log_level level = LOG_LEVEL_INFO;
	const char *socket_path = NULL;
	struct vdmabuf_device *dev;
	struct daemon d = { 0 };
	sigset_t mask;
	int opt, sfd, ret = EXIT_FAILURE;

	while ((opt = getopt_long(argc, argv, "s:l:h", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			socket_path = optarg;
			break;
		case 'l':
			if (log_level_parse(optarg, &level) < 0) {
				fprintf(stderr, "unknown log level '%s'\n", optarg);
				return EXIT_FAILURE;
			}
			break;
		case 'h':
			usage(stdout, argv[0]);
			return EXIT_SUCCESS;
		default:
			usage(stderr, argv[0]);
			return EXIT_FAILURE;
		}
	}
	if (!socket_path || optind != argc) {
		usage(stderr, argv[0]);
		return EXIT_FAILURE;
	}
	log_init("vdmabuf-backend", level);

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	d.loop = event_loop_create();
	if (sfd < 0 || !d.loop ||
	    event_loop_add(d.loop, &d.signal_source, sfd, EPOLLIN, handle_signal) < 0) {
		log_error("setup: %s", strerror(errno));
		goto out;
	}
	dev = vdmabuf_device_create(d.loop, socket_path);
	if (!dev)
		goto out;
	while (!d.quit) {
		int err = event_loop_dispatch(d.loop, -1);

		if (err < 0) {
			log_error("event loop: %s", strerror(-err));
			break;
		}
	}
	ret = d.quit ? EXIT_SUCCESS : EXIT_FAILURE;
	vdmabuf_device_destroy(dev);
out:
	event_loop_destroy(d.loop);
	if (sfd >= 0)
		close(sfd);
	return ret;
}
