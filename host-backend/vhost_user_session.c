// SPDX-License-Identifier: MIT
/*
 * A vhost-user session that outlives the daemon. Stock QEMU's
 * vhost-user-test-device cannot take a backend back once the socket closed
 * (its reconnect path aborts), so a restart must never close it: the
 * connection, guest memory and eventfds sit in the service manager's fd
 * store, the rest of the negotiated state in a memfd kept there too, and a
 * restarted daemon picks the session up where the old one left it. The
 * device's buffers are not kept: the restarted device tells the driver so
 * with a RESET event, and the driver shares again what it still needs.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "vhost_user.h"
#include "vhost_user_session.h"

#define SESSION_MAGIC 0x76647573u	/* "vdus" */

struct saved_region {
	uint64_t gpa, size, uva, fd_offset;
	uint32_t fd_index;		/* region whose "mem-N" fd maps this one */
	uint32_t pad;
};

struct saved_vq {
	uint32_t num, enabled;
	uint64_t desc_uva, avail_uva, used_uva;
};

struct saved_session {
	uint32_t magic;
	uint32_t size;			/* sizeof(struct saved_session) */
	uint64_t features, protocol_features;
	uint32_t num_regions, num_vqs;
	struct saved_region regions[GUEST_MEMORY_MAX_REGIONS];
	struct saved_vq vqs[VHOST_USER_MAX_QUEUES];
};

static bool keeping(const struct vhost_user *vu)
{
	return vu->store && fd_store_enabled(vu->store);
}

void session_keep_fd(struct vhost_user *vu, const char *name, unsigned int index,
		     int fd)
{
	char full[32];

	if (!keeping(vu))
		return;
	snprintf(full, sizeof(full), "%s-%u", name, index);
	fd_store_remove(vu->store, full);
	if (fd >= 0)
		fd_store_put(vu->store, full, fd);
}

/* The region mapped by the same file as region i, or i. */
static unsigned int region_fd_index(const struct guest_memory *mem, unsigned int i)
{
	struct stat a, b;

	if (fstat(mem->regions[i].fd, &a) < 0)
		return i;
	for (unsigned int j = 0; j < i; j++)
		if (fstat(mem->regions[j].fd, &b) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			return region_fd_index(mem, j);
	return i;
}

/*
 * One fd per file: the service manager keeps a file only once however
 * often it is passed, and QEMU maps all RAM of a memfd backend from one.
 */
void session_keep_memory(struct vhost_user *vu)
{
	const struct guest_memory *mem = &vu->mem;

	if (!keeping(vu))
		return;
	for (unsigned int i = 0; i < vu->kept_regions; i++)
		session_keep_fd(vu, "mem", i, -1);
	for (unsigned int i = 0; i < mem->num_regions; i++)
		if (region_fd_index(mem, i) == i)
			session_keep_fd(vu, "mem", i, mem->regions[i].fd);
	vu->kept_regions = mem->num_regions;
}

void session_save(struct vhost_user *vu)
{
	struct saved_session s = {
		.magic = SESSION_MAGIC,
		.size = sizeof(s),
		.features = vu->features,
		.protocol_features = vu->protocol_features,
		.num_regions = vu->mem.num_regions,
		.num_vqs = vu->num_vqs,
	};

	if (!keeping(vu))
		return;
	if (vu->session_fd < 0) {
		vu->session_fd = memfd_create("vdmabuf-session", MFD_CLOEXEC);
		if (vu->session_fd < 0 ||
		    fd_store_put(vu->store, "session", vu->session_fd) < 0) {
			log_warn("session: not kept: %s", strerror(errno));
			if (vu->session_fd >= 0)
				close(vu->session_fd);
			vu->session_fd = -1;
			return;
		}
	}
	for (unsigned int i = 0; i < vu->mem.num_regions; i++) {
		const struct guest_region *r = &vu->mem.regions[i];

		s.regions[i] = (struct saved_region){
			.gpa = r->gpa, .size = r->size, .uva = r->uva,
			.fd_offset = r->fd_offset,
			.fd_index = region_fd_index(&vu->mem, i),
		};
	}
	for (unsigned int i = 0; i < vu->num_vqs; i++) {
		const struct virtqueue *vq = &vu->vqs[i];

		s.vqs[i] = (struct saved_vq){
			.num = vq->num, .enabled = vq->enabled,
			.desc_uva = vq->desc_uva, .avail_uva = vq->avail_uva,
			.used_uva = vq->used_uva,
		};
	}
	if (pwrite(vu->session_fd, &s, sizeof(s), 0) != sizeof(s))
		log_warn("session: save: %s", strerror(errno));
}

void session_forget(struct vhost_user *vu)
{
	if (!keeping(vu))
		return;
	session_keep_fd(vu, "vhost-user", 0, -1);
	fd_store_remove(vu->store, "session");
	for (unsigned int i = 0; i < vu->num_vqs; i++) {
		session_keep_fd(vu, "kick", i, -1);
		session_keep_fd(vu, "call", i, -1);
	}
	for (unsigned int i = 0; i < vu->kept_regions; i++)
		session_keep_fd(vu, "mem", i, -1);
	vu->kept_regions = 0;
	if (vu->session_fd >= 0)
		close(vu->session_fd);
	vu->session_fd = -1;
}

static int take(struct vhost_user *vu, const char *name, unsigned int index)
{
	char full[32];

	snprintf(full, sizeof(full), "%s-%u", name, index);
	return fd_store_take(vu->store, full);
}

static int restore_memory(struct vhost_user *vu, const struct saved_session *s)
{
	int fds[GUEST_MEMORY_MAX_REGIONS];
	int err = 0;

	for (unsigned int i = 0; i < s->num_regions; i++)
		fds[i] = s->regions[i].fd_index == i ? take(vu, "mem", i) : -1;
	for (unsigned int i = 0; i < s->num_regions && !err; i++) {
		const struct saved_region *r = &s->regions[i];
		int fd = r->fd_index < s->num_regions ? fds[r->fd_index] : -1;

		if (fd < 0 || (fd = dup(fd)) < 0) {
			log_error("session: region %u has no memory fd", i);
			err = -EINVAL;
			break;
		}
		err = guest_memory_add(&vu->mem, r->gpa, r->size, r->uva,
				       r->fd_offset, fd);
	}
	for (unsigned int i = 0; i < s->num_regions; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	vu->kept_regions = s->num_regions;
	return err;
}

int session_take_connection(struct vhost_user *vu)
{
	return vu->store ? take(vu, "vhost-user", 0) : -1;
}

/*
 * What the old daemon saved is checked as a frontend's messages are: the
 * memfd sits in the service manager's store, and anything may have
 * written it. NULL, or why it cannot be resumed.
 */
static const char *session_check(const struct vhost_user *vu, const struct saved_session *s)
{
	if (s->magic != SESSION_MAGIC || s->size != sizeof(*s))
		return "not a saved session of this daemon";
	if (s->num_regions > GUEST_MEMORY_MAX_REGIONS)
		return "too many memory regions";
	if (s->num_vqs != vu->num_vqs)
		return "another number of queues";
	if (s->features & ~vhost_user_offered_features(vu))
		return "features never offered";
	for (unsigned int i = 0; i < s->num_regions; i++)
		if (s->regions[i].fd_index > i)
			return "a region's memory fd index is out of order";
	for (unsigned int i = 0; i < s->num_vqs; i++)
		if (s->vqs[i].num && !virtqueue_num_valid(s->vqs[i].num))
			return "a queue of an impossible size";
	return NULL;
}

int session_restore(struct vhost_user *vu, int kick_fds[])
{
	struct saved_session s;
	const char *why = "no saved state";

	for (unsigned int i = 0; i < vu->num_vqs; i++)
		kick_fds[i] = -1;
	vu->session_fd = fd_store_take(vu->store, "session");
	if (vu->session_fd >= 0 && pread(vu->session_fd, &s, sizeof(s), 0) == sizeof(s))
		why = session_check(vu, &s);
	if (why) {
		log_error("session: not resumed: %s", why);
		return -EINVAL;
	}
	vu->features = s.features;
	vu->protocol_features = s.protocol_features;
	if (restore_memory(vu, &s) < 0)
		return -EINVAL;
	for (unsigned int i = 0; i < vu->num_vqs; i++) {
		struct virtqueue *vq = &vu->vqs[i];

		vq->num = s.vqs[i].num;
		vq->enabled = s.vqs[i].enabled;
		vq->desc_uva = s.vqs[i].desc_uva;
		vq->avail_uva = s.vqs[i].avail_uva;
		vq->used_uva = s.vqs[i].used_uva;
		vq->call_fd = take(vu, "call", i);
		kick_fds[i] = take(vu, "kick", i);
		/*
		 * What the old daemon took but never answered is taken again:
		 * requests are handled in order, so the used index tells.
		 */
		if (virtqueue_map(vq, &vu->mem))
			vq->last_avail_idx = vq->used_idx;
	}
	return 0;
}
