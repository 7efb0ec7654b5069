#!/bin/sh
# Suite input, in L1 (the host): sway runs headless as the host desktop,
# with a German keymap and a shortcut of its own; vdmabuf-viewer shows the
# L2 guest fullscreen at 1280x720, twice the guest's 640x360 output. Input
# comes from sway's virtual keyboard (wtype) and a virtual pointer
# (host-pointer); the guest's input-client logs what reaches it, and that
# must be exactly what was typed and pointed at.
. "${0%/*}/../vm/lib.sh"

viewer=$BUILD/host-viewer/vdmabuf-viewer
client_log=$OUT/client.log
rm -rf "$OUT/sync" "$OUT"/viewer* "$OUT"/client*.log "$OUT"/*.png "$OUT/host-took-it"
modprobe kvm_amd 2>/dev/null || modprobe kvm_intel || fail "no kvm in L1"
echo 65536 >/sys/module/udmabuf/parameters/list_limit

cat >"$OUT/sway.cfg" <<CFG
xwayland disable
output * resolution 1280x720
default_border none
input type:keyboard xkb_layout de
bindsym Mod4+Return exec touch $OUT/host-took-it
CFG
start_sway "$OUT/sway.cfg"

start_backend
run_guest tests/input/input-guest.sh >"$OUT/l2-qemu.log" 2>&1 &
guest=$!
wait_for guest-running 300 "$guest"

# A pointer on the host's seat for the whole test: lines on fd 7.
mkfifo /tmp/pointer.in
"$BUILD/tests/input/host-pointer" 1280 720 </tmp/pointer.in >/tmp/pointer.out 2>"$OUT/host-pointer.log" &
exec 7>/tmp/pointer.in
pointer() {
	n=$(($(wc -l </tmp/pointer.out) + 1))
	echo "$*" >&7
	i=0
	until [ "$(wc -l </tmp/pointer.out)" -ge "$n" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "host-pointer: '$*': $(cat "$OUT/host-pointer.log")"
		sleep 0.1
	done
}
pointer abs 1 1

# A keyboard on the host's seat for the whole test, as a desktop has one:
# a wtype that waits 30 minutes before it types (each wtype below brings
# a keyboard of its own).
wtype -s 600000 -s 600000 -s 600000 -k F24 &
keyboard=$!

"$viewer" --name input --fullscreen --stats "$OUT/viewer.stats" >"$OUT/viewer.log" 2>&1 &
viewer_pid=$!

# Waits until the guest client logged a line matching $1 (a grep -E
# pattern) after line $2 of its log; $3 says what for.
await() {
	i=0
	until tail -n +"$(($2 + 1))" "$client_log" 2>/dev/null | grep -qE -- "$1"; do
		i=$((i + 1))
		[ $i -lt 300 ] || fail "$3: no '$1' in the guest's log: $(tail -n 8 "$client_log")"
		kill -0 $viewer_pid || fail "$3: the viewer died: $(tail -n 5 "$OUT/viewer.log")"
		sleep 0.1
	done
}
mark() { wc -l <"$client_log" 2>/dev/null || echo 0; }

# The guest's keyboard focus and the host's keymap.
await '^enter keyboard' 0 "keyboard focus"
await '^keymap [0-9]+' 0 "the host's keymap"
await '^repeat 25 600' 0 "the host's repeat rate"

# Text: wtype types through the virtual keyboard's own keymap, which
# sway hands the viewer; a guest typing with any other keymap would not
# produce these characters.
text='Grüße aus Zoë, 42€!'
m=$(mark)
wtype -d 20 "$text" || fail "wtype"
await "utf8=!" "$m" "typed text"
sleep 0.5
typed=$(tail -n +"$((m + 1))" "$client_log" |
	sed -n 's/^key [0-9]* pressed utf8=\(.*\)$/\1/p' | tr -d '\n' | sed 's/\\x20/ /g')
[ "$typed" = "$text" ] || fail "typed '$text', the guest got '$typed'"
pass "typed text arrived exactly: '$typed'"

# Modifiers: Ctrl+c reaches the guest as Ctrl held and c, which types ^C.
# (wtype makes up its keycodes: the text a key types names it.)
m=$(mark)
wtype -M ctrl -k c -m ctrl || fail "wtype ctrl"
await 'pressed utf8=\\x03$' "$m" "ctrl+c"
tail -n +"$((m + 1))" "$client_log" |
	awk '$1 == "modifiers" && int($2 / 4) % 2 == 1 { found = 1 } END { exit !found }' ||
	fail "no Control modifier reached the guest: $(tail -n +"$((m + 1))" "$client_log")"
pass "modifiers"

# A shortcut the host binds reaches the guest while the viewer inhibits them.
m=$(mark)
wtype -M logo -k Return -m logo || fail "wtype logo+Return"
await 'pressed utf8=\\x0d$' "$m" "Super+Return"
sleep 0.5
[ ! -e "$OUT/host-took-it" ] || fail "the host took Super+Return"
pass "Super+Return reached the guest, not the host"

# Pointer: the window is 1280x720, the guest's output 640x360.
m=$(mark)
# (The first position may come with the pointer's enter.)
pointer abs 200 100
await '^(motion|enter pointer) 100\.00 50\.00$' "$m" "pointer at (200, 100)"
pointer abs 1001 603
await '^motion 500\.50 301\.50$' "$m" "pointer at (1001, 603)"
pointer button 272 1
pointer button 272 0
await '^button 272 released' "$m" "left button"
tail -n +"$((m + 1))" "$client_log" | grep -q '^button 272 pressed' || fail "no press"
pass "pointer positions and buttons exact"

# The cursor is the guest client's own (16x16 magenta, hotspot 3,5), shown
# by the host at its pointer: screenshots with the cursor hold it there,
# and moving the pointer costs the guest no frame.
await '^cursor set' 0 "the guest client's cursor"
frames=$(daemon_stat frames_total) cursors=$(daemon_stat cursors_total)
[ "$cursors" -ge 1 ] || fail "the guest client's cursor image counted in no cursors_total"
for pos in "400 300" "900 500"; do
	set -- $pos
	pointer abs "$1" "$2"
	sleep 1
	grim -c -t ppm "$OUT/cursor-$1.ppm" || fail "grim"
	python3 "${0%/*}/cursor-check.py" "$OUT/cursor-$1.ppm" $(($1 - 3)) $(($2 - 5)) 16 ||
		fail "no guest cursor at ($1, $2) in $OUT/cursor-$1.ppm"
done
python3 "${0%/*}/cursor-check.py" --absent "$OUT/cursor-900.ppm" 397 295 16 ||
	fail "the cursor stayed where the pointer was before"
sent=$(($(daemon_stat frames_total) - frames)) images=$(($(daemon_stat cursors_total) - cursors))
[ "$sent" = 0 ] && [ "$images" = 0 ] ||
	fail "moving the pointer sent $sent guest frames and $images cursor images"
pass "the guest's cursor drawn by the host at its pointer; moving it sent no frame and no image"

# Scroll: one wheel click down.
m=$(mark)
pointer wheel 1
await '^axis 0 [0-9.]+ v120=120 ' "$m" "a wheel click"
pass "scroll: $(tail -n +"$((m + 1))" "$client_log" | grep -m1 '^axis')"

# The clipboard both ways, text and images, and the primary selection:
# wl-copy and wl-paste on either side, the viewer focused.
printf 'Grüße vom Host, %s ✓' "$(date +%s)" >"$OUT/host-text"
printf 'primär %s' "$(date +%s)" >"$OUT/host-primary"
printf 'Grüße aus dem Gast, %s ✓' "$(date +%s)" >"$OUT/guest-text"
python3 "${0%/*}/make-png.py" 96 64 1 >"$OUT/host.png"
python3 "${0%/*}/make-png.py" 80 60 2 >"$OUT/guest.png"
wl-copy <"$OUT/host-text" 2>>"$OUT/wl-copy.log" || fail "wl-copy"
wl-copy -p <"$OUT/host-primary" 2>>"$OUT/wl-copy.log" || fail "wl-copy -p"
sync_point host-copied-text
wait_for guest-pasted-text 300 "$guest"
cmp -s "$OUT/guest-paste.txt" "$OUT/host-text" ||
	fail "the guest pasted '$(cat "$OUT/guest-paste.txt")', the host copied '$(cat "$OUT/host-text")'"
cmp -s "$OUT/guest-paste-primary.txt" "$OUT/host-primary" ||
	fail "the guest's primary selection: '$(cat "$OUT/guest-paste-primary.txt")'"
pass "host text and primary selection pasted in the guest: '$(cat "$OUT/guest-paste.txt")'"
wl-copy -t image/png <"$OUT/host.png" 2>>"$OUT/wl-copy.log" || fail "wl-copy image"
sync_point host-copied-image
wait_for guest-pasted-image 300 "$guest"
cmp -s "$OUT/guest-paste.png" "$OUT/host.png" ||
	fail "the guest pasted $(wc -c <"$OUT/guest-paste.png") bytes for the host's PNG ($(wc -c <"$OUT/host.png")); types: $(cat "$OUT/guest-paste-types")"
pass "the host's PNG pasted in the guest, $(wc -c <"$OUT/host.png") bytes exact"

# Back: what the guest copies, the host pastes. Wayland lets a client set
# the selection only with the serial of an input event newer than the
# selection, so each copy follows one, as when a person presses Ctrl+C
# in the guest's window.
copy_in_guest() {
	wtype -M ctrl -k c -m ctrl || fail "wtype ctrl+c"
	sync_point "host-pressed-copy-$1"
	wait_for "guest-copied-$1" 300 "$guest"
}
copy_in_guest text
i=0
until timeout 20 wl-paste -n >"$OUT/host-paste.txt" 2>/dev/null && cmp -s "$OUT/host-paste.txt" "$OUT/guest-text"; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "the host pasted '$(cat "$OUT/host-paste.txt")', the guest copied '$(cat "$OUT/guest-text")': $(grep clipboard "$OUT/viewer.log" | tail -n 3)"
	sleep 0.2
done
pass "guest text pasted on the host: '$(cat "$OUT/host-paste.txt")'"
copy_in_guest image
i=0
until timeout 20 wl-paste -t image/png >"$OUT/host-paste.png" 2>/dev/null && cmp -s "$OUT/host-paste.png" "$OUT/guest.png"; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "the host pasted $(wc -c <"$OUT/host-paste.png") bytes for the guest's PNG ($(wc -c <"$OUT/guest.png")); types: $(wl-paste -l 2>&1 | tr '\n' ' ')"
	sleep 0.2
done
pass "the guest's PNG pasted on the host, $(wc -c <"$OUT/guest.png") bytes exact"

# A paste over the 16 MiB cap is cut short and said so; the rest goes on.
copy_in_guest over-cap
timeout 300 wl-paste -n >/tmp/over-cap.txt 2>"$OUT/wl-paste-over-cap.log"
got=$(wc -c </tmp/over-cap.txt)
[ "$got" -le $((16 * 1024 * 1024)) ] || fail "the host pasted $got bytes, over the cap"
i=0
until grep -q 'refused over 16777216 bytes' "$OUT/viewer.log"; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "the viewer did not say the paste was refused: $(grep clipboard "$OUT/viewer.log" | tail -n 3)"
	sleep 0.1
done
pass "a paste over the cap refused after $got bytes: $(grep -m1 'refused over' "$OUT/viewer.log" | sed 's/^vdmabuf-viewer: //')"

# Another consumer cannot take the seat or send input.
python3 "${0%/*}/bad-input.py" "$CONSUMER_SOCK" other >"$OUT/bad-input-other.log" 2>&1 ||
	fail "$(tail -n 3 "$OUT/bad-input-other.log")"
pass "$(tail -n 1 "$OUT/bad-input-other.log")"

# A guest client locks the pointer: the host locks its own, and the
# client receives relative motion, scaled to the guest's pixels.
sync_point lock-phase
wait_for lock-client-running 120 "$guest"
lock_log=$OUT/client-lock.log
pointer abs 640 360
i=0
until grep -q '^locked' "$lock_log" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 300 ] || fail "the guest client's lock never held: $(tail -n 5 "$lock_log")"
	sleep 0.1
done
grep -q 'pointer: locked' "$OUT/viewer.log" || fail "the viewer did not lock: $(tail -n 5 "$OUT/viewer.log")"
pointer rel 10 6
i=0
until grep -q '^relative 5\.00 3\.00$' "$lock_log"; do
	i=$((i + 1))
	[ $i -lt 300 ] || fail "no relative motion: $(tail -n 5 "$lock_log")"
	sleep 0.1
done
pass "pointer locked on both sides; relative motion (10, 6) arrived as (5, 3)"
# From here the locking client, the newest, has the keyboard too.
client_log=$lock_log

# A key held when the viewer goes is released in the guest.
m=$(mark)
wtype -P a || fail "wtype -P"
await 'pressed utf8=a$' "$m" "holding a"
code=$(tail -n +"$((m + 1))" "$client_log" | sed -n 's/^key \([0-9]*\) pressed utf8=a$/\1/p' | tail -n1)
kill -TERM $viewer_pid
wait $viewer_pid || fail "viewer exit: $(tail -n 5 "$OUT/viewer.log")"
await "^key $code released" "$m" "a released when the viewer went"
wtype -p a
pass "a held key released when the host's window went"

# With the seat free, bad events from its holder are refused, one by one.
python3 "${0%/*}/bad-input.py" "$CONSUMER_SOCK" holder >"$OUT/bad-input-holder.log" 2>&1 ||
	fail "$(tail -n 3 "$OUT/bad-input-holder.log")"
pass "$(tail -n 1 "$OUT/bad-input-holder.log")"

sync_point host-done
wait $guest || fail "guest failed (see $OUT/l2.log)"
kill $keyboard $SWAY_PID
stop_backend
pass "input: keyboard, pointer and their limits"
