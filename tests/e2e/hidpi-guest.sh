#!/bin/sh
# Suite e2e, in L2 (the guest); see hidpi-host.sh. The compositor starts
# at 400x300, scale 1; the host's mode hints bring it to 640x480 at scale
# 2, then 480x360 at 1.5, and pattern-client draws at each in device pixels.
. "${0%/*}/../vm/lib.sh"

insmod "$BUILD/kmod/virtio_vdmabuf.ko" || fail "insmod"
start_guest_compositor 600 "$BUILD/guest-compositor-plugin/vdmabuf-compositor" --mode 400x300@60 \
	-s "$BUILD/tests/compositor/pattern-client --hidpi --log $OUT/client.log"
sync_point guest-running
wait_for host-done 1200
kill -0 "$COMPOSITOR_PID" || fail "the compositor died: $(tail -n 5 "$OUT/compositor.log")"
kill -TERM "$COMPOSITOR_PID"
wait "$COMPOSITOR_PID" || fail "compositor exit: $(tail -n 5 "$OUT/compositor.log")"
# The host's scale and device-pixel modes, as the guest compositor took them.
expect_log "$OUT/compositor.log" 'host asks for 640x480@[0-9.]* scale 240/120'
expect_log "$OUT/compositor.log" 'host asks for 480x360@[0-9.]* scale 180/120'
# Its output stayed 320x240 logical: the client was never resized.
grep -q 'configure 320x240' "$OUT/client.log" || fail "the client never got 320x240"
! grep -q 'configure \(640x480\|480x360\)' "$OUT/client.log" ||
	fail "the guest's output was not scaled: $(grep configure "$OUT/client.log" | tr '\n' ' ')"
expect_log "$OUT/client.log" 'scale 240/120'
expect_log "$OUT/client.log" 'scale 180/120'
pass "hidpi guest: $(grep 'host asks for' "$OUT/compositor.log" | sed 's/.*host asks for //' |
	tr '\n' ' ')"
