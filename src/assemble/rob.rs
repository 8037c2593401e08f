//! Risk-of-bias figures (`figure(kind="rob-traffic" | "rob-summary",
//! data=..., tool=..., ...)`): a data file's judgements read with a
//! tool's domains and scale, for `figures::rob` to draw.

use std::collections::BTreeMap;
use std::ops::Range;

use serde_json::Value;

use super::assembler::Assembler;
use crate::figures::rob::{self, Judgement, Rob, Scheme};

/// A tool: its name, domains and scale (the judgements' names, in the
/// order `judgements=` lists their spellings).
struct Tool {
    name: &'static str,
    domains: &'static [&'static str],
    scale: &'static [(Judgement, &'static str)],
}

const ROB2_SCALE: &[(Judgement, &str)] = &[
    (Judgement::Low, "Low"),
    (Judgement::Some, "Some concerns"),
    (Judgement::High, "High"),
    (Judgement::NoInformation, "No information"),
];

fn tool(name: &str) -> Option<Tool> {
    Some(match name {
        "rob2" => Tool {
            name: "RoB 2",
            domains: &[
                "Bias arising from the randomisation process",
                "Bias due to deviations from intended interventions",
                "Bias due to missing outcome data",
                "Bias in measurement of the outcome",
                "Bias in selection of the reported result",
            ],
            scale: ROB2_SCALE,
        },
        "robins-i" => Tool {
            name: "ROBINS-I",
            domains: &[
                "Bias due to confounding",
                "Bias due to selection of participants",
                "Bias in classification of interventions",
                "Bias due to deviations from intended interventions",
                "Bias due to missing data",
                "Bias in measurement of outcomes",
                "Bias in selection of the reported result",
            ],
            scale: &[
                (Judgement::Low, "Low"),
                (Judgement::Some, "Moderate"),
                (Judgement::High, "Serious"),
                (Judgement::Critical, "Critical"),
                (Judgement::NoInformation, "No information"),
            ],
        },
        "quadas-2" => Tool {
            name: "QUADAS-2",
            domains: &[
                "Patient selection",
                "Index test",
                "Reference standard",
                "Flow and timing",
            ],
            scale: &[
                (Judgement::Low, "Low"),
                (Judgement::High, "High"),
                (Judgement::NoInformation, "Unclear"),
            ],
        },
        "generic" => Tool {
            name: "risk of bias",
            domains: &[],
            scale: ROB2_SCALE,
        },
        _ => return None,
    })
}

type Args = BTreeMap<String, Value>;

fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|x| x.as_str().map(str::to_string))
        .collect()
}

/// A row's judgements per domain: `domains: [..]`, or `d1`, `d2`, ...
fn row_marks(row: &Value, n: usize) -> Option<Vec<String>> {
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    };
    if let Some(list) = row.get("domains").and_then(Value::as_array) {
        return list.iter().map(text).collect();
    }
    (1..=n)
        .map(|i| {
            row.get(format!("d{i}"))
                .or_else(|| row.get(format!("D{i}")))
                .and_then(text)
        })
        .collect()
}

impl Assembler<'_> {
    /// A study's label: the `label=` field, else its reference as Table 2
    /// prints it ("Feder et al. (2014)"), else a name field.
    fn rob_label(&self, row: &Value, field: Option<&str>, i: usize) -> String {
        let get = |k: &str| row.get(k).and_then(Value::as_str).map(str::to_string);
        if let Some(l) = field.and_then(get) {
            return l;
        }
        if let Some(e) = get("key").and_then(|k| self.bib.get(&k)) {
            let s = crate::load::bibliography::entry_summary(e);
            let who = s["authors_short"].as_str().unwrap_or("");
            return match s["year"]
                .as_i64()
                .or_else(|| s["year"].as_str()?.parse().ok())
            {
                Some(y) => format!("{who} ({y})"),
                None => who.to_string(),
            };
        }
        ["study", "label", "name", "key"]
            .iter()
            .find_map(|k| get(k))
            .unwrap_or_else(|| format!("Study {}", i + 1))
    }

    fn rob_error<T>(&mut self, span: &Range<usize>, needle: &str, msg: String) -> Option<T> {
        let d = self.error_at(span.clone(), Some(needle), msg);
        self.diags.push(d);
        None
    }

    /// The traffic-light or summary plot of a data file's judgements.
    pub(super) fn rob_figure(
        &mut self,
        id: &str,
        kind: &str,
        args: &Args,
        span: Range<usize>,
    ) -> Option<(String, String)> {
        let settings = self.rob_settings(id, args, &span)?;
        let r = self.rob_studies(&settings, args, &span)?;
        Some(if kind == "rob-summary" {
            rob::summary(&r, id)
        } else {
            rob::traffic(&r, id)
        })
    }

    /// The tool, domains, spellings, colours and data `figure()` names.
    fn rob_settings(&mut self, id: &str, args: &Args, span: &Range<usize>) -> Option<Settings> {
        let get = |k: &str| args.get(k).and_then(Value::as_str).map(str::to_string);
        let tool_name = get("tool").unwrap_or_else(|| "rob2".into());
        let Some(t) = tool(&tool_name) else {
            return self.rob_error(span, &tool_name, format!("unknown risk-of-bias tool `{tool_name}`, expected one of `rob2`, `robins-i`, `quadas-2`, `generic`"));
        };
        let stem = get("data").unwrap_or_else(|| "rob2".into());
        let Some(Value::Array(rows)) = self.project.data.get(&stem).cloned() else {
            return self.rob_error(span, &stem, format!("figure `{id}` reads `data.{stem}`, a list of studies, but manuscript/data has no such file"));
        };
        // Numbered names ("Item 1", ...) as many as the data's first study
        // has judgements.
        let numbered = |prefix: &str| -> Vec<String> {
            let first = rows.first();
            let listed = first
                .and_then(|r| r.get("domains"))
                .and_then(Value::as_array)
                .map(Vec::len);
            // Or columns d1, d2, ... (a CSV file).
            let has = |i: usize| {
                first.is_some_and(|r| {
                    r.get(format!("d{i}"))
                        .or_else(|| r.get(format!("D{i}")))
                        .is_some()
                })
            };
            let n = listed.unwrap_or_else(|| (1..).take_while(|i| has(*i)).count());
            (1..=n).map(|i| format!("{prefix} {i}")).collect()
        };
        let domains: Vec<String> = match args.get("domains") {
            Some(Value::String(prefix)) => numbered(prefix),
            Some(v) => match strings(v) {
                Some(d) if !d.is_empty() => d,
                _ => return self.rob_error(span, "domains", "`domains=` is a list of the domains' names, e.g. domains=[\"Randomisation\", \"Blinding\"], or a word to number them by (\"Item\")".into()),
            },
            None if t.domains.is_empty() => numbered("Domain"),
            None => t.domains.iter().map(|d| d.to_string()).collect(),
        };
        if domains.is_empty() {
            return self.rob_error(span, &stem, format!("figure `{id}`: the studies of data.{stem} have no judgements (`domains: [...]`)"));
        }
        let spellings = match args.get("judgements") {
            Some(v) => match strings(v) {
                Some(j) if j.len() <= t.scale.len() => Some(j),
                _ => {
                    return self.rob_error(
                        span,
                        "judgements",
                        format!(
                            "`judgements=` lists how the data spell {}, in that order",
                            t.scale
                                .iter()
                                .map(|(_, n)| format!("`{n}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                }
            },
            None => None,
        };
        let scheme = match get("scheme").as_deref() {
            None | Some("cochrane") => Scheme::Cochrane,
            Some("colourblind" | "colorblind") => Scheme::Colourblind,
            Some(o) => {
                return self.rob_error(
                    span,
                    o,
                    format!("unknown colour scheme `{o}`, expected `cochrane` or `colourblind`"),
                )
            }
        };
        Some(Settings {
            tool: t,
            domains,
            spellings,
            scheme,
            stem,
            rows,
        })
    }

    /// Every study's label and judgements.
    fn rob_studies(&mut self, st: &Settings, args: &Args, span: &Range<usize>) -> Option<Rob> {
        let get = |k: &str| args.get(k).and_then(Value::as_str).map(str::to_string);
        let (t, stem) = (&st.tool, &st.stem);
        let scale_names = || {
            t.scale
                .iter()
                .map(|(_, n)| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let overall_field = get("overall").unwrap_or_else(|| "overall".into());
        let mut studies = Vec::new();
        let mut weights = Vec::new();
        for (i, row) in st.rows.iter().enumerate() {
            let label = self.rob_label(row, get("label").as_deref(), i);
            let Some(marks) = row_marks(row, st.domains.len()) else {
                return self.rob_error(span, stem, format!("study `{label}` (row {} of data.{stem}) has no judgement for every domain: write `domains: [...]` or `d1`, `d2`, ...", i + 1));
            };
            if marks.len() != st.domains.len() {
                return self.rob_error(
                    span,
                    stem,
                    format!(
                        "study `{label}` (row {} of data.{stem}) has {} judgements for {} domains",
                        i + 1,
                        marks.len(),
                        st.domains.len()
                    ),
                );
            }
            let mut js = Vec::new();
            for m in &marks {
                match st.read(m) {
                    Some(j) => js.push(j),
                    None => return self.rob_error(span, stem, format!(
                        "study `{label}` (row {} of data.{stem}): judgement `{m}` is not one of {}{}",
                        i + 1,
                        scale_names(),
                        if st.spellings.is_some() { " as `judgements=` spells them" } else { "; give the data's spellings with `judgements=`" }
                    )),
                }
            }
            let overall = match row.get(&overall_field).and_then(Value::as_str) {
                Some(o) => match st.read(o) {
                    Some(j) => Some(j),
                    None => {
                        return self.rob_error(
                            span,
                            stem,
                            format!(
                            "study `{label}` (row {}): overall judgement `{o}` is not one of {}",
                            i + 1,
                            scale_names()
                        ),
                        )
                    }
                },
                None => None,
            };
            if let Some(w) = get("weight") {
                weights.push(row.get(&w).and_then(Value::as_f64).unwrap_or(0.0));
            }
            studies.push((label, js, overall));
        }
        let used: Vec<Judgement> = studies
            .iter()
            .flat_map(|(_, js, o)| js.iter().copied().chain(*o))
            .collect();
        Some(Rob {
            tool: t.name.to_string(),
            domains: st.domains.clone(),
            scale: t
                .scale
                .iter()
                .filter(|(j, _)| used.contains(j))
                .map(|(j, n)| (*j, n.to_string()))
                .collect(),
            studies,
            weights: get("weight").map(|_| weights),
            scheme: st.scheme,
        })
    }
}

/// What `figure()` asks for, read.
struct Settings {
    tool: Tool,
    domains: Vec<String>,
    spellings: Option<Vec<String>>,
    scheme: Scheme,
    stem: String,
    rows: Vec<Value>,
}

impl Settings {
    /// A judgement from its spelling: as `judgements=` gives it, else the
    /// scale's name or its initial, in any case.
    fn read(&self, s: &str) -> Option<Judgement> {
        let s = s.trim();
        if let Some(sp) = &self.spellings {
            return sp.iter().position(|x| x == s).map(|i| self.tool.scale[i].0);
        }
        let initial = |n: &str| {
            let mut c = s.chars();
            match (c.next(), c.next()) {
                (Some(a), None) => n.chars().next().is_some_and(|b| b.eq_ignore_ascii_case(&a)),
                _ => false,
            }
        };
        self.tool
            .scale
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(s) || initial(n))
            .map(|(j, _)| *j)
    }
}
