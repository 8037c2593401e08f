//! Data assertions: the built-in PRISMA arithmetic and the project's own
//! `checks:` (Tera boolean expressions). A failed check is a warning.

use std::path::Path;

use tera::Context;

use crate::assemble::template;
use crate::diag::{Diagnostic, Diagnostics};
use crate::figures;
use crate::load::project::{Project, MANIFEST};
use crate::load::yaml::yaml_key_span;
use crate::model::Document;

pub fn run(project: &Project, _doc: &Document) -> Diagnostics {
    let mut out = typed_numbers(project);
    for (stem, value) in &project.data {
        for kind in figures::KINDS.iter().filter(|k| k.recognises(value)) {
            let file = project
                .data_file(stem)
                .map(Path::to_path_buf)
                .unwrap_or_default();
            let text = project.sources.get(&file).unwrap_or("");
            match kind.check(value) {
                Ok(warnings) => {
                    for w in warnings {
                        let span = yaml_key_span(text, &w.key).unwrap_or(0..1);
                        out.push(Diagnostic::warning(w.message).at(&file, span));
                    }
                }
                Err(msg) => out.push(
                    Diagnostic::error(format!("{}: {msg}", kind.data_label())).in_file(&file),
                ),
            }
        }
    }
    if !project.meta.checks.is_empty() {
        let mut tera = template::new_tera();
        let mut ctx = Context::new();
        ctx.insert("data", &project.data);
        ctx.insert("meta", &project.meta_value);
        let manifest = Path::new(MANIFEST);
        let mtext = project.sources.get(manifest).unwrap_or("");
        for (i, c) in project.meta.checks.iter().enumerate() {
            let span = mtext
                .find(c.expr.as_str())
                .map_or(0..1, |s| s..s + c.expr.len());
            let src = format!("{{% if {} %}}true{{% else %}}false{{% endif %}}", c.expr);
            let name = format!("check#{i}");
            let result = crate::assemble::sandbox::render_str(&mut tera, &name, &src, &ctx);
            match result.as_deref() {
                Ok("true") => {}
                Ok(_) => {
                    let values = values_in(&mut tera, &ctx, &c.expr);
                    let d = Diagnostic::warning(format!(
                        "check failed: {} (`{}` is false)",
                        c.message, c.expr
                    ))
                    .at(manifest, span);
                    out.push(if values.is_empty() {
                        d
                    } else {
                        d.with_note(format!("where {values}"))
                    });
                }
                Err(e) => {
                    let msg = crate::assemble::sandbox::error_message(e);
                    out.push(
                        Diagnostic::error(format!("check `{}` cannot be evaluated: {msg}", c.expr))
                            .at(manifest, span),
                    );
                }
            }
        }
    }
    out
}

/// "data.a = 3, data.b | length = 2": the values of the data paths an
/// expression reads (with the filter that follows each, if any).
fn values_in(tera: &mut tera::Tera, ctx: &Context, expr: &str) -> String {
    let mut parts = Vec::new();
    let mut rest = expr;
    while let Some(i) = rest.find("data.") {
        let after = &rest[i..];
        let end = after
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(after.len());
        let path = after[..end].trim_end_matches('.');
        // Include one following filter (`| length`, `| sum`) when present.
        let tail = &after[end..];
        let filter = tail
            .trim_start()
            .strip_prefix('|')
            .map(|t| t.trim_start())
            .map(|t| {
                &t[..t
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(t.len())]
            })
            .filter(|f| !f.is_empty());
        let shown = match filter {
            Some(f) => format!("{path} | {f}"),
            None => path.to_string(),
        };
        let src = format!("{{{{ {shown} | json_encode() | safe }}}}");
        if let Ok(v) = crate::assemble::sandbox::render_str(tera, "check-value", &src, ctx) {
            let entry = format!("{shown} = {v}");
            if !parts.contains(&entry) {
                parts.push(entry);
            }
        }
        rest = &after[end..];
    }
    parts.join(", ")
}

/// Numbers the dataset defines: every numeric leaf, and for each list of
/// records its length and the sum of each numeric field. Keyed by value.
fn data_numbers(
    data: &std::collections::BTreeMap<String, serde_json::Value>,
) -> Vec<(f64, String)> {
    use serde_json::Value;
    fn walk(v: &Value, path: String, out: &mut Vec<(f64, String)>) {
        match v {
            Value::Number(n) => {
                if let Some(x) = n.as_f64() {
                    out.push((x, path));
                }
            }
            Value::Object(m) => {
                for (k, x) in m {
                    walk(x, format!("{path}.{k}"), out);
                }
            }
            Value::Array(a) => {
                if a.len() >= 10 {
                    out.push((a.len() as f64, format!("{path} | length")));
                }
                let records: Vec<&serde_json::Map<String, Value>> =
                    a.iter().filter_map(Value::as_object).collect();
                if records.len() > 1 {
                    let mut fields: Vec<&String> = records.iter().flat_map(|r| r.keys()).collect();
                    fields.sort();
                    fields.dedup();
                    for f in fields {
                        let nums: Vec<f64> = records
                            .iter()
                            .filter_map(|r| r.get(f.as_str()).and_then(Value::as_f64))
                            .collect();
                        if nums.len() == records.len() {
                            out.push((
                                nums.iter().sum(),
                                format!("{path} | map(attribute=\"{f}\") | sum"),
                            ));
                        }
                    }
                }
                for (i, x) in a.iter().enumerate() {
                    walk(x, format!("{path}.{i}"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (stem, v) in data {
        walk(v, format!("data.{stem}"), &mut out);
    }
    out
}

/// Byte ranges of a section's text where a typed number is fine: template
/// tags, math, code, link targets and bracketed citations.
fn exempt_ranges(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let pairs: [(&str, &str); 6] = [
        ("{{", "}}"),
        ("{%", "%}"),
        ("{#", "#}"),
        ("`", "`"),
        ("](", ")"),
        ("[@", "]"),
    ];
    for (open, close) in pairs {
        let mut from = 0;
        while let Some(i) = text[from..].find(open).map(|i| i + from) {
            // `{#sec-x}` is a heading attribute, not the start of a Tera
            // comment: exempt the attribute only.
            if open == "{#" && template::is_heading_attr(&text[i + 2..]) {
                let end = text[i..].find('}').map_or(text.len(), |j| i + j + 1);
                out.push(i..end);
                from = end;
                continue;
            }
            let end = text[i + open.len()..]
                .find(close)
                .map_or(text.len(), |j| i + open.len() + j + close.len());
            out.push(i..end);
            from = end.max(i + 1);
        }
    }
    // Inline and display math.
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' && (i == 0 || bytes[i - 1] != b'\\') {
            let start = i;
            i += 1;
            while i < bytes.len() && !(bytes[i] == b'$' && bytes[i - 1] != b'\\') {
                i += 1;
            }
            out.push(start..(i + 1).min(bytes.len()));
        }
        i += 1;
    }
    out
}

/// Ranges sorted and overlapping ones joined, for [`is_exempt`].
fn merged(mut ranges: Vec<std::ops::Range<usize>>) -> Vec<std::ops::Range<usize>> {
    ranges.sort_by_key(|r| r.start);
    let mut out: Vec<std::ops::Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// Does one of the sorted, disjoint `ranges` contain `at`?
fn is_exempt(ranges: &[std::ops::Range<usize>], at: usize) -> bool {
    let i = ranges.partition_point(|r| r.end <= at);
    ranges.get(i).is_some_and(|r| r.contains(&at))
}

const TIME_UNITS: [&str; 12] = [
    " h", " min", " hour", " day", " week", " month", " year", "-day", "-week", "-month", "-min",
    "-year",
];

/// Warn about numbers typed in the prose that equal a number of the data.
pub fn typed_numbers(project: &Project) -> Diagnostics {
    let mut out = Diagnostics::new();
    let mut known = data_numbers(&project.data);
    // By value (stable: the first path of a value stays first), so each
    // typed number is looked up by bisection, not compared with them all.
    known.sort_by(|a, b| a.0.total_cmp(&b.0));
    for file in &project.sections {
        let text = &file.text;
        let exempt = merged(exempt_ranges(text));
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if !bytes[i].is_ascii_digit() {
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_digit()
                    || (bytes[i] == b'.' && i + 1 < bytes.len() && bytes[i + 1].is_ascii_digit()))
            {
                i += 1;
            }
            let token = &text[start..i];
            // Part of a longer token (PCL-5, R21AG070666, 2.3.1, 1,234)?
            let before = text[..start].chars().last();
            let after = text[i..].chars().next();
            let glued = before.is_some_and(|c| {
                c.is_alphanumeric() || c == '-' || c == '_' || c == '.' || c == ','
            }) || after.is_some_and(|c| c.is_alphanumeric() || c == '_');
            if glued || is_exempt(&exempt, start) {
                continue;
            }
            let Ok(value) = token.parse::<f64>() else {
                continue;
            };
            let is_year = value.fract() == 0.0 && (1900.0..=2100.0).contains(&value);
            if value < 10.0 || is_year || TIME_UNITS.iter().any(|u| text[i..].starts_with(u)) {
                continue;
            }
            let first = known.partition_point(|(x, _)| *x < value - 1e-9);
            if let Some((_, path)) = known.get(first).filter(|(x, _)| (*x - value).abs() < 1e-9) {
                out.push(
                    Diagnostic::warning(format!(
                        "`{token}` is typed by hand but the data defines it as `{path}`; write {{{{ {path} }}}} so it cannot drift"
                    ))
                    .at(&file.path, start..i),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sums_and_leaves_are_known() {
        let mut data = std::collections::BTreeMap::new();
        data.insert("s".to_string(), json!([{"n": 158}, {"n": 165}]));
        let nums = data_numbers(&data);
        assert!(nums
            .iter()
            .any(|(x, p)| *x == 323.0 && p == "data.s | map(attribute=\"n\") | sum"));
        assert!(nums.iter().any(|(x, p)| *x == 158.0 && p == "data.s.0.n"));
    }

    #[test]
    fn a_heading_attribute_is_not_a_comment() {
        let t = "# Methods {#sec-methods}\n\nWe included 323 people. {# a note #} 324";
        let ex = exempt_ranges(t);
        let typed = t.find("323").unwrap();
        assert!(!ex.iter().any(|r| r.contains(&typed)), "{ex:?}");
        assert!(ex.iter().any(|r| r.contains(&t.find("a note").unwrap())));
        assert!(!ex.iter().any(|r| r.contains(&t.find("324").unwrap())));
    }

    #[test]
    fn exempts_templates_math_and_citations() {
        let t = "a {{ 323 }} $n=323$ [@k2020] `323` 323";
        let ex = exempt_ranges(t);
        let last = t.rfind("323").unwrap();
        assert!(!ex.iter().any(|r| r.contains(&last)));
        assert!(ex.iter().any(|r| r.contains(&t.find("323").unwrap())));
    }
}
