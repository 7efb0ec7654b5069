#!/bin/sh
# Suite security, in L1 (the host): the daemon under real systemd, from the
# unit and files `meson install` ships. L1 boots without systemd, so
# systemd runs as PID 1 of a container (systemd-nspawn) over the lab root
# with the build installed into it; QEMU and the guest run in L1, beside
# it, through /run/vdmabuf. The unit must start the daemon as its own
# user with no capability, sandboxed (systemd's and the daemon's seccomp
# filters); `systemd-analyze security` rates it. The guest presents
# frames a consumer checks; the daemon is killed with -9 while the guest
# presents: systemd restarts it with its fd store, the new daemon resumes
# the vhost-user session QEMU never saw close, the guest is told RESET,
# exports again and a new consumer checks the pixels. The guest's half is
# systemd-guest.sh.
. "${0%/*}/../vm/lib.sh"

BACKEND_SOCK=/run/vdmabuf/lab.vhost.sock
CONSUMER_SOCK=/run/vdmabuf/lab.sock
UNIT=vdmabuf-backend@lab.service
consumer=$BUILD/tests/transport/consumer
ct=/tmp/ct
rm -rf "$OUT/sync" "$OUT"/consumer-*.log "$OUT/journal.log"

# The container's root: the lab root with the build installed over it.
mkdir -p "$ct/upper" "$ct/work" "$ct/root"
modprobe overlay || fail "modprobe overlay"
mount -t overlay overlay -o "lowerdir=/lab,upperdir=$ct/upper,workdir=$ct/work" "$ct/root" ||
	fail "overlay over the lab root"
meson install -C "$BUILD" --no-rebuild --quiet --destdir "$ct/root" >"$OUT/install.log" 2>&1 ||
	fail "meson install: $(tail -n 5 "$OUT/install.log")"
unit_file=$(find "$ct/root/usr" -name 'vdmabuf-backend@.service' | head -n 1)
[ -n "$unit_file" ] || fail "no unit installed: $(cat "$OUT/install.log")"
# The devices as the shipped udev rules (and systemd's for udmabuf) leave them.
chgrp kvm /dev/udmabuf && chmod 0660 /dev/udmabuf || fail "/dev/udmabuf to the group kvm"
if [ "$ENGINE" = kernel ]; then
	insmod "$BUILD/kmod/vhost_vdmabuf.ko" || fail "insmod vhost_vdmabuf"
	grep -q 'KERNEL=="vhost-vdmabuf", GROUP="kvm", MODE="0660"' \
		"$(find "$ct/root/usr" -name 60-vdmabuf.rules)" || fail "no udev rule installed"
	chgrp kvm /dev/vhost-vdmabuf && chmod 0660 /dev/vhost-vdmabuf || fail "/dev/vhost-vdmabuf"
	# The drop-in the unit's comment gives.
	mkdir -p "$ct/root/etc/systemd/system/$UNIT.d"
	printf '[Service]\nEnvironment=VDMABUF_ENGINE=kernel\n' \
		>"$ct/root/etc/systemd/system/$UNIT.d/engine.conf"
fi

mountpoint -q /sys/fs/cgroup || mount -t cgroup2 cgroup2 /sys/fs/cgroup || fail "cgroup2"
mkdir -p /run/vdmabuf
binds="--bind=/run/vdmabuf --bind=/dev/udmabuf"
[ "$ENGINE" = kernel ] && binds="$binds --bind=/dev/vhost-vdmabuf"
# shellcheck disable=SC2086
systemd-nspawn --quiet --register=no --keep-unit --directory="$ct/root" --console=pipe \
	--resolv-conf=off --timezone=off --link-journal=no --hostname=lab-host $binds \
	--boot </dev/null >"$OUT/container.log" 2>&1 &
nspawn=$!
i=0
until init=$(pgrep -x systemd); do
	i=$((i + 1))
	[ $i -lt 600 ] || fail "no systemd in the container: $(tail -n 5 "$OUT/container.log")"
	kill -0 "$nspawn" 2>/dev/null || fail "nspawn ended: $(tail -n 5 "$OUT/container.log")"
	sleep 0.1
done
in_ct() {
	nsenter --target "$init" --mount --uts --ipc --net --pid --root --wd -- "$@"
}
# systemctl answers once PID 1 made its private socket.
i=0
until state=$(in_ct systemctl is-system-running --wait 2>/dev/null) || [ -n "$state" ]; do
	i=$((i + 1))
	[ $i -lt 300 ] || fail "systemctl in the container: $(in_ct systemctl is-system-running 2>&1)"
	kill -0 "$nspawn" 2>/dev/null || fail "nspawn ended: $(tail -n 5 "$OUT/container.log")"
	sleep 1
done
case $state in
running|degraded) ;;
*) fail "systemd in the container: '$state': $(tail -n 10 "$OUT/container.log")" ;;
esac
verdict INFO "systemd $(in_ct systemctl --version | head -n 1 | cut -d' ' -f2) is up: $state"
in_ct systemctl start "$UNIT" ||
	fail "systemctl start: $(in_ct journalctl -u "$UNIT" -o cat --no-pager | tail -n 5)"
[ -S "$CONSUMER_SOCK" ] || fail "no $CONSUMER_SOCK once the unit started"

# What the unit made of the daemon.
daemon=$(pgrep -x vdmabuf-backend) || fail "no daemon"
status=/proc/$daemon/status
uid=$(awk '/^Uid:/ {print $2}' "$status")
[ "$uid" != 0 ] && [ "$(in_ct id -u vdmabuf)" = "$uid" ] || fail "runs as uid $uid, not as vdmabuf"
grep -q '^CapEff:	0000000000000000' "$status" || fail "capabilities: $(grep ^Cap "$status")"
grep -q '^CapBnd:	0000000000000000' "$status" || fail "bounding set: $(grep CapBnd "$status")"
grep -q '^NoNewPrivs:	1' "$status" || fail "NoNewPrivs unset"
grep -q '^Seccomp:	2' "$status" || fail "no seccomp filter: $(grep Seccomp "$status")"
# systemd's filter and the daemon's own.
filters=$(awk '/^Seccomp_filters:/ {print $2}' "$status")
[ "$filters" -ge 2 ] || fail "seccomp filters: $filters"
in_ct journalctl -u "$UNIT" -o cat --no-pager | grep -q 'sandbox: seccomp filter of' ||
	fail "the daemon's own filter not logged"
in_ct systemd-analyze security --no-pager "$UNIT" >"$OUT/security.txt" 2>&1 ||
	fail "systemd-analyze security: $(tail -n 3 "$OUT/security.txt")"
exposure=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p' "$OUT/security.txt")
[ -n "$exposure" ] && awk "BEGIN { exit !($exposure <= 2.0) }" ||
	fail "exposure '$exposure': $(tail -n 1 "$OUT/security.txt")"

run_guest tests/security/systemd-guest.sh >"$OUT/l2-qemu.log" 2>&1 &
guest=$!
# QEMU's socket: writable by the group kvm, as the unit's header asks.
i=0
until [ -S "$BACKEND_SOCK" ]; do
	i=$((i + 1))
	[ $i -lt 1200 ] || fail "QEMU made no $BACKEND_SOCK"
	kill -0 "$guest" 2>/dev/null || fail "guest gone: $(tail -n 5 "$OUT/l2-qemu.log")"
	sleep 0.1
done
chgrp kvm "$BACKEND_SOCK" && chmod 0660 "$BACKEND_SOCK" || fail "QEMU's socket to the group kvm"

"$consumer" --socket "$CONSUMER_SOCK" --frames 30 --timeout 300 >"$OUT/consumer-first.log" 2>&1 ||
	fail "consumer: $(tail -n 3 "$OUT/consumer-first.log")"

# kill -9 while the guest presents: systemd brings it back, session kept.
wait_for restart-producer-running 300 "$guest"
kill -9 "$daemon"
i=0
until new=$(pgrep -x vdmabuf-backend) && [ "$new" != "$daemon" ] &&
	in_ct journalctl -u "$UNIT" -o cat --no-pager | grep -q 'resumed the session'; do
	i=$((i + 1))
	[ $i -lt 600 ] || fail "daemon not back: $(in_ct journalctl -u "$UNIT" -o cat --no-pager | tail -n 5)"
	sleep 0.1
done
[ "$(in_ct systemctl show -P NRestarts "$UNIT")" = 1 ] ||
	fail "NRestarts: $(in_ct systemctl show -P NRestarts "$UNIT")"
sync_point daemon-restarted
wait_for reset-producer-done 300 "$guest"
wait_no_buffers "after the restart"
"$consumer" --socket "$CONSUMER_SOCK" --frames 30 --timeout 300 >"$OUT/consumer-restarted.log" 2>&1 &
restarted=$!
sync_point restart-consumer-ready
wait "$restarted" || fail "consumer after the restart: $(tail -n 3 "$OUT/consumer-restarted.log")"
wait "$guest" || fail "guest half failed: $(tail -n 15 "$OUT/l2.log" "$OUT/l2-qemu.log" 2>&1)"

in_ct systemctl stop "$UNIT"
result=$(in_ct systemctl show -P Result "$UNIT")
in_ct journalctl -u "$UNIT" -o cat --no-pager >"$OUT/journal.log" 2>&1
[ "$result" = success ] || fail "stopped with '$result': $(tail -n 5 "$OUT/journal.log")"
grep -q 'not allowed' "$OUT/journal.log" && fail "the sandbox trapped: $(grep 'not allowed' "$OUT/journal.log")"
in_ct systemctl poweroff --no-block
wait "$nspawn" || fail "container: $(tail -n 5 "$OUT/container.log")"
pass "systemd: $UNIT ($ENGINE engine) as uid $uid, no capabilities, seccomp x$filters, exposure $exposure; killed -9, restarted by systemd, session resumed, pixels checked before and after"
