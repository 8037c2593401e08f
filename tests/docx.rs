//! Word (DOCX): the paper's and a second manuscript's (tests/fixtures/
//! submission: BibTeX with APA, a CSV table, footnotes, display math),
//! checked as readers would open them. LibreOffice (headless) converts
//! each to PDF, and its text holds every reference in order, every
//! citation of the site in order, every cell of the tables and the
//! captions; python-docx (tests/docx/read.py) finds Office Math for every
//! formula, real footnotes, header rows marked to repeat and the styles by
//! their names. Two builds give the same bytes.

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Build `root` into `out`: the Word file's path and the site's page.
fn build(root: &Path, out: &Path) -> (PathBuf, String) {
    build_to(root, out, "docx")
}

/// The text of the Word file as LibreOffice lays it out (converted to
/// PDF, read by pdftotext).
fn libreoffice_text(docx: &Path) -> String {
    let dir = tempfile::tempdir().unwrap();
    // A profile of its own, so tests running at once do not share one.
    let profile = format!(
        "-env:UserInstallation=file://{}/profile",
        dir.path().display()
    );
    let r = Command::new("soffice")
        .args([&profile, "--headless", "--convert-to", "pdf", "--outdir"])
        .arg(dir.path())
        .arg(docx)
        .output()
        .expect("LibreOffice is not installed: apt-get install libreoffice-writer-nogui libreoffice-math-nogui (tests/provision.sh does)");
    let pdf = dir
        .path()
        .join(docx.file_stem().unwrap())
        .with_extension("pdf");
    assert!(
        pdf.is_file(),
        "LibreOffice did not convert the file: {}{}",
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&r.stderr)
    );
    // In the order LibreOffice wrote the text (cell by cell), not as
    // lines across the page.
    let t = Command::new("pdftotext")
        .arg("-raw")
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    String::from_utf8_lossy(&t.stdout).to_string()
}

/// What python-docx finds (tests/docx/read.py), as JSON.
fn read(docx: &Path) -> serde_json::Value {
    // Debian's Python, which python3-docx is installed for.
    let python = if Path::new("/usr/bin/python3").is_file() {
        "/usr/bin/python3"
    } else {
        "python3"
    };
    let r = Command::new(python)
        .arg(repo().join("tests/docx/read.py"))
        .arg(docx)
        .output()
        .expect("python3");
    assert!(
        r.status.success(),
        "python-docx could not read it (apt-get install python3-docx; tests/provision.sh does): {}",
        String::from_utf8_lossy(&r.stderr)
    );
    serde_json::from_slice(&r.stdout).unwrap()
}

/// Text compared without spaces, line breaks and the hyphens a line
/// break adds or takes away.
fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '\u{2010}' | '\u{ad}'))
        .collect()
}

/// Each of `wanted` in `text`, in order.
fn in_order(text: &str, wanted: &[String], what: &str) {
    let text = norm(text);
    let mut at = 0;
    for (k, w) in wanted.iter().enumerate() {
        let w = norm(w);
        match text[at..].find(&w) {
            Some(i) => at += i + w.len(),
            None => panic!(
                "{what} {} of {}, {w:?}, is not in the Word file after the one before it",
                k + 1,
                wanted.len()
            ),
        }
    }
}

/// The reference list of the site, entry by entry.
fn site_references(page: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = page;
    while let Some(i) = rest.find("<li id=\"ref-") {
        rest = &rest[i..];
        let end = rest.find("</li>").unwrap();
        // The entry without its label (LibreOffice lays the labels out as
        // a column of their own) and the back-links to its citations.
        let entry = &rest[..end];
        let entry = entry
            .find("<span class=\"backlinks")
            .map_or(entry, |j| &entry[..j]);
        let entry = entry
            .find("<span class=\"ref-body")
            .map_or(entry, |j| &entry[j..]);
        out.push(text_of(entry));
        rest = &rest[end..];
    }
    out
}

/// Every cell's text of the site's tables (the numbered ones), as pieces
/// between its formulas (LibreOffice lays formulas out as objects of
/// their own) and list items, with the marks' hidden labels left out.
fn site_cells(page: &str) -> Vec<String> {
    let hidden = regex::Regex::new(r#"<span class="visually-hidden">[^<]*</span>"#).unwrap();
    let cell = regex::Regex::new(r"(?s)<t[dh][^>]*>(.*?)</t[dh]>").unwrap();
    // Formulas, and list items (their bullets come between).
    let math = regex::Regex::new(r"(?s)<math.*?</math>|<li[^>]*>").unwrap();
    let mut out = Vec::new();
    let mut rest = page;
    while let Some(i) = rest.find("<figure class=\"table-figure") {
        rest = &rest[i..];
        let end = rest.find("</figure>").unwrap();
        let table = without_tips(&rest[..end]);
        let table = hidden.replace_all(&table, "");
        for c in cell.captures_iter(&table) {
            for piece in math.split(&c[1]) {
                let t = text_of(piece);
                if !norm(&t).is_empty() {
                    out.push(t.trim().to_string());
                }
            }
        }
        rest = &rest[end..];
    }
    out
}

/// The figure captions of the site ("Figure 1. PRISMA flow diagram.").
fn site_captions(page: &str) -> Vec<String> {
    let re = regex::Regex::new(r#"(?s)<figure class="figure"[^>]*>.*?<figcaption><span class="label">(Figure \d+)</span><span class="secsep" aria-hidden="true"> \| </span>(.*?)</figcaption>"#).unwrap();
    re.captures_iter(page)
        .map(|c| format!("{}. {}", &c[1], text_of(&c[2])))
        .collect()
}

fn twice_the_same(root: &Path, first: &Path) {
    let b = tempfile::tempdir().unwrap();
    let (again, _) = build(root, b.path());
    assert!(
        std::fs::read(first).unwrap() == std::fs::read(again).unwrap(),
        "two builds wrote different Word files"
    );
}

/// What every Word file must hold, against its site.
fn holds_the_site(docx: &Path, page: &str) -> (String, serde_json::Value) {
    let text = libreoffice_text(docx);
    in_order(&text, &site_references(page), "reference");
    in_order(&text, &citations(page), "citation");
    for c in site_cells(page) {
        assert!(
            norm(&text).contains(&norm(&c)),
            "the cell text {c:?} is not in the Word file"
        );
    }
    in_order(&text, &site_captions(page), "figure caption");
    let found = read(docx);
    // Office Math for every formula of the site; none as LaTeX.
    let formulas = page.matches("<math").count();
    assert_eq!(
        found["omml"].as_u64().unwrap() as usize,
        formulas,
        "formulas"
    );
    // Data tables (a numbered formula stands in a borderless one).
    for t in found["tables"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["style"] == "Table")
    {
        assert!(
            t["repeat"].as_u64().unwrap() >= 1,
            "a header row does not repeat: {t}"
        );
    }
    for (name, there) in found["named"].as_object().unwrap() {
        assert!(there.as_bool().unwrap(), "no style named {name}");
    }
    // Every internal link goes to a bookmark.
    let marks: Vec<&str> = found["bookmarks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b.as_str())
        .collect();
    for a in found["anchors"].as_array().unwrap() {
        assert!(
            marks.contains(&a.as_str().unwrap()),
            "a link to no bookmark: {a}"
        );
    }
    (text, found)
}

#[test]
fn the_papers_word_file_holds_the_paper() {
    let out = tempfile::tempdir().unwrap();
    let (docx, page) = build(&repo(), out.path());
    assert_eq!(site_references(&page).len(), 66);
    assert!(site_cells(&page).len() > 100);
    assert_eq!(site_captions(&page).len(), 2);
    let (text, found) = holds_the_site(&docx, &page);
    assert_eq!(
        found["tables"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["style"] == "Table")
            .count(),
        3
    );
    let styles = &found["styles"];
    for (style, at_least) in [
        ("Title", 1),
        ("Heading 1", 5),
        ("Heading 2", 5),
        ("Caption", 5),
        ("Bibliography Numbered", 66),
        ("Affiliation", 19),
        ("Summary", 1),
    ] {
        assert!(
            styles[style].as_u64().unwrap_or(0) >= at_least,
            "{style}: {}",
            styles[style]
        );
    }
    assert_eq!(found["images"].as_array().unwrap().len(), 2);
    assert!(found["images"][0]["descr"]
        .as_str()
        .unwrap()
        .starts_with("PRISMA 2020 flow diagram."));
    assert!(found["core"]["title"]
        .as_str()
        .unwrap()
        .starts_with("Effects of Intravenous Ketamine"));
    assert!(found["core"]["author"]
        .as_str()
        .unwrap()
        .starts_with("Liyang Yin; Andy Lu"));
    // The title block and the credit to the original article.
    for want in [
        "Correspondence:",
        "Keywords:",
        "SUMMARY",
        "Originally published as: Yin L",
    ] {
        assert!(norm(&text).contains(&norm(want)), "no {want:?}");
    }
    // The site offers it.
    let name = docx.file_name().unwrap().to_str().unwrap();
    assert!(
        page.contains(&format!("<a href=\"{name}\">Word (DOCX)</a>")),
        "no link to {name}"
    );
    twice_the_same(&repo(), &docx);
}

#[test]
fn a_second_manuscript_holds_its_own() {
    let root = repo().join("tests/fixtures/submission");
    let out = tempfile::tempdir().unwrap();
    let (docx, page) = build(&root, out.path());
    assert_eq!(site_references(&page).len(), 2);
    let (text, found) = holds_the_site(&docx, &page);
    // Real footnotes, with their text.
    assert_eq!(found["footnote_refs"], 2);
    let notes = found["footnotes"].as_array().unwrap();
    assert!(notes[0]
        .as_str()
        .unwrap()
        .contains("The trials differ in how treatment was allocated."));
    assert!(notes[1]
        .as_str()
        .unwrap()
        .contains("With a random-effects model"));
    // The numbered display formula, numbered; the other two display ones.
    assert!(found["omml_para"].as_u64().unwrap() >= 2);
    assert!(norm(&text).contains(&norm("(1)")));
    for want in [
        "Ada Lovelace1*",
        "Vaccinated",
        "random allocation",
        "Counts as metafor’s dat.bcg holds them.",
        "Risk ratio",
        "Author Contributions",
        "Data Availability Statement",
        "import csv",
    ] {
        assert!(norm(&text).contains(&norm(want)), "no {want:?} in\n{text}");
    }
    assert!(found["styles"]["Source Code"].as_u64().unwrap() >= 1);
    // A Markdown link to an id goes to its bookmark, as the
    // cross-reference does.
    let to_model = found["anchors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| *a == "sec_model")
        .count();
    assert_eq!(to_model, 2, "{}", found["anchors"]);
    assert!(
        found["styles"]["footnote text"].is_null(),
        "footnote text is in the footnotes part, not the body"
    );
    twice_the_same(&root, &docx);
}

/// A zip of `(name, text)` parts.
fn zip_of(parts: &[(&str, &str)]) -> Vec<u8> {
    use std::io::Write as _;
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text) in parts {
        z.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(text.as_bytes()).unwrap();
    }
    z.finish().unwrap().into_inner()
}

/// The styles.xml of a built Word file.
fn styles_of(docx: &Path) -> String {
    use std::io::Read as _;
    let mut z = zip::ZipArchive::new(std::fs::File::open(docx).unwrap()).unwrap();
    let mut s = String::new();
    z.by_name("word/styles.xml")
        .unwrap()
        .read_to_string(&mut s)
        .unwrap();
    s
}

#[test]
fn a_reference_docx_gives_the_styles() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("tests/fixtures/submission"), dir.path());
    let w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
    let styles = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:styles xmlns:w=\"{w}\"><w:style w:type=\"paragraph\" w:styleId=\"Title\"><w:name w:val=\"Title\"/><w:rPr><w:color w:val=\"C00000\"/><w:sz w:val=\"48\"/></w:rPr></w:style></w:styles>"
    );
    std::fs::create_dir_all(dir.path().join("theme")).unwrap();
    std::fs::write(
        dir.path().join("theme/reference.docx"),
        zip_of(&[("word/styles.xml", &styles), ("word/theme/theme1.xml", "<a:theme xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" name=\"Mine\"/>")]),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let (docx, _) = build(dir.path(), out.path());
    let s = styles_of(&docx);
    // The reference's Title, once; galley's styles it lacks, added.
    assert_eq!(s.matches("w:styleId=\"Title\"").count(), 1);
    assert!(s.contains("C00000"));
    assert!(s.contains("w:styleId=\"Heading1\"") && s.contains("w:styleId=\"FootnoteText\""));
    let found = read(&docx);
    assert!(found["named"]["Heading 1"].as_bool().unwrap());
    // It is an input of the build like any other.
    let manifest = std::fs::read_to_string(out.path().join("manifest.json")).unwrap();
    assert!(manifest.contains("theme/reference.docx"), "{manifest}");
    // A reference that is not a Word file: an error at it, and the
    // previous output left as it was.
    let before = snapshot(out.path());
    std::fs::write(dir.path().join("theme/reference.docx"), "not a zip").unwrap();
    let r = galley(
        &[
            "build",
            "--root",
            dir.path().to_str().unwrap(),
            "--out",
            out.path().to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_ne!(r.status, 0);
    assert!(r.stderr.contains("theme/reference.docx"), "{}", r.stderr);
    assert!(
        r.stderr.contains("not a Word reference document"),
        "{}",
        r.stderr
    );
    assert!(
        snapshot(out.path()) == before,
        "the failed build changed the output"
    );
}

#[test]
fn build_docx_builds_the_word_file_alone() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("tests/fixtures/submission"), dir.path());
    let out = tempfile::tempdir().unwrap();
    let r = galley(
        &[
            "build",
            "--docx",
            "--root",
            dir.path().to_str().unwrap(),
            "--out",
            out.path().to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(r.status, 0, "{}", r.stderr);
    let names: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n != "manifest.json")
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(names[0].ends_with(".docx"));
}
