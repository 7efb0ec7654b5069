// SPDX-License-Identifier: GPL-2.0-only
/*
 * Consumer files (VHOST_VDMABUF_GRANT): the consumer protocol of
 * vdmabuf_consumer.h, message for message, over read() and an ioctl
 * instead of a socket. Each holds a reference to its device; the device
 * holds it on its list, in a slot of the per-buffer bitmasks, until the
 * file closes, the device drops it for not reading, or the owner goes.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/dma-buf.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/lockdep.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vhost_vdmabuf.h"

struct vdm_msg_node {
	struct list_head link;
	struct vdmabuf_consumer_msg msg;
};

static void consumer_kill(struct vdm_consumer *c, bool overflow)
{
	spin_lock(&c->qlock);
	c->dead = true;
	c->overflow |= overflow;
	spin_unlock(&c->qlock);
	wake_up_interruptible_poll(&c->wait, EPOLLIN | EPOLLHUP);
}

/* Kills c; the caller may be iterating buffers or consumers: detached later. */
static void consumer_doom(struct vdm_consumer *c, bool overflow)
{
	consumer_kill(c, overflow);
	c->dev->reap = true;
	vdm_wake(c->dev);
}

void vdm_consumer_send(struct vdm_consumer *c, const struct vdmabuf_consumer_msg *msg)
{
	struct vdm_dev *dev = c->dev;
	struct vdm_msg_node *node;
	bool dead;

	spin_lock(&c->qlock);
	dead = c->dead || c->qlen >= VDM_CONSUMER_QUEUE;
	spin_unlock(&c->qlock);
	if (dead)
		goto drop;
	node = kmalloc(sizeof(*node), GFP_KERNEL);
	if (!node)
		goto drop;
	node->msg = *msg;
	spin_lock(&c->qlock);
	list_add_tail(&node->link, &c->queue);
	c->qlen++;
	spin_unlock(&c->qlock);
	wake_up_interruptible_poll(&c->wait, EPOLLIN | EPOLLRDNORM);
	return;

drop:
	if (c->dead)
		return;
	/* Never hold the device up for one consumer. */
	vdm_warn_limited(dev, "consumer %u (pid %d) does not read; disconnected",
			 c->model.slot, c->model.pid);
	consumer_doom(c, true);
}

void vdm_consumer_disconnect(struct vdm_consumer *c)
{
	lockdep_assert_held(&c->dev->lock);
	consumer_doom(c, false);
}

static void consumer_detach(struct vdm_dev *dev, struct vdm_consumer *c)
{
	lockdep_assert_held(&dev->lock);
	vdmabuf_model_detach(&dev->model, &c->model);
}

void vdm_consumer_reap(struct vdm_dev *dev)
{
	struct vdmabuf_model_consumer *mc, *tmp;

	lockdep_assert_held(&dev->lock);
	if (!dev->reap)
		return;
	dev->reap = false;
	vdmabuf_model_for_each_consumer_safe(mc, tmp, &dev->model) {
		struct vdm_consumer *c = container_of(mc, struct vdm_consumer, model);

		if (READ_ONCE(c->dead))
			consumer_detach(dev, c);
	}
}

void vdm_consumer_disconnect_all(struct vdm_dev *dev)
{
	struct vdmabuf_model_consumer *mc, *tmp;

	lockdep_assert_held(&dev->lock);
	vdmabuf_model_for_each_consumer_safe(mc, tmp, &dev->model) {
		struct vdm_consumer *c = container_of(mc, struct vdm_consumer, model);

		consumer_kill(c, false);
		consumer_detach(dev, c);
	}
	dev->reap = false;
}

static ssize_t consumer_read(struct file *file, char __user *buf, size_t count,
			     loff_t *ppos)
{
	struct vdm_consumer *c = file->private_data;
	const size_t size = sizeof(struct vdmabuf_consumer_msg);
	size_t done = 0;
	int ret;

	if (count < size)
		return -EINVAL;
	for (;;) {
		spin_lock(&c->qlock);
		if (c->qlen || c->dead)
			break;
		spin_unlock(&c->qlock);
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(c->wait,
					       READ_ONCE(c->qlen) || READ_ONCE(c->dead));
		if (ret)
			return ret;
	}
	/* qlock held: take whole messages while they fit. */
	while (c->qlen && count - done >= size) {
		struct vdm_msg_node *node =
			list_first_entry(&c->queue, struct vdm_msg_node, link);

		list_del(&node->link);
		c->qlen--;
		spin_unlock(&c->qlock);
		if (copy_to_user(buf + done, &node->msg, size)) {
			spin_lock(&c->qlock);
			list_add(&node->link, &c->queue);
			c->qlen++;
			spin_unlock(&c->qlock);
			return done ? done : -EFAULT;
		}
		kfree(node);
		done += size;
		spin_lock(&c->qlock);
	}
	spin_unlock(&c->qlock);
	return done;
}

static __poll_t consumer_poll(struct file *file, poll_table *wait)
{
	struct vdm_consumer *c = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &c->wait, wait);
	spin_lock(&c->qlock);
	if (c->qlen)
		mask |= EPOLLIN | EPOLLRDNORM;
	if (c->dead)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLHUP;
	if (c->overflow)
		mask |= EPOLLERR;
	spin_unlock(&c->qlock);
	return mask;
}

static long consumer_cmd(struct vdm_consumer *c, void __user *argp)
{
	struct vdm_dev *dev = c->dev;
	struct vdmabuf_consumer_msg req, reply;
	struct dma_buf *import = NULL;
	void *found;
	int fd = -1, err;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.type == VDMABUF_MSG_IMPORT) {
		fd = get_unused_fd_flags(O_CLOEXEC);
		if (fd < 0)
			return fd;
	}
	mutex_lock(&dev->lock);
	vdm_consumer_reap(dev);
	if (!c->model.attached) {
		mutex_unlock(&dev->lock);
		err = -EPIPE;
		goto out_fd;
	}
	vdmabuf_model_command(&dev->model, &c->model, &req, &reply, &found);
	if (reply.type == VDMABUF_MSG_IMPORT) {
		import = found;
		get_dma_buf(import);
	}
	mutex_unlock(&dev->lock);
	/* Releases and retirements travel to the guest from the worker. */
	vdm_wake(dev);

	if (copy_to_user(argp, &reply, sizeof(reply))) {
		err = -EFAULT;
		goto out_import;
	}
	if (!import) {
		err = 0;
		goto out_fd;
	}
	/* The reference get_dma_buf() took now belongs to the fd. */
	fd_install(fd, import->file);
	return fd;

out_import:
	if (import) {
		mutex_lock(&dev->lock);
		vdmabuf_model_undo_import(&dev->model, &c->model, &req.id);
		mutex_unlock(&dev->lock);
		vdm_wake(dev);
		dma_buf_put(import);
	}
out_fd:
	if (fd >= 0)
		put_unused_fd(fd);
	return err;
}

static long consumer_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct vdm_consumer *c = file->private_data;

	switch (cmd) {
	case VHOST_VDMABUF_CONSUMER_CMD:
		return consumer_cmd(c, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static void consumer_free(struct vdm_consumer *c)
{
	struct vdm_msg_node *node, *tmp;

	list_for_each_entry_safe(node, tmp, &c->queue, link)
		kfree(node);
	vdm_dev_put(c->dev);
	kfree(c);
}

static int consumer_release(struct inode *inode, struct file *file)
{
	struct vdm_consumer *c = file->private_data;
	struct vdm_dev *dev = c->dev;

	mutex_lock(&dev->lock);
	consumer_kill(c, false);
	consumer_detach(dev, c);
	mutex_unlock(&dev->lock);
	vdm_wake(dev);
	consumer_free(c);
	return 0;
}

static const struct file_operations consumer_fops = {
	.owner = THIS_MODULE,
	.read = consumer_read,
	.poll = consumer_poll,
	.unlocked_ioctl = consumer_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = consumer_release,
	.llseek = noop_llseek,
};

/* VHOST_VDMABUF_GRANT: a new consumer, HELLO and BUFFERs queued. */
int vdm_consumer_grant(struct vdm_dev *dev)
{
	struct vdm_consumer *c;
	struct file *file;
	int fd, err;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	kref_get(&dev->ref);
	c->dev = dev;
	c->model.pid = task_tgid_vnr(current);
	spin_lock_init(&c->qlock);
	INIT_LIST_HEAD(&c->queue);
	init_waitqueue_head(&c->wait);

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		consumer_free(c);
		return fd;
	}
	file = anon_inode_getfile("[vhost-vdmabuf-consumer]", &consumer_fops, c,
				  O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		consumer_free(c);
		return PTR_ERR(file);
	}
	/* From here the file owns c: fput() frees it. */
	mutex_lock(&dev->lock);
	vdm_consumer_reap(dev);
	if (dev->closed) {
		err = -ENODEV;
		goto err_unlock;
	}
	err = vdmabuf_model_attach(&dev->model, &c->model);
	if (err)
		goto err_unlock;
	mutex_unlock(&dev->lock);
	vdm_wake(dev);
	fd_install(fd, file);
	return fd;

err_unlock:
	mutex_unlock(&dev->lock);
	put_unused_fd(fd);
	fput(file);
	return err;
}
