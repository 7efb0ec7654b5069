#!/bin/sh
# tools/bench --pacing, in L1 (the host): frame pacing as the host
# compositor saw it. weston runs headless (GL on llvmpipe, kiosk shell;
# VDMABUF_PACING_RENDERER=pixman has no dmabuf import, so the viewer would
# copy) at VDMABUF_PACING_SIZE and VDMABUF_PACING_HZ, once per method, with
# WAYLAND_DEBUG=server: its wire log (TAG.wire) holds every commit it got
# and every presentation feedback it sent (time, refresh, sequence,
# flags) for the surface that shows the frames: the viewer's for the
# vdmabuf methods, waypipe's client's for waypipe, and frame-client's own
# for "native", the reference: the same client run here in L1 on the same
# weston. For the others pacing-guest.sh runs frame-client in a guest of
# its own. Resumable: a method whose TAG.done exists is done, and an L1
# booted again (a guest nested virtualisation killed) resumes after it.
# pacing-report.py then writes results.json and results.md.
. "${0%/*}/../tests/vm/lib.sh"

size=$VDMABUF_PACING_SIZE hz=$VDMABUF_PACING_HZ frames=$VDMABUF_PACING_FRAMES
rm -rf "$OUT/sync"
modprobe vhost_vsock || fail "no vhost_vsock in L1"
echo 65536 >/sys/module/udmabuf/parameters/list_limit
export XDG_RUNTIME_DIR=/run/xdg WAYLAND_DISPLAY=wl-host
mkdir -p -m 700 "$XDG_RUNTIME_DIR"

# The wire log stamps each message with CLOCK_REALTIME (microseconds,
# modulo 2^32); presentation times are on weston's presentation clock.
# One bracketed reading of both, for the report to map one to the other.
clocks() {
	python3 -c 'import time
best = None
for clock in (time.CLOCK_MONOTONIC_RAW, time.CLOCK_MONOTONIC):
    for _ in range(5):
        a = time.clock_gettime_ns(time.CLOCK_REALTIME)
        b = time.clock_gettime_ns(clock)
        c = time.clock_gettime_ns(time.CLOCK_REALTIME)
        if best is None or c - a < best[0]:
            best = (c - a, (a + c) // 2, b)
    print(clock, best[1], best[2], best[0])
    best = None'
}

# The daemon runs the engine the method asks for.
use_engine() {
	[ "$ENGINE" = "$1" ] && return
	stop_backend
	ENGINE=$1
	start_backend
}

# measure METHOD: one run; its records in TAG.*, TAG.done once complete.
measure() {
	method=$1 tag=$1
	rm -f "$OUT/sync/client-start-$tag" "$OUT/sync/client-done-$tag"
	WAYLAND_DEBUG=server weston --backend=headless --shell=kiosk \
		--renderer="${VDMABUF_PACING_RENDERER:-gl}" \
		--width="${size%x*}" --height="${size#*x}" --refresh-rate=$((hz * 1000)) \
		--socket="$WAYLAND_DISPLAY" --log="$OUT/$tag.weston.log" 2>"$OUT/$tag.wire" &
	weston=$!
	wait_wayland "$weston" "$WAYLAND_DISPLAY" "$OUT/$tag.weston.log"
	clocks >"$OUT/$tag.clocks" || fail "clocks"
	server=
	case $method in
	native)
		"$BUILD/bench/frame-client" --size "$size" --frames "$frames" \
			--out "$OUT/$tag.csv" --feedback "$OUT/$tag.feedback" \
			>"$OUT/$tag.client.log" 2>&1 ||
			fail "native client: $(tail -n 5 "$OUT/$tag.client.log")"
		;;
	*)
		if [ "$method" = waypipe ]; then
			waypipe --vsock -s "$VDMABUF_BENCH_WAYPIPE_PORT" client \
				>"$OUT/$tag.waypipe.log" 2>&1 &
		else
			use_engine "$([ "$method" = vdmabuf-kernel ] && echo kernel || echo user)"
			"$BUILD/host-viewer/vdmabuf-viewer" --name pacing \
				$([ "$method" = vdmabuf-shm ] && echo --shm) \
				--stats "$OUT/$tag.viewer-stats" >"$OUT/$tag.viewer.log" 2>&1 &
		fi
		server=$!
		run_guest --vsock 3 --timeout "$VDMABUF_PACING_GUEST_SECONDS" \
			$([ "$method" = vdmabuf-direct ] && echo --gpu) \
			bench/pacing-guest.sh "$method" "$size" "$hz" "$frames" \
			>"$OUT/$tag.l2-qemu.log" 2>&1 &
		guest=$!
		wait "$guest"
		rc=$?
		cp "$OUT/l2.log" "$OUT/$tag.l2.log" 2>/dev/null
		[ $rc = 0 ] ||
			fail "$tag: the guest failed: $(tail -n 15 "$OUT/$tag.l2.log" \
				"$OUT/$tag.l2-qemu.log" 2>&1)"
		kill -TERM "$server"
		wait "$server"
		;;
	esac
	kill -TERM "$weston"
	wait "$weston"
	[ -s "$OUT/$tag.feedback" ] || fail "$tag: no client feedback"
	: >"$OUT/$tag.done"
}

start_backend
for method in $VDMABUF_PACING_METHODS; do
	[ -e "$OUT/$method.done" ] || [ -e "$OUT/$method.lost" ] && continue
	if why=$(given_up "$method"); then
		echo "$why" >"$OUT/$method.lost"
		continue
	fi
	vm_step "$method"
	measure "$method"
done
vm_step report
stop_backend
python3 "${0%/*}/pacing-report.py" "$OUT" "$VDMABUF_PACING_WARMUP" "${VDMABUF_BENCH_COMMAND:-}" ||
	fail "report"
lost=$(cd "$OUT" && ls -- *.lost 2>/dev/null | sed 's/\.lost$//' | tr '\n' ' ')
[ -z "$lost" ] || fail "pacing: not measured: $lost(see $OUT/results.md)"
pass "pacing: $OUT/results.md"
