#!/bin/sh
# Suite security, in L2 (the guest); see fds-host.sh.
. "${0%/*}/../vm/lib.sh"

insmod "$BUILD/kmod/virtio_vdmabuf.ko" max_buffers_per_file=2048 || fail "insmod"
[ -e /dev/udmabuf ] || modprobe udmabuf || fail "no udmabuf in the guest"
"$vdmabuf" info >"$OUT/info.txt" || fail "vdmabuf info"
"$BUILD/tests/security/exporter" 1100 >"$OUT/exporter.log" 2>&1 &
pid=$!
wait_line "$OUT/exporter.log" '^exported' 300 "$pid"
sync_point exported
wait_for host-checked 300
kill -TERM "$pid"
wait "$pid" || fail "exporter exit"
pass "fds guest: $(cat "$OUT/exporter.log")"
