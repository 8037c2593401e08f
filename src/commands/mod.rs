//! The command-line drivers. Each parses nothing itself (clap gives it its
//! arguments), drives a [`crate::pipeline::Build`], and turns the outcome
//! into what the terminal shows and an exit status: 0 done, 1 the
//! project's errors, 2 usage.

pub mod build;
pub mod check;
pub mod import;
pub mod new;
mod progress;
pub mod publish;
pub mod serve;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::diag::{self, Diagnostics, Failure, SourceMap};
use crate::load::files;
use crate::load::project::MANIFEST;

/// The project root: `--root` if given (it must hold a manuscript), else
/// the nearest folder above the working directory that does.
pub fn find_root(given: Option<PathBuf>) -> Result<PathBuf, String> {
    match given {
        Some(r) => {
            if r.join(MANIFEST).is_file() {
                Ok(r)
            } else {
                Err(format!("{} holds no {MANIFEST}", r.display()))
            }
        }
        None => {
            let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
            files::find_root(&cwd).ok_or_else(|| {
                format!("no {MANIFEST} here or in any parent folder (use --root DIR)")
            })
        }
    }
}

/// A usage problem: said, exit status 2.
pub fn usage_error(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

pub fn print_warnings(w: &Diagnostics, sources: &SourceMap) {
    if !w.is_empty() {
        diag::emit(w, sources);
    }
}

/// Print a failure's diagnostics and `error: <what> <n> error(s)<after>`;
/// exit status 1.
pub fn failed(f: &Failure, what: &str, after: &str) -> ExitCode {
    diag::emit(&f.diags, &f.sources);
    let n = f.diags.errors().count();
    eprintln!("error: {what} {n} error{}{after}", plural(n));
    ExitCode::from(1)
}

pub fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `dir` must not exist, or be empty.
pub fn ensure_empty(dir: &Path) -> Result<(), String> {
    if dir.exists() {
        let mut entries =
            std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        if entries.next().is_some() {
            return Err(format!(
                "{} is not empty; galley new only writes into a new or empty folder",
                dir.display()
            ));
        }
    }
    Ok(())
}
