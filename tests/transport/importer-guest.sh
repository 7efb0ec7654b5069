#!/bin/sh
# Suite transport, in L2 (the guest); see importer-host.sh.
. "${0%/*}/../vm/lib.sh"

insmod "$BUILD/kmod/virtio_vdmabuf.ko" || fail "insmod"
modprobe vgem || fail "no vgem in the guest"
insmod "$BUILD/tests/kmod/vdmabuf_mmio_exporter.ko" || fail "insmod vdmabuf_mmio_exporter"
mount -t debugfs none /sys/kernel/debug 2>/dev/null
before=$(dmabufs)

"$BUILD/tests/transport/importer" || fail "importer"
# The frame that waited at close, and every buffer, let go of their dmabufs.
dmabufs_back "after the importer test"
dmesg | grep -q 'buffer of 4096 bytes is not in guest RAM: not shared' ||
	fail "no log line for the refused buffer: $(dmesg | tail -n 5)"
dmesg | grep -q 'frame 3 of .* discarded: its rendering did not finish in time' ||
	fail "no log line for the discarded frame: $(dmesg | tail -n 5)"
pass "importer guest: every dmabuf let go"
