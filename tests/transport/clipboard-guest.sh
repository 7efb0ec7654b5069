#!/bin/sh
# Suite transport, in L2 (the guest): the guest's half of clipboard-host.sh.
. "${0%/*}/../vm/lib.sh"

insmod "$BUILD/kmod/virtio_vdmabuf.ko" || fail "insmod virtio_vdmabuf failed"
"$BUILD/tests/transport/clipboard" guest || fail "the guest's pastes"
pass "clipboard guest: host text and image pasted, ours served, over the cap cancelled"
