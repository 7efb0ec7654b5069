#!/bin/sh
# Suite security, in L1 (the host), user engine: the daemon stops
# answering (SIGSTOP) while the guest exports and then closes with 300
# buffers exported. The guest's EXPORT times out, its UNEXPORTs fill the
# control ring; 12 s later the daemon goes on. It answers the EXPORT late,
# and the guest unexports that id too: no id is left on the host, and the
# guest lets go of every buffer (none while the host still maps it).
# Then the engine restarts with an EXPORT in flight: the daemon, stopped
# while the guest holds 10 buffers and sends one more, is killed and its
# service manager starts it again on the same session; the device resets,
# the guest keeps the buffer in flight pinned until its EXPORT is settled
# and, once it closed, no id is left on the host. The guest's half is
# stall-guest.sh.
. "${0%/*}/../vm/lib.sh"

rm -rf "$OUT/sync" "$OUT"/exporter*.log
BACKEND_MANAGED=1 start_backend
run_guest tests/security/stall-guest.sh >"$OUT/l2-qemu.log" 2>&1 &
guest=$!
wait_for exported 600 "$guest"
[ "$(daemon_stat buffers)" = 300 ] || fail "buffers: $(daemon_stat buffers)"
kill -STOP "$(backend_pid)"
sync_point daemon-stopped
wait_for guest-closed 120 "$guest"
sleep 2
kill -CONT "$(backend_pid)"
wait_no_buffers "after the stall"
sync_point daemon-continued

# The engine restarts with an EXPORT in flight.
wait_for restart-armed 300 "$guest"
[ "$(daemon_stat buffers)" = 10 ] || fail "buffers before the restart: $(daemon_stat buffers)"
old=$(backend_pid)
kill -STOP "$old"
sync_point daemon-stopped-again
wait_for export-in-flight 60 "$guest"
kill -9 "$old"
wait_resumed "$old"
sync_point daemon-restarted
wait_for guest-closed-again 300 "$guest"
wait_no_buffers "after the restart"
wait "$guest" || fail "guest half failed: $(tail -n 15 "$OUT/l2.log" "$OUT/l2-qemu.log" 2>&1)"
stop_backend
pass "stall: daemon stopped 12 s; guest's $(grep 'one more' "$OUT/exporter.log"), then closed with 300 buffers; after the daemon went on no id is left on the host; restarted with an EXPORT in flight ($(grep 'one more' "$OUT/exporter-restart.log")): no id left either"
