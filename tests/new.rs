//! `galley new`: a fresh project that builds and checks clean.

mod common;
use common::*;

#[test]
fn a_new_project_checks_clean_and_builds() {
    let dir = tempfile::tempdir().unwrap();
    let r = galley(&["new", "paper"], dir.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    let root = dir.path().join("paper");
    assert!(
        !root.join("theme").exists(),
        "the theme stays inside galley"
    );
    let check = galley(&["check", "--deny-warnings"], &root);
    assert_eq!(check.status, 0, "{}", check.stderr);
    let build = galley(&["build"], &root);
    assert_eq!(build.status, 0, "{}", build.stderr);
    let html = std::fs::read_to_string(root.join("public/index.html")).unwrap();
    let text = text_of(&without_tips(&html));
    assert!(
        text.contains("Three trials enrolled\n132 participants"),
        "{text}"
    );
    assert!(html.contains("<a class=\"xref\" href=\"#tbl-trials\">Table 1</a>"));
    assert!(html.contains("href=\"#ref-knuth1984\""));
    assert!(root.join("public/a-reproducible-manuscript.pdf").exists());
}

#[test]
fn new_refuses_a_non_empty_folder_and_copies_the_theme_on_request() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep.txt"), "mine").unwrap();
    let r = galley(&["new", "."], dir.path());
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert!(r.stderr.contains("is not empty"), "{}", r.stderr);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    let r = galley(&["new", "--theme", "themed"], dir.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    let root = dir.path().join("themed");
    for f in [
        "theme/templates/article.html",
        "theme/static/galley.css",
        "theme/typst/article.typ",
    ] {
        assert!(root.join(f).is_file(), "{f}");
    }
    let build = galley(&["build"], &root);
    assert_eq!(build.status, 0, "{}", build.stderr);
}
