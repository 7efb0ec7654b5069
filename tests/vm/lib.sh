# Shared by the scripts that run inside the lab VMs (sourced, POSIX sh).
# BUILD is the meson build tree, OUT this run's output directory.
set -u
BUILD=/src/${VDMABUF_BUILD_DIR:-build}
OUT=${VDMABUF_VM_OUT:?not inside a lab VM}
BACKEND_SOCK=/run/vdmabuf-backend.sock
# The daemon's log is L1's; each run starts it afresh.
[ "${VDMABUF_VM_ROLE:-}" = l1 ] && rm -f "$OUT/backend.log" "$OUT/l2.log"
CONSUMER_SOCK=/run/vdmabuf/consumer.sock
vdmabuf=$BUILD/libvdmabuf/vdmabuf
# The daemon's engine: user (its own data path) or kernel (vhost_vdmabuf.ko).
ENGINE=${VDMABUF_ENGINE:-user}

# Each verdict says when it came: seconds since the VM booted.
verdict() {
	printf '%s: %s [%ss]: %s\n' "${VDMABUF_VM_ROLE:-?}" "$1" "$(cut -d' ' -f1 /proc/uptime)" "$2"
}

fail() {
	verdict FAIL "$*" >&2
	exit 1
}

pass() {
	verdict PASS "$*"
}

expect_log() {
	grep -q -- "$2" "$1" || fail "'$2' not in $1"
}

# What the device model logged: the daemon's log, or with the kernel
# engine the kernel's (the module words its warnings the same way).
device_log() {
	if [ "$ENGINE" = kernel ]; then
		dmesg | grep 'vhost_vdmabuf'
	else
		cat "$OUT/backend.log"
	fi
}

expect_device_log() {
	device_log | grep -q -- "$1" || fail "'$1' not in the $ENGINE engine's log"
}

# Prints the sysfs path of the virtio device with device ID $1.
find_virtio_device() {
	for d in /sys/bus/virtio/devices/*; do
		[ "$(cat "$d/device" 2>/dev/null)" = "$(printf '0x%04x' "$1")" ] &&
			{ echo "$d"; return 0; }
	done
	return 1
}

# The daemon connects to the socket QEMU will listen on, and keeps trying;
# its consumer socket is there once this returns. With BACKEND_MANAGED=1
# it runs as under systemd with its unit's fd store: restarted when it
# dies, its vhost-user session kept (tests/vm/service-manager.py).
BACKEND_PIDFILE=/run/vdmabuf-backend.pid
start_backend() {
	rm -f "$CONSUMER_SOCK" "$BACKEND_PIDFILE"
	if [ "$ENGINE" = kernel ] && [ ! -e /sys/module/vhost_vdmabuf ]; then
		insmod "$BUILD/kmod/vhost_vdmabuf.ko" || fail "insmod vhost_vdmabuf"
	fi
	# Its fds bound the buffers it advertises: as many as a systemd unit
	# gets, so that the device offers the protocol's 4096 (BACKEND_NOFILE
	# to try a smaller limit).
	ulimit -n "${BACKEND_NOFILE:-65536}" || fail "ulimit -n ${BACKEND_NOFILE:-65536}"
	set -- --socket "$BACKEND_SOCK" --consumer-socket "$CONSUMER_SOCK" --engine "$ENGINE" "$@"
	if [ "${BACKEND_MANAGED:-0}" = 1 ]; then
		python3 "${0%/*}/../vm/service-manager.py" "$BACKEND_PIDFILE" \
			"$BUILD/host-backend/vdmabuf-backend" "$@" >>"$OUT/backend.log" 2>&1 &
	else
		"$BUILD/host-backend/vdmabuf-backend" "$@" >>"$OUT/backend.log" 2>&1 &
	fi
	BACKEND_PID=$!
	wait_backend
}

# The daemon's own pid (not its service manager's).
backend_pid() {
	if [ -s "$BACKEND_PIDFILE" ]; then cat "$BACKEND_PIDFILE"; else echo "$BACKEND_PID"; fi
}

wait_backend() {
	i=0
	while [ ! -S "$CONSUMER_SOCK" ]; do
		i=$((i + 1))
		[ $i -lt 300 ] || fail "backend made no $CONSUMER_SOCK"
		kill -0 "$BACKEND_PID" 2>/dev/null || fail "backend died: $(cat "$OUT/backend.log")"
		sleep 0.1
	done
}

stop_backend() {
	kill -TERM "$BACKEND_PID" 2>/dev/null
	wait "$BACKEND_PID"
	rc=$?
	[ $rc = 0 ] || fail "backend exited with $rc: $(tail -n 5 "$OUT/backend.log")"
}

run_guest() {
	tools/vm guest --vdmabuf "$BACKEND_SOCK" --out "$OUT" "$@"
}

# A resumable job (tools/vm run --resume) names the step it works on:
# tools/vm counts the deaths of its VMs per step, and gives a step up once
# it died too often.
vm_step() {
	printf '%s\n' "$1" >"$OUT/l1.step"
}

# given_up STEP: prints why tools/vm gave STEP up; false if it did not.
given_up() {
	printf '%s\n' "${VDMABUF_VM_GIVE_UP:-}" | sed -n "s/^$1: //p" | grep .
}

# Prints counter $1 of the daemon's statistics (`vdmabuf list`, which
# names them as struct vdmabuf_stats does). A counter it does not print
# ends the test, also from inside $(...): an empty string would compare
# equal to another empty one.
daemon_stat() {
	_stat=$("$vdmabuf" list --socket "$CONSUMER_SOCK" |
		sed -n "s/^\\(.* \\)\\{0,1\\}$1=\\([0-9][0-9]*\\).*/\\2/p")
	if [ -z "$_stat" ]; then
		verdict FAIL "no counter $1 in vdmabuf list" >&2
		kill -TERM $$
		exit 1
	fi
	echo "$_stat"
}

# A producer that exits unexports its buffers; the daemon drops each in
# turn (every live buffer holds an fd). $1 says why we wait.
wait_no_buffers() {
	i=0
	while [ "$(daemon_stat buffers)" != 0 ]; do
		i=$((i + 1))
		[ $i -lt 300 ] || fail "$1: buffers still live: $("$vdmabuf" list --socket "$CONSUMER_SOCK")"
		sleep 0.1
	done
}

# wait_resumed OLD_PID: the daemon its service manager started again
# after OLD_PID died has resumed the vhost-user session QEMU kept.
wait_resumed() {
	_i=0
	until grep -q 'resumed the session' "$OUT/backend.log" && [ "$(backend_pid)" != "$1" ]; do
		_i=$((_i + 1))
		[ $_i -lt 300 ] || fail "daemon not back: $(tail -n 5 "$OUT/backend.log")"
		sleep 0.1
	done
	wait_backend
}

# The guest's half of a daemon restart (L1 kills it at
# restart-producer-running): a producer presents across it, sees the
# RESET and exports again; nothing leaks. Then L1 starts a new consumer.
producer_across_restart() {
	"$BUILD/tests/transport/producer" --size 256x256 --frames 100 --expect-reset \
		>"$OUT/reset-producer.log" 2>&1 &
	_pid=$!
	wait_line "$OUT/reset-producer.log" exported 30 "$_pid"
	sync_point restart-producer-running
	wait_for daemon-restarted 300
	wait $_pid || fail "producer across the daemon restart: $(cat "$OUT/reset-producer.log")"
	grep -q 'device reset at frame' "$OUT/reset-producer.log" || fail "no RESET seen"
	dmabufs_back "dmabufs leaked over the daemon restart"
	sync_point reset-producer-done
	wait_for restart-consumer-ready 300
}

# wait_line FILE PATTERN [TIMEOUT [PID]]: waits for a line of FILE to
# match PATTERN (grep); fails at TIMEOUT s (60), or once PID is gone.
wait_line() {
	_i=0
	until grep -q -- "$2" "$1" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -lt $((${3:-60} * 10)) ] || fail "no '$2' in $1: $(tail -n 5 "$1" 2>&1)"
		[ -z "${4:-}" ] || kill -0 "$4" 2>/dev/null ||
			fail "gone before '$2' in $1: $(tail -n 5 "$1" 2>&1)"
		sleep 0.1
	done
}

# Sync points between L1 and L2: files in OUT, which both see.
sync_point() {
	mkdir -p "$OUT/sync"
	: >"$OUT/sync/$1"
}

# wait_for NAME [TIMEOUT [PID]]: fails at TIMEOUT s, or once PID (the
# other side's VM) is gone.
wait_for() {
	i=0
	while [ ! -e "$OUT/sync/$1" ]; do
		i=$((i + 1))
		[ $i -lt $((${2:-120} * 10)) ] || fail "timed out waiting for '$1'"
		[ -z "${3:-}" ] || kill -0 "$3" 2>/dev/null || fail "the guest ended before '$1'"
		sleep 0.1
	done
}

# The guest's dmabufs, as the dma-buf core lists them (debugfs mounted).
# One number: grep -c prints 0 and fails when none is listed.
dmabufs() {
	_n=$(grep -c '^[0-9]' /sys/kernel/debug/dma_buf/bufinfo 2>/dev/null)
	echo "${_n:-0}"
}

# dmabufs_back WHAT: waits until the guest has its $before dmabufs again;
# the driver lets go of an unexported dmabuf when the host says it retired
# it, a moment after the producer closed it.
dmabufs_back() {
	i=0
	while [ "$(dmabufs)" != "$before" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "$1: $before dmabufs before, $(dmabufs) now"
		sleep 0.1
	done
}

# start_weston: weston, headless and rendering with GL on llvmpipe in a
# 320x240 kiosk, as the host's desktop (in L1); sets WESTON_PID, and
# exports XDG_RUNTIME_DIR and WAYLAND_DISPLAY for its clients. --debug
# lets weston-screenshooter capture its output.
start_weston() {
	export XDG_RUNTIME_DIR=/run/xdg
	mkdir -p -m 700 "$XDG_RUNTIME_DIR"
	export WAYLAND_DISPLAY=wl-host
	weston --debug --backend=headless --renderer=gl --shell=kiosk --width=320 --height=240 \
		--socket="$WAYLAND_DISPLAY" >"$OUT/weston.log" 2>&1 &
	WESTON_PID=$!
	wait_wayland "$WESTON_PID" "$WAYLAND_DISPLAY" "$OUT/weston.log"
}

# start_guest_compositor TIMEOUT COMMAND...: the guest's compositor,
# COMMAND (vdmabuf-compositor and its options), in L2, logging to
# OUT/compositor.log and listening as wayland-0 within TIMEOUT s; sets
# COMPOSITOR_PID, and exports XDG_RUNTIME_DIR for its clients.
start_guest_compositor() {
	_timeout=$1
	shift
	export XDG_RUNTIME_DIR=/run/xdg
	mkdir -p -m 700 "$XDG_RUNTIME_DIR"
	"$@" >"$OUT/compositor.log" 2>&1 &
	COMPOSITOR_PID=$!
	wait_wayland "$COMPOSITOR_PID" wayland-0 "$OUT/compositor.log" "$_timeout"
}

# start_sway CONFIG: sway, headless and rendering with pixman, as the
# host's desktop (in L1); sets SWAY_PID, and exports XDG_RUNTIME_DIR,
# SWAYSOCK and WAYLAND_DISPLAY for its clients.
start_sway() {
	export XDG_RUNTIME_DIR=/run/xdg
	mkdir -p -m 700 "$XDG_RUNTIME_DIR"
	WLR_BACKENDS=headless WLR_RENDERER=pixman sway -c "$1" >"$OUT/sway.log" 2>&1 &
	SWAY_PID=$!
	i=0
	until SWAYSOCK=$(ls "$XDG_RUNTIME_DIR"/sway-ipc.*.sock 2>/dev/null) && [ -n "$SWAYSOCK" ]; do
		i=$((i + 1))
		[ $i -lt 600 ] || fail "sway did not start: $(tail -n 5 "$OUT/sway.log")"
		kill -0 $SWAY_PID || fail "sway died: $(tail -n 5 "$OUT/sway.log")"
		sleep 0.1
	done
	WAYLAND_DISPLAY=$(cd "$XDG_RUNTIME_DIR" && ls | grep -m1 '^wayland-[0-9]*$')
	export SWAYSOCK WAYLAND_DISPLAY
}

# wait_drawn LOG: waits until a test client whose output is LOG has
# drawn its first frame (it says "ready"), 120 s at most.
wait_drawn() {
	i=0
	until grep -q '^ready' "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 1200 ] || fail "$1: the client never drew: $(tail -n 3 "$1" 2>/dev/null)"
		sleep 0.1
	done
}

# Waits for the Wayland compositor $1 (a pid) to listen as $2 in
# $XDG_RUNTIME_DIR, $4 s at most (120); fails with $3 (its log) if it
# dies first.
wait_wayland() {
	i=0
	until [ -S "$XDG_RUNTIME_DIR/$2" ]; do
		i=$((i + 1))
		[ $i -lt $((${4:-120} * 10)) ] || fail "no Wayland socket $2 after ${4:-120} s"
		kill -0 "$1" 2>/dev/null || fail "compositor died: $(tail -n 5 "$3")"
		sleep 0.1
	done
}

# screenshot_known NAME WxH GRIM_ARGS...: screenshots ($shots/NAME-N.png,
# grim GRIM_ARGS) until screenshot-check.py (beside the calling script)
# finds a whole known frame in one, for 150 s while $viewer_pid lives: that
# one becomes $shots/NAME.png, its verdict $shots/NAME.check. Fails if the
# frame is not WxH; returns 1 if no screenshot held one.
screenshot_known() {
	name=$1 size=$2
	shift 2
	end=$(($(cut -d. -f1 /proc/uptime) + 150))
	try=0
	while [ "$(cut -d. -f1 /proc/uptime)" -lt $end ]; do
		try=$((try + 1))
		kill -0 "$viewer_pid" || fail "the viewer died: $(tail -n 5 "$OUT/viewer.log")"
		shot=$shots/$name-$try.png
		grim "$@" "$shot" || fail "grim $*"
		if python3 "${0%/*}/screenshot-check.py" "$shot" >"$shots/$name.check" 2>&1; then
			grep -q "^screenshot $size:" "$shots/$name.check" ||
				fail "$name: not $size: $(cat "$shots/$name.check")"
			mv "$shot" "$shots/$name.png"
			return 0
		fi
		sleep 1
	done
	return 1
}
