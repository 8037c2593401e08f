//! Citations: bibliography files in, formatted citations and reference list
//! out, through hayagriva and the project's CSL style. Resolved once; both
//! renderers print the same strings.

use std::collections::BTreeMap;

use super::cite_list;
use super::cite_text::convert;
use crate::cache::Cache;
use crate::load::bibliography::{entry_summary, Bibliography};
use hayagriva::archive::locales;
use hayagriva::citationberg::taxonomy::Locator;
use hayagriva::citationberg::{IndependentStyle, Locale};
use hayagriva::{
    BibliographyDriver, BibliographyRequest, CitationItem, CitationRequest, CitePurpose,
    ElemChildren, ElemMeta, Entry, LocatorPayload, SpecificLocator,
};

use crate::model::{CiteMode, Document, Inline, Reference};

fn locator_kind(label: &str) -> Locator {
    match label {
        "chapter" => Locator::Chapter,
        "section" => Locator::Section,
        "figure" => Locator::Figure,
        "paragraph" => Locator::Paragraph,
        "volume" => Locator::Volume,
        "line" => Locator::Line,
        "note" => Locator::Note,
        "book" => Locator::Book,
        "column" => Locator::Column,
        "verse" => Locator::Verse,
        "part" => Locator::Part,
        _ => Locator::Page,
    }
}

/// The archived CSL locales the document can need: its language, the
/// style's default locale and en-US as the fallback. Decoding all of
/// hayagriva's locales takes most of a build's time, so only these are.
fn needed_locales(lang: &str, style: &IndependentStyle, cache: &Cache) -> Vec<Locale> {
    let default = style.default_locale.as_ref().map_or("", |c| c.0.as_str());
    let k = crate::cache::key(&[lang.as_bytes(), default.as_bytes()]);
    cache
        .cached::<_, ()>("locales", k, || Ok(decode_locales(lang, style)))
        .unwrap_or_default()
}

fn decode_locales(lang: &str, style: &IndependentStyle) -> Vec<Locale> {
    let mut tags = vec!["en-US".to_string()];
    let region = match lang {
        "en" => "en-US".to_string(),
        l if l.contains('-') => l.to_string(),
        l => format!("{l}-{}", l.to_uppercase()),
    };
    tags.push(region);
    tags.push(lang.to_string());
    if let Some(code) = &style.default_locale {
        tags.push(code.0.clone());
    }
    let mut out = Vec::new();
    for bytes in hayagriva::archive::LOCALES {
        // The language tag is the first field of each encoded locale: a
        // CBOR text string, its length in the header byte (0x60 + n).
        let head = &bytes[..bytes.len().min(48)];
        let wanted = tags.iter().any(|t| {
            if t.len() >= 24 {
                return false;
            }
            let mut encoded = vec![0x60 + t.len() as u8];
            encoded.extend_from_slice(t.as_bytes());
            contains(head, &encoded)
        });
        if wanted {
            if let Ok(l) = ciborium::de::from_reader::<Locale, _>(*bytes) {
                let matches = l
                    .lang
                    .as_ref()
                    .is_some_and(|c| tags.iter().any(|t| t == &c.0));
                if matches {
                    out.push(l);
                }
            }
        }
    }
    if out.is_empty() {
        return locales();
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Run hayagriva over the citations; `purposes` applies the narrative and
/// suppress-author forms (author-date styles), else every group is normal.
pub(super) fn run_driver(
    doc: &Document,
    bib: &Bibliography,
    style: &IndependentStyle,
    locale_files: &[Locale],
    purposes: bool,
) -> hayagriva::Rendered {
    let mut driver: BibliographyDriver<Entry> = BibliographyDriver::new();
    for c in &doc.citations {
        let items = c
            .items
            .iter()
            .filter_map(|item| {
                let entry = bib.get(&item.key)?;
                let locator = item.locator.as_ref().map(|(label, value)| {
                    SpecificLocator(locator_kind(label), LocatorPayload::Str(value.as_str()))
                });
                let mut ci = CitationItem::with_locator(entry, locator);
                if purposes {
                    match c.mode {
                        CiteMode::Narrative => ci = ci.kind(CitePurpose::Prose),
                        CiteMode::SuppressAuthor => ci = ci.kind(CitePurpose::Year),
                        CiteMode::Normal => {}
                    }
                }
                Some(ci)
            })
            .collect();
        driver.citation(CitationRequest::from_items(items, style, locale_files));
    }
    driver.finish(BibliographyRequest::new(style, None, locale_files))
}

/// The cited entries in order of first citation.
fn first_cited<'b>(doc: &Document, bib: &'b Bibliography) -> Vec<&'b Entry> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for c in &doc.citations {
        for item in &c.items {
            if let Some(e) = bib.get(&item.key) {
                if seen.insert(e.key()) {
                    out.push(e);
                }
            }
        }
    }
    out
}

/// Format every citation of `doc` and its reference list.
pub fn resolve(doc: &mut Document, bib: &Bibliography, style: &IndependentStyle, cache: &Cache) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    resolve_with(doc, bib, style, cores, cache)
}

/// `chunks`: how many parts a reference list may be rendered in at once.
pub(crate) fn resolve_with(
    doc: &mut Document,
    bib: &Bibliography,
    style: &IndependentStyle,
    chunks: usize,
    cache: &Cache,
) {
    resolve_using(doc, bib, style, chunks, cache, true)
}

/// `one_pass`: write a numeric style's citations with galley's own
/// numbering where it applies (`false`: always through hayagriva, for the
/// tests that compare the two).
pub(crate) fn resolve_using(
    doc: &mut Document,
    bib: &Bibliography,
    style: &IndependentStyle,
    chunks: usize,
    cache: &Cache,
    one_pass: bool,
) {
    let locale_files = needed_locales(&doc.lang, style, cache);
    let cited = first_cited(doc, bib);
    if let Some(shape) = super::cite_numeric::numeric_shape(style).filter(|_| {
        one_pass && cite_list::chunkable(style) && super::cite_numeric::applies(&doc.citations)
    }) {
        let written = super::cite_numeric::render(&shape, &doc.citations, bib);
        // `chunkable`: the style has a reference list.
        let list = if !cited.is_empty() {
            cite_list::bibliography_cached(cache, &cited, style, &locale_files, chunks)
        } else {
            None
        };
        // As hayagriva's path decides: numeric once a number is printed.
        let numeric = written.iter().any(|w| !w.is_empty());
        finish(doc, bib, written, list, numeric);
        return;
    }
    let split = chunks > 1
        && cite_list::chunkable(style)
        && cited.len() >= cite_list::PARALLEL_BIBLIOGRAPHY_MIN;
    // The citations first, without the reference list when it may be
    // rendered apart.
    let mut citations_only;
    let first_style = if split {
        citations_only = style.clone();
        citations_only.bibliography = None;
        &citations_only
    } else {
        style
    };
    let plain = run_driver(doc, bib, first_style, &locale_files, false);
    // Numeric styles print numbers; narrative citations then read
    // "Author [n]" as in Pandoc, and suppress-author changes nothing.
    let numeric = plain
        .citations
        .iter()
        .any(|c| c.citation.find_meta(&ElemMeta::CitationNumber).is_some());
    let special = doc.citations.iter().any(|c| c.mode != CiteMode::Normal);
    let mut rendered = if numeric || !special {
        plain
    } else {
        run_driver(doc, bib, style, &locale_files, true)
    };
    if split && rendered.bibliography.is_none() {
        rendered.bibliography = if numeric {
            cite_list::bibliography_cached(cache, &cited, style, &locale_files, chunks)
        } else {
            // Author-date lists can disambiguate across entries: one driver.
            run_driver(doc, bib, style, &locale_files, false).bibliography
        };
    }
    let written = doc
        .citations
        .iter()
        .zip(rendered.citations.iter())
        .map(|(c, r)| convert(&r.citation, Some(&given_keys(c, bib))))
        .collect();
    finish(doc, bib, written, rendered.bibliography, numeric);
}

/// The keys of a citation's items that hayagriva was given (those the
/// bibliography holds), which its entry indices count.
pub(super) fn given_keys(c: &crate::model::Citation, bib: &Bibliography) -> Vec<String> {
    c.items
        .iter()
        .filter(|i| bib.get(&i.key).is_some())
        .map(|i| i.key.clone())
        .collect()
}

/// The citations' content (`written`, one per citation, as the style made
/// it) with galley's forms and affixes, and the reference list.
fn finish(
    doc: &mut Document,
    bib: &Bibliography,
    written: Vec<Vec<Inline>>,
    bibliography: Option<hayagriva::RenderedBibliography>,
    numeric: bool,
) {
    for (c, mut inl) in doc.citations.iter_mut().zip(written) {
        if !numeric && c.mode == CiteMode::SuppressAuthor && !inl.is_empty() {
            // Purposes drop the style's affixes and the locator (hayagriva
            // renders the year alone): restore parentheses, and the
            // locator of a single entry (`[-@doe99, p. 44]`: "(1999, 44)").
            inl.insert(0, Inline::Text("(".into()));
            if let [item] = c.items.as_slice() {
                if let Some((_, value)) = &item.locator {
                    inl.push(Inline::Text(format!(", {value}")));
                }
            }
            inl.push(Inline::Text(")".into()));
        }
        if numeric && c.mode == CiteMode::Narrative {
            if let Some(e) = c.items.first().and_then(|i| bib.get(&i.key)) {
                let name = entry_summary(e)["authors_short"]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                if !name.is_empty() {
                    inl.insert(0, Inline::Text(format!("{name} ")));
                }
            }
        }
        with_affixes(&mut inl, &c.items, c.mode == CiteMode::Narrative);
        c.rendered = inl;
    }
    doc.numeric_citations = numeric;
    let mut cited_by: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, c) in doc.citations.iter().enumerate() {
        for item in &c.items {
            let list = cited_by.entry(item.key.as_str()).or_default();
            if list.last() != Some(&i) {
                list.push(i);
            }
        }
    }
    let mut refs = Vec::new();
    if let Some(b) = bibliography {
        for item in b.items {
            let label = item
                .first_field
                .as_ref()
                .map(|f| convert(&ElemChildren(vec![f.clone()]), None))
                .unwrap_or_default();
            refs.push(Reference {
                cited_by: cited_by.get(item.key.as_str()).cloned().unwrap_or_default(),
                key: item.key,
                label,
                content: trim_inlines(convert(&item.content, None)),
            });
        }
    }
    doc.references = refs;
}

/// Each item's prefix and suffix (`[see @a, p. 3; also @b]`) around its
/// entry in the rendered group, as citeproc sets them; where the style
/// merged entries (a numeric range), at the group's ends.
fn with_affixes(inl: &mut Vec<Inline>, items: &[crate::model::CiteItem], narrative: bool) {
    if items
        .iter()
        .all(|i| i.prefix.is_none() && i.suffix.is_none())
    {
        return;
    }
    // `@doe99 [p. 30, with suffix]`: "Doe (1999, 30, with suffix)", the
    // suffix inside the entry's parenthesis.
    if let (true, [item]) = (narrative, items) {
        if let Some(sfx) = &item.suffix {
            if let Some(Inline::RefLink { content, .. }) = inl
                .iter_mut()
                .rev()
                .find(|x| matches!(x, Inline::RefLink { .. }))
            {
                if let Some(Inline::Text(t)) = content.last_mut() {
                    if let Some(body) = t.strip_suffix(')') {
                        *t = format!("{body}{sfx})");
                        return;
                    }
                }
            }
        }
    }
    let mut from = 0;
    for (n, item) in items.iter().enumerate() {
        let at = inl[from..]
            .iter()
            .position(|x| matches!(x, Inline::RefLink { key, .. } if *key == item.key))
            .map(|p| from + p);
        let (before, after) = match at {
            Some(p) => (p, p + 1),
            None if n == 0 => (
                inl.iter().position(|x| !is_opening(x)).unwrap_or(0),
                inl.len(),
            ),
            None => (inl.len(), inl.len()),
        };
        let mut after = after;
        if let Some(p) = &item.prefix {
            inl.insert(before, Inline::Text(format!("{p} ")));
            after += 1;
        }
        if let Some(sfx) = &item.suffix {
            // Before the group's closing bracket when the entry is last.
            let end = if after >= inl.len() || at.is_none() {
                inl.iter()
                    .rposition(|x| !is_closing(x))
                    .map_or(inl.len(), |p| p + 1)
            } else {
                after
            };
            inl.insert(end.min(inl.len()), Inline::Text(sfx.clone()));
            after = end + 1;
        }
        from = after.min(inl.len());
    }
}

fn is_opening(x: &Inline) -> bool {
    matches!(x, Inline::Text(t) if matches!(t.trim(), "(" | "["))
}

fn is_closing(x: &Inline) -> bool {
    matches!(x, Inline::Text(t) if matches!(t.trim(), ")" | "]"))
}

fn trim_inlines(mut v: Vec<Inline>) -> Vec<Inline> {
    if let Some(Inline::Text(t)) = v.first_mut() {
        *t = t.trim_start().to_string();
    }
    if let Some(Inline::Text(t)) = v.last_mut() {
        *t = t.trim_end().to_string();
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apa() -> IndependentStyle {
        use hayagriva::archive::ArchivedStyle;
        use hayagriva::citationberg::Style;
        match ArchivedStyle::by_name("apa").map(|s| s.get()) {
            Some(Style::Independent(s)) => s,
            _ => panic!("apa is archived"),
        }
    }

    fn langs(lang: &str) -> Vec<String> {
        let mut v: Vec<String> = decode_locales(lang, &apa())
            .into_iter()
            .filter_map(|l| l.lang.map(|c| c.0))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn decodes_only_the_locales_needed() {
        assert_eq!(langs("en"), ["en-US"]);
        assert_eq!(langs("de"), ["de-DE", "en-US"]);
        assert_eq!(langs("pt-BR"), ["en-US", "pt-BR"]);
    }
}
