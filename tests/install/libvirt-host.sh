#!/bin/sh
# Suite install, in L1 (the host) booted by systemd (tools/vm run
# --systemd): the guest as a libvirt user runs it. The host's packages
# (the test `packages` built them) go in with dpkg beside Debian's libvirt;
# the guest is the documented domain (docs/libvirt/vdmabuf-vm.xml, with
# the lab's kernel, initramfs and 9p shares in place of a disk:
# libvirt-domain.py), defined and started with virsh. The package's hook
# starts vdmabuf-backend@lab with the VM, QEMU (as libvirt's user, under
# libvirt's AppArmor profile) serves the device to it, the viewer shows the
# guest's frames in weston (screenshots checked as in suite e2e), and
# `virsh destroy` leaves nothing behind: no daemon, no unit active, no
# socket. The guest's half is libvirt-guest.sh.
. "${0%/*}/../vm/lib.sh"

name=lab
unit=vdmabuf-backend@$name.service
sock=/run/vdmabuf/$name.sock
vhost=/run/vdmabuf/$name.vhost.sock
debs=$BUILD/tests/install/debs
images=/var/lib/libvirt/images
shots=$OUT/screenshots
rm -rf "$OUT/sync" "$shots" "$OUT"/l2*
mkdir -p "$shots" "$OUT/sync"
ls "$debs"/vdmabuf-backend_*.deb >/dev/null 2>&1 ||
	fail "no packages in $debs: the test 'packages' makes them"
state=$(systemctl is-system-running --wait)
verdict INFO "systemd: $state"

dpkg -i "$debs"/vdmabuf-backend_*.deb "$debs"/vdmabuf-viewer_*.deb "$debs"/vdmabuf-tools_*.deb \
	"$debs"/libvdmabuf0_*.deb >"$OUT/dpkg.log" 2>&1 || fail "dpkg -i: $(tail -n 10 "$OUT/dpkg.log")"
[ -x /etc/libvirt/hooks/qemu.d/vdmabuf ] || fail "no libvirt hook from the package"
secmodel=$(virsh capabilities | sed -n 's|.*<model>\(.*\)</model>.*|\1|p' | tr '\n' ' ')
qemu=$(sed -n 's|.*<emulator>\(.*\)</emulator>.*|\1|p' "$(dirname "$0")/../../docs/libvirt/vdmabuf-vm.xml")
verdict INFO "libvirt $(virsh --version), security models: $secmodel; $qemu: $($qemu --version | head -n 1)"

# The guest: its kernel and initramfs where a user keeps them; L2's job
# as tools/vm writes it. libvirt's QEMU writes into OUT over 9p as its user.
cp "$(ls /boot/vmlinuz-* | sort -V | tail -n 1)" "$images/$name-vmlinuz"
cp /src/build-vm/initramfs.cpio.gz "$images/$name-initramfs"
{
	env | grep '^VDMABUF_' | grep -v '^VDMABUF_VM_\|^VDMABUF_IN_LAB' | sed 's/^/export /'
	echo "export VDMABUF_VM_ROLE=l2 VDMABUF_VM_OUT=$OUT"
	echo "exec tests/install/libvirt-guest.sh"
} >"$OUT/l2.job"
: >"$OUT/l2.log"
chown libvirt-qemu "$OUT" "$OUT/sync" "$OUT/l2.log" && chmod 0777 "$OUT" "$OUT/sync" &&
	chmod 0666 "$OUT/l2.log" || fail "chown $OUT"
python3 "${0%/*}/libvirt-domain.py" docs/libvirt/vdmabuf-vm.xml "$name" \
	"$images/$name-vmlinuz" "$images/$name-initramfs" \
	"console=ttyS0 panic=-1 quiet loglevel=4 vdmabuf.job=$OUT/l2.job" \
	"$OUT/l2-console.log" >"$OUT/domain.xml" || fail "libvirt-domain.py"

virsh define "$OUT/domain.xml" >"$OUT/virsh.log" 2>&1 || fail "virsh define: $(cat "$OUT/virsh.log")"
begin=$(date +%s)
virsh start "$name" >>"$OUT/virsh.log" 2>&1 ||
	fail "virsh start: $(tail -n 5 "$OUT/virsh.log"; journalctl -u "$unit" -o cat --no-pager | tail -n 5)"
verdict INFO "virsh start: $(($(date +%s) - begin)) s"
systemctl -q is-active "$unit" || fail "$unit not active: $(systemctl status "$unit" | tail -n 5)"
daemon=$(systemctl show -P MainPID "$unit")
[ "$(stat -c %U "/proc/$daemon")" = vdmabuf ] || fail "the daemon runs as $(stat -c %U "/proc/$daemon")"
[ "$(readlink "/proc/$daemon/exe")" = /usr/bin/vdmabuf-backend ] || fail "the daemon is $(readlink "/proc/$daemon/exe")"
qpid=$(cat "/run/libvirt/qemu/$name.pid") || fail "no QEMU pid"
[ "$(readlink "/proc/$qpid/exe")" = "$qemu" ] || fail "QEMU is $(readlink "/proc/$qpid/exe")"
quser=$(stat -c %U "/proc/$qpid")
qlabel=$(cat "/proc/$qpid/attr/current" 2>/dev/null | tr -d '\0')
verdict INFO "$unit: /usr/bin/vdmabuf-backend as vdmabuf; QEMU as $quser, confined: $qlabel"
[ "$quser" != root ] || fail "QEMU runs as root"

# The host's desktop and the viewer, as e2e-host.sh runs them.
start_weston
# The guest up, or why not: its console, libvirt's and AppArmor's words.
i=0
until [ -e "$OUT/sync/guest-running" ]; do
	i=$((i + 1))
	if [ $i -gt 9000 ] || [ "$(virsh domstate "$name")" != running ]; then
		journalctl -b --no-pager -o short-monotonic >"$OUT/journal.log" 2>&1
		fail "guest not running ($(virsh domstate "$name")): $(tail -n 5 "$OUT/l2-console.log";
			grep -m 5 'apparmor="DENIED"' "$OUT/journal.log")"
	fi
	sleep 0.1
done
vdmabuf-viewer --name "$name" --socket "$sock" >"$OUT/viewer.log" 2>&1 &
viewer=$!
found=
for try in $(seq 1 60); do
	rm -f "$shots"/wayland-screenshot-*.png
	(cd "$shots" && weston-screenshooter >/dev/null 2>&1)
	shot=$(ls "$shots"/wayland-screenshot-*.png 2>/dev/null | head -n1)
	if [ -n "$shot" ] && python3 tests/e2e/screenshot-check.py "$shot" >"$shots/check.txt" 2>&1; then
		mv "$shot" "$shots/frame.png"
		found=1
		break
	fi
	[ -n "$shot" ] && mv "$shot" "$shots/miss-$try.png"
	kill -0 "$viewer" 2>/dev/null || fail "viewer died: $(tail -n 5 "$OUT/viewer.log")"
	sleep 1
done
[ -n "$found" ] || fail "no screenshot held a known frame: $(cat "$shots/check.txt")"
verdict INFO "viewer: $(cat "$shots/check.txt")"

# virsh destroy: the hook stops the daemon; nothing is left.
virsh destroy "$name" >>"$OUT/virsh.log" 2>&1 || fail "virsh destroy: $(tail -n 3 "$OUT/virsh.log")"
kill "$viewer" 2>/dev/null
wait "$viewer"
[ "$(virsh domstate "$name")" = "shut off" ] || fail "domain: $(virsh domstate "$name")"
left=
systemctl -q is-active "$unit" && left="$left $unit active;"
systemctl -q is-failed "$unit" && left="$left $unit failed;"
pgrep -x vdmabuf-backend >/dev/null && left="$left daemon $(pgrep -x vdmabuf-backend);"
pgrep -f qemu-system >/dev/null && left="$left QEMU;"
for f in "$sock" "$vhost"; do
	[ -e "$f" ] && left="$left $f;"
done
[ -z "$left" ] || fail "left after virsh destroy:$left"
result=$(systemctl show -P Result "$unit")
[ "$result" = success ] || fail "$unit ended with '$result'"
virsh undefine "$name" >>"$OUT/virsh.log" 2>&1 || fail "virsh undefine"
kill "$WESTON_PID"
pass "libvirt: virsh started the documented domain, the hook ran $unit as vdmabuf, QEMU as $quser ($qlabel), the viewer showed its frames, virsh destroy left nothing"
