//! JATS XML: the paper's and a second manuscript's (tests/fixtures/
//! submission: BibTeX with APA, a CSV table, footnotes, display math)
//! validate against the JATS 1.2 Archiving DTD with MathML 3
//! (../shared/jats, `xmllint --dtdvalid`), every `xref` resolves, and two
//! builds give the same bytes.

mod common;
use common::*;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn dtd() -> PathBuf {
    let d = repo()
        .join("../shared/jats/JATS-Archiving-1-2-MathML3-DTD/JATS-archivearticle1-mathml3.dtd");
    assert!(d.is_file(), "the JATS DTD is not at {}", d.display());
    d
}

/// Build `root` into a temporary folder; the XML's path and text, and
/// the page.
fn build(root: &Path, out: &Path) -> (PathBuf, String, String) {
    let (xml, page) = build_to(root, out, "xml");
    let text = std::fs::read_to_string(&xml).unwrap();
    (xml, text, page)
}

fn validate(xml: &Path) {
    let v = std::process::Command::new("xmllint")
        .args(["--noout", "--nonet", "--dtdvalid"])
        .arg(dtd())
        .arg(xml)
        .output()
        .expect(
            "xmllint is not installed: apt-get install libxml2-utils (tests/provision.sh does)",
        );
    let stderr = String::from_utf8_lossy(&v.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.contains("error")).collect();
    assert!(
        v.status.success() && errors.is_empty(),
        "not valid JATS:\n{stderr}"
    );
}

/// Every `rid` names an `id` of the document.
fn xrefs_resolve(text: &str) {
    let grab = |attr: &str| -> BTreeSet<String> {
        let re = regex::Regex::new(&format!(r#"\s{attr}="([^"]+)""#)).unwrap();
        re.captures_iter(text)
            .flat_map(|c| {
                c[1].split_whitespace()
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let ids = grab("id");
    let missing: Vec<String> = grab("rid").difference(&ids).cloned().collect();
    assert!(missing.is_empty(), "xrefs to no id: {missing:?}");
}

fn count(text: &str, pat: &str) -> usize {
    text.matches(pat).count()
}

fn twice_the_same(root: &Path) {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let (_, x1, _) = build(root, a.path());
    let (_, x2, _) = build(root, b.path());
    assert!(x1 == x2, "two builds wrote different XML");
}

#[test]
fn the_papers_jats_validates() {
    let out = tempfile::tempdir().unwrap();
    let (xml, text, page) = build(&repo(), out.path());
    validate(&xml);
    xrefs_resolve(&text);
    assert_eq!(count(&text, "<ref id="), 66);
    assert_eq!(count(&text, "<contrib contrib-type=\"author\""), 16);
    assert_eq!(count(&text, "<aff id="), 19);
    assert_eq!(count(&text, "<table-wrap id="), 3);
    assert_eq!(count(&text, "<fig id="), 2);
    // Every reference both typed and formatted as the CSL formats it.
    assert_eq!(count(&text, "<element-citation"), 66);
    assert_eq!(count(&text, "<mixed-citation>"), 66);
    // Formulas as MathML with their LaTeX.
    assert!(count(&text, "<inline-formula><alternatives><mml:math") > 10);
    assert!(text.contains("<tex-math>"));
    assert!(text.contains("<license xlink:href=\"https://creativecommons.org/licenses/by/4.0/\">"));
    assert!(text.contains("<corresp id=\"cor1\">"));
    // The site links it.
    let name = xml.file_name().unwrap().to_str().unwrap();
    assert!(
        page.contains(&format!("<a href=\"{name}\">JATS XML</a>")),
        "no link to {name}"
    );
    twice_the_same(&repo());
}

#[test]
fn a_second_manuscript_validates_too() {
    let root = repo().join("tests/fixtures/submission");
    let out = tempfile::tempdir().unwrap();
    let (xml, text, _) = build(&root, out.path());
    validate(&xml);
    xrefs_resolve(&text);
    for want in [
        "<journal-title>Journal of Example Studies</journal-title>",
        "<article-id pub-id-type=\"doi\">10.1234/example.2026.001</article-id>",
        "<subtitle>A Test Manuscript for Submission Formats</subtitle>",
        "<contrib-id contrib-id-type=\"orcid\">https://orcid.org/0000-0002-1825-0097</contrib-id>",
        "<volume>12</volume><issue>3</issue><fpage>101</fpage><lpage>110</lpage>",
        "<date date-type=\"received\"><day>15</day><month>01</month><year>2026</year></date>",
        "<abstract><sec><title>Background</title>",
        "<kwd>tuberculosis</kwd>",
        "<disp-formula id=\"eq-re\"><label>(1)</label><alternatives><mml:math",
        "<xref ref-type=\"disp-formula\" rid=\"eq-re\">",
        "<xref ref-type=\"table\" rid=\"tbl-trials\">Table 1</xref>",
        "<xref ref-type=\"sec\" rid=\"sec-model\">",
        "<xref ref-type=\"sec\" rid=\"sec-model\">the model</xref>",
        "<sec id=\"sec-model\"><label>1.1</label><title>The model</title>",
        "<table-wrap-foot>",
        "<th colspan=\"2\">Vaccinated</th>",
        "<td colspan=\"3\"><bold>random allocation</bold></td>",
        "<fn fn-type=\"COI-statement\">",
        "<fn fn-type=\"con\">",
        "<sec sec-type=\"data-availability\">",
        "<xref ref-type=\"fn\" rid=\"fn1\"><sup>1</sup></xref>",
        "<fn id=\"fn2\"><label>2</label>",
        "<list list-type=\"bullet\">",
        "<xref ref-type=\"bibr\" rid=\"ref-colditz1994\">",
        // Where JATS takes only paragraphs (found by review): code and a
        // display formula in list items, a list in a note, a definition
        // of two paragraphs, a table of a header only, a heading's ².
        "<p><code language=\"python\">import csv",
        "<list-item><p>Pool them, as in</p>\n<p><disp-formula>",
        "<fn fn-type=\"con\"><p><bold>Author Contributions</bold></p><p><list list-type=\"bullet\">",
        "<def><p>The ratio of two risks.</p>\n<p>Second paragraph of the definition.</p>",
        "<tbody><tr><th>Only</th><th>A header</th></tr></tbody>",
        "<sec id=\"sec-heterogeneity\"><label>2.1</label><title>Heterogeneity (I²)</title>",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    assert_eq!(count(&text, "<ref id="), 2);
    twice_the_same(&root);
}
