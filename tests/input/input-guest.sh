#!/bin/sh
# Suite input, in L2 (the guest); see input-host.sh. vdmabuf-compositor
# keeps its 640x360 output whatever the host's window (--fixed), and runs
# input-client, which logs every input event it receives and sets a
# cursor of its own; later a second one, which locks the pointer.
. "${0%/*}/../vm/lib.sh"

insmod "$BUILD/kmod/virtio_vdmabuf.ko" || fail "insmod"
export XDG_RUNTIME_DIR=/run/xdg
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
"$BUILD/guest-compositor-plugin/vdmabuf-compositor" --mode 640x360@60 --fixed \
	--stats "$OUT/compositor.stats" \
	-s "$BUILD/tests/input/input-client --cursor >$OUT/client.log" \
	>"$OUT/compositor.log" 2>&1 &
compositor=$!
wait_wayland "$compositor" wayland-0 "$OUT/compositor.log"
sync_point guest-running
wait_for lock-phase 600
# The newest toplevel takes the output and the focus.
WAYLAND_DISPLAY=wayland-0 "$BUILD/tests/input/input-client" --lock >"$OUT/client-lock.log" 2>&1 &
sync_point lock-client-running
wait_for host-done 600
# Bad input from the host never brought the guest down.
kill -0 "$compositor" || fail "the compositor died: $(tail -n 5 "$OUT/compositor.log")"
kill -TERM "$compositor"
wait "$compositor" || fail "compositor exit: $(tail -n 5 "$OUT/compositor.log")"
pass "input guest: $(cat "$OUT/compositor.stats")"
