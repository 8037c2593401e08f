#!/usr/bin/env python3
"""Generate a synthetic living-review galley project with N studies.

    python3 bench/scale.py N OUTDIR [--seed 1] [--batch slice|literal]

The project grows linearly with N, like a living review that keeps adding
trials, so any super-linear growth of build time is galley's:

  manuscript/data/studies.yaml   N rows: key, author, year, country, n,
                                 dose_mg_kg, design, outcome
  manuscript/data/prisma.yaml    PRISMA counts scaled with N (they add up)
  manuscript/tables/studies.yaml one table listing all N studies, one row each,
                                 citing each study's primary report
  bibliography/references.bib    2N entries: a primary report and a follow-up
                                 report per study; all are cited
  manuscript/sections/*.md       max(1, N/20) sections, each on its own 20
                                 studies: data references over its slice of
                                 the dataset (counts, sums, min/max, filters),
                                 one sentence per study with bib and data
                                 references and a citation of its follow-up
                                 report, cross-references to the table, the
                                 figure and the previous section
  manuscript/manuscript.yaml     like `galley new` makes: title, authors,
                                 affiliations, dates, keywords, a structured
                                 abstract with data references, a data check

The output is deterministic for a given N and --seed. Only the first section
and the abstract refer to the whole dataset (the totals a review reports), so
the template work per section stays constant as N grows.
"""
import argparse
import os
import random
import shutil

PER_SECTION = 20

SYLLABLES = ["an", "ber", "cal", "dor", "el", "fen", "gar", "hol", "is", "jan", "kel", "lor", "mar", "nov",
             "ol", "per", "quin", "ros", "sel", "tam", "ul", "ver", "wen", "yar", "zel"]
GIVEN = ["Ana", "Ben", "Chen", "Dara", "Emil", "Fatima", "Goran", "Hana", "Ivan", "Jun", "Kofi", "Lena",
         "Mateo", "Nia", "Omar", "Priya", "Quentin", "Rosa", "Sami", "Tara", "Uma", "Viktor", "Wei", "Yusuf"]
COUNTRIES = ["Canada", "United States", "United Kingdom", "Germany", "Israel", "Australia", "China",
             "Brazil", "India", "Norway"]
DESIGNS = ["parallel", "crossover"]
OUTCOMES = ["clinical", "durability", "neurobiological", "adverse events"]
DOSES = [0.2, 0.5, 0.75, 1.0]
JOURNALS = ["Journal of Clinical Psychiatry", "Neuropsychopharmacology", "American Journal of Psychiatry",
            "Biological Psychiatry", "Journal of Affective Disorders", "Psychological Medicine"]
TOPICS = ["Ketamine", "Esketamine", "Intravenous Ketamine", "Repeated Ketamine Infusions", "Low-Dose Ketamine"]
CONDITIONS = ["Posttraumatic Stress Disorder", "Chronic PTSD", "Combat-Related PTSD", "PTSD With Comorbid Depression"]


def surname(rng):
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def key(i):
    return f"s{i:05d}"


def make_studies(n, rng):
    studies = []
    for i in range(1, n + 1):
        studies.append({
            "key": key(i),
            "author": surname(rng),
            "year": rng.randint(2005, 2025),
            "country": rng.choice(COUNTRIES),
            "n": rng.randint(12, 400),
            "dose_mg_kg": rng.choice(DOSES),
            "design": rng.choice(DESIGNS),
            "outcome": rng.choice(OUTCOMES),
        })
    return studies


def yaml_scalar(v):
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(v)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def bib_entry(k, authors, title, journal, year, rng):
    volume = rng.randint(10, 90)
    first = rng.randint(1, 900)
    return (f"@article{{{k},\n"
            f"  author = {{{' and '.join(authors)}}},\n"
            f"  title = {{{{{title}}}}},\n"
            f"  journaltitle = {{{journal}}},\n"
            f"  volume = {{{volume}}},\n"
            f"  number = {{{rng.randint(1, 12)}}},\n"
            f"  pages = {{{first}--{first + rng.randint(5, 15)}}},\n"
            f"  date = {{{year}}},\n"
            f"  doi = {{10.5555/bench.{k}}},\n"
            f"}}\n")


def make_bib(studies, rng):
    out = []
    for s in studies:
        coauthors = [f"{surname(rng)}, {rng.choice(GIVEN)}" for _ in range(rng.randint(1, 5))]
        authors = [f"{s['author']}, {rng.choice(GIVEN)}"] + coauthors
        topic, cond = rng.choice(TOPICS), rng.choice(CONDITIONS)
        out.append(bib_entry(s["key"], authors,
                             f"{topic} for {cond}: A Randomized Controlled Trial ({s['key'].upper()})",
                             rng.choice(JOURNALS), s["year"], rng))
        out.append(bib_entry(s["key"] + "b", authors[:1] + coauthors[::-1],
                             f"Long-Term Follow-Up of {topic} for {cond} ({s['key'].upper()})",
                             rng.choice(JOURNALS), min(s["year"] + rng.randint(1, 3), 2026), rng))
    return "\n".join(out)


MANUSCRIPT = """\
# A synthetic living review generated by bench/scale.py ({n} studies).
title: "Ketamine for Posttraumatic Stress Disorder: A Living Systematic Review of {n} Trials"
authors:
  - name: Ada Lovelace
    affiliations: ["1"]
    email: ada@example.org
    corresponding: true
  - name: Charles Babbage
    affiliations: ["1", "2"]
  - name: Mary Somerville
    affiliations: ["2"]
affiliations:
  "1": Analytical Engine Society, London, United Kingdom
  "2": Department of Mathematics, Example University, Cambridge, United Kingdom
dates:
  received: "2026-01-15"
  accepted: "2026-03-01"
keywords: [ketamine, PTSD, living review, benchmark]
abstract:
  Background: This synthetic living review exercises galley with a dataset that grows with every update.
  Results: >-
    {{{{ data.studies | length }}}} randomized trials with
    {{{{ data.studies | map(attribute="n") | sum }}}} participants were included,
    {{{{ data.studies | filter(attribute="design", value="crossover") | length }}}} of them crossover trials,
    at doses of {{{{ data.studies | map(attribute="dose_mg_kg") | range }}}} mg/kg.
  Conclusion: Every number above comes from manuscript/data/studies.yaml.
license:
  name: CC BY 4.0
  url: https://creativecommons.org/licenses/by/4.0/
lang: en
slug: living-review-{n}
csl: american-medical-association
sections:
{sections}
checks:
  - assert: data.studies | map(attribute="n") | sum > 0
    message: the trials have participants
"""

TABLE = """\
# One row per study, generated from data/studies.yaml.
id: tbl-studies
caption: Randomized controlled trials included in the living review.
source: data.studies
columns:
  - header: Author/year
    cell: "{{ bib[row.key].authors_short }} ({{ bib[row.key].year }}) [@{{ row.key }}]"
    align: left
    width: 0.3
  - header: Country
    cell: "{{ row.country }}"
    align: left
  - header: Design
    cell: "{{ row.design }}"
    align: left
  - header: "N"
    cell: "{{ row.n }}"
    align: right
  - header: Dose (mg/kg)
    cell: "{{ row.dose_mg_kg }}"
    align: right
  - header: Outcome
    cell: "{{ row.outcome }}"
    align: left
notes: "Synthetic data generated by bench/scale.py; N, participants randomized."
"""


def first_section(n):
    return f"""\
# Introduction {{#sec-introduction}}

This living review now includes {{{{ data.studies | length }}}} randomized controlled
trials with {{{{ data.studies | map(attribute="n") | sum }}}} participants in all,
between {{{{ data.studies | map(attribute="n") | min }}}} and
{{{{ data.studies | map(attribute="n") | max }}}} per trial (mean
{{{{ data.studies | map(attribute="n") | mean | round_to(n=1) }}}}). @tbl-studies lists
every trial, and @fig-prisma shows how they were found.

{{{{ table(id="tbl-studies") }}}}

{{{{ figure(id="fig-prisma", kind="prisma", data="prisma", caption="PRISMA flow diagram of the living review.") }}}}

"""


def section(j, lo, hi, studies, batch="slice"):
    """Section j (1-based) on studies[lo:hi]."""
    body = []
    if batch == "slice":
        # a filter over the whole dataset: Tera's filters copy their input
        # array, so this costs O(N) per section
        body.append(f'{{% set batch = data.studies | slice(start={lo}, end={hi}) %}}')
    else:
        # the section's rows picked one by one: O(rows) per section
        body.append("{% set batch = [" + ", ".join(f"data.studies.{i}" for i in range(lo, hi)) + "] %}")
    # no literal numbers in the heading: galley warns about numbers typed by hand
    body.append(f"# Trials {{{{ batch.0.key | upper }}}} to {{{{ batch.{hi - lo - 1}.key | upper }}}} {{#sec-batch-{j}}}\n")
    prev = f" Trials before them are described in @sec-batch-{j - 1}." if j > 1 else ""
    body.append(
        "This section covers {{ batch | length | words }} trials with "
        "{{ batch | map(attribute=\"n\") | sum }} participants, "
        "{{ batch | map(attribute=\"n\") | min }} to {{ batch | map(attribute=\"n\") | max }} per trial, "
        "published between {{ batch | map(attribute=\"year\") | min }} and {{ batch | map(attribute=\"year\") | max }} "
        f"(@tbl-studies).{prev} "
        "{{ batch | filter(attribute=\"design\", value=\"crossover\") | length | words | capitalize }} of them "
        "used a crossover design and {{ batch | filter(attribute=\"country\", value=\"Canada\") | length | words }} "
        "were run in Canada; doses ranged over {{ batch | map(attribute=\"dose_mg_kg\") | range }} mg/kg "
        "(mean {{ batch | map(attribute=\"dose_mg_kg\") | mean | round_to(n=2) }} mg/kg).\n")
    sentences = []
    for k, s in enumerate(studies[lo:hi]):
        sentences.append(
            f"{{{{ bib.{s['key']}.authors_short }}}} ({{{{ bib.{s['key']}.year }}}}) randomized "
            f"{{{{ batch.{k}.n }}}} participants in {{{{ batch.{k}.country }}}} to "
            f"{{{{ batch.{k}.dose_mg_kg }}}} mg/kg in a {{{{ batch.{k}.design }}}} design and reported "
            f"{{{{ batch.{k}.outcome }}}} outcomes [@{s['key']}b].")
    half = len(sentences) // 2 or 1
    body.append(" ".join(sentences[:half]) + "\n")
    if sentences[half:]:
        body.append(" ".join(sentences[half:]) + "\n")
    keys = "; ".join("@" + s["key"] for s in studies[lo:hi])
    body.append(
        "Taken together, the trials of this section [" + keys + "] reported "
        "{{ batch | filter(attribute=\"outcome\", value=\"clinical\") | length | words }} clinical, "
        "{{ batch | filter(attribute=\"outcome\", value=\"durability\") | length | words }} durability, "
        "{{ batch | filter(attribute=\"outcome\", value=\"neurobiological\") | length | words }} neurobiological "
        "and {{ batch | filter(attribute=\"outcome\", value=\"adverse events\") | length | words }} adverse-event "
        "outcomes as their primary outcome (@tbl-studies).\n")
    return "\n".join(body)


def prisma(n):
    included = n
    full_text = n * 3
    screened = n * 40
    duplicates = n * 25
    excl = [("Wrong study design", n), ("Wrong patient population", full_text - included - n)]
    lines = [f"identified: {screened + duplicates}",
             "sources:", "  - name: PubMed", "  - name: OVID (Embase, MEDLINE, PsycINFO)",
             f"duplicates: {duplicates}", f"screened: {screened}", f"full_text: {full_text}",
             "excluded_full_text:"]
    for reason, count in excl:
        lines += [f"  - reason: {reason}", f"    count: {count}"]
    lines.append(f"included: {included}")
    return "\n".join(lines) + "\n"


def generate(n, out, seed=1, batch="slice"):
    if n < 1:
        raise ValueError("N must be at least 1")
    rng = random.Random(seed * 1_000_003 + n)
    if os.path.exists(out):
        shutil.rmtree(out)
    studies = make_studies(n, rng)
    fields = ["key", "author", "year", "country", "n", "dose_mg_kg", "design", "outcome"]
    rows = []
    for s in studies:
        rows.append("- " + "\n  ".join(f"{f}: {yaml_scalar(s[f])}" for f in fields))
    write(os.path.join(out, "manuscript", "data", "studies.yaml"),
          f"# {n} synthetic trials (bench/scale.py).\n" + "\n".join(rows) + "\n")
    write(os.path.join(out, "manuscript", "data", "prisma.yaml"), prisma(n))
    write(os.path.join(out, "manuscript", "tables", "studies.yaml"), TABLE)
    write(os.path.join(out, "bibliography", "references.bib"), make_bib(studies, rng))

    count = max(1, n // PER_SECTION)
    names = []
    for j in range(1, count + 1):
        lo = (j - 1) * PER_SECTION
        hi = n if j == count else j * PER_SECTION  # the last section takes the remainder
        name = f"sections/{j:04d}-trials.md"
        text = (first_section(n) if j == 1 else "") + section(j, lo, hi, studies, batch)
        write(os.path.join(out, "manuscript", name), text)
        names.append(name)
    write(os.path.join(out, "manuscript", "manuscript.yaml"),
          MANUSCRIPT.format(n=n, sections="\n".join(f"  - {s}" for s in names)))
    return {"studies": n, "references": 2 * n, "sections": count}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("n", type=int, help="number of studies")
    ap.add_argument("outdir", help="project folder to create (replaced if it exists)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--batch", choices=["slice", "literal"], default="slice",
                    help="how a section takes its 20 rows: `data.studies | slice(...)` (default; a filter over "
                         "the whole dataset in every section, as a review's subgroup sentences do) or an array "
                         "literal of `data.studies.<i>` (no whole-dataset work per section)")
    args = ap.parse_args()
    info = generate(args.n, args.outdir, args.seed, args.batch)
    print(f"{args.outdir}: {info['studies']} studies, {info['references']} references, {info['sections']} sections")


if __name__ == "__main__":
    main()
