#!/bin/sh
# Suite bench: a short run of tools/bench, so that the harness keeps
# working; its figures are not pass criteria, its shape and counters are.
# At 320x240, 2 runs of 16 frames (the first ten are warm-up): every
# method, the multi-run path and every counter, in a few minutes of CI
# with L1 on one vCPU.
set -eu
cd "$(dirname "$0")/../.."
out=build-vm/${VDMABUF_BENCH_SMOKE_OUT:-bench-smoke}
rm -rf "$out"
tools/bench --size 320x240 --frames 16 --runs 2 --out "$out" >/dev/null
exec python3 tests/bench/check-results.py "$out" 2
