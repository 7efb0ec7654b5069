// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio_vdmabuf: the guest side of vdmabuf. Shares dmabufs with the host
 * through the vdmabuf virtio device (protocol/vdmabuf-spec.md).
 */
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "vdmabuf_proto.h"

#define EVENT_BUFFERS 64

struct vdmabuf_dev {
	struct virtio_device *vdev;
	struct virtqueue *ctrl_vq;
	struct virtqueue *event_vq;
	struct miscdevice misc;

	/* Limits the device advertises in its config space. */
	u32 max_buffers;
	u32 max_extents;
	u64 max_buffer_size;

	/* Guards event_vq; events are drained in event_work. */
	spinlock_t event_lock;
	struct vdmabuf_event *events;
	struct work_struct event_work;
	bool ready;
};

/* Only one device: /dev/vdmabuf names it. */
static DEFINE_MUTEX(vdmabuf_dev_lock);
static struct vdmabuf_dev *vdmabuf_the_dev;

static int vdmabuf_post_event(struct vdmabuf_dev *vd, struct vdmabuf_event *ev)
{
	struct scatterlist sg;

	sg_init_one(&sg, ev, sizeof(*ev));
	return virtqueue_add_inbuf(vd->event_vq, &sg, 1, ev, GFP_ATOMIC);
}

static void vdmabuf_handle_event(struct vdmabuf_dev *vd,
				 const struct vdmabuf_event *ev, unsigned int len)
{
	if (len < sizeof(*ev)) {
		dev_warn_ratelimited(&vd->vdev->dev, "short event (%u bytes)\n", len);
		return;
	}
	dev_dbg(&vd->vdev->dev, "event %#x\n", le32_to_cpu(ev->type));
}

static void vdmabuf_event_work(struct work_struct *work)
{
	struct vdmabuf_dev *vd = container_of(work, struct vdmabuf_dev, event_work);
	struct vdmabuf_event *ev;
	unsigned int len;
	bool kick = false;

	spin_lock_irq(&vd->event_lock);
	while (vd->ready && (ev = virtqueue_get_buf(vd->event_vq, &len))) {
		spin_unlock_irq(&vd->event_lock);
		vdmabuf_handle_event(vd, ev, len);
		spin_lock_irq(&vd->event_lock);
		if (vdmabuf_post_event(vd, ev) == 0)
			kick = true;
	}
	if (kick)
		virtqueue_kick(vd->event_vq);
	spin_unlock_irq(&vd->event_lock);
}

static void vdmabuf_event_done(struct virtqueue *vq)
{
	struct vdmabuf_dev *vd = vq->vdev->priv;

	schedule_work(&vd->event_work);
}

static void vdmabuf_ctrl_done(struct virtqueue *vq)
{
}

static int vdmabuf_fill_events(struct vdmabuf_dev *vd)
{
	unsigned int i;
	int err;

	for (i = 0; i < EVENT_BUFFERS; i++) {
		err = vdmabuf_post_event(vd, &vd->events[i]);
		if (err)
			return err;
	}
	virtqueue_kick(vd->event_vq);
	return 0;
}

static int vdmabuf_open(struct inode *inode, struct file *file)
{
	return 0;
}

static const struct file_operations vdmabuf_fops = {
	.owner = THIS_MODULE,
	.open = vdmabuf_open,
	.llseek = noop_llseek,
};

static int vdmabuf_probe(struct virtio_device *vdev)
{
	struct virtqueue_info vqs_info[VDMABUF_NUM_VQS] = {
		[VDMABUF_VQ_CONTROL] = { "control", vdmabuf_ctrl_done },
		[VDMABUF_VQ_EVENT] = { "event", vdmabuf_event_done },
	};
	struct virtqueue *vqs[VDMABUF_NUM_VQS];
	struct vdmabuf_dev *vd;
	int err;

	mutex_lock(&vdmabuf_dev_lock);
	if (vdmabuf_the_dev) {
		mutex_unlock(&vdmabuf_dev_lock);
		dev_err(&vdev->dev, "only one vdmabuf device is supported\n");
		return -EBUSY;
	}

	vd = kzalloc(sizeof(*vd), GFP_KERNEL);
	if (!vd) {
		err = -ENOMEM;
		goto err_unlock;
	}
	vd->events = kcalloc(EVENT_BUFFERS, sizeof(*vd->events), GFP_KERNEL);
	if (!vd->events) {
		err = -ENOMEM;
		goto err_free;
	}
	vd->vdev = vdev;
	vdev->priv = vd;
	spin_lock_init(&vd->event_lock);
	INIT_WORK(&vd->event_work, vdmabuf_event_work);

	virtio_cread_le(vdev, struct vdmabuf_config, max_buffers, &vd->max_buffers);
	virtio_cread_le(vdev, struct vdmabuf_config, max_extents, &vd->max_extents);
	virtio_cread_le(vdev, struct vdmabuf_config, max_buffer_size,
			&vd->max_buffer_size);
	vd->max_buffers = min_t(u32, vd->max_buffers, VDMABUF_MAX_BUFFERS);
	vd->max_extents = min_t(u32, vd->max_extents, VDMABUF_MAX_EXTENTS);
	vd->max_buffer_size = min_t(u64, vd->max_buffer_size, VDMABUF_MAX_BUFFER_SIZE);
	if (!vd->max_buffers || !vd->max_extents || !vd->max_buffer_size) {
		dev_err(&vdev->dev, "device advertises zero limits\n");
		err = -EINVAL;
		goto err_free_events;
	}

	err = virtio_find_vqs(vdev, VDMABUF_NUM_VQS, vqs, vqs_info, NULL);
	if (err)
		goto err_free_events;
	vd->ctrl_vq = vqs[VDMABUF_VQ_CONTROL];
	vd->event_vq = vqs[VDMABUF_VQ_EVENT];

	virtio_device_ready(vdev);
	vd->ready = true;
	err = vdmabuf_fill_events(vd);
	if (err)
		goto err_reset;

	vd->misc.minor = MISC_DYNAMIC_MINOR;
	vd->misc.name = "vdmabuf";
	vd->misc.fops = &vdmabuf_fops;
	vd->misc.parent = &vdev->dev;
	err = misc_register(&vd->misc);
	if (err)
		goto err_reset;

	vdmabuf_the_dev = vd;
	mutex_unlock(&vdmabuf_dev_lock);
	dev_info(&vdev->dev,
		 "bound: features %#llx, max %u buffers, %u extents, %llu bytes\n",
		 vdev->features, vd->max_buffers, vd->max_extents,
		 vd->max_buffer_size);
	return 0;

err_reset:
	vd->ready = false;
	virtio_reset_device(vdev);
	vdev->config->del_vqs(vdev);
err_free_events:
	kfree(vd->events);
err_free:
	kfree(vd);
err_unlock:
	mutex_unlock(&vdmabuf_dev_lock);
	return err;
}

static void vdmabuf_remove(struct virtio_device *vdev)
{
	struct vdmabuf_dev *vd = vdev->priv;

	mutex_lock(&vdmabuf_dev_lock);
	misc_deregister(&vd->misc);
	vdmabuf_the_dev = NULL;
	mutex_unlock(&vdmabuf_dev_lock);

	spin_lock_irq(&vd->event_lock);
	vd->ready = false;
	spin_unlock_irq(&vd->event_lock);
	virtio_reset_device(vdev);
	cancel_work_sync(&vd->event_work);
	vdev->config->del_vqs(vdev);
	kfree(vd->events);
	kfree(vd);
}

static const struct virtio_device_id vdmabuf_id_table[] = {
	{ VDMABUF_VIRTIO_ID, VIRTIO_DEV_ANY_ID },
	{ 0 },
};
MODULE_DEVICE_TABLE(virtio, vdmabuf_id_table);

static unsigned int vdmabuf_features[] = {
	VDMABUF_F_DAMAGE,
	VDMABUF_F_PRESENT_TIMING,
	VDMABUF_F_MODE_HINT,
	VDMABUF_F_CONSUMER_EVENTS,
};

static struct virtio_driver vdmabuf_driver = {
	.driver.name = KBUILD_MODNAME,
	.id_table = vdmabuf_id_table,
	.feature_table = vdmabuf_features,
	.feature_table_size = ARRAY_SIZE(vdmabuf_features),
	.probe = vdmabuf_probe,
	.remove = vdmabuf_remove,
};
module_virtio_driver(vdmabuf_driver);

MODULE_DESCRIPTION("vdmabuf: share guest dmabufs with the host");
MODULE_LICENSE("GPL");
