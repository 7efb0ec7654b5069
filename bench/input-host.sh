#!/bin/sh
# bench/input, in L1 (the host): the round trip of one click, host input
# event -> guest client -> its answer back on the host (tools/bench
# --input). sway runs headless as the host desktop with the viewer
# fullscreen; input-probe clicks as a virtual pointer and hears the
# guest's cursor as a consumer; in L2 input-client --echo answers each
# press with a new cursor image. Writes results.md and input.json.
. "$(dirname "$0")/../tests/vm/lib.sh"

clicks=${VDMABUF_BENCH_CLICKS:-200}
modprobe kvm_amd 2>/dev/null || modprobe kvm_intel || fail "no kvm in L1"
echo 65536 >/sys/module/udmabuf/parameters/list_limit
rm -rf "$OUT/sync" "$OUT"/*.log "$OUT"/results.* "$OUT"/input.*
cat >"$OUT/sway.cfg" <<CFG
xwayland disable
output * resolution 1280x720
default_border none
CFG
start_sway "$OUT/sway.cfg"
start_backend
run_guest bench/input-guest.sh >"$OUT/l2-qemu.log" 2>&1 &
guest=$!
wait_for guest-running 300 "$guest"
"$BUILD/host-viewer/vdmabuf-viewer" --name bench --fullscreen >"$OUT/viewer.log" 2>&1 &
viewer=$!

# The counters around the clicks: what one click costs the device.
before="$(daemon_stat input_events) $(daemon_stat cursors_total) $(daemon_stat frames_total)"
"$BUILD/bench/input-probe" --clicks "$clicks" --socket "$CONSUMER_SOCK" 1280 720 \
	>"$OUT/probe.log" 2>"$OUT/probe.err" || fail "input-probe: $(cat "$OUT/probe.err")"
after="$(daemon_stat input_events) $(daemon_stat cursors_total) $(daemon_stat frames_total)"
sync_point host-done
wait "$guest" || fail "guest failed (see $OUT/l2.log)"
kill "$viewer" "$SWAY_PID"
stop_backend
python3 "$(dirname "$0")/input-report.py" "$OUT/probe.log" "$OUT/client.log" \
	--counters "$before" "$after" --command "${VDMABUF_BENCH_COMMAND:-tools/bench --input}" \
	--json "$OUT/input.json" >"$OUT/results.md" || fail "input-report"
cat "$OUT/results.md"
pass "input bench: $clicks clicks"
