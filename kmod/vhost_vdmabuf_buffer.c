// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host dmabufs of the guest's own pages: an EXPORT's extents are translated
 * to the owner's mapping of guest RAM, their pages pinned (FOLL_LONGTERM)
 * and exported as one dma_buf. Nothing is copied.
 *
 * The guest may reuse the pages once the buffer retires, however long a
 * consumer keeps its fd, so access is revocable (spec §10.3): when the guest
 * unexports the buffer or the device resets, vdm_hostbuf_revoke() zaps
 * every CPU mapping (later reads see the zero page, writes fault), refuses
 * new mappings and tells dynamic importers to let go (move_notify). The
 * pages are unpinned as soon as no device mapping or vmap is left; until
 * then the buffer is busy and does not retire.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/highmem.h>
#include <linux/iosys-map.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "vdmabuf_compat.h"
#include "vhost_vdmabuf.h"

struct vdm_hostbuf {
	struct vdm_counters *counters;	/* a reference */
	struct mm_struct *mm;		/* pays for the pins (pinned_vm); mmgrab()ed */
	unsigned long npages;

	/*
	 * Guards everything below; taken in page faults (under mmap_lock)
	 * and in map/unmap (under the dma_buf's resv), never held while
	 * mappings are zapped.
	 */
	struct mutex lock;
	struct page **pages;		/* pinned; NULL once unpinned */
	bool revoked;			/* no new access; mappings zapped */
	unsigned int maps;		/* device mappings (sg tables) live */
	unsigned int vmaps;		/* kernel mappings live */
};

/* One per attachment; mapping and syncs happen under the dma_buf's resv. */
struct vdm_attach {
	struct sg_table *sgt;		/* NULL while unmapped */
	enum dma_data_direction dir;
};

static void counters_free(struct kref *ref)
{
	kfree(container_of(ref, struct vdm_counters, ref));
}

void vdm_counters_put(struct vdm_counters *c)
{
	kref_put(&c->ref, counters_free);
}

/* Wakes the device's worker: a busy buffer may retire now. */
static void counters_kick(struct vdm_counters *c)
{
	spin_lock(&c->lock);
	if (c->dev) {
		set_bit(VDM_WORK_IMPORTS_IDLE, &c->dev->work);
		vdm_wake(c->dev);
	}
	spin_unlock(&c->lock);
}

static void hostbuf_unpin(struct vdm_hostbuf *hb)
{
	lockdep_assert_held(&hb->lock);
	if (!hb->pages)
		return;
	/* The host may have written them: dirty, then unpinned. */
	unpin_user_pages_dirty_lock(hb->pages, hb->npages, true);
	atomic64_sub(hb->npages, &hb->counters->pinned_pages);
	atomic64_sub(hb->npages, &hb->mm->pinned_vm);
	kvfree(hb->pages);
	hb->pages = NULL;
}

/* Unpins a revoked buffer nothing maps any more; whether it did. */
static bool hostbuf_settle(struct vdm_hostbuf *hb)
{
	lockdep_assert_held(&hb->lock);
	if (!hb->revoked || !hb->pages || hb->maps || hb->vmaps)
		return false;
	hostbuf_unpin(hb);
	return true;
}

static void hostbuf_free(struct vdm_hostbuf *hb)
{
	mutex_lock(&hb->lock);
	hostbuf_unpin(hb);
	mutex_unlock(&hb->lock);
	mutex_destroy(&hb->lock);
	vdm_counters_put(hb->counters);
	mmdrop(hb->mm);
	kfree(hb);
}

/* A device mapping or vmap went; the last of a revoked buffer unpins it. */
static void hostbuf_put_map(struct vdm_hostbuf *hb, unsigned int *count)
{
	bool settled;

	mutex_lock(&hb->lock);
	(*count)--;
	settled = hostbuf_settle(hb);
	mutex_unlock(&hb->lock);
	if (settled)
		counters_kick(hb->counters);
}

/* Takes a device mapping or vmap: -ENODEV once revoked. */
static int hostbuf_get_map(struct vdm_hostbuf *hb, unsigned int *count)
{
	int ret = 0;

	mutex_lock(&hb->lock);
	if (hb->revoked)
		ret = -ENODEV;
	else
		(*count)++;
	mutex_unlock(&hb->lock);
	return ret;
}

static int vdm_dmabuf_attach(struct dma_buf *dmabuf,
			     struct dma_buf_attachment *attach)
{
	struct vdm_attach *a = kzalloc(sizeof(*a), GFP_KERNEL);

	if (!a)
		return -ENOMEM;
	attach->priv = a;
	return 0;
}

static void vdm_dmabuf_detach(struct dma_buf *dmabuf,
			      struct dma_buf_attachment *attach)
{
	kfree(attach->priv);
	attach->priv = NULL;
}

static struct sg_table *vdm_dmabuf_map(struct dma_buf_attachment *attach,
				       enum dma_data_direction dir)
{
	struct vdm_hostbuf *hb = attach->dmabuf->priv;
	struct vdm_attach *a = attach->priv;
	struct sg_table *sgt;
	int ret;

	ret = hostbuf_get_map(hb, &hb->maps);
	if (ret)
		return ERR_PTR(ret);
	/* Not revoked: the pages stay pinned while maps counts this one. */
	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt) {
		ret = -ENOMEM;
		goto err_put;
	}
	ret = sg_alloc_table_from_pages(sgt, hb->pages, hb->npages, 0,
					(u64)hb->npages << PAGE_SHIFT, GFP_KERNEL);
	if (ret)
		goto err_free;
	ret = dma_map_sgtable(attach->dev, sgt, dir, 0);
	if (ret)
		goto err_table;
	a->sgt = sgt;
	a->dir = dir;
	return sgt;

err_table:
	sg_free_table(sgt);
err_free:
	kfree(sgt);
err_put:
	hostbuf_put_map(hb, &hb->maps);
	return ERR_PTR(ret);
}

static void vdm_dmabuf_unmap(struct dma_buf_attachment *attach,
			     struct sg_table *sgt, enum dma_data_direction dir)
{
	struct vdm_hostbuf *hb = attach->dmabuf->priv;
	struct vdm_attach *a = attach->priv;

	if (a->sgt == sgt)
		a->sgt = NULL;
	dma_unmap_sgtable(attach->dev, sgt, dir, 0);
	sg_free_table(sgt);
	kfree(sgt);
	hostbuf_put_map(hb, &hb->maps);
}

/*
 * The pages are pinned for the buffer's life: pinning is bookkeeping, and
 * refused once revoked. Having it makes the buffer dynamic, so importers
 * that can let go are told to by move_notify.
 */
static int vdm_dmabuf_pin(struct dma_buf_attachment *attach)
{
	struct vdm_hostbuf *hb = attach->dmabuf->priv;
	int ret = 0;

	mutex_lock(&hb->lock);
	if (hb->revoked)
		ret = -ENODEV;
	mutex_unlock(&hb->lock);
	return ret;
}

static void vdm_dmabuf_unpin(struct dma_buf_attachment *attach)
{
}

static void vdm_dmabuf_release(struct dma_buf *dmabuf)
{
	struct vdm_hostbuf *hb = dmabuf->priv;

	atomic64_dec(&hb->counters->dmabufs);
	hostbuf_free(hb);
}

/*
 * CPU mappings. Once revoked, a read maps the zero page read-only (a
 * compositor still sampling the buffer shows black instead of dying) and
 * a write faults: nothing reaches the guest's pages. Write access goes
 * through pfn_mkwrite, so a read-only zero page never becomes writable.
 */
static vm_fault_t vdm_dmabuf_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vdm_hostbuf *hb = vma->vm_private_data;
	vm_fault_t ret;

	if (vmf->pgoff >= hb->npages)
		return VM_FAULT_SIGBUS;
	mutex_lock(&hb->lock);
	if (!hb->revoked)
		ret = vmf_insert_pfn(vma, vmf->address, page_to_pfn(hb->pages[vmf->pgoff]));
	else if (vmf->flags & FAULT_FLAG_WRITE)
		ret = VM_FAULT_SIGBUS;
	else
		ret = vmf_insert_pfn_prot(vma, vmf->address, page_to_pfn(ZERO_PAGE(vmf->address)),
					  vm_get_page_prot(vma->vm_flags & ~VM_WRITE));
	mutex_unlock(&hb->lock);
	return ret;
}

static vm_fault_t vdm_dmabuf_pfn_mkwrite(struct vm_fault *vmf)
{
	struct vdm_hostbuf *hb = vmf->vma->vm_private_data;
	vm_fault_t ret = 0;

	mutex_lock(&hb->lock);
	if (hb->revoked)
		ret = VM_FAULT_SIGBUS;
	mutex_unlock(&hb->lock);
	return ret;
}

static const struct vm_operations_struct vdm_dmabuf_vm_ops = {
	.fault = vdm_dmabuf_fault,
	.pfn_mkwrite = vdm_dmabuf_pfn_mkwrite,
};

static int vdm_dmabuf_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct vdm_hostbuf *hb = dmabuf->priv;
	int ret = 0;

	if (!(vma->vm_flags & (VM_SHARED | VM_MAYSHARE)))
		return -EINVAL;
	mutex_lock(&hb->lock);
	if (hb->revoked)
		ret = -ENODEV;
	mutex_unlock(&hb->lock);
	if (ret)
		return ret;
	/* Mapped after the check: the revocation's zap reaches it. */
	vma->vm_ops = &vdm_dmabuf_vm_ops;
	vma->vm_private_data = hb;
	vm_flags_set(vma, VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	return 0;
}

static int vdm_dmabuf_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct vdm_hostbuf *hb = dmabuf->priv;
	void *vaddr;
	int ret;

	if (hb->npages > UINT_MAX)
		return -E2BIG;
	ret = hostbuf_get_map(hb, &hb->vmaps);
	if (ret)
		return ret;
	vaddr = vm_map_ram(hb->pages, hb->npages, NUMA_NO_NODE);
	if (!vaddr) {
		hostbuf_put_map(hb, &hb->vmaps);
		return -ENOMEM;
	}
	iosys_map_set_vaddr(map, vaddr);
	return 0;
}

static void vdm_dmabuf_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct vdm_hostbuf *hb = dmabuf->priv;

	vm_unmap_ram(map->vaddr, hb->npages);
	hostbuf_put_map(hb, &hb->vmaps);
}

/* CPU access: sync every device mapping of the buffer. */
static int vdm_dmabuf_cpu_access(struct dma_buf *dmabuf,
				 enum dma_data_direction dir, bool begin)
{
	struct dma_buf_attachment *attach;
	int ret;

	ret = dma_resv_lock_interruptible(dmabuf->resv, NULL);
	if (ret)
		return ret;
	list_for_each_entry(attach, &dmabuf->attachments, node) {
		struct vdm_attach *a = attach->priv;

		if (!a || !a->sgt)
			continue;
		if (begin)
			dma_sync_sgtable_for_cpu(attach->dev, a->sgt, dir);
		else
			dma_sync_sgtable_for_device(attach->dev, a->sgt, dir);
	}
	dma_resv_unlock(dmabuf->resv);
	return 0;
}

static int vdm_dmabuf_begin_cpu_access(struct dma_buf *dmabuf,
				       enum dma_data_direction dir)
{
	return vdm_dmabuf_cpu_access(dmabuf, dir, true);
}

static int vdm_dmabuf_end_cpu_access(struct dma_buf *dmabuf,
				     enum dma_data_direction dir)
{
	return vdm_dmabuf_cpu_access(dmabuf, dir, false);
}

/* No cached sg tables: a dynamic importer's unmap must reach maps. */
static const struct dma_buf_ops vdm_dmabuf_ops = {
	.attach = vdm_dmabuf_attach,
	.detach = vdm_dmabuf_detach,
	.pin = vdm_dmabuf_pin,
	.unpin = vdm_dmabuf_unpin,
	.map_dma_buf = vdm_dmabuf_map,
	.unmap_dma_buf = vdm_dmabuf_unmap,
	.release = vdm_dmabuf_release,
	.mmap = vdm_dmabuf_mmap,
	.vmap = vdm_dmabuf_vmap,
	.vunmap = vdm_dmabuf_vunmap,
	.begin_cpu_access = vdm_dmabuf_begin_cpu_access,
	.end_cpu_access = vdm_dmabuf_end_cpu_access,
};

/*
 * Checks every extent (spec §8.1 steps 9 and 10) and returns the total;
 * an extent may straddle RAM regions that are adjacent in guest-physical
 * space, as in the daemon.
 */
static u32 check_extents(struct vdm_dev *dev, const struct vdmabuf_export *req,
			 const struct vdmabuf_extent *extents, u64 *total)
{
	u32 n = le32_to_cpu(req->num_extents);
	u32 i, status;

	*total = 0;
	for (i = 0; i < n; i++) {
		u64 addr = le64_to_cpu(extents[i].addr);
		u64 len = le64_to_cpu(extents[i].len);

		status = vdmabuf_check_extent(&extents[i], total);
		if (status != VDMABUF_S_OK) {
			vdm_warn_limited(dev, "export: extent %u (%#llx+%#llx) malformed",
					 i, addr, len);
			return status;
		}
		while (len) {
			const struct vhost_vdmabuf_region *r =
				vdm_find_region(dev, addr, VDMABUF_PAGE_SIZE);
			u64 chunk;

			if (!r) {
				vdm_warn_limited(dev, "export: extent %u at %#llx outside guest RAM",
						 i, addr);
				return VDMABUF_S_ERANGE;
			}
			chunk = min(r->size - (addr - r->gpa), len);
			addr += chunk;
			len -= chunk;
		}
	}
	if (*total != le64_to_cpu(req->size)) {
		vdm_warn_limited(dev, "export: extents cover %llu bytes, size is %llu",
				 *total, le64_to_cpu(req->size));
		return VDMABUF_S_EINVAL;
	}
	return VDMABUF_S_OK;
}

/*
 * Pins every page of the (checked) extents, in order, into hb->pages;
 * *done counts the pages pinned, also on failure.
 */
static int pin_extents(struct vdm_dev *dev, struct vdm_hostbuf *hb,
		       const struct vdmabuf_extent *extents, u32 n,
		       unsigned long *done)
{
	u32 i;

	for (i = 0; i < n; i++) {
		u64 addr = le64_to_cpu(extents[i].addr);
		u64 len = le64_to_cpu(extents[i].len);

		while (len) {
			const struct vhost_vdmabuf_region *r =
				vdm_find_region(dev, addr, VDMABUF_PAGE_SIZE);
			u64 chunk, uaddr;
			unsigned long want;
			long got;

			if (!r)
				return -EFAULT;
			chunk = min(r->size - (addr - r->gpa), len);
			uaddr = r->uaddr + (addr - r->gpa);
			want = chunk >> PAGE_SHIFT;
			if (want > hb->npages - *done)
				return -EFAULT;
			while (want) {
				got = pin_user_pages_unlocked(uaddr, want, hb->pages + *done,
							      FOLL_WRITE | FOLL_LONGTERM);
				if (got <= 0)
					return got ? (int)got : -EFAULT;
				*done += got;
				want -= got;
				uaddr += (u64)got << PAGE_SHIFT;
			}
			addr += chunk;
			len -= chunk;
		}
	}
	return 0;
}

/*
 * Charges npages to the owner's pinned_vm within its RLIMIT_MEMLOCK
 * (vdm_charge_owner()), as ib_umem_get() does; false: over it. Every pin
 * of the mm counts, a restarted owner's older ones too.
 */
static bool hostbuf_charge(struct vdm_dev *dev, unsigned long npages)
{
	s64 pinned;

	lockdep_assert_held(&dev->lock);
	pinned = atomic64_add_return(npages, &dev->mm->pinned_vm);
	if ((u64)pinned <= dev->pin_limit)
		return true;
	atomic64_sub(npages, &dev->mm->pinned_vm);
	vdm_warn_limited(dev, "export of %lu pages refused: the owner pins %lld, RLIMIT_MEMLOCK %lu pages",
			 npages, pinned - (s64)npages, dev->pin_limit);
	return false;
}

/*
 * EXPORT's host import (spec §8.1 steps 9 to 11): returns a VDMABUF_S_*
 * status; on OK *out is a new dma_buf holding the guest's pages pinned.
 * In the worker, which uses the owner's mm.
 */
u32 vdm_hostbuf_create(struct vdm_dev *dev, const struct vdmabuf_export *req,
		       const struct vdmabuf_extent *extents, u64 *total,
		       struct dma_buf **out)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	u32 n = le32_to_cpu(req->num_extents);
	unsigned long pinned = 0;
	struct vdm_hostbuf *hb;
	struct dma_buf *dmabuf;
	u32 status;
	int ret;

	status = check_extents(dev, req, extents, total);
	if (status != VDMABUF_S_OK)
		return status;

	if (atomic64_read(&dev->counters->pinned_pages) + (*total >> PAGE_SHIFT) >
	    VDM_PIN_LIMIT_RAM * dev->mem_pages) {
		vdm_warn_limited(dev, "export: %llu pages pinned already; refused",
				 atomic64_read(&dev->counters->pinned_pages));
		return VDMABUF_S_ENOMEM;
	}
	/* Per import: charged to the owner's memcg (the worker's active one). */
	hb = kzalloc(sizeof(*hb), GFP_KERNEL_ACCOUNT);
	if (!hb)
		return VDMABUF_S_ENOMEM;
	mutex_init(&hb->lock);
	hb->npages = *total >> PAGE_SHIFT;
	if (!hostbuf_charge(dev, hb->npages)) {
		status = VDMABUF_S_ENOSPC;
		goto err_free;
	}
	status = VDMABUF_S_ENOMEM;
	hb->pages = kvmalloc_array(hb->npages, sizeof(*hb->pages), GFP_KERNEL_ACCOUNT);
	if (!hb->pages)
		goto err_uncharge;
	ret = pin_extents(dev, hb, extents, n, &pinned);
	if (!ret && pinned != hb->npages)
		ret = -EFAULT;
	if (ret)
		goto err_pin;

	mmgrab(dev->mm);
	hb->mm = dev->mm;
	kref_get(&dev->counters->ref);
	hb->counters = dev->counters;
	atomic64_add(hb->npages, &hb->counters->pinned_pages);

	exp_info.ops = &vdm_dmabuf_ops;
	exp_info.size = *total;
	exp_info.flags = O_RDWR;
	exp_info.priv = hb;
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		pr_err_ratelimited("dev %u: export: dma_buf_export: %ld\n",
				   dev->nr, PTR_ERR(dmabuf));
		hostbuf_free(hb);
		return VDMABUF_S_ENOMEM;
	}
	atomic64_inc(&hb->counters->dmabufs);
	*out = dmabuf;
	return VDMABUF_S_OK;

err_pin:
	vdm_warn_limited(dev, "export: pinning %lu pages: %d", hb->npages, ret);
	unpin_user_pages(hb->pages, pinned);
	kvfree(hb->pages);
err_uncharge:
	atomic64_sub(hb->npages, &dev->mm->pinned_vm);
err_free:
	mutex_destroy(&hb->lock);
	kfree(hb);
	return status;
}

/*
 * Ends every host access to the guest's pages (the buffer was unexported
 * or the device reset): CPU mappings are zapped and fault on writes,
 * dynamic importers are told to unmap, new mappings are refused, and the
 * pages are unpinned at once if no device mapping or vmap is left.
 * Idempotent.
 */
void vdm_hostbuf_revoke(struct dma_buf *dmabuf)
{
	struct vdm_hostbuf *hb = dmabuf->priv;
	bool settled;

	mutex_lock(&hb->lock);
	if (hb->revoked) {
		mutex_unlock(&hb->lock);
		return;
	}
	hb->revoked = true;
	mutex_unlock(&hb->lock);

	/* Faults from now on see revoked; this removes what came before. */
	unmap_mapping_range(dmabuf->file->f_mapping, 0, 0, 1);
	dma_resv_lock(dmabuf->resv, NULL);
	vdmabuf_invalidate_mappings(dmabuf);
	dma_resv_unlock(dmabuf->resv);

	mutex_lock(&hb->lock);
	settled = hostbuf_settle(hb);
	if (!settled && hb->pages)
		pr_info_ratelimited("buffer revoked; %u device and %u kernel mappings keep its %lu pages pinned\n",
				    hb->maps, hb->vmaps, hb->npages);
	mutex_unlock(&hb->lock);
}

/* Whether a revoked buffer still has its pages pinned for a device. */
bool vdm_hostbuf_busy(struct dma_buf *dmabuf)
{
	struct vdm_hostbuf *hb = dmabuf->priv;
	bool busy;

	mutex_lock(&hb->lock);
	busy = hb->pages != NULL;
	mutex_unlock(&hb->lock);
	return busy;
}
