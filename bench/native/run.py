#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench/native/run.py native|scale --build DIR --out DIR [options]

tools/bench --native and --scale, on the bare machine (the lab root):

native: the daemon's PRESENT/RELEASE round trip (vdmabuf-native, the real
  daemon with --bench-no-import and the transport tests' fake frontend)
  against the same frames over Wayland (wl-roundtrip) through waypipe
  (client and server over a unix socket) to a headless weston, and
  straight to that weston, in --repeats runs with the methods in a random
  order each run. Counting passes (strace -c attached for the measured
  frames only) come first and are not timed.
scale: N guests x M consumers (vdmabuf-native --scale), one consumer of
  guest 0 slow, each cell run with and without it, interleaved.

Writes DIR/results.json and DIR/results.md. Standard library only.
"""
import argparse
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time


def ci95_of_median(values):
    """Order-statistic interval of the median: [x_(k), x_(n+1-k)] with the
    largest k whose binomial tail is <= 2.5 % (n = 6: min and max, 96.9 %)."""
    xs = sorted(v for v in values if v is not None)
    n = len(xs)
    # Below 6 values even [min, max] covers less than 95 %.
    if n < 6:
        return None
    k, tail = 0, 0.0
    coef = 1
    for j in range(n):
        # P(Binom(n, 1/2) <= j)
        tail += coef / 2 ** n
        coef = coef * (n - j) // (j + 1)
        if tail > 0.025:
            break
        k = j + 1
    return [xs[k - 1], xs[n - k]]


def med(values):
    xs = [v for v in values if v is not None]
    return statistics.median(xs) if xs else None


def rnd(v, digits=3):
    return None if v is None else round(v, digits)


# /proc counters of process trees

def children_of(pid):
    kids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        if ppid == pid:
            kids.append(int(name))
    return kids


def tree(pid, exclude=()):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        if p in exclude:
            continue
        out.append(p)
        todo += children_of(p)
    return out


def counts(pids):
    """CPU ns (schedstat), context switches, read/write syscalls and bytes
    (/proc/PID/io) of every thread of pids, summed."""
    c = {"cpu_ns": 0, "ctxt": 0, "syscr": 0, "syscw": 0, "rchar": 0, "wchar": 0}
    for pid in pids:
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    c["cpu_ns"] += int(f.read().split()[0])
                with open(f"/proc/{pid}/task/{tid}/status") as f:
                    for line in f:
                        if "ctxt_switches:" in line:
                            c["ctxt"] += int(line.split()[1])
            with open(f"/proc/{pid}/io") as f:
                for line in f:
                    k, v = line.split(":")
                    if k in c:
                        c[k] += int(v)
        except OSError:
            pass
    return c


def diff(a, b):
    return {k: b[k] - a[k] for k in a}


def strace_attach(pids, out):
    args = ["strace", "-c", "-f", "-q", "-o", out]
    for p in pids:
        args += ["-p", str(p)]
    s = subprocess.Popen(args, stderr=subprocess.DEVNULL)
    for _ in range(1000):
        attached = 0
        for p in pids:
            try:
                with open(f"/proc/{p}/status") as f:
                    attached += any(l.startswith("TracerPid:") and l.split()[1] != "0"
                                    for l in f)
            except OSError:
                attached += 1
        if attached == len(pids):
            return s
        time.sleep(0.005)
    raise SystemExit("strace did not attach")


def strace_finish(s, out):
    s.send_signal(signal.SIGINT)
    s.wait()
    total, rows = 0, {}
    with open(out) as f:
        for line in f:
            m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\S+)$", line)
            if m:
                if m.group(2) == "total":
                    total = int(m.group(1))
                else:
                    rows[m.group(2)] = int(m.group(1))
    return total, rows


# The Wayland side

class Wayland:
    def __init__(self, build, size, workdir):
        self.build, self.size, self.dir = build, size, workdir
        self.env = dict(os.environ, XDG_RUNTIME_DIR=workdir, WAYLAND_DISPLAY="wl-native")
        w, h = size.split("x")
        self.weston = subprocess.Popen(
            ["weston", "--backend=headless", "--renderer=pixman", "--socket=wl-native",
             "--idle-time=0", f"--width={w}", f"--height={h}"], env=self.env,
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(workdir, "weston.log"), "w"))
        self.wait_socket(os.path.join(workdir, "wl-native"))
        self.wp_sock = os.path.join(workdir, "waypipe.sock")
        self.waypipe = subprocess.Popen(
            ["waypipe", "--socket", self.wp_sock, "client"], env=self.env,
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(workdir, "waypipe.log"), "w"))
        self.wait_socket(self.wp_sock)

    @staticmethod
    def wait_socket(path):
        for _ in range(200):
            if os.path.exists(path):
                return
            time.sleep(0.05)
        raise SystemExit(f"no {path}")

    def close(self):
        for p in (self.waypipe, self.weston):
            p.terminate()
            p.wait()

    def run(self, method, frames, warmup, strace_out=None):
        client = [os.path.join(self.build, "bench/native/wl-roundtrip"), "--size", self.size,
                  "--frames", str(frames), "--warmup", str(warmup), "--hold"]
        args = client if method == "direct" else \
            ["waypipe", "--socket", self.wp_sock, "server", "--"] + client
        p = subprocess.Popen(args, env=self.env, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
        if p.stdout.readline().strip() != "warm":
            raise SystemExit(f"{method}: the client did not warm up")
        # Whose work it is: the compositor, and waypipe's processes on
        # both sides (the listener's per-connection children included).
        roles = {"compositor": [self.weston.pid]}
        if method == "waypipe":
            client_pid = [q for q in children_of(p.pid)
                          if not open(f"/proc/{q}/comm").read().startswith("wl-roundtrip")]
            roles["waypipe_server"] = [p.pid] + [x for q in client_pid for x in tree(q)]
            roles["waypipe_client"] = tree(self.waypipe.pid)
        tracer = None
        if strace_out:
            pids = [x for k, v in roles.items() if k != "compositor" for x in v] or \
                [self.weston.pid]
            tracer = strace_attach(pids, strace_out)
        before = {k: counts(v) for k, v in roles.items()}
        p.stdin.write("go\n")
        p.stdin.flush()
        result = json.loads(p.stdout.readline())
        after = {k: counts(v) for k, v in roles.items()}
        if tracer:
            result["syscalls_total"], result["syscalls_by_name"] = strace_finish(tracer,
                                                                                 strace_out)
        p.stdin.write("done\n")
        p.stdin.flush()
        p.wait()
        result["method"] = method
        result["per_frame"] = {
            f"{role}_{k}": round(v / frames / (1000.0 if k == "cpu_ns" else 1), 3)
            for role in roles for k, v in diff(before[role], after[role]).items()}
        result["per_frame"] = {k.replace("cpu_ns", "cpu_us"): v
                               for k, v in result["per_frame"].items()}
        return result


# vdmabuf is the guest of protocol version 2 (spec §19), vdmabuf-v1 of version 1.
PROTOCOL = {"vdmabuf": 2, "vdmabuf-v1": 1}


def run_vdmabuf(build, args, workdir, method, strace=False, frames=None):
    cmd = [os.path.join(build, "bench/native/vdmabuf-native"),
           "--backend", os.path.join(build, "host-backend/vdmabuf-backend"),
           "--frames", str(frames or args.frames), "--size", args.size, "--dir", workdir,
           "--protocol", str(PROTOCOL[method])]
    if strace:
        cmd.append("--strace")
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, timeout=600)
    return json.loads(out.stdout)


def native(args):
    build = os.path.abspath(args.build)
    work = tempfile.mkdtemp(prefix="bench-native.")
    os.chmod(work, 0o700)
    rng = random.Random(args.seed)
    wl = Wayland(build, args.size, work)
    runs = {"vdmabuf": [], "vdmabuf-v1": [], "waypipe": [], "direct": []}
    frames = {"vdmabuf": args.frames, "vdmabuf-v1": args.frames,
              "waypipe": args.waypipe_frames, "direct": args.direct_frames}
    warmups = {"vdmabuf": 500, "vdmabuf-v1": 500, "waypipe": 30, "direct": 30}
    order_log = []
    try:
        # Counting passes: strace attached for the measured frames only.
        counting = {
            "vdmabuf": run_vdmabuf(build, args, work, "vdmabuf", strace=True, frames=2000),
            "vdmabuf-v1": run_vdmabuf(build, args, work, "vdmabuf-v1", strace=True,
                                      frames=2000),
            "waypipe": wl.run("waypipe", 200, 30, os.path.join(work, "strace-waypipe.txt")),
            "direct": wl.run("direct", 500, 30, os.path.join(work, "strace-weston.txt")),
        }
        for r in range(args.repeats):
            order = list(runs)
            rng.shuffle(order)
            order_log.append(order)
            for m in order:
                if m in PROTOCOL:
                    res = run_vdmabuf(build, args, work, m)
                else:
                    res = wl.run(m, frames[m], warmups[m])
                res["run"] = r
                runs[m].append(res)
                print(f"run {r} {m}: median {res['us_median']:.1f} us, "
                      f"p99 {res['us_p99']:.1f} us", file=sys.stderr)
    finally:
        wl.close()

    rows = {}
    for m, rs in runs.items():
        medians = [x["us_median"] for x in rs]
        rows[m] = {
            "method": m,
            "frames": sum(x["frames"] for x in rs),
            "frames_per_run": frames[m],
            "runs": len(rs),
            "us_median": rnd(med(medians)),
            "us_median_ci95": [rnd(v) for v in ci95_of_median(medians) or []] or None,
            "us_p99": rnd(med([x["us_p99"] for x in rs])),
            "us_p99_ci95": [rnd(v) for v in ci95_of_median([x["us_p99"] for x in rs])
                            or []] or None,
            "per_frame": {k: rnd(med([x["per_frame"].get(k) for x in rs]))
                          for k in rs[0]["per_frame"]},
            "counting_pass": {
                "syscalls_per_frame": rnd(
                    counting[m]["per_frame"]["daemon_syscalls"] if m in PROTOCOL else
                    counting[m]["syscalls_total"] / counting[m]["frames"]),
                "syscalls_by_name": counting[m].get("daemon_syscalls_by_name") or
                counting[m].get("syscalls_by_name"),
                "frames": counting[m]["frames"],
            },
        }
    ratios = {}
    for m in ("vdmabuf-v1", "waypipe", "direct"):
        per_run = [w["us_median"] / v["us_median"] for v, w in zip(runs["vdmabuf"], runs[m])]
        ci = ci95_of_median(per_run)
        r = med(per_run)
        ratios[f"{m}_over_vdmabuf"] = {
            "ratio": rnd(r, 2), "ci95": [rnd(v, 2) for v in ci] if ci else None,
            "too_wide": bool(ci and (ci[0] < 0.75 * r or ci[1] > 1.25 * r)),
        }
    result = {
        "bench": "native", "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": args.command, "size": args.size, "repeats": args.repeats,
        "seed": args.seed, "order": order_log, "machine": machine(),
        "methods": rows, "ratios": ratios, "runs": runs, "counting": counting,
    }
    write(args.out, result, native_md(result))


def machine():
    try:
        load = open("/proc/loadavg").read().split()[:3]
    except OSError:
        load = []
    return {"cpus": os.cpu_count(), "kernel": os.uname().release, "loadavg": load}


def fmt_ci(ci, digits=1):
    return f"[{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]" if ci else "-"


def native_md(res):
    m = res["methods"]
    v, v1, w, d = m["vdmabuf"], m["vdmabuf-v1"], m["waypipe"], m["direct"]
    out = [f"Native micro-benchmark, {res['size']} XRGB8888, {res['date']}, "
           f"{res['machine']['cpus']} CPUs, load {' '.join(res['machine']['loadavg'])}",
           "", f"Command: `{res['command']}`", "",
           "| method | what one frame is | frames (runs) | median us [95% CI] | p99 us [95% CI] |",
           "|---|---|---|---|---|"]
    what = {"vdmabuf": "PRESENT -> FRAME -> RELEASE -> RELEASE event (protocol 2)",
            "vdmabuf-v1": "the same, protocol 1 (304-byte PRESENT, answered)",
            "waypipe": "commit + sync -> waypipe -> weston -> done",
            "direct": "commit + sync -> weston -> done"}
    for r in (v, v1, w, d):
        out.append(f"| {r['method']} | {what[r['method']]} | {r['frames']} ({r['runs']}) | "
                   f"{r['us_median']:.1f} {fmt_ci(r['us_median_ci95'])} | "
                   f"{r['us_p99']:.1f} {fmt_ci(r['us_p99_ci95'])} |")
    out.append("")
    for k, r in res["ratios"].items():
        note = " (interval wider than +-25 %: not a figure)" if r["too_wide"] else ""
        out.append(f"- {k.replace('_', ' ')}: {r['ratio']} {fmt_ci(r['ci95'], 2)}{note}")
    pf = v["per_frame"]
    out += ["", "Counts per frame, vdmabuf (medians over the timed runs; syscalls from the "
            "counting pass):", "",
            "| protocol | presents | FRAMEs | consumer RELEASEs | RELEASE events | kicks | "
            "interrupts | guest->host B | host->guest B | daemon->consumer B | "
            "consumer->daemon B | daemon syscalls | daemon ctx switches | daemon CPU us | "
            "bytes copied |",
            "|" + "---|" * 15]
    for r in (v, v1):
        p = r["per_frame"]
        out.append(f"| {PROTOCOL[r['method']]} | {p['presents']} | {p['frames_to_consumers']} | "
                   f"{p['releases_from_consumers']} | {p['releases_to_guest']} | "
                   f"{p['notifications']} | {p['interrupts']} | {p['guest_to_host_bytes']} | "
                   f"{p['host_to_guest_bytes']} | {p['daemon_to_consumer_bytes']} | "
                   f"{p['consumer_to_daemon_bytes']} | "
                   f"{r['counting_pass']['syscalls_per_frame']} | "
                   f"{p['daemon_ctxt_switches']} | {p['daemon_cpu_us']} | 0 |")
    out += ["",
            f"Daemon syscalls in the counting pass ({v['counting_pass']['frames']} frames): " +
            ", ".join(f"{k} {n}" for k, n in v["counting_pass"]["syscalls_by_name"].items()),
            "", "Counts per frame, every method (medians over the timed runs; syscalls from "
            "the counting passes; bytes across the transport: vdmabuf's from both ends, "
            "waypipe's the server's write bytes, /proc/PID/io):", "",
            "| method | transport processes | their CPU us | their ctx switches | their "
            "syscalls | bytes across the transport | compositor CPU us |",
            "|---|---|---|---|---|---|---|"]
    vb = pf["guest_to_host_bytes"] + pf["host_to_guest_bytes"] + \
        pf["daemon_to_consumer_bytes"] + pf["consumer_to_daemon_bytes"]
    out.append(f"| vdmabuf | the daemon | {pf['daemon_cpu_us']} | "
               f"{pf['daemon_ctxt_switches']} | {v['counting_pass']['syscalls_per_frame']} | "
               f"{vb:.0f} | - (a consumer that releases at once) |")
    pw = w["per_frame"]
    out.append(f"| waypipe | waypipe server and client | "
               f"{pw['waypipe_server_cpu_us'] + pw['waypipe_client_cpu_us']:.1f} | "
               f"{pw['waypipe_server_ctxt'] + pw['waypipe_client_ctxt']:.1f} | "
               f"{w['counting_pass']['syscalls_per_frame']} | "
               f"{pw['waypipe_server_wchar']:.0f} | {pw['compositor_cpu_us']} |")
    out.append(f"| direct | none | - | - | - | 0 (the client's shm) | "
               f"{d['per_frame']['compositor_cpu_us']} (syscalls "
               f"{d['counting_pass']['syscalls_per_frame']}) |")
    return "\n".join(out) + "\n"


# --scale

def scale(args):
    build = os.path.abspath(args.build)
    rng = random.Random(args.seed)
    cells = [tuple(int(x) for x in c.split("x")) for c in args.cells.split(",")]
    runs = []
    plan = []
    for r in range(args.repeats):
        batch = []
        for n, m in cells:
            batch.append((n, m, 0))
            if m >= 2:
                batch.append((n, m, args.slow_ms))
        rng.shuffle(batch)
        plan += [(r, b) for b in batch]
    for r, (n, m, slow) in plan:
        work = tempfile.mkdtemp(prefix="bench-scale.")
        cmd = [os.path.join(build, "bench/native/vdmabuf-native"), "--scale",
               "--backend", os.path.join(build, "host-backend/vdmabuf-backend"),
               "--guests", str(n), "--consumers", str(m), "--slow-ms", str(slow),
               "--rate", str(args.rate), "--seconds", str(args.seconds),
               "--size", args.size, "--dir", work]
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, timeout=300)
        res = json.loads(out.stdout)
        res["run"] = r
        runs.append(res)
        print(f"run {r} {n}x{m} slow {slow}: done", file=sys.stderr)

    table = []
    for n, m in cells:
        for slow in ((0, args.slow_ms) if m >= 2 else (0,)):
            rs = [x for x in runs if x["guests"] == n and x["consumers"] == m and
                  x["slow_ms"] == slow]
            fast = [c for x in rs for g in x["rows"] for c in g["consumers"] if not c["slow"]]
            fast0 = [c for x in rs for c in x["rows"][0]["consumers"] if not c["slow"]]
            others = [g for x in rs for g in x["rows"][1:]]
            g0 = [x["rows"][0] for x in rs]
            row = {
                "guests": n, "consumers": m, "slow_ms": slow, "runs": len(rs),
                "frames": sum(g["presents"] for x in rs for g in x["rows"]),
                "daemon_cpu_us_per_frame": rnd(med([g["daemon_cpu_us_per_frame"]
                                                    for x in rs for g in x["rows"]]), 2),
                "daemon_cpu_us_per_frame_ci95": ci95_of_median(
                    [med([g["daemon_cpu_us_per_frame"] for g in x["rows"]]) for x in rs]),
                "notifications_per_frame": rnd(med([g["notifications_per_frame"]
                                                    for x in rs for g in x["rows"]])),
                "interrupts_per_frame": rnd(med([g["interrupts_per_frame"]
                                                 for x in rs for g in x["rows"]])),
                "fast_frame_p50_us": rnd(med([c["p50_us"] for c in fast]), 1),
                "fast_frame_p99_us": rnd(med([c["p99_us"] for c in fast]), 1),
                "fast_frame_p99_us_worst": rnd(max([c["p99_us"] for c in fast] or [0]), 1),
                "guest0_fast_frame_p50_us": rnd(med([c["p50_us"] for c in fast0]), 1),
                "guest0_fast_frame_p99_us": rnd(med([c["p99_us"] for c in fast0]), 1),
                "guest0_release_p50_us": rnd(med([g["release_p50_us"] for g in g0]), 1),
                "guest0_presents": sum(g["presents"] for g in g0),
                "guest0_stalls": sum(g["stalls"] for g in g0),
                "others_release_p50_us": rnd(med([g["release_p50_us"] for g in others]), 1),
                "others_release_p99_us": rnd(med([g["release_p99_us"] for g in others]), 1),
                "others_stalls": sum(g["stalls"] for g in others),
            }
            table.append(row)
    # The slow consumer's effect on the others: paired by run, slow / without.
    effects = []
    for n, m in cells:
        if m < 2:
            continue
        ratios0, ratios_o = [], []
        for r in range(args.repeats):
            a = [x for x in runs if x["run"] == r and x["guests"] == n and
                 x["consumers"] == m and x["slow_ms"] == 0]
            b = [x for x in runs if x["run"] == r and x["guests"] == n and
                 x["consumers"] == m and x["slow_ms"] == args.slow_ms]
            if not a or not b:
                continue
            f0 = lambda x: med([c["p50_us"] for c in x["rows"][0]["consumers"]
                                if not c["slow"]])
            fo = lambda x: med([c["p50_us"] for g in x["rows"][1:] for c in g["consumers"]])
            if f0(a[0]) and f0(b[0]):
                ratios0.append(f0(b[0]) / f0(a[0]))
            if n > 1 and fo(a[0]) and fo(b[0]):
                ratios_o.append(fo(b[0]) / fo(a[0]))
        # Within each run with it: guest 0's fast consumers against the
        # other guests' (the same machine at the same moment).
        within = []
        for x in runs:
            if x["guests"] == n and x["consumers"] == m and x["slow_ms"] and n > 1:
                a = med([c["p50_us"] for c in x["rows"][0]["consumers"] if not c["slow"]])
                b = med([c["p50_us"] for g in x["rows"][1:] for c in g["consumers"]])
                if a and b:
                    within.append(a / b)

        def wide(values):
            ci, r = ci95_of_median(values), med(values)
            return bool(ci and r and (ci[0] < 0.75 * r or ci[1] > 1.25 * r))

        slow_runs = [x for x in runs if x["guests"] == n and x["consumers"] == m and
                     x["slow_ms"]]
        ctl_runs = [x for x in runs if x["guests"] == n and x["consumers"] == m and
                    not x["slow_ms"]]
        # Counts: every frame of guest 0 reached its fast consumers; the
        # other guests presented as many frames as without it.
        fast0_frames = sum(c["frames"] for x in slow_runs for c in x["rows"][0]["consumers"]
                           if not c["slow"])
        presents0 = sum(x["rows"][0]["presents"] for x in slow_runs) * (m - 1)
        others_slow = sum(g["presents"] for x in slow_runs for g in x["rows"][1:])
        others_ctl = sum(g["presents"] for x in ctl_runs for g in x["rows"][1:])
        effects.append({
            "guests": n, "consumers": m,
            "guest0_fast_frames_over_presents": rnd(fast0_frames / presents0, 4)
            if presents0 else None,
            "others_presents_with_over_without": rnd(others_slow / others_ctl, 3)
            if others_ctl and len(slow_runs) == len(ctl_runs) else None,
            "guest0_over_others_same_run": rnd(med(within), 2),
            "guest0_over_others_same_run_ci95": [rnd(v, 2) for v in ci95_of_median(within)
                                                 or []] or None,
            "too_wide": {"same_guest": wide(ratios0), "other_guests": wide(ratios_o),
                         "same_run": wide(within)},
            "same_guest_fast_p50_ratio": rnd(med(ratios0), 2),
            "same_guest_fast_p50_ratio_ci95": [rnd(v, 2) for v in ci95_of_median(ratios0)
                                               or []] or None,
            "other_guests_p50_ratio": rnd(med(ratios_o), 2),
            "other_guests_p50_ratio_ci95": [rnd(v, 2) for v in ci95_of_median(ratios_o)
                                            or []] or None,
        })
    result = {"bench": "scale", "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "command": args.command, "rate_hz": args.rate, "seconds": args.seconds,
              "slow_ms": args.slow_ms, "buffers": 3, "size": args.size,
              "repeats": args.repeats, "seed": args.seed, "machine": machine(),
              "cells": table, "slow_effect": effects, "runs": runs}
    write(args.out, result, scale_md(result))


def scale_md(res):
    out = [f"Scale, {res['size']}, each guest presenting at {res['rate_hz']} Hz over 3 "
           f"buffers for {res['seconds']} s (after 1 s of warm-up), {res['repeats']} runs a "
           f"cell (frames, presents and stalls: all runs), {res['date']}, "
           f"{res['machine']['cpus']} CPUs, load "
           f"{' '.join(res['machine']['loadavg'])}", "", f"Command: `{res['command']}`", "",
           "| guests x consumers | slow consumer | frames | daemon CPU us/frame [95% CI] | "
           "kicks, interrupts /frame | fast consumers PRESENT->FRAME p50 / p99 (worst) us | "
           "guest 0: presents, stalls, PRESENT->RELEASE p50 us | other guests: "
           "PRESENT->RELEASE p50 / p99 us, stalls |", "|---|---|---|---|---|---|---|---|"]
    for c in res["cells"]:
        ci = c["daemon_cpu_us_per_frame_ci95"]
        others = (f"{c['others_release_p50_us']} / {c['others_release_p99_us']}, "
                  f"{c['others_stalls']}" if c["guests"] > 1 else "-")
        out.append(f"| {c['guests']} x {c['consumers']} | "
                   f"{str(c['slow_ms']) + ' ms' if c['slow_ms'] else 'none'} | {c['frames']} | "
                   f"{c['daemon_cpu_us_per_frame']} {fmt_ci(ci)} | "
                   f"{c['notifications_per_frame']}, {c['interrupts_per_frame']} | "
                   f"{c['fast_frame_p50_us']} / {c['fast_frame_p99_us']} "
                   f"({c['fast_frame_p99_us_worst']}) | {c['guest0_presents']}, "
                   f"{c['guest0_stalls']}, {c['guest0_release_p50_us']} | {others} |")
    out += ["", "The slow consumer's effect on the others (fast consumers' PRESENT->FRAME "
            "median, run with it / run without, paired by run):", ""]
    def ratio(e, key, wide):
        if e[key] is None:
            return "-"
        return (f"{e[key]} {fmt_ci(e[key + '_ci95'], 2)}" +
                (" (wider than +-25 %: not a figure)" if e["too_wide"][wide] else ""))

    for e in res["slow_effect"]:
        out.append(f"- {e['guests']} x {e['consumers']}: counts: guest 0's fast consumers "
                   f"got {e['guest0_fast_frames_over_presents']} of its frames; the other "
                   f"guests presented {e['others_presents_with_over_without'] or '-'} times "
                   f"the frames of the runs without it. Latency: guest 0's fast consumers "
                   f"{ratio(e, 'same_guest_fast_p50_ratio', 'same_guest')}; the other "
                   f"guests' {ratio(e, 'other_guests_p50_ratio', 'other_guests')}; "
                   f"within the runs with it, guest 0's fast consumers over the other "
                   f"guests' {ratio(e, 'guest0_over_others_same_run', 'same_run')}")
    return "\n".join(out) + "\n"


def write(directory, result, md):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "results.json"), "w") as f:
        json.dump(result, f, indent=1)
    with open(os.path.join(directory, "results.md"), "w") as f:
        f.write(md)
    sys.stdout.write(md)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mode", choices=["native", "scale"])
    p.add_argument("--build", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--size", default="1920x1080")
    p.add_argument("--frames", type=int, default=10000)
    p.add_argument("--waypipe-frames", type=int, default=300)
    p.add_argument("--direct-frames", type=int, default=2000)
    p.add_argument("--repeats", type=int, help="runs (native 20, scale 6)")
    p.add_argument("--cells", default="1x1,1x2,4x2,16x4")
    p.add_argument("--rate", type=int, default=120)
    p.add_argument("--seconds", type=int, default=4)
    p.add_argument("--slow-ms", type=int, default=50)
    p.add_argument("--seed", type=int, default=int(time.time()))
    p.add_argument("--command", default=" ".join(sys.argv))
    args = p.parse_args()
    if args.repeats is None:
        args.repeats = 20 if args.mode == "native" else 6
    native(args) if args.mode == "native" else scale(args)


if __name__ == "__main__":
    main()
