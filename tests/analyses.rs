//! Analyses (manuscript/analyses/*.yaml) as a user writes them: the
//! pooled numbers in the prose, and every bad input an error at its line.
//! The numbers themselves are checked against metafor in tests/metafor.rs;
//! those quoted here are metafor's for the same data (rma, REML).

mod common;
use common::*;

/// The BCG vaccine trials (Colditz et al., 1994; metafor's dat.bcg).
const BCG: &str = "trial,year,alloc,tpos,tn,cpos,cn
Aronson,1948,random,4,123,11,139
Ferguson & Simes,1949,random,6,306,29,303
Rosenthal et al,1960,random,3,231,11,220
Hart & Sutherland,1977,random,62,13598,248,12867
Frimodt-Moller et al,1973,alternate,33,5069,47,5808
Stein & Aronson,1953,alternate,180,1541,372,1451
Vandiviere et al,1973,random,8,2545,10,629
TPT Madras,1980,random,505,88391,499,88391
Coetzee & Berjak,1968,random,29,7499,45,7277
Rosenthal et al,1961,systematic,17,1716,65,1665
Comstock et al,1974,systematic,186,50634,141,27338
Comstock & Webster,1969,systematic,5,2498,3,2341
Comstock et al,1976,systematic,27,16913,29,17854
";

const SPEC: &str = "id: ana-bcg
data: bcg
label: \"{{ row.trial }} {{ row.year }}\"
measure: RR
treatment: {events: tpos, total: tn}
control: {events: cpos, total: cn}
model: random
tau2: REML
subgroup: \"{{ row.alloc }}\"
";

fn bcg_project(spec: &str, section: &str) -> tempfile::TempDir {
    project(&[
        (
            "manuscript/manuscript.yaml",
            &manifest("", &["sections/a.md"]),
        ),
        ("manuscript/sections/a.md", section),
        ("manuscript/data/bcg.csv", BCG),
        ("manuscript/analyses/bcg.yaml", spec),
    ])
}

#[test]
fn the_prose_reads_the_pooled_numbers() {
    let p = bcg_project(
        SPEC,
        "# Results\n\nRR {{ analyses.bcg.estimate | fixed(n=4) }} ({{ analyses.bcg.ci_low | fixed(n=4) }} to {{ analyses.bcg.ci_high | fixed(n=4) }}); PI {{ analyses.bcg.pi_low | fixed(n=4) }} to {{ analyses.bcg.pi_high | fixed(n=4) }}; tau2 {{ analyses.bcg.tau2 | fixed(n=4) }}; I2 {{ analyses.bcg.i2 | fixed(n=2) }}%; Q {{ analyses.bcg.q | fixed(n=2) }} on {{ analyses.bcg.q_df }} df; k {{ analyses.bcg.k }}; first {{ analyses.bcg.studies.0.label }} weighing {{ analyses.bcg.studies.0.weight | fixed(n=2) }}%; {{ analyses.bcg.subgroups | length }} subgroups.\n",
    );
    let r = galley(&["build", "--html"], p.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    let html = std::fs::read_to_string(p.path().join("public/index.html")).unwrap();
    // metafor 3.8: predict(rma(measure="RR", ...), transf=exp), rma$tau2,
    // $I2, $QE, weights().
    assert!(
        html.contains("RR 0.4894 (0.3441 to 0.6962); PI 0.1546 to 1.5490; tau2 0.3132; I2 92.22%; Q 152.23 on 12 df; k 13; first Aronson 1948 weighing 5.06%; 3 subgroups."),
        "{}",
        text_of(&html)
    );
}

#[test]
fn a_missing_value_leaves_its_study_out_with_a_warning() {
    let data = BCG.replace("Aronson,1948,random,4,123", "Aronson,1948,random,,123");
    let p = project(&[
        ("manuscript/manuscript.yaml", &manifest("", &["sections/a.md"])),
        ("manuscript/sections/a.md", "# R\n\nk = {{ analyses.bcg.k }}, left out: {{ analyses.bcg.omitted | join(sep=\", \") }}.\n"),
        ("manuscript/data/bcg.csv", &data),
        ("manuscript/analyses/bcg.yaml", SPEC),
    ]);
    let r = galley(&["build", "--html"], p.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stderr.contains("warning: manuscript/analyses/bcg.yaml:2:1: study `Aronson 1948` (row 1) has no value in `tpos`"), "{}", r.stderr);
    let html = std::fs::read_to_string(p.path().join("public/index.html")).unwrap();
    assert!(
        html.contains("k = 12, left out: Aronson 1948."),
        "{}",
        text_of(&html)
    );
}

#[test]
fn bad_analyses_are_errors_at_their_line() {
    let cases: &[(&str, String, &str)] = &[
        (
            "unknown column",
            SPEC.replace("events: tpos", "events: tpso"),
            "manuscript/analyses/bcg.yaml:5:21: unknown column `tpso` in data `bcg`",
        ),
        (
            "a measure that does not match the arms",
            SPEC.replace("measure: RR", "measure: MD"),
            "manuscript/analyses/bcg.yaml:5:13: `events` is not a field of `treatment` for measure MD",
        ),
        (
            "an unknown measure",
            SPEC.replace("measure: RR", "measure: HR"),
            "manuscript/analyses/bcg.yaml:4:10: invalid YAML: measure: unknown variant `HR`, expected one of `OR`, `RR`, `RD`, `MD`, `SMD`, `GEN`",
        ),
        (
            "an unknown tau2 estimator",
            SPEC.replace("tau2: REML", "tau2: EB"),
            "unknown variant `EB`, expected one of `DL`, `REML`, `PM`, `ML`, `HE`, `SJ`",
        ),
        (
            "an unknown data file",
            SPEC.replace("data: bcg", "data: bgc"),
            "manuscript/analyses/bcg.yaml:2:1: analysis `bcg` reads data `bgc`, which manuscript/data/ does not hold",
        ),
    ];
    for (what, spec, want) in cases {
        let p = bcg_project(spec, "# R\n\nText.\n");
        let r = galley(&["build", "--html"], p.path());
        assert_ne!(r.status, 0, "{what}: built");
        assert!(r.stderr.contains(want), "{what}:\n{}", r.stderr);
        assert!(!p.path().join("public").exists(), "{what}: wrote output");
    }
    // Data that cannot be: more events than participants, a negative
    // count, a zero SD.
    for (what, data, want) in [
        (
            "events > total",
            BCG.replace("4,123,11,139", "400,123,11,139"),
            "study `Aronson 1948` (row 1): events exceed the total (400 of 123)",
        ),
        (
            "negative count",
            BCG.replace("4,123,11,139", "-4,123,11,139"),
            "study `Aronson 1948` (row 1): events must not be negative, not -4",
        ),
    ] {
        let p = project(&[
            (
                "manuscript/manuscript.yaml",
                &manifest("", &["sections/a.md"]),
            ),
            ("manuscript/sections/a.md", "# R\n\nText.\n"),
            ("manuscript/data/bcg.csv", &data),
            ("manuscript/analyses/bcg.yaml", SPEC),
        ]);
        let r = galley(&["build", "--html"], p.path());
        assert_ne!(r.status, 0, "{what}: built");
        assert!(r.stderr.contains(want), "{what}:\n{}", r.stderr);
    }
    let p = project(&[
        ("manuscript/manuscript.yaml", &manifest("", &["sections/a.md"])),
        ("manuscript/sections/a.md", "# R\n\nText.\n"),
        ("manuscript/data/cont.csv", "s,m1,sd1,n1,m2,sd2,n2\nA,5,0,20,4,1,20\nB,5,1,20,4,1,20\n"),
        ("manuscript/analyses/cont.yaml", "data: cont\nmeasure: SMD\ntreatment: {mean: m1, sd: sd1, n: n1}\ncontrol: {mean: m2, sd: sd2, n: n2}\n"),
    ]);
    let r = galley(&["build", "--html"], p.path());
    assert_ne!(r.status, 0);
    assert!(
        r.stderr
            .contains("study `Study 1` (row 1): standard deviation must be positive, not 0"),
        "{}",
        r.stderr
    );
    // One study pools nothing, and says so.
    let p = project(&[
        ("manuscript/manuscript.yaml", &manifest("", &["sections/a.md"])),
        ("manuscript/sections/a.md", "# R\n\nk = {{ analyses.cont.k }}.\n"),
        ("manuscript/data/cont.csv", "s,m1,sd1,n1,m2,sd2,n2\nA,5,1,20,4,1,20\n"),
        ("manuscript/analyses/cont.yaml", "data: cont\nmeasure: MD\ntreatment: {mean: m1, sd: sd1, n: n1}\ncontrol: {mean: m2, sd: sd2, n: n2}\n"),
    ]);
    let r = galley(&["build", "--html"], p.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("analysis `cont` has one study: nothing is pooled"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_forest_plot_draws_the_analysis() {
    let spec = format!("{SPEC}favours: {{left: vaccine, right: control}}\n");
    let p = bcg_project(
        &spec,
        "# Results\n\nSee @fig-forest.\n\n{{ figure(id=\"fig-forest\", kind=\"forest\", analysis=\"bcg\", caption=\"BCG vaccine and tuberculosis.\") }}\n",
    );
    let r = galley(&["build"], p.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    let html = std::fs::read_to_string(p.path().join("public/index.html")).unwrap();
    let svg = between(
        &html,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"forest\"",
        "</svg>",
    )
    .unwrap_or_else(|| panic!("no forest plot in {html}"));
    // Every study, its data and interval; the subgroups' and the total
    // diamonds; heterogeneity and tests as metafor gives them.
    for want in [
        ">Aronson 1948</text>",
        ">4/123</text>",
        ">11/139</text>",
        ">0.41 [0.13, 1.26]</text>",
        ">random</text>",
        ">Subtotal (95% CI)</text>",
        ">Total (95% CI)</text>",
        ">0.49 [0.34, 0.70]</text>",
        ">100.0%</text>",
        "Heterogeneity: τ² = 0.31; I² = 92%; Q = 152.23, df = 12 (p &lt; 0.001)",
        "Test for overall effect: z = −3.97 (p &lt; 0.001)",
        "Test for subgroup differences: Q = ",
        ">Favours vaccine</text>",
        "class=\"forest-diamond\"",
    ] {
        assert!(svg.contains(want), "missing {want:?}");
    }
    // Thirteen squares, four diamonds (three subgroups and the total).
    assert_eq!(svg.matches("class=\"forest-square\"").count(), 13);
    assert_eq!(svg.matches("class=\"forest-diamond\"").count(), 4);
    // The text alternative carries the numbers too.
    assert!(
        svg.contains("<desc id=\"fig-forest-desc\">Forest plot of the risk ratio"),
        "{svg}"
    );
    assert!(svg.contains(
        "Aronson 1948, Treatment 4/123, Control 11/139, weight 5.1%, risk ratio 0.41 [0.13, 1.26]."
    ));
    assert!(p.path().join("public/figures/fig-forest.svg").is_file());
    // And as a table, for readers who cannot see the plot.
    let data = between(&html, "<details class=\"figure-data\">", "</details>")
        .expect("no table of the plot");
    assert!(data.contains("<tr><td>Aronson 1948</td><td class=\"align-right\">4/123</td><td class=\"align-right\">11/139</td><td class=\"align-right\">5.1%</td><td class=\"align-right\">0.41 [0.13, 1.26]</td></tr>"), "{data}");
    assert!(data.contains("<th colspan=\"5\" scope=\"rowgroup\">random</th>"));
    assert!(data.contains("Heterogeneity: τ² = 0.31"));
    // The same SVG in the PDF, which stays PDF/UA.
    let pdf = std::fs::read_dir(p.path().join("public"))
        .unwrap()
        .flatten()
        .find(|e| e.path().extension().is_some_and(|x| x == "pdf"))
        .unwrap()
        .path();
    let text = std::process::Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Figure 1"), "{text}");
    // The page validates (the W3C Nu checker, as the browser tests run it).
    let jar = repo().join("tests/browser/node_modules/vnu-jar/build/dist/vnu.jar");
    if jar.is_file() {
        let v = std::process::Command::new("java")
            .args([
                "-jar",
                jar.to_str().unwrap(),
                "--errors-only",
                "--format",
                "text",
            ])
            .arg(p.path().join("public/index.html"))
            .output()
            .unwrap();
        assert!(
            v.status.success(),
            "Nu checker: {}{}",
            String::from_utf8_lossy(&v.stdout),
            String::from_utf8_lossy(&v.stderr)
        );
    } else {
        panic!("the Nu checker is not installed: `npm ci --ignore-scripts --prefix tests/browser` (tests/provision.sh does)");
    }
}

#[test]
fn a_forest_plot_needs_an_analysis() {
    for (call, want) in [
        (
            "{{ figure(id=\"fig-f\", kind=\"forest\") }}",
            "forest plot `fig-f` needs `analysis=`",
        ),
        (
            "{{ figure(id=\"fig-f\", kind=\"forest\", analysis=\"bgc\") }}",
            "forest plot `fig-f` draws analysis `bgc`, but manuscript/analyses/ has no `bgc.yaml`",
        ),
    ] {
        let p = bcg_project(SPEC, &format!("# R\n\n{call}\n"));
        let r = galley(&["build", "--html"], p.path());
        assert_ne!(r.status, 0);
        assert!(r.stderr.contains(want), "{}", r.stderr);
        assert!(
            r.stderr.contains("manuscript/sections/a.md:3:"),
            "{}",
            r.stderr
        );
    }
}
