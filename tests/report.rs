//! What `galley build` says: on a terminal, each output with its file,
//! size and what it holds, and the time taken; nothing when piped or with
//! `--quiet` (but errors and warnings).

mod common;
use common::*;

use std::path::Path;
use std::process::Command;

/// `galley build ARGS` on a pseudo-terminal (util-linux's `script`): what
/// it printed.
fn on_a_terminal(root: &Path, out: &Path, extra: &str) -> String {
    let cmd = format!(
        "{} build --root {} --out {} {extra}",
        galley_bin().display(),
        root.display(),
        out.display()
    );
    let r = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .expect("script (util-linux)");
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stdout));
    String::from_utf8_lossy(&r.stdout).replace('\r', "")
}

#[test]
fn a_build_says_what_it_wrote_on_a_terminal_only() {
    let root = repo().join("tests/fixtures/submission");
    let out = tempfile::tempdir().unwrap();
    let said = on_a_terminal(&root, out.path(), "");
    let slug = "bcg-vaccination-and-tuberculosis-trials-reported";
    assert!(
        said.contains(&format!("built {} in ", out.path().display())),
        "{said}"
    );
    let line = |name: &str| {
        said.lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("no {name} line in\n{said}"))
            .to_string()
    };
    assert!(line("site").contains("index.html + "), "{said}");
    let pdf = line("PDF");
    assert!(
        pdf.contains(&format!("{slug}.pdf")) && pdf.contains(" page"),
        "{pdf}"
    );
    assert!(pdf.contains(" KB"), "{pdf}");
    assert!(line("JATS").contains("2 references"), "{said}");
    assert!(
        line("Word").contains(&format!("{slug}.docx")) && line("Word").contains("2 footnotes"),
        "{said}"
    );
    // The sizes are the files'.
    let docx = std::fs::metadata(out.path().join(format!("{slug}.docx")))
        .unwrap()
        .len();
    assert!(
        line("Word").contains(&format!("{} KB", (docx as f64 / 1024.0).round())),
        "{said} ({docx} bytes)"
    );

    // --quiet: nothing on a terminal either.
    let quiet = on_a_terminal(&root, out.path(), "--quiet");
    assert!(quiet.trim().is_empty(), "{quiet}");
    // Piped: nothing either.
    let r = galley(
        &[
            "build",
            "--root",
            root.to_str().unwrap(),
            "--out",
            out.path().to_str().unwrap(),
        ],
        &root,
    );
    assert_eq!(r.status, 0);
    assert!(
        r.stderr.trim().is_empty() && r.stdout.trim().is_empty(),
        "{}{}",
        r.stdout,
        r.stderr
    );
    // One output alone reports only itself.
    let pdf_only = on_a_terminal(&root, out.path(), "--pdf");
    assert!(
        pdf_only.contains(".pdf") && !pdf_only.contains(".docx"),
        "{pdf_only}"
    );
}
