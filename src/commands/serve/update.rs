//! What an open page is told of a new site generation: the files that
//! changed, and for each changed page the edit that turns its text as the
//! page was served into the new one, so the page patches itself without
//! fetching the whole page again (live.js).

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{json, Value};

/// One generation's changes.
#[derive(Debug, Default)]
pub struct Update {
    /// Site paths whose bytes differ (added, changed or gone), sorted.
    pub changed: Vec<String>,
    /// For pages in both generations: their served text's edits.
    pub pages: Vec<(String, PageEdit)>,
}

/// The edits of a page's text of `length` units, in order and apart.
#[derive(Debug, PartialEq)]
pub struct PageEdit {
    pub length: usize,
    pub edits: Vec<Edit>,
}

/// Replace `remove` units at `at` by `insert`. Units are UTF-16 code units,
/// as a script's strings count them.
#[derive(Debug, PartialEq)]
pub struct Edit {
    pub at: usize,
    pub remove: usize,
    pub insert: String,
}

impl Update {
    /// The changes from `before` to `after`. `served` is a page's text as
    /// served in a generation (with the live script); `tags` are the two
    /// generations' tags.
    pub fn between(
        before: &HashMap<String, Arc<Vec<u8>>>,
        after: &HashMap<String, Arc<Vec<u8>>>,
        served: impl Fn(&[u8], &str) -> Vec<u8>,
        tags: (&str, &str),
    ) -> Update {
        let mut changed: Vec<String> = after
            .iter()
            .filter(|(path, bytes)| before.get(*path).is_none_or(|b| b != *bytes))
            .map(|(path, _)| path.clone())
            .chain(before.keys().filter(|p| !after.contains_key(*p)).cloned())
            .collect();
        changed.sort();
        let pages = changed
            .iter()
            .filter(|p| p.ends_with(".html"))
            .filter_map(|p| {
                let (old, new) = (before.get(p)?, after.get(p)?);
                let old = served(old, tags.0);
                let new = served(new, tags.1);
                let (old, new) = (String::from_utf8_lossy(&old), String::from_utf8_lossy(&new));
                Some((p.clone(), page_edit(&old, &new, tags)))
            })
            .collect();
        Update { changed, pages }
    }

    pub fn to_json(&self) -> Value {
        let pages: serde_json::Map<String, Value> = self
            .pages
            .iter()
            .map(|(p, e)| {
                let edits: Vec<Value> = e
                    .edits
                    .iter()
                    .map(|e| json!({ "at": e.at, "remove": e.remove, "insert": e.insert }))
                    .collect();
                (p.clone(), json!({ "length": e.length, "edits": edits }))
            })
            .collect();
        json!({ "changed": self.changed, "pages": pages })
    }
}

/// The edits from a page as served in one generation to the next: the
/// generation in the live script's tag, and the changes before and after it
/// (a single edit would span everything from the change to the tag).
pub fn page_edit(old: &str, new: &str, tags: (&str, &str)) -> PageEdit {
    let units = |s: &str| s.encode_utf16().count();
    let attr = |tag: &str| format!("data-generation=\"{tag}\"");
    let (old_attr, new_attr) = (attr(tags.0), attr(tags.1));
    let mut edits = Vec::new();
    match (old.rfind(&old_attr), new.rfind(&new_attr)) {
        (Some(i), Some(j)) => {
            let rest = (&old[i + old_attr.len()..], &new[j + new_attr.len()..]);
            let before = units(&old[..i]);
            edits.push(edit(&old[..i], &new[..j]));
            edits.push(Edit {
                at: before,
                remove: units(&old_attr),
                insert: new_attr,
            });
            let mut after = edit(rest.0, rest.1);
            after.at += before + units(&old_attr);
            edits.push(after);
        }
        _ => edits.push(edit(old, new)),
    }
    edits.retain(|e| e.remove > 0 || !e.insert.is_empty());
    PageEdit {
        length: units(old),
        edits,
    }
}

/// The edit from `old` to `new`: what lies between their common start and
/// their common end.
pub fn edit(old: &str, new: &str) -> Edit {
    let (a, b) = (old.as_bytes(), new.as_bytes());
    let mut start = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    while !old.is_char_boundary(start) {
        start -= 1;
    }
    let room = a.len().min(b.len()) - start;
    let mut end = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(room)
        .take_while(|(x, y)| x == y)
        .count();
    while !old.is_char_boundary(a.len() - end) || !new.is_char_boundary(b.len() - end) {
        end -= 1;
    }
    let units = |s: &str| s.encode_utf16().count();
    Edit {
        at: units(&old[..start]),
        remove: units(&old[start..a.len() - end]),
        insert: new[start..b.len() - end].to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The edits applied as live.js applies them, on UTF-16 code units,
    /// the last first.
    fn apply(old: &str, page: &PageEdit) -> String {
        let mut units: Vec<u16> = old.encode_utf16().collect();
        assert_eq!(units.len(), page.length);
        for e in page.edits.iter().rev() {
            units.splice(e.at..e.at + e.remove, e.insert.encode_utf16());
        }
        String::from_utf16(&units).unwrap()
    }

    fn one(e: Edit, old: &str) -> PageEdit {
        PageEdit {
            length: old.encode_utf16().count(),
            edits: vec![e],
        }
    }

    #[test]
    fn edits_turn_the_old_text_into_the_new() {
        let cases = [
            ("<p>may be efficacious</p>", "<p>may be livereloaded</p>"),
            ("same", "same"),
            ("", "<p>new</p>"),
            ("<p>gone</p>", ""),
            ("aaaa", "aa"),
            ("aa", "aaaa"),
            // Characters of two and four bytes (one and two UTF-16 units)
            // around and inside the change.
            ("café 😀 naïve", "café 😃 naïve"),
            ("😀😀", "😀😃😀"),
            ("é", "è"),
            ("x€y", "x€€y"),
            ("αβγ", "αγ"),
        ];
        for (old, new) in cases {
            let e = one(edit(old, new), old);
            assert_eq!(apply(old, &e), new, "{old:?} -> {new:?}: {e:?}");
        }
        let e = edit("<p>may be efficacious</p>", "<p>may be livereloaded</p>");
        assert_eq!((e.at, e.insert.as_str()), (10, "livereloaded"));
    }

    #[test]
    fn an_update_lists_changed_files_and_edits_pages() {
        let files = |pairs: &[(&str, &str)]| -> HashMap<String, Arc<Vec<u8>>> {
            pairs
                .iter()
                .map(|(p, t)| (p.to_string(), Arc::new(t.as_bytes().to_vec())))
                .collect()
        };
        let before = files(&[("index.html", "<p>a</p>"), ("a.css", "x"), ("old.svg", "s")]);
        let after = files(&[("index.html", "<p>b</p>"), ("a.css", "x"), ("new.svg", "t")]);
        let served = |b: &[u8], tag: &str| [b, tag.as_bytes()].concat();
        let u = Update::between(&before, &after, served, ("g1", "g2"));
        assert_eq!(u.changed, ["index.html", "new.svg", "old.svg"]);
        assert_eq!(u.pages.len(), 1);
        let (page, e) = &u.pages[0];
        assert_eq!(page, "index.html");
        assert_eq!(apply("<p>a</p>g1", e), "<p>b</p>g2");
    }

    #[test]
    fn the_generation_is_an_edit_of_its_own() {
        let page = |word: &str, tag: &str| {
            format!("<p>{word}</p>\n<p>long unchanged text</p><script data-generation=\"{tag}\"></script></body>")
        };
        let (old, new) = (page("café", "x-1"), page("cafés", "x-2"));
        let e = page_edit(&old, &new, ("x-1", "x-2"));
        assert_eq!(apply(&old, &e), new);
        assert_eq!(e.edits.len(), 2, "{e:?}");
        assert_eq!(e.edits[0].insert, "s");
        assert_eq!(e.edits[1].insert, "data-generation=\"x-2\"");
        // A page without the tag: one edit.
        let e = page_edit("<p>a</p>", "<p>b</p>", ("x-1", "x-2"));
        assert_eq!(apply("<p>a</p>", &e), "<p>b</p>");
    }
}
