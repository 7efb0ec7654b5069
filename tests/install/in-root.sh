#!/bin/sh
# Suite install: packages.sh's checks inside the clean root (a chroot of an
# overlay over the bare lab root), with the packages in /tmp/debs and
# tests/install/oot in /tmp/oot. No build tree is reachable from here.
set -eu
fail() {
	printf 'FAIL: %s\n' "$*"
	exit 1
}
t0=$(date +%s)
# Kept in the overlay's upper directory.
logs=/root/install-logs
mkdir -p "$logs"
ok() { printf 'ok [%ss]: %s\n' "$(($(date +%s) - t0))" "$*"; }
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
version=$(dpkg-deb -f /tmp/debs/libvdmabuf0_*.deb Version)

# Clean: nothing of vdmabuf before the packages.
left=$(ls -d /usr/bin/vdmabuf* /usr/lib/"$arch"/libvdmabuf* /usr/lib/"$arch"/libwlr-vdmabuf* \
	/usr/include/vdmabuf* /usr/src/*vdmabuf* /usr/lib/systemd/system/vdmabuf* 2>/dev/null || true)
[ -z "$left" ] || fail "the root is not clean: $left"
getent passwd vdmabuf >/dev/null && fail "user vdmabuf exists before the packages"
# The kernel whose headers the lab has (DKMS builds for it), not the
# machine's running one.
kver=
for d in /lib/modules/*/build; do
	[ -e "$d/Makefile" ] && kver=$(basename "$(dirname "$d")")
done
[ -n "$kver" ] || fail "no kernel headers in the root"

dpkg -i /tmp/debs/*.deb >$logs/dpkg.log 2>&1 || fail "dpkg -i: $(tail -n 20 $logs/dpkg.log)"
[ -z "$(dpkg --audit)" ] || fail "dpkg --audit: $(dpkg --audit)"
n=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' 'vdmabuf-*' 'libvdmabuf*' \
	'libwlr-vdmabuf*' '*-vdmabuf-dkms' | grep -c '^ii ')
[ "$n" = 10 ] || fail "$n of 10 packages installed: $(dpkg -l '*vdmabuf*' | tail -n 12)"
ok "dpkg -i of 10 packages, kernel headers for $kver"

# The programs run.
vdmabuf-backend --help >/tmp/help 2>&1 || fail "vdmabuf-backend --help: $(cat /tmp/help)"
grep -q -- '--socket PATH' /tmp/help || fail "vdmabuf-backend --help: $(head -n 3 /tmp/help)"
for p in vdmabuf-viewer vdmabuf-compositor vdmabuf; do
	"$p" --help >/tmp/help 2>&1 || fail "$p --help: $(cat /tmp/help)"
	grep -qi 'usage' /tmp/help || fail "$p --help: $(head -n 3 /tmp/help)"
done
man -w vdmabuf-backend >/dev/null 2>&1 || [ -e /usr/share/man/man8/vdmabuf-backend.8.gz ] ||
	fail "no man page vdmabuf-backend(8)"
ok "vdmabuf-backend, vdmabuf-viewer, vdmabuf-compositor, vdmabuf: --help"

# The unit, its group helper, sysusers and udev, where systemd reads them.
unitdir=$(systemd-analyze unit-paths | grep -x '/usr/lib/systemd/system') ||
	fail "systemd does not read /usr/lib/systemd/system: $(systemd-analyze unit-paths)"
for u in vdmabuf-backend@.service vdmabuf-group@.service; do
	[ -f "$unitdir/$u" ] || fail "no $unitdir/$u"
done
grep -qx 'ExecStart=/usr/bin/vdmabuf-backend .*' "$unitdir/vdmabuf-backend@.service" ||
	fail "ExecStart: $(grep ExecStart= "$unitdir/vdmabuf-backend@.service")"
systemd-analyze verify --man=no vdmabuf-backend@vm1.service >/tmp/verify 2>&1 ||
	fail "systemd-analyze verify: $(cat /tmp/verify)"
# The viewer's user unit, one per VM in a desktop session.
[ -f /usr/lib/systemd/user/vdmabuf-viewer@.service ] ||
	fail "no /usr/lib/systemd/user/vdmabuf-viewer@.service"
mkdir -p -m 700 /tmp/xdg-verify
XDG_RUNTIME_DIR=/tmp/xdg-verify systemd-analyze --user verify --man=no \
	vdmabuf-viewer@vm1.service >/tmp/verify 2>&1 ||
	fail "systemd-analyze --user verify: $(cat /tmp/verify)"
[ -f /usr/lib/sysusers.d/vdmabuf.conf ] || fail "no /usr/lib/sysusers.d/vdmabuf.conf"
systemd-analyze cat-config sysusers.d/vdmabuf.conf | grep -q '^u vdmabuf ' ||
	fail "systemd-sysusers does not read vdmabuf.conf"
getent passwd vdmabuf >/dev/null || fail "the package made no user vdmabuf (sysusers)"
rules=/usr/lib/udev/rules.d/60-vdmabuf.rules
[ -f "$rules" ] || fail "no $rules"
udevadm verify --resolve-names=never "$rules" >/tmp/verify 2>&1 ||
	fail "udevadm verify: $(cat /tmp/verify)"
ok "units in $unitdir and the viewer's user unit verified, user vdmabuf made, udev rule verified"

# pkg-config and an out-of-tree consumer and compositor.
v=$(pkg-config --modversion vdmabuf wlr-vdmabuf | sort -u)
[ "$v" = "$(echo "$version" | sed 's/-.*//')" ] || fail "pkg-config --modversion: '$v'"
make -s -C /tmp/oot >$logs/oot.log 2>&1 || fail "oot build: $(tail -n 20 $logs/oot.log)"
for p in oot-consumer:libvdmabuf.so.0:libvdmabuf0 oot-compositor:libwlr-vdmabuf.so.0:libwlr-vdmabuf0; do
	prog=${p%%:*} pkg=${p##*:} soname=${p#*:}
	soname=${soname%:*}
	lib=$(ldd "/tmp/oot/$prog" | awk -v l="$soname" '$1 == l { print $3 }')
	[ -n "$lib" ] && dpkg -S "$(readlink -f "$lib")" | grep -q "^$pkg:" ||
		fail "$prog does not use $pkg's $soname: $(ldd "/tmp/oot/$prog")"
done
# They run on the installed libraries; with no daemon nor device here they
# must say so (install-vm runs them against the real ones).
/tmp/oot/oot-consumer /run/none.sock >/tmp/run.log 2>&1 && fail "oot-consumer connected to nothing"
grep -q 'No such file' /tmp/run.log || fail "oot-consumer: $(cat /tmp/run.log)"
/tmp/oot/oot-compositor /dev/none >/tmp/run.log 2>&1 && fail "oot-compositor on no device"
grep -q 'no vdmabuf backend on /dev/none' /tmp/run.log || fail "oot-compositor: $(cat /tmp/run.log)"
ok "pkg-config --modversion vdmabuf wlr-vdmabuf: $v; oot/ built and linked to the packages"

# DKMS: each package's module built for the lab's kernel.
for m in virtio-vdmabuf vhost-vdmabuf; do
	ko=$(echo "$m" | tr - _)
	dkms status -m "$m" | grep -q "$m/$version" || fail "dkms status: $(dkms status)"
	if ! dkms status -m "$m" -k "$kver" | grep -q ': installed'; then
		dkms install -m "$m" -v "$version" -k "$kver" >$logs/dkms.log 2>&1 ||
			fail "dkms install $m for $kver: $(tail -n 20 $logs/dkms.log)"
	fi
	modinfo -k "$kver" -n "$ko" | grep -q '/updates/dkms/' ||
		fail "$ko for $kver: $(modinfo -k "$kver" -n "$ko" 2>&1)"
done
# Loaded by the device's modalias (virtio device 37), as udev does.
alias=$(modinfo -k "$kver" -F alias virtio_vdmabuf)
[ "$alias" = 'virtio:d00000025v*' ] || fail "virtio_vdmabuf alias: '$alias'"
resolved=$(modprobe -S "$kver" -R 'virtio:d00000025v00001AF4') ||
	fail "modprobe -R of the device's modalias"
[ "$resolved" = virtio_vdmabuf ] || fail "the device's modalias resolves to '$resolved'"
ok "dkms: virtio_vdmabuf and vhost_vdmabuf built for $kver; virtio:d00000025 loads virtio_vdmabuf"

# Purge: nothing left behind.
dpkg --purge vdmabuf-backend vdmabuf-viewer vdmabuf-compositor vdmabuf-tools libvdmabuf0 \
	libvdmabuf-dev libwlr-vdmabuf0 libwlr-vdmabuf-dev virtio-vdmabuf-dkms vhost-vdmabuf-dkms \
	>$logs/purge.log 2>&1 || fail "dpkg --purge: $(tail -n 20 $logs/purge.log)"
left=$(ls -d /usr/bin/vdmabuf* /usr/lib/"$arch"/libvdmabuf* /usr/lib/"$arch"/libwlr-vdmabuf* \
	/usr/include/vdmabuf* /usr/src/*vdmabuf* /usr/lib/systemd/system/vdmabuf* \
	/usr/lib/systemd/user/vdmabuf* \
	/lib/modules/"$kver"/updates/dkms/*vdmabuf* /var/lib/dkms/*vdmabuf* 2>/dev/null || true)
[ -z "$left" ] || fail "left after purge: $left"
ok "purged, nothing left"
