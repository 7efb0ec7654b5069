#!/bin/sh
# Suite compositor, in L2 (the guest); see compositor-host.sh.
. "${0%/*}/../vm/lib.sh"

compositor=$BUILD/guest-compositor-plugin/vdmabuf-compositor
client=$BUILD/tests/compositor/pattern-client
insmod "$BUILD/kmod/virtio_vdmabuf.ko" || fail "insmod"
[ -e /dev/udmabuf ] || modprobe udmabuf || fail "no udmabuf in the guest"
export XDG_RUNTIME_DIR=/run/xdg
mkdir -p -m 700 "$XDG_RUNTIME_DIR"

# $1 names this compositor's logs; $2: its mode; $3: how long it may
# take to listen (s); $4: the client's options.
start_compositor() {
	"$compositor" --mode "$2" --stats "$OUT/compositor-$1.stats" \
		-s "$client ${4:-} --log $OUT/client-$1.log" >"$OUT/compositor-$1.log" 2>&1 &
	compositor_pid=$!
	wait_wayland "$compositor_pid" wayland-0 "$OUT/compositor-$1.log" "$3"
}

# Stops the compositor named $1; it must exit cleanly with frames.
stop_compositor() {
	kill -TERM "$compositor_pid"
	wait "$compositor_pid" || fail "compositor exit: $(tail -n 5 "$OUT/compositor-$1.log")"
	grep -q 'frames=[1-9]' "$OUT/compositor-$1.stats" ||
		fail "no frames in the statistics: $(cat "$OUT/compositor-$1.stats")"
}

wait_for checker-ready 300
start_compositor first 640x480@60 120
wait_for pixels-done 600
grep -q 'configure 640x480' "$OUT/client-first.log" || fail "no first configure"
grep -q 'configure 800x600' "$OUT/client-first.log" ||
	fail "the mode hint did not reach the client: $(cat "$OUT/client-first.log")"
wait_for pause-done 600

kill -9 "$compositor_pid"
wait "$compositor_pid"
sync_point compositor-killed
wait_for next-checker-ready 300
start_compositor next 640x480@60 120
wait_for next-done 600
stop_compositor next
sync_point next-stopped

# GLES2 on Mesa's llvmpipe (kms_swrast on the virtio-gpu, which has no 3D)
# into GBM buffers. vgem, loaded first, is the first render node: it has
# no renderer and must be skipped. llvmpipe takes a minute or two to
# start here.
modprobe vgem && modprobe virtio_gpu || fail "no vgem or virtio_gpu in the guest"
wait_for gles2-checker-ready 300
export WLR_RENDERER=gles2 WLR_RENDERER_ALLOW_SOFTWARE=1
start_compositor gles2 320x240@60 600
wait_for gles2-done 900
stop_compositor gles2
log=$OUT/compositor-gles2.log
expect_log "$log" '/dev/dri/renderD128 (vgem) has no renderer; skipped'
expect_log "$log" 'rendering on /dev/dri/renderD129'
expect_log "$log" 'Creating GLES2 renderer'
expect_log "$log" 'GBM on /dev/dri/card1'
expect_log "$log" 'exported .* GBM buffer)'
! grep 'exported .*page-backed' "$log" ||
	fail "page-backed buffers on the GLES2 path"
grep -q "configure 400x300" "$OUT/client-gles2.log" ||
	fail "the mode hint did not reach the GLES2 client: $(cat "$OUT/client-gles2.log")"
sync_point gles2-stopped

# Direct scan-out with explicit sync: the client draws into the card's
# dumb buffers, fills the output, and commits each frame undrawn (grey)
# with an acquire point a vgem fence holds, drawing it and signalling the
# fence 50 ms later.
# Its buffers go to the host as they are, none before its fence, and it
# reuses one only once its release point signalled.
wait_for scanout-checker-ready 300
start_compositor scanout 320x240@60 600 "--dmabuf --syncobj"
wait_for scanout-done 900
# Then the client becomes a window that does not fill the output: composited.
pkill -USR1 -x pattern-client || fail "no pattern-client to signal"
sync_point windowed
wait_for windowed-done 600
stop_compositor scanout
log=$OUT/compositor-scanout.log stats=$OUT/compositor-scanout.stats
expect_log "$log" 'explicit sync (linux-drm-syncobj-v1) offered'
expect_log "$log" 'exported .* client buffer)'
# What the host imports decides (spec §18): ABGR8888 only, then XRGB8888.
expect_log "$log" 'host imports 1 format/modifier pairs'
expect_log "$log" 'host imports 2 format/modifier pairs'
before=$(sed -n 's/.*direct scan-out of a client.s buffer after \([0-9]*\) composited frames.*/\1/p' "$log")
[ -n "$before" ] || fail "never scanned out: $(cat "$stats")"
[ "$before" -ge 20 ] || fail "scanned out while the host took only ABGR8888: $before composited"
# Every frame from the first scanned out on is the client's, until it
# stops filling the output.
# (The count composition resumes with includes the frame that resumes it.)
resumed=$(sed -n 's/.*composition resumes after \([0-9]*\) composited frames.*/\1/p' "$log")
[ "$resumed" = $((before + 1)) ] ||
	fail "composition resumed after ${resumed:-no} composited frames, scan-out began after $before"
grep -q 'windowed: ' "$OUT/client-scanout.log" || fail "the client never drew as a window"
stat() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" "$stats"; }
[ "$(stat composited)" -ge $((before + 20)) ] ||
	fail "$(stat composited) composited frames, $before before the client's: $(cat "$stats")"
[ "$(stat direct)" -ge 60 ] && [ "$(stat discarded)" = 0 ] ||
	fail "scanned out or discarded: $(cat "$stats")"
# Composition copies its clients' pixels, counted; at most the whole
# output a composited frame.
size=$(sed -n 's/^output [^:]*: \([0-9]*\)x\([0-9]*\) .*/\1 * \2/p' "$stats")
[ "$(stat composited_bytes)" -gt 0 ] &&
	[ "$(stat composited_bytes)" -le $(($(stat composited) * $size * 4)) ] ||
	fail "composition's copies miscounted: $(cat "$stats")"
[ "$(stat release_points)" -ge 55 ] || fail "release points not signalled: $(cat "$stats")"
pass "compositor guest: $(cat "$OUT/compositor-next.stats"); gles2 $(cat "$OUT/compositor-gles2.stats"); scanout $(cat "$stats")"
