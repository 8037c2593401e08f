//! Analyses (manuscript/analyses/*.yaml) computed from the data before the
//! sections are rendered, so that the prose reads `analyses.<stem>` and
//! forest plots draw the same numbers.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};
use tera::Context;

use crate::analysis::{self, effect, pool, Measure, Method, Pooled, StudyData};
use crate::assemble::template::{self, Origin};
use crate::diag::{Diagnostic, Diagnostics};
use crate::load::analyses::LoadedAnalysis;
use crate::load::project::Project;
use crate::load::yaml::find_template;

/// One study of an analysis.
#[derive(Debug, Clone)]
pub struct Study {
    pub label: String,
    pub subgroup: Option<String>,
    pub data: StudyData,
    pub yi: f64,
    pub vi: f64,
    /// Weight in the overall model, percent.
    pub weight: f64,
}

/// A subgroup's own model (none where it cannot be fitted: its studies
/// are still shown).
#[derive(Debug, Clone)]
pub struct Subgroup {
    pub name: String,
    pub pooled: Option<Pooled>,
    /// Indices into [`Result::studies`].
    pub studies: Vec<usize>,
}

/// An analysis computed.
#[derive(Debug, Clone)]
pub struct Result {
    pub spec: LoadedAnalysis,
    pub studies: Vec<Study>,
    pub pooled: Pooled,
    pub omitted: Vec<String>,
    pub subgroups: Vec<Subgroup>,
    /// Test for subgroup differences: Q, df, p.
    pub subgroup_test: Option<(f64, usize, f64)>,
}

impl Result {
    pub fn measure(&self) -> Measure {
        self.spec.spec.measure
    }

    /// A value on the reported scale (ratios from their logarithms).
    pub fn scale(&self, x: f64) -> f64 {
        if self.measure().is_ratio() {
            x.exp()
        } else {
            x
        }
    }
}

/// A row's number in a column: None when missing (empty, null, `NA`).
fn number(row: &Value, col: &str) -> std::result::Result<Option<f64>, String> {
    match row.get(col) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(Value::String(s)) if s.trim().is_empty() || s.trim() == "NA" => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse::<f64>()
            .map(Some)
            .map_err(|_| format!("column `{col}` holds `{s}`, not a number")),
        Some(other) => Err(format!("column `{col}` holds {other}, not a number")),
    }
}

struct Templates {
    tera: tera::Tera,
    n: usize,
}

impl Templates {
    /// Render a spec's template (`label`, `subgroup`) for a row.
    fn render(
        &mut self,
        a: &LoadedAnalysis,
        text: &str,
        ctx: &Context,
        what: &str,
    ) -> std::result::Result<String, Diagnostic> {
        let origin = Origin {
            file: a.file.clone(),
            offset: find_template(&a.text, text),
            text: text.to_string(),
        };
        self.n += 1;
        let name = format!("{}#{}", a.file.display(), self.n);
        let protected = template::protect::protect(text, &mut |_| String::new());
        template::render_one(&mut self.tera, None, &name, &origin, &protected, ctx, what)
            .map(|s| s.trim().to_string())
    }
}

/// Every analysis of the project, by stem, and the warnings they gave.
pub fn compute(
    project: &Project,
    analyses: &[LoadedAnalysis],
    ctx: &Context,
) -> std::result::Result<(BTreeMap<String, Result>, Diagnostics), Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut out = BTreeMap::new();
    let mut t = Templates {
        tera: template::new_tera(),
        n: 0,
    };
    for a in analyses {
        if let Some(r) = one(project, a, ctx, &mut t, &mut diags) {
            out.insert(a.stem.clone(), r);
        }
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok((out, diags))
    }
}

/// The columns a study's data come from, in [`StudyData`]'s order.
fn columns(a: &LoadedAnalysis) -> Vec<(&'static str, String)> {
    let s = &a.spec;
    let get = |arm: &Option<indexmap::IndexMap<String, String>>, f: &str| {
        arm.as_ref()
            .and_then(|m| m.get(f))
            .cloned()
            .unwrap_or_default()
    };
    match s.measure {
        Measure::OR | Measure::RR | Measure::RD => vec![
            ("treatment", get(&s.treatment, "events")),
            ("treatment", get(&s.treatment, "total")),
            ("control", get(&s.control, "events")),
            ("control", get(&s.control, "total")),
        ],
        Measure::MD | Measure::SMD => vec![
            ("treatment", get(&s.treatment, "mean")),
            ("treatment", get(&s.treatment, "sd")),
            ("treatment", get(&s.treatment, "n")),
            ("control", get(&s.control, "mean")),
            ("control", get(&s.control, "sd")),
            ("control", get(&s.control, "n")),
        ],
        Measure::GEN => {
            let e = &s.effect;
            match e.as_ref().and_then(|m| m.get("sei")) {
                Some(sei) => vec![("effect", get(e, "yi")), ("effect", sei.clone())],
                None => vec![("effect", get(e, "yi")), ("effect", get(e, "vi"))],
            }
        }
    }
}

fn study_data(measure: Measure, v: &[f64], sei: bool) -> Option<StudyData> {
    // A standard error's square, kept negative if it was, to be refused.
    let vi;
    let v = if sei && measure == Measure::GEN {
        vi = [v[0], v[1] * v[1].abs()];
        &vi[..]
    } else {
        v
    };
    StudyData::from_values(measure, v)
}

/// An unknown column is an error at the spec's line where it is named.
fn check_columns(
    a: &LoadedAnalysis,
    rows: &[Value],
    cols: &[(&'static str, String)],
    diags: &mut Diagnostics,
) -> bool {
    let mut ok = true;
    for (arm, col) in cols {
        if rows.iter().any(|r| r.get(col).is_some()) {
            continue;
        }
        let mut d = Diagnostic::error(format!("unknown column `{col}` in data `{}`", a.spec.data))
            .at(&a.file, a.value_span(arm, col));
        let names: Vec<&str> = rows
            .first()
            .and_then(Value::as_object)
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        if let Some(n) = crate::diag::nearest(col, names.iter().copied()) {
            d = d.with_note(format!("did you mean `{n}`?"));
        }
        diags.push(d);
        ok = false;
    }
    ok
}

/// A row's label and subgroup, rendered.
fn names(
    a: &LoadedAnalysis,
    t: &mut Templates,
    ctx: &Context,
    index: usize,
) -> std::result::Result<(String, Option<String>), Diagnostic> {
    let label = match &a.spec.label {
        Some(l) => t.render(a, l, ctx, "the analysis's label")?,
        None => format!("Study {index}"),
    };
    let subgroup = match &a.spec.subgroup {
        Some(g) => Some(t.render(a, g, ctx, "the analysis's subgroup")?),
        None => None,
    };
    Ok((label, subgroup))
}

/// The studies with complete data, and the labels of those without.
fn read_studies(
    a: &LoadedAnalysis,
    rows: &[Value],
    base: &Context,
    t: &mut Templates,
    diags: &mut Diagnostics,
) -> Option<(Vec<Study>, Vec<String>)> {
    let s = &a.spec;
    let cols = columns(a);
    if !check_columns(a, rows, &cols, diags) {
        return None;
    }
    let sei = s.effect.as_ref().is_some_and(|e| e.contains_key("sei"));
    let mut ctx = base.clone();
    let (mut studies, mut omitted, mut bad) = (Vec::new(), Vec::new(), false);
    for (i, row) in rows.iter().enumerate() {
        ctx.insert("row", row);
        ctx.insert("index", &(i + 1));
        let (label, subgroup) = match names(a, t, &ctx, i + 1) {
            Ok(n) => n,
            Err(d) => {
                diags.push(d);
                return None;
            }
        };
        let mut values = Vec::new();
        let mut missing = None;
        for (arm, col) in &cols {
            match number(row, col) {
                Ok(Some(x)) => values.push(x),
                Ok(None) => missing = missing.or(Some(col.clone())),
                Err(m) => {
                    diags.push(
                        Diagnostic::error(format!("study `{label}` (row {}): {m}", i + 1))
                            .at(&a.file, a.value_span(arm, col)),
                    );
                    bad = true;
                }
            }
        }
        if let Some(col) = missing {
            diags.push(
                Diagnostic::warning(format!(
                    "study `{label}` (row {}) has no value in `{col}`; it is left out of analysis `{}`, as metafor leaves it out",
                    i + 1,
                    a.stem
                ))
                .at(&a.file, a.key_span("data")),
            );
            omitted.push(label);
            continue;
        }
        if bad {
            continue;
        }
        let Some(data) = study_data(s.measure, &values, sei) else {
            continue;
        };
        match effect(s.measure, data) {
            Ok((yi, vi)) => studies.push(Study {
                label,
                subgroup,
                data,
                yi,
                vi,
                weight: 0.0,
            }),
            Err(m) => {
                diags.push(
                    Diagnostic::error(format!("study `{label}` (row {}): {m}", i + 1))
                        .at(&a.file, a.key_span(cols[0].0)),
                );
                bad = true;
            }
        }
    }
    (!bad).then_some((studies, omitted))
}

fn one(
    project: &Project,
    a: &LoadedAnalysis,
    base: &Context,
    t: &mut Templates,
    diags: &mut Diagnostics,
) -> Option<Result> {
    let s = &a.spec;
    let Some(Value::Array(rows)) = project.data.get(&s.data) else {
        let mut d = Diagnostic::error(format!(
            "analysis `{}` reads data `{}`, which manuscript/data/ does not hold",
            a.stem, s.data
        ))
        .at(&a.file, a.key_span("data"));
        if let Some(n) = crate::diag::nearest(&s.data, project.data.keys().map(String::as_str)) {
            d = d.with_note(format!("did you mean `{n}`?"));
        }
        diags.push(d);
        return None;
    };
    let (mut studies, omitted) = read_studies(a, rows, base, t, diags)?;
    if studies.is_empty() {
        diags.push(
            Diagnostic::error(format!(
                "analysis `{}` has no study with complete data (k = 0)",
                a.stem
            ))
            .at(&a.file, a.key_span("data")),
        );
        return None;
    }
    let mut method = s.method();
    if studies.len() == 1 {
        diags.push(
            Diagnostic::warning(format!(
                "analysis `{}` has one study: nothing is pooled, and its numbers are that study's",
                a.stem
            ))
            .at(&a.file, a.key_span("data")),
        );
        method = Method::Fixed;
    }
    let all: Vec<usize> = (0..studies.len()).collect();
    let pooled = match fit(&studies, &all, method, a) {
        Ok(p) => p,
        Err(m) => {
            diags.push(
                Diagnostic::error(format!("analysis `{}`: {m}", a.stem))
                    .at(&a.file, a.key_span("tau2")),
            );
            return None;
        }
    };
    for (st, w) in studies.iter_mut().zip(&pooled.weights) {
        st.weight = *w;
    }
    let (subgroups, subgroup_test) = subgroups(&studies, method, a, diags);
    Some(Result {
        spec: a.clone(),
        studies,
        pooled,
        omitted,
        subgroups,
        subgroup_test,
    })
}

fn fit(
    studies: &[Study],
    which: &[usize],
    method: Method,
    a: &LoadedAnalysis,
) -> std::result::Result<Pooled, String> {
    let y: Vec<f64> = which.iter().map(|&i| studies[i].yi).collect();
    let v: Vec<f64> = which.iter().map(|&i| studies[i].vi).collect();
    let method = if y.len() < 2 { Method::Fixed } else { method };
    let test = if y.len() < 2 {
        analysis::Test::Z
    } else {
        a.spec.test
    };
    pool(&y, &v, method, test, a.spec.level)
}

/// Each subgroup's model, in order of first appearance, and the test for
/// differences between them (Q of the subgroup estimates, df = groups − 1).
fn subgroups(
    studies: &[Study],
    method: Method,
    a: &LoadedAnalysis,
    diags: &mut Diagnostics,
) -> (Vec<Subgroup>, Option<(f64, usize, f64)>) {
    let mut names: Vec<String> = Vec::new();
    for s in studies {
        if let Some(g) = &s.subgroup {
            if !names.contains(g) {
                names.push(g.clone());
            }
        }
    }
    let mut out = Vec::new();
    for name in names {
        let which: Vec<usize> = (0..studies.len())
            .filter(|&i| studies[i].subgroup.as_deref() == Some(name.as_str()))
            .collect();
        let pooled = match fit(studies, &which, method, a) {
            Ok(p) => Some(p),
            Err(m) => {
                diags.push(
                    Diagnostic::warning(format!(
                        "subgroup `{name}` of analysis `{}` is not pooled: {m}",
                        a.stem
                    ))
                    .at(&a.file, a.key_span("subgroup")),
                );
                None
            }
        };
        out.push(Subgroup {
            name,
            pooled,
            studies: which,
        });
    }
    let fitted: Vec<&Pooled> = out.iter().filter_map(|g| g.pooled.as_ref()).collect();
    if out.len() < 2 || fitted.len() < out.len() {
        return (out, None);
    }
    let est: Vec<f64> = fitted.iter().map(|p| p.estimate).collect();
    let var: Vec<f64> = fitted.iter().map(|p| p.se * p.se).collect();
    match pool(&est, &var, Method::Fixed, analysis::Test::Z, a.spec.level) {
        Ok(p) => (out, Some((p.q, p.q_df, p.q_p))),
        Err(_) => (out, None),
    }
}

/// The analyses as templates see them.
pub fn to_value(results: &BTreeMap<String, Result>) -> Value {
    let mut out = Map::new();
    for (stem, r) in results {
        out.insert(stem.clone(), value(r));
    }
    Value::Object(out)
}

fn pooled_value(r: &Result, p: &Pooled) -> Map<String, Value> {
    let stat = if r.spec.spec.test == analysis::Test::Knha && p.k > 1 {
        "t"
    } else {
        "z"
    };
    let mut m = Map::new();
    m.insert("k".into(), json!(p.k));
    m.insert("estimate".into(), json!(r.scale(p.estimate)));
    m.insert("ci_low".into(), json!(r.scale(p.ci_low)));
    m.insert("ci_high".into(), json!(r.scale(p.ci_high)));
    m.insert("se".into(), json!(p.se));
    m.insert(stat.into(), json!(p.stat));
    m.insert("p".into(), json!(p.p));
    m.insert("tau2".into(), json!(p.tau2));
    m.insert("tau".into(), json!(p.tau2.sqrt()));
    m.insert("i2".into(), json!(p.i2));
    m.insert("h2".into(), json!(p.h2));
    m.insert("q".into(), json!(p.q));
    m.insert("q_df".into(), json!(p.q_df));
    m.insert("q_p".into(), json!(p.q_p));
    m.insert("pi_low".into(), json!(r.scale(p.pi_low)));
    m.insert("pi_high".into(), json!(r.scale(p.pi_high)));
    m
}

fn value(r: &Result) -> Value {
    let s = &r.spec.spec;
    let mut m = pooled_value(r, &r.pooled);
    m.insert("id".into(), json!(s.id));
    m.insert("measure".into(), json!(format!("{:?}", s.measure)));
    m.insert("measure_name".into(), json!(s.measure.name()));
    m.insert("level".into(), json!(s.level));
    m.insert("omitted".into(), json!(r.omitted));
    let z = analysis::z_crit(s.level);
    let studies: Vec<Value> = r
        .studies
        .iter()
        .map(|st| {
            let se = st.vi.sqrt();
            json!({
                "label": st.label,
                "subgroup": st.subgroup,
                "yi": st.yi,
                "vi": st.vi,
                "estimate": r.scale(st.yi),
                "ci_low": r.scale(st.yi - z * se),
                "ci_high": r.scale(st.yi + z * se),
                "weight": st.weight,
            })
        })
        .collect();
    m.insert("studies".into(), Value::Array(studies));
    let groups: Vec<Value> = r
        .subgroups
        .iter()
        .map(|g| {
            let mut v = g
                .pooled
                .as_ref()
                .map(|p| pooled_value(r, p))
                .unwrap_or_default();
            v.insert("name".into(), json!(g.name));
            v.insert("k".into(), json!(g.studies.len()));
            Value::Object(v)
        })
        .collect();
    m.insert("subgroups".into(), Value::Array(groups));
    if let Some((q, df, p)) = r.subgroup_test {
        m.insert("subgroup_q".into(), json!(q));
        m.insert("subgroup_df".into(), json!(df));
        m.insert("subgroup_p".into(), json!(p));
    }
    Value::Object(m)
}
