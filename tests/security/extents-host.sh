#!/bin/sh
# Suite security, in L1 (the host), kernel engine: it takes up to 65536
# extents per EXPORT, more than one chain of a 256-entry control ring can
# carry. The guest's driver bounds max_extents by its ring and refuses a
# 256 MiB export of ~65,000 scattered pages with E2BIG: no WARN, and the
# device still serves. The guest's half is extents-guest.sh.
. "${0%/*}/../vm/lib.sh"

ENGINE=kernel
rm -rf "$OUT/sync"
start_backend
run_guest tests/security/extents-guest.sh >"$OUT/l2-qemu.log" 2>&1 ||
	fail "guest half failed: $(tail -n 15 "$OUT/l2.log" "$OUT/l2-qemu.log" 2>&1)"
stop_backend
dmesg | grep -E 'BUG|WARNING|Oops' && fail "kernel complained"
pass "extents: $(grep 'extents guest' "$OUT/l2.log" | sed 's/.*extents guest: //')"
