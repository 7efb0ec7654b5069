#!/usr/bin/env python3
"""pacing-report.py DIR WARMUP [COMMAND]: frame pacing per method, as the
host compositor presented the frames, against the same client run natively
on it ("native"). Reads, per method TAG in DIR:

- TAG.wire: weston's WAYLAND_DEBUG=server log. Every commit of the surface
  that shows the frames (the one whose commits ask for presentation
  feedback: the viewer's, waypipe's client's, or the native client's) and
  the feedback weston sent for it: presented (time, refresh, sequence,
  flags) or discarded.
- TAG.feedback: frame-client --feedback: for each of the client's frames,
  its commit time and the feedback it was told (for vdmabuf the host's
  time carried back by the RELEASE and moved onto the guest's clock, for
  waypipe the host's feedback as waypipe forwarded it, for native the
  host's own), on the client's clock.

The client's first WARMUP frames are left out, and on the host all but as
many last commits as the client's measured frames: under TCG weston's first
repaint of the client's buffer compiles llvmpipe's shaders for seconds, and
presents the frames before it a refresh apart without drawing them; the
vdmabuf methods' host commits begin with the guest compositor's own
frames. Per method:
- never shown: client frames told "discarded", or told nothing while later
  frames were answered (the last frames, whose answer the end of the run
  cuts off, are counted apart as unanswered);
- intervals between the host's successive presentations of the surface,
  in refresh units (from the sequence when the host counts one, else the
  time between them divided by the unit below, rounded), counted 1, 2, 3+;
- shown late: the client draws a frame each frame callback, so each frame
  is due one refresh after the last: a presentation 2 or more units after
  the one before is late (by 1, or by 2 and more: the 3+ intervals);
- host commit-to-present: the surface's commit reaching weston (its wire
  log's stamp, REALTIME, mapped to the presentation clock by TAG.clocks) to
  its presentation time, both on L1's clocks; the client's own
  commit-to-present, across the guest's clock, is in results.json only
  (waypipe's estimate of the offset between the machines' clocks can be
  off by more than the latency).

The unit: the host's refresh when its feedback carries a sequence (MSC).
weston 14's headless output counts none (sequence 0), presents a refresh
after each repaint and repaints 7 ms before the next refresh: a client that
draws each frame callback gets a frame every 2 refreshes and the repaint's
time. The unit is then that cadence, the native client's median interval;
both are reported. Writes DIR/results.json and DIR/results.md.
"""
import json
import math
import os
import re
import statistics
import sys
import time

LINE = re.compile(r"^\[\s*(\d+)\.(\d+)\]\s+(-> )?\s*([A-Za-z_0-9]+)[#@](\d+)\.(\w+)\((.*)\)\s*$")
ID = re.compile(r"[#@](\d+)")
CLIENT_GONE_NS = 2 * 10**9
METHODS = ["native", "vdmabuf", "vdmabuf-kernel", "vdmabuf-shm", "vdmabuf-direct", "waypipe"]


def parse_wire(path):
    """Commits of each surface that asked for feedback, with what came."""
    pending, owner, surfaces, clock_id = {}, {}, {}, None
    with open(path, errors="replace") as f:
        for line in f:
            m = LINE.match(line)
            if not m:
                continue
            us = int(m.group(1)) * 1000 + int(m.group(2))
            sent, iface, msg, args = m.group(3), m.group(4), m.group(6), m.group(7)
            oid = int(m.group(5))
            if iface == "wp_presentation" and msg == "clock_id" and sent:
                clock_id = int(args)
            elif iface == "wp_presentation" and msg == "feedback" and not sent:
                ids = [int(x) for x in ID.findall(args)]
                pending.setdefault(ids[0], []).append(ids[1])
            elif iface == "wl_surface" and msg == "commit" and not sent:
                fbs = pending.pop(oid, [])
                if fbs:
                    rec = {"commit_us": us, "status": "lost"}
                    surfaces.setdefault(oid, []).append(rec)
                    for fb in fbs:
                        owner[fb] = rec
            elif (iface == "wp_presentation_feedback" and sent and oid in owner
                  and msg in ("presented", "discarded")):
                # sync_output, sent first to a client bound to the output, is no answer.
                rec = owner.pop(oid)
                if msg == "presented":
                    hi, lo, nsec, refresh, seq_hi, seq_lo, flags = (int(x) for x in args.split(","))
                    rec.update(status="presented", present_ns=((hi << 32) | lo) * 10**9 + nsec,
                               refresh_ns=refresh, seq=(seq_hi << 32) | seq_lo, flags=flags)
                elif msg == "discarded":
                    rec["status"] = "discarded"
    if not surfaces:
        return [], clock_id
    return max(surfaces.values(), key=len), clock_id


def parse_feedback(path):
    frames = []
    with open(path) as f:
        for line in f:
            i, commit, status, present, refresh, seq, flags = line.split()
            frames.append({"frame": int(i), "commit_ns": int(commit), "status": status,
                           "present_ns": int(present), "refresh_ns": int(refresh),
                           "seq": int(seq), "flags": int(flags)})
    return frames


def wilson(k, n):
    """95% interval of a proportion k/n, in percent."""
    if not n:
        return [None, None]
    z, p = 1.96, k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return [round(100 * max(0.0, c - h), 1), round(100 * min(1.0, c + h), 1)]


def median_ci(values):
    """Median and its 95% interval from order statistics."""
    v = sorted(values)
    n = len(v)
    if not n:
        return None, [None, None]
    lo = max(0, int(math.floor(n / 2 - 1.96 * math.sqrt(n) / 2)))
    hi = min(n - 1, int(math.ceil(n / 2 + 1.96 * math.sqrt(n) / 2)))
    return statistics.median(v), [v[lo], v[hi]]


def host_view(commits, measured_frames):
    """The host's commits of the client's measured frames: its last ones (the
    host's first commits may be the guest compositor's own frames)."""
    # The last commits' feedback may still be on its way when weston ends.
    while commits and commits[-1]["status"] == "lost":
        commits = commits[:-1]
    # The client waits 3 s for its last frame's feedback (which a vdmabuf
    # host, holding the frame it shows, never sends) and exits; the guest
    # compositor then shows a frame of its own: not the client's.
    shown = [c for c in commits if c["status"] == "presented"]
    if len(shown) > 1 and shown[-1]["present_ns"] - shown[-2]["present_ns"] > CLIENT_GONE_NS:
        commits = commits[:commits.index(shown[-1])]
    measured = commits[-measured_frames:] if measured_frames else []
    shown = [c for c in measured if c["status"] == "presented"]
    return measured, shown


def clock_offset(path, clock_id):
    """REALTIME minus the presentation clock, and REALTIME then, in ns."""
    with open(path) as f:
        for line in f:
            cid, realtime, clock, _ = (int(x) for x in line.split())
            if cid == clock_id:
                return realtime - clock, realtime
    return None, None


def commit_ns(us32, offset, realtime0):
    """A wire stamp (REALTIME microseconds modulo 2^32) on the presentation clock."""
    r0 = realtime0 // 1000
    return (r0 + ((us32 - r0) % (1 << 32))) * 1000 - offset


def analyse(tag, directory, warmup, unit_ns):
    commits, clock_id = parse_wire(os.path.join(directory, tag + ".wire"))
    offset, realtime0 = clock_offset(os.path.join(directory, tag + ".clocks"), clock_id)
    frames = parse_feedback(os.path.join(directory, tag + ".feedback"))[warmup:]
    measured, shown = host_view(commits, len(frames))
    # The host holds the frame it shows until the next replaces it: the
    # vdmabuf methods' last frame is never released, so never answered.
    unanswered = 0
    while frames and frames[-1]["status"] == "lost":
        frames.pop()
        unanswered += 1
    refresh = statistics.median([c["refresh_ns"] for c in shown if c["refresh_ns"]] or [0])
    seqs = [c["seq"] for c in shown]
    use_seq = len(set(seqs)) > 1
    intervals_ns = [b["present_ns"] - a["present_ns"] for a, b in zip(shown, shown[1:])]
    if use_seq:
        units = [b - a for a, b in zip(seqs, seqs[1:])]
    else:
        units = [round(d / unit_ns) for d in intervals_ns] if unit_ns else []
    hist = {"0": sum(1 for u in units if u <= 0), "1": units.count(1), "2": units.count(2),
            "3+": sum(1 for u in units if u >= 3)}
    never = [f for f in frames if f["status"] != "presented"]
    latencies = [f["present_ns"] - f["commit_ns"] for f in frames if f["status"] == "presented"]
    lat_med, lat_ci = median_ci(latencies)
    host_lat = [c["present_ns"] - commit_ns(c["commit_us"], offset, realtime0) for c in shown] \
        if offset is not None else []
    host_med, host_ci = median_ci(host_lat)
    late = hist["2"] + hist["3+"]
    int_med, int_ci = median_ci(intervals_ns)
    span = (shown[-1]["present_ns"] - shown[0]["present_ns"]) if len(shown) > 1 else 0
    ms = lambda ns: None if ns is None else round(ns / 1e6, 1)
    return {
        "client_frames": len(frames),
        "never_shown": len(never),
        "never_shown_discarded": sum(1 for f in never if f["status"] == "discarded"),
        "unanswered_at_end": unanswered,
        "host_commits": len(measured),
        "host_presented": len(shown),
        "host_discarded": sum(1 for c in measured if c["status"] == "discarded"),
        "host_clock_id": clock_id,
        "host_refresh_ns": refresh,
        "host_seq_counted": use_seq,
        "intervals": len(units),
        "intervals_units": hist,
        "intervals_1_pct": round(100 * hist["1"] / len(units), 1) if units else None,
        "intervals_1_pct_ci95": wilson(hist["1"], len(units)),
        "interval_ms_median": ms(int_med),
        "interval_ms_ci95": [ms(x) for x in int_ci],
        "interval_ms_p95": ms(sorted(intervals_ns)[int(0.95 * (len(intervals_ns) - 1))])
        if intervals_ns else None,
        "presented_per_s": round((len(shown) - 1) * 1e9 / span, 2) if span else None,
        "late": late,
        "late_2plus": hist["3+"],
        "late_pct": round(100 * late / len(units), 1) if units else None,
        "late_pct_ci95": wilson(late, len(units)),
        "host_commit_to_present_ms_median": ms(host_med),
        "host_commit_to_present_ms_ci95": [ms(x) for x in host_ci],
        "client_commit_to_present_ms_median": ms(lat_med),
        "client_commit_to_present_ms_ci95": [ms(x) for x in lat_ci],
    }, intervals_ns


def main():
    directory, warmup = sys.argv[1], int(sys.argv[2])
    command = sys.argv[3] if len(sys.argv) > 3 else ""
    tags = [m for m in METHODS if os.path.exists(os.path.join(directory, m + ".done"))]
    lost = {m: open(os.path.join(directory, m + ".lost")).read().strip()
            for m in METHODS if os.path.exists(os.path.join(directory, m + ".lost"))}
    # The unit: the native client's median host interval (see the docstring).
    unit_ns, unit_source = None, None
    if "native" in tags:
        first, intervals = analyse("native", directory, warmup, 1)
        if first["host_seq_counted"]:
            unit_ns, unit_source = first["host_refresh_ns"], "refresh (host MSC)"
        else:
            unit_ns, unit_source = statistics.median(intervals), "native cadence"
    results = {}
    for tag in tags:
        if unit_ns is None:
            r, intervals = analyse(tag, directory, warmup, 1)
            unit_ns, unit_source = r["host_refresh_ns"] or statistics.median(intervals), "refresh"
        results[tag], _ = analyse(tag, directory, warmup, unit_ns)
    nat = results.get("native")
    for tag, r in results.items():
        if nat and tag != "native":
            r["vs_native"] = {
                "intervals_1_pct_points":
                round(r["intervals_1_pct"] - nat["intervals_1_pct"], 1)
                if r["intervals_1_pct"] is not None and nat["intervals_1_pct"] is not None
                else None,
                "late_pct_points": round(r["late_pct"] - nat["late_pct"], 1)
                if r["late_pct"] is not None and nat["late_pct"] is not None else None,
                "never_shown": r["never_shown"] - nat["never_shown"],
                "interval_ratio": round(r["interval_ms_median"] / nat["interval_ms_median"], 2)
                if r["interval_ms_median"] and nat["interval_ms_median"] else None,
                "host_commit_to_present_extra_ms":
                round(r["host_commit_to_present_ms_median"]
                      - nat["host_commit_to_present_ms_median"], 1)
                if r["host_commit_to_present_ms_median"] is not None
                and nat["host_commit_to_present_ms_median"] is not None else None,
            }
    some = next(iter(results.values()), {})
    doc = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": command,
        "size": os.environ.get("VDMABUF_PACING_SIZE"),
        "refresh_hz": os.environ.get("VDMABUF_PACING_HZ"),
        "warmup_frames": warmup,
        "host_refresh_ms": round(some.get("host_refresh_ns", 0) / 1e6, 2),
        "unit_ms": round(unit_ns / 1e6, 1) if unit_ns else None,
        "unit_source": unit_source,
        "methods": results,
        "lost": lost,
    }
    with open(os.path.join(directory, "results.json"), "w") as f:
        json.dump(doc, f, indent=1)
    write_md(directory, doc)


def write_md(directory, doc):
    out = [f"Frame pacing on the host compositor: {doc['size']}, weston headless at "
           f"{doc['refresh_hz']} Hz (reports {doc['host_refresh_ms']} ms), first "
           f"{doc['warmup_frames']} frames left out; unit {doc['unit_ms']} ms "
           f"({doc['unit_source']}). {doc['date']}.", "",
           "| method | client frames | never shown | host presented | host discarded "
           "| intervals 1 / 2 / 3+ | 1-unit % [95% CI] | late (by 2+) | late % [95% CI] "
           "| interval ms median [95% CI] | p95 | presented/s | host commit-to-present ms median |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for tag, r in doc["methods"].items():
        h = r["intervals_units"]
        ci = r["intervals_1_pct_ci95"]
        lci = r["late_pct_ci95"]
        out.append(
            f"| {tag} | {r['client_frames']} | {r['never_shown']} | {r['host_presented']} "
            f"| {r['host_discarded']} | {h['1']} / {h['2']} / {h['3+']}"
            + (f" (+{h['0']} at 0)" if h["0"] else "")
            + f" | {r['intervals_1_pct']} [{ci[0]}, {ci[1]}] | {r['late']} ({r['late_2plus']}) "
            f"| {r['late_pct']} [{lci[0]}, {lci[1]}] | {r['interval_ms_median']} "
            f"[{r['interval_ms_ci95'][0]}, {r['interval_ms_ci95'][1]}] | {r['interval_ms_p95']} "
            f"| {r['presented_per_s']} "
            f"| {r['host_commit_to_present_ms_median']} |")
    rows = [(t, r["vs_native"]) for t, r in doc["methods"].items() if "vs_native" in r]
    if rows:
        out += ["", "Against native (method minus native; interval: ratio):", "",
                "| method | 1-unit intervals, points | late, points | never shown | "
                "median interval | host commit-to-present, ms more |", "|---|---|---|---|---|---|"]
        def sg(x):
            return "n/a" if x is None else f"{x:+}"
        for t, v in rows:
            out.append(f"| {t} | {sg(v['intervals_1_pct_points'])} | {sg(v['late_pct_points'])} "
                       f"| {sg(v['never_shown'])} | {v['interval_ratio']}x "
                       f"| {sg(v['host_commit_to_present_extra_ms'])} |")
    for t, why in doc["lost"].items():
        out.append(f"\nNot measured: {t}: {why}")
    if doc["command"]:
        out += ["", f"Command: `{doc['command']}`"]
    with open(os.path.join(directory, "results.md"), "w") as f:
        f.write("\n".join(out) + "\n")


main()
