//! Risk-of-bias figures as robvis draws them: the traffic-light plot
//! (studies × domains, and the overall judgement, as coloured circles
//! with a symbol each, so that colour is not the only cue) and the
//! summary (per domain, the share of studies at each judgement, as a
//! stacked bar). One SVG for the site and the PDF.

use crate::model::escape::html as esc;

/// A judgement, in the order of the tools' scales.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Judgement {
    Low,
    Some,
    High,
    Critical,
    NoInformation,
}

impl Judgement {
    pub fn symbol(self) -> &'static str {
        match self {
            Judgement::Low => "+",
            Judgement::Some => "−",
            Judgement::High => "×",
            Judgement::Critical => "!",
            Judgement::NoInformation => "?",
        }
    }

    /// The symbol's colour class: dark on the light circles, light on
    /// the dark ones.
    fn ink(self) -> (&'static str, &'static str) {
        match self {
            Judgement::High | Judgement::Critical => ("rob-ink-light", "#ffffff"),
            _ => ("rob-ink-dark", "#000000"),
        }
    }

    fn class(self) -> &'static str {
        match self {
            Judgement::Low => "rob-low",
            Judgement::Some => "rob-some",
            Judgement::High => "rob-high",
            Judgement::Critical => "rob-critical",
            Judgement::NoInformation => "rob-ni",
        }
    }
}

/// Colours: Cochrane's (robvis's default) or a scheme that colour-blind
/// readers tell apart (Okabe and Ito's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Cochrane,
    Colourblind,
}

fn colour(scheme: Scheme, j: Judgement) -> &'static str {
    match (scheme, j) {
        (Scheme::Cochrane, Judgement::Low) => "#02a02b",
        (Scheme::Cochrane, Judgement::Some) => "#e2c207",
        (Scheme::Cochrane, Judgement::High) => "#bf0000",
        (Scheme::Cochrane, Judgement::Critical) => "#820000",
        (Scheme::Cochrane, Judgement::NoInformation) => "#4ea1f7",
        (Scheme::Colourblind, Judgement::Low) => "#0072b2",
        (Scheme::Colourblind, Judgement::Some) => "#e69f00",
        (Scheme::Colourblind, Judgement::High) => "#d55e00",
        (Scheme::Colourblind, Judgement::Critical) => "#6b2a00",
        (Scheme::Colourblind, Judgement::NoInformation) => "#999999",
    }
}

/// What a risk-of-bias figure shows.
#[derive(Debug, Clone)]
pub struct Rob {
    /// "RoB 2"
    pub tool: String,
    pub domains: Vec<String>,
    /// The judgements' names in the legend, per judgement used by the tool.
    pub scale: Vec<(Judgement, String)>,
    /// Each study: label, a judgement per domain, the overall one.
    pub studies: Vec<(String, Vec<Judgement>, Option<Judgement>)>,
    /// Per study, for a weighted summary.
    pub weights: Option<Vec<f64>>,
    pub scheme: Scheme,
}

const FONT: f64 = 12.0;
const CELL: f64 = 30.0;
const R: f64 = 11.0;
const CHAR: f64 = 6.6;

fn svg_open(id: &str, class: &str, w: f64, h: f64, title: &str, desc: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"rob {class}\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" font-family=\"'Libertinus Sans', 'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif\" font-size=\"{FONT}\" fill=\"#1d2733\">\n<title id=\"{id}-title\">{}</title>\n<desc id=\"{id}-desc\">{}</desc>\n",
        esc(title),
        esc(desc)
    )
}

fn name(r: &Rob, j: Judgement) -> &str {
    r.scale
        .iter()
        .find(|(k, _)| *k == j)
        .map_or("", |(_, n)| n.as_str())
}

/// The legend: a circle with its symbol, and the judgement's name.
fn legend(s: &mut String, r: &Rob, x0: f64, y: f64) {
    let mut x = x0;
    for (j, n) in &r.scale {
        s.push_str(&format!(
            "<circle class=\"{}\" cx=\"{:.1}\" cy=\"{y:.1}\" r=\"7\" fill=\"{}\"/>\n<text class=\"rob-symbol {}\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\" font-weight=\"bold\" fill=\"{}\" aria-hidden=\"true\">{}</text>\n<text x=\"{:.1}\" y=\"{:.1}\">{}</text>\n",
            j.class(),
            x + 7.0,
            colour(r.scheme, *j),
            j.ink().0,
            x + 7.0,
            y + 3.5,
            j.ink().1,
            j.symbol(),
            x + 18.0,
            y + 4.0,
            esc(n)
        ));
        x += 18.0 + n.chars().count() as f64 * CHAR + 16.0;
    }
}

/// The traffic-light plot and its text alternative.
pub fn traffic(r: &Rob, id: &str) -> (String, String) {
    let label_w = r
        .studies
        .iter()
        .map(|(l, _, _)| l.chars().count() as f64 * CHAR)
        .fold(40.0, f64::max)
        + 12.0;
    let overall = r.studies.iter().any(|(_, _, o)| o.is_some());
    let cols = r.domains.len() + usize::from(overall);
    let head = 24.0;
    let grid_w = cols as f64 * CELL;
    let legend_w: f64 = r
        .scale
        .iter()
        .map(|(_, n)| 34.0 + n.chars().count() as f64 * CHAR)
        .sum();
    // The domains' names, one a line under the grid, as robvis lists them.
    let names: Vec<String> = r
        .domains
        .iter()
        .enumerate()
        .map(|(i, d)| format!("D{}: {d}", i + 1))
        .collect();
    let names_w = names
        .iter()
        .map(|n| n.chars().count() as f64 * CHAR * 10.0 / FONT)
        .fold(0.0, f64::max);
    let w = (label_w + grid_w)
        .max(legend_w + 8.0)
        .max(names_w + 4.0)
        .ceil()
        + 4.0;
    let body_h = r.studies.len() as f64 * CELL;
    let h = (head + body_h + 46.0 + 14.0 * names.len().saturating_sub(1) as f64).ceil();
    let desc = describe(r);
    let mut s = svg_open(
        id,
        "rob-traffic",
        w,
        h,
        &format!("Risk of bias ({}), by study and domain", r.tool),
        &desc,
    );
    let mut headers: Vec<String> = (1..=r.domains.len()).map(|i| format!("D{i}")).collect();
    if overall {
        headers.push("Overall".into());
    }
    for (c, hd) in headers.iter().enumerate() {
        let cx = label_w + (c as f64 + 0.5) * CELL;
        s.push_str(&format!(
            "<text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-weight=\"bold\">{}</text>\n",
            head - 8.0,
            esc(hd)
        ));
    }
    for (i, (label, marks, o)) in r.studies.iter().enumerate() {
        let cy = head + (i as f64 + 0.5) * CELL;
        s.push_str(&format!(
            "<text x=\"0\" y=\"{:.1}\">{}</text>\n",
            cy + 4.0,
            esc(label)
        ));
        let all: Vec<Judgement> = marks.iter().copied().chain(*o).collect();
        for (c, j) in all.iter().enumerate() {
            let cx = label_w + (c as f64 + 0.5) * CELL;
            s.push_str(&format!(
                "<circle class=\"{}\" cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"{R}\" fill=\"{}\"><title>{}: {}</title></circle>\n<text class=\"rob-symbol {}\" x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-weight=\"bold\" fill=\"{}\" aria-hidden=\"true\">{}</text>\n",
                j.class(),
                colour(r.scheme, *j),
                esc(label),
                esc(name(r, *j)),
                j.ink().0,
                cy + 4.5,
                j.ink().1,
                j.symbol()
            ));
        }
    }
    let mut y = head + body_h + 16.0;
    for n in &names {
        s.push_str(&format!(
            "<text x=\"0\" y=\"{y:.1}\" font-size=\"10\">{}</text>\n",
            esc(n)
        ));
        y += 14.0;
    }
    y += 6.0;
    legend(&mut s, r, 0.0, y);
    s.push_str("</svg>\n");
    (s, desc)
}

/// One bar of the summary at `y`: the share of `marks` (study index,
/// judgement) at each judgement, weighted. Its text for the description.
fn bar(
    s: &mut String,
    r: &Rob,
    name_: &str,
    marks: &[(usize, Judgement)],
    weights: &[f64],
    y: f64,
    x0: f64,
) -> String {
    const BAR_W: f64 = 360.0;
    s.push_str(&format!(
        "<text x=\"0\" y=\"{:.1}\">{}</text>\n",
        y + 16.0,
        esc(name_)
    ));
    let total: f64 = marks.iter().map(|(k, _)| weights[*k]).sum();
    let mut x = x0;
    let mut shares = Vec::new();
    for (j, jn) in &r.scale {
        let share = marks
            .iter()
            .filter(|(_, m)| m == j)
            .map(|(k, _)| weights[*k])
            .sum::<f64>()
            / total.max(1e-300);
        if share <= 0.0 {
            continue;
        }
        let bw = share * BAR_W;
        s.push_str(&format!(
            "<rect class=\"{}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bw:.1}\" height=\"20\" fill=\"{}\"><title>{}: {} {:.0}%</title></rect>\n",
            j.class(),
            colour(r.scheme, *j),
            esc(name_),
            esc(jn),
            share * 100.0
        ));
        if bw > 16.0 {
            s.push_str(&format!(
                "<text class=\"rob-symbol {}\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-weight=\"bold\" fill=\"{}\" aria-hidden=\"true\">{}</text>\n",
                j.ink().0,
                x + bw / 2.0,
                y + 14.5,
                j.ink().1,
                j.symbol()
            ));
        }
        shares.push(format!("{} {:.0}%", jn.to_lowercase(), share * 100.0));
        x += bw;
    }
    format!("{name_}: {}.", shares.join(", "))
}

/// The summary plot (per domain, the share of studies at each
/// judgement) and its text alternative.
pub fn summary(r: &Rob, id: &str) -> (String, String) {
    let overall = r.studies.iter().any(|(_, _, o)| o.is_some());
    let mut rows: Vec<(String, Vec<(usize, Judgement)>)> = r
        .domains
        .iter()
        .enumerate()
        .map(|(d, n)| {
            let marks = r
                .studies
                .iter()
                .enumerate()
                .filter_map(|(k, st)| Some((k, *st.1.get(d)?)))
                .collect();
            (n.clone(), marks)
        })
        .collect();
    if overall {
        let marks = r
            .studies
            .iter()
            .enumerate()
            .filter_map(|(k, st)| Some((k, st.2?)))
            .collect();
        rows.push(("Overall".into(), marks));
    }
    let weights: Vec<f64> = r
        .weights
        .clone()
        .unwrap_or_else(|| vec![1.0; r.studies.len()]);
    let label_w = rows
        .iter()
        .map(|(n, _)| n.chars().count() as f64 * CHAR)
        .fold(40.0, f64::max)
        + 12.0;
    let row_h = 26.0;
    let w = (label_w + 368.0).ceil();
    let h = (rows.len() as f64 * row_h + 64.0).ceil();
    let mut parts = vec![format!(
        "Risk of bias ({}), share of {} in each domain{}.",
        r.tool,
        if r.weights.is_some() {
            "the weight of the studies"
        } else {
            "studies"
        },
        if overall { " and overall" } else { "" }
    )];
    let mut s = String::new();
    for (i, (n, marks)) in rows.iter().enumerate() {
        parts.push(bar(
            &mut s,
            r,
            n,
            marks,
            &weights,
            i as f64 * row_h + 4.0,
            label_w,
        ));
    }
    let axis_y = rows.len() as f64 * row_h + 8.0;
    for k in 0..=4 {
        let x = label_w + 360.0 * k as f64 / 4.0;
        s.push_str(&format!(
            "<line class=\"rob-axis\" x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#6b7785\" stroke-width=\"1\"/>\n<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\">{}%</text>\n",
            axis_y - 4.0,
            axis_y + 2.0,
            axis_y + 14.0,
            k * 25
        ));
    }
    legend(&mut s, r, 0.0, axis_y + 36.0);
    let desc = parts.join(" ");
    let mut out = svg_open(
        id,
        "rob-summary",
        w,
        h,
        &format!("Risk of bias ({}), summary", r.tool),
        &desc,
    );
    out.push_str(&s);
    out.push_str("</svg>\n");
    (out, desc)
}

/// Every study's judgements as text.
fn describe(r: &Rob) -> String {
    let mut parts = vec![format!(
        "Risk of bias ({}) of {} studies in {} domains: {}.",
        r.tool,
        r.studies.len(),
        r.domains.len(),
        r.domains
            .iter()
            .enumerate()
            .map(|(i, d)| format!("D{} {d}", i + 1))
            .collect::<Vec<_>>()
            .join("; ")
    )];
    for (label, marks, o) in &r.studies {
        let mut p = format!(
            "{label}: {}",
            marks
                .iter()
                .enumerate()
                .map(|(i, j)| format!("D{} {}", i + 1, name(r, *j).to_lowercase()))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if let Some(o) = o {
            p.push_str(&format!(", overall {}", name(r, *o).to_lowercase()));
        }
        parts.push(format!("{p}."));
    }
    parts.join(" ")
}
