// SPDX-License-Identifier: MIT
/*
 * An out-of-tree consumer, built from the installed libvdmabuf-dev alone
 * (see Makefile): connects to a VM's consumer socket, which waits for the
 * daemon's greeting, and says HELLO with what the guest's driver offers.
 *   oot-consumer [SOCKET]      default: $VDMABUF_CONSUMER_SOCKET
 */
#include <stdio.h>
#include <string.h>

#include <vdmabuf.h>

int main(int argc, char *argv[])
{
	const char *path = argc > 1 ? argv[1] : NULL;
	struct vdmabuf_consumer *consumer;
	struct vdmabuf_stats stats;
	int err = 0;

	consumer = vdmabuf_consumer_connect(path, &err);
	if (!consumer) {
		fprintf(stderr, "oot-consumer: %s: %s\n", path ? path : "default socket",
			strerror(-err));
		return 1;
	}
	err = vdmabuf_consumer_stats(consumer, &stats);
	printf("HELLO guest features %#x, %llu buffers, %llu consumers\n",
	       vdmabuf_consumer_guest_features(consumer),
	       err < 0 ? 0ULL : (unsigned long long)stats.buffers,
	       err < 0 ? 0ULL : (unsigned long long)stats.consumers);
	vdmabuf_consumer_destroy(consumer);
	return 0;
}
