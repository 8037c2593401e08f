//! BibTeX entries converted to hayagriva's, a long bibliography in parts
//! on the machine's cores (a living review's 10,000 entries took a tenth of
//! a second on one).

use hayagriva::Entry;

/// Entries converted in parts on several threads from this many on.
pub const PARALLEL_ENTRIES: usize = 512;

/// The entries as hayagriva's, each with its key: one at a time, so a
/// field's error names its entry; a long bibliography in parts on the
/// machine's cores.
pub fn converted(
    bib: &biblatex::Bibliography,
) -> Vec<(String, Result<Entry, biblatex::TypeError>)> {
    let convert = |e: &biblatex::Entry| (e.key.clone(), e.try_into());
    let entries: Vec<&biblatex::Entry> = bib.iter().collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads < 2 || entries.len() < PARALLEL_ENTRIES {
        return entries.into_iter().map(convert).collect();
    }
    let part = entries.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let jobs: Vec<_> = entries
            .chunks(part)
            .map(|run| {
                scope.spawn(move || {
                    crate::diag::contain::contain(|| run.iter().map(|e| convert(e)).collect())
                })
            })
            .collect();
        let parts: Vec<Result<Vec<_>, String>> = jobs
            .into_iter()
            .map(|j| j.join().unwrap_or_else(|_| Err("a panic".into())))
            .collect();
        // A panic (the parser's date arithmetic) reaches the caller's
        // containment as if it happened on its thread.
        parts
            .into_iter()
            .flat_map(|p| p.unwrap_or_else(|what| std::panic::resume_unwind(Box::new(what))))
            .collect()
    })
}
