//! Content-hashed file names (`assets/galley.3f9c0a1b2d.css`), so a static
//! host can let browsers cache assets forever: a changed file gets a new
//! name. Stylesheets are rewritten to point at the hashed names of the
//! files they load (fonts, images, other stylesheets) before they are
//! hashed themselves.

use std::collections::{BTreeMap, BTreeSet};

use crate::cache::hex;
use sha2::{Digest, Sha256};

/// Hex digits of the SHA-256 kept in a name: 40 bits, plenty to tell two
/// versions of one file apart.
const HASH_LEN: usize = 10;

/// Files renamed by content: old path → (new path, bytes).
pub struct Renamed {
    pub files: BTreeMap<String, (String, Vec<u8>)>,
}

/// Give every file (path inside the site → bytes) a content-hashed name.
pub fn rename(files: BTreeMap<String, Vec<u8>>) -> Renamed {
    let mut done: BTreeMap<String, (String, Vec<u8>)> = BTreeMap::new();
    let names: Vec<String> = files.keys().cloned().collect();
    let mut busy = BTreeSet::new();
    for name in &names {
        resolve(name, &files, &mut done, &mut busy);
    }
    Renamed { files: done }
}

/// Hash `name`, first rewriting a stylesheet's references to the hashed
/// names of the files it loads (depth first; a cycle keeps the plain name).
fn resolve(
    name: &str,
    files: &BTreeMap<String, Vec<u8>>,
    done: &mut BTreeMap<String, (String, Vec<u8>)>,
    busy: &mut BTreeSet<String>,
) {
    if done.contains_key(name) || busy.contains(name) {
        return;
    }
    let Some(bytes) = files.get(name) else {
        return;
    };
    busy.insert(name.to_string());
    let bytes = if name.ends_with(".css") {
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                let mut out = String::with_capacity(text.len());
                let mut last = 0;
                for r in css_refs(text) {
                    let (path, suffix) = split_suffix(&r.url);
                    let Some(target) = join(name, path) else {
                        continue;
                    };
                    if target == name || !files.contains_key(&target) {
                        continue;
                    }
                    resolve(&target, files, done, busy);
                    if let Some((hashed, _)) = done.get(&target) {
                        out.push_str(&text[last..r.start]);
                        out.push_str(&relative(name, hashed));
                        out.push_str(suffix);
                        last = r.end;
                    }
                }
                out.push_str(&text[last..]);
                out.into_bytes()
            }
            Err(_) => bytes.clone(),
        }
    } else {
        bytes.clone()
    };
    busy.remove(name);
    let hash = hex(&Sha256::digest(&bytes));
    let new = hashed_name(name, &hash[..HASH_LEN]);
    done.insert(name.to_string(), (new, bytes));
}

/// `assets/galley.css` → `assets/galley.<hash>.css`; `assets/LICENSE` →
/// `assets/LICENSE.<hash>`.
fn hashed_name(path: &str, hash: &str) -> String {
    let (dir, file) = match path.rfind('/') {
        Some(i) => (&path[..=i], &path[i + 1..]),
        None => ("", path),
    };
    match file.rfind('.') {
        Some(i) if i > 0 => format!("{dir}{}.{hash}{}", &file[..i], &file[i..]),
        _ => format!("{dir}{file}.{hash}"),
    }
}

/// A URL inside a stylesheet: its text and byte range.
pub struct CssRef {
    pub url: String,
    pub start: usize,
    pub end: usize,
}

/// The URLs a stylesheet loads: `url(...)` and `@import "..."`, outside
/// comments; `data:` URLs are left out.
pub fn css_refs(text: &str) -> Vec<CssRef> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"/*") {
            i = text[i + 2..].find("*/").map_or(b.len(), |j| i + 2 + j + 2);
            continue;
        }
        let lower_url = b.len() >= i + 4 && b[i..i + 4].eq_ignore_ascii_case(b"url(");
        let import = b.len() >= i + 7 && b[i..i + 7].eq_ignore_ascii_case(b"@import");
        if lower_url || import {
            let mut j = i + if lower_url { 4 } else { 7 };
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            if import && b.len() >= j + 4 && b[j..j + 4].eq_ignore_ascii_case(b"url(") {
                // `@import url(...)`: the url( branch takes it.
                i = j;
                continue;
            }
            let (start, end, next) = match b.get(j) {
                Some(q @ (b'"' | b'\'')) => match text[j + 1..].find(*q as char) {
                    Some(k) => (j + 1, j + 1 + k, j + 2 + k),
                    None => break,
                },
                Some(_) if lower_url => match text[j..].find(')') {
                    Some(k) => {
                        let raw = &text[j..j + k];
                        (j, j + raw.trim_end().len(), j + k + 1)
                    }
                    None => break,
                },
                _ => {
                    i = j.max(i + 1);
                    continue;
                }
            };
            let url = &text[start..end];
            if !url.is_empty() && !url.trim_start().to_ascii_lowercase().starts_with("data:") {
                out.push(CssRef {
                    url: url.to_string(),
                    start,
                    end,
                });
            }
            i = next;
            continue;
        }
        i += 1;
    }
    out
}

/// Split `a/b.woff?v=1#x` into `a/b.woff` and `?v=1#x`.
fn split_suffix(url: &str) -> (&str, &str) {
    match url.find(['?', '#']) {
        Some(i) => (&url[..i], &url[i..]),
        None => (url, ""),
    }
}

/// Resolve a relative reference from the file `from` (both inside the
/// site); None for absolute URLs, root-relative paths and paths that leave
/// the site.
fn join(from: &str, rel: &str) -> Option<String> {
    if rel.is_empty() || rel.starts_with('/') || rel.contains(':') {
        return None;
    }
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// The relative path from the file `from` to the file `to`.
fn relative(from: &str, to: &str) -> String {
    let from_dir: Vec<&str> = {
        let mut p: Vec<&str> = from.split('/').collect();
        p.pop();
        p
    };
    let to_parts: Vec<&str> = to.split('/').collect();
    let common = from_dir
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut out: Vec<&str> = vec![".."; from_dir.len() - common];
    out.extend(&to_parts[common..]);
    out.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_hash_before_the_extension() {
        assert_eq!(
            hashed_name("assets/galley.css", "abc"),
            "assets/galley.abc.css"
        );
        assert_eq!(hashed_name("figures/a.b.svg", "abc"), "figures/a.b.abc.svg");
        assert_eq!(hashed_name("assets/LICENSE", "abc"), "assets/LICENSE.abc");
        assert_eq!(hashed_name(".x", "abc"), ".x.abc");
    }

    #[test]
    fn stylesheets_point_at_hashed_names() {
        let mut files = BTreeMap::new();
        files.insert(
            "assets/site.css".to_string(),
            b"/* url(ignored.png) */ @import 'more.css'; body{background:url( \"img/bg.png?v=1\" )} x{y:url(data:image/png,abc)} z{w:url(../figures/f.svg#i)}".to_vec(),
        );
        files.insert(
            "assets/more.css".to_string(),
            b"a{b:url(img/bg.png)}".to_vec(),
        );
        files.insert("assets/img/bg.png".to_string(), b"png".to_vec());
        files.insert("figures/f.svg".to_string(), b"<svg/>".to_vec());
        let r = rename(files).files;
        let bg = &r["assets/img/bg.png"].0;
        let more = &r["assets/more.css"];
        assert!(String::from_utf8_lossy(&more.1).contains(bg.trim_start_matches("assets/")));
        let site = String::from_utf8(r["assets/site.css"].1.clone()).unwrap();
        assert!(site.contains("/* url(ignored.png) */"), "{site}");
        assert!(
            site.contains(&format!("'{}'", more.0.trim_start_matches("assets/"))),
            "{site}"
        );
        assert!(
            site.contains(&format!("\"{}?v=1\"", bg.trim_start_matches("assets/"))),
            "{site}"
        );
        assert!(site.contains("url(data:image/png,abc)"));
        assert!(
            site.contains(&format!("url(../{}#i)", r["figures/f.svg"].0)),
            "{site}"
        );
    }

    #[test]
    fn relative_paths() {
        assert_eq!(relative("assets/a.css", "assets/b.css"), "b.css");
        assert_eq!(
            relative("assets/x/a.css", "figures/f.svg"),
            "../../figures/f.svg"
        );
        assert_eq!(
            join("assets/a.css", "../figures/f.svg").as_deref(),
            Some("figures/f.svg")
        );
        assert_eq!(join("a.css", "../x"), None);
    }
}
