#!/bin/sh
# Suite vm, in L1 (the host): our daemon serves the vdmabuf device of an
# L2 guest started as a user would; the guest binds virtio_vdmabuf to it.
. "${0%/*}/lib.sh"

start_backend
run_guest tests/vm/smoke-guest.sh || fail "guest smoke failed (see $OUT/l2.log)"
stop_backend

expect_log "$OUT/backend.log" "connected to $BACKEND_SOCK"
expect_log "$OUT/backend.log" 'device ready: features=0x'
# VIRTIO_F_VERSION_1 and our four device bits were negotiated.
features=$(sed -n 's/.*device ready: features=\(0x[0-9a-f]*\).*/\1/p' "$OUT/backend.log" | tail -n1)
[ $((features & 0x10000000f)) = $((0x10000000f)) ] ||
	fail "negotiated features $features lack VERSION_1 or a vdmabuf bit"
expect_log "$OUT/backend.log" 'frontend disconnected'
pass "driver bound over vhost-user, features $features"
