/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * The clipboard, as every side names it (spec §17): selections, formats,
 * the limits of a transfer and the checks every side applies. Carried in
 * CPU byte order by the consumer protocol, /dev/vdmabuf and libvdmabuf,
 * little-endian on the wire (vdmabuf_proto.h).
 *
 * A side that owns a selection offers it as a set of formats; the other
 * side pastes one format through a transfer: OPEN, then DATA pieces from
 * the source to the sink (the last with VDMABUF_CLIP_END), each
 * acknowledged by the sink, never more than VDMABUF_CLIP_WINDOW bytes
 * unacknowledged and never more than VDMABUF_CLIP_MAX_SIZE in all.
 */
#ifndef VDMABUF_CLIP_H
#define VDMABUF_CLIP_H

#include <linux/types.h>

enum vdmabuf_selection {
	VDMABUF_SELECTION_CLIPBOARD	= 0,
	VDMABUF_SELECTION_PRIMARY	= 1,
};
#define VDMABUF_SELECTIONS		2

/* Who made the current offer of a selection. */
enum vdmabuf_clip_owner {
	VDMABUF_CLIP_OWNER_HOST		= 0,
	VDMABUF_CLIP_OWNER_GUEST	= 1,
};

/* Formats: an offer is a mask of (1 << format). */
enum vdmabuf_clip_format {
	VDMABUF_CLIP_TEXT		= 0,	/* UTF-8 text */
	VDMABUF_CLIP_HTML		= 1,
	VDMABUF_CLIP_URI_LIST		= 2,
	VDMABUF_CLIP_PNG		= 3,
	VDMABUF_CLIP_JPEG		= 4,
	VDMABUF_CLIP_BMP		= 5,
};
#define VDMABUF_CLIP_FORMATS		6
#define VDMABUF_CLIP_ALL_FORMATS	((1u << VDMABUF_CLIP_FORMATS) - 1)

/* DATA flags: the source's last piece (status says whether it served). */
#define VDMABUF_CLIP_END		(1u << 0)

#define VDMABUF_CLIP_TRANSFERS		4		/* at once, both ways */
#define VDMABUF_CLIP_WINDOW		16384		/* bytes sent, not acknowledged */
#define VDMABUF_CLIP_MAX_SIZE		(16u << 20)	/* bytes of one transfer */

static inline int vdmabuf_clip_selection_valid(__u32 selection)
{
	return selection < VDMABUF_SELECTIONS;
}

/* An offer: any set of known formats; 0 withdraws it. */
static inline int vdmabuf_clip_formats_valid(__u32 formats)
{
	return !(formats & ~VDMABUF_CLIP_ALL_FORMATS);
}

/* A paste names one format of the offer. */
static inline int vdmabuf_clip_format_offered(__u32 format, __u32 formats)
{
	return format < VDMABUF_CLIP_FORMATS && (formats & (1u << format));
}

/*
 * Whether a DATA piece of len bytes fits the window, with sent bytes
 * sent and acked acknowledged so far (acked <= sent).
 */
static inline int vdmabuf_clip_piece_fits(__u64 sent, __u64 acked, __u32 len)
{
	return sent - acked + len <= VDMABUF_CLIP_WINDOW;
}

#ifndef __KERNEL__
#include <string.h>

/*
 * The MIME types a format stands for (spec §17), NULL-terminated: a side
 * that offers the format offers them all, the first its own name.
 */
static inline const char *const *vdmabuf_clip_format_mimes(__u32 format)
{
	static const char *const text[] = {
		"text/plain;charset=utf-8", "UTF8_STRING", "text/plain", "TEXT", "STRING", NULL,
	};
	static const char *const html[] = { "text/html", NULL };
	static const char *const uri_list[] = { "text/uri-list", NULL };
	static const char *const png[] = { "image/png", NULL };
	static const char *const jpeg[] = { "image/jpeg", NULL };
	static const char *const bmp[] = { "image/bmp", NULL };
	static const char *const *const mimes[VDMABUF_CLIP_FORMATS] = {
		text, html, uri_list, png, jpeg, bmp,
	};

	return format < VDMABUF_CLIP_FORMATS ? mimes[format] : NULL;
}

/* The MIME type each side offers a format as first. */
static inline const char *vdmabuf_clip_format_mime(__u32 format)
{
	const char *const *mimes = vdmabuf_clip_format_mimes(format);

	return mimes ? mimes[0] : NULL;
}

/* The format a MIME type stands for, or -1: a side offers only these. */
static inline int vdmabuf_clip_format_of_mime(const char *type)
{
	const char *const *mime;
	__u32 format;

	for (format = 0; format < VDMABUF_CLIP_FORMATS; format++)
		for (mime = vdmabuf_clip_format_mimes(format); *mime; mime++)
			if (!strcmp(type, *mime))
				return (int)format;
	return -1;
}
#endif

#endif /* VDMABUF_CLIP_H */
