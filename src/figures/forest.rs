//! Forest plots, as readers know them from RevMan and metafor: a row per
//! study (its label, each arm's data, its weight, a square sized by the
//! weight on its confidence interval, the estimate and interval as text),
//! a diamond per subgroup and for the pooled estimate, the line of no
//! effect, a log axis for ratios, heterogeneity and the test of the
//! overall effect below. One SVG for the site and the PDF; its colours
//! come from the page's (dark mode included) through classes.

use crate::model::escape::html as esc;

/// A row of the plot: a study or a pooled estimate, on the reported scale.
#[derive(Debug, Clone)]
pub struct Row {
    pub label: String,
    /// The arms' data as text (`4/123`, `5.2 (1.1) 40`).
    pub cells: Vec<String>,
    pub estimate: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// Percent; `None` for a pooled row without one.
    pub weight: Option<f64>,
    pub kind: RowKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    Study,
    /// A subgroup's name, over its studies.
    Heading,
    /// A diamond: a subgroup's or the overall estimate.
    Pooled,
    /// A line of text (heterogeneity, tests).
    Note,
}

/// What a forest plot shows.
#[derive(Debug, Clone)]
pub struct Forest {
    /// "Risk ratio"
    pub measure: String,
    /// Ratios are drawn on a log axis.
    pub ratio: bool,
    /// The value of no effect (1 or 0).
    pub null: f64,
    /// "95% CI"
    pub level: String,
    /// Headers of the arms' columns ("Vaccinated", "Control"), and what
    /// their cells hold ("Events/Total").
    pub arms: Vec<String>,
    pub arm_unit: String,
    pub rows: Vec<Row>,
    pub favours: Option<(String, String)>,
}

const FONT: f64 = 12.0;
const ROW: f64 = 20.0;
const PLOT_W: f64 = 260.0;
const CHAR: f64 = 6.6;
const PAD: f64 = 14.0;

/// A number as the plot prints it: two decimals, a true minus.
pub fn fmt(x: f64) -> String {
    fmt_in(x, 2)
}

/// A number with `d` decimals, a true minus.
pub fn fmt_in(x: f64, d: usize) -> String {
    let s = format!("{x:.d$}");
    let zero = format!("-{:.d$}", 0.0);
    let s = if s == zero { s[1..].to_string() } else { s };
    s.replace('-', "−")
}

/// Decimals enough for the rows' values: two, more for small ones (a
/// rare event's risk difference of 0.003).
fn decimals(f: &Forest) -> usize {
    let big = f
        .rows
        .iter()
        .filter(|r| matches!(r.kind, RowKind::Study | RowKind::Pooled))
        .flat_map(|r| [r.estimate, r.ci_low, r.ci_high])
        .filter(|v| v.is_finite())
        .map(f64::abs)
        .fold(0.0, f64::max);
    if big >= 0.1 || big == 0.0 {
        2
    } else {
        (2 + (-big.log10()).floor() as usize).min(6)
    }
}

fn width_of(s: &str) -> f64 {
    s.chars().count() as f64 * CHAR
}

/// The axis: its ends and ticks, on the reported scale.
fn axis(f: &Forest) -> (f64, f64, Vec<f64>) {
    let mut lo = f.null;
    let mut hi = f.null;
    for r in &f.rows {
        if matches!(r.kind, RowKind::Study | RowKind::Pooled) {
            for v in [r.ci_low, r.ci_high, r.estimate] {
                if v.is_finite() && (!f.ratio || v > 0.0) {
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
            }
        }
    }
    if f.ratio {
        // Symmetric about 1 on the log scale, as RevMan draws it, within
        // 0.01 to 100: a CI beyond ends in an arrow.
        const SCALES: [(f64, &[f64]); 6] = [
            (2.0, &[0.5, 0.7, 1.0, 1.5, 2.0]),
            (5.0, &[0.2, 0.5, 1.0, 2.0, 5.0]),
            (10.0, &[0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0]),
            (20.0, &[0.05, 0.2, 1.0, 5.0, 20.0]),
            (50.0, &[0.02, 0.1, 1.0, 10.0, 50.0]),
            (100.0, &[0.01, 0.1, 1.0, 10.0, 100.0]),
        ];
        let reach = (1.0 / lo).max(hi);
        let (top, ticks) = SCALES
            .iter()
            .find(|(t, _)| *t >= reach * (1.0 - 1e-12))
            .unwrap_or(&SCALES[5]);
        (1.0 / top, *top, ticks.to_vec())
    } else {
        let span = (hi - lo).max(1e-9);
        let raw = span / 4.0;
        let mag = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 2.5, 5.0, 10.0]
            .iter()
            .map(|m| m * mag)
            .find(|s| *s >= raw)
            .unwrap_or(10.0 * mag);
        let a = (lo / step).floor() * step;
        let b = (hi / step).ceil() * step;
        let mut ticks = Vec::new();
        let mut t = a;
        while t <= b + step * 1e-9 {
            ticks.push(if t.abs() < step * 1e-9 { 0.0 } else { t });
            t += step;
        }
        (a, b, ticks)
    }
}

/// A tick's label: as many decimals as the step between ticks needs.
fn tick_label(t: f64, ratio: bool, step: f64) -> String {
    if ratio {
        let s = format!("{t}");
        s.trim_end_matches(".0").to_string()
    } else {
        let d = if step > 0.0 && step < 1.0 {
            ((-step.log10()).ceil() as usize + 1).min(8)
        } else {
            0
        };
        let s = fmt_in(t, d);
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    }
}

/// Where everything goes: columns' x (right edges of right-aligned
/// ones), the plot's axis, the rows' y.
struct Layout<'f> {
    f: &'f Forest,
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
    label_x: f64,
    arm_x: Vec<f64>,
    weight_x: f64,
    plot_x: f64,
    est_x: f64,
    est_title: String,
    width: f64,
    height: f64,
    top: f64,
    axis_y: f64,
    max_weight: f64,
}

/// A row's estimate and interval as the plot prints them.
pub fn interval_text(f: &Forest, r: &Row) -> String {
    interval(r, decimals(f))
}

fn interval(r: &Row, d: usize) -> String {
    format!(
        "{} [{}, {}]",
        fmt_in(r.estimate, d),
        fmt_in(r.ci_low, d),
        fmt_in(r.ci_high, d)
    )
}

impl<'f> Layout<'f> {
    fn new(f: &'f Forest) -> Layout<'f> {
        let (lo, hi, ticks) = axis(f);
        let drawn = || f.rows.iter().filter(|r| r.kind != RowKind::Note);
        let label_w = drawn()
            .map(|r| width_of(&r.label) + if r.kind == RowKind::Study { 8.0 } else { 0.0 })
            .fold(width_of("Study"), f64::max)
            .min(320.0);
        let est_title = format!("{} [{}]", f.measure, f.level);
        let est_w = drawn()
            .filter(|r| r.kind != RowKind::Heading)
            .map(|r| width_of(&interval(r, decimals(f))))
            .fold(width_of(&est_title), f64::max);
        let mut x = label_w + PAD;
        let mut arm_x = Vec::new();
        for (i, arm) in f.arms.iter().enumerate() {
            let w = f
                .rows
                .iter()
                .filter_map(|r| r.cells.get(i))
                .map(|c| width_of(c))
                .fold(width_of(arm).max(width_of(&f.arm_unit)), f64::max);
            arm_x.push(x + w);
            x += w + PAD;
        }
        let weight_x = x + width_of("Weight");
        let plot_x = weight_x + PAD;
        let est_x = plot_x + PLOT_W + PAD + est_w;
        let notes = f.rows.iter().filter(|r| r.kind == RowKind::Note);
        let notes_w = notes
            .clone()
            .map(|r| width_of(&r.label))
            .fold(0.0, f64::max);
        let header_rows = if f.arms.is_empty() { 1.0 } else { 2.0 };
        let top = header_rows * ROW + 6.0;
        let axis_y = top + drawn().count() as f64 * ROW + 6.0;
        let favours_h = if f.favours.is_some() { ROW } else { 0.0 };
        let height = (axis_y + 2.0 * ROW + favours_h + notes.count() as f64 * ROW + 4.0).ceil();
        let max_weight = f
            .rows
            .iter()
            .filter(|r| r.kind == RowKind::Study)
            .filter_map(|r| r.weight)
            .fold(0.0, f64::max);
        Layout {
            f,
            lo,
            hi,
            ticks,
            label_x: 0.0,
            arm_x,
            weight_x,
            plot_x,
            est_x,
            est_title,
            width: est_x.max(notes_w).ceil(),
            height,
            top,
            axis_y,
            max_weight,
        }
    }

    /// A value's x on the plot.
    fn px(&self, v: f64) -> f64 {
        let t = |v: f64| if self.f.ratio { v.max(1e-300).ln() } else { v };
        self.plot_x + (t(v) - t(self.lo)) / (t(self.hi) - t(self.lo)) * PLOT_W
    }
}

fn text(s: &mut String, x: f64, y: f64, anchor: &str, bold: bool, t: &str) {
    s.push_str(&format!(
        "<text x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"{anchor}\"{}>{}</text>\n",
        if bold { " font-weight=\"bold\"" } else { "" },
        esc(t)
    ));
}

/// Draw figure `id`: the SVG and its text alternative (every number).
pub fn draw(f: &Forest, id: &str) -> (String, String) {
    let l = Layout::new(f);
    let mut s = String::new();
    let description = describe(f);
    s.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"forest\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" font-family=\"'Libertinus Sans', 'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif\" font-size=\"{FONT}\" fill=\"#1d2733\">\n<title id=\"{id}-title\">{}</title>\n<desc id=\"{id}-desc\">{}</desc>\n",
        esc(&format!("Forest plot: {}", f.measure)),
        esc(&description),
        w = l.width,
        h = l.height,
    ));
    header(&mut s, &l);
    let mut y = l.top;
    for r in f.rows.iter().filter(|r| r.kind != RowKind::Note) {
        row(&mut s, &l, r, y);
        y += ROW;
    }
    footer(&mut s, &l);
    s.push_str("</svg>\n");
    (s, description)
}

/// The column headers, the rule under them and the line of no effect.
fn header(s: &mut String, l: &Layout) {
    let f = l.f;
    let h1 = ROW - 6.0;
    let h2 = l.top - 12.0;
    text(s, l.label_x, h2, "start", true, "Study");
    for (i, a) in f.arms.iter().enumerate() {
        text(s, l.arm_x[i], h1, "end", true, a);
        text(s, l.arm_x[i], h2, "end", false, &f.arm_unit);
    }
    text(s, l.weight_x, h2, "end", true, "Weight");
    text(s, l.plot_x + PLOT_W / 2.0, h2, "middle", true, &f.measure);
    text(s, l.est_x, h2, "end", true, &l.est_title);
    s.push_str(&format!(
        "<line class=\"forest-rule\" x1=\"0\" y1=\"{y:.1}\" x2=\"{w}\" y2=\"{y:.1}\" stroke=\"#6b7785\" stroke-width=\"0.8\"/>\n",
        y = l.top - 3.0,
        w = l.width
    ));
    s.push_str(&format!(
        "<line class=\"forest-null\" x1=\"{x:.1}\" y1=\"{y1:.1}\" x2=\"{x:.1}\" y2=\"{y2:.1}\" stroke=\"#6b7785\" stroke-width=\"1\"/>\n",
        x = l.px(f.null),
        y1 = l.top - 3.0,
        y2 = l.axis_y
    ));
}

/// One row at `y`: its text columns and its square or diamond.
fn row(s: &mut String, l: &Layout, r: &Row, y: f64) {
    let cy = y + ROW / 2.0;
    let base = y + ROW - 6.0;
    if r.kind == RowKind::Heading {
        text(s, l.label_x, base, "start", true, &r.label);
        return;
    }
    let study = r.kind == RowKind::Study;
    let indent = if study { 8.0 } else { 0.0 };
    text(s, l.label_x + indent, base, "start", !study, &r.label);
    for (c, ax) in r.cells.iter().zip(&l.arm_x) {
        text(s, *ax, base, "end", !study, c);
    }
    if let Some(w) = r.weight {
        text(s, l.weight_x, base, "end", !study, &format!("{w:.1}%"));
    }
    text(s, l.est_x, base, "end", !study, &interval(r, decimals(l.f)));
    let (x1, x2) = (l.px(r.ci_low.max(l.lo)), l.px(r.ci_high.min(l.hi)));
    if !study {
        let xe = l.px(r.estimate.clamp(l.lo, l.hi));
        s.push_str(&format!(
            "<polygon class=\"forest-diamond\" points=\"{x1:.1},{cy:.1} {xe:.1},{:.1} {x2:.1},{cy:.1} {xe:.1},{:.1}\" fill=\"#1d2733\"/>\n",
            cy - 6.0,
            cy + 6.0
        ));
        return;
    }
    s.push_str(&format!(
        "<line class=\"forest-ci\" x1=\"{x1:.1}\" y1=\"{cy:.1}\" x2=\"{x2:.1}\" y2=\"{cy:.1}\" stroke=\"#1d2733\" stroke-width=\"1.2\"/>\n"
    ));
    // Arrows where the interval leaves the axis.
    for (out, xe, dir) in [(r.ci_low < l.lo, x1, -1.0), (r.ci_high > l.hi, x2, 1.0)] {
        if out {
            s.push_str(&format!(
                "<path class=\"forest-arrow\" d=\"M{:.1},{:.1} L{xe:.1},{cy:.1} L{:.1},{:.1}\" fill=\"none\" stroke=\"#1d2733\" stroke-width=\"1.2\"/>\n",
                xe - dir * 5.0,
                cy - 4.0,
                xe - dir * 5.0,
                cy + 4.0
            ));
        }
    }
    if r.estimate >= l.lo && r.estimate <= l.hi {
        // Area in proportion to the weight.
        let side = if l.max_weight > 0.0 {
            (12.0 * (r.weight.unwrap_or(0.0) / l.max_weight).sqrt()).max(3.0)
        } else {
            6.0
        };
        s.push_str(&format!(
            "<rect class=\"forest-square\" x=\"{:.1}\" y=\"{:.1}\" width=\"{side:.1}\" height=\"{side:.1}\" fill=\"#1f5fa8\"/>\n",
            l.px(r.estimate) - side / 2.0,
            cy - side / 2.0
        ));
    }
}

/// The axis with its ticks, the favours labels and the notes.
fn footer(s: &mut String, l: &Layout) {
    let f = l.f;
    let y = l.axis_y;
    s.push_str(&format!(
        "<line class=\"forest-axis\" x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#1d2733\" stroke-width=\"1\"/>\n",
        l.plot_x,
        l.plot_x + PLOT_W
    ));
    for t in &l.ticks {
        let tx = l.px(*t);
        s.push_str(&format!(
            "<line class=\"forest-axis\" x1=\"{tx:.1}\" y1=\"{y:.1}\" x2=\"{tx:.1}\" y2=\"{:.1}\" stroke=\"#1d2733\" stroke-width=\"1\"/>\n",
            y + 4.0
        ));
        let step = l
            .ticks
            .windows(2)
            .map(|w| w[1] - w[0])
            .fold(f64::INFINITY, f64::min);
        text(
            s,
            tx,
            y + 16.0,
            "middle",
            false,
            &tick_label(*t, f.ratio, step),
        );
    }
    let mut ny = y + 2.0 * ROW;
    if let Some((left, right)) = &f.favours {
        let nx = l.px(f.null);
        text(
            s,
            nx - 6.0,
            y + 32.0,
            "end",
            false,
            &format!("Favours {left}"),
        );
        text(
            s,
            nx + 6.0,
            y + 32.0,
            "start",
            false,
            &format!("Favours {right}"),
        );
        ny += ROW;
    }
    for r in f.rows.iter().filter(|r| r.kind == RowKind::Note) {
        text(s, l.label_x, ny - 6.0, "start", false, &r.label);
        ny += ROW;
    }
}

/// The plot as text: every row's numbers, then the notes.
fn describe(f: &Forest) -> String {
    let mut parts = vec![format!(
        "Forest plot of the {} with {} ({} scale).",
        f.measure.to_lowercase(),
        f.level,
        if f.ratio { "log" } else { "linear" }
    )];
    for r in &f.rows {
        match r.kind {
            RowKind::Heading => parts.push(format!("{}:", r.label)),
            RowKind::Study | RowKind::Pooled => {
                let mut p = r.label.clone();
                for (a, c) in f.arms.iter().zip(&r.cells) {
                    p.push_str(&format!(", {a} {c}"));
                }
                if let Some(w) = r.weight {
                    p.push_str(&format!(", weight {w:.1}%"));
                }
                p.push_str(&format!(
                    ", {} {}.",
                    f.measure.to_lowercase(),
                    interval(r, decimals(f))
                ));
                parts.push(p);
            }
            RowKind::Note => parts.push(format!("{}.", r.label.trim_end_matches('.'))),
        }
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(e: f64, lo: f64, hi: f64) -> Row {
        Row {
            label: "A".into(),
            cells: Vec::new(),
            estimate: e,
            ci_low: lo,
            ci_high: hi,
            weight: Some(100.0),
            kind: RowKind::Study,
        }
    }

    #[test]
    fn small_differences_keep_their_digits() {
        // A rare event's risk difference (found by review).
        let f = Forest {
            measure: "Risk difference".into(),
            ratio: false,
            null: 0.0,
            level: "95% CI".into(),
            arms: Vec::new(),
            arm_unit: String::new(),
            rows: vec![row(0.003, -0.001, 0.007)],
            favours: None,
        };
        assert_eq!(
            interval(&f.rows[0], decimals(&f)),
            "0.0030 [−0.0010, 0.0070]"
        );
        let (lo, hi, ticks) = axis(&f);
        let step = ticks[1] - ticks[0];
        let labels: Vec<String> = ticks.iter().map(|t| tick_label(*t, false, step)).collect();
        let unique: std::collections::BTreeSet<&String> = labels.iter().collect();
        assert_eq!(unique.len(), labels.len(), "{labels:?} on {lo}..{hi}");
        assert!(labels.contains(&"0".to_string()), "{labels:?}");
        let (svg, _) = draw(&f, "fig-f");
        assert!(!svg.contains("NaN"));
    }
}
