#!/bin/sh
# Suite input, in L2 (the guest); see input-host.sh. vdmabuf-compositor
# keeps its 640x360 output whatever the host's window (--fixed), and runs
# input-client, which logs every input event it receives and sets a
# cursor of its own; later a second one, which locks the pointer.
. "${0%/*}/../vm/lib.sh"

insmod "$BUILD/kmod/virtio_vdmabuf.ko" || fail "insmod"
start_guest_compositor 120 "$BUILD/guest-compositor-plugin/vdmabuf-compositor" --mode 640x360@60 --fixed \
	--stats "$OUT/compositor.stats" \
	-s "$BUILD/tests/input/input-client --cursor >$OUT/client.log"
sync_point guest-running

# The clipboard, through the compositor's wlr-data-control, as guest tools
# use it: the host's text (and primary selection, and image) pasted here,
# then ours copied for the host. A paste waits for the host's offer.
export WAYLAND_DISPLAY=wayland-0
paste_until() {	# FILE EXPECTED WL-PASTE-ARGS...
	out=$1 expected=$2
	shift 2
	i=0
	until timeout 20 wl-paste "$@" >"$out" 2>>"$OUT/guest-wl-paste.log" &&
		cmp -s "$out" "$expected"; do
		i=$((i + 1))
		[ $i -lt 100 ] || break
		sleep 0.2
	done
}
wait_for host-copied-text 600
paste_until "$OUT/guest-paste.txt" "$OUT/host-text" -n
paste_until "$OUT/guest-paste-primary.txt" "$OUT/host-primary" -n -p
sync_point guest-pasted-text
wait_for host-copied-image 600
paste_until "$OUT/guest-paste.png" "$OUT/host.png" -t image/png
wl-paste -l >"$OUT/guest-paste-types" 2>&1
sync_point guest-pasted-image
wait_for host-pressed-copy-text 600
wl-copy <"$OUT/guest-text" 2>>"$OUT/guest-wl-copy.log" || fail "wl-copy"
sync_point guest-copied-text
wait_for host-pressed-copy-image 600
wl-copy -t image/png <"$OUT/guest.png" 2>>"$OUT/guest-wl-copy.log" || fail "wl-copy image"
sync_point guest-copied-image
# One byte over the cap.
head -c $((16 * 1024 * 1024 + 1)) /dev/zero | tr '\0' x >/tmp/over-cap.txt
wait_for host-pressed-copy-over-cap 600
wl-copy </tmp/over-cap.txt 2>>"$OUT/guest-wl-copy.log" || fail "wl-copy over the cap"
sync_point guest-copied-over-cap
unset WAYLAND_DISPLAY

wait_for lock-phase 600
# The newest toplevel takes the output and the focus.
WAYLAND_DISPLAY=wayland-0 "$BUILD/tests/input/input-client" --lock >"$OUT/client-lock.log" 2>&1 &
# Drawn before the host's pointer moves over it: a motion that comes first
# goes to the client below, and the new one would hear no enter.
wait_drawn "$OUT/client-lock.log"
sync_point lock-client-running
wait_for host-done 600
# Bad input from the host never brought the guest down.
kill -0 "$COMPOSITOR_PID" || fail "the compositor died: $(tail -n 5 "$OUT/compositor.log")"
kill -TERM "$COMPOSITOR_PID"
wait "$COMPOSITOR_PID" || fail "compositor exit: $(tail -n 5 "$OUT/compositor.log")"
pass "input guest: $(cat "$OUT/compositor.stats")"
