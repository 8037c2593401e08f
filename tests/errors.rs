//! Bad inputs: a located message, exit status 1, and the previous output
//! left byte for byte as it was.

mod common;
use common::*;

fn good() -> tempfile::TempDir {
    one_table_project()
}

/// Build a good project, break it with `edit`, build again: the second build
/// must fail with `expect` in its message and leave public/ untouched.
fn assert_fails(files: &[(&str, &str)], expect: &[&str]) -> String {
    let dir = good();
    let first = galley(&["build"], dir.path());
    assert_eq!(first.status, 0, "{}", first.stderr);
    let before = snapshot(&dir.path().join("public"));
    write_files(dir.path(), files);
    let r = galley(&["build"], dir.path());
    assert_eq!(
        r.status, 1,
        "expected failure, got {}: {}",
        r.status, r.stderr
    );
    for e in expect {
        assert!(r.stderr.contains(e), "missing `{e}` in:\n{}", r.stderr);
    }
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert_eq!(
        snapshot(&dir.path().join("public")),
        before,
        "public/ changed"
    );
    snapshot_stderr(&r.stderr, dir.path());
    r.stderr
}

#[test]
fn unknown_citation_key_is_located_with_a_suggestion() {
    let err = assert_fails(
        &[(
            "manuscript/sections/a.md",
            "# A\n\nfine\n\nText [@smith2021] here.\n",
        )],
        &[
            "error: manuscript/sections/a.md:5:8: unknown citation key `smith2021`",
            "did you mean `smith2020`?",
        ],
    );
    assert!(
        err.contains("Text [@smith2021] here."),
        "offending line quoted: {err}"
    );
}

#[test]
fn unknown_cross_reference() {
    assert_fails(
        &[("manuscript/sections/a.md", "# A\n\nSee @tbl-y.\n")],
        &["manuscript/sections/a.md:3:5: unknown cross-reference `@tbl-y`"],
    );
}

#[test]
fn unknown_table_id() {
    assert_fails(
        &[(
            "manuscript/sections/a.md",
            "# A\n\n{{ table(id=\"tbl-nope\") }}\n",
        )],
        &["manuscript/sections/a.md:3:", "unknown table `tbl-nope`"],
    );
}

#[test]
fn missing_data_field() {
    assert_fails(
        &[(
            "manuscript/sections/a.md",
            "# A\n\nline\n\nWe had {{ data.d.missing.field }} here.\n",
        )],
        &["manuscript/sections/a.md:5:11:", "data.d.missing.field"],
    );
}

#[test]
fn template_syntax_error() {
    assert_fails(
        &[("manuscript/sections/a.md", "# A\n\nok\n{{ data.d | }}\n")],
        &["manuscript/sections/a.md:4:", "template syntax error"],
    );
}

#[test]
fn unknown_filter() {
    assert_fails(
        &[(
            "manuscript/sections/a.md",
            "# A\n\n{{ data.d | nosuchfilter }}\n",
        )],
        &["manuscript/sections/a.md:3:", "nosuchfilter"],
    );
}

#[test]
fn malformed_yaml_duplicate_key_and_tabs() {
    assert_fails(
        &[(
            "manuscript/manuscript.yaml",
            "title: A\ntitle: B\nauthors: []\nsections: []\n",
        )],
        &["manuscript/manuscript.yaml:2:", "duplicate"],
    );
    assert_fails(
        &[("manuscript/data/t.yaml", "a:\n\tb: 1\n")],
        &["manuscript/data/t.yaml:2:1:", "tabs"],
    );
}

#[test]
fn unknown_manifest_key() {
    assert_fails(
        &[(
            "manuscript/manuscript.yaml",
            &manifest("colour: blue\n", &["sections/a.md"]),
        )],
        &["manuscript/manuscript.yaml:", "unknown field `colour`"],
    );
}

#[test]
fn ragged_csv_row() {
    assert_fails(
        &[("manuscript/data/d.csv", "a,b\n1,2\n3\n")],
        &[
            "manuscript/data/d.csv:3:1:",
            "1 fields but the header has 2",
        ],
    );
}

#[test]
fn table_source_not_a_list() {
    assert_fails(
        &[("manuscript/tables/x.yaml", "id: tbl-x\ncaption: X.\nsource: data.d.0\ncolumns:\n  - header: A\n    cell: \"{{ row.a }}\"\n")],
        &["manuscript/tables/x.yaml:3:1:", "not a list of rows"],
    );
}

#[test]
fn bibtex_missing_brace_and_duplicate_key() {
    assert_fails(
        &[(
            "bibliography/refs.bib",
            "@article{smith2020,\n  title = {A,\n  date = {2020},\n",
        )],
        &["bibliography/refs.bib:", "invalid BibTeX"],
    );
    assert_fails(
        &[(
            "bibliography/zz.bib",
            "@article{smith2020,\n  author = {X, Y},\n  title = {Z},\n  date = {2021},\n}\n",
        )],
        &[
            "bibliography/zz.bib:1:10:",
            "duplicate bibliography key `smith2020`",
        ],
    );
}

#[test]
fn a_file_galley_cannot_read_is_an_error_never_skipped() {
    assert_fails(
        &[("bibliography/library.ris", "TY  - JOUR\nER  -\n")],
        &["bibliography/library.ris: galley cannot read this file as a bibliography"],
    );
    assert_fails(
        &[("manuscript/data/trials.xlsx", "PK")],
        &[
            "manuscript/data/trials.xlsx: galley cannot read this file as data",
            "save a spreadsheet as CSV",
        ],
    );
    // Hidden files (an editor's or the Finder's) are not the author's.
    let dir = good();
    write_files(dir.path(), &[("bibliography/.DS_Store", "x")]);
    assert_eq!(galley(&["build"], dir.path()).status, 0);
}

#[test]
fn a_csl_item_galley_cannot_read_is_an_error_at_the_item() {
    assert_fails(
        &[(
            "bibliography/more.json",
            "[\n  {\"id\": \"x1\", \"type\": \"book\", \"title\": \"Fine\"},\n  {\"type\": \"book\"}\n]\n",
        )],
        &["bibliography/more.json", "cannot read CSL item 2: a CSL item needs an `id`"],
    );
    assert_fails(
        &[("bibliography/more.json", "[{\"id\": \"x1\",}]\n")],
        &["bibliography/more.json:1:14:", "invalid JSON"],
    );
    assert_fails(
        &[("bibliography/more.json", "{\"id\": \"x1\"}\n")],
        &[
            "bibliography/more.json:1:1:",
            "a CSL-JSON bibliography is a list of items",
        ],
    );
}

#[test]
fn non_utf8_bytes() {
    let dir = good();
    assert_eq!(galley(&["build"], dir.path()).status, 0);
    let before = snapshot(&dir.path().join("public"));
    std::fs::write(
        dir.path().join("manuscript/sections/a.md"),
        b"# A\n\nbad \xff byte\n",
    )
    .unwrap();
    let r = galley(&["build"], dir.path());
    assert_eq!(r.status, 1);
    assert!(
        r.stderr
            .contains("manuscript/sections/a.md:3:5: file is not valid UTF-8"),
        "{}",
        r.stderr
    );
    assert_eq!(snapshot(&dir.path().join("public")), before);
}

#[test]
fn bom_and_crlf_just_work() {
    let dir = good();
    write_files(dir.path(), &[("manuscript/sections/a.md", "\u{feff}# A {#sec-a}\r\n\r\nText [@smith2020], @tbl-x.\r\n\r\n{{ table(id=\"tbl-x\") }}\r\n")]);
    let r = galley(&["build"], dir.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
}

#[test]
fn unclosed_code_fence() {
    assert_fails(
        &[("manuscript/sections/a.md", "# A\n\n```\ncode\n")],
        &["manuscript/sections/a.md:3:1:", "never closed"],
    );
}

#[test]
fn paths_outside_the_project_are_refused() {
    assert_fails(
        &[(
            "manuscript/manuscript.yaml",
            &manifest("", &["../../etc/passwd"]),
        )],
        &["manuscript/manuscript.yaml:", "points outside the project"],
    );
    assert_fails(
        &[(
            "manuscript/sections/a.md",
            "# A\n\n![x](../../etc/passwd)\n",
        )],
        &["manuscript/sections/a.md:3:", "outside the project"],
    );
}

#[test]
fn output_folder_holding_git_or_the_project_is_refused() {
    let dir = good();
    std::fs::create_dir_all(dir.path().join("site/.git")).unwrap();
    let r = galley(&["build", "--out", "site"], dir.path());
    assert_eq!(r.status, 1);
    assert!(r.stderr.contains(".git"), "{}", r.stderr);
    assert!(dir.path().join("site/.git").exists());
    let r = galley(&["build", "--out", "."], dir.path());
    assert_eq!(r.status, 1);
    assert!(dir.path().join("manuscript/manuscript.yaml").exists());
}

#[test]
fn csl_that_does_not_parse() {
    assert_fails(
        &[
            ("manuscript/manuscript.yaml", &manifest("csl: theme/bad.csl\n", &["sections/a.md"])),
            ("theme/bad.csl", "<style xmlns=\"http://purl.org/net/xbiblio/csl\" class=\"in-text\">\n<info><title>x</title></info>\n"),
        ],
        &["theme/bad.csl:2:1: invalid CSL style"],
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = good();
    assert_eq!(galley(&["build", "--no-such-flag"], dir.path()).status, 2);
    let empty = tempfile::tempdir().unwrap();
    assert_eq!(galley(&["build"], empty.path()).status, 2);
}

#[test]
fn typst_error_in_a_custom_template_points_at_the_template() {
    let broken = include_str!("../src/load/theme/typst/article.typ").replace(
        "#let sep = text(fill: accent)[ | ]",
        "#let sep = text(fill: accent)[ | ]\n#let oops = undefined-thing(1)",
    );
    let line = broken
        .lines()
        .position(|l| l.contains("undefined-thing"))
        .unwrap()
        + 1;
    assert_fails(
        &[("theme/typst/article.typ", &broken)],
        &[
            &format!("theme/typst/article.typ:{line}:"),
            "Typst: unknown variable: undefined-thing",
        ],
    );
}

#[test]
fn math_that_cannot_be_converted_is_an_error_at_its_line() {
    assert_fails(
        &[(
            "manuscript/sections/a.md",
            "# A\n\nfine\n\nThen $\\foo{x} = 1$ here.\n",
        )],
        &["manuscript/sections/a.md:5:7:", "cannot convert math"],
    );
}

#[test]
fn empty_section_file() {
    assert_fails(
        &[("manuscript/sections/a.md", "")],
        &["manuscript/sections/a.md:1:1: section file is empty"],
    );
}

#[test]
fn unknown_key_in_a_table_spec() {
    assert_fails(
        &[("manuscript/tables/x.yaml", "id: tbl-x\ncaption: X.\nsource: data.d\ncolums:\n  - header: A\n    cell: \"{{ row.a }}\"\n")],
        &["manuscript/tables/x.yaml:4:1:", "unknown field `colums`"],
    );
}

#[test]
fn image_that_does_not_exist() {
    assert_fails(
        &[(
            "manuscript/sections/a.md",
            "# A\n\n![A chart](figures/chart.png)\n",
        )],
        &[
            "manuscript/sections/a.md:3:",
            "image `figures/chart.png` does not exist",
        ],
    );
}

#[cfg(unix)]
#[test]
fn data_file_linking_outside_the_project_is_refused() {
    let dir = good();
    assert_eq!(galley(&["build"], dir.path()).status, 0);
    let before = snapshot(&dir.path().join("public"));
    std::os::unix::fs::symlink("/etc/passwd", dir.path().join("manuscript/data/passwd.csv"))
        .unwrap();
    let r = galley(&["build"], dir.path());
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("resolves outside the project"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("root:"),
        "file content leaked: {}",
        r.stderr
    );
    assert_eq!(snapshot(&dir.path().join("public")), before);
}

#[test]
fn a_killed_build_leaves_the_previous_output() {
    let dir = good();
    assert_eq!(galley(&["build"], dir.path()).status, 0);
    let before = snapshot(&dir.path().join("public"));
    for delay_ms in [5u64, 20, 60, 150, 300] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_galley"))
            .arg("build")
            .current_dir(dir.path())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        // Same inputs: whatever moment it died at, public/ is the old output
        // or the complete new one, which is byte-identical to it.
        assert_eq!(
            snapshot(&dir.path().join("public")),
            before,
            "killed after {delay_ms} ms"
        );
    }
    // A later build cleans up what the killed ones left beside public/.
    assert_eq!(galley(&["build"], dir.path()).status, 0);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("galley-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn output_folder_holding_sources_is_refused_even_with_force() {
    let dir = good();
    for out in ["manuscript", "manuscript/sections", "bibliography"] {
        let r = galley(&["build", "--force", "--out", out], dir.path());
        assert_eq!(r.status, 1, "{out}: {}", r.stderr);
        assert!(
            r.stderr.contains("holds the project's source"),
            "{}",
            r.stderr
        );
    }
    assert!(dir.path().join("manuscript/sections/a.md").exists());
    assert!(dir.path().join("bibliography/refs.bib").exists());
}

#[test]
fn figure_ids_and_image_paths_cannot_leave_the_site() {
    assert_fails(
        &[(
            "manuscript/sections/a.md",
            "# A\n\n{{ figure(id=\"fig-x/../../../p\", kind=\"prisma\") }}\n",
        )],
        &[
            "manuscript/sections/a.md:3:",
            "must start with `fig-` and use only letters",
        ],
    );
    std::fs::write(std::env::temp_dir().join("galley-outside.png"), b"x").ok();
    assert_fails(
        &[(
            "manuscript/sections/a.md",
            "# A\n\n![x](../bibliography/refs.bib)\n",
        )],
        &[
            "manuscript/sections/a.md:3:",
            "outside the project folder manuscript/",
        ],
    );
}

#[test]
fn undefined_footnote() {
    assert_fails(
        &[("manuscript/sections/a.md", "# A\n\nText[^missing].\n")],
        &[
            "manuscript/sections/a.md:3:5:",
            "footnote `[^missing]` is never defined",
        ],
    );
}

#[test]
fn yaml_with_bad_indentation() {
    assert_fails(
        &[("manuscript/data/t.yaml", "a:\n  b: 1\n c: 2\n")],
        &["manuscript/data/t.yaml:3:", "invalid YAML"],
    );
}

#[test]
fn duplicate_ids() {
    assert_fails(
        &[(
            "manuscript/sections/a.md",
            "# A {#sec-a}\n\nText.\n\n## B {#sec-a}\n\nMore.\n",
        )],
        &[
            "manuscript/sections/a.md:5:",
            "duplicate id `sec-a`",
            "first used at manuscript/sections/a.md:1",
        ],
    );
}

#[test]
fn a_list_used_as_a_number() {
    assert_fails(
        &[(
            "manuscript/sections/a.md",
            "# A\n\nline\n\nRounded: {{ data.d | round_to(n=1) }}.\n",
        )],
        &[
            "manuscript/sections/a.md:5:",
            "round_to",
            "expects a number, got a list",
        ],
    );
}

#[test]
fn missing_section_file() {
    assert_fails(
        &[(
            "manuscript/manuscript.yaml",
            &manifest("", &["sections/a.md", "sections/missing.md"]),
        )],
        &[
            "manuscript/manuscript.yaml:",
            "sections/missing.md",
            "no such file",
        ],
    );
}

#[test]
fn bibtex_missing_brace_points_at_the_entry() {
    let err = assert_fails(
        &[(
            "bibliography/refs.bib",
            "@article{smith2020,\n  author = {Smith, John},\n  title = {A,\n  date = {2020},\n}\n",
        )],
        &["error: bibliography/refs.bib:", "invalid BibTeX"],
    );
    assert!(err.contains("│"), "offending line quoted: {err}");
}

#[test]
fn malformed_json_data() {
    assert_fails(
        &[(
            "manuscript/data/j.json",
            "{\n  \"name\": \"Danböck\",\n  \"n\": ,\n}\n",
        )],
        &["manuscript/data/j.json:3:8:", "invalid JSON"],
    );
}
