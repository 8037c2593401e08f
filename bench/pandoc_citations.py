#!/usr/bin/env python3
"""Pandoc's own citation test (`markdown-citations.txt` in the conformance
corpus) rendered by Pandoc 3 and by galley with the same style
(chicago-author-date, Pandoc's default), item by item: how many citations
galley renders as Pandoc does.

    pip install pypandoc-binary      # Pandoc itself, from PyPI
    cargo build
    python3 bench/pandoc_citations.py [path/to/galley]

Prints each list item and footnote as both render it, and the count that
match. Exit status 0 whatever the count: this measures, it does not judge.
"""

import html
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "..", "shared", "conformance", "pandoc-citations")
GALLEY = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "debug", "galley")


def text(fragment):
    """A list item's text: tags, footnote marks and back links left out."""
    fragment = re.sub(r'<span class="cite-tip".*?</span></span>', "", fragment, flags=re.S)
    fragment = re.sub(r'<a [^>]*(footnote-ref|fnref|class="backlinks?")[^>]*>.*?</a>', "", fragment, flags=re.S)
    fragment = re.sub(r"<sup>.*?</sup>", "", fragment, flags=re.S)
    fragment = re.sub(r'<span class="backlinks">.*?</span>', "", fragment, flags=re.S)
    t = re.sub(r"<[^>]+>", "", fragment)
    t = html.unescape(t).replace("↩︎", "").replace("↩", "")
    return re.sub(r"\s+", " ", t).strip()


def items(page, body_start, body_end, notes_start):
    body = page[page.find(body_start) : page.find(body_end)]
    bullets = re.findall(r"<li[^>]*>(.*?)</li>", body[: body.find(notes_start)] if notes_start in body else body, re.S)
    notes_html = page[page.find(notes_start) :] if notes_start in page else ""
    notes = re.findall(r"<li[^>]*>(.*?)</li>", notes_html, re.S)
    return [text(b) for b in bullets], [text(n) for n in notes]


def pandoc_items():
    import pypandoc

    src = os.path.join(CORPUS, "markdown-citations.txt")
    out = pypandoc.convert_file(
        src,
        "html",
        format="markdown",
        extra_args=["--citeproc", "--bibliography", os.path.join(CORPUS, "biblio.bib")],
    )
    bullets, notes = items(out, "<ul>", '<div id="refs"', '<section id="footnotes"')
    return bullets, notes[:3]


def galley_items():
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "manuscript", "sections"))
        os.makedirs(os.path.join(tmp, "bibliography"))
        shutil.copy(os.path.join(CORPUS, "biblio.bib"), os.path.join(tmp, "bibliography"))
        shutil.copy(
            os.path.join(CORPUS, "markdown-citations.txt"),
            os.path.join(tmp, "manuscript", "sections", "a.md"),
        )
        with open(os.path.join(tmp, "manuscript", "manuscript.yaml"), "w") as f:
            f.write(
                "title: Citations\nauthors:\n  - name: Test\nsections:\n  - sections/a.md\n"
                "csl: chicago-author-date\nmissing_citations: warn\n"
            )
        subprocess.run([GALLEY, "build", "--html"], cwd=tmp, check=True, capture_output=True)
        page = open(os.path.join(tmp, "public", "index.html"), encoding="utf-8").read()
    main = page[page.find("<main") : page.find("</main>")]
    # The article's body: from its first section heading (the title block
    # lists authors in <li> too).
    main = main[main.find("<h2 id=") :]
    bullets = re.findall(r"<li>(.*?)</li>", main[: main.find('class="footnotes"')], re.S)
    notes_html = main[main.find('class="footnotes"') :]
    notes = re.findall(r"<li[^>]*>(.*?)</li>", notes_html, re.S)
    return [text(b) for b in bullets], [text(n) for n in notes][:3]


def main():
    pb, pn = pandoc_items()
    gb, gn = galley_items()
    rows = list(zip(pb, gb)) + list(zip(pn, gn))
    same = 0
    for p, g in rows:
        ok = p == g
        same += ok
        print(("same " if ok else "DIFF ") + p)
        if not ok:
            print("     galley: " + g)
    print(f"\n{same} of {len(rows)} items render as Pandoc 3 renders them")


if __name__ == "__main__":
    main()
