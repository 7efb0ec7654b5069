#!/bin/sh
# Suite transport, in L1: a hostile guest and a hostile consumer against
# the real daemon (tests/transport/hostile.c) and its engine (VDMABUF_ENGINE);
# it must refuse every bad request, keep serving and exit cleanly.
. "${0%/*}/../vm/lib.sh"

BACKEND_SOCK=/run/hostile.sock
CONSUMER_SOCK=/run/hostile-consumer.sock
# A FUSE file whose server never answers FLUSH, for the hostile consumer
# to send the daemon: killing the server ends every close() stuck on it.
NOFLUSH=/run/noflush
modprobe fuse || fail "modprobe fuse"
mkdir -p "$NOFLUSH"
"$BUILD/tests/transport/fuse-noflush" "$NOFLUSH" >"$OUT/fuse-noflush.log" 2>&1 &
fuse_pid=$!
wait_line "$OUT/fuse-noflush.log" '^ready' 30 "$fuse_pid"
[ -f "$NOFLUSH/file" ] || fail "no $NOFLUSH/file"
stop_fuse() {
	kill -KILL "$fuse_pid" 2>/dev/null
	wait "$fuse_pid" 2>/dev/null
	umount -l "$NOFLUSH" 2>/dev/null
}
dmesg_before=$(dmesg | wc -l)
start_backend --log-level debug
"$BUILD/tests/transport/hostile" "$BACKEND_SOCK" "$CONSUMER_SOCK" "$NOFLUSH/file" ||
	{ stop_fuse; fail "hostile checks failed"; }
stop_fuse
grep -q 'FLUSH 1 left unanswered' "$OUT/fuse-noflush.log" ||
	fail "no close() of the FUSE file waited for its FLUSH"
stop_backend
# Version 2's frame path (spec §19) as a driver that negotiated it runs it.
start_backend --log-level debug
"$BUILD/tests/transport/hostile" --v2 "$BACKEND_SOCK" "$CONSUMER_SOCK" ||
	fail "version 2 checks failed"
stop_backend
# 10,000 malformed chains, and a few dozen more: their lines stay bounded
# (hostile.c checks that the rest were counted as suppressed).
chain_lines=$(device_log | grep -c -e 'indirect descriptor' -e 'outside guest RAM' \
	-e 'beyond ring size' -e 'chain at [0-9]* loops' -e 'readable descriptor after' \
	-e 'reply buffer of' -e 'log lines suppressed')
echo "device log: $chain_lines lines on malformed chains"
[ "$chain_lines" -lt 100 ] || fail "$chain_lines log lines on malformed chains"
[ "$ENGINE" = user ] || [ "$(dmesg | tail -n +"$dmesg_before" | grep -c 'callbacks suppressed')" = 0 ] ||
	fail "the module logged past the device's limit: $(dmesg | grep 'callbacks suppressed' | tail -n 3)"
expect_device_log 'avail index jumped'
expect_device_log 'head.* beyond ring size'
grep -q 'not page aligned' "$OUT/backend.log" || fail "unaligned fd offset: not refused"
expect_device_log 'outside guest RAM'
expect_device_log 'descriptor chain at 0 loops'
expect_device_log 'queue stopped'
grep -q 'bytes with fds, want' "$OUT/backend.log" || fail "a consumer's fds were taken"
grep -q 'size of a started queue refused' "$OUT/backend.log" ||
	fail "SET_VRING_NUM of a started queue: not refused"
# The kernel engine restarts the device on a memory change instead.
[ "$ENGINE" = kernel ] || grep -q 'vq 1: its ring is no longer in guest memory' "$OUT/backend.log" ||
	fail "REM_MEM_REG of the rings' region: queue not broken"
[ "$ENGINE" = user ] || rmmod vhost_vdmabuf || fail "rmmod vhost_vdmabuf after the daemon exited"
pass "hostile guest and consumer refused, $ENGINE engine intact"
