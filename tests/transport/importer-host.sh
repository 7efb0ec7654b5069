#!/bin/sh
# Suite transport, in L1: the guest driver as a dmabuf importer. The guest
# (importer-guest.sh, importer.c) has a buffer of BAR memory refused, then
# presents vgem buffers with write fences; the consumer here checks every
# byte of frames 1, 2, 4 and 5, in order: a frame sent before its fence
# signalled, or one that should have been discarded, would show half a
# pattern.
. "${0%/*}/../vm/lib.sh"

consumer=$BUILD/tests/transport/consumer
start_backend
"$consumer" --frames 4 --in-order --timeout 400 >"$OUT/consumer.log" 2>&1 &
checker=$!
run_guest tests/transport/importer-guest.sh >"$OUT/l2-qemu.log" 2>&1 ||
	fail "guest half failed: $(tail -n 15 "$OUT/l2.log" "$OUT/l2-qemu.log" 2>&1)"
wait "$checker" || fail "consumer: $(tail -n 5 "$OUT/consumer.log")"
wait_no_buffers "the producer closed"
stop_backend
pass "importer: $(grep -h 'importer: timeout' "$OUT/l2.log" | sed 's/^importer: //'); $(tail -n 1 "$OUT/consumer.log")"
