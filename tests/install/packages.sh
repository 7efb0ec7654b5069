#!/bin/sh
# Suite install, no VM (in the lab root): the Debian packages as a user gets
# them. Builds them from the tree (dpkg-buildpackage -b, as debian/ says),
# runs lintian (no error allowed), then installs them with dpkg into a clean
# root: an overlay over the bare lab root (the build dependencies are there,
# the build tree and any vdmabuf file are not), in a chroot. There it checks
# what a user would: the programs run, the unit, sysusers and udev files
# are where systemd and udev read them and the package made the user
# vdmabuf, pkg-config finds vdmabuf and wlr-vdmabuf, oot/ (a consumer and a
# compositor) builds against the installed headers and .pc files only, and
# DKMS builds each module for the lab's kernel, the guest's with its
# virtio alias. Then everything is purged and nothing may be left.
#   packages.sh SRCDIR OUTDIR    (OUTDIR/debs: the packages, for install-vm)
set -eu
src=$1
out=$2
log() { printf 'install: %s\n' "$*"; }
fail() {
	printf 'install: FAIL: %s\n' "$*" >&2
	exit 1
}
start=$(date +%s)
lap() { echo "$(($(date +%s) - start)) s"; }

version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
work=$out/work
rm -rf "$work" "$out/debs"
mkdir -p "$work/tree/vdmabuf-$version" "$out/debs"

# The tree as it is, less what git ignores (build trees, objects).
tar -C "$src" --exclude-vcs --exclude-vcs-ignores --exclude='./build*' -cf - . |
	tar -C "$work/tree/vdmabuf-$version" -xf - || fail "copy of the tree"
[ -x "$work/tree/vdmabuf-$version/debian/rules" ] || fail "no debian/rules in the copy"
# nocheck: suite unit is the project's own run's; nice: VMs may run beside.
(cd "$work/tree/vdmabuf-$version" &&
	DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=$(nproc)" nice -n 10 dpkg-buildpackage -us -uc -b) \
	>"$work/build.log" 2>&1 || fail "dpkg-buildpackage: $(tail -n 20 "$work/build.log")"
changes=$work/tree/vdmabuf_${version}_$(dpkg-architecture -qDEB_HOST_ARCH).changes
cp "$work"/tree/*.deb "$out/debs/"
debs=$(cd "$out/debs" && ls)
log "built $(echo "$debs" | wc -l) packages in $(lap): $(echo "$debs" | tr '\n' ' ')"
for p in vdmabuf-backend vdmabuf-viewer vdmabuf-compositor vdmabuf-tools libvdmabuf0 \
	libvdmabuf-dev libwlr-vdmabuf0 libwlr-vdmabuf-dev virtio-vdmabuf-dkms vhost-vdmabuf-dkms; do
	echo "$debs" | grep -q "^${p}_$version" || fail "no package $p"
done

# lintian: errors fail, warnings are listed.
lrc=0
lintian --tag-display-limit 0 --display-info "$changes" >"$work/lintian.log" 2>&1 || lrc=$?
grep -q '^E: ' "$work/lintian.log" && fail "lintian errors: $(grep '^E: ' "$work/lintian.log")"
[ $lrc = 0 ] || fail "lintian (status $lrc): $(tail -n 5 "$work/lintian.log")"
log "lintian: 0 errors, $(grep -c '^W: ' "$work/lintian.log") warnings, $(grep -c '^I: ' "$work/lintian.log") infos"
grep '^W: ' "$work/lintian.log" | sed 's/^/install:   /' || true

# The clean root: the bare lab root under an overlay, in a mount namespace
# of its own (every mount goes with it; tools/lab made its own private).
lower=/lab
[ -d "$lower/usr/bin" ] || fail "no bare lab root at $lower (run in the lab: tools/lab run)"
rm -rf "$work/upper" "$work/ovl" "$work/root" "$work/root.log"
mkdir -p "$work/upper" "$work/ovl" "$work/root"
status=0
unshare --mount --propagation unchanged --fork -- sh -s -- "$lower" "$work" "$src" <<'ROOT' >"$work/root.log" 2>&1 || status=$?
set -eu
lower=$1 work=$2 src=$3
root=$work/root
mount -t overlay overlay -o "lowerdir=$lower,upperdir=$work/upper,workdir=$work/ovl" "$root"
mount --rbind /dev "$root/dev"
mount -t proc proc "$root/proc"
mount -t tmpfs tmpfs "$root/tmp"
mount -t tmpfs tmpfs "$root/run"
mkdir -p "$root/tmp/debs" "$root/tmp/oot"
cp "$work"/tree/*.deb "$root/tmp/debs/"
cp "$src"/tests/install/oot/* "$root/tmp/oot/"
cp "$src/tests/install/in-root.sh" "$root/tmp/"
exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
	sh /tmp/in-root.sh
ROOT
sed 's/^/install:   /' "$work/root.log"
[ $status = 0 ] || fail "in the clean root (status $status; $work/root.log, $work/upper/root/install-logs)"
log "PASS: $(echo "$debs" | wc -l) packages built, lintian clean, installed, checked and purged in $(lap)"
