//! `galley publish`: a clean build for a static host, with absolute URLs
//! from the base URL, content-hashed asset names, `.nojekyll`,
//! `sitemap.xml`, and every internal link and anchor verified — then
//! written to a folder or committed as the tree of a git branch. Nothing is
//! written unless all of that succeeds.

pub mod git;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use url::Url;

use crate::diag::{Diagnostic, Diagnostics, Failure, SourceMap};
use crate::load::project::{parse_base_url, Project, MANIFEST};
use crate::pipeline::{self, Naming, Options, VERSION};
use crate::site::links;
use crate::site::output::{self, OutFile};
use git::Repo;

/// The file that marks a folder as a previous publish, which the next one
/// may replace.
pub const MARKER: &str = ".galley-publish";

pub struct Settings {
    pub root: PathBuf,
    /// From the command line; else manuscript.yaml's `base_url`.
    pub base_url: Option<String>,
    /// Folder to write the site to.
    pub dir: Option<PathBuf>,
    /// Branch to commit the site to.
    pub branch: Option<String>,
    /// Say what would change; write nothing.
    pub dry_run: bool,
}

pub enum Error {
    /// A usage problem (exit status 2).
    Usage(String),
    /// A manuscript, link or destination problem (exit status 1).
    Failed(Failure),
}

impl From<Failure> for Error {
    fn from(f: Failure) -> Self {
        Error::Failed(f)
    }
}

impl From<Diagnostic> for Error {
    fn from(d: Diagnostic) -> Self {
        Error::Failed(Failure {
            diags: d.into(),
            sources: SourceMap::default(),
        })
    }
}

/// A successful publish.
pub struct Published {
    pub warnings: Diagnostics,
    pub sources: SourceMap,
    /// What was done (or, for a dry run, would be), for the user.
    pub lines: Vec<String>,
}

/// Build, verify and publish the site.
pub fn publish(s: &Settings) -> Result<Published, Error> {
    let start = Instant::now();
    // Destinations that cannot be used fail before the build.
    let repo = match &s.branch {
        Some(branch) => {
            let repo = Repo::open(&s.root)?;
            repo.check_branch(branch)?;
            Some(repo)
        }
        None => None,
    };
    let dir = match (&s.dir, &s.branch) {
        (Some(d), _) => Some(d.clone()),
        (None, None) => Some(s.root.join("public")),
        (None, Some(_)) => None,
    };
    if let Some(d) = &dir {
        check_dir(&s.root, d)?;
    }
    let (project, assembled, warnings) = pipeline::check(&s.root)?;
    let base = base_url(s, &project)?;
    let opts = Options {
        root: s.root.clone(),
        out: dir.clone().unwrap_or_else(|| s.root.join("public")),
        html: true,
        pdf: true,
        force: false,
        base_url: Some(base.to_string()),
        emit_typst: None,
    };
    let (mut files, report) =
        pipeline::prepare_checked(&project, &assembled, warnings, &opts, Naming::Hashed, start)?;
    let pdf = format!("{}.pdf", assembled.doc.slug);
    files.push(OutFile::new(".nojekyll", Vec::new()));
    files.push(OutFile::new(MARKER, marker(&base).into_bytes()));
    files.push(OutFile::new(
        "sitemap.xml",
        sitemap(&base, &pdf).into_bytes(),
    ));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    output::list_outputs(&mut files, &[]);
    let broken = links::check(&files, &base);
    if !broken.is_empty() {
        return Err(Error::Failed(Failure {
            diags: broken,
            sources: report.sources,
        }));
    }
    let mut lines = Vec::new();
    let keep_cname = !files.iter().any(|f| f.path == "CNAME");
    // The branch first: a commit that fails leaves the folder untouched too.
    if let (Some(repo), Some(branch)) = (&repo, &s.branch) {
        let source = repo.source()?;
        // A custom domain set on the host (GitHub Pages keeps it in CNAME)
        // stays set.
        let mut files = files.clone();
        if keep_cname {
            if let Some(tip) = repo.tip(branch) {
                if let Some(id) = repo.tree_files(&tip)?.get("CNAME") {
                    files.push(OutFile::new("CNAME", repo.blob(id)?));
                    files.sort_by(|a, b| a.path.cmp(&b.path));
                }
            }
        }
        if s.dry_run {
            let ids = repo.blob_ids(&files, false)?;
            let old = match repo.tip(branch) {
                Some(tip) => repo.tree_files(&tip)?,
                None => BTreeMap::new(),
            };
            let by_path: BTreeMap<&str, &String> = files
                .iter()
                .map(|f| f.path.as_str())
                .zip(ids.iter())
                .collect();
            let changes = diff(&files, &old, |f| by_path[f.path.as_str()].clone());
            changes.describe(&mut lines, &format!("branch {branch}"));
        } else {
            let message = commit_message(&source, &base);
            match repo.commit_site(branch, &files, &message)? {
                git::Outcome::Committed { commit, parent } => {
                    lines.push(format!(
                        "committed {} to {branch}{} for {base}: the site built from {}",
                        short(&commit),
                        if parent.is_none() {
                            " (new branch)"
                        } else {
                            ""
                        },
                        source.describe()
                    ));
                    lines.push(format!("push it with: git push origin {branch}"));
                }
                git::Outcome::Unchanged { commit } => lines.push(format!(
                    "{branch} already holds this site (commit {}); nothing committed",
                    short(&commit)
                )),
            }
        }
        if source.dirty {
            lines.push(format!(
                "note: the project has uncommitted changes; the site is marked as built from {}",
                source.describe()
            ));
        }
    }
    if let Some(d) = &dir {
        let inputs = report.sources.iter().map(|(p, _)| p.as_path());
        output::check_no_sources(&s.root, d, inputs)?;
        if s.dry_run {
            let mut old = dir_files(d)?;
            if keep_cname {
                // Kept by the publish, like .git.
                old.remove("CNAME");
            }
            let changes = diff(&files, &old, |f| f.bytes.clone());
            changes.describe(&mut lines, &d.display().to_string());
        } else {
            let carry: &[&str] = if keep_cname {
                &[".git", "CNAME"]
            } else {
                &[".git"]
            };
            output::write_atomically_carrying(d, &files, false, carry)?;
            lines.push(format!(
                "published {} files to {} for {base}",
                files.len(),
                d.display()
            ));
        }
    }
    Ok(Published {
        warnings: report.warnings,
        sources: report.sources,
        lines,
    })
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}

/// The base URL from the command line or manuscript.yaml (checked when the
/// project loaded), as an absolute http(s) URL ending in `/`.
fn base_url(s: &Settings, project: &Project) -> Result<Url, Error> {
    if let Some(given) = &s.base_url {
        return parse_base_url(given)
            .map_err(|m| Error::Usage(format!("--base-url `{given}` {m}")));
    }
    match &project.meta.base_url {
        Some(given) => parse_base_url(given).map_err(|m| Error::Usage(format!("base_url `{given}` {m}"))),
        None => Err(Error::Usage(format!(
            "publish needs the address the site will be served from, for its canonical URL, metadata and sitemap: pass --base-url URL (such as https://user.github.io/paper/) or set base_url in {MANIFEST}"
        ))),
    }
}

/// `.galley-publish`: what wrote the folder, and for which address.
fn marker(base: &Url) -> String {
    format!(
        "This folder is a site written by `galley publish` (galley {VERSION}) for {base}.\n\
         The next publish to it replaces everything in it but .git.\n"
    )
}

/// sitemap.xml: the article and its PDF, by absolute URL.
fn sitemap(base: &Url, pdf: &str) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for loc in [base.to_string(), format!("{base}{pdf}")] {
        let _ = writeln!(
            s,
            "  <url><loc>{}</loc></url>",
            crate::render::html::esc(&loc)
        );
    }
    s.push_str("</urlset>\n");
    s
}

fn commit_message(source: &git::Source, base: &Url) -> String {
    format!(
        "Publish the site built from {}\n\n\
         Built by galley {VERSION} for {base}.\n",
        source.describe()
    )
}

/// Refuse a folder whose replacement would destroy something that is not a
/// previous galley output: it must be new, empty, hold exactly what its
/// manifest.json lists (besides `.git` and `CNAME`, which are kept), or be
/// marked for publishing by the user (an empty [`MARKER`] file).
fn check_dir(root: &Path, dir: &Path) -> Result<(), Diagnostic> {
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

/// Files a publish adds, changes and removes.
struct Changes {
    add: Vec<String>,
    change: Vec<String>,
    remove: Vec<String>,
}

fn diff<T: PartialEq>(
    files: &[OutFile],
    old: &BTreeMap<String, T>,
    key: impl Fn(&OutFile) -> T,
) -> Changes {
    let mut c = Changes {
        add: Vec::new(),
        change: Vec::new(),
        remove: Vec::new(),
    };
    for f in files {
        match old.get(&f.path) {
            None => c.add.push(f.path.clone()),
            Some(v) if *v != key(f) => c.change.push(f.path.clone()),
            Some(_) => {}
        }
    }
    let new: std::collections::BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    c.remove = old
        .keys()
        .filter(|k| !new.contains(k.as_str()))
        .cloned()
        .collect();
    c
}

impl Changes {
    fn describe(&self, lines: &mut Vec<String>, place: &str) {
        for (word, list) in [
            ("add", &self.add),
            ("change", &self.change),
            ("remove", &self.remove),
        ] {
            for p in list {
                lines.push(format!("{word:<7} {p}"));
            }
        }
        if self.add.is_empty() && self.change.is_empty() && self.remove.is_empty() {
            lines.push(format!("dry run: nothing would change in {place}"));
        } else {
            lines.push(format!(
                "dry run: {} to add, {} to change, {} to remove in {place}; nothing was written",
                self.add.len(),
                self.change.len(),
                self.remove.len()
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_end_in_a_slash() {
        assert_eq!(
            parse_base_url("https://u.github.io/paper")
                .unwrap()
                .as_str(),
            "https://u.github.io/paper/"
        );
        assert_eq!(
            parse_base_url("https://example.org").unwrap().as_str(),
            "https://example.org/"
        );
        assert!(parse_base_url("u.github.io/paper").is_err());
        assert!(parse_base_url("ftp://example.org/").is_err());
        assert!(parse_base_url("https://example.org/?a=1").is_err());
    }

    #[test]
    fn sitemap_lists_the_article_and_the_pdf() {
        let base = parse_base_url("https://u.github.io/paper/").unwrap();
        let s = sitemap(&base, "a&b.pdf");
        assert!(s.contains("<loc>https://u.github.io/paper/</loc>"));
        assert!(s.contains("<loc>https://u.github.io/paper/a&amp;b.pdf</loc>"));
    }
}
