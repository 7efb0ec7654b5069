#!/bin/sh
# Suite transport, in L1: the daemon's fuzz target for a short budget
# (VDMABUF_FUZZ_SECONDS, default 30). New crashes fail the test.
. "${0%/*}/../vm/lib.sh"

fuzzer=$BUILD/tests/fuzz/fuzz-daemon
[ -x "$fuzzer" ] || fail "no $fuzzer (clang missing at configure time?)"
corpus=/tmp/fuzz-corpus
python3 "${0%/*}/seeds.py" "$corpus" || fail "seeds"
cd "$OUT" || fail "no $OUT"
"$fuzzer" -max_total_time="${VDMABUF_FUZZ_SECONDS:-30}" -timeout=20 \
	-rss_limit_mb=2048 -print_final_stats=1 "$corpus" >"$OUT/fuzz.log" 2>&1 ||
	fail "fuzzer found a crash: $(grep -m3 -E 'ERROR|SUMMARY|abort' "$OUT/fuzz.log")"
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/fuzz.log")
[ "${runs:-0}" -gt 100 ] || fail "fuzzer ran only ${runs:-0} inputs"
pass "fuzz-daemon: $runs inputs, no crash"
