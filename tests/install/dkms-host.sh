#!/bin/sh
# Suite install, in L1 (the host): the guest's driver follows the guest's
# kernel. L2 is a Debian machine of its own: systemd boots it from a copy
# of the lab's guest disk (tools/vm guest --systemd --disk), which keeps
# what it installs, with the vdmabuf device served by the daemon. It
# boots three times (dkms-guest.sh says what each boot checks): the
# package installed (DKMS builds the driver), a reboot (udev binds the
# device by its modalias) and a kernel upgrade (DKMS builds it for the
# new kernel), a boot into the new kernel (bound again). The "boot
# loader" is tools/vm: it boots the newest kernel on the disk.
. "${0%/*}/../vm/lib.sh"

disk=/tmp/l2-disk.img
rm -rf "$OUT/new-kernel" "$OUT"/vmlinuz-* "$OUT"/initramfs-*
ls "$BUILD"/tests/install/debs/virtio-vdmabuf-dkms_*.deb >/dev/null 2>&1 ||
	fail "no packages in $BUILD/tests/install/debs: the test 'packages' makes them"
begin=$(date +%s)
cp --sparse=always /lab/var/lib/vdmabuf-lab/guest/disk-*.img "$disk" ||
	fail "no guest disk in /lab/var/lib/vdmabuf-lab/guest (tools/lab builds it)"
verdict INFO "guest disk copied in $(($(date +%s) - begin)) s"

# What the guest's job said when it passed (lib.sh's verdict).
passed() { sed -n 's/^l2: PASS \[[^]]*\]: //p' "$1"; }

# boot PHASE [OPTIONS]: one boot of L2 running dkms-guest.sh PHASE.
boot() {
	phase=$1
	shift
	start_backend
	begin=$(date +%s)
	run_guest --systemd --disk "$disk" --timeout 1200 "$@" tests/install/dkms-guest.sh "$phase" \
		>"$OUT/l2-qemu-$phase.log" 2>&1 ||
		fail "$phase: $(tail -n 15 "$OUT/l2.log" "$OUT/l2-qemu-$phase.log" 2>&1)"
	stop_backend
	cp "$OUT/l2.log" "$OUT/l2-$phase.log"
	verdict INFO "boot '$phase': $(($(date +%s) - begin)) s: $(passed "$OUT/l2.log")"
}

boot install
boot reboot
[ -s "$OUT/new-kernel" ] || fail "the guest upgraded to no kernel"
boot upgraded
pass "install-dkms: $(for p in install reboot upgraded; do passed "$OUT/l2-$p.log"; done | tr '\n' ';')"
