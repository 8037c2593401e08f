//! Helpers for integration tests: write a project into a temp dir, run the
//! real `galley` binary on it.
#![allow(dead_code)]

pub mod server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

/// The galley binary under test: this build's, or the one `GALLEY_BIN`
/// names (to run these tests against another version, such as the last
/// release, and see which of them it fails).
pub fn galley_bin() -> PathBuf {
    std::env::var_os("GALLEY_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_galley")))
}

pub fn galley(args: &[&str], cwd: &Path) -> Run {
    let out: Output = Command::new(galley_bin())
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("run galley");
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// [`galley`] with extra environment variables, killed (and the test
/// failed) if it does not finish within `limit`: a hang is a failure, not
/// a stuck test run.
pub fn galley_within(
    args: &[&str],
    cwd: &Path,
    env: &[(&str, &str)],
    limit: std::time::Duration,
) -> Run {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = Command::new(galley_bin())
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run galley");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("galley {args:?} did not finish within {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    Run {
        status: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&reader.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&err_reader.join().unwrap()).into_owned(),
    }
}

/// Write files (path, contents) under a fresh temp dir.
pub fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    write_files(dir.path(), files);
    dir
}

pub fn write_files(root: &Path, files: &[(&str, &str)]) {
    for (p, text) in files {
        let full = root.join(p);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
}

/// Every file under `dir` with its bytes, sorted by path.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

/// A small valid project: one section citing, referencing data and placing
/// a table, a CSV dataset, a BibTeX file.
pub fn one_table_project() -> tempfile::TempDir {
    project(&[
        ("manuscript/manuscript.yaml", &manifest("", &["sections/a.md"])),
        (
            "manuscript/sections/a.md",
            "# A {#sec-a}\n\nText [@smith2020], {{ data.d | length }} rows, @tbl-x.\n\n{{ table(id=\"tbl-x\") }}\n",
        ),
        ("manuscript/tables/x.yaml", "id: tbl-x\ncaption: X.\nsource: data.d\ncolumns:\n  - header: A\n    cell: \"{{ row.a }}\"\n"),
        ("manuscript/data/d.csv", "a,b\n1,2\n3,4\n"),
        ("bibliography/refs.bib", BIB),
    ])
}

/// The repository root (the paper project).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A minimal valid manuscript.yaml naming the given section files.
pub fn manifest(extra: &str, sections: &[&str]) -> String {
    let mut s = String::from("title: A Test Paper\nauthors:\n  - name: Ada Lovelace\n    affiliations: [\"1\"]\naffiliations:\n  \"1\": Analytical Engine Society\n");
    s.push_str("sections:\n");
    for sec in sections {
        s.push_str(&format!("  - {sec}\n"));
    }
    s.push_str(extra);
    s
}

pub const BIB: &str = r#"@article{smith2020,
  author = {Smith, John and Doe, Jane},
  title = {{A Study of Things}},
  journaltitle = {Journal of Things},
  volume = {3},
  number = {2},
  pages = {10--20},
  date = {2020},
}

@article{jones2019,
  author = {Jones, Mary},
  title = {{Another Study}},
  journaltitle = {Journal of Stuff},
  volume = {7},
  pages = {1--9},
  date = {2019},
}

@book{brown2018,
  author = {Brown, Bob},
  title = {{The Book}},
  publisher = {Publisher},
  date = {2018},
}
"#;

/// Text between the first `start` and the following `end`.
pub fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = s.find(start)? + start.len();
    let j = s[i..].find(end)? + i;
    Some(&s[i..j])
}

/// Tags stripped, entities decoded (enough for assertions on text).
pub fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
}

/// `galley build ARGS` of `root` into `out`, which must succeed: what it
/// printed to stderr.
pub fn build_into(root: &Path, out: &Path, args: &[&str]) -> String {
    let mut all = vec![
        "build",
        "--root",
        root.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    let r = galley(&all, root);
    assert_eq!(r.status, 0, "{}", r.stderr);
    r.stderr
}

/// Build `root` into `out`: the output file ending in `.{ext}` and the
/// site's page.
pub fn build_to(root: &Path, out: &Path, ext: &str) -> (PathBuf, String) {
    build_into(root, out, &[]);
    let file = std::fs::read_dir(out)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == ext))
        .unwrap_or_else(|| panic!("no .{ext} written"));
    let page = std::fs::read_to_string(out.join("index.html")).unwrap();
    (file, page)
}

/// Citation texts in reading order, e.g. "[2, 5–7]".
pub fn citations(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<span class=\"cite\" id=\"cite-") {
        rest = &rest[i..];
        let tip = rest.find("<span class=\"cite-tip\"").unwrap();
        out.push(text_of(&rest[..tip]));
        rest = &rest[tip..];
    }
    out
}

/// HTML with the citation tooltips removed (what a reader sees inline).
pub fn without_tips(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find("<span class=\"cite-tip\"") {
        out.push_str(&rest[..i]);
        let end = rest[i..]
            .find("</span></span>")
            .map_or(rest.len(), |j| i + j + "</span>".len());
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// A copy of the paper's project in a temp dir, so nothing can be written
/// into the repository.
pub fn paper_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["manuscript", "bibliography", "theme"] {
        copy_dir(&repo().join(sub), &dir.path().join(sub));
    }
    dir
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// Make `root` a repository with one commit of everything, under a local
/// identity, with a developer's global signing and hooks turned off.
pub fn first_commit(root: &Path) {
    git(&["init", "-q", "-b", "main"], root);
    git(&["config", "user.name", "Ada Lovelace"], root);
    git(&["config", "user.email", "ada@example.org"], root);
    git(&["config", "commit.gpgsign", "false"], root);
    git(&["config", "core.hooksPath", "/dev/null"], root);
    git(&["add", "-A"], root);
    git(&["commit", "-q", "-m", "First draft"], root);
}

pub fn git(args: &[&str], dir: &Path) -> String {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Snapshot what a run printed (`INSTA_UPDATE=always cargo test` rewrites
/// the snapshots): the full diagnostics, excerpt and caret included, with
/// the project's temporary folder written `[project]`. Named after the
/// test, numbered when a test takes several.
#[allow(dead_code)]
pub fn snapshot_stderr(stderr: &str, root: &Path) {
    let mut text = stderr.to_string();
    for spelling in [
        root.canonicalize().unwrap_or_else(|_| root.to_path_buf()),
        root.to_path_buf(),
    ] {
        text = text.replace(&spelling.display().to_string(), "[project]");
    }
    snapshot_text(&text);
}

/// Snapshot `text` under the test's name (numbered when a test takes
/// several) in tests/snapshots/.
#[allow(dead_code)]
pub fn snapshot_text(text: &str) {
    thread_local! {
        static TAKEN: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }
    let n = TAKEN.with(|t| {
        t.set(t.get() + 1);
        t.get()
    });
    let test = std::thread::current()
        .name()
        .unwrap_or("run")
        .rsplit("::")
        .next()
        .unwrap_or("run")
        .to_string();
    let crate_name = env!("CARGO_CRATE_NAME");
    let name = if n == 1 {
        format!("{crate_name}__{test}")
    } else {
        format!("{crate_name}__{test}-{n}")
    };
    // The version of galley, which every page names, is not the feature.
    let text = text.replace(
        &format!("galley {}", env!("CARGO_PKG_VERSION")),
        "galley [version]",
    );
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path("../snapshots");
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name, text));
}
