#!/bin/sh
# Suite security, in L2 (the guest); see stall-host.sh.
. "${0%/*}/../vm/lib.sh"

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
insmod "$BUILD/kmod/virtio_vdmabuf.ko" max_buffers_per_file=2048 || fail "insmod"
[ -e /dev/udmabuf ] || modprobe udmabuf || fail "no udmabuf in the guest"
before=$(dmabufs)
"$BUILD/tests/security/exporter" 300 >"$OUT/exporter.log" 2>&1 &
pid=$!
wait_line "$OUT/exporter.log" '^exported' 300 "$pid"
grep -q 'exported 300 of 300' "$OUT/exporter.log" || fail "$(cat "$OUT/exporter.log")"
sync_point exported
wait_for daemon-stopped 120

# One more EXPORT, nobody answers: it times out (10 s), its pages pinned.
kill -USR1 "$pid"
wait_line "$OUT/exporter.log" '^one more' 30 "$pid"
grep -q 'one more: Connection timed out' "$OUT/exporter.log" || fail "$(cat "$OUT/exporter.log")"
[ "$(dmabufs)" -gt "$before" ] || fail "the timed-out export's buffer was let go"
# close() with 300 buffers exported: 300 UNEXPORTs, more than the ring holds.
kill -TERM "$pid"
wait "$pid" || fail "exporter exit"
[ "$(dmabufs)" -ge $((before + 301)) ] ||
	fail "$(($(dmabufs) - before)) of 301 buffers held while the host may map them"
sync_point guest-closed
wait_for daemon-continued 300
dmabufs_back "after the daemon went on"
dmesg | grep -q 'late export, unexported' || fail "no late export: $(dmesg | tail -n 5)"

# The engine restarts with an EXPORT in flight: 10 buffers held, one more
# sent to a stopped daemon, which is killed and comes back on the session.
"$BUILD/tests/security/exporter" 10 >"$OUT/exporter-restart.log" 2>&1 &
pid=$!
wait_line "$OUT/exporter-restart.log" '^exported' 60 "$pid"
grep -q 'exported 10 of 10' "$OUT/exporter-restart.log" || fail "$(cat "$OUT/exporter-restart.log")"
resets=$(dmesg | grep -c 'device reset: buffers before')
sync_point restart-armed
wait_for daemon-stopped-again 120
kill -USR1 "$pid"
sleep 1
[ "$(dmabufs)" -ge $((before + 11)) ] || fail "the buffer in flight was let go"
sync_point export-in-flight
wait_for daemon-restarted 120
# Settled: answered by the new instance, or timed out and kept pinned
# until a late answer or the reset.
wait_line "$OUT/exporter-restart.log" '^one more' 30 "$pid"
i=0
until [ "$(dmesg | grep -c 'device reset: buffers before')" -gt "$resets" ]; do
	i=$((i + 1)); [ $i -lt 300 ] || fail "no reset after the restart: $(dmesg | tail -n 5)"
	sleep 0.1
done
kill -TERM "$pid"
wait "$pid" || fail "exporter exit after the restart"
dmabufs_back "after the restart with an EXPORT in flight"
sync_point guest-closed-again
dmesg | grep -E 'BUG|WARNING|Oops' && fail "kernel complained"
pass "stall guest: export timed out, kept pinned and unexported late; close with 300 buffers: all let go; restart with an EXPORT in flight: $(grep 'one more' "$OUT/exporter-restart.log"), all let go"
