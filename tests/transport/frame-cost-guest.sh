#!/bin/sh
# Suite transport, in L2 (the guest); see frame-cost-host.sh.
. "${0%/*}/../vm/lib.sh"

T=$BUILD/tests/transport
id=$(awk '/#define VDMABUF_VIRTIO_ID/ {print $3}' /src/protocol/vdmabuf_proto.h)
dev=$(find_virtio_device "$id") || fail "no virtio device with ID $id"
mount -t debugfs none /sys/kernel/debug 2>/dev/null
before=$(dmabufs)

# bit N: 1 if the driver negotiated feature bit N (sysfs: one digit a bit).
bit() { cut -c$(($1 + 1)) "$dev/features"; }

# The frames of one version: 60 to warm up, 200 between L1's two samples
# of the device's counters, 5 damage rectangles each (128 bytes sized).
frames() { # version
	mkdir -p "$OUT/sync/$1"
	sync_point "$1-ready"
	"$T/producer" --wait-consumer --size 256x256 --frames 260 --warm 60 --damage 5 \
		--sync "$OUT/sync/$1" >"$OUT/producer-$1.log" 2>&1 ||
		fail "producer, $1: $(cat "$OUT/producer-$1.log")"
	dmabufs_back "dmabufs leaked by the $1 producer"
}

insmod "$BUILD/kmod/virtio_vdmabuf.ko" || fail "insmod"
cat "$dev/features" >"$OUT/features-v2.txt"
# VDMABUF_F_ASYNC_PRESENT and VIRTIO_RING_F_EVENT_IDX: version 2.
[ "$(bit 9)$(bit 29)" = 11 ] || fail "version 2 not negotiated: $(cat "$dev/features")"
frames v2

# A PRESENT the driver took and the device refused: frame 2 of a buffer
# whose frame 1 the host's consumer holds (EBUSY) comes back discarded
# with the device's errno, before frame 1's release.
sync_point twice-ready
"$T/producer" --wait-consumer --present-twice "$OUT/sync/held" >"$OUT/producer-twice.log" 2>&1 ||
	fail "present twice: $(cat "$OUT/producer-twice.log")"
dmesg | grep -q 'frame 2 of .* discarded: the device refused it (-16)' ||
	fail "no discarded frame 2 in dmesg: $(dmesg | grep vdmabuf | tail -n 5)"
dmabufs_back "dmabufs leaked by the refused frame"

# A version 1 driver against the same device: neither bit of version 2.
rmmod virtio_vdmabuf || fail "rmmod"
insmod "$BUILD/kmod/virtio_vdmabuf.ko" protocol=1 || fail "insmod protocol=1"
cat "$dev/features" >"$OUT/features-v1.txt"
[ "$(bit 9)$(bit 29)" = 00 ] || fail "protocol=1 negotiated version 2: $(cat "$dev/features")"
frames v1
dmesg | grep vdmabuf >"$OUT/dmesg.txt"
pass "frame cost guest: versions 2 and 1, a refused PRESENT discarded"
