#!/bin/sh
# Suite transport, in L1, kernel engine only: the life of vhost_vdmabuf.ko's
# host dmabufs against the pins the kernel counts (/proc/vmstat
# nr_foll_pin_*). A host consumer holds imports of a guest's buffers while
# the guest resets its device and the daemon exits: the reset revokes the
# imports, so the guest's pages are unpinned though the dmabufs live on,
# and the module refuses to unload; once the consumer is gone no dmabuf of
# the module is left and it unloads.
# The guest's half is kernel-lifecycle-guest.sh.
. "${0%/*}/../vm/lib.sh"

ENGINE=kernel
consumer=$BUILD/tests/transport/consumer
rm -rf "$OUT/sync"
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug

pins() {
	awk '/^nr_foll_pin_acquired/ { a = $2 } /^nr_foll_pin_released/ { r = $2 }
		END { print a - r }' /proc/vmstat
}
module_dmabufs() { grep -c 'vhost_vdmabuf' /sys/kernel/debug/dma_buf/bufinfo || true; }
module_refs() { cat /sys/module/vhost_vdmabuf/refcnt; }

pins_before=$(pins)
start_backend
"$consumer" --frames 1000000 --timeout 600 --stall-after 5 >"$OUT/consumer.log" 2>&1 &
holder=$!
run_guest tests/transport/kernel-lifecycle-guest.sh >"$OUT/l2-qemu.log" 2>&1 &
guest=$!

# The consumer holds the imports of every buffer and the frames in flight.
i=0
until grep -q stalled "$OUT/consumer.log"; do
	i=$((i + 1))
	[ $i -lt 3000 ] || fail "consumer never stalled: $(cat "$OUT/consumer.log")"
	kill -0 "$holder" || fail "consumer died: $(cat "$OUT/consumer.log")"
	sleep 0.1
done
sync_point consumer-holds
wait_for guest-reset 300 "$guest"
wait "$guest" || fail "guest half failed: $(tail -n 15 "$OUT/l2.log" "$OUT/l2-qemu.log" 2>&1)"
stop_backend

# Guest reset, VM gone, daemon gone: the consumer's imports hold the
# module but, revoked, none of the guest's pages.
held=$(($(pins) - pins_before))
[ "$held" -le 0 ] || fail "consumer holds revoked imports, but $held pages are pinned"
[ "$(module_dmabufs)" -ge 3 ] || fail "$(module_dmabufs) module dmabufs with imports live"
rmmod vhost_vdmabuf 2>"$OUT/rmmod-refused.log" &&
	fail "vhost_vdmabuf unloaded with $(module_refs) references and imports live"
grep -q 'in use' "$OUT/rmmod-refused.log" || fail "rmmod: $(cat "$OUT/rmmod-refused.log")"

kill -9 "$holder"
wait "$holder"
# Pins of others come and go (one was counted at the start of a CI run
# and gone at the end): ours are gone once the count is back to the
# start's or below.
i=0
while [ "$(pins)" -gt "$pins_before" ] || [ "$(module_dmabufs)" != 0 ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "pins $pins_before before, $(pins) after the consumer; $(module_dmabufs) module dmabufs left"
	sleep 0.1
done
rmmod vhost_vdmabuf || fail "rmmod vhost_vdmabuf once every import is gone"
dmesg | grep -E 'BUG|WARNING|Oops|refcount' && fail "kernel complained"
pass "kernel lifecycle: imports revoked by a guest reset ($held pages pinned after it), held across a daemon exit, rmmod refused; all gone after the consumer"
