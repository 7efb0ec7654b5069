#!/bin/sh
# bench/transport, in L2. See bench/transport.
. "$(dirname "$0")/../tests/vm/lib.sh"

insmod "$BUILD/kmod/virtio_vdmabuf.ko" || fail "insmod"
modprobe vmw_vsock_virtio_transport || fail "no vsock in the guest"
P=$BUILD/tests/transport/producer
$P --wait-consumer --bench --size 1920x1080 --frames 60 --alloc heap || fail "vdmabuf 1080p"
$P --wait-consumer --bench --size 3840x2160 --frames 30 --alloc heap || fail "vdmabuf 4K"
"$BUILD/bench/copy-baseline" send --size 1920x1080 --frames 60 --port 5000 || fail "copy 1080p"
"$BUILD/bench/copy-baseline" send --size 3840x2160 --frames 30 --port 5001 || fail "copy 4K"
