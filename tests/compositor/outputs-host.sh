#!/bin/sh
# Suite compositor, in L1 (the host): several guest outputs (spec §20).
# First the guest driver's part: output-ioctl in L2 checks OUTPUT's
# refusals and PRESENT on outputs, and the mode hints output-checker here
# sends. Then hotplug under load: vdmabuf-compositor in L2 animates
# client A on output 0 while output-checker adds and removes output 1 50
# times (client B lives there, and waits behind A while it is gone),
# checking every frame's output and pixels and, before and after, what
# the daemon holds. Last, the daemon is killed and started again: the
# guest's device resets, and the compositor announces output 0 again. The
# guest's half is outputs-guest.sh.
. "${0%/*}/../vm/lib.sh"

checker=$BUILD/tests/compositor/output-checker
rounds=${VDMABUF_OUTPUT_ROUNDS:-50}
rm -rf "$OUT/sync" "$OUT"/outputs-*.log
echo 65536 >/sys/module/udmabuf/parameters/list_limit

BACKEND_MANAGED=1 start_backend
run_guest tests/compositor/outputs-guest.sh >"$OUT/l2-qemu.log" 2>&1 &
guest=$!

"$checker" --ioctl --timeout 400 --log "$OUT/outputs-ioctl.log" >/dev/null 2>&1 ||
	fail "ioctl: $(tail -n 5 "$OUT/outputs-ioctl.log")"
sync_point ioctl-done

# The user engine holds one fd per live buffer; the kernel engine's are
# the module's.
[ "$ENGINE" = user ] && per_buffer=1 || per_buffer=0
"$checker" --hotplug "$rounds" --sync "$OUT/sync" --daemon-pid "$(backend_pid)" \
	--fd-per-buffer "$per_buffer" --timeout 1500 --log "$OUT/outputs-hotplug.log" \
	>/dev/null 2>&1 &
hotplug=$!
wait_line "$OUT/outputs-hotplug.log" 'output 1 up' 600 "$hotplug"
sync_point start-client-b
wait "$hotplug" || fail "hotplug: $(tail -n 8 "$OUT/outputs-hotplug.log")"

# A device reset ends every output; the guest announces its own again.
old=$(backend_pid)
kill -9 "$old"
wait_resumed "$old"
"$checker" --reset --timeout 300 --log "$OUT/outputs-reset.log" >/dev/null 2>&1 ||
	fail "after the reset: $(tail -n 5 "$OUT/outputs-reset.log")"
sync_point reset-checked
wait "$guest" || fail "guest half failed: $(tail -n 15 "$OUT/l2.log" "$OUT/l2-qemu.log" 2>&1)"
stop_backend
pass "outputs ($ENGINE engine): $(grep -h 'rounds;' "$OUT/outputs-hotplug.log");" \
	"$(grep -h '^daemon ' "$OUT/outputs-hotplug.log" | tr '\n' ';')" \
	"$(grep -h 'after the reset:' "$OUT/outputs-reset.log")"
