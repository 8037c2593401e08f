//! Analysis specifications (manuscript/analyses/*.yaml): which data, which
//! columns, which measure and model. One analysis a file, named in
//! templates by the file's stem (`analyses.<stem>`).

use std::ops::Range;
use std::path::PathBuf;

use indexmap::IndexMap;
use serde::Deserialize;

use crate::analysis::{Measure, Method, Test};
use crate::diag::{Diagnostic, Diagnostics};
use crate::load::project::TextFile;
use crate::load::yaml::{parse_yaml, yaml_key_span};

/// `model:`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Model {
    Fixed,
    #[default]
    Random,
}

/// `tau2:` (metafor's default is REML).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum Tau2 {
    DL,
    #[default]
    REML,
    PM,
    ML,
    HE,
    SJ,
}

fn default_level() -> f64 {
    0.95
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Favours {
    pub left: String,
    pub right: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalysisSpec {
    /// An id for cross-references; the file's stem names it in templates.
    #[serde(default)]
    pub id: Option<String>,
    /// The data file's stem: one row per study.
    pub data: String,
    /// The study's label, a template over `row` (default: its row number).
    #[serde(default)]
    pub label: Option<String>,
    pub measure: Measure,
    /// Column names per arm: `events`, `total` (binary) or `mean`, `sd`,
    /// `n` (continuous).
    #[serde(default)]
    pub treatment: Option<IndexMap<String, String>>,
    #[serde(default)]
    pub control: Option<IndexMap<String, String>>,
    /// GEN: `yi` and `vi` or `sei`.
    #[serde(default)]
    pub effect: Option<IndexMap<String, String>>,
    #[serde(default)]
    pub model: Model,
    #[serde(default)]
    pub tau2: Tau2,
    #[serde(default)]
    pub test: Test,
    #[serde(default = "default_level")]
    pub level: f64,
    /// A template over `row` naming each study's subgroup.
    #[serde(default)]
    pub subgroup: Option<String>,
    /// Forest plot labels under the axis, each side of the null line.
    #[serde(default)]
    pub favours: Option<Favours>,
}

impl AnalysisSpec {
    pub fn method(&self) -> Method {
        match (self.model, self.tau2) {
            (Model::Fixed, _) => Method::Fixed,
            (_, Tau2::DL) => Method::DL,
            (_, Tau2::REML) => Method::REML,
            (_, Tau2::PM) => Method::PM,
            (_, Tau2::ML) => Method::ML,
            (_, Tau2::HE) => Method::HE,
            (_, Tau2::SJ) => Method::SJ,
        }
    }
}

/// A spec with the file it came from.
#[derive(Debug, Clone)]
pub struct LoadedAnalysis {
    pub spec: AnalysisSpec,
    /// `analyses.<stem>`
    pub stem: String,
    pub file: PathBuf,
    pub text: String,
}

impl LoadedAnalysis {
    pub fn key_span(&self, key: &str) -> Range<usize> {
        yaml_key_span(&self.text, key).unwrap_or(0..1)
    }

    /// Where a value is written (a column's name), else where its key is.
    pub fn value_span(&self, key: &str, value: &str) -> Range<usize> {
        let at = self.key_span(key);
        let line_end = self.text[at.start..]
            .find('\n')
            .map_or(self.text.len(), |i| at.start + i);
        // Arms may be written inline (`{events: ai}`) or on lines below.
        let search_end = self.text[line_end..]
            .find("\n\n")
            .map_or(self.text.len(), |i| line_end + i);
        match self.text[at.start..search_end].find(value) {
            Some(i) => at.start + i..at.start + i + value.len(),
            None => at,
        }
    }

    fn error(&self, span: Range<usize>, msg: String) -> Diagnostic {
        Diagnostic::error(msg).at(&self.file, span)
    }
}

/// The fields each measure's arms (or effect) take.
fn fields(measure: Measure) -> (&'static str, &'static [&'static str]) {
    match measure {
        Measure::OR | Measure::RR | Measure::RD => ("treatment", &["events", "total"]),
        Measure::MD | Measure::SMD => ("treatment", &["mean", "sd", "n"]),
        Measure::GEN => ("effect", &["yi", "vi"]),
    }
}

fn check(a: &LoadedAnalysis) -> Vec<Diagnostic> {
    let s = &a.spec;
    let mut out = Vec::new();
    let (_, want) = fields(s.measure);
    let arms: Vec<(&str, &Option<IndexMap<String, String>>)> = if s.measure == Measure::GEN {
        vec![("effect", &s.effect)]
    } else {
        vec![("treatment", &s.treatment), ("control", &s.control)]
    };
    for (name, arm) in &arms {
        let Some(arm) = arm else {
            out.push(a.error(
                a.key_span("measure"),
                format!(
                    "measure {:?} needs `{name}:` with {}",
                    s.measure,
                    want.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
                ),
            ));
            continue;
        };
        let mut allowed: Vec<&str> = want.to_vec();
        if s.measure == Measure::GEN {
            allowed.push("sei");
        }
        for k in arm.keys() {
            if !allowed.contains(&k.as_str()) {
                out.push(a.error(
                    a.value_span(name, k),
                    format!(
                        "`{k}` is not a field of `{name}` for measure {:?}; it takes {}",
                        s.measure,
                        want.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
        let missing: Vec<&&str> = want
            .iter()
            .filter(|f| !arm.contains_key(**f))
            .filter(|f| !(s.measure == Measure::GEN && **f == "vi" && arm.contains_key("sei")))
            .collect();
        if !missing.is_empty() {
            out.push(a.error(
                a.key_span(name),
                format!(
                    "`{name}` lacks {} for measure {:?}",
                    missing.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", "),
                    s.measure
                ),
            ));
        }
    }
    for (name, arm) in [("treatment", &s.treatment), ("control", &s.control)] {
        if s.measure == Measure::GEN && arm.is_some() {
            out.push(a.error(
                a.key_span(name),
                format!("measure GEN takes `effect:` (yi and vi or sei), not `{name}:`"),
            ));
        }
    }
    if s.measure != Measure::GEN && s.effect.is_some() {
        out.push(a.error(
            a.key_span("effect"),
            format!(
                "`effect:` is for measure GEN; {:?} takes `treatment:` and `control:`",
                s.measure
            ),
        ));
    }
    if s.level.is_nan() || s.level <= 0.0 || s.level >= 1.0 {
        out.push(a.error(
            a.key_span("level"),
            format!(
                "level is a confidence level between 0 and 1, such as 0.95, not {}",
                s.level
            ),
        ));
    }
    out
}

pub fn load(files: &[TextFile]) -> Result<Vec<LoadedAnalysis>, Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut out = Vec::new();
    for f in files {
        let spec: AnalysisSpec = match parse_yaml(&f.text, &f.path) {
            Ok(s) => s,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        let stem = f
            .path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_string();
        let a = LoadedAnalysis {
            spec,
            stem,
            file: f.path.clone(),
            text: f.text.clone(),
        };
        for d in check(&a) {
            diags.push(d);
        }
        out.push(a);
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(out)
    }
}
