/* SPDX-License-Identifier: MIT */
#ifndef VDMABUF_SANDBOX_H
#define VDMABUF_SANDBOX_H

#ifdef HAVE_SECCOMP
/*
 * Confines the daemon to the syscalls of its event loop (sandbox.c); a
 * call outside them is logged and ends it. Returns 0 or -errno.
 */
int sandbox_enter(void);
#else
#include "log.h"

static inline int sandbox_enter(void)
{
	log_warn("sandbox: built without libseccomp, no syscall filter");
	return 0;
}
#endif

#endif
