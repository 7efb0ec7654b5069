#!/bin/sh
# Suite compositor, in L1 (the host): vdmabuf-compositor runs in the L2
# guest with pattern-client in kiosk mode; frame-checker here imports each
# frame, checks its pixels and holds or releases it; last, the guest
# renders with GLES2 (Mesa's llvmpipe on its virtio-gpu) into GBM buffers.
# The guest's half is compositor-guest.sh; the two meet at sync points in
# OUT/sync.
. "${0%/*}/../vm/lib.sh"

checker=$BUILD/tests/compositor/frame-checker
rm -rf "$OUT/sync" "$OUT"/checker-*.log
echo 65536 >/sys/module/udmabuf/parameters/list_limit

# Prints the checker's count of frames checked so far (its last summary).
checked() { sed -n 's/^checker: \([0-9]*\) frames checked.*/\1/p' "$1" | tail -n1; }

start_backend
run_guest --gpu tests/compositor/compositor-guest.sh >"$OUT/l2-qemu.log" 2>&1 &
guest=$!

# Known frames, every pixel checked; halfway the host asks for 800x600
# and the client must get it as a configure and draw at that size.
"$checker" --frames 120 --mode-hint 800x600 --mode-hint-after 40 --timeout 400 \
	--log "$OUT/checker-pixels.log" >/dev/null 2>&1 &
pixels=$!
sync_point checker-ready
wait "$pixels" || fail "pixels: $(tail -n 5 "$OUT/checker-pixels.log")"
grep -q 'size 800x600' "$OUT/checker-pixels.log" || fail "no 800x600 frame after the mode hint"
grep -q 'client size 800x600' "$OUT/checker-pixels.log" ||
	fail "the client never drew at 800x600"
sync_point pixels-done

# Paused consumer: the compositor stops (at most the frame on screen and
# one more are held) instead of drawing into held buffers, then resumes.
"$checker" --timeout 400 --log "$OUT/checker-pause.log" >/dev/null 2>&1 &
pause=$!
sleep 3
kill -USR1 "$pause"
sleep 4
kill -USR2 "$pause"
sleep 3
kill -TERM "$pause"
wait "$pause" || fail "pause: $(tail -n 5 "$OUT/checker-pause.log")"
while_paused=$(sed -n 's/.*frames while paused: \([0-9]*\).*/\1/p' "$OUT/checker-pause.log")
[ -n "$while_paused" ] && [ "$while_paused" -le 3 ] ||
	fail "the compositor went on while the consumer held its frames: $while_paused frames"
total=$(checked "$OUT/checker-pause.log")
[ "${total:-0}" -ge $((while_paused + 10)) ] || fail "no frames after resuming: $total in all"
sync_point pause-done

# kill -9 of the compositor: its buffers leave the host; a new one works.
"$checker" --timeout 400 --log "$OUT/checker-kill.log" >/dev/null 2>&1 &
orphan=$!
wait_for compositor-killed 300 "$guest"
wait_no_buffers "compositor killed"
kill -TERM "$orphan"
wait "$orphan" || fail "checker across the kill: $(tail -n 5 "$OUT/checker-kill.log")"
"$checker" --frames 30 --timeout 300 --log "$OUT/checker-next.log" >/dev/null 2>&1 &
next=$!
sync_point next-checker-ready
wait "$next" || fail "after the kill: $(tail -n 5 "$OUT/checker-next.log")"
sync_point next-done

# GLES2 and GBM: known frames, every pixel checked, and a mode hint the
# client must draw at (new GBM buffers). The guest's llvmpipe takes a
# minute or two to start and then draws a frame in a second or so. The
# checker starts once the last compositor is gone: its frames are not
# this one's.
wait_for next-stopped 300 "$guest"
"$checker" --frames 60 --mode-hint 400x300 --mode-hint-after 20 --timeout 900 \
	--log "$OUT/checker-gles2.log" >/dev/null 2>&1 &
gles2=$!
sync_point gles2-checker-ready
wait "$gles2" || fail "gles2: $(tail -n 5 "$OUT/checker-gles2.log")"
grep -q 'client size 400x300' "$OUT/checker-gles2.log" ||
	fail "gles2: the client never drew at 400x300"
sync_point gles2-done

# Direct scan-out of a client's dmabufs with explicit sync: each frame is
# committed grey, drawn only later; a frame shown before its acquire
# point signalled would be grey here: bad pixels. First a checker that
# imports only ABGR8888 (spec §18): the client's XRGB8888 buffers must be
# composited; then one that imports XRGB8888: scanned out as they are.
wait_for gles2-stopped 300 "$guest"
"$checker" --formats AB24:0 --frames 20 --timeout 900 \
	--log "$OUT/checker-scanout-refused.log" >/dev/null 2>&1 &
refused=$!
sync_point scanout-checker-ready
wait "$refused" || fail "scanout refused: $(tail -n 5 "$OUT/checker-scanout-refused.log")"
"$checker" --formats XR24:0,AR24:0 --frames 60 --timeout 900 \
	--log "$OUT/checker-scanout.log" >/dev/null 2>&1 &
scanout=$!
wait "$scanout" || fail "scanout: $(tail -n 5 "$OUT/checker-scanout.log")"
sync_point scanout-done
# The client draws at half the output's size: a window, composited.
wait_for windowed 300 "$guest"
"$checker" --frames 20 --timeout 600 --log "$OUT/checker-windowed.log" >/dev/null 2>&1 &
windowed=$!
wait "$windowed" || fail "windowed: $(tail -n 5 "$OUT/checker-windowed.log")"
# The last frame: the output's size, and the client's at half of it.
set -- $(sed -n 's/.*size \([0-9]*\)x\([0-9]*\), client \([0-9]*\)x\([0-9]*\).*/\1 \2 \3 \4/p' \
	"$OUT/checker-windowed.log" | tail -n 1)
[ $# = 4 ] && [ $(($3 * 2)) = "$1" ] && [ $(($4 * 2)) = "$2" ] ||
	fail "windowed: not the client's window: $(tail -n 1 "$OUT/checker-windowed.log")"
sync_point windowed-done

wait "$guest" || fail "guest half failed: $(tail -n 15 "$OUT/l2.log" "$OUT/l2-qemu.log" 2>&1)"
stop_backend
pass "compositor: $(checked "$OUT/checker-pixels.log") + $(checked "$OUT/checker-next.log") frames checked, $while_paused while paused of $total; gles2 $(checked "$OUT/checker-gles2.log"); scanout $(checked "$OUT/checker-scanout-refused.log") composited + $(checked "$OUT/checker-scanout.log") + $(checked "$OUT/checker-windowed.log") windowed"
