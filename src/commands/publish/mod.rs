//! `galley publish`: a clean build for a static host, with absolute URLs
//! from the base URL, content-hashed asset names, `.nojekyll`,
//! `sitemap.xml`, and every internal link and anchor verified — then
//! written to a folder ([`folder`]) or committed as the tree of a git
//! branch ([`branch`]). Nothing is written unless all of that succeeds.

pub mod branch;
pub mod changes;
pub mod folder;
pub mod git;
pub mod host;
pub mod site;

use std::path::PathBuf;
use std::process::ExitCode;

pub use host::MARKER;
pub use site::{publish, Error, Published, Settings};

#[derive(clap::Args)]
pub struct Args {
    /// Project root (default: found from the working directory).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Absolute URL the site is served from, such as
    /// https://user.github.io/paper/ (default: base_url in manuscript.yaml).
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Write the site to this folder (a new or empty one, or a previous
    /// publish, recognised by its .galley-publish file).
    #[arg(long, value_name = "PATH")]
    dir: Option<PathBuf>,
    /// Commit the site as the whole tree of this branch of the project's git
    /// repository (created if needed), leaving the working tree and the
    /// current branch alone. Pushing is up to you.
    #[arg(long, value_name = "NAME")]
    branch: Option<String>,
    /// List the files that would be added, changed and removed; write
    /// nothing.
    #[arg(long)]
    dry_run: bool,
}

pub fn run(args: Args) -> ExitCode {
    let root = match super::find_root(args.root) {
        Ok(r) => r,
        Err(m) => return super::usage_error(&m),
    };
    let settings = Settings {
        root,
        base_url: args.base_url,
        dir: args.dir,
        branch: args.branch,
        dry_run: args.dry_run,
    };
    match publish(&settings) {
        Ok(done) => {
            super::print_warnings(&done.warnings, &done.sources);
            for line in &done.lines {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(Error::Usage(m)) => super::usage_error(&m),
        Err(Error::Failed(f)) => {
            super::failed(&f, "publish failed with", "; nothing was published")
        }
    }
}
