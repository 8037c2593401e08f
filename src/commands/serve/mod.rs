//! `galley serve`: build, serve from memory, watch the project, rebuild what
//! changed and tell open pages to reload.
//!
//! - The site is kept in memory; nothing is written to the project, least
//!   of all to the published output folder.
//! - A rebuild reuses what did not change: the serve command owns a
//!   [`crate::cache::Cache`] and a [`Build`] kept across rebuilds, so
//!   unchanged files are not read again, the bibliography and unchanged
//!   sections are not parsed again, and the PDF renderer keeps its Typst
//!   world and recompiles incrementally. The site is published as soon as
//!   it is ready; the PDF follows ([`rebuild`]).
//! - Pages get a small script (only as served, never in `build` output)
//!   that listens on Server-Sent Events and patches the page in place: each
//!   reload event lists the files that changed and, for a page, the edits of
//!   its text ([`update`]); an edit of prose changes the one element that
//!   holds it, any other change is patched from the whole new page, and a
//!   changed script reloads the page where the reader was. Scroll position,
//!   focus and what the theme's script set are kept. A failed build shows
//!   as an overlay while the last good build stays served ([`http`],
//!   [`live`]).
//! - Events are gathered until every file written has been closed (4 ms
//!   after, where the platform reports closes) or 40 ms of quiet; the PDF
//!   and the Word file are made after the site, at a low priority
//!   ([`watch`], [`rebuild`]).
//! - `GALLEY_SERVE_DEBUG=1` prints every watcher event and whether it
//!   asks for a rebuild ([`watch`]).
//! - Requests are refused unless their `Host` is this machine (DNS
//!   rebinding); a foreign `Origin` is refused; only GET and HEAD; paths are
//!   looked up in the in-memory site only, after refusing `..`, `\` and NUL
//!   in any encoding ([`guard`], [`http::site_key`]).

pub mod guard;
pub mod http;
pub mod live;
pub mod rebuild;
pub mod update;
pub mod watch;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use crate::cache::Cache;
use crate::pipeline::Build;
pub use guard::RequestGuard;
pub use http::site_key;

#[derive(clap::Args)]
pub struct Args {
    /// Project root (default: found from the working directory).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Port to listen on (0 picks a free one; the URL is printed).
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// Address to listen on. Anything but a loopback address makes the
    /// preview reachable from other machines.
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
    bind: IpAddr,
    /// Open the preview in the default browser.
    #[arg(long)]
    open: bool,
}

pub fn run(args: Args) -> ExitCode {
    let root = match super::find_root(args.root.clone()) {
        Ok(r) => r,
        Err(m) => return super::usage_error(&m),
    };
    match serve(root, &args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(m) => {
            eprintln!("error: {m}");
            ExitCode::from(1)
        }
    }
}

/// Run the server until the process is stopped. Returns only on a setup
/// error (the address is taken, the project cannot be watched).
fn serve(root: PathBuf, args: &Args) -> Result<(), String> {
    // One spelling of the root for watching, building and comparing paths
    // (the watcher reports paths as it was given them).
    let root = root
        .canonicalize()
        .map_err(|e| format!("cannot open {}: {e}", root.display()))?;
    let listener = std::net::TcpListener::bind(SocketAddr::new(args.bind, args.port))
        .map_err(|e| format!("cannot listen on {}:{}: {e}", args.bind, args.port))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("cannot listen: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let shared = Arc::new(live::Shared::new(port, args.bind.is_loopback()));
    let build = Build::new(root.clone()).kept(Cache::new());
    let (watcher, events, superseded) = watch::start(&root)?;
    let mut builder = rebuild::Builder::new(build, shared.clone(), watcher, superseded);
    builder.rebuild_guarded();

    http::announce(&root, args.bind, port, args.open);
    // A stack as deep as the main thread's, for the nesting a manuscript
    // may have (the limits of Markdown, math and templates are set for it).
    std::thread::Builder::new()
        .name("galley-rebuild".into())
        .stack_size(64 << 20)
        .spawn(move || builder.run(&events))
        .map_err(|e| format!("cannot start the rebuild thread: {e}"))?;
    http::serve_forever(listener, shared)
}
