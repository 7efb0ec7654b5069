// SPDX-License-Identifier: GPL-2.0-only
/*
 * vdmabuf_mmio_exporter: a dmabuf exporter whose memory is not guest RAM,
 * as a GPU's VRAM behind a PCI BAR is, for the importer test of
 * virtio_vdmabuf. VDMABUF_MMIO_EXPORT on /dev/vdmabuf_mmio_exporter
 * returns a dmabuf of one page of the first PCI memory BAR it finds,
 * mapped for an importer with dma_map_resource() (no struct page behind
 * it). The BAR is never read or written.
 */
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#define VDMABUF_MMIO_EXPORT	_IO('M', 1)

/* The BAR page every dmabuf of ours describes. */
static phys_addr_t mmio_base;

static struct sg_table *mmio_map(struct dma_buf_attachment *attach,
				 enum dma_data_direction dir)
{
	struct sg_table *sgt;
	dma_addr_t addr;
	int err;

	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	err = sg_alloc_table(sgt, 1, GFP_KERNEL);
	if (err)
		goto err_free;
	addr = dma_map_resource(attach->dev, mmio_base, PAGE_SIZE, dir, 0);
	if (dma_mapping_error(attach->dev, addr)) {
		err = -EIO;
		goto err_table;
	}
	/* As VRAM exporters do: DMA addresses only, no page. */
	sg_set_page(sgt->sgl, NULL, PAGE_SIZE, 0);
	sg_dma_address(sgt->sgl) = addr;
	sg_dma_len(sgt->sgl) = PAGE_SIZE;
	return sgt;

err_table:
	sg_free_table(sgt);
err_free:
	kfree(sgt);
	return ERR_PTR(err);
}

static void mmio_unmap(struct dma_buf_attachment *attach, struct sg_table *sgt,
		       enum dma_data_direction dir)
{
	dma_unmap_resource(attach->dev, sg_dma_address(sgt->sgl), PAGE_SIZE, dir, 0);
	sg_free_table(sgt);
	kfree(sgt);
}

static void mmio_release(struct dma_buf *dmabuf)
{
}

static const struct dma_buf_ops mmio_dmabuf_ops = {
	.map_dma_buf = mmio_map,
	.unmap_dma_buf = mmio_unmap,
	.release = mmio_release,
};

static long mmio_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct dma_buf *dmabuf;
	int fd;

	if (cmd != VDMABUF_MMIO_EXPORT)
		return -ENOTTY;
	info.ops = &mmio_dmabuf_ops;
	info.priv = &mmio_base;	/* the core wants one */
	info.size = PAGE_SIZE;
	info.flags = O_RDWR;
	dmabuf = dma_buf_export(&info);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	fd = dma_buf_fd(dmabuf, O_CLOEXEC);
	if (fd < 0)
		dma_buf_put(dmabuf);
	return fd;
}

static const struct file_operations mmio_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = mmio_ioctl,
};

static struct miscdevice mmio_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vdmabuf_mmio_exporter",
	.fops = &mmio_fops,
};

static int __init mmio_init(void)
{
	struct pci_dev *pdev = NULL;
	int bar;

	while ((pdev = pci_get_device(PCI_ANY_ID, PCI_ANY_ID, pdev))) {
		for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
			if ((pci_resource_flags(pdev, bar) & IORESOURCE_MEM) &&
			    pci_resource_len(pdev, bar) >= PAGE_SIZE &&
			    IS_ALIGNED(pci_resource_start(pdev, bar), PAGE_SIZE)) {
				mmio_base = pci_resource_start(pdev, bar);
				pr_info("vdmabuf_mmio_exporter: BAR %d of %s at %pa\n", bar,
					pci_name(pdev), &mmio_base);
				pci_dev_put(pdev);
				return misc_register(&mmio_misc);
			}
		}
	}
	pr_err("vdmabuf_mmio_exporter: no PCI memory BAR\n");
	return -ENODEV;
}

static void __exit mmio_exit(void)
{
	misc_deregister(&mmio_misc);
}

module_init(mmio_init);
module_exit(mmio_exit);
MODULE_DESCRIPTION("dmabufs of PCI BAR memory, to test virtio_vdmabuf's import");
MODULE_IMPORT_NS(DMA_BUF);
MODULE_LICENSE("GPL");
