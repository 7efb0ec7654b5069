#!/usr/bin/env python3
"""frames-report.py DIR: the figures of tools/bench from the runs in DIR.

Reads, per run TAG (METHOD-WxH): TAG.csv (frame-client: commit and
presentation times on the guest's CLOCK_MONOTONIC, CPU of the client and of
the process serving it), TAG.host (CPU of the host's processes, the daemon's
counters) or TAG.lost (why the run has no figures), and writes
DIR/results.json, DIR/results.md, DIR/latency-cdf.png and
DIR/frame-intervals.png. Standard library only: the lab has no plotting
package, so the plots are drawn by png_plot.py.
"""
import json
import math
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import png_plot  # noqa: E402

METHODS = ["vdmabuf", "vdmabuf-kernel", "vdmabuf-shm", "vdmabuf-direct", "waypipe"]
WARMUP = 10            # first frames left out of latency and pacing figures
# The last frame is left out too: vdmabuf reports a frame's presentation with
# its release, and the host keeps the last frame on screen, unreleased.
DEFAULT_REFRESH_NS = 16666667


def read_keyvals(lines):
    out = {}
    for line in lines:
        key, _, value = line.strip().lstrip("# ").partition("=")
        if value:
            out[key] = value
    return out


def read_run(directory, tag):
    with open(os.path.join(directory, tag + ".csv")) as f:
        lines = f.read().splitlines()
    frames = []
    for line in lines[1:]:
        if line.startswith("#"):
            continue
        i, commit, present, refresh, status = line.split(",")
        frames.append((int(commit), int(present), int(refresh), status))
    client = read_keyvals(line for line in lines if line.startswith("#"))
    with open(os.path.join(directory, tag + ".host")) as f:
        host = read_keyvals(f)
    return frames, client, host


def percentile(values, p):
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def figures(method, size, frames, client, host):
    width, height = (int(v) for v in size.split("x"))
    total = len(frames)
    measured = frames[WARMUP:-1]
    shown = [(c, p, r) for c, p, r, s in measured if s == "presented"]
    latencies = [(p - c) / 1e6 for c, p, r in shown]
    intervals = [(b[1] - a[1]) / 1e6 for a, b in zip(shown, shown[1:])]
    duplicated = 0
    for (_, p0, _), (_, p1, r1) in zip(shown, shown[1:]):
        refresh = r1 or DEFAULT_REFRESH_NS
        duplicated += max(0, round((p1 - p0) / refresh) - 1)
    if method == "waypipe":
        # waypipe writes every damaged byte into the host's wl_shm buffer:
        # the floor of what it copies (each frame is fully damaged).
        copied = width * height * 4
        to_host = int(host["vsock_guest_bytes"]) / total
        # Its VM exits need KVM's tracepoints in L1: not measured yet.
        kicks = irqs = None
    else:
        # Where vdmabuf copies pixels: the viewer's named shm fallback.
        copied = int(host["viewer_bytes_copied"]) / total
        to_host = int(host["daemon_guest_bytes"]) / total
        # The device's own counts (STATS), setup included as for bytes.
        kicks = round(int(host["daemon_notifications"]) / total, 2)
        irqs = round(int(host["daemon_interrupts"]) / total, 2)
    cpu_guest = (int(client["cpu_client_ns"]) + int(client["cpu_server_ns"])) / total / 1e6
    row = {
        "method": method,
        "resolution": size,
        "frames": len(measured),
        "latency_ms_median": round(statistics.median(latencies), 3) if latencies else None,
        "latency_ms_p99": round(percentile(latencies, 99), 3) if latencies else None,
        "jitter_ms": round(statistics.pstdev(intervals), 3) if len(intervals) > 1 else None,
        # Discarded by the compositor, and feedback that never came: apart.
        "dropped": sum(1 for f in measured if f[3] == "discarded"),
        "unanswered": sum(1 for f in measured if f[3] not in ("presented", "discarded")),
        "duplicated": duplicated,
        "bytes_copied_per_frame": round(copied),
        "guest_to_host_bytes_per_frame": round(to_host),
        "notifications_per_frame": kicks,
        "interrupts_per_frame": irqs,
        "cpu_ms_per_frame_guest": round(cpu_guest, 3),
        "cpu_ms_per_frame_host": round(int(host["cpu_host_ns"]) / total / 1e6, 3),
    }
    extra = {
        "latencies": latencies,
        "intervals": intervals,
        "server": client.get("server", "?"),
        # The kernel engine's worker is named for its device: vhost-vdmabuf-N.
        "host_processes": [re.sub(r"^(vhost-vdmabuf)-\d+$", r"\1", name)
                           for name in host.get("host_processes", "?").split()],
        "frame_interval_ms_median": round(statistics.median(intervals), 3) if intervals else None,
    }
    return row, extra


def fmt(value):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value < 1000 else f"{value:.0f}"
    return str(value)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}x"


def compositor_stats(directory, tag):
    """The guest compositor's counts of a run (vdmabuf-compositor --stats)."""
    try:
        with open(os.path.join(directory, tag + ".compositor-stats")) as f:
            line = f.readline()
    except OSError:
        return {}
    return {k: int(v) for k, _, v in (w.partition("=") for w in line.split()) if v.isdigit()}


def direct_table(directory, rows, by_key):
    """Direct scan-out against the guest composing every frame, same run."""
    out = ["", "Direct scan-out against composition in the guest, same run (vdmabuf's "
           "figure / vdmabuf-direct's; frames as the guest compositor counts them):", "",
           "| resolution | guest CPU/frame | latency median | composited frames | scanned-out frames |",
           "|---|---|---|---|---|"]
    for row in rows:
        peer = by_key.get(("vdmabuf", row["resolution"]))
        if row["method"] != "vdmabuf-direct" or not peer:
            continue
        stats = compositor_stats(directory, f"vdmabuf-direct-{row['resolution']}")
        out.append("| {} | {} | {} | {} | {} |".format(
            row["resolution"],
            ratio(peer["cpu_ms_per_frame_guest"], row["cpu_ms_per_frame_guest"]),
            ratio(peer["latency_ms_median"], row["latency_ms_median"]),
            stats.get("composited", "-"), stats.get("direct", "-")))
    return out if len(out) > 5 else []


def write_markdown(directory, rows, extras, lost, command):
    keys = ["method", "resolution", "frames", "latency_ms_median", "latency_ms_p99",
            "jitter_ms", "dropped", "unanswered", "duplicated", "bytes_copied_per_frame",
            "guest_to_host_bytes_per_frame", "notifications_per_frame", "interrupts_per_frame",
            "cpu_ms_per_frame_guest", "cpu_ms_per_frame_host"]
    out = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for row in rows:
        out.append("| " + " | ".join(fmt(row[k]) for k in keys) + " |")
    out += ["", "Against waypipe, same run, same client and frames (waypipe's figure / ours):", "",
            "| method | resolution | latency median | latency p99 | guest CPU/frame | host CPU/frame | guest-to-host bytes/frame |",
            "|---|---|---|---|---|---|---|"]
    by_key = {(r["method"], r["resolution"]): r for r in rows}
    for row in rows:
        peer = by_key.get(("waypipe", row["resolution"]))
        if row["method"] == "waypipe" or not peer:
            continue
        out.append("| {} | {} | {} | {} | {} | {} | {} |".format(
            row["method"], row["resolution"],
            ratio(peer["latency_ms_median"], row["latency_ms_median"]),
            ratio(peer["latency_ms_p99"], row["latency_ms_p99"]),
            ratio(peer["cpu_ms_per_frame_guest"], row["cpu_ms_per_frame_guest"]),
            ratio(peer["cpu_ms_per_frame_host"], row["cpu_ms_per_frame_host"]),
            ratio(peer["guest_to_host_bytes_per_frame"], row["guest_to_host_bytes_per_frame"])))
    out += direct_table(directory, rows, by_key)
    servers = sorted({(r["method"], e["server"], " ".join(e["host_processes"]))
                      for r, e in zip(rows, extras)})
    out += ["", "Processes counted (guest: frame-client and the process serving it; host):"]
    out += [f"- {m}: guest {s}; host {h}" for m, s, h in servers]
    if lost:
        out += ["", "Not measured (nested virtualisation killed every guest of the run):"]
        out += [f"- {tag}: {why}" for tag, why in lost]
    out += ["", f"The first {WARMUP} frames and the last of each run are left out of latency "
            "and pacing figures (the host keeps the last frame on screen: vdmabuf reports it "
            "only when it is released); CPU and bytes are over every frame.",
            "", "Reproduce: `" + command + "`", ""]
    with open(os.path.join(directory, "results.md"), "w") as f:
        f.write("\n".join(out))


def write_plots(directory, rows, extras):
    sizes = sorted({r["resolution"] for r in rows},
                   key=lambda s: int(s.split("x")[0]) * int(s.split("x")[1]))
    cdf_panels, interval_panels = [], []
    for size in sizes:
        cdf, intervals = [], []
        for row, extra in zip(rows, extras):
            if row["resolution"] != size:
                continue
            lat = sorted(extra["latencies"])
            if lat:
                cdf.append((row["method"], [(v, (i + 1) / len(lat)) for i, v in enumerate(lat)]))
            intervals.append((row["method"], list(enumerate(extra["intervals"]))))
        cdf_panels.append((f"{size}: latency cdf (ms, log scale)", cdf))
        interval_panels.append((f"{size}: frame interval (ms) by frame", intervals))
    png_plot.write(os.path.join(directory, "latency-cdf.png"), cdf_panels, METHODS, log_x=True)
    png_plot.write(os.path.join(directory, "frame-intervals.png"), interval_panels, METHODS)


def main():
    directory = sys.argv[1]
    command = os.environ.get("VDMABUF_BENCH_COMMAND", "tools/bench")
    rows, extras, lost = [], [], []
    for run in os.environ["VDMABUF_BENCH_RUNS"].split():
        size = run.split(":")[0]
        for method in os.environ["VDMABUF_BENCH_METHODS"].split():
            tag = f"{method}-{size}"
            lost_path = os.path.join(directory, tag + ".lost")
            if os.path.exists(lost_path):
                with open(lost_path) as f:
                    lost.append((tag, f.read().strip()))
                continue
            frames, client, host = read_run(directory, tag)
            row, extra = figures(method, size, frames, client, host)
            rows.append(row)
            extras.append(extra)
    with open(os.path.join(directory, "results.json"), "w") as f:
        json.dump(rows, f, indent=1)
        f.write("\n")
    write_markdown(directory, rows, extras, lost, command)
    write_plots(directory, rows, extras)
    with open(os.path.join(directory, "results.md")) as f:
        print(f.read())


if __name__ == "__main__":
    main()
