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
dmesg | grep -E 'BUG|WARNING|Oops' && fail "kernel complained"
pass "stall guest: export timed out, kept pinned and unexported late; close with 300 buffers: all let go"
