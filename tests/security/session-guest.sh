#!/bin/sh
# Suite security, in L2 (the guest); see session-host.sh. Its device may
# vanish under it: the host's QEMU loses its backend.
. "${0%/*}/../vm/lib.sh"

insmod "$BUILD/kmod/virtio_vdmabuf.ko" || fail "insmod"
"$vdmabuf" info >"$OUT/info.txt" || fail "vdmabuf info"
sync_point guest-ready
wait_for host-done 300
pass "session guest"
