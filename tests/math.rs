//! The math battery (`tests/math/battery.txt`): every formula converts for
//! the site (MathML) and the PDF (Typst math, compiled by Typst itself),
//! and the two carry the same symbols in the same order.

use galley::assemble::math::Converter;
use galley::render::pdf::{compile, GalleyWorld};
use typst::layout::{Frame, FrameItem};
use unicode_normalization::UnicodeNormalization;

/// Formulas the battery holds that galley does not convert yet, each with
/// why. The test fails if one of these starts to pass (move it out) or if
/// anything else fails.
const KNOWN_FAILURES: &[(&str, &str)] = &[(
    r"\boxed{x = 1}",
    "math-core 0.7 has no \\boxed (0.8 needs Rust 1.96)",
)];

fn battery() -> Vec<(String, bool)> {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/math/battery.txt"),
    )
    .unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| match l.strip_prefix("display:") {
            Some(t) => (t.to_string(), true),
            None => (l.to_string(), false),
        })
        .collect()
}

/// Spacing accents as MathML writes them, combining as Typst sets them.
fn canonical(c: char) -> Option<char> {
    Some(match c {
        '`' => '\u{300}',
        '´' => '\u{301}',
        'ˆ' | '^' => '\u{302}',
        '˜' | '~' => '\u{303}',
        '¯' => '\u{304}',
        '˘' => '\u{306}',
        '˙' => '\u{307}',
        '¨' => '\u{308}',
        'ˇ' => '\u{30c}',
        // Drawn as rules or radicals, not glyphs, in one of the outputs.
        '\u{332}' | '√' | '‾' => return None,
        // Variation selectors and invisible operators: no glyph.
        '\u{fe00}'..='\u{fe0f}' | '\u{2061}'..='\u{2064}' => return None,
        c if c.is_whitespace() => return None,
        c => c,
    })
}

fn normalise(s: &str) -> Vec<char> {
    s.nfkd().filter_map(canonical).collect()
}

/// The characters of the MathML's token elements, in the order Typst lays
/// them out (a script's top before its bottom, a root's index first, a
/// table column by column), leaving out what is not drawn (`\phantom`).
fn mathml_symbols(mathml: &str) -> Vec<char> {
    fn walk(n: roxmltree::Node, out: &mut String) {
        let kids: Vec<_> = n.children().filter(|k| k.is_element()).collect();
        let name = n.tag_name().name();
        match (name, kids.as_slice()) {
            ("mphantom", _) => {}
            ("msubsup" | "munderover", [b, s, t]) => {
                for k in [b, t, s] {
                    walk(*k, out);
                }
            }
            ("mroot", [b, i]) => {
                walk(*i, out);
                walk(*b, out);
            }
            ("mover", [b, a]) if n.attribute("accent") == Some("true") => {
                walk(*b, out);
                // An arrow as an accent is Typst's combining arrow.
                match a.text() {
                    Some("→") => out.push('\u{20d7}'),
                    Some("←") => out.push('\u{20d6}'),
                    Some("↔") => out.push('\u{20e1}'),
                    _ => walk(*a, out),
                }
            }
            ("mtable", rows) => {
                let cells: Vec<Vec<_>> = rows
                    .iter()
                    .map(|r| r.children().filter(|c| c.is_element()).collect())
                    .collect();
                // Typst sets alignments (`aligned`) and `cases` line by
                // line, and matrices column by column.
                let by_line = n.attribute("displaystyle") == Some("true")
                    || n.prev_sibling_element().and_then(|p| p.text()) == Some("{");
                if by_line {
                    cells.iter().flatten().for_each(|c| walk(*c, out));
                    return;
                }
                let width = cells.iter().map(Vec::len).max().unwrap_or(0);
                for col in 0..width {
                    for row in &cells {
                        if let Some(c) = row.get(col) {
                            walk(*c, out);
                        }
                    }
                }
            }
            _ if kids.is_empty() => out.push_str(n.text().unwrap_or("")),
            _ => {
                for k in kids {
                    walk(k, out);
                }
            }
        }
    }
    let doc = roxmltree::Document::parse(mathml).unwrap();
    let mut text = String::new();
    walk(doc.root_element(), &mut text);
    normalise(&text)
}

/// The characters Typst laid out, in frame order.
fn frame_symbols(frame: &Frame, out: &mut String) {
    for (_, item) in frame.items() {
        match item {
            FrameItem::Group(g) => frame_symbols(&g.frame, out),
            FrameItem::Text(t) => out.push_str(&t.text),
            _ => {}
        }
    }
}

fn typeset(typst: &str, display: bool) -> Result<Vec<char>, String> {
    let body = if display {
        format!("$ {typst} $")
    } else {
        format!("${typst}$")
    };
    let main = format!("#set page(width: 20cm, height: auto, margin: 1cm)\n{body}\n");
    let world = GalleyWorld::new(main, Vec::new(), None).map_err(|d| d.message.clone())?;
    let (doc, _) = compile(&world).map_err(|d| {
        d.0.iter()
            .map(|x| x.message.clone())
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    let mut text = String::new();
    for page in doc.pages() {
        frame_symbols(&page.frame, &mut text);
    }
    Ok(normalise(&text))
}

/// Why a formula fails, or `None` where both outputs agree.
fn check(c: &Converter, tex: &str, display: bool) -> Option<String> {
    let f = match c.convert(tex, display) {
        Ok(f) => f,
        Err(e) => return Some(format!("does not convert: {e}")),
    };
    let pdf = match typeset(&f.typst, display) {
        Ok(s) => s,
        Err(e) => return Some(format!("Typst refuses `{}`: {e}", f.typst)),
    };
    let site = mathml_symbols(&f.mathml);
    if site != pdf {
        return Some(format!(
            "the outputs differ: site {:?}, PDF {:?} (Typst `{}`)",
            site.iter().collect::<String>(),
            pdf.iter().collect::<String>(),
            f.typst
        ));
    }
    None
}

/// With `GALLEY_MATH_SHEET=out.pdf`, the whole battery as one PDF, each
/// formula beside its LaTeX, to look at (`pdftoppm -png out.pdf page`).
fn write_sheet(c: &Converter, all: &[(String, bool)]) {
    let Some(path) = std::env::var_os("GALLEY_MATH_SHEET") else {
        return;
    };
    let mut main = String::from(
        "#set page(width: 21cm, height: auto, margin: 1cm)\n#set text(size: 10pt)\n\
         #table(columns: (1fr, 1fr), stroke: 0.3pt + gray,\n",
    );
    for (tex, display) in all {
        let Ok(f) = c.convert(tex, *display) else {
            continue;
        };
        let math = if *display {
            format!("$ {} $", f.typst)
        } else {
            format!("${}$", f.typst)
        };
        main.push_str(&format!("raw({:?}), [{math}],\n", tex));
    }
    main.push_str(")\n");
    let world = GalleyWorld::new(main, Vec::new(), None).unwrap();
    let (doc, _) = compile(&world).map_err(|d| format!("{:?}", d.0)).unwrap();
    let pdf = galley::render::pdf::export(
        &world,
        &doc,
        "battery",
        "galley test",
        galley::load::meta::PdfConformance::None,
    )
    .unwrap();
    std::fs::write(path, pdf).unwrap();
}

#[test]
fn the_battery_converts_in_both_outputs_and_they_agree() {
    let c = Converter::new();
    let all = battery();
    assert!(all.len() >= 150, "the battery has {} formulas", all.len());
    write_sheet(&c, &all);
    let mut unexpected = Vec::new();
    let mut failed = 0;
    for (tex, display) in &all {
        let known = KNOWN_FAILURES.iter().any(|(k, _)| k == tex);
        match (check(&c, tex, *display), known) {
            (Some(why), false) => unexpected.push(format!("{tex}\n    {why}")),
            (Some(_), true) => failed += 1,
            (None, true) => unexpected.push(format!(
                "{tex}\n    passes now: take it out of KNOWN_FAILURES"
            )),
            (None, false) => {}
        }
    }
    failed += unexpected.len();
    let passed = all.len() - failed;
    eprintln!(
        "math battery: {passed} of {} pass ({:.1}%)",
        all.len(),
        100.0 * passed as f64 / all.len() as f64
    );
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
    assert!(passed * 100 >= all.len() * 95);
}

/// The characters an OMML equation draws: its runs' text and its
/// operators', delimiters' and accents' characters.
fn omml_symbols(omml: &str) -> Vec<char> {
    let doc = format!(
        "<m:oMath xmlns:m=\"{}\">{omml}</m:oMath>",
        galley::assemble::math::omml::NS
    );
    let tree = roxmltree::Document::parse(&doc).unwrap_or_else(|e| panic!("not XML ({e}): {doc}"));
    let mut text = String::new();
    let hidden = |n: &roxmltree::Node| n.ancestors().any(|a| a.tag_name().name() == "phant");
    for n in tree.descendants().filter(|n| n.is_element() && !hidden(n)) {
        match n.tag_name().name() {
            "t" => text.push_str(n.text().unwrap_or("")),
            "chr" | "begChr" | "endChr" => text.push_str(
                n.attribute((galley::assemble::math::omml::NS, "val"))
                    .unwrap_or(""),
            ),
            _ => {}
        }
    }
    normalise(&text)
}

#[test]
fn the_battery_converts_to_word_equations_with_the_same_symbols() {
    let c = Converter::new();
    let mut problems = Vec::new();
    let mut converted = 0;
    for (tex, display) in battery() {
        let Ok(f) = c.convert(&tex, display) else {
            continue;
        };
        match galley::assemble::math::omml::from_mathml(&f.mathml) {
            Ok(omml) => {
                // The same symbols as the site's (Word orders a large
                // operator's limits and an accent its own way).
                let mut site = mathml_symbols(&f.mathml);
                let mut word = omml_symbols(&omml);
                site.sort_unstable();
                word.sort_unstable();
                if site != word {
                    problems.push(format!(
                        "{tex}: site {:?}, Word {:?}",
                        site.iter().collect::<String>(),
                        word.iter().collect::<String>()
                    ));
                }
                converted += 1;
            }
            Err(e) => problems.push(format!("{tex}: {e}")),
        }
    }
    eprintln!("omml: {converted} formulas");
    assert!(converted >= 190, "{converted}");
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
