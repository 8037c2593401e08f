//! The PRISMA 2020 flow diagram, drawn as SVG from the counts in a data file.
//! One SVG serves the site (inline) and the PDF (as an image).

use serde::Deserialize;
use serde_json::Value;

use super::{DataWarning, Drawn, FigureKind};
use crate::model::escape::html as esc;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Source {
    name: String,
    #[serde(default)]
    count: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Reason {
    reason: String,
    count: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Counts {
    identified: u32,
    #[serde(default)]
    sources: Vec<Source>,
    #[serde(default)]
    duplicates: Option<u32>,
    #[serde(default)]
    other_removed: Option<u32>,
    screened: u32,
    #[serde(default)]
    excluded_screening: Option<u32>,
    #[serde(default)]
    not_retrieved: Option<u32>,
    full_text: u32,
    #[serde(default)]
    excluded_full_text: Vec<Reason>,
    included: u32,
    /// Caption of the figure when the figure() call gives none.
    #[serde(default)]
    caption: Option<String>,
}

/// The PRISMA flow diagram as a figure kind: `figure(kind="prisma")`,
/// from `data.prisma` unless `data=` names another file.
pub struct Prisma;

impl FigureKind for Prisma {
    fn name(&self) -> &'static str {
        "prisma"
    }

    fn default_data(&self) -> &'static str {
        "prisma"
    }

    fn data_label(&self) -> &'static str {
        "PRISMA data"
    }

    fn draw(&self, data: &Value, id: &str) -> Result<Drawn, String> {
        render(data, id)
    }

    fn recognises(&self, data: &Value) -> bool {
        ["identified", "screened", "included"]
            .iter()
            .all(|k| data.get(k).is_some())
    }

    fn check(&self, data: &Value) -> Result<Vec<DataWarning>, String> {
        Ok(arithmetic(data)?
            .into_iter()
            .filter(|c| !c.holds())
            .map(|c| DataWarning {
                key: c.key.to_string(),
                message: format!("PRISMA counts do not add up: {}", c.describe()),
            })
            .collect())
    }
}

/// One rule of the PRISMA arithmetic: `minuend − subtrahend = actual`.
pub struct Arithmetic {
    /// e.g. "identified − removed before screening = screened"
    pub rule: &'static str,
    /// The data key that holds `actual` (where a mismatch is reported).
    pub key: &'static str,
    pub minuend: i64,
    pub subtrahend: i64,
    pub actual: i64,
    /// "were screened", "were included", ...
    pub actual_is: &'static str,
}

impl Arithmetic {
    pub fn holds(&self) -> bool {
        self.minuend - self.subtrahend == self.actual
    }

    /// "identified − removed before screening = screened (3767 − 1809 =
    /// 1958, but 1934 were screened)"
    pub fn describe(&self) -> String {
        format!(
            "{} ({} − {} = {}, but {} {})",
            self.rule,
            self.minuend,
            self.subtrahend,
            self.minuend - self.subtrahend,
            self.actual,
            self.actual_is
        )
    }
}

/// The built-in PRISMA checks.
pub fn arithmetic(v: &Value) -> Result<Vec<Arithmetic>, String> {
    let p = parse(v)?;
    let mut out = vec![Arithmetic {
        rule: "identified − removed before screening = screened",
        key: "screened",
        minuend: p.identified.into(),
        subtrahend: i64::from(p.duplicates.unwrap_or(0)) + i64::from(p.other_removed.unwrap_or(0)),
        actual: p.screened.into(),
        actual_is: "were screened",
    }];
    if let Some(ex) = p.excluded_screening {
        out.push(Arithmetic {
            rule: "screened − excluded at screening = reports sought",
            key: "excluded_screening",
            minuend: p.screened.into(),
            subtrahend: ex.into(),
            actual: i64::from(p.full_text) + i64::from(p.not_retrieved.unwrap_or(0)),
            actual_is: "were sought",
        });
    }
    if !p.excluded_full_text.is_empty() {
        out.push(Arithmetic {
            rule: "full texts − excluded with reasons = included",
            key: "included",
            minuend: p.full_text.into(),
            subtrahend: p
                .excluded_full_text
                .iter()
                .map(|r| i64::from(r.count))
                .sum(),
            actual: p.included.into(),
            actual_is: "were included",
        });
    }
    Ok(out)
}

fn parse(v: &Value) -> Result<Counts, String> {
    Counts::deserialize(v).map_err(|e| {
        let msg = e.to_string();
        // serde messages name the field in backticks already.
        msg
    })
}

const W: f64 = 760.0;
const PHASE_W: f64 = 26.0;
const GAP: f64 = 12.0;
const MAIN_X: f64 = PHASE_W + GAP;
const COL_W: f64 = 330.0;
const SIDE_X: f64 = W - COL_W;
const FONT: f64 = 13.0;
const LINE: f64 = 17.0;
const PAD: f64 = 10.0;
const ROW_GAP: f64 = 34.0;

/// Greedy word wrap by an estimate of the text width.
fn wrap(text: &str, width: f64) -> Vec<String> {
    let max = ((width - 2.0 * PAD) / (FONT * 0.54)).floor() as usize;
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > max {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

struct BoxSpec {
    /// Paragraphs; each wraps separately. A leading `*` makes it bold.
    paras: Vec<String>,
}

impl BoxSpec {
    fn lines(&self) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        for p in &self.paras {
            let (bold, text) = match p.strip_prefix('*') {
                Some(t) => (true, t),
                None => (false, p.as_str()),
            };
            for l in wrap(text, COL_W) {
                out.push((l, bold));
            }
        }
        out
    }
    fn height(&self) -> f64 {
        self.lines().len() as f64 * LINE + 2.0 * PAD
    }
}

fn draw_box(svg: &mut String, x: f64, y: f64, h: f64, b: &BoxSpec) {
    svg.push_str(&format!(
        "<rect class=\"prisma-box\" x=\"{x}\" y=\"{y}\" width=\"{COL_W}\" height=\"{h}\" rx=\"4\" fill=\"#ffffff\" stroke=\"#3b4a5a\" stroke-width=\"1.2\"/>\n"
    ));
    let mut ty = y + PAD + FONT;
    for (line, bold) in b.lines() {
        let weight = if bold { " font-weight=\"bold\"" } else { "" };
        svg.push_str(&format!(
            "<text class=\"prisma-text\" x=\"{}\" y=\"{ty}\"{weight}>{}</text>\n",
            x + PAD,
            esc(&line)
        ));
        ty += LINE;
    }
}

fn n(v: impl Into<u64>) -> String {
    let v: u64 = v.into();
    format!("(n = {v})")
}

/// Draw the diagram.
pub fn render(v: &Value, id: &str) -> Result<Drawn, String> {
    let p = parse(v)?;
    let boxes = Boxes::of(&p);
    let rows = boxes.rows(&p);
    let placed = place(&rows);
    let description = describe(&p, boxes.excluded_screening);
    let svg = draw(id, &placed, &description);
    Ok(Drawn {
        svg,
        description,
        caption: p.caption.clone(),
    })
}

/// The diagram's boxes, with their text.
struct Boxes {
    identified: BoxSpec,
    removed: BoxSpec,
    screened: BoxSpec,
    excluded1: BoxSpec,
    sought: Option<BoxSpec>,
    not_retrieved: Option<BoxSpec>,
    assessed: BoxSpec,
    excluded2: BoxSpec,
    included: BoxSpec,
    /// Records excluded at screening (given, or what the counts imply).
    excluded_screening: u64,
}

/// A row of the diagram: its main box, the box beside it, its phase.
type Row<'b> = (&'b BoxSpec, Option<&'b BoxSpec>, &'static str);

/// A row placed: (top, height, main, side, phase).
type Placed<'b> = (f64, f64, &'b BoxSpec, Option<&'b BoxSpec>, &'static str);

impl Boxes {
    fn of(p: &Counts) -> Boxes {
        let sources = p.sources.iter().map(|s| match s.count {
            Some(c) => format!("{} {}", s.name, n(c)),
            None => s.name.clone(),
        });
        let sources: Vec<String> = sources.collect();
        let mut ident_paras = vec!["*Records identified from:".to_string()];
        if !sources.is_empty() {
            ident_paras.push(sources.join("; "));
        }
        ident_paras.push(format!("Total {}", n(p.identified)));
        let identified = BoxSpec { paras: ident_paras };
        let mut removed_paras = vec!["*Records removed before screening:".to_string()];
        if let Some(d) = p.duplicates {
            removed_paras.push(format!("Duplicate records removed {}", n(d)));
        }
        if let Some(o) = p.other_removed {
            removed_paras.push(format!("Records removed for other reasons {}", n(o)));
        }
        let removed = BoxSpec {
            paras: removed_paras,
        };
        let screened = BoxSpec {
            paras: vec![format!("Records screened {}", n(p.screened))],
        };
        let sought_n = p.full_text as u64 + p.not_retrieved.unwrap_or(0) as u64;
        let excluded_screening = p
            .excluded_screening
            .map(u64::from)
            .unwrap_or((p.screened as u64).saturating_sub(sought_n));
        let excluded1 = BoxSpec {
            paras: vec![format!("Records excluded {}", n(excluded_screening))],
        };
        let sought = p.not_retrieved.map(|_| BoxSpec {
            paras: vec![format!("Reports sought for retrieval {}", n(sought_n))],
        });
        let not_retrieved = p.not_retrieved.map(|nr| BoxSpec {
            paras: vec![format!("Reports not retrieved {}", n(nr))],
        });
        let assessed = BoxSpec {
            paras: vec![format!(
                "Reports assessed for eligibility {}",
                n(p.full_text)
            )],
        };
        let mut reasons = vec!["*Reports excluded:".to_string()];
        for r in &p.excluded_full_text {
            reasons.push(format!("{} {}", r.reason, n(r.count)));
        }
        let excluded2 = BoxSpec { paras: reasons };
        let included = BoxSpec {
            paras: vec![format!("Studies included in review {}", n(p.included))],
        };

        Boxes {
            identified,
            removed,
            screened,
            excluded1,
            sought,
            not_retrieved,
            assessed,
            excluded2,
            included,
            excluded_screening,
        }
    }

    fn rows(&self, p: &Counts) -> Vec<Row<'_>> {
        let mut rows: Vec<Row> = vec![
            (&self.identified, Some(&self.removed), "Identification"),
            (&self.screened, Some(&self.excluded1), "Screening"),
        ];
        if let (Some(s), Some(nr)) = (&self.sought, &self.not_retrieved) {
            rows.push((s, Some(nr), "Screening"));
        }
        rows.push((
            &self.assessed,
            if p.excluded_full_text.is_empty() {
                None
            } else {
                Some(&self.excluded2)
            },
            "Screening",
        ));
        rows.push((&self.included, None, "Included"));

        rows
    }
}

/// Row heights: the taller box of the row; a phase's rows grow so its
/// rotated label fits beside them.
fn place<'b>(rows: &[Row<'b>]) -> Vec<Placed<'b>> {
    let mut heights: Vec<f64> = rows
        .iter()
        .map(|(m, s, _)| m.height().max(s.map_or(0.0, |s| s.height())))
        .collect();
    let mut i = 0;
    while i < rows.len() {
        let mut j = i;
        while j + 1 < rows.len() && rows[j + 1].2 == rows[i].2 {
            j += 1;
        }
        let span: f64 = heights[i..=j].iter().sum::<f64>() + ROW_GAP * (j - i) as f64;
        let need = rows[i].2.chars().count() as f64 * FONT * 0.62 + 2.0 * PAD;
        if span < need {
            let extra = (need - span) / (j - i + 1) as f64;
            for h in &mut heights[i..=j] {
                *h += extra;
            }
        }
        i = j + 1;
    }
    let mut y = 0.0;
    let mut placed = Vec::new();
    for ((main, side, phase), h) in rows.iter().zip(&heights) {
        placed.push((y, *h, *main, *side, *phase));
        y += h + ROW_GAP;
    }
    placed
}

/// The diagram as SVG.
fn draw(id: &str, placed: &[Placed], description: &str) -> String {
    // As the rows were placed: each row's top plus (height + gap).
    let y = placed.last().map_or(ROW_GAP, |l| l.0 + (l.1 + ROW_GAP));
    let total_h = y - ROW_GAP;
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    let mut svg = String::new();
    svg.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"prisma\" viewBox=\"0 0 {W} {total_h}\" width=\"{W}\" height=\"{total_h}\" role=\"img\" aria-labelledby=\"{title_id} {desc_id}\" font-family=\"'Libertinus Sans', 'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif\" font-size=\"{FONT}\">\n"
    ));
    svg.push_str(&format!(
        "<title id=\"{title_id}\">PRISMA 2020 flow diagram</title>\n"
    ));
    svg.push_str(&format!(
        "<desc id=\"{desc_id}\">{}</desc>\n",
        esc(description)
    ));
    svg.push_str("<defs><marker id=\"");
    svg.push_str(id);
    svg.push_str("-arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#3b4a5a\" class=\"prisma-arrowhead\"/></marker></defs>\n");

    // Phase bars: merge consecutive rows of the same phase.
    let mut i = 0;
    while i < placed.len() {
        let phase = placed[i].4;
        let top = placed[i].0;
        let mut j = i;
        while j + 1 < placed.len() && placed[j + 1].4 == phase {
            j += 1;
        }
        let bottom = placed[j].0 + placed[j].1;
        let h = bottom - top;
        let cx = PHASE_W / 2.0;
        let cy = top + h / 2.0;
        svg.push_str(&format!(
            "<rect class=\"prisma-phase\" x=\"0\" y=\"{top}\" width=\"{PHASE_W}\" height=\"{h}\" rx=\"4\" fill=\"#dbe7f3\" stroke=\"#3b4a5a\" stroke-width=\"1\"/>\n<text class=\"prisma-phase-text\" x=\"{cx}\" y=\"{cy}\" transform=\"rotate(-90 {cx} {cy})\" text-anchor=\"middle\" dominant-baseline=\"central\" font-weight=\"bold\">{phase}</text>\n"
        ));
        i = j + 1;
    }

    let arrow = |svg: &mut String, x1: f64, y1: f64, x2: f64, y2: f64| {
        svg.push_str(&format!(
            "<line class=\"prisma-arrow\" x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\" stroke=\"#3b4a5a\" stroke-width=\"1.4\" marker-end=\"url(#{id}-arrow)\"/>\n"
        ));
    };
    for (k, (top, h, main, side, _)) in placed.iter().enumerate() {
        let mh = main.height();
        let my = top + (h - mh) / 2.0;
        draw_box(&mut svg, MAIN_X, my, mh, main);
        if let Some(s) = side {
            let sh = s.height();
            let sy = top + (h - sh) / 2.0;
            draw_box(&mut svg, SIDE_X, sy, sh, s);
            arrow(
                &mut svg,
                MAIN_X + COL_W,
                top + h / 2.0,
                SIDE_X - 1.0,
                top + h / 2.0,
            );
        }
        if let Some((ntop, nh, nmain, _, _)) = placed.get(k + 1) {
            let nmy = ntop + (nh - nmain.height()) / 2.0;
            let cx = MAIN_X + COL_W / 2.0;
            arrow(&mut svg, cx, my + mh, cx, nmy - 1.0);
        }
    }
    svg.push_str("</svg>\n");
    svg
}

fn describe(p: &Counts, excluded_screening: u64) -> String {
    let mut s = format!(
        "PRISMA 2020 flow diagram. Identification: {} records identified",
        p.identified
    );
    if !p.sources.is_empty() {
        let names: Vec<String> = p
            .sources
            .iter()
            .map(|x| match x.count {
                Some(c) => format!("{} ({c})", x.name),
                None => x.name.clone(),
            })
            .collect();
        s.push_str(&format!(" from {}", names.join("; ")));
    }
    if let Some(d) = p.duplicates {
        s.push_str(&format!("; {d} duplicate records removed before screening"));
    }
    if let Some(o) = p.other_removed {
        s.push_str(&format!("; {o} records removed for other reasons"));
    }
    s.push_str(&format!(
        ". Screening: {} records screened, {excluded_screening} excluded",
        p.screened
    ));
    if let Some(nr) = p.not_retrieved {
        s.push_str(&format!(
            "; {} reports sought for retrieval, {nr} not retrieved",
            p.full_text as u64 + nr as u64
        ));
    }
    s.push_str(&format!(
        "; {} reports assessed for eligibility",
        p.full_text
    ));
    if !p.excluded_full_text.is_empty() {
        let reasons: Vec<String> = p
            .excluded_full_text
            .iter()
            .map(|r| format!("{} ({})", r.reason.to_lowercase(), r.count))
            .collect();
        s.push_str(&format!(", excluded for: {}", reasons.join(", ")));
    }
    s.push_str(&format!(
        ". Included: {} studies included in the review.",
        p.included
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paper() -> Value {
        json!({
            "identified": 3767, "sources": [{"name": "PubMed"}, {"name": "OVID (Embase, MEDLINE, PsycINFO)"}],
            "duplicates": 1809, "screened": 1934, "full_text": 29,
            "excluded_full_text": [
                {"reason": "Wrong study design", "count": 11}, {"reason": "No full text", "count": 6},
                {"reason": "Wrong patient population", "count": 4}, {"reason": "Manuscript not written in English", "count": 1}],
            "included": 7
        })
    }

    #[test]
    fn svg_has_the_numbers_as_text() {
        let f = render(&paper(), "fig-prisma").unwrap();
        for needle in [
            "(n = 3767)",
            "(n = 1809)",
            "(n = 1934)",
            "(n = 1905)",
            "(n = 29)",
            "Wrong study design (n = 11)",
            "(n = 7)",
        ] {
            assert!(f.svg.contains(needle), "missing {needle}");
        }
        assert!(f.description.contains("3767 records identified"));
        assert!(f.svg.contains("role=\"img\""));
    }

    #[test]
    fn arithmetic_reports_the_papers_mismatch() {
        let checks = arithmetic(&paper()).unwrap();
        let bad: Vec<_> = checks.iter().filter(|c| !c.holds()).collect();
        assert_eq!(bad.len(), 1);
        assert!(
            bad[0]
                .describe()
                .contains("3767 − 1809 = 1958, but 1934 were screened"),
            "{}",
            bad[0].describe()
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        let mut v = paper();
        v["identifed"] = json!(1);
        assert!(render(&v, "f").unwrap_err().contains("identifed"));
    }
}
