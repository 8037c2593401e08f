//! Template errors located: Tera reports render errors without a
//! position, so the offending expression is found in the template source.

use std::ops::Range;

use super::*;
pub use crate::assemble::sandbox::error_chain;
use crate::diag::{offset_of, Diagnostic};

/// Turn a Tera error into a located diagnostic.
pub fn locate_error(err: &tera::Error, origin: &Origin, what: &str) -> Diagnostic {
    let chain = error_chain(err);
    let text = &origin.text;
    // The sandbox's own errors say where they are.
    for msg in &chain {
        if let Some((span, message)) = crate::assemble::sandbox::locate(msg, text) {
            return Diagnostic::error(format!("in {what}: {message}")).at(
                &origin.file,
                origin.offset + span.start..origin.offset + span.end,
            );
        }
    }
    // Parse errors carry "--> line:col".
    for msg in &chain {
        if let Some((line, col)) = parse_arrow_position(msg) {
            let local = offset_of(text, line, col);
            let detail = msg
                .lines()
                .filter(|l| l.trim_start().starts_with("= "))
                .map(|l| l.trim_start().trim_start_matches("= ").to_string())
                .collect::<Vec<_>>()
                .join("; ");
            let message = if detail.is_empty() {
                format!("template syntax error in {what}")
            } else {
                format!("template syntax error in {what}: {detail}")
            };
            // A span inside the text, even for an error at its very end.
            let end = (local + 1).min(text.len()).max(local);
            return Diagnostic::error(message)
                .at(&origin.file, origin.offset + local..origin.offset + end);
        }
    }
    let message = crate::assemble::sandbox::error_message(err);
    let message = tidy_message(&message);
    let span = find_culprit(&chain, text);
    let mut d = Diagnostic::error(format!("in {what}: {message}"));
    d = match span {
        Some(s) => d.at(&origin.file, origin.offset + s.start..origin.offset + s.end),
        None => {
            let first = text.find("{{").or_else(|| text.find("{%")).unwrap_or(0);
            d.at(
                &origin.file,
                origin.offset + first..origin.offset + first + 2,
            )
        }
    };
    d
}

pub(super) fn tidy_message(msg: &str) -> String {
    // "Variable `x` not found in context while rendering 'sections/a.md'"
    match msg.find(" while rendering") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

pub(super) fn parse_arrow_position(msg: &str) -> Option<(usize, usize)> {
    let i = msg.find("--> ")?;
    let rest = &msg[i + 4..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ':'))
        .unwrap_or(rest.len());
    let (l, c) = rest[..end].split_once(':')?;
    Some((l.parse().ok()?, c.parse().ok()?))
}

/// Find the span of the name an error message quotes in backticks or quotes.
pub(super) fn find_culprit(chain: &[String], text: &str) -> Option<Range<usize>> {
    // A function that failed: its call, not a filter of the same name.
    for msg in chain {
        if let Some(name) = msg
            .strip_prefix("Function call '")
            .and_then(|r| r.split('\'').next())
        {
            if let Some(pos) = find_in_tags(text, &format!("{name}(")) {
                return Some(pos..pos + name.len());
            }
        }
    }
    for msg in chain.iter().rev() {
        for name in quoted_names(msg) {
            if name.is_empty() || name.contains(".md") || name.contains(".yaml") {
                continue;
            }
            // A dotted variable path: look for the full path, then its prefix.
            let mut candidate = name.as_str();
            loop {
                if let Some(pos) = find_in_tags(text, candidate) {
                    return Some(pos..pos + candidate.len());
                }
                match candidate.rfind('.') {
                    Some(i) => candidate = &candidate[..i],
                    None => break,
                }
            }
        }
    }
    None
}

pub(super) fn quoted_names(msg: &str) -> Vec<String> {
    let mut out = Vec::new();
    for quote in ['`', '\''] {
        let mut rest = msg;
        while let Some(a) = rest.find(quote) {
            let after = &rest[a + 1..];
            match after.find(quote) {
                Some(b) => {
                    out.push(after[..b].to_string());
                    rest = &after[b + 1..];
                }
                None => break,
            }
        }
    }
    out
}

/// Position of `needle` inside a `{{ }}` or `{% %}` tag of `text`.
pub(super) fn find_in_tags(text: &str, needle: &str) -> Option<usize> {
    let mut start = 0;
    while let Some(open) = text[start..].find('{').map(|i| i + start) {
        let kind = text[open + 1..].chars().next();
        let close = match kind {
            Some('{') => "}}",
            Some('%') => "%}",
            _ => {
                start = open + 1;
                continue;
            }
        };
        let end = text[open..].find(close).map_or(text.len(), |i| open + i);
        if let Some(i) = text[open..end].find(needle) {
            return Some(open + i);
        }
        start = end.max(open + 1);
    }
    None
}
