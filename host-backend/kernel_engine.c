// SPDX-License-Identifier: MIT
/*
 * The in-kernel engine: vhost_vdmabuf.ko (protocol/vhost_vdmabuf_uapi.h)
 * runs the device. vhost_user.c negotiates with QEMU as for the userspace
 * engine; at start this hands the module our mappings of guest RAM, the
 * rings in them and the eventfds, and the module takes kicks, answers
 * requests, sends events and builds host dmabufs from the guest's pages.
 * Consumers still connect to our socket: each gets a consumer file from
 * the module, and we carry messages between the two unchanged.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "consumer.h"
#include "kernel_engine.h"
#include "log.h"
#include "vhost_user.h"
#include "vhost_vdmabuf_uapi.h"

_Static_assert(GUEST_MEMORY_MAX_REGIONS <= VHOST_VDMABUF_MAX_REGIONS,
	       "every region we accept fits the module's table");
_Static_assert(VIRTQUEUE_MAX_SIZE <= VHOST_VDMABUF_MAX_QUEUE_SIZE,
	       "every ring size we accept fits the module");
_Static_assert(VDMABUF_NUM_VQS == 2, "STOP returns two ring indices");

/* Messages taken from a consumer file per read. */
#define READ_BATCH 16

/*
 * No udmabuf in the way: the module takes the spec's counts. A buffer is
 * held to 256 MiB, twice an 8K frame at 4 bytes a pixel: every byte of a
 * buffer is a pinned host page, and a larger frame is no display's.
 */
static const struct vdmabuf_limits kernel_limits = {
	.max_buffers = VDMABUF_MAX_BUFFERS,
	.max_extents = VDMABUF_MAX_EXTENTS,
	.max_buffer_size = 256ull << 20,
};

/* The module's consumer file of one socket consumer. */
struct kernel_consumer {
	struct kernel_engine *engine;
	struct consumer *consumer;
	struct event_source source;	/* the consumer file; -1 when none */
};

struct kernel_engine {
	struct vhost_user vhost;
	struct consumer_server consumers;
	int device_fd;			/* /dev/vhost-vdmabuf, for our whole life */
	bool started;			/* START done, no STOP since */
	uint32_t release_deadline_ms;	/* for the module's model; 0: its default */
	uint64_t max_pinned;		/* the pinned budget asked; 0: the module's */
	struct kernel_consumer files[CONSUMER_MAX];	/* by consumer slot */
};

static struct kernel_engine *engine_from_vhost(struct vhost_user *vu)
{
	return container_of(vu, struct kernel_engine, vhost);
}

static struct kernel_engine *engine_from_consumers(struct consumer_server *server)
{
	return container_of(server, struct kernel_engine, consumers);
}

static void log_module_stats(struct kernel_engine *engine, const char *when)
{
	struct vhost_vdmabuf_stats stats;

	if (ioctl(engine->device_fd, VHOST_VDMABUF_GET_STATS, &stats) < 0) {
		log_debug("module stats: %s", strerror(errno));
		return;
	}
	log_debug("module %s: %llu buffers, %llu imports, %llu pages pinned, "
		  "%llu dmabufs", when, (unsigned long long)stats.device.buffers,
		  (unsigned long long)stats.device.imports,
		  (unsigned long long)stats.pinned_pages,
		  (unsigned long long)stats.dmabufs);
}

/* vhost-user device callbacks */

static void engine_get_config(struct vhost_user *vu, void *config)
{
	struct kernel_engine *engine = engine_from_vhost(vu);
	struct vdmabuf_config cfg;

	vdmabuf_config_init(&cfg, &kernel_limits, engine->consumers.count);
	memcpy(config, &cfg, sizeof(cfg));
}

static int set_mem_table(struct kernel_engine *engine)
{
	const struct guest_memory *mem = &engine->vhost.mem;
	struct vhost_vdmabuf_mem_table table = { .num_regions = mem->num_regions };

	for (unsigned int i = 0; i < mem->num_regions; i++)
		table.regions[i] = (struct vhost_vdmabuf_region){
			.gpa = mem->regions[i].gpa,
			.size = mem->regions[i].size,
			/* The module reads guest RAM through our mapping. */
			.uaddr = (uintptr_t)mem->regions[i].host,
		};
	return ioctl(engine->device_fd, VHOST_VDMABUF_SET_MEM_TABLE, &table);
}

static int set_config(struct kernel_engine *engine)
{
	struct vhost_vdmabuf_config config = {
		.features = engine->vhost.features & VDMABUF_DEVICE_FEATURES,
		.max_buffer_size = kernel_limits.max_buffer_size,
		.max_buffers = kernel_limits.max_buffers,
		.max_extents = kernel_limits.max_extents,
		.release_deadline_ms = engine->release_deadline_ms,
		.max_pinned = engine->max_pinned,
	};

	return ioctl(engine->device_fd, VHOST_VDMABUF_SET_CONFIG, &config);
}

static int set_vring(struct kernel_engine *engine, struct virtqueue *vq)
{
	struct vhost_vdmabuf_vring vring;

	/* Translates the frontend's ring addresses into our mapping. */
	if (vq->broken || !virtqueue_map(vq, &engine->vhost.mem)) {
		log_error("vq %u: ring outside guest memory", vq->index);
		errno = EINVAL;
		return -1;
	}
	vring = (struct vhost_vdmabuf_vring){
		.index = vq->index,
		.num = vq->num,
		.desc_uaddr = (uintptr_t)vq->desc,
		.avail_uaddr = (uintptr_t)vq->avail,
		.used_uaddr = (uintptr_t)vq->used,
		.kick_fd = vq->kick_fd,
		.call_fd = vq->call_fd,
		.last_avail_idx = vq->last_avail_idx,
	};
	return ioctl(engine->device_fd, VHOST_VDMABUF_SET_VRING, &vring);
}

static void engine_start(struct vhost_user *vu)
{
	struct kernel_engine *engine = engine_from_vhost(vu);
	const char *step = "SET_MEM_TABLE";
	int ret = set_mem_table(engine);

	if (ret == 0) {
		step = "SET_CONFIG";
		ret = set_config(engine);
	}
	for (unsigned int i = 0; i < vu->num_vqs && ret == 0; i++) {
		step = "SET_VRING";
		ret = set_vring(engine, &vu->vqs[i]);
	}
	if (ret == 0) {
		step = "START";
		/* The module sends the guest RESET: a new device instance. */
		ret = ioctl(engine->device_fd, VHOST_VDMABUF_START);
	}
	if (ret < 0) {
		/* The guest's requests go unanswered until the next start. */
		log_error("kernel engine: %s: %s; device not running", step,
			  strerror(errno));
		return;
	}
	engine->started = true;
	log_info("kernel engine: running in vhost_vdmabuf.ko");
}

static void engine_reset(struct vhost_user *vu)
{
	struct kernel_engine *engine = engine_from_vhost(vu);
	struct vhost_vdmabuf_stop stop = { 0 };

	if (!engine->started)
		return;
	engine->started = false;
	if (ioctl(engine->device_fd, VHOST_VDMABUF_STOP, &stop) < 0) {
		/* The rings stay where the frontend last set them. */
		log_error("kernel engine: STOP: %s", strerror(errno));
		return;
	}
	/* Where the module stopped taking requests: GET_VRING_BASE's answer. */
	for (unsigned int i = 0; i < vu->num_vqs; i++)
		vu->vqs[i].last_avail_idx = stop.last_avail_idx[i];
	log_debug("kernel engine: stopped at avail %u/%u", stop.last_avail_idx[0],
		  stop.last_avail_idx[1]);
	log_module_stats(engine, "stopped");
}

static const struct vhost_user_impl engine_vhost_impl = {
	.features = VDMABUF_DEVICE_FEATURES,
	.config_size = sizeof(struct vdmabuf_config),
	.get_config = engine_get_config,
	.start = engine_start,
	.reset = engine_reset,
	/* No kick: the module takes the kick eventfds itself. */
};

/* Consumers */

/*
 * Carries what the module queued for a consumer to its socket, in order,
 * until the (non-blocking) consumer file is empty. 0, -ENOTCONN when the
 * socket failed (consumer_send dropped the consumer), or -errno.
 */
static int forward_messages(struct kernel_consumer *file)
{
	struct vdmabuf_consumer_msg msgs[READ_BATCH];

	for (;;) {
		ssize_t n = read(file->source.fd, msgs, sizeof(msgs));

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;	/* the module dropped this consumer */
		if (n % sizeof(msgs[0])) {
			log_error("consumer %u: read %zd bytes from the module",
				  file->consumer->slot, n);
			return -EPROTO;
		}
		for (size_t i = 0; i < n / sizeof(msgs[0]); i++)
			if (consumer_send(file->consumer, &msgs[i], -1) < 0)
				return -ENOTCONN;
	}
}

static void close_file(struct kernel_consumer *file)
{
	int fd = file->source.fd;

	if (fd < 0)
		return;
	event_loop_remove(file->engine->consumers.loop, &file->source);
	close(fd);
}

/*
 * Either end failed: the file is closed now and the socket consumer goes
 * once the loop sees its hangup.
 */
static void drop_consumer(struct kernel_consumer *file, int err)
{
	if (err != -ENOTCONN)
		log_warn("consumer %u: consumer file: %s; disconnected",
			 file->consumer->slot, strerror(-err));
	close_file(file);
	consumer_close(file->consumer);
}

static void handle_consumer_file(struct event_source *source, uint32_t events)
{
	struct kernel_consumer *file = container_of(source, struct kernel_consumer, source);
	int err = forward_messages(file);

	if (err)
		drop_consumer(file, err);
}

static int engine_consumer_connected(struct consumer_server *server,
				     struct consumer *consumer)
{
	struct kernel_engine *engine = engine_from_consumers(server);
	struct kernel_consumer *file = &engine->files[consumer->slot];
	int fd = ioctl(engine->device_fd, VHOST_VDMABUF_GRANT);

	if (fd < 0) {
		int err = -errno;

		log_error("consumer %u: GRANT: %s; disconnected", consumer->slot,
			  strerror(errno));
		return err;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	file->consumer = consumer;
	/*
	 * The module greets the consumer: its file holds HELLO and every live
	 * buffer, which reach the socket from here, so no HELLO of ours.
	 */
	if (event_loop_add(server->loop, &file->source, fd, EPOLLIN,
			   handle_consumer_file) < 0) {
		log_error("consumer %u: cannot watch its consumer file", consumer->slot);
		file->source.fd = -1;
		close(fd);
		return -ENOMEM;
	}
	return 0;
}

static void engine_consumer_disconnected(struct consumer_server *server,
					 struct consumer *consumer)
{
	struct kernel_engine *engine = engine_from_consumers(server);
	struct kernel_consumer *file = &engine->files[consumer->slot];

	/* The module releases the frames it owes and drops its imports. */
	close_file(file);
	file->consumer = NULL;
}

static void engine_consumer_request(struct consumer_server *server,
				    struct consumer *consumer,
				    const struct vdmabuf_consumer_msg *req)
{
	struct kernel_engine *engine = engine_from_consumers(server);
	struct kernel_consumer *file = &engine->files[consumer->slot];
	struct vdmabuf_consumer_msg cmd = *req;
	int ret, fd = -1;

	if (file->source.fd < 0)
		return;		/* being dropped */
	ret = ioctl(file->source.fd, VHOST_VDMABUF_CONSUMER_CMD, &cmd);
	if (ret < 0) {
		int err = -errno;

		log_debug("consumer %u: request %u: %s", consumer->slot, req->type,
			  strerror(-err));
		cmd = (struct vdmabuf_consumer_msg){
			.type = VDMABUF_MSG_REPLY, .status = err,
			.status_of = req->type, .id = req->id,
		};
	} else if (cmd.type == VDMABUF_MSG_IMPORT) {
		/* Never 0 in a daemon whose stdin is open: no fd, a bad answer. */
		if (ret > 0) {
			fd = ret;
		} else {
			log_error("consumer %u: IMPORT answered without a dmabuf",
				  consumer->slot);
			cmd = (struct vdmabuf_consumer_msg){
				.type = VDMABUF_MSG_REPLY, .status = -EIO,
				.status_of = req->type, .id = req->id,
			};
		}
	}
	if (req->type == VDMABUF_MSG_STATS)
		log_module_stats(engine, "stats");
	consumer_stats(server, &cmd);
	/* What the module queued before this answer goes first. */
	ret = forward_messages(file);
	if (ret < 0)
		drop_consumer(file, ret);
	else if (cmd.type)
		consumer_send(consumer, &cmd, fd);
	if (fd >= 0)
		close(fd);
}

static const struct consumer_server_impl engine_consumer_impl = {
	.connected = engine_consumer_connected,
	.disconnected = engine_consumer_disconnected,
	.request = engine_consumer_request,
};

struct kernel_engine *kernel_engine_create(struct event_loop *loop,
					   const struct vdmabuf_device_config *config)
{
	struct kernel_engine *engine = calloc(1, sizeof(*engine));

	if (!engine)
		return NULL;
	engine->release_deadline_ms = config->release_deadline_ms;
	/* The module charges the pins to us and bounds this by our RLIMIT_MEMLOCK. */
	engine->max_pinned = vdmabuf_pinned_budget(config->max_pinned);
	for (unsigned int i = 0; i < CONSUMER_MAX; i++)
		engine->files[i] = (struct kernel_consumer){
			.engine = engine, .source.fd = -1,
		};
	engine->device_fd = open(VHOST_VDMABUF_DEVICE, O_RDWR | O_CLOEXEC);
	if (engine->device_fd < 0) {
		if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
			log_error("vhost_vdmabuf.ko not loaded (%s: %s)",
				  VHOST_VDMABUF_DEVICE, strerror(errno));
		else
			log_error("%s: %s", VHOST_VDMABUF_DEVICE, strerror(errno));
		free(engine);
		return NULL;
	}
	log_info("kernel engine: %s; up to %u extents and %llu MiB per buffer",
		 VHOST_VDMABUF_DEVICE, kernel_limits.max_extents,
		 (unsigned long long)(kernel_limits.max_buffer_size >> 20));
	if (consumer_server_init(&engine->consumers, &engine_consumer_impl, loop,
				 config->consumer_socket, config->consumer_mode,
				 config->consumer_group, &config->consumer_policy) < 0)
		goto err;
	if (vhost_user_init(&engine->vhost, &engine_vhost_impl, loop,
			    config->vhost_socket, VDMABUF_NUM_VQS, config->fd_store) < 0) {
		consumer_server_finish(&engine->consumers);
		goto err;
	}
	return engine;
err:
	close(engine->device_fd);
	free(engine);
	return NULL;
}

void kernel_engine_destroy(struct kernel_engine *engine)
{
	if (!engine)
		return;
	vhost_user_finish(&engine->vhost);
	consumer_server_finish(&engine->consumers);
	/* Closing the device resets it, should STOP have failed. */
	close(engine->device_fd);
	free(engine);
}
