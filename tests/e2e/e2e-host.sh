#!/bin/sh
# Suite e2e, in L1 (the host): weston runs headless (GL on llvmpipe, kiosk
# shell: one fullscreen window) as the host desktop; vdmabuf-viewer shows
# the L2 guest's vdmabuf-compositor, which runs pattern-client. Screenshots
# of weston's output must hold the client's known frames, pixel for pixel.
# The host's presentation times reach the guest: weston's on
# MONOTONIC_RAW, then (pixman) sway's on MONOTONIC, converted by the
# viewer; e2e-guest.sh checks what the guest's client was told.
# The guest's half is e2e-guest.sh. With the argument gles2 the guest has
# a virtio-gpu and its compositor renders with GLES2 into GBM buffers.
. "${0%/*}/../vm/lib.sh"

renderer=${1:-pixman}

viewer=$BUILD/host-viewer/vdmabuf-viewer
shots=$OUT/screenshots
rm -rf "$OUT/sync" "$shots" "$OUT"/viewer-*
mkdir -p "$shots"
echo 65536 >/sys/module/udmabuf/parameters/list_limit
start_weston

start_backend
run_guest $([ "$renderer" = gles2 ] && echo --gpu) tests/e2e/e2e-guest.sh "$renderer" \
	>"$OUT/l2-qemu.log" 2>&1 &
guest=$!

# Takes screenshots until one holds a whole known frame; $1 names it.
screenshot_matches() {
	for try in $(seq 1 40); do
		rm -f "$shots"/wayland-screenshot-*.png
		(cd "$shots" && weston-screenshooter >/dev/null 2>&1)
		shot=$(ls "$shots"/wayland-screenshot-*.png 2>/dev/null | head -n1)
		if [ -n "$shot" ] && python3 "${0%/*}/screenshot-check.py" "$shot" \
			>"$shots/$1.check" 2>&1; then
			mv "$shot" "$shots/$1.png"
			return 0
		fi
		[ -n "$shot" ] && mv "$shot" "$shots/$1-miss-$try.png"
		sleep 1
	done
	fail "$1: no screenshot held a known frame: $(cat "$shots/$1.check")"
}

# $1: stats file; $2: key. Prints the value.
stat() { sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" "$1"; }

# $1: the viewer's stats; $2: the host compositor's presentation clock.
# Its frames went back to the guest with their presentation times, on
# MONOTONIC, converted within a refresh (the host's, or its output's 60 Hz).
presentation_times() {
	[ "$(stat "$1" presentation_clock)" = "$2" ] ||
		fail "presentation clock not $2: $(cat "$1")"
	[ "$(stat "$1" timed_releases)" -ge 5 ] ||
		fail "frames went back without their presentation time: $(cat "$1")"
	refresh=$(stat "$1" refresh_ns)
	[ "$refresh" -gt 0 ] || refresh=16666666
	[ "$(stat "$1" clock_error_ns)" -lt "$refresh" ] ||
		fail "presentation times converted with an error over a refresh: $(cat "$1")"
}

start_viewer() {
	"$viewer" --name e2e "$@" >"$OUT/viewer-$name.log" 2>&1 &
	viewer_pid=$!
}

# llvmpipe takes a minute or two to start in L2.
wait_for guest-running 900 "$guest"

# The dmabuf path: the host compositor imports the guest's pages.
name=dmabuf
start_viewer --stats "$OUT/viewer-dmabuf.stats" --times "$OUT/viewer-dmabuf.times"
screenshot_matches dmabuf
sleep 3
kill -TERM "$viewer_pid"
wait "$viewer_pid" || fail "viewer: $(tail -n 5 "$OUT/viewer-dmabuf.log")"
[ "$(stat "$OUT/viewer-dmabuf.stats" path)" = dmabuf ] ||
	fail "not the dmabuf path: $(cat "$OUT/viewer-dmabuf.stats")"
[ "$(stat "$OUT/viewer-dmabuf.stats" bytes_copied)" = 0 ] || fail "the dmabuf path copied"
[ "$(stat "$OUT/viewer-dmabuf.stats" presented)" -ge 10 ] ||
	fail "frames do not flow: $(cat "$OUT/viewer-dmabuf.stats")"
presentation_times "$OUT/viewer-dmabuf.stats" MONOTONIC_RAW
# What weston imports reaches the guest compositor (e2e-guest.sh checks).
sed -n 's/.*told the guest of \([0-9]*\) format\/modifier pairs.*/\1/p' \
	"$OUT/viewer-dmabuf.log" >"$OUT/viewer-formats.txt"
[ -s "$OUT/viewer-formats.txt" ] || fail "the viewer told the guest no formats"

# The viewer's own paths are the same whatever the guest renders with:
# with GLES2 (a frame a second) the dmabuf path is enough.
if [ "$renderer" = gles2 ]; then
	sync_point host-done
	wait "$guest" || fail "guest half failed: $(tail -n 15 "$OUT/l2.log" "$OUT/l2-qemu.log" 2>&1)"
	stop_backend
	kill -TERM "$WESTON_PID"
	wait "$WESTON_PID"
	pass "e2e (gles2): $(cat "$shots/dmabuf.check"); dmabuf $(cat "$OUT/viewer-dmabuf.stats")"
	exit 0
fi

# kill -9 of the viewer mid-stream; a new one shows the guest again.
name=killed
start_viewer
sleep 5
kill -9 "$viewer_pid"
wait "$viewer_pid"
name=restarted
start_viewer --stats "$OUT/viewer-restarted.stats"
screenshot_matches restarted
kill -TERM "$viewer_pid"
wait "$viewer_pid" || fail "restarted viewer: $(tail -n 5 "$OUT/viewer-restarted.log")"
[ "$(stat "$OUT/viewer-restarted.stats" path)" = dmabuf ] || fail "restarted: not the dmabuf path"

# The shm copy, forced: the same pixels, every byte counted.
name=shm
start_viewer --shm --stats "$OUT/viewer-shm.stats"
screenshot_matches shm
kill -TERM "$viewer_pid"
wait "$viewer_pid" || fail "shm viewer: $(tail -n 5 "$OUT/viewer-shm.log")"
[ "$(stat "$OUT/viewer-shm.stats" path)" = shm ] || fail "not the shm path: $(cat "$OUT/viewer-shm.stats")"
[ "$(stat "$OUT/viewer-shm.stats" bytes_copied)" -gt 0 ] || fail "shm path counted no copy"
grep -q 'shm copy' "$OUT/viewer-shm.log" || fail "the shm fallback was not logged"

# A second host compositor, whose presentation clock is MONOTONIC: sway.
cat >"$OUT/sway.cfg" <<CFG
xwayland disable
output * resolution 320x240@60Hz
default_border none
CFG
start_sway "$OUT/sway.cfg"
name=sway
start_viewer --stats "$OUT/viewer-sway.stats" --times "$OUT/viewer-sway.times"
i=0
until [ "$(cat "$OUT/viewer-sway.times" 2>/dev/null | wc -l)" -ge 30 ]; do
	i=$((i + 1))
	[ $i -lt 1200 ] || fail "sway: $(cat "$OUT/viewer-sway.times" 2>/dev/null | wc -l) timed frames in 120 s"
	kill -0 "$viewer_pid" || fail "sway viewer died: $(tail -n 5 "$OUT/viewer-sway.log")"
	sleep 0.1
done
kill -TERM "$viewer_pid"
wait "$viewer_pid" || fail "sway viewer: $(tail -n 5 "$OUT/viewer-sway.log")"
presentation_times "$OUT/viewer-sway.stats" MONOTONIC
kill -TERM "$SWAY_PID"
wait "$SWAY_PID"

sync_point host-done
wait "$guest" || fail "guest half failed: $(tail -n 15 "$OUT/l2.log" "$OUT/l2-qemu.log" 2>&1)"
stop_backend
kill -TERM "$WESTON_PID"
wait "$WESTON_PID"
pass "e2e ($renderer): $(cat "$shots/dmabuf.check"); dmabuf $(cat "$OUT/viewer-dmabuf.stats"); shm $(cat "$OUT/viewer-shm.stats"); sway $(cat "$OUT/viewer-sway.stats")"
