//! A forest plot of an analysis: its numbers as `figures::forest` draws
//! them.

use std::ops::Range;

use super::analyses::Result;
use super::assembler::Assembler;
use crate::analysis::{Pooled, StudyData, Test};
use crate::figures::forest::{self, fmt, Forest, Row as PlotRow, RowKind};
use crate::model::{Align, Block, Cell, Column, HeaderCell, Inline, Row, Table};

/// A p-value as a forest plot's notes print it.
fn p_text(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".into()
    } else {
        format!("p = {p:.3}")
    }
}

/// A number of a study's data, as written.
fn num(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0')
        .trim_end_matches('.')
        .replace('-', "−")
}

fn cells(d: &StudyData) -> Vec<String> {
    match *d {
        StudyData::Binary { ai, n1, ci, n2 } => {
            vec![
                format!("{}/{}", num(ai), num(n1)),
                format!("{}/{}", num(ci), num(n2)),
            ]
        }
        StudyData::Continuous {
            m1,
            sd1,
            n1,
            m2,
            sd2,
            n2,
        } => vec![
            format!("{} ({}) {}", num(m1), num(sd1), num(n1)),
            format!("{} ({}) {}", num(m2), num(sd2), num(n2)),
        ],
        StudyData::Generic { .. } => Vec::new(),
    }
}

fn heterogeneity(p: &Pooled, random: bool) -> String {
    let tau = if random {
        format!("τ² = {}; ", fmt(p.tau2))
    } else {
        String::new()
    };
    format!(
        "Heterogeneity: {tau}I² = {:.0}%; Q = {}, df = {} ({})",
        p.i2,
        fmt(p.q),
        p.q_df,
        p_text(p.q_p)
    )
}

fn pooled_row(r: &Result, label: String, p: &Pooled, weight: f64) -> PlotRow {
    PlotRow {
        label,
        cells: Vec::new(),
        estimate: r.scale(p.estimate),
        ci_low: r.scale(p.ci_low),
        ci_high: r.scale(p.ci_high),
        weight: Some(weight),
        kind: RowKind::Pooled,
    }
}

/// The plot's rows: studies (under their subgroups), diamonds, notes.
pub fn build(r: &Result) -> Forest {
    let s = &r.spec.spec;
    let level = format!(
        "{}% CI",
        crate::assemble::template::format_number(s.level * 100.0)
    );
    let z = crate::analysis::z_crit(s.level);
    let study_row = |i: usize| {
        let st = &r.studies[i];
        let se = st.vi.sqrt();
        PlotRow {
            label: st.label.clone(),
            cells: cells(&st.data),
            estimate: r.scale(st.yi),
            ci_low: r.scale(st.yi - z * se),
            ci_high: r.scale(st.yi + z * se),
            weight: Some(st.weight),
            kind: RowKind::Study,
        }
    };
    let random = s.method() != crate::analysis::Method::Fixed;
    let mut rows = Vec::new();
    if r.subgroups.len() > 1 {
        for g in &r.subgroups {
            rows.push(PlotRow {
                label: g.name.clone(),
                cells: Vec::new(),
                estimate: f64::NAN,
                ci_low: f64::NAN,
                ci_high: f64::NAN,
                weight: None,
                kind: RowKind::Heading,
            });
            rows.extend(g.studies.iter().map(|&i| study_row(i)));
            if let Some(p) = &g.pooled {
                let w: f64 = g.studies.iter().map(|&i| r.studies[i].weight).sum();
                rows.push(pooled_row(r, format!("Subtotal ({level})"), p, w));
            }
        }
    } else {
        rows.extend((0..r.studies.len()).map(study_row));
    }
    rows.push(pooled_row(r, format!("Total ({level})"), &r.pooled, 100.0));
    let note = |label: String| PlotRow {
        label,
        cells: Vec::new(),
        estimate: f64::NAN,
        ci_low: f64::NAN,
        ci_high: f64::NAN,
        weight: None,
        kind: RowKind::Note,
    };
    let p = &r.pooled;
    if p.k > 1 {
        rows.push(note(heterogeneity(p, random)));
    }
    let stat = if s.test == Test::Knha && p.k > 1 {
        format!("t({}) = {}", p.q_df, fmt(p.stat))
    } else {
        format!("z = {}", fmt(p.stat))
    };
    rows.push(note(format!(
        "Test for overall effect: {stat} ({})",
        p_text(p.p)
    )));
    if let Some((q, df, pq)) = r.subgroup_test {
        rows.push(note(format!(
            "Test for subgroup differences: Q = {}, df = {df} ({})",
            fmt(q),
            p_text(pq)
        )));
    }
    let binary = s.measure.is_binary();
    Forest {
        measure: s.measure.name().to_string(),
        ratio: s.measure.is_ratio(),
        null: s.measure.null(),
        level,
        arms: if s.measure == crate::analysis::Measure::GEN {
            Vec::new()
        } else {
            vec!["Treatment".into(), "Control".into()]
        },
        arm_unit: if binary {
            "Events/Total".into()
        } else {
            "Mean (SD) N".into()
        },
        rows,
        favours: s
            .favours
            .as_ref()
            .map(|f| (f.left.clone(), f.right.clone())),
    }
}

/// The plot's numbers as a table: a row per study and pooled estimate,
/// a group row per subgroup, the notes below.
pub fn table(f: &Forest) -> Table {
    let text = |t: String| Cell::Blocks(vec![Block::Plain(vec![Inline::Text(t)])]);
    let header_cell = |t: &str| HeaderCell {
        content: vec![Inline::Text(t.to_string())],
        colspan: 1,
        rowspan: 1,
    };
    let mut header = vec![header_cell("Study")];
    for a in &f.arms {
        header.push(header_cell(&format!("{a} ({})", f.arm_unit)));
    }
    header.push(header_cell("Weight"));
    header.push(header_cell(&format!("{} [{}]", f.measure, f.level)));
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    for r in &f.rows {
        match r.kind {
            RowKind::Heading => rows.push(Row::Group(vec![Inline::Text(r.label.clone())])),
            RowKind::Note => notes.push(Block::Para(vec![Inline::Text(r.label.clone())])),
            RowKind::Study | RowKind::Pooled => {
                let mut cells = vec![text(r.label.clone())];
                for i in 0..f.arms.len() {
                    cells.push(text(r.cells.get(i).cloned().unwrap_or_default()));
                }
                cells.push(text(
                    r.weight.map(|w| format!("{w:.1}%")).unwrap_or_default(),
                ));
                cells.push(text(forest::interval_text(f, r)));
                rows.push(Row::Cells(cells));
            }
        }
    }
    let right = |n| Column {
        align: Some(n),
        width: None,
    };
    let mut columns = vec![right(Align::Left)];
    columns.extend(std::iter::repeat_n(right(Align::Right), f.arms.len() + 2));
    Table {
        id: None,
        number: None,
        caption: Vec::new(),
        columns,
        header: vec![header],
        rows,
        notes,
        marks: Vec::new(),
    }
}

impl Assembler<'_> {
    /// The forest plot of `analysis`: its SVG and text alternative.
    pub(super) fn forest(
        &mut self,
        id: &str,
        analysis: Option<String>,
        span: Range<usize>,
    ) -> Option<(String, String, Table)> {
        let Some(stem) = analysis else {
            let d = self.error_at(
                span,
                Some("forest"),
                format!("forest plot `{id}` needs `analysis=`, the stem of a file in manuscript/analyses/"),
            );
            self.diags.push(d);
            return None;
        };
        let Some(r) = self.analyses.get(&stem) else {
            let mut d = self.error_at(
                span,
                Some(&format!("\"{stem}\"")),
                format!("forest plot `{id}` draws analysis `{stem}`, but manuscript/analyses/ has no `{stem}.yaml`"),
            );
            if let Some(n) = crate::diag::nearest(&stem, self.analyses.keys().map(String::as_str)) {
                d = d.with_note(format!("did you mean `{n}`?"));
            }
            self.diags.push(d);
            return None;
        };
        let f = build(r);
        let (svg, alt) = forest::draw(&f, id);
        Some((svg, alt, table(&f)))
    }
}
