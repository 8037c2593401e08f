//! Reading the project's files: inside the project only, regular files
//! only, UTF-8, within size limits.

use std::path::{Component, Path, PathBuf};

use crate::cache::Cache;
use crate::diag::{Diagnostic, SourceMap};

/// Walk up from `start` to the folder holding manuscript/manuscript.yaml.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        if d.join(MANIFEST).is_file() {
            return Some(d.to_path_buf());
        }
        dir = d.parent();
    }
    None
}

/// Join a project-relative path, refusing absolute paths, `..` that leave the
/// project, and symlinks that point outside it.
pub fn resolve_inside(root: &Path, rel: &str) -> std::result::Result<PathBuf, String> {
    let p = Path::new(rel);
    let mut depth: i32 = 0;
    for c in p.components() {
        match c {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => {
                depth -= 1;
                if depth < 0 {
                    return Err(format!("`{rel}` points outside the project"));
                }
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!(
                    "`{rel}` is an absolute path; paths are relative to the project"
                ))
            }
        }
    }
    let full = root.join(p);
    if let (Ok(canon), Ok(root_canon)) = (full.canonicalize(), root.canonicalize()) {
        if !canon.starts_with(&root_canon) {
            return Err(format!(
                "`{rel}` resolves outside the project (through a symbolic link)"
            ));
        }
    }
    Ok(full)
}

/// The largest text file galley reads (data files included).
pub const MAX_TEXT_FILE: u64 = 64 << 20;

/// The most text the sections may hold in all. Typesetting takes 200 to
/// 500 bytes of memory per byte of Markdown (Typst's layout), so 8 MB of
/// text (a book of several thousand pages) needs 2 to 4 GB.
pub const MAX_SECTIONS: usize = 8 << 20;

/// Read a file as UTF-8 (BOM stripped); non-UTF-8 bytes are a located error.
pub fn read_text(
    root: &Path,
    rel: &Path,
    sources: &mut SourceMap,
    cache: &Cache,
) -> std::result::Result<String, Diagnostic> {
    let full = resolve_inside(root, &rel.to_string_lossy())
        .map_err(|m| Diagnostic::error(format!("refusing to read it: {m}")).in_file(rel))?;
    if let Ok(meta) = std::fs::metadata(&full) {
        if meta.is_file() && meta.len() > MAX_TEXT_FILE {
            return Err(Diagnostic::error(format!(
                "file is {} MB; galley reads text files of up to {} MB",
                meta.len() >> 20,
                MAX_TEXT_FILE >> 20
            ))
            .in_file(rel));
        }
    }
    let bytes = cache.read_file(&full).map_err(|e| {
        Diagnostic::error(format!("cannot read file: {}", io_reason(&e))).in_file(rel)
    })?;
    match String::from_utf8(bytes) {
        Ok(mut s) => {
            if s.starts_with('\u{FEFF}') {
                s.drain(..3);
            }
            sources.insert(rel, s.as_str());
            if let Some(at) = s.find('\0') {
                return Err(Diagnostic::error(
                    "file holds a NUL byte (U+0000), which a text file cannot; is part of it binary?",
                )
                .at(rel, at..at + 1)
                .with_label("NUL byte here"));
            }
            Ok(s)
        }
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            // Map the byte offset to the lossy text (same up to `at`).
            sources.insert(rel, lossy.as_str());
            Err(
                Diagnostic::error("file is not valid UTF-8; save it as UTF-8")
                    .at(rel, at..at + 1)
                    .with_label("invalid byte here"),
            )
        }
    }
}

pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

pub fn list_dir(root: &Path, rel: &str, exts: &[&str]) -> Vec<PathBuf> {
    list_files(root, rel)
        .into_iter()
        .filter(|p| has_extension(p, exts))
        .collect()
}

/// Whether a path's extension is one of `exts` (lowercase), in any case.
pub fn has_extension(p: &Path, exts: &[&str]) -> bool {
    let ext = p
        .extension()
        .and_then(|s| s.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    exts.contains(&ext.as_str())
}

/// Every file of a folder (not hidden ones such as `.DS_Store`, not
/// folders), relative to the root, sorted.
pub fn list_files(root: &Path, rel: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(root.join(rel)) {
        for e in rd.flatten() {
            let p = e.path();
            let hidden = e.file_name().to_string_lossy().starts_with('.');
            if p.is_file() && !hidden {
                if let Some(name) = p.file_name() {
                    out.push(Path::new(rel).join(name));
                }
            }
        }
    }
    out.sort();
    out
}

/// The error for a file in bibliography/ galley cannot read.
pub fn unreadable_bibliography(path: &Path) -> Diagnostic {
    Diagnostic::error("galley cannot read this file as a bibliography")
        .in_file(path)
        .with_note(
            "bibliography files are .bib (BibTeX or BibLaTeX), .json (CSL-JSON), \
         .yaml or .yml (CSL-YAML with `references:`, or hayagriva)",
        )
}

/// The manuscript's settings file, relative to the project root.
pub const MANIFEST: &str = "manuscript/manuscript.yaml";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_paths_outside() {
        let root = std::env::temp_dir();
        assert!(resolve_inside(&root, "../../etc/passwd").is_err());
        assert!(resolve_inside(&root, "/etc/passwd").is_err());
        assert!(resolve_inside(&root, "a/../b.md").is_ok());
    }
}
