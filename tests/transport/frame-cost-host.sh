#!/bin/sh
# Suite transport, in L1 (the host): what a steady-state frame costs, from
# the device's own counters (spec §19). The same producer in L2 presents
# 200 frames between two samples, first with the driver speaking version 2
# (sized PRESENT without reply, event index), then version 1 (protocol=1)
# against the same device; and a PRESENT the device refuses comes back
# to the guest as a discarded frame. The guest's half is
# frame-cost-guest.sh.
. "${0%/*}/../vm/lib.sh"

consumer=$BUILD/tests/transport/consumer
FRAMES=200
rm -rf "$OUT/sync"
start_backend
run_guest tests/transport/frame-cost-guest.sh >"$OUT/l2-qemu.log" 2>&1 &
guest=$!

# One `vdmabuf list`: the three counters of one instant. Each list is a
# consumer coming and going: one CONSUMERS event inside the window at
# each end, two events the frames do not owe.
counters() {
	"$vdmabuf" list --socket "$CONSUMER_SOCK" |
		sed -n 's/.*guest_bytes=\([0-9]*\).*notifications=\([0-9]*\) interrupts=\([0-9]*\).*/\1 \2 \3/p'
}

# measure VERSION: the consumer checks every frame; the counters are read
# once the warm-up frames are released and once all are.
measure() {
	wait_for "$1-ready" 600 "$guest"
	"$consumer" --frames 260 --timeout 600 >"$OUT/consumer-$1.log" 2>&1 &
	c=$!
	wait_for "$1/warm-done" 600 "$guest"
	set -- "$1" $(counters)
	[ $# = 4 ] || fail "no counters in vdmabuf list"
	sync_point "$1/warm-sampled"
	wait_for "$1/frames-done" 600 "$guest"
	set -- "$@" $(counters)
	[ $# = 7 ] || fail "no counters in vdmabuf list"
	sync_point "$1/frames-sampled"
	wait "$c" || fail "consumer, $1: $(tail -n 3 "$OUT/consumer-$1.log")"
	bytes=$(($5 - $2)) kicks=$(($6 - $3)) irqs=$(($7 - $4))
	printf '%s %s: %d frames, per frame %s bytes, %s kicks, %s interrupts\n' "$ENGINE" "$1" \
		$FRAMES "$(echo "$bytes $FRAMES" | awk '{printf "%.2f", $1 / $2}')" \
		"$(echo "$kicks $FRAMES" | awk '{printf "%.3f", $1 / $2}')" \
		"$(echo "$irqs $FRAMES" | awk '{printf "%.3f", $1 / $2}')" | tee -a "$OUT/cost.txt"
}

measure v2
# Sized: 48 bytes and 16 per rectangle, 128 with 5; nothing else crossed.
[ "$bytes" = $((128 * FRAMES)) ] || fail "v2: $bytes bytes for $FRAMES frames of 128"
# At most one kick (the PRESENT) and one interrupt (its RELEASE) a frame,
# but for the two events of our sampling: no reply, no kick for the event
# buffers given back (event index).
[ "$kicks" -le $((FRAMES + 2)) ] || fail "v2: $kicks kicks for $FRAMES frames"
[ "$irqs" -le $((FRAMES + 2)) ] || fail "v2: $irqs interrupts for $FRAMES frames"
v2_kicks=$kicks v2_irqs=$irqs

# The device refuses a PRESENT the driver took: this consumer holds frame
# 1 (not superseded: no deadline drops it) until the guest saw frame 2
# discarded; then it goes, and frame 1 comes back.
wait_for twice-ready 600 "$guest"
"$consumer" --frames 1 --stall-after 1 --timeout 600 >"$OUT/consumer-twice.log" 2>&1 &
c=$!
wait_line "$OUT/consumer-twice.log" 'stalled after 1 frames' 300 "$c"
sync_point held
wait_for held.discarded 300 "$guest"
kill -9 "$c"
wait "$c"

measure v1
# Version 1: the whole 304-byte PRESENT, and its reply's interrupt.
[ "$bytes" = $((304 * FRAMES)) ] || fail "v1: $bytes bytes for $FRAMES frames of 304"
[ "$irqs" -gt "$v2_irqs" ] || fail "v1: $irqs interrupts, no more than version 2's $v2_irqs"

wait "$guest" || fail "guest half failed: $(tail -n 15 "$OUT/l2.log" "$OUT/l2-qemu.log" 2>&1)"
wait_no_buffers "the guest finished"
stop_backend
pass "frame cost: $(tr '\n' ';' <"$OUT/cost.txt")"
