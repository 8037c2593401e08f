//! The site as served, shared by the HTTP handlers and the rebuild
//! thread, and the notices open pages get.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

use super::guard::RequestGuard;
use super::update::Update;

/// What reload connections are told.
#[derive(Clone, Debug)]
pub enum Notice {
    /// A new site generation is served, and what changed since the one
    /// before it (None: not known, as for a page that has just connected).
    Reload(u64, Option<Arc<Update>>),
    /// The PDF of this generation is ready.
    Pdf(u64),
    /// The last rebuild failed: the diagnostics, as printed.
    Failed(String),
}

/// The site's files by path.
pub type Files = Arc<HashMap<String, Arc<Vec<u8>>>>;

/// The site as served: the last good build, and the error of a failed one.
pub struct Live {
    pub files: Files,
    pub generation: u64,
    pub error: Option<String>,
    /// Digest of the site's files (the PDF aside), to tell a rebuild that
    /// changed nothing.
    pub digest: [u8; 32],
}

/// What the server and the rebuild thread share.
pub struct Shared {
    pub live: Mutex<Live>,
    pub notices: broadcast::Sender<Notice>,
    pub guard: RequestGuard,
    /// Distinguishes this server's generations from an earlier server's,
    /// so a page left open across a restart reloads.
    pub instance: String,
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
    pub fn new(port: u16, loopback_only: bool) -> Shared {
        let (notices, _) = broadcast::channel(64);
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

    pub fn snapshot(&self) -> (Files, u64, Option<String>) {
        let live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        (live.files.clone(), live.generation, live.error.clone())
    }

    /// A generation as pages see it: `<instance>-<n>`.
    pub fn tag(&self, generation: u64) -> String {
        format!("{}-{generation}", self.instance)
    }

    pub fn notify(&self, n: Notice) {
        // No open page is not an error.
        let _ = self.notices.send(n);
    }
}
