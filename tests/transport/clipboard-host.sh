#!/bin/sh
# Suite transport, in L1 (the host): the clipboard both ways through the
# daemon and its engine (VDMABUF_ENGINE), between a host consumer holding
# the seat and the guest's clipboard holder (tests/transport/clipboard.c;
# the guest's half is clipboard-guest.sh): every byte pasted right, the
# guest's paste over the cap refused with EFBIG.
. "${0%/*}/../vm/lib.sh"

start_backend --log-level debug
"$BUILD/tests/transport/clipboard" host "$CONSUMER_SOCK" >"$OUT/clipboard-host.log" 2>&1 &
host=$!
run_guest tests/transport/clipboard-guest.sh >"$OUT/l2-qemu.log" 2>&1 ||
	fail "guest: $(grep -h 'FAIL\|clipboard guest' "$OUT/l2.log" | tail -n 3)"
wait $host || fail "host: $(tail -n 3 "$OUT/clipboard-host.log")"
stop_backend
grep -q 'clipboard host: every paste right' "$OUT/clipboard-host.log" ||
	fail "host: $(tail -n 3 "$OUT/clipboard-host.log")"
expect_device_log 'clipboard: transfer .* over 16777216 bytes: refused'
pass "clipboard both ways, $ENGINE engine: $(grep -c 'pasted selection' "$OUT/clipboard-host.log") host pastes, the guest's over the cap refused"
