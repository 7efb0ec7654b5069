#!/bin/sh
# Suite security, in L1 (the host), kernel engine: a consumer maps each
# import, and at GONE drops it but keeps its fd and mapping; it also
# imported the first buffer into vgem, a DRM driver that maps it as a GPU
# would. While vgem maps it that buffer stays pinned and the guest is not
# told RETIRED; once vgem lets go it retires, every page is unpinned while
# the consumer still holds its dmabufs, and once the guest wrote the pages
# again the consumer's mappings read zeros, a write through them faults
# and the fds cannot be mapped again; the guest finds its bytes untouched.
# The guest's half is revoke-guest.sh.
. "${0%/*}/../vm/lib.sh"

ENGINE=kernel
rm -rf "$OUT/sync"
pins() {
	awk '/^nr_foll_pin_acquired/ { a = $2 } /^nr_foll_pin_released/ { r = $2 }
		END { print a - r }' /proc/vmstat
}

[ -e /sys/module/vgem ] || modprobe vgem || fail "modprobe vgem"
card=
for c in /sys/class/drm/card*; do
	[ "$(basename "$(readlink -f "$c/device")")" = vgem ] && card=/dev/dri/${c##*/}
done
[ -n "$card" ] || fail "no vgem card"

pins_before=$(pins)
dmesg -C
start_backend
"$BUILD/tests/transport/consumer" --frames 30 --timeout 600 \
	--device-import "$card:$OUT/sync/release-device" \
	--keep-maps "$OUT/sync/guest-rewrote" >"$OUT/consumer.log" 2>&1 &
consumer=$!
run_guest tests/security/revoke-guest.sh >"$OUT/l2-qemu.log" 2>&1 &
guest=$!

# Every buffer unexported and dropped; vgem still maps the first.
wait_line "$OUT/consumer.log" 'a device maps one' 600 "$consumer"
sleep 3
[ ! -e "$OUT/sync/guest-rewrote" ] || fail "RETIRED while vgem maps a buffer"
held_by_device=$(($(pins) - pins_before))
[ "$held_by_device" -ge $((256 * 256 * 4 / 4096)) ] ||
	fail "vgem maps a buffer, but $held_by_device pages are pinned"
dmesg | grep -q 'buffer revoked; 1 device and 0 kernel mappings keep its 64 pages pinned' ||
	fail "no log of the pages kept: $(dmesg | tail -n 5)"
sync_point release-device
wait_line "$OUT/consumer.log" 'kept [0-9]* mappings' 60 "$consumer"
kept=$(sed -n 's/.*kept \([0-9]*\) mappings.*/\1/p' "$OUT/consumer.log")
wait_for guest-rewrote 300 "$guest"
# The consumer's dmabufs live on, but hold none of the guest's pages.
held=$(($(pins) - pins_before))
[ "$held" -le 0 ] || fail "$held guest pages still pinned after RETIRED"
wait "$consumer" || fail "consumer: $(tail -n 5 "$OUT/consumer.log")"
sync_point host-checked
wait "$guest" || fail "guest half failed: $(tail -n 15 "$OUT/l2.log" "$OUT/l2-qemu.log" 2>&1)"
stop_backend
dmesg | grep -E 'BUG|WARNING|Oops|refcount' && fail "kernel complained"
pass "revoke: RETIRED held while vgem mapped a buffer ($held_by_device pages pinned), sent once it let go; $kept dropped imports kept mapped, unpinned ($held pages held); $(grep 'revoked mappings' "$OUT/consumer.log"); $(grep 'changed by the host' "$OUT/l2.log" | tail -n 1)"
