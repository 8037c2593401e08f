//! `galley serve`: a real server on a free port, a real reload channel,
//! real file edits.

mod common;
use common::server::*;
use common::*;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;

#[test]
fn serve_rebuilds_on_edits_reloads_and_overlays_errors() {
    let dir = paper_copy();
    let root = dir.path();
    let server = Server::start(root);
    let rx = server.events();
    let first = next_event(&rx, "reload", 10);
    assert_eq!(generation(&first), 1);
    // What changed is not known to a page that has just connected.
    assert_eq!(changed(&first), None, "{first}");

    let (status, page) = server.get("/");
    assert_eq!(status, 200);
    assert!(page.contains("<script src=\"/__galley/live.js\" data-generation=\""));
    assert_eq!(page_generation(&page), 1);
    assert!(page.contains("Conclusion"));
    let (status, js) = server.get("/__galley/live.js");
    assert_eq!(status, 200);
    assert!(js.contains("EventSource"));

    // A one-word edit: the site reloads with it, then the PDF follows.
    let section = root.join("manuscript/sections/05-conclusion.md");
    let original = std::fs::read_to_string(&section).unwrap();
    assert!(original.contains("may be efficacious"));
    std::fs::write(
        &section,
        original.replace("may be efficacious", "may be xyzzyfast"),
    )
    .unwrap();
    let reload = next_event(&rx, "reload", 30);
    assert_eq!(generation(&reload), 2);
    // The page is told which files changed, to patch itself with them.
    assert_eq!(
        changed(&reload),
        Some(vec!["index.html".to_string()]),
        "{reload}"
    );
    // ... and the edit that makes the page's text the new one.
    let data: serde_json::Value = serde_json::from_str(&reload).unwrap();
    let inserts: Vec<&str> = data["pages"]["index.html"]["edits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["insert"].as_str().unwrap())
        .collect();
    assert_eq!(inserts.len(), 2, "the word and the generation: {reload}");
    assert!(
        inserts[0].contains("xyzzyfast") && inserts[0].len() < 20,
        "{reload}"
    );
    let (_, page) = server.get("/");
    assert!(page.contains("may be xyzzyfast"));
    assert_eq!(page_generation(&page), 2);
    assert_eq!(generation(&next_event(&rx, "pdf", 120)), 2);
    let (status, pdf) = server.get("/ketamine-ptsd-systematic-review.pdf");
    assert_eq!(status, 200);
    assert!(pdf.starts_with("%PDF"));
    // The other outputs the page links are served with it.
    for other in ["xml", "docx"] {
        let (status, _) = server.get(&format!("/ketamine-ptsd-systematic-review.{other}"));
        assert_eq!(status, 200, "{other}");
    }

    // Only the edited section was read, rendered and parsed again.
    let log = server.log();
    let line = site_line(&log, 2);
    assert_eq!(reuse(&line, "bibliography"), (1, 1), "{line}");
    assert_eq!(reuse(&line, "citation style"), (1, 1), "{line}");
    let (hit, all) = reuse(&line, "file read");
    assert_eq!(all - hit, 1, "only the section is read again: {line}");
    let (hit, all) = reuse(&line, "template");
    assert_eq!(all - hit, 1, "only the section is rendered again: {line}");
    let (hit, all) = reuse(&line, "markdown");
    assert_eq!(all - hit, 1, "only the section is parsed again: {line}");

    // A broken section: the overlay (escaped), the last good build served.
    let broken = original.replace(
        "may be efficacious",
        "may be <em>broken</em> {{ data.no_such_file.value }}",
    );
    std::fs::write(&section, &broken).unwrap();
    let failure = next_event(&rx, "failed", 30);
    assert!(
        failure.contains("manuscript/sections/05-conclusion.md:3:"),
        "{failure}"
    );
    assert!(failure.contains("no_such_file"), "{failure}");
    let (status, page) = server.get("/");
    assert_eq!(status, 200);
    assert!(
        page.contains("may be xyzzyfast"),
        "the last good build is served"
    );
    assert!(page.contains("<div id=\"galley-error\" role=\"alert\">"));
    assert!(
        page.contains("may be &lt;em&gt;broken&lt;/em&gt;"),
        "escaped"
    );
    assert!(!page.contains("<em>broken</em>"));
    assert!(server
        .log()
        .contains("error: manuscript/sections/05-conclusion.md:3:"));

    // Fixed: a new generation, no overlay.
    std::fs::write(
        &section,
        original.replace("may be efficacious", "may be mended"),
    )
    .unwrap();
    assert_eq!(generation(&next_event(&rx, "reload", 30)), 3);
    let (_, page) = server.get("/");
    assert!(page.contains("may be mended"));
    assert!(!page.contains("galley-error"));

    // An editor's atomic save: write a temporary file, rename it over.
    let tmp = root.join("manuscript/sections/.05-conclusion.md.tmp");
    std::fs::write(
        &tmp,
        original.replace("may be efficacious", "may be renamed"),
    )
    .unwrap();
    std::fs::rename(&tmp, &section).unwrap();
    assert_eq!(generation(&next_event(&rx, "reload", 30)), 4);
    assert!(server.get("/").1.contains("may be renamed"));

    // Deleted (an error), then created again: still watched.
    std::fs::remove_file(&section).unwrap();
    let failure = next_event(&rx, "failed", 30);
    assert!(failure.contains("05-conclusion.md"), "{failure}");
    std::fs::write(
        &section,
        original.replace("may be efficacious", "may be reborn"),
    )
    .unwrap();
    assert_eq!(generation(&next_event(&rx, "reload", 30)), 5);
    assert!(server.get("/").1.contains("may be reborn"));
    // Let the PDF of that build finish before the burst.
    assert_eq!(generation(&next_event(&rx, "pdf", 120)), 5);

    // A burst (a `git checkout` of every section and the bibliography):
    // one rebuild.
    let before_burst = rebuilds(&server.log());
    let sections = root.join("manuscript/sections");
    for e in std::fs::read_dir(&sections).unwrap().flatten() {
        let p = e.path();
        let text = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, format!("{text}\nBurst sentence.\n")).unwrap();
    }
    let bib = root.join("bibliography/references.bib");
    let bib_text = std::fs::read_to_string(&bib).unwrap();
    std::fs::write(&bib, bib_text).unwrap();
    assert_eq!(generation(&next_event(&rx, "reload", 30)), 6);
    let later = events_for(&rx, 3000);
    assert!(
        later.iter().all(|(e, _)| e != "reload" && e != "failed"),
        "one rebuild for the burst: {later:?}"
    );
    assert_eq!(
        rebuilds(&server.log()) - before_burst,
        1,
        "one rebuild for the burst:\n{}",
        server.log()
    );
    assert_eq!(server.get("/").1.matches("Burst sentence.").count(), 5);

    // A watched folder deleted (the build fails: the style is gone) and
    // created again, with a new file in a new subfolder: still watched.
    let theme = root.join("theme");
    std::fs::remove_dir_all(&theme).unwrap();
    let failure = next_event(&rx, "failed", 30);
    assert!(failure.contains("article.csl"), "{failure}");
    std::fs::create_dir_all(theme.join("static")).unwrap();
    std::fs::copy(repo().join("theme/article.csl"), theme.join("article.csl")).unwrap();
    let g = generation(&next_event(&rx, "reload", 30));
    std::fs::write(theme.join("static/galley.css"), "/* theme-marker */\n").unwrap();
    assert_eq!(generation(&next_event(&rx, "reload", 30)), g + 1);
    let (status, css) = server.get("/assets/galley.css");
    assert_eq!(status, 200);
    assert!(css.contains("theme-marker"), "{css}");

    // Nothing was written into the project.
    assert!(!root.join("public").exists(), "serve wrote public/");
    let leftovers: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !["manuscript", "bibliography", "theme"].contains(&n.as_str()))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn serve_refuses_traversal_foreign_hosts_origins_and_methods() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("paper");
    let r = galley(&["new", root.to_str().unwrap()], dir.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    // Symbolic links that leave the site (and the project).
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/etc/passwd", root.join("manuscript/leak.txt")).unwrap();
        std::os::unix::fs::symlink("/etc", root.join("manuscript/etc")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", root.join("passwd")).unwrap();
    }
    let server = Server::start(&root);
    assert_eq!(server.get("/").0, 200);
    let host = server.host();

    let leaked = |body: &[u8]| String::from_utf8_lossy(body).contains("root:");
    for path in [
        "/../../etc/passwd",
        "/../../../../../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "/%252e%252e%252f%252e%252e%252fetc%252fpasswd",
        "/..%5c..%5cetc%5cpasswd",
        "/%5c..%5c..%5cetc%5cpasswd",
        "/..\\..\\etc\\passwd",
        "/index.html%00.css",
        "/%00",
        "/./index.html",
        "/leak.txt",
        "/manuscript/leak.txt",
        "/etc/passwd",
        "/manuscript/etc/passwd",
        "/passwd",
        "/manuscript/manuscript.yaml",
    ] {
        let (status, head, body) = server.raw(&format!(
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        ));
        assert!(
            status == 403 || status == 404 || (status == 400 && path.contains('\\')),
            "{path}: {head}"
        );
        assert!(!leaked(&body), "{path} leaked a file");
    }

    // DNS rebinding: only requests for this machine.
    for bad_host in [
        "evil.example",
        &format!("evil.example:{}", server.port),
        &format!("127.0.0.1.evil.example:{}", server.port),
        "127.0.0.1:1",
    ] {
        let (status, head, _) = server.raw(&format!(
            "GET / HTTP/1.1\r\nHost: {bad_host}\r\nConnection: close\r\n\r\n"
        ));
        assert_eq!(status, 403, "Host {bad_host}: {head}");
    }
    let (status, ..) = server.raw("GET / HTTP/1.0\r\n\r\n");
    assert_eq!(status, 403, "no Host header");
    let (status, ..) = server.raw(&format!(
        "GET / HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\n\r\n",
        server.port
    ));
    assert_eq!(status, 200, "localhost is this machine");

    // A foreign Origin, on the reload channel and elsewhere; no CORS.
    for path in ["/__galley/events", "/", "/index.html"] {
        let (status, head, _) = server.raw(&format!(
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nOrigin: http://evil.example\r\nConnection: close\r\n\r\n"
        ));
        assert_eq!(status, 403, "{path} with a foreign Origin: {head}");
        assert!(!head
            .to_ascii_lowercase()
            .contains("access-control-allow-origin"));
    }
    let (status, head, _) = server.raw(&format!(
        "GET /__galley/events HTTP/1.1\r\nHost: {host}\r\nOrigin: null\r\nConnection: close\r\n\r\n"
    ));
    assert_eq!(status, 403, "Origin null: {head}");
    // The page's own origin may listen.
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    write!(
        s,
        "GET /__galley/events HTTP/1.0\r\nHost: {host}\r\nOrigin: http://{host}\r\n\r\n"
    )
    .unwrap();
    let mut first = String::new();
    BufReader::new(s).read_line(&mut first).unwrap();
    assert!(first.contains(" 200 "), "{first}");

    // Only GET and HEAD.
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let (status, head, _) = server.raw(&format!(
            "{method} / HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ));
        assert_eq!(status, 405, "{method}: {head}");
        assert!(head.contains("allow: GET, HEAD"), "{head}");
    }
    let (status, head, body) = server.raw(&format!(
        "HEAD / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    ));
    assert_eq!(status, 200, "{head}");
    assert!(body.is_empty());
    assert!(!root.join("public").exists());
}

#[test]
fn serve_watches_an_input_outside_the_watched_folders() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("paper");
    let r = galley(&["new", root.to_str().unwrap()], dir.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    // The bibliography moves to refs/, named in manuscript.yaml.
    std::fs::create_dir(root.join("refs")).unwrap();
    std::fs::rename(
        root.join("bibliography/references.bib"),
        root.join("refs/references.bib"),
    )
    .unwrap();
    std::fs::remove_dir(root.join("bibliography")).unwrap();
    let manifest = root.join("manuscript/manuscript.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text + "bibliography: [refs/references.bib]\n").unwrap();

    let server = Server::start(&root);
    let rx = server.events();
    assert_eq!(generation(&next_event(&rx, "reload", 10)), 1);
    let bib = root.join("refs/references.bib");
    let text = std::fs::read_to_string(&bib).unwrap();
    assert!(text.contains("{Literate Programming}"));
    std::fs::write(
        &bib,
        text.replace("{Literate Programming}", "{Literate Zebras}"),
    )
    .unwrap();
    assert_eq!(generation(&next_event(&rx, "reload", 30)), 2);
    assert!(server.get("/").1.contains("Literate Zebras"));
}
