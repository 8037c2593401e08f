//! CSL-JSON and CSL-YAML bibliographies (what Zotero, Manubot, Pandoc's
//! `references:` and citeproc tools write) as hayagriva entries: each item
//! becomes the hayagriva YAML for it, read by hayagriva itself, so an
//! item's mistakes are reported at the item.

use std::ops::Range;

use hayagriva::Entry;
use serde_json::{Map, Value};

use crate::diag::Diagnostic;
use crate::load::project::TextFile;

/// An item's hayagriva type and, where its `container-title` names a
/// containing work, that work's type.
fn entry_types(csl_type: &str) -> (&'static str, Option<&'static str>) {
    match csl_type {
        "article-journal" | "article-magazine" | "review" | "review-book" => {
            ("article", Some("periodical"))
        }
        "article-newspaper" => ("article", Some("newspaper")),
        "article" => ("article", Some("periodical")),
        "paper-conference" => ("article", Some("proceedings")),
        "chapter" => ("chapter", Some("book")),
        "entry" | "entry-dictionary" | "entry-encyclopedia" => ("entry", Some("reference")),
        "post-weblog" => ("article", Some("blog")),
        "post" => ("post", Some("thread")),
        "webpage" => ("web", Some("web")),
        "book" | "classic" => ("book", Some("book")),
        "collection" => ("anthology", None),
        "periodical" => ("periodical", None),
        "report" => ("report", Some("book")),
        "thesis" => ("thesis", None),
        "manuscript" => ("manuscript", None),
        "patent" => ("patent", None),
        "legal_case" => ("case", None),
        "legislation" | "bill" => ("legislation", None),
        "software" => ("repository", None),
        "motion_picture" | "broadcast" => ("video", None),
        "song" => ("audio", None),
        "graphic" | "figure" | "map" => ("artwork", None),
        "event" | "performance" | "speech" => ("performance", Some("conference")),
        _ => ("misc", None),
    }
}

/// A CSL string field (CSL-JSON allows numbers where strings are meant).
fn text(item: &Map<String, Value>, key: &str) -> Option<String> {
    match item.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// CSL's name object as a hayagriva person.
fn person(name: &Value) -> Option<Value> {
    let n = name.as_object()?;
    if let Some(lit) = text(n, "literal") {
        return Some(serde_json::json!({ "name": lit }));
    }
    let family = text(n, "family")?;
    let mut p = Map::new();
    p.insert("name".into(), Value::String(family));
    if let Some(g) = text(n, "given") {
        p.insert("given-name".into(), Value::String(g));
    }
    let particles: Vec<String> = ["dropping-particle", "non-dropping-particle"]
        .iter()
        .filter_map(|k| text(n, k))
        .collect();
    if !particles.is_empty() {
        p.insert("prefix".into(), Value::String(particles.join(" ")));
    }
    if let Some(s) = text(n, "suffix") {
        p.insert("suffix".into(), Value::String(s));
    }
    Some(Value::Object(p))
}

fn people(item: &Map<String, Value>, key: &str) -> Option<Value> {
    let list: Vec<Value> = item
        .get(key)?
        .as_array()?
        .iter()
        .filter_map(person)
        .collect();
    (!list.is_empty()).then_some(Value::Array(list))
}

/// CSL's date (`date-parts`, or `raw`/`literal` text) as an ISO date.
fn date(item: &Map<String, Value>, key: &str) -> Option<String> {
    let d = item.get(key)?;
    if let Some(s) = d.as_str() {
        return iso_prefix(s);
    }
    let d = d.as_object()?;
    if let Some(parts) = d
        .get("date-parts")
        .and_then(Value::as_array)
        .and_then(|p| p.first())
        .and_then(Value::as_array)
    {
        let nums: Vec<i64> = parts
            .iter()
            .filter_map(|v| v.as_i64().or_else(|| v.as_str()?.trim().parse().ok()))
            .collect();
        return match nums.as_slice() {
            [y] => Some(format!("{y:04}")),
            [y, m] => Some(format!("{y:04}-{m:02}")),
            [y, m, d, ..] => Some(format!("{y:04}-{m:02}-{d:02}")),
            [] => None,
        };
    }
    ["raw", "literal"]
        .iter()
        .find_map(|k| d.get(*k).and_then(Value::as_str).and_then(iso_prefix))
}

/// `2019-05-03`, `2019-05`, `2019` at the start of a date text; else the
/// first four-digit year in it.
fn iso_prefix(s: &str) -> Option<String> {
    let s = s.trim();
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .is_some_and(|x| x.iter().all(u8::is_ascii_digit))
    };
    if digits(0..4) {
        if b.get(4) == Some(&b'-') && digits(5..7) {
            if b.get(7) == Some(&b'-') && digits(8..10) {
                return Some(s[..10].to_string());
            }
            return Some(s[..7].to_string());
        }
        if !digits(4..5) {
            return Some(s[..4].to_string());
        }
    }
    let chars: Vec<char> = s.chars().collect();
    chars.windows(4).enumerate().find_map(|(i, w)| {
        let ok = w.iter().all(char::is_ascii_digit)
            && (i == 0 || !chars[i - 1].is_ascii_digit())
            && chars.get(i + 4).is_none_or(|c| !c.is_ascii_digit());
        ok.then(|| w.iter().collect())
    })
}

/// The hayagriva YAML (as a value) of one CSL item, and its key.
pub fn to_hayagriva(item: &Map<String, Value>) -> Result<(String, Value), String> {
    let key = text(item, "id").ok_or("a CSL item needs an `id`")?;
    let csl_type = text(item, "type").unwrap_or_default();
    let (ty, parent_ty) = entry_types(&csl_type);
    let mut e = Map::new();
    let mut parent = Map::new();
    e.insert("type".into(), ty.into());
    let put = |m: &mut Map<String, Value>, k: &str, v: Option<Value>| {
        if let Some(v) = v {
            m.insert(k.to_string(), v);
        }
    };
    let s = |k: &str| text(item, k).map(Value::String);
    let titled = |long: Option<String>, short: Option<String>| {
        long.map(|l| match short {
            Some(sh) => serde_json::json!({ "value": l, "short": sh }),
            None => Value::String(l),
        })
    };
    put(
        &mut e,
        "title",
        titled(text(item, "title"), text(item, "title-short")),
    );
    put(&mut e, "author", people(item, "author"));
    put(&mut e, "date", date(item, "issued").map(Value::String));
    put(&mut e, "page-range", s("page"));
    put(&mut e, "abstract", s("abstract"));
    put(&mut e, "genre", s("genre"));
    put(&mut e, "note", s("note"));
    put(&mut e, "language", s("language"));
    put(&mut e, "chapter", s("chapter-number"));
    // Where the container is a book, the book has the editors, edition and
    // publisher; otherwise the item has them.
    let in_book = matches!(parent_ty, Some("book" | "proceedings" | "reference"))
        && text(item, "container-title").is_some();
    let holder = if in_book { &mut parent } else { &mut e };
    put(holder, "editor", people(item, "editor"));
    put(holder, "edition", s("edition"));
    let publisher = text(item, "publisher");
    let place = text(item, "publisher-place").or_else(|| text(item, "event-place"));
    if publisher.is_some() || place.is_some() {
        let mut p = Map::new();
        if let Some(name) = publisher {
            p.insert("name".into(), Value::String(name));
        }
        if let Some(loc) = place {
            p.insert("location".into(), Value::String(loc));
        }
        holder.insert("publisher".into(), Value::Object(p));
    }
    put(&mut e, "volume", s("volume"));
    put(&mut e, "issue", s("issue"));
    if let Some(url) = text(item, "URL") {
        let v = match date(item, "accessed") {
            Some(d) => serde_json::json!({ "value": url, "date": d }),
            None => Value::String(url),
        };
        e.insert("url".into(), v);
    }
    let mut serial = Map::new();
    for (csl, hay) in [
        ("DOI", "doi"),
        ("ISBN", "isbn"),
        ("ISSN", "issn"),
        ("PMID", "pmid"),
        ("PMCID", "pmcid"),
        ("number", "serial"),
    ] {
        if let Some(v) = text(item, csl) {
            serial.insert(hay.into(), Value::String(v));
        }
    }
    if !serial.is_empty() {
        e.insert("serial-number".into(), Value::Object(serial));
    }
    if let (Some(pt), Some(ct)) = (parent_ty, text(item, "container-title")) {
        parent.insert("type".into(), pt.into());
        let short =
            text(item, "container-title-short").or_else(|| text(item, "journalAbbreviation"));
        put(&mut parent, "title", titled(Some(ct), short));
        e.insert("parent".into(), Value::Object(parent));
    }
    Ok((key, Value::Object(e)))
}

/// One CSL item as a hayagriva entry.
pub fn entry(item: &Map<String, Value>) -> Result<Entry, String> {
    let (key, value) = to_hayagriva(item)?;
    let mut lib = Map::new();
    lib.insert(key, value);
    let yaml = serde_yaml::to_string(&Value::Object(lib)).map_err(|e| e.to_string())?;
    let lib = hayagriva::io::from_yaml_str(&yaml).map_err(|e| e.to_string())?;
    let first = lib.iter().next().cloned();
    first.ok_or_else(|| "the item has no entry".to_string())
}

/// CSL items (a CSL-JSON array, or CSL-YAML's `references:`) as entries;
/// an item galley cannot read is an error at its `id`.
pub fn items(items: &Value, file: &TextFile) -> Result<Vec<Entry>, Diagnostic> {
    let Some(list) = items.as_array() else {
        return Err(Diagnostic::error(
            "a CSL-JSON bibliography is a list of items: `[{\"id\": ..., \"type\": ...}, ...]`",
        )
        .at(&file.path, 0..1));
    };
    let mut out = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let Some(obj) = item.as_object() else {
            return Err(Diagnostic::error(format!(
                "CSL item {} is not an object with `id` and `type`",
                i + 1
            ))
            .in_file(&file.path));
        };
        match entry(obj) {
            Ok(e) => out.push(e),
            Err(why) => {
                let id = obj.get("id").map(|v| v.to_string()).unwrap_or_default();
                let id = id.trim_matches('"');
                let d = Diagnostic::error(format!("cannot read CSL item {}: {why}", i + 1));
                let at = id_span(&file.text, id).or_else(|| item_start(&file.text, i));
                return Err(match at {
                    Some(span) => d.at(&file.path, span),
                    None => d.in_file(&file.path),
                });
            }
        }
    }
    Ok(out)
}

/// Where the `index`-th item of a CSL list starts: the `{` of a CSL-JSON
/// array's item, or the `-` of a CSL-YAML `references:` entry.
fn item_start(text: &str, index: usize) -> Option<Range<usize>> {
    let (mut depth, mut in_str, mut escaped, mut seen) = (0usize, false, false, 0usize);
    let json = text.trim_start().starts_with('[');
    if !json {
        let indent = text
            .lines()
            .skip_while(|l| !l.starts_with("references:"))
            .skip(1)
            .find(|l| l.trim_start().starts_with("- "))
            .map(|l| l.len() - l.trim_start().len())?;
        let mut at = 0;
        for line in text.split_inclusive('\n') {
            if line.len() - line.trim_start().len() == indent && line.trim_start().starts_with("- ")
            {
                if seen == index {
                    return Some(at + indent..at + indent + 1);
                }
                seen += 1;
            }
            at += line.len();
        }
        return None;
    }
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_str => escaped = true,
            '"' => in_str = !in_str,
            _ if in_str => {}
            '[' | '{' => {
                if depth == 1 {
                    if seen == index {
                        return Some(i..i + 1);
                    }
                    seen += 1;
                }
                depth += 1;
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Where a CSL item's `id` value is written (`"id": "key"`, `id: key`).
pub fn id_span(text: &str, key: &str) -> Option<Range<usize>> {
    if key.is_empty() {
        return None;
    }
    text.match_indices(key).map(|(i, _)| i).find_map(|i| {
        let before = text[..i].trim_end_matches(['"', '\'']).trim_end();
        let before = before.strip_suffix(':')?.trim_end();
        let name = before.trim_end_matches(['"', '\'']);
        let end = i + key.len();
        let after_ok = text[end..]
            .chars()
            .next()
            .is_none_or(|c| matches!(c, '"' | '\'' | ',' | '\n' | '\r' | ' ' | '}'));
        (name.ends_with("id") && after_ok).then_some(i..end)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journal_article_keeps_its_fields() {
        let item: Value = serde_json::from_str(
            r#"{"id": "doe2020", "type": "article-journal", "title": "A study",
                "author": [{"family": "Doe", "given": "Jane"}, {"literal": "WHO"},
                           {"family": "Beethoven", "given": "Ludwig", "non-dropping-particle": "van"}],
                "issued": {"date-parts": [[2020, 5]]}, "container-title": "Nature",
                "volume": 12, "issue": "3", "page": "1-10", "DOI": "10.1/x"}"#,
        )
        .unwrap();
        let e = entry(item.as_object().unwrap()).unwrap();
        assert_eq!(e.key(), "doe2020");
        assert_eq!(e.title().unwrap().value.to_str(), "A study");
        let authors = e.authors().unwrap();
        assert_eq!(authors[0].name, "Doe");
        assert_eq!(authors[1].name, "WHO");
        assert_eq!(authors[2].prefix.as_deref(), Some("van"));
        assert_eq!(e.date().unwrap().year, 2020);
        assert_eq!(e.date().unwrap().month, Some(4));
        assert_eq!(e.parents()[0].title().unwrap().value.to_str(), "Nature");
        assert_eq!(e.doi(), Some("10.1/x"));
        assert!(entry(serde_json::json!({"type": "book"}).as_object().unwrap()).is_err());
    }

    #[test]
    fn dates_from_text() {
        assert_eq!(
            iso_prefix("2019-05-03T10:00").as_deref(),
            Some("2019-05-03")
        );
        assert_eq!(iso_prefix("2019").as_deref(), Some("2019"));
        assert_eq!(iso_prefix("Spring 2018").as_deref(), Some("2018"));
        assert_eq!(iso_prefix("n.d."), None);
    }
}
