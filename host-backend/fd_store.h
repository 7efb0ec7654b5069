/* SPDX-License-Identifier: MIT */
#ifndef VDMABUF_FD_STORE_H
#define VDMABUF_FD_STORE_H

#include <stdbool.h>

#define FD_STORE_MAX 64

/*
 * The service manager's file descriptor store: systemd's FDSTORE=1 of
 * sd_notify(3), enabled by FileDescriptorStoreMax= in the unit. What the
 * daemon puts there outlives the daemon; a restarted daemon is handed it
 * back as LISTEN_FDS/LISTEN_FDNAMES. Without NOTIFY_SOCKET every call is
 * a no-op and nothing is inherited.
 */
struct fd_store {
	int notify_fd;			/* -1: no service manager */
	unsigned int num_inherited;
	int inherited[FD_STORE_MAX];	/* -1 once taken */
	char *inherited_names[FD_STORE_MAX];
};

void fd_store_init(struct fd_store *store);
void fd_store_finish(struct fd_store *store);
bool fd_store_enabled(const struct fd_store *store);
/* Tells the service manager the daemon serves (Type=notify). */
void fd_store_ready(struct fd_store *store);
/* The store keeps its own duplicate; fd stays the caller's. */
int fd_store_put(struct fd_store *store, const char *name, int fd);
void fd_store_remove(struct fd_store *store, const char *name);
/* The inherited fd of that name, now the caller's, or -1. */
int fd_store_take(struct fd_store *store, const char *name);
/* Closes what was inherited and not taken. */
void fd_store_close_inherited(struct fd_store *store);

#endif
