//! One small fixture project per feature, built with the real binary.

mod common;
use common::*;

fn build(dir: &std::path::Path) -> Run {
    galley(&["build", "--root", dir.to_str().unwrap()], dir)
}

/// The page built, its article snapshotted (`INSTA_UPDATE=always cargo
/// test` rewrites the snapshots in tests/snapshots/).
fn index(dir: &std::path::Path) -> String {
    let html = std::fs::read_to_string(dir.join("public/index.html")).expect("index.html");
    let article = between(&html, "<article>", "</article>").expect("an article");
    snapshot_text(article);
    html
}

/// A copy of the fixture project tests/fixtures/`name` in a temporary
/// folder.
fn fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&repo().join("tests/fixtures").join(name), dir.path());
    dir
}

#[test]
fn citations_locators_narrative_suppress_author_and_email() {
    let dir = fixture("citations");
    let r = build(dir.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    let html = index(dir.path());
    // Numbered by first appearance: smith 1, jones 2, brown 3.
    let refs = between(&html, "<ol class=\"reflist\">", "</ol>").unwrap();
    let order: Vec<usize> = ["ref-smith2020", "ref-jones2019", "ref-brown2018"]
        .iter()
        .map(|id| refs.find(id).unwrap())
        .collect();
    assert!(order[0] < order[1] && order[1] < order[2], "{refs}");
    let text = text_of(&without_tips(
        between(&html, "<div class=\"body\">", "</div>\n").unwrap(),
    ));
    assert!(text.contains("ada@example.org"), "e-mail kept: {text}");
    assert!(
        text.contains("@smith2020"),
        "escaped at-sign kept literally: {text}"
    );
    // Narrative citations name the author in numeric styles.
    assert!(text.contains("Then Brown [3] said so."), "{text}");
    // Every citation links to its entry and each entry links back.
    assert!(html.contains("href=\"#ref-smith2020\""));
    assert!(between(&html, "id=\"ref-jones2019\"", "</li>")
        .unwrap()
        .contains("href=\"#cite-"));
    // Tooltip carries the formatted reference.
    assert!(between(&html, "id=\"cite-1-tip\"", "</span></span>")
        .unwrap()
        .contains("A Study of Things"));
}

#[test]
fn author_date_style_from_bibtex() {
    let dir = fixture("author-date-style");
    let r = build(dir.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    let html = index(dir.path());
    let text = text_of(&without_tips(&html));
    assert!(
        text.contains("(Smith & Doe, 2020)"),
        "{}",
        between(&text, "As shown", ".").unwrap_or("")
    );
    assert!(text.contains("Jones (2019)"), "{text}");
    assert!(text.contains("(Jones, 2019, p. 33)"), "locator: {text}");
    assert!(
        r.stderr.contains("`brown2018` is never cited"),
        "{}",
        r.stderr
    );
}

#[test]
fn data_references_with_builtin_filters() {
    let dir = fixture("data-references");
    let r = build(dir.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    let text = text_of(&without_tips(&index(dir.path())));
    assert!(
        text.contains("Three trials, 43 people, doses 0.2–0.5 mg/kg, mean n 14.3, p <0.0001, 23.1% female, until July 15, 2025."),
        "{text}"
    );
    // The dataset is published as JSON and CSV.
    let csv = std::fs::read_to_string(dir.path().join("public/data/trials.csv")).unwrap();
    assert!(csv.starts_with("name,n,dose\nA,10,0.2\n"), "{csv}");
    assert!(dir.path().join("public/data/stats.json").exists());
}

#[test]
fn table_spec_with_groups_marks_and_block_cells() {
    let dir = fixture("table-spec");
    let r = build(dir.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    let html = index(dir.path());
    let table = between(
        &html,
        "<figure class=\"table-figure\" id=\"tbl-things\">",
        "</figure>",
    )
    .unwrap();
    assert!(table.contains("<span class=\"label\">Table 1</span>"));
    assert!(table.contains("Things by <em>kind</em>."));
    assert_eq!(table.matches("<tr class=\"group\">").count(), 2, "{table}");
    assert!(
        table.contains("colspan=\"1\"") || table.contains(">Risk</th>"),
        "{table}"
    );
    assert!(
        table.contains("<li>first <math"),
        "math in a list in a cell: {table}"
    );
    assert!(table.contains("class=\"mark mark-bad\""));
    assert!(
        table.contains("<span class=\"visually-hidden\">High risk</span>"),
        "text equivalent of the mark"
    );
    assert!(
        table.contains("href=\"#ref-smith2020\""),
        "citation in a cell"
    );
    // group_index restarts per group: Gamma is number 1.
    let gamma = table.find("Gamma").unwrap();
    assert!(table[..gamma].rfind("<td>1</td>").is_some());
    assert!(html.contains("<a class=\"xref\" href=\"#tbl-things\">Table 1</a>"));
}

#[test]
fn generated_prisma_figure_and_cross_references() {
    let dir = fixture("prisma-figure");
    let r = build(dir.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    let html = index(dir.path());
    assert!(html.contains("<a class=\"xref\" href=\"#fig-flow\">Figure 1</a>"));
    assert!(html.contains("<a class=\"xref\" href=\"#sec-results\">Section 2</a>"));
    assert!(html.contains("<a class=\"xref\" href=\"#sec-search\">Section 1.1</a>"));
    let fig = between(
        &html,
        "<figure class=\"figure\" id=\"fig-flow\">",
        "</figure>",
    )
    .unwrap();
    for n in [
        "(n = 120)",
        "(n = 20)",
        "(n = 100)",
        "(n = 90)",
        "(n = 10)",
        "Wrong design (n = 6)",
        "(n = 4)",
    ] {
        assert!(fig.contains(n), "{n} missing from the SVG");
    }
    assert!(fig.contains("<title id=\"fig-flow-title\">"));
    let svg = std::fs::read_to_string(dir.path().join("public/figures/fig-flow.svg")).unwrap();
    assert!(svg.contains("(n = 120)"));
    // Text is escaped as on the pages: an apostrophe too.
    assert!(svg.contains("Authors&#39; own files"), "{svg}");
}

#[test]
fn html_from_data_and_markdown_is_escaped() {
    let dir = fixture("escaping");
    let r = build(dir.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    let html = index(dir.path());
    assert!(!html.contains("<script>alert"), "raw script escaped");
    assert!(!html.contains("<img src=x"), "data escaped");
    assert!(!html.contains("javascript:"), "script URL dropped");
    assert!(!html.contains("<div onclick"), "raw HTML block escaped");
    assert!(html.contains("&lt;b&gt;k"), "keyword escaped");
}

#[test]
fn builds_are_byte_identical() {
    let dir = fixture("byte-identical");
    let out1 = dir.path().join("one");
    let out2 = dir.path().join("two");
    let r1 = galley(&["build", "--out", out1.to_str().unwrap()], dir.path());
    let r2 = galley(&["build", "--out", out2.to_str().unwrap()], dir.path());
    assert_eq!(r1.status, 0, "{}", r1.stderr);
    assert_eq!(r2.status, 0, "{}", r2.stderr);
    assert_eq!(snapshot(&out1), snapshot(&out2));
    let manifest = std::fs::read_to_string(out1.join("manifest.json")).unwrap();
    assert!(
        manifest.contains("manuscript/sections/a.md") && manifest.contains("sha256"),
        "{manifest}"
    );
}

#[test]
fn footnotes_comments_and_automatic_ids() {
    let dir = fixture("footnotes");
    let r = build(dir.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    let html = index(dir.path());
    assert!(
        !html.contains("an author&#39;s comment")
            && !html.contains("author's comment")
            && !html.contains("author’s comment"),
        "comments are dropped"
    );
    assert!(
        html.contains("id=\"sec-results\"") && html.contains("id=\"sec-results-2\""),
        "automatic ids are unique"
    );
    assert!(
        html.contains("First note.") && html.contains("Second file’s note."),
        "labels are per file"
    );
    assert!(dir
        .path()
        .join("public")
        .read_dir()
        .unwrap()
        .flatten()
        .any(|e| e.path().extension().is_some_and(|x| x == "pdf")));
}

#[test]
fn json_ld_cannot_break_out_of_its_script() {
    let dir = fixture("json-ld");
    let r = build(dir.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    let html = index(dir.path());
    let ld = between(&html, "<script type=\"application/ld+json\">", "</script>").unwrap();
    assert!(!ld.contains('<') && !ld.contains('>'), "{ld}");
    let v: serde_json::Value = serde_json::from_str(ld).unwrap();
    assert_eq!(v["keywords"][0], "<!--<script>");
}

#[test]
fn numbered_equations_and_their_cross_references() {
    let dir = fixture("equations");
    let r = build(dir.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    let html = index(dir.path());
    assert!(
        html.contains("<span class=\"equation\" id=\"eq-model\">"),
        "{html}"
    );
    assert!(html.contains("<span class=\"eq-number\">(1)</span>"));
    assert!(html.contains("<a class=\"xref\" href=\"#eq-model\">Equation 1</a>"));
    assert!(html.contains("<a class=\"xref\" href=\"#eq-two\">Equation 2</a>"));
    assert!(!html.contains("{#eq-"), "the attribute is consumed");
    // `\label` names the equation, `\tag` gives its number, a numbered
    // environment is numbered without a label, a starred one is not.
    assert!(html.contains("<span class=\"equation\" id=\"eq-energy\">"));
    assert!(html.contains("<a class=\"xref\" href=\"#eq-energy\">Equation 3</a>"));
    assert!(html.contains("<a class=\"xref\" href=\"#eq-tagged\">Equation A1</a>"));
    assert!(html.contains("<span class=\"eq-number\">(A1)</span>"));
    assert!(html.contains("As LaTeX refers to it: (<a class=\"xref\" href=\"#eq-energy\">3</a>)."));
    assert!(html.contains("<span class=\"eq-number\">(4)</span>"));
    assert!(!html.contains("<span class=\"eq-number\">(5)</span>"));
    assert!(
        !html.contains("\\label") && !html.contains("\\tag"),
        "{html}"
    );
}

#[test]
fn csl_json_and_csl_yaml_bibliographies_are_read() {
    let dir = fixture("csl-bibliographies");
    let r = build(dir.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    let html = index(dir.path());
    // CSL-JSON (Zotero's export) and Pandoc's CSL-YAML `references:`, in APA.
    assert!(
        html.contains("href=\"#ref-duek2023\">Duek &amp; Korem, 2023</a>)"),
        "{html}"
    );
    assert!(html.contains(
        "Feder, A., Parides, M. K., &amp; Murrough, J. W. (2014). Efficacy of intravenous ketamine"
    ));
    assert!(html.contains("<em>JAMA Psychiatry</em>, <em>71</em>(6), 681–688"));
    assert!(html.contains("https://doi.org/10.1001/jamapsychiatry.2014.62"));
    assert!(html.contains("Ketamine. In <em>StatPearls</em>. StatPearls Publishing."));
    assert!(!html.contains("[@"));
}

#[test]
fn latex_markup_in_bibtex_fields_is_rendered_as_pandoc_reads_it() {
    let dir = fixture("bibtex-markup");
    let r = build(dir.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    let html = index(dir.path());
    // Accents, `{\' i}` and `{\'\i}` included.
    assert!(
        html.contains("Marrero, J., García, A., Berrocoso, M., Llinares, Á., Rodríguez-Losada, A.")
    );
    assert!(
        html.contains("Müller, J., &amp; García, M. (2020)"),
        "{html}"
    );
    // Commands, a font switch to the end of the field, an empty field gone.
    assert!(html.contains("Knuth, D. E. (1984). <em>The TeXbook</em>."));
    assert!(html.contains("<em>LaTeX: A Document Preparation System</em>. Addison-Wesley."));
    assert!(html.contains("<em>Journal of Applied Volcanology</em>, <em>8</em>. <a"));
    // \emph, \textbf, math and `~`; a URL's `~` is a tilde.
    assert!(html.contains(
        "The <em>in vivo</em> effect of <math><mi>α</mi></math>-synuclein on <strong>bold</strong>\u{a0}claims."
    ));
    assert!(html.contains("<em>J.\u{a0}Test.</em>"));
    assert!(html.contains("https://example.org/~user/paper"));
    let body = between(&html, "<main", "</main>").unwrap();
    for raw in ["\\emph", "\\it", "\\TeX", "$\\alpha", "{\\"] {
        assert!(!body.contains(raw), "{raw} in the page");
    }
    assert!(!html.contains(|c: char| ('\u{E000}'..='\u{E009}').contains(&c)));
}

#[test]
fn pandoc_and_quarto_markdown() {
    let dir = fixture("quarto-markdown");
    let r = build(dir.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    let html = index(dir.path());
    // Tera leaves code alone; shortcodes are Quarto's.
    assert!(html.contains("<code>{{ data.x }}</code>"), "{html}");
    assert!(html.contains("<code>{% if %}</code>"));
    assert!(html.contains("print(&quot;{{ not a data reference }}&quot;)  # {# not a comment #}"));
    assert!(
        html.contains("subtitle is “As authors write it”."),
        "{html}"
    );
    // Quarto's author schema in manuscript.yaml.
    assert!(html.contains("<meta name=\"citation_author\" content=\"Lovelace, Ada\">\n<meta name=\"citation_author_institution\" content=\"Analytical Engine Society, London\">"));
    assert!(html.contains("<meta name=\"citation_author_institution\" content=\"Royal Society\">"));
    assert!(html.contains("<p>This paragraph comes from an included file.</p>"));
    assert!(html.contains("<div class=\"pagebreak\"></div>"));
    assert!(html.contains("Escaped: {{&lt; meta title &gt;}}."));
    assert!(
        r.stderr.contains("manuscript/sections/a.md:14:1: shortcode `{{< video >}}` is not one galley knows; left out"),
        "{}",
        r.stderr
    );
    // Figures, tables, cross-references, callouts, divs, raw blocks.
    assert!(html.contains("<figure class=\"figure\" id=\"fig-flow\">"));
    assert!(html.contains("<span class=\"label\">Figure 1</span><span class=\"secsep\" aria-hidden=\"true\"> | </span>The flow of studies through the review</figcaption>"));
    assert!(html.contains("<span class=\"label\">Table 1</span><span class=\"secsep\" aria-hidden=\"true\"> | </span>Trials by design</figcaption>"));
    assert!(html.contains("see Section <a class=\"xref\" href=\"#sec-blocks\">1.1</a>\nand <a class=\"xref\" href=\"#fig-flow\">Figure 1</a>."));
    assert!(html.contains("<aside class=\"callout callout-warning\" role=\"note\">\n<p class=\"callout-title\">Mind the doses</p>"));
    assert!(html.contains("<p class=\"callout-title\">A tip</p>"));
    assert!(html.contains("<div id=\"box\" class=\"aside\" data-kind=\"x\">"));
    assert!(html.contains("<p class=\"raw\">Raw HTML for the site</p>"));
    assert!(!html.contains("Raw Typst") && !html.contains("clearpage"));
    assert!(r.stderr.contains("raw `latex` is left out"));
    // Inline extensions.
    assert!(html.contains("H<sub>2</sub>O and x<sup>2</sup>, <span class=\"smallcaps\">small caps</span>, <span id=\"sp\" class=\"mark\">a span</span>, a note<sup class=\"fn-ref\">"));
    assert!(
        html.contains("<li id=\"fn-1\"><p>An\ninline note, citing nothing.</p>"),
        "{html}"
    );
    assert!(html.contains("and “quotes” – dashes — and more…\nPrices of $5 and $10 are text."));
    assert!(html.contains("<dl>\n<dt>Term</dt>\n<dd>Its definition.</dd>\n</dl>"));
    assert!(html.contains("<li>☒ done</li>\n<li>☐ to do</li>"));
    assert!(html.contains("<p>The limerick packs laughs anatomical<br>\n\u{a0}\u{a0}\u{a0}\u{a0}Into space that is quite economical.</p>"), "{html}");
    assert!(html.contains("<ol type=\"a\">\n<li>first</li>\n<li>second</li>\n</ol>"));
    // A grid table, captioned.
    assert!(html.contains("<span class=\"label\">Table 2</span><span class=\"secsep\" aria-hidden=\"true\"> | </span>A grid table</figcaption>"), "{html}");
    assert!(
        html.contains("<tr><td>Feder 2014</td><td class=\"align-right\">1</td></tr>"),
        "{html}"
    );
    // Simple and multiline tables, as Pandoc reads them.
    assert!(html.contains("A simple table</figcaption>"), "{html}");
    assert!(
        html.contains(
            "<tr><td class=\"align-center\">Feder</td><td class=\"align-right\">1</td></tr>"
        ),
        "{html}"
    );
    assert!(html.contains("A multiline table</figcaption>"), "{html}");
    assert!(
        html.contains("<tr><td>Abdallah 2022</td><td>Randomized, parallel</td></tr>"),
        "{html}"
    );
    // `references:` in manuscript.yaml is a bibliography.
    assert!(html.contains("href=\"#ref-feder2014\""));
    assert!(html.contains(
        "Efficacy of intravenous ketamine for treatment of chronic posttraumatic stress disorder"
    ));
    // An executable cell: shown as code, a reference to it a warning.
    assert!(html.contains(
        "<pre><code class=\"language-r\">#| label: fig-unrun\nplot(1:10)\n</code></pre>"
    ));
    assert!(r.stderr.contains("executable `r` cells are shown as code"));
    assert!(r
        .stderr
        .contains("cross-reference `@fig-unrun` points at an executable cell"));
    let code = regex::Regex::new(r"(?s)<pre.*?</pre>|<code>.*?</code>").unwrap();
    let body = code.replace_all(between(&html, "<main", "</main>").unwrap(), "");
    for raw in ["[@", "{#", ":::", "{{<", "{=", "{{ data"] {
        assert!(!body.contains(raw), "{raw} in the page");
    }
    // The PDF has the Typst, not the HTML.
    let pdf = std::process::Command::new("pdftotext")
        .arg(dir.path().join("public/pandoc-and-quarto-markdown.pdf"))
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    let text = String::from_utf8_lossy(&pdf.stdout);
    assert!(text.contains("Raw Typst for the PDF"), "{text}");
    assert!(!text.contains("Raw HTML"));
    assert!(text.contains("Mind the doses"));
    assert!(text.contains("H2O"), "{text}");
}

#[test]
fn a_note_style_makes_citations_footnotes() {
    let dir = fixture("note-style");
    let r = build(dir.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    let html = index(dir.path());
    let strip =
        regex::Regex::new(r#"(?s)<span class="cite-tip".*?</span></span>|<[^>]+>"#).unwrap();
    let text = strip.replace_all(&html, "");
    // In the text: note numbers in order, the author's own note among
    // them; a narrative citation keeps the author's name.
    assert!(
        text.contains("A claim,1 an author’s own note2, and Jones3\nsays more."),
        "{text}"
    );
    // The notes: the citations in the style's note form, one period where
    // the author's note goes on after one.
    assert!(text.contains(
        "John Smith and Jane Doe, “A Study of Things,” Journal of Things 3, no. 2 (2020): 4."
    ));
    assert!(text.contains("The author’s note, citing Bob Brown, The Book (Publisher, 2018).\n"));
    assert!(!text.contains("2018).."));
    assert!(text.contains("Mary Jones, “Another Study,” Journal of Stuff 7 (2019): 1–9."));
    // Rendered in the notes' order (Brown's, in note 2, before Jones's).
    assert!(
        html.contains("id=\"cite-2\"><a aria-describedby=\"cite-2-tip\" href=\"#ref-brown2018\"")
    );
    // The PDF's notes are the same.
    let pdf = std::process::Command::new("pdftotext")
        .arg(dir.path().join("public/a-test-paper.pdf"))
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    let pdf = String::from_utf8_lossy(&pdf.stdout);
    assert!(
        pdf.contains("A claim,1 an author’s own note2, and Jones3 says more."),
        "{pdf}"
    );
    assert!(
        pdf.contains(
            "1John Smith and Jane Doe, “A Study of Things,” Journal of Things 3, no. 2 (2020): 4."
        ),
        "{pdf}"
    );
}
