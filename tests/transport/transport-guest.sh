#!/bin/sh
# Suite transport, in L2 (the guest); see transport-host.sh.
. "${0%/*}/../vm/lib.sh"

T=$BUILD/tests/transport
insmod "$BUILD/kmod/virtio_vdmabuf.ko" || fail "insmod"
mount -t debugfs none /sys/kernel/debug 2>/dev/null
before=$(dmabufs)

run() {
	echo "+ $*"
	"$@" || fail "$*"
}

# What the host imports, as consumers report it (transport-host.sh).
formats_seen() { # list, expected: the guest's answer waits for the device's events
	i=0
	until "$vdmabuf" formats >"$OUT/formats-got.txt" && cmp -s "$OUT/formats-got.txt" "$OUT/$2.txt"; do
		i=$((i + 1))
		[ $i -lt 300 ] || fail "$1: the guest has $(head -n 4 "$OUT/formats-got.txt" | tr '\n' ' ')"
		sleep 0.1
	done
	sync_point "$1-seen"
}
sync_point formats-ready
for list in formats-a formats-b formats-b-gone formats-none; do
	wait_for "$list"
	formats_seen "$list" "$([ "$list" = formats-b-gone ] && echo formats-a || echo "$list")"
done

# Pixels both ways, at 1080p, from udmabuf and from the system heap.
run "$T/producer" --wait-consumer --size 1920x1080 --frames 30 --alloc udmabuf
run "$T/producer" --wait-consumer --size 1920x1080 --frames 30 --alloc heap
# 1000 present/release cycles; the producer checks its own fds, the host
# the daemon's.
sync_point cycles-start
wait_for host-measured
run "$T/producer" --wait-consumer --size 64x64 --frames 1000 --buffers 2
sync_point cycles-done
wait_for host-checked-cycles
dmabufs_back "dmabufs leaked over 1000 cycles"
run "$T/badinput"

# kill -9 of a producer with buffers exported and frames in flight.
"$T/producer" --size 256x256 --frames 1000000 --hold 600 >"$OUT/killed-producer.log" 2>&1 &
pid=$!
i=0
until grep -q exported "$OUT/killed-producer.log"; do
	i=$((i + 1)); [ $i -lt 300 ] || fail "producer never exported"; sleep 0.1
done
sleep 1
kill -9 $pid
wait $pid
sync_point producer-killed
wait_for host-checked-kill
dmabufs_back "killed producer's dmabufs still pinned"

# Driver unload and reload, then it works again.
run rmmod virtio_vdmabuf
run insmod "$BUILD/kmod/virtio_vdmabuf.ko"

# A consumer killed mid-stream: releases still come.
sync_point kill-consumer-next
wait_for consumer-ready
"$T/producer" --wait-consumer --size 256x256 --frames 200 --any-release >"$OUT/orphan-producer.log" 2>&1 &
pid=$!
sleep 3
sync_point consumer-stalled
wait_for consumer-killed
wait $pid || fail "producer after the consumer died: $(cat "$OUT/orphan-producer.log")"

# A consumer that stops releasing: dropped at its release deadline, the
# guest goes on to its last frame.
sync_point late-consumer-next
wait_for late-consumer-ready
"$T/producer" --wait-consumer --size 256x256 --frames 100 --any-release \
	>"$OUT/late-producer.log" 2>&1 ||
	fail "producer with a late consumer: $(cat "$OUT/late-producer.log")"
sync_point late-producer-done

# The host daemon killed with -9 and restarted under us: the device says
# RESET, the producer exports again and goes on; then pixels as before.
producer_across_restart
run "$T/producer" --wait-consumer --size 256x256 --frames 30

dmabufs_back "dmabufs leaked at the end"
pass "transport guest: all phases"
