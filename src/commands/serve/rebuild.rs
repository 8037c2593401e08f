//! Rebuilding while serving: gather the watcher's events, rebuild the
//! site and publish it, then the PDF; a failed rebuild keeps the last good
//! build served and shows the error over it.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Instant;

use notify::event::ModifyKind;
use notify::{EventKind, RecursiveMode, Watcher};

use super::live::{Notice, Shared};
use super::update::Update;
use super::watch::{relevant, Events, Writing, MAX_GATHER, WATCHED};
#[cfg(doc)]
use crate::cache::Cache;
use crate::diag;
use crate::pipeline::{self, Build};
use crate::render::{Format, OutFile};
/// The rebuild thread's state: the build it keeps (cache and renderers),
/// the served site it updates, and what it watches.
pub struct Builder {
    build: Build,
    shared: Arc<Shared>,
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
    pub fn new(
        build: Build,
        shared: Arc<Shared>,
        watcher: notify::RecommendedWatcher,
        superseded: Arc<AtomicBool>,
    ) -> Builder {
        Builder {
            root: build.root.clone(),
            build,
            shared,
            watcher,
            inputs: HashSet::new(),
            extra_dirs: HashSet::new(),
            superseded,
            retry: false,
        }
    }

    /// Rebuild on every relevant change, until the watcher stops.
    pub fn run(&mut self, rx: &Events) {
        loop {
            let Ok(first) = rx.recv() else { return };
            let mut writing = Writing::default();
            let mut wanted = self.take(first, &mut writing);
            let started = Instant::now();
            loop {
                match rx.recv_timeout(writing.quiet()) {
                    Ok(ev) => wanted |= self.take(ev, &mut writing),
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
    fn take(&mut self, ev: notify::Result<notify::Event>, writing: &mut Writing) -> bool {
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
        if wanted {
            writing.note(&ev);
        }
        if std::env::var_os("GALLEY_SERVE_DEBUG").is_some() {
            eprintln!(
                "[serve] event {:?} {:?} relevant={wanted}",
                ev.kind, ev.paths
            );
        }
        if wanted {
            // Read these again even if their size and times look unchanged.
            for p in &ev.paths {
                self.build.cache().touch(p);
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
    pub fn rebuild_guarded(&mut self) {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.rebuild()));
        if outcome.is_err() {
            // The PDF renderer's Typst world may be half-updated: start
            // it afresh.
            self.build.restart_renderers();
            self.build.cache().take_stats();
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
        self.build.cancel_on(self.superseded.clone());
        let cache = self.build.cache().clone();
        let mut check_ms = 0.0;
        let site = self.build.check().and_then(|checked| {
            check_ms = started.elapsed().as_secs_f64() * 1000.0;
            let site = self.build.render(&checked, &[Format::Site])?;
            Ok((checked, site))
        });
        let (checked, site) = match site {
            Ok(s) => s,
            Err(f) => {
                if self.superseded.load(Ordering::SeqCst) && pipeline::is_cancelled(&f) {
                    // A newer edit came in: build that instead.
                    eprintln!("[serve] rebuild superseded by a newer edit");
                    self.retry = true;
                    cache.take_stats();
                    return;
                }
                self.failed(&f);
                cache.sweep();
                return;
            }
        };
        let report = &site.report;
        self.watch_inputs(&report.sources);
        if !report.warnings.is_empty() {
            diag::emit(&report.warnings, &report.sources);
        }
        let site_ms = started.elapsed().as_secs_f64() * 1000.0;
        if std::env::var_os("GALLEY_SERVE_DEBUG").is_some() {
            let stages = std::iter::once(("load + assemble", check_ms / 1000.0))
                .chain(report.timings.iter().map(|(s, t)| (s.as_ref(), *t)))
                .map(|(s, t)| format!("{}: {:.1} ms", s.trim(), t * 1000.0))
                .collect::<Vec<_>>();
            eprintln!("[serve] site stages: {}", stages.join(", "));
        }
        let reuse = reuse_summary(&cache.take_stats());
        let slug = &checked.assembled.doc.slug;
        let kept = ["pdf", "xml", "docx"].map(|ext| format!("{slug}.{ext}"));
        match self.publish_site(&site.files, &kept) {
            Some(g) => eprintln!("[serve] site {g} ready in {site_ms:.0} ms ({reuse})"),
            None => eprintln!("[serve] rebuilt in {site_ms:.0} ms: nothing changed ({reuse})"),
        }

        let pdf_started = Instant::now();
        // Then every other output (the PDF).
        let others: Vec<Format> = self
            .build
            .made()
            .into_iter()
            .filter(|f| *f != Format::Site)
            .collect();
        let build = &mut self.build;
        let pdf = in_background(|| build.render(&checked, &others));
        cache.sweep();
        let pdf = match pdf {
            Ok(pdf) => pdf,
            Err(f) => return self.failed(&f),
        };
        let (unchanged, summary) = match pdf.report.made.first() {
            Some(m) => (m.unchanged, m.summary.clone().unwrap_or_default()),
            None => (false, String::new()),
        };
        // Every other output (the PDF, the XML, the Word file) is served
        // with the site it was made for.
        let pdf_ms = pdf_started.elapsed().as_secs_f64() * 1000.0;
        let g = self.publish_outputs(pdf.files);
        if unchanged {
            // Nothing the PDF is made of changed (a style sheet, a data
            // export): the PDF served is this build's.
            eprintln!("[serve] PDF of site {g} unchanged");
        } else {
            eprintln!("[serve] PDF of site {g} ready in {pdf_ms:.0} ms ({summary})");
        }
    }

    /// Report a failed rebuild. The cache keeps the last good build's
    /// results over one failed generation (see [`Cache::sweep`]).
    fn failed(&self, f: &diag::Failure) {
        self.build.cache().take_stats();
        diag::emit(&f.diags, &f.sources);
        let text = diag::render_plain(&f.diags, &f.sources);
        eprintln!("[serve] build failed; still serving the last good build");
        let mut live = self.shared.live.lock().unwrap_or_else(|e| e.into_inner());
        live.error = Some(text.clone());
        drop(live);
        self.shared.notify(Notice::Failed(text));
    }

    /// Serve a new site (keeping the previous PDF, XML and Word file
    /// until the new ones are ready). Returns the new generation, or None when nothing changed.
    fn publish_site(&self, site: &[OutFile], kept: &[String]) -> Option<u64> {
        let parts: Vec<&[u8]> = site
            .iter()
            .flat_map(|f| [f.path.as_bytes(), f.bytes.as_slice()])
            .collect();
        let digest = crate::cache::key(&parts);
        let mut live = self.shared.live.lock().unwrap_or_else(|e| e.into_inner());
        if digest == live.digest && live.error.is_none() {
            return None;
        }
        let mut files: HashMap<String, Arc<Vec<u8>>> = site
            .iter()
            .map(|f| (f.path.clone(), Arc::new(f.bytes.clone())))
            .collect();
        for name in kept {
            if let Some(f) = live.files.get(name) {
                files.insert(name.clone(), f.clone());
            }
        }
        let tags = (
            self.shared.tag(live.generation),
            self.shared.tag(live.generation + 1),
        );
        let served = |page: &[u8], tag: &str| super::http::inject(page, tag, None);
        let update = Update::between(&live.files, &files, served, (&tags.0, &tags.1));
        live.files = Arc::new(files);
        live.digest = digest;
        live.error = None;
        live.generation += 1;
        let g = live.generation;
        drop(live);
        self.shared
            .notify(Notice::Reload(g, Some(Arc::new(update))));
        Some(g)
    }

    fn publish_outputs(&self, outputs: Vec<crate::render::OutFile>) -> u64 {
        let mut live = self.shared.live.lock().unwrap_or_else(|e| e.into_inner());
        let mut files = (*live.files).clone();
        for f in outputs {
            files.insert(f.path, Arc::new(f.bytes));
        }
        live.files = Arc::new(files);
        let g = live.generation;
        drop(live);
        self.shared.notify(Notice::Pdf(g));
        g
    }
}

/// Run `f` on a thread of low priority (and the threads it starts, which
/// inherit it): the PDF and the Word file are made while the browser patches
/// the page, and take the cores only when the browser does not want them.
/// Where no thread can be started, `f` runs on this one.
fn in_background<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    let task = std::sync::Mutex::new(Some(f));
    let take = || task.lock().unwrap_or_else(|e| e.into_inner()).take();
    let done = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("galley-outputs".into())
            // As deep as the rebuild thread's, for the same manuscripts.
            .stack_size(64 << 20)
            .spawn_scoped(scope, || {
                lower_priority();
                take().map(|f| f())
            })
            .ok()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
    });
    match done.flatten() {
        Some(out) => out,
        None => take().map(|f| f()).expect("the task runs once"),
    }
}

/// Lower this thread's scheduling priority: its nice value, which on Linux
/// is the calling thread's own. Elsewhere, or if refused, it stays as is.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    let _ = rustix::process::setpriority_process(None, 10);
}

/// "reused: markdown 8/9, ..." from the cache's statistics.
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
