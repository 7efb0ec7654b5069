#!/bin/sh
# Suite e2e, in L2 (the guest); see e2e-host.sh. The compositor starts at
# another size than the host's window: the viewer's mode hint brings it to
# the window's.
. "${0%/*}/../vm/lib.sh"

renderer=${1:-pixman}
insmod "$BUILD/kmod/virtio_vdmabuf.ko" || fail "insmod"
# GLES2 on llvmpipe (kms_swrast on the virtio-gpu) into GBM buffers, as
# suite compositor runs it; vgem first, to be skipped.
if [ "$renderer" = gles2 ]; then
	modprobe vgem && modprobe virtio_gpu || fail "no vgem or virtio_gpu in the guest"
	export WLR_RENDERER=gles2 WLR_RENDERER_ALLOW_SOFTWARE=1
fi
start_guest_compositor 600 "$BUILD/guest-compositor-plugin/vdmabuf-compositor" --mode 400x300@60 \
	--stats "$OUT/compositor.stats" --times "$OUT/compositor.times" \
	-s "$BUILD/tests/compositor/pattern-client --presentation --log $OUT/client.log"
sync_point guest-running
wait_for host-done 1500
# The last viewer went: the host states no formats (its list withdrawn).
i=0
until grep -q 'host states no formats' "$OUT/compositor.log"; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "no 'host states no formats' after the viewers went"
	sleep 0.1
done
# The guest ran through every viewer's coming and going.
kill -0 "$COMPOSITOR_PID" || fail "the compositor died: $(tail -n 5 "$OUT/compositor.log")"
kill -TERM "$COMPOSITOR_PID"
wait "$COMPOSITOR_PID" || fail "compositor exit: $(tail -n 5 "$OUT/compositor.log")"
grep -q 'configure 320x240' "$OUT/client.log" || fail "the host's window size never reached the client"
# The viewer's formats: weston's.
n=$(head -n 1 "$OUT/viewer-formats.txt")
expect_log "$OUT/compositor.log" "host imports $n format/modifier pairs"
if [ "$renderer" = gles2 ]; then
	expect_log "$OUT/compositor.log" 'Creating GLES2 renderer'
	expect_log "$OUT/compositor.log" 'exported .* GBM buffer)'
else
	expect_log "$OUT/compositor.log" 'exported .* page-backed buffer)'
fi
# The host's presentation times, weston's and (pixman) sway's, as the
# client was told them (presentation-check.py).
host_times=$(sed -n 's/.* host_times=\([0-9]*\).*/\1/p' "$OUT/compositor.stats")
[ "${host_times:-0}" -ge 5 ] ||
	fail "the compositor got no host presentation times: $(cat "$OUT/compositor.stats")"
phases=dmabuf
[ "$renderer" = gles2 ] || phases="dmabuf sway"
times=
for phase in $phases; do
	check=$(python3 "${0%/*}/presentation-check.py" "$phase" "$OUT/viewer-$phase.times" \
		"$OUT/compositor.times" "$OUT/client.log" 60) ||
		fail "presentation times: $check"
	times="$times; $check"
done
pass "e2e guest ($renderer): $(cat "$OUT/compositor.stats")$times"
