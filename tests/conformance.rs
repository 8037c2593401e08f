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
