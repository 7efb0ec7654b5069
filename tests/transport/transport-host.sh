#!/bin/sh
# Suite transport, in L1 (the host): the real path, an L2 guest exporting
# dmabufs through virtio_vdmabuf to our daemon, host consumers importing
# them. The guest's half is transport-guest.sh; the two meet at sync
# points in OUT/sync.
. "${0%/*}/../vm/lib.sh"

consumer=$BUILD/tests/transport/consumer
vdmabuf=$BUILD/libvdmabuf/vdmabuf
rm -rf "$OUT/sync"
modprobe kvm_amd 2>/dev/null || modprobe kvm_intel || fail "no kvm in L1"
# A guest's udmabuf of 1080p is ~2000 scattered pages: let udmabuf take
# lists that long, as README asks of a real host.
echo 65536 >/sys/module/udmabuf/parameters/list_limit

daemon_stat() {
	"$vdmabuf" list --socket "$CONSUMER_SOCK" |
		sed -n "s/.*\\b$1[ :=]*\\([0-9][0-9]*\\).*/\\1/p" | head -n1
}

start_backend
"$consumer" --frames 1060 --timeout 900 >"$OUT/consumer-main.log" 2>&1 &
main_consumer=$!
run_guest tests/transport/transport-guest.sh >"$OUT/l2-qemu.log" 2>&1 &
guest=$!

daemon_fds() { ls "/proc/$BACKEND_PID/fd" | wc -l; }
daemon_rss() { awk '/^VmRSS/ {print $2}' "/proc/$BACKEND_PID/status"; }

# 1000 present/release cycles leave the daemon as they found it.
wait_for cycles-start 600
fds=$(daemon_fds) rss=$(daemon_rss)
sync_point host-measured
wait_for cycles-done 600
sleep 1
[ "$(daemon_fds)" -le "$fds" ] || fail "daemon fds: $fds before 1000 cycles, $(daemon_fds) after"
[ $(($(daemon_rss) - rss)) -lt 1024 ] || fail "daemon RSS grew from $rss to $(daemon_rss) KiB"
echo "daemon over 1000 cycles: fds $fds -> $(daemon_fds), RSS $rss -> $(daemon_rss) KiB" >"$OUT/cycles.txt"
sync_point host-checked-cycles

# Producer killed with -9: its buffers leave the host.
wait_for producer-killed 600
i=0
while [ "$(daemon_stat buffers)" != 0 ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "buffers of a killed producer still live: $("$vdmabuf" list --socket "$CONSUMER_SOCK")"
	sleep 0.1
done
sync_point host-checked-kill

# A consumer killed with -9 mid-stream: the guest still gets its releases.
wait_for kill-consumer-next
# It stops by itself once it has checked every frame; else it is told to.
kill -TERM "$main_consumer" 2>/dev/null
wait "$main_consumer" || fail "main consumer: $(tail -n 5 "$OUT/consumer-main.log")"
"$consumer" --frames 1000000 --timeout 300 --stall-after 20 >"$OUT/consumer-killed.log" 2>&1 &
doomed=$!
sync_point consumer-ready
wait_for consumer-stalled 300
sleep 1
kill -9 "$doomed" 2>/dev/null
sync_point consumer-killed

wait "$guest" || fail "guest half failed (see $OUT/l2.log)"
[ "$(daemon_stat buffers)" = 0 ] || fail "buffers left after the guest finished"
stop_backend
grep -q 'consumer: .* 0 bad' "$OUT/consumer-main.log" || fail "main consumer: $(cat "$OUT/consumer-main.log")"
pass "transport: $(grep 'frames checked' "$OUT/consumer-main.log"); $(cat "$OUT/cycles.txt")"
