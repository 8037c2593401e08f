//! Property test over the front end (Tera data references, Markdown,
//! citations, cross-references, placements, math): any section text gives a
//! document or located diagnostics, never a panic.
//!
//! A normal test run tries a few hundred inputs. For a long run:
//!     GALLEY_FUZZ_SECS=1800 cargo test --release --test fuzz -- --nocapture
//! Coverage-guided fuzzing of the same stage and others: fuzz/README.md.

#[path = "../fuzz/common.rs"]
mod common;
use common::check_one;

use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

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
