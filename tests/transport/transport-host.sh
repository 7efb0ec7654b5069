#!/bin/sh
# Suite transport, in L1 (the host): the real path, an L2 guest exporting
# dmabufs through virtio_vdmabuf to our daemon, host consumers importing
# them. The guest's half is transport-guest.sh; the two meet at sync
# points in OUT/sync.
. "${0%/*}/../vm/lib.sh"

consumer=$BUILD/tests/transport/consumer
rm -rf "$OUT/sync"
# A guest's udmabuf of 1080p is ~2000 scattered pages: let udmabuf take
# lists that long, as README asks of a real host.
echo 65536 >/sys/module/udmabuf/parameters/list_limit

# A short release deadline: the late consumer below is dropped in 3 s.
BACKEND_MANAGED=1 start_backend --release-deadline 3000
"$consumer" --frames 1060 --timeout 900 >"$OUT/consumer-main.log" 2>&1 &
main_consumer=$!
run_guest tests/transport/transport-guest.sh >"$OUT/l2-qemu.log" 2>&1 &
guest=$!

daemon_fds() { ls "/proc/$(backend_pid)/fd" | wc -l; }

# What the host imports reaches the guest (spec §18): a list of 40 pairs
# (pieces on both legs), then only the pairs two consumers share, then
# the first one's again when the second goes, then none. The guest
# compares `vdmabuf formats` with OUT/formats-*.txt.
pairs() { # fourcc, first modifier, last: "XR24:0x0,..." and the guest's lines
	for m in $(seq "$2" "$3"); do printf '%s:%#x,' "$1" "$m"; done
}
lines() { for m in $(seq "$2" "$3"); do printf '%s 0x%016x\n' "$1" "$m"; done; }
list_a="$(pairs XR24 0 19)$(pairs AB24 0 19)"
{ echo formats=40; lines XR24 0 19; lines AB24 0 19; } >"$OUT/formats-a.txt"
{ echo formats=10; lines AB24 0 9; } >"$OUT/formats-b.txt"
echo formats=0 >"$OUT/formats-none.txt"
report_formats() { # name, list: a consumer that reports them and waits
	"$consumer" --formats "$2" --frames 0 --timeout 900 >"$OUT/consumer-$1.log" 2>&1 &
	i=0
	until grep -q 'formats reported' "$OUT/consumer-$1.log"; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "consumer $1: $(cat "$OUT/consumer-$1.log")"
		sleep 0.1
	done
}

# The daemon's own memory: guest RAM it maps (shared, counted as RssShmem)
# grows as the guest's requests touch more of it, and is not the daemon's.
daemon_rss() { awk '/^RssAnon/ {print $2}' "/proc/$(backend_pid)/status"; }

report_formats formats-a "${list_a%,}"
formats_a=$!
wait_for formats-ready 600 "$guest"
sync_point formats-a
wait_for formats-a-seen 120 "$guest"
report_formats formats-b "$(pairs AB24 0 9)AR24:0"
formats_b=$!
sync_point formats-b
wait_for formats-b-seen 120 "$guest"
kill -TERM "$formats_b"
wait "$formats_b" || fail "consumer formats-b: $(cat "$OUT/consumer-formats-b.log")"
sync_point formats-b-gone
wait_for formats-b-gone-seen 120 "$guest"
kill -TERM "$formats_a"
wait "$formats_a" || fail "consumer formats-a: $(cat "$OUT/consumer-formats-a.log")"
sync_point formats-none
# An implicit modifier cannot cross the VM: the daemon refuses the list.
! "$consumer" --formats XR24:0xffffffffffffff --frames 0 >"$OUT/consumer-invalid.log" 2>&1 ||
	fail "a list with DRM_FORMAT_MOD_INVALID was taken"
grep -q "refused: Invalid argument" "$OUT/consumer-invalid.log" ||
	fail "invalid modifier: $(cat "$OUT/consumer-invalid.log")"
wait_for formats-none-seen 120 "$guest"

# 1000 present/release cycles leave the daemon as they found it.
wait_for cycles-start 600 "$guest"
wait_no_buffers "before the cycles"
fds=$(daemon_fds) rss=$(daemon_rss)
sync_point host-measured
wait_for cycles-done 600 "$guest"
wait_no_buffers "after the cycles"
[ "$(daemon_fds)" -le "$fds" ] || fail "daemon fds: $fds before 1000 cycles, $(daemon_fds) after"
[ $(($(daemon_rss) - rss)) -lt 1024 ] || fail "daemon RssAnon grew from $rss to $(daemon_rss) KiB"
echo "daemon over 1000 cycles: fds $fds -> $(daemon_fds), RssAnon $rss -> $(daemon_rss) KiB" >"$OUT/cycles.txt"
sync_point host-checked-cycles

# Producer killed with -9: its buffers leave the host.
wait_for producer-killed 600 "$guest"
wait_no_buffers "producer killed"
sync_point host-checked-kill

# A consumer killed with -9 mid-stream: the guest still gets its releases.
wait_for kill-consumer-next 120 "$guest"
# It stops by itself once it has checked every frame; else it is told to.
kill -TERM "$main_consumer" 2>/dev/null
wait "$main_consumer" || fail "main consumer: $(tail -n 5 "$OUT/consumer-main.log")"
"$consumer" --frames 1000000 --timeout 300 --stall-after 20 >"$OUT/consumer-killed.log" 2>&1 &
doomed=$!
sync_point consumer-ready
wait_for consumer-stalled 300 "$guest"
sleep 1
kill -9 "$doomed" 2>/dev/null
sync_point consumer-killed

# A consumer that stops releasing, alive: disconnected at its deadline.
wait_for late-consumer-next 120 "$guest"
late_before=$(daemon_stat consumers_late)
"$consumer" --frames 1000000 --timeout 300 --stall-after 20 >"$OUT/consumer-late.log" 2>&1 &
late=$!
sync_point late-consumer-ready
wait_for late-producer-done 300 "$guest"
expect_device_log "consumer [0-9]* (pid [0-9]*) kept frame .* ms after a newer one; disconnected"
[ "$(daemon_stat consumers_late)" = $((late_before + 1)) ] ||
	fail "consumers_late: $late_before before, $(daemon_stat consumers_late) after"
kill -9 "$late" 2>/dev/null

# kill -9 of the daemon while QEMU runs and a producer presents: its
# service manager starts it again, the new daemon resumes the vhost-user
# session QEMU never saw close, the guest is told of the reset and shares
# again, and a new consumer checks the pixels.
wait_for restart-producer-running 300 "$guest"
old_pid=$(backend_pid)
fds_before_kill=$(daemon_fds)
kill -9 "$old_pid"
wait_resumed "$old_pid"
sync_point daemon-restarted
wait_for reset-producer-done 300 "$guest"
wait_no_buffers "after the restart"
"$consumer" --frames 30 --timeout 300 >"$OUT/consumer-restarted.log" 2>&1 &
restarted_consumer=$!
sync_point restart-consumer-ready
wait "$restarted_consumer" || fail "consumer after the restart: $(cat "$OUT/consumer-restarted.log")"
wait_no_buffers "after the restart's frames"
[ "$(daemon_fds)" -le "$fds" ] || fail "restarted daemon: $(daemon_fds) fds, $fds before: $(ls -l /proc/$(backend_pid)/fd | cut -d" " -f9-)"
echo "daemon restart: fds $fds_before_kill before kill -9, $(daemon_fds) after" >>"$OUT/cycles.txt"

wait "$guest" || fail "guest half failed: $(tail -n 15 "$OUT/l2.log" "$OUT/l2-qemu.log" 2>&1)"
wait_no_buffers "the guest finished"
stop_backend
grep -q 'consumer: .* 0 bad' "$OUT/consumer-main.log" || fail "main consumer: $(cat "$OUT/consumer-main.log")"
pass "transport: $(grep 'frames checked' "$OUT/consumer-main.log"); $(cat "$OUT/cycles.txt")"
