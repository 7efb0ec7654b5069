#!/bin/sh
# Suite security, in L2 (the guest); see extents-host.sh.
. "${0%/*}/../vm/lib.sh"

insmod "$BUILD/kmod/virtio_vdmabuf.ko" || fail "insmod"
[ -e /dev/udmabuf ] || modprobe udmabuf || fail "no udmabuf in the guest"
echo 512 >/sys/module/udmabuf/parameters/size_limit_mb
"$BUILD/tests/security/fragmented" 256 >"$OUT/fragmented.log" 2>&1 ||
	fail "fragmented: $(cat "$OUT/fragmented.log")"
grep -q 'max_extents 65018; export of 256 MiB: Argument list too long' "$OUT/fragmented.log" ||
	fail "$(cat "$OUT/fragmented.log")"
dmesg | grep -E 'WARNING|BUG' && fail "the driver warned"
"$BUILD/tests/transport/producer" --frames 10 --any-release >"$OUT/producer.log" 2>&1 ||
	fail "no export after the refusal: $(cat "$OUT/producer.log")"
pass "extents guest: $(cat "$OUT/fragmented.log"); 10 frames after it"
