#!/usr/bin/env python3
"""What a link costs Typst in a long table: the bare Typst compiler (the
Python binding, which bundles the Typst galley links), no galley involved.

    target/bench-venv/bin/python bench/typst_tables.py [--sizes 1000,2000,4000]

(`bash bench/peers.sh` makes that venv; any Python with `typst==0.15.2`
does.) For each N, a two-column table of N rows whose first cell holds a
number as text, as a link to a URL, or as a link to a label (how galley's
PDF links a citation to its reference entry), and N labelled blocks after
it. Each document is compiled to PDF/UA-1 in a process of its own; the
report gives the wall time and peak RSS per N and variant, and the exponent
k (time ∝ N^k) between sizes. A living review's table of studies cites a
study per row, so its PDF grows as the label variant does.
"""
import argparse
import math
import os
import subprocess
import sys
import tempfile
import time

VARIANTS = {
    "text": "#text[{i}]",
    "url link": '#link("https://example.org/{i}")[{i}]',
    "label link": "#link(<t{i}>)[{i}]",
}

COMPILE = """
import resource, sys, time, typst
start = time.perf_counter()
typst.compile(sys.argv[1], output=sys.argv[2], pdf_standards=["ua-1"])
wall = time.perf_counter() - start
print(wall, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def document(n, cell):
    rows = "".join(f"[Row {i} {cell.format(i=i)}], [x],\n" for i in range(n))
    targets = "".join(f"#block[Target {i}] <t{i}>\n\n" for i in range(n))
    head = '#set document(title: "A long table")\n'
    return f"{head}#table(columns: (auto, auto), table.header([A], [B]),\n{rows})\n{targets}"


def compile_once(path, out):
    proc = subprocess.run([sys.executable, "-c", COMPILE, path, out], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"typst failed on {path}:\n{proc.stderr}")
    wall, rss_kb = proc.stdout.split()
    return float(wall), int(rss_kb) / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,2000,4000", help="comma-separated numbers of rows")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            for name, cell in VARIANTS.items():
                path = os.path.join(tmp, f"{n}-{name.replace(' ', '-')}.typ")
                with open(path, "w") as f:
                    f.write(document(n, cell))
                results[(n, name)] = compile_once(path, os.path.join(tmp, "out.pdf"))
    print(f"{'rows':>6}  {'variant':<11} {'compile':>9} {'peak RSS':>9}")
    for n in sizes:
        for name in VARIANTS:
            wall, rss = results[(n, name)]
            print(f"{n:>6}  {name:<11} {wall:>8.2f}s {rss:>7.0f}MB")
    for a, b in zip(sizes, sizes[1:]):
        ks = []
        for name in VARIANTS:
            ta, tb = results[(a, name)][0], results[(b, name)][0]
            ks.append(f"{name} k={math.log(tb / ta) / math.log(b / a):.2f}")
        print(f"{a} → {b}: " + ", ".join(ks))


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"({time.perf_counter() - start:.1f} s)")
