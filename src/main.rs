use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use galley::diag::{self, Diagnostics, SourceMap};
use galley::load::project;
use galley::pipeline::{self, Options};

/// Counts memory per thread, so the template sandbox can bound a rendering.
#[global_allocator]
static ALLOCATOR: galley::assemble::sandbox::memory::Counting =
    galley::assemble::sandbox::memory::Counting;

/// Build a scientific paper kept as plain files into a website, the same
/// bytes every time.
#[derive(Parser)]
#[command(name = "galley", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the site and the PDF into public/ (index.html, <slug>.pdf, data,
    /// BibTeX, figures).
    ///
    /// The build writes into a fresh folder beside the output and swaps it
    /// in when complete: a failed build leaves the previous output as it was.
    Build(BuildArgs),
    /// Run every validation of `build` (data references, citations,
    /// cross-references, tables, math, templates, data checks, the PDF) and
    /// write nothing. Exit status: 0 clean, 1 errors, 2 usage.
    Check(CheckArgs),
    /// Create a small manuscript project that builds as it is: manuscript.yaml,
    /// two sections with a data reference, citations, cross-references and a
    /// generated table, a CSV dataset and a BibTeX file. The theme stays
    /// inside galley unless --theme copies it for editing.
    New(NewArgs),
    /// Preview while writing: build, serve the site from memory on
    /// 127.0.0.1:8000, watch manuscript/, bibliography/ and theme/, rebuild
    /// what changed and reload open pages (the PDF follows the HTML). A
    /// failed rebuild is shown over the last good build. Writes nothing.
    Serve(ServeArgs),
    /// Build the site for a static host (GitHub Pages, GitLab Pages,
    /// Netlify, a web server's folder) and put it there.
    ///
    /// A clean build with absolute URLs from --base-url (canonical link,
    /// citation_pdf_url, OpenGraph, sitemap.xml), content-hashed asset
    /// names, .nojekyll and 404.html; every internal link and anchor is
    /// verified. Nothing is written unless all of that succeeds. Without
    /// --dir or --branch the site goes to public/.
    Publish(PublishArgs),
}

#[derive(Args)]
struct ServeArgs {
    /// Project root (default: found from the working directory).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Port to listen on (0 picks a free one; the URL is printed).
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// Address to listen on. Anything but a loopback address makes the
    /// preview reachable from other machines.
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
    bind: std::net::IpAddr,
    /// Open the preview in the default browser.
    #[arg(long)]
    open: bool,
}

#[derive(Args)]
struct PublishArgs {
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

#[derive(Args)]
struct NewArgs {
    /// Folder to create (must not exist or be empty).
    dir: PathBuf,
    /// Also copy the built-in theme to theme/ for editing.
    #[arg(long)]
    theme: bool,
}

#[derive(Args)]
struct CheckArgs {
    /// Project root (default: found from the working directory).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Treat warnings as errors (for CI).
    #[arg(long)]
    deny_warnings: bool,
}

#[derive(Args)]
struct BuildArgs {
    /// Project root (default: the nearest folder above the working directory
    /// holding manuscript/manuscript.yaml).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Output folder (default: public/ in the project root).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Build only the HTML site (the PDF of the previous build is kept).
    #[arg(long, conflicts_with = "pdf")]
    html: bool,
    /// Build only the PDF (the site of the previous build is kept).
    #[arg(long)]
    pdf: bool,
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

fn find_root(given: Option<PathBuf>) -> Result<PathBuf, String> {
    match given {
        Some(r) => {
            if r.join(project::MANIFEST).is_file() {
                Ok(r)
            } else {
                Err(format!("{} holds no {}", r.display(), project::MANIFEST))
            }
        }
        None => {
            let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
            project::find_root(&cwd).ok_or_else(|| {
                format!(
                    "no {} here or in any parent folder (use --root DIR)",
                    project::MANIFEST
                )
            })
        }
    }
}

fn usage_error(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

fn print_warnings(w: &Diagnostics, sources: &SourceMap) {
    if !w.is_empty() {
        diag::emit(w, sources);
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::New(args) => match galley::commands::new::create(&args.dir, args.theme) {
            Ok(files) => {
                for f in &files {
                    println!("created {}", args.dir.join(f).display());
                }
                println!(
                    "\nnext: cd {} && galley build   (then open public/index.html)",
                    args.dir.display()
                );
                ExitCode::SUCCESS
            }
            Err(msg) => {
                eprintln!("error: {msg}");
                ExitCode::from(1)
            }
        },
        Command::Serve(args) => {
            let root = match find_root(args.root) {
                Ok(r) => r,
                Err(m) => return usage_error(&m),
            };
            let opts = galley::commands::serve::ServeOptions {
                root,
                bind: args.bind,
                port: args.port,
                open: args.open,
            };
            match galley::commands::serve::serve(opts) {
                Ok(()) => ExitCode::SUCCESS,
                Err(m) => {
                    eprintln!("error: {m}");
                    ExitCode::from(1)
                }
            }
        }
        Command::Check(args) => {
            let root = match find_root(args.root) {
                Ok(r) => r,
                Err(m) => return usage_error(&m),
            };
            let opts = Options {
                out: root.join("public"),
                root,
                html: true,
                pdf: true,
                force: false,
                base_url: None,
                emit_typst: None,
            };
            match pipeline::prepare(&opts) {
                Ok((_, report)) => {
                    print_warnings(&report.warnings, &report.sources);
                    let n = report.warnings.0.len();
                    if n > 0 && args.deny_warnings {
                        eprintln!(
                            "error: {n} warning{} denied by --deny-warnings",
                            if n == 1 { "" } else { "s" }
                        );
                        return ExitCode::from(1);
                    }
                    if n == 0 {
                        eprintln!("check: no problems found");
                    } else {
                        eprintln!(
                            "check: no errors, {n} warning{}",
                            if n == 1 { "" } else { "s" }
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(f) => {
                    diag::emit(&f.diags, &f.sources);
                    let n = f.diags.errors().count();
                    eprintln!(
                        "error: check found {n} error{}",
                        if n == 1 { "" } else { "s" }
                    );
                    ExitCode::from(1)
                }
            }
        }
        Command::Publish(args) => {
            let root = match find_root(args.root) {
                Ok(r) => r,
                Err(m) => return usage_error(&m),
            };
            let settings = galley::commands::publish::Settings {
                root,
                base_url: args.base_url,
                dir: args.dir,
                branch: args.branch,
                dry_run: args.dry_run,
            };
            match galley::commands::publish::publish(&settings) {
                Ok(done) => {
                    print_warnings(&done.warnings, &done.sources);
                    for line in &done.lines {
                        println!("{line}");
                    }
                    ExitCode::SUCCESS
                }
                Err(galley::commands::publish::Error::Usage(m)) => usage_error(&m),
                Err(galley::commands::publish::Error::Failed(f)) => {
                    diag::emit(&f.diags, &f.sources);
                    let n = f.diags.errors().count();
                    eprintln!(
                        "error: publish failed with {n} error{}; nothing was published",
                        if n == 1 { "" } else { "s" }
                    );
                    ExitCode::from(1)
                }
            }
        }
        Command::Build(args) => {
            let root = match find_root(args.root) {
                Ok(r) => r,
                Err(m) => return usage_error(&m),
            };
            let base_url = match args.base_url.as_deref().map(project::parse_base_url) {
                None => None,
                Some(Ok(url)) => Some(url.to_string()),
                Some(Err(m)) => {
                    return usage_error(&format!(
                        "--base-url `{}` {m}",
                        args.base_url.unwrap_or_default()
                    ))
                }
            };
            let out = args.out.unwrap_or_else(|| root.join("public"));
            let both = !args.html && !args.pdf;
            let opts = Options {
                root,
                out: out.clone(),
                html: both || args.html,
                pdf: both || args.pdf,
                force: args.force,
                base_url,
                emit_typst: args.emit_typst,
            };
            match pipeline::build(&opts) {
                Ok(report) => {
                    print_warnings(&report.warnings, &report.sources);
                    if args.timings {
                        for (stage, secs) in &report.timings {
                            eprintln!("{stage:<36} {:>8.1} ms", secs * 1000.0);
                        }
                        eprintln!("{:<36} {:>8.1} ms", "total", report.seconds * 1000.0);
                    }
                    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                        eprintln!(
                            "built {} ({} files) in {:.2} s",
                            out.display(),
                            report.files.len(),
                            report.seconds
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(f) => {
                    diag::emit(&f.diags, &f.sources);
                    let n = f.diags.errors().count();
                    eprintln!(
                        "error: build failed with {n} error{}; {} was left as it was",
                        if n == 1 { "" } else { "s" },
                        out.display()
                    );
                    ExitCode::from(1)
                }
            }
        }
    }
}
