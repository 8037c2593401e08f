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
    ["tbl", "fig", "sec", "eq"]
        .iter()
        .any(|k| crate::model::ids::is_kind(key, k))
}

/// Whether the text before a pandoc-xnos reference (`fig:x`, Manubot's)
/// names its kind, as in `Figure @fig:x`: xnos then prints the number
/// alone. Quarto's `fig-x` always prints its name, as Quarto does.
fn named_before(before: &str, key: &str) -> bool {
    const NAMES: &[(&str, &[&str])] = &[
        ("fig:", &["figure", "fig."]),
        ("tbl:", &["table", "tab."]),
        ("eq:", &["equation", "eq."]),
        ("sec:", &["section", "sec.", "§"]),
    ];
    let Some((_, names)) = NAMES.iter().find(|(p, _)| key.starts_with(p)) else {
        return false;
    };
    let Some(word) = before
        .strip_suffix(' ')
        .or_else(|| before.strip_suffix('\u{a0}'))
    else {
        return false;
    };
    let word = word
        .rsplit(char::is_whitespace)
        .next()
        .unwrap_or("")
        .to_lowercase();
    names.iter().any(|n| word == *n)
}

/// One item of a bracketed citation: `-@key, p. 33`.
/// One item of a bracketed citation, as Pandoc reads it: `[prefix]
/// [-]@key [locator] [suffix]`, e.g. `see @doe99, pp. 33-35 and passim`.
/// The flag is author suppression (`-@key`).
pub(super) fn parse_cite_item(s: &str) -> Option<(CiteItem, bool)> {
    // The `@` that starts the key: at the start or after a space or `-`.
    let at = s.char_indices().find_map(|(i, c)| {
        let before = s[..i].chars().last();
        (c == '@' && before.is_none_or(|b| b.is_whitespace() || b == '-' || b == '[')).then_some(i)
    })?;
    let suppress = s[..at].ends_with('-');
    let prefix = s[..at].strip_suffix('-').unwrap_or(&s[..at]).trim();
    let (key, rest) = key_at(&s[at + 1..])?;
    let (locator, suffix) = locator_and_suffix(rest);
    Some((
        CiteItem {
            key,
            locator,
            prefix: (!prefix.is_empty()).then(|| prefix.to_string()),
            suffix,
            suppress_author: suppress,
        },
        suppress,
    ))
}

/// A key after `@`: `{...}` (any text, as Pandoc allows for URLs and
/// DOIs), else the usual characters. The key and what follows it.
pub(super) fn key_at(t: &str) -> Option<(String, &str)> {
    if let Some(inner) = t.strip_prefix('{') {
        let close = inner.find('}')?;
        let key = inner[..close].trim();
        return (!key.is_empty()).then(|| (key.to_string(), &inner[close + 1..]));
    }
    let n = key_len(t);
    (n > 0).then(|| (t[..n].to_string(), &t[n..]))
}

/// Locator terms and the CSL locator each stands for.
const LOCATOR_TERMS: &[(&str, &str)] = &[
    ("pages", "page"),
    ("page", "page"),
    ("pp.", "page"),
    ("pp", "page"),
    ("p.", "page"),
    ("p", "page"),
    ("chapters", "chapter"),
    ("chapter", "chapter"),
    ("chaps.", "chapter"),
    ("chap.", "chapter"),
    ("ch.", "chapter"),
    ("sections", "section"),
    ("section", "section"),
    ("secs.", "section"),
    ("sec.", "section"),
    ("§§", "section"),
    ("§", "section"),
    ("figures", "figure"),
    ("figure", "figure"),
    ("figs.", "figure"),
    ("fig.", "figure"),
    ("paragraphs", "paragraph"),
    ("paragraph", "paragraph"),
    ("paras.", "paragraph"),
    ("para.", "paragraph"),
    ("¶", "paragraph"),
    ("volumes", "volume"),
    ("volume", "volume"),
    ("vols.", "volume"),
    ("vol.", "volume"),
    ("lines", "line"),
    ("line", "line"),
    ("ll.", "line"),
    ("l.", "line"),
    ("notes", "note"),
    ("note", "note"),
    ("nn.", "note"),
    ("n.", "note"),
    ("books", "book"),
    ("book", "book"),
    ("bk.", "book"),
    ("columns", "column"),
    ("column", "column"),
    ("col.", "column"),
    ("verses", "verse"),
    ("verse", "verse"),
    ("v.", "verse"),
    ("parts", "part"),
    ("part", "part"),
    ("pt.", "part"),
];

/// Whether `w` is a locator value: a number, a roman numeral or a range of
/// them (`33`, `35-37`, `xii`, `4.2`).
fn is_locator_value(w: &str) -> bool {
    let w = w.trim();
    !w.is_empty()
        && w.chars()
            .any(|c| c.is_ascii_digit() || "ivxlcdmIVXLCDM".contains(c))
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-–—.:".contains(c))
        && (w.chars().next().is_some_and(|c| c.is_ascii_digit())
            || w.chars().all(|c| "ivxlcdmIVXLCDM-–".contains(c)))
}

/// What follows a key: its locator (`, p. 33`, `chap. 3`, `33, 35-37`)
/// and the rest as the suffix (`, and nowhere else`), both as Pandoc
/// splits them.
pub(super) fn locator_and_suffix(rest: &str) -> (Option<(String, String)>, Option<String>) {
    let suffix = |s: &str| {
        let t = s.trim_end();
        (!t.trim().is_empty()).then(|| t.to_string())
    };
    let body = rest.trim_start();
    let body = body.strip_prefix(',').unwrap_or(body).trim_start();
    // Compared byte for byte, case aside: lowercasing could change the
    // text's length (U+212A KELVIN SIGN is `k`) and misplace the cut.
    let (label, after) = match LOCATOR_TERMS.iter().find(|(term, _)| {
        body.get(..term.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(term))
            && body[term.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_whitespace() || c.is_ascii_digit())
    }) {
        Some((term, label)) => (*label, body[term.len()..].trim_start()),
        None if body.chars().next().is_some_and(|c| c.is_ascii_digit()) => ("page", body),
        None => return (None, suffix(rest)),
    };
    // The value: numbers and ranges, separated by commas (`33, 35-37`);
    // the first part that is not one starts the suffix.
    let mut value_end = 0;
    let mut pos = 0;
    while pos < after.len() {
        let part_end = after[pos..].find(',').map_or(after.len(), |i| pos + i);
        let part = &after[pos..part_end];
        if is_locator_value(part) {
            value_end = part_end;
            pos = part_end + 1;
            continue;
        }
        if value_end == 0 {
            // `30 and more`: the number, then the suffix.
            let lead = part.len() - part.trim_start().len();
            let first = part.split_whitespace().next().unwrap_or("");
            if is_locator_value(first) {
                value_end = pos + lead + first.len();
            }
        }
        break;
    }
    if value_end == 0 {
        return (None, suffix(rest));
    }
    let value = after[..value_end].trim().to_string();
    (
        Some((label.to_string(), value)),
        suffix(&after[value_end..]),
    )
}

/// The `]` closing the `[` at `open`, brackets inside balanced.
fn matching_bracket(s: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (k, c) in s[open..].char_indices() {
        match c {
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + k);
                }
            }
            _ => {}
        }
    }
    None
}

/// Append text to inline content, merging with the text before it.
fn push_text(out: &mut Vec<Inline>, t: &str) {
    if !t.is_empty() {
        let t = unescape_at(t, "@");
        if let Some(Inline::Text(prev)) = out.last_mut() {
            prev.push_str(&t);
        } else {
            out.push(Inline::Text(t));
        }
    }
}

/// `[...]` from `i` to `close`: a citation group or a bracketed
/// cross-reference, appended to `out`; false if it is neither.
fn bracketed(
    run: &TextRun,
    sink: &mut dyn Sink,
    out: &mut Vec<Inline>,
    i: usize,
    close: usize,
) -> bool {
    let s = run.text.as_str();
    // A line's end inside the group is a space.
    let inner = s[i + 1..close].replace(SOFT_BREAK, " ");
    let inner = inner.as_str();
    if !inner.contains('@') || s[close + 1..].starts_with('(') || s[close + 1..].starts_with('[') {
        return false;
    }
    let Some(items) = inner
        .split(';')
        .map(parse_cite_item)
        .collect::<Option<Vec<(CiteItem, bool)>>>()
    else {
        return false;
    };
    let span = run.source_span(i..close + 1);
    if let [(item, _)] = items.as_slice() {
        if is_xref_id(&item.key) {
            // `[@eq-x]`, `[Section @sec-m]`: the cross-reference, its own
            // words first.
            let x = sink.xref(&item.key, span);
            match &item.prefix {
                Some(p) => {
                    push_text(out, &format!("{p} "));
                    out.push(match x {
                        Inline::XRef(id) => Inline::XRefNumber(id),
                        other => other,
                    });
                }
                None => out.push(x),
            }
            if let Some(sfx) = &item.suffix {
                push_text(out, sfx);
            }
            return true;
        }
    }
    if items.is_empty() || items.iter().any(|(it, _)| is_xref_id(&it.key)) {
        return false;
    }
    let mode = if items.iter().all(|(_, sup)| *sup) {
        CiteMode::SuppressAuthor
    } else {
        CiteMode::Normal
    };
    out.push(sink.cite(items.into_iter().map(|(it, _)| it).collect(), mode, span));
    true
}

/// A narrative citation `@key` at `i` (the key `n` bytes long), with a
/// bracketed locator and suffix after it (`@doe99 [p. 30]`, no `@` in
/// them): appended to `out`; the bytes it took.
fn narrative(
    run: &TextRun,
    sink: &mut dyn Sink,
    out: &mut Vec<Inline>,
    i: usize,
    n: usize,
) -> usize {
    let s = run.text.as_str();
    let key = &s[i + 1..i + 1 + n];
    if is_xref_id(key) {
        let x = sink.xref(key, run.source_span(i..i + 1 + n));
        out.push(match x {
            Inline::XRef(id) if named_before(&s[..i], key) => Inline::XRefNumber(id),
            other => other,
        });
        return 1 + n;
    }
    let after = &s[i + 1 + n..];
    let (mut locator, mut suffix, mut used) = (None, None, 0);
    if let Some(inner) = after.strip_prefix(" [").or_else(|| after.strip_prefix('[')) {
        if let Some(end) = inner.find(']') {
            let content = &inner[..end];
            if !content.contains('@') && !inner[end + 1..].starts_with('(') {
                (locator, suffix) = locator_and_suffix(&content.replace(SOFT_BREAK, " "));
                used = after.len() - inner.len() + end + 1;
            }
        }
    }
    let span = run.source_span(i..i + 1 + n + used);
    out.push(sink.cite(
        vec![CiteItem {
            key: key.to_string(),
            locator,
            prefix: None,
            suffix,
            suppress_author: false,
        }],
        CiteMode::Narrative,
        span,
    ));
    1 + n + used
}

/// `\eqref{eq:x}`, `\ref{sec:y}` at `i`, as LaTeX writers put them in
/// Pandoc Markdown: the cross-reference (`(1)` for an equation, the kind's
/// word with `\autoref` and `\cref`) appended to `out` after the text
/// since `plain_start`; the bytes it took.
fn latex_ref(
    run: &TextRun,
    sink: &mut dyn Sink,
    out: &mut Vec<Inline>,
    plain_start: usize,
    i: usize,
) -> Option<usize> {
    let s = run.text.as_str();
    let cmd = ["eqref", "ref", "autoref", "cref", "Cref"]
        .into_iter()
        .find(|c| s[i + 1..].starts_with(&format!("{c}{{")))?;
    let open = i + 1 + cmd.len();
    let close = s[open..].find('}').map(|k| open + k)?;
    let id = s[open + 1..close].trim();
    if id.is_empty() || id.contains(char::is_whitespace) {
        return None;
    }
    push_text(out, &s[plain_start..i]);
    let x = sink.xref(id, run.source_span(i..close + 1));
    let number = match x {
        Inline::XRef(id) => Inline::XRefNumber(id),
        other => other,
    };
    match cmd {
        "eqref" => {
            push_text(out, "(");
            out.push(number);
            push_text(out, ")");
        }
        "autoref" | "cref" | "Cref" => out.push(match number {
            Inline::XRefNumber(id) => Inline::XRef(id),
            other => other,
        }),
        _ => out.push(number),
    }
    Some(close + 1 - i)
}

pub(super) fn scan_citations(run: &TextRun, sink: &mut dyn Sink) -> Vec<Inline> {
    let s = run.text.as_str();
    let mut out = Vec::new();
    let mut plain_start = 0;
    let mut i = 0;
    while i < s.len() {
        let c = s[i..].chars().next().unwrap_or(' ');
        if c == '^' && s[i + 1..].starts_with('[') {
            // `^[an inline note]`, brackets inside it balanced.
            if let Some(close) = matching_bracket(s, i + 1) {
                push_text(&mut out, &s[plain_start..i]);
                let inner = TextRun {
                    text: s[i + 2..close].to_string(),
                    pieces: vec![(0, run.source_span(i + 2..close))],
                };
                let content = restore_breaks(scan_citations(&inner, sink));
                out.push(sink.inline_note(content, run.source_span(i..close + 1)));
                i = close + 1;
                plain_start = i;
                continue;
            }
        }
        if c == '\\' {
            if let Some(used) = latex_ref(run, sink, &mut out, plain_start, i) {
                i += used;
                plain_start = i;
                continue;
            }
        }
        if (c == '^' || c == '~') && !s[i + 1..].starts_with(c) {
            // `x^2^`, `H~2~O`: Pandoc's superscript and subscript, with
            // no space inside.
            if let Some(len) = s[i + 1..].find(c).filter(|&n| {
                n > 0
                    && !s[i + 1..i + 1 + n].contains(|x: char| x.is_whitespace() || x == SOFT_BREAK)
            }) {
                push_text(&mut out, &s[plain_start..i]);
                let inner = vec![Inline::Text(unescape_at(&s[i + 1..i + 1 + len], "@"))];
                out.push(if c == '^' {
                    Inline::Sup(inner)
                } else {
                    Inline::Sub(inner)
                });
                i += len + 2;
                plain_start = i;
                continue;
            }
        }
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
                let mut group = Vec::new();
                if bracketed(run, sink, &mut group, i, close) {
                    push_text(&mut out, &s[plain_start..i]);
                    for g in group {
                        match g {
                            Inline::Text(t) => push_text(&mut out, &t),
                            other => out.push(other),
                        }
                    }
                    i = close + 1;
                    plain_start = i;
                    continue;
                }
            }
        }
        if c == '@' {
            let prev = s[..i].chars().last();
            let word_before =
                prev.is_some_and(|p| p.is_alphanumeric() || p == ESCAPED_AT || p == '_');
            let n = key_len(&s[i + 1..]);
            if !word_before && n > 0 {
                push_text(&mut out, &s[plain_start..i]);
                i += narrative(run, sink, &mut out, i, n);
                plain_start = i;
                continue;
            }
        }
        i += c.len_utf8();
    }
    push_text(&mut out, &s[plain_start..]);
    out
}
