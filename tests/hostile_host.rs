//! Hostile and careless use of the commands that touch more than a build:
//! `serve` (requests, headers, runaway rebuilds), `publish` (branch names,
//! dry runs) and the swap of the output folder (what is left when it
//! fails or a build is killed).

mod common;
use common::server::*;
use common::*;

use std::path::Path;
use std::time::{Duration, Instant};

fn small_project(dir: &Path) -> std::path::PathBuf {
    let root = dir.join("paper");
    let r = galley(&["new", root.to_str().unwrap()], dir);
    assert_eq!(r.status, 0, "{}", r.stderr);
    root
}

#[test]
fn serve_refuses_absolute_targets_and_repeated_hosts_and_sets_a_csp() {
    let dir = tempfile::tempdir().unwrap();
    let root = small_project(dir.path());
    let server = Server::start(&root);
    let host = server.host();
    for request in [
        format!("GET http://evil.example/ HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
        format!("GET http://{host}/ HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
        format!("GET / HTTP/1.1\r\nHost: {host}\r\nHost: evil.example\r\nConnection: close\r\n\r\n"),
        format!("GET / HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\nOrigin: http://evil.example\r\nConnection: close\r\n\r\n"),
    ] {
        let (status, _, body) = server.raw(&request);
        assert_eq!(status, 400, "{request:?}: {}", String::from_utf8_lossy(&body));
        assert!(!String::from_utf8_lossy(&body).contains("<html"));
    }
    let (status, head, _) = server.raw(&format!(
        "GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    ));
    assert_eq!(status, 200);
    let csp = head
        .lines()
        .find_map(|l| l.strip_prefix("content-security-policy: "))
        .unwrap_or_else(|| panic!("no CSP in {head}"));
    assert!(
        csp.contains("script-src 'self'") && csp.contains("object-src 'none'"),
        "{csp}"
    );
}

#[test]
fn an_svg_figure_with_a_script_is_refused() {
    for (svg, expect) in [
        ("<svg xmlns=\"http://www.w3.org/2000/svg\">\n<script>alert(document.domain)</script></svg>", "holds a <script> (line 2 of the SVG)"),
        ("<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>", "has an event attribute `onload` on <svg>"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let root = small_project(dir.path());
        let first = galley(&["build"], &root);
        assert_eq!(first.status, 0, "{}", first.stderr);
        let before = snapshot(&root.join("public"));
        let section = root.join("manuscript/sections/02-results.md");
        let text = std::fs::read_to_string(&section).unwrap();
        let call = "{{ figure(id=\"fig-x\", src=\"figures/x.svg\", alt=\"X\", caption=\"X.\") }}";
        write_files(
            &root,
            &[
                ("manuscript/figures/x.svg", svg),
                ("manuscript/sections/02-results.md", &format!("{text}\n{call}\n")),
            ],
        );
        let r = galley(&["build"], &root);
        assert_eq!(r.status, 1, "{}", r.stderr);
        assert!(r.stderr.contains("manuscript/sections/02-results.md:"), "{}", r.stderr);
        assert!(r.stderr.contains(expect), "{expect}: {}", r.stderr);
        assert_eq!(snapshot(&root.join("public")), before);
    }
}

#[test]
fn serve_drops_a_runaway_rebuild_for_the_fix_that_follows() {
    let dir = tempfile::tempdir().unwrap();
    let root = small_project(dir.path());
    let server = Server::start(&root);
    let events = server.events();
    next_event(&events, "reload", 60);
    let section = root.join("manuscript/sections/02-results.md");
    let text = std::fs::read_to_string(&section).unwrap();
    // Slow but within every count: it would run until the time limit.
    let slow = "{% for i in range(end=100000) %}{% set s = range(end=100000) | join(sep=\",\") %}{% endfor %}";
    std::fs::write(&section, format!("{text}\n{slow}\n")).unwrap();
    let started = Instant::now();
    // The slow rebuild is under way (the watcher waits a moment for more
    // edits before it starts).
    std::thread::sleep(Duration::from_millis(2000));
    std::fs::write(&section, format!("{text}\nFixed.\n")).unwrap();
    let g = generation(&next_event(&events, "reload", 15));
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    let (status, page) = server.get("/");
    assert_eq!(status, 200);
    assert!(page.contains("Fixed."), "{page}");
    assert!(page_generation(&page) >= g);
    assert!(
        server
            .log()
            .contains("[serve] rebuild superseded by a newer edit"),
        "{}",
        server.log()
    );
}

#[test]
fn serve_outlives_a_manuscript_that_crashed_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = small_project(dir.path());
    let server = Server::start(&root);
    let events = server.events();
    next_event(&events, "reload", 60);
    let section = root.join("manuscript/sections/02-results.md");
    let text = std::fs::read_to_string(&section).unwrap();
    // Each of these overflowed the stack and ended the server.
    for deep in [
        format!("{}x", "> ".repeat(5000)),
        format!("${}y{}$", "x^{".repeat(5000), "}".repeat(5000)),
        "{% macro f(n) %}{{ self::f(n=n+1) }}{% endmacro f %}{{ self::f(n=0) }}".to_string(),
    ] {
        std::fs::write(&section, format!("{text}\n{deep}\n")).unwrap();
        let error = next_event(&events, "failed", 30);
        assert!(error.contains("02-results.md:"), "{error}");
        assert_eq!(server.get("/").0, 200, "{}", server.log());
    }
    std::fs::write(&section, format!("{text}\nFixed.\n")).unwrap();
    next_event(&events, "reload", 30);
    assert!(server.get("/").1.contains("Fixed."));
}

#[test]
fn publish_refuses_branch_names_that_are_not_local_branches() {
    let dir = tempfile::tempdir().unwrap();
    let root = small_project(dir.path());
    first_commit(&root);
    git(
        &["remote", "add", "origin", "https://example.org/paper.git"],
        &root,
    );
    let base = "https://example.org/paper/";
    for (branch, expect) in [
        (
            "refs/heads/main",
            "`refs/heads/main` is not a branch name but a reference",
        ),
        (
            "origin/main",
            "`origin/main` names a branch of the remote `origin`",
        ),
    ] {
        let r = galley(&["publish", "--branch", branch, "--base-url", base], &root);
        assert_eq!(r.status, 1, "{branch}: {}", r.stderr);
        assert!(r.stderr.contains(expect), "{}", r.stderr);
        assert!(!r.stdout.contains("git push"), "{}", r.stdout);
    }
    let refs = git(&["for-each-ref", "--format=%(refname)"], &root);
    assert_eq!(refs, "refs/heads/main", "{refs}");
}

#[cfg(unix)]
#[test]
fn a_dry_run_lists_a_linked_folder_as_one_link() {
    let dir = tempfile::tempdir().unwrap();
    let root = small_project(dir.path());
    let outside = dir.path().join("outside");
    write_files(&outside, &[("a.txt", "a"), ("b.txt", "b")]);
    let site = dir.path().join("site");
    // The user's mark: replace everything here.
    write_files(&site, &[(".galley-publish", "")]);
    std::os::unix::fs::symlink(&outside, site.join("linked")).unwrap();
    let args = [
        "publish",
        "--dir",
        site.to_str().unwrap(),
        "--base-url",
        "https://example.org/",
        "--dry-run",
    ];
    let r = galley(&args, &root);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(
        r.stdout.lines().any(|l| l == "remove  linked"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("linked/"), "{}", r.stdout);
    let r = galley(&args[..args.len() - 1], &root);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(outside.join("a.txt").is_file() && outside.join("b.txt").is_file());
}

/// Folders beside `out` that a build stages its output in.
fn strays(parent: &Path) -> Vec<String> {
    std::fs::read_dir(parent)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".galley-"))
        .collect()
}

#[test]
fn strays_of_killed_builds_go_even_when_the_next_build_fails() {
    let dir = tempfile::tempdir().unwrap();
    let root = small_project(dir.path());
    assert_eq!(galley(&["build"], &root).status, 0);
    // What a build killed between writing and swapping leaves (a process
    // id that is not running).
    write_files(&root, &[(".public.galley-new-4194000/index.html", "old")]);
    let section = root.join("manuscript/sections/02-results.md");
    std::fs::write(&section, "# R\n\n{{ nope }}\n").unwrap();
    let r = galley(&["build"], &root);
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert_eq!(strays(&root), Vec::<String>::new());
}

#[cfg(target_os = "linux")]
#[test]
fn a_swap_that_fails_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let root = small_project(dir.path());
    let out = dir.path().join("mounted");
    std::fs::create_dir_all(&out).unwrap();
    // A folder that is a mount point cannot be renamed; the build must
    // fail cleanly. Without the right to mount (not root), nothing to test.
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "galley-test", out.to_str().unwrap()])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: cannot mount a tmpfs here");
        return;
    }
    let r = galley(&["build", "--out", out.to_str().unwrap()], &root);
    let r2 = galley(&["build", "--out", out.to_str().unwrap()], &root);
    let _ = std::process::Command::new("umount").arg(&out).status();
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert_eq!(r2.status, 1, "{}", r2.stderr);
    assert!(r.stderr.contains("cannot write"), "{}", r.stderr);
    assert_eq!(strays(dir.path()), Vec::<String>::new(), "{}", r.stderr);
}
