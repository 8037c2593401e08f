//! Meta-analysis, computed from the data: effect sizes as metafor's
//! `escalc` computes them ([`effects`]) and pooled as its `rma` pools them
//! ([`pool`]). `tests/metafor.rs` compares both with metafor itself.

pub mod effects;
pub mod pool;

use serde::Deserialize;

pub use effects::{effect, StudyData};
pub use pool::{pool, Pooled};

/// The effect measure (`measure:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Measure {
    /// Log odds ratio.
    OR,
    /// Log risk ratio.
    RR,
    /// Risk difference.
    RD,
    /// Mean difference.
    MD,
    /// Standardised mean difference (Hedges' g).
    SMD,
    /// Effect sizes given with their variances or standard errors.
    GEN,
}

impl Measure {
    /// Whether effects are pooled as logarithms and reported as ratios.
    pub fn is_ratio(self) -> bool {
        matches!(self, Measure::OR | Measure::RR)
    }

    /// Binary measures take events and totals per arm.
    pub fn is_binary(self) -> bool {
        matches!(self, Measure::OR | Measure::RR | Measure::RD)
    }

    /// The value of no effect, on the reported scale.
    pub fn null(self) -> f64 {
        if self.is_ratio() {
            1.0
        } else {
            0.0
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Measure::OR => "Odds ratio",
            Measure::RR => "Risk ratio",
            Measure::RD => "Risk difference",
            Measure::MD => "Mean difference",
            Measure::SMD => "Standardised mean difference",
            Measure::GEN => "Effect size",
        }
    }
}

/// The model and, for a random-effects one, its τ² estimator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The equal-effects ("fixed") model.
    Fixed,
    DL,
    HE,
    SJ,
    PM,
    ML,
    REML,
}

/// The test of the pooled estimate (`test:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Test {
    /// Wald-type, normal.
    #[default]
    Z,
    /// Hartung–Knapp–Sidik–Jonkman, t with k − 1 degrees of freedom.
    Knha,
}

/// The two-sided normal quantile of a confidence level (1.96 for 0.95).
pub fn z_crit(level: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    Normal::standard().inverse_cdf(1.0 - (1.0 - level) / 2.0)
}
