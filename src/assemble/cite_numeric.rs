//! Numeric citations in one pass. hayagriva finds each cited item's number
//! by scanning every entry cited so far (and compares entries field by
//! field), so a document's citations cost the product of its citations and
//! its entries: seconds for a living review of thousands of studies. For
//! the common numeric style, whose citation is the entry's number between
//! the layout's affixes (`[1, 4–6]`, `¹⁻³`), galley numbers the entries by
//! first citation and writes each citation itself; the tests check that
//! the result equals hayagriva's, on the paper and on random documents, for
//! every such style hayagriva archives. Any other style, and any document
//! with a locator, goes through hayagriva.

use std::collections::HashMap;

use hayagriva::citationberg::taxonomy::{NumberOrPageVariable, NumberVariable, Variable};
use hayagriva::citationberg::{
    self, Collapse, CslMacro, IndependentStyle, LayoutRenderingElement, SortDirection, TextTarget,
    ToFormatting,
};
use hayagriva::Formatting;

use crate::load::bibliography::Bibliography;
use crate::model::{Citation, Inline};

/// What a numeric citation is made of: the layout's affixes, delimiters
/// and formatting, and the elements around the number.
pub(crate) struct NumericShape {
    prefix: Option<String>,
    suffix: Option<String>,
    delimiter: Option<String>,
    after_collapse: Option<String>,
    collapse: bool,
    sorted: bool,
    layout: Formatting,
    /// From the outermost group around the number to the number's own
    /// text element: each one's formatting (with what it inherits) and
    /// affixes.
    wrappers: Vec<Wrapper>,
}

struct Wrapper {
    formatting: Formatting,
    prefix: Option<String>,
    suffix: Option<String>,
}

/// The shape of `style`'s citations if each item is the entry's number,
/// alone or in groups whose other elements print only a locator (IEEE's
/// `[1, p. 4]`), which [`applies`] makes sure no citation has.
pub(crate) fn numeric_shape(style: &IndependentStyle) -> Option<NumericShape> {
    let c = &style.citation;
    let layout = apply(Formatting::default(), &c.layout.to_formatting());
    let mut wrappers = Vec::new();
    number_among(&c.layout.elements, layout, &style.macros, &mut wrappers)?;
    let collapse = match c.collapse {
        None => false,
        Some(Collapse::CitationNumber) => true,
        Some(_) => return None,
    };
    let sorted = match &c.sort {
        None => false,
        Some(s) => {
            let ascending = |k| super::cite_list::number_key(k) == Some(SortDirection::Ascending);
            if !s.keys.iter().all(ascending) {
                return None;
            }
            !s.keys.is_empty()
        }
    };
    Some(NumericShape {
        prefix: c.layout.prefix.clone(),
        suffix: c.layout.suffix.clone(),
        delimiter: c.layout.delimiter.clone(),
        after_collapse: c.after_collapse_delimiter.clone(),
        collapse,
        sorted,
        layout,
        wrappers,
    })
}

/// The elements from `elem` down to the citation number's text, if `elem`
/// prints the number and nothing but locators besides.
fn number_path(
    elem: &LayoutRenderingElement,
    inherited: Formatting,
    macros: &[CslMacro],
    out: &mut Vec<Wrapper>,
) -> Option<()> {
    match elem {
        LayoutRenderingElement::Text(text) => {
            let TextTarget::Variable {
                var: Variable::Number(NumberVariable::CitationNumber),
                ..
            } = &text.target
            else {
                return None;
            };
            let plain = !text.quotes
                && !text.strip_periods
                && text.text_case.is_none()
                && text.display.is_none();
            plain.then(|| {
                out.push(Wrapper {
                    formatting: apply(inherited, &text.formatting),
                    prefix: text.affixes.prefix.clone(),
                    suffix: text.affixes.suffix.clone(),
                })
            })
        }
        LayoutRenderingElement::Group(g) if g.display.is_none() => {
            let formatting = apply(inherited, &g.to_formatting());
            out.push(Wrapper {
                formatting,
                prefix: g.prefix.clone(),
                suffix: g.suffix.clone(),
            });
            number_among(&g.children, formatting, macros, out)
        }
        _ => None,
    }
}

/// The path to the number in one of `children`, if the others print only
/// locators.
fn number_among(
    children: &[LayoutRenderingElement],
    inherited: Formatting,
    macros: &[CslMacro],
    out: &mut Vec<Wrapper>,
) -> Option<()> {
    let depth = out.len();
    let mut found = false;
    for child in children {
        if !found && number_path(child, inherited, macros, out).is_some() {
            found = true;
        } else {
            out.truncate(depth);
            if !locator_only(child, macros, 0) {
                return None;
            }
        }
    }
    found.then_some(())
}

/// Does `elem` print nothing when the citation has no locator: the
/// locator, its label, and groups, choices and macros of only those.
fn locator_only(elem: &LayoutRenderingElement, macros: &[CslMacro], depth: usize) -> bool {
    let locator = Variable::Number(NumberVariable::Locator);
    let all = |children: &[LayoutRenderingElement]| {
        depth < 16 && children.iter().all(|c| locator_only(c, macros, depth + 1))
    };
    match elem {
        LayoutRenderingElement::Text(t) => match &t.target {
            TextTarget::Variable { var, .. } => *var == locator,
            TextTarget::Macro { name } => macros
                .iter()
                .find(|m| &m.name == name)
                .is_some_and(|m| all(&m.children)),
            _ => false,
        },
        LayoutRenderingElement::Label(l) => {
            l.variable == NumberOrPageVariable::Number(NumberVariable::Locator)
        }
        LayoutRenderingElement::Group(g) => !g.children.is_empty() && all(&g.children),
        LayoutRenderingElement::Choose(c) => {
            c.branches().all(|b| all(&b.children))
                && c.otherwise.as_ref().is_none_or(|e| all(&e.children))
        }
        _ => false,
    }
}

/// `other`'s settings over `base`'s, as CSL inherits formatting.
fn apply(mut base: Formatting, other: &citationberg::Formatting) -> Formatting {
    if let Some(s) = other.font_style {
        base.font_style = s;
    }
    if let Some(v) = other.font_variant {
        base.font_variant = v;
    }
    if let Some(w) = other.font_weight {
        base.font_weight = w;
    }
    if let Some(d) = other.text_decoration {
        base.text_decoration = d;
    }
    if let Some(v) = other.vertical_align {
        base.vertical_align = v;
    }
    base
}

/// Can the citations of this document be written by [`render`]?
pub(crate) fn applies(citations: &[Citation]) -> bool {
    citations
        .iter()
        .all(|c| c.items.iter().all(|i| i.locator.is_none()))
}

/// Each citation's inline content, numbering the entries of `bib` by first
/// citation (keys not in `bib` are left out, as hayagriva is never given
/// them).
pub(crate) fn render(
    shape: &NumericShape,
    citations: &[Citation],
    bib: &Bibliography,
) -> Vec<Vec<Inline>> {
    let mut numbers: HashMap<&str, usize> = HashMap::new();
    let mut out = Vec::with_capacity(citations.len());
    for c in citations {
        // (number, key) of each item the bibliography holds.
        let mut items: Vec<(usize, &str)> = Vec::with_capacity(c.items.len());
        for item in &c.items {
            let Some(entry) = bib.get(&item.key) else {
                continue;
            };
            let next = numbers.len() + 1;
            let n = *numbers.entry(entry.key()).or_insert(next);
            items.push((n, item.key.as_str()));
        }
        if shape.sorted {
            items.sort_by_key(|(n, _)| *n);
        }
        out.push(write(shape, &items));
    }
    out
}

/// One citation of numbered items.
fn write(shape: &NumericShape, items: &[(usize, &str)]) -> Vec<Inline> {
    let mut out = Vec::new();
    if items.is_empty() {
        return out;
    }
    // Each item's delimiter before it (`None`: hidden inside a range).
    let mut delims: Vec<Option<Option<&str>>> = vec![Some(shape.delimiter.as_deref()); items.len()];
    if shape.collapse {
        collapse(shape, items, &mut delims);
    }
    let text = |out: &mut Vec<Inline>, s: &str, f: &Formatting| {
        super::cite_text::push_formatted(out, s, f)
    };
    if let Some(p) = &shape.prefix {
        text(&mut out, p, &shape.layout);
    }
    let mut last = String::new();
    for (i, ((n, key), delim)) in items.iter().zip(&delims).enumerate() {
        let Some(delim) = delim else {
            continue;
        };
        if i != 0 {
            if let Some(d) = delim {
                text(&mut out, d, &shape.layout);
            }
        }
        let mut content = Vec::new();
        for w in &shape.wrappers {
            if let Some(p) = &w.prefix {
                text(&mut content, p, &w.formatting);
            }
        }
        last = n.to_string();
        let number = shape.wrappers.last().map_or(shape.layout, |w| w.formatting);
        text(&mut content, &last, &number);
        for w in shape.wrappers.iter().rev() {
            if let Some(s) = &w.suffix {
                // hayagriva leaves out a suffix the text already ends with.
                if !last.ends_with(s.as_str()) {
                    text(&mut content, s, &w.formatting);
                    last = s.clone();
                }
            }
        }
        out.push(Inline::RefLink {
            key: key.to_string(),
            content,
        });
    }
    if let Some(s) = &shape.suffix {
        // hayagriva leaves out a suffix the last item already ends with.
        if !last.ends_with(s.as_str()) {
            text(&mut out, s, &shape.layout);
        }
    }
    out
}

/// Runs of three or more consecutive numbers become `first–last`: the
/// items inside are hidden, the last one follows an en dash, and the item
/// after a collapsed run follows the after-collapse delimiter.
fn collapse<'a>(
    shape: &'a NumericShape,
    items: &[(usize, &str)],
    delims: &mut [Option<Option<&'a str>>],
) {
    let after = shape
        .after_collapse
        .as_deref()
        .or(shape.delimiter.as_deref());
    let mut start = 0;
    let mut just_collapsed = false;
    let mut close = |start: usize, end: usize, delims: &mut [Option<Option<&'a str>>]| {
        if just_collapsed {
            delims[start] = Some(after);
        }
        just_collapsed = false;
        if start + 1 < end {
            delims[end] = Some(Some("–"));
            for d in &mut delims[start + 1..end] {
                *d = None;
            }
            just_collapsed = true;
        }
    };
    for i in 1..items.len() {
        if items[i - 1].0 + 1 != items[i].0 {
            close(start, i - 1, delims);
            start = i;
        }
    }
    close(start, items.len() - 1, delims);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CiteItem, CiteMode};
    use hayagriva::archive::ArchivedStyle;
    use hayagriva::citationberg::Style;

    /// A small deterministic generator (the tests need no crate for it).
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    fn bibliography(n: usize) -> Bibliography {
        let bib: String = (0..n)
            .map(|i| {
                format!(
                    "@article{{k{i}, author = {{Author{i}, Ann}}, title = {{Title {i}}}, \
                     journal = {{J}}, year = {{{}}}}}\n",
                    1990 + i % 30
                )
            })
            .collect();
        Bibliography::of(
            hayagriva::io::from_biblatex_str(&bib)
                .unwrap()
                .into_iter()
                .collect(),
        )
    }

    fn citation(keys: &[String]) -> Citation {
        Citation {
            items: keys
                .iter()
                .map(|k| CiteItem {
                    key: k.clone(),
                    locator: None,
                    prefix: None,
                    suffix: None,
                    suppress_author: false,
                })
                .collect(),
            mode: CiteMode::Normal,
            rendered: Vec::new(),
        }
    }

    /// What hayagriva makes of the same citations.
    fn by_hayagriva(
        style: &IndependentStyle,
        citations: &[Citation],
        bib: &Bibliography,
    ) -> Vec<Vec<Inline>> {
        let doc = crate::model::Document {
            citations: citations.to_vec(),
            ..Default::default()
        };
        let mut citations_only = style.clone();
        citations_only.bibliography = None;
        let locales = hayagriva::archive::locales();
        let r = super::super::cite::run_driver(&doc, bib, &citations_only, &locales, false);
        citations
            .iter()
            .zip(&r.citations)
            .map(|(c, r)| {
                let keys = super::super::cite::given_keys(c, bib);
                super::super::cite_text::convert(&r.citation, Some(&keys))
            })
            .collect()
    }

    /// Every archived style galley writes the citations of.
    fn numeric_styles() -> Vec<(&'static str, IndependentStyle, NumericShape)> {
        ArchivedStyle::all()
            .iter()
            .filter_map(|a| match a.get() {
                Style::Independent(s) => {
                    let shape = numeric_shape(&s)?;
                    super::super::cite_list::chunkable(&s).then_some((a.names()[0], s, shape))
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_common_numeric_styles_are_written_by_galley() {
        let names: Vec<&str> = numeric_styles().iter().map(|(n, ..)| *n).collect();
        for expected in [
            "ieee",
            "vancouver",
            "american-medical-association",
            "nature",
        ] {
            let archived = ArchivedStyle::by_name(expected).expect("archived");
            assert!(
                names.contains(&archived.names()[0]),
                "{expected} not in {names:?}"
            );
        }
        assert!(names.len() >= 35, "{}", names.len());
        // An author-date style is not.
        let apa = match ArchivedStyle::by_name("apa").map(|s| s.get()) {
            Some(Style::Independent(s)) => s,
            _ => panic!("apa is archived"),
        };
        assert!(numeric_shape(&apa).is_none());
    }

    #[test]
    fn random_citations_read_as_hayagriva_writes_them() {
        let bib = bibliography(40);
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for (name, style, shape) in numeric_styles() {
            for round in 0..6 {
                let citations: Vec<Citation> = (0..30)
                    .map(|_| {
                        let n = 1 + rng.below(6);
                        let keys: Vec<String> = (0..n)
                            .map(|_| match rng.below(12) {
                                // A key no entry has, now and then.
                                0 if round > 2 => "missing".to_string(),
                                _ => format!("k{}", rng.below(40)),
                            })
                            .collect();
                        citation(&keys)
                    })
                    .collect();
                let ours = render(&shape, &citations, &bib);
                let theirs = by_hayagriva(&style, &citations, &bib);
                for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
                    assert_eq!(
                        a,
                        b,
                        "{name}, round {round}, citation {i} of {:?}",
                        citations[i]
                            .items
                            .iter()
                            .map(|k| &k.key)
                            .collect::<Vec<_>>()
                    );
                }
            }
        }
    }

    #[test]
    fn runs_collapse_as_citeproc_collapses_them() {
        let bib = bibliography(12);
        let keys = |ks: &[usize]| citation(&ks.iter().map(|k| format!("k{k}")).collect::<Vec<_>>());
        // k0..k9 are numbered in order by the first citation.
        let citations = vec![
            keys(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
            keys(&[9, 2, 0, 1, 5, 6]),
            keys(&[3, 4, 6, 7, 8, 10, 11]),
            keys(&[1, 2]),
            keys(&[4, 4, 5, 6]),
        ];
        let collapsing: Vec<_> = numeric_styles()
            .into_iter()
            .filter(|(_, _, shape)| shape.collapse)
            .collect();
        assert!(collapsing.len() >= 10, "{}", collapsing.len());
        for (name, style, shape) in &collapsing {
            assert_eq!(
                render(shape, &citations, &bib),
                by_hayagriva(style, &citations, &bib),
                "{name}"
            );
        }
        let text = |v: &[Inline]| crate::model::Inline::plain(v, None);
        let (_, _, vancouver) = collapsing
            .iter()
            .find(|(n, ..)| *n == "nlm-citation-sequence")
            .expect("Vancouver collapses");
        let out = render(vancouver, &citations, &bib);
        assert_eq!(text(&out[0]), "(1–10)");
        assert_eq!(text(&out[1]), "(1–3,6,7,10)");
    }
}
