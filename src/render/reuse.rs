//! Outputs of the previous build that stand for this one's: a renderer
//! states a digest of everything its output is made of
//! ([`super::Rendered::inputs`]); the manifest records it with the
//! output's SHA-256, and the next build takes the file as it is when the
//! digest is the same and the file is still the one written.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::cache::hex;

/// One output as the manifest records it.
#[derive(Clone)]
struct Entry {
    inputs: String,
    sha256: String,
    summary: Option<String>,
}

/// The reusable outputs of the previous build in an output folder.
#[derive(Default)]
pub struct Reuse {
    out: PathBuf,
    entries: HashMap<String, Entry>,
}

impl Reuse {
    /// What the manifest of the output folder `out` says may be reused
    /// (nothing when it is missing or unreadable).
    pub fn read(out: &Path, manifest: &Path) -> Reuse {
        let mut r = Reuse {
            out: out.to_path_buf(),
            entries: HashMap::new(),
        };
        let Ok(text) = std::fs::read_to_string(manifest) else {
            return r;
        };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
            return r;
        };
        // Only a manifest of this very version: another may write
        // differently from the same inputs.
        if v.get("version").and_then(|x| x.as_str()) != Some(crate::VERSION) {
            return r;
        }
        for (file, e) in v
            .get("reuse")
            .and_then(|x| x.as_object())
            .into_iter()
            .flatten()
        {
            let field = |k: &str| e.get(k).and_then(|x| x.as_str()).map(str::to_string);
            if let (Some(inputs), Some(sha256)) = (field("inputs"), field("sha256")) {
                r.entries.insert(
                    file.clone(),
                    Entry {
                        inputs,
                        sha256,
                        summary: field("summary"),
                    },
                );
            }
        }
        r
    }

    /// The previous build's `file` and its summary, if it was made of
    /// the same `inputs` and is still the file written then.
    pub fn get(&self, file: &str, inputs: &str) -> Option<(Vec<u8>, Option<String>)> {
        let e = self.entries.get(file).filter(|e| e.inputs == inputs)?;
        // A plain name only: the manifest is not trusted with paths.
        if file.contains(['/', '\\']) || file.starts_with('.') {
            return None;
        }
        let bytes = std::fs::read(self.out.join(file)).ok()?;
        (hex(&Sha256::digest(&bytes)) == e.sha256).then(|| (bytes, e.summary.clone()))
    }
}

/// A digest of parts, as hex (a renderer's [`super::Rendered::inputs`]).
pub fn digest(parts: &[&[u8]]) -> String {
    hex(&crate::cache::key(parts))
}
