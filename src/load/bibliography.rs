//! The bibliography: BibTeX/BibLaTeX and hayagriva YAML files parsed into
//! entries, keys unique across files, each entry located for messages.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::cache::Cache;
use hayagriva::citationberg::IndependentStyle;
use hayagriva::types::Person;
use hayagriva::Entry;
use serde_json::{json, Value};

use crate::diag::{Diagnostic, Diagnostics};
use crate::load::csl_json;
use crate::load::latex_text::plain;
use crate::load::project::{Project, TextFile};
use crate::load::yaml::yaml_error;

/// All entries of all bibliography files.
pub struct Bibliography {
    pub entries: Vec<Entry>,
    index: HashMap<String, usize>,
    /// Where each key is defined (file, span of the key).
    pub origins: Vec<(PathBuf, Range<usize>)>,
}

impl Bibliography {
    /// These entries, defined nowhere (tests).
    #[cfg(test)]
    pub fn of(entries: Vec<Entry>) -> Bibliography {
        let index = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.key().to_string(), i))
            .collect();
        let origins = vec![(PathBuf::new(), 0..0); entries.len()];
        Bibliography {
            entries,
            index,
            origins,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.index.get(key).map(|&i| &self.entries[i])
    }

    /// The position of an entry in [`Bibliography::entries`] (and
    /// [`Bibliography::origins`]).
    pub fn index_of(&self, key: &str) -> Option<usize> {
        self.index.get(key).copied()
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.key())
    }

    /// The known key closest to `key`, if reasonably close.
    pub fn suggest(&self, key: &str) -> Option<&str> {
        crate::diag::nearest(key, self.keys())
    }

    /// `bib` in templates: per key, short author label, year and title.
    pub fn template_value(&self) -> Value {
        let mut map = serde_json::Map::new();
        for e in &self.entries {
            map.insert(e.key().to_string(), entry_summary(e));
        }
        Value::Object(map)
    }
}

fn family(p: &Person) -> String {
    match &p.prefix {
        Some(prefix) => format!("{prefix} {}", p.name),
        None => p.name.clone(),
    }
}

pub fn entry_summary(e: &Entry) -> Value {
    let authors: Vec<&Person> = e.authors().map(|a| a.iter().collect()).unwrap_or_default();
    let truncated = authors.len() >= 3 || authors.iter().any(|p| is_others(p));
    let listed: Vec<&Person> = authors.iter().copied().filter(|p| !is_others(p)).collect();
    let short = match listed.as_slice() {
        [] => e.title().map(|t| plain(&t.to_string())).unwrap_or_default(),
        [a] if !truncated => family(a),
        [a, b] if !truncated => format!("{} and {}", family(a), family(b)),
        [a, ..] => format!("{} et al.", family(a)),
    };
    json!({
        "authors_short": short,
        "authors": listed.iter().map(|p| family(p)).collect::<Vec<_>>(),
        "year": e.date_any().map(|d| d.year),
        "title": e.title().map(|t| plain(&t.to_string())),
    })
}

fn is_others(p: &Person) -> bool {
    p.name == "others" && p.given_name.is_none()
}

/// Load every bibliography file; keys must be unique across files.
pub fn load(project: &Project, style: &IndependentStyle) -> Result<Bibliography, Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut bib = Bibliography {
        entries: Vec::new(),
        index: HashMap::new(),
        origins: Vec::new(),
    };
    // Pandoc's `references:` in manuscript.yaml: a bibliography file of
    // its own, read as CSL-YAML.
    let manifest_refs = project.meta.references.as_ref().map(|refs| {
        let manifest = Path::new(crate::load::files::MANIFEST);
        let text = project.sources.get(manifest).unwrap_or("").to_string();
        let items = crate::load::yaml::yaml_to_json(refs.clone());
        (
            TextFile {
                path: manifest.to_path_buf(),
                text,
            },
            items,
        )
    });
    let files: Vec<(&TextFile, Option<&Value>)> = project
        .bibliography
        .iter()
        .map(|f| (f, None))
        .chain(manifest_refs.iter().map(|(f, v)| (f, Some(v))))
        .collect();
    for (file, items) in files {
        let parsed = match items {
            Some(items) => csl_json::items(items, file),
            None => parse_file(file, &project.cache),
        };
        match parsed {
            Ok(entries) => {
                let spans = key_spans(&file.text, &file.path);
                for mut entry in entries {
                    let span = spans
                        .get(entry.key())
                        .cloned()
                        .or_else(|| csl_json::id_span(&file.text, entry.key()))
                        .unwrap_or_else(|| key_span(&file.text, entry.key()));
                    if let Some(&prev) = bib.index.get(entry.key()) {
                        let (pf, ps) = &bib.origins[prev];
                        let (pl, _) =
                            crate::diag::line_col(project.sources.get(pf).unwrap_or(""), ps.start);
                        diags.push(
                            Diagnostic::error(format!(
                                "duplicate bibliography key `{}`",
                                entry.key()
                            ))
                            .at(&file.path, span)
                            .with_note(format!("first defined in {}:{pl}", pf.display())),
                        );
                        continue;
                    }
                    expand_others(&mut entry, style);
                    bib.index.insert(entry.key().to_string(), bib.entries.len());
                    bib.origins.push((file.path.clone(), span));
                    bib.entries.push(entry);
                }
            }
            Err(d) => diags.push(d),
        }
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(bib)
    }
}

/// A bibliography file's entries; while serving, parsed only when the
/// file's text changes.
fn parse_file(file: &TextFile, cache: &Cache) -> Result<Vec<Entry>, Diagnostic> {
    let k = crate::cache::key(&[
        file.path.as_os_str().as_encoded_bytes(),
        file.text.as_bytes(),
    ]);
    cache.cached("bibliography", k, || parse_file_uncached(file))
}

/// A bibliography file's entries (BibTeX/BibLaTeX or hayagriva YAML).
pub fn parse_file_uncached(file: &TextFile) -> Result<Vec<Entry>, Diagnostic> {
    let ext = file
        .path
        .extension()
        .and_then(|s| s.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "bib" | "bibtex" => {
            if let Some(at) = braces_too_deep(&file.text) {
                return Err(Diagnostic::error(format!(
                    "invalid BibTeX: braces nest more than {MAX_BIB_NESTING} deep here"
                ))
                .at(&file.path, at..at + 1));
            }
            parse_biblatex(file)
        }
        "json" => {
            let items: Value =
                serde_json::from_str(&file.text).map_err(|e| json_error(&e, file))?;
            csl_json::items(&items, file)
        }
        "yaml" | "yml" => {
            crate::load::yaml::yaml_precheck(&file.text, &file.path)?;
            // Pandoc's CSL-YAML: a `references:` list of CSL items.
            if let Ok(v) = serde_yaml::from_str::<serde_yaml::Value>(&file.text) {
                if v.get("references")
                    .is_some_and(serde_yaml::Value::is_sequence)
                {
                    let v = crate::load::yaml::yaml_to_json(v);
                    return csl_json::items(&v["references"], file);
                }
            }
            hayagriva::io::from_yaml_str(&file.text)
                .map(|lib| lib.iter().cloned().collect())
                .map_err(|e| yaml_error(&e, &file.path, &file.text))
        }
        _ => Err(crate::load::files::unreadable_bibliography(&file.path)),
    }
}

fn json_error(e: &serde_json::Error, file: &TextFile) -> Diagnostic {
    let line_start = crate::diag::offset_of(&file.text, e.line(), 1);
    let off = crate::diag::floor_char_boundary(
        &file.text,
        (line_start + e.column().saturating_sub(1)).min(file.text.len()),
    );
    Diagnostic::error(format!("invalid JSON: {e}")).at(&file.path, off..off + 1)
}

/// Braces inside one another in a BibTeX file. The parser's time grows with
/// the square of their depth (100,000 deep: 24 s); titles need a few.
pub const MAX_BIB_NESTING: usize = 64;

/// Offset of the first brace nested deeper than [`MAX_BIB_NESTING`].
fn braces_too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut escaped = false;
    for (i, c) in text.bytes().enumerate() {
        match c {
            b'{' if !escaped => {
                depth += 1;
                if depth > MAX_BIB_NESTING {
                    return Some(i);
                }
            }
            b'}' if !escaped => depth = depth.saturating_sub(1),
            _ => {}
        }
        escaped = c == b'\\' && !escaped;
    }
    None
}

fn parse_biblatex(file: &TextFile) -> Result<Vec<Entry>, Diagnostic> {
    // The BibTeX parser panics on some fields (date arithmetic that
    // overflows): the entry it fails on is found by parsing them one by one.
    let parsed = crate::diag::contain::contain(|| {
        let mut bib = biblatex::Bibliography::parse(&file.text)?;
        resolve_markup(&mut bib);
        Ok::<_, biblatex::ParseError>(super::bib_convert::converted(&bib))
    })
    .map_err(|what| {
        let d = Diagnostic::error(format!(
            "the BibTeX parser failed on this entry ({what}); check its fields"
        ));
        match entry_that_panics(&file.text) {
            Some(span) => d.at(&file.path, span),
            None => d.in_file(&file.path),
        }
    })?;
    let entries = parsed.map_err(|e| {
        Diagnostic::error(format!("invalid BibTeX: {}", e.kind)).at(&file.path, e.span)
    })?;
    let mut out = Vec::with_capacity(entries.len());
    for (key, entry) in entries {
        match entry {
            Ok(e) => out.push(e),
            Err(e) => {
                // The error's span may be in an @string the field uses; the
                // entry's key is where to look then.
                let spans = key_spans(&file.text, &file.path);
                let key_at = spans.get(key.as_str()).cloned();
                let inside = key_at.as_ref().is_some_and(|k| {
                    let next = spans
                        .values()
                        .map(|r| r.start)
                        .filter(|&st| st > k.start)
                        .min()
                        .unwrap_or(file.text.len());
                    e.span.start >= k.start && e.span.end <= next
                });
                let span = match (inside, key_at) {
                    (true, _) | (false, None) => e.span,
                    (false, Some(k)) => k,
                };
                return Err(Diagnostic::error(format!(
                    "invalid BibTeX field in entry `{key}`: {}",
                    e.kind
                ))
                .at(&file.path, span));
            }
        }
    }
    Ok(out)
}

/// Fields whose text is an identifier, an address, a date or a number,
/// never markup (`~` in a URL is a tilde; `10~` in a month is read by the
/// date parser).
const VERBATIM_FIELDS: &[&str] = &[
    "url",
    "doi",
    "eprint",
    "file",
    "pdf",
    "isbn",
    "issn",
    "pmid",
    "pmcid",
    "date",
    "urldate",
    "eventdate",
    "origdate",
    "year",
    "month",
    "day",
    "volume",
    "volumes",
    "number",
    "issue",
    "pages",
    "pagetotal",
    "edition",
    "chapter",
    "part",
];

/// LaTeX text markup in every field resolved (`load::latex_text`); math
/// (`$...$`) is kept for the citation stage.
fn resolve_markup(bib: &mut biblatex::Bibliography) {
    use crate::load::latex_text::{resolve, resolve_open, MARKS};
    for entry in bib.iter_mut() {
        // An empty field (`pages = {}`) is no field, as Pandoc reads it.
        entry.fields.retain(|_, chunks| {
            chunks.iter().any(|c| match &c.v {
                biblatex::Chunk::Normal(t)
                | biblatex::Chunk::Verbatim(t)
                | biblatex::Chunk::Math(t) => !t.trim().is_empty(),
            })
        });
        for (name, chunks) in entry.fields.iter_mut() {
            if VERBATIM_FIELDS.contains(&name.to_ascii_lowercase().as_str()) {
                continue;
            }
            // A switch at the field's top level (`\it {\LaTeX}: A ...`) runs
            // to its end.
            let mut open: Vec<usize> = Vec::new();
            for chunk in chunks.iter_mut() {
                match &mut chunk.v {
                    biblatex::Chunk::Normal(t) => {
                        let (text, more) = resolve_open(t);
                        *t = text;
                        open.extend(more);
                    }
                    biblatex::Chunk::Verbatim(t) => *t = resolve(t),
                    biblatex::Chunk::Math(_) => {}
                }
            }
            if let Some(last) = chunks.last_mut() {
                if let biblatex::Chunk::Normal(t) | biblatex::Chunk::Verbatim(t) = &mut last.v {
                    for k in open.into_iter().rev() {
                        t.push(MARKS[k].1);
                    }
                }
            }
        }
    }
}

/// The first `@type{...` entry of a BibTeX text that makes the parser
/// panic on its own: the span of its first line.
fn entry_that_panics(text: &str) -> Option<Range<usize>> {
    let starts: Vec<usize> = text
        .match_indices('@')
        .map(|(i, _)| i)
        .filter(|&i| i == 0 || text.as_bytes()[i - 1] == b'\n')
        .collect();
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(text.len());
        let entry = &text[start..end];
        if crate::diag::contain::contain(|| hayagriva::io::from_biblatex_str(entry)).is_err() {
            let line = entry.find('\n').map_or(end, |i| start + i);
            return Some(start..line);
        }
    }
    None
}

/// Where each entry key is defined in a bibliography file: as the BibTeX
/// parser found it; else, in one pass, `@type{key,` in BibTeX, `key:` at
/// the start of a line in hayagriva YAML. The first definition of a key
/// wins.
fn key_spans<'t>(text: &'t str, path: &Path) -> HashMap<&'t str, Range<usize>> {
    let yaml = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
    let mut out = HashMap::new();
    // BibTeX: where its parser found each key.
    if !yaml {
        if let Ok(Ok(raw)) =
            crate::diag::contain::contain(|| biblatex::RawBibliography::parse(text))
        {
            for entry in raw.entries {
                let key = entry.v.key;
                out.entry(key.v).or_insert(key.span);
            }
            return out;
        }
    }
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let lower = trimmed.get(..9).unwrap_or(trimmed).to_ascii_lowercase();
        let not_entry = ["@string", "@comment", "@preamble"]
            .iter()
            .any(|p| lower.starts_with(p));
        let found = if !yaml && trimmed.starts_with('@') && !not_entry {
            trimmed.find('{').map(|open| {
                let after = &trimmed[open + 1..];
                let rest = after.trim_start();
                let open = open + (after.len() - rest.len());
                let len = rest
                    .find([',', '}', ' ', '\t', '\r', '\n'])
                    .unwrap_or(rest.len());
                (indent + open + 1, len)
            })
        } else if yaml && indent == 0 && !trimmed.starts_with('#') {
            trimmed.find(':').map(|colon| (0, colon))
        } else {
            None
        };
        if let Some((start, len)) = found.filter(|&(_, len)| len > 0) {
            let key = &line[start..start + len];
            out.entry(key).or_insert(at + start..at + start + len);
        }
        at += line.len();
    }
    out
}

/// Span of an entry's key in its file (searched for; when the one-pass
/// scan missed it).
fn key_span(text: &str, key: &str) -> Range<usize> {
    for pat in [
        format!("{{{key},"),
        format!("{{{key} "),
        format!("\n{key}:"),
    ] {
        if let Some(i) = text.find(&pat) {
            let start = i + 1;
            return start..start + key.len();
        }
    }
    0..1
}

/// A BibTeX author list ending in `and others` means the printed list was cut
/// ("et al."). hayagriva would print "others" as a name, so the marker is
/// replaced by unnamed placeholders up to the style's et-al threshold; the
/// style then prints the listed names followed by its "et al." term.
fn expand_others(entry: &mut Entry, style: &IndependentStyle) {
    let Some(authors) = entry.authors() else {
        return;
    };
    if !authors.last().is_some_and(is_others) {
        return;
    }
    let listed: Vec<Person> = authors.iter().filter(|p| !is_others(p)).cloned().collect();
    let opts = style.bibliography.as_ref().map(|b| &b.name_options);
    let min = opts
        .and_then(|o| o.et_al_min)
        .or(style.citation.name_options.et_al_min);
    let first = opts
        .and_then(|o| o.et_al_use_first)
        .or(style.citation.name_options.et_al_use_first);
    let (Some(min), Some(first)) = (min, first) else {
        return;
    };
    if first as usize > listed.len() {
        return;
    }
    let mut padded = listed;
    while padded.len() < min as usize {
        if let Ok(p) = Person::from_strings(vec!["Unlisted", "A."]) {
            padded.push(p);
        } else {
            return;
        }
    }
    entry.set_authors(padded);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_spans_in_one_pass_agree_with_search() {
        let bib = "% comment\n@string{smith2020 = {no}}\n@article{smith2020,\n  title = {X},\n}\n\n  @book{ doe ,\n}\n@misc{a-b_c:1}\n";
        let spans = key_spans(bib, Path::new("refs.bib"));
        assert_eq!(spans["smith2020"], key_span(bib, "smith2020"));
        for key in ["smith2020", "doe", "a-b_c:1"] {
            assert_eq!(&bib[spans[key].clone()], key);
        }
        let yaml = "smith2020:\n  type: article\n  title: X\ndoe:\n  type: book\n";
        let spans = key_spans(yaml, Path::new("refs.yaml"));
        assert_eq!(&yaml[spans["doe"].clone()], "doe");
        assert_eq!(&yaml[spans["smith2020"].clone()], "smith2020");
        assert_eq!(spans["doe"], key_span(yaml, "doe"));
    }

    #[test]
    fn a_long_bibliography_converted_in_parts_keeps_its_order_and_errors() {
        let entry = |i: usize| {
            format!(
                "@article{{k{i},\n  title = {{T{i}}},\n  year = {{{}}},\n}}\n",
                1900 + i % 100
            )
        };
        let text: String = (0..crate::load::bib_convert::PARALLEL_ENTRIES + 100)
            .map(entry)
            .collect();
        let file = TextFile {
            path: PathBuf::from("bibliography/long.bib"),
            text: text.clone(),
        };
        let entries = parse_file_uncached(&file).unwrap_or_else(|d| panic!("{}", d.message));
        let keys: Vec<String> = entries.iter().map(|e| e.key().to_string()).collect();
        let expected: Vec<String> = (0..crate::load::bib_convert::PARALLEL_ENTRIES + 100)
            .map(|i| format!("k{i}"))
            .collect();
        assert_eq!(keys, expected);
        // The entry the BibTeX parser panics on, among the last part's.
        let bad = "@article{odd,\n  title = {J},\n  date = {202088888.888880x-05},\n}\n";
        let file = TextFile {
            path: PathBuf::from("bibliography/long.bib"),
            text: format!("{text}{bad}"),
        };
        let d = parse_file_uncached(&file).expect_err("an error");
        assert!(
            d.message.contains("the BibTeX parser failed on this entry"),
            "{}",
            d.message
        );
        let line = d
            .span
            .as_ref()
            .map(|s| crate::diag::line_col(&file.text, s.start).0);
        assert_eq!(line, Some(text.lines().count() + 1), "{d:?}");
    }
}
