// SPDX-License-Identifier: GPL-2.0-only
/*
 * vhost_vdmabuf: the in-kernel host engine of the vdmabuf device
 * (protocol/vdmabuf-spec.md, protocol/vhost_vdmabuf_uapi.h).
 *
 * Each open of /dev/vhost-vdmabuf is one device, owned by the process that
 * gives it the guest's memory table (the vhost-user daemon). A kernel
 * thread per device uses the owner's mm to read the rings and requests
 * from guest memory, pins the pages of exported buffers and writes replies
 * and events; kicks wake it through the kick eventfds' wait queues.
 * Consumers get their own files from VHOST_VDMABUF_GRANT.
 *
 * Lifetime: the device is kref'd by its owner file and its consumer files.
 * Closing the owner file resets the device (every buffer dies, consumers
 * see RESET and then end of file), stops the worker and lets go of the
 * owner's mm and eventfds; dmabufs already imported stay valid, with their
 * pages pinned, until their last fd closes, and keep the module loaded.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/capability.h>
#include <linux/kthread.h>
#include <linux/memcontrol.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "vdmabuf_compat.h"
#include "vhost_vdmabuf.h"

static atomic_t vdm_nr = ATOMIC_INIT(0);

/* The worker */

void vdm_wake(struct vdm_dev *dev)
{
	unsigned long flags;

	set_bit(VDM_WORK_PENDING, &dev->work);
	spin_lock_irqsave(&dev->wake_lock, flags);
	if (dev->worker)
		wake_up_process(dev->worker);
	spin_unlock_irqrestore(&dev->wake_lock, flags);
}

static void vdm_do_work(struct vdm_dev *dev)
{
	struct mm_struct *mm = NULL;
	struct mem_cgroup *old_memcg;

	mutex_lock(&dev->lock);
	vdm_consumer_reap(dev);
	if (dev->running && dev->mm && mmget_not_zero(dev->mm)) {
		mm = dev->mm;
		kthread_use_mm(mm);
		/* A kthread charges no memcg of its own: the owner's pays. */
		old_memcg = set_active_memcg(dev->memcg);
		vdmabuf_model_kicked(&dev->model, atomic_xchg(&dev->vqs[0].kicks, 0) +
					 atomic_xchg(&dev->vqs[1].kicks, 0));
		if (test_and_clear_bit(VDM_WORK_IMPORTS_IDLE, &dev->work))
			vdmabuf_model_imports_idle(&dev->model);
		if (test_and_clear_bit(VDM_WORK_TIMER, &dev->work))
			vdmabuf_model_timer(&dev->model);
		vdmabuf_model_process(&dev->model, VDMABUF_VQ_CONTROL);
		vdmabuf_model_process(&dev->model, VDMABUF_VQ_EVENT);
		set_active_memcg(old_memcg);
		kthread_unuse_mm(mm);
	}
	mutex_unlock(&dev->lock);
	if (mm)
		mmput(mm);
}

static void vdm_timer_fn(struct timer_list *t)
{
	struct vdm_dev *dev = timer_container_of(dev, t, timer);

	set_bit(VDM_WORK_TIMER, &dev->work);
	vdm_wake(dev);
}

static int vdm_worker(void *data)
{
	struct vdm_dev *dev = data;

	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop()) {
			__set_current_state(TASK_RUNNING);
			break;
		}
		if (!test_and_clear_bit(VDM_WORK_PENDING, &dev->work)) {
			schedule();
			continue;
		}
		__set_current_state(TASK_RUNNING);
		vdm_do_work(dev);
		cond_resched();
	}
	return 0;
}

/* Device lifetime */

static void vdm_dev_free(struct kref *ref)
{
	struct vdm_dev *dev = container_of(ref, struct vdm_dev, ref);

	timer_shutdown_sync(&dev->timer);
	vdm_counters_put(dev->counters);
	mem_cgroup_put(dev->memcg);
	/* The model's ops assert the lock; the device was reset before. */
	mutex_lock(&dev->lock);
	vdmabuf_model_finish(&dev->model);
	mutex_unlock(&dev->lock);
	kvfree(dev->elem);
	kfree(dev);
}

void vdm_dev_put(struct vdm_dev *dev)
{
	kref_put(&dev->ref, vdm_dev_free);
}

static int vdm_open(struct inode *inode, struct file *file)
{
	struct task_struct *worker;
	struct vdm_dev *dev;
	unsigned int i;
	int ret = -ENOMEM;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	dev->counters = kzalloc(sizeof(*dev->counters), GFP_KERNEL);
	dev->elem = kvzalloc(sizeof(*dev->elem), GFP_KERNEL);
	if (!dev->counters || !dev->elem)
		goto err_free;
	kref_init(&dev->counters->ref);
	spin_lock_init(&dev->counters->lock);
	kref_init(&dev->ref);
	dev->nr = atomic_inc_return(&vdm_nr);
	spin_lock_init(&dev->wake_lock);
	mutex_init(&dev->lock);
	timer_setup(&dev->timer, vdm_timer_fn, 0);
	for (i = 0; i < VDMABUF_NUM_VQS; i++) {
		dev->vqs[i].dev = dev;
		dev->vqs[i].index = i;
	}
	/* Until SET_CONFIG: the limits of §8, no optional feature. */
	dev->cfg.max_buffers = VDMABUF_MAX_BUFFERS;
	dev->cfg.max_extents = VDMABUF_MAX_EXTENTS;
	dev->cfg.max_buffer_size = VDMABUF_MAX_BUFFER_SIZE;
	ret = vdmabuf_model_init(&dev->model, &vdm_model_ops, &(struct vdmabuf_limits){
		.max_buffers = dev->cfg.max_buffers,
		.max_extents = dev->cfg.max_extents,
		.max_buffer_size = dev->cfg.max_buffer_size,
	});
	if (ret)
		goto err_free;

	worker = kthread_create(vdm_worker, dev, "vhost-vdmabuf-%u", dev->nr);
	if (IS_ERR(worker)) {
		ret = PTR_ERR(worker);
		goto err_model;
	}
	get_task_struct(worker);
	/* Its CPU time is the owner's, as vhost's workers'. */
	if (cgroup_attach_task_all(current, worker))
		pr_warn("dev %u: worker left out of the owner's cgroups\n", dev->nr);
	dev->worker = worker;
	dev->counters->dev = dev;
	wake_up_process(worker);
	file->private_data = dev;
	return 0;

err_model:
	vdmabuf_model_finish(&dev->model);
err_free:
	kvfree(dev->elem);
	kfree(dev->counters);
	kfree(dev);
	return ret;
}

/* With dev->lock held: every queue detached, the device reset. */
static void vdm_stop(struct vdm_dev *dev, struct vhost_vdmabuf_stop *out)
{
	unsigned int i;

	for (i = 0; i < VDMABUF_NUM_VQS; i++) {
		if (out)
			out->last_avail_idx[i] = dev->vqs[i].last_avail_idx;
		vdm_vq_detach(&dev->vqs[i]);
	}
	if (dev->running) {
		pr_info("dev %u: device stopped\n", dev->nr);
		dev->running = false;
		vdmabuf_model_reset(&dev->model);
	}
}

static int vdm_release(struct inode *inode, struct file *file)
{
	struct vdm_dev *dev = file->private_data;
	struct task_struct *worker;
	unsigned long flags;

	mutex_lock(&dev->lock);
	vdm_stop(dev, NULL);
	dev->closed = true;
	vdm_consumer_disconnect_all(dev);
	mutex_unlock(&dev->lock);

	/* No kick can reach it any more; consumers' wakes see NULL. */
	spin_lock(&dev->counters->lock);
	dev->counters->dev = NULL;
	spin_unlock(&dev->counters->lock);
	spin_lock_irqsave(&dev->wake_lock, flags);
	worker = dev->worker;
	dev->worker = NULL;
	spin_unlock_irqrestore(&dev->wake_lock, flags);
	kthread_stop(worker);
	put_task_struct(worker);

	mutex_lock(&dev->lock);
	if (dev->mm) {
		mmdrop(dev->mm);
		dev->mm = NULL;
	}
	mutex_unlock(&dev->lock);
	vdm_dev_put(dev);
	return 0;
}

/* Owner ioctls; all with dev->lock held. */

static int vdm_set_mem_table(struct vdm_dev *dev, void __user *argp)
{
	struct vhost_vdmabuf_mem_table *mem;
	unsigned int i, j;
	int ret = -EINVAL;

	mem = kmalloc(sizeof(*mem), GFP_KERNEL);
	if (!mem)
		return -ENOMEM;
	if (copy_from_user(mem, argp, sizeof(*mem))) {
		ret = -EFAULT;
		goto out;
	}
	/* While running only the owner may move the guest's memory. */
	if (dev->running && dev->mm != current->mm) {
		ret = -EPERM;
		goto out;
	}
	if (!current->mm || !mem->num_regions ||
	    mem->num_regions > VHOST_VDMABUF_MAX_REGIONS || mem->reserved)
		goto out;
	for (i = 0; i < mem->num_regions; i++) {
		const struct vhost_vdmabuf_region *r = &mem->regions[i];

		if (!r->size || !PAGE_ALIGNED(r->gpa) || !PAGE_ALIGNED(r->size) ||
		    !PAGE_ALIGNED(r->uaddr) || r->gpa + r->size < r->gpa ||
		    r->uaddr + r->size < r->uaddr ||
		    !access_ok(u64_to_user_ptr(r->uaddr), r->size))
			goto out;
		for (j = 0; j < i; j++) {
			const struct vhost_vdmabuf_region *o = &mem->regions[j];

			if (r->gpa < o->gpa + o->size && o->gpa < r->gpa + r->size)
				goto out;
		}
	}
	if (dev->mm != current->mm) {
		/*
		 * A new owner (a restarted daemon) while stopped: the rings
		 * the old one set are addresses in its own address space.
		 */
		for (i = 0; i < VDMABUF_NUM_VQS; i++)
			vdm_vq_detach(&dev->vqs[i]);
		if (dev->mm)
			mmdrop(dev->mm);
		mmgrab(current->mm);
		dev->mm = current->mm;
	}
	dev->mem = *mem;
	dev->mem_pages = 0;
	for (i = 0; i < mem->num_regions; i++)
		dev->mem_pages += mem->regions[i].size >> PAGE_SHIFT;
	/* Rings move with the memory they live in. */
	for (i = 0; i < VDMABUF_NUM_VQS; i++) {
		struct vdm_vq *vq = &dev->vqs[i];

		if (vq->started &&
		    (!vdm_uaddr_in_mem(dev, vq->desc, (u64)vq->num * 16) ||
		     !vdm_uaddr_in_mem(dev, vq->avail, 4 + 2 * (u64)vq->num) ||
		     !vdm_uaddr_in_mem(dev, vq->used, 4 + 8 * (u64)vq->num)))
			vq->broken = true;
	}
	ret = 0;
out:
	kfree(mem);
	return ret;
}

static int vdm_set_config(struct vdm_dev *dev, void __user *argp)
{
	struct vhost_vdmabuf_config cfg;

	if (copy_from_user(&cfg, argp, sizeof(cfg)))
		return -EFAULT;
	if (dev->running)
		return -EBUSY;
	if (!cfg.max_buffers || cfg.max_buffers > VDMABUF_MAX_BUFFERS ||
	    !cfg.max_extents || cfg.max_extents > VDMABUF_MAX_EXTENTS ||
	    !cfg.max_buffer_size || cfg.max_buffer_size > VDMABUF_MAX_BUFFER_SIZE ||
	    cfg.max_buffer_size % VDMABUF_PAGE_SIZE || cfg.reserved ||
	    (cfg.release_deadline_ms && !vdmabuf_release_deadline_valid(cfg.release_deadline_ms)))
		return -EINVAL;
	/* Of the transport bits only the rings' event index means anything here. */
	cfg.features &= VDMABUF_DEVICE_FEATURES;
	dev->cfg = cfg;
	dev->model.limits = (struct vdmabuf_limits){
		.max_buffers = cfg.max_buffers,
		.max_extents = cfg.max_extents,
		.max_buffer_size = cfg.max_buffer_size,
	};
	dev->model.release_deadline_ns = cfg.release_deadline_ms ?
		(u64)cfg.release_deadline_ms * NSEC_PER_MSEC : VDMABUF_MODEL_RELEASE_DEADLINE_NS;
	return 0;
}

static int vdm_set_vring(struct vdm_dev *dev, void __user *argp)
{
	struct vhost_vdmabuf_vring v;
	struct vdm_vq *vq;
	int ret;

	if (copy_from_user(&v, argp, sizeof(v)))
		return -EFAULT;
	if (!dev->mm || dev->mm != current->mm)
		return -EPERM;
	if (dev->running)
		return -EBUSY;
	if (v.index >= VDMABUF_NUM_VQS || !v.num || !is_power_of_2(v.num) ||
	    v.num > VHOST_VDMABUF_MAX_QUEUE_SIZE || v.reserved[0] ||
	    v.reserved[1] || v.reserved[2] || v.kick_fd < 0 ||
	    !IS_ALIGNED(v.desc_uaddr, 16) || !IS_ALIGNED(v.avail_uaddr, 2) ||
	    !IS_ALIGNED(v.used_uaddr, 4))
		return -EINVAL;
	vq = &dev->vqs[v.index];
	vdm_vq_detach(vq);
	ret = vdm_vq_set_call(vq, v.call_fd);
	if (ret)
		return ret;
	ret = vdm_vq_set_kick(vq, v.kick_fd);
	if (ret) {
		vdm_vq_detach(vq);
		return ret;
	}
	vq->num = v.num;
	vq->desc = v.desc_uaddr;
	vq->avail = v.avail_uaddr;
	vq->used = v.used_uaddr;
	vq->last_avail_idx = v.last_avail_idx;
	return 0;
}

/*
 * The owner that starts the device pays for its pins, as the kernel
 * charges pinned memory elsewhere (RDMA's ib_umem_get(), io_uring): each
 * pinned page counts in its mm's pinned_vm, which may not pass its
 * RLIMIT_MEMLOCK unless it has CAP_IPC_LOCK; the worker's allocations
 * go to its memcg. The budget the daemon asked for (SET_CONFIG) is
 * taken only within that limit.
 */
static void vdm_charge_owner(struct vdm_dev *dev)
{
	unsigned long memlock = rlimit(RLIMIT_MEMLOCK);
	u64 budget = dev->cfg.max_pinned;

	lockdep_assert_held(&dev->lock);
	mem_cgroup_put(dev->memcg);
	dev->memcg = get_mem_cgroup_from_mm(current->mm);
	if (memlock == RLIM_INFINITY || capable(CAP_IPC_LOCK)) {
		dev->pin_limit = ULONG_MAX;
	} else {
		dev->pin_limit = memlock >> PAGE_SHIFT;
		/* 0 would be no budget: the mm's own check refuses then. */
		if (!budget || budget > (u64)dev->pin_limit << PAGE_SHIFT)
			budget = max_t(u64, (u64)dev->pin_limit << PAGE_SHIFT, PAGE_SIZE);
	}
	dev->model.max_pinned = budget;
	if (budget)
		pr_info("dev %u: pins charged to pid %d: up to %llu KiB\n", dev->nr,
			task_tgid_nr(current), budget >> 10);
	else
		pr_info("dev %u: pins charged to pid %d: no budget\n", dev->nr,
			task_tgid_nr(current));
}

static int vdm_start(struct vdm_dev *dev)
{
	unsigned int i, ring_size[VDMABUF_NUM_VQS];
	int ret;

	if (!dev->mm || dev->mm != current->mm)
		return -EPERM;
	if (dev->running)
		return -EBUSY;
	vdm_charge_owner(dev);
	for (i = 0; i < VDMABUF_NUM_VQS; i++) {
		ret = vdm_vq_start(&dev->vqs[i]);
		if (ret) {
			while (i--)
				dev->vqs[i].started = false;
			return ret;
		}
		ring_size[i] = dev->vqs[i].num;
	}
	dev->running = true;
	pr_info("dev %u: device ready: features=%#llx regions=%u\n", dev->nr,
		dev->cfg.features, dev->mem.num_regions);
	/* It wakes the worker: requests may already wait in the rings. */
	vdmabuf_model_start(&dev->model, dev->cfg.features & VDMABUF_MODEL_FEATURES, ring_size);
	return 0;
}

static int vdm_get_stats(struct vdm_dev *dev, void __user *argp)
{
	struct vhost_vdmabuf_stats st = {};

	vdmabuf_model_stats(&dev->model, &st.device);
	st.pinned_pages = atomic64_read(&dev->counters->pinned_pages);
	st.dmabufs = atomic64_read(&dev->counters->dmabufs);
	return copy_to_user(argp, &st, sizeof(st)) ? -EFAULT : 0;
}

static long vdm_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct vdm_dev *dev = file->private_data;
	void __user *argp = (void __user *)arg;
	struct vhost_vdmabuf_stop stop = {};
	long ret;

	if (cmd == VHOST_VDMABUF_GRANT)
		return vdm_consumer_grant(dev);

	mutex_lock(&dev->lock);
	switch (cmd) {
	case VHOST_VDMABUF_SET_MEM_TABLE:
		ret = vdm_set_mem_table(dev, argp);
		break;
	case VHOST_VDMABUF_SET_CONFIG:
		ret = vdm_set_config(dev, argp);
		break;
	case VHOST_VDMABUF_SET_VRING:
		ret = vdm_set_vring(dev, argp);
		break;
	case VHOST_VDMABUF_START:
		ret = vdm_start(dev);
		break;
	case VHOST_VDMABUF_STOP:
		vdm_stop(dev, &stop);
		ret = 0;
		break;
	case VHOST_VDMABUF_GET_STATS:
		ret = vdm_get_stats(dev, argp);
		break;
	default:
		ret = -ENOTTY;
		break;
	}
	vdm_consumer_reap(dev);
	mutex_unlock(&dev->lock);
	if (cmd == VHOST_VDMABUF_STOP && copy_to_user(argp, &stop, sizeof(stop)))
		ret = -EFAULT;
	return ret;
}

static const struct file_operations vdm_fops = {
	.owner = THIS_MODULE,
	.open = vdm_open,
	.release = vdm_release,
	.unlocked_ioctl = vdm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice vdm_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vhost-vdmabuf",
	.fops = &vdm_fops,
	.mode = 0600,
};

static int __init vdm_init(void)
{
	int ret;

	BUILD_BUG_ON(PAGE_SIZE != VDMABUF_PAGE_SIZE);
	BUILD_BUG_ON(sizeof(struct vdmabuf_consumer_msg) != 304);
	BUILD_BUG_ON(sizeof(struct vhost_vdmabuf_vring) != 48);
	BUILD_BUG_ON(VDM_CONSUMER_QUEUE <= VDMABUF_MAX_BUFFERS + 1);
	ret = misc_register(&vdm_misc);
	if (ret)
		return ret;
	pr_info("/dev/%s ready\n", vdm_misc.name);
	return 0;
}

static void __exit vdm_exit(void)
{
	misc_deregister(&vdm_misc);
}

module_init(vdm_init);
module_exit(vdm_exit);

MODULE_DESCRIPTION("vdmabuf host engine: guest frames as host dmabufs, in the kernel");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(VDMABUF_NS_DMA_BUF);
