#!/bin/sh
# Suite security, in L2 (the guest); see systemd-host.sh.
. "${0%/*}/../vm/lib.sh"

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
insmod "$BUILD/kmod/virtio_vdmabuf.ko" || fail "insmod"
[ -e /dev/udmabuf ] || modprobe udmabuf || fail "no udmabuf in the guest"
T=$BUILD/tests/transport
before=$(dmabufs)
run() {
	"$@" >>"$OUT/producer.log" 2>&1 || fail "$*: $(tail -n 3 "$OUT/producer.log")"
}
: >"$OUT/producer.log"
run "$T/producer" --wait-consumer --size 256x256 --frames 30
dmabufs_back "dmabufs leaked by the first producer"

producer_across_restart
run "$T/producer" --wait-consumer --size 256x256 --frames 30
dmabufs_back "dmabufs leaked at the end"
dmesg | grep -E 'BUG|WARNING|Oops' && fail "kernel complained"
pass "systemd guest: frames before and after the daemon's restart, RESET seen, nothing leaked"
