//! Jinja2, for sections written as Manubot writes them (`templates:
//! manubot` in manuscript.yaml): Manubot's delimiters (`{## comment ##}`,
//! so that `{#fig:x}` stays an attribute), Jinja2's filters and tests
//! (minijinja, with Python's string and dict methods), the variables
//! Manubot gives a template ([`super::manubot`]) beside galley's own
//! (`data`, `meta`, `bib`), galley's filters that Jinja2 lacks (`words`,
//! `pvalue`, `fixed`, ...) and `table()`/`figure()`.
//!
//! The sandbox's budget holds here too: fuel bounds the instructions,
//! the output is bounded, and every value printed checks the wall time,
//! the memory and `serve`'s cancellation. Printing an undefined value is
//! an error at its line (Manubot only logs it): a typo must not leave a
//! blank where a number was.

use std::collections::HashMap;

use minijinja::value::{Kwargs, Serde, Value};
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};

use super::{Origin, PlaceFigure, PlaceTable};
use crate::assemble::sandbox::budget::{self, Bounded};
use crate::assemble::sandbox::{error_message, MAX_OUTPUT};
use crate::diag::Diagnostic;

/// Instructions one rendering may run.
const FUEL: u64 = 50_000_000;
/// Macro calls and blocks inside one another.
const RECURSION: usize = 64;

type TeraFilter =
    fn(&serde_json::Value, &HashMap<String, serde_json::Value>) -> tera::Result<serde_json::Value>;

/// galley's filters under their names, where Jinja2 has none of its own
/// (its `sum`, `map`, `first`, `slice`, ... keep Jinja2's meaning).
const GALLEY_FILTERS: &[(&str, TeraFilter)] = &[
    ("words", super::filter_words),
    ("mean", super::filter_mean),
    ("round_to", super::filter_round_to),
    ("fixed", super::filter_fixed),
    ("percent", super::filter_percent),
    ("range", super::filter_range),
    ("pvalue", super::filter_pvalue),
    ("flatten", super::filter_flatten),
    ("having", super::filter_having),
    ("date", super::filter_date),
    ("filter", super::filter_filter),
    ("nth", super::filter_nth),
];

fn to_json(v: &Value) -> Result<serde_json::Value, Error> {
    serde_json::to_value(v).map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))
}

/// Keyword arguments as the map galley's Tera filters and functions take.
fn kwargs_map(kwargs: &Kwargs) -> Result<HashMap<String, serde_json::Value>, Error> {
    let names: Vec<String> = kwargs.args().map(str::to_string).collect();
    let mut map = HashMap::new();
    for k in names {
        let v: Value = kwargs.get(&k)?;
        map.insert(k, to_json(&v)?);
    }
    kwargs.assert_all_used()?;
    Ok(map)
}

fn tera_error(e: &tera::Error) -> Error {
    Error::new(ErrorKind::InvalidOperation, error_message(e))
}

fn environment<'s>() -> Environment<'s> {
    let mut env = Environment::new();
    // Manubot renders its files as one text: a file's last newline is
    // kept.
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .comment_delimiters("{##", "##}")
        .keep_trailing_newline(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.set_debug(false);
    env.set_fuel(Some(FUEL));
    env.set_recursion_limit(RECURSION);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    minijinja_contrib::add_to_environment(&mut env);
    env.set_formatter(|out, state, value| {
        if let Some(why) = budget::exceeded() {
            return Err(Error::new(ErrorKind::InvalidOperation, why));
        }
        minijinja::escape_formatter(out, state, value)
    });
    for &(name, f) in GALLEY_FILTERS {
        env.add_filter(
            name,
            move |v: Value, kwargs: Kwargs| -> Result<Value, Error> {
                let args = kwargs_map(&kwargs)?;
                f(&to_json(&v)?, &args)
                    .map(|r| Value::from(Serde(&r)))
                    .map_err(|e| tera_error(&e))
            },
        );
    }
    env.add_function("table", |kwargs: Kwargs| -> Result<Value, Error> {
        let args = kwargs_map(&kwargs)?;
        tera::Function::call(&PlaceTable, &args)
            .map(|r| Value::from_safe_string(r.as_str().unwrap_or("").to_string()))
            .map_err(|e| tera_error(&e))
    });
    env.add_function("figure", |kwargs: Kwargs| -> Result<Value, Error> {
        let args = kwargs_map(&kwargs)?;
        tera::Function::call(&PlaceFigure, &args)
            .map(|r| Value::from_safe_string(r.as_str().unwrap_or("").to_string()))
            .map_err(|e| tera_error(&e))
    });
    env
}

/// Render `protected` (the origin's text as [`super::protect::protect`]
/// made it) with `ctx`, its error located in the origin.
pub fn render(
    origin: &Origin,
    protected: &str,
    ctx: &Value,
    what: &str,
) -> Result<String, Diagnostic> {
    let env = environment();
    let mut out = Bounded::new(MAX_OUTPUT.saturating_add(protected.len().saturating_mul(4)));
    let result = budget::rendering(|| {
        crate::diag::contain::contain(|| {
            let template = env.template_from_str(protected)?;
            template.render_captured_to(ctx, &mut out).map(|_| ())
        })
    });
    match result {
        Ok(Ok(())) => match String::from_utf8(out.buf) {
            Ok(s) => Ok(super::protect::restore(&s)),
            Err(_) => Err(Diagnostic::error(format!("in {what}: the template wrote invalid UTF-8"))
                .at(&origin.file, origin.offset..origin.offset)),
        },
        // Where the writing stopped, with the budget's message.
        Ok(Err(e)) if out.over => {
            let mut d = located(&e, origin, protected, what);
            d.message = format!(
                "in {what}: the template's output grew past {} MB",
                out.limit >> 20
            );
            Err(d)
        }
        Ok(Err(e)) => Err(located(&e, origin, protected, what)),
        Err(panic) => Err(Diagnostic::error(format!(
            "in {what}: the template engine cannot evaluate this template ({panic}); write the expression another way"
        ))
        .at(&origin.file, origin.offset..origin.offset)),
    }
}

/// A minijinja error as a diagnostic at its place in the origin's text.
fn located(e: &Error, origin: &Origin, protected: &str, what: &str) -> Diagnostic {
    let mut message = match e.detail() {
        Some(d) => format!("in {what}: {}: {d}", e.kind()),
        None => format!("in {what}: {}", e.kind()),
    };
    if e.kind() == ErrorKind::UndefinedError {
        message
            .push_str(" (test an optional value with `is defined`, or set it in manuscript.yaml)");
    }
    if e.kind() == ErrorKind::OutOfFuel {
        message.push_str(&format!(
            " (the template ran more than {FUEL} steps; does a loop end?)"
        ));
    }
    let text = &origin.text;
    // The protected text keeps the source's lines, not its columns (a
    // guarded `{` is longer), so the line is found first and the culprit
    // in it.
    let (line, culprit) = match e.range() {
        Some(r)
            if r.end <= protected.len()
                && protected.is_char_boundary(r.start)
                && protected.is_char_boundary(r.end) =>
        {
            (
                protected[..r.start].matches('\n').count() + 1,
                super::protect::restore(&protected[r]),
            )
        }
        // Without a place (a write that failed): the first tag.
        _ => (
            e.line().unwrap_or_else(|| {
                let first = text
                    .find("{{")
                    .into_iter()
                    .chain(text.find("{%"))
                    .min()
                    .unwrap_or(0);
                text[..first].matches('\n').count() + 1
            }),
            String::new(),
        ),
    };
    let start = crate::diag::offset_of(text, line, 1);
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let span = match text[start..end]
        .find(culprit.trim())
        .filter(|_| !culprit.trim().is_empty())
    {
        Some(i) => start + i..start + i + culprit.trim().len(),
        None => start..end.max(start + 1).min(text.len().max(start)),
    };
    Diagnostic::error(message).at(
        &origin.file,
        origin.offset + span.start..origin.offset + span.end,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(text: &str) -> Origin {
        Origin {
            file: "sections/a.md".into(),
            offset: 0,
            text: text.into(),
        }
    }

    fn run(text: &str, ctx: serde_json::Value) -> Result<String, Diagnostic> {
        let p = super::super::protect::protect(text, &mut |_| String::new());
        render(&origin(text), &p, &Value::from(Serde(&ctx)), "a.md")
    }

    #[test]
    fn manubot_comments_and_jinja2_expressions() {
        let ctx = serde_json::json!({"manubot": {"authors": [
            {"name": "A", "corresponding": true, "email": "a@x.org"},
            {"name": "B"}
        ]}, "data": {"trials": [{"n": 30}, {"n": 12}]}});
        let src = "{## a comment ##}# T {#sec-t}\n\
            {% for a in manubot.authors|selectattr(\"corresponding\", \"defined\")|selectattr(\"corresponding\") -%}\n\
            {{ a.name }} \\<{{ a.email }}\\>{{ \", \" if not loop.last else \".\" }}\n\
            {% endfor %}\
            {{ manubot.authors|map(attribute='corresponding', default=false)|select|max }} \
            {{ 'abcdefghij' | truncate(length=7, end='', leeway=0) }} \
            {{ data.trials | map(attribute='n') | sum | words }} `{{ x }}`\n";
        let out = run(src, ctx).unwrap();
        assert_eq!(
            out,
            "# T {#sec-t}\nA \\<a@x.org\\>.\nTrue abcdefg forty-two `{{ x }}`\n"
        );
    }

    #[test]
    fn an_undefined_value_printed_is_an_error_at_its_line() {
        let src = "ok\n\nsee {{ manubot.date_long }} here\n";
        let d = run(src, serde_json::json!({"manubot": {}})).unwrap_err();
        let span = d.span.clone().unwrap();
        assert_eq!(&src[span], "manubot.date_long", "{}", d.message);
        assert!(d.message.contains("undefined"), "{}", d.message);
        // Tested, it is only false.
        assert_eq!(
            run(
                "{% if x is defined %}x{% endif %}{% if y %}y{% endif %}.",
                serde_json::json!({})
            )
            .unwrap(),
            "."
        );
    }

    #[test]
    fn syntax_errors_are_located() {
        let src = "one\n{% if %}\n";
        let d = run(src, serde_json::json!({})).unwrap_err();
        let (line, _) = crate::diag::line_col(src, d.span.unwrap().start);
        assert_eq!(line, 2, "{}", d.message);
    }

    #[test]
    fn the_budget_bounds_a_runaway_template() {
        let d = run(
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            serde_json::json!({}),
        )
        .unwrap_err();
        assert!(d.message.contains("steps"), "{}", d.message);
        let d = run(
            "{% set s = 'x' * 10000000 %}{% for i in range(100) %}{{ s }}{% endfor %}",
            serde_json::json!({}),
        )
        .unwrap_err();
        assert!(d.message.contains("MB"), "{}", d.message);
    }
}
