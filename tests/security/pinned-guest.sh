#!/bin/sh
# Suite security, in L2 (the guest); see pinned-host.sh.
. "${0%/*}/../vm/lib.sh"

PAGES=192
insmod "$BUILD/kmod/virtio_vdmabuf.ko" || fail "insmod"
[ -e /dev/udmabuf ] || modprobe udmabuf || fail "no udmabuf in the guest"
"$BUILD/tests/security/exporter" 64 $PAGES >"$OUT/exporter.log" 2>&1 &
pid=$!
wait_line "$OUT/exporter.log" '^exported' 300 "$pid"
grep -q 'exported [0-9]* of 64: No space left on device' "$OUT/exporter.log" ||
	fail "not refused: $(cat "$OUT/exporter.log")"
sync_point exported
wait_for host-checked 300

# step SIGNAL: sends it and waits for the exporter's answer, one line more.
step() {
	_lines=$(wc -l <"$OUT/exporter.log")
	kill "-$1" "$pid"
	_i=0
	while [ "$(wc -l <"$OUT/exporter.log")" = "$_lines" ]; do
		_i=$((_i + 1))
		[ $_i -lt 300 ] || fail "no answer to $1: $(tail -n 3 "$OUT/exporter.log")"
		sleep 0.1
	done
}

# Refused again at the budget; one unexported, one fits again; not two.
step USR1
step USR2
step USR1
step USR1
[ "$(sed 1d "$OUT/exporter.log" | tr '\n' ,)" = \
	"one more: No space left on device,unexported one: done,one more: exported,one more: No space left on device," ] ||
	fail "after the first refusal: $(cat "$OUT/exporter.log")"
sync_point exported-again
wait_for host-checked-again 300
kill -TERM "$pid"
wait "$pid" || fail "exporter exit"
pass "pinned guest: $(tr '\n' ';' <"$OUT/exporter.log")"
