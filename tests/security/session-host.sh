#!/bin/sh
# Suite security, in L1 (the host), user engine: the daemon's saved
# vhost-user session sits in its service manager's fd store as a memfd
# anything there may write. Corrupted (a queue of size 3), it is refused
# with a clear error by the restarted daemon, which keeps running instead
# of mapping rings by it. The guest's half is session-guest.sh.
. "${0%/*}/../vm/lib.sh"

rm -rf "$OUT/sync"
BACKEND_MANAGED=1 start_backend
run_guest tests/security/session-guest.sh >"$OUT/l2-qemu.log" 2>&1 &
guest=$!
wait_for guest-ready 600 "$guest"

session=
for f in /proc/"$BACKEND_PID"/fd/*; do
	[ "$(readlink "$f")" = "/memfd:vdmabuf-session (deleted)" ] && session=$f
done
[ -n "$session" ] || fail "no saved session in the service manager's store"
# struct saved_session: 32 bytes, 32 regions of 40, then vqs[0].num.
python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
os.pwrite(fd, (3).to_bytes(4, "little"), 32 + 32 * 40)' "$session" ||
	fail "could not write the saved session"
old=$(backend_pid)
kill -9 "$old"
wait_line "$OUT/backend.log" 'session: not resumed: a queue of an impossible size' 30
sleep 3
new=$(backend_pid)
[ "$new" != "$old" ] && kill -0 "$new" || fail "the restarted daemon is gone: $(tail -n 5 "$OUT/backend.log")"
[ "$(grep -c 'restarting with' "$OUT/backend.log")" = 1 ] ||
	fail "restarted more than once: $(grep 'restarting with' "$OUT/backend.log")"
sync_point host-done
wait "$guest" || true
stop_backend
pass "session: $(grep -m1 'session: not resumed' "$OUT/backend.log" | sed 's/.*session: //'); the daemon kept running"
