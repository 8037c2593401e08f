//! Finding things in a template's text as written: its `for` and `macro`
//! tags in order (where a budget error points) and how deep its tags and
//! brackets nest (checked before Tera's parser, which recurses on them).

use std::ops::Range;

use super::{AT, AT_OFFSET, MAX_NESTING};

/// Where a budget or nesting error points, and its message without the
/// position: `Some((span in text, message))`.
pub fn locate(msg: &str, text: &str) -> Option<(Range<usize>, String)> {
    if let Some(i) = msg.find(AT_OFFSET) {
        let rest = &msg[i + AT_OFFSET.len()..];
        let (n, m) = rest.split_once(": ")?;
        // The offset is into the text Tera was given; the same check on the
        // text as written finds the same place in it.
        let off = match (text.find("__galley"), check_nesting(text)) {
            (Some(off), _) | (None, Err((off, _))) => off,
            (None, Ok(())) => n.parse().ok()?,
        };
        let off = crate::diag::floor_char_boundary(text, off.min(text.len()));
        return Some((off..(off + 2).min(text.len()).max(off), m.to_string()));
    }
    let i = msg.find(AT)?;
    let rest = &msg[i + AT.len()..];
    let (n, m) = rest.split_once(": ")?;
    let n: u64 = n.parse().ok()?;
    let span = tag_span(text, n).unwrap_or_else(|| {
        let first = text.find("{{").or_else(|| text.find("{%")).unwrap_or(0);
        first..(first + 2).min(text.len())
    });
    Some((span, m.to_string()))
}

/// The span of the `n`-th `for` or `macro` tag of a template (from 1).
pub fn tag_span(text: &str, n: u64) -> Option<Range<usize>> {
    let mut seen = 0;
    let mut found = None;
    scan_tags(text, |tag| {
        if tag.word == "for" || tag.word == "macro" {
            seen += 1;
            if seen == n {
                found = Some(tag.span.clone());
                return false;
            }
        }
        true
    });
    found
}

/// A `{{ ... }}` or `{% ... %}` tag.
struct Tag<'t> {
    /// The keyword of a `{% %}` tag (`for`, `endif`...); empty for `{{ }}`.
    word: String,
    /// The whole tag, braces included.
    span: Range<usize>,
    /// Between the braces.
    inner: &'t str,
    /// Where `inner` starts in the text.
    inner_start: usize,
}

/// The end of a tag whose inside starts at `from`: the offset of its
/// closing `close` (`}}` or `%}`) outside string literals, if any.
fn tag_close(text: &str, from: usize, close: &[u8; 2]) -> Option<usize> {
    let b = text.as_bytes();
    let mut quote = None;
    let mut i = from;
    while i + 1 < b.len() {
        match quote {
            Some(q) if b[i] == q => quote = None,
            Some(_) => {}
            None if matches!(b[i], b'"' | b'\'' | b'`') => quote = Some(b[i]),
            None if b[i] == close[0] && b[i + 1] == close[1] => return Some(i),
            None => {}
        }
        i += 1;
    }
    None
}

/// If `rest` starts with `{% endraw %}` (with any `-` and spaces), its
/// length.
fn endraw_at(rest: &str) -> Option<usize> {
    let inner = rest.strip_prefix("{%")?;
    let t = inner.trim_start_matches('-').trim_start();
    let t = t.strip_prefix("endraw")?;
    let t = t.trim_start().trim_start_matches('-');
    t.starts_with("%}").then(|| rest.len() - t.len() + 2)
}

/// Call `f` for every tag outside raw blocks and comments, in order, until
/// it returns false.
fn scan_tags(text: &str, mut f: impl FnMut(&Tag) -> bool) {
    let mut i = 0;
    let mut raw = false;
    while let Some(j) = text[i..].find('{').map(|j| j + i) {
        let rest = &text[j..];
        if raw {
            // Raw text ends at the first `{% endraw %}`, quotes or not.
            if let Some(end) = endraw_at(rest) {
                raw = false;
                i = j + end;
            } else {
                i = j + 1;
            }
            continue;
        }
        if rest.starts_with("{#") && !super::is_heading_attr(&rest[2..]) {
            i = text[j + 2..]
                .find("#}")
                .map_or(text.len(), |k| j + 2 + k + 2);
            continue;
        }
        let close = match rest.as_bytes().get(1) {
            Some(b'%') => b"%}",
            Some(b'{') if !raw => b"}}",
            _ => {
                i = j + 1;
                continue;
            }
        };
        let found = tag_close(text, j + 2, close);
        let end = found.map_or(text.len(), |k| k + 2);
        let inner = &text[j + 2..found.unwrap_or(text.len())];
        let word: String = if close == b"%}" {
            inner
                .trim_start_matches('-')
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_alphabetic() || *c == '_')
                .collect()
        } else {
            String::new()
        };
        if word == "raw" {
            raw = true;
        } else {
            let tag = Tag {
                word,
                span: j..end,
                inner,
                inner_start: j + 2,
            };
            if !f(&tag) {
                return;
            }
        }
        i = end;
    }
}

/// Refuse templates Tera's parser would take too long or too deep a stack
/// for: block tags or brackets nested more than [`MAX_NESTING`] deep, and
/// brackets left open or closed by the wrong one in a tag (on which the
/// parser backtracks exponentially: 45 open brackets took a minute). The
/// error is the offset of the tag or bracket at fault.
pub fn check_nesting(text: &str) -> Result<(), (usize, String)> {
    let mut depth = 0usize;
    let mut err = None;
    scan_tags(text, |tag| {
        if matches!(
            tag.word.as_str(),
            "if" | "for" | "macro" | "block" | "filter"
        ) {
            depth += 1;
            if depth > MAX_NESTING {
                err = Some((
                    tag.span.start,
                    format!("template tags nest more than {MAX_NESTING} deep"),
                ));
                return false;
            }
        } else if tag.word.starts_with("end") {
            depth = depth.saturating_sub(1);
        }
        match brackets(tag.inner) {
            Ok(()) => true,
            Err((at, msg)) => {
                err = Some((tag.inner_start + at, msg));
                false
            }
        }
    });
    err.map_or(Ok(()), Err)
}

/// Brackets inside one tag, outside string literals: each closed by its
/// own kind, none left open, none deeper than [`MAX_NESTING`].
fn brackets(inner: &str) -> Result<(), (usize, String)> {
    let mut open: Vec<(usize, u8)> = Vec::new();
    let mut quote = None;
    for (i, &c) in inner.as_bytes().iter().enumerate() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                b'"' | b'\'' | b'`' => quote = Some(c),
                b'(' | b'[' => {
                    open.push((i, c));
                    if open.len() > MAX_NESTING {
                        return Err((
                            i,
                            format!("brackets in a template tag nest more than {MAX_NESTING} deep"),
                        ));
                    }
                }
                b')' | b']' => {
                    let want = if c == b')' { b'(' } else { b'[' };
                    match open.pop() {
                        Some((_, o)) if o == want => {}
                        Some((at, o)) => {
                            return Err((
                                at,
                                format!(
                                    "`{}` is closed by `{}` in this template tag",
                                    o as char, c as char
                                ),
                            ))
                        }
                        None => {
                            return Err((
                                i,
                                format!("`{}` closes nothing in this template tag", c as char),
                            ))
                        }
                    }
                }
                _ => {}
            },
        }
    }
    match open.first() {
        Some((at, o)) => Err((
            *at,
            format!("`{}` is never closed in this template tag", *o as char),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_found_in_order() {
        let t = "{#sec-a} {# {% for x %} #}{% raw %}{% for %}{% endraw %}\n{%- for a in b %}{% macro m() %}";
        assert_eq!(&t[tag_span(t, 1).unwrap()], "{%- for a in b %}");
        assert_eq!(&t[tag_span(t, 2).unwrap()], "{% macro m() %}");
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let deep = "{% if true %}".repeat(100);
        assert!(check_nesting(&deep).is_err());
        let parens = format!("{{{{ {}1{} }}}}", "(".repeat(100), ")".repeat(100));
        assert!(check_nesting(&parens).is_err());
        assert!(check_nesting("{{ f(a=[1, (2)]) }} {% if a %}{% endif %}").is_ok());
    }

    #[test]
    fn unbalanced_brackets_are_refused_before_parsing() {
        // Tera's parser backtracks exponentially on these.
        let text = format!("x {{{{ {}x", "m(n=((((((((".repeat(5));
        let (at, msg) = check_nesting(&text).unwrap_err();
        assert_eq!(
            (at, msg.as_str()),
            (6, "`(` is never closed in this template tag")
        );
        assert!(check_nesting("{{ f(a=[1)] }}")
            .unwrap_err()
            .1
            .contains("`[` is closed by `)`"));
        assert!(check_nesting("{% if a) %}{% endif %}")
            .unwrap_err()
            .1
            .contains("`)` closes nothing"));
        // Inside strings, raw blocks and comments, brackets are text.
        assert!(check_nesting("{{ \"(\" }} {% raw %}{{ ( {% endraw %} {# ( #}").is_ok());
        // A quote inside a raw block does not hide what follows it.
        let after_raw = format!(
            "{{% raw %}}{{% it's %}}{{%- endraw -%}}{{{{ {}x",
            "m(n=((((((((".repeat(5)
        );
        assert!(check_nesting(&after_raw).is_err());
    }
}
