#!/bin/sh
# Suite install, in L2 (the guest libvirt started; see libvirt-host.sh):
# vdmabuf-compositor runs the client that draws known frames, until the
# host destroys the VM.
. "${0%/*}/../vm/lib.sh"

dev=$(find_virtio_device 37) || fail "no vdmabuf virtio device"
insmod "$BUILD/kmod/virtio_vdmabuf.ko" || fail "insmod"
export XDG_RUNTIME_DIR=/run/xdg
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
"$BUILD/guest-compositor-plugin/vdmabuf-compositor" --mode 320x240@60 \
	-s "$BUILD/tests/compositor/pattern-client --log $OUT/client.log" \
	>"$OUT/compositor.log" 2>&1 &
compositor=$!
wait_wayland "$compositor" wayland-0 "$OUT/compositor.log" 600
sync_point guest-running
# virsh destroy ends it here.
wait_for host-done 1500
fail "the host did not destroy the VM"
