//! Writing the site: into a fresh folder beside the output, swapped in only
//! when complete, so a failed or killed build leaves the previous output.

use std::fs;
use std::path::{Path, PathBuf};

use crate::diag::Diagnostic;
use crate::render::OutFile;

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

/// The name of the file that lists a build's inputs and outputs.
pub const MANIFEST_FILE: &str = "manifest.json";

/// Every entry under `dir`, relative, with forward slashes, sorted: files and
/// symbolic links (never followed) by name, folders that hold nothing with a
/// trailing `/`. Top-level entries named in `skip` are left out.
pub fn tree(dir: &Path, skip: &[&str]) -> Result<Vec<String>, Diagnostic> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = fs::read_dir(&d).map_err(|e| read_err(&d, e))?;
        let mut empty = true;
        for entry in rd {
            let entry = entry.map_err(|e| read_err(&d, e))?;
            let p = entry.path();
            let Ok(rel) = p.strip_prefix(dir) else {
                continue;
            };
            let rel = rel.to_string_lossy().replace('\\', "/");
            if d == dir && skip.contains(&rel.as_str()) {
                empty = false;
                continue;
            }
            empty = false;
            let ft = entry.file_type().map_err(|e| read_err(&p, e))?;
            if ft.is_dir() {
                stack.push(p);
            } else {
                out.push(rel);
            }
        }
        if empty && d != dir {
            if let Ok(rel) = d.strip_prefix(dir) {
                out.push(format!("{}/", rel.to_string_lossy().replace('\\', "/")));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The outputs a previous build listed in its manifest.json (none if the
/// folder holds no galley manifest).
fn listed_outputs(dir: &Path) -> std::collections::BTreeSet<String> {
    let Ok(text) = fs::read_to_string(dir.join(MANIFEST_FILE)) else {
        return Default::default();
    };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Default::default();
    };
    if v.get("generator").and_then(|g| g.as_str()) != Some("galley") {
        return Default::default();
    }
    v.get("outputs")
        .and_then(|o| o.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The first entry of `dir` that stops it being replaced, if any. A folder
/// may be replaced when it does not exist, is empty, or holds exactly a
/// previous galley output: every file in it listed in its manifest.json.
/// Top-level entries named in `skip` are not looked at.
pub fn in_the_way(dir: &Path, skip: &[&str]) -> Result<Option<String>, Diagnostic> {
    match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(read_err(dir, e)),
        Ok(m) if !m.is_dir() => return Ok(Some(String::new())),
        Ok(_) => {}
    }
    let entries = tree(dir, skip)?;
    if entries.is_empty() {
        return Ok(None);
    }
    let listed = listed_outputs(dir);
    if listed.is_empty() && is_legacy_manifest(dir) {
        return Ok(entries.into_iter().find(|e| !legacy_output(e)));
    }
    Ok(entries.into_iter().find(|e| !listed.contains(e)))
}

/// A manifest of a galley from before manifests listed their outputs:
/// galley's version and its inputs.
fn is_legacy_manifest(dir: &Path) -> bool {
    let Ok(text) = fs::read_to_string(dir.join(MANIFEST_FILE)) else {
        return false;
    };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
        return false;
    };
    v.get("generator").and_then(|g| g.as_str()) == Some("galley")
        && v.get("version").is_some_and(|x| x.is_string())
        && v.get("inputs").is_some_and(|x| x.is_array())
        && v.get("outputs").is_none()
}

/// A file such an earlier build (or publish) wrote: the page, the PDF and
/// BibTeX, the data, the assets and figures, a publish's extras.
fn legacy_output(entry: &str) -> bool {
    let top = entry.split('/').next().unwrap_or("");
    let nested = entry.contains('/') && !entry.ends_with('/');
    matches!(
        entry,
        "index.html" | "404.html" | MANIFEST_FILE | "sitemap.xml" | ".nojekyll" | ".galley-publish"
    ) || (!entry.contains('/') && (entry.ends_with(".pdf") || entry.ends_with(".bib")))
        || (nested && matches!(top, "data" | "assets" | "figures"))
}

/// The files of the previous output in `out` that a build of one half
/// (`--html`, `--pdf`) keeps: those it does not write again.
pub fn kept_files(out: &Path, files: &[OutFile]) -> Result<Vec<String>, Diagnostic> {
    if !out.is_dir() {
        return Ok(Vec::new());
    }
    let new: std::collections::BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    // Only what galley wrote: files of someone else's that --force let
    // through are carried over but not claimed, so the next build asks again.
    let listed = listed_outputs(out);
    let legacy = listed.is_empty() && is_legacy_manifest(out);
    Ok(tree(out, &[])?
        .into_iter()
        .filter(|p| !p.ends_with('/') && !new.contains(p.as_str()))
        .filter(|p| listed.contains(p) || (legacy && legacy_output(p)))
        .collect())
}

/// Record in the manifest every file the output folder will hold: the
/// files written and those `kept` from the previous output. This list is
/// what lets the next build replace the folder.
pub fn list_outputs(files: &mut [OutFile], kept: &[String]) {
    let mut all: std::collections::BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    all.extend(kept.iter().map(String::as_str));
    let listed: Vec<serde_json::Value> = all.into_iter().map(|p| p.into()).collect();
    let Some(manifest) = files.iter_mut().find(|f| f.path == MANIFEST_FILE) else {
        return;
    };
    let Ok(serde_json::Value::Object(mut m)) = serde_json::from_slice(&manifest.bytes) else {
        return;
    };
    m.insert("outputs".into(), listed.into());
    let mut text = serde_json::to_string_pretty(&m).unwrap_or_default();
    text.push('\n');
    manifest.bytes = text.into_bytes();
}

/// Refuse output folders whose replacement would destroy anything but a
/// previous galley output (unless `force`), and always the project itself.
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
    let Some(file) = in_the_way(&out_abs, &[])? else {
        return Ok(());
    };
    let why = if file.is_empty() {
        "it is not a folder".to_string()
    } else if out_abs.join(".git").exists() {
        "it holds a .git folder".to_string()
    } else if out_abs.join("manuscript/manuscript.yaml").exists() {
        "it holds a manuscript project".to_string()
    } else {
        format!("it holds {file}, which no galley build wrote")
    };
    Err(Diagnostic::error(format!(
        "refusing to replace {}: {why}; galley replaces a folder only when it is empty or holds exactly a previous galley output (every file listed in its {MANIFEST_FILE}); choose another folder, or use --force to replace it anyway",
        out.display()
    )))
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
/// `.git`) from the previous output into the new one. On every failure the
/// staging folder is removed again (and anything carried moved back); the
/// error says what, if anything, could not be cleaned up.
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
    // Strays of killed builds go first, whatever happens to this one.
    clean_leftovers(&parent, &name);
    let staging = parent.join(format!(".{name}.galley-new-{}", std::process::id()));
    let old = parent.join(format!(".{name}.galley-old-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    let mut carried = Vec::new();
    let result = fill_and_swap(
        &out,
        &staging,
        &old,
        files,
        keep_previous,
        carry,
        &mut carried,
    );
    if let Err(mut e) = result {
        for (from, to) in carried {
            if fs::rename(&to, &from).is_err() {
                e = e.with_note(format!(
                    "{} could not be moved back; it is at {}",
                    from.display(),
                    to.display()
                ));
                return Err(e);
            }
        }
        // The previous output moved aside and not back: put it back, or
        // keep it and say where it is; never delete it.
        if fs::symlink_metadata(&old).is_ok() {
            if fs::symlink_metadata(&out).is_err() && fs::rename(&old, &out).is_err() {
                e = e.with_note(format!(
                    "the previous output could not be moved back; it is at {}",
                    old.display()
                ));
            } else if fs::symlink_metadata(&out).is_ok() && fs::symlink_metadata(&old).is_ok() {
                e = e.with_note(format!(
                    "a copy of the previous output is at {}",
                    old.display()
                ));
            }
        }
        if fs::symlink_metadata(&staging).is_ok() && fs::remove_dir_all(&staging).is_err() {
            e = e.with_note(format!(
                "could not remove the unfinished output {}; delete it",
                staging.display()
            ));
        }
        return Err(e);
    }
    clean_leftovers(&parent, &name);
    Ok(())
}

/// The fallible middle of [`write_atomically_carrying`]: write the staging
/// folder, move the carried entries in (noting them in `carried`), swap.
fn fill_and_swap(
    out: &Path,
    staging: &Path,
    old: &Path,
    files: &[OutFile],
    keep_previous: bool,
    carry: &[&str],
    carried: &mut Vec<(PathBuf, PathBuf)>,
) -> Result<(), Diagnostic> {
    fs::create_dir_all(staging).map_err(|e| io_err(staging, e))?;
    if keep_previous && out.is_dir() {
        copy_tree(out, staging)?;
    }
    for f in files {
        let target = staging.join(&f.path);
        if let Some(dir) = target.parent() {
            fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        }
        fs::write(&target, &f.bytes).map_err(|e| io_err(&target, e))?;
    }
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
    if fs::symlink_metadata(out).is_ok() {
        swap(staging, out, old)
    } else {
        fs::rename(staging, out).map_err(|e| io_err(out, e))
    }
}

/// Remove the staging folders that killed builds left beside `out`.
pub fn clean_strays(out: &Path) {
    let out = absolute(out);
    if let (Some(parent), Some(name)) = (out.parent(), out.file_name()) {
        clean_leftovers(parent, &name.to_string_lossy());
    }
}

/// Is the process that named a staging folder still running (and so its
/// folder not a stray)?
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

/// Remove staging folders left by killed builds (never the live output).
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
                    let out = parent.join(name);
                    if n.starts_with(&prefix_old) && fs::symlink_metadata(&out).is_err() {
                        // The previous output of a build killed mid-swap.
                        let _ = fs::rename(e.path(), &out);
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

fn read_err(p: &Path, e: std::io::Error) -> Diagnostic {
    Diagnostic::error(format!("cannot read {}: {e}", p.display()))
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
    fn a_failed_write_leaves_no_staging_folder() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        write_atomically(&out, &[OutFile::new("a.txt", b"one".to_vec())], false).unwrap();
        // `a` cannot be a file and a folder: the write fails half-way.
        let clash = [
            OutFile::new("a", b"x".to_vec()),
            OutFile::new("a/b", b"y".to_vec()),
        ];
        assert!(write_atomically(&out, &clash, false).is_err());
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, ["public"], "{names:?}");
        assert_eq!(fs::read(out.join("a.txt")).unwrap(), b"one");
    }

    #[test]
    fn a_folder_is_replaceable_only_as_its_manifest_lists_it() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("site");
        assert_eq!(in_the_way(&out, &[]).unwrap(), None);
        fs::create_dir_all(out.join("empty")).unwrap();
        assert_eq!(in_the_way(&out, &[]).unwrap().as_deref(), Some("empty/"));
        fs::remove_dir(out.join("empty")).unwrap();
        let mut files = vec![
            OutFile::new("index.html", b"<p>".to_vec()),
            OutFile::new(MANIFEST_FILE, b"{\"generator\": \"galley\"}".to_vec()),
        ];
        list_outputs(&mut files, &["kept.pdf".to_string()]);
        write_atomically(&out, &files, false).unwrap();
        assert_eq!(in_the_way(&out, &[]).unwrap(), None);
        fs::write(out.join("kept.pdf"), b"%PDF").unwrap();
        assert_eq!(in_the_way(&out, &[]).unwrap(), None);
        fs::write(out.join("mine.txt"), b"mine").unwrap();
        assert_eq!(in_the_way(&out, &[]).unwrap().as_deref(), Some("mine.txt"));
        assert_eq!(in_the_way(&out, &["mine.txt"]).unwrap(), None);
    }

    #[test]
    fn a_half_build_claims_only_files_galley_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("site");
        let mut files = vec![
            OutFile::new("paper.pdf", b"%PDF".to_vec()),
            OutFile::new(MANIFEST_FILE, b"{\"generator\": \"galley\"}".to_vec()),
        ];
        list_outputs(&mut files, &[]);
        write_atomically(&out, &files, false).unwrap();
        // Someone's file, let through by --force.
        fs::write(out.join("notes.txt"), b"mine").unwrap();
        let html = [
            OutFile::new("index.html", b"<p>".to_vec()),
            OutFile::new(MANIFEST_FILE, b"{}".to_vec()),
        ];
        assert_eq!(kept_files(&out, &html).unwrap(), ["paper.pdf"]);
    }

    #[test]
    fn the_output_of_an_earlier_galley_is_replaceable() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let old = br#"{"generator": "galley", "version": "0.1.0", "inputs": []}"#;
        for (path, bytes) in [
            ("manifest.json", &old[..]),
            ("index.html", b"<p>"),
            ("paper.pdf", b"%PDF"),
            ("data/studies.csv", b"a\n"),
            ("figures/prisma.svg", b"<svg/>"),
        ] {
            let p = out.join(path);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, bytes).unwrap();
        }
        assert_eq!(in_the_way(&out, &[]).unwrap(), None);
        fs::write(out.join("notes.txt"), b"mine").unwrap();
        assert_eq!(in_the_way(&out, &[]).unwrap().as_deref(), Some("notes.txt"));
        fs::remove_file(out.join("notes.txt")).unwrap();
        // A manifest that only says "galley" is not one.
        fs::write(out.join("manifest.json"), br#"{"generator": "galley"}"#).unwrap();
        assert!(in_the_way(&out, &[]).unwrap().is_some());
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
