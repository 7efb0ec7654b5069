#!/bin/sh
# tools/bench, in L2 (the guest): frames-guest.sh METHOD WxH FRAMES RUN
# runs frame-client once, served by vdmabuf-compositor (its frames go to
# the host through virtio_vdmabuf) or by waypipe's server (over vsock to
# the host's waypipe client). Each run boots its own guest: see
# frames-host.sh. The compositor (or waypipe's server) and the client run
# in a cgroup of their own; at the client's two holds (end of warm-up, end
# of the run) this side samples its counters into TAG.guest-warm and
# TAG.guest-end, then lets the host sample its own (frames-lib.sh).
. "${0%/*}/../tests/vm/lib.sh"
. "${0%/*}/frames-lib.sh"

method=$1 size=$2 frames=$3 run=$4
tag=$method-$size-r$run
hold=$OUT/sync/hold-$tag
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

cg=$(bench_cgroup bench-guest)
syscall_hist_start
# At each hold: this side's counters, then the host's turn. Kernel threads
# are all the bench's here.
sampler() {
	for point in warm end; do
		while [ ! -e "$hold-$point" ]; do sleep 0.2; done
		counters "$cg" all >"$OUT/$tag.guest-$point"
		: >"$hold-$point-guest"
	done
}
client="$BUILD/bench/frame-client --size $size --frames $frames --out $OUT/$tag.csv"
client="$client --hold $hold --warmup ${VDMABUF_BENCH_WARMUP:-10}"
rm -f "$OUT/$tag.csv" "$OUT/$tag.guest-warm" "$OUT/$tag.guest-end" "$hold"-*
sync_point "client-start-$tag"
sampler &
sampler=$!
case $method in
vdmabuf | vdmabuf-kernel | vdmabuf-shm)
	"$IN_CGROUP" "$cg" "$BUILD/guest-compositor-plugin/vdmabuf-compositor" --mode "$size@60" \
		--stats "$OUT/$tag.compositor-stats" -s "exec $client" \
		>"$OUT/$tag.compositor.log" 2>&1 &
	wait_exit_after "$!" "$OUT/$tag.csv" "$OUT/$tag.compositor.log"
	;;
vdmabuf-direct)
	# GLES2 on a virtio-gpu (llvmpipe); the client's dmabufs fill the
	# output, and wlroots shows them as they are.
	modprobe virtio_gpu || fail "no virtio_gpu"
	"$IN_CGROUP" "$cg" env WLR_RENDERER=gles2 WLR_RENDERER_ALLOW_SOFTWARE=1 \
		"$BUILD/guest-compositor-plugin/vdmabuf-compositor" \
		--mode "$size@60" --stats "$OUT/$tag.compositor-stats" -s "exec $client --dmabuf" \
		>"$OUT/$tag.compositor.log" 2>&1 &
	wait_exit_after "$!" "$OUT/$tag.csv" "$OUT/$tag.compositor.log"
	grep -q 'direct=[1-9]' "$OUT/$tag.compositor-stats" ||
		fail "$tag: no frame scanned out: $(cat "$OUT/$tag.compositor-stats")"
	;;
waypipe)
	"$IN_CGROUP" "$cg" waypipe --vsock -s "2:$VDMABUF_BENCH_WAYPIPE_PORT" server -- $client \
		>"$OUT/$tag.waypipe.log" 2>&1 ||
		fail "$tag: waypipe: $(tail -n 5 "$OUT/$tag.waypipe.log")"
	;;
*)
	fail "unknown method $method"
	;;
esac
kill "$sampler" 2>/dev/null
sync_point "client-done-$tag"
[ -s "$OUT/$tag.csv" ] || fail "$tag: no results"
[ -s "$OUT/$tag.guest-end" ] || fail "$tag: no counters at the end"
pass "bench guest: $tag"
