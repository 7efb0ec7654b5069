/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What both modules need to build against every kernel they support, from
 * Debian 13's (6.12) to trixie-backports' (7.3): one name here for each
 * kernel interface that was renamed in between.
 */
#ifndef VDMABUF_COMPAT_H
#define VDMABUF_COMPAT_H

#include <linux/timer.h>
#include <linux/version.h>

/* MODULE_IMPORT_NS takes a string since Linux 6.13. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define VDMABUF_NS_DMA_BUF "DMA_BUF"
#else
#define VDMABUF_NS_DMA_BUF DMA_BUF
#endif

/* from_timer became timer_container_of in Linux 6.16. */
#ifndef timer_container_of
#define timer_container_of(var, timer, field) from_timer(var, timer, field)
#endif

/*
 * Linux 7 renamed dma_buf_move_notify and the importer's move_notify op
 * to invalidate_mappings; Kbuild defines VDMABUF_INVALIDATE_MAPPINGS when
 * the kernel's dma-buf.h has the new names.
 */
#ifdef VDMABUF_INVALIDATE_MAPPINGS
#define vdmabuf_invalidate_mappings(dmabuf) dma_buf_invalidate_mappings(dmabuf)
#else
#define vdmabuf_invalidate_mappings(dmabuf) dma_buf_move_notify(dmabuf)
#endif

#endif /* VDMABUF_COMPAT_H */
