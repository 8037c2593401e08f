//! `galley build`: the site and the PDF, written into the output folder
//! atomically (a failed build leaves the previous output as it was).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::load::meta::parse_base_url;
use crate::pipeline::Build;
use crate::render::Format;

#[derive(clap::Args)]
pub struct Args {
    /// Project root (default: the nearest folder above the working directory
    /// holding manuscript/manuscript.yaml).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Output folder (default: public/ in the project root).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Build only the HTML site (the PDF, XML and Word file of the
    /// previous build are kept).
    #[arg(long, conflicts_with_all = ["pdf", "jats", "docx"])]
    html: bool,
    /// Build only the PDF (the other outputs of the previous build are kept).
    #[arg(long, conflicts_with_all = ["jats", "docx"])]
    pdf: bool,
    /// Build only the JATS XML (`<slug>.xml`; the others are kept).
    #[arg(long, conflicts_with = "docx")]
    jats: bool,
    /// Build only the Word file (`<slug>.docx`; the others are kept).
    #[arg(long)]
    docx: bool,
    /// Replace an output folder even if it holds a .git folder or a project.
    #[arg(long)]
    force: bool,
    /// Print how long each stage took.
    #[arg(long)]
    timings: bool,
    /// Also write the Typst source galley generates for the PDF (main.typ
    /// and the theme, figures and images it reads) into DIR.
    #[arg(long, value_name = "DIR")]
    emit_typst: Option<PathBuf>,
    /// Absolute URL the site will be served from (canonical link, metadata).
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
}

pub fn run(args: Args) -> ExitCode {
    let root = match super::find_root(args.root) {
        Ok(r) => r,
        Err(m) => return super::usage_error(&m),
    };
    let mut build = Build::new(root);
    if let Some(given) = &args.base_url {
        match parse_base_url(given) {
            Ok(url) => build.base_url = Some(url.to_string()),
            Err(m) => return super::usage_error(&format!("--base-url `{given}` {m}")),
        }
    }
    if let Some(out) = args.out {
        build.out = out;
    }
    build.emit_typst = args.emit_typst;
    if args.html {
        build = build.formats(&[Format::Site]);
    } else if args.pdf {
        build = build.formats(&[Format::Pdf]);
    } else if args.jats {
        build = build.formats(&[Format::Jats]);
    } else if args.docx {
        build = build.formats(&[Format::Docx]);
    }
    match build.write(args.force) {
        Ok(report) => {
            super::print_warnings(&report.warnings, &report.sources);
            if args.timings {
                for (stage, secs) in &report.timings {
                    eprintln!("{stage:<36} {:>8.1} ms", secs * 1000.0);
                }
                eprintln!("{:<36} {:>8.1} ms", "total", report.seconds * 1000.0);
            }
            if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                eprintln!(
                    "built {} ({} files) in {:.2} s",
                    build.out.display(),
                    report.files.len(),
                    report.seconds
                );
            }
            ExitCode::SUCCESS
        }
        Err(f) => {
            let after = format!("; {} was left as it was", build.out.display());
            super::failed(&f, "build failed with", &after)
        }
    }
}
