#!/usr/bin/env python3
"""The input bench's report (bench/input-host.sh): round trips of clicks
measured on the host's clock, one-way times from the guest's receipt
stamps, and what a click cost the device.

  input-report.py PROBE_LOG CLIENT_LOG --counters BEFORE AFTER --command CMD
                  [--json FILE]

PROBE_LOG has "click <n> <t0_ns> <t1_ns>" (host CLOCK_MONOTONIC: the press
sent, the answering cursor heard) and "lost <n>"; CLIENT_LOG has the
guest's "echo <n> <ns>" (guest CLOCK_MONOTONIC: the press received).
BEFORE and AFTER are "input_events cursors_total frames_total" of the
daemon. The two clocks are tied as NTP does: the offset from the click
with the shortest round trip, whose half bounds the one-way error.
"""
import argparse
import json
import math
import sys


def quantile(sorted_values, q):
    """Linear interpolation between order statistics."""
    if not sorted_values:
        return float("nan")
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def median_interval(sorted_values):
    """A 95 % confidence interval of the median: binomial order statistics."""
    n = len(sorted_values)
    half = 1.96 * math.sqrt(n) / 2
    lo = max(0, math.floor(n / 2 - half))
    hi = min(n - 1, math.ceil(n / 2 + half))
    return sorted_values[lo], sorted_values[hi]


def summary(values):
    s = sorted(values)
    lo, hi = median_interval(s)
    return {"n": len(s), "median": quantile(s, 0.5), "median_ci95": [lo, hi],
            "p95": quantile(s, 0.95), "p99": quantile(s, 0.99), "min": s[0], "max": s[-1]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("probe_log")
    ap.add_argument("client_log")
    ap.add_argument("--counters", nargs=2, required=True)
    ap.add_argument("--command", required=True)
    ap.add_argument("--json")
    args = ap.parse_args()

    clicks, lost = {}, []
    for line in open(args.probe_log):
        f = line.split()
        if f[:1] == ["click"]:
            clicks[int(f[1])] = (int(f[2]), int(f[3]))
        elif f[:1] == ["lost"]:
            lost.append(int(f[1]))
    echoes = [int(line.split()[2]) for line in open(args.client_log, errors="replace")
              if line.startswith("echo ")]
    if not clicks:
        sys.exit("input-report: no click was answered")
    total = len(clicks) + len(lost)
    rtt = {n: (t1 - t0) / 1e6 for n, (t0, t1) in clicks.items()}

    # The guest received press n as its echo n, when no press went missing.
    one_way = {}
    bound = None
    if not lost and len(echoes) == total:
        fastest = min(rtt, key=rtt.get)
        t0, t1 = clicks[fastest]
        offset = echoes[fastest - 1] - (t0 + t1) / 2
        bound = rtt[fastest] / 2
        one_way = {n: (echoes[n - 1] - offset - t0) / 1e6 for n, (t0, _) in clicks.items()}

    before = [int(v) for v in args.counters[0].split()]
    after = [int(v) for v in args.counters[1].split()]
    per_click = [(a - b) / total for a, b in zip(after, before)]
    result = {
        "clicks": total, "answered": len(clicks), "lost": len(lost),
        "per_click": {"input_events": per_click[0], "cursor_images": per_click[1],
                      "guest_frames": per_click[2]},
        "round_trip_ms": summary(list(rtt.values())),
        "command": args.command,
    }
    if one_way:
        result["one_way_ms"] = summary(list(one_way.values()))
        result["one_way_bound_ms"] = bound
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)

    def row(name, s):
        return (f"| {name} | {s['n']} | {s['median']:.2f} "
                f"[{s['median_ci95'][0]:.2f}, {s['median_ci95'][1]:.2f}] | "
                f"{s['p95']:.2f} | {s['p99']:.2f} | {s['min']:.2f} | {s['max']:.2f} |")

    print("# Input latency: a click on the host to the guest client\n")
    print(f"{total} clicks, {len(clicks)} answered, {len(lost)} lost.\n")
    print("Per click (daemon counters): "
          f"{per_click[0]:.2f} input events to the guest, "
          f"{per_click[1]:.2f} cursor images back, {per_click[2]:.2f} guest frames.\n")
    print("| measure | clicks | median ms [95% CI] | p95 | p99 | min | max |")
    print("|---|---|---|---|---|---|---|")
    print(row("round trip: host click -> guest client -> its cursor on the host",
              result["round_trip_ms"]))
    if one_way:
        print(row("one way: host click -> guest client's receipt", result["one_way_ms"]))
        print(f"\nOne way ties the guest's clock to the host's at the fastest round trip "
              f"(as NTP does): each figure is within ±{bound:.2f} ms of the truth.")
    else:
        print("\nNo one-way figures: clicks went unanswered, so presses and echoes "
              "cannot be paired.")
    print(f"\nReproduce: `{args.command}` (L1 under TCG, L2 under nested KVM: "
          "times are the lab's, not real hardware's).")


if __name__ == "__main__":
    main()
