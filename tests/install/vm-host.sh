#!/bin/sh
# Suite install, in L1 (the host): the packages the test `packages` built
# (BUILD/tests/install/debs), installed with dpkg as a user does into a
# root of their own (an overlay over the lab root: nothing of the build
# tree in it), which then boots systemd as PID 1 of a container (L1 boots
# without systemd). There the shipped unit starts vdmabuf-backend@lab as
# the user the package made, and the out-of-tree consumer (oot/, built
# against the installed libvdmabuf-dev) gets the daemon's greeting. The
# guest half (vm-guest.sh) installs virtio-vdmabuf-dkms in L2: DKMS builds
# the driver for L2's running kernel and the device's modalias loads it;
# then the consumer sees the guest's driver and the out-of-tree compositor
# starts its backend on the guest's /dev/vdmabuf.
# Not in a suite yet (tests/install/meson.build says why).
. "${0%/*}/../vm/lib.sh"

BACKEND_SOCK=/run/vdmabuf/lab.vhost.sock
CONSUMER_SOCK=/run/vdmabuf/lab.sock
UNIT=vdmabuf-backend@lab.service
debs=$BUILD/tests/install/debs
ct=/tmp/ct
rm -rf "$OUT/sync" "$OUT/container.log" "$OUT/dpkg-l1.log" "$OUT/oot-l1.log"
ls "$debs"/vdmabuf-backend_*.deb >/dev/null 2>&1 ||
	fail "no packages in $debs: the test 'packages' makes them"

# The host's packages, as a user installs them.
mkdir -p "$ct/upper" "$ct/work" "$ct/root"
modprobe overlay || fail "modprobe overlay"
mount -t overlay overlay -o "lowerdir=/lab,upperdir=$ct/upper,workdir=$ct/work" "$ct/root" ||
	fail "overlay over the lab root"
[ ! -e "$ct/root/usr/bin/vdmabuf-backend" ] || fail "the lab root has a vdmabuf-backend already"
mkdir -p "$ct/root/var/tmp/debs" "$ct/root/var/tmp/oot"
for p in vdmabuf-backend vdmabuf-tools libvdmabuf0 libvdmabuf-dev; do
	cp "$debs/${p}_"*.deb "$ct/root/var/tmp/debs/" || fail "no package $p"
done
cp /src/tests/install/oot/* "$ct/root/var/tmp/oot/"
mount -t proc proc "$ct/root/proc"
mount --bind /dev "$ct/root/dev"
chroot "$ct/root" sh -c 'dpkg -i /var/tmp/debs/*.deb && make -s -C /var/tmp/oot oot-consumer' \
	>"$OUT/dpkg-l1.log" 2>&1 || fail "dpkg -i, oot-consumer: $(tail -n 10 "$OUT/dpkg-l1.log")"
umount "$ct/root/dev" "$ct/root/proc"
verdict INFO "installed: $(cd "$ct/root/var/tmp/debs" && echo *.deb)"

# /dev/udmabuf as systemd's rules leave it (the group kvm).
chgrp kvm /dev/udmabuf && chmod 0660 /dev/udmabuf || fail "/dev/udmabuf to the group kvm"
mountpoint -q /sys/fs/cgroup || mount -t cgroup2 cgroup2 /sys/fs/cgroup || fail "cgroup2"
mkdir -p /run/vdmabuf
systemd-nspawn --quiet --register=no --keep-unit --directory="$ct/root" --console=pipe \
	--resolv-conf=off --timezone=off --link-journal=no --hostname=lab-host \
	--bind=/run/vdmabuf --bind=/dev/udmabuf --boot </dev/null >"$OUT/container.log" 2>&1 &
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
i=0
until state=$(in_ct systemctl is-system-running --wait 2>/dev/null) || [ -n "$state" ]; do
	i=$((i + 1))
	[ $i -lt 300 ] || fail "systemctl in the container: $(in_ct systemctl is-system-running 2>&1)"
	kill -0 "$nspawn" 2>/dev/null || fail "nspawn ended: $(tail -n 5 "$OUT/container.log")"
	sleep 1
done
in_ct systemctl start "$UNIT" ||
	fail "systemctl start: $(in_ct journalctl -u "$UNIT" -o cat --no-pager | tail -n 5)"
[ -S "$CONSUMER_SOCK" ] || fail "no $CONSUMER_SOCK once the unit started"
daemon=$(pgrep -x vdmabuf-backend) || fail "no daemon"
# The unit's ExecStart, the package's file.
cmp -s "/proc/$daemon/exe" "$ct/root/usr/bin/vdmabuf-backend" ||
	fail "the daemon is $(readlink "/proc/$daemon/exe"), not the package's"
exe=$(in_ct systemctl show -P ExecStart "$UNIT" | sed -n 's/.*path=\([^ ;]*\).*/\1/p')
[ "$exe" = /usr/bin/vdmabuf-backend ] || fail "ExecStart: $exe"
uid=$(awk '/^Uid:/ {print $2}' "/proc/$daemon/status")
[ "$(in_ct id -u vdmabuf)" = "$uid" ] || fail "runs as uid $uid, not as the package's vdmabuf"
in_ct /var/tmp/oot/oot-consumer "$CONSUMER_SOCK" >"$OUT/oot-l1.log" 2>&1 ||
	fail "oot-consumer: $(cat "$OUT/oot-l1.log")"
grep -q '^HELLO ' "$OUT/oot-l1.log" || fail "oot-consumer: $(cat "$OUT/oot-l1.log")"
verdict INFO "$UNIT: $exe as vdmabuf (uid $uid); oot-consumer: $(cat "$OUT/oot-l1.log")"

run_guest tests/install/vm-guest.sh >"$OUT/l2-qemu.log" 2>&1 &
guest=$!
i=0
until [ -S "$BACKEND_SOCK" ]; do
	i=$((i + 1))
	[ $i -lt 1200 ] || fail "QEMU made no $BACKEND_SOCK"
	kill -0 "$guest" 2>/dev/null || fail "guest gone: $(tail -n 5 "$OUT/l2-qemu.log")"
	sleep 0.1
done
chgrp kvm "$BACKEND_SOCK" && chmod 0660 "$BACKEND_SOCK" || fail "QEMU's socket to the group kvm"
# The guest's driver, built by DKMS there, bound: the consumer sees its features.
wait_for guest-bound 900 "$guest"
in_ct /var/tmp/oot/oot-consumer "$CONSUMER_SOCK" >"$OUT/oot-l1.log" 2>&1 ||
	fail "oot-consumer: $(cat "$OUT/oot-l1.log")"
grep -q '^HELLO guest features 0x[1-9a-f]' "$OUT/oot-l1.log" ||
	fail "no guest driver seen: $(cat "$OUT/oot-l1.log")"
sync_point host-saw-guest
wait "$guest" || fail "guest half: $(tail -n 15 "$OUT/l2.log" "$OUT/l2-qemu.log" 2>&1)"

in_ct systemctl stop "$UNIT"
result=$(in_ct systemctl show -P Result "$UNIT")
[ "$result" = success ] || fail "stopped with '$result'"
in_ct systemctl poweroff --no-block
wait "$nspawn" || fail "container: $(tail -n 5 "$OUT/container.log")"
pass "install: the packages' unit ran vdmabuf-backend as vdmabuf; oot-consumer: $(cat "$OUT/oot-l1.log"); L2: $(grep -h 'PASS' "$OUT/l2.log" | sed 's/.*PASS: //')"
