#!/bin/sh
# tools/bench, in L1 (the host): weston runs headless (GL on llvmpipe, kiosk
# shell) at each resolution in turn, once per method:
#   vdmabuf       vdmabuf-viewer imports the guest's pages (zero copy)
#   vdmabuf-kernel  the same with the daemon's kernel engine (vhost_vdmabuf.ko)
#   vdmabuf-shm   vdmabuf-viewer --shm: the viewer's counted copy
#   vdmabuf-direct  the guest renders with GLES2 (a virtio-gpu, llvmpipe) and
#                 scans the client's dmabufs out: no guest composition
#   waypipe       waypipe's client, fed by waypipe's server in the guest
# Each run boots its own guest (frames-guest.sh runs the same frame-client
# for each), so that a guest which nested virtualisation kills costs one
# run, which goes again in a fresh L1 (tools/vm run --resume: each run is
# a step); a run with its TAG.host written is done, and an L1 booted again
# resumes after it. Here we
# count CPU time of the host's processes and the daemon's bytes;
# frames-report.py then writes results.json, results.md and the plots.
. "${0%/*}/../tests/vm/lib.sh"

rm -rf "$OUT/sync"
modprobe vhost_vsock || fail "no vhost_vsock in L1"
echo 65536 >/sys/module/udmabuf/parameters/list_limit
export XDG_RUNTIME_DIR=/run/xdg WAYLAND_DISPLAY=wl-host
mkdir -p -m 700 "$XDG_RUNTIME_DIR"

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

# Waits for sync point $1 while the guest $2 runs; false once it is gone.
guest_reaches() {
	until [ -e "$OUT/sync/$1" ]; do
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
}

# measure METHOD WxH FRAMES SECONDS: one run, its guest given SECONDS, its
# host figures in TAG.host. Any failure ends this L1's job; when its guest
# died, tools/vm knows (its l2.outcome) and boots a fresh L1.
measure() {
	method=$1 size=$2 frames=$3 seconds=$4 tag=$1-$2
	rm -f "$OUT/sync/client-start-$tag" "$OUT/sync/client-done-$tag"
	weston --backend=headless --renderer=gl --shell=kiosk --width="${size%x*}" \
		--height="${size#*x}" --socket="$WAYLAND_DISPLAY" >"$OUT/$tag.weston.log" 2>&1 &
	weston=$!
	wait_wayland "$weston" "$WAYLAND_DISPLAY" "$OUT/$tag.weston.log"
	case $method in
	vdmabuf | vdmabuf-kernel | vdmabuf-shm | vdmabuf-direct)
		use_engine "$([ "$method" = vdmabuf-kernel ] && echo kernel || echo user)"
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
	guest_bytes=$(daemon_stat guest_bytes) kicks=$(daemon_stat notifications)
	irqs=$(daemon_stat interrupts)
	vsock=$(vsock_bytes)
	run_guest --vsock 3 --timeout "$seconds" $([ "$method" = vdmabuf-direct ] && echo --gpu) \
		bench/frames-guest.sh "$method" "$size" "$frames" >"$OUT/$tag.l2-qemu.log" 2>&1 &
	guest=$!
	guest_reaches "client-start-$tag" "$guest"
	# The kernel engine's work is its worker thread's, started with the device.
	[ "$method" = vdmabuf-kernel ] && pids="$pids $(pgrep '^vhost-vdmabuf-')"
	cpu=$(cpu_ns $pids)
	guest_reaches "client-done-$tag" "$guest"
	cpu=$(($(cpu_ns $pids) - cpu))
	{
		echo "cpu_host_ns=$cpu"
		echo "host_processes=$(for p in $pids; do cat "/proc/$p/comm"; done | tr '\n' ' ')"
		echo "daemon_guest_bytes=$(($(daemon_stat guest_bytes) - guest_bytes))"
		echo "daemon_notifications=$(($(daemon_stat notifications) - kicks))"
		echo "daemon_interrupts=$(($(daemon_stat interrupts) - irqs))"
		echo "vsock_guest_bytes=$(($(vsock_bytes) - vsock))"
	} >"$OUT/$tag.host-part"
	wait "$guest"
	rc=$?
	cp "$OUT/l2.log" "$OUT/$tag.l2.log" 2>/dev/null
	kill -TERM "$server"
	# waypipe's client exits by the signal; the viewer must exit 0.
	wait "$server" || [ "$method" = waypipe ] || [ $rc != 0 ] ||
		fail "$tag: viewer: $(tail -n 5 "$OUT/$tag.viewer.log")"
	[ -s "$OUT/$tag.viewer-stats" ] &&
		echo "viewer_bytes_copied=$(stat_of "$OUT/$tag.viewer-stats" bytes_copied)" \
			>>"$OUT/$tag.host-part"
	kill -TERM "$weston"
	wait "$weston"
	[ $rc = 0 ] && mv "$OUT/$tag.host-part" "$OUT/$tag.host" && return 0
	fail "$tag: the guest failed: $(tail -n 15 "$OUT/$tag.l2.log" "$OUT/$tag.l2-qemu.log" 2>&1)"
}

# The daemon runs the engine the method asks for.
use_engine() {
	[ "$ENGINE" = "$1" ] && return
	stop_backend
	ENGINE=$1
	start_backend
}

# A guest that nested virtualisation kills can leave L1 the worse for it
# (hung kernel tasks; guests that no longer boot): its run goes again in a
# fresh L1, which resumes after the runs done. A run that tools/vm gave up
# (its VMs died too often) is recorded in TAG.lost and the bench goes on
# with the others: one resolution's misfortune must not cost the figures
# of the rest. The report says what is missing, and the bench fails.
start_backend
for run in $VDMABUF_BENCH_RUNS; do
	# WxH:FRAMES:SECONDS (tools/bench)
	size=${run%%:*} frames=${run#*:}
	seconds=${frames#*:} frames=${frames%:*}
	for method in $VDMABUF_BENCH_METHODS; do
		tag=$method-$size
		[ -s "$OUT/$tag.host" ] || [ -e "$OUT/$tag.lost" ] && continue
		if why=$(given_up "$tag"); then
			echo "$why" >"$OUT/$tag.lost"
			continue
		fi
		vm_step "$tag"
		measure "$method" "$size" "$frames" "$seconds"
	done
done
vm_step report
stop_backend
python3 "${0%/*}/frames-report.py" "$OUT" || fail "report"
lost=$(cd "$OUT" && ls -- *.lost 2>/dev/null | sed 's/\.lost$//' | tr '\n' ' ')
[ -z "$lost" ] || fail "bench: not measured: $lost(see $OUT/results.md)"
pass "bench: $OUT/results.md"
