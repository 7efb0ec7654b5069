#!/bin/sh
# Suite security, in L1 (the host): a daemon allowed 1024 fds and a guest
# that exports 1100 one-page buffers. Each buffer the host holds is an fd
# of the daemon: the device advertises no more buffers than its fds allow,
# so the guest is refused with ENOSPC at that limit, a consumer still
# connects and sees every buffer, and the daemon then idles. The guest's
# half is fds-guest.sh.
. "${0%/*}/../vm/lib.sh"

rm -rf "$OUT/sync" "$OUT"/exporter.log "$OUT"/info.txt
BACKEND_NOFILE=1024 start_backend
run_guest tests/security/fds-guest.sh >"$OUT/l2-qemu.log" 2>&1 &
guest=$!
wait_for exported 600 "$guest"
max=$(sed -n 's/.*max_buffers=\([0-9]*\) .*/\1/p' "$OUT/info.txt")
[ -n "$max" ] && [ "$max" -lt 1024 ] || fail "advertised: $(cat "$OUT/info.txt")"
grep -q "exported $max of 1100: No space left on device" "$OUT/exporter.log" ||
	fail "not refused at $max: $(cat "$OUT/exporter.log")"
"$vdmabuf" list --socket "$CONSUMER_SOCK" >"$OUT/list.txt" 2>&1 ||
	fail "a consumer could not connect: $(tail -n 1 "$OUT/list.txt")"
grep -q "^buffers=$max " "$OUT/list.txt" || fail "the consumer saw: $(tail -n 1 "$OUT/list.txt")"
[ "$(grep -c '^buffer ' "$OUT/list.txt")" = "$max" ] || fail "not every buffer announced"
# The daemon idle: CPU time (utime + stime, in ticks) over 3 s.
ticks() { awk '{ print $14 + $15 }' "/proc/$(backend_pid)/stat"; }
before=$(ticks)
sleep 3
used=$(($(ticks) - before))
[ "$used" -le 10 ] || fail "the daemon used $used ticks in 3 s, idle"
fds=$(ls "/proc/$(backend_pid)/fd" | wc -l)
sync_point host-checked
wait "$guest" || fail "guest half failed: $(tail -n 15 "$OUT/l2.log" "$OUT/l2-qemu.log" 2>&1)"
stop_backend
pass "fds: $max buffers advertised under 1024 fds, the guest refused with ENOSPC there; a consumer saw them all; the daemon held $fds fds and used $used ticks in 3 s"
