#!/bin/sh
# Suite transport, in L2 (the guest); see kernel-lifecycle-host.sh. A
# producer shares three buffers, the host's consumer holds them, the
# producer is killed and the device reset by unloading the driver while
# the host's imports are live.
. "${0%/*}/../vm/lib.sh"

insmod "$BUILD/kmod/virtio_vdmabuf.ko" || fail "insmod"
"$BUILD/tests/transport/producer" --wait-consumer --size 256x256 --buffers 3 \
	--frames 1000000 >"$OUT/producer.log" 2>&1 &
pid=$!
wait_for consumer-holds 300
kill -9 $pid
wait $pid
# The device still owes RETIRED (the host holds the imports): the reset
# ends every id at once.
rmmod virtio_vdmabuf || fail "rmmod virtio_vdmabuf"
sync_point guest-reset
pass "kernel lifecycle guest: device reset with host imports live"
