#!/bin/sh
# bench/input, in L2 (the guest): vdmabuf-compositor with input-client
# --echo, which answers each button press with a new cursor image and
# logs when the press came (see bench/input-host.sh).
. "$(dirname "$0")/../tests/vm/lib.sh"

insmod "$BUILD/kmod/virtio_vdmabuf.ko" || fail "insmod"
export XDG_RUNTIME_DIR=/run/xdg
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
"$BUILD/guest-compositor-plugin/vdmabuf-compositor" --mode 1280x720@60 --fixed \
	-s "$BUILD/tests/input/input-client --echo >$OUT/client.log" \
	>"$OUT/compositor.log" 2>&1 &
compositor=$!
wait_wayland "$compositor" wayland-0 "$OUT/compositor.log"
# The client's surface under the whole output before the host's pointer
# comes: a pointer that arrives first gets the compositor's cursor.
wait_drawn "$OUT/client.log"
sync_point guest-running
wait_for host-done 3600
kill -TERM "$compositor"
wait "$compositor" || fail "compositor exit: $(tail -n 5 "$OUT/compositor.log")"
pass "input bench guest"
