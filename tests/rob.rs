//! Risk-of-bias figures: robvis's traffic-light and summary plots drawn
//! from a data file, for each tool, and the paper's own (Table 2's data).

mod common;
use common::*;

const ROB2: &str = "- study: Alpha 2019
  d1: Low
  d2: Low
  d3: Some concerns
  d4: Low
  d5: High
  overall: High
  n: 100
- study: Beta 2020
  d1: Low
  d2: Some concerns
  d3: Low
  d4: Low
  d5: Low
  overall: Some concerns
  n: 300
- study: Gamma 2021
  d1: Some concerns
  d2: Low
  d3: Low
  d4: Low
  d5: Low
  overall: Some concerns
  n: 100
- study: Delta 2022
  d1: High
  d2: Low
  d3: Low
  d4: Low
  d5: Low
  overall: High
  n: 500
";

fn build(data: &str, call: &str) -> (Run, String) {
    let p = project(&[
        (
            "manuscript/manuscript.yaml",
            &manifest("", &["sections/a.md"]),
        ),
        (
            "manuscript/sections/a.md",
            &format!("# Risk of bias\n\nSee @fig-rob.\n\n{call}\n"),
        ),
        ("manuscript/data/rob.yaml", data),
    ]);
    let r = galley(&["build"], p.path());
    let html = std::fs::read_to_string(p.path().join("public/index.html")).unwrap_or_default();
    (r, html)
}

fn svg(html: &str) -> &str {
    between(
        html,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"rob",
        "</svg>",
    )
    .unwrap_or_else(|| panic!("no risk-of-bias figure in {html}"))
}

#[test]
fn a_traffic_light_plot_of_rob2() {
    let (r, html) = build(
        ROB2,
        "{{ figure(id=\"fig-rob\", kind=\"rob-traffic\", data=\"rob\", caption=\"Risk of bias.\") }}",
    );
    assert_eq!(r.status, 0, "{}", r.stderr);
    let s = svg(&html);
    // Four studies × (five domains + overall), each a circle with a
    // symbol; the legend one circle per judgement used.
    // Fifteen lows in the grid, one in the legend.
    assert_eq!(s.matches("<circle class=\"rob-low\"").count(), 16, "{s}");
    assert_eq!(s.matches("<circle").count(), 4 * 6 + 3);
    assert!(s.contains(">D5</text>") && s.contains(">Overall</text>"));
    assert!(s.contains("<title>Alpha 2019: High</title>"));
    assert!(s.contains(">×</text>") && s.contains(">−</text>") && s.contains(">+</text>"));
    assert!(s.contains("D1: Bias arising from the randomisation process"));
    assert!(
        s.contains("fill=\"#02a02b\""),
        "Cochrane's colours by default"
    );
    assert!(
        s.contains("Alpha 2019: D1 low, D2 low, D3 some concerns, D4 low, D5 high, overall high.")
    );
}

#[test]
fn a_summary_plot_weighted_and_not() {
    let (r, html) = build(
        ROB2,
        "{{ figure(id=\"fig-rob\", kind=\"rob-summary\", data=\"rob\", caption=\"Summary.\") }}",
    );
    assert_eq!(r.status, 0, "{}", r.stderr);
    let s = svg(&html);
    assert!(
        s.contains("<title>Bias arising from the randomisation process: Low 50%</title>"),
        "{s}"
    );
    assert!(s.contains("<title>Overall: High 50%</title>"));
    let (r, html) = build(
        ROB2,
        "{{ figure(id=\"fig-rob\", kind=\"rob-summary\", data=\"rob\", weight=\"n\", scheme=\"colourblind\", caption=\"Summary.\") }}",
    );
    assert_eq!(r.status, 0, "{}", r.stderr);
    let s = svg(&html);
    // Weighted by n: High is Alpha's 100 and Delta's 500 of 1000.
    assert!(s.contains("<title>Overall: High 60%</title>"), "{s}");
    assert!(s.contains("fill=\"#0072b2\""), "the colour-blind scheme");
}

#[test]
fn robins_i_quadas_2_and_generic_tools() {
    let robins = "- study: A\n  domains: [Low, Moderate, Serious, Critical, Low, No information, Low]\n  overall: Critical\n";
    let (r, html) = build(
        robins,
        "{{ figure(id=\"fig-rob\", kind=\"rob-traffic\", data=\"rob\", tool=\"robins-i\") }}",
    );
    assert_eq!(r.status, 0, "{}", r.stderr);
    let s = svg(&html);
    assert!(
        s.contains(">D7</text>")
            && s.contains("<title>A: Critical</title>")
            && s.contains(">!</text>")
            && s.contains(">?</text>")
    );
    let quadas = "- study: A\n  domains: [Low, High, Unclear, Low]\n";
    let (r, html) = build(
        quadas,
        "{{ figure(id=\"fig-rob\", kind=\"rob-traffic\", data=\"rob\", tool=\"quadas-2\") }}",
    );
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(svg(&html).contains("D4: Flow and timing"));
    // A generic tool, the data's own spellings.
    let generic = "- study: A\n  domains: [yes, no, unsure]\n";
    let (r, html) = build(generic, "{{ figure(id=\"fig-rob\", kind=\"rob-traffic\", data=\"rob\", tool=\"generic\", domains=[\"Blinding\", \"Allocation\", \"Attrition\"], judgements=[\"yes\", \"unsure\", \"no\"]) }}");
    assert_eq!(r.status, 0, "{}", r.stderr);
    let s = svg(&html);
    assert!(
        s.contains("D2: Allocation")
            && s.contains("<title>A: High</title>")
            && s.contains("<title>A: Some concerns</title>")
    );
}

#[test]
fn a_generic_tool_reads_csv_columns() {
    let p = project(&[
        ("manuscript/manuscript.yaml", &manifest("", &["sections/a.md"])),
        ("manuscript/sections/a.md", "# R\n\n{{ figure(id=\"fig-rob\", kind=\"rob-traffic\", data=\"rob\", tool=\"generic\", domains=\"Item\") }}\n"),
        ("manuscript/data/rob.csv", "study,d1,d2,d3\nA,L,S,H\nB,L,L,L\n"),
    ]);
    let r = galley(&["build", "--html"], p.path());
    assert_eq!(r.status, 0, "{}", r.stderr);
    let html = std::fs::read_to_string(p.path().join("public/index.html")).unwrap();
    let s = svg(&html);
    assert!(
        s.contains("D3: Item 3") && s.contains("<title>A: High</title>"),
        "{s}"
    );
    // Every domain's name on a line of its own, inside the figure.
    assert_eq!(s.matches(">D1: Item 1</text>").count(), 1);
}

#[test]
fn bad_judgements_are_errors_at_the_figure() {
    for (data, call, want) in [
        ("- study: A\n  domains: [Low, Low, Low, Low, Maybe]\n", "", "study `A` (row 1 of data.rob): judgement `Maybe` is not one of `Low`, `Some concerns`, `High`, `No information`"),
        ("- study: A\n  domains: [Low, Low]\n", "", "study `A` (row 1 of data.rob) has 2 judgements for 5 domains"),
        ("- study: A\n  domains: [Low]\n", ", tool=\"rob3\"", "unknown risk-of-bias tool `rob3`"),
        ("- study: A\n  domains: [Low]\n", ", scheme=\"pastel\"", "unknown colour scheme `pastel`"),
    ] {
        let (r, _) = build(data, &format!("{{{{ figure(id=\"fig-rob\", kind=\"rob-traffic\", data=\"rob\"{call}) }}}}"));
        assert_ne!(r.status, 0, "{want}");
        assert!(r.stderr.contains(want), "{}", r.stderr);
        assert!(r.stderr.contains("manuscript/sections/a.md:5:"), "{}", r.stderr);
    }
}

#[test]
fn the_paper_draws_table_2_as_a_traffic_light_plot() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let r = galley(
        &[
            "build",
            "--html",
            "--root",
            repo().to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        &repo(),
    );
    assert_eq!(r.status, 0, "{}", r.stderr);
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    let s = svg(&html);
    // Seven trials × six items, as data/rob2.yaml (Table 2) has them:
    // two "some concerns" (Feder 2014 and Norbury 2021, item 1).
    assert_eq!(s.matches("<circle class=\"rob-").count(), 7 * 6 + 2);
    assert_eq!(s.matches("<circle class=\"rob-some\"").count(), 2 + 1);
    assert!(
        s.contains("<title>Feder et al. (2014): Some concerns</title>"),
        "{s}"
    );
    assert!(s.contains("D6: Item 6"));
    assert!(html.contains("Added to the original article"));
}
