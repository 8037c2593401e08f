//! The dev profile names every crate that runs only while compiling (proc
//! macros, build scripts and their dependencies) to build it unoptimised:
//! the list in Cargo.toml must be what `cargo tree` says it is, or a new
//! proc macro would quietly be optimised (slower cold builds) and a crate
//! that became a runtime dependency would quietly run unoptimised.

use std::collections::BTreeSet;
use std::process::Command;

fn tree(edges: &str) -> BTreeSet<String> {
    let r = Command::new(env!("CARGO"))
        .args(["tree", "--offline", "--locked", "--prefix", "none"])
        .args(["--edges", edges, "--format", "{p}"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree");
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    String::from_utf8_lossy(&r.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[test]
fn the_dev_profile_names_exactly_the_crates_that_run_only_while_compiling() {
    let all = tree("normal,build,dev");
    let runtime = tree("normal,dev,no-proc-macro");
    let build_only: BTreeSet<String> = all.difference(&runtime).cloned().collect();

    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .expect("Cargo.toml");
    let section = manifest
        .split("[profile.dev.package]")
        .nth(1)
        .and_then(|s| s.split("\n[").next())
        .expect("a [profile.dev.package] table");
    let listed: BTreeSet<String> = section
        .lines()
        .filter(|l| l.contains("opt-level = 0"))
        .filter_map(|l| l.split('=').next())
        .map(|n| n.trim().to_string())
        .collect();
    let missing: Vec<_> = build_only.difference(&listed).collect();
    let extra: Vec<_> = listed.difference(&build_only).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "[profile.dev.package] in Cargo.toml: add {missing:?} (build-time only), \
         remove {extra:?} (not build-time only any more)"
    );
}
