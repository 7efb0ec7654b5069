#!/usr/bin/env python3
"""presentation-check.py NAME VIEWER_TIMES COMPOSITOR_TIMES CLIENT_LOG HZ

The host compositor's presentation times, as the guest compositor's
clients get them. VIEWER_TIMES (vdmabuf-viewer --times, in L1): "frame
present_ns refresh_ns", the host's time converted to L1's
CLOCK_MONOTONIC. COMPOSITOR_TIMES (vdmabuf-compositor --times, in L2):
"commit present_ns", the time on L2's CLOCK_MONOTONIC it tells clients,
which the driver made of the RELEASE's present_ns (spec 10.2). The
frame a RELEASE names is the compositor's commit: paired by it, the two
times of one frame differ by the driver's estimate of how far L1's clock
leads L2's. Nothing here reads both clocks at once, so what is checked is
that every frame maps with one relation between two clocks (an offset and
a rate, fitted: the driver's estimate follows the clocks' drift and
wanders with the transit of each RELEASE, by a few ms a second under
TCG): no frame's guest time strays from it by a refresh
(HZ: the host output's, used when the host reported none), and that
pattern-client --presentation (CLIENT_LOG: "presented NS") was told
those very times. How close the offset itself is to the truth (the
driver's estimate runs late by about a RELEASE's transit) cannot be
seen from here. Prints one line; exits 1 on a failure.
"""
import statistics
import sys

MIN_FRAMES = 5          # paired frames (GLES2 in L2 draws about one a second)
MIN_CLIENT = 3          # ... whose time the client was told


def fail(msg):
    print(f"{sys.argv[1]}: {msg}")
    sys.exit(1)


def main():
    name, viewer_path, compositor_path, client_path, hz = sys.argv[1:6]
    host, refreshes = {}, []
    for line in open(viewer_path):
        frame, present_ns, refresh_ns = (int(x) for x in line.split())
        if not present_ns:
            fail(f"the viewer logged frame {frame} without a time")
        host[frame & 0xffffffff] = present_ns
        if refresh_ns:
            refreshes.append(refresh_ns)
    guest = {}
    for line in open(compositor_path):
        commit, present_ns = (int(x) for x in line.split())
        guest[commit] = present_ns
    told = set()
    for line in open(client_path):
        if line.startswith("presented "):
            told.add(int(line.split()[1]))
    refresh = statistics.median(refreshes) if refreshes else 1e9 / float(hz)

    frames = sorted(f for f in host if f in guest)
    if len(frames) < MIN_FRAMES:
        fail(f"{len(frames)} frames timed on both sides (viewer {len(host)}, "
             f"compositor {len(guest)}); want {MIN_FRAMES}")
    # lead(t) = host - guest, fitted as a + b * (t - t0) by least squares.
    t0 = host[frames[0]]
    xs = [(host[f] - t0) / 1e9 for f in frames]
    ds = [host[f] - guest[f] for f in frames]
    mx, md = statistics.fmean(xs), statistics.fmean(ds)
    sxx = sum((x - mx) ** 2 for x in xs)
    rate = sum((x - mx) * (d - md) for x, d in zip(xs, ds)) / sxx if sxx else 0.0
    residuals = [d - (md + rate * (x - mx)) for x, d in zip(xs, ds)]
    worst = max(abs(r) for r in residuals)
    rate_ppm = rate / 1e3       # ns per s
    matched = sum(1 for f in frames if guest[f] in told)
    summary = (f"{len(frames)} frames; L1 leads L2 by {md / 1e9:.6f} s, "
               f"drift {rate_ppm:+.1f} ppm; worst frame {worst / 1e3:.0f} us off "
               f"(refresh {refresh / 1e3:.0f} us, spread {(max(ds) - min(ds)) / 1e3:.0f} us); "
               f"client told {matched} of them")
    if worst > refresh:
        fail(f"a frame's guest time strays over a refresh: {summary}")
    if matched < MIN_CLIENT:
        fail(f"the client was told too few of these times: {summary}")
    print(f"{name}: {summary}")


main()
