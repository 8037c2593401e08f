//! Effect sizes and their sampling variances, as metafor's `escalc`
//! computes them (its defaults: `add=1/2, to="only0", drop00=FALSE`,
//! `vtype="LS"`).

use super::Measure;

/// One study's data, as the analysis's columns give it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StudyData {
    /// Events and totals per arm.
    Binary { ai: f64, n1: f64, ci: f64, n2: f64 },
    /// Mean, standard deviation and size per arm.
    Continuous {
        m1: f64,
        sd1: f64,
        n1: f64,
        m2: f64,
        sd2: f64,
        n2: f64,
    },
    /// An effect size and its sampling variance.
    Generic { yi: f64, vi: f64 },
}

impl StudyData {
    /// A study's data from its numbers in [`StudyData`]'s order for the
    /// measure: ai, n1, ci, n2 (binary); m1, sd1, n1, m2, sd2, n2
    /// (continuous); yi, vi (GEN). None if there are too few.
    pub fn from_values(measure: Measure, v: &[f64]) -> Option<StudyData> {
        Some(match measure {
            Measure::OR | Measure::RR | Measure::RD => {
                let [ai, n1, ci, n2] = v.get(..4)?.try_into().ok()?;
                StudyData::Binary { ai, n1, ci, n2 }
            }
            Measure::MD | Measure::SMD => {
                let [m1, sd1, n1, m2, sd2, n2] = v.get(..6)?.try_into().ok()?;
                StudyData::Continuous {
                    m1,
                    sd1,
                    n1,
                    m2,
                    sd2,
                    n2,
                }
            }
            Measure::GEN => {
                let [yi, vi] = v.get(..2)?.try_into().ok()?;
                StudyData::Generic { yi, vi }
            }
        })
    }
}

/// The effect size `yi` and sampling variance `vi` of a study, or what is
/// wrong with its data (the message completes "the study's ...").
pub fn effect(measure: Measure, data: StudyData) -> Result<(f64, f64), String> {
    match (measure, data) {
        (Measure::OR | Measure::RR | Measure::RD, StudyData::Binary { ai, n1, ci, n2 }) => {
            binary(measure, ai, n1, ci, n2)
        }
        (
            Measure::MD | Measure::SMD,
            StudyData::Continuous {
                m1,
                sd1,
                n1,
                m2,
                sd2,
                n2,
            },
        ) => continuous(measure, m1, sd1, n1, m2, sd2, n2),
        (Measure::GEN, StudyData::Generic { yi, vi }) => {
            if !yi.is_finite() {
                return Err(format!("the effect size must be a finite number, not {yi}"));
            }
            if !positive(vi) {
                return Err(format!("the sampling variance must be positive, not {vi}"));
            }
            Ok((yi, vi))
        }
        _ => Err("data do not fit the measure".into()),
    }
}

fn binary(measure: Measure, ai: f64, n1: f64, ci: f64, n2: f64) -> Result<(f64, f64), String> {
    for (what, v) in [("events", ai), ("events", ci), ("total", n1), ("total", n2)] {
        if !v.is_finite() {
            return Err(format!("{what} must be a number of participants, not {v}"));
        }
        if v < 0.0 {
            return Err(format!("{what} must not be negative, not {v}"));
        }
    }
    if ai > n1 || ci > n2 {
        return Err(format!(
            "events exceed the total ({} of {})",
            if ai > n1 { ai } else { ci },
            if ai > n1 { n1 } else { n2 }
        ));
    }
    if n1 == 0.0 || n2 == 0.0 {
        return Err("an arm has no participants".into());
    }
    let (mut a, mut b, mut c, mut d) = (ai, n1 - ai, ci, n2 - ci);
    // metafor's to="only0": 1/2 added to every cell of a study with a
    // zero cell (double-zero studies kept, drop00=FALSE).
    if [a, b, c, d].contains(&0.0) {
        a += 0.5;
        b += 0.5;
        c += 0.5;
        d += 0.5;
    }
    let (n1, n2) = (a + b, c + d);
    Ok(match measure {
        Measure::OR => (
            (a * d / (b * c)).ln(),
            1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d,
        ),
        Measure::RR => (
            ((a / n1) / (c / n2)).ln(),
            1.0 / a - 1.0 / n1 + 1.0 / c - 1.0 / n2,
        ),
        _ => {
            let (p1, p2) = (a / n1, c / n2);
            (p1 - p2, p1 * (1.0 - p1) / n1 + p2 * (1.0 - p2) / n2)
        }
    })
}

fn continuous(
    measure: Measure,
    m1: f64,
    sd1: f64,
    n1: f64,
    m2: f64,
    sd2: f64,
    n2: f64,
) -> Result<(f64, f64), String> {
    if !positive(sd1) || !positive(sd2) {
        return Err(format!(
            "standard deviation must be positive, not {}",
            if positive(sd1) { sd2 } else { sd1 }
        ));
    }
    if !positive(n1) || !positive(n2) || n1 < 1.0 || n2 < 1.0 {
        return Err("an arm has no participants".into());
    }
    if !m1.is_finite() || !m2.is_finite() {
        return Err(format!(
            "mean must be a finite number, not {}",
            if m1.is_finite() { m2 } else { m1 }
        ));
    }
    if measure == Measure::MD {
        return Ok((m1 - m2, sd1 * sd1 / n1 + sd2 * sd2 / n2));
    }
    // Hedges' g: Cohen's d with the pooled SD, times the exact correction
    // for small samples; its large-sample variance.
    let df = n1 + n2 - 2.0;
    if df < 2.0 {
        return Err("an SMD needs more than two participants in all".into());
    }
    let sdp = (((n1 - 1.0) * sd1 * sd1 + (n2 - 1.0) * sd2 * sd2) / df).sqrt();
    let cm = (ln_gamma(df / 2.0) - (df / 2.0).sqrt().ln() - ln_gamma((df - 1.0) / 2.0)).exp();
    let g = cm * (m1 - m2) / sdp;
    Ok((g, 1.0 / n1 + 1.0 / n2 + g * g / (2.0 * (n1 + n2))))
}

fn ln_gamma(x: f64) -> f64 {
    statrs::function::gamma::ln_gamma(x)
}

/// A finite number above zero (NaN is not).
fn positive(x: f64) -> bool {
    x > 0.0 && x.is_finite()
}
