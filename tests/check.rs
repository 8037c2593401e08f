//! `galley check`: every validation of build, nothing written.

mod common;
use common::*;

#[test]
fn check_on_the_paper_reports_the_prisma_mismatch_and_writes_nothing() {
    let dir = paper_copy();
    let r = galley(&["check"], dir.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("warning: manuscript/data/prisma.yaml:14:1: PRISMA counts do not add up: identified − removed before screening = screened (3767 − 1809 = 1958, but 1934 were screened)"),
        "{}",
        r.stderr
    );
    assert!(!dir.path().join("public").exists(), "check wrote output");
    let strict = galley(&["check", "--deny-warnings"], dir.path());
    assert_eq!(strict.status, 1, "{}", strict.stderr);
    assert!(strict.stderr.contains("denied by --deny-warnings"));
}

#[test]
fn a_number_typed_by_hand_names_the_data_value() {
    let dir = project(&[
        ("manuscript/manuscript.yaml", &manifest("", &["sections/a.md"])),
        ("manuscript/sections/a.md", "# A\n\nIn all 323 people took part, {{ data.s | length }} trials, in 2021, over 24 h.\n"),
        ("manuscript/data/s.yaml", "- {n: 158, age: 24}\n- {n: 165, age: 30}\n"),
    ]);
    let r = galley(&["check"], dir.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("manuscript/sections/a.md:3:8: `323` is typed by hand but the data defines it as `data.s | map(attribute=\"n\") | sum`"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("`24`"),
        "durations are not data references: {}",
        r.stderr
    );
    assert_eq!(r.stderr.matches("typed by hand").count(), 1, "{}", r.stderr);
}

#[test]
fn checks_in_the_manifest_are_warnings_with_their_message() {
    let extra = "checks:\n  - assert: data.s | length == 3\n    message: three trials are expected\n  - assert: data.s | length > 0\n    message: there are trials\n";
    let dir = project(&[
        (
            "manuscript/manuscript.yaml",
            &manifest(extra, &["sections/a.md"]),
        ),
        ("manuscript/sections/a.md", "# A\n\nText.\n"),
        ("manuscript/data/s.yaml", "- {n: 1}\n- {n: 2}\n"),
    ]);
    let r = galley(&["check"], dir.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("check failed: three trials are expected (`data.s | length == 3` is false)"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("there are trials"), "{}", r.stderr);
    assert!(
        r.stderr.contains("where data.s | length = 2"),
        "values named: {}",
        r.stderr
    );
    assert!(
        r.stderr.contains("manuscript/manuscript.yaml:10:13:"),
        "{}",
        r.stderr
    );
    assert_eq!(galley(&["check", "--deny-warnings"], dir.path()).status, 1);
}

#[test]
fn a_check_that_cannot_be_evaluated_is_an_error() {
    let extra = "checks:\n  - assert: data.nothing.here > 1\n    message: impossible\n";
    let dir = project(&[
        (
            "manuscript/manuscript.yaml",
            &manifest(extra, &["sections/a.md"]),
        ),
        ("manuscript/sections/a.md", "# A\n\nText.\n"),
    ]);
    let r = galley(&["check"], dir.path());
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert!(r.stderr.contains("cannot be evaluated"), "{}", r.stderr);
}
