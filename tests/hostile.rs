//! Hostile and careless input: what galley promises holds. Nothing outside
//! its own output is deleted, nothing of the machine leaks into the site,
//! and no manuscript crashes, hangs or exhausts a build. Every case asserts
//! the exit status, where the message points and that the previous output
//! is left as it was.

mod common;
use common::*;

use std::path::Path;
use std::time::Duration;

/// Any build here finishes well within this, or the test fails.
const LIMIT: Duration = Duration::from_secs(60);

fn good() -> tempfile::TempDir {
    one_table_project()
}

/// Build `dir`, change it with `files`, run `args`: the run must exit with
/// `status`, within [`LIMIT`], say each of `expect`, and leave public/ as
/// the first build wrote it. Returns stderr.
fn refused(
    dir: &Path,
    files: &[(&str, &str)],
    args: &[&str],
    status: i32,
    expect: &[&str],
) -> String {
    refused_after(dir, |d| write_files(d, files), args, status, expect)
}

/// [`refused`], changing the project with `edit`.
fn refused_after(
    dir: &Path,
    edit: impl FnOnce(&Path),
    args: &[&str],
    status: i32,
    expect: &[&str],
) -> String {
    let first = galley(&["build"], dir);
    assert_eq!(first.status, 0, "{}", first.stderr);
    let before = snapshot(&dir.join("public"));
    edit(dir);
    let r = galley_within(args, dir, &[], LIMIT);
    assert_eq!(r.status, status, "{args:?}: {}", r.stderr);
    for e in expect {
        assert!(r.stderr.contains(e), "missing `{e}` in:\n{}", r.stderr);
    }
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert_eq!(snapshot(&dir.join("public")), before, "public/ changed");
    snapshot_stderr(&r.stderr, dir);
    r.stderr
}

// ------------------------------------------------ data loss and leaks

#[test]
fn build_out_replaces_only_an_empty_folder_or_a_previous_output() {
    let dir = good();
    let root = dir.path();
    // 1. Folders of someone else's: refused, kept.
    let elsewhere = root.join("elsewhere");
    std::fs::create_dir_all(elsewhere.join(".ssh")).unwrap();
    std::fs::create_dir_all(elsewhere.join("Documents")).unwrap();
    let r = galley(&["build", "--out", "elsewhere"], root);
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("refusing to replace elsewhere: it holds .ssh/, which no galley build wrote"),
        "{}",
        r.stderr
    );
    assert!(elsewhere.join(".ssh").is_dir() && elsewhere.join("Documents").is_dir());

    // A previous output is replaced, also after building one half of it.
    let out = root.join("site");
    for args in [
        &["build", "--out", "site"][..],
        &["build", "--out", "site", "--html"],
        &["build", "--out", "site"],
    ] {
        let r = galley(args, root);
        assert_eq!(r.status, 0, "{args:?}: {}", r.stderr);
    }
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(
        manifest.contains("\"outputs\"") && manifest.contains("\"index.html\""),
        "{manifest}"
    );

    // One file that is not galley's makes it someone else's again.
    write_files(&out, &[("notes.txt", "mine")]);
    let r = galley(&["build", "--out", "site"], root);
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("it holds notes.txt, which no galley build wrote"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    let r = galley(&["build", "--out", "site", "--force"], root);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(!out.join("notes.txt").exists());
}

#[test]
fn publish_dir_does_not_trust_a_forged_manifest() {
    let dir = good();
    let d = dir.path().join("d");
    write_files(
        &d,
        &[
            ("x.txt", "keep\n"),
            ("manifest.json", "{\"generator\": \"galley\"}\n"),
        ],
    );
    let r = galley(
        &[
            "publish",
            "--base-url",
            "https://example.org/",
            "--dir",
            d.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("which no galley build wrote"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read_to_string(d.join("x.txt")).unwrap(), "keep\n");
}

#[test]
fn templates_cannot_read_the_environment() {
    for (file, text, at) in [
        (
            "manuscript/sections/a.md",
            "# A\n\nThe token: {{ get_env(name=\"TOKEN\") }}\n",
            "manuscript/sections/a.md:3:15:",
        ),
        (
            "theme/templates/404.html",
            "<!DOCTYPE html><p>{{ get_env(name=\"TOKEN\") }}</p>\n",
            "theme/templates/404.html:1:22:",
        ),
    ] {
        let dir = good();
        let first = galley(&["build"], dir.path());
        assert_eq!(first.status, 0, "{}", first.stderr);
        let before = snapshot(&dir.path().join("public"));
        write_files(dir.path(), &[(file, text)]);
        let r = galley_within(&["build"], dir.path(), &[("TOKEN", "s3cr3t-t0ken")], LIMIT);
        assert_eq!(r.status, 1, "{}", r.stderr);
        assert!(r.stderr.contains(at), "{at} in {}", r.stderr);
        assert!(
            r.stderr.contains("`get_env` is not available"),
            "{}",
            r.stderr
        );
        assert!(!r.stderr.contains("s3cr3t-t0ken"));
        assert_eq!(snapshot(&dir.path().join("public")), before);
    }
}

#[test]
fn base_urls_are_checked_for_every_command() {
    let dir = good();
    let r = galley(
        &["build", "--base-url", "javascript:alert(1)//"],
        dir.path(),
    );
    assert_eq!(r.status, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("--base-url `javascript:alert(1)//` is not an http:// or https:// address"),
        "{}",
        r.stderr
    );
    assert!(!dir.path().join("public").exists());
    let yaml = manifest("base_url: \"javascript:alert(1)//\"\n", &["sections/a.md"]);
    let err = refused(
        dir.path(),
        &[("manuscript/manuscript.yaml", &yaml)],
        &["build"],
        1,
        &["manuscript/manuscript.yaml:9:1: base_url `javascript:alert(1)//` is not an http:// or https:// address"],
    );
    assert!(err.contains("base_url: \"javascript:alert(1)//\""), "{err}");
    let r = galley(&["check"], dir.path());
    assert_eq!(r.status, 1, "{}", r.stderr);
}

// ------------------------------------------------ crashes and hangs

#[test]
fn deep_nesting_is_a_located_error_not_a_crash() {
    let deep_quotes = format!("# A\n\n{}x\n", "> ".repeat(5000));
    // `- - - a` is a list in a list in a list.
    let deep_list = format!("# A\n\n{}a\n", "- ".repeat(5000));
    let deep_math = format!("# A\n\n${}y{}$\n", "x^{".repeat(5000), "}".repeat(5000));
    let deep_macro =
        "# A\n\n{% macro f(n) %}{{ self::f(n=n+1) }}{% endmacro f %}{{ self::f(n=0) }}\n"
            .to_string();
    let deep_tags = format!("# A\n\n{}x\n", "{% if true %}".repeat(5000));
    let deep_parens = format!(
        "# A\n\n{{{{ {}1{} }}}}\n",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    // Found by fuzzing: Tera panics (`unreachable!`) on a macro call in
    // arithmetic.
    let tera_panic =
        "# A\n\n{% macro m(n) %}{{ n }}{% endmacro m %}{{ self::m(n=1) % 2 }}\n".to_string();
    for (text, expect) in [
        (&tera_panic, "a.md:3:17: in manuscript/sections/a.md: Tera, the template engine, cannot evaluate this template (unimplemented math expression"),
        (&deep_quotes, "a.md:3:201: Markdown nests more than 100 deep"),
        // Found by fuzzing: math-core panics on this matrix.
        (&"# A\n\n$\\begin{matrix} a & b \\\\_ c & d \\end{matrix}$\n".to_string(), "a.md:3:2: cannot convert math"),
        (&deep_list, "a.md:3:101: Markdown nests more than 100 deep"),
        (&deep_math, "the formula nests more than 64 deep"),
        (&deep_macro, "a.md:3:1: in manuscript/sections/a.md: macros and includes call one another more than 64 deep"),
        (&deep_tags, "a.md:3:833: in manuscript/sections/a.md: template tags nest more than 64 deep"),
        (&deep_parens, "a.md:3:68: in manuscript/sections/a.md: brackets in a template tag nest more than 64 deep"),
    ] {
        let dir = good();
        refused(dir.path(), &[("manuscript/sections/a.md", text)], &["build"], 1, &[expect]);
    }
}

#[cfg(unix)]
fn fifo(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(ok.success());
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_not_waited_for() {
    let yaml = manifest("", &["sections/a.md", "sections/pipe.md"]);
    refused_after(
        good().path(),
        |d| {
            write_files(d, &[("manuscript/manuscript.yaml", &yaml)]);
            fifo(&d.join("manuscript/sections/pipe.md"));
        },
        &["build"],
        1,
        &["manuscript/manuscript.yaml:9:5: section file `manuscript/sections/pipe.md` cannot be read", "not a regular file"],
    );
    refused_after(
        good().path(),
        |d| fifo(&d.join("theme/static/x.css")),
        &["build"],
        1,
        &["theme/static/x.css: cannot read it: it is not a regular file"],
    );
    let text =
        "# A\n\n{{ figure(id=\"fig-f\", src=\"figures/f.png\", alt=\"F\", caption=\"F.\") }}\n";
    refused_after(
        good().path(),
        |d| {
            write_files(d, &[("manuscript/sections/a.md", text)]);
            fifo(&d.join("manuscript/figures/f.png"));
        },
        &["build"],
        1,
        &["a.md:3:28: image `figures/f.png` is not a regular file"],
    );
}

#[test]
fn runaway_templates_stop_at_their_loop() {
    for (text, expect) in [
        (
            // The function's call, not the filter of the same name before it.
            "# A\n\n{{ [1, 2] | range }}\n\n{% for i in range(end=100000000) %}x{% endfor %}\n",
            "a.md:5:13: in manuscript/sections/a.md: Function call 'range' failed: `range` would make 100000000 numbers",
        ),
        (
            "# A\n\n{% for i in range(end=100000) %}{% for j in range(end=100000) %}x{% endfor %}{% endfor %}\n",
            "a.md:3:33: in manuscript/sections/a.md: this loop or macro ran more than 2000000 times",
        ),
        (
            // Found by fuzzing: Tera's parser backtracks exponentially on
            // brackets left open in call arguments (this took minutes).
            "# A\n\n{{ m(n=((((((((m(n=((((((((m(n=((((((((m(n=((((((((m(n=((((((((x\n",
            "a.md:3:5: in manuscript/sections/a.md: `(` is never closed in this template tag",
        ),
        (
            "# A\n\n{% set s = \"xxxxxxxx\" %}{% for i in range(end=40) %}{% set_global s = s ~ s %}{% endfor %}{{ s | length }}\n",
            "a.md:3:25: in manuscript/sections/a.md: the template used more than 1 GB of memory",
        ),
    ] {
        let dir = good();
        refused(dir.path(), &[("manuscript/sections/a.md", text)], &["build"], 1, &[expect]);
    }
}

/// A PNG of `w`×`h` pixels whose pixel data is a few bytes (or garbage).
fn png(w: u32, h: u32, data: &[u8]) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend(kind);
        out.extend(data);
        // CRC-32 of kind and data.
        let mut crc = 0xffff_ffffu32;
        for &b in &out[start..] {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        out.extend((!crc).to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 0, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", data);
    chunk(&mut out, b"IEND", &[]);
    out
}

#[test]
fn images_are_checked_before_they_are_decoded() {
    let text =
        "# A\n\n{{ figure(id=\"fig-f\", src=\"figures/f.png\", alt=\"F\", caption=\"F.\") }}\n";
    for (bytes, expect) in [
        (png(30000, 30000, b"x"), "a.md:3:28: image `figures/f.png` is 30000×30000 pixels (900 megapixels); galley accepts at most 50 megapixels"),
        (png(10, 10, b"garbage"), "a.md:3:28: Typst: failed to decode image"),
    ] {
        let dir = good();
        let path = dir.path().join("manuscript/figures/f.png");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        refused(dir.path(), &[("manuscript/sections/a.md", text)], &["build"], 1, &[expect]);
    }
}

#[test]
fn deep_yaml_and_bibtex_fail_fast_and_quote_a_short_line() {
    let yaml = format!("d: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let bib = format!(
        "@article{{deep, title = {}x{}}}\n",
        "{".repeat(100_000),
        "}".repeat(100_000)
    );
    for (file, text, expect) in [
        (
            "manuscript/data/deep.yaml",
            &yaml,
            "manuscript/data/deep.yaml:1:68: invalid YAML: lists and maps nest more than 64 deep",
        ),
        (
            "bibliography/deep.bib",
            &bib,
            "bibliography/deep.bib:1:87: invalid BibTeX: braces nest more than 64 deep",
        ),
    ] {
        let dir = good();
        let started = std::time::Instant::now();
        let err = refused(dir.path(), &[(file, text)], &["build"], 1, &[expect]);
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{:?}",
            started.elapsed()
        );
        assert!(err.len() < 3_000, "the message quotes {} bytes", err.len());
    }
}

/// Prose of about `bytes` bytes, in paragraphs.
fn prose(bytes: usize) -> String {
    let words = [
        "the", "trial", "of", "ketamine", "and", "placebo", "in", "a", "group", "with",
    ];
    let mut out = String::from("# Long {#sec-long}\n\n");
    let mut i = 0usize;
    while out.len() < bytes {
        for _ in 0..120 {
            out.push_str(words[i % words.len()]);
            out.push(' ');
            i = i.wrapping_mul(7).wrapping_add(3) % 1009;
        }
        out.push_str("end.\n\n");
    }
    out
}

#[test]
fn a_long_section_costs_memory_in_proportion() {
    let dir = good();
    let yaml = manifest("", &["sections/a.md", "sections/long.md"]);
    let text = prose(4 << 20);
    write_files(
        dir.path(),
        &[
            ("manuscript/manuscript.yaml", &yaml),
            ("manuscript/sections/long.md", &text),
        ],
    );
    // Peak memory of the build, as the kernel counts it for a child.
    let measure = "import resource, subprocess, sys\n\
r = subprocess.run(sys.argv[1:], capture_output=True)\n\
print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)";
    let started = std::time::Instant::now();
    let out = std::process::Command::new("python3")
        .args(["-c", measure])
        .arg(galley_bin())
        .args(["build", "--html"])
        .current_dir(dir.path())
        .output()
        .expect("python3");
    let report = String::from_utf8_lossy(&out.stdout).to_string();
    let (status, kb) = report.trim().split_once(' ').unwrap();
    assert_eq!(status, "0", "{report}");
    let mb: f64 = kb.parse::<f64>().unwrap() / 1024.0;
    assert!(mb < 20.0 * 4.0 + 40.0, "{mb:.0} MB for a 4 MB section");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    // A section too long to typeset is refused at its entry, quickly.
    write_files(
        dir.path(),
        &[("manuscript/sections/long.md", "# Long\n\nShort for now.\n")],
    );
    let too_long = prose(9 << 20);
    let started = std::time::Instant::now();
    refused(
        dir.path(),
        &[("manuscript/sections/long.md", &too_long)],
        &["build"],
        1,
        &["manuscript/manuscript.yaml:9:5: section file `manuscript/sections/long.md` brings the sections to 9 MB of text; galley typesets at most 8 MB in all"],
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

/// The longest sections galley accepts build, site only: a page may be as
/// long as the whole project (found by bench/hostile.py when the site
/// renderer was first given only the files it read itself).
#[test]
fn sections_of_almost_8_mb_build_the_site() {
    let dir = good();
    let yaml = manifest("", &["sections/a.md", "sections/long.md"]);
    // Rich prose: math, citations and markup make the page several times
    // the text.
    let words =
        "the of and to in a is that for it as was with 12 345 7.5 $x$ [@smith2020] *em* `code`";
    let words: Vec<&str> = words.split(' ').collect();
    let mut text = String::from("# Big {#sec-big}\n\n");
    let mut i = 0;
    while text.len() < 8_000_000 {
        for j in 0..120 {
            text.push_str(words[(i * 7 + j * 3) % words.len()]);
            text.push(' ');
        }
        text.push_str("end.\n\n");
        i += 1;
    }
    write_files(
        dir.path(),
        &[
            ("manuscript/manuscript.yaml", &yaml),
            ("manuscript/sections/long.md", &text),
        ],
    );
    let started = std::time::Instant::now();
    let r = galley_within(&["build", "--html"], dir.path(), &[], LIMIT);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

// ------------------------------------------------ smaller promises

#[test]
fn errors_point_at_the_place() {
    let laughs = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n";
    for (file, text, expect) in [
        (
            "manuscript/sections/a.md",
            "# A\n\nab\0cd\n",
            "manuscript/sections/a.md:3:3: file holds a NUL byte",
        ),
        (
            "manuscript/data/laughs.yaml",
            laughs,
            "manuscript/data/laughs.yaml:2:8: invalid YAML: its aliases expand to too many values",
        ),
    ] {
        let dir = good();
        let err = refused(
            dir.path(),
            &[(file, text)],
            &["build", "--html"],
            1,
            &[expect],
        );
        assert!(!err.contains('\0'));
    }
    // Found by fuzzing: the BibTeX parser panics on this date.
    let dir = good();
    let bad = "@article{odd,\n  title = {J},\n  date = {202088888.888880x-05},\n}\n";
    refused(
        dir.path(),
        &[("bibliography/odd.bib", bad)],
        &["build"],
        1,
        &["bibliography/odd.bib:1:1: the BibTeX parser failed on this entry (attempt to subtract with overflow)"],
    );
    // A CSL error names the element it is about, not the next one.
    let dir = good();
    let csl = std::fs::read_to_string(repo().join("theme/article.csl")).unwrap();
    let bad = csl.replacen("form=\"short\"", "form=\"wrongvalue\"", 1);
    let line = bad[..bad.find("wrongvalue").unwrap()].matches('\n').count() + 1;
    let yaml = manifest("csl: theme/bad.csl\n", &["sections/a.md"]);
    refused(
        dir.path(),
        &[
            ("theme/bad.csl", &bad),
            ("manuscript/manuscript.yaml", &yaml),
        ],
        &["build"],
        1,
        &[&format!("theme/bad.csl:{line}:")],
    );
    // A closed set of values is checked.
    let dir = good();
    let yaml = manifest("pdf:\n  standard: ua-1x\n", &["sections/a.md"]);
    refused(
        dir.path(),
        &[("manuscript/manuscript.yaml", &yaml)],
        &["build"],
        1,
        &["manuscript/manuscript.yaml:10:13: invalid YAML: pdf.standard: unknown variant `ua-1x`, expected one of `ua-1`, `a-2b`, `a-3b`, `none`"],
    );
}

#[test]
fn a_typed_number_after_a_heading_id_warns() {
    let dir = good();
    let text =
        "# A {#sec-a}\n\nIn all 323 people took part [@smith2020].\n\n{{ table(id=\"tbl-x\") }}\n";
    write_files(
        dir.path(),
        &[
            ("manuscript/sections/a.md", text),
            ("manuscript/data/n.csv", "n\n158\n165\n"),
        ],
    );
    let r = galley(&["check"], dir.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("manuscript/sections/a.md:3:8: `323` is typed by hand but the data defines it as `data.n | map(attribute=\"n\") | sum`"),
        "{}",
        r.stderr
    );
    // The paper is checked too, and types none of its numbers.
    let paper = paper_copy();
    let r = galley(&["check"], paper.path());
    assert!(!r.stderr.contains("typed by hand"), "{}", r.stderr);
    let results = paper.path().join("manuscript/sections/03-results.md");
    let text = std::fs::read_to_string(&results).unwrap();
    let heading = text.find("{#sec-").unwrap();
    let heading_end = heading + text[heading..].find('\n').unwrap() + 1;
    let typed = format!(
        "{}\nIn all, 323 participants.\n{}",
        &text[..heading_end],
        &text[heading_end..]
    );
    std::fs::write(&results, typed).unwrap();
    let r = galley(&["check"], paper.path());
    assert!(r.stderr.contains("`323` is typed by hand"), "{}", r.stderr);
}
