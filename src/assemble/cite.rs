//! Citations: bibliography files in, formatted citations and reference list
//! out, through hayagriva and the project's CSL style. Resolved once; both
//! renderers print the same strings.

use std::collections::BTreeMap;

use crate::cache::Cache;
use crate::load::bibliography::{entry_summary, Bibliography};
use hayagriva::archive::locales;
use hayagriva::citationberg::taxonomy::Locator;
use hayagriva::citationberg::{
    self, FontStyle, FontVariant, FontWeight, IndependentStyle, Locale, VerticalAlign,
};
use hayagriva::{
    BibliographyDriver, BibliographyRequest, CitationItem, CitationRequest, CitePurpose, ElemChild,
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
fn run_driver(
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

/// Below this many cited entries the reference list is rendered on one
/// thread: starting threads would cost more than it saves.
const PARALLEL_BIBLIOGRAPHY_MIN: usize = 32;

/// Can the reference list be rendered in independent chunks, each by its
/// own driver? For a style whose list follows the order of first citation
/// (no `<sort>`) and where no entry's rendering looks at the entry before
/// it (`subsequent-author-substitute`): the number of an entry is then its
/// position, which a chunk's driver reproduces with an offset.
pub(crate) fn chunkable(style: &IndependentStyle) -> bool {
    // Citations sorted by anything but their number could number entries
    // in another order than first citation.
    let by_number = |keys: &[citationberg::SortKey]| {
        keys.iter().all(|k| {
            matches!(
                k,
                citationberg::SortKey::Variable {
                    variable: citationberg::taxonomy::Variable::Number(
                        citationberg::taxonomy::NumberVariable::CitationNumber
                    ),
                    ..
                }
            )
        })
    };
    style
        .citation
        .sort
        .as_ref()
        .is_none_or(|s| by_number(&s.keys))
        && style
            .bibliography
            .as_ref()
            .is_some_and(|b| b.sort.is_none() && b.subsequent_author_substitute.is_none())
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

/// The reference list of a numeric, chunkable style, rendered by one driver
/// per core over consecutive runs of entries (hayagriva renders a list on
/// one thread, and its bookkeeping grows with the square of the list).
fn bibliography_in_chunks(
    entries: &[&Entry],
    style: &IndependentStyle,
    locale_files: &[Locale],
    chunks: usize,
) -> Option<hayagriva::RenderedBibliography> {
    let chunk = entries.len().div_ceil(chunks.max(1)).max(1);
    let parts: Vec<Option<hayagriva::RenderedBibliography>> = std::thread::scope(|scope| {
        let jobs: Vec<_> = entries
            .chunks(chunk)
            .enumerate()
            .map(|(i, part)| {
                scope.spawn(move || {
                    let mut driver: BibliographyDriver<Entry> =
                        BibliographyDriver::new().with_citation_number_offset(i * chunk);
                    for e in part {
                        driver.citation(CitationRequest::from_items(
                            vec![CitationItem::with_entry(*e)],
                            style,
                            locale_files,
                        ));
                    }
                    driver
                        .finish(BibliographyRequest::new(style, None, locale_files))
                        .bibliography
                })
            })
            .collect();
        jobs.into_iter()
            .map(|j| j.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut parts = parts.into_iter();
    let mut all = parts.next()??;
    for p in parts {
        all.items.extend(p?.items);
    }
    Some(all)
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
    let locale_files = needed_locales(&doc.lang, style, cache);
    let cited = first_cited(doc, bib);
    let split = chunks > 1 && chunkable(style) && cited.len() >= PARALLEL_BIBLIOGRAPHY_MIN;
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
            bibliography_in_chunks(&cited, style, &locale_files, chunks)
        } else {
            // Author-date lists can disambiguate across entries: one driver.
            run_driver(doc, bib, style, &locale_files, false).bibliography
        };
    }
    for (c, r) in doc.citations.iter_mut().zip(rendered.citations.iter()) {
        let keys: Vec<String> = c.items.iter().map(|i| i.key.clone()).collect();
        let mut inl = convert(&r.citation, Some(&keys));
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
    if let Some(b) = rendered.bibliography {
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

/// hayagriva's element tree to inline content. Elements tagged as a cited
/// entry become links to that entry when `keys` is given.
pub fn convert(children: &ElemChildren, keys: Option<&[String]>) -> Vec<Inline> {
    let mut out = Vec::new();
    for child in &children.0 {
        match child {
            ElemChild::Text(f) => push_formatted(&mut out, &f.text, &f.formatting),
            // `$...$` in a BibTeX field: math, converted with the rest.
            ElemChild::Markup(s) => out.push(Inline::Math {
                tex: s.clone(),
                display: false,
                label: None,
            }),
            ElemChild::Link { text, url } => {
                let mut content = Vec::new();
                push_formatted(&mut content, &text.text, &text.formatting);
                out.push(Inline::Link {
                    url: url.clone(),
                    content,
                });
            }
            ElemChild::Elem(e) => {
                let inner = convert(&e.children, keys);
                match (&e.meta, keys) {
                    (Some(ElemMeta::Entry(i)), Some(keys)) if *i < keys.len() => {
                        out.push(Inline::RefLink {
                            key: keys[*i].clone(),
                            content: inner,
                        })
                    }
                    _ => {
                        for x in inner {
                            match x {
                                Inline::Text(t) => push_text(&mut out, &t),
                                other => out.push(other),
                            }
                        }
                    }
                }
            }
            ElemChild::Transparent { .. } => {}
        }
    }
    out
}

fn push_text(out: &mut Vec<Inline>, s: &str) {
    if s.is_empty() {
        return;
    }
    if let Some(Inline::Text(prev)) = out.last_mut() {
        prev.push_str(s);
    } else {
        out.push(Inline::Text(s.to_string()));
    }
}

/// Text holding galley's formatting marks (`load::latex_text`: a BibTeX
/// field's `\emph{...}`) as nested inlines.
fn marked(text: &str) -> Vec<Inline> {
    use crate::load::latex_text::MARKS;
    // A stack of (mark kind, content so far); the bottom is the text itself.
    let mut stack: Vec<(Option<usize>, Vec<Inline>)> = vec![(None, Vec::new())];
    for c in text.chars() {
        if let Some(k) = MARKS.iter().position(|m| m.0 == c) {
            stack.push((Some(k), Vec::new()));
        } else if let Some(k) = MARKS.iter().position(|m| m.1 == c) {
            if stack.len() > 1 && stack.last().is_some_and(|top| top.0 == Some(k)) {
                let (_, content) = stack.pop().unwrap_or_default();
                let node = match k {
                    0 => Inline::Emph(content),
                    1 => Inline::Strong(content),
                    2 => Inline::SmallCaps(content),
                    3 => Inline::Sup(content),
                    _ => Inline::Sub(content),
                };
                if let Some(top) = stack.last_mut() {
                    top.1.push(node);
                }
            }
        } else if let Some(top) = stack.last_mut() {
            let mut buf = [0u8; 4];
            push_text(&mut top.1, c.encode_utf8(&mut buf));
        }
    }
    // Marks left open (a field cut short) close at the end.
    while stack.len() > 1 {
        let (_, content) = stack.pop().unwrap_or_default();
        if let Some(top) = stack.last_mut() {
            top.1.extend(content);
        }
    }
    stack.pop().map(|b| b.1).unwrap_or_default()
}

fn push_formatted(out: &mut Vec<Inline>, text: &str, f: &hayagriva::Formatting) {
    let mut node = if text.contains(|c: char| ('\u{E000}'..='\u{E009}').contains(&c)) {
        marked(text)
    } else {
        vec![Inline::Text(text.to_string())]
    };
    if f.font_style == FontStyle::Italic {
        // `\emph` inside a title the style sets in italics: the title's
        // italics hold it (citeproc would set it upright; galley's model
        // has no upright span).
        node = node
            .into_iter()
            .flat_map(|n| match n {
                Inline::Emph(inner) => inner,
                other => vec![other],
            })
            .collect();
        node = vec![Inline::Emph(node)];
    }
    if f.font_weight == FontWeight::Bold {
        node = vec![Inline::Strong(node)];
    }
    if f.font_variant == FontVariant::SmallCaps {
        node = vec![Inline::SmallCaps(node)];
    }
    match f.vertical_align {
        VerticalAlign::Sup => node = vec![Inline::Sup(node)],
        VerticalAlign::Sub => node = vec![Inline::Sub(node)],
        _ => {}
    }
    for n in node {
        match n {
            Inline::Text(t) => push_text(out, &t),
            other => out.push(other),
        }
    }
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
