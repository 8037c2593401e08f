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
fn the_meta_analysis_template_pools_its_trials_and_draws_them() {
    let dir = tempfile::tempdir().unwrap();
    let r = galley(
        &["new", "--template", "meta-analysis", "review"],
        dir.path(),
    );
    assert_eq!(r.status, 0, "{}", r.stderr);
    let root = dir.path().join("review");
    assert!(root.join("manuscript/analyses/bcg.yaml").is_file());
    let check = galley(&["check", "--deny-warnings"], &root);
    assert_eq!(check.status, 0, "{}", check.stderr);
    let build = galley(&["build"], &root);
    assert_eq!(build.status, 0, "{}", build.stderr);
    let html = std::fs::read_to_string(root.join("public/index.html")).unwrap();
    // metafor: rma(measure="RR", ...) on dat.bcg, REML.
    let text = text_of(&without_tips(&html));
    assert!(text.contains("Thirteen trials were pooled"), "{text}");
    assert!(text.contains("ratio 0.49 (95% CI\n0.34 to 0.70"), "{text}");
    assert!(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"forest\""));
    assert!(html.contains("<a class=\"xref\" href=\"#fig-forest\">Figure 1</a>"));
    let pdfs = std::fs::read_dir(root.join("public"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "pdf"))
        .count();
    assert_eq!(pdfs, 1);
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

#[test]
fn a_quarto_project_folder_is_imported() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("quarto");
    write_files(
        &src,
        &[
            (
                "_quarto.yml",
                "project:\n  type: manuscript\nmanuscript:\n  article: paper.qmd\nlang: en-GB\nformat:\n  html: default\n",
            ),
            (
                "paper.qmd",
                "---\ntitle: \"Ketamine and PTSD\"\nauthor:\n  - name:\n      given: Liyang\n      family: Yin\n    orcid: 0000-0001-2345-6789\n    attributes:\n      corresponding: true\n    email: ly@example.org\n    affiliations:\n      - id: uhn\n        name: University Health Network\n        city: Toronto\n  - name: Roger S. McIntyre\n    affiliations:\n      - ref: uhn\nabstract: |\n  A review of *seven* trials.\nkeywords: [ketamine, PTSD]\ndate: 2025-11-14\njupyter: python3\nplain-language-summary: x\nreferences:\n  - id: feder2014\n    type: article-journal\n    title: Efficacy of intravenous ketamine\n    author: [{family: Feder, given: A.}]\n    issued: {date-parts: [[2014]]}\n    container-title: JAMA Psychiatry\n---\n\n## Introduction\n\nSee @fig-map and [@feder2014; @nobody].\n\n![The map](images/map.png){#fig-map}\n",
            ),
        ],
    );
    // A 2×2 PNG.
    const PNG: &[u8] = &[
        137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 2, 0, 0, 0, 2, 8, 2,
        0, 0, 0, 253, 212, 154, 115, 0, 0, 0, 17, 73, 68, 65, 84, 120, 156, 99, 248, 207, 192, 0,
        68, 12, 96, 242, 63, 0, 27, 242, 3, 253, 243, 231, 75, 177, 0, 0, 0, 0, 73, 69, 78, 68,
        174, 66, 96, 130,
    ];
    std::fs::create_dir_all(src.join("images")).unwrap();
    std::fs::write(src.join("images/map.png"), PNG).unwrap();
    let out = dir.path().join("imported");
    let r = galley(
        &[
            "new",
            "--from",
            src.to_str().unwrap(),
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("not carried over from the front matter: plain-language-summary"),
        "{}",
        r.stderr
    );
    let yaml = std::fs::read_to_string(out.join("manuscript/manuscript.yaml")).unwrap();
    for want in [
        "title: Ketamine and PTSD",
        "  - name: Liyang Yin\n    given: Liyang\n    family: Yin\n    orcid: 0000-0001-2345-6789\n    email: ly@example.org\n    affiliations: [uhn]\n    corresponding: true",
        "  - name: Roger S. McIntyre\n    affiliations: [uhn]",
        "  uhn: University Health Network, Toronto",
        "keywords: [ketamine, PTSD]",
        "dates:\n  published: 2025-11-14",
        "lang: en-GB",
        "sections:\n  - sections/paper.md",
    ] {
        assert!(yaml.contains(want), "missing {want:?} in\n{yaml}");
    }
    let body = std::fs::read_to_string(out.join("manuscript/sections/paper.md")).unwrap();
    assert!(body.starts_with("## Introduction"), "the body is unchanged");
    assert!(out.join("bibliography/front-matter.yaml").is_file());
    assert_eq!(
        std::fs::read(out.join("manuscript/images/map.png")).unwrap(),
        PNG
    );
    let build = galley(&["build"], &out);
    assert_eq!(build.status, 0, "{}", build.stderr);
    let html = std::fs::read_to_string(out.join("public/index.html")).unwrap();
    assert!(
        html.contains("<a class=\"xref\" href=\"#fig-map\">Figure 1</a>"),
        "{html}"
    );
    // Pandoc's way with an unknown key: a warning, the key marked.
    assert!(html.contains("<strong>nobody?</strong>"), "{html}");
    assert!(html.contains("href=\"#ref-feder2014\""), "{html}");
    assert!(
        build
            .stderr
            .contains("warning: manuscript/sections/paper.md:3:"),
        "{}",
        build.stderr
    );
    assert!(build.stderr.contains("unknown citation key `nobody`"));
    // Written from `##`, the document's first heading is level 1.
    assert!(
        html.contains("<h2 id=\"sec-introduction\"><span class=\"secnum\">1</span>"),
        "{html}"
    );
}
