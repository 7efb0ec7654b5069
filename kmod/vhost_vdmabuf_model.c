// SPDX-License-Identifier: GPL-2.0-only
/*
 * The device model shared with the daemon (protocol/vdmabuf_model.c),
 * built into this module as it is.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "vdmabuf_model.c"
