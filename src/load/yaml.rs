//! YAML as galley reads it: checked before parsing (tab indentation, deep
//! nesting, which the parser handles slowly), and errors located in the
//! file, with the spelling the user wrote.

use std::path::Path;

use serde::Deserialize;

use crate::diag::{offset_of, Diagnostic};
use serde_json::{Map, Number, Value};

/// A serde_yaml error as a located diagnostic.
pub fn yaml_error(e: &serde_yaml::Error, rel: &Path, text: &str) -> Diagnostic {
    let msg = e.to_string();
    // serde_yaml appends " at line L column C"; the location is shown anyway.
    let msg = match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    };
    let d = Diagnostic::error(format!("invalid YAML: {msg}"));
    // serde_yaml points duplicate keys at their mapping; point at the
    // second occurrence of the key instead.
    let dup = msg
        .strip_prefix("duplicate field `")
        .and_then(|r| r.split('`').next())
        .or_else(|| {
            msg.strip_prefix("duplicate entry with key \"")
                .and_then(|r| r.split('"').next())
        });
    if let Some(key) = dup {
        let mut seen = 0;
        let mut off = 0;
        for line in text.split_inclusive('\n') {
            let t = line.trim_start();
            let t = t.strip_prefix("- ").unwrap_or(t);
            let t = t.trim_start_matches(['"', '\'']);
            if t.starts_with(key)
                && t[key.len()..]
                    .trim_start_matches(['"', '\''])
                    .trim_start()
                    .starts_with(':')
            {
                seen += 1;
                if seen == 2 {
                    let start = off + line.find(key).unwrap_or(0);
                    return d.at(rel, start..start + key.len());
                }
            }
            off += line.len();
        }
    }
    match e.location() {
        Some(loc) => {
            let off = offset_of(text, loc.line(), loc.column());
            // A value outside a closed set is underlined whole (serde
            // points at the value, or for a checked value at its key).
            let line_end = text[off..].find('\n').map_or(text.len(), |i| off + i);
            let span = msg
                .split_once("unknown variant `")
                .or_else(|| msg.split_once("unknown paper size `"))
                .and_then(|(_, r)| r.split('`').next())
                .filter(|v| !v.is_empty())
                .and_then(|v| text[off..line_end].find(v).map(|i| off + i..off + i + v.len()));
            d.at(rel, span.unwrap_or(off..off + 1))
        }
        None if msg.contains("repetition limit") => match first_alias(text) {
            Some(off) => Diagnostic::error(
                "invalid YAML: its aliases expand to too many values (repetition limit exceeded); this is the first alias",
            )
            .at(rel, off..off + 1),
            None => d.in_file(rel),
        },
        None => d.in_file(rel),
    }
}

/// Offset of the first alias (`*name`) in YAML text.
fn first_alias(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    (0..b.len()).find(|&i| {
        b[i] == b'*'
            && (i == 0 || b" \t[,:-\n".contains(&b[i - 1]))
            && b.get(i + 1)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
    })
}

/// Flow collections (`[...]`, `{...}`) inside one another in a YAML file.
/// The YAML parser takes time quadratic in their depth (100,000 deep: half
/// a minute), and no data file needs many.
pub const MAX_YAML_NESTING: usize = 64;

/// Offset of the first flow collection nested deeper than
/// [`MAX_YAML_NESTING`], outside quoted strings and comments.
pub fn yaml_too_deep(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let (mut depth, mut i) = (0usize, 0usize);
    while i < b.len() {
        match b[i] {
            b'#' if i == 0 || b[i - 1].is_ascii_whitespace() => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' | b'\'' if i == 0 || !b[i - 1].is_ascii_alphanumeric() => {
                let q = b[i];
                i += 1;
                while i < b.len() && b[i] != q {
                    if q == b'"' && b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_YAML_NESTING {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The checks every YAML text gets before it is parsed: no tab
/// indentation, no deep nesting.
pub fn yaml_precheck(text: &str, rel: &Path) -> std::result::Result<(), Diagnostic> {
    if let Some(off) = leading_tab(text) {
        return Err(Diagnostic::error(
            "invalid YAML: tabs are not allowed for indentation; use spaces",
        )
        .at(rel, off..off + 1));
    }
    if let Some(off) = yaml_too_deep(text) {
        return Err(Diagnostic::error(format!(
            "invalid YAML: lists and maps nest more than {MAX_YAML_NESTING} deep here"
        ))
        .at(rel, off..off + 1));
    }
    Ok(())
}

/// Parse YAML text into a typed value with a located error.
pub fn parse_yaml<T: for<'de> Deserialize<'de>>(
    text: &str,
    rel: &Path,
) -> std::result::Result<T, Diagnostic> {
    yaml_precheck(text, rel)?;
    serde_yaml::from_str(text).map_err(|e| yaml_error(&e, rel, text))
}

/// Offset of a tab used as indentation (YAML forbids it; serde_yaml's message
/// for it is obscure).
fn leading_tab(text: &str) -> Option<usize> {
    let mut off = 0;
    for line in text.split_inclusive('\n') {
        let indent_end = line
            .find(|c: char| c != ' ' && c != '\t')
            .unwrap_or(line.len());
        if let Some(i) = line[..indent_end].find('\t') {
            if !line.trim().is_empty() {
                return Some(off + i);
            }
        }
        off += line.len();
    }
    None
}

/// Span of the YAML key `key:` (at any indentation) in `text`, for messages
/// about a key's value.
pub fn yaml_key_span(text: &str, key: &str) -> Option<std::ops::Range<usize>> {
    let mut off = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        let t = t.strip_prefix("- ").unwrap_or(t);
        if t.starts_with(key) && t[key.len()..].trim_start().starts_with(':') {
            let start = off + line.find(key).unwrap_or(0);
            return Some(start..start + key.len());
        }
        off += line.len();
    }
    None
}

/// Convert YAML to JSON values (keys become strings, tags are dropped).
pub fn yaml_to_json(v: serde_yaml::Value) -> Value {
    match v {
        serde_yaml::Value::Null => Value::Null,
        serde_yaml::Value::Bool(b) => Value::Bool(b),
        serde_yaml::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Number(i.into())
            } else if let Some(u) = n.as_u64() {
                Value::Number(u.into())
            } else {
                n.as_f64()
                    .and_then(Number::from_f64)
                    .map_or(Value::Null, Value::Number)
            }
        }
        serde_yaml::Value::String(s) => Value::String(s),
        serde_yaml::Value::Sequence(s) => Value::Array(s.into_iter().map(yaml_to_json).collect()),
        serde_yaml::Value::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match k {
                    serde_yaml::Value::String(s) => s,
                    other => serde_yaml::to_string(&other)
                        .unwrap_or_default()
                        .trim()
                        .to_string(),
                };
                out.insert(key, yaml_to_json(v));
            }
            Value::Object(out)
        }
        serde_yaml::Value::Tagged(t) => yaml_to_json(t.value),
    }
}

/// Offset of an embedded template in its file (first non-empty line).
pub fn find_template(file_text: &str, template: &str) -> usize {
    let first = template
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    if first.is_empty() {
        return 0;
    }
    if let Some(i) = file_text.find(first) {
        return i;
    }
    // Folded YAML scalars rewrap lines: fall back to a prefix.
    let prefix: String = first.chars().take(24).collect();
    file_text.find(&prefix).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_tab_indentation_is_located() {
        let err = parse_yaml::<serde_yaml::Value>("a:\n\tb: 1\n", Path::new("m.yaml")).unwrap_err();
        assert_eq!(err.span, Some(3..4));
    }

    #[test]
    fn deep_flow_collections_are_found_outside_strings_and_comments() {
        let deep = format!("a: {}", "[".repeat(65));
        assert_eq!(yaml_too_deep(&deep), Some(3 + 64));
        let quoted = format!("a: \"{}\" # {}\nb: [1]", "[".repeat(100), "{".repeat(100));
        assert_eq!(yaml_too_deep(&quoted), None);
    }
}
