#!/usr/bin/env python3
"""An analysis of many studies with its forest plot: how long `galley
build --html` takes (median of runs), for issue 16's bound (1,000 studies
under 1 s).

    cargo build --release
    python3 bench/analysis_scale.py [path/to/galley] [studies] [runs]

The studies are generated (a fixed pseudo-random sequence, so every run
builds the same project): binary outcomes, two arms, random effects with
REML, in three subgroups.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GALLEY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, "target", "release", "galley")
K = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
RUNS = int(sys.argv[3]) if len(sys.argv) > 3 else 7


def rows(k):
    x = 12345
    out = ["study,group,e1,n1,e2,n2"]
    for i in range(k):
        vals = []
        for _ in range(4):
            x = (1103515245 * x + 12345) % 2**31
            vals.append(x)
        n1 = 20 + vals[0] % 400
        n2 = 20 + vals[1] % 400
        e1 = vals[2] % (n1 // 3 + 1)
        e2 = vals[3] % (n2 // 2 + 1)
        out.append(f"Study {i + 1},{'ABC'[i % 3]},{e1},{n1},{e2},{n2}")
    return "\n".join(out) + "\n"


def main():
    with tempfile.TemporaryDirectory() as tmp:
        for d in ("manuscript/sections", "manuscript/data", "manuscript/analyses"):
            os.makedirs(os.path.join(tmp, d))
        open(os.path.join(tmp, "manuscript/manuscript.yaml"), "w").write(
            "title: Scale\nauthors:\n  - name: Test Author\nsections:\n  - sections/a.md\n"
        )
        open(os.path.join(tmp, "manuscript/data/trials.csv"), "w").write(rows(K))
        open(os.path.join(tmp, "manuscript/analyses/main.yaml"), "w").write(
            "data: trials\nlabel: \"{{ row.study }}\"\nmeasure: OR\n"
            "treatment: {events: e1, total: n1}\ncontrol: {events: e2, total: n2}\n"
            "model: random\ntau2: REML\nsubgroup: \"{{ row.group }}\"\n"
        )
        open(os.path.join(tmp, "manuscript/sections/a.md"), "w").write(
            "# Results\n\nOR {{ analyses.main.estimate | fixed(n=2) }} over {{ analyses.main.k }} studies (@fig-forest).\n\n"
            "{{ figure(id=\"fig-forest\", kind=\"forest\", analysis=\"main\", caption=\"All studies.\") }}\n"
        )
        times = []
        for _ in range(RUNS):
            t = time.perf_counter()
            r = subprocess.run([GALLEY, "build", "--html"], cwd=tmp, capture_output=True, text=True)
            times.append(time.perf_counter() - t)
            if r.returncode != 0:
                sys.exit(r.stderr)
        svg = os.path.getsize(os.path.join(tmp, "public/figures/fig-forest.svg"))
        print(f"{K} studies, forest plot {svg // 1024} KiB: median {statistics.median(times) * 1000:.0f} ms over {RUNS} runs (min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f})")


if __name__ == "__main__":
    main()
