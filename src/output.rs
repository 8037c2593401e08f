//! Writing the site: into a fresh folder beside the output, swapped in only
//! when complete, so a failed or killed build leaves the previous output.

use std::fs;
use std::path::{Path, PathBuf};

use crate::diag::Diagnostic;

#[derive(Clone)]
pub struct OutFile {
    /// Path inside the output folder, with forward slashes.
    pub path: String,
    pub bytes: Vec<u8>,
}

impl OutFile {
    pub fn new(path: &str, bytes: Vec<u8>) -> Self {
        OutFile {
            path: path.to_string(),
            bytes,
        }
    }
}

fn absolute(p: &Path) -> PathBuf {
    let p = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    };
    // Canonicalize the longest existing ancestor; keep the rest as written.
    let mut existing = p.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (
            existing.file_name().map(|s| s.to_os_string()),
            existing.parent(),
        ) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent.to_path_buf();
            }
            _ => break,
        }
    }
    let mut out = existing.canonicalize().unwrap_or(existing);
    for r in rest.into_iter().rev() {
        out.push(r);
    }
    out
}

/// Refuse an output folder that holds any file the build read (replacing
/// it would delete the author's sources), whatever `--force` says.
pub fn check_no_sources<'a>(
    root: &Path,
    out: &Path,
    inputs: impl Iterator<Item = &'a Path>,
) -> Result<(), Diagnostic> {
    let root_abs = absolute(root);
    let out_abs = absolute(out);
    for rel in inputs {
        if rel.to_string_lossy().starts_with('<') {
            continue;
        }
        if absolute(&root_abs.join(rel)).starts_with(&out_abs) {
            return Err(Diagnostic::error(format!(
                "refusing to write the site to {}: it holds the project's source {}",
                out.display(),
                rel.display()
            )));
        }
    }
    Ok(())
}

/// Refuse output folders whose replacement would destroy sources.
pub fn check_out_dir(root: &Path, out: &Path, force: bool) -> Result<(), Diagnostic> {
    let root_abs = absolute(root);
    let out_abs = absolute(out);
    if root_abs.starts_with(&out_abs) {
        return Err(Diagnostic::error(format!(
            "refusing to write the site to {}: it holds the project itself",
            out.display()
        )));
    }
    if force {
        return Ok(());
    }
    if out_abs.join(".git").exists() {
        return Err(Diagnostic::error(format!(
            "refusing to replace {}: it holds a .git folder (use --force if you really mean it)",
            out.display()
        )));
    }
    if out_abs.join("manuscript/manuscript.yaml").exists() {
        return Err(Diagnostic::error(format!(
            "refusing to replace {}: it holds a manuscript project (use --force if you really mean it)",
            out.display()
        )));
    }
    Ok(())
}

/// Write all files into a staging folder next to `out`, then swap it in.
pub fn write_atomically(
    out: &Path,
    files: &[OutFile],
    keep_previous: bool,
) -> Result<(), Diagnostic> {
    write_atomically_carrying(out, files, keep_previous, &[])
}

/// [`write_atomically`], moving the entries named in `carry` (such as
/// `.git`) from the previous output into the new one.
pub fn write_atomically_carrying(
    out: &Path,
    files: &[OutFile],
    keep_previous: bool,
    carry: &[&str],
) -> Result<(), Diagnostic> {
    let out = absolute(out);
    let parent = out
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let name = out
        .file_name()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "public".into());
    fs::create_dir_all(&parent).map_err(|e| io_err(&parent, e))?;
    let staging = parent.join(format!(".{name}.galley-new-{}", std::process::id()));
    let old = parent.join(format!(".{name}.galley-old-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    if keep_previous && out.is_dir() {
        copy_tree(&out, &staging)?;
    }
    for f in files {
        let target = staging.join(&f.path);
        if let Some(dir) = target.parent() {
            fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        }
        fs::write(&target, &f.bytes).map_err(|e| io_err(&target, e))?;
    }
    let mut carried = Vec::new();
    for name in carry {
        let from = out.join(name);
        if fs::symlink_metadata(&from).is_ok() {
            let to = staging.join(name);
            let _ = fs::remove_dir_all(&to);
            let _ = fs::remove_file(&to);
            fs::rename(&from, &to).map_err(|e| io_err(&to, e))?;
            carried.push((from, to));
        }
    }
    if out.exists() {
        if let Err(e) = swap(&staging, &out, &old) {
            for (from, to) in carried {
                let _ = fs::rename(to, from);
            }
            return Err(e);
        }
    } else {
        fs::rename(&staging, &out).map_err(|e| io_err(&out, e))?;
    }
    clean_leftovers(&parent, &name);
    Ok(())
}

/// Remove staging folders left by killed builds (never the live output).
fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return false;
    }
    if cfg!(target_os = "linux") {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        // Without a cheap check, keep other processes' folders.
        true
    }
}

fn clean_leftovers(parent: &Path, name: &str) {
    let prefix_new = format!(".{name}.galley-new-");
    let prefix_old = format!(".{name}.galley-old-");
    if let Ok(rd) = fs::read_dir(parent) {
        for e in rd.flatten() {
            let n = e.file_name().to_string_lossy().to_string();
            let pid = n
                .strip_prefix(&prefix_new)
                .or_else(|| n.strip_prefix(&prefix_old));
            // Leave the folders of builds that are still running.
            if let Some(pid) = pid.and_then(|p| p.parse::<u32>().ok()) {
                if !process_alive(pid) {
                    // A publish interrupted between moving a repository's
                    // .git into its staging folder and the swap: give the
                    // .git back, never delete it.
                    let git = e.path().join(".git");
                    if git.exists() {
                        let out = parent.join(name);
                        let home = out.join(".git");
                        if out.is_dir() && !home.exists() && fs::rename(&git, &home).is_ok() {
                            let _ = fs::remove_dir_all(e.path());
                        }
                        continue;
                    }
                    let _ = fs::remove_dir_all(e.path());
                }
            }
        }
    }
}

/// Put `staging` in place of `out`. On Linux both names are exchanged in one
/// step (renameat2 RENAME_EXCHANGE), so `out` always exists; elsewhere, or on
/// file systems without it, `out` is moved aside first.
fn swap(staging: &Path, out: &Path, old: &Path) -> Result<(), Diagnostic> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        if renameat_with(CWD, staging, CWD, out, RenameFlags::EXCHANGE).is_ok() {
            // The previous output now sits at `staging`.
            let _ = fs::remove_dir_all(staging);
            return Ok(());
        }
    }
    fs::rename(out, old).map_err(|e| io_err(out, e))?;
    if let Err(e) = fs::rename(staging, out) {
        let _ = fs::rename(old, out);
        return Err(io_err(out, e));
    }
    let _ = fs::remove_dir_all(old);
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), Diagnostic> {
    fs::create_dir_all(to).map_err(|e| io_err(to, e))?;
    for entry in fs::read_dir(from).map_err(|e| io_err(from, e))?.flatten() {
        let p = entry.path();
        let target = to.join(entry.file_name());
        let ft = entry.file_type().map_err(|e| io_err(&p, e))?;
        if ft.is_dir() {
            copy_tree(&p, &target)?;
        } else if ft.is_file() {
            fs::copy(&p, &target).map_err(|e| io_err(&p, e))?;
        }
    }
    Ok(())
}

fn io_err(p: &Path, e: std::io::Error) -> Diagnostic {
    Diagnostic::error(format!("cannot write {}: {e}", p.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swaps_in_complete_output() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        write_atomically(&out, &[OutFile::new("a/b.txt", b"one".to_vec())], false).unwrap();
        write_atomically(&out, &[OutFile::new("c.txt", b"two".to_vec())], false).unwrap();
        assert!(!out.join("a/b.txt").exists());
        assert_eq!(fs::read(out.join("c.txt")).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn refuses_project_root_and_git() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_out_dir(dir.path(), dir.path(), true).is_err());
        let out = dir.path().join("site");
        fs::create_dir_all(out.join(".git")).unwrap();
        assert!(check_out_dir(dir.path(), &out, false).is_err());
        assert!(check_out_dir(dir.path(), &out, true).is_ok());
    }
}
