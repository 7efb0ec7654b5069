#!/bin/sh
# Suite security, in L1 (the host): who may take a VM's buffers, hence
# read its memory (spec §11.2). The socket's mode lets anyone connect, so
# that the daemon alone decides: it serves the group named for this VM
# (2001), the user named (1003) and root, and nobody else, however they
# reached the socket; and at most 3 connections of one uid, so that one
# user cannot lock the others out. No guest is needed: the daemon serves
# its socket before QEMU connects. Users are numbers, none in /etc/passwd.
. "${0%/*}/../vm/lib.sh"

start_backend --consumer-mode 0666 --allow-group 2001 --allow-uid 1003 --max-per-uid 3

# as UID GROUPS COMMAND...: runs COMMAND as that user, in those groups.
as() {
	uid=$1 groups=$2
	shift 2
	setpriv --reuid="$uid" --regid="$uid" --groups="$groups" -- "$@"
}
list_as() { # uid, groups, log name: `vdmabuf list` as that user
	as "$1" "$2" "$vdmabuf" list --socket "$CONSUMER_SOCK" >"$OUT/$3.log" 2>&1
}

# Served: a member of VM A's group (not its primary group), the named user.
list_as 1001 1000,2001 member || fail "a member of the VM's group: $(cat "$OUT/member.log")"
list_as 1003 1003 named || fail "the user named: $(cat "$OUT/named.log")"
list_as 0 0 root || fail "root: $(cat "$OUT/root.log")"
# Refused, with the reason: VM B's group, and a user in no group named.
! list_as 1002 2002 other-vm || fail "a member of another VM's group was served"
grep -q 'connect: Permission denied' "$OUT/other-vm.log" ||
	fail "another VM's group: $(cat "$OUT/other-vm.log")"
! list_as 65534 65534 nobody || fail "nobody was served"

# The quota: three connections of uid 1001 held, a fourth refused; the
# named user still gets in.
for i in 1 2 3; do
	as 1001 2001 "$vdmabuf" watch --socket "$CONSUMER_SOCK" >"$OUT/watch-$i.log" 2>&1 &
done
i=0
until [ "$(grep -c 'connected; ' "$OUT/backend.log")" -ge 6 ]; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "the watchers never connected: $(tail -n 5 "$OUT/backend.log")"
	sleep 0.1
done
! list_as 1001 2001 fourth || fail "a fourth connection of one uid was served"
grep -q 'connect: Too many users' "$OUT/fourth.log" || fail "fourth: $(cat "$OUT/fourth.log")"
list_as 1003 1003 named-again || fail "the named user, locked out: $(cat "$OUT/named-again.log")"
pkill -f "$vdmabuf watch" || fail "no watcher left to stop"

# 1000 more refusals, as fast as one process can connect: the log says
# so at most 20 times in 5 s (the device model's limit), and every line
# it did not print is counted in STATS.
start=$(date +%s)
setpriv --reuid=1002 --regid=1002 --groups=2002 -- python3 -c '
import socket, sys
for _ in range(1000):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sys.argv[1])
    s.recv(64)
    s.close()
' "$CONSUMER_SOCK" || fail "the refused connections"
windows=$((($(date +%s) - start) / 5 + 2))
lines=$(grep -c 'refused: ' "$OUT/backend.log")
suppressed=$(daemon_stat logs_suppressed)
[ $((lines + suppressed)) = 1003 ] ||
	fail "$lines lines and $suppressed suppressed for 1003 refusals"
[ "$lines" -le $((20 * windows)) ] ||
	fail "$lines log lines for 1003 refused connections in $windows windows of 5 s"
stop_backend
pass "access: VM group, named user and root served; other group and nobody refused; quota 3 per uid; $lines log lines and $suppressed counted for 1003 refusals"
