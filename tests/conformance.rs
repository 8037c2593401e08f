//! The conformance corpus (`../shared/conformance/`, real manuscripts
//! nobody here wrote): each Quarto document is imported with `galley new
//! --from` and built (site and PDF), and its page shows none of Pandoc's
//! syntax as text.

mod common;
use common::*;

use std::path::{Path, PathBuf};

/// Documents that do not build yet, each with why. The test fails if one
/// of them starts to build (take it out) or if any other fails.
const KNOWN_FAILURES: &[(&str, &str)] = &[];

fn corpus() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance");
    assert!(
        dir.join("README.md").is_file(),
        "the conformance corpus is not at {} (it lives beside the repository, in ../shared/conformance)",
        dir.display()
    );
    dir
}

/// The corpus's Quarto documents: (folder name, document).
fn quarto_documents() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(corpus()).unwrap().flatten() {
        let dir = e.path();
        if !dir.is_dir() {
            continue;
        }
        let mut qmd: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "qmd"))
            .collect();
        qmd.sort();
        if let Some(doc) = qmd.into_iter().next() {
            out.push((e.file_name().to_string_lossy().into_owned(), doc));
        }
    }
    out.sort();
    out
}

/// Pandoc syntax shown as text in a page: what is left of it outside code.
fn leaks(html: &str) -> Vec<String> {
    let strip = |s: &str, open: &str, close: &str| {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find(open) {
            out.push_str(&rest[..i]);
            match rest[i..].find(close) {
                Some(j) => rest = &rest[i + j + close.len()..],
                None => rest = "",
            }
        }
        out.push_str(rest);
        out
    };
    let body = between(html, "<main", "</main>").unwrap_or(html);
    let mut text = strip(body, "<pre", "</pre>");
    text = strip(&text, "<code", "</code>");
    text = strip(&text, "<script", "</script>");
    let mut found = Vec::new();
    for pat in ["[@", "{#", ":::", "{{<", "{=", "{{"] {
        if let Some(i) = text.find(pat) {
            let from = text[..i].char_indices().rev().nth(40).map_or(0, |(k, _)| k);
            let to = text[i..]
                .char_indices()
                .nth(40)
                .map_or(text.len(), |(k, _)| i + k);
            found.push(format!("`{pat}` in …{}…", &text[from..to]));
        }
    }
    found
}

#[test]
fn every_quarto_document_of_the_corpus_imports_and_builds() {
    let docs = quarto_documents();
    assert!(docs.len() >= 13, "{} Quarto documents", docs.len());
    let tmp = tempfile::tempdir().unwrap();
    let mut problems = Vec::new();
    let mut built = 0;
    for (name, doc) in &docs {
        let dir = tmp.path().join(name);
        let new = galley(
            &[
                "new",
                "--from",
                doc.to_str().unwrap(),
                dir.to_str().unwrap(),
            ],
            tmp.path(),
        );
        let known = KNOWN_FAILURES.iter().find(|(n, _)| n == name);
        if new.status != 0 {
            problems.push(format!("{name}: import failed: {}", new.stderr));
            continue;
        }
        let r = galley(&["build"], &dir);
        match (r.status, known) {
            (0, Some(_)) => {
                problems.push(format!("{name} builds now: take it out of KNOWN_FAILURES"))
            }
            (0, None) => {
                built += 1;
                let html = std::fs::read_to_string(dir.join("public/index.html")).unwrap();
                let pdfs = std::fs::read_dir(dir.join("public"))
                    .unwrap()
                    .flatten()
                    .filter(|e| e.path().extension().is_some_and(|x| x == "pdf"))
                    .count();
                if pdfs != 1 {
                    problems.push(format!("{name}: {pdfs} PDFs in public/"));
                }
                // A Word file with every formula and image in it.
                if !dir
                    .join("public")
                    .read_dir()
                    .unwrap()
                    .flatten()
                    .any(|e| e.path().extension().is_some_and(|x| x == "docx"))
                {
                    problems.push(format!("{name}: no Word file in public/"));
                }
                if let Some(l) = r.stderr.lines().find(|l| l.contains("the Word file")) {
                    problems.push(format!("{name}: {l}"));
                }
                for l in leaks(&html) {
                    problems.push(format!("{name}: {l}"));
                }
                assert!(!r.stderr.contains("panicked"), "{name}: {}", r.stderr);
            }
            (_, Some(_)) => {}
            (s, None) => problems.push(format!("{name}: exit {s}\n{}", r.stderr)),
        }
    }
    eprintln!(
        "conformance: {built} of {} Quarto documents import and build",
        docs.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// Rootstock's authors, as its metadata.yaml writes them.
const MANUBOT_MANIFEST: &str = r#"title: "Manuscript Title"
keywords: [markdown, publishing, manubot]
lang: en-US
templates: manubot
allow_html: true
missing_citations: warn
dates:
  published: "2026-12-01"
authors:
  - github: johndoe
    name: John Doe
    initials: JD
    orcid: XXXX-XXXX-XXXX-XXXX
    twitter: johndoe
    mastodon: johndoe
    mastodon-server: genomic.social
    email: john.doe@something.com
    affiliations:
      - Department of Something, University of Whatever
    funders:
      - Grant XXXXXXXX
  - github: janeroe
    name: Jane Roe
    initials: JR
    orcid: XXXX-XXXX-XXXX-XXXX
    email: jane.roe@whatever.edu
    affiliations:
      - Department of Something, University of Whatever
      - Department of Whatever, University of Something
    corresponding: true
"#;

#[test]
fn the_manubot_content_files_build_unchanged() {
    let from = corpus().join("manubot");
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let mut sections: Vec<String> = std::fs::read_dir(&from)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md"))
        .collect();
    sections.sort();
    assert_eq!(sections.len(), 4, "{sections:?}");
    std::fs::create_dir_all(root.join("manuscript/sections")).unwrap();
    std::fs::create_dir_all(root.join("manuscript/images")).unwrap();
    std::fs::create_dir_all(root.join("bibliography")).unwrap();
    for s in &sections {
        std::fs::copy(from.join(s), root.join("manuscript/sections").join(s)).unwrap();
    }
    std::fs::copy(
        from.join("manual-references.json"),
        root.join("bibliography/manual-references.json"),
    )
    .unwrap();
    // Rootstock keeps its icons in content/images, which the corpus does
    // not hold: stand-ins of the same names.
    for icon in ["orcid", "github", "twitter", "mastodon"] {
        std::fs::write(
            root.join(format!("manuscript/images/{icon}.svg")),
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\" width=\"16\" height=\"16\"><circle cx=\"8\" cy=\"8\" r=\"7\"/></svg>\n",
        )
        .unwrap();
    }
    let list: String = sections
        .iter()
        .map(|s| format!("  - sections/{s}\n"))
        .collect();
    std::fs::write(
        root.join("manuscript/manuscript.yaml"),
        format!("{MANUBOT_MANIFEST}sections:\n{list}"),
    )
    .unwrap();

    let r = galley(&["build"], root);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    let html = std::fs::read_to_string(root.join("public/index.html")).unwrap();
    let leaked = leaks(&html);
    assert!(leaked.is_empty(), "{}", leaked.join("\n"));
    assert!(root.join("public/manuscript-title.pdf").is_file());
    let main = between(&html, "<main", "</main>").unwrap();
    // The front matter's Jinja2, with Manubot's variables.
    for want in [
        "was automatically generated\non December 1, 2026.",
        "<strong>John Doe</strong>",
        "<a href=\"https://github.com/janeroe\">janeroe</a>",
        "<a href=\"https://orcid.org/XXXX-XXXX-XXXX-XXXX\">",
        "@johndoe@genomic.social",
        "Funded by Grant XXXXXXXX",
        "Department of Something, University of Whatever; Department of Whatever, University of Something",
        "Jane Roe &lt;jane.roe@whatever.edu&gt;.",
        // pandoc-xnos references: the number after the name.
        "Figure <a class=\"xref\" href=\"#fig:square-image\">1</a>",
        "Table <a class=\"xref\" href=\"#tbl:bowling-scores\">1</a>",
        "Equation <a class=\"xref\" href=\"#eq:long-equation\">2</a>",
        // A citation alias, resolved (offline, its key is unknown).
        "Citation by alias <span class=\"citation-missing\">(<strong>doi:10.1098/rsif.2017.0387?</strong>)",
        // Every table caption, the merged-cells one (unnumbered) too.
        "A table with merged cells using the <code>attributes</code> plugin.",
        // Letters under numbers, roman under letters.
        "<ol type=\"a\">",
        "<ol type=\"i\">",
        // Images on other hosts are links.
        "<a href=\"https://raw.githubusercontent.com/manubot/resources/main/test/vector.svg?sanitize=true\">Image at raw.githubusercontent.com</a>",
    ] {
        assert!(main.contains(want), "missing {want:?}");
    }
    assert!(!main.contains("&lt;br&gt;"), "raw HTML shown as text");
    assert!(
        r.stderr.contains("table id `tbl:` has no name"),
        "{}",
        r.stderr
    );
}
