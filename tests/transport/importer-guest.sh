#!/bin/sh
# Suite transport, in L2 (the guest); see importer-host.sh.
. "${0%/*}/../vm/lib.sh"

insmod "$BUILD/kmod/virtio_vdmabuf.ko" || fail "insmod"
modprobe vgem || fail "no vgem in the guest"
insmod "$BUILD/tests/kmod/vdmabuf_mmio_exporter.ko" || fail "insmod vdmabuf_mmio_exporter"
mount -t debugfs none /sys/kernel/debug 2>/dev/null
dmabufs() { grep -c '^[0-9]' /sys/kernel/debug/dma_buf/bufinfo 2>/dev/null || echo 0; }
before=$(dmabufs)

"$BUILD/tests/transport/importer" || fail "importer"
# The frame that waited at close, and every buffer, let go of their
# dmabufs once the host retired them.
i=0
while [ "$(dmabufs)" != "$before" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "$before dmabufs before, $(dmabufs) after: $(cat /sys/kernel/debug/dma_buf/bufinfo)"
	sleep 0.1
done
dmesg | grep -q 'buffer of 4096 bytes is not in guest RAM: not shared' ||
	fail "no log line for the refused buffer: $(dmesg | tail -n 5)"
dmesg | grep -q 'frame 3 of .* discarded: its rendering did not finish in time' ||
	fail "no log line for the discarded frame: $(dmesg | tail -n 5)"
pass "importer guest: every dmabuf let go"
