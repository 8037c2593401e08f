#!/usr/bin/env python3
"""How galley's build time grows with the size of a living review.

For each N (default 100, 1000, 5000) generates a synthetic project with
bench/scale.py (N studies, 2N references, N/20 sections, one N-row table)
and times `galley build --html`, `--pdf` and the full build with --timings:
wall time, galley's stage times and peak RSS, each run a cold process with
a timeout. Then, between consecutive sizes, the growth of every figure as
an exponent k (time ∝ N^k) and as the factor per 10× N (10^k): k ≈ 1 is
linear, k clearly above 1 (flagged from 1.15 up) is super-linear.

    python3 bench/scale_run.py [--sizes 100,1000,5000] [--variants html,pdf,full]
                               [--runs 1] [--timeout 900] [--galley BIN] [--json FILE]
"""
import argparse
import json
import math
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
import scale  # noqa: E402
from benchlib import fmt_s, median  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

VARIANTS = {
    "html": ("build --html", ["--html"]),
    "pdf": ("build --pdf", ["--pdf"]),
    "full": ("build", []),
}
SUPERLINEAR = 1.15


def exponent(n1, t1, n2, t2):
    if not t1 or not t2 or t1 <= 0 or t2 <= 0:
        return None
    return math.log(t2 / t1) / math.log(n2 / n1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100,1000,5000", help="comma-separated numbers of studies")
    ap.add_argument("--variants", default="html,pdf,full", help="any of html,pdf,full")
    ap.add_argument("--runs", type=int, default=1, help="timed runs per size and variant (after one warm-up "
                    "of each variant, skipped with --no-warmup)")
    ap.add_argument("--no-warmup", action="store_true")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per run before it is killed and reported")
    ap.add_argument("--max-pdf-n", type=int, default=0,
                    help="skip the pdf and full variants above this N (0: no limit)")
    ap.add_argument("--batch", choices=["slice", "literal"], default="slice",
                    help="how sections take their rows (see scale.py --batch)")
    ap.add_argument("--galley", default=os.path.join(REPO, "target", "release", "galley"))
    ap.add_argument("--workdir", help="where the projects go (default: a temporary folder, removed after)")
    ap.add_argument("--keep", action="store_true", help="keep the generated projects and outputs")
    ap.add_argument("--json", help="also write the raw results to this file")
    args = ap.parse_args()

    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    for v in variants:
        if v not in VARIANTS:
            sys.exit(f"unknown variant {v!r}: use html, pdf, full")
    galley = os.path.abspath(args.galley)
    if not os.access(galley, os.X_OK):
        sys.exit(f"no galley binary at {galley}")
    work = args.workdir or tempfile.mkdtemp(prefix="galley-scale-")
    os.makedirs(work, exist_ok=True)

    print(f"galley scale benchmark: {galley}; sizes {sizes}; variants {variants}; {args.runs} run(s) each; "
          f"timeout {args.timeout:g} s; sections take rows by {args.batch}; {os.cpu_count()} CPUs; peak RSS via {benchlib.RSS_SOURCE}", flush=True)
    results = {}  # (n, variant) -> dict
    try:
        for n in sizes:
            project = os.path.join(work, f"n{n}")
            info = scale.generate(n, project, batch=args.batch)
            print(f"\nN={n}: {info['references']} references, {info['sections']} sections", flush=True)
            todo = [v for v in variants if not (args.max_pdf_n and n > args.max_pdf_n and v != "html")]
            for v in variants:
                if v not in todo:
                    results[(n, v)] = {"skipped": True}
                    print(f"  {VARIANTS[v][0]:<14} skipped (N > --max-pdf-n)")
            timed_out = set()
            rounds = ([] if args.no_warmup else ["warm-up"]) + list(range(args.runs))
            runs = {v: [] for v in todo}
            for rnd in rounds:
                for v in todo:
                    if v in timed_out:
                        continue
                    name, flags = VARIANTS[v]
                    out = os.path.join(work, f"out-n{n}-{v}")
                    r = benchlib.run([galley, "build", "--root", project, "--out", out, "--timings", *flags],
                                     timeout=args.timeout)
                    label = "warm-up" if rnd == "warm-up" else f"run {rnd + 1}"
                    if r.timed_out:
                        timed_out.add(v)
                        print(f"  {name:<14} {label}: TIMEOUT after {args.timeout:g} s", flush=True)
                        continue
                    if not r.ok:
                        sys.exit(f"galley failed on N={n} ({name}):\n{r.stderr[-3000:]}")
                    warnings = r.stderr.count("warning:")
                    print(f"  {name:<14} {label}: {fmt_s(r.wall)}, peak RSS {r.rss_mb:.0f} MB"
                          + (f", {warnings} warnings" if warnings else ""), flush=True)
                    if rnd != "warm-up":
                        runs[v].append(r)
            for v in todo:
                rs = runs[v]
                entry = {"timed_out": v in timed_out, "runs": len(rs)}
                if rs:
                    stages = {}
                    for r in rs:
                        for k, x in r.stages.items():
                            stages.setdefault(k, []).append(x / 1000.0)
                    entry.update(wall=median([r.wall for r in rs]), rss_mb=max(r.rss_mb for r in rs),
                                 stages={k: median(x) for k, x in stages.items()})
                    out = os.path.join(work, f"out-n{n}-{v}")
                    pdfs = [f for f in os.listdir(out) if f.endswith(".pdf")] if os.path.isdir(out) else []
                    if v != "html" and pdfs:
                        entry["pdf_pages"] = benchlib.pdf_pages(os.path.join(out, pdfs[0]))
                    if v != "pdf" and os.path.exists(os.path.join(out, "index.html")):
                        entry["html_bytes"] = os.path.getsize(os.path.join(out, "index.html"))
                results[(n, v)] = entry
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)

    # --- report ---
    print("\nmedians per size (stage times from galley --timings):")
    for v in variants:
        name = VARIANTS[v][0]
        stage_names = []
        for n in sizes:
            for k in results.get((n, v), {}).get("stages", {}):
                if k not in stage_names:
                    stage_names.append(k)
        print(f"\n{name}")
        header = f"  {'N':>6} {'wall':>10} {'peak RSS':>10}" + "".join(f" {k[:22]:>23}" for k in stage_names) + "  output"
        print(header)
        for n in sizes:
            e = results.get((n, v), {})
            if e.get("skipped"):
                print(f"  {n:>6} {'skipped':>10}")
                continue
            if "wall" not in e:
                print(f"  {n:>6} {'TIMEOUT':>10}  (> {args.timeout:g} s)")
                continue
            extra = []
            if e.get("pdf_pages"):
                extra.append(f"{e['pdf_pages']} PDF pages")
            if e.get("html_bytes"):
                extra.append(f"{e['html_bytes'] / 1e6:.1f} MB html")
            print(f"  {n:>6} {fmt_s(e['wall']):>10} {e['rss_mb']:>8.0f}MB"
                  + "".join(f" {fmt_s(e['stages'].get(k)):>23}" for k in stage_names) + "  " + ", ".join(extra))

    print(f"\ngrowth between sizes: exponent k (time ∝ N^k) and factor per 10× N; "
          f"'SUPER-LINEAR' from k ≥ {SUPERLINEAR}:")
    flagged = []
    for v in variants:
        name = VARIANTS[v][0]
        for a, b in zip(sizes, sizes[1:]):
            ea, eb = results.get((a, v), {}), results.get((b, v), {})
            if "wall" not in ea or "wall" not in eb:
                print(f"  {name:<13} N {a}→{b}: not measured (skipped or timed out)")
                continue
            figures = [("wall", ea["wall"], eb["wall"]), ("peak RSS", ea["rss_mb"], eb["rss_mb"])]
            figures += [(k, ea["stages"][k], eb["stages"][k]) for k in eb["stages"] if k in ea["stages"]]
            print(f"  {name:<13} N {a}→{b} (×{b / a:g}):")
            for label, ta, tb in figures:
                k = exponent(a, ta, b, tb)
                if k is None:
                    continue
                unit = (lambda x: f"{x:.0f} MB") if label == "peak RSS" else fmt_s
                flag = ""
                # stages under 20 ms at the larger size are noise, not a trend
                if k >= SUPERLINEAR and (label == "peak RSS" or tb >= 0.02):
                    flag = "  SUPER-LINEAR"
                    flagged.append((name, label, a, b, ta, tb, k, unit))
                print(f"      {label:<36} {unit(ta):>10} → {unit(tb):>10}   ×{tb / ta:8.2f}   "
                      f"k={k:5.2f}   ×{10 ** k:7.1f} per 10× N{flag}")
    if flagged:
        print("\nsuper-linear:")
        for name, label, a, b, ta, tb, k, unit in flagged:
            print(f"  {name}: {label}: {unit(ta)} at N={a} → {unit(tb)} at N={b} (k={k:.2f}, ×{10 ** k:.0f} per 10× N)")
    else:
        print("\nno figure grew super-linearly")

    if args.json:
        with open(args.json, "w") as f:
            json.dump({f"{n}/{v}": e for (n, v), e in results.items()}, f, indent=1)


if __name__ == "__main__":
    main()
