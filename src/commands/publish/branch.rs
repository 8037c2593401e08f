//! Publishing to a branch: the site committed as the whole tree of a
//! branch of the project's repository, the working tree left alone.

use std::collections::BTreeMap;

use url::Url;

use super::changes::diff;
use super::git::{Outcome, Repo};
use super::host::{commit_message, short};
use super::Error;
use crate::render::OutFile;

/// A branch of the project's repository.
pub struct Branch<'a> {
    pub repo: &'a Repo,
    pub name: &'a str,
}

impl Branch<'_> {
    /// Commit `files` (or, for a dry run, say what would change), adding a
    /// line for the user to `lines`.
    pub fn publish(
        &self,
        files: &[OutFile],
        base: &Url,
        keep_cname: bool,
        dry_run: bool,
        lines: &mut Vec<String>,
    ) -> Result<(), Error> {
        let (repo, branch) = (self.repo, self.name);
        let source = repo.source()?;
        let mut files = files.to_vec();
        if keep_cname {
            if let Some(tip) = repo.tip(branch) {
                if let Some(id) = repo.tree_files(&tip)?.get("CNAME") {
                    files.push(OutFile::new("CNAME", repo.blob(id)?));
                    files.sort_by(|a, b| a.path.cmp(&b.path));
                }
            }
        }
        if dry_run {
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
            changes.describe(lines, &format!("branch {branch}"));
        } else {
            let message = commit_message(&source, base);
            match repo.commit_site(branch, &files, &message)? {
                Outcome::Committed { commit, parent } => {
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
                Outcome::Unchanged { commit } => lines.push(format!(
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
        Ok(())
    }
}
