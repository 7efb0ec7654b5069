#!/bin/sh
# Suite install, in L2 (the guest libvirt started; see libvirt-host.sh):
# vdmabuf-compositor runs the client that draws known frames, until the
# host destroys the VM.
. "${0%/*}/../vm/lib.sh"

dev=$(find_virtio_device 37) || fail "no vdmabuf virtio device"
insmod "$BUILD/kmod/virtio_vdmabuf.ko" || fail "insmod"
start_guest_compositor 600 "$BUILD/guest-compositor-plugin/vdmabuf-compositor" --mode 320x240@60 \
	-s "$BUILD/tests/compositor/pattern-client --log $OUT/client.log"
sync_point guest-running
# virsh destroy ends it here.
wait_for host-done 1500
fail "the host did not destroy the VM"
