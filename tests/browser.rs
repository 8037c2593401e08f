//! The built paper in a real browser: Debian's Chromium driven by
//! playwright-core, axe-core (WCAG 2.1 AA, light, dark and phone) and the W3C
//! Nu HTML checker. The checks live in tests/browser/check.mjs;
//! tests/provision.sh installs chromium, Java's checker jar and the npm
//! packages.

mod common;
use common::*;

#[test]
fn the_site_in_a_real_browser() {
    let browser_dir = repo().join("tests/browser");
    assert!(
        browser_dir.join("node_modules/playwright-core").is_dir(),
        "run `npm ci --ignore-scripts --prefix tests/browser` first (tests/provision.sh does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let r = galley(
        &[
            "build",
            "--root",
            repo().to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        &repo(),
    );
    assert_eq!(r.status, 0, "{}", r.stderr);
    let shots = repo().join("target/browser-shots");
    // Screenshots of an earlier run must not pass for this one's.
    let _ = std::fs::remove_dir_all(&shots);
    let run = std::process::Command::new("node")
        .arg(browser_dir.join("check.mjs"))
        .arg(&out)
        .arg(&shots)
        .current_dir(&browser_dir)
        .output()
        .expect("node");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    println!("{stdout}");
    assert!(
        run.status.success(),
        "browser checks failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("browser: all checks passed"));
    assert!(
        stdout.matches("\nok ").count() + usize::from(stdout.starts_with("ok ")) >= 18,
        "{stdout}"
    );
    for shot in [
        "desktop-light.png",
        "desktop-dark.png",
        "phone-light.png",
        "phone-dark.png",
    ] {
        let png = std::fs::read(shots.join(shot)).unwrap_or_default();
        assert!(
            png.len() > 1000 && png.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{shot} was not taken by this run"
        );
    }
}

#[test]
fn galley_serve_in_a_real_browser() {
    let browser_dir = repo().join("tests/browser");
    assert!(
        browser_dir.join("node_modules/playwright-core").is_dir(),
        "run `npm ci --ignore-scripts --prefix tests/browser` first (tests/provision.sh does)"
    );
    let dir = paper_copy();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_galley"))
        .args(["serve", "--port", "0", "--root"])
        .arg(dir.path())
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start galley serve");
    // Read the URL, then keep draining the log so the server never blocks.
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let url = loop {
        match rx.recv_timeout(std::time::Duration::from_secs(120)) {
            Ok(line) => {
                if let Some(at) = line.find("http://") {
                    break line[at..].split_whitespace().next().unwrap().to_string();
                }
            }
            Err(_) => {
                let _ = child.kill();
                panic!("galley serve did not start");
            }
        }
    };
    let run = std::process::Command::new("node")
        .arg(browser_dir.join("serve.mjs"))
        .arg(&url)
        .arg(dir.path())
        .current_dir(&browser_dir)
        .output()
        .expect("node");
    let _ = child.kill();
    let _ = child.wait();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    println!("{stdout}");
    assert!(
        run.status.success(),
        "serve browser checks failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("browser (serve): all checks passed"));
    assert_eq!(
        stdout.matches("\nok ").count() + usize::from(stdout.starts_with("ok ")),
        14,
        "{stdout}"
    );
}
