//! `galley publish`: the site served by a real static server under a
//! subpath, crawled link by link; publishing to a git branch.

mod common;
use common::*;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use url::Url;

/// Python's http.server serving `dir` on 127.0.0.1; stopped on drop.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(dir: &Path, port: u16) -> Server {
        let child = Command::new("python3")
            .args([
                "-m",
                "http.server",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .arg("--directory")
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m http.server");
        let server = Server { child, port };
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "http.server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// GET a path: status and body.
    fn get(&self, path: &str) -> (u16, Vec<u8>) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\n\r\n",
            self.port
        )
        .unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let head_end = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("HTTP response");
        let head = String::from_utf8_lossy(&raw[..head_end]);
        let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
        (status, raw[head_end + 4..].to_vec())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn unescape(s: &str) -> String {
    s.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
}

/// Crawl the site at `base` from its index and 404 pages: every page,
/// stylesheet, image, figure and download linked must answer 200, and every
/// fragment must name an id of its page. Returns the URLs fetched.
fn crawl(server: &Server, base: &Url) -> BTreeSet<String> {
    let attr =
        regex::Regex::new(r#"\s(href|src|poster|srcset|xlink:href)\s*=\s*(?:"([^"]*)"|'([^']*)')"#)
            .unwrap();
    let id = regex::Regex::new(r#"\sid\s*=\s*"([^"]*)""#).unwrap();
    let css_url = regex::Regex::new(r#"url\(\s*['"]?([^'")]+)['"]?\s*\)"#).unwrap();
    let mut queue = vec![
        (base.clone(), "(start)".to_string()),
        (base.join("404.html").unwrap(), "(start)".to_string()),
    ];
    // A folder's URL and its index.html are one page.
    let page_key = |u: &Url| {
        let mut u = u.clone();
        u.set_fragment(None);
        u.to_string()
            .strip_suffix("index.html")
            .map(str::to_string)
            .unwrap_or_else(|| u.to_string())
    };
    let mut fetched: BTreeSet<String> = BTreeSet::new();
    let mut ids: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut fragments: Vec<(Url, String)> = Vec::new();
    while let Some((mut url, from)) = queue.pop() {
        if url.fragment().is_some_and(|f| !f.is_empty()) {
            fragments.push((url.clone(), from.clone()));
        }
        url.set_fragment(None);
        if !fetched.insert(url.to_string()) {
            continue;
        }
        let (status, body) = server.get(url.path());
        assert_eq!(status, 200, "{url} (linked from {from}) answered {status}");
        let path = url.path().to_string();
        let mut links = Vec::new();
        if path.ends_with('/') || path.ends_with(".html") {
            let html = String::from_utf8(body).unwrap();
            ids.insert(
                page_key(&url),
                id.captures_iter(&html).map(|c| unescape(&c[1])).collect(),
            );
            for c in attr.captures_iter(&html) {
                let value = unescape(c.get(2).or(c.get(3)).unwrap().as_str());
                if &c[1] == "srcset" {
                    links.extend(
                        value
                            .split(',')
                            .filter_map(|s| s.split_whitespace().next())
                            .map(str::to_string),
                    );
                } else {
                    links.push(value);
                }
            }
        } else if path.ends_with(".css") {
            let css = String::from_utf8(body).unwrap();
            links.extend(
                css_url
                    .captures_iter(&css)
                    .map(|c| c[1].to_string())
                    .filter(|u| !u.starts_with("data:")),
            );
        } else if path.ends_with(".pdf") {
            assert!(body.starts_with(b"%PDF-"), "{url} is not a PDF");
        }
        for link in links {
            let target = url.join(&link).unwrap();
            if !matches!(target.scheme(), "http" | "https") {
                continue;
            }
            if target.host_str() != base.host_str() || target.port() != base.port() {
                continue;
            }
            assert!(
                target.path().starts_with(base.path()),
                "{link} in {url} leaves the site at {base}"
            );
            queue.push((target, url.to_string()));
        }
    }
    assert!(fragments.len() > 5, "{fragments:?}");
    for (target, from) in fragments {
        let page = page_key(&target);
        let fragment = target.fragment().unwrap();
        if page.ends_with(".pdf") {
            continue;
        }
        let page_ids = ids
            .get(&page)
            .unwrap_or_else(|| panic!("{page} was not crawled"));
        assert!(
            page_ids.contains(fragment),
            "#{fragment} (linked from {from}) is no id of {page}"
        );
    }
    fetched
}

fn publish_to(root: &Path, dir: &Path, base: &str) -> Run {
    galley(
        &[
            "publish",
            "--root",
            root.to_str().unwrap(),
            "--dir",
            dir.to_str().unwrap(),
            "--base-url",
            base,
        ],
        root,
    )
}

#[test]
fn the_paper_served_under_a_subpath_resolves_every_link() {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}/paper/");
    let serve = tempfile::tempdir().unwrap();
    let site = serve.path().join("paper");
    let r = publish_to(&repo(), &site, &base);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stdout.contains("published"), "{}", r.stdout);

    for f in [
        ".nojekyll",
        ".galley-publish",
        "404.html",
        "sitemap.xml",
        "index.html",
    ] {
        assert!(site.join(f).is_file(), "{f}");
    }
    let pdf = "ketamine-ptsd-systematic-review.pdf";
    assert!(site.join(pdf).is_file(), "the PDF keeps its name");
    let html = std::fs::read_to_string(site.join("index.html")).unwrap();
    let hashed = regex::Regex::new(r#"href="(assets/galley\.[0-9a-f]{10}\.css)""#).unwrap();
    let css = hashed.captures(&html).expect("a hashed stylesheet")[1].to_string();
    assert!(site.join(&css).is_file());
    assert!(!site.join("assets/galley.css").exists());
    assert!(
        regex::Regex::new(r#"src="assets/galley\.[0-9a-f]{10}\.js""#)
            .unwrap()
            .is_match(&html)
    );

    // Absolute URLs where indexers and link previews need them.
    for needle in [
        format!("<link rel=\"canonical\" href=\"{base}\">"),
        format!("<meta name=\"citation_pdf_url\" content=\"{base}{pdf}\">"),
        format!("<meta property=\"og:url\" content=\"{base}\">"),
        "<meta property=\"og:type\" content=\"article\">".to_string(),
        "<meta property=\"og:site_name\" content=\"Acta Psychiatrica Scandinavica\">".to_string(),
        "<meta name=\"twitter:card\" content=\"summary\">".to_string(),
    ] {
        assert!(html.contains(&needle), "{needle}");
    }
    let sitemap = std::fs::read_to_string(site.join("sitemap.xml")).unwrap();
    assert!(sitemap.contains(&format!("<loc>{base}</loc>")), "{sitemap}");
    assert!(
        sitemap.contains(&format!("<loc>{base}{pdf}</loc>")),
        "{sitemap}"
    );

    let server = Server::start(serve.path(), port);
    let fetched = crawl(&server, &Url::parse(&base).unwrap());
    for want in [
        css.as_str(),
        pdf,
        "ketamine-ptsd-systematic-review.bib",
        "data/studies.csv",
    ] {
        assert!(
            fetched.contains(&format!("{base}{want}")),
            "{want} not reached: {fetched:?}"
        );
    }
    // Every absolute URL in the metadata and the sitemap answers too.
    let abs = regex::Regex::new(r#"(?:content="|<loc>)(http://127\.0\.0\.1:\d+/[^"<]*)"#).unwrap();
    for text in [&html, &sitemap] {
        for c in abs.captures_iter(text) {
            let u = Url::parse(&c[1]).unwrap();
            assert_eq!(server.get(u.path()).0, 200, "{u}");
        }
    }
    drop(server);

    // Publishing again gives the same bytes, into the same folder (a
    // previous publish) or another.
    let first = snapshot(&site);
    let r = publish_to(&repo(), &site, &base);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert_eq!(snapshot(&site), first);
    let other = serve.path().join("again");
    let r = publish_to(&repo(), &other, &base);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(snapshot(&other) == first, "two publishes differ");

    // A dry run against the same site changes nothing.
    let r = galley(
        &[
            "publish",
            "--dir",
            site.to_str().unwrap(),
            "--base-url",
            &base,
            "--dry-run",
        ],
        &repo(),
    );
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stdout.contains("nothing would change"), "{}", r.stdout);
}

/// A project from `galley new --theme` with an image figure, a font the
/// stylesheet loads and a template that links a static file by name.
fn themed_project(dir: &Path) -> PathBuf {
    let r = galley(&["new", "--theme", "themed"], dir);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let root = dir.join("themed");
    let section = root.join("manuscript/sections/02-results.md");
    let mut text = std::fs::read_to_string(&section).unwrap();
    text.push_str(
        "\n{{ figure(id=\"fig-logo\", src=\"figures/logo.svg\", alt=\"A logo\", caption=\"The logo.\") }}\n\n\
         The logo is in @fig-logo; [the file itself](figures/logo.svg).\n",
    );
    std::fs::write(&section, text).unwrap();
    write_files(
        &root,
        &[
            (
                "manuscript/figures/logo.svg",
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>\n",
            ),
            ("theme/static/fonts/body.woff2", "not really a font"),
        ],
    );
    let css = root.join("theme/static/galley.css");
    let mut text = std::fs::read_to_string(&css).unwrap();
    text.push_str(
        "\n@font-face { font-family: Body; src: url(\"fonts/body.woff2\") format(\"woff2\"); }\n",
    );
    std::fs::write(&css, text).unwrap();
    let tpl = root.join("theme/templates/article.html");
    let text = std::fs::read_to_string(&tpl).unwrap().replace(
        "</footer>",
        "<p><a href=\"{{ page.assets[\"fonts/body.woff2\"] }}\">font</a></p>\n</footer>",
    );
    std::fs::write(&tpl, text).unwrap();
    root
}

#[test]
fn a_themed_project_with_figures_and_fonts_resolves_at_a_domain_root() {
    let tmp = tempfile::tempdir().unwrap();
    let root = themed_project(tmp.path());
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}/");
    let site = tmp.path().join("site");
    let r = publish_to(&root, &site, &base);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let html = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(
        regex::Regex::new(r#"<img src="figures/logo\.[0-9a-f]{10}\.svg""#)
            .unwrap()
            .is_match(&html),
        "the figure carries its hash"
    );
    let server = Server::start(&site, port);
    let fetched = crawl(&server, &Url::parse(&base).unwrap());
    let font = regex::Regex::new(r"assets/fonts/body\.[0-9a-f]{10}\.woff2$").unwrap();
    assert!(fetched.iter().any(|u| font.is_match(u)), "{fetched:?}");
}

#[test]
fn broken_links_fail_the_publish_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let r = galley(&["new", "paper"], tmp.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    let root = tmp.path().join("paper");
    let section = root.join("manuscript/sections/01-introduction.md");
    let mut text = std::fs::read_to_string(&section).unwrap();
    text.push_str("\nSee [the methods](#sec-methods) and [the appendix](appendix.html).\n");
    std::fs::write(&section, text).unwrap();
    let site = tmp.path().join("site");
    let r = publish_to(&root, &site, "https://user.github.io/paper/");
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("index.html:")
            && r.stderr.contains(
                "broken link `#sec-methods`: this page has no element with id `sec-methods`"
            ),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("broken link `appendix.html`: the site has no file `appendix.html`"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("nothing was published"), "{}", r.stderr);
    assert!(!site.exists());
    // Each broken link quoted in its page, with a caret.
    snapshot_stderr(&r.stderr, &root);

    // A theme link that starts at the host root breaks under a subpath.
    let r = galley(&["new", "--theme", "themed"], tmp.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    let themed = tmp.path().join("themed");
    let tpl = themed.join("theme/templates/article.html");
    let text = std::fs::read_to_string(&tpl)
        .unwrap()
        .replace("href=\"{{ page.css }}\"", "href=\"/assets/galley.css\"");
    std::fs::write(&tpl, text).unwrap();
    let r = publish_to(&themed, &site, "https://user.github.io/paper/");
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("broken link `/assets/galley.css`: it leaves the site"),
        "{}",
        r.stderr
    );
    assert!(!site.exists());
}

#[test]
fn publish_needs_a_base_url_and_a_safe_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let r = galley(&["new", "paper"], tmp.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    let root = tmp.path().join("paper");
    let r = galley(&["publish", "--dir", "../site"], &root);
    assert_eq!(r.status, 2, "{}", r.stderr);
    assert!(r.stderr.contains("pass --base-url URL"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("or set base_url in manuscript/manuscript.yaml"),
        "{}",
        r.stderr
    );
    let r = galley(&["publish", "--base-url", "user.github.io/paper"], &root);
    assert_eq!(r.status, 2, "{}", r.stderr);
    assert!(r.stderr.contains("is not an absolute URL"), "{}", r.stderr);

    // base_url from manuscript.yaml; the default folder is public/.
    let yaml = root.join("manuscript/manuscript.yaml");
    let mut text = std::fs::read_to_string(&yaml).unwrap();
    text.push_str("base_url: https://example.org/paper\n");
    std::fs::write(&yaml, text).unwrap();
    let r = galley(&["publish"], &root);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let html = std::fs::read_to_string(root.join("public/index.html")).unwrap();
    assert!(html.contains("<link rel=\"canonical\" href=\"https://example.org/paper/\">"));

    // A folder holding .git, or other files, is not a previous publish.
    let git_dir = tmp.path().join("checkout");
    write_files(
        &git_dir,
        &[
            (".git/HEAD", "ref: refs/heads/main\n"),
            ("README.md", "mine"),
        ],
    );
    let r = galley(&["publish", "--dir", git_dir.to_str().unwrap()], &root);
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("it holds .git and is not a previous publish"),
        "{}",
        r.stderr
    );
    let other = tmp.path().join("other");
    write_files(&other, &[("notes.txt", "mine")]);
    let r = galley(&["publish", "--dir", other.to_str().unwrap()], &root);
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("it holds notes.txt, which no galley build wrote"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(other.join("notes.txt")).unwrap(),
        "mine"
    );

    // With the marker, a checkout is replaced but for its .git.
    write_files(&git_dir, &[(".galley-publish", "")]);
    let r = galley(&["publish", "--dir", git_dir.to_str().unwrap()], &root);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(git_dir.join(".git/HEAD").is_file());
    assert!(!git_dir.join("README.md").exists());
    assert!(git_dir.join("index.html").is_file());
}

#[test]
fn publish_to_a_branch_commits_the_site_and_touches_nothing_else() {
    let tmp = tempfile::tempdir().unwrap();
    let r = galley(&["new", "paper"], tmp.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    let root = tmp.path().join("paper");
    let base = "https://user.github.io/paper/";
    let publish = |extra: &[&str]| {
        let mut args = vec!["publish", "--branch", "gh-pages", "--base-url", base];
        args.extend_from_slice(extra);
        galley(&args, &root)
    };

    // Not a git repository yet.
    let r = publish(&[]);
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert!(r.stderr.contains("is not inside one"), "{}", r.stderr);

    first_commit(&root);
    let head = git(&["rev-parse", "HEAD"], &root);
    let index = std::fs::read(root.join(".git/index")).unwrap();

    let r = publish(&[]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("to gh-pages (new branch)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("git push origin gh-pages"),
        "{}",
        r.stdout
    );
    let first = git(&["rev-parse", "gh-pages"], &root);
    // The working tree, the index, HEAD and the current branch are as before.
    assert_eq!(git(&["rev-parse", "HEAD"], &root), head);
    assert_eq!(git(&["symbolic-ref", "HEAD"], &root), "refs/heads/main");
    assert_eq!(git(&["status", "--porcelain"], &root), "");
    assert_eq!(std::fs::read(root.join(".git/index")).unwrap(), index);
    assert!(!root.join("public").exists());
    // The commit: the site as the whole tree, no parent, the source named.
    let tree = git(&["ls-tree", "-r", "--name-only", "gh-pages"], &root);
    let names: BTreeSet<&str> = tree.lines().collect();
    for f in [
        ".nojekyll",
        ".galley-publish",
        "404.html",
        "index.html",
        "sitemap.xml",
        "a-reproducible-manuscript.pdf",
        "a-reproducible-manuscript.bib",
        "data/trials.csv",
        "manifest.json",
    ] {
        assert!(names.contains(f), "{f} not in {names:?}");
    }
    assert!(
        !names.iter().any(|n| n.starts_with("manuscript/")),
        "{names:?}"
    );
    assert!(names
        .iter()
        .any(|n| regex::Regex::new(r"^assets/galley\.[0-9a-f]{10}\.css$")
            .unwrap()
            .is_match(n)));
    assert_eq!(git(&["rev-list", "--count", "gh-pages"], &root), "1");
    let message = git(&["log", "-1", "--format=%B", "gh-pages"], &root);
    assert!(
        message.contains(&format!("built from {head}\n")),
        "{message}"
    );
    assert!(!message.contains("dirty"), "{message}");
    assert_eq!(
        git(&["log", "-1", "--format=%an", "gh-pages"], &root),
        "Ada Lovelace"
    );

    // The same site again: no empty commit.
    let r = publish(&[]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("gh-pages already holds this site"),
        "{}",
        r.stdout
    );
    assert_eq!(git(&["rev-parse", "gh-pages"], &root), first);

    // An uncommitted change: a dry run lists it and commits nothing...
    let section = root.join("manuscript/sections/01-introduction.md");
    let mut text = std::fs::read_to_string(&section).unwrap();
    text.push_str("\nA sentence added later.\n");
    std::fs::write(&section, &text).unwrap();
    let r = publish(&["--dry-run"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stdout.contains("change  index.html"), "{}", r.stdout);
    assert!(
        r.stdout.contains("in branch gh-pages; nothing was written"),
        "{}",
        r.stdout
    );
    assert_eq!(git(&["rev-parse", "gh-pages"], &root), first);
    // ...and a publish marks the source as dirty, on top of the first.
    let r = publish(&[]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stdout.contains("uncommitted changes"), "{}", r.stdout);
    let second = git(&["rev-parse", "gh-pages"], &root);
    assert_ne!(second, first);
    assert_eq!(git(&["rev-parse", "gh-pages^"], &root), first);
    let message = git(&["log", "-1", "--format=%B", "gh-pages"], &root);
    assert!(
        message.contains(&format!("built from {head}-dirty")),
        "{message}"
    );
    assert_eq!(
        git(&["status", "--porcelain"], &root),
        "M manuscript/sections/01-introduction.md"
    );

    // Committed: the third publish names the new commit; the parent chain
    // holds all three.
    git(&["commit", "-q", "-am", "Second draft"], &root);
    let head2 = git(&["rev-parse", "HEAD"], &root);
    std::fs::write(&section, text + "\nAnd one more.\n").unwrap();
    git(&["commit", "-q", "-am", "Third draft"], &root);
    let head3 = git(&["rev-parse", "HEAD"], &root);
    assert_ne!(head2, head3);
    let r = publish(&[]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert_eq!(git(&["rev-parse", "gh-pages^"], &root), second);
    assert_eq!(git(&["rev-list", "--count", "gh-pages"], &root), "3");
    let message = git(&["log", "-1", "--format=%B", "gh-pages"], &root);
    assert!(
        message.contains(&format!("built from {head3}\n")),
        "{message}"
    );
    assert_eq!(git(&["rev-parse", "HEAD"], &root), head3);
    assert_eq!(git(&["symbolic-ref", "HEAD"], &root), "refs/heads/main");
    assert_eq!(git(&["status", "--porcelain"], &root), "");

    // The branch checked out here is refused, as is a bad name.
    let r = galley(&["publish", "--branch", "main", "--base-url", base], &root);
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("it is the branch checked out here"),
        "{}",
        r.stderr
    );
    let r = galley(
        &["publish", "--branch", "bad..name", "--base-url", base],
        &root,
    );
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("is not a valid branch name"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_custom_domain_file_survives_the_next_publish() {
    let tmp = tempfile::tempdir().unwrap();
    let r = galley(&["new", "paper"], tmp.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    let root = tmp.path().join("paper");
    let base = "https://paper.example.org/";

    // To a folder: the host's CNAME is kept.
    let site = tmp.path().join("site");
    let to_folder = || {
        galley(
            &[
                "publish",
                "--dir",
                site.to_str().unwrap(),
                "--base-url",
                base,
            ],
            &root,
        )
    };
    let r = to_folder();
    assert_eq!(r.status, 0, "{}", r.stderr);
    std::fs::write(site.join("CNAME"), "paper.example.org\n").unwrap();
    let r = to_folder();
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(site.join("CNAME")).unwrap(),
        "paper.example.org\n"
    );

    // To a branch: a CNAME committed there (as GitHub's settings do) stays.
    first_commit(&root);
    let publish = || {
        galley(
            &["publish", "--branch", "gh-pages", "--base-url", base],
            &root,
        )
    };
    let r = publish();
    assert_eq!(r.status, 0, "{}", r.stderr);
    let pages = tmp.path().join("pages");
    git(
        &["worktree", "add", "-q", pages.to_str().unwrap(), "gh-pages"],
        &root,
    );
    std::fs::write(pages.join("CNAME"), "paper.example.org\n").unwrap();
    git(&["add", "CNAME"], &pages);
    git(&["commit", "-q", "-m", "Create CNAME"], &pages);
    git(&["worktree", "remove", pages.to_str().unwrap()], &root);
    std::fs::write(
        root.join("manuscript/sections/02-results.md"),
        std::fs::read_to_string(root.join("manuscript/sections/02-results.md")).unwrap()
            + "\nOne more sentence.\n",
    )
    .unwrap();
    let r = publish();
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert_eq!(git(&["show", "gh-pages:CNAME"], &root), "paper.example.org");
    assert!(git(&["show", "gh-pages:index.html"], &root).contains("One more sentence."));
}
