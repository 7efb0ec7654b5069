#!/bin/sh
# Suite e2e, in L1 (the host): HiDPI without resampling. sway (headless,
# pixman) is the host desktop, its one output at scale 2 (640x480), then
# at 1.5 (480x360): both 320x240 logical, the viewer's window filling it.
# The viewer asks the guest for the window's size in device pixels at the
# host's scale; the guest's pattern-client (--hidpi) draws its known
# frames at that resolution. A screenshot at the output's native
# resolution must hold a whole known frame of the output's device size,
# pixel for pixel: any scaling on the way (a guest drawn at 320x240 and
# scaled up by the host) breaks the pattern's per-pixel hash.
# The guest's half is hidpi-guest.sh.
. "${0%/*}/../vm/lib.sh"

viewer=$BUILD/host-viewer/vdmabuf-viewer
shots=$OUT/screenshots
rm -rf "$OUT/sync" "$shots" "$OUT"/viewer*
mkdir -p "$shots"
echo 65536 >/sys/module/udmabuf/parameters/list_limit

cat >"$OUT/sway.cfg" <<CFG
xwayland disable
output * resolution 640x480@60Hz scale 2
default_border none
CFG
start_sway "$OUT/sway.cfg"

start_backend
run_guest tests/e2e/hidpi-guest.sh >"$OUT/l2-qemu.log" 2>&1 &
guest=$!
wait_for guest-running 600 "$guest"

"$viewer" --name hidpi --stats "$OUT/viewer.stats" >"$OUT/viewer.log" 2>&1 &
viewer_pid=$!

# $1: the phase; $2: the output's scale; $3x$4: its device size. Takes
# screenshots at that scale until one is a whole known frame of that size,
# for 150 s (a check of a wrong one takes 15 s under TCG).
screenshot_matches() {
	screenshot_known "$1" "${3}x$4" -s "$2" && return 0
	scale=$(sed -n 's/^scale //p' "$OUT/client.log" | tail -n 1)
	fail "$1: no screenshot held a whole known frame at ${3}x$4: $(cat "$shots/$1.check");" \
		"the guest's client last drew at scale ${scale:-none}" \
		"(a fractional one needs wp_fractional_scale_v1 in the guest compositor)"
}

screenshot_matches scale2 2 640 480
expect_log "$OUT/viewer.log" 'scale 2.000 (wp_fractional_scale_v1)'
expect_log "$OUT/viewer.log" 'window 320x240 at scale 2.000; asked the guest for 640x480 scale 240'

# The scale changes under the window: the viewer follows.
swaymsg output '*' resolution 480x360@60Hz scale 1.5 >/dev/null || fail "swaymsg output"
screenshot_matches scale1.5 1.5 480 360
expect_log "$OUT/viewer.log" 'scale 1.500 (wp_fractional_scale_v1)'
expect_log "$OUT/viewer.log" 'window 320x240 at scale 1.500; asked the guest for 480x360 scale 180'

# (sway on pixman imports no dmabuf: the viewer's shm copy, counted, which
# keeps every pixel; e2e-host.sh checks the dmabuf path on weston.)
kill -TERM "$viewer_pid"
wait "$viewer_pid" || fail "viewer: $(tail -n 5 "$OUT/viewer.log")"

sync_point host-done
wait "$guest" || fail "guest half failed: $(tail -n 15 "$OUT/l2.log" "$OUT/l2-qemu.log" 2>&1)"
stop_backend
kill -TERM "$SWAY_PID"
wait "$SWAY_PID"
pass "hidpi: $(cat "$shots/scale2.check"); $(cat "$shots/scale1.5.check");" \
	"$(cat "$OUT/viewer.stats")"
