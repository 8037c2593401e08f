//! `galley check`: every validation of `build`, the outputs rendered in
//! memory, nothing written.

use std::path::PathBuf;
use std::process::ExitCode;

use super::plural;
use crate::pipeline::Build;

#[derive(clap::Args)]
pub struct Args {
    /// Project root (default: found from the working directory).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Treat warnings as errors (for CI).
    #[arg(long)]
    deny_warnings: bool,
}

pub fn run(args: Args) -> ExitCode {
    let root = match super::find_root(args.root) {
        Ok(r) => r,
        Err(m) => return super::usage_error(&m),
    };
    match Build::new(root).run() {
        Ok(built) => {
            let report = built.report;
            super::print_warnings(&report.warnings, &report.sources);
            let n = report.warnings.0.len();
            if n > 0 && args.deny_warnings {
                eprintln!("error: {n} warning{} denied by --deny-warnings", plural(n));
                return ExitCode::from(1);
            }
            if n == 0 {
                eprintln!("check: no problems found");
            } else {
                eprintln!("check: no errors, {n} warning{}", plural(n));
            }
            ExitCode::SUCCESS
        }
        Err(f) => super::failed(&f, "check found", ""),
    }
}
