// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fd_store.h"
#include "log.h"

#define LISTEN_FDS_START 3

static void inherit(struct fd_store *store)
{
	const char *pid = getenv("LISTEN_PID"), *count = getenv("LISTEN_FDS");
	const char *names = getenv("LISTEN_FDNAMES");
	char *copy, *next, *name;
	long n;

	if (!pid || !count || strtol(pid, NULL, 10) != getpid())
		return;
	n = strtol(count, NULL, 10);
	if (n <= 0 || n > FD_STORE_MAX) {
		log_warn("fd store: ignoring LISTEN_FDS=%s", count);
		return;
	}
	copy = strdup(names ? names : "");
	next = copy;
	for (long i = 0; i < n; i++) {
		int fd = LISTEN_FDS_START + i;

		name = next ? strsep(&next, ":") : "";
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		store->inherited[i] = fd;
		store->inherited_names[i] = strdup(name ? name : "");
	}
	store->num_inherited = n;
	free(copy);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
}

void fd_store_init(struct fd_store *store)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	socklen_t len;

	memset(store, 0, sizeof(*store));
	store->notify_fd = -1;
	inherit(store);
	if (!path || !*path || strlen(path) >= sizeof(addr.sun_path))
		return;
	strcpy(addr.sun_path, path);
	if (addr.sun_path[0] == '@')
		addr.sun_path[0] = '\0';
	len = offsetof(struct sockaddr_un, sun_path) + strlen(path);
	store->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (store->notify_fd < 0 ||
	    connect(store->notify_fd, (struct sockaddr *)&addr, len) < 0) {
		log_warn("fd store: %s: %s", path, strerror(errno));
		if (store->notify_fd >= 0)
			close(store->notify_fd);
		store->notify_fd = -1;
	}
}

void fd_store_close_inherited(struct fd_store *store)
{
	for (unsigned int i = 0; i < store->num_inherited; i++) {
		if (store->inherited[i] >= 0) {
			log_info("fd store: %s unused", store->inherited_names[i]);
			close(store->inherited[i]);
		}
		free(store->inherited_names[i]);
	}
	store->num_inherited = 0;
}

void fd_store_finish(struct fd_store *store)
{
	fd_store_close_inherited(store);
	if (store->notify_fd >= 0)
		close(store->notify_fd);
	store->notify_fd = -1;
}

bool fd_store_enabled(const struct fd_store *store)
{
	return store->notify_fd >= 0;
}

static int notify(struct fd_store *store, const char *text, int fd)
{
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)text, .iov_len = strlen(text) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;

	if (fd >= 0) {
		msg.msg_control = control;
		msg.msg_controllen = sizeof(control);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	if (sendmsg(store->notify_fd, &msg, MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

void fd_store_ready(struct fd_store *store)
{
	int err;

	if (!fd_store_enabled(store))
		return;
	err = notify(store, "READY=1", -1);
	if (err)
		log_warn("service manager: READY not sent: %s", strerror(-err));
}

int fd_store_put(struct fd_store *store, const char *name, int fd)
{
	char text[128];
	int err;

	if (!fd_store_enabled(store))
		return 0;
	snprintf(text, sizeof(text), "FDSTORE=1\nFDNAME=%s", name);
	err = notify(store, text, fd);
	if (err)
		log_warn("fd store: %s not kept: %s", name, strerror(-err));
	return err;
}

void fd_store_remove(struct fd_store *store, const char *name)
{
	char text[128];

	if (!fd_store_enabled(store))
		return;
	snprintf(text, sizeof(text), "FDSTOREREMOVE=1\nFDNAME=%s", name);
	notify(store, text, -1);
}

int fd_store_take(struct fd_store *store, const char *name)
{
	for (unsigned int i = 0; i < store->num_inherited; i++) {
		int fd = store->inherited[i];

		if (fd >= 0 && strcmp(store->inherited_names[i], name) == 0) {
			store->inherited[i] = -1;
			return fd;
		}
	}
	return -1;
}
