//! Tera, as the data-reference language of sections, abstracts and table cells.
//!
//! Tera 1 reports parse errors with a line and column but render errors only
//! with a message; [`locate_error`] finds the offending expression in the
//! template source so every template error names file, line and column.

pub mod jinja;
mod lists;
mod locate;
pub mod manubot;
mod numbers;
pub mod protect;

pub use lists::dotted;
use lists::*;
pub use locate::locate_error;
use numbers::*;
pub use numbers::{format_number, num, number_words};

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::Value;
use tera::{Context, Tera};

pub use crate::assemble::sandbox::{error_chain, is_heading_attr};
use crate::diag::Diagnostic;
use crate::model::dates::format_date;

/// Where a template's text came from: a file, and the byte offset of the
/// template inside it (non-zero for templates embedded in YAML).
#[derive(Debug, Clone)]
pub struct Origin {
    pub file: PathBuf,
    pub offset: usize,
    /// The template text as written (before heading-attribute protection).
    pub text: String,
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
        const KNOWN: [&str; 14] = [
            "id",
            "kind",
            "data",
            "caption",
            "src",
            "alt",
            "analysis",
            "tool",
            "domains",
            "judgements",
            "overall",
            "scheme",
            "weight",
            "label",
        ];
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

pub fn escape_marker(s: &str) -> String {
    s.replace("--", "\\u002d\\u002d")
}

pub fn unescape_marker(s: &str) -> String {
    s.replace("\\u002d\\u002d", "--")
}

/// Render a one-off template with a located error, in the project's
/// language: Jinja2 with `jinja` as its scope (`templates: manubot`), else
/// Tera with `ctx`. `protected` is the origin's text as [`protect::protect`]
/// made it (shortcodes expanded).
pub fn render_one(
    tera: &mut Tera,
    jinja: Option<&minijinja::Value>,
    name: &str,
    origin: &Origin,
    protected: &str,
    ctx: &Context,
    what: &str,
) -> Result<String, Diagnostic> {
    if let Some(scope) = jinja {
        return jinja::render(origin, protected, scope, what);
    }
    crate::assemble::sandbox::add(tera, name, protected)
        .map_err(|e| locate_error(&e, origin, what))?;
    let out = crate::assemble::sandbox::render(tera, name, ctx, protected.len())
        .map_err(|e| locate_error(&e, origin, what));
    out.map(|s| protect::restore(&s))
}

/// [`render_one`] of a Tera template parsed ahead under `name`
/// ([`crate::assemble::sandbox::parse_alone`]) from a text of
/// `protected_len` bytes.
pub fn render_parsed(
    tera: &mut Tera,
    name: &str,
    parsed: crate::assemble::sandbox::Parsed,
    protected_len: usize,
    ctx: &Context,
) -> tera::Result<String> {
    crate::assemble::sandbox::add_parsed(tera, name, parsed)?;
    crate::assemble::sandbox::render(tera, name, ctx, protected_len).map(|s| protect::restore(&s))
}

// ---------------------------------------------------------------- filters

type Args = HashMap<String, Value>;

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
        let p = protect::protect(src, &mut |_| String::new());
        let out = render(&p, json!({}));
        assert_eq!(protect::restore(&out), "# Intro {#sec-intro}\ntext\n");
    }

    #[test]
    fn render_errors_are_located() {
        let origin = Origin {
            file: "sections/a.md".into(),
            offset: 0,
            text: "line one\nwe had {{ data.studies.missing }} here\n".into(),
        };
        let mut ctx = Context::new();
        ctx.insert("data", &json!({"studies": {"n": 1}}));
        let d = failed(&origin, &ctx);
        let span = d.span.unwrap();
        assert_eq!(&origin.text[span], "data.studies.missing");
        assert!(d.message.contains("data.studies.missing"), "{}", d.message);
    }

    /// The error of rendering the origin's text as a Tera template.
    fn failed(origin: &Origin, ctx: &Context) -> Diagnostic {
        let what = origin.file.display().to_string();
        render_one(&mut new_tera(), None, "a", origin, &origin.text, ctx, &what).unwrap_err()
    }

    #[test]
    fn syntax_errors_are_located() {
        let origin = Origin {
            file: "a.md".into(),
            offset: 0,
            text: "ok\n{{ data. }}\n".into(),
        };
        let d = failed(&origin, &Context::new());
        let (line, _) = crate::diag::line_col(&origin.text, d.span.unwrap().start);
        assert_eq!(line, 2, "{}", d.message);
    }
}
