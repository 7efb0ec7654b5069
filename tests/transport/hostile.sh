#!/bin/sh
# Suite transport, in L1: a hostile guest and a hostile consumer against
# the real daemon (tests/transport/hostile.c); the daemon must refuse
# every bad request, keep serving and exit cleanly.
. "${0%/*}/../vm/lib.sh"

BACKEND_SOCK=/run/hostile.sock
CONSUMER_SOCK=/run/hostile-consumer.sock
start_backend --log-level debug
"$BUILD/tests/transport/hostile" "$BACKEND_SOCK" "$CONSUMER_SOCK" ||
	fail "hostile checks failed"
stop_backend
expect_log "$OUT/backend.log" 'outside guest RAM'
expect_log "$OUT/backend.log" 'descriptor chain at 0 loops'
expect_log "$OUT/backend.log" 'queue stopped'
pass "hostile guest and consumer refused, daemon intact"
