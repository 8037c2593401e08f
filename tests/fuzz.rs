//! Property test over the front end (Tera data references, Markdown,
//! citations, cross-references, placements, math): any section text gives a
//! document or located diagnostics, never a panic.
//!
//! A normal test run tries a few hundred inputs. For a long run:
//!     GALLEY_FUZZ_SECS=1800 cargo test --release --test fuzz -- --nocapture

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use galley::diag::SourceMap;
use galley::document::assemble;
use galley::project::{Meta, Project, TextFile};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const BIB: &str = "@article{smith2020,\n  author = {Smith, John},\n  title = {A Study},\n  journaltitle = {J},\n  date = {2020},\n}\n@book{doe2019,\n  author = {Doe, Jane and Roe, R. and Poe, P. and others},\n  title = {B},\n  date = {2019},\n}\n";

const TABLE: &str = "id: tbl-a\ncaption: A [@smith2020].\nsource: data.rows\ngroup: \"{{ row.g }}\"\ncolumns:\n  - header: X\n    cell: \"{{ row.x }} $x^2$\"\n";

fn fragment() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "[@smith2020]",
        "[@smith2020; @doe2019, p. 33]",
        "@smith2020",
        "[-@doe2019]",
        "@nokey",
        "[@",
        "@",
        "\\@",
        "a@b.org",
        "@tbl-a",
        "@fig-p",
        "@sec-x",
        "@sec-",
        "[see @smith2020]",
        "[@smith2020](http://x)",
        "{{ data.rows | length | words }}",
        "{{ data.rows | map(attribute=\"x\") | sum }}",
        "{{ data.missing.x }}",
        "{{ data.rows | range }}",
        "{{",
        "}}",
        "{%",
        "%}",
        "{% if true %}y{% endif %}",
        "{#",
        "#}",
        "{{ table(id=\"tbl-a\") }}",
        "{{ table(id=\"tbl-zz\") }}",
        "{{ figure(id=\"fig-p\", kind=\"prisma\", data=\"prisma\", caption=\"P.\") }}",
        "{{ figure(id=\"x\") }}",
        "$x_{1}$",
        "$$y$$ {#eq-y}",
        "@eq-y",
        "{#eq-",
        "$$\\frac{a}{b}$$",
        "$\\geq 25\\%$",
        "$\\nope$",
        "$",
        "$$",
        "`code @x`",
        "```\ncode\n```",
        "```",
        "# H {#sec-x}",
        "\n## Sub {.unnumbered}\n",
        "\n- item\n- item2\n",
        "\n1. one\n2. two\n",
        "\n> quote\n",
        "| a | b |\n|---|---|\n| 1 | 2 |\n",
        "[^n]",
        "\n[^n]: note\n",
        "![alt](figures/none.png)",
        "<b>x</b>",
        "<!--galley:table tbl-a-->",
        "<!--galley:figure {}-->",
        "*",
        "_",
        "**b**",
        "\n\n",
        "\r\n",
        "\u{feff}",
        "Danböck ≥ μ → –",
        "\t",
        "\\",
        "<",
        "&amp;",
    ])
    .prop_map(str::to_string);
    prop_oneof![4 => pieces, 1 => "\\PC{0,12}"]
}

fn project(section: String) -> Project {
    let meta: Meta = serde_yaml::from_str(
        "title: T\nauthors:\n  - name: A B\nsections: [sections/a.md]\ncsl: ieee\n",
    )
    .unwrap();
    let mut data = std::collections::BTreeMap::new();
    data.insert(
        "rows".to_string(),
        serde_json::json!([{"x": 1, "g": "a"}, {"x": 2.5, "g": "b"}]),
    );
    data.insert(
        "prisma".to_string(),
        serde_json::json!({"identified": 10, "duplicates": 2, "screened": 8, "full_text": 4, "excluded_full_text": [{"reason": "r", "count": 1}], "included": 3}),
    );
    let mut sources = SourceMap::default();
    let sec = TextFile {
        path: PathBuf::from("manuscript/sections/a.md"),
        text: section,
    };
    let bib = TextFile {
        path: PathBuf::from("bibliography/r.bib"),
        text: BIB.to_string(),
    };
    let tbl = TextFile {
        path: PathBuf::from("manuscript/tables/a.yaml"),
        text: TABLE.to_string(),
    };
    for f in [&sec, &bib, &tbl] {
        sources.insert(&f.path, f.text.as_str());
    }
    sources.insert("manuscript/manuscript.yaml", "title: T\n");
    Project {
        root: Path::new("/nonexistent-galley-fuzz-root").to_path_buf(),
        meta,
        meta_value: serde_json::json!({"title": "T"}),
        sections: vec![sec],
        data,
        data_files: vec![],
        tables: vec![tbl],
        bibliography: vec![bib],
        sources,
    }
}

fn check_one(text: String) {
    let p = project(text);
    match assemble(&p) {
        Ok(a) => {
            // Rendering the model must not panic either.
            let _ =
                galley::typeset::main_source(&a.doc, &Default::default(), "a4", 10.0, 1, "galley");
        }
        Err(f) => {
            for d in &f.diags.0 {
                assert!(d.file.is_some(), "unlocated diagnostic: {}", d.message);
            }
            let _ = galley::diag::render_plain(&f.diags, &f.sources);
        }
    }
}

#[test]
fn front_end_never_panics() {
    let secs: u64 = std::env::var("GALLEY_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let strategy = prop::collection::vec(fragment(), 0..24).prop_map(|v| v.concat());
    let mut runs: u64 = 0;
    loop {
        let cases = if secs == 0 { 300 } else { 2000 };
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        });
        runner
            .run(&strategy, |text| {
                check_one(text);
                Ok(())
            })
            .unwrap();
        runs += cases as u64;
        if Instant::now() >= deadline {
            break;
        }
    }
    eprintln!("fuzz: {runs} inputs, no panic");
}
