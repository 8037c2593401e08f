//! Watching the project: which folders, which events ask for a rebuild.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use notify::event::{AccessKind, AccessMode, ModifyKind};
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};

/// The folders of a project that `serve` watches.
pub const WATCHED: [&str; 3] = ["manuscript", "bibliography", "theme"];

/// Events are gathered until none has come for this long, so an editor's
/// atomic save or a `git checkout` of many files gives one rebuild...
pub const QUIET: Duration = Duration::from_millis(40);

/// ... or, once every file written has been closed (where the platform
/// says so: inotify does), for this long.
pub const SETTLE: Duration = Duration::from_millis(4);

/// ... but a steady stream of events does not hold a rebuild back longer.
pub const MAX_GATHER: Duration = Duration::from_secs(1);

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
pub fn relevant(ev: &notify::Event, root: &Path, inputs: &HashSet<PathBuf>) -> bool {
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

/// The files of one gathering of events being written: created or
/// modified and not yet closed. A rebuild waits only [`SETTLE`] once none
/// is left.
#[derive(Default)]
pub struct Writing {
    open: HashSet<PathBuf>,
    /// A close was seen: the platform reports them.
    closes: bool,
}

impl Writing {
    pub fn note(&mut self, ev: &notify::Event) {
        match ev.kind {
            EventKind::Create(_) | EventKind::Modify(ModifyKind::Data(_) | ModifyKind::Any) => {
                self.open.extend(ev.paths.iter().cloned());
            }
            EventKind::Access(AccessKind::Close(AccessMode::Write)) => {
                self.closes = true;
                for p in &ev.paths {
                    self.open.remove(p);
                }
            }
            EventKind::Modify(ModifyKind::Name(_)) | EventKind::Remove(_) => {
                for p in &ev.paths {
                    self.open.remove(p);
                }
            }
            _ => {}
        }
    }

    /// How long to wait for another event before rebuilding.
    pub fn quiet(&self) -> Duration {
        if self.closes && self.open.is_empty() {
            SETTLE
        } else {
            QUIET
        }
    }
}

/// The watcher's events.
pub type Events = mpsc::Receiver<notify::Result<notify::Event>>;

/// Watch the project. An edit to the sources while a rebuild runs
/// supersedes it: the returned flag is set, the rebuild's templates stop
/// at their next step, and the next rebuild starts from the new files (a
/// runaway template cannot hold up a fix).
pub fn start(root: &Path) -> Result<(RecommendedWatcher, Events, Arc<AtomicBool>), String> {
    let (tx, rx) = mpsc::channel();
    let superseded = Arc::new(AtomicBool::new(false));
    let flag = superseded.clone();
    let watched_root = root.to_path_buf();
    // Symbolic links are not followed: a link to a large or unreadable tree
    // would be watched whole (or stop the watch), and the build refuses
    // files reached through links that leave the project anyway.
    let mut watcher = RecommendedWatcher::new(
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
    watch_project(&mut watcher, root)?;
    Ok((watcher, rx, superseded))
}
