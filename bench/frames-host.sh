#!/bin/sh
# tools/bench, in L1 (the host): weston runs headless (GL on llvmpipe, kiosk
# shell) at each resolution in turn, once per method:
#   vdmabuf       vdmabuf-viewer imports the guest's pages (zero copy)
#   vdmabuf-shm   vdmabuf-viewer --shm: the viewer's counted copy
#   waypipe       waypipe's client, fed by waypipe's server in the guest
# The guest's half (frames-guest.sh) runs the same frame-client for each.
# Here we count CPU time of the host's processes and the daemon's bytes,
# then frames-report.py writes results.json, results.md and the plots.
. "${0%/*}/../tests/vm/lib.sh"

rm -rf "$OUT/sync" "$OUT"/*.csv "$OUT"/*.host "$OUT"/*.png "$OUT/results.json" "$OUT/results.md"
modprobe kvm_amd 2>/dev/null || modprobe kvm_intel || fail "no kvm in L1"
modprobe vhost_vsock || fail "no vhost_vsock in L1"
echo 65536 >/sys/module/udmabuf/parameters/list_limit
export XDG_RUNTIME_DIR=/run/xdg WAYLAND_DISPLAY=wl-host
mkdir -p -m 700 "$XDG_RUNTIME_DIR"

start_backend
run_guest --vsock 3 --mem 2048 --timeout "$VDMABUF_BENCH_GUEST_TIMEOUT" \
	bench/frames-guest.sh >"$OUT/l2-qemu.log" 2>&1 &
guest=$!

# Bytes the guest sent to vsock port $VDMABUF_BENCH_WAYPIPE_PORT, summed in
# the kernel by a histogram trigger on the vsock transport's receive event.
vsock_event=/sys/kernel/tracing/events/vsock/virtio_transport_recv_pkt
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing
echo "hist:keys=dst_port:vals=len if dst_port == $VDMABUF_BENCH_WAYPIPE_PORT" \
	>"$vsock_event/trigger" || fail "no vsock trace event histogram"
vsock_bytes() {
	sed -n "s/^{ dst_port: *$VDMABUF_BENCH_WAYPIPE_PORT *}.* len: *\([0-9]*\).*/\1/p" \
		"$vsock_event/hist" | grep . || echo 0
}

# utime + stime of processes $@, in ns.
cpu_ns() {
	for pid in "$@"; do
		awk '{ print $14 + $15 }' "/proc/$pid/stat"
	done | awk -v hz="$(getconf CLK_TCK)" '{ t += $1 } END { printf "%d\n", t * 1e9 / hz }'
}

stat_of() { sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" "$1"; }

for run in $VDMABUF_BENCH_RUNS; do
	size=${run%:*}
	for method in $VDMABUF_BENCH_METHODS; do
		tag=$method-$size
		weston --backend=headless --renderer=gl --shell=kiosk --width="${size%x*}" \
			--height="${size#*x}" --socket="$WAYLAND_DISPLAY" >"$OUT/$tag.weston.log" 2>&1 &
		weston=$!
		wait_wayland "$weston" "$WAYLAND_DISPLAY" "$OUT/$tag.weston.log"
		case $method in
		vdmabuf | vdmabuf-shm)
			"$BUILD/host-viewer/vdmabuf-viewer" --name bench \
				$([ "$method" = vdmabuf-shm ] && echo --shm) \
				--stats "$OUT/$tag.viewer-stats" >"$OUT/$tag.viewer.log" 2>&1 &
			server=$!
			pids="$weston $server $(backend_pid)"
			;;
		waypipe)
			waypipe --vsock -s "$VDMABUF_BENCH_WAYPIPE_PORT" client \
				>"$OUT/$tag.waypipe.log" 2>&1 &
			server=$!
			pids="$weston $server"
			;;
		esac
		guest_bytes=$(daemon_stat guest_bytes) copied=$(daemon_stat bytes_copied)
		vsock=$(vsock_bytes)
		sync_point "host-ready-$tag"
		wait_for "client-start-$tag" 600 "$guest"
		cpu=$(cpu_ns $pids)
		wait_for "client-done-$tag" 1800 "$guest"
		cpu=$(($(cpu_ns $pids) - cpu))
		{
			echo "cpu_host_ns=$cpu"
			echo "host_processes=$(for p in $pids; do cat "/proc/$p/comm"; done | tr '\n' ' ')"
			echo "daemon_guest_bytes=$(($(daemon_stat guest_bytes) - guest_bytes))"
			echo "daemon_bytes_copied=$(($(daemon_stat bytes_copied) - copied))"
			echo "vsock_guest_bytes=$(($(vsock_bytes) - vsock))"
		} >"$OUT/$tag.host"
		kill -TERM "$server"
		# waypipe's client exits by the signal; the viewer must exit 0.
		wait "$server" || [ "$method" = waypipe ] ||
			fail "$tag: viewer: $(tail -n 5 "$OUT/$tag.viewer.log")"
		[ -s "$OUT/$tag.viewer-stats" ] &&
			echo "viewer_bytes_copied=$(stat_of "$OUT/$tag.viewer-stats" bytes_copied)" \
				>>"$OUT/$tag.host"
		kill -TERM "$weston"
		wait "$weston"
	done
done
wait "$guest" || fail "guest half failed: $(tail -n 15 "$OUT/l2.log" "$OUT/l2-qemu.log" 2>&1)"
stop_backend
python3 "${0%/*}/frames-report.py" "$OUT" || fail "report"
pass "bench: $OUT/results.md"
