//! Publishing to a folder: which folders may be replaced, and the
//! replacement (atomic, keeping `.git` and a host's `CNAME`).

use std::collections::BTreeMap;
use std::path::Path;

use url::Url;

use super::changes::diff;
use super::host::MARKER;
use crate::diag::Diagnostic;
use crate::load::project::MANIFEST;
use crate::render::OutFile;
use crate::site::output;

/// Write `files` to `dir` (or, for a dry run, say what would change),
/// adding a line for the user to `lines`.
pub fn publish(
    dir: &Path,
    files: &[OutFile],
    base: &Url,
    keep_cname: bool,
    dry_run: bool,
    lines: &mut Vec<String>,
) -> Result<(), Diagnostic> {
    if dry_run {
        let mut old = dir_files(dir)?;
        if keep_cname {
            // Kept by the publish, like .git.
            old.remove("CNAME");
        }
        let changes = diff(files, &old, |f| f.bytes.clone());
        changes.describe(lines, &dir.display().to_string());
    } else {
        let carry: &[&str] = if keep_cname {
            &[".git", "CNAME"]
        } else {
            &[".git"]
        };
        output::write_atomically_carrying(dir, files, false, carry)?;
        lines.push(format!(
            "published {} files to {} for {base}",
            files.len(),
            dir.display()
        ));
    }
    Ok(())
}
/// Refuse a folder whose replacement would destroy something that is not a
/// previous galley output: it must be new, empty, hold exactly what its
/// manifest.json lists (besides `.git` and `CNAME`, which are kept), or be
/// marked for publishing by the user (an empty [`MARKER`] file).
pub fn check_dir(root: &Path, dir: &Path) -> Result<(), Diagnostic> {
    output::check_out_dir(root, dir, true)?;
    if std::fs::symlink_metadata(dir).is_err() {
        return Ok(());
    }
    let refuse =
        |why: &str| Diagnostic::error(format!("refusing to publish to {}: {why}", dir.display()));
    if !dir.is_dir() {
        return Err(refuse("it is not a folder"));
    }
    if dir.join(MANIFEST).exists() {
        return Err(refuse("it holds a manuscript project"));
    }
    let marker = std::fs::read(dir.join(MARKER)).ok();
    // The user's own marker: "replace everything here but .git".
    if marker.as_ref().is_some_and(|m| m.trim_ascii().is_empty()) {
        return Ok(());
    }
    if marker.is_none() && dir.join(".git").exists() {
        return Err(refuse(&format!(
            "it holds .git and is not a previous publish (no {MARKER} file); if it is a checkout of your pages repository, create an empty {MARKER} in it and galley will replace everything in it but .git"
        )));
    }
    // A folder reached through a symbolic link is the folder it names.
    let real = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    match output::in_the_way(&real, &[".git", "CNAME"])? {
        None => Ok(()),
        Some(file) => Err(refuse(&format!(
            "it holds {file}, which no galley build wrote (a folder is replaced only when it is empty or holds exactly a previous galley output, every file listed in its {}); choose a new or empty folder",
            output::MANIFEST_FILE
        ))),
    }
}

/// Every file under `dir` (path with forward slashes → bytes), leaving out
/// `.git`.
fn dir_files(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>, Diagnostic> {
    let mut out = BTreeMap::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = std::fs::read_dir(&d)
            .map_err(|e| Diagnostic::error(format!("cannot read {}: {e}", d.display())))?;
        for e in rd.flatten() {
            let p = e.path();
            if p == dir.join(".git") {
                continue;
            }
            let ft = e
                .file_type()
                .map_err(|e| Diagnostic::error(format!("cannot read {}: {e}", p.display())))?;
            let Ok(rel) = p.strip_prefix(dir) else {
                continue;
            };
            let rel = rel.to_string_lossy().replace('\\', "/");
            if ft.is_dir() {
                stack.push(p);
            } else if ft.is_symlink() {
                // The publish replaces the link, never what it points at.
                let target = std::fs::read_link(&p).unwrap_or_default();
                let mut bytes = b"symbolic link to ".to_vec();
                bytes.extend_from_slice(target.as_os_str().as_encoded_bytes());
                out.insert(rel, bytes);
            } else if !ft.is_file() {
                // A FIFO or socket: listed, never opened (it would block).
                out.insert(rel, b"not a regular file".to_vec());
            } else {
                let bytes = std::fs::read(&p)
                    .map_err(|e| Diagnostic::error(format!("cannot read {}: {e}", p.display())))?;
                out.insert(rel, bytes);
            }
        }
    }
    Ok(out)
}
