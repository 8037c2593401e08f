use std::process::ExitCode;

use clap::{Parser, Subcommand};

use galley::commands;

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
    Build(commands::build::Args),
    /// Run every validation of `build` (data references, citations,
    /// cross-references, tables, math, templates, data checks, the PDF) and
    /// write nothing. Exit status: 0 clean, 1 errors, 2 usage.
    Check(commands::check::Args),
    /// Create a small manuscript project that builds as it is: manuscript.yaml,
    /// two sections with a data reference, citations, cross-references and a
    /// generated table, a CSV dataset and a BibTeX file. The theme stays
    /// inside galley unless --theme copies it for editing.
    New(commands::new::Args),
    /// Preview while writing: build, serve the site from memory on
    /// 127.0.0.1:8000, watch manuscript/, bibliography/ and theme/, rebuild
    /// what changed and reload open pages (the PDF follows the HTML). A
    /// failed rebuild is shown over the last good build. Writes nothing.
    Serve(commands::serve::Args),
    /// Build the site for a static host (GitHub Pages, GitLab Pages,
    /// Netlify, a web server's folder) and put it there.
    ///
    /// A clean build with absolute URLs from --base-url (canonical link,
    /// citation_pdf_url, OpenGraph, sitemap.xml), content-hashed asset
    /// names, .nojekyll and 404.html; every internal link and anchor is
    /// verified. Nothing is written unless all of that succeeds. Without
    /// --dir or --branch the site goes to public/.
    Publish(commands::publish::Args),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Build(args) => commands::build::run(args),
        Command::Check(args) => commands::check::run(args),
        Command::New(args) => commands::new::run(args),
        Command::Serve(args) => commands::serve::run(args),
        Command::Publish(args) => commands::publish::run(args),
    }
}
