#!/bin/sh
# Suite compositor, in L2 (the guest); see outputs-host.sh.
. "${0%/*}/../vm/lib.sh"

compositor=$BUILD/guest-compositor-plugin/vdmabuf-compositor
client=$BUILD/tests/compositor/pattern-client
sys=/sys/class/misc/vdmabuf
insmod "$BUILD/kmod/virtio_vdmabuf.ko" || fail "insmod"
[ -e /dev/udmabuf ] || modprobe udmabuf || fail "no udmabuf in the guest"

"$BUILD/tests/compositor/output-ioctl" --timeout 300 >"$OUT/output-ioctl.log" 2>&1 ||
	fail "output-ioctl: $(grep -h FAIL "$OUT/output-ioctl.log" | head -n 5)"
wait_for ioctl-done 300
[ "$(cat "$sys/buffers")" = 0 ] || fail "output-ioctl's buffer outlived it"

export XDG_RUNTIME_DIR=/run/xdg
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
"$compositor" --mode 320x240@60 --stats "$OUT/compositor-outputs.stats" \
	-s "$client --log $OUT/client-a.log" >"$OUT/compositor-outputs.log" 2>&1 &
cpid=$!
wait_wayland "$cpid" wayland-0 "$OUT/compositor-outputs.log" 120
expect_log "$OUT/compositor-outputs.log" 'outputs by id, each a window on the host'

# Client B opens on the output the host just added, the one showing nothing.
wait_for start-client-b 600
WAYLAND_DISPLAY=wayland-0 "$client" --first 1000000 --log "$OUT/client-b.log" \
	>/dev/null 2>&1 &
bpid=$!

# What the compositor and the driver hold, once nothing is retiring.
sample() {
	i=0
	while [ "$(cat "$sys/retiring")" != 0 ] && [ $i -lt 100 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	echo "fds=$(ls "/proc/$cpid/fd" | wc -l) buffers=$(cat "$sys/buffers")" \
		"retiring=$(cat "$sys/retiring") dmabufs=$(dmabufs) outputs=$(cat "$sys/outputs")"
}
field() { printf '%s\n' "$2" | sed -n "s/.*$1=\\([0-9a-fx]*\\).*/\\1/p"; }

wait_for baseline 900
before=$(sample)
ls -l "/proc/$cpid/fd" >"$OUT/compositor-fds-before.txt"
sync_point baseline-done
wait_for end 2400
after=$(sample)
ls -l "/proc/$cpid/fd" >"$OUT/compositor-fds-after.txt"
sync_point end-done
echo "compositor and driver before: $before; after: $after" >"$OUT/guest-numbers.txt"

# The daemon is killed and started again: the device resets.
wait_for reset-checked 600
expect_log "$OUT/compositor-outputs.log" 'device reset; sharing buffers again'

kill -0 "$bpid" 2>/dev/null || fail "client B died: $(tail -n 3 "$OUT/client-b.log")"
kill -TERM "$bpid"
kill -TERM "$cpid"
wait "$cpid" || fail "compositor exit: $(tail -n 5 "$OUT/compositor-outputs.log")"

# Nothing leaked: no more fds or dmabufs beyond one per exported buffer
# (a transient one, a client's pool being passed, may have closed), and
# nothing left retiring; only output 0 announced.
for n in before after; do
	eval "s=\$$n"
	[ "$(field retiring "$s")" = 0 ] || fail "buffers still retiring $n: $s"
	[ "$(field outputs "$s")" = 0x1 ] || fail "outputs $n: $s"
done
[ $(($(field fds "$after") - $(field buffers "$after"))) -le \
  $(($(field fds "$before") - $(field buffers "$before"))) ] ||
	fail "compositor fds leaked: before $before, after $after"
[ $(($(field dmabufs "$after") - $(field buffers "$after"))) -le \
  $(($(field dmabufs "$before") - $(field buffers "$before"))) ] ||
	fail "dmabufs leaked: before $before, after $after"
[ "$(field buffers "$after")" -le 4 ] || fail "more buffers than one swapchain: $after"

# The compositor moved B away and back each time.
log=$OUT/compositor-outputs.log
moved=$(grep -c 'output VDMABUF-1 gone: 1 toplevels moved to VDMABUF-0' "$log")
back=$(grep -c 'toplevel back on VDMABUF-1' "$log")
[ "$moved" -ge 50 ] && [ "$back" -ge 50 ] ||
	fail "client B moved away $moved times and back $back times"
expect_log "$log" 'opens on VDMABUF-1'
pass "outputs guest: before $before; after $after; B moved away $moved times, back $back"
