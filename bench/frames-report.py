#!/usr/bin/env python3
"""frames-report.py DIR: the figures of tools/bench from the runs in DIR.

Reads, per run TAG (METHOD-WxH-rRUN; the steps in VDMABUF_BENCH_STEPS,
RUN:WxH:FRAMES:SECONDS:METHOD): TAG.csv (frame-client: commit and
presentation times on the guest's CLOCK_MONOTONIC), TAG.host (whole-run
counters), TAG.host-warm / TAG.host-end and TAG.guest-warm / TAG.guest-end
(each side's counters at the end of the warm-up and at the end of the run:
frames-lib.sh), or TAG.lost (why the run has no figures). Writes
DIR/results.json (a row per method and resolution, all runs pooled),
DIR/results.md, DIR/latency-cdf.png and DIR/frame-intervals.png.

Per-frame counts are steady-state: the difference between the two
samples divided by the frames committed between them (FRAMES - WARMUP).
Latency and pacing figures leave out the warm-up and the last frame.
Intervals are percentile bootstraps that resample runs, then frames within
each run (seeded: the same data give the same intervals); a ratio between
two methods resamples the same runs on both sides. Standard library only:
the plots are drawn by png_plot.py.
"""
import json
import math
import os
import random
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import png_plot  # noqa: E402

METHODS = ["vdmabuf", "vdmabuf-kernel", "vdmabuf-shm", "vdmabuf-direct", "waypipe"]
WARMUP = int(os.environ.get("VDMABUF_BENCH_WARMUP", "10"))
# The last frame is left out of latency too: vdmabuf reports a frame's
# presentation with its release, and the host keeps the last frame on
# screen, unreleased.
DEFAULT_REFRESH_NS = 16666667
BOOTSTRAP = 1000
# L1 runs kvm-amd: kvm_exit's exit_reason is an SVM exit code.
SVM_EXITS = {0x60: "intr", 0x61: "nmi", 0x64: "vintr", 0x6e: "rdtsc", 0x72: "cpuid",
             0x77: "pause", 0x78: "hlt", 0x7b: "io", 0x7c: "msr", 0x7f: "shutdown",
             0x81: "vmmcall", 0x8b: "xsetbv", 0x400: "npf"}
RESOLVED = 0.25         # a ratio is a figure when its interval is within +-25%


def read_keyvals(lines):
    out = {}
    for line in lines:
        key, _, value = line.strip().lstrip("# ").partition("=")
        if value:
            out[key] = value
    return out


def read_file_keyvals(path):
    with open(path) as f:
        return read_keyvals(f)


def read_run(directory, tag):
    with open(os.path.join(directory, tag + ".csv")) as f:
        lines = f.read().splitlines()
    frames = []
    for line in lines[1:]:
        if line.startswith("#"):
            continue
        i, commit, present, refresh, status = line.split(",")[:5]
        frames.append((int(commit), int(present), int(refresh), status))
    host = read_file_keyvals(os.path.join(directory, tag + ".host"))
    samples = {}
    for side in ("host", "guest"):
        for point in ("warm", "end"):
            samples[side, point] = read_file_keyvals(
                os.path.join(directory, f"{tag}.{side}-{point}"))
    return frames, host, samples


def percentile(values, p):
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def delta(samples, side, key):
    return int(samples[side, "end"][key]) - int(samples[side, "warm"][key])


def kthread_ns(samples, side):
    """Run time of the side's kernel threads between the samples (a thread
    born in between counts whole; one gone by the end is not counted)."""
    warm, end = samples[side, "warm"], samples[side, "end"]
    n = 0
    for key, value in end.items():
        if key.startswith("kt."):
            n += max(0, int(value) - int(warm.get(key, 0)))
    return n


def per_process(samples, side, kind):
    """{name: count between the samples} of the side's processes."""
    warm, end = samples[side, "warm"], samples[side, "end"]
    out = {}
    for key, value in end.items():
        if key.startswith(kind + "."):
            name = key[len(kind) + 1:]
            out[name] = max(0, int(value) - int(warm.get(key, 0)))
    return out


def run_figures(method, size, frames, host, samples, compositor):
    """One run's raw figures: frames and counts, not yet per frame."""
    width, height = (int(v) for v in size.split("x"))
    total = len(frames)
    measured = frames[WARMUP:-1]
    shown = [(c, p, r) for c, p, r, s in measured if s == "presented"]
    duplicated = 0
    for (_, p0, _), (_, p1, r1) in zip(shown, shown[1:]):
        refresh = r1 or DEFAULT_REFRESH_NS
        duplicated += max(0, round((p1 - p0) / refresh) - 1)
    ours = method != "waypipe"
    counts = {
        "cpu_host_ns": delta(samples, "host", "cpu_us") * 1000 + kthread_ns(samples, "host"),
        "cpu_guest_ns": delta(samples, "guest", "cpu_us") * 1000 + kthread_ns(samples, "guest"),
        "kthread_host_ns": kthread_ns(samples, "host"),
        "kthread_guest_ns": kthread_ns(samples, "guest"),
        "vm_exits": delta(samples, "host", "vm_exits"),
        "injected_interrupts": delta(samples, "host", "injected_interrupts"),
        # vdmabuf: the device's own count of the guest's requests; waypipe:
        # what the guest sent to its vsock port (L1's trace histogram).
        "guest_bytes": delta(samples, "host",
                             "daemon_guest_bytes" if ours else "vsock_guest_bytes"),
    }
    if ours:
        counts["notifications"] = delta(samples, "host", "daemon_notifications")
        counts["interrupts"] = delta(samples, "host", "daemon_interrupts")
    warm, end = samples["host", "warm"], samples["host", "end"]
    for key, value in end.items():
        if key.startswith("exit."):
            code = int(key[5:])
            name = SVM_EXITS.get(code, f"code-{code:#x}")
            counts[f"exit:{name}"] = (counts.get(f"exit:{name}", 0)
                                      + max(0, int(value) - int(warm.get(key, 0))))
    for kind in ("syscalls", "ctxt"):
        for side in ("host", "guest"):
            for name, n in per_process(samples, side, kind).items():
                counts[f"{kind}:{side}:{name}"] = n
    if ours:
        copied = int(host["viewer_bytes_copied"])
        to_host = int(host["daemon_guest_bytes"])
    else:
        # waypipe, measured: what its processes moved through read and
        # write between the samples, its server's writes in L2 (each frame
        # out of the client's buffer) and its client's reads in L1 (into
        # its own memory), /proc/PID/io; per steady frame, scaled to the
        # run's frames. Its copies in memory (into the host's wl_shm
        # buffer) are beyond these.
        moved = sum(per_process(samples, "guest", "wchar").values()) + \
            sum(per_process(samples, "host", "rchar").values())
        copied = moved * total // max(1, total - WARMUP)
        to_host = int(host["vsock_guest_bytes"])
    return {
        "total": total,
        "steady": total - WARMUP,
        "latencies": [(p - c) / 1e6 for c, p, r in shown],
        "intervals": [(b[1] - a[1]) / 1e6 for a, b in zip(shown, shown[1:])],
        "measured": len(measured),
        "dropped": sum(1 for f in measured if f[3] == "discarded"),
        "unanswered": sum(1 for f in measured if f[3] not in ("presented", "discarded")),
        "duplicated": duplicated,
        "copied": copied,
        # The guest compositor's copies into its composited buffers (its
        # --stats: composited_bytes), whole run; waypipe's server has none.
        "composited": compositor.get("composited_bytes", 0) if ours else None,
        "to_host": to_host,
        "counts": counts,
        "kthreads_host": sorted({re.sub(r"-\d+$", "", v)
                                 for k, v in samples["host", "end"].items()
                                 if k.startswith("ktname.")}),
    }


# Statistics. A cell's runs are {run: figures}; a statistic maps a list of
# (run figures, resampled frame values or None) to a value.

def median_of(key):
    def stat(picks):
        values = [v for _, vals in picks for v in vals]
        return statistics.median(values) if values else None
    stat.frames = key
    return stat


def jitter_of():
    def stat(picks):
        values = [v for _, vals in picks for v in vals]
        return statistics.pstdev(values) if len(values) > 1 else None
    stat.frames = "intervals"
    return stat


def per_frame(key, scale=1.0):
    """Pooled count per steady-state frame: sum over runs / sum of frames."""
    def stat(picks):
        frames = sum(fig["steady"] for fig, _ in picks)
        if not frames or any(key not in fig["counts"] for fig, _ in picks):
            return None
        return sum(fig["counts"][key] for fig, _ in picks) / frames * scale
    stat.frames = None
    return stat


def per_frame_or_0(key):
    """Per frame, a count missing from a run being 0 there; 1 decimal."""
    def stat(picks):
        frames = sum(fig["steady"] for fig, _ in picks)
        return round(sum(fig["counts"].get(key, 0) for fig, _ in picks) / frames, 1)
    stat.frames = None
    return stat


def side_stat(kind, side):
    """A side's syscalls (or ctxt) per steady-state frame, all its processes."""
    prefix = f"{kind}:{side}:"

    def stat(picks):
        frames = sum(fig["steady"] for fig, _ in picks)
        return sum(v for fig, _ in picks for k, v in fig["counts"].items()
                   if k.startswith(prefix)) / frames
    stat.frames = None
    return stat


def pick(rng, runs, order):
    out = []
    for r in order:
        fig = runs[r]
        vals = None
        if stat_frames := pick.frames:
            src = fig[stat_frames]
            vals = rng.choices(src, k=len(src)) if src else []
        out.append((fig, vals))
    return out


def whole(runs, stat):
    return stat([(fig, fig[stat.frames] if stat.frames else None) for fig in runs.values()])


def interval(values):
    values = sorted(v for v in values if v is not None)
    if len(values) < 20:
        return None
    return [values[int(0.025 * (len(values) - 1))], values[int(0.975 * (len(values) - 1))]]


def bootstrap(rng, cells, stat, combine):
    """Percentile interval of combine(stat(cell) for cell in cells), the same
    runs drawn for every cell (paired), then frames within each run."""
    common = sorted(set.intersection(*(set(c) for c in cells)))
    # A run's count is one value: with one run there is nothing to draw.
    if len(common) < (1 if stat.frames else 2):
        return None
    pick.frames = stat.frames
    out = []
    for _ in range(BOOTSTRAP):
        order = [rng.choice(common) for _ in common]
        values = [stat(pick(rng, cell, order)) for cell in cells]
        out.append(None if None in values else combine(values))
    return interval(out)


def rounded(value, digits=3):
    return None if value is None else round(value, digits)


def cell_row(rng, method, size, runs):
    figs = list(runs.values())
    lat, jit = median_of("latencies"), jitter_of()
    latencies = [v for f in figs for v in f["latencies"]]
    total = sum(f["total"] for f in figs)
    steady = sum(f["steady"] for f in figs)
    ours = method != "waypipe"
    ci = bootstrap(rng, [runs], lat, lambda v: v[0])
    jci = bootstrap(rng, [runs], jit, lambda v: v[0])

    def pf(key, digits=2, scale=1.0):
        return rounded(whole(runs, per_frame(key, scale)), digits)

    def processes(kind):
        names = sorted({k.split(":", 1)[1] for f in figs for k in f["counts"]
                        if k.startswith(kind + ":")})
        return {name: whole(runs, per_frame_or_0(f"{kind}:{name}")) for name in names}

    def side_total(kind, side):
        return round(sum(v for k, v in processes(kind).items()
                         if k.startswith(side + ":")), 1)

    row = {
        "method": method,
        "resolution": size,
        "runs": len(figs),
        "frames": sum(f["measured"] for f in figs),
        "latency_ms_median": rounded(statistics.median(latencies)) if latencies else None,
        "latency_ms_ci95": [rounded(v) for v in ci] if ci else None,
        "latency_ms_p99": rounded(percentile(latencies, 99)) if latencies else None,
        "jitter_ms": rounded(whole(runs, jit)),
        "jitter_ms_ci95": [rounded(v) for v in jci] if jci else None,
        # Discarded by the compositor, and feedback that never came: apart.
        "dropped": sum(f["dropped"] for f in figs),
        "unanswered": sum(f["unanswered"] for f in figs),
        "duplicated": sum(f["duplicated"] for f in figs),
        # Over whole runs (setup included), divided by all frames.
        "bytes_copied_per_frame": round(sum(f["copied"] for f in figs) / total),
        "guest_composition_bytes_per_frame":
            round(sum(f["composited"] for f in figs) / total) if ours else None,
        "guest_to_host_bytes_per_frame": round(sum(f["to_host"] for f in figs) / total),
        # Steady state from here on.
        "guest_to_host_bytes_per_frame_steady": pf("guest_bytes", 1),
        "notifications_per_frame": pf("notifications") if ours else None,
        "interrupts_per_frame": pf("interrupts") if ours else None,
        "vm_exits_per_frame": pf("vm_exits"),
        "vm_exits_by_reason_per_frame": processes("exit"),
        "injected_interrupts_per_frame": pf("injected_interrupts"),
        "cpu_ms_per_frame_guest": pf("cpu_guest_ns", 3, 1e-6),
        "cpu_ms_per_frame_host": pf("cpu_host_ns", 3, 1e-6),
        "cpu_ms_per_frame_guest_kernel_threads": pf("kthread_guest_ns", 3, 1e-6),
        "cpu_ms_per_frame_host_kernel_threads": pf("kthread_host_ns", 3, 1e-6),
        "syscalls_per_frame_guest": side_total("syscalls", "guest"),
        "syscalls_per_frame_host": side_total("syscalls", "host"),
        "context_switches_per_frame_guest": side_total("ctxt", "guest"),
        "context_switches_per_frame_host": side_total("ctxt", "host"),
        "syscalls_per_frame": processes("syscalls"),
        "context_switches_per_frame": processes("ctxt"),
        "steady_frames": steady,
    }
    extra = {
        "latencies": latencies,
        "intervals": [v for f in figs for v in f["intervals"]],
        "kthreads_host": sorted({k for f in figs for k in f["kthreads_host"]}),
        "runs": runs,
    }
    return row, extra


def fmt(value):
    if value is None:
        return "-"
    if isinstance(value, list):
        return "[" + ", ".join(fmt(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value < 1000 else f"{value:.0f}"
    return str(value)


def ratio_text(rng, peer, ours, stat):
    """peer's figure / ours, with its interval, or why it is no figure."""
    a, b = whole(peer, stat), whole(ours, stat)
    if a is None or b is None or b == 0:
        return "-"
    r = a / b
    ci = bootstrap(rng, [peer, ours], stat, lambda v: v[0] / v[1] if v[1] else None)
    if not ci:
        return f"{r:.2f}x (one run: no interval)"
    spread = max(ci[1] / r - 1, 1 - ci[0] / r) if r else math.inf
    if spread > RESOLVED:
        return f"not resolved (±{spread * 100:.0f}%)"
    return f"{r:.2f}x [{ci[0]:.2f}, {ci[1]:.2f}]"


COUNT_KEYS = ["method", "resolution", "runs", "frames", "guest_to_host_bytes_per_frame_steady",
              "notifications_per_frame", "interrupts_per_frame", "vm_exits_per_frame",
              "injected_interrupts_per_frame", "syscalls_per_frame_guest",
              "syscalls_per_frame_host", "context_switches_per_frame_guest",
              "context_switches_per_frame_host", "bytes_copied_per_frame",
              "guest_composition_bytes_per_frame"]
TIME_KEYS = ["method", "resolution", "latency_ms_median", "latency_ms_ci95", "latency_ms_p99",
             "jitter_ms", "jitter_ms_ci95", "dropped", "unanswered", "duplicated",
             "cpu_ms_per_frame_guest", "cpu_ms_per_frame_host",
             "cpu_ms_per_frame_guest_kernel_threads", "cpu_ms_per_frame_host_kernel_threads"]


def table(rows, keys):
    out = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for row in rows:
        out.append("| " + " | ".join(fmt(row[k]) for k in keys) + " |")
    return out


def write_markdown(directory, rows, extras, lost, command, seed, steps):
    rng = random.Random(1)
    by_key = {(r["method"], r["resolution"]): e for r, e in zip(rows, extras)}
    out = ["Counts per steady-state frame (the warm-up's first "
           f"{WARMUP} frames and the setup left out; all runs pooled):", ""]
    out += table(rows, COUNT_KEYS)
    out += ["", "VM exits per steady-state frame by reason (SVM exit codes; timer and idle "
            "exits count as the frames take their time under TCG):", ""]
    for row in rows:
        out.append(f"- {row['method']} {row['resolution']}: " + ", ".join(
            f"{k} {v}" for k, v in sorted(row["vm_exits_by_reason_per_frame"].items(),
                                          key=lambda kv: -kv[1]) if v >= 0.1))
    out += ["", "Syscalls and context switches per steady-state frame, per process "
            "(side:name):", ""]
    for row in rows:
        procs = ", ".join(f"{name} {row['syscalls_per_frame'][name]}/"
                          f"{row['context_switches_per_frame'].get(name, '-')}"
                          for name in row["syscalls_per_frame"])
        out.append(f"- {row['method']} {row['resolution']}: {procs} (syscalls/switches)")
    out += ["", "Times (medians over the measured frames of all runs, with 95% intervals):", ""]
    out += table(rows, TIME_KEYS)
    columns = [
        ("VM exits/frame", per_frame("vm_exits")),
        ("injected irqs/frame", per_frame("injected_interrupts")),
        ("guest-to-host bytes/frame", per_frame("guest_bytes")),
        ("guest syscalls/frame", side_stat("syscalls", "guest")),
        ("host syscalls/frame", side_stat("syscalls", "host")),
        ("guest CPU/frame", per_frame("cpu_guest_ns")),
        ("host CPU/frame", per_frame("cpu_host_ns")),
        ("latency median", median_of("latencies")),
    ]
    out += ["", "Against waypipe, same runs, same client and frames (waypipe's figure / "
            "ours, [95% interval]; a ratio whose interval is wider than ±"
            f"{RESOLVED * 100:.0f}% is not resolved):", "",
            "| method | resolution | " + " | ".join(c for c, _ in columns) + " |",
            "|---|---|" + "---|" * len(columns)]
    for row in rows:
        peer = by_key.get(("waypipe", row["resolution"]))
        if row["method"] == "waypipe" or not peer:
            continue
        ours = by_key[row["method"], row["resolution"]]
        out.append(f"| {row['method']} | {row['resolution']} | " + " | ".join(
            ratio_text(rng, peer["runs"], ours["runs"], stat) for _, stat in columns) + " |")
    out += direct_table(directory, rows, by_key, rng)
    charged = {r["method"]: ", ".join(e["kthreads_host"]) or "-" for r, e in zip(rows, extras)}
    out += ["", "Kernel threads charged to the host: "
            + "; ".join(f"{m}: {k}" for m, k in charged.items()),
            "(vhost: the vhost workers of L2's QEMU, vsock's; vhost-vdmabuf: the kernel "
            "engine's worker). The guest's: all of L2's kernel threads."]
    if lost:
        out += ["", "Not measured (nested virtualisation killed every guest of the run):"]
        out += [f"- {tag}: {why}" for tag, why in lost]
    order = " ".join(f"{s.split(':')[0]}:{s.split(':')[4]}" for s in steps)
    out += ["", f"Each run: {WARMUP} warm-up frames, then the measured ones; counters sampled "
            "at the end of the warm-up and at the end of the run, the client paused at both "
            "(frame-client --hold). Latency and pacing leave out the warm-up and the last "
            "frame (the host keeps it on screen: vdmabuf reports it only when it is "
            "released). bytes_copied_per_frame and guest_to_host_bytes_per_frame are over "
            "whole runs, setup included; every other per-frame figure is steady-state.",
            "", f"Runs interleaved, methods shuffled in each (seed {seed}): {order}",
            "", "Reproduce: `" + command + "`", ""]
    with open(os.path.join(directory, "results.md"), "w") as f:
        f.write("\n".join(out))


def compositor_stats(directory, tag):
    """The guest compositor's counts of a run (vdmabuf-compositor --stats)."""
    try:
        with open(os.path.join(directory, tag + ".compositor-stats")) as f:
            line = f.readline()
    except OSError:
        return {}
    return {k: int(v) for k, _, v in (w.partition("=") for w in line.split()) if v.isdigit()}


def direct_table(directory, rows, by_key, rng):
    """Direct scan-out against the guest composing every frame, same runs."""
    out = ["", "Direct scan-out against composition in the guest, same runs (vdmabuf's "
           "figure / vdmabuf-direct's; frames as the guest compositor counts them):", "",
           "| resolution | guest CPU/frame | latency median | composited frames | scanned-out frames |",
           "|---|---|---|---|---|"]
    for row in rows:
        peer = by_key.get(("vdmabuf", row["resolution"]))
        if row["method"] != "vdmabuf-direct" or not peer:
            continue
        ours = by_key[row["method"], row["resolution"]]
        stats = {}
        for run in ours["runs"]:
            for k, v in compositor_stats(directory,
                                         f"vdmabuf-direct-{row['resolution']}-r{run}").items():
                stats[k] = stats.get(k, 0) + v
        out.append("| {} | {} | {} | {} | {} |".format(
            row["resolution"],
            ratio_text(rng, peer["runs"], ours["runs"], per_frame("cpu_guest_ns")),
            ratio_text(rng, peer["runs"], ours["runs"], median_of("latencies")),
            stats.get("composited", "-"), stats.get("direct", "-")))
    return out if len(out) > 5 else []


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
        interval_panels.append((f"{size}: frame interval (ms) by frame, runs in turn",
                                intervals))
    png_plot.write(os.path.join(directory, "latency-cdf.png"), cdf_panels, METHODS, log_x=True)
    png_plot.write(os.path.join(directory, "frame-intervals.png"), interval_panels, METHODS)


def main():
    directory = sys.argv[1]
    command = os.environ.get("VDMABUF_BENCH_COMMAND", "tools/bench")
    seed = os.environ.get("VDMABUF_BENCH_SEED", "?")
    steps = os.environ["VDMABUF_BENCH_STEPS"].split()
    cells, lost = {}, []
    for step in steps:
        run, size, _, _, method = step.split(":")
        tag = f"{method}-{size}-r{run}"
        cells.setdefault((size, method), {})
        lost_path = os.path.join(directory, tag + ".lost")
        if os.path.exists(lost_path):
            with open(lost_path) as f:
                lost.append((tag, f.read().strip()))
            continue
        if not os.path.exists(os.path.join(directory, tag + ".host")):
            lost.append((tag, "not run"))
            continue
        frames, host, samples = read_run(directory, tag)
        cells[size, method][int(run)] = run_figures(method, size, frames, host, samples,
                                                    compositor_stats(directory, tag))
    rng = random.Random(0)
    rows, extras = [], []
    sizes = sorted({s for s, _ in cells}, key=lambda s: [int(v) for v in s.split("x")])
    for size in sizes:
        for method in METHODS:
            runs = cells.get((size, method))
            if runs:
                row, extra = cell_row(rng, method, size, runs)
                rows.append(row)
                extras.append(extra)
    with open(os.path.join(directory, "results.json"), "w") as f:
        json.dump(rows, f, indent=1)
        f.write("\n")
    write_markdown(directory, rows, extras, lost, command, seed, steps)
    write_plots(directory, rows, extras)


if __name__ == "__main__":
    main()
