#!/bin/sh
# Suite e2e, in L1 (the host): one viewer shows a guest's two outputs of
# different sizes. sway (headless, pixman) is the host desktop with two
# outputs, HEADLESS-1 at 400x300 and HEADLESS-2 at 320x240. The guest
# compositor proposes two outputs, 0 at 400x300 and 1 at 320x240; the
# viewer opens a window for each and puts output 0's fullscreen on the
# first and output 1's on the second (--fullscreen-on), which asks the
# guest for those sizes again. The guest (outputs-guest.sh) runs a
# pattern-client on each: frames numbered from 0 on output 0, from 100000
# on output 1. Screenshots of each host output must hold a whole known
# frame of its size from its own client, pixel for pixel. sway's tree
# must show each window fullscreen on its output with the VM's name and
# the output in its title and app id. Closing output 1's window removes
# the guest's output 1 (its client moves to output 0); Shift+F11 in
# output 0's window opens output 1 again, back on HEADLESS-2. A viewer
# started again with --outputs 3 asks the guest for a third output.
. "${0%/*}/../vm/lib.sh"

viewer=$BUILD/host-viewer/vdmabuf-viewer
shots=$OUT/screenshots
rm -rf "$OUT/sync" "$shots" "$OUT"/viewer*
mkdir -p "$shots"
echo 65536 >/sys/module/udmabuf/parameters/list_limit

cat >"$OUT/sway.cfg" <<CFG
xwayland disable
output HEADLESS-1 resolution 400x300@60Hz position 0 0
output HEADLESS-2 resolution 320x240@60Hz position 400 0
default_border none
CFG
export WLR_HEADLESS_OUTPUTS=2
start_sway "$OUT/sway.cfg"
outputs=$(swaymsg -t get_outputs -r | python3 -c \
	'import json, sys; print(" ".join(sorted(o["name"] for o in json.load(sys.stdin))))')
[ "$outputs" = "HEADLESS-1 HEADLESS-2" ] || fail "sway's outputs: $outputs"

# A keyboard on the host's seat, as a desktop has one (host-key below
# brings its own).
wtype -s 600000 -s 600000 -s 600000 -k F24 &
keyboard=$!

start_backend
run_guest tests/e2e/outputs-guest.sh >"$OUT/l2-qemu.log" 2>&1 &
guest=$!
wait_for guest-running 600 "$guest"

"$viewer" --name two --fullscreen-on 0=HEADLESS-1 --fullscreen-on 1=HEADLESS-2 \
	--stats "$OUT/viewer.stats" >"$OUT/viewer.log" 2>&1 &
viewer_pid=$!

# $1: the phase; $2: the host output; $3x$4: its size; $5: "a" (frames
# below 100000, output 0's client) or "b" (output 1's). Takes screenshots
# of that output until one is a whole known frame of that size, 150 s at
# most (a check of a wrong one takes seconds under TCG).
screenshot_matches() {
	screenshot_known "$1" "${3}x$4" -o "$2" ||
		fail "$1: no screenshot of $2 held a whole known frame at ${3}x$4:" \
			"$(cat "$shots/$1.check"); viewer: $(tail -n 5 "$OUT/viewer.log")"
	frame=$(sed -n 's/.*: frame \([0-9]*\) drawn.*/\1/p' "$shots/$1.check")
	if [ "$5" = a ]; then
		[ "$frame" -lt 100000 ] ||
			fail "$1: $2 shows output 1's client: $(cat "$shots/$1.check")"
	else
		[ "$frame" -ge 100000 ] ||
			fail "$1: $2 shows output 0's client: $(cat "$shots/$1.check")"
	fi
}

# The viewer's windows as sway has them: "APP_ID OUTPUT FULLSCREEN TITLE".
windows() {
	swaymsg -t get_tree -r | python3 "${0%/*}/sway-windows.py" | grep '^vdmabuf-viewer'
}

# $1: the app id; $2: the output; $3: the title. Waits 60 s for the window
# to be fullscreen there.
window_on() {
	i=0
	until windows | grep -qx "$1 $2 1 $3"; do
		i=$((i + 1))
		[ $i -lt 600 ] || fail "no window $1 fullscreen on $2 titled '$3': $(windows)"
		sleep 0.1
	done
}

# wait_count FILE PATTERN N: until N lines of FILE match, 120 s at most.
wait_count() {
	i=0
	until [ "$(grep -c -- "$2" "$1")" -ge "$3" ]; do
		i=$((i + 1))
		[ $i -lt 1200 ] || fail "not $3 times '$2' in $1: $(tail -n 5 "$1")"
		kill -0 "$viewer_pid" || fail "the viewer died: $(tail -n 5 "$OUT/viewer.log")"
		sleep 0.1
	done
}

title0="vdmabuf: two — output 0"
title1="vdmabuf: two — output 1"
window_on vdmabuf-viewer.two.0 HEADLESS-1 "$title0"
window_on vdmabuf-viewer.two.1 HEADLESS-2 "$title1"
[ "$(windows | wc -l)" = 2 ] || fail "not two windows: $(windows)"
expect_log "$OUT/viewer.log" "output 1: the guest's is 320x240"
expect_log "$OUT/viewer.log" 'output 0: fullscreen on HEADLESS-1'
expect_log "$OUT/viewer.log" 'output 1: fullscreen on HEADLESS-2'

# Both outputs, each its own size and its own client's frames.
screenshot_matches one HEADLESS-1 400 300 a
wait_for guest-second-client 600 "$guest"
screenshot_matches two HEADLESS-2 320 240 b
expect_log "$OUT/viewer.log" 'output 0: window 400x300 at scale 1.000; asked the guest for 400x300'
expect_log "$OUT/viewer.log" 'output 1: window 320x240 at scale 1.000; asked the guest for 320x240'

# Closing output 1's window removes the guest's output 1.
swaymsg '[app_id="^vdmabuf-viewer\.two\.1$"] kill' >/dev/null || fail "swaymsg kill"
wait_count "$OUT/viewer.log" 'output 1: window closed; asked the guest to remove it' 1
wait_count "$OUT/viewer.log" 'output 1: gone from the guest' 1
i=0
while windows | grep -q '^vdmabuf-viewer\.two\.1 '; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "output 1's window is still there: $(windows)"
	sleep 0.1
done
kill -0 "$viewer_pid" || fail "the viewer ended with a window left: $(tail -n 5 "$OUT/viewer.log")"
screenshot_matches one-alone HEADLESS-1 400 300 a

# Shift+F11 in output 0's window opens output 1 again, on HEADLESS-2.
swaymsg '[app_id="^vdmabuf-viewer\.two\.0$"] focus' >/dev/null || fail "swaymsg focus"
"$BUILD/tests/e2e/host-key" 42 87 || fail "host-key shift+F11"
wait_count "$OUT/viewer.log" 'output 1: window opened' 2
window_on vdmabuf-viewer.two.1 HEADLESS-2 "$title1"
screenshot_matches two-again HEADLESS-2 320 240 b
screenshot_matches one-again HEADLESS-1 400 300 a

kill -TERM "$viewer_pid"
wait "$viewer_pid" || fail "viewer: $(tail -n 5 "$OUT/viewer.log")"

# A viewer started again with --outputs 3 shows the guest's two outputs
# and asks for a third: the guest adds output 2 and announces it.
"$viewer" --name two --outputs 3 --fullscreen-on 0=HEADLESS-1 --fullscreen-on 1=HEADLESS-2 \
	>"$OUT/viewer-3.log" 2>&1 &
viewer_pid=$!
wait_count "$OUT/viewer-3.log" "output 2: the guest's is " 1
window_on vdmabuf-viewer.two.0 HEADLESS-1 "$title0"
window_on vdmabuf-viewer.two.1 HEADLESS-2 "$title1"
i=0
until windows | grep -q '^vdmabuf-viewer\.two\.2 .* vdmabuf: two — output 2$'; do
	i=$((i + 1)); [ $i -lt 600 ] || fail "no window for output 2: $(windows)"
	sleep 0.1
done
kill -TERM "$viewer_pid"
wait "$viewer_pid" || fail "viewer --outputs 3: $(tail -n 5 "$OUT/viewer-3.log")"
kill "$keyboard" 2>/dev/null
sync_point host-done
wait "$guest" || fail "guest half failed: $(tail -n 15 "$OUT/l2.log" "$OUT/l2-qemu.log" 2>&1)"
stop_backend
kill -TERM "$SWAY_PID"
wait "$SWAY_PID"
pass "outputs: $(cat "$shots/one.check"); $(cat "$shots/two.check");" \
	"after close $(cat "$shots/one-alone.check"); reopened $(cat "$shots/two-again.check");" \
	"$(cat "$OUT/viewer.stats")"
