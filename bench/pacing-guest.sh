#!/bin/sh
# tools/bench --pacing, in L2 (the guest): pacing-guest.sh METHOD WxH HZ
# FRAMES runs frame-client (one frame per frame callback, presentation
# feedback on each) once, served by vdmabuf-compositor (mode WxH@HZ; its
# frames go to the host through virtio_vdmabuf) or by waypipe's server
# (over vsock to the host's waypipe client). The host's side, and what is
# measured: pacing-host.sh.
. "${0%/*}/../tests/vm/lib.sh"

method=$1 size=$2 hz=$3 frames=$4
tag=$method
insmod "$BUILD/kmod/virtio_vdmabuf.ko" || fail "insmod"
modprobe vmw_vsock_virtio_transport || fail "no vsock transport"
export XDG_RUNTIME_DIR=/run/xdg
mkdir -p -m 700 "$XDG_RUNTIME_DIR"

client="$BUILD/bench/frame-client --size $size --frames $frames --out $OUT/$tag.csv"
client="$client --feedback $OUT/$tag.feedback"
rm -f "$OUT/$tag.csv" "$OUT/$tag.feedback"
compositor="$BUILD/guest-compositor-plugin/vdmabuf-compositor --mode $size@$hz"
compositor="$compositor --stats $OUT/$tag.compositor-stats"
sync_point "client-start-$tag"
case $method in
vdmabuf | vdmabuf-kernel | vdmabuf-shm)
	$compositor -s "exec $client" >"$OUT/$tag.compositor.log" 2>&1 ||
		fail "$tag: compositor: $(tail -n 5 "$OUT/$tag.compositor.log")"
	;;
vdmabuf-direct)
	# GLES2 on a virtio-gpu (llvmpipe): the client's dmabufs shown as they are.
	modprobe virtio_gpu || fail "no virtio_gpu"
	WLR_RENDERER=gles2 WLR_RENDERER_ALLOW_SOFTWARE=1 $compositor -s "exec $client --dmabuf" \
		>"$OUT/$tag.compositor.log" 2>&1 ||
		fail "$tag: compositor: $(tail -n 5 "$OUT/$tag.compositor.log")"
	;;
waypipe)
	waypipe --vsock -s "2:$VDMABUF_BENCH_WAYPIPE_PORT" server -- $client \
		>"$OUT/$tag.waypipe.log" 2>&1 ||
		fail "$tag: waypipe: $(tail -n 5 "$OUT/$tag.waypipe.log")"
	;;
*)
	fail "unknown method $method"
	;;
esac
sync_point "client-done-$tag"
[ -s "$OUT/$tag.feedback" ] || fail "$tag: no feedback written"
pass "pacing guest: $tag"
