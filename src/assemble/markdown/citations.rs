//! Pandoc citation syntax in text: `[@key, p. 4; @other]`, `@key` and
//! `[-@key]`, with locators, prefixes and suffixes, and `@fig-x` references.

use super::*;

pub(super) fn is_key_start(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

pub(super) fn is_key_char(c: char) -> bool {
    c.is_alphanumeric() || "_:.#$%&-+?<>~/".contains(c)
}

/// Length in bytes of a citation key at the start of `s` (trailing
/// punctuation excluded), or 0.
pub(super) fn key_len(s: &str) -> usize {
    let mut chars = s.char_indices();
    match chars.next() {
        Some((_, c)) if is_key_start(c) => {}
        _ => return 0,
    }
    let mut end = s.len();
    for (i, c) in s.char_indices() {
        if !is_key_char(c) {
            end = i;
            break;
        }
    }
    // Internal punctuation only: strip trailing punctuation.
    let mut key = &s[..end];
    while let Some(c) = key.chars().last() {
        if c.is_alphanumeric() || c == '_' {
            break;
        }
        key = &key[..key.len() - c.len_utf8()];
    }
    key.len()
}

pub fn is_xref_id(key: &str) -> bool {
    ["tbl-", "fig-", "sec-", "eq-"]
        .iter()
        .any(|p| key.starts_with(p))
}

/// One item of a bracketed citation: `-@key, p. 33`.
pub(super) fn parse_cite_item(s: &str) -> Option<(CiteItem, bool)> {
    let t = s.trim();
    let (suppress, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let t = t.strip_prefix('@')?;
    let n = key_len(t);
    if n == 0 {
        return None;
    }
    let key = &t[..n];
    let rest = t[n..].trim();
    let locator = if rest.is_empty() {
        None
    } else {
        let loc = rest.strip_prefix(',')?.trim();
        if loc.is_empty() {
            return None;
        }
        Some(split_locator(loc))
    };
    Some((
        CiteItem {
            key: key.to_string(),
            locator,
        },
        suppress,
    ))
}

/// "p. 33" -> ("page", "33"); "chap. 2" -> ("chapter", "2"); "33" -> ("page", "33").
pub(super) fn split_locator(loc: &str) -> (String, String) {
    const LABELS: [(&str, &str); 16] = [
        ("pp.", "page"),
        ("p.", "page"),
        ("pages", "page"),
        ("page", "page"),
        ("chap.", "chapter"),
        ("ch.", "chapter"),
        ("chapter", "chapter"),
        ("sec.", "section"),
        ("section", "section"),
        ("§", "section"),
        ("fig.", "figure"),
        ("figure", "figure"),
        ("para.", "paragraph"),
        ("vol.", "volume"),
        ("l.", "line"),
        ("n.", "note"),
    ];
    let lower = loc.to_lowercase();
    for (prefix, label) in LABELS {
        if lower.starts_with(prefix) {
            let value = loc[prefix.len()..].trim();
            if !value.is_empty() {
                return (label.to_string(), value.to_string());
            }
        }
    }
    ("page".to_string(), loc.to_string())
}

/// Split merged text into text, citations and cross-references.
pub(super) fn scan_citations(run: &TextRun, sink: &mut dyn Sink) -> Vec<Inline> {
    let s = run.text.as_str();
    let mut out = Vec::new();
    let mut plain_start = 0;
    let mut i = 0;
    let push_text = |out: &mut Vec<Inline>, t: &str| {
        if !t.is_empty() {
            let t = unescape_at(t, "@");
            if let Some(Inline::Text(prev)) = out.last_mut() {
                prev.push_str(&t);
            } else {
                out.push(Inline::Text(t));
            }
        }
    };
    while i < s.len() {
        let c = s[i..].chars().next().unwrap_or(' ');
        if c == '[' {
            if let Some(close) = s[i + 1..].find(']').map(|j| i + 1 + j) {
                let inner = &s[i + 1..close];
                // A footnote reference pulldown-cmark left as text has no
                // definition: report it rather than print `[^x]`.
                if let Some(label) = inner.strip_prefix('^') {
                    if !label.is_empty() && !label.contains(char::is_whitespace) {
                        push_text(&mut out, &s[plain_start..i]);
                        out.push(sink.footnote_ref(label, run.source_span(i..close + 1)));
                        i = close + 1;
                        plain_start = i;
                        continue;
                    }
                }
                if inner.contains('@')
                    && !s[close + 1..].starts_with('(')
                    && !s[close + 1..].starts_with('[')
                {
                    let parsed: Option<Vec<(CiteItem, bool)>> =
                        inner.split(';').map(parse_cite_item).collect();
                    if let Some(items) = parsed {
                        if !items.is_empty() && items.iter().all(|(it, _)| !is_xref_id(&it.key)) {
                            push_text(&mut out, &s[plain_start..i]);
                            let suppress = items.iter().all(|(_, sup)| *sup);
                            let mode = if suppress {
                                CiteMode::SuppressAuthor
                            } else {
                                CiteMode::Normal
                            };
                            let span = run.source_span(i..close + 1);
                            out.push(sink.cite(
                                items.into_iter().map(|(it, _)| it).collect(),
                                mode,
                                span,
                            ));
                            i = close + 1;
                            plain_start = i;
                            continue;
                        }
                    }
                }
            }
        }
        if c == '@' {
            let prev = s[..i].chars().last();
            let word_before =
                prev.is_some_and(|p| p.is_alphanumeric() || p == ESCAPED_AT || p == '_');
            let n = key_len(&s[i + 1..]);
            if !word_before && n > 0 {
                let key = &s[i + 1..i + 1 + n];
                push_text(&mut out, &s[plain_start..i]);
                let span = run.source_span(i..i + 1 + n);
                if is_xref_id(key) {
                    out.push(sink.xref(key, span));
                } else {
                    out.push(sink.cite(
                        vec![CiteItem {
                            key: key.to_string(),
                            locator: None,
                        }],
                        CiteMode::Narrative,
                        span,
                    ));
                }
                i += 1 + n;
                plain_start = i;
                continue;
            }
        }
        i += c.len_utf8();
    }
    push_text(&mut out, &s[plain_start..]);
    out
}
