#!/bin/sh
# Suite vm, in L2 (the guest): virtio_vdmabuf loads and binds our device.
. "${0%/*}/lib.sh"

id=$(awk '/#define VDMABUF_VIRTIO_ID/ {print $3}' /src/protocol/vdmabuf_proto.h)
dev=$(find_virtio_device "$id") || fail "no virtio device with ID $id on the bus"
# The ID is ours alone: no module of the stock guest kernel claims it.
! grep -q "^alias virtio:d$(printf %08d "$id")v" "/lib/modules/$(uname -r)/modules.alias" ||
	fail "a distribution module claims virtio ID $id"
insmod "$BUILD/kmod/virtio_vdmabuf.ko" || fail "insmod virtio_vdmabuf failed"
[ "$(basename "$(readlink "$dev/driver")")" = virtio_vdmabuf ] ||
	fail "virtio_vdmabuf did not bind $dev"
[ -c /dev/vdmabuf ] || fail "no /dev/vdmabuf"
# The limits came from the daemon's config space (GET_CONFIG round trip).
dmesg | grep -q 'virtio_vdmabuf .*bound: features .*max 4096 buffers' ||
	fail "driver did not report the device's limits: $(dmesg | grep vdmabuf)"
rmmod virtio_vdmabuf || fail "rmmod failed"
[ ! -e /dev/vdmabuf ] || fail "/dev/vdmabuf left after rmmod"
insmod "$BUILD/kmod/virtio_vdmabuf.ko" || fail "reload failed"
[ -c /dev/vdmabuf ] || fail "no /dev/vdmabuf after reload"
pass "virtio_vdmabuf bound $(basename "$dev"), reloaded"
