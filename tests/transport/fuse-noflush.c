// SPDX-License-Identifier: MIT
/*
 * fuse-noflush MOUNTPOINT: mounts a FUSE file system with one file,
 * MOUNTPOINT/file, whose server (this program, raw /dev/fuse) answers
 * INIT, LOOKUP, GETATTR, OPEN and RELEASE but never FLUSH. Every close()
 * of that file then blocks until the server is gone: what a hostile
 * consumer hands the daemon to stall its loop. Prints "ready" once
 * mounted; serves until killed, which ends the waits.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_INO 2
#define FILE_SIZE 4096

static int dev = -1;

static void reply(uint64_t unique, int error, const void *arg, size_t len)
{
	struct {
		struct fuse_out_header hdr;
		char arg[256];
	} out = { .hdr = { (uint32_t)(sizeof(out.hdr) + len), -error, unique } };

	memcpy(out.arg, arg, len);
	/* ENOENT: the request was interrupted meanwhile. */
	if (write(dev, &out, out.hdr.len) < 0 && errno != ENOENT)
		perror("fuse-noflush: reply");
}

static void fill_attr(struct fuse_attr *attr, uint64_t ino)
{
	memset(attr, 0, sizeof(*attr));
	attr->ino = ino;
	attr->nlink = 1;
	attr->blksize = 4096;
	if (ino == FUSE_ROOT_ID) {
		attr->mode = S_IFDIR | 0755;
	} else {
		attr->mode = S_IFREG | 0644;
		attr->size = FILE_SIZE;
		attr->blocks = FILE_SIZE / 512;
	}
}

int main(int argc, char *argv[])
{
	static char buf[FUSE_MIN_READ_BUFFER + (1 << 20)];
	char opts[128];
	unsigned long flushes = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: fuse-noflush MOUNTPOINT\n");
		return 2;
	}
	dev = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		perror("fuse-noflush: /dev/fuse");
		return 1;
	}
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0", dev);
	if (mount("noflush", argv[1], "fuse", MS_NOSUID | MS_NODEV, opts) < 0) {
		perror("fuse-noflush: mount");
		return 1;
	}
	for (;;) {
		ssize_t n = read(dev, buf, sizeof(buf));
		const struct fuse_in_header *in = (const void *)buf;
		const void *arg = in + 1;

		if (n < 0 && (errno == EINTR || errno == ENOENT))
			continue;
		if (n < (ssize_t)sizeof(*in)) {
			perror("fuse-noflush: read");
			return 1;
		}
		switch (in->opcode) {
		case FUSE_INIT: {
			const struct fuse_init_in *init = arg;
			struct fuse_init_out out = {
				.major = FUSE_KERNEL_VERSION,
				.minor = init->minor < FUSE_KERNEL_MINOR_VERSION ?
					 init->minor : FUSE_KERNEL_MINOR_VERSION,
				.max_readahead = init->max_readahead,
				.max_write = 4096,
			};

			reply(in->unique, 0, &out, sizeof(out));
			printf("ready\n");
			fflush(stdout);
			break;
		}
		case FUSE_LOOKUP: {
			struct fuse_entry_out out = { .nodeid = FILE_INO, .generation = 1,
						      .entry_valid = 3600, .attr_valid = 3600 };

			if (in->nodeid != FUSE_ROOT_ID || strcmp(arg, "file")) {
				reply(in->unique, ENOENT, NULL, 0);
				break;
			}
			fill_attr(&out.attr, FILE_INO);
			reply(in->unique, 0, &out, sizeof(out));
			break;
		}
		case FUSE_GETATTR: {
			struct fuse_attr_out out = { .attr_valid = 3600 };

			fill_attr(&out.attr, in->nodeid);
			reply(in->unique, 0, &out, sizeof(out));
			break;
		}
		case FUSE_OPEN: {
			struct fuse_open_out out = { .fh = 1 };

			reply(in->unique, 0, &out, sizeof(out));
			break;
		}
		case FUSE_FLUSH:
			/* Never answered: the closer waits until we are gone. */
			fprintf(stderr, "fuse-noflush: FLUSH %lu left unanswered\n", ++flushes);
			break;
		case FUSE_INTERRUPT:
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
			break;		/* no reply expected */
		case FUSE_RELEASE:
		case FUSE_DESTROY:
			reply(in->unique, 0, NULL, 0);
			break;
		default:
			reply(in->unique, ENOSYS, NULL, 0);
			break;
		}
	}
}
