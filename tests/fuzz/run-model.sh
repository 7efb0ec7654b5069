#!/bin/sh
# Suite unit, no VM: the device model's fuzz target (fuzz-model.c) for a
# short budget (VDMABUF_FUZZ_SECONDS, default 30). A crash or a broken
# invariant fails the test, and leaves its input in the build directory.
set -u
fuzzer=$1
dir=${fuzzer%/*}/fuzz-model.out
rm -rf "$dir"
mkdir -p "$dir/corpus"
cd "$dir" || exit 1
"$fuzzer" -max_total_time="${VDMABUF_FUZZ_SECONDS:-30}" -timeout=10 -max_len=512 \
	-rss_limit_mb=1024 -print_final_stats=1 corpus >fuzz.log 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' fuzz.log)
if [ $rc != 0 ]; then
	grep -m5 -E 'fuzz-model:|ERROR|SUMMARY|Test unit written' fuzz.log >&2
	echo "fuzz-model: FAIL after ${runs:-0} inputs (log: $dir/fuzz.log)" >&2
	exit 1
fi
if [ "${runs:-0}" -lt 1000 ]; then
	echo "fuzz-model: FAIL: only ${runs:-0} inputs ran" >&2
	exit 1
fi
echo "fuzz-model: $runs inputs, invariants held"
