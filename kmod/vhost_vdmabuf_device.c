// SPDX-License-Identifier: GPL-2.0-only
/*
 * The module's side of the device model (protocol/vdmabuf_model.h): the
 * ops through which the model reaches the rings, the consumer files and
 * the host dmabufs. The model is called, and so are these, with vdm_dev.lock
 * held; the ring ops only from the worker, which uses the owner's mm.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/lockdep.h>
#include <linux/random.h>
#include <linux/jiffies.h>
#include <linux/timekeeping.h>

#include "vhost_vdmabuf.h"

static struct vdm_dev *dev_from_model(struct vdmabuf_model *m)
{
	struct vdm_dev *dev = container_of(m, struct vdm_dev, model);

	lockdep_assert_held(&dev->lock);
	return dev;
}

/*
 * The worker pops one chain at a time: schedule() only wakes it, so a
 * request never sends an event into the ring it is reading.
 */
static int vdm_model_pop(struct vdmabuf_model *m, unsigned int vq,
			 struct vdmabuf_model_chain *chain)
{
	struct vdm_dev *dev = dev_from_model(m);
	struct vdm_elem *elem = dev->elem;
	int ret;

	ret = vdm_vq_pop(&dev->vqs[vq], elem);
	if (ret > 0 || ret == -EINVAL)
		*chain = (struct vdmabuf_model_chain){
			.head = elem->head, .num_out = elem->num_out,
			.out_len = elem->out_len, .in_len = elem->in_len,
		};
	return ret;
}

static long vdm_model_read(struct vdmabuf_model *m, unsigned int vq, void *dst,
			   size_t len)
{
	return vdm_elem_read(dev_from_model(m)->elem, dst, len);
}

static long vdm_model_write(struct vdmabuf_model *m, unsigned int vq,
			    const void *src, size_t len)
{
	return vdm_elem_write(dev_from_model(m)->elem, src, len);
}

static void vdm_model_push(struct vdmabuf_model *m, unsigned int vq, u16 head, u32 len)
{
	vdm_vq_push(&dev_from_model(m)->vqs[vq], head, len);
}

static bool vdm_model_notify(struct vdmabuf_model *m, unsigned int vq)
{
	return vdm_vq_notify(&dev_from_model(m)->vqs[vq]);
}

/* Rings are the worker's: whoever queued work wakes it. */
static void vdm_model_schedule(struct vdmabuf_model *m, unsigned int vq)
{
	vdm_wake(dev_from_model(m));
}

static void vdm_model_send(struct vdmabuf_model *m, struct vdmabuf_model_consumer *mc,
			   const struct vdmabuf_consumer_msg *msg)
{
	dev_from_model(m);
	vdm_consumer_send(container_of(mc, struct vdm_consumer, model), msg);
}

static u32 vdm_model_import_create(struct vdmabuf_model *m,
				   const struct vdmabuf_export *req,
				   const struct vdmabuf_extent *extents, u64 *size,
				   void **import)
{
	struct dma_buf *dmabuf;
	u32 status;

	status = vdm_hostbuf_create(dev_from_model(m), req, extents, size, &dmabuf);
	if (status == VDMABUF_S_OK)
		*import = dmabuf;
	return status;
}

static void vdm_model_import_revoke(struct vdmabuf_model *m, void *import)
{
	dev_from_model(m);
	vdm_hostbuf_revoke(import);
}

static bool vdm_model_import_busy(struct vdmabuf_model *m, void *import)
{
	dev_from_model(m);
	return vdm_hostbuf_busy(import);
}

/* Consumers' fds may outlive the buffer; its pages do not. */
static void vdm_model_import_destroy(struct vdmabuf_model *m, void *import)
{
	dev_from_model(m);
	vdm_hostbuf_revoke(import);
	dma_buf_put(import);
}

static void vdm_model_disconnect(struct vdmabuf_model *m, struct vdmabuf_model_consumer *mc)
{
	dev_from_model(m);
	vdm_consumer_disconnect(container_of(mc, struct vdm_consumer, model));
}

static void vdm_model_arm_timer(struct vdmabuf_model *m, u64 when_ns)
{
	struct vdm_dev *dev = dev_from_model(m);
	u64 now = ktime_get_ns();

	mod_timer(&dev->timer, jiffies + 1 + (when_ns > now ? nsecs_to_jiffies(when_ns - now) : 0));
}

static u64 vdm_model_now_ns(struct vdmabuf_model *m)
{
	return ktime_get_ns();
}

static void vdm_model_random(struct vdmabuf_model *m, void *buf, size_t len)
{
	get_random_bytes(buf, len);
}

const struct vdmabuf_model_ops vdm_model_ops = {
	.pop = vdm_model_pop,
	.read = vdm_model_read,
	.write = vdm_model_write,
	.push = vdm_model_push,
	.notify = vdm_model_notify,
	.schedule = vdm_model_schedule,
	.send = vdm_model_send,
	.import_create = vdm_model_import_create,
	.import_revoke = vdm_model_import_revoke,
	.import_busy = vdm_model_import_busy,
	.import_destroy = vdm_model_import_destroy,
	.disconnect = vdm_model_disconnect,
	.arm_timer = vdm_model_arm_timer,
	.now_ns = vdm_model_now_ns,
	.random = vdm_model_random,
};
