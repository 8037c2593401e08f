//! The built paper in a real browser: Debian's Chromium driven by
//! playwright-core, axe-core (WCAG 2.1 AA, light, dark and phone) and the W3C
//! Nu HTML checker. The checks live in tests/browser/check.mjs; .ci/run
//! installs chromium, Java's checker jar and the npm packages.

mod common;
use common::*;

#[test]
fn the_site_in_a_real_browser() {
    let browser_dir = repo().join("tests/browser");
    assert!(
        browser_dir.join("node_modules/playwright-core").is_dir(),
        "run `npm ci --ignore-scripts --prefix tests/browser` first (.ci/run does)"
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
        assert!(shots.join(shot).is_file(), "{shot}");
    }
}
