#!/bin/sh
# Suite bench: a short run of tools/bench, so that the harness keeps
# working; its figures are not pass criteria, its shape and counters are.
# At 720p and 20 frames: every method and counter, in a few minutes of CI.
set -eu
cd "$(dirname "$0")/../.."
out=build-vm/bench-smoke
rm -rf "$out"
tools/bench --size 1280x720 --frames 20 --out "$out" >/dev/null
exec python3 tests/bench/check-results.py "$out"
