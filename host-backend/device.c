// SPDX-License-Identifier: MIT
/*
 * The daemon's engine (--engine user): the device model of
 * protocol/vdmabuf_model.c over vhost-user rings read here, host dmabufs
 * from udmabuf and consumers on a unix socket. Everything runs on the
 * daemon's one event loop thread.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "consumer.h"
#include "guest_memory.h"
#include "device.h"
#include "log.h"
#include "udmabuf_import.h"
#include "vdmabuf_model.h"
#include "vhost_user.h"

/*
 * Fds the daemon keeps beside its buffers': consumers and their queued
 * imports' fds in flight, guest RAM regions, eventfds, the fd store's,
 * sockets, logs.
 */
#define DEVICE_FD_RESERVE (2 * CONSUMER_MAX + GUEST_MEMORY_MAX_REGIONS + 64)

#define UDMABUF_PARAMS "/sys/module/udmabuf/parameters/"

struct vdmabuf_device {
	struct vhost_user vhost;
	struct consumer_server consumers;
	struct vdmabuf_model model;
	int udmabuf_dev;
	bool flushing;			/* inside vdmabuf_model_process(EVENT) */
	uint64_t self_kicks[VDMABUF_NUM_VQS];	/* model_schedule()'s, not the guest's */
	struct event_source timer;	/* a timerfd: vdmabuf_model_timer() */
	struct event_loop *loop;
	/* The chain each queue last popped. */
	struct virtqueue_elem *elem[VDMABUF_NUM_VQS];
};

static struct vdmabuf_device *device_from_vhost(struct vhost_user *vu)
{
	return container_of(vu, struct vdmabuf_device, vhost);
}

static struct vdmabuf_device *device_from_consumers(struct consumer_server *server)
{
	return container_of(server, struct vdmabuf_device, consumers);
}

static struct vdmabuf_device *device_from_model(struct vdmabuf_model *m)
{
	return container_of(m, struct vdmabuf_device, model);
}

/* Model ops: the rings */

static int model_pop(struct vdmabuf_model *m, unsigned int vq,
		     struct vdmabuf_model_chain *chain)
{
	struct vdmabuf_device *dev = device_from_model(m);
	struct virtqueue_elem *elem = dev->elem[vq];
	int ret;

	ret = virtqueue_pop(&dev->vhost.vqs[vq], &dev->vhost.mem, elem);
	/* The guest may write bad chains at will: logged within the limit. */
	if (ret == -EIO && vdmabuf_model_log_allowed(m))
		log_error("%s", elem->why);
	else if (ret == -EINVAL && vdmabuf_model_log_allowed(m))
		log_warn("%s", elem->why);
	if (ret > 0 || ret == -EINVAL)
		*chain = (struct vdmabuf_model_chain){
			.head = elem->head, .num_out = elem->num_out,
			.out_len = elem->out_len, .in_len = elem->in_len,
		};
	return ret;
}

static long model_read(struct vdmabuf_model *m, unsigned int vq, void *dst, size_t len)
{
	return virtqueue_elem_read(device_from_model(m)->elem[vq], dst, len);
}

static long model_write(struct vdmabuf_model *m, unsigned int vq, const void *src,
			size_t len)
{
	return virtqueue_elem_write(device_from_model(m)->elem[vq], src, len);
}

static void model_push(struct vdmabuf_model *m, unsigned int vq, uint16_t head,
		       uint32_t len)
{
	virtqueue_push(&device_from_model(m)->vhost.vqs[vq], head, len);
}

static bool model_notify(struct vdmabuf_model *m, unsigned int vq)
{
	return virtqueue_notify(&device_from_model(m)->vhost.vqs[vq]);
}

/*
 * Events go to the guest at once, as before any other work; what is left
 * past a run's budget comes back through the queue's own kick eventfd, so
 * the loop serves consumers in between.
 */
static void model_schedule(struct vdmabuf_model *m, unsigned int vq)
{
	struct vdmabuf_device *dev = device_from_model(m);
	int kick_fd = dev->vhost.vqs[vq].kick_fd;

	if (vq == VDMABUF_VQ_EVENT && !dev->flushing) {
		dev->flushing = true;
		vdmabuf_model_process(m, vq);
		dev->flushing = false;
		return;
	}
	if (kick_fd < 0 || eventfd_write(kick_fd, 1) < 0)
		log_error("vq %u: cannot reschedule: %s", vq, strerror(errno));
	else
		dev->self_kicks[vq]++;
}

/* Model ops: consumers, imports, clock */

static void model_send(struct vdmabuf_model *m, struct vdmabuf_model_consumer *mc,
		       const struct vdmabuf_consumer_msg *msg)
{
	consumer_send(container_of(mc, struct consumer, model), msg, -1);
}

/* A udmabuf import is its fd, carried in the model's pointer. */
static __u32 model_import_create(struct vdmabuf_model *m, const struct vdmabuf_export *req,
				 const struct vdmabuf_extent *extents, __u64 *size,
				 void **import)
{
	struct vdmabuf_device *dev = device_from_model(m);
	char why[128] = "";
	uint64_t bytes;
	uint32_t status;
	int fd;

	status = udmabuf_import_create(&dev->vhost.mem, dev->udmabuf_dev, req, extents,
				       m->limits.max_extents, &bytes, &fd, why, sizeof(why));
	if (status == VDMABUF_S_OK) {
		*size = bytes;
		*import = (void *)(intptr_t)fd;
	} else if (vdmabuf_model_log_allowed(m)) {
		log_warn("export refused: %s", why);
	}
	return status;
}

static int import_fd(void *import)
{
	return (int)(intptr_t)import;
}

static void model_import_destroy(struct vdmabuf_model *m, void *import)
{
	/* --bench-no-import made none. */
	if (import_fd(import) >= 0)
		close(import_fd(import));
}

/* Release deadlines (§11.3): the consumer is shut down, destroyed later. */
static void model_disconnect(struct vdmabuf_model *m, struct vdmabuf_model_consumer *mc)
{
	consumer_close(container_of(mc, struct consumer, model));
}

static void model_arm_timer(struct vdmabuf_model *m, __u64 when_ns)
{
	struct itimerspec at = {
		.it_value.tv_sec = when_ns / 1000000000u,
		.it_value.tv_nsec = when_ns % 1000000000u,
	};

	if (timerfd_settime(device_from_model(m)->timer.fd, TFD_TIMER_ABSTIME, &at, NULL) < 0)
		log_error("timer: %s", strerror(errno));
}

static void handle_timer(struct event_source *source, uint32_t events)
{
	struct vdmabuf_device *dev = container_of(source, struct vdmabuf_device, timer);
	uint64_t expirations;

	if (read(source->fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		log_error("timer: %s", strerror(errno));
	vdmabuf_model_timer(&dev->model);
}

static __u64 model_now_ns(struct vdmabuf_model *m)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static void model_random(struct vdmabuf_model *m, void *buf, size_t len)
{
	if (getrandom(buf, len, 0) != (ssize_t)len)
		abort();
}

static const struct vdmabuf_model_ops device_model_ops = {
	.pop = model_pop,
	.read = model_read,
	.write = model_write,
	.push = model_push,
	.notify = model_notify,
	.schedule = model_schedule,
	.send = model_send,
	.import_create = model_import_create,
	.import_destroy = model_import_destroy,
	.disconnect = model_disconnect,
	.arm_timer = model_arm_timer,
	.now_ns = model_now_ns,
	.random = model_random,
};

/* vhost-user device callbacks */

static void device_get_config(struct vhost_user *vu, void *config)
{
	struct vdmabuf_device *dev = device_from_vhost(vu);
	struct vdmabuf_config cfg;

	vdmabuf_config_init(&cfg, &dev->model.limits, dev->model.num_consumers);
	memcpy(config, &cfg, sizeof(cfg));
}

static void device_start(struct vhost_user *vu)
{
	struct vdmabuf_device *dev = device_from_vhost(vu);
	unsigned int ring_size[VDMABUF_NUM_VQS];

	for (unsigned int i = 0; i < VDMABUF_NUM_VQS; i++)
		ring_size[i] = vu->vqs[i].num;
	vdmabuf_model_start(&dev->model, vu->features & VDMABUF_MODEL_FEATURES, ring_size);
}

static void device_reset(struct vhost_user *vu)
{
	vdmabuf_model_reset(&device_from_vhost(vu)->model);
}

static void device_kick(struct vhost_user *vu, struct virtqueue *vq)
{
	struct vdmabuf_device *dev = device_from_vhost(vu);
	uint64_t *self = &dev->self_kicks[vq->index];

	/* The guest's kicks: what the eventfd counted, less our own. */
	vdmabuf_model_kicked(&dev->model, vq->kicks > *self ? vq->kicks - *self : 0);
	vq->kicks = 0;
	*self = 0;
	vdmabuf_model_process(&dev->model, vq->index);
}

static const struct vhost_user_impl device_vhost_impl = {
	.features = VDMABUF_DEVICE_FEATURES,
	.config_size = sizeof(struct vdmabuf_config),
	.get_config = device_get_config,
	.start = device_start,
	.reset = device_reset,
	.kick = device_kick,
};

/* Consumer callbacks */

static int consumer_connected(struct consumer_server *server, struct consumer *consumer)
{
	consumer->model.pid = consumer->pid;
	return vdmabuf_model_attach(&device_from_consumers(server)->model, &consumer->model);
}

static void consumer_disconnected(struct consumer_server *server, struct consumer *consumer)
{
	vdmabuf_model_detach(&device_from_consumers(server)->model, &consumer->model);
}

static void consumer_request(struct consumer_server *server, struct consumer *consumer,
			     const struct vdmabuf_consumer_msg *req)
{
	struct vdmabuf_device *dev = device_from_consumers(server);
	struct vdmabuf_consumer_msg reply;
	void *import;

	vdmabuf_model_command(&dev->model, &consumer->model, req, &reply, &import);
	consumer_stats(server, &reply);
	if (reply.type)
		consumer_send(consumer, &reply, reply.type == VDMABUF_MSG_IMPORT ?
			      import_fd(import) : -1);
}

static const struct consumer_server_impl device_consumer_impl = {
	.connected = consumer_connected,
	.disconnected = consumer_disconnected,
	.request = consumer_request,
};

static uint64_t read_param(const char *name, uint64_t fallback)
{
	unsigned long long v;
	FILE *f = fopen(name, "re");

	if (!f)
		return fallback;
	if (fscanf(f, "%llu", &v) != 1)
		v = fallback;
	fclose(f);
	return v;
}

/*
 * Buffers the fd limit leaves room for, beside consumers, guest RAM
 * regions, eventfds and the rest (DEVICE_FD_RESERVE).
 */
static uint32_t fd_budget(uint32_t max_buffers)
{
	struct rlimit nofile;

	if (getrlimit(RLIMIT_NOFILE, &nofile) < 0 || nofile.rlim_cur == RLIM_INFINITY)
		return max_buffers;
	if (nofile.rlim_cur < DEVICE_FD_RESERVE + 16) {
		log_warn("fds: a limit of %llu leaves room for 16 buffers",
			 (unsigned long long)nofile.rlim_cur);
		return 16;
	}
	if (nofile.rlim_cur - DEVICE_FD_RESERVE < max_buffers) {
		max_buffers = nofile.rlim_cur - DEVICE_FD_RESERVE;
		log_info("fds: up to %llu: %u buffers", (unsigned long long)nofile.rlim_cur,
			 max_buffers);
	}
	return max_buffers;
}

int vdmabuf_parse_size(const char *s, uint64_t *bytes)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || errno)
		return -EINVAL;
	switch (*end) {
	case 'G': shift += 10; /* fall through */
	case 'M': shift += 10; /* fall through */
	case 'K': shift += 10; end++; break;
	}
	if (*end || v > UINT64_MAX >> shift)
		return -EINVAL;
	*bytes = (uint64_t)v << shift;
	return 0;
}

/* Whether the daemon may lock memory beyond RLIMIT_MEMLOCK. */
static bool may_lock_any(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };

	if (syscall(SYS_capget, &hdr, data) < 0)
		return false;
	return data[CAP_TO_INDEX(CAP_IPC_LOCK)].effective & CAP_TO_MASK(CAP_IPC_LOCK);
}

uint64_t vdmabuf_pinned_budget(uint64_t max_pinned)
{
	struct rlimit memlock;

	if (getrlimit(RLIMIT_MEMLOCK, &memlock) < 0)
		memlock.rlim_cur = 0;
	if (memlock.rlim_cur == RLIM_INFINITY || may_lock_any()) {
		if (max_pinned)
			log_info("pins: up to %llu KiB per device (--max-pinned)",
				 (unsigned long long)(max_pinned >> 10));
		else
			log_info("pins: no budget (CAP_IPC_LOCK or no RLIMIT_MEMLOCK)");
		return max_pinned;
	}
	if (max_pinned > memlock.rlim_cur)
		log_warn("pins: --max-pinned %llu KiB over RLIMIT_MEMLOCK",
			 (unsigned long long)(max_pinned >> 10));
	if (!max_pinned || max_pinned > memlock.rlim_cur)
		max_pinned = memlock.rlim_cur;
	/* 0 would be no budget at all: one page, as fd_budget() keeps 16 buffers. */
	if (max_pinned < VDMABUF_PAGE_SIZE)
		max_pinned = VDMABUF_PAGE_SIZE;
	log_info("pins: up to %llu KiB per device (RLIMIT_MEMLOCK %llu KiB)",
		 (unsigned long long)(max_pinned >> 10),
		 (unsigned long long)(memlock.rlim_cur >> 10));
	return max_pinned;
}

static void device_timer_finish(struct vdmabuf_device *dev)
{
	int fd = dev->timer.fd;

	if (fd < 0)
		return;
	event_loop_remove(dev->loop, &dev->timer);
	close(fd);
}

struct vdmabuf_device *vdmabuf_device_create(struct event_loop *loop,
					     const struct vdmabuf_device_config *config)
{
	struct vdmabuf_device *dev = calloc(1, sizeof(*dev));
	uint64_t list_limit, size_limit_mb;
	struct vdmabuf_limits limits = { .max_buffers = VDMABUF_MAX_BUFFERS };
	int fd;

	if (!dev)
		return NULL;
	dev->loop = loop;
	dev->timer.fd = -1;
	dev->udmabuf_dev = -1;
	if (config->bench_no_import)
		log_warn("--bench-no-import: consumers get no buffer's fd (bench/native only)");
	else
		dev->udmabuf_dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev->udmabuf_dev < 0 && !config->bench_no_import) {
		log_error("/dev/udmabuf: %s (a kernel with CONFIG_UDMABUF is needed)",
			  strerror(errno));
		free(dev);
		return NULL;
	}
	/* udmabuf's own limits bound what a guest may export. */
	list_limit = read_param(UDMABUF_PARAMS "list_limit", 1024);
	size_limit_mb = read_param(UDMABUF_PARAMS "size_limit_mb", 64);
	limits.max_extents = list_limit < VDMABUF_MAX_EXTENTS ? list_limit : VDMABUF_MAX_EXTENTS;
	limits.max_buffer_size = size_limit_mb << 20 < VDMABUF_MAX_BUFFER_SIZE ?
		size_limit_mb << 20 : VDMABUF_MAX_BUFFER_SIZE;
	log_info("udmabuf: up to %u ranges and %llu MiB per buffer", limits.max_extents,
		 (unsigned long long)(limits.max_buffer_size >> 20));
	/* Each buffer held is a dmabuf fd here: never more than fds allow. */
	limits.max_buffers = fd_budget(limits.max_buffers);

	for (unsigned int i = 0; i < VDMABUF_NUM_VQS; i++) {
		dev->elem[i] = malloc(sizeof(*dev->elem[i]));
		if (!dev->elem[i])
			goto err_elem;
	}
	if (vdmabuf_model_init(&dev->model, &device_model_ops, &limits) < 0)
		goto err_elem;
	if (config->release_deadline_ms)
		dev->model.release_deadline_ns = config->release_deadline_ms * 1000000ull;
	/* udmabuf charges its pins to nobody: the daemon keeps its own budget. */
	dev->model.max_pinned = vdmabuf_pinned_budget(config->max_pinned);
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (fd < 0 || event_loop_add(loop, &dev->timer, fd, EPOLLIN, handle_timer) < 0) {
		log_error("timer: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		dev->timer.fd = -1;
		goto err;
	}
	if (consumer_server_init(&dev->consumers, &device_consumer_impl, loop,
				 config->consumer_socket, config->consumer_mode,
				 config->consumer_group, &config->consumer_policy) < 0)
		goto err;
	if (vhost_user_init(&dev->vhost, &device_vhost_impl, loop,
			    config->vhost_socket, VDMABUF_NUM_VQS, config->fd_store) < 0) {
		consumer_server_finish(&dev->consumers);
		goto err;
	}
	return dev;
err:
	device_timer_finish(dev);
	vdmabuf_model_finish(&dev->model);
err_elem:
	for (unsigned int i = 0; i < VDMABUF_NUM_VQS; i++)
		free(dev->elem[i]);
	if (dev->udmabuf_dev >= 0)
		close(dev->udmabuf_dev);
	free(dev);
	return NULL;
}

void vdmabuf_device_destroy(struct vdmabuf_device *dev)
{
	if (!dev)
		return;
	vhost_user_finish(&dev->vhost);
	consumer_server_finish(&dev->consumers);
	device_timer_finish(dev);
	vdmabuf_model_finish(&dev->model);
	for (unsigned int i = 0; i < VDMABUF_NUM_VQS; i++)
		free(dev->elem[i]);
	if (dev->udmabuf_dev >= 0)
		close(dev->udmabuf_dev);
	free(dev);
}
