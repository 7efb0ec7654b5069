#!/bin/sh
# tools/bench, in L2 (the guest): frames-guest.sh METHOD WxH FRAMES runs
# frame-client once, served by vdmabuf-compositor (its frames go to the
# host through virtio_vdmabuf) or by waypipe's server (over vsock to the
# host's waypipe client). Each run boots its own guest: see frames-host.sh.
. "${0%/*}/../tests/vm/lib.sh"

method=$1 size=$2 frames=$3
tag=$method-$size
insmod "$BUILD/kmod/virtio_vdmabuf.ko" || fail "insmod"
modprobe vmw_vsock_virtio_transport || fail "no vsock transport"
export XDG_RUNTIME_DIR=/run/xdg
mkdir -p -m 700 "$XDG_RUNTIME_DIR"

# The compositor exits with its client: give it 30 s once the client's
# results are written, and say where it is stuck if it does not.
wait_exit_after() {
	i=0
	while kill -0 "$1" 2>/dev/null; do
		[ -s "$2" ] && i=$((i + 1))
		if [ $i -gt 300 ]; then
			echo "stuck in $(cat "/proc/$1/wchan"):" >>"$3"
			cat "/proc/$1/stack" >>"$3" 2>&1
			kill -9 "$1"
			fail "$3: did not exit after its client"
		fi
		sleep 0.1
	done
	wait "$1" || fail "$3: exit $?: $(tail -n 5 "$3")"
}

client="$BUILD/bench/frame-client --size $size --frames $frames --out $OUT/$tag.csv"
rm -f "$OUT/$tag.csv"
sync_point "client-start-$tag"
case $method in
vdmabuf | vdmabuf-kernel | vdmabuf-shm)
	"$BUILD/guest-compositor-plugin/vdmabuf-compositor" --mode "$size@60" \
		--stats "$OUT/$tag.compositor-stats" -s "exec $client" \
		>"$OUT/$tag.compositor.log" 2>&1 &
	wait_exit_after "$!" "$OUT/$tag.csv" "$OUT/$tag.compositor.log"
	;;
vdmabuf-direct)
	# GLES2 on a virtio-gpu (llvmpipe); the client's dmabufs fill the
	# output, and wlroots shows them as they are.
	modprobe virtio_gpu || fail "no virtio_gpu"
	WLR_RENDERER=gles2 WLR_RENDERER_ALLOW_SOFTWARE=1 \
		"$BUILD/guest-compositor-plugin/vdmabuf-compositor" --mode "$size@60" \
		--stats "$OUT/$tag.compositor-stats" -s "exec $client --dmabuf" \
		>"$OUT/$tag.compositor.log" 2>&1 &
	wait_exit_after "$!" "$OUT/$tag.csv" "$OUT/$tag.compositor.log"
	grep -q 'direct=[1-9]' "$OUT/$tag.compositor-stats" ||
		fail "$tag: no frame scanned out: $(cat "$OUT/$tag.compositor-stats")"
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
[ -s "$OUT/$tag.csv" ] || fail "$tag: no results"
pass "bench guest: $tag"
