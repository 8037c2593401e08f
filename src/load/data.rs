//! Data files (YAML, JSON, CSV) into values for data references.

use std::path::Path;

use serde_json::Value;

use super::files::read_text;
use crate::cache::Cache;
use crate::diag::{offset_of, Diagnostic, SourceMap};
use crate::load::yaml::parse_yaml;
use crate::load::yaml::yaml_to_json;

/// Load a data file into a JSON-like value.
pub fn load_data_file(
    root: &Path,
    rel: &Path,
    sources: &mut SourceMap,
    cache: &Cache,
) -> std::result::Result<Value, Diagnostic> {
    let text = read_text(root, rel, sources, cache)?;
    if !cache.enabled() {
        return parse_data(&text, rel);
    }
    // Errors are not kept: a file that fails is parsed (and reported) again.
    let k = crate::cache::key(&[rel.as_os_str().as_encoded_bytes(), text.as_bytes()]);
    cache.cached("data", k, || parse_data(&text, rel))
}

/// A data file's text as a value, by the file's extension.
pub fn parse_data(text: &str, rel: &Path) -> std::result::Result<Value, Diagnostic> {
    let ext = rel
        .extension()
        .and_then(|s| s.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "yaml" | "yml" => {
            let v: serde_yaml::Value = parse_yaml(text, rel)?;
            Ok(yaml_to_json(v))
        }
        "json" => serde_json::from_str(text).map_err(|e| {
            // serde_json counts columns in bytes.
            let line_start = offset_of(text, e.line(), 1);
            let off = crate::diag::floor_char_boundary(
                text,
                (line_start + e.column().saturating_sub(1)).min(text.len()),
            );
            Diagnostic::error(format!("invalid JSON: {e}")).at(rel, off..off + 1)
        }),
        "csv" => parse_csv(text, rel),
        _ => Err(
            Diagnostic::error("unsupported data file type (use .yaml, .yml, .json or .csv)")
                .in_file(rel),
        ),
    }
}

/// CSV rows become maps; numbers are parsed as numbers, empty cells as null.
fn parse_csv(text: &str, rel: &Path) -> std::result::Result<Value, Diagnostic> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| csv_error(&e, rel, text))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect::<Vec<_>>();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(&e, rel, text))?;
        let mut row = serde_json::Map::new();
        for (h, cell) in headers.iter().zip(record.iter()) {
            row.insert(h.clone(), csv_value(cell));
        }
        rows.push(Value::Object(row));
    }
    Ok(Value::Array(rows))
}

fn csv_value(cell: &str) -> Value {
    let t = cell.trim();
    if t.is_empty() {
        return Value::Null;
    }
    if let Ok(i) = t.parse::<i64>() {
        return Value::Number(i.into());
    }
    if let Ok(f) = t.parse::<f64>() {
        if f.is_finite() {
            if let Some(n) = serde_json::Number::from_f64(f) {
                return Value::Number(n);
            }
        }
    }
    match t {
        "true" | "TRUE" => Value::Bool(true),
        "false" | "FALSE" => Value::Bool(false),
        _ => Value::String(cell.to_string()),
    }
}

fn csv_error(e: &csv::Error, rel: &Path, text: &str) -> Diagnostic {
    let (msg, pos) = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => (
            format!("CSV row has {len} fields but the header has {expected_len}"),
            pos.clone(),
        ),
        _ => (format!("invalid CSV: {e}"), e.position().cloned()),
    };
    let d = Diagnostic::error(msg);
    match pos {
        Some(p) => {
            let off = offset_of(text, p.line() as usize, 1);
            let end = text[off..].find('\n').map_or(text.len(), |i| off + i);
            d.at(rel, off..end.max(off + 1))
        }
        None => d.in_file(rel),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_ragged_row_is_located() {
        let text = "a,b\n1,2\n3\n";
        let err = parse_csv(text, Path::new("d.csv")).unwrap_err();
        let (line, _) = crate::diag::line_col(text, err.span.unwrap().start);
        assert_eq!(line, 3, "{}", err.message);
    }

    #[test]
    fn csv_numbers_are_numbers() {
        let v = parse_csv("n,name\n12,x\n0.5,\n", Path::new("d.csv")).unwrap();
        assert_eq!(v[0]["n"], 12);
        assert_eq!(v[1]["n"], 0.5);
        assert!(v[1]["name"].is_null());
    }
}
