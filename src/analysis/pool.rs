//! Pooling, as metafor's `rma` does it for a model without moderators:
//! the equal-effects (fixed) model, or a random-effects model with τ² by
//! DL, HE, SJ, PM, ML or REML; Wald-type z tests or Hartung–Knapp–Sidik–
//! Jonkman t tests; Q, I², H² and the prediction interval.

use statrs::distribution::{ChiSquared, ContinuousCDF, Normal, StudentsT};

use super::{Method, Test};

/// A pooled estimate on the scale of the effect sizes (log for ratios).
#[derive(Debug, Clone, PartialEq)]
pub struct Pooled {
    pub k: usize,
    pub estimate: f64,
    pub se: f64,
    /// z, or t for the Knapp–Hartung test.
    pub stat: f64,
    pub p: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub tau2: f64,
    pub i2: f64,
    pub h2: f64,
    pub q: f64,
    pub q_df: usize,
    pub q_p: f64,
    pub pi_low: f64,
    pub pi_high: f64,
    /// Each study's weight, in percent.
    pub weights: Vec<f64>,
    /// Iterations of an iterative τ² estimator (0 for the others).
    pub iterations: usize,
}

/// Convergence of the iterative estimators: tighter than metafor's
/// default, so that the result is the root, not an approximation to it.
const THRESHOLD: f64 = 1e-12;
const MAX_ITER: usize = 1000;

fn weighted_mean(y: &[f64], w: &[f64]) -> f64 {
    let sw: f64 = w.iter().sum();
    y.iter().zip(w).map(|(y, w)| y * w).sum::<f64>() / sw
}

/// Σ w (y − ȳ_w)²: the generalised Q.
fn q_at(y: &[f64], v: &[f64], tau2: f64) -> f64 {
    let w: Vec<f64> = v.iter().map(|v| 1.0 / (v + tau2)).collect();
    let mu = weighted_mean(y, &w);
    y.iter().zip(&w).map(|(y, w)| w * (y - mu).powi(2)).sum()
}

/// τ² of the random-effects model.
fn tau2(y: &[f64], v: &[f64], method: Method) -> Result<(f64, usize), String> {
    let k = y.len() as f64;
    let w: Vec<f64> = v.iter().map(|v| 1.0 / v).collect();
    let sw: f64 = w.iter().sum();
    let sw2: f64 = w.iter().map(|w| w * w).sum();
    let ybar = y.iter().sum::<f64>() / k;
    let ss: f64 = y.iter().map(|y| (y - ybar).powi(2)).sum();
    let he = (ss / (k - 1.0) - v.iter().sum::<f64>() / k).max(0.0);
    Ok(match method {
        Method::Fixed => (0.0, 0),
        Method::DL => (
            ((q_at(y, v, 0.0) - (k - 1.0)) / (sw - sw2 / sw)).max(0.0),
            0,
        ),
        Method::HE => (he, 0),
        Method::SJ => {
            // Identical effect sizes: no variance between them.
            let t0 = ss / k;
            if t0 <= 0.0 {
                (0.0, 0)
            } else {
                (t0 * q_at(y, v, t0) / (k - 1.0), 0)
            }
        }
        Method::PM => {
            // The τ² at which the generalised Q equals its expectation,
            // k − 1 (Q falls as τ² grows), by bisection.
            if q_at(y, v, 0.0) <= k - 1.0 {
                (0.0, 0)
            } else {
                let mut hi = he.max(1e-8);
                while q_at(y, v, hi) > k - 1.0 {
                    hi *= 2.0;
                    if !hi.is_finite() {
                        return Err("Paule–Mandel's τ² did not converge".into());
                    }
                }
                let mut lo = 0.0;
                let mut n = 0;
                while hi - lo > THRESHOLD * hi.max(1e-300) && n < MAX_ITER {
                    let mid = 0.5 * (lo + hi);
                    if q_at(y, v, mid) > k - 1.0 {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                    n += 1;
                }
                (0.5 * (lo + hi), n)
            }
        }
        Method::ML | Method::REML => fisher_scoring(y, v, he, method)?,
    })
}

/// ML and REML by Fisher scoring from the HE estimate, with metafor's
/// step halving at zero.
fn fisher_scoring(
    y: &[f64],
    v: &[f64],
    start: f64,
    method: Method,
) -> Result<(f64, usize), String> {
    let mut t = start;
    for iter in 1..=MAX_ITER {
        let w: Vec<f64> = v.iter().map(|v| 1.0 / (v + t)).collect();
        let sw: f64 = w.iter().sum();
        let sw2: f64 = w.iter().map(|w| w * w).sum();
        let sw3: f64 = w.iter().map(|w| w * w * w).sum();
        let mu = weighted_mean(y, &w);
        // Y'PPY, with PY = W(Y − μ).
        let ypy: f64 = y.iter().zip(&w).map(|(y, w)| (w * (y - mu)).powi(2)).sum();
        let mut adj = if method == Method::REML {
            let tr_p = sw - sw2 / sw;
            let tr_pp = sw2 - 2.0 * sw3 / sw + (sw2 / sw).powi(2);
            (ypy - tr_p) / tr_pp
        } else {
            (ypy - sw) / sw2
        };
        while t + adj < 0.0 {
            adj /= 2.0;
        }
        let next = t + adj;
        if !next.is_finite() {
            break;
        }
        let change = (next - t).abs();
        t = next;
        if change <= THRESHOLD * t.max(1e-10) {
            return Ok((t, iter));
        }
    }
    Err(format!(
        "the {} estimate of τ² did not converge in {MAX_ITER} iterations",
        if method == Method::REML { "REML" } else { "ML" }
    ))
}

/// Pool effect sizes `y` with sampling variances `v`.
pub fn pool(
    y: &[f64],
    v: &[f64],
    method: Method,
    test: Test,
    level: f64,
) -> Result<Pooled, String> {
    let k = y.len();
    if k == 0 {
        return Err("no study to pool".into());
    }
    if k < 2 && method != Method::Fixed {
        return Err("a random-effects model needs at least two studies".into());
    }
    if level.is_nan() || level <= 0.0 || level >= 1.0 {
        return Err(format!("level must be between 0 and 1, not {level}"));
    }
    let (tau2, iterations) = if k < 2 { (0.0, 0) } else { tau2(y, v, method)? };
    let w: Vec<f64> = v.iter().map(|v| 1.0 / (v + tau2)).collect();
    let sw: f64 = w.iter().sum();
    let estimate = weighted_mean(y, &w);
    let mut se = (1.0 / sw).sqrt();
    let df = k.saturating_sub(1);
    let alpha = 1.0 - level;
    let normal = Normal::standard();
    let (stat, p, crit) = match test {
        Test::Z => {
            let z = estimate / se;
            (
                z,
                2.0 * normal.sf(z.abs()),
                normal.inverse_cdf(1.0 - alpha / 2.0),
            )
        }
        Test::Knha => {
            if df == 0 {
                return Err("the Knapp–Hartung test needs at least two studies".into());
            }
            let s2 = y
                .iter()
                .zip(&w)
                .map(|(y, w)| w * (y - estimate).powi(2))
                .sum::<f64>()
                / df as f64;
            se *= s2.sqrt();
            let t = StudentsT::new(0.0, 1.0, df as f64).map_err(|e| e.to_string())?;
            let stat = estimate / se;
            (
                stat,
                2.0 * t.sf(stat.abs()),
                t.inverse_cdf(1.0 - alpha / 2.0),
            )
        }
    };
    let q = q_at(y, v, 0.0);
    let q_p = if df > 0 {
        ChiSquared::new(df as f64).map_err(|e| e.to_string())?.sf(q)
    } else {
        1.0
    };
    // I² and H²: from Q for the fixed model, from τ² and the typical
    // sampling variance for a random one (as metafor).
    let (i2, h2) = if df == 0 {
        (0.0, 1.0)
    } else if method == Method::Fixed {
        ((100.0 * (q - df as f64) / q).max(0.0), q / df as f64)
    } else {
        let w0: Vec<f64> = v.iter().map(|v| 1.0 / v).collect();
        let s1: f64 = w0.iter().sum();
        let s2: f64 = w0.iter().map(|w| w * w).sum();
        let vt = df as f64 * s1 / (s1 * s1 - s2);
        (100.0 * tau2 / (vt + tau2), (vt + tau2) / vt)
    };
    let pi_se = (se * se + tau2).sqrt();
    Ok(Pooled {
        k,
        estimate,
        se,
        stat,
        p,
        ci_low: estimate - crit * se,
        ci_high: estimate + crit * se,
        tau2,
        i2,
        h2,
        q,
        q_df: df,
        q_p,
        pi_low: estimate - crit * pi_se,
        pi_high: estimate + crit * pi_se,
        weights: w.iter().map(|w| 100.0 * w / sw).collect(),
        iterations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_effects_have_no_heterogeneity() {
        // Sidik–Jonkman's start is 0 then (found by review): τ² = 0, not
        // an error.
        for m in [
            Method::SJ,
            Method::DL,
            Method::HE,
            Method::PM,
            Method::ML,
            Method::REML,
        ] {
            let p = pool(&[0.5, 0.5, 0.5], &[0.1, 0.2, 0.3], m, Test::Z, 0.95).unwrap();
            assert_eq!(p.tau2, 0.0, "{m:?}");
            assert!((p.estimate - 0.5).abs() < 1e-12);
        }
    }
}
