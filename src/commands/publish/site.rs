//! The publish itself: the destinations checked before anything is built,
//! a clean build for the host with every link verified, then the branch
//! commit and the folder write.

use std::path::{Path, PathBuf};

use url::Url;

use super::git::Repo;
use super::{branch, folder, host};
use crate::diag::{Diagnostic, Diagnostics, Failure, SourceMap};
use crate::load::meta::parse_base_url;
use crate::load::project::{Project, MANIFEST};
use crate::pipeline::{Build, Built, Report};
use crate::render::{Naming, OutFile};
use crate::site::{links, output};

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
        folder::check_dir(&s.root, d)?;
    }
    let (files, report, base) = site(s, dir.as_deref())?;
    let mut lines = Vec::new();
    // A custom domain set on the host (GitHub Pages keeps it in CNAME)
    // stays set, unless the site has its own.
    let keep_cname = !files.iter().any(|f| f.path == "CNAME");
    // The branch first: a commit that fails leaves the folder untouched too.
    if let (Some(repo), Some(branch)) = (&repo, &s.branch) {
        let to = branch::Branch { repo, name: branch };
        to.publish(&files, &base, keep_cname, s.dry_run, &mut lines)?;
    }
    if let Some(d) = &dir {
        let inputs = report.sources.iter().map(|(p, _)| p.as_path());
        output::check_no_sources(&s.root, d, inputs)?;
        folder::publish(d, &files, &base, keep_cname, s.dry_run, &mut lines)?;
    }
    Ok(Published {
        warnings: report.warnings,
        sources: report.sources,
        lines,
    })
}

/// The site for a host: a clean build with content-hashed names and
/// absolute URLs, the host's files, and every internal link verified.
fn site(s: &Settings, dir: Option<&Path>) -> Result<(Vec<OutFile>, Report, Url), Error> {
    let mut build = Build::new(s.root.clone());
    if let Some(d) = dir {
        build.out = d.to_path_buf();
    }
    build.naming = Naming::Hashed;
    let checked = build.check()?;
    let base = base_url(s, &checked.project)?;
    build.base_url = Some(base.to_string());
    let pdf = format!("{}.pdf", checked.assembled.doc.slug);
    let Built { mut files, report } = build.complete(checked)?;
    host::add_files(&mut files, &base, &pdf);
    output::list_outputs(&mut files, &[]);
    let (broken, pages) = links::check(&files, &base);
    if !broken.is_empty() {
        let mut sources = report.sources;
        for (path, text) in pages.iter() {
            if sources.get(path).is_none() {
                sources.insert(path.clone(), text.clone());
            }
        }
        return Err(Error::Failed(Failure {
            diags: broken,
            sources,
        }));
    }
    Ok((files, report, base))
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
}
