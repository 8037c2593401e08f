#!/usr/bin/env python3
"""Time `galley build` on the paper: a whole build into an empty folder, a
rebuild with nothing changed (which takes the previous PDF and Word file as
they are), the site only and the PDF only.

Each run is a cold process of the release binary (or --bin); the variants
alternate so drift hits them alike. Prints median, min and max wall time,
the median of galley's own stage timings (--timings) and the peak RSS.

    python3 bench/build.py [--runs 5] [--root .] [--bin target/debug/galley]
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def run(cmd):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, rusage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{err}")
    stages = {m.group(1).strip(): float(m.group(2)) for m in re.finditer(r"^(.*?)\s+([\d.]+) ms$", err, re.M)}
    return wall, rusage.ru_maxrss / 1024.0, stages


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--root", default=REPO)
    ap.add_argument("--no-build", action="store_true", help="use the existing target/release/galley")
    ap.add_argument("--bin", help="time this galley binary (no build)")
    args = ap.parse_args()
    if args.bin:
        exe = os.path.abspath(args.bin)
    else:
        if not args.no_build:
            subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
        exe = os.path.join(REPO, "target", "release", "galley")
    out = tempfile.mkdtemp(prefix="galley-bench-")
    # (arguments, whether the output folder is emptied first)
    variants = {
        "build (all outputs)": ([], True),
        "build, nothing changed": ([], False),
        "build --html": (["--html"], True),
        "build --pdf": (["--pdf"], True),
    }
    results = {k: [] for k in variants}

    def once(extra, fresh):
        site = os.path.join(out, "site")
        if fresh:
            shutil.rmtree(site, ignore_errors=True)
        return run([exe, "build", "--root", args.root, "--out", site, "--timings", *extra])

    try:
        for name, (extra, fresh) in variants.items():  # warm-up: page cache, fonts
            once(extra, fresh)
        for _ in range(args.runs):
            for name, (extra, fresh) in variants.items():
                if not fresh:
                    once([], True)  # the previous build it reuses
                results[name].append(once(extra, fresh))
    finally:
        shutil.rmtree(out, ignore_errors=True)
    print(f"{os.path.relpath(exe, REPO)}, {args.runs} cold runs each, {os.cpu_count()} CPUs")
    print(f"{'variant':<22} {'median':>9} {'min':>9} {'max':>9} {'peak RSS':>10}")
    for name, rows in results.items():
        walls = [r[0] * 1000 for r in rows]
        rss = max(r[1] for r in rows)
        print(f"{name:<22} {statistics.median(walls):>7.1f}ms {min(walls):>7.1f}ms {max(walls):>7.1f}ms {rss:>8.1f}MB")
    print("\nstage medians (from --timings) of the whole build:")
    stages = {}
    for _, _, st in results["build (all outputs)"]:
        for k, v in st.items():
            stages.setdefault(k, []).append(v)
    for k, v in stages.items():
        print(f"  {k:<36} {statistics.median(v):>7.1f} ms")


if __name__ == "__main__":
    main()
