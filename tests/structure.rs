//! The shape of the code (ARCHITECTURE.md): the stages depend on one
//! another in one direction only, no two modules import each other (but a
//! module and its own submodules, which are one unit), and no source file
//! is over 600 lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The stages, from the top: a module may use only those of a lower rank
/// (and its own stage).
const RANKS: &[(&str, u8)] = &[
    ("commands", 8),
    ("pipeline", 7),
    ("site", 6),
    ("render", 5),
    ("assemble", 4),
    ("figures", 3),
    ("load", 2),
    ("model", 1),
    ("diag", 0),
    ("cache", 0),
];

fn rank(stage: &str) -> Option<u8> {
    RANKS.iter().find(|(s, _)| *s == stage).map(|(_, r)| *r)
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `src/a/b/mod.rs` → ["a", "b"]; `src/a/c.rs` → ["a", "c"].
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The code of a file without its comments.
fn code(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn stages_depend_one_way_without_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut modules: BTreeMap<Vec<String>, String> = BTreeMap::new();
    for f in &files {
        let m = module_of(&src, f);
        if m == ["main"] || m == ["lib"] {
            continue;
        }
        modules.insert(m, code(&std::fs::read_to_string(f).unwrap()));
    }
    let path = regex::Regex::new(r"\b(crate|super)((?:::\w+)+)").unwrap();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    let mut upward = Vec::new();
    for (m, text) in &modules {
        for c in path.captures_iter(text) {
            let segs: Vec<String> = c[2]
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            let mut full = if &c[1] == "crate" {
                Vec::new()
            } else {
                m[..m.len() - 1].to_vec()
            };
            full.extend(segs);
            // The longest prefix that is a module.
            let Some(target) = (1..=full.len())
                .rev()
                .map(|k| full[..k].to_vec())
                .find(|k| modules.contains_key(k))
            else {
                continue;
            };
            // A module and its submodules are one unit.
            if target.starts_with(m) || m.starts_with(&target) {
                continue;
            }
            if let (Some(from), Some(to)) = (rank(&m[0]), rank(&target[0])) {
                if m[0] != target[0] && to >= from {
                    upward.push(format!("{} uses {}", m.join("::"), target.join("::")));
                }
            }
            edges.entry(m.clone()).or_default().insert(target);
        }
    }
    upward.sort();
    upward.dedup();
    assert!(upward.is_empty(), "uses of a stage above: {upward:#?}");
    // A cycle: a module that reaches itself.
    let mut cycles = Vec::new();
    for start in modules.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<Vec<String>> = edges.get(start).into_iter().flatten().cloned().collect();
        while let Some(n) = stack.pop() {
            if &n == start {
                cycles.push(start.join("::"));
                break;
            }
            if seen.insert(n.clone()) {
                stack.extend(edges.get(&n).into_iter().flatten().cloned());
            }
        }
    }
    assert!(cycles.is_empty(), "modules in an import cycle: {cycles:#?}");
}

#[test]
fn no_source_file_is_over_600_lines() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).unwrap().lines().count();
            (n > 600).then(|| format!("{}: {n} lines", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "{long:#?}");
}

/// Functions fit on a screen or two: none over 120 lines.
#[test]
fn no_function_is_over_120_lines() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let start = regex::Regex::new(r"^(\s*)(pub(\([^)]*\))? )?(const )?(async )?fn (\w+)").unwrap();
    let mut long = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(c) = start.captures(line) else {
                continue;
            };
            if line.trim_end().ends_with(';') {
                continue;
            }
            // The function ends at the first `}` at its indentation.
            let close = format!("{}}}", &c[1]);
            let end = lines[i + 1..]
                .iter()
                .position(|l| l.trim_end() == close)
                .map_or(lines.len(), |j| i + 1 + j);
            let n = end - i + 1;
            if n > 120 {
                long.push(format!("{}:{} {} ({n} lines)", f.display(), i + 1, &c[6]));
            }
        }
    }
    assert!(long.is_empty(), "{long:#?}");
}
