#!/bin/sh
# Suite bench: a short run of tools/bench, so that the harness keeps
# working; its figures are not pass criteria, its shape and counters are.
# At 720p: at 1080p nested virtualisation in the lab now and then resets
# the guest under waypipe's vsock traffic (docs/PERFORMANCE.md).
set -eu
cd "$(dirname "$0")/../.."
out=build-vm/bench-smoke
rm -rf "$out"
tools/bench --size 1280x720 --frames 20 --out "$out" >/dev/null
exec python3 tests/bench/check-results.py "$out"
