#!/bin/sh
# Suite e2e, in L2 (the guest); see outputs-host.sh. The compositor starts
# with two outputs of its own, 0 at 400x300 with pattern-client (frames
# from 0) and 1 at 320x240, where a second pattern-client (frames from
# 100000) opens; the viewer shows each in a window. The host closes output
# 1's window: the client moves to output 0; the host opens one again (the
# host adds output 1): it goes back to output 1.
. "${0%/*}/../vm/lib.sh"

client=$BUILD/tests/compositor/pattern-client
insmod "$BUILD/kmod/virtio_vdmabuf.ko" || fail "insmod"
start_guest_compositor 600 "$BUILD/guest-compositor-plugin/vdmabuf-compositor" \
	--mode 400x300@60 --mode 320x240@60 -s "$client --log $OUT/client-a.log"
sync_point guest-running

# Client a has output 0; a client started now opens on output 1.
wait_line "$OUT/client-a.log" "^configure 400x300" 600 "$COMPOSITOR_PID"
WAYLAND_DISPLAY=wayland-0 "$client" --first 100000 --log "$OUT/client-b.log" \
	>"$OUT/client-b.out" 2>&1 &
client_b=$!
wait_line "$OUT/client-b.log" "^configure 320x240" 120 "$client_b"
sync_point guest-second-client

wait_for host-done 1500
kill -0 "$COMPOSITOR_PID" || fail "the compositor died: $(tail -n 5 "$OUT/compositor.log")"
kill -0 "$client_b" || fail "the second client died: $(tail -n 5 "$OUT/client-b.out")"
kill -TERM "$COMPOSITOR_PID"
wait "$COMPOSITOR_PID" || fail "compositor exit: $(tail -n 5 "$OUT/compositor.log")"
expect_log "$OUT/compositor.log" 'opens on VDMABUF-1'
expect_log "$OUT/compositor.log" 'host added VDMABUF-1'
expect_log "$OUT/compositor.log" 'host closed VDMABUF-1'
expect_log "$OUT/compositor.log" 'output VDMABUF-1 gone: 1 toplevels moved to VDMABUF-0'
expect_log "$OUT/compositor.log" 'toplevel back on VDMABUF-1'
# Client b: output 1's size, output 0's while it was there, then 1's again.
sizes=$(sed -n 's/^configure \([0-9]*x[0-9]*\).*/\1/p' "$OUT/client-b.log" | uniq | tr '\n' ' ')
case "$sizes" in
*320x240\ 400x300\ 320x240*) ;;
*) fail "client b was not moved to output 0 and back: its sizes $sizes" ;;
esac
grep -q 'configure 400x300' "$OUT/client-a.log" || fail "client a never got output 0's 400x300"
! grep -q 'configure 320x240' "$OUT/client-a.log" || fail "client a was shown on output 1"
pass "outputs guest: client b's sizes $sizes"
