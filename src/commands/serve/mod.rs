//! `galley serve`: build, serve from memory, watch the project, rebuild what
//! changed and tell open pages to reload.
//!
//! - The site is kept in memory; nothing is written to the project, least
//!   of all to the published output folder.
//! - A rebuild reuses what did not change ([`crate::cache`]): unchanged files
//!   are not read again, the bibliography and unchanged sections are not
//!   parsed again, and the Typst world lives on so the PDF recompiles
//!   incrementally. The site is published as soon as it is ready; the PDF
//!   follows.
//! - Pages get a small script (only as served, never in `build` output)
//!   that listens on Server-Sent Events, reloads keeping the scroll
//!   position, and shows a failed build as an overlay while the last good
//!   build stays served.
//! - `GALLEY_SERVE_DEBUG=1` prints every watcher event and whether it
//!   asks for a rebuild.
//! - Requests are refused unless their `Host` is this machine (DNS
//!   rebinding); a foreign `Origin` is refused; only GET and HEAD; paths are
//!   looked up in the in-memory site only, after refusing `..`, `\` and NUL
//!   in any encoding.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Router;
use futures_util::stream::{self, Stream, StreamExt};
use notify::event::{AccessKind, AccessMode, ModifyKind};
use notify::{EventKind, RecursiveMode, Watcher};
use sha2::{Digest, Sha256};
use tokio::sync::broadcast;

use crate::cache;
use crate::diag;
use crate::pipeline::{self, Options};
use crate::render::pdf::GalleyWorld;

/// The folders of a project that `serve` watches.
pub const WATCHED: [&str; 3] = ["manuscript", "bibliography", "theme"];

/// Events are gathered until none has come for this long, so an editor's
/// atomic save or a `git checkout` of many files gives one rebuild.
const QUIET: Duration = Duration::from_millis(40);
/// ... but a steady stream of events does not hold a rebuild back longer.
const MAX_GATHER: Duration = Duration::from_secs(1);

const EVENTS_PATH: &str = "/__galley/events";
const SCRIPT_PATH: &str = "/__galley/live.js";
const LIVE_JS: &str = include_str!("live.js");

pub struct ServeOptions {
    pub root: PathBuf,
    pub bind: IpAddr,
    /// 0 picks a free port.
    pub port: u16,
    pub open: bool,
}

/// What reload connections are told.
#[derive(Clone, Debug)]
enum Notice {
    /// A new site generation is served.
    Reload(u64),
    /// The PDF of this generation is ready.
    Pdf(u64),
    /// The last rebuild failed: the diagnostics, as printed.
    Failed(String),
}

/// The site as served: the last good build, and the error of a failed one.
/// The site's files by path.
type Files = Arc<HashMap<String, Arc<Vec<u8>>>>;

struct Live {
    files: Files,
    generation: u64,
    error: Option<String>,
    /// Digest of the site's files (the PDF aside), to tell a rebuild that
    /// changed nothing.
    digest: [u8; 32],
}

struct Shared {
    live: Mutex<Live>,
    notices: broadcast::Sender<Notice>,
    guard: RequestGuard,
    /// Distinguishes this server's generations from an earlier server's,
    /// so a page left open across a restart reloads.
    instance: String,
}

/// An id for this server process.
fn instance_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{:x}{:x}", std::process::id(), nanos & 0xffff_ffff)
}

impl Shared {
    /// No site yet: generation 0, no error.
    fn new(notices: broadcast::Sender<Notice>, port: u16, loopback_only: bool) -> Shared {
        Shared {
            live: Mutex::new(Live {
                files: Arc::new(HashMap::new()),
                generation: 0,
                error: None,
                digest: [0; 32],
            }),
            notices,
            guard: RequestGuard {
                port,
                loopback_only,
            },
            instance: instance_id(),
        }
    }

    fn snapshot(&self) -> (Files, u64, Option<String>) {
        let live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        (live.files.clone(), live.generation, live.error.clone())
    }

    /// A generation as pages see it: `<instance>-<n>`.
    fn tag(&self, generation: u64) -> String {
        format!("{}-{generation}", self.instance)
    }

    fn notify(&self, n: Notice) {
        // No open page is not an error.
        let _ = self.notices.send(n);
    }
}

/// Run the server until the process is stopped. Returns only on a setup
/// error (the address is taken, the project cannot be watched).
pub fn serve(opts: ServeOptions) -> Result<(), String> {
    cache::enable();
    // One spelling of the root for watching, building and comparing paths
    // (the watcher reports paths as it was given them).
    let root = opts
        .root
        .canonicalize()
        .map_err(|e| format!("cannot open {}: {e}", opts.root.display()))?;
    let listener = std::net::TcpListener::bind(SocketAddr::new(opts.bind, opts.port))
        .map_err(|e| format!("cannot listen on {}:{}: {e}", opts.bind, opts.port))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("cannot listen: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let (notices, _) = broadcast::channel(64);
    let shared = Arc::new(Shared::new(notices, port, opts.bind.is_loopback()));

    let build_opts = Options {
        out: root.join("public"),
        root: root.clone(),
        html: true,
        pdf: true,
        force: false,
        base_url: None,
        emit_typst: None,
    };
    let (tx, rx) = mpsc::channel();
    // An edit to the sources while a rebuild runs supersedes it: the
    // rebuild's templates stop at their next step, and the next rebuild
    // starts from the new files (a runaway template cannot hold up a fix).
    let superseded = Arc::new(AtomicBool::new(false));
    let flag = superseded.clone();
    let watched_root = root.clone();
    // Symbolic links are not followed: a link to a large or unreadable tree
    // would be watched whole (or stop the watch), and the build refuses
    // files reached through links that leave the project anyway.
    let mut watcher = notify::RecommendedWatcher::new(
        move |ev: notify::Result<notify::Event>| {
            if ev
                .as_ref()
                .is_ok_and(|ev| relevant(ev, &watched_root, &HashSet::new()))
            {
                flag.store(true, Ordering::SeqCst);
            }
            let _ = tx.send(ev);
        },
        notify::Config::default().with_follow_symlinks(false),
    )
    .map_err(|e| format!("cannot watch the project: {e}"))?;
    watch_project(&mut watcher, &root)?;

    let mut builder = Builder {
        opts: build_opts,
        shared: shared.clone(),
        world: None,
        pdf_inputs: None,
        watcher,
        root: root.clone(),
        inputs: HashSet::new(),
        extra_dirs: HashSet::new(),
        superseded,
        retry: false,
    };
    builder.rebuild_guarded();

    let host = match opts.bind {
        IpAddr::V6(a) => format!("[{a}]"),
        IpAddr::V4(a) => a.to_string(),
    };
    let url = format!("http://{host}:{port}/");
    if !opts.bind.is_loopback() {
        eprintln!(
            "warning: serving on {} makes the preview reachable from other machines; \
             use the default 127.0.0.1 unless you mean it",
            opts.bind
        );
    }
    eprintln!(
        "serving {} at {url} (watching {}; Ctrl-C to stop)",
        root.display(),
        WATCHED.join("/, ") + "/"
    );
    if opts.open {
        open_browser(&url);
    }

    // A stack as deep as the main thread's, for the nesting a manuscript
    // may have (the limits of Markdown, math and templates are set for it).
    std::thread::Builder::new()
        .name("galley-rebuild".into())
        .stack_size(64 << 20)
        .spawn(move || builder.run(&rx))
        .map_err(|e| format!("cannot start the rebuild thread: {e}"))?;

    let app = Router::new().fallback(handle).with_state(shared.clone());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the server: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)
            .map_err(|e| format!("cannot listen: {e}"))?;
        axum::serve(listener, app)
            .await
            .map_err(|e| format!("server stopped: {e}"))
    })
}

fn watch_project(watcher: &mut impl Watcher, root: &Path) -> Result<(), String> {
    // The root itself, to notice a watched folder created later.
    watcher
        .watch(root, RecursiveMode::NonRecursive)
        .map_err(|e| format!("cannot watch {}: {e}", root.display()))?;
    for dir in WATCHED {
        let path = root.join(dir);
        if path.is_dir() {
            watcher
                .watch(&path, RecursiveMode::Recursive)
                .map_err(|e| format!("cannot watch {}: {e}", path.display()))?;
        }
    }
    Ok(())
}

/// Does this file event concern the project's sources: a file in a watched
/// folder, or one the last build read elsewhere in the project?
fn relevant(ev: &notify::Event, root: &Path, inputs: &HashSet<PathBuf>) -> bool {
    if ev.need_rescan() {
        // The kernel dropped events: anything may have changed.
        return true;
    }
    match ev.kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => {}
        EventKind::Access(_) => return false,
        _ => {}
    }
    ev.paths.iter().any(|p| {
        let Ok(rel) = p.strip_prefix(root) else {
            return false;
        };
        let mut parts = rel.components();
        let top = parts.next().and_then(|c| c.as_os_str().to_str());
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        // Editors' swap and backup files.
        let scratch = name.ends_with('~')
            || name.ends_with(".swp")
            || name.ends_with(".swx")
            || name.starts_with(".#");
        (top.is_some_and(|t| WATCHED.contains(&t)) && !scratch) || inputs.contains(p)
    })
}

struct Builder {
    opts: Options,
    shared: Arc<Shared>,
    /// Kept between rebuilds: Typst's memoised work stays valid.
    world: Option<GalleyWorld>,
    /// Digest of the Typst inputs of the PDF being served.
    pdf_inputs: Option<[u8; 32]>,
    watcher: notify::RecommendedWatcher,
    /// The canonical project root.
    root: PathBuf,
    /// Every file the last good build read (absolute).
    inputs: HashSet<PathBuf>,
    /// Folders outside the watched ones that hold inputs, watched too.
    extra_dirs: HashSet<PathBuf>,
    /// Set by the watcher when the sources change; cancels the templates
    /// of the rebuild that is running.
    superseded: Arc<AtomicBool>,
    /// The last rebuild was superseded: rebuild even if the events that
    /// follow look irrelevant.
    retry: bool,
}

impl Builder {
    fn run(&mut self, rx: &mpsc::Receiver<notify::Result<notify::Event>>) {
        loop {
            let Ok(first) = rx.recv() else { return };
            let mut wanted = self.take(first);
            let started = Instant::now();
            loop {
                match rx.recv_timeout(QUIET) {
                    Ok(ev) => wanted |= self.take(ev),
                    Err(mpsc::RecvTimeoutError::Timeout) => break,
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                }
                if started.elapsed() > MAX_GATHER {
                    break;
                }
            }
            if wanted || self.retry {
                self.rebuild_guarded();
            }
        }
    }

    /// Note one watcher event; true when it asks for a rebuild.
    fn take(&mut self, ev: notify::Result<notify::Event>) -> bool {
        let ev = match ev {
            Ok(ev) => ev,
            Err(e) => {
                eprintln!("warning: file watching: {e}");
                return true;
            }
        };
        // A watched folder created (or moved in) after the start. Only on
        // those events: adding a watch opens the folders, which is an event.
        let created = matches!(
            ev.kind,
            EventKind::Create(_) | EventKind::Modify(ModifyKind::Name(_))
        );
        for p in ev.paths.iter().filter(|_| created) {
            let top_level = p.parent() == Some(self.root.as_path());
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if top_level && WATCHED.contains(&name) && p.is_dir() {
                let _ = self.watcher.watch(p, RecursiveMode::Recursive);
            }
        }
        let wanted = relevant(&ev, &self.root, &self.inputs);
        if std::env::var_os("GALLEY_SERVE_DEBUG").is_some() {
            eprintln!(
                "[serve] event {:?} {:?} relevant={wanted}",
                ev.kind, ev.paths
            );
        }
        if wanted {
            // Read these again even if their size and times look unchanged.
            for p in &ev.paths {
                cache::touch(p);
            }
        }
        wanted
    }

    /// Watch the folders of inputs that live outside the watched folders
    /// (a bibliography or style named in manuscript.yaml).
    fn watch_inputs(&mut self, sources: &crate::diag::SourceMap) {
        self.inputs = sources.iter().map(|(p, _)| self.root.join(p)).collect();
        let outside: Vec<PathBuf> = self
            .inputs
            .iter()
            .filter_map(|p| {
                let rel = p.strip_prefix(&self.root).ok()?;
                let top = rel.components().next()?.as_os_str().to_str()?;
                let dir = p.parent()?;
                (!WATCHED.contains(&top) && dir != self.root).then(|| dir.to_path_buf())
            })
            .collect();
        for dir in outside {
            if self.extra_dirs.insert(dir.clone()) {
                let _ = self.watcher.watch(&dir, RecursiveMode::NonRecursive);
            }
        }
    }

    /// A rebuild that cannot take the server down: a panic (a bug) is
    /// reported like a failed build and the next edit rebuilds again.
    fn rebuild_guarded(&mut self) {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.rebuild()));
        if outcome.is_err() {
            // The Typst world may be half-updated: start it afresh.
            self.world = None;
            self.pdf_inputs = None;
            cache::take_stats();
            let text =
                "galley crashed while rebuilding (a bug in galley; the terminal shows where). \
                        Still serving the last good build; the next save rebuilds."
                    .to_string();
            eprintln!("[serve] {text}");
            let mut live = self.shared.live.lock().unwrap_or_else(|e| e.into_inner());
            live.error = Some(text.clone());
            drop(live);
            self.shared.notify(Notice::Failed(text));
        }
    }

    /// Rebuild the site, publish it, then the PDF.
    fn rebuild(&mut self) {
        let started = Instant::now();
        self.superseded.store(false, Ordering::SeqCst);
        self.retry = false;
        crate::assemble::sandbox::set_cancel(Some(self.superseded.clone()));
        let mut stage = match pipeline::site_stage(&self.opts) {
            Ok(s) => s,
            Err(f) => {
                if self.superseded.load(Ordering::SeqCst) && is_cancelled(&f) {
                    // A newer edit came in: build that instead.
                    eprintln!("[serve] rebuild superseded by a newer edit");
                    self.retry = true;
                    cache::take_stats();
                    return;
                }
                self.failed(&f);
                cache::sweep();
                return;
            }
        };
        self.watch_inputs(&stage.sources);
        if !stage.warnings.is_empty() {
            diag::emit(&stage.warnings, &stage.sources);
        }
        let site_ms = started.elapsed().as_secs_f64() * 1000.0;
        let reuse = reuse_summary(&cache::take_stats());
        let generation = self.publish_site(&stage);
        match generation {
            Some(g) => eprintln!("[serve] site {g} ready in {site_ms:.0} ms ({reuse})"),
            None => eprintln!("[serve] rebuilt in {site_ms:.0} ms: nothing changed ({reuse})"),
        }

        let pdf_started = Instant::now();
        let next = match stage.pdf_world() {
            Ok(w) => w,
            Err(f) => {
                self.failed(&f);
                cache::sweep();
                return;
            }
        };
        // The file name too: a new slug needs the PDF under its new name.
        let inputs = cache::key(&[&next.digest(), stage.pdf_file.as_bytes()]);
        if self.pdf_inputs == Some(inputs) {
            // Nothing the PDF is made of changed (a style sheet, a data
            // export): the PDF served is this build's.
            cache::sweep();
            let g = self.shared.live.lock().map_or(0, |l| l.generation);
            self.shared.notify(Notice::Pdf(g));
            eprintln!("[serve] PDF of site {g} unchanged");
            return;
        }
        let world = match self.world.as_mut() {
            Some(w) => {
                w.update(next);
                w
            }
            None => self.world.insert(next),
        };
        let result = stage.pdf(world);
        // Typst's cache keeps results for a few compilations only.
        typst::comemo::evict(10);
        cache::sweep();
        match result {
            Ok(pdf) => {
                self.pdf_inputs = Some(inputs);
                let pdf_ms = pdf_started.elapsed().as_secs_f64() * 1000.0;
                let g = self.publish_pdf(&stage.pdf_file, pdf.bytes);
                eprintln!(
                    "[serve] PDF of site {g} ready in {pdf_ms:.0} ms ({} pages)",
                    pdf.pages
                );
            }
            Err(f) => {
                self.pdf_inputs = None;
                self.failed(&f);
            }
        }
    }

    /// Report a failed rebuild. The memo keeps the last good build's
    /// results over one failed generation (see [`cache::sweep`]).
    fn failed(&self, f: &diag::Failure) {
        cache::take_stats();
        diag::emit(&f.diags, &f.sources);
        let text = diag::render_plain(&f.diags, &f.sources);
        eprintln!("[serve] build failed; still serving the last good build");
        let mut live = self.shared.live.lock().unwrap_or_else(|e| e.into_inner());
        live.error = Some(text.clone());
        drop(live);
        self.shared.notify(Notice::Failed(text));
    }

    /// Serve a new site (keeping the previous PDF until the new one is
    /// ready). Returns the new generation, or None when nothing changed.
    fn publish_site(&self, stage: &pipeline::SiteStage) -> Option<u64> {
        let mut h = Sha256::new();
        for f in &stage.files {
            h.update((f.path.len() as u64).to_le_bytes());
            h.update(f.path.as_bytes());
            h.update((f.bytes.len() as u64).to_le_bytes());
            h.update(&f.bytes);
        }
        let digest: [u8; 32] = h.finalize().into();
        let mut live = self.shared.live.lock().unwrap_or_else(|e| e.into_inner());
        if digest == live.digest && live.error.is_none() {
            return None;
        }
        let mut files: HashMap<String, Arc<Vec<u8>>> = stage
            .files
            .iter()
            .map(|f| (f.path.clone(), Arc::new(f.bytes.clone())))
            .collect();
        if let Some(pdf) = live.files.get(&stage.pdf_file) {
            files.insert(stage.pdf_file.clone(), pdf.clone());
        }
        live.files = Arc::new(files);
        live.digest = digest;
        live.error = None;
        live.generation += 1;
        let g = live.generation;
        drop(live);
        self.shared.notify(Notice::Reload(g));
        Some(g)
    }

    fn publish_pdf(&self, name: &str, bytes: Vec<u8>) -> u64 {
        let mut live = self.shared.live.lock().unwrap_or_else(|e| e.into_inner());
        let mut files = (*live.files).clone();
        files.insert(name.to_string(), Arc::new(bytes));
        live.files = Arc::new(files);
        let g = live.generation;
        drop(live);
        self.shared.notify(Notice::Pdf(g));
        g
    }
}

/// Did this build stop because a newer edit cancelled it?
fn is_cancelled(f: &diag::Failure) -> bool {
    f.diags
        .0
        .iter()
        .any(|d| d.message.contains(crate::assemble::sandbox::CANCELLED))
}

/// "reused: 8 of 9 markdown, ..." from the memo statistics.
fn reuse_summary(stats: &[(&'static str, usize, usize)]) -> String {
    if stats.is_empty() {
        return "first build".to_string();
    }
    let parts: Vec<String> = stats
        .iter()
        .map(|(kind, hit, miss)| format!("{kind} {hit}/{}", hit + miss))
        .collect();
    format!("reused: {}", parts.join(", "))
}

fn open_browser(url: &str) {
    let cmd = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if let Err(e) = std::process::Command::new(cmd)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        eprintln!("warning: cannot open a browser ({cmd}: {e}); open {url} yourself");
    }
}

// ------------------------------------------------------------------ HTTP

fn plain(status: StatusCode, text: &str) -> Response {
    let mut r = (status, text.to_string()).into_response();
    secure_headers(r.headers_mut());
    r
}

fn secure_headers(h: &mut HeaderMap) {
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

/// A port as written in a Host header, in its one spelling: decimal
/// digits without a sign or leading zeros (Rust's parse would also take
/// `+8000` and `08000`).
fn port(text: &str) -> Option<u16> {
    text.parse::<u16>().ok().filter(|p| p.to_string() == text)
}

/// `host[:port]` → (host, port); IPv6 literals in brackets.
fn split_host(authority: &str) -> Option<(&str, Option<u16>)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            p => Some(port(p.strip_prefix(':')?)?),
        };
        return Some((host, port));
    }
    match authority.rsplit_once(':') {
        Some((host, p)) => Some((host, Some(port(p)?))),
        None => Some((authority, None)),
    }
}

/// Who may ask the server for what: requests for this machine, on this
/// port, from pages of this server.
pub struct RequestGuard {
    pub port: u16,
    /// Serving on a loopback address: only loopback addresses are this
    /// machine.
    pub loopback_only: bool,
}

impl RequestGuard {
    /// A Host (or Origin authority) naming this machine: `localhost` or an
    /// IP address (a loopback one unless serving beyond it), on our port.
    fn host_allowed(&self, authority: &str) -> bool {
        let Some((host, port)) = split_host(authority) else {
            return false;
        };
        if port.unwrap_or(80) != self.port {
            return false;
        }
        if host.eq_ignore_ascii_case("localhost") {
            return true;
        }
        match host.parse::<IpAddr>() {
            Ok(ip) => ip.is_loopback() || !self.loopback_only,
            Err(_) => false,
        }
    }

    /// Refuse requests for another host (DNS rebinding) and from pages of
    /// another origin: one Host naming this machine, at most one Origin of
    /// this server, and a request target that is a path (not
    /// `http://other/`, whose host would be another than the Host's).
    pub fn check(&self, uri: &axum::http::Uri, headers: &HeaderMap) -> Result<(), Response> {
        if uri.scheme().is_some() || uri.authority().is_some() {
            return Err(plain(
                StatusCode::BAD_REQUEST,
                "galley serve answers requests for a path (GET /index.html), not for a full address\n",
            ));
        }
        if headers.get_all(header::HOST).iter().count() > 1
            || headers.get_all(header::ORIGIN).iter().count() > 1
        {
            return Err(plain(
                StatusCode::BAD_REQUEST,
                "galley serve refuses requests with more than one Host or Origin header\n",
            ));
        }
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        if !host.is_some_and(|h| self.host_allowed(h)) {
            return Err(plain(
                StatusCode::FORBIDDEN,
                "galley serve answers only requests for this machine (Host: localhost or 127.0.0.1)\n",
            ));
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            let ok = origin
                .to_str()
                .ok()
                .and_then(|o| o.strip_prefix("http://"))
                .is_some_and(|a| self.host_allowed(a));
            if !ok {
                return Err(plain(
                    StatusCode::FORBIDDEN,
                    "galley serve refuses requests from other origins\n",
                ));
            }
        }
        Ok(())
    }
}

/// Percent-decode a request path once. None for a malformed escape.
fn percent_decode(path: &str) -> Option<Vec<u8>> {
    let b = path.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

/// The site file a request path names, or the status refusing it.
pub fn site_key(raw: &str) -> Result<String, StatusCode> {
    let bytes = percent_decode(raw).ok_or(StatusCode::BAD_REQUEST)?;
    let path = String::from_utf8(bytes).map_err(|_| StatusCode::NOT_FOUND)?;
    if path.contains(['\0', '\\']) {
        return Err(StatusCode::FORBIDDEN);
    }
    let rel = path.strip_prefix('/').ok_or(StatusCode::FORBIDDEN)?;
    // No `..` or `.`, and no empty segment but a last one (`dir/`): every
    // key is a plain relative path of the site.
    let segments: Vec<&str> = rel.split('/').collect();
    let inner = segments.split_last().map_or(&[][..], |(_, inner)| inner);
    if segments.iter().any(|seg| *seg == ".." || *seg == ".")
        || inner.iter().any(|seg| seg.is_empty())
    {
        return Err(StatusCode::FORBIDDEN);
    }
    if rel.is_empty() || rel.ends_with('/') {
        Ok(format!("{rel}index.html"))
    } else {
        Ok(rel.to_string())
    }
}

fn content_type(key: &str) -> &'static str {
    let ext = key.rsplit_once('.').map_or("", |(_, e)| e);
    match ext.to_ascii_lowercase().as_str() {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "csv" => "text/csv; charset=utf-8",
        "bib" | "txt" => "text/plain; charset=utf-8",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "woff2" => "font/woff2",
        "ico" => "image/x-icon",
        _ => "application/octet-stream",
    }
}

/// The page as served: the live script, and the error overlay while the
/// last rebuild failed.
fn inject(page: &[u8], generation: &str, error: Option<&str>) -> Vec<u8> {
    let html = String::from_utf8_lossy(page);
    let mut extra = String::new();
    if let Some(e) = error {
        extra.push_str(&overlay_html(e));
    }
    extra.push_str(&format!(
        "<script src=\"{SCRIPT_PATH}\" data-generation=\"{generation}\"></script>\n"
    ));
    let at = html.rfind("</body>").unwrap_or(html.len());
    let mut out = String::with_capacity(html.len() + extra.len());
    out.push_str(&html[..at]);
    out.push_str(&extra);
    out.push_str(&html[at..]);
    out.into_bytes()
}

fn overlay_html(error: &str) -> String {
    format!(
        "<div id=\"galley-error\" role=\"alert\"><p>The last build failed; this is the last good build.</p><pre>{}</pre></div>\n",
        crate::render::html::esc(error)
    )
}

/// Shown when even the first build failed.
fn no_site_page(generation: &str, error: Option<&str>) -> Vec<u8> {
    let page = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>galley serve</title></head>\n<body><main><h1>No build yet</h1><p>The project has not built yet; fix the error and save.</p></main>\n</body></html>\n";
    inject(page.as_bytes(), generation, error)
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    if let Err(r) = shared.guard.check(req.uri(), req.headers()) {
        return r;
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "galley serve answers GET and HEAD only\n",
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let path = req.uri().path();
    if path == EVENTS_PATH {
        return events(&shared).into_response();
    }
    if path == SCRIPT_PATH {
        return file_response(StatusCode::OK, "live.js", LIVE_JS.as_bytes().to_vec());
    }
    let key = match site_key(path) {
        Ok(k) => k,
        Err(status) => return plain(status, "refused\n"),
    };
    let (files, generation, error) = shared.snapshot();
    let generation = &shared.tag(generation);
    if files.is_empty() {
        return file_response(
            StatusCode::OK,
            "index.html",
            no_site_page(generation, error.as_deref()),
        );
    }
    match files.get(&key) {
        Some(bytes) if key.ends_with(".html") => file_response(
            StatusCode::OK,
            &key,
            inject(bytes, generation, error.as_deref()),
        ),
        Some(bytes) => file_response(StatusCode::OK, &key, bytes.to_vec()),
        None => match files.get("404.html") {
            Some(page) => file_response(
                StatusCode::NOT_FOUND,
                "404.html",
                inject(page, generation, error.as_deref()),
            ),
            None => plain(StatusCode::NOT_FOUND, "not found\n"),
        },
    }
}

fn file_response(status: StatusCode, key: &str, bytes: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(bytes));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(key)),
    );
    secure_headers(r.headers_mut());
    if key.ends_with(".html") || key.ends_with(".svg") {
        r.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
    }
    r
}

/// Pages and SVG files run no script but the site's own files (the theme's
/// and the live-reload script), load nothing from other hosts, and cannot
/// be framed: a script smuggled into a figure or the data stays inert.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; \
base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn notice_event(shared: &Shared, n: Notice) -> Event {
    match n {
        Notice::Reload(g) => Event::default().event("reload").data(shared.tag(g)),
        Notice::Pdf(g) => Event::default().event("pdf").data(shared.tag(g)),
        Notice::Failed(text) => Event::default().event("failed").data(text),
    }
}

/// The reload channel: the current generation (and error) at once, then
/// every notice as it comes.
fn events(shared: &Arc<Shared>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = shared.notices.subscribe();
    let (_, generation, error) = shared.snapshot();
    let mut first = vec![Notice::Reload(generation)];
    if let Some(e) = error {
        first.push(Notice::Failed(e));
    }
    let now_shared = shared.clone();
    let now = stream::iter(
        first
            .into_iter()
            .map(move |n| Ok(notice_event(&now_shared, n))),
    );
    let later = stream::unfold((rx, shared.clone()), |(mut rx, shared)| async move {
        loop {
            match rx.recv().await {
                Ok(n) => return Some((Ok(notice_event(&shared, n)), (rx, shared))),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(now.chain(later)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_paths() {
        assert_eq!(site_key("/").unwrap(), "index.html");
        assert_eq!(site_key("/data/x.json").unwrap(), "data/x.json");
        assert_eq!(site_key("/a%20b.pdf").unwrap(), "a b.pdf");
        assert_eq!(site_key("/figures/").unwrap(), "figures/index.html");
        for bad in [
            "/../../etc/passwd",
            "/%2e%2e%2fetc%2fpasswd",
            "/%2E%2E/x",
            "/a/./b",
            "/..%5c..%5cetc",
            "/x%00.html",
            "/a\\b",
            "//etc/passwd",
            "/a//b",
        ] {
            assert_eq!(site_key(bad), Err(StatusCode::FORBIDDEN), "{bad}");
        }
        // Double encoding decodes once: a literal name that is not there.
        assert_eq!(site_key("/%252e%252e%252f").unwrap(), "%2e%2e%2f");
        assert_eq!(site_key("/%zz"), Err(StatusCode::BAD_REQUEST));
    }

    #[test]
    fn hosts() {
        let s = RequestGuard {
            port: 8000,
            loopback_only: true,
        };
        for ok in [
            "localhost:8000",
            "127.0.0.1:8000",
            "[::1]:8000",
            "LOCALHOST:8000",
        ] {
            assert!(s.host_allowed(ok), "{ok}");
        }
        for bad in [
            "evil.example:8000",
            "localhost:8001",
            "192.168.1.5:8000",
            "127.0.0.1.nip.io:8000",
            "",
            "[::1",
            "127.0.0.1:+8000",
            "127.0.0.1:08000",
            "localhost:08000x",
        ] {
            assert!(!s.host_allowed(bad), "{bad}");
        }
    }

    #[test]
    fn overlay_is_escaped() {
        let page = inject(
            b"<html><body><p>x</p></body></html>",
            "a1-3",
            Some("<script>"),
        );
        let page = String::from_utf8(page).unwrap();
        assert!(page.contains("&lt;script&gt;"));
        assert!(page.contains("data-generation=\"a1-3\""));
        assert!(page.ends_with("</body></html>"));
    }
}
