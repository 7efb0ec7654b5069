#!/usr/bin/env python3
"""service-manager.py PIDFILE COMMAND [ARG...]

Runs COMMAND as systemd runs a unit with Restart=on-failure and
FileDescriptorStoreMax=: the lab VMs have no systemd, and the daemon's
restart under a running VM depends on that part of it. What COMMAND
sends to $NOTIFY_SOCKET as FDSTORE=1/FDSTOREREMOVE=1 with FDNAME= is kept
or dropped (a file passed twice is kept once, as systemd does); when
COMMAND dies of a signal or exits non-zero, it is started again with the
kept fds as LISTEN_FDS/LISTEN_FDNAMES/LISTEN_PID (see sd_listen_fds(3)).
COMMAND's pid is written to PIDFILE at each start. SIGTERM is passed on;
a clean exit of COMMAND ends this with its status.
"""
import array
import ctypes
import fcntl
import os
import select
import signal
import socket
import sys

LISTEN_FDS_START = 3
MAX_FDS = 64
SYS_KCMP = 312  # x86_64
KCMP_FILE = 0
libc = ctypes.CDLL(None, use_errno=True)


def spawn(argv, notify_path, store):
    # Above every fd COMMAND gets, so moving them into place clobbers none.
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 256) for _, fd in store]
    pid = os.fork()
    if pid == 0:
        for i, fd in enumerate(high):
            os.dup2(fd, LISTEN_FDS_START + i, inheritable=True)
        env = dict(os.environ, NOTIFY_SOCKET=notify_path)
        if store:
            env.update(LISTEN_PID=str(os.getpid()), LISTEN_FDS=str(len(store)),
                       LISTEN_FDNAMES=":".join(name for name, _ in store))
        os.execvpe(argv[0], argv, env)
    for fd in high:
        os.close(fd)
    return pid


def same_file(a, b):
    """Both fds name one open file description (systemd's same_fd())."""
    pid = os.getpid()
    return libc.syscall(SYS_KCMP, pid, pid, KCMP_FILE, a, b) == 0


def handle_notify(sock, store):
    fds = array.array("i")
    data, ancdata, _, _ = sock.recvmsg(4096, socket.CMSG_SPACE(MAX_FDS * fds.itemsize),
                                       socket.MSG_CMSG_CLOEXEC)
    for level, kind, payload in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[:len(payload) - len(payload) % fds.itemsize])
    fields = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
    name = fields.get("FDNAME", "stored")
    if fields.get("FDSTOREREMOVE") == "1":
        for _, fd in [e for e in store if e[0] == name]:
            os.close(fd)
        store[:] = [e for e in store if e[0] != name]
    for fd in fds:
        if fields.get("FDSTORE") != "1" or len(store) >= MAX_FDS or \
                any(same_file(fd, kept) for _, kept in store):
            os.close(fd)
        else:
            store.append((name, fd))


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    pidfile, argv = sys.argv[1], sys.argv[2:]
    notify_path = "/run/service-manager-%d.notify" % os.getpid()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(notify_path)
    store = []
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    terminating = []
    pid = spawn(argv, notify_path, store)
    with open(pidfile, "w") as f:
        f.write("%d\n" % pid)

    def terminate(*_):
        terminating.append(True)
        os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, terminate)
    while True:
        try:
            ready, _, _ = select.select([sock, wake_r], [], [])
        except InterruptedError:
            continue
        if wake_r in ready:
            os.read(wake_r, 512)
        # Everything COMMAND said before it died counts.
        while select.select([sock], [], [], 0)[0]:
            handle_notify(sock, store)
        done, status = os.waitpid(pid, os.WNOHANG)
        if not done:
            continue
        code = os.waitstatus_to_exitcode(status)
        if code == 0 or terminating:
            break
        print("service-manager: %s ended with %d; restarting with %d kept fds"
              % (argv[0], code, len(store)), file=sys.stderr, flush=True)
        pid = spawn(argv, notify_path, store)
        with open(pidfile, "w") as f:
            f.write("%d\n" % pid)
    os.unlink(notify_path)
    sys.exit(code if code >= 0 else 128 - code)


if __name__ == "__main__":
    main()
