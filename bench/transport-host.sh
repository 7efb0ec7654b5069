#!/bin/sh
# bench/transport, in L1. See bench/transport.
. "$(dirname "$0")/../tests/vm/lib.sh"

modprobe vhost_vsock || fail "no vhost_vsock in L1"
echo 65536 >/sys/module/udmabuf/parameters/list_limit
start_backend
"$BUILD/tests/transport/consumer" --bench --frames 90 --timeout 2000 \
	>"$OUT/consumer.log" 2>&1 &
consumer=$!
"$BUILD/bench/copy-baseline" receive --size 1920x1080 --frames 60 --port 5000 \
	>"$OUT/copy-1080p.log" 2>&1 &
copy_1080p=$!
"$BUILD/bench/copy-baseline" receive --size 3840x2160 --frames 30 --port 5001 \
	>"$OUT/copy-4k.log" 2>&1 &
copy_4k=$!
tools/vm guest --vdmabuf "$BACKEND_SOCK" --vsock 3 --timeout 2000 --mem 2048 \
	--out "$OUT" bench/transport-guest.sh || fail "guest half failed"
wait "$consumer" || fail "consumer: $(cat "$OUT/consumer.log")"
wait "$copy_1080p" "$copy_4k" || fail "copy baseline receivers failed"
stop_backend

{
	echo "| method | resolution | frames | present->release median ms | p99 ms | export ms | first frame ms | bytes copied/frame |"
	echo "|---|---|---|---|---|---|---|---|"
	grep -h '^bench: method=' "$OUT/l2.log" | while read -r line; do
		v() { printf '%s\n' "$line" | sed -n "s/.* $1=\\([^ ]*\\).*/\\1/p"; }
		echo "| $(v method) | $(v size) | $(v frames) | $(v rtt_ms_median) | $(v rtt_ms_p99) | $(v export_ms_median) | $(v first_frame_ms) | $(v bytes_copied_per_frame) |"
	done
	echo
	echo "host import (BUFFER to mapped dmabuf): $(grep -h '^bench: imports' "$OUT/consumer.log")"
	for size in 1920x1080 3840x2160; do
		vd=$(grep -h "method=vdmabuf size=$size" "$OUT/l2.log" | sed -n 's/.*rtt_ms_median=\([^ ]*\).*/\1/p')
		cp=$(grep -h "method=copy-vsock size=$size" "$OUT/l2.log" | sed -n 's/.*rtt_ms_median=\([^ ]*\).*/\1/p')
		[ -n "$vd" ] && [ -n "$cp" ] &&
			echo "$size: copy baseline / vdmabuf round trip = $(awk "BEGIN { printf \"%.1f\", $cp / $vd }")x"
	done
	echo
	echo "Reproduce: bench/transport (L1 TCG + L2 KVM, $(nproc) vCPUs in L1; absolute times are not real hardware's)"
} >"$OUT/results.md"
pass "bench written to $OUT/results.md"
