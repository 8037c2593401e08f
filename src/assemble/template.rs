//! Tera, as the data-reference language of sections, abstracts and table cells.
//!
//! Tera 1 reports parse errors with a line and column but render errors only
//! with a message; [`locate_error`] finds the offending expression in the
//! template source so every template error names file, line and column.

use std::collections::HashMap;
use std::ops::Range;
use std::path::PathBuf;

use serde_json::{Number, Value};
use tera::{Context, Tera};

pub use crate::assemble::sandbox::{error_chain, is_heading_attr};
use crate::diag::{offset_of, Diagnostic};

/// Where a template's text came from: a file, and the byte offset of the
/// template inside it (non-zero for templates embedded in YAML).
#[derive(Debug, Clone)]
pub struct Origin {
    pub file: PathBuf,
    pub offset: usize,
    /// The template text as written (before heading-attribute protection).
    pub text: String,
}

/// Marker that stands in for `{#` of a heading attribute while Tera runs.
const HEADING_ATTR_GUARD: &str = "{\u{E000}";

/// Protect `{#id}` heading attributes, which Tera would read as comments.
pub fn protect_heading_attrs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let mut rest = line;
        // An attribute block `{#id .class}` closes with `}` on its line; a
        // Tera comment closes with `#}`.
        while let Some(pos) = rest.find("{#") {
            let after = &rest[pos + 2..];
            let is_attr = is_heading_attr(after);
            out.push_str(&rest[..pos]);
            out.push_str(if is_attr { HEADING_ATTR_GUARD } else { "{#" });
            rest = after;
        }
        out.push_str(rest);
    }
    out
}

pub fn restore_heading_attrs(text: &str) -> String {
    text.replace(HEADING_ATTR_GUARD, "{#")
}

/// A Tera instance with galley's filters and functions.
pub fn new_tera() -> Tera {
    let mut tera = Tera::default();
    crate::assemble::sandbox::install(&mut tera);
    tera.autoescape_on(vec![".html", ".htm", ".xml", ".svg"]);
    tera.register_filter("words", filter_words);
    tera.register_filter("sum", filter_sum);
    tera.register_filter("min", filter_min);
    tera.register_filter("max", filter_max);
    tera.register_filter("mean", filter_mean);
    tera.register_filter("round_to", filter_round_to);
    tera.register_filter("fixed", filter_fixed);
    tera.register_filter("percent", filter_percent);
    tera.register_filter("range", filter_range);
    tera.register_filter("pvalue", filter_pvalue);
    tera.register_filter("flatten", filter_flatten);
    tera.register_filter("having", filter_having);
    tera.register_filter("date", filter_date);
    // Tera's own array filters copy the whole array (twice) before looking
    // at it, so every `data.studies | ...` cost the size of the dataset;
    // these read it in place, with the same meaning.
    tera.register_filter("slice", filter_slice);
    tera.register_filter("filter", filter_filter);
    tera.register_filter("map", filter_map);
    tera.register_filter("first", filter_first);
    tera.register_filter("last", filter_last);
    tera.register_filter("nth", filter_nth);
    tera.register_function("table", PlaceTable);
    tera.register_function("figure", PlaceFigure);
    tera
}

/// The marker a placement function leaves in the Markdown.
pub const MARKER_PREFIX: &str = "<!--galley:";

struct PlaceTable;
impl tera::Function for PlaceTable {
    fn call(&self, args: &HashMap<String, Value>) -> tera::Result<Value> {
        let id = args.get("id").and_then(Value::as_str).ok_or_else(|| {
            tera::Error::msg("table() needs an `id` argument, e.g. table(id=\"tbl-studies\")")
        })?;
        let mut keys: Vec<&String> = args.keys().collect();
        keys.sort();
        for k in keys {
            if k != "id" {
                return Err(tera::Error::msg(format!(
                    "table() has no argument `{k}`; it takes `id`"
                )));
            }
        }
        Ok(Value::String(format!(
            "\n\n{MARKER_PREFIX}table {}-->\n\n",
            escape_marker(id)
        )))
    }
    fn is_safe(&self) -> bool {
        true
    }
}

struct PlaceFigure;
impl tera::Function for PlaceFigure {
    fn call(&self, args: &HashMap<String, Value>) -> tera::Result<Value> {
        const KNOWN: [&str; 6] = ["id", "kind", "data", "caption", "src", "alt"];
        let mut keys: Vec<&String> = args.keys().collect();
        keys.sort();
        for k in keys {
            if !KNOWN.contains(&k.as_str()) {
                return Err(tera::Error::msg(format!(
                    "figure() has no argument `{k}`; it takes {}",
                    KNOWN.join(", ")
                )));
            }
        }
        if args.get("id").and_then(Value::as_str).is_none() {
            return Err(tera::Error::msg(
                "figure() needs an `id` argument, e.g. figure(id=\"fig-prisma\", ...)",
            ));
        }
        let sorted: std::collections::BTreeMap<_, _> = args.iter().collect();
        let json = serde_json::to_string(&sorted).map_err(|e| tera::Error::msg(e.to_string()))?;
        Ok(Value::String(format!(
            "\n\n{MARKER_PREFIX}figure {}-->\n\n",
            escape_marker(&json)
        )))
    }
    fn is_safe(&self) -> bool {
        true
    }
}

fn escape_marker(s: &str) -> String {
    s.replace("--", "\\u002d\\u002d")
}

pub fn unescape_marker(s: &str) -> String {
    s.replace("\\u002d\\u002d", "--")
}

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
    let useful: Vec<&String> = chain
        .iter()
        .filter(|m| !m.starts_with("Failed to render") && !m.starts_with("Failed to parse"))
        .collect();
    let message = if useful.is_empty() {
        chain.join(": ")
    } else {
        useful
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(": ")
    };
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

fn tidy_message(msg: &str) -> String {
    // "Variable `x` not found in context while rendering 'sections/a.md'"
    match msg.find(" while rendering") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

fn parse_arrow_position(msg: &str) -> Option<(usize, usize)> {
    let i = msg.find("--> ")?;
    let rest = &msg[i + 4..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ':'))
        .unwrap_or(rest.len());
    let (l, c) = rest[..end].split_once(':')?;
    Some((l.parse().ok()?, c.parse().ok()?))
}

/// Find the span of the name an error message quotes in backticks or quotes.
fn find_culprit(chain: &[String], text: &str) -> Option<Range<usize>> {
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

fn quoted_names(msg: &str) -> Vec<String> {
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
fn find_in_tags(text: &str, needle: &str) -> Option<usize> {
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

/// Render a one-off template with a located error.
pub fn render_one(
    tera: &mut Tera,
    name: &str,
    origin: &Origin,
    ctx: &Context,
    what: &str,
) -> Result<String, Diagnostic> {
    let protected = protect_heading_attrs(&origin.text);
    crate::assemble::sandbox::add(tera, name, &protected)
        .map_err(|e| locate_error(&e, origin, what))?;
    let out = crate::assemble::sandbox::render(tera, name, ctx, protected.len())
        .map_err(|e| locate_error(&e, origin, what));
    out.map(|s| restore_heading_attrs(&s))
}

// ---------------------------------------------------------------- filters

type Args = HashMap<String, Value>;

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// The numbers of a list (nulls skipped), or an error naming the culprit.
fn numbers(v: &Value, filter: &str) -> tera::Result<Vec<f64>> {
    let items = match v {
        Value::Array(a) => a,
        Value::Number(n) => return Ok(vec![n.as_f64().unwrap_or(f64::NAN)]),
        other => {
            return Err(tera::Error::msg(format!(
                "filter `{filter}` expects a list of numbers, got {}",
                type_name(other)
            )))
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Value::Null => {}
            Value::Number(n) => out.push(n.as_f64().unwrap_or(f64::NAN)),
            other => {
                return Err(tera::Error::msg(format!(
                    "filter `{filter}` expects a list of numbers, but the list holds {} ({})",
                    type_name(other),
                    short(other)
                )))
            }
        }
    }
    Ok(out)
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

fn all_integers(v: &Value) -> bool {
    match v {
        Value::Array(a) => a.iter().all(|x| x.is_null() || x.is_i64() || x.is_u64()),
        Value::Number(n) => n.is_i64() || n.is_u64(),
        _ => false,
    }
}

/// A number as a Tera value: integral values stay integers.
pub fn num(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        Value::Number(Number::from(x as i64))
    } else {
        Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

/// Shortest decimal form: 0.2, 18, 85.7.
pub fn format_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        format!("{}", x as i64)
    } else {
        let s = format!("{:.10}", x);
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn filter_words(v: &Value, _: &Args) -> tera::Result<Value> {
    let n = v.as_f64().ok_or_else(|| {
        tera::Error::msg(format!(
            "filter `words` expects a number, got {}",
            type_name(v)
        ))
    })?;
    Ok(Value::String(number_words(n)))
}

/// English words for whole numbers below 100; other numbers stay digits.
pub fn number_words(n: f64) -> String {
    const ONES: [&str; 20] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    const TENS: [&str; 10] = [
        "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    if n.fract() != 0.0 || !(0.0..100.0).contains(&n) {
        return format_number(n);
    }
    let n = n as usize;
    if n < 20 {
        ONES[n].to_string()
    } else if n.is_multiple_of(10) {
        TENS[n / 10].to_string()
    } else {
        format!("{}-{}", TENS[n / 10], ONES[n % 10])
    }
}

fn filter_sum(v: &Value, _: &Args) -> tera::Result<Value> {
    let xs = numbers(v, "sum")?;
    let total: f64 = xs.iter().sum();
    Ok(if all_integers(v) {
        Value::Number(Number::from(total as i64))
    } else {
        num(total)
    })
}

fn filter_min(v: &Value, _: &Args) -> tera::Result<Value> {
    let xs = numbers(v, "min")?;
    xs.iter()
        .copied()
        .reduce(f64::min)
        .map(num)
        .ok_or_else(|| tera::Error::msg("filter `min` got an empty list"))
}

fn filter_max(v: &Value, _: &Args) -> tera::Result<Value> {
    let xs = numbers(v, "max")?;
    xs.iter()
        .copied()
        .reduce(f64::max)
        .map(num)
        .ok_or_else(|| tera::Error::msg("filter `max` got an empty list"))
}

fn filter_mean(v: &Value, _: &Args) -> tera::Result<Value> {
    let xs = numbers(v, "mean")?;
    if xs.is_empty() {
        return Err(tera::Error::msg("filter `mean` got an empty list"));
    }
    Ok(num(xs.iter().sum::<f64>() / xs.len() as f64))
}

fn arg_usize(args: &Args, name: &str, default: usize) -> tera::Result<usize> {
    match args.get(name) {
        None => Ok(default),
        Some(v) => v
            .as_u64()
            .map(|n| n as usize)
            .ok_or_else(|| tera::Error::msg(format!("argument `{name}` must be a whole number"))),
    }
}

fn round(x: f64, digits: usize) -> f64 {
    let f = 10f64.powi(digits as i32);
    (x * f).round() / f
}

fn filter_round_to(v: &Value, args: &Args) -> tera::Result<Value> {
    let x = v.as_f64().ok_or_else(|| {
        tera::Error::msg(format!(
            "filter `round_to` expects a number, got {}",
            type_name(v)
        ))
    })?;
    let n = arg_usize(args, "n", 2)?;
    Ok(num(round(x, n)))
}

/// A number with exactly `n` decimals, as printed in a paper ("38.00").
fn filter_fixed(v: &Value, args: &Args) -> tera::Result<Value> {
    let x = v.as_f64().ok_or_else(|| {
        tera::Error::msg(format!(
            "filter `fixed` expects a number, got {}",
            type_name(v)
        ))
    })?;
    let n = arg_usize(args, "n", 2)?;
    Ok(Value::String(format!("{x:.n$}")))
}

fn filter_percent(v: &Value, args: &Args) -> tera::Result<Value> {
    let x = v.as_f64().ok_or_else(|| {
        tera::Error::msg(format!(
            "filter `percent` expects a number, got {}",
            type_name(v)
        ))
    })?;
    let n = arg_usize(args, "decimals", 1)?;
    Ok(Value::String(format!(
        "{}%",
        format_number(round(x * 100.0, n))
    )))
}

fn filter_range(v: &Value, args: &Args) -> tera::Result<Value> {
    let xs = numbers(v, "range")?;
    let lo = xs.iter().copied().reduce(f64::min);
    let hi = xs.iter().copied().reduce(f64::max);
    let sep = args
        .get("sep")
        .and_then(Value::as_str)
        .unwrap_or("\u{2013}");
    match (lo, hi) {
        (Some(lo), Some(hi)) if lo == hi => Ok(Value::String(format_number(lo))),
        (Some(lo), Some(hi)) => Ok(Value::String(format!(
            "{}{sep}{}",
            format_number(lo),
            format_number(hi)
        ))),
        _ => Err(tera::Error::msg("filter `range` got an empty list")),
    }
}

fn filter_pvalue(v: &Value, args: &Args) -> tera::Result<Value> {
    let p = v.as_f64().ok_or_else(|| {
        tera::Error::msg(format!(
            "filter `pvalue` expects a number, got {}",
            type_name(v)
        ))
    })?;
    let threshold = args
        .get("threshold")
        .and_then(Value::as_f64)
        .unwrap_or(0.0001);
    if p < threshold {
        return Ok(Value::String(format!("<{}", format_number(threshold))));
    }
    let s = format!("{p:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    Ok(Value::String(s.to_string()))
}

fn filter_flatten(v: &Value, _: &Args) -> tera::Result<Value> {
    let items = v.as_array().ok_or_else(|| {
        tera::Error::msg(format!(
            "filter `flatten` expects a list, got {}",
            type_name(v)
        ))
    })?;
    let mut out = Vec::new();
    for item in items {
        match item {
            Value::Array(inner) => out.extend(inner.iter().cloned()),
            other => out.push(other.clone()),
        }
    }
    Ok(Value::Array(out))
}

/// Value at a dotted path inside a map.
fn array<'a>(v: &'a Value, filter: &str) -> tera::Result<&'a [Value]> {
    v.as_array().map(Vec::as_slice).ok_or_else(|| {
        tera::Error::msg(format!(
            "filter `{filter}` needs a list, but got {} `{}`",
            type_name(v),
            short(v)
        ))
    })
}

fn arg_str<'a>(args: &'a Args, filter: &str, name: &str) -> tera::Result<&'a str> {
    match args.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(tera::Error::msg(format!(
            "filter `{filter}`: `{name}` must be a string, not {}",
            type_name(other)
        ))),
        None => Err(tera::Error::msg(format!(
            "filter `{filter}` needs an `{name}` argument"
        ))),
    }
}

/// `start`/`end` of `slice`: a number, negative counting from the end.
fn slice_index(args: &Args, name: &str, len: usize, default: usize) -> tera::Result<usize> {
    match args.get(name) {
        None => Ok(default),
        Some(v) => {
            let i = v.as_f64().ok_or_else(|| {
                tera::Error::msg(format!("filter `slice`: `{name}` must be a number"))
            })?;
            Ok(if i >= 0.0 {
                i as usize
            } else {
                (len as f64 + i).max(0.0) as usize
            })
        }
    }
}

fn filter_slice(v: &Value, args: &Args) -> tera::Result<Value> {
    let a = array(v, "slice")?;
    if a.is_empty() {
        return Ok(Value::Array(Vec::new()));
    }
    let start = slice_index(args, "start", a.len(), 0)?;
    let end = slice_index(args, "end", a.len(), a.len())?.min(a.len());
    Ok(Value::Array(if start < end {
        a[start..end].to_vec()
    } else {
        Vec::new()
    }))
}

fn filter_filter(v: &Value, args: &Args) -> tera::Result<Value> {
    let a = array(v, "filter")?;
    if a.is_empty() {
        return Ok(Value::Array(Vec::new()));
    }
    let attr = arg_str(args, "filter", "attribute")?;
    let want = args.get("value").unwrap_or(&Value::Null);
    Ok(Value::Array(
        a.iter()
            .filter(|x| {
                let got = dotted(x, attr).unwrap_or(&Value::Null);
                if want.is_null() {
                    !got.is_null()
                } else {
                    got == want
                }
            })
            .cloned()
            .collect(),
    ))
}

fn filter_map(v: &Value, args: &Args) -> tera::Result<Value> {
    let a = array(v, "map")?;
    if a.is_empty() {
        return Ok(Value::Array(Vec::new()));
    }
    let attr = arg_str(args, "map", "attribute")?;
    Ok(Value::Array(
        a.iter()
            .filter_map(|x| dotted(x, attr).filter(|y| !y.is_null()).cloned())
            .collect(),
    ))
}

fn filter_first(v: &Value, _: &Args) -> tera::Result<Value> {
    Ok(or_empty(array(v, "first")?.first()))
}

fn filter_last(v: &Value, _: &Args) -> tera::Result<Value> {
    Ok(or_empty(array(v, "last")?.last()))
}

fn filter_nth(v: &Value, args: &Args) -> tera::Result<Value> {
    let a = array(v, "nth")?;
    if a.is_empty() {
        return Ok(or_empty(None));
    }
    let n = arg_usize(args, "n", usize::MAX)?;
    if n == usize::MAX && !args.contains_key("n") {
        return Err(tera::Error::msg("filter `nth` needs an `n` argument"));
    }
    Ok(or_empty(a.get(n)))
}

/// A missing element is "", as in Tera's own filters.
fn or_empty(v: Option<&Value>) -> Value {
    v.cloned().unwrap_or_else(|| Value::String(String::new()))
}

pub fn dotted<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    for part in path.split('.') {
        cur = match cur {
            Value::Object(m) => m.get(part)?,
            Value::Array(a) => a.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn is_present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
        _ => true,
    }
}

fn filter_having(v: &Value, args: &Args) -> tera::Result<Value> {
    let items = v.as_array().ok_or_else(|| {
        tera::Error::msg(format!(
            "filter `having` expects a list, got {}",
            type_name(v)
        ))
    })?;
    let attr = args
        .get("attribute")
        .and_then(Value::as_str)
        .ok_or_else(|| tera::Error::msg("filter `having` needs `attribute=\"a.b\"`"))?;
    Ok(Value::Array(
        items
            .iter()
            .filter(|item| dotted(item, attr).is_some_and(is_present))
            .cloned()
            .collect(),
    ))
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Parse "YYYY", "YYYY-MM" or "YYYY-MM-DD".
pub fn parse_iso_date(s: &str) -> Option<(i32, Option<u32>, Option<u32>)> {
    let mut parts = s.trim().splitn(3, '-');
    let y: i32 = parts.next()?.parse().ok()?;
    let m: Option<u32> = match parts.next() {
        Some(p) => Some(p.parse().ok().filter(|m| (1..=12).contains(m))?),
        None => None,
    };
    let d: Option<u32> = match parts.next() {
        Some(p) => Some(
            p.get(..2)
                .unwrap_or(p)
                .parse()
                .ok()
                .filter(|d| (1..=31).contains(d))?,
        ),
        None => None,
    };
    Some((y, m, d))
}

/// strftime-like formatting for the subset authors need.
pub fn format_date(iso: &str, format: &str) -> Option<String> {
    let (y, m, d) = parse_iso_date(iso)?;
    let mut out = String::new();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut pad = true;
        if chars.peek() == Some(&'-') {
            pad = false;
            chars.next();
        }
        match chars.next()? {
            'Y' => out.push_str(&y.to_string()),
            'm' => {
                let m = m?;
                out.push_str(&if pad {
                    format!("{m:02}")
                } else {
                    m.to_string()
                })
            }
            'd' => {
                let d = d?;
                out.push_str(&if pad {
                    format!("{d:02}")
                } else {
                    d.to_string()
                })
            }
            'B' => out.push_str(MONTHS[(m? - 1) as usize]),
            'b' => out.push_str(&MONTHS[(m? - 1) as usize][..3]),
            '%' => out.push('%'),
            _ => return None,
        }
    }
    Some(out)
}

fn filter_date(v: &Value, args: &Args) -> tera::Result<Value> {
    let s = v.as_str().ok_or_else(|| {
        tera::Error::msg(format!(
            "filter `date` expects an ISO date string, got {}",
            type_name(v)
        ))
    })?;
    let format = args
        .get("format")
        .and_then(Value::as_str)
        .unwrap_or("%B %-d, %Y");
    format_date(s, format).map(Value::String).ok_or_else(|| {
        tera::Error::msg(format!(
            "filter `date` cannot format `{s}` with `{format}` (dates are YYYY-MM-DD; formats use %Y %m %d %-d %B %b)"
        ))
    })
}

/// Evaluate a Tera expression (e.g. `data.studies`) to a value.
pub fn eval_expr(tera: &mut Tera, name: &str, expr: &str, ctx: &Context) -> tera::Result<Value> {
    let src =
        format!("{{% set galley_value = {expr} %}}{{{{ galley_value | json_encode() | safe }}}}");
    let out = crate::assemble::sandbox::render_str(tera, name, &src, ctx)?;
    serde_json::from_str(&out).map_err(|e| tera::Error::msg(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_filters_mean_what_teras_own_do() {
        let mut ctx = Context::new();
        ctx.insert(
            "xs",
            &serde_json::json!([
                {"n": 3, "c": "A", "d": {"k": 1}},
                {"n": 5, "c": "B", "d": {"k": 2}},
                {"n": null, "c": "A"},
                {"n": 7, "c": "C", "d": {"k": 1}}
            ]),
        );
        for src in [
            "{{ xs | slice(start=1, end=3) | json_encode() }}",
            "{{ xs | slice(start=-2) | json_encode() }}",
            "{{ xs | slice(end=-1) | length }}",
            "{{ xs | slice(start=3, end=1) | length }}",
            "{{ xs | slice(start=1, end=99) | length }}",
            "{{ xs | filter(attribute=\"c\", value=\"A\") | json_encode() }}",
            "{{ xs | filter(attribute=\"n\") | length }}",
            "{{ xs | filter(attribute=\"d.k\", value=1) | length }}",
            "{{ xs | map(attribute=\"n\") | json_encode() }}",
            "{{ xs | map(attribute=\"d.k\") | json_encode() }}",
            "{{ xs | first | json_encode() }}",
            "{{ xs | last | json_encode() }}",
            "{{ xs | nth(n=1) | json_encode() }}",
            "{{ xs | nth(n=9) | json_encode() }}",
            "{{ xs | slice(start=9) | first | json_encode() }}",
            "{{ xs | slice(start=9) | last | json_encode() }}",
            "{{ xs | slice(start=9) | map() | length }}",
            "{{ xs | slice(start=9) | filter() | length }}",
            "{{ xs | slice(start=9) | nth() | json_encode() }}",
        ] {
            let ours = new_tera().render_str(src, &ctx).unwrap();
            let theirs = Tera::default().render_str(src, &ctx).unwrap();
            assert_eq!(ours, theirs, "{src}");
        }
    }
    use serde_json::json;

    fn render(src: &str, data: Value) -> String {
        let mut tera = new_tera();
        let mut ctx = Context::new();
        ctx.insert("data", &data);
        tera.add_raw_template("t", src).unwrap();
        tera.render("t", &ctx).unwrap()
    }

    #[test]
    fn builtin_filters() {
        let data = json!({"s": [{"n": 158, "d": [0.2, 0.5]}, {"n": 26, "d": [0.5, null]}]});
        assert_eq!(
            render("{{ data.s | length | words | capitalize }}", data.clone()),
            "Two"
        );
        assert_eq!(
            render("{{ data.s | map(attribute=\"n\") | sum }}", data.clone()),
            "184"
        );
        assert_eq!(
            render(
                "{{ data.s | map(attribute=\"d\") | flatten | range }}",
                data.clone()
            ),
            "0.2–0.5"
        );
        assert_eq!(render("{{ 0.00004 | pvalue }}", data.clone()), "<0.0001");
        assert_eq!(render("{{ 0.0045 | pvalue }}", data.clone()), "0.0045");
        assert_eq!(render("{{ 0.231 | percent }}", data.clone()), "23.1%");
        assert_eq!(render("{{ 2.345 | round_to(n=1) }}", data.clone()), "2.3");
        assert_eq!(render("{{ [1, 2, 6] | mean }}", data.clone()), "3");
        assert_eq!(render("{{ 38.0 | fixed(n=2) }}", data.clone()), "38.00");
        assert_eq!(
            render("{{ \"2025-07-15\" | date }}", data.clone()),
            "July 15, 2025"
        );
        assert_eq!(
            render(
                "{{ \"2025-09-01\" | date(format=\"%B %Y\") }}",
                data.clone()
            ),
            "September 2025"
        );
        assert_eq!(number_words(42.0), "forty-two");
        assert_eq!(number_words(323.0), "323");
    }

    #[test]
    fn having_keeps_present_attributes() {
        let data = json!({"s": [{"o": {"a": [1]}}, {"o": {"a": []}}, {"o": {}}]});
        assert_eq!(
            render("{{ data.s | having(attribute=\"o.a\") | length }}", data),
            "1"
        );
    }

    #[test]
    fn heading_attributes_survive_tera() {
        let src = "# Intro {#sec-intro}\n{# a comment #}text\n";
        let p = protect_heading_attrs(src);
        let out = render(&p, json!({}));
        assert_eq!(restore_heading_attrs(&out), "# Intro {#sec-intro}\ntext\n");
    }

    #[test]
    fn render_errors_are_located() {
        let origin = Origin {
            file: "sections/a.md".into(),
            offset: 0,
            text: "line one\nwe had {{ data.studies.missing }} here\n".into(),
        };
        let mut tera = new_tera();
        let mut ctx = Context::new();
        ctx.insert("data", &json!({"studies": {"n": 1}}));
        let d = render_one(&mut tera, "a", &origin, &ctx, "sections/a.md").unwrap_err();
        let span = d.span.unwrap();
        assert_eq!(&origin.text[span], "data.studies.missing");
        assert!(d.message.contains("data.studies.missing"), "{}", d.message);
    }

    #[test]
    fn syntax_errors_are_located() {
        let origin = Origin {
            file: "a.md".into(),
            offset: 0,
            text: "ok\n{{ data. }}\n".into(),
        };
        let mut tera = new_tera();
        let d = render_one(&mut tera, "a", &origin, &Context::new(), "a.md").unwrap_err();
        let (line, _) = crate::diag::line_col(&origin.text, d.span.unwrap().start);
        assert_eq!(line, 2, "{}", d.message);
    }
}
