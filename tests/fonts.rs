//! Scripts galley's embedded fonts lack: the project's fonts in
//! theme/fonts/ are used (and hashed into the manifest), system fonts are a
//! fallback with a warning naming the font, and a character no font has is
//! an error at the line that writes it.

mod common;
use common::*;

use std::path::Path;

/// A CJK font of the system (Debian's fonts-wqy-microhei, which
/// tests/provision.sh installs).
const WQY: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

fn project(text: &str) -> tempfile::TempDir {
    assert!(
        Path::new(WQY).is_file(),
        "{WQY} is missing: install Debian's fonts-wqy-microhei (tests/provision.sh does)"
    );
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            (
                "manuscript/manuscript.yaml",
                "title: Scripts\nauthors:\n  - name: Ada Lovelace\nsections:\n  - sections/a.md\n",
            ),
            ("manuscript/sections/a.md", text),
        ],
    );
    dir
}

fn pdf_fonts(dir: &Path) -> String {
    let out = std::process::Command::new("pdffonts")
        .arg(dir.join("public/scripts.pdf"))
        .output()
        .expect("pdffonts (poppler-utils)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const TEXT: &str = "# 引言\n\n中文文本, العربية, עברית and हिन्दी in one paragraph.\n";

#[test]
fn a_system_font_is_a_fallback_with_a_warning() {
    let dir = project(TEXT);
    let r = galley(&["build"], dir.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("in the system font `WenQuanYi Micro Hei`")
            && r.stderr.contains("put a font for them in theme/fonts/"),
        "{}",
        r.stderr
    );
    assert!(pdf_fonts(dir.path()).contains("WenQuanYiMicroHei"));
}

#[test]
fn the_themes_fonts_are_used_and_hashed() {
    let dir = project(TEXT);
    std::fs::create_dir_all(dir.path().join("theme/fonts")).unwrap();
    std::fs::copy(WQY, dir.path().join("theme/fonts/wqy-microhei.ttc")).unwrap();
    let r = galley(&["build"], dir.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("system font"), "{}", r.stderr);
    assert!(pdf_fonts(dir.path()).contains("WenQuanYiMicroHei"));
    let manifest = std::fs::read_to_string(dir.path().join("public/manifest.json")).unwrap();
    assert!(
        manifest.contains("\"path\": \"theme/fonts/wqy-microhei.ttc\""),
        "{manifest}"
    );
    let first = std::fs::read(dir.path().join("public/scripts.pdf")).unwrap();
    assert_eq!(galley(&["build"], dir.path()).status, 0);
    assert_eq!(
        first,
        std::fs::read(dir.path().join("public/scripts.pdf")).unwrap()
    );
    // A file there that is no font is an error naming it.
    std::fs::write(dir.path().join("theme/fonts/broken.otf"), "not a font").unwrap();
    let r = galley(&["build"], dir.path());
    assert_eq!(r.status, 1);
    assert!(
        r.stderr
            .contains("theme/fonts/broken.otf: not a font Typst can read"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_character_no_font_has_is_an_error_at_its_line() {
    // Linear B: in no font of galley's, the theme's or the system's.
    let dir = project("# A\n\nfine\n\nThe sign 𐀀 here.\n");
    let r = galley(&["build"], dir.path());
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("manuscript/sections/a.md:5:10: no font has the character `𐀀` (U+10000)"),
        "{}",
        r.stderr
    );
    assert!(!dir.path().join("public").exists());
}
