#!/bin/sh
# Suite security, in L2 (the guest); see revoke-host.sh.
. "${0%/*}/../vm/lib.sh"

insmod "$BUILD/kmod/virtio_vdmabuf.ko" || fail "insmod"
"$BUILD/tests/transport/producer" --wait-consumer --frames 30 \
	--rewrite-wait "$OUT/sync/host-checked" >"$OUT/producer.log" 2>&1 &
pid=$!
wait_line "$OUT/producer.log" 'producer: rewrote' 300 "$pid"
sync_point guest-rewrote
wait "$pid" || fail "producer: $(tail -n 3 "$OUT/producer.log")"
cat "$OUT/producer.log"
pass "revoke guest: $(grep 'changed by the host' "$OUT/producer.log")"
