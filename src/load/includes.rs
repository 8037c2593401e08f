//! Files a section includes with Quarto's `{{< include file >}}`, read
//! with the sections so the assembler can put their text in place (and
//! `serve` watches them). A path is relative to the including file and must
//! stay inside the project.

use std::path::{Component, Path, PathBuf};

/// Includes inside includes, at most this deep (a cycle stops here too).
pub const MAX_DEPTH: usize = 8;

/// The project-relative path `arg` names from the file `from`.
pub fn include_path(from: &Path, arg: &str) -> Option<PathBuf> {
    let arg = arg.trim_matches(['"', '\'']);
    let mut out = from.parent().map(Path::to_path_buf).unwrap_or_default();
    for c in Path::new(arg).components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

/// The arguments of the include shortcodes in `text`, outside fenced
/// code, with their byte ranges.
pub fn includes(text: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut fences = crate::model::fences::Fences::default();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if !fences.code(line) {
            let mut from = 0;
            while let Some(i) = line[from..].find("{{<") {
                let s = from + i;
                let Some(close) = line[s..].find(">}}") else {
                    break;
                };
                let inner = &line[s + 3..s + close];
                let mut words = inner.split_whitespace();
                if words.next() == Some("include") {
                    if let Some(arg) = words.next() {
                        out.push((arg.to_string(), at + s..at + s + close + 3));
                    }
                }
                from = s + close + 3;
            }
        }
        at += line.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn include_paths_and_shortcodes() {
        let from = Path::new("manuscript/sections/a.md");
        assert_eq!(
            include_path(from, "_part.qmd").unwrap(),
            Path::new("manuscript/sections/_part.qmd")
        );
        assert_eq!(
            include_path(from, "../notes/b.md").unwrap(),
            Path::new("manuscript/notes/b.md")
        );
        assert!(include_path(from, "../../../x").is_none());
        let text = "A\n{{< include _part.qmd >}}\n```\n{{< include no.md >}}\n```\n";
        let found = includes(text);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "_part.qmd");
        assert_eq!(&text[found[0].1.clone()], "{{< include _part.qmd >}}");
    }
}
