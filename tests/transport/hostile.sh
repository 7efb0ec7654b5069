#!/bin/sh
# Suite transport, in L1: a hostile guest and a hostile consumer against
# the real daemon (tests/transport/hostile.c) and its engine (VDMABUF_ENGINE);
# it must refuse every bad request, keep serving and exit cleanly.
. "${0%/*}/../vm/lib.sh"

BACKEND_SOCK=/run/hostile.sock
CONSUMER_SOCK=/run/hostile-consumer.sock
start_backend --log-level debug
"$BUILD/tests/transport/hostile" "$BACKEND_SOCK" "$CONSUMER_SOCK" ||
	fail "hostile checks failed"
stop_backend
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
