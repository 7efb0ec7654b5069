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
# resumes after it. Steps are RUN:WxH:FRAMES:SECONDS:METHOD, in the order
# tools/bench chose (runs interleaved, methods shuffled in each); TAG is
# METHOD-WxH-rRUN. At the client's two holds (end of warm-up, end of the
# run: frame-client --hold) the guest samples its counters, then we sample
# ours into TAG.host-warm and TAG.host-end: the host's processes (weston,
# the viewer and the daemon, or weston and waypipe's client and its
# children) in a cgroup, the kernel threads working for them, syscalls,
# context switches, the device's counters, vsock bytes, and the VM exits
# and injected interrupts of L2's vCPU threads (frames-lib.sh).
# frames-report.py then writes results.json, results.md and the plots.
. "${0%/*}/../tests/vm/lib.sh"
. "${0%/*}/frames-lib.sh"

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

# L2's VM exits and the interrupts KVM injected into it, counted per thread
# (the vCPU threads of L2's QEMU are summed at each sample). KVM's events
# are there once tools/vm loaded it for the first guest.
kvm_hists() {
	for event in kvm_exit:common_pid,exit_reason kvm_inj_virq:common_pid; do
		trigger=$TRACING/events/kvm/${event%%:*}/trigger
		grep -q '^hist:' "$trigger" 2>/dev/null && continue
		echo "hist:keys=${event#*:}:vals=hitcount" >"$trigger" || fail "no $event histogram"
	done
}
host_cg=$(bench_cgroup bench-host)

# host_sample FILE POINT: the host's counters now (a guest is at a hold).
# The daemon's answer to our `vdmabuf list` falls outside the window: it
# is asked before the counters at the warm point, after them at the end.
# Few processes: each costs under TCG.
host_sample() {
	kvm_hists
	qemu=$(pgrep -n -x qemu-system-x86) || fail "no L2 QEMU"
	vcpus='' workers='' names=''
	for task in /proc/"$qemu"/task/*; do
		read -r comm <"$task/comm"
		case $comm in
		CPU\ */KVM) vcpus="$vcpus ${task##*/}" ;;
		# The vhost workers (vsock's) of L2's devices: threads of QEMU.
		vhost-*) workers="$workers ${task##*/}" names="$names ${task##*/}=vhost" ;;
		esac
	done
	# The kernel engine's worker, started with the device.
	for pid in $(pgrep '^vhost-vdmabuf-'); do
		workers="$workers $pid" names="$names $pid=vhost-vdmabuf"
	done
	[ "$2" = warm ] && { stats=$("$vdmabuf" list --socket "$CONSUMER_SOCK") || fail "list"; }
	# shellcheck disable=SC2086
	counters "$host_cg" $workers >"$1.part"
	[ "$2" = end ] && { stats=$("$vdmabuf" list --socket "$CONSUMER_SOCK") || fail "list"; }
	{
		cat "$1.part"
		for name in $names; do echo "ktname.${name%%=*}=${name#*=}"; done
		for key in guest_bytes notifications interrupts; do
			n=$(echo "$stats" | sed -n "s/^\\(.* \\)\\{0,1\\}$key=\\([0-9][0-9]*\\).*/\\2/p")
			[ -n "$n" ] || fail "no counter $key in vdmabuf list"
			echo "daemon_$key=$n"
		done
		echo "vsock_guest_bytes=$(vsock_bytes)"
		# shellcheck disable=SC2086
		hist_sums "$TRACING/events/kvm" $vcpus
	} >"$1"
	rm -f "$1.part"
}

# host_at_hold TAG POINT GUEST: waits for the guest's sample at POINT, adds
# ours, and lets the client go on.
host_at_hold() {
	guest_reaches "hold-$1-$2-guest" "$3" || return 1
	host_sample "$OUT/$1.host-$2" "$2"
	: >"$OUT/sync/hold-$1-$2-go"
}

stat_of() { sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" "$1"; }

# Waits for sync point $1 while the guest $2 runs; false once it is gone.
guest_reaches() {
	until [ -e "$OUT/sync/$1" ]; do
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
}

# measure METHOD WxH FRAMES SECONDS RUN: one run, its guest given SECONDS,
# its host figures in TAG.host*. Any failure ends this L1's job; when its
# guest died, tools/vm knows (its l2.outcome) and boots a fresh L1.
measure() {
	method=$1 size=$2 frames=$3 seconds=$4 run=$5 tag=$1-$2-r$5
	rm -f "$OUT/sync/client-start-$tag" "$OUT/sync/client-done-$tag" "$OUT/sync/hold-$tag"-*
	syscall_hist_start
	"$IN_CGROUP" "$host_cg" weston --backend=headless --renderer=gl --shell=kiosk --width="${size%x*}" \
		--height="${size#*x}" --socket="$WAYLAND_DISPLAY" >"$OUT/$tag.weston.log" 2>&1 &
	weston=$!
	wait_wayland "$weston" "$WAYLAND_DISPLAY" "$OUT/$tag.weston.log"
	case $method in
	vdmabuf | vdmabuf-kernel | vdmabuf-shm | vdmabuf-direct)
		use_engine "$([ "$method" = vdmabuf-kernel ] && echo kernel || echo user)"
		"$IN_CGROUP" "$host_cg" "$BUILD/host-viewer/vdmabuf-viewer" --name bench \
			$([ "$method" = vdmabuf-shm ] && echo --shm) \
			--stats "$OUT/$tag.viewer-stats" >"$OUT/$tag.viewer.log" 2>&1 &
		server=$!
		;;
	waypipe)
		"$IN_CGROUP" "$host_cg" waypipe --vsock -s "$VDMABUF_BENCH_WAYPIPE_PORT" client \
			>"$OUT/$tag.waypipe.log" 2>&1 &
		server=$!
		;;
	esac
	guest_bytes=$(daemon_stat guest_bytes) kicks=$(daemon_stat notifications)
	irqs=$(daemon_stat interrupts)
	vsock=$(vsock_bytes)
	run_guest --vsock 3 --timeout "$seconds" $([ "$method" = vdmabuf-direct ] && echo --gpu) \
		bench/frames-guest.sh "$method" "$size" "$frames" "$run" \
		>"$OUT/$tag.l2-qemu.log" 2>&1 &
	guest=$!
	host_at_hold "$tag" warm "$guest" && host_at_hold "$tag" end "$guest" &&
		guest_reaches "client-done-$tag" "$guest"
	{
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
	start_backend_counted
}

# The daemon is the host side's too: in its cgroup.
start_backend_counted() {
	start_backend
	backend_pid >"$host_cg/cgroup.procs" || fail "daemon not in $host_cg"
}

# A guest that nested virtualisation kills can leave L1 the worse for it
# (hung kernel tasks; guests that no longer boot): its run goes again in a
# fresh L1, which resumes after the runs done. A run that tools/vm gave up
# (its VMs died too often) is recorded in TAG.lost and the bench goes on
# with the others: one resolution's misfortune must not cost the figures
# of the rest. The report says what is missing, and the bench fails.
start_backend_counted
for step in $VDMABUF_BENCH_STEPS; do
	# RUN:WxH:FRAMES:SECONDS:METHOD (tools/bench)
	IFS=: read -r run size frames seconds method <<EOF
$step
EOF
	tag=$method-$size-r$run
	[ -s "$OUT/$tag.host" ] || [ -e "$OUT/$tag.lost" ] && continue
	if why=$(given_up "$tag"); then
		echo "$why" >"$OUT/$tag.lost"
		continue
	fi
	vm_step "$tag"
	measure "$method" "$size" "$frames" "$seconds" "$run"
done
vm_step report
stop_backend
# tools/bench writes the report, outside the VMs (it takes seconds there,
# minutes under TCG).
lost=$(cd "$OUT" && ls -- *.lost 2>/dev/null | sed 's/\.lost$//' | tr '\n' ' ')
[ -z "$lost" ] || fail "bench: not measured: $lost(see $OUT/results.md)"
pass "bench: $OUT"
