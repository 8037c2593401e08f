#!/usr/bin/env python3
"""Pandoc/Quarto constructs, one small document each, built by one or two
galley binaries: does each build (site and PDF), and does its page show
the construct's syntax as text? For the before/after table of a change.

    python3 bench/constructs.py NEW [OLD]

Prints a table: construct, then per binary `ok`, `LEAK` (built, but the
page shows syntax that should have been read) or `FAIL` (the build
failed, with the first error).
"""

import os
import re
import subprocess
import sys
import tempfile

PNG = bytes(
    [137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 2, 0, 0, 0, 2, 8,
     2, 0, 0, 0, 253, 212, 154, 115, 0, 0, 0, 17, 73, 68, 65, 84, 120, 156, 99, 248, 207, 192,
     0, 68, 12, 96, 242, 63, 0, 27, 242, 3, 253, 243, 231, 75, 177, 0, 0, 0, 0, 73, 69, 78, 68,
     174, 66, 96, 130]
)

BIB = "@book{doe2005,\n  author = {Doe, John},\n  title = {First Book},\n  year = {2005},\n  publisher = {Cambridge University Press},\n}\n"

# (name, section text, what must not show in the page)
CASES = [
    ("figure with attributes", "# A\n\n![A map](a.png){#fig-a width=60%}\n\nSee @fig-a.\n", ["{#", "@fig-a"]),
    ("figure div", "# A\n\n::: {#fig-a}\n![](a.png)\n\nA map.\n:::\n\nSee @fig-a.\n", [":::", "@fig-a"]),
    ("table caption", "# A\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\n: Numbers {#tbl-n}\n\nSee @tbl-n.\n", ["{#", "@tbl-n"]),
    ("grid table", "# A\n\n+---+---+\n| x | y |\n+===+===+\n| 1 | 2 |\n+---+---+\n", ["+---"]),
    ("callout", "# A\n\n::: {.callout-note}\n## Heads up\nText.\n:::\n", [":::"]),
    ("generic div", "# A\n\n::: {.aside #box}\nText.\n:::\n", [":::"]),
    ("refs div", "# A\n\nText [@doe2005].\n\n# References {.unnumbered}\n\n::: {#refs}\n:::\n", [":::"]),
    ("heading attributes", '# A {#sec-a key="v"}\n\n## B {-}\n\nSee @sec-a.\n', ["{#", "@sec-a"]),
    ("first heading ##", "## Introduction\n\nText.\n\n### Detail\n\nMore.\n", []),
    ("citation prefix, suffix, locator", "# A\n\nSee [see @doe2005, pp. 3-5 and passim] and @doe2005 [p. 30].\n", ["[see", "@doe"]),
    ("bracketed cross-reference", "# A {#sec-a}\n\nSee [Section @sec-a].\n", ["[Section", "@sec"]),
    ("sub/superscript, spans", "# A\n\nH~2~O, x^2^, [small]{.smallcaps}.\n", ["~2~", "^2^", "]{"]),
    ("inline note", "# A\n\nText.^[A note.]\n", ["^["]),
    ("definition and task lists", "# A\n\nTerm\n: Definition.\n\n- [x] done\n", [": Definition", "[x]"]),
    ("smart quotes and dashes", '# A\n\n"Quoted" -- and --- more.\n', ['"Quoted"', " -- "]),
    ("raw html and typst", "# A\n\n```{=html}\n<b>raw</b>\n```\n\n```{=typst}\n#v(1em)\n```\n", ["{=html}", "{=typst}"]),
    ("template syntax in code", "# A\n\nCode `{{ x }}` and `{% y %}`.\n", []),
    ("shortcodes", "# A\n\n{{< pagebreak >}}\n\nTitle: {{< meta title >}}.\n", ["{{<"]),
    ("executable cell", "# A\n\n```{r}\n#| label: fig-p\nplot(1)\n```\n\nSee @fig-p.\n", ["{r}"]),
    ("math: aligned, cases, pmatrix", "# A\n\n$$\\begin{aligned} a &= b \\\\ c &= d \\end{aligned}$$\n\n$f = \\begin{cases} 1 & x \\\\ 0 & y \\end{cases}$ and $\\begin{pmatrix} a \\end{pmatrix}$\n", []),
    ("math: accents and fonts", "# A\n\n$\\bar{x} + \\hat\\theta + \\mathbb{R} + \\mathcal{N} + \\binom{n}{k}$\n", []),
    ("math: equation and label", "# A\n\n$$\\begin{equation} E = mc^2 \\label{eq-e} \\end{equation}$$\n\nSee @eq-e and \\eqref{eq-e}.\n", ["\\eqref", "@eq-e"]),
    ("CJK text", "# A\n\n中文文本.\n", []),
    ("simple table", "# A\n\n  x     y\n---   ---\n  1     2\n\nTable: Numbers {#tbl-n}\n\nSee @tbl-n.\n", ["---", "@tbl-n"]),
    ("multiline table", "# A\n\n----------------\nTrial   Design\n------- --------\nFeder   Cross-\n        over\n----------------\n\n: Designs {#tbl-d}\n", ["-----", "{#"]),
    ("pandoc-xnos ids", "# A\n\n![A map](a.png){#fig:a}\n\nFigure @fig:a.\n", ["{#", "@fig:a"]),
    ("citation alias", "# A\n\n[@d]: doe2005\n\nText [@d].\n", ["[@d", "@d"]),
    ("refs as raw HTML", "# A\n\nText [@doe2005].\n\n<div id=\"refs\"></div>\n", ["&lt;div"]),
    ("nested letter and roman lists", "# A\n\n1. One\n    a. Sub\n        i. Subsub\n", ["a. Sub", "i. Subsub"]),
    ("image on another host", "# A\n\n![A map](https://example.org/a.png){#fig-a}\n\nSee @fig-a.\n", ["@fig-a"]),
    ("Jinja2 (Manubot)", "# A\n\n{## a comment ##}\n{% for a in manubot.authors %}{{ a.name }}{% endfor %}\n", ["{##", "{%"], "templates: manubot\n"),
]


def build(galley, case):
    name, text, leaks = case[:3]
    extra = case[3] if len(case) > 3 else ""
    with tempfile.TemporaryDirectory() as tmp:
        for d in ("manuscript/sections", "bibliography"):
            os.makedirs(os.path.join(tmp, d))
        open(os.path.join(tmp, "manuscript/manuscript.yaml"), "w").write(
            "title: Constructs\nauthors:\n  - name: Test Author\nsections:\n  - sections/a.md\n" + extra
        )
        open(os.path.join(tmp, "manuscript/sections/a.md"), "w").write(text)
        open(os.path.join(tmp, "manuscript/a.png"), "wb").write(PNG)
        if "doe2005" in text or "@d]" in text:
            open(os.path.join(tmp, "bibliography/refs.bib"), "w").write(BIB)
        r = subprocess.run([galley, "build"], cwd=tmp, capture_output=True, text=True)
        if r.returncode != 0:
            first = next((l for l in r.stderr.splitlines() if l.startswith("error")), "error")
            return "FAIL " + first[:90]
        page = open(os.path.join(tmp, "public/index.html"), encoding="utf-8").read()
        main = page[page.find("<main") : page.find("</main>")]
        main = re.sub(r"(?s)<pre.*?</pre>|<code.*?</code>|<script.*?</script>", "", main)
        shown = [l for l in leaks if l in main]
        return "LEAK " + ", ".join(shown) if shown else "ok"


def main():
    bins = [os.path.abspath(b) for b in sys.argv[1:]] or [
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "debug", "galley")
    ]
    results = [[build(b, c) for b in bins] for c in CASES]
    header = ["construct"] + [f"binary {i + 1}" for i in range(len(bins))]
    print(" | ".join(header))
    for case, row in zip(CASES, results):
        print(" | ".join([case[0]] + row))
    for i in range(len(bins)):
        ok = sum(1 for r in results if r[i] == "ok")
        print(f"binary {i + 1} ({bins[i]}): {ok} of {len(CASES)} ok")


if __name__ == "__main__":
    main()
