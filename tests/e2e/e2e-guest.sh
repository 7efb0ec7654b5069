#!/bin/sh
# Suite e2e, in L2 (the guest); see e2e-host.sh. The compositor starts at
# another size than the host's window: the viewer's mode hint brings it to
# the window's.
. "${0%/*}/../vm/lib.sh"

insmod "$BUILD/kmod/virtio_vdmabuf.ko" || fail "insmod"
export XDG_RUNTIME_DIR=/run/xdg
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
"$BUILD/guest-compositor-plugin/vdmabuf-compositor" --mode 400x300@60 \
	--stats "$OUT/compositor.stats" \
	-s "$BUILD/tests/compositor/pattern-client --log $OUT/client.log" \
	>"$OUT/compositor.log" 2>&1 &
compositor=$!
wait_wayland "$compositor" wayland-0 "$OUT/compositor.log"
sync_point guest-running
wait_for host-done 900
# The guest ran through every viewer's coming and going.
kill -0 "$compositor" || fail "the compositor died: $(tail -n 5 "$OUT/compositor.log")"
kill -TERM "$compositor"
wait "$compositor" || fail "compositor exit: $(tail -n 5 "$OUT/compositor.log")"
grep -q 'configure 320x240' "$OUT/client.log" || fail "the host's window size never reached the client"
pass "e2e guest: $(cat "$OUT/compositor.stats")"
