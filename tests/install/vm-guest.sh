#!/bin/sh
# Suite install, in L2 (the guest); see vm-host.sh. The guest's packages
# go into a root of their own (an overlay over the lab root, chrooted, as
# the lab root is read-only): installing virtio-vdmabuf-dkms makes DKMS
# build the driver for the running kernel, and the device's modalias
# (what udev hands modprobe) loads it, with no path to a .ko anywhere.
. "${0%/*}/../vm/lib.sh"

debs=$BUILD/tests/install/debs
r=/tmp/root
kver=$(uname -r)
[ ! -e /sys/module/virtio_vdmabuf ] || fail "virtio_vdmabuf loaded before the package"
dev=$(find_virtio_device 37) || fail "no vdmabuf virtio device"
[ ! -e "$dev/driver" ] || fail "the device has a driver already"

mkdir -p /tmp/upper /tmp/work "$r"
modprobe overlay || fail "modprobe overlay"
mount -t overlay overlay -o "lowerdir=/lab,upperdir=/tmp/upper,workdir=/tmp/work" "$r" ||
	fail "overlay over the lab root"
mkdir -p "$r/var/tmp/debs" "$r/var/tmp/oot"
for p in virtio-vdmabuf-dkms libvdmabuf0 libvdmabuf-dev libwlr-vdmabuf0 libwlr-vdmabuf-dev; do
	cp "$debs/${p}_"*.deb "$r/var/tmp/debs/" || fail "no package $p"
done
cp /src/tests/install/oot/* "$r/var/tmp/oot/"
mount -t proc proc "$r/proc"
mount -t sysfs sysfs "$r/sys"
mount --bind /dev "$r/dev"
mount -t tmpfs tmpfs "$r/tmp"
chroot "$r" sh -c 'dpkg -i /var/tmp/debs/*.deb' >"$OUT/dpkg-l2.log" 2>&1 ||
	fail "dpkg -i: $(tail -n 10 "$OUT/dpkg-l2.log")"
grep -q "Building initial module virtio-vdmabuf/.* for $kver" "$OUT/dpkg-l2.log" ||
	fail "DKMS built nothing for $kver: $(grep -i -A3 dkms "$OUT/dpkg-l2.log" | tail -n 10)"
chroot "$r" dkms status -m virtio-vdmabuf -k "$kver" | grep -q ': installed' ||
	fail "dkms status: $(chroot "$r" dkms status)"

# What udev does for a new device: modprobe its modalias.
alias=$(cat "$dev/modalias")
chroot "$r" modprobe "$alias" || fail "modprobe $alias"
[ "$(basename "$(readlink "$dev/driver")")" = virtio_vdmabuf ] ||
	fail "$dev bound to '$(readlink "$dev/driver")'"
mod=$(chroot "$r" modinfo -n virtio_vdmabuf)
case $mod in
*/updates/dkms/*) ;;
*) fail "virtio_vdmabuf from $mod, not from DKMS" ;;
esac
i=0
until [ -c /dev/vdmabuf ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "no /dev/vdmabuf"
	sleep 0.1
done
sync_point guest-bound

chroot "$r" make -s -C /var/tmp/oot oot-compositor >"$OUT/oot-l2.log" 2>&1 ||
	fail "oot-compositor: $(tail -n 10 "$OUT/oot-l2.log")"
chroot "$r" /var/tmp/oot/oot-compositor /dev/vdmabuf >>"$OUT/oot-l2.log" 2>&1 ||
	fail "oot-compositor: $(tail -n 5 "$OUT/oot-l2.log")"
wait_for host-saw-guest 300
pass "DKMS built virtio_vdmabuf for $kver, $alias loaded it ($mod), $(tail -n 1 "$OUT/oot-l2.log")"
