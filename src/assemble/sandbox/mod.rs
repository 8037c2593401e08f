//! What templates may do. Sections, tables, checks and the theme are Tera
//! templates the manuscript brings, so they run in a sandbox: they cannot
//! read the machine (`get_env` is refused, as `now` and `get_random` are not
//! built in), and their work is bounded so that no manuscript can hang or
//! exhaust a build or `galley serve`:
//!
//! - nesting of template tags and brackets ([`check_nesting`], before Tera
//!   parses, whose parser recurses),
//! - loop iterations, macro and include depth, wall time and memory growth
//!   per rendering (counted by calls that [`add`] puts at the start of every
//!   loop body and around every macro and template),
//! - the rendered output's size, and `range()`'s length.
//!
//! A running rendering can also be cancelled from another thread
//! ([`set_cancel`]), which is how `serve` drops a rebuild that a newer edit
//! has superseded.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;
use tera::ast::{Expr, ExprVal, FunctionCall, Node, WS};
use tera::{Context, Tera};

use crate::cache::Cache;

pub mod budget;
pub mod memory;
mod tags;
pub use budget::set_cancel;
use budget::Bounded;
pub use tags::{check_nesting, locate, tag_span};

/// Loop iterations and macro calls in one rendering.
pub const MAX_STEPS: u64 = 2_000_000;
/// Macro calls and includes inside one another.
pub const MAX_DEPTH: usize = 64;
/// Block tags (`if`, `for`, ...) and brackets inside one another.
pub const MAX_NESTING: usize = 64;
/// Numbers one `range()` may make.
pub const MAX_RANGE: usize = 1_000_000;
/// Wall time of one rendering.
pub const MAX_TIME: Duration = Duration::from_secs(20);
/// Memory one rendering may take (counted by [`memory::Counting`], the
/// binary's allocator, on the rendering's thread).
pub const MAX_MEMORY: u64 = 1 << 30;
/// Bytes one rendering may write, besides four times the template's size.
pub const MAX_OUTPUT: usize = 32 << 20;

const STEP: &str = "__galley_step";
const ENTER: &str = "__galley_enter";
const LEAVE: &str = "__galley_leave";
/// Prefix of a budget error's message: `galley-at-N: ...`, N the ordinal of
/// the `for` or `macro` tag it concerns (0: the template itself).
const AT: &str = "galley-at-";
/// Prefix of a nesting error: `galley-offset-N: ...`, N a byte offset into
/// the template text.
const AT_OFFSET: &str = "galley-offset-";
/// The message of a rendering cancelled by [`set_cancel`]'s flag.
pub const CANCELLED: &str = "galley-cancelled";

/// All messages of a Tera error chain, outermost last dropped when it only
/// names the template.
pub fn error_chain(err: &tera::Error) -> Vec<String> {
    let mut out = vec![err.to_string()];
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        out.push(s.to_string());
        source = s.source();
    }
    out
}

/// A Tera error as one message: its chain without the wrappers that only
/// name the template ("Failed to render 'x'", "Failed to parse 'x'"),
/// or the whole chain if that is all there is.
pub fn error_message(err: &tera::Error) -> String {
    let chain = error_chain(err);
    let useful: Vec<&String> = chain
        .iter()
        .filter(|m| !m.starts_with("Failed to render") && !m.starts_with("Failed to parse"))
        .collect();
    if useful.is_empty() {
        chain.join(": ")
    } else {
        useful
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(": ")
    }
}

/// Is the `{#` before `after` the start of a heading attribute block
/// (`{#id .class}`, closed by `}` on its line) rather than a Tera comment
/// (closed by `#}`)?
pub fn is_heading_attr(after: &str) -> bool {
    let line = &after[..after.find('\n').unwrap_or(after.len())];
    match (line.find('}'), line.find("#}")) {
        (Some(close), None) => {
            let inner = &line[..close];
            !inner.is_empty()
                && inner
                    .chars()
                    .all(|c| c.is_alphanumeric() || " _-.:=".contains(c))
        }
        _ => false,
    }
}

/// The sandbox's functions, in place of Tera's own where they differ.
pub fn install(tera: &mut Tera) {
    tera.register_function("get_env", refuse_get_env);
    tera.register_function("range", range);
    tera.register_function(LEAVE, Leave);
}

fn refuse_get_env(_: &HashMap<String, Value>) -> tera::Result<Value> {
    Err(tera::Error::msg(
        "`get_env` is not available: templates cannot read environment variables (a build gives the same bytes on every machine, and secrets stay out of the site); put the value in manuscript/data/",
    ))
}

/// Tera's `range(end, start=0, step_by=1)`, refusing to make more than
/// [`MAX_RANGE`] numbers.
fn range(args: &HashMap<String, Value>) -> tera::Result<Value> {
    let get = |name: &str, default: Option<u64>| -> tera::Result<u64> {
        match args.get(name) {
            Some(v) => v.as_u64().ok_or_else(|| {
                tera::Error::msg(format!(
                    "Function `range` received {name}={v} but `{name}` can only be a whole number"
                ))
            }),
            None => default.ok_or_else(|| {
                tera::Error::msg("Function `range` was called without a `end` argument")
            }),
        }
    };
    let (start, end, step) = (
        get("start", Some(0))?,
        get("end", None)?,
        get("step_by", Some(1))?,
    );
    if start > end {
        return Err(tera::Error::msg(
            "Function `range` was called with a `start` argument greater than the `end` one",
        ));
    }
    if step == 0 {
        return Err(tera::Error::msg(
            "Function `range` was called with a `step_by` argument of 0",
        ));
    }
    let count = (end - start).div_ceil(step);
    if count > MAX_RANGE as u64 {
        return Err(tera::Error::msg(format!(
            "`range` would make {count} numbers; templates may make at most {MAX_RANGE}"
        )));
    }
    Ok(Value::Array(
        (start..end)
            .step_by(step as usize)
            .map(Value::from)
            .collect(),
    ))
}

fn budget_error(at: u64, msg: String) -> tera::Error {
    tera::Error::msg(format!("{AT}{at}: {msg}"))
}

/// One more loop iteration or macro call.
fn step(at: u64) -> tera::Result<()> {
    match budget::step() {
        None => Ok(()),
        Some(m) if m == CANCELLED => Err(tera::Error::msg(CANCELLED)),
        Some(m) => Err(budget_error(at, m)),
    }
}

/// A step of the loop or macro tagged `at` (registered under
/// `__galley_step_<at>`, called without arguments: arguments would be a
/// map built on every iteration).
struct Step {
    at: u64,
}
impl tera::Function for Step {
    fn call(&self, _: &HashMap<String, Value>) -> tera::Result<Value> {
        step(self.at)?;
        Ok(Value::String(String::new()))
    }
    fn is_safe(&self) -> bool {
        true
    }
}

/// Entering the macro tagged `at` (or a template, 0).
struct Enter {
    at: u64,
}
impl tera::Function for Enter {
    fn call(&self, _: &HashMap<String, Value>) -> tera::Result<Value> {
        let at = self.at;
        step(at)?;
        match budget::enter() {
            None => Ok(Value::String(String::new())),
            Some(m) => Err(budget_error(at, m)),
        }
    }
    fn is_safe(&self) -> bool {
        true
    }
}

struct Leave;
impl tera::Function for Leave {
    fn call(&self, _: &HashMap<String, Value>) -> tera::Result<Value> {
        budget::leave();
        Ok(Value::String(String::new()))
    }
    fn is_safe(&self) -> bool {
        true
    }
}

/// Run Tera, turning a panic of its own (Tera 1 has `unreachable!()`s
/// that some templates reach, such as a macro call inside arithmetic) into
/// an error of the template.
fn contained<T>(f: impl FnOnce() -> tera::Result<T>) -> tera::Result<T> {
    crate::diag::contain::contain(f).unwrap_or_else(|what| {
        Err(budget_error(
            0,
            format!("Tera, the template engine, cannot evaluate this template ({what}); write the expression another way"),
        ))
    })
}

/// Add a template, checked and instrumented for the budget.
pub fn add(tera: &mut Tera, name: &str, text: &str) -> tera::Result<()> {
    add_cached(tera, name, text, &Cache::off())
}

/// [`add`], with the parsed and instrumented template kept in `cache`
/// (serve): a rebuild does not parse again a template it parsed before.
///
/// What Tera's `add_raw_template` checks is checked for this template
/// alone: the templates already added passed the same checks, and adding one
/// cannot break them (Tera checks them all again on every add, which is
/// quadratic in a document of many templates).
pub fn add_cached(tera: &mut Tera, name: &str, text: &str, cache: &Cache) -> tera::Result<()> {
    let k = crate::cache::key(&[name.as_bytes(), text.as_bytes()]);
    let parsed = cache.cached("template parse", k, || parse_alone(name, text))?;
    add_parsed(tera, name, parsed)
}

/// A template parsed, checked and instrumented ([`parse_alone`]), to be
/// [`add_parsed`] to a Tera, on any thread.
#[derive(Clone)]
pub struct Parsed(tera::Template, u64);

/// Parse a template for [`add_parsed`] under `name`: the part of [`add`] that
/// needs no Tera, so it can run before the data it renders with is read.
pub fn parse_alone(name: &str, text: &str) -> tera::Result<Parsed> {
    parse(name, text).map(|(template, tags)| Parsed(template, tags))
}

/// Add a template [`parse_alone`] made under the same `name`.
pub fn add_parsed(tera: &mut Tera, name: &str, parsed: Parsed) -> tera::Result<()> {
    let Parsed(template, tags) = parsed;
    let has_blocks = template.parent.is_some() || !template.blocks.is_empty();
    let imports: Vec<String> = template
        .imported_macro_files
        .iter()
        .map(|(file, _)| file.clone())
        .collect();
    tera.templates.insert(name.to_string(), template);
    if has_blocks {
        tera.build_inheritance_chains()?;
    }
    if let Some(missing) = imports.iter().find(|f| !tera.templates.contains_key(*f)) {
        return Err(tera::Error::msg(format!(
            "Template `{name}` loads macros from `{missing}` which isn't present in Tera"
        )));
    }
    for at in 0..=tags {
        let step = tagged(STEP, at);
        if !tera.functions.contains_key(&step) {
            tera.register_function(&step, Step { at });
            tera.register_function(&tagged(ENTER, at), Enter { at });
        }
    }
    Ok(())
}

/// A template parsed, checked and instrumented, with its number of tags.
fn parse(name: &str, text: &str) -> tera::Result<(tera::Template, u64)> {
    // The sandbox's own functions may not be called by a template (calling
    // the leave function would undo the depth count).
    if let Some(at) = text.find("__galley") {
        return Err(tera::Error::msg(format!(
            "{AT_OFFSET}{at}: names starting with `__galley` are galley's own; choose another name"
        )));
    }
    if let Err((at, msg)) = check_nesting(text) {
        return Err(tera::Error::msg(format!("{AT_OFFSET}{at}: {msg}")));
    }
    let mut t = contained(|| {
        tera::Template::new(name, None, text)
            .map_err(|e| tera::Error::chain(format!("Failed to parse '{name}'"), e))
    })?;
    let mut n = 0;
    instrument_body(&mut t.ast, &mut n);
    // Calls run the copies in `macros` and blocks the copies in `blocks`:
    // take them from the instrumented tree.
    let mut macros = HashMap::new();
    let mut blocks = HashMap::new();
    collect_defs(&t.ast, &mut macros, &mut blocks);
    for (k, body) in macros {
        if let Some(m) = t.macros.get_mut(&k) {
            m.body = body;
        }
    }
    for (k, body) in blocks {
        if let Some(b) = t.blocks.get_mut(&k) {
            b.body = body;
        }
    }
    if t.parent.is_none() {
        // The template itself, so that includes count towards the depth.
        t.ast.insert(0, call(ENTER, 0));
        t.ast.push(call(LEAVE, 0));
    }
    Ok((t, n))
}

/// The name of a step or enter function for the tag `at`.
fn tagged(name: &str, at: u64) -> String {
    format!("{name}_{at}")
}

fn call(name: &str, at: u64) -> Node {
    let name = if name == LEAVE {
        name.to_string()
    } else {
        tagged(name, at)
    };
    Node::VariableBlock(
        WS::default(),
        Expr::new(ExprVal::FunctionCall(FunctionCall {
            name,
            args: HashMap::new(),
        })),
    )
}

/// Number `for` and `macro` tags in textual order (as [`tag_span`] finds
/// them) and put a step at the start of each loop body, an enter and a
/// leave around each macro body.
fn instrument_body(body: &mut [Node], n: &mut u64) {
    for node in body {
        match node {
            Node::Forloop(_, f, _) => {
                *n += 1;
                let at = *n;
                instrument_body(&mut f.body, n);
                f.body.insert(0, call(STEP, at));
                if let Some(e) = f.empty_body.as_mut() {
                    instrument_body(e, n);
                }
            }
            Node::MacroDefinition(_, m, _) => {
                *n += 1;
                let at = *n;
                instrument_body(&mut m.body, n);
                m.body.insert(0, call(ENTER, at));
                m.body.push(call(LEAVE, at));
            }
            Node::If(i, _) => {
                for (_, _, b) in &mut i.conditions {
                    instrument_body(b, n);
                }
                if let Some((_, b)) = i.otherwise.as_mut() {
                    instrument_body(b, n);
                }
            }
            Node::Block(_, b, _) => instrument_body(&mut b.body, n),
            Node::FilterSection(_, f, _) => instrument_body(&mut f.body, n),
            _ => {}
        }
    }
}

fn collect_defs(
    body: &[Node],
    macros: &mut HashMap<String, Vec<Node>>,
    blocks: &mut HashMap<String, Vec<Node>>,
) {
    // As Tera finds them: macros at the top level, blocks at the top level
    // and inside blocks (the first of a name wins).
    fn blocks_in(body: &[Node], blocks: &mut HashMap<String, Vec<Node>>) {
        for node in body {
            if let Node::Block(_, b, _) = node {
                blocks
                    .entry(b.name.clone())
                    .or_insert_with(|| b.body.clone());
                blocks_in(&b.body, blocks);
            }
        }
    }
    for node in body {
        if let Node::MacroDefinition(_, m, _) = node {
            macros
                .entry(m.name.clone())
                .or_insert_with(|| m.body.clone());
        }
    }
    blocks_in(body, blocks);
}

/// Render a template added with [`add`] within the budget. `size` is the
/// size of the template's text (the output may be four times that, plus
/// [`MAX_OUTPUT`]).
pub fn render(tera: &Tera, name: &str, ctx: &Context, size: usize) -> tera::Result<String> {
    let mut out = Bounded::new(MAX_OUTPUT.saturating_add(size.saturating_mul(4)));
    let result = budget::rendering(|| contained(|| tera.render_to(name, ctx, &mut out)));
    match result {
        Ok(()) => String::from_utf8(out.buf).map_err(|e| tera::Error::msg(e.to_string())),
        Err(_) if out.over => Err(budget_error(
            0,
            format!("the template's output grew past {} MB", out.limit >> 20),
        )),
        Err(e) => Err(e),
    }
}

/// Add and render a one-off template.
pub fn render_str(tera: &mut Tera, name: &str, text: &str, ctx: &Context) -> tera::Result<String> {
    add(tera, name, text)?;
    render(tera, name, ctx, text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(src: &str) -> tera::Result<String> {
        let mut tera = Tera::default();
        install(&mut tera);
        render_str(&mut tera, "t", src, &Context::new())
    }

    #[test]
    fn a_panic_of_tera_is_an_error() {
        let m = "{% macro m(n) %}{{ n }}{% endmacro m %}{{ self::m(n=1) % 2 }}";
        let chain = error_chain(&run(m).unwrap_err()).join(" ");
        assert!(chain.contains("cannot evaluate this template"), "{chain}");
        assert!(chain.contains("unimplemented math expression"), "{chain}");
        // The next rendering on the thread is unaffected.
        assert_eq!(run("{{ 1 + 1 }}").unwrap(), "2");
    }

    #[test]
    fn loops_and_macros_still_work() {
        assert_eq!(
            run("{% for i in range(end=3) %}{{ i }}{% endfor %}").unwrap(),
            "012"
        );
        let m = "{% macro f(n) %}{% if n > 0 %}{{ n }}{{ self::f(n=n-1) }}{% endif %}{% endmacro f %}{{ self::f(n=3) }}";
        assert_eq!(run(m).unwrap(), "321");
        assert_eq!(
            run("{% for i in [] %}x{% else %}none{% endfor %}").unwrap(),
            "none"
        );
    }

    #[test]
    fn budgets_stop_runaway_templates() {
        let e = run("{% for i in range(end=100000000) %}x{% endfor %}").unwrap_err();
        assert!(error_chain(&e).join(" ").contains("at most 1000000"));
        let e = run("{% for i in range(end=100000) %}{% for j in range(end=100000) %}{% endfor %}{% endfor %}")
            .unwrap_err();
        let chain = error_chain(&e).join(" ");
        assert!(chain.contains("galley-at-2: this loop"), "{chain}");
        let m = "{% macro f() %}{{ self::f() }}{% endmacro f %}{{ self::f() }}";
        let chain = error_chain(&run(m).unwrap_err()).join(" ");
        assert!(
            chain.contains("galley-at-1: macros and includes"),
            "{chain}"
        );
        // The sandbox's own functions cannot be called to undo its counts.
        let undo =
            "{% macro f() %}{{ __galley_leave() }}{{ self::f() }}{% endmacro f %}{{ self::f() }}";
        let chain = error_chain(&run(undo).unwrap_err()).join(" ");
        assert!(chain.contains("are galley's own"), "{chain}");
        let e = run("{{ get_env(name=\"HOME\") }}").unwrap_err();
        assert!(error_chain(&e)
            .join(" ")
            .contains("`get_env` is not available"));
    }
}
