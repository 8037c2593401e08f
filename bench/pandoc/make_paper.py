#!/usr/bin/env python3
"""Regenerate bench/pandoc/paper.md and prisma.svg from a galley-built site.

paper.md is the paper as a pandoc user would keep it: a YAML header with the
title, authors, affiliations, dates, keywords and structured abstract, then
the body with every data reference already replaced by the value galley
rendered, citations as pandoc `[@key; ...]`, the three tables as grid tables
with the same cells, and the PRISMA diagram as an image. It is checked in, so
bench/peers.py needs neither galley's sources nor this script; rerun this only
when the paper changes:

    target/bench-venv/bin/python bench/pandoc/make_paper.py [--site DIR | --galley BIN]

How: the rendered article (index.html) is the ground truth for every value.
Its HTML is simplified (citation markers become placeholders for their keys,
section numbers and table/figure labels are dropped or folded into captions,
the inline SVG becomes an image) and pandoc's own HTML reader turns it into
Markdown (MathML back into TeX math). The citation keys of a marker are read
from its tooltip's reference numbers, so collapsed ranges such as [5–7] give
back all three keys.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def pandoc_path():
    try:
        import pypandoc  # from bench/peers.sh's venv (pypandoc-binary)
        return pypandoc.get_pandoc_path()
    except Exception:
        path = shutil.which("pandoc")
        if not path:
            sys.exit("pandoc not found: run with target/bench-venv/bin/python (bash bench/peers.sh creates it)")
        return path


def element_end(html, start, tag):
    """Index just past the element whose opening tag starts at `start`."""
    depth = 0
    pat = re.compile(r"<(/?)%s\b[^>]*>" % tag)
    for m in pat.finditer(html, start):
        if m.group(1):
            depth -= 1
            if depth == 0:
                return m.end()
        elif not m.group(0).endswith("/>"):
            depth += 1
    raise ValueError(f"unclosed <{tag}> at {start}")


def inner(html, start, tag):
    end = element_end(html, start, tag)
    open_end = html.index(">", start) + 1
    close_start = html.rindex("<", start, end)
    return html[open_end:close_start], end


def find_element(html, opening):
    """(start, end) of the first element whose opening tag starts with `opening`."""
    start = html.index(opening)
    tag = re.match(r"<(\w+)", opening).group(1)
    return start, element_end(html, start, tag)


def replace_elements(html, opening_re, fn, tag):
    """Replace every element whose opening tag matches `opening_re` by fn(element_html)."""
    out, pos = [], 0
    pat = re.compile(opening_re)
    while True:
        m = pat.search(html, pos)
        if not m:
            break
        end = element_end(html, m.start(), tag)
        out.append(html[pos:m.start()])
        out.append(fn(html[m.start():end]))
        pos = end
    out.append(html[pos:])
    return "".join(out)


class Converter:
    def __init__(self, html, pandoc):
        self.html = html
        self.pandoc = pandoc
        self.citations = []  # list of key lists; placeholder i -> keys
        self.num_to_key = {
            int(n): k for k, n in re.findall(r'<li id="ref-([^"]+)"><span class="ref-label">(\d+)\.</span>', html)
        }

    # --- HTML simplification -------------------------------------------
    def cite(self, el):
        nums = [int(n) for n in re.findall(r'<span class="cite-tip-label">(\d+)\.</span>', el)]
        if not nums:
            sys.exit("citation without tooltip entries: " + el[:200])
        keys = [self.num_to_key[n] for n in nums]
        self.citations.append(keys)
        # a placeholder of the same length as the citation it stands for, so
        # that pandoc's grid-table layout stays valid after the substitution
        head = f"ZQ{len(self.citations) - 1}"
        return head + "Z" * (len(self.cite_text(keys)) - len(head) - 1) + "Q"

    @staticmethod
    def cite_text(keys):
        return "[" + "; ".join("@" + k for k in keys) + "]"

    def simplify(self, html):
        html = replace_elements(html, r'<span class="cite"', self.cite, "span")
        # risk-of-bias marks: the letter galley shows (its colour and hidden label are styling)
        html = replace_elements(
            html, r'<span class="mark ',
            lambda el: re.search(r'<span aria-hidden="true">([^<]*)</span>', el).group(1), "span")
        # section numbers: pandoc numbers the sections itself (--number-sections)
        html = re.sub(r'<span class="secnum">[^<]*</span><span class="secsep"[^>]*>[^<]*</span>', "", html)
        html = replace_elements(html, r'<figure class="table-figure', self.table_figure, "figure")
        html = replace_elements(html, r'<figure class="figure"', self.image_figure, "figure")
        return html

    def label_caption(self, figcaption):
        # "<span class="label">Table 1</span><span class="secsep"> | </span>Caption." -> "Table 1. Caption."
        return re.sub(r'<span class="label">([^<]*)</span><span class="secsep"[^>]*>[^<]*</span>', r"\1. ", figcaption)

    def table_figure(self, el):
        fid = re.match(r'<figure[^>]*id="([^"]+)"', el).group(1)
        s, e = find_element(el, "<figcaption")
        caption, _ = inner(el, s, "figcaption")
        ts, te = find_element(el, "<table")
        table = el[ts:te]
        table = table.replace("<table>", f"<table>\n<caption>{self.label_caption(caption)}</caption>", 1)
        notes = ""
        if '<div class="table-notes">' in el:
            ns, _ = find_element(el, '<div class="table-notes">')
            notes, _ = inner(el, ns, "div")
        return f'<div id="{fid}">\n{table}\n{notes}\n</div>'

    def image_figure(self, el):
        fid = re.match(r'<figure[^>]*id="([^"]+)"', el).group(1)
        s, _ = find_element(el, "<figcaption")
        caption, _ = inner(el, s, "figcaption")
        alt = re.search(r"<title[^>]*>([^<]*)</title>", el).group(1)
        return (f'<figure id="{fid}"><img src="prisma.svg" alt="{alt}">'
                f"<figcaption>{self.label_caption(caption)}</figcaption></figure>")

    # --- pandoc ---------------------------------------------------------
    def to_markdown(self, html):
        proc = subprocess.run(
            [self.pandoc, "-f", "html", "-t",
             "markdown-raw_html-native_spans-bracketed_spans-smart-simple_tables-multiline_tables-pipe_tables",
             "--wrap=auto", "--columns=100"],
            input=html.encode(), capture_output=True, check=True)
        md = proc.stdout.decode()
        return re.sub(r"ZQ(\d+)Z*Q", lambda m: self.cite_text(self.citations[int(m.group(1))]), md)


def text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip().replace("&amp;", "&").replace("&#39;", "'")


def yaml_str(s):
    return json.dumps(s, ensure_ascii=False)  # a JSON string is a YAML string


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--site", help="a galley-built site (index.html, figures/fig-prisma.svg)")
    ap.add_argument("--galley", default=os.path.join(REPO, "target", "release", "galley"),
                    help="galley binary to build the site with when --site is not given")
    ap.add_argument("--out", default=HERE)
    args = ap.parse_args()

    tmp = None
    site = args.site
    if not site:
        tmp = tempfile.mkdtemp(prefix="galley-paper-")
        site = os.path.join(tmp, "site")
        subprocess.run([args.galley, "build", "--root", REPO, "--out", site, "--html"],
                       check=True, stderr=subprocess.DEVNULL)
    try:
        html = open(os.path.join(site, "index.html"), encoding="utf-8").read()
        svg = open(os.path.join(site, "figures", "fig-prisma.svg"), encoding="utf-8").read()
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)

    conv = Converter(html, pandoc_path())
    s, e = find_element(html, "<article>")
    article = html[s:e]

    # --- title block -> YAML metadata ---
    hs, _ = find_element(article, '<header class="title-block">')
    header, _ = inner(article, hs, "header")
    title = text(re.search(r"<h1>(.*?)</h1>", header, re.S).group(1))
    article_type = text(re.search(r'<p class="article-type">(.*?)</p>', header, re.S).group(1))
    authors = []
    for li in re.findall(r'<ul class="authors">(.*?)</ul>', header, re.S)[0].split("<li>")[1:]:
        name = text(re.search(r'<span class="author-name">(.*?)</span>', li).group(1))
        marks = re.search(r'</span>([\d,]+)</sup>', li).group(1)
        authors.append((name, marks, "corresponding" in li))
    affiliations = re.findall(r"<li><sup>(\d+)</sup> (.*?)</li>", header)
    correspondence = text(re.search(r'<p class="correspondence"[^>]*><strong>.*?</strong>(.*?)</p>', header, re.S).group(1))
    dates = [(text(lbl).rstrip(":"), text(d)) for lbl, d in
             re.findall(r'<span class="date"><strong>(.*?)</strong> <time[^>]*>(.*?)</time></span>', header)]
    keywords = [text(k) for k in re.findall(r'<span class="keyword">(.*?)</span>', header)]
    license_md = conv.to_markdown(re.search(r'<p class="license-line">.*?</p>', header, re.S).group(0)).strip()

    abs_s, _ = find_element(article, '<section class="abstract"')
    abstract_html, _ = inner(article, abs_s, "section")
    parts = []
    for title_html, body in re.findall(r'<div class="abstract-part"[^>]*>\s*<h3>(.*?)</h3>\s*(.*?)</div>', abstract_html, re.S):
        body_md = conv.to_markdown(conv.simplify(body)).strip()
        parts.append(f"**{text(title_html)}:** {body_md}")

    meta = ["---", f"title: {yaml_str(title)}", f"subtitle: {yaml_str(article_type)}", "author:"]
    for name, marks, corr in authors:
        meta.append(f"  - {yaml_str(name + '^' + marks + '^' + (' ✉' if corr else ''))}")
    meta.append("affiliation:")
    for mark, aff in affiliations:
        meta.append(f"  - {yaml_str('^' + mark + '^ ' + text(aff))}")
    meta.append(f"date: {yaml_str('; '.join(f'{l} {d}' for l, d in dates))}")
    meta.append("keywords:")
    meta += [f"  - {yaml_str(k)}" for k in keywords]
    meta.append("abstract: |")
    for i, p in enumerate(parts):
        if i:
            meta.append("")
        meta += ["  " + line if line else "" for line in p.splitlines()]
    meta += ["lang: en", "link-citations: true", "---", ""]

    # --- front matter shown in the body (galley prints these in the title block) ---
    body = ["::: {.title-block}", "", "\n".join(f"^{m}^ {text(a)}  " for m, a in affiliations).rstrip(), "",
            f"**Correspondence:** {correspondence}", "", "**Keywords:** " + " | ".join(keywords), "", license_md, "",
            ":::", ""]

    # summary box
    sum_s, _ = find_element(article, '<aside class="summary"')
    summary, _ = inner(article, sum_s, "aside")
    summary = re.sub(r'<h2 id="summary-title">Summary</h2>', "", summary)
    summary_md = conv.to_markdown(summary)
    summary_md = re.sub(r"^(#+ .*?)( \{#[^}]*\})?$", lambda m: m.group(1) + " {.unnumbered}", summary_md, flags=re.M)
    body += ["::: {.summary}", "", "## Summary {.unnumbered}", "", summary_md.strip(), "", ":::", ""]

    # sections
    b_s, _ = find_element(article, '<div class="body">')
    sections, _ = inner(article, b_s, "div")
    sections_md = conv.to_markdown(conv.simplify(sections))
    # galley's h2 is a section (level 1 in the source), h3 a subsection
    sections_md = re.sub(r"^#(#+) ", r"\1 ", sections_md, flags=re.M)
    body.append(sections_md.strip())
    body.append("")

    # back matter
    for m in re.finditer(r'<section class="back-matter"', article):
        el = article[m.start():element_end(article, m.start(), "section")]
        head = text(re.search(r"<h2[^>]*>(.*?)</h2>", el).group(1))
        content = conv.to_markdown(conv.simplify(re.sub(r"<h2[^>]*>.*?</h2>", "", el)))
        content = re.sub(r"^:::.*$", "", content, flags=re.M).strip()
        body += [f"# {head} {{.unnumbered}}", "", content, ""]

    body += ["# References {.unnumbered}", "", "::: {#refs}", ":::", ""]

    fs, _ = find_element(article, '<footer class="credit">')
    footer, _ = inner(article, fs, "footer")
    footer = re.sub(r'<p class="generator">.*?</p>', "", footer, flags=re.S)  # "built by galley"
    body += ["::: {.credit}", "", conv.to_markdown(footer).strip(), "", ":::", ""]

    md = "\n".join(meta) + "\n".join(body)
    md = re.sub(r"\n{3,}", "\n\n", md)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "paper.md"), "w", encoding="utf-8") as f:
        f.write(md)
    with open(os.path.join(args.out, "prisma.svg"), "w", encoding="utf-8") as f:
        f.write(svg)
    keys = sorted({k for ks in conv.citations for k in ks})
    tables = len(re.findall(r"^: Table \d", md, re.M))
    print(f"wrote {os.path.join(args.out, 'paper.md')}: {len(conv.citations)} citations of {len(keys)} distinct keys; "
          f"{tables} tables", file=sys.stderr)


if __name__ == "__main__":
    main()
