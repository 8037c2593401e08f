//! Committing the site as the whole tree of a branch (`gh-pages`) with git
//! plumbing: blobs, a tree built in a temporary index, `commit-tree` and
//! `update-ref`. The working tree, the real index and the current branch
//! are never touched.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::diag::Diagnostic;
use crate::render::OutFile;

/// The git repository holding the project.
pub struct Repo {
    /// The project root (git runs there).
    dir: PathBuf,
}

/// The commit the site was built from.
pub struct Source {
    /// None in a repository without commits.
    pub commit: Option<String>,
    /// The project's files differ from that commit (or are untracked).
    pub dirty: bool,
}

impl Source {
    /// "1a2b3c…" or "1a2b3c…-dirty", as the publish commit names it.
    pub fn describe(&self) -> String {
        match &self.commit {
            Some(c) if self.dirty => format!("{c}-dirty"),
            Some(c) => c.clone(),
            None => "no commit yet (uncommitted files)".to_string(),
        }
    }
}

/// What publishing to a branch did.
pub enum Outcome {
    /// A new commit on the branch.
    Committed {
        commit: String,
        parent: Option<String>,
    },
    /// The site is the tree of the branch's last commit already.
    Unchanged { commit: String },
}

impl Repo {
    /// The repository holding `root`, or a message saying there is none.
    pub fn open(root: &Path) -> Result<Repo, Diagnostic> {
        let repo = Repo {
            dir: root.to_path_buf(),
        };
        repo.run(&["rev-parse", "--show-toplevel"], None, None)
            .map_err(|e| {
                Diagnostic::error(format!(
                    "--branch commits the site to a branch of the project's git repository, but {} is not inside one ({})",
                    root.display(),
                    e.message
                ))
            })?;
        Ok(repo)
    }

    /// Run git with optional stdin and index file; stdout on success, its
    /// stderr as the message otherwise.
    fn run(
        &self,
        args: &[&str],
        stdin: Option<&[u8]>,
        index: Option<&Path>,
    ) -> Result<String, Diagnostic> {
        let mut cmd = Command::new("git");
        cmd.args(args)
            .current_dir(&self.dir)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Run from a git hook, these would point git at another
            // repository, work tree or index than the project's.
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("GIT_COMMON_DIR");
        if let Some(i) = index {
            cmd.env("GIT_INDEX_FILE", i);
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| Diagnostic::error(format!("cannot run git: {e}")))?;
        if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
            // A writer thread, so a full stdout pipe cannot block us.
            let input = input.to_vec();
            std::thread::spawn(move || {
                let _ = pipe.write_all(&input);
            });
        }
        let out = child
            .wait_with_output()
            .map_err(|e| Diagnostic::error(format!("cannot run git: {e}")))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            let err = String::from_utf8_lossy(&out.stderr);
            let err = err.trim();
            Err(Diagnostic::error(format!(
                "git {} failed: {}",
                args.first().copied().unwrap_or(""),
                if err.is_empty() { "no message" } else { err }
            )))
        }
    }

    fn try_run(&self, args: &[&str]) -> Option<String> {
        self.run(args, None, None)
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    }

    /// Refuse names git would not take, the branch checked out here and
    /// a branch checked out in another worktree (moving it would leave that
    /// worktree out of step).
    pub fn check_branch(&self, branch: &str) -> Result<(), Diagnostic> {
        if self
            .run(&["check-ref-format", "--branch", branch], None, None)
            .is_err()
            || branch.starts_with('-')
        {
            return Err(Diagnostic::error(format!(
                "`{branch}` is not a valid branch name"
            )));
        }
        if branch.starts_with("refs/") || branch == "HEAD" {
            return Err(Diagnostic::error(format!(
                "`{branch}` is not a branch name but a reference; give the short name of a local branch, such as gh-pages"
            )));
        }
        let remotes = self.try_run(&["remote"]).unwrap_or_default();
        if let Some(remote) = remotes
            .lines()
            .map(str::trim)
            .find(|r| !r.is_empty() && branch.starts_with(&format!("{r}/")))
        {
            return Err(Diagnostic::error(format!(
                "`{branch}` names a branch of the remote `{remote}`; publish commits to a local branch (such as {}), which you then push",
                &branch[remote.len() + 1..]
            )));
        }
        let full = format!("refs/heads/{branch}");
        if self.try_run(&["symbolic-ref", "-q", "HEAD"]).as_deref() == Some(full.as_str()) {
            return Err(Diagnostic::error(format!(
                "refusing to publish to `{branch}`: it is the branch checked out here, and the site replaces its whole tree (use a branch of its own, such as gh-pages)"
            )));
        }
        let list = self
            .run(&["worktree", "list", "--porcelain"], None, None)
            .unwrap_or_default();
        let mut worktree = "";
        for line in list.lines() {
            if let Some(w) = line.strip_prefix("worktree ") {
                worktree = w;
            } else if line.strip_prefix("branch ") == Some(full.as_str()) {
                return Err(Diagnostic::error(format!(
                    "refusing to publish to `{branch}`: it is checked out in the worktree {worktree}"
                )));
            }
        }
        Ok(())
    }

    /// HEAD, and whether the project's files differ from it.
    pub fn source(&self) -> Result<Source, Diagnostic> {
        let commit = self.try_run(&["rev-parse", "-q", "--verify", "HEAD^{commit}"]);
        let status = self.run(
            &[
                "status",
                "--porcelain",
                "--untracked-files=normal",
                "--",
                ".",
            ],
            None,
            None,
        )?;
        Ok(Source {
            commit,
            dirty: !status.trim().is_empty(),
        })
    }

    /// The commit a branch points at.
    pub fn tip(&self, branch: &str) -> Option<String> {
        self.try_run(&[
            "rev-parse",
            "-q",
            "--verify",
            &format!("refs/heads/{branch}^{{commit}}"),
        ])
    }

    /// The contents of a blob.
    pub fn blob(&self, id: &str) -> Result<Vec<u8>, Diagnostic> {
        self.run(&["cat-file", "blob", id], None, None)
            .map(String::into_bytes)
    }

    /// The files of a commit's tree: path → blob id.
    pub fn tree_files(&self, commit: &str) -> Result<BTreeMap<String, String>, Diagnostic> {
        let out = self.run(&["ls-tree", "-r", "-z", "--full-tree", commit], None, None)?;
        Ok(out
            .split('\0')
            .filter_map(|entry| {
                let (info, path) = entry.split_once('\t')?;
                let id = info.split_whitespace().nth(2)?;
                Some((path.to_string(), id.to_string()))
            })
            .collect())
    }

    /// Blob ids of the files, in order; stored in the repository when
    /// `write` is set.
    pub fn blob_ids(&self, files: &[OutFile], write: bool) -> Result<Vec<String>, Diagnostic> {
        let tmp = tempfile::tempdir()
            .map_err(|e| Diagnostic::error(format!("cannot create a temporary folder: {e}")))?;
        let mut list = String::new();
        for (n, f) in files.iter().enumerate() {
            // Numbered names: the site's paths need no folders here.
            let p = tmp.path().join(n.to_string());
            std::fs::write(&p, &f.bytes)
                .map_err(|e| Diagnostic::error(format!("cannot write {}: {e}", p.display())))?;
            list.push_str(&p.to_string_lossy());
            list.push('\n');
        }
        let mut args = vec!["hash-object", "--no-filters", "--stdin-paths"];
        if write {
            args.push("-w");
        }
        let out = self.run(&args, Some(list.as_bytes()), None)?;
        let ids: Vec<String> = out.lines().map(str::to_string).collect();
        if ids.len() != files.len() {
            return Err(Diagnostic::error(
                "git hash-object gave an unexpected answer",
            ));
        }
        Ok(ids)
    }

    /// Store the site as a tree (through a temporary index file).
    fn write_tree(&self, files: &[OutFile], ids: &[String]) -> Result<String, Diagnostic> {
        let tmp = tempfile::tempdir()
            .map_err(|e| Diagnostic::error(format!("cannot create a temporary folder: {e}")))?;
        let index = tmp.path().join("index");
        let mut info = Vec::new();
        for (f, id) in files.iter().zip(ids) {
            info.extend_from_slice(format!("100644 {id}\t{}", f.path).as_bytes());
            info.push(0);
        }
        self.run(
            &["update-index", "--add", "-z", "--index-info"],
            Some(&info),
            Some(&index),
        )?;
        Ok(self
            .run(&["write-tree"], None, Some(&index))?
            .trim()
            .to_string())
    }

    /// Commit the site as the tree of `branch` (created if needed), one
    /// commit per publish on top of the previous one; no commit when the
    /// tree is the same.
    pub fn commit_site(
        &self,
        branch: &str,
        files: &[OutFile],
        message: &str,
    ) -> Result<Outcome, Diagnostic> {
        let ids = self.blob_ids(files, true)?;
        let tree = self.write_tree(files, &ids)?;
        let parent = self.tip(branch);
        if let Some(p) = &parent {
            if self
                .try_run(&["rev-parse", &format!("{p}^{{tree}}")])
                .as_deref()
                == Some(&tree)
            {
                return Ok(Outcome::Unchanged { commit: p.clone() });
            }
        }
        let mut args = vec!["commit-tree"];
        if let Some(p) = &parent {
            args.extend(["-p", p.as_str()]);
        }
        args.extend(["-F", "-", tree.as_str()]);
        let commit = self
            .run(&args, Some(message.as_bytes()), None)?
            .trim()
            .to_string();
        let full = format!("refs/heads/{branch}");
        // The old value guards against a concurrent change of the branch.
        let old = parent.clone().unwrap_or_default();
        self.run(
            &["update-ref", "-m", "galley publish", &full, &commit, &old],
            None,
            None,
        )?;
        Ok(Outcome::Committed { commit, parent })
    }
}
