//! `galley new`: a small manuscript project that builds as it is.

use std::path::{Path, PathBuf};

/// The project's files (path, contents), compiled into the binary.
const FILES: &[(&str, &str)] = &[
    (
        "manuscript/manuscript.yaml",
        include_str!("scaffold/manuscript/manuscript.yaml"),
    ),
    (
        "manuscript/sections/01-introduction.md",
        include_str!("scaffold/manuscript/sections/01-introduction.md"),
    ),
    (
        "manuscript/sections/02-results.md",
        include_str!("scaffold/manuscript/sections/02-results.md"),
    ),
    (
        "manuscript/data/trials.csv",
        include_str!("scaffold/manuscript/data/trials.csv"),
    ),
    (
        "manuscript/tables/trials.yaml",
        include_str!("scaffold/manuscript/tables/trials.yaml"),
    ),
    (
        "bibliography/references.bib",
        include_str!("scaffold/bibliography/references.bib"),
    ),
];

/// The meta-analysis template's files: BCG's trials (Colditz et al.,
/// 1994), an analysis and a forest plot.
const META_ANALYSIS: &[(&str, &str)] = &[
    (
        "manuscript/manuscript.yaml",
        include_str!("scaffold/meta-analysis/manuscript/manuscript.yaml"),
    ),
    (
        "manuscript/sections/01-introduction.md",
        include_str!("scaffold/meta-analysis/manuscript/sections/01-introduction.md"),
    ),
    (
        "manuscript/sections/02-results.md",
        include_str!("scaffold/meta-analysis/manuscript/sections/02-results.md"),
    ),
    (
        "manuscript/data/bcg.csv",
        include_str!("scaffold/meta-analysis/manuscript/data/bcg.csv"),
    ),
    (
        "manuscript/analyses/bcg.yaml",
        include_str!("scaffold/meta-analysis/manuscript/analyses/bcg.yaml"),
    ),
    (
        "bibliography/references.bib",
        include_str!("scaffold/meta-analysis/bibliography/references.bib"),
    ),
];

/// What `galley new` starts from (`--template`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Template {
    /// A data reference, citations, cross-references and a generated table.
    #[default]
    Basic,
    /// A meta-analysis computed from the data, with its forest plot.
    MetaAnalysis,
}

/// Create the project in `dir` from `template`; `dir` must not exist or
/// be empty. With `with_theme`, the built-in theme is copied to theme/
/// for editing. Returns the files written, relative to `dir`.
pub fn create(dir: &Path, with_theme: bool, template: Template) -> Result<Vec<PathBuf>, String> {
    super::ensure_empty(dir)?;
    let theme_files = crate::load::theme::BUILTIN
        .iter()
        .map(|(name, text)| (format!("theme/{name}"), *text));
    let chosen = match template {
        Template::Basic => FILES,
        Template::MetaAnalysis => META_ANALYSIS,
    };
    let mut files: Vec<(String, &str)> = chosen.iter().map(|(p, t)| (p.to_string(), *t)).collect();
    if with_theme {
        files.extend(theme_files);
    }
    let mut written = Vec::new();
    for (rel, text) in files {
        let path = dir.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        written.push(PathBuf::from(rel));
    }
    Ok(written)
}

#[derive(clap::Args)]
pub struct Args {
    /// Folder to create (must not exist or be empty).
    dir: PathBuf,
    /// Also copy the built-in theme to theme/ for editing.
    #[arg(long)]
    theme: bool,
    /// Import a Pandoc or Quarto document (.md, .qmd with YAML front
    /// matter) or a Quarto project folder (_quarto.yml) instead: its front
    /// matter becomes manuscript.yaml, its body the section, and the
    /// images, bibliography and style it names are copied.
    #[arg(long, value_name = "FILE")]
    from: Option<PathBuf>,
    /// What to start from: `basic`, or `meta-analysis` (trials pooled
    /// from the data, with a forest plot).
    #[arg(long, value_enum, default_value_t = Template::Basic)]
    template: Template,
}

pub fn run(args: Args) -> std::process::ExitCode {
    if let Some(from) = &args.from {
        return match super::import::import(from, &args.dir) {
            Ok(done) => {
                created(&args.dir, &done.files);
                if !done.dropped.is_empty() {
                    eprintln!(
                        "warning: not carried over from the front matter: {}",
                        done.dropped.join(", ")
                    );
                }
                if !done.missing.is_empty() {
                    eprintln!(
                        "warning: named by {} but not found, so not copied: {}",
                        from.display(),
                        done.missing.join(", ")
                    );
                }
                next_step(&args.dir)
            }
            Err(msg) => failed(&msg),
        };
    }
    match create(&args.dir, args.theme, args.template) {
        Ok(files) => {
            created(&args.dir, &files);
            next_step(&args.dir)
        }
        Err(msg) => failed(&msg),
    }
}

fn created(dir: &Path, files: &[PathBuf]) {
    for f in files {
        println!("created {}", dir.join(f).display());
    }
}

fn next_step(dir: &Path) -> std::process::ExitCode {
    println!(
        "\nnext: cd {} && galley build   (then open public/index.html)",
        dir.display()
    );
    std::process::ExitCode::SUCCESS
}

fn failed(msg: &str) -> std::process::ExitCode {
    eprintln!("error: {msg}");
    std::process::ExitCode::from(1)
}
