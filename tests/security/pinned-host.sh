#!/bin/sh
# Suite security, in L1 (the host), either engine (VDMABUF_ENGINE): the
# pinned-bytes budget (spec §8.1 step 8). The daemon runs without
# CAP_IPC_LOCK under RLIMIT_MEMLOCK 4096 KiB, so its budget is 4096 KiB:
# the guest's exports of 768 KiB are refused with ENOSPC at the sixth
# (5 x 768 = 3840 KiB held), the device says so once with the budget,
# STATS shows pinned_bytes at most pinned_limit, and once the guest
# unexports one it may export one again. With the kernel engine the
# module charges the pins to the daemon: its VmPin is what is held. The
# guest's half is pinned-guest.sh.
. "${0%/*}/../vm/lib.sh"

# The whole job without CAP_IPC_LOCK, as a daemon with a dedicated user.
if [ -z "${PINNED_NO_IPC_LOCK:-}" ]; then
	PINNED_NO_IPC_LOCK=1 exec setpriv --inh-caps=-ipc_lock --bounding-set=-ipc_lock \
		sh "$0" "$@"
fi
grep -q '^CapEff:' /proc/self/status || fail "no CapEff"
[ $((0x$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status) >> 14 & 1)) = 0 ] ||
	fail "CAP_IPC_LOCK still effective"

BUDGET_KIB=4096
PAGES=192			# 768 KiB a buffer
rm -rf "$OUT/sync" "$OUT"/exporter.log
dmesg -C
# Only the daemon gets the small limit (its soft limit).
ulimit -S -l "$BUDGET_KIB" || fail "ulimit -l"
start_backend
ulimit -S -l "$(ulimit -H -l)"
grep -q "pins: up to $BUDGET_KIB KiB per device (RLIMIT_MEMLOCK $BUDGET_KIB KiB)" \
	"$OUT/backend.log" || fail "no budget: $(grep pins "$OUT/backend.log")"

run_guest tests/security/pinned-guest.sh >"$OUT/l2-qemu.log" 2>&1 &
guest=$!
wait_for exported 600 "$guest"
held=$((BUDGET_KIB / (PAGES * 4)))
grep -q "exported $held of 64: No space left on device" "$OUT/exporter.log" ||
	fail "not refused at $held: $(cat "$OUT/exporter.log")"
"$vdmabuf" list --socket "$CONSUMER_SOCK" >"$OUT/list.txt" 2>&1 || fail "vdmabuf list"
pinned=$(daemon_stat pinned_bytes)
limit=$(daemon_stat pinned_limit)
[ "$limit" = $((BUDGET_KIB * 1024)) ] || fail "pinned_limit $limit"
[ "$pinned" = $((held * PAGES * 4096)) ] || fail "pinned_bytes $pinned, $held buffers held"
[ "$pinned" -le "$limit" ] || fail "pinned_bytes $pinned over $limit"
expect_device_log "export 32x$((PAGES * 32)) XR24 of $((PAGES * 4)) KiB refused: $((pinned / 1024)) of $BUDGET_KIB KiB pinned"
# The daemon's pinned pages as the kernel charges them (kB).
daemon_vmpin() {
	sed -n 's/^VmPin:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$(backend_pid)/status"
}
vmpin=$(daemon_vmpin)
if [ "$ENGINE" = kernel ]; then
	[ "$vmpin" = $((pinned / 1024)) ] ||
		fail "the daemon's VmPin is $vmpin kB, $((pinned / 1024)) KiB held"
	expect_device_log "pins charged to pid $(backend_pid): up to $BUDGET_KIB KiB"
fi
sync_point host-checked

# The guest unexported one and exported one again; then refused again.
wait_for exported-again 300 "$guest"
[ "$(daemon_stat pinned_bytes)" = "$pinned" ] ||
	fail "pinned_bytes $(daemon_stat pinned_bytes) after unexport and export, $pinned before"
[ "$(device_log | grep -c 'refused: .* KiB pinned')" = 3 ] ||
	fail "refusals logged: $(device_log | grep 'refused: ')"
sync_point host-checked-again
wait "$guest" || fail "guest half failed: $(tail -n 15 "$OUT/l2.log" "$OUT/l2-qemu.log" 2>&1)"
# The guest closed /dev/vdmabuf and went: every buffer retired, none pinned.
i=0
while [ "$(daemon_stat pinned_bytes)" != 0 ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "pinned_bytes $(daemon_stat pinned_bytes) with the guest gone"
	sleep 0.1
done
if [ "$ENGINE" = kernel ]; then
	vmpin_after=$(daemon_vmpin)
	[ "$vmpin_after" = 0 ] || fail "the daemon's VmPin is $vmpin_after kB with no buffer"
fi
stop_backend
dmesg | grep -E 'BUG|WARNING|Oops' && fail "kernel complained"
pass "pinned ($ENGINE): budget $BUDGET_KIB KiB from RLIMIT_MEMLOCK; $held exports of $((PAGES * 4)) KiB held ($pinned bytes), the next ENOSPC and logged; VmPin ${vmpin:-?} kB; after an unexport one more exported and the next refused"
