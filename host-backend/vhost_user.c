// SPDX-License-Identifier: MIT
#include <errno.h>
#include <linux/kcmp.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "vhost_user.h"
#include "vhost_user_proto.h"
#include "vhost_user_session.h"

#define PROTOCOL_FEATURES ((1ull << VHOST_USER_PROTOCOL_F_MQ) | \
			   (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) | \
			   (1ull << VHOST_USER_PROTOCOL_F_CONFIG) | \
			   (1ull << VHOST_USER_PROTOCOL_F_RESET_DEVICE) | \
			   (1ull << VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS))

/* A restarted daemon finds QEMU's server socket again within this. */
#define RECONNECT_NS (100 * 1000 * 1000)

struct vhost_user_msg {
	struct vhost_user_header hdr;
	union vhost_user_payload payload;
	int fds[VHOST_USER_MAX_FDS];
	unsigned int num_fds;
};

uint64_t vhost_user_offered_features(const struct vhost_user *vu)
{
	return vu->impl->features | (1ull << VIRTIO_F_VERSION_1) |
	       (1ull << VHOST_USER_F_PROTOCOL_FEATURES);
}

bool vhost_user_has_feature(const struct vhost_user *vu, unsigned int bit)
{
	return vu->features & (1ull << bit);
}

static void close_fds(struct vhost_user_msg *msg)
{
	for (unsigned int i = 0; i < msg->num_fds; i++)
		if (msg->fds[i] >= 0)
			close(msg->fds[i]);
	msg->num_fds = 0;
}

/* Takes fd i of msg, so close_fds leaves it open. */
static int take_fd(struct vhost_user_msg *msg, unsigned int i)
{
	int fd = msg->fds[i];

	msg->fds[i] = -1;
	return fd;
}

static int read_msg(int fd, struct vhost_user_msg *msg)
{
	char control[CMSG_SPACE(VHOST_USER_MAX_FDS * sizeof(int))];
	struct iovec iov = { &msg->hdr, sizeof(msg->hdr) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *cmsg;
	ssize_t n;

	msg->num_fds = 0;
	n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return n < 0 ? -errno : -ECONNRESET;
	for (cmsg = CMSG_FIRSTHDR(&mh); cmsg; cmsg = CMSG_NXTHDR(&mh, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		msg->num_fds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		memcpy(msg->fds, CMSG_DATA(cmsg), msg->num_fds * sizeof(int));
	}
	if (mh.msg_flags & MSG_CTRUNC) {
		close_fds(msg);
		return -EMSGSIZE;
	}
	if (n != sizeof(msg->hdr) || msg->hdr.size > sizeof(msg->payload)) {
		log_error("vhost-user: bad header (%zd bytes, payload %u)", n,
			  msg->hdr.size);
		close_fds(msg);
		return -EPROTO;
	}
	if (msg->hdr.size) {
		n = recv(fd, &msg->payload, msg->hdr.size, MSG_WAITALL);
		if (n != (ssize_t)msg->hdr.size) {
			close_fds(msg);
			return -EPROTO;
		}
	}
	return 0;
}

static int send_reply(struct vhost_user *vu, struct vhost_user_msg *msg,
		      const void *payload, uint32_t size)
{
	struct vhost_user_header hdr = {
		.request = msg->hdr.request,
		.flags = VHOST_USER_VERSION | VHOST_USER_FLAG_REPLY,
		.size = size,
	};
	struct iovec iov[2] = {
		{ &hdr, sizeof(hdr) }, { (void *)payload, size },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

	if (sendmsg(vu->client_source.fd, &mh, MSG_NOSIGNAL) !=
	    (ssize_t)(sizeof(hdr) + size))
		return -EIO;
	/* The request was answered: no REPLY_ACK on top. */
	msg->hdr.flags &= ~VHOST_USER_FLAG_NEED_REPLY;
	return 0;
}

static int reply_u64(struct vhost_user *vu, struct vhost_user_msg *msg, uint64_t v)
{
	return send_reply(vu, msg, &v, sizeof(v));
}

static bool payload_has(const struct vhost_user_msg *msg, size_t size)
{
	if (msg->hdr.size >= size)
		return true;
	log_error("vhost-user: request %u: payload %u < %zu", msg->hdr.request,
		  msg->hdr.size, size);
	return false;
}

static struct virtqueue *msg_vq(struct vhost_user *vu, uint32_t index)
{
	if (index < vu->num_vqs)
		return &vu->vqs[index];
	log_error("vhost-user: queue %u out of range", index);
	return NULL;
}

static bool queue_active(const struct vhost_user *vu, const struct virtqueue *vq)
{
	return vq->started &&
	       (vq->enabled || !vhost_user_has_feature(vu, VHOST_USER_F_PROTOCOL_FEATURES));
}

static void maybe_start(struct vhost_user *vu)
{
	if (vu->running)
		return;
	for (unsigned int i = 0; i < vu->num_vqs; i++)
		if (!queue_active(vu, &vu->vqs[i]))
			return;
	vu->running = true;
	log_info("device ready: features=%#llx queues=%u regions=%u",
		 (unsigned long long)vu->features, vu->num_vqs, vu->mem.num_regions);
	vu->impl->start(vu);
	/* Requests may already wait in the rings (a frontend reconnect). */
	if (vu->impl->kick)
		for (unsigned int i = 0; i < vu->num_vqs; i++)
			vu->impl->kick(vu, &vu->vqs[i]);
}

/* Whether a and b are one open file, e.g. an eventfd the frontend sent again. */
static bool same_file(int a, int b)
{
	pid_t pid = getpid();

	return a >= 0 && b >= 0 && syscall(SYS_kcmp, pid, pid, KCMP_FILE, a, b) == 0;
}

/*
 * An engine that runs the rings itself holds the mappings and eventfds it
 * was started with, so it cannot follow a change of them: it is stopped
 * before the change and started after it, a new device instance (the
 * guest sees a RESET). Returns whether it was stopped.
 */
static bool stop_for_change(struct vhost_user *vu, const char *what)
{
	if (vu->impl->kick || !vu->running)
		return false;
	log_info("%s changed under the running device: restarting it", what);
	vu->running = false;
	vu->impl->reset(vu);
	return true;
}

/* The same for a queue's eventfd: the same file sent again is no change. */
static bool stop_for_fd_change(struct vhost_user *vu, const char *what,
			       int old_fd, int new_fd)
{
	if (vu->impl->kick || !vu->running || same_file(old_fd, new_fd))
		return false;
	return stop_for_change(vu, what);
}

static void stop_vq(struct vhost_user *vu, struct virtqueue *vq)
{
	session_keep_fd(vu, "kick", vq->index, -1);
	event_loop_remove(vu->loop, &vq->kick_source);
	if (vq->kick_fd >= 0)
		close(vq->kick_fd);
	vq->kick_fd = -1;
	vq->started = false;
}

/* Device reset: every queue stopped and forgotten, the device told. */
static void reset_device(struct vhost_user *vu)
{
	/* The device lets go of the rings before they are forgotten. */
	vu->running = false;
	vu->impl->reset(vu);
	for (unsigned int i = 0; i < vu->num_vqs; i++) {
		stop_vq(vu, &vu->vqs[i]);
		session_keep_fd(vu, "call", i, -1);
		virtqueue_reset(&vu->vqs[i]);
	}
}

static void handle_kick(struct event_source *source, uint32_t events)
{
	struct virtqueue *vq = container_of(source, struct virtqueue, kick_source);
	/* vqs[] is an array: step back to its first element. */
	struct vhost_user *vu = container_of(vq - vq->index, struct vhost_user, vqs[0]);
	uint64_t count;

	if (read(vq->kick_fd, &count, sizeof(count)) == sizeof(count))
		vq->kicks += count;
	else if (errno != EAGAIN)
		log_debug("vq %u: kick read: %s", vq->index, strerror(errno));
	if (vu->running)
		vu->impl->kick(vu, vq);
}

static int start_vq(struct vhost_user *vu, struct virtqueue *vq, int kick_fd)
{
	vq->event_idx = vhost_user_has_feature(vu, VIRTIO_RING_F_EVENT_IDX);
	if (!virtqueue_map(vq, &vu->mem)) {
		log_error("vq %u: ring outside guest memory or size unset", vq->index);
		close(kick_fd);
		return -EINVAL;
	}
	vq->kick_fd = kick_fd;
	if (vu->impl->kick &&
	    event_loop_add(vu->loop, &vq->kick_source, kick_fd, EPOLLIN,
			   handle_kick) < 0) {
		close(kick_fd);
		vq->kick_fd = -1;
		return -EIO;
	}
	vq->started = true;
	vq->broken = false;
	maybe_start(vu);
	return 0;
}

/*
 * One function per vhost-user request, as libvhost-user has them: each
 * checks its payload and returns 0 or -errno (-EIO drops the connection).
 */
typedef int vu_request_exec(struct vhost_user *vu, struct vhost_user_msg *msg);

static int vu_get_features_exec(struct vhost_user *vu, struct vhost_user_msg *msg)
{
	return reply_u64(vu, msg, vhost_user_offered_features(vu));
}

static int vu_set_features_exec(struct vhost_user *vu, struct vhost_user_msg *msg)
{
	uint64_t features;

	if (!payload_has(msg, 8))
		return -EINVAL;
	features = msg->payload.u64;
	if (features & ~vhost_user_offered_features(vu)) {
		log_error("vhost-user: unoffered features %#llx",
			  (unsigned long long)(features & ~vhost_user_offered_features(vu)));
		return -EINVAL;
	}
	vu->features = features;
	return 0;
}

static int vu_get_protocol_features_exec(struct vhost_user *vu, struct vhost_user_msg *msg)
{
	return reply_u64(vu, msg, PROTOCOL_FEATURES);
}

static int vu_set_protocol_features_exec(struct vhost_user *vu, struct vhost_user_msg *msg)
{
	if (!payload_has(msg, 8))
		return -EINVAL;
	vu->protocol_features = msg->payload.u64 & PROTOCOL_FEATURES;
	return 0;
}

static int vu_get_queue_num_exec(struct vhost_user *vu, struct vhost_user_msg *msg)
{
	return reply_u64(vu, msg, vu->num_vqs);
}

static int vu_get_max_mem_slots_exec(struct vhost_user *vu, struct vhost_user_msg *msg)
{
	return reply_u64(vu, msg, GUEST_MEMORY_MAX_REGIONS);
}

static int vu_set_owner_exec(struct vhost_user *vu, struct vhost_user_msg *msg)
{
	return 0;
}

/* RESET_OWNER and RESET_DEVICE. */
static int vu_reset_device_exec(struct vhost_user *vu, struct vhost_user_msg *msg)
{
	log_info("device reset by the frontend");
	reset_device(vu);
	return 0;
}

/*
 * Guest memory changed: the started rings move with the memory they live
 * in, and one whose memory went is broken (never read through a stale
 * mapping); then the memory is kept for a successor and the device
 * restarted if it was stopped for the change.
 */
static int memory_changed(struct vhost_user *vu, bool restart, int err)
{
	for (unsigned int i = 0; i < vu->num_vqs; i++) {
		struct virtqueue *vq = &vu->vqs[i];

		if (vq->started && !vq->broken && !virtqueue_map(vq, &vu->mem)) {
			vq->broken = true;
			log_error("vq %u: its ring is no longer in guest memory; stopped until reset", i);
		}
	}
	session_keep_memory(vu);
	if (restart)
		maybe_start(vu);
	return err;
}

static int vu_set_mem_table_exec(struct vhost_user *vu, struct vhost_user_msg *msg)
{
	const struct vhost_user_memory *m = &msg->payload.memory;
	bool restart;
	int err = 0;

	if (!payload_has(msg, 8) || m->num_regions > VHOST_USER_MAX_FDS ||
	    msg->hdr.size < 8 + m->num_regions * sizeof(m->regions[0]) ||
	    msg->num_fds != m->num_regions) {
		log_error("vhost-user: bad memory table");
		return -EINVAL;
	}
	restart = stop_for_change(vu, "memory table");
	guest_memory_clear(&vu->mem);
	for (uint32_t i = 0; i < m->num_regions && !err; i++) {
		const struct vhost_user_region *r = &m->regions[i];

		err = guest_memory_add(&vu->mem, r->guest_phys_addr,
				       r->memory_size, r->userspace_addr,
				       r->mmap_offset, take_fd(msg, i));
	}
	/* Also when refused: the rings are never read through the old table. */
	return memory_changed(vu, restart, err);
}

static int vu_add_mem_reg_exec(struct vhost_user *vu, struct vhost_user_msg *msg)
{
	const struct vhost_user_region *r = &msg->payload.memory_single.region;
	bool restart;
	int err;

	if (!payload_has(msg, sizeof(msg->payload.memory_single)) || msg->num_fds != 1)
		return -EINVAL;
	restart = stop_for_change(vu, "memory table");
	err = guest_memory_add(&vu->mem, r->guest_phys_addr, r->memory_size,
			       r->userspace_addr, r->mmap_offset, take_fd(msg, 0));
	return memory_changed(vu, restart, err);
}

static int vu_rem_mem_reg_exec(struct vhost_user *vu, struct vhost_user_msg *msg)
{
	const struct vhost_user_region *r = &msg->payload.memory_single.region;
	bool restart;
	int err;

	if (!payload_has(msg, sizeof(msg->payload.memory_single)))
		return -EINVAL;
	restart = stop_for_change(vu, "memory table");
	err = guest_memory_remove(&vu->mem, r->guest_phys_addr, r->memory_size);
	return memory_changed(vu, restart, err);
}

/* The queue a vring state message names, or NULL if it names none. */
static struct virtqueue *state_vq(struct vhost_user *vu, const struct vhost_user_msg *msg)
{
	if (!payload_has(msg, sizeof(msg->payload.state)))
		return NULL;
	return msg_vq(vu, msg->payload.state.index);
}

/*
 * A started queue's size, addresses and base are what its mapped ring was
 * built from: changing them under it would index past the mapping. The
 * frontend sets them only while the queue is stopped (GET_VRING_BASE).
 */
static bool vq_settable(const struct virtqueue *vq, const char *what)
{
	if (!vq->started)
		return true;
	log_error("vq %u: %s of a started queue refused", vq->index, what);
	return false;
}

static int vu_set_vring_num_exec(struct vhost_user *vu, struct vhost_user_msg *msg)
{
	struct virtqueue *vq = state_vq(vu, msg);
	uint32_t num;

	if (!vq)
		return -EINVAL;
	if (!vq_settable(vq, "size"))
		return -EBUSY;
	num = msg->payload.state.num;
	if (!virtqueue_num_valid(num)) {
		log_error("vq %u: bad size %u", vq->index, num);
		return -EINVAL;
	}
	vq->num = num;
	return 0;
}

static int vu_set_vring_addr_exec(struct vhost_user *vu, struct vhost_user_msg *msg)
{
	const struct vhost_user_vring_addr *addr = &msg->payload.addr;
	struct virtqueue *vq;

	if (!payload_has(msg, sizeof(*addr)) || !(vq = msg_vq(vu, addr->index)))
		return -EINVAL;
	if (!vq_settable(vq, "addresses"))
		return -EBUSY;
	vq->desc_uva = addr->desc_user_addr;
	vq->avail_uva = addr->avail_user_addr;
	vq->used_uva = addr->used_user_addr;
	return 0;
}

static int vu_set_vring_base_exec(struct vhost_user *vu, struct vhost_user_msg *msg)
{
	struct virtqueue *vq = state_vq(vu, msg);

	if (!vq)
		return -EINVAL;
	if (!vq_settable(vq, "base"))
		return -EBUSY;
	vq->last_avail_idx = msg->payload.state.num;
	return 0;
}

static int vu_get_vring_base_exec(struct vhost_user *vu, struct vhost_user_msg *msg)
{
	struct virtqueue *vq = state_vq(vu, msg);
	struct vhost_user_vring_state state;

	if (!vq)
		return -EINVAL;
	/* The frontend stops the device queue by queue. */
	stop_vq(vu, vq);
	if (vu->running) {
		log_info("device stopped");
		vu->running = false;
		vu->impl->reset(vu);
	}
	state = (struct vhost_user_vring_state){ vq->index, vq->last_avail_idx };
	return send_reply(vu, msg, &state, sizeof(state));
}

/*
 * SET_VRING_KICK, _CALL and _ERR: the queue in the low bits of the
 * payload, an eventfd attached unless VHOST_USER_VRING_NOFD. Returns the
 * queue and takes the fd (-1 without one) into *fd, or returns NULL.
 */
static struct virtqueue *vring_fd(struct vhost_user *vu, struct vhost_user_msg *msg, int *fd)
{
	struct virtqueue *vq;

	if (!payload_has(msg, 8) ||
	    !(vq = msg_vq(vu, msg->payload.u64 & VHOST_USER_VRING_IDX_MASK)))
		return NULL;
	*fd = -1;
	if (!(msg->payload.u64 & VHOST_USER_VRING_NOFD)) {
		if (msg->num_fds != 1)
			return NULL;
		*fd = take_fd(msg, 0);
	}
	return vq;
}

static int vu_set_vring_kick_exec(struct vhost_user *vu, struct vhost_user_msg *msg)
{
	struct virtqueue *vq;
	int fd;

	if (!(vq = vring_fd(vu, msg, &fd)))
		return -EINVAL;
	/* start_vq starts a device stopped here again. */
	stop_for_fd_change(vu, "kick eventfd", vq->kick_fd, fd);
	stop_vq(vu, vq);
	session_keep_fd(vu, "kick", vq->index, fd);
	if (fd < 0) {
		log_error("vq %u: polling without a kick fd is not supported", vq->index);
		return -EINVAL;
	}
	return start_vq(vu, vq, fd);
}

static int vu_set_vring_call_exec(struct vhost_user *vu, struct vhost_user_msg *msg)
{
	struct virtqueue *vq;
	bool restart;
	int fd;

	if (!(vq = vring_fd(vu, msg, &fd)))
		return -EINVAL;
	/*
	 * QEMU's vhost-user-base sends each call eventfd again once the
	 * device runs: the same file changes nothing.
	 */
	restart = stop_for_fd_change(vu, "call eventfd", vq->call_fd, fd);
	if (vq->call_fd >= 0)
		close(vq->call_fd);
	vq->call_fd = fd;
	session_keep_fd(vu, "call", vq->index, fd);
	if (restart)
		maybe_start(vu);
	return 0;
}

/* Errors of the rings are not reported: the eventfd is not kept. */
static int vu_set_vring_err_exec(struct vhost_user *vu, struct vhost_user_msg *msg)
{
	int fd;

	if (!vring_fd(vu, msg, &fd))
		return -EINVAL;
	if (fd >= 0)
		close(fd);
	return 0;
}

static int vu_set_vring_enable_exec(struct vhost_user *vu, struct vhost_user_msg *msg)
{
	struct virtqueue *vq = state_vq(vu, msg);

	if (!vq)
		return -EINVAL;
	vq->enabled = msg->payload.state.num;
	maybe_start(vu);
	return 0;
}

static int vu_get_config_exec(struct vhost_user *vu, struct vhost_user_msg *msg)
{
	const struct vhost_user_config *req = &msg->payload.config;
	struct vhost_user_config cfg = { 0 };
	uint8_t config[VHOST_USER_MAX_CONFIG_SIZE] = { 0 };

	if (!payload_has(msg, 12) || req->size > VHOST_USER_MAX_CONFIG_SIZE ||
	    req->offset > VHOST_USER_MAX_CONFIG_SIZE - req->size)
		return -EINVAL;
	vu->impl->get_config(vu, config);
	cfg.offset = req->offset;
	cfg.size = req->size;
	memcpy(cfg.region, config + cfg.offset, cfg.size);
	return send_reply(vu, msg, &cfg, 12 + cfg.size);
}

static int vu_set_config_exec(struct vhost_user *vu, struct vhost_user_msg *msg)
{
	log_warn("vhost-user: config space is read-only");
	return -EPERM;
}

static vu_request_exec *const vu_request_table[] = {
	[VHOST_USER_GET_FEATURES] = vu_get_features_exec,
	[VHOST_USER_SET_FEATURES] = vu_set_features_exec,
	[VHOST_USER_SET_OWNER] = vu_set_owner_exec,
	[VHOST_USER_RESET_OWNER] = vu_reset_device_exec,
	[VHOST_USER_SET_MEM_TABLE] = vu_set_mem_table_exec,
	[VHOST_USER_SET_VRING_NUM] = vu_set_vring_num_exec,
	[VHOST_USER_SET_VRING_ADDR] = vu_set_vring_addr_exec,
	[VHOST_USER_SET_VRING_BASE] = vu_set_vring_base_exec,
	[VHOST_USER_GET_VRING_BASE] = vu_get_vring_base_exec,
	[VHOST_USER_SET_VRING_KICK] = vu_set_vring_kick_exec,
	[VHOST_USER_SET_VRING_CALL] = vu_set_vring_call_exec,
	[VHOST_USER_SET_VRING_ERR] = vu_set_vring_err_exec,
	[VHOST_USER_GET_PROTOCOL_FEATURES] = vu_get_protocol_features_exec,
	[VHOST_USER_SET_PROTOCOL_FEATURES] = vu_set_protocol_features_exec,
	[VHOST_USER_GET_QUEUE_NUM] = vu_get_queue_num_exec,
	[VHOST_USER_SET_VRING_ENABLE] = vu_set_vring_enable_exec,
	[VHOST_USER_GET_CONFIG] = vu_get_config_exec,
	[VHOST_USER_SET_CONFIG] = vu_set_config_exec,
	[VHOST_USER_RESET_DEVICE] = vu_reset_device_exec,
	[VHOST_USER_GET_MAX_MEM_SLOTS] = vu_get_max_mem_slots_exec,
	[VHOST_USER_ADD_MEM_REG] = vu_add_mem_reg_exec,
	[VHOST_USER_REM_MEM_REG] = vu_rem_mem_reg_exec,
};

static int handle_msg(struct vhost_user *vu, struct vhost_user_msg *msg)
{
	uint32_t request = msg->hdr.request;

	if (request >= sizeof(vu_request_table) / sizeof(vu_request_table[0]) ||
	    !vu_request_table[request]) {
		log_warn("vhost-user: unsupported request %u", request);
		return -ENOTSUP;
	}
	return vu_request_table[request](vu, msg);
}

static void try_connect(struct vhost_user *vu);

/* Lets go of the connection here; what the fd store keeps stays there. */
static void close_connection(struct vhost_user *vu)
{
	int fd = vu->client_source.fd;

	reset_device(vu);
	event_loop_remove(vu->loop, &vu->client_source);
	close(fd);
	guest_memory_clear(&vu->mem);
	vu->features = 0;
	vu->protocol_features = 0;
	if (vu->session_fd >= 0)
		close(vu->session_fd);
	vu->session_fd = -1;
}

static void disconnect(struct vhost_user *vu)
{
	session_forget(vu);
	close_connection(vu);
	log_info("frontend disconnected; reconnecting");
	try_connect(vu);
}

static void handle_client(struct event_source *source, uint32_t events)
{
	struct vhost_user *vu = container_of(source, struct vhost_user, client_source);
	struct vhost_user_msg msg;
	int err;

	err = read_msg(source->fd, &msg);
	if (err) {
		if (err != -ECONNRESET)
			log_error("vhost-user: read: %s", strerror(-err));
		disconnect(vu);
		return;
	}
	log_debug("vhost-user: request %u size %u fds %u", msg.hdr.request,
		  msg.hdr.size, msg.num_fds);
	err = handle_msg(vu, &msg);
	close_fds(&msg);
	session_save(vu);
	if (err == -EIO) {
		disconnect(vu);
		return;
	}
	if (err)
		log_warn("vhost-user: request %u failed: %s", msg.hdr.request,
			 strerror(-err));
	if ((msg.hdr.flags & VHOST_USER_FLAG_NEED_REPLY) &&
	    (vu->protocol_features & (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK)))
		if (reply_u64(vu, &msg, err ? 1 : 0) < 0)
			disconnect(vu);
}

static void try_connect(struct vhost_user *vu)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct itimerspec retry = { .it_value.tv_nsec = RECONNECT_NS };
	int fd;

	strcpy(addr.sun_path, vu->socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
	    event_loop_add(vu->loop, &vu->client_source, fd, EPOLLIN, handle_client) == 0) {
		log_info("connected to %s", vu->socket_path);
		vu->waiting = false;
		session_keep_fd(vu, "vhost-user", 0, fd);
		return;
	}
	if (!vu->waiting)
		log_info("waiting for %s: %s", vu->socket_path, strerror(errno));
	vu->waiting = true;
	if (fd >= 0)
		close(fd);
	timerfd_settime(vu->retry_source.fd, 0, &retry, NULL);
}

static void handle_retry(struct event_source *source, uint32_t events)
{
	struct vhost_user *vu = container_of(source, struct vhost_user, retry_source);
	uint64_t expirations;

	if (read(source->fd, &expirations, sizeof(expirations)) < 0)
		return;
	if (vu->client_source.fd < 0)
		try_connect(vu);
}

/* Picks up the session a previous daemon left in the fd store. */
static bool resume_session(struct vhost_user *vu)
{
	int kick_fds[VHOST_USER_MAX_QUEUES];
	int fd = session_take_connection(vu);

	if (fd < 0)
		return false;
	if (session_restore(vu, kick_fds) < 0 ||
	    event_loop_add(vu->loop, &vu->client_source, fd, EPOLLIN, handle_client) < 0) {
		for (unsigned int i = 0; i < vu->num_vqs; i++)
			if (kick_fds[i] >= 0)
				close(kick_fds[i]);
		close(fd);
		session_forget(vu);
		reset_device(vu);
		guest_memory_clear(&vu->mem);
		vu->features = 0;
		vu->protocol_features = 0;
		return false;
	}
	log_info("resumed the session of a previous daemon: %u regions",
		 vu->mem.num_regions);
	for (unsigned int i = 0; i < vu->num_vqs; i++)
		if (kick_fds[i] >= 0 && start_vq(vu, &vu->vqs[i], kick_fds[i]) < 0)
			vu->vqs[i].broken = true;
	return true;
}

int vhost_user_init(struct vhost_user *vu, const struct vhost_user_impl *impl,
		    struct event_loop *loop, const char *socket_path,
		    unsigned int num_vqs, struct fd_store *store)
{
	struct sockaddr_un addr;
	int fd;

	memset(vu, 0, sizeof(*vu));
	vu->impl = impl;
	vu->loop = loop;
	vu->num_vqs = num_vqs;
	vu->store = store;
	vu->session_fd = -1;
	vu->retry_source.fd = -1;
	vu->client_source.fd = -1;
	guest_memory_init(&vu->mem);
	for (unsigned int i = 0; i < num_vqs; i++)
		virtqueue_init(&vu->vqs[i], i);

	if (strlen(socket_path) >= sizeof(addr.sun_path)) {
		log_error("socket path too long: %s", socket_path);
		return -ENAMETOOLONG;
	}
	vu->socket_path = strdup(socket_path);
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (!vu->socket_path || fd < 0 ||
	    event_loop_add(loop, &vu->retry_source, fd, EPOLLIN, handle_retry) < 0) {
		if (fd >= 0)
			close(fd);
		free(vu->socket_path);
		return -ENOMEM;
	}
	if (!resume_session(vu))
		try_connect(vu);
	return 0;
}

void vhost_user_finish(struct vhost_user *vu)
{
	int fd = vu->retry_source.fd;

	/* A daemon that stops under a service manager's fd store leaves the
	 * session there for the next one. */
	vu->store = NULL;
	if (vu->client_source.fd >= 0)
		close_connection(vu);
	event_loop_remove(vu->loop, &vu->retry_source);
	if (fd >= 0)
		close(fd);
	free(vu->socket_path);
}
