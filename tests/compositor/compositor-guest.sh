#!/bin/sh
# Suite compositor, in L2 (the guest); see compositor-host.sh.
. "${0%/*}/../vm/lib.sh"

compositor=$BUILD/guest-compositor-plugin/vdmabuf-compositor
client=$BUILD/tests/compositor/pattern-client
insmod "$BUILD/kmod/virtio_vdmabuf.ko" || fail "insmod"
[ -e /dev/udmabuf ] || modprobe udmabuf || fail "no udmabuf in the guest"
export XDG_RUNTIME_DIR=/run/xdg
mkdir -p -m 700 "$XDG_RUNTIME_DIR"

# $1 names this compositor's logs.
start_compositor() {
	"$compositor" --mode 640x480@60 --stats "$OUT/compositor-$1.stats" \
		-s "$client --log $OUT/client-$1.log" >"$OUT/compositor-$1.log" 2>&1 &
	compositor_pid=$!
	wait_wayland "$compositor_pid" wayland-0 "$OUT/compositor-$1.log"
}

wait_for checker-ready 300
start_compositor first
wait_for pixels-done 600
grep -q 'configure 640x480' "$OUT/client-first.log" || fail "no first configure"
grep -q 'configure 800x600' "$OUT/client-first.log" ||
	fail "the mode hint did not reach the client: $(cat "$OUT/client-first.log")"
wait_for pause-done 600

kill -9 "$compositor_pid"
wait "$compositor_pid"
sync_point compositor-killed
wait_for next-checker-ready 300
start_compositor next
wait_for next-done 600
kill -TERM "$compositor_pid"
wait "$compositor_pid" || fail "compositor exit: $(tail -n 5 "$OUT/compositor-next.log")"
grep -q 'frames=[1-9]' "$OUT/compositor-next.stats" ||
	fail "no frames in the statistics: $(cat "$OUT/compositor-next.stats")"
pass "compositor guest: $(cat "$OUT/compositor-next.stats")"
