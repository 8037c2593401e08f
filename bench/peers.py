#!/usr/bin/env python3
"""galley against its peers on the paper: pandoc for the site, bare Typst for the PDF.

Run through bench/peers.sh, which makes the venv with the pinned peers
(pypandoc-binary ships pandoc; typst is the Python binding of the Typst
compiler). Every run is a cold process; after one warm-up of each variant
the variants alternate, run after run, so drift hits them alike.

  pandoc            bench/pandoc/paper.md (the paper as pandoc Markdown, with
                    the values galley renders) -> standalone HTML with citeproc,
                    the paper's CSL, MathML, numbered sections, a TOC
  galley --html     the same paper from manuscript/ -> the site
  typst-py          galley's own generated Typst source (build --emit-typst,
                    made once before timing) compiled by the Typst Python
                    binding to PDF/UA-1 like galley's PDF; timed as a whole
                    process, net of the interpreter's start-up, and inside the
                    process with perf_counter around typst.compile
  galley --pdf      the PDF alone
  galley build      site + PDF

    target/bench-venv/bin/python bench/peers.py [--runs 5] [--galley BIN] [--emit-galley BIN]
"""
import argparse
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import fmt_s, median  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

# Quarto's figures for the same paper, as quoted in issue 9 (Quarto 1.7.34);
# not measured by this script or on this machine.
QUARTO = {"version": "1.7.34", "html": 2.79, "typst": 2.54, "total": 5.33}

TYPST_SNIPPET = """\
import sys, time
t0 = time.perf_counter()
import typst
t1 = time.perf_counter()
typst.compile(sys.argv[1], output=sys.argv[2], root=sys.argv[3], pdf_standards=["ua-1"], ignore_system_fonts=True)
t2 = time.perf_counter()
print(f"{t1 - t0:.6f} {t2 - t1:.6f}")
"""


def fail(msg):
    sys.exit(f"peers.py: {msg}")


def must(result, what):
    if not result.ok:
        fail(f"{what} failed ({'timed out' if result.timed_out else 'exit ' + str(result.status)}):\n"
             f"  {' '.join(result.cmd)}\n{result.stderr[-3000:]}")
    return result


def pandoc_binary():
    import pypandoc
    return pypandoc.get_pandoc_path()


def galley_refs(html):
    """Reference keys in list order and citation numbers by key, from galley's index.html."""
    order = re.findall(r'<li id="ref-([^"]+)"><span class="ref-label">(\d+)\.</span>', html)
    return [k for k, _ in order], {k: int(n) for k, n in order}


def pandoc_refs(html):
    """Reference keys in list order, keys cited anywhere (data-cites), and the
    numbers printed for each key that carries a link (a collapsed range such as
    5–7 links only its ends)."""
    order = re.findall(r'<div id="ref-([^"]+)" class="csl-entry"', html)
    cited = {k for group in re.findall(r'data-cites="([^"]*)"', html) for k in group.split()}
    numbers = {}
    for k, n in re.findall(r'<a\s+href="#ref-([^"]+)"\s+role="doc-biblioref">(\d+)</a>', html):
        numbers.setdefault(k, set()).add(int(n))
    return order, cited, numbers


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="timed runs of each variant (after one warm-up)")
    ap.add_argument("--galley", default=os.path.join(REPO, "target", "release", "galley"),
                    help="the galley binary to time (default target/release/galley)")
    ap.add_argument("--emit-galley", help="galley binary that writes the Typst source with --emit-typst "
                    "(default: --galley; give a newer build if the timed binary predates --emit-typst)")
    ap.add_argument("--root", default=REPO, help="the paper's project root")
    ap.add_argument("--json", help="also write the raw results to this file")
    args = ap.parse_args()
    if args.runs < 1:
        fail("--runs must be at least 1")
    galley = os.path.abspath(args.galley)
    emit_galley = os.path.abspath(args.emit_galley or args.galley)
    root = os.path.abspath(args.root)
    for exe in (galley, emit_galley):
        if not os.access(exe, os.X_OK):
            fail(f"no galley binary at {exe} (cargo build --release, or pass --galley)")

    pandoc = pandoc_binary()
    pandoc_version = subprocess.run([pandoc, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    galley_version = subprocess.run([galley, "--version"], capture_output=True, text=True).stdout.strip()
    versions = {
        "galley": galley_version,
        "pandoc": pandoc_version,
        "pypandoc-binary": importlib.metadata.version("pypandoc-binary"),
        "typst (Python binding)": importlib.metadata.version("typst"),
        "python": sys.version.split()[0],
    }
    paper = os.path.join(HERE, "pandoc", "paper.md")
    bib = os.path.join(root, "bibliography", "references.bib")
    csl = os.path.join(root, "theme", "article.csl")
    py = sys.executable

    tmp = tempfile.mkdtemp(prefix="galley-peers-")
    try:
        out = lambda *p: os.path.join(tmp, *p)  # noqa: E731
        os.makedirs(out("pandoc"))
        shutil.copy(os.path.join(HERE, "pandoc", "prisma.svg"), out("pandoc", "prisma.svg"))

        # galley's Typst source, once, outside the timings
        must(benchlib.run([emit_galley, "build", "--root", root, "--out", out("emit-site"), "--pdf",
                           "--emit-typst", out("typst")]),
             "galley build --pdf --emit-typst (pass --emit-galley with a binary that has --emit-typst)")
        main_typ = out("typst", "main.typ")
        if not os.path.exists(main_typ):
            fail(f"--emit-typst wrote no main.typ into {out('typst')}")

        variants = {
            "pandoc → HTML": [pandoc, paper, "--citeproc", "--bibliography", bib, "--csl", csl, "-s", "--mathml",
                              "--number-sections", "--toc", "-o", out("pandoc", "paper.html")],
            "galley build --html": [galley, "build", "--root", root, "--out", out("g-html"), "--html", "--timings"],
            "python -c pass": [py, "-c", "pass"],
            "python -c 'import typst'": [py, "-c", "import typst"],
            "typst-py compile": [py, "-c", TYPST_SNIPPET, main_typ, out("typst-py.pdf"), out("typst")],
            "galley build --pdf": [galley, "build", "--root", root, "--out", out("g-pdf"), "--pdf", "--timings"],
            "galley build (site + PDF)": [galley, "build", "--root", root, "--out", out("g-full"), "--timings"],
        }
        results = {k: [] for k in variants}
        for name, cmd in variants.items():  # warm-up: page cache, fonts, the .so files
            must(benchlib.run(cmd, cwd=HERE), name)
        for _ in range(args.runs):
            for name, cmd in variants.items():
                results[name].append(must(benchlib.run(cmd, cwd=HERE), name))

        # --- like-for-like checks on the last outputs ---
        checks = []
        g_html = open(out("g-html", "index.html"), encoding="utf-8").read()
        p_html = open(out("pandoc", "paper.html"), encoding="utf-8").read()
        g_order, g_num = galley_refs(g_html)
        p_order, p_cited, p_numbers = pandoc_refs(p_html)
        checks.append(("pandoc reference list: same entries, same order as galley's",
                       p_order == g_order, f"pandoc {len(p_order)}, galley {len(g_order)}"))
        checks.append(("pandoc text cites the same keys as galley",
                       p_cited == set(g_order), f"{len(p_cited)} keys cited"))
        mismatched = sorted(k for k, ns in p_numbers.items() if ns != {g_num.get(k)})
        checks.append(("pandoc citation numbers in the text equal galley's",
                       bool(p_numbers) and not mismatched,
                       f"{sum(len(v) for v in p_numbers.values())} numbered links to {len(p_numbers)} keys compared"
                       + (f"; differ: {', '.join(mismatched[:5])}" if mismatched else "")))
        slug_pdf = [f for f in os.listdir(out("g-pdf")) if f.endswith(".pdf")]
        g_pdf = out("g-pdf", slug_pdf[0]) if slug_pdf else None
        g_pages = benchlib.pdf_pages(g_pdf) if g_pdf else None
        t_pages = benchlib.pdf_pages(out("typst-py.pdf"))
        if g_pages is None or t_pages is None:
            checks.append(("PDF page counts (pdfinfo)", None, "pdfinfo not available: not checked"))
        else:
            checks.append(("typst-py PDF has as many pages as galley's", g_pages == t_pages,
                           f"galley {g_pages}, typst-py {t_pages}; sizes {os.path.getsize(g_pdf)} / "
                           f"{os.path.getsize(out('typst-py.pdf'))} bytes"))
        creator = subprocess.run(["pdfinfo", out("typst-py.pdf")], capture_output=True, text=True).stdout \
            if shutil.which("pdfinfo") else ""
        m = re.search(r"^Creator:\s+(.*)$", creator, re.M)
        versions["Typst compiler in the binding"] = m.group(1).strip() if m else "unknown"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    # --- report ---
    walls = {k: [r.wall for r in v] for k, v in results.items()}
    inproc = [float(r.stdout.split()[1]) for r in results["typst-py compile"]]
    imports = [float(r.stdout.split()[0]) for r in results["typst-py compile"]]
    med = {k: median(v) for k, v in walls.items()}
    rss = {k: max(r.rss_mb for r in v) for k, v in results.items()}

    print(f"galley vs peers on the paper: {args.runs} cold runs of each variant after one warm-up, "
          f"alternating; {os.cpu_count()} CPUs; peak RSS via {benchlib.RSS_SOURCE}")
    for k, v in versions.items():
        print(f"  {k + ':':<32} {v}")
    print()
    print(f"{'variant':<44} {'median':>10} {'min':>10} {'max':>10} {'peak RSS':>10}")

    def row(name, xs, rss_mb=None):
        r = f"{rss_mb:>8.1f}MB" if rss_mb is not None else f"{'':>10}"
        print(f"{name:<44} {fmt_s(median(xs)):>10} {fmt_s(min(xs)):>10} {fmt_s(max(xs)):>10} {r}")

    row("pandoc → HTML", walls["pandoc → HTML"], rss["pandoc → HTML"])
    row("galley build --html", walls["galley build --html"], rss["galley build --html"])
    row("python -c pass (interpreter start-up)", walls["python -c pass"], rss["python -c pass"])
    row("python -c 'import typst'", walls["python -c 'import typst'"], rss["python -c 'import typst'"])
    row("typst-py compile: whole process", walls["typst-py compile"], rss["typst-py compile"])
    row("  net of interpreter start-up", [w - med["python -c pass"] for w in walls["typst-py compile"]])
    row("  net of start-up and import typst", [w - med["python -c 'import typst'"] for w in walls["typst-py compile"]])
    row("  in process: typst.compile (perf_counter)", inproc)
    row("  in process: import typst (perf_counter)", imports)
    row("galley build --pdf", walls["galley build --pdf"], rss["galley build --pdf"])
    row("galley build (site + PDF)", walls["galley build (site + PDF)"], rss["galley build (site + PDF)"])
    print(f"{'Quarto ' + QUARTO['version'] + ' render (quoted, not measured)':<44} {fmt_s(QUARTO['total']):>10}"
          f"   = {QUARTO['html']:.2f} s html + {QUARTO['typst']:.2f} s typst")

    print("\nratios (medians; >1 means galley is faster):")
    g_html, g_pdf, g_full = med["galley build --html"], med["galley build --pdf"], med["galley build (site + PDF)"]
    t_raw = med["typst-py compile"]
    lines = [
        ("pandoc HTML / galley --html", med["pandoc → HTML"] / g_html),
        ("typst-py whole process / galley --pdf", t_raw / g_pdf),
        ("typst-py net of start-up / galley --pdf", (t_raw - med["python -c pass"]) / g_pdf),
        ("typst-py net of start-up+import / galley --pdf", (t_raw - med["python -c 'import typst'"]) / g_pdf),
        ("typst.compile in process / galley --pdf", median(inproc) / g_pdf),
        ("pandoc + typst-py process (sum) / galley build", (med["pandoc → HTML"] + t_raw) / g_full),
        (f"Quarto {QUARTO['version']} quoted {QUARTO['total']} s / galley build", QUARTO["total"] / g_full),
        (f"Quarto quoted html {QUARTO['html']} s / galley --html", QUARTO["html"] / g_html),
        (f"Quarto quoted typst {QUARTO['typst']} s / galley --pdf", QUARTO["typst"] / g_pdf),
    ]
    for name, ratio in lines:
        print(f"  {name:<52} {ratio:>7.2f}×")

    print("\ngalley stage medians (--timings):")
    for variant in ("galley build --html", "galley build --pdf", "galley build (site + PDF)"):
        stages = {}
        for r in results[variant]:
            for k, v in r.stages.items():
                stages.setdefault(k, []).append(v)
        print(f"  {variant}: " + "; ".join(f"{k} {median(v):.1f} ms" for k, v in stages.items()))

    print("\nlike-for-like checks:")
    bad = False
    for name, ok, detail in checks:
        mark = "ok  " if ok else ("skip" if ok is None else "FAIL")
        bad |= ok is False
        print(f"  [{mark}] {name}: {detail}")

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"versions": versions, "runs": args.runs, "rss_source": benchlib.RSS_SOURCE,
                       "quarto_quoted": QUARTO,
                       "results": {k: [{"wall": r.wall, "rss_mb": r.rss_mb, "stages": r.stages, "stdout": r.stdout}
                                       for r in v] for k, v in results.items()},
                       "checks": [{"check": n, "ok": o, "detail": d} for n, o, d in checks]}, f, indent=1)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
