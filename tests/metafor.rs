//! galley's meta-analyses against metafor itself: `tests/metafor/
//! reference.R` runs metafor (Debian's r-cran-metafor, which `tests/provision.sh`
//! installs) on published datasets from metadat, for every measure, τ²
//! estimator and test, and prints its effect sizes and pooled results;
//! galley computes the same from the same data, and every number must
//! agree to 1e-6 relative (metafor converges with a threshold of 1e-12
//! here, so the iterative estimators are held to it too).

use std::path::Path;
use std::process::Command;

use galley::analysis::{effect, pool, Measure, Method, StudyData, Test};

struct Case {
    name: String,
    measure: Measure,
    method: Method,
    test: Test,
    studies: Vec<Vec<Option<f64>>>,
    es: Vec<(Option<f64>, Option<f64>)>,
    rma: Vec<f64>,
}

fn num(s: &str) -> Option<f64> {
    if s == "NA" {
        None
    } else {
        Some(s.parse().unwrap_or_else(|_| panic!("not a number: {s}")))
    }
}

fn reference() -> Vec<Case> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/metafor/reference.R");
    let out = Command::new("Rscript")
        .arg(&script)
        .output()
        .expect("Rscript is not installed: `apt-get install r-cran-metafor r-cran-metadat` (as tests/provision.sh does)");
    assert!(
        out.status.success(),
        "metafor failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut cases: Vec<Case> = Vec::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let Some(tag) = words.next() else { continue };
        let rest: Vec<&str> = words.collect();
        match tag {
            "case" => cases.push(Case {
                name: rest[0].to_string(),
                measure: serde_yaml::from_str(rest[1]).unwrap(),
                method: match rest[2] {
                    "FE" => Method::Fixed,
                    "DL" => Method::DL,
                    "HE" => Method::HE,
                    "SJ" => Method::SJ,
                    "PM" => Method::PM,
                    "ML" => Method::ML,
                    "REML" => Method::REML,
                    m => panic!("method {m}"),
                },
                test: serde_yaml::from_str(rest[3]).unwrap(),
                studies: Vec::new(),
                es: Vec::new(),
                rma: Vec::new(),
            }),
            "study" => cases
                .last_mut()
                .unwrap()
                .studies
                .push(rest.iter().map(|s| num(s)).collect()),
            "es" => cases
                .last_mut()
                .unwrap()
                .es
                .push((num(rest[0]), num(rest[1]))),
            "rma" => cases.last_mut().unwrap().rma = rest.iter().map(|s| num(s).unwrap()).collect(),
            _ => panic!("unexpected line {line}"),
        }
    }
    cases
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()) + 1e-12
}

fn data(measure: Measure, s: &[Option<f64>]) -> Option<StudyData> {
    let v: Vec<f64> = s.iter().copied().collect::<Option<_>>()?;
    StudyData::from_values(measure, &v)
}

#[test]
fn galley_pools_as_metafor_does() {
    let cases = reference();
    assert!(cases.len() >= 200, "{} cases", cases.len());
    let mut problems = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for c in &cases {
        names.insert(c.name.clone());
        let label = format!("{} {:?} {:?} {:?}", c.name, c.measure, c.method, c.test);
        let (mut y, mut v) = (Vec::new(), Vec::new());
        for (i, s) in c.studies.iter().enumerate() {
            // A study with a missing value is left out, as metafor does.
            let Some(d) = data(c.measure, s) else {
                assert!(
                    c.es[i].0.is_none() || c.es[i].1.is_none(),
                    "{label}: study {i} has data"
                );
                continue;
            };
            let (yi, vi) =
                effect(c.measure, d).unwrap_or_else(|e| panic!("{label}: study {i}: {e}"));
            let (ryi, rvi) = (c.es[i].0.unwrap(), c.es[i].1.unwrap());
            if !close(yi, ryi, 1e-9) || !close(vi, rvi, 1e-9) {
                problems.push(format!(
                    "{label}: study {i}: ({yi}, {vi}) vs metafor ({ryi}, {rvi})"
                ));
            }
            y.push(yi);
            v.push(vi);
        }
        let p = pool(&y, &v, c.method, c.test, 0.95).unwrap_or_else(|e| panic!("{label}: {e}"));
        let ours = [
            p.estimate, p.se, p.stat, p.p, p.ci_low, p.ci_high, p.tau2, p.i2, p.h2, p.q, p.q_p,
            p.pi_low, p.pi_high, p.k as f64,
        ];
        let what = [
            "estimate", "se", "stat", "p", "ci_low", "ci_high", "tau2", "i2", "h2", "q", "q_p",
            "pi_low", "pi_high", "k",
        ];
        for ((o, r), w) in ours.iter().zip(&c.rma).zip(what) {
            if !close(*o, *r, 1e-6) {
                problems.push(format!("{label}: {w} {o} vs metafor {r}"));
            }
        }
    }
    eprintln!(
        "metafor: {} cases on {} datasets agree",
        cases.len(),
        names.len()
    );
    assert!(
        problems.is_empty(),
        "{} differences:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
