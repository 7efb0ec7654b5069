#!/usr/bin/env python3
"""Suite input: a host consumer that sends the daemon input it must refuse.

bad-input.py SOCKET other   the viewer holds the seat: SEAT is EBUSY, INPUT
                            and KEYMAP are EPERM
bad-input.py SOCKET holder  nobody holds it: take it, then events the model
                            must refuse (unknown kind, keycode, button,
                            positions outside the output, a keymap too big)
                            each with EINVAL, none reaching the guest

Raw messages (protocol/vdmabuf_consumer.h), so that libvdmabuf's own checks
do not stop them first. Exits non-zero on the first answer that differs.
"""
import errno
import socket
import struct
import sys

MSG = 304
HELLO, REPLY, STATS = 1, 6, 20
SEAT, INPUT, KEYMAP = 21, 22, 23
KEY, MOTION, BUTTON = 3, 18, 20
MAX_POS = 16384 * 256
MAX_KEYMAP = 256 * 1024
INPUT_EVENTS = 9  # index of input_events among the STATS counters


def msg(kind, payload=b""):
    return struct.pack("=IiII16s", kind, 0, 0, 0, b"\0" * 16) + payload.ljust(272, b"\0")


def input_msg(kind, *args):
    args = list(args) + [0] * (10 - len(args))
    return msg(INPUT, struct.pack("=IIQ10i", kind, 0, 0, *args))


class Daemon:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.settimeout(10)
        self.sock.connect(path)
        kind, = struct.unpack_from("=I", self.sock.recv(MSG))
        if kind != HELLO:
            sys.exit(f"bad-input: first message {kind}, not HELLO")

    def stats(self):
        """STATS, and every REPLY that came before it."""
        self.sock.send(msg(STATS))
        replies = []
        while True:
            data = self.sock.recv(MSG)
            kind, status, status_of = struct.unpack_from("=IiI", data)
            if kind == REPLY:
                replies.append((status_of, -status))
            elif kind == STATS:
                return replies, struct.unpack_from("=11Q", data, 32)

    def expect(self, what, data, status_of, err):
        self.sock.send(data)
        replies, _ = self.stats()
        want = [(status_of, err)] if err else []
        if replies != want:
            sys.exit(f"bad-input: {what}: answers {replies}, want {want}")
        print(f"bad-input: {what}: {errno.errorcode[err] if err else 'accepted'}")


def main():
    path, role = sys.argv[1], sys.argv[2]
    d = Daemon(path)
    _, before = d.stats()
    if role == "other":
        d.expect("seat held by another", msg(SEAT, struct.pack("=II", 1, 0)), SEAT, errno.EBUSY)
        d.expect("input without the seat", input_msg(KEY, 30, 1), INPUT, errno.EPERM)
        d.expect("keymap without the seat",
                 msg(KEYMAP, struct.pack("=IIII", 1, 4, 0, 4) + b"abcd"), KEYMAP, errno.EPERM)
    else:
        d.expect("seat", msg(SEAT, struct.pack("=II", 1, 0)), SEAT, 0)
        d.expect("unknown kind", input_msg(99), INPUT, errno.EINVAL)
        d.expect("unknown keycode", input_msg(KEY, 0x300, 1), INPUT, errno.EINVAL)
        d.expect("key state 2", input_msg(KEY, 30, 2), INPUT, errno.EINVAL)
        d.expect("button out of range", input_msg(BUTTON, 30, 1), INPUT, errno.EINVAL)
        d.expect("x < 0", input_msg(MOTION, -1, 0), INPUT, errno.EINVAL)
        d.expect("y past the output", input_msg(MOTION, 0, MAX_POS), INPUT, errno.EINVAL)
        d.expect("keymap too big",
                 msg(KEYMAP, struct.pack("=IIII", 1, MAX_KEYMAP + 1, 0, 4) + b"abcd"),
                 KEYMAP, errno.EINVAL)
        d.expect("seat given back", msg(SEAT, struct.pack("=II", 0, 0)), SEAT, 0)
    _, after = d.stats()
    # Giving the seat back sends KEYBOARD_LEAVE and POINTER_LEAVE, nothing else.
    sent = after[INPUT_EVENTS] - before[INPUT_EVENTS]
    if sent != (2 if role == "holder" else 0):
        sys.exit(f"bad-input: {sent} events reached the guest")
    print(f"bad-input: {role}: every bad message refused, none reached the guest")


main()
