#!/bin/sh
# Suite install, in L2 (the guest), booted by systemd on a root of its own
# that keeps what it installs across boots (tools/vm guest --systemd
# --disk); dkms-host.sh boots it three times:
#   install   virtio-vdmabuf-dkms installed with dpkg: DKMS builds the
#             driver for the running kernel; nobody loads it
#   reboot    booted again: udev bound the device to the driver (its
#             modalias), no step by hand; then a kernel upgrade from the
#             lab's archive (apt-get install of another version's image and
#             headers): DKMS builds the driver for the new kernel
#   upgraded  booted into the new kernel: the device is bound again, by
#             the driver DKMS built for it
. "${0%/*}/../vm/lib.sh"

phase=$1
kver=$(uname -r)
debs=$BUILD/tests/install/debs
upgrade=/var/lib/vdmabuf-lab/kernel-upgrade
t0=$(cut -d' ' -f1 /proc/uptime)
# Each line of a command's output with the seconds since boot.
stamp() {
	while IFS= read -r line; do
		printf '%s %s\n' "$(cut -d' ' -f1 /proc/uptime)" "$line"
	done
}
took() { awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.0f s", b - a }'; }
dev=$(find_virtio_device 37) || fail "no vdmabuf virtio device"
verdict INFO "$phase: systemd $(systemctl is-system-running 2>/dev/null), kernel $kver, $(nproc) CPU"

# The device bound to the driver DKMS built for this kernel, with no step
# by hand: udev handed its modalias to modprobe at boot.
bound() {
	udevadm settle --timeout=120 || fail "udevadm settle"
	drv=$(readlink "$dev/driver") || fail "$dev has no driver after boot ($(cat "$dev/modalias"))"
	[ "${drv##*/}" = virtio_vdmabuf ] || fail "$dev bound to $drv"
	mod=$(modinfo -n virtio_vdmabuf)
	case $mod in
	/lib/modules/$kver/updates/dkms/* | /usr/lib/modules/$kver/updates/dkms/*) ;;
	*) fail "virtio_vdmabuf from $mod, not DKMS's for $kver" ;;
	esac
	[ -c /dev/vdmabuf ] || fail "no /dev/vdmabuf"
	verdict INFO "$dev bound to virtio_vdmabuf ($mod)"
}

# DKMS built and installed the driver for kernel $1 ($2 says when).
built_for() {
	dkms status -m virtio-vdmabuf -k "$1" | grep -q ': installed' ||
		fail "DKMS did not install virtio-vdmabuf for $1 $2: $(dkms status)"
	ls /var/lib/dkms/virtio-vdmabuf/*/"$1"/*/module/virtio_vdmabuf.ko* >/dev/null 2>&1 ||
		ls /lib/modules/"$1"/updates/dkms/virtio_vdmabuf.ko* >/dev/null 2>&1 ||
		fail "no virtio_vdmabuf.ko for $1"
}

case $phase in
install)
	[ ! -e /sys/module/virtio_vdmabuf ] || fail "virtio_vdmabuf loaded before the package"
	[ ! -e "$dev/driver" ] || fail "the device has a driver before the package"
	{ dpkg -i "$debs"/virtio-vdmabuf-dkms_*.deb 2>&1 || echo "status $?"; } |
		stamp >"$OUT/dpkg-install.log"
	grep -q '^[0-9.]* status ' "$OUT/dpkg-install.log" && fail "dpkg -i: $(tail -n 20 "$OUT/dpkg-install.log")"
	built_for "$kver" "on install"
	verdict INFO "dpkg -i virtio-vdmabuf-dkms: DKMS built it for $kver in $(took)"
	cp /var/lib/dkms/virtio-vdmabuf/*/build/make.log "$OUT/dkms-make-$kver.log" 2>/dev/null || true
	# Installing builds; it loads at the next boot (or when the device comes).
	[ ! -e "$dev/driver" ] || fail "installing bound the device already"
	pass "install: DKMS built virtio_vdmabuf for $kver in $(took)"
	;;
reboot)
	bound
	ls "$upgrade"/linux-image-*.deb >/dev/null 2>&1 || fail "no kernel to upgrade to in $upgrade"
	t0=$(cut -d' ' -f1 /proc/uptime)
	{ DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-download "$upgrade"/*.deb 2>&1 ||
		echo "status $?"; } | stamp >"$OUT/apt-upgrade.log"
	grep -q '^[0-9.]* status ' "$OUT/apt-upgrade.log" && fail "kernel upgrade: $(tail -n 20 "$OUT/apt-upgrade.log")"
	new=$(ls /boot/vmlinuz-* | sed 's|/boot/vmlinuz-||' | grep -vx "$kver" | sort -V | tail -n 1)
	[ -n "$new" ] || fail "no new kernel in /boot: $(ls /boot)"
	built_for "$new" "on the kernel upgrade"
	echo "$new" >"$OUT/new-kernel"
	grep -q "virtio-vdmabuf" "$OUT/apt-upgrade.log" ||
		fail "the upgrade's log names no DKMS build: $(grep -i dkms "$OUT/apt-upgrade.log")"
	cp /var/lib/dkms/virtio-vdmabuf/*/build/make.log "$OUT/dkms-make-$new.log" 2>/dev/null || true
	pass "reboot: udev bound the device to DKMS's virtio_vdmabuf for $kver; upgrade to $new rebuilt it in $(took)"
	;;
upgraded)
	[ "$kver" = "$(cat "$OUT/new-kernel")" ] || fail "booted $kver, not $(cat "$OUT/new-kernel")"
	bound
	pass "upgraded: booted $kver, udev bound the device to DKMS's virtio_vdmabuf for it"
	;;
*)
	fail "phase '$phase'?"
	;;
esac
