//! The rebuild cache of `galley serve`: results of the pure steps of a
//! build (reading a file, parsing the bibliography and the citation style,
//! rendering a template, parsing Markdown) kept between rebuilds, keyed by
//! the SHA-256 of everything they depend on.
//!
//! A [`Cache`] is a value: the command that wants one (serve) makes it and
//! hands it to its build (`pipeline::Build`), which passes it to the
//! stages. A one-off build uses [`Cache::off`], which keeps nothing and
//! costs nothing.
//!
//! Each rebuild is a generation: [`Cache::sweep`] drops what neither it
//! nor the one before used, so the store holds about two builds' worth
//! (the last good build survives one failed rebuild) and memory stays flat
//! however long the server runs.

use std::any::Any;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use sha2::{Digest, Sha256};

type Key = (&'static str, [u8; 32]);

struct Entry {
    value: Arc<dyn Any + Send + Sync>,
    generation: u64,
}

#[derive(Default)]
struct Store {
    entries: HashMap<Key, Entry>,
    generation: u64,
    /// Hits and misses per kind since the last [`Cache::take_stats`].
    stats: Vec<(&'static str, usize, usize)>,
    /// Files the watcher said changed, with how often: read again even if
    /// their size and times look the same.
    touched: HashMap<PathBuf, u64>,
}

/// Results kept between builds, or (off) nothing. Clones share the store.
#[derive(Clone, Default)]
pub struct Cache(Option<Arc<Mutex<Store>>>);

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.enabled() {
            "Cache(on)"
        } else {
            "Cache(off)"
        })
    }
}

/// A key from the parts a result depends on.
pub fn key(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        // Length-prefixed, so ("ab","c") and ("a","bc") differ.
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().into()
}

/// A key from a value's `Hash`, through SHA-256 (so that, unlike with a
/// 64-bit hasher, two different values do not share a key), and `kind`.
pub fn hash_key(kind: &str, value: &impl std::hash::Hash) -> [u8; 32] {
    struct Sha(Sha256);
    impl std::hash::Hasher for Sha {
        fn write(&mut self, bytes: &[u8]) {
            self.0.update(bytes);
        }
        fn finish(&self) -> u64 {
            0
        }
    }
    let mut h = Sha(Sha256::new());
    h.0.update(kind.as_bytes());
    value.hash(&mut h);
    h.0.finalize().into()
}

impl Cache {
    /// A cache that keeps results.
    pub fn new() -> Cache {
        Cache(Some(Arc::default()))
    }

    /// No cache: every step computes its result.
    pub fn off() -> Cache {
        Cache(None)
    }

    pub fn enabled(&self) -> bool {
        self.0.is_some()
    }

    fn store(&self) -> Option<MutexGuard<'_, Store>> {
        // A panic while holding the lock leaves only a cache behind: go on.
        self.0
            .as_ref()
            .map(|m| m.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The result of `f` for this key: computed once, then reused while the
    /// key is used in every build. `Err` results are never kept.
    pub fn cached<V, E>(
        &self,
        kind: &'static str,
        key: [u8; 32],
        f: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E>
    where
        V: Clone + Send + Sync + 'static,
    {
        let Some(mut s) = self.store() else {
            return f();
        };
        let generation = s.generation;
        let found = s.entries.get_mut(&(kind, key)).and_then(|e| {
            e.generation = generation;
            e.value.downcast_ref::<V>().cloned()
        });
        if let Some(v) = found {
            count(&mut s, kind, true);
            return Ok(v);
        }
        // Computed without the lock, so independent work can run in parallel.
        drop(s);
        let v = f()?;
        if let Some(mut s) = self.store() {
            let generation = s.generation;
            count(&mut s, kind, false);
            s.entries.insert(
                (kind, key),
                Entry {
                    value: Arc::new(v.clone()),
                    generation,
                },
            );
        }
        Ok(v)
    }

    /// End a generation: forget what neither it nor the one before used.
    pub fn sweep(&self) {
        if let Some(mut s) = self.store() {
            let keep_from = s.generation.saturating_sub(1);
            s.entries.retain(|_, e| e.generation >= keep_from);
            s.generation += 1;
        }
    }

    /// A file changed (the watcher said so): read it again next time, even
    /// if its size and times look the same (coarse file-system timestamps).
    pub fn touch(&self, path: &Path) {
        if let Some(mut s) = self.store() {
            *s.touched.entry(path.to_path_buf()).or_default() += 1;
        }
    }

    /// (kind, reused, computed) since the last call, in first-use order.
    pub fn take_stats(&self) -> Vec<(&'static str, usize, usize)> {
        self.store()
            .map(|mut s| std::mem::take(&mut s.stats))
            .unwrap_or_default()
    }

    /// A file's bytes. With the cache on, a file whose size, modification
    /// time and inode are unchanged since the last build is not read again.
    pub fn read_file(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        // Only regular files: opening a FIFO would wait for a writer forever.
        let meta = std::fs::metadata(path)?;
        if !meta.is_file() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "it is not a regular file (a folder, FIFO, socket or device); galley reads only regular files",
            ));
        }
        let Some(edits) = self
            .store()
            .map(|s| s.touched.get(path).copied().unwrap_or(0))
        else {
            return std::fs::read(path);
        };
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        #[cfg(unix)]
        let inode = {
            use std::os::unix::fs::MetadataExt;
            (meta.ino(), meta.ctime(), meta.ctime_nsec())
        };
        #[cfg(not(unix))]
        let inode = (0u64, 0i64, 0i64);
        let k = key(&[
            path.as_os_str().as_encoded_bytes(),
            &edits.to_le_bytes(),
            &mtime.to_le_bytes(),
            &meta.len().to_le_bytes(),
            &inode.0.to_le_bytes(),
            &inode.1.to_le_bytes(),
            &inode.2.to_le_bytes(),
        ]);
        self.cached("file read", k, || std::fs::read(path).map(Arc::new))
            .map(|b| b.to_vec())
    }
}

fn count(s: &mut Store, kind: &'static str, hit: bool) {
    match s.stats.iter_mut().find(|(k, ..)| *k == kind) {
        Some((_, h, m)) => {
            if hit {
                *h += 1
            } else {
                *m += 1
            }
        }
        None => s.stats.push((kind, hit as usize, !hit as usize)),
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuses_until_swept_twice() {
        let cache = Cache::new();
        let k = key(&[b"cache-test", b"x"]);
        let mut calls = 0;
        let get = |calls: &mut i32| {
            cache
                .cached::<_, ()>("cache-test", k, || {
                    *calls += 1;
                    Ok(42)
                })
                .unwrap()
        };
        assert_eq!(get(&mut calls), 42);
        assert_eq!(get(&mut calls), 42);
        assert_eq!(calls, 1);
        cache.sweep(); // used in that generation: kept
        assert_eq!(get(&mut calls), 42);
        assert_eq!(calls, 1);
        cache.sweep();
        cache.sweep(); // unused in one generation: still kept (a failed rebuild)
        assert_eq!(get(&mut calls), 42);
        assert_eq!(calls, 1);
        cache.sweep();
        cache.sweep();
        cache.sweep(); // unused in two: dropped
        assert_eq!(get(&mut calls), 42);
        assert_eq!(calls, 2);
        assert_eq!(cache.take_stats(), vec![("cache-test", 3, 2)]);
        assert_ne!(key(&[b"ab", b"c"]), key(&[b"a", b"bc"]));
    }

    #[test]
    fn off_keeps_nothing() {
        let cache = Cache::off();
        let mut calls = 0;
        for _ in 0..2 {
            cache
                .cached::<_, ()>("cache-test", key(&[b"y"]), || {
                    calls += 1;
                    Ok(1)
                })
                .unwrap();
        }
        assert_eq!(calls, 2);
        assert!(cache.take_stats().is_empty());
    }
}
