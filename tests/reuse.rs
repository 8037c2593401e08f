//! A rebuild takes the previous PDF and Word file as they are when
//! nothing they are made of changed, and its output is byte for byte a
//! clean build's after every kind of change: a section, the data, the
//! bibliography, the theme's PDF template, the style sheet, a build of
//! the site alone.

mod common;
use common::*;

use std::path::Path;

/// `galley build --timings` of `root` into `out`: what it printed.
fn build(root: &Path, out: &Path) -> String {
    build_into(root, out, &["--timings"])
}

/// Whether the build laid out the PDF and wrote the Word file (their
/// stages are in the timings).
fn made(said: &str) -> (bool, bool) {
    (
        said.contains("PDF: Typst layout"),
        said.contains("Word: write"),
    )
}

fn edit(root: &Path, file: &str, from: &str, to: &str) {
    let p = root.join(file);
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains(from), "{file} has no {from:?}");
    std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
}

/// The rebuild into `out` equals a clean build into a new folder.
fn same_as_clean(root: &Path, out: &Path, what: &str) {
    let clean = tempfile::tempdir().unwrap();
    build(root, clean.path());
    let (a, b) = (snapshot(out), snapshot(clean.path()));
    let names =
        |v: &[(std::path::PathBuf, Vec<u8>)]| v.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&a), names(&b), "after {what}: other files");
    for ((p, x), (_, y)) in a.iter().zip(&b) {
        assert!(
            x == y,
            "after {what}: {} differs from a clean build's",
            p.display()
        );
    }
}

#[test]
fn a_rebuild_reuses_what_did_not_change_and_equals_a_clean_build() {
    let project = paper_copy();
    let root = project.path();
    let out = tempfile::tempdir().unwrap();
    assert_eq!(made(&build(root, out.path())), (true, true));

    // Nothing changed: the PDF and the Word file are the previous ones.
    let said = build(root, out.path());
    assert_eq!(
        made(&said),
        (false, false),
        "a no-op build made them again:\n{said}"
    );
    same_as_clean(root, out.path(), "nothing");

    // The style sheet: the site only.
    std::fs::create_dir_all(root.join("theme/static")).unwrap();
    let css = std::fs::read_to_string(repo().join("src/load/theme/static/galley.css")).unwrap();
    std::fs::write(
        root.join("theme/static/galley.css"),
        css.replace("body {", "body { letter-spacing: 0.01em;"),
    )
    .unwrap();
    assert_eq!(made(&build(root, out.path())), (false, false));
    same_as_clean(root, out.path(), "a style sheet change");

    // The site alone, then everything: the PDF and the Word file the site
    // build kept are still taken as they are.
    edit(root, "theme/static/galley.css", "0.01em", "0.02em");
    let said = build_into(root, out.path(), &["--timings", "--html"]);
    assert_eq!(made(&said), (false, false), "--html:\n{said}");
    let said = build(root, out.path());
    assert_eq!(made(&said), (false, false), "after --html:\n{said}");
    same_as_clean(root, out.path(), "a site build");

    // Each of these reaches the PDF; all but the PDF's template the Word
    // file too.
    let typ = std::fs::read_to_string(repo().join("src/load/theme/typst/article.typ")).unwrap();
    std::fs::create_dir_all(root.join("theme/typst")).unwrap();
    for (what, word, change) in [
        (
            "a section",
            true,
            Box::new(|r: &Path| {
                edit(
                    r,
                    "manuscript/sections/05-conclusion.md",
                    "may be efficacious",
                    "may well be efficacious",
                )
            }) as Box<dyn Fn(&Path)>,
        ),
        (
            "the data",
            true,
            Box::new(|r: &Path| {
                edit(
                    r,
                    "manuscript/data/participants.yaml",
                    "max: 85.7",
                    "max: 85.8",
                )
            }),
        ),
        (
            "the bibliography",
            true,
            Box::new(|r: &Path| {
                edit(
                    r,
                    "bibliography/references.bib",
                    "Diagnostic and Treatment Challenges",
                    "Diagnosis and Treatment Challenges",
                )
            }),
        ),
        (
            "the PDF template",
            false,
            Box::new(move |r: &Path| {
                std::fs::write(
                    r.join("theme/typst/article.typ"),
                    typ.replace("[ABSTRACT]", "[SUMMARY OF THE ARTICLE]"),
                )
                .unwrap()
            }),
        ),
    ] {
        change(root);
        let said = build(root, out.path());
        assert_eq!(made(&said), (true, word), "{what}:\n{said}");
        same_as_clean(root, out.path(), what);
    }

    // An edited PDF in the output is not taken for the built one.
    let pdf = out.path().join("ketamine-ptsd-systematic-review.pdf");
    let mut bytes = std::fs::read(&pdf).unwrap();
    bytes.extend_from_slice(b"\n% edited\n");
    std::fs::write(&pdf, bytes).unwrap();
    assert_eq!(made(&build(root, out.path())), (true, false));
    same_as_clean(root, out.path(), "an edited PDF");
}
