//! The reference list of a numeric style in parts: hayagriva renders a
//! list on one thread, and its bookkeeping grows with the square of the
//! entries one driver holds, so galley gives each run of entries its own
//! driver (numbered from an offset) and runs them on several threads.

use hayagriva::citationberg::taxonomy::{NumberVariable, Variable};
use hayagriva::citationberg::{IndependentStyle, Locale, SortDirection, SortKey};
use hayagriva::{BibliographyDriver, BibliographyRequest, CitationItem, CitationRequest, Entry};

/// The direction of a sort key on the citation number (`None`: a key on
/// anything else).
pub(super) fn number_key(k: &SortKey) -> Option<SortDirection> {
    match k {
        SortKey::Variable {
            variable: Variable::Number(NumberVariable::CitationNumber),
            sort_direction,
        } => Some(*sort_direction),
        _ => None,
    }
}

/// Can the reference list be rendered in independent chunks, each by its
/// own driver? For a style whose list follows the order of first citation
/// (no `<sort>`) and where no entry's rendering looks at the entry before
/// it (`subsequent-author-substitute`): the number of an entry is then its
/// position, which a chunk's driver reproduces with an offset.
pub(crate) fn chunkable(style: &IndependentStyle) -> bool {
    // Citations sorted by anything but their number could number entries
    // in another order than first citation.
    style
        .citation
        .sort
        .as_ref()
        .is_none_or(|s| s.keys.iter().all(|k| number_key(k).is_some()))
        && style
            .bibliography
            .as_ref()
            .is_some_and(|b| b.sort.is_none() && b.subsequent_author_substitute.is_none())
}

/// Entries per driver of a reference list rendered in parts: hayagriva's
/// bookkeeping grows with the square of a driver's entries, so parts stay
/// small and the list's cost linear.
const BIBLIOGRAPHY_PART: usize = 64;

/// Below this many entries the parts are rendered on the calling thread:
/// starting threads would cost more than it saves.
pub(super) const PARALLEL_BIBLIOGRAPHY_MIN: usize = 32;

/// The reference list of a numeric, chunkable style, rendered by one driver
/// per run of [`BIBLIOGRAPHY_PART`] entries, the runs shared among `threads`
/// threads (hayagriva renders a list on one thread).
pub(super) fn bibliography_in_chunks(
    entries: &[&Entry],
    style: &IndependentStyle,
    locale_files: &[Locale],
    threads: usize,
) -> Option<hayagriva::RenderedBibliography> {
    let part = |i: usize, entries: &[&Entry]| {
        let mut driver: BibliographyDriver<Entry> =
            BibliographyDriver::new().with_citation_number_offset(i * BIBLIOGRAPHY_PART);
        for e in entries {
            driver.citation(CitationRequest::from_items(
                vec![CitationItem::with_entry(*e)],
                style,
                locale_files,
            ));
        }
        driver
            .finish(BibliographyRequest::new(style, None, locale_files))
            .bibliography
    };
    let parts: Vec<(usize, &[&Entry])> = entries.chunks(BIBLIOGRAPHY_PART).enumerate().collect();
    if threads <= 1 || entries.len() < PARALLEL_BIBLIOGRAPHY_MIN {
        let rendered: Vec<_> = parts.iter().map(|(i, e)| part(*i, e)).collect();
        return joined(rendered);
    }
    let per_thread = parts.len().div_ceil(threads.max(1)).max(1);
    let rendered: Vec<Option<hayagriva::RenderedBibliography>> = std::thread::scope(|scope| {
        let jobs: Vec<_> = parts
            .chunks(per_thread)
            .map(|run| {
                scope.spawn(move || {
                    run.iter()
                        .map(|(i, entries)| part(*i, entries))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        jobs.into_iter()
            .flat_map(|j| j.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    joined(rendered)
}

/// [`bibliography_in_chunks`], kept in `cache` (serve) for the same
/// entries, style and locales: an edit that cites nothing new does not
/// render the list again.
pub(super) fn bibliography_cached(
    cache: &crate::cache::Cache,
    entries: &[&Entry],
    style: &IndependentStyle,
    locale_files: &[Locale],
    threads: usize,
) -> Option<hayagriva::RenderedBibliography> {
    if !cache.enabled() {
        return bibliography_in_chunks(entries, style, locale_files, threads);
    }
    let k = crate::cache::hash_key("reference list", &(entries, style, locale_files));
    cache
        .cached::<_, ()>("reference list", k, || {
            Ok(bibliography_in_chunks(
                entries,
                style,
                locale_files,
                threads,
            ))
        })
        .unwrap_or_default()
}

/// The parts' lists as one.
fn joined(
    parts: Vec<Option<hayagriva::RenderedBibliography>>,
) -> Option<hayagriva::RenderedBibliography> {
    let mut parts = parts.into_iter();
    let mut all = parts.next()??;
    for p in parts {
        all.items.extend(p?.items);
    }
    Some(all)
}
