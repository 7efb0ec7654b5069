#!/bin/sh
# Suite install, in L2 (the guest), booted by systemd from a disk that
# keeps what it installs across boots (tools/vm guest --systemd --disk);
# dkms-host.sh boots it three times:
#   install   virtio-vdmabuf-dkms installed with dpkg: DKMS builds the
#             driver for the running kernel; nobody loads it
#   reboot    booted again: udev bound the device to the driver (its
#             modalias), no step by hand; then a kernel upgrade from the
#             lab's archive, the guest disk's apt source (apt-get update,
#             apt-get dist-upgrade): DKMS builds the driver for the new
#             kernel
#   upgraded  booted into the new kernel: the device is bound again, by
#             the driver DKMS built for it; the guest's packages (the
#             reference compositor and its libraries) install with apt,
#             which takes what they need from the lab's archive, and the
#             compositor's frames reach the host and come back
. "${0%/*}/../vm/lib.sh"

phase=$1
kver=$(uname -r)
debs=$BUILD/tests/install/debs
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
	# DKMS signs what it builds with its MOK key (Secure Boot's machines
	# load nothing else).
	signer=$(modinfo -F signer virtio_vdmabuf)
	[ -n "$signer" ] || fail "$mod is not signed"
	verdict INFO "$dev bound to virtio_vdmabuf ($mod, signed by '$signer')"
}

# Keeps DKMS's build log for kernel $1 in OUT: where it stays after a
# build, or where a failed one left it.
keep_make_log() {
	for log in /var/lib/dkms/virtio-vdmabuf/*/"$1"/*/log/make.log \
		/var/lib/dkms/virtio-vdmabuf/*/build/make.log; do
		[ -e "$log" ] && { cp "$log" "$OUT/dkms-make-$1.log"; return; }
	done
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
	keep_make_log "$kver"
	grep -q '^[0-9.]* status ' "$OUT/dpkg-install.log" && fail "dpkg -i: $(tail -n 20 "$OUT/dpkg-install.log")"
	built_for "$kver" "on install"
	verdict INFO "dpkg -i virtio-vdmabuf-dkms: DKMS built it for $kver in $(took)"
	# Installing builds; it loads at the next boot (or when the device comes).
	[ ! -e "$dev/driver" ] || fail "installing bound the device already"
	pass "install: DKMS built virtio_vdmabuf for $kver in $(took)"
	;;
reboot)
	bound
	t0=$(cut -d' ' -f1 /proc/uptime)
	{ { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get dist-upgrade -y -q; } 2>&1 ||
		echo "status $?"; } | stamp >"$OUT/apt-upgrade.log"
	new=$(ls /boot/vmlinuz-* | sed 's|/boot/vmlinuz-||' | grep -vx "$kver" | sort -V | tail -n 1)
	keep_make_log "$new"
	grep -q '^[0-9.]* status ' "$OUT/apt-upgrade.log" && fail "kernel upgrade: $(tail -n 20 "$OUT/apt-upgrade.log")"
	[ -n "$new" ] || fail "no new kernel in /boot: $(ls /boot)"
	built_for "$new" "on the kernel upgrade"
	echo "$new" >"$OUT/new-kernel"
	grep -q "virtio-vdmabuf" "$OUT/apt-upgrade.log" ||
		fail "the upgrade's log names no DKMS build: $(grep -i dkms "$OUT/apt-upgrade.log")"
	pass "reboot: udev bound the device to DKMS's virtio_vdmabuf for $kver; upgrade to $new rebuilt it in $(took)"
	;;
upgraded)
	[ "$kver" = "$(cat "$OUT/new-kernel")" ] || fail "booted $kver, not $(cat "$OUT/new-kernel")"
	bound
	t0=$(cut -d' ' -f1 /proc/uptime)
	{ DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$debs"/libvdmabuf0_*.deb \
		"$debs"/libwlr-vdmabuf0_*.deb "$debs"/vdmabuf-compositor_*.deb 2>&1 ||
		echo "status $?"; } | stamp >"$OUT/apt-compositor.log"
	grep -q '^[0-9.]* status ' "$OUT/apt-compositor.log" &&
		fail "apt-get install vdmabuf-compositor: $(tail -n 20 "$OUT/apt-compositor.log")"
	[ "$(command -v vdmabuf-compositor)" = /usr/bin/vdmabuf-compositor ] ||
		fail "vdmabuf-compositor is $(command -v vdmabuf-compositor)"
	verdict INFO "apt-get install vdmabuf-compositor: $(grep -c '^[0-9.]* Setting up' "$OUT/apt-compositor.log") packages in $(took)"
	start_guest_compositor 300 vdmabuf-compositor --mode 320x240@60 --stats "$OUT/compositor.stats"
	sleep 5
	kill -TERM "$COMPOSITOR_PID"
	wait "$COMPOSITOR_PID" || fail "vdmabuf-compositor: $(tail -n 5 "$OUT/compositor.log")"
	frames=$(sed -n 's/.* frames=\([0-9]*\).*/\1/p' "$OUT/compositor.stats")
	releases=$(sed -n 's/.* releases=\([0-9]*\).*/\1/p' "$OUT/compositor.stats")
	[ "${frames:-0}" -ge 1 ] && [ "${releases:-0}" -ge 1 ] ||
		fail "the installed compositor's frames did not go round: $(cat "$OUT/compositor.stats")"
	pass "upgraded: booted $kver, udev bound the device to DKMS's virtio_vdmabuf for it; the installed vdmabuf-compositor shared $frames frames, $releases released by the host"
	;;
*)
	fail "phase '$phase'?"
	;;
esac
