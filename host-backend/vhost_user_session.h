/* SPDX-License-Identifier: MIT */
#ifndef VDMABUF_VHOST_USER_SESSION_H
#define VDMABUF_VHOST_USER_SESSION_H

/* Only for vhost_user.c: see vhost_user_session.c. */

struct vhost_user;

/* Keeps fd as NAME-INDEX in the fd store, replacing what was there; -1 drops it. */
void session_keep_fd(struct vhost_user *vu, const char *name, unsigned int index,
		     int fd);
void session_keep_memory(struct vhost_user *vu);
/* Writes the negotiated state to the kept memfd. */
void session_save(struct vhost_user *vu);
/* The frontend is gone: nothing of the session is worth keeping. */
void session_forget(struct vhost_user *vu);
/* The kept vhost-user connection, or -1: nothing to resume. */
int session_take_connection(struct vhost_user *vu);
/*
 * Restores features, memory and rings from the store into vu; returns each
 * queue's kick fd (or -1) for the caller to start it. 0 or -errno.
 */
int session_restore(struct vhost_user *vu, int kick_fds[]);

#endif
