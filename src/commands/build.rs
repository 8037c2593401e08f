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
    /// Print nothing but errors and warnings (what was written, and the
    /// progress of a long build, are printed only to a terminal anyway).
    #[arg(long, short)]
    quiet: bool,
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
    let progress = super::progress::Progress::new(args.quiet);
    build.on_step = Some(progress.on_step());
    let written = build.write(args.force);
    progress.finish();
    match written {
        Ok(report) => {
            super::print_warnings(&report.warnings, &report.sources);
            if args.timings {
                for (stage, secs) in &report.timings {
                    eprintln!("{stage:<36} {:>8.1} ms", secs * 1000.0);
                }
                eprintln!("{:<36} {:>8.1} ms", "total", report.seconds * 1000.0);
            }
            if !args.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                eprint!("{}", summary(&build.out, &report));
            }
            ExitCode::SUCCESS
        }
        Err(f) => {
            let after = format!("; {} was left as it was", build.out.display());
            super::failed(&f, "build failed with", &after)
        }
    }
}

/// "1.2 MB", "340 KB", "812 B".
fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.0} KB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

/// What the build wrote: each output's main file, its size and what it
/// holds, and the time the build took.
fn summary(out: &std::path::Path, report: &crate::pipeline::Report) -> String {
    let mut rows: Vec<[String; 3]> = Vec::new();
    for m in &report.made {
        let file = if m.files > 1 {
            format!("{} + {} files", m.file, m.files - 1)
        } else {
            m.file.clone()
        };
        let mut what = size(m.bytes);
        if let Some(s) = &m.summary {
            what.push_str(&format!(", {s}"));
        }
        if m.unchanged {
            what.push_str(" (unchanged)");
        }
        rows.push([m.name.to_string(), file, what]);
    }
    let w0 = rows.iter().map(|r| r[0].chars().count()).max().unwrap_or(0);
    let w1 = rows.iter().map(|r| r[1].chars().count()).max().unwrap_or(0);
    let mut s = format!(
        "built {} in {:.2} s ({} files)\n",
        out.display(),
        report.seconds,
        report.files.len()
    );
    for [name, file, what] in rows {
        s.push_str(&format!("  {name:<w0$}  {file:<w1$}  {what}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(super::size(812), "812 B");
        assert_eq!(super::size(340 * 1024), "340 KB");
        assert_eq!(super::size(1_300_000), "1.2 MB");
    }
}
