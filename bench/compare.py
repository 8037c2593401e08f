#!/usr/bin/env python3
"""Two galley binaries on the paper, runs interleaved so both see the same
machine: median wall time of `build` and of `build --html`, and the ratio.

    python3 bench/compare.py NEW OLD [RUNS]

Each binary builds into its own temporary folder; the project is the
repository root.
"""

import pathlib
import statistics
import subprocess
import sys
import tempfile
import time


def main():
    new, old = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    root = pathlib.Path(__file__).resolve().parent.parent
    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(runs):
            for label, binary in (("new", new), ("old", old)):
                for args in (["build"], ["build", "--html"]):
                    out = pathlib.Path(tmp) / label
                    cmd = [binary, *args, "--root", str(root), "--out", str(out)]
                    start = time.perf_counter()
                    r = subprocess.run(cmd, capture_output=True)
                    took = time.perf_counter() - start
                    if r.returncode != 0:
                        sys.exit(f"{' '.join(cmd)} failed:\n{r.stderr.decode()}")
                    times.setdefault((" ".join(args), label), []).append(took)
    print(f"| command | old (median of {runs}) | new | new / old |")
    print("|---|---|---|---|")
    for args in ("build", "build --html"):
        o = statistics.median(times[(args, "old")])
        n = statistics.median(times[(args, "new")])
        print(f"| `galley {args}` | {o * 1000:.0f} ms | {n * 1000:.0f} ms | {n / o:.2f} |")


if __name__ == "__main__":
    main()
