#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench/native/smoke.py BUILD_DIR: the CI smoke of tools/bench --native.

Runs the real daemon with the fake frontend natively (vdmabuf-native) for
1,000 round trips with two consumers, and a 1 x 2 scale cell with a slow
consumer for 2 s, and checks counts a user of the bench relies on: one
FRAME per consumer and one RELEASE event per PRESENT, the daemon's STATS
agreeing with what the guest sent, no byte of a frame's pixels on any
channel, no fd to any consumer, the slow consumer delaying only the frames
it holds. Also that the daemon takes --bench-no-import only when asked:
without it, and no /dev/udmabuf, it refuses to start, and it refuses the
option with the kernel engine. Standard library only.
"""
import json
import os
import subprocess
import sys
import tempfile

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def main():
    build = os.path.abspath(sys.argv[1])
    native = os.path.join(build, "bench/native/vdmabuf-native")
    backend = os.path.join(build, "host-backend/vdmabuf-backend")
    work = tempfile.mkdtemp(prefix="native-smoke.")
    msg = 304  # struct vdmabuf_consumer_msg

    out = subprocess.run([native, "--backend", backend, "--frames", "1000", "--warmup", "100",
                          "--consumers", "2", "--dir", work], stdout=subprocess.PIPE,
                         text=True, timeout=60)
    check(out.returncode == 0, "vdmabuf-native ran 1000 round trips")
    if out.returncode == 0:
        r = json.loads(out.stdout)
        pf = r["per_frame"]
        check(pf["presents"] == 1.0, f"1 PRESENT accepted a frame ({pf['presents']})")
        check(pf["frames_to_consumers"] == 2.0 and pf["releases_from_consumers"] == 2.0,
              "1 FRAME to and 1 RELEASE from each of 2 consumers a frame "
              f"({pf['frames_to_consumers']}, {pf['releases_from_consumers']})")
        check(pf["releases_to_guest"] == 1.0,
              f"1 RELEASE event a frame ({pf['releases_to_guest']})")
        check(pf["guest_to_host_bytes"] == pf["guest_to_host_bytes_stats"],
              f"the daemon counted the guest's bytes ({pf['guest_to_host_bytes_stats']}) "
              f"as sent ({pf['guest_to_host_bytes']})")
        check(0 < pf["guest_to_host_bytes"] <= 512 and 0 < pf["host_to_guest_bytes"] <= 512,
              "guest<->host bytes a frame are a request's, not pixels "
              f"({pf['guest_to_host_bytes']}, {pf['host_to_guest_bytes']})")
        check(pf["daemon_to_consumer_bytes"] == 2 * msg and
              pf["consumer_to_daemon_bytes"] == 2 * msg,
              "one message each way per consumer a frame "
              f"({pf['daemon_to_consumer_bytes']}, {pf['consumer_to_daemon_bytes']})")
        # The window's edges may each catch one kick of the frame beside it.
        check(0 < round(pf["notifications"], 2) <= 2 and 0 < round(pf["interrupts"], 2) <= 2,
              f"kicks ({pf['notifications']}) and interrupts ({pf['interrupts']}) "
              "a frame within 2, not 0")
        check(r["import_fds"] == 0 and r["imports"] == 2 * 3,
              f"every consumer imported every buffer ({r['imports']}) with no fd "
              f"({r['import_fds']})")
        check(0 < r["us_median"] < 100000, f"a round trip took {r['us_median']} us")
    with open(os.path.join(work, "daemon-0.log")) as f:
        check("--bench-no-import" in f.read(), "the daemon warned of --bench-no-import")

    # Protocol version 2 (spec §19): one kick, at most one interrupt and
    # 48 bytes a frame, the RELEASE event's 64 back.
    out = subprocess.run([native, "--backend", backend, "--frames", "1000", "--warmup", "100",
                          "--protocol", "2", "--dir", work], stdout=subprocess.PIPE,
                         text=True, timeout=60)
    check(out.returncode == 0, "vdmabuf-native --protocol 2 ran 1000 round trips")
    if out.returncode == 0:
        pf = json.loads(out.stdout)["per_frame"]
        check(pf["presents"] == 1.0 and pf["releases_to_guest"] == 1.0,
              f"version 2: a PRESENT and a RELEASE a frame ({pf['presents']}, "
              f"{pf['releases_to_guest']})")
        check(round(pf["notifications"], 2) == 1.0 == round(pf["guest_kicks"], 2),
              f"version 2: one kick a frame ({pf['notifications']}, {pf['guest_kicks']})")
        check(0 < pf["interrupts"] <= 1.0,
              f"version 2: at most one interrupt a frame ({pf['interrupts']})")
        check(pf["guest_to_host_bytes_stats"] == 48.0 and pf["host_to_guest_bytes"] == 64.0,
              f"version 2: 48 bytes to the host, 64 back ({pf['guest_to_host_bytes_stats']}, "
              f"{pf['host_to_guest_bytes']})")

    out = subprocess.run([native, "--backend", backend, "--scale", "--guests", "1",
                          "--consumers", "2", "--slow-ms", "50", "--seconds", "2",
                          "--dir", work], stdout=subprocess.PIPE, text=True, timeout=60)
    check(out.returncode == 0, "a 1 x 2 scale cell with a slow consumer ran")
    if out.returncode == 0:
        g = json.loads(out.stdout)["rows"][0]
        fast, slow = g["consumers"]
        check(g["presents"] > 0 and fast["frames"] == g["presents"] == slow["frames"],
              f"both consumers saw every frame ({fast['frames']}, {slow['frames']}, "
              f"{g['presents']})")
        check(g["release_p50_us"] >= 50000, "the guest's frames came back after the slow "
              f"consumer's 50 ms ({g['release_p50_us']} us)")
        check(fast["p50_us"] < 25000, f"the fast consumer got frames at once ({fast['p50_us']} us)")

    # Off unless asked.
    if not os.path.exists("/dev/udmabuf"):
        out = subprocess.run([backend, "--socket", os.path.join(work, "none.sock"),
                              "--consumer-socket", os.path.join(work, "c.sock")],
                             stderr=subprocess.PIPE, text=True, timeout=10)
        check(out.returncode != 0 and "/dev/udmabuf" in out.stderr and
              "bench-no-import" not in out.stderr,
              "without the option and /dev/udmabuf the daemon does not start")
    out = subprocess.run([backend, "--socket", os.path.join(work, "none.sock"),
                          "--engine", "kernel", "--bench-no-import"],
                         stderr=subprocess.PIPE, text=True, timeout=10)
    check(out.returncode != 0, "--bench-no-import is refused with --engine kernel")
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
