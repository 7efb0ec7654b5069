// SPDX-License-Identifier: MIT
/*
 * vdmabuf-backend: the host side of the vdmabuf virtio device, as a
 * vhost-user backend for QEMU's vhost-user-test-device-pci. The device
 * runs here (--engine user) or in vhost_vdmabuf.ko (--engine kernel).
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "device.h"
#include "event_loop.h"
#include "fd_store.h"
#include "kernel_engine.h"
#include "log.h"
#include "sandbox.h"
#include "vdmabuf_model.h"

#define DEFAULT_CONSUMER_SOCKET "/run/vdmabuf/consumer.sock"

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
		"Usage: %s --socket PATH [OPTIONS]\n"
		"Serve the vdmabuf virtio device to QEMU over vhost-user and its\n"
		"buffers, as host dmabufs, to consumers.\n\n"
		"  -s, --socket PATH           QEMU's vhost-user socket (-chardev socket,server=on)\n"
		"  -c, --consumer-socket PATH  consumers' socket (default %s)\n"
		"  -m, --consumer-mode MODE    its file mode, octal (default 0660)\n"
		"  -g, --consumer-group GROUP  its group: who may connect\n"
		"  -U, --allow-uid USER        serve only consumers of USER, GROUP (either\n"
		"  -G, --allow-group GROUP     repeatable) and root: they may import this VM's\n"
		"                              memory; default: whoever can connect\n"
		"  -P, --max-per-uid N         connections one uid may hold (default %d)\n"
		"  -D, --release-deadline MS   a consumer keeping a frame this long after a\n"
		"                              newer one is disconnected (default 30000)\n"
		"  -M, --max-pinned SIZE       guest memory the host may hold pinned (K, M, G);\n"
		"                              within RLIMIT_MEMLOCK unless CAP_IPC_LOCK\n"
		"  -e, --engine ENGINE         user (default): the device runs here, with udmabuf;\n"
		"                              kernel: it runs in vhost_vdmabuf.ko\n"
		"  -l, --log-level LEVEL       error, warning, info (default) or debug\n"
		"      --bench-no-import       benchmarks only (bench/native): no host dmabuf,\n"
		"                              consumers import no fd; user engine only\n"
		"  -h, --help                  show this help\n", prog, DEFAULT_CONSUMER_SOCKET,
		CONSUMER_DEFAULT_PER_UID);
}

/*
 * Every buffer the host holds is an fd of ours (udmabuf): take all the
 * fds we may; the device advertises no more buffers than they allow.
 */
static void raise_nofile(void)
{
	struct rlimit nofile;

	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &nofile) < 0)
			log_warn("fds: cannot raise the limit: %s", strerror(errno));
	}
}

/* --allow-uid (a user name or number) and --allow-group (a group's). */
static int policy_add(struct consumer_policy *policy, bool uid, const char *name)
{
	unsigned int *n = uid ? &policy->num_uids : &policy->num_gids;
	struct passwd *pw = uid ? getpwnam(name) : NULL;
	struct group *gr = uid ? NULL : getgrnam(name);
	unsigned long id;
	char *end;

	id = strtoul(name, &end, 10);
	if (*end || !*name) {
		if (!pw && !gr) {
			fprintf(stderr, "unknown %s '%s'\n", uid ? "user" : "group", name);
			return -1;
		}
		id = uid ? pw->pw_uid : gr->gr_gid;
	}
	if (*n == CONSUMER_POLICY_MAX) {
		fprintf(stderr, "more than %d allowed %ss\n", CONSUMER_POLICY_MAX,
			uid ? "user" : "group");
		return -1;
	}
	if (uid)
		policy->uids[(*n)++] = id;
	else
		policy->gids[(*n)++] = id;
	return 0;
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "consumer-socket", required_argument, NULL, 'c' },
		{ "consumer-mode", required_argument, NULL, 'm' },
		{ "consumer-group", required_argument, NULL, 'g' },
		{ "allow-uid", required_argument, NULL, 'U' },
		{ "allow-group", required_argument, NULL, 'G' },
		{ "max-per-uid", required_argument, NULL, 'P' },
		{ "release-deadline", required_argument, NULL, 'D' },
		{ "max-pinned", required_argument, NULL, 'M' },
		{ "engine", required_argument, NULL, 'e' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "bench-no-import", no_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	enum log_level level = LOG_LEVEL_INFO;
	struct vdmabuf_device_config config = {
		.consumer_socket = DEFAULT_CONSUMER_SOCKET,
		.consumer_mode = 0660,
		.consumer_group = (gid_t)-1,
	};
	struct fd_store store;
	struct group *grp;
	char *end;
	struct vdmabuf_device *dev = NULL;
	struct kernel_engine *kernel = NULL;
	bool kernel_engine = false;
	struct daemon d = { 0 };
	sigset_t mask;
	int opt, sfd, err, ret = EXIT_FAILURE;

	while ((opt = getopt_long(argc, argv, "s:c:m:g:U:G:P:D:M:e:l:h", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			config.vhost_socket = optarg;
			break;
		case 'c':
			config.consumer_socket = optarg;
			break;
		case 'm':
			config.consumer_mode = strtoul(optarg, &end, 8);
			if (*end || config.consumer_mode > 0777) {
				fprintf(stderr, "bad mode '%s'\n", optarg);
				return EXIT_FAILURE;
			}
			break;
		case 'g':
			grp = getgrnam(optarg);
			if (!grp) {
				fprintf(stderr, "unknown group '%s'\n", optarg);
				return EXIT_FAILURE;
			}
			config.consumer_group = grp->gr_gid;
			break;
		case 'U':
		case 'G':
			if (policy_add(&config.consumer_policy, opt == 'U', optarg) < 0)
				return EXIT_FAILURE;
			break;
		case 'P':
			config.consumer_policy.max_per_uid = strtoul(optarg, &end, 10);
			if (*end || !config.consumer_policy.max_per_uid ||
			    config.consumer_policy.max_per_uid > CONSUMER_MAX) {
				fprintf(stderr, "bad --max-per-uid '%s'\n", optarg);
				return EXIT_FAILURE;
			}
			break;
		case 'D':
			config.release_deadline_ms = strtoul(optarg, &end, 10);
			if (*end || !vdmabuf_release_deadline_valid(config.release_deadline_ms)) {
				fprintf(stderr, "bad --release-deadline '%s' (%u to %u ms)\n", optarg,
					VDMABUF_RELEASE_DEADLINE_MIN_MS, VDMABUF_RELEASE_DEADLINE_MAX_MS);
				return EXIT_FAILURE;
			}
			break;
		case 'M':
			if (vdmabuf_parse_size(optarg, &config.max_pinned) < 0 ||
			    config.max_pinned < VDMABUF_PAGE_SIZE) {
				fprintf(stderr, "bad --max-pinned '%s'\n", optarg);
				return EXIT_FAILURE;
			}
			break;
		case 'e':
			if (strcmp(optarg, "user") && strcmp(optarg, "kernel")) {
				fprintf(stderr, "unknown engine '%s'\n", optarg);
				return EXIT_FAILURE;
			}
			kernel_engine = strcmp(optarg, "kernel") == 0;
			break;
		case 'l':
			if (log_level_parse(optarg, &level) < 0) {
				fprintf(stderr, "unknown log level '%s'\n", optarg);
				return EXIT_FAILURE;
			}
			break;
		case 'B':
			config.bench_no_import = true;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return EXIT_SUCCESS;
		default:
			usage(stderr, argv[0]);
			return EXIT_FAILURE;
		}
	}
	if (!config.vhost_socket || optind != argc || (kernel_engine && config.bench_no_import)) {
		usage(stderr, argv[0]);
		return EXIT_FAILURE;
	}
	log_init("vdmabuf-backend", level);
	raise_nofile();
	fd_store_init(&store);
	config.fd_store = &store;

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
	/* The default socket's directory is ours to make. */
	if (strcmp(config.consumer_socket, DEFAULT_CONSUMER_SOCKET) == 0)
		mkdir("/run/vdmabuf", 0755);
	if (kernel_engine)
		kernel = kernel_engine_create(d.loop, &config);
	else
		dev = vdmabuf_device_create(d.loop, &config);
	fd_store_close_inherited(&store);
	if (!dev && !kernel)
		goto out;
	err = sandbox_enter();
	if (err < 0)
		log_error("sandbox: %s", strerror(-err));
	else
		fd_store_ready(&store);
	while (err >= 0 && !d.quit) {
		err = event_loop_dispatch(d.loop, -1);

		if (err < 0) {
			log_error("event loop: %s", strerror(-err));
			break;
		}
	}
	ret = d.quit ? EXIT_SUCCESS : EXIT_FAILURE;
	vdmabuf_device_destroy(dev);
	kernel_engine_destroy(kernel);
out:
	event_loop_destroy(d.loop);
	if (sfd >= 0)
		close(sfd);
	fd_store_finish(&store);
	return ret;
}
