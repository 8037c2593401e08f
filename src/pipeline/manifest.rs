//! manifest.json: the tool's version, a hash of every input (text
//! sources, images, the project's theme assets), what the next build may
//! reuse ([`crate::render::reuse`]), and (added when written) the list of
//! output files.

use std::path::Path;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::cache::hex;
use crate::diag::SourceMap;
use crate::load::theme::Asset;
use crate::render::OutFile;
use crate::site::output::MANIFEST_FILE;

/// What the next build may reuse: each output that stated its inputs,
/// with them, its SHA-256 and its summary.
pub fn reusable(made: &[super::Made], files: &[OutFile]) -> Value {
    let mut out = serde_json::Map::new();
    for m in made {
        let (Some(inputs), Some(f)) = (&m.inputs, files.iter().find(|f| f.path == m.file)) else {
            continue;
        };
        out.insert(
            m.file.clone(),
            json!({"inputs": inputs, "sha256": hex(&Sha256::digest(&f.bytes)), "summary": m.summary}),
        );
    }
    Value::Object(out)
}

pub fn manifest(
    reuse: &Value,
    sources: &SourceMap,
    images: &[(String, Vec<u8>)],
    assets: &[&Asset],
) -> String {
    let mut all: Vec<(String, &[u8])> = sources
        .iter()
        .filter(|(p, _)| !p.to_string_lossy().starts_with('<'))
        .map(|(p, text)| (p.to_string_lossy().replace('\\', "/"), text.as_bytes()))
        .collect();
    all.extend(images.iter().map(|(p, b)| (p.clone(), b.as_slice())));
    all.extend(
        assets
            .iter()
            .filter_map(|a| a.origin.as_ref().map(|o| (o.clone(), a.bytes.as_slice()))),
    );
    all.sort();
    all.dedup_by(|a, b| a.0 == b.0);
    let inputs: Vec<Value> = all
        .iter()
        .map(|(p, bytes)| json!({"path": p, "sha256": hex(&Sha256::digest(bytes))}))
        .collect();
    let v =
        json!({"generator": "galley", "version": crate::VERSION, "inputs": inputs, "reuse": reuse});
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

/// Carry the previous manifest's reuse entries of the files a partial build
/// (`--html`, `--pdf`) keeps from `out` into the new manifest among `files`,
/// so the next full build still takes them as they are. A file kept is the
/// one its entry was written for; the next build checks its SHA-256 anyway.
pub fn carry_reuse(files: &mut [OutFile], out: &Path, kept: &[String]) {
    let previous = std::fs::read_to_string(out.join(MANIFEST_FILE))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .filter(|v| v.get("version").and_then(Value::as_str) == Some(crate::VERSION));
    let Some(Value::Object(old)) = previous.and_then(|mut v| v.get_mut("reuse").map(Value::take))
    else {
        return;
    };
    let Some(manifest) = files.iter_mut().find(|f| f.path == MANIFEST_FILE) else {
        return;
    };
    let Ok(Value::Object(mut m)) = serde_json::from_slice::<Value>(&manifest.bytes) else {
        return;
    };
    let Some(Value::Object(reuse)) = m.get_mut("reuse") else {
        return;
    };
    for (file, entry) in old {
        if kept.contains(&file) && !reuse.contains_key(&file) {
            reuse.insert(file, entry);
        }
    }
    let mut text = serde_json::to_string_pretty(&m).unwrap_or_default();
    text.push('\n');
    manifest.bytes = text.into_bytes();
}
