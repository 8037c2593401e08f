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
        let off = match check_nesting(text) {
            Err((off, _)) => off,
            Ok(()) => n.parse().ok()?,
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
    scan_tags(text, |tag, span| {
        if tag == "for" || tag == "macro" {
            seen += 1;
            if seen == n {
                found = Some(span);
                return false;
            }
        }
        true
    });
    found
}

/// Call `f(keyword, span)` for every `{% keyword ... %}` tag outside raw
/// blocks and comments, until it returns false.
fn scan_tags(text: &str, mut f: impl FnMut(&str, Range<usize>) -> bool) {
    let mut i = 0;
    let mut raw = false;
    while let Some(j) = text[i..].find('{').map(|j| j + i) {
        let rest = &text[j..];
        if !raw && rest.starts_with("{#") && !crate::template::is_heading_attr(&rest[2..]) {
            i = text[j + 2..]
                .find("#}")
                .map_or(text.len(), |k| j + 2 + k + 2);
            continue;
        }
        if !rest.starts_with("{%") {
            i = j + 1;
            continue;
        }
        let close = text[j + 2..].find("%}").map(|k| j + 2 + k);
        let end = close.map_or(text.len(), |k| k + 2);
        let inner = text[j + 2..close.unwrap_or(text.len())].trim_start_matches('-');
        let word: String = inner
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        if raw {
            raw = word != "endraw";
        } else if word == "raw" {
            raw = true;
        } else if !f(&word, j..end) {
            return;
        }
        i = end;
    }
}

/// Refuse templates that nest block tags or brackets more than
/// [`MAX_NESTING`] deep: Tera's parser recurses on them and would overflow
/// the stack. The error is the offset of the tag that goes too deep.
pub fn check_nesting(text: &str) -> Result<(), (usize, String)> {
    let mut depth = 0usize;
    let mut err = None;
    scan_tags(text, |word, span| {
        if matches!(word, "if" | "for" | "macro" | "block" | "filter") {
            depth += 1;
            if depth > MAX_NESTING {
                err = Some((
                    span.start,
                    format!("template tags nest more than {MAX_NESTING} deep"),
                ));
                return false;
            }
        } else if word.starts_with("end") {
            depth = depth.saturating_sub(1);
        }
        true
    });
    if let Some(e) = err {
        return Err(e);
    }
    // Brackets inside `{{ }}` and `{% %}`, outside string literals.
    let bytes = text.as_bytes();
    let mut i = 0;
    while i + 1 < bytes.len() {
        let open = bytes[i] == b'{' && (bytes[i + 1] == b'{' || bytes[i + 1] == b'%');
        if !open {
            i += 1;
            continue;
        }
        let close = if bytes[i + 1] == b'{' { b'}' } else { b'%' };
        let mut j = i + 2;
        let mut level = 0usize;
        let mut quote = None;
        while j + 1 < bytes.len() && !(quote.is_none() && bytes[j] == close && bytes[j + 1] == b'}')
        {
            let c = bytes[j];
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None => {
                    match c {
                        b'"' | b'\'' | b'`' => quote = Some(c),
                        b'(' | b'[' => {
                            level += 1;
                            if level > MAX_NESTING {
                                return Err((
                                j,
                                format!("brackets in a template tag nest more than {MAX_NESTING} deep"),
                            ));
                            }
                        }
                        b')' | b']' => level = level.saturating_sub(1),
                        _ => {}
                    }
                }
            }
            j += 1;
        }
        i = j + 2;
    }
    Ok(())
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
}
