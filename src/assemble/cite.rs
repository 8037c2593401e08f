//! Citations: bibliography files in, formatted citations and reference list
//! out, through hayagriva and the project's CSL style. Resolved once; both
//! renderers print the same strings.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::cache::Cache;
use hayagriva::archive::{locales, ArchivedStyle};
use hayagriva::citationberg::taxonomy::Locator;
use hayagriva::citationberg::{
    self, FontStyle, FontVariant, FontWeight, IndependentStyle, Locale, Style, VerticalAlign,
};
use hayagriva::types::Person;
use hayagriva::{
    BibliographyDriver, BibliographyRequest, CitationItem, CitationRequest, CitePurpose, ElemChild,
    ElemChildren, ElemMeta, Entry, LocatorPayload, SpecificLocator,
};
use serde_json::{json, Value};

use crate::diag::{Diagnostic, Diagnostics, SourceMap};
use crate::load::project::{Project, TextFile};
use crate::load::yaml::yaml_error;
use crate::model::{CiteMode, Document, Inline, Reference};

/// All entries of all bibliography files.
pub struct Bibliography {
    pub entries: Vec<Entry>,
    index: HashMap<String, usize>,
    /// Where each key is defined (file, span of the key).
    pub origins: Vec<(PathBuf, Range<usize>)>,
}

impl Bibliography {
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.index.get(key).map(|&i| &self.entries[i])
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

fn entry_summary(e: &Entry) -> Value {
    let authors: Vec<&Person> = e.authors().map(|a| a.iter().collect()).unwrap_or_default();
    let truncated = authors.len() >= 3 || authors.iter().any(|p| is_others(p));
    let listed: Vec<&Person> = authors.iter().copied().filter(|p| !is_others(p)).collect();
    let short = match listed.as_slice() {
        [] => e.title().map(|t| t.to_string()).unwrap_or_default(),
        [a] if !truncated => family(a),
        [a, b] if !truncated => format!("{} and {}", family(a), family(b)),
        [a, ..] => format!("{} et al.", family(a)),
    };
    json!({
        "authors_short": short,
        "authors": listed.iter().map(|p| family(p)).collect::<Vec<_>>(),
        "year": e.date_any().map(|d| d.year),
        "title": e.title().map(|t| t.to_string()),
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
    for file in &project.bibliography {
        match parse_file(file, &project.cache) {
            Ok(entries) => {
                let spans = key_spans(&file.text, &file.path);
                for mut entry in entries {
                    let span = spans
                        .get(entry.key())
                        .cloned()
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
        "bib" => {
            if let Some(at) = braces_too_deep(&file.text) {
                return Err(Diagnostic::error(format!(
                    "invalid BibTeX: braces nest more than {MAX_BIB_NESTING} deep here"
                ))
                .at(&file.path, at..at + 1));
            }
            parse_biblatex(file)
        }
        "yaml" | "yml" => {
            crate::load::yaml::yaml_precheck(&file.text, &file.path)?;
            hayagriva::io::from_yaml_str(&file.text)
                .map(|lib| lib.iter().cloned().collect())
                .map_err(|e| yaml_error(&e, &file.path, &file.text))
        }
        _ => Err(Diagnostic::error(
            "unsupported bibliography format (use .bib or hayagriva .yaml)",
        )
        .in_file(&file.path)),
    }
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
    let parsed = crate::diag::contain::contain(|| hayagriva::io::from_biblatex_str(&file.text))
        .map_err(|what| {
            let d = Diagnostic::error(format!(
                "the BibTeX parser failed on this entry ({what}); check its fields"
            ));
            match entry_that_panics(&file.text) {
                Some(span) => d.at(&file.path, span),
                None => d.in_file(&file.path),
            }
        })?;
    match parsed {
        Ok(lib) => Ok(lib.iter().cloned().collect()),
        Err(errors) => {
            let first = errors.into_iter().next();
            let (msg, span) = match first {
                Some(hayagriva::io::BibLaTeXError::Parse(e)) => {
                    (format!("invalid BibTeX: {}", e.kind), e.span)
                }
                Some(hayagriva::io::BibLaTeXError::Type(e)) => {
                    (format!("invalid BibTeX field: {}", e.kind), e.span)
                }
                None => ("invalid BibTeX".to_string(), 0..1),
            };
            Err(Diagnostic::error(msg).at(&file.path, span))
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

/// Where each entry key is defined in a bibliography file, in one pass:
/// `@type{key,` in BibTeX, `key:` at the start of a line in hayagriva YAML.
/// The first definition of a key wins.
fn key_spans<'t>(text: &'t str, path: &Path) -> HashMap<&'t str, Range<usize>> {
    let yaml = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
    let mut out = HashMap::new();
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

/// The project's citation style: a `.csl` file of the project (read and
/// quoted in diagnostics like every source) or a name from hayagriva's
/// archive.
pub fn load_style(
    project: &Project,
    sources: &mut SourceMap,
) -> Result<IndependentStyle, Diagnostic> {
    let manifest = Path::new(crate::load::project::MANIFEST);
    let manifest_text = project.sources.get(manifest).unwrap_or("");
    let name = project
        .meta
        .csl
        .clone()
        .unwrap_or_else(|| "american-medical-association".to_string());
    let name_span = manifest_text
        .find(&name)
        .map_or(0..1, |i| i..i + name.len());
    if name.ends_with(".csl") {
        let rel = PathBuf::from(&name);
        let text = crate::load::project::read_text(&project.root, &rel, sources, &project.cache)
            .map_err(|d| {
                if d.span.is_some() {
                    d
                } else {
                    Diagnostic::error(format!(
                        "cannot read citation style `{name}`: {}",
                        d.message
                    ))
                    .at(manifest, name_span.clone())
                }
            })?;
        let k = crate::cache::key(&[b"file", text.as_bytes()]);
        return project
            .cache
            .cached("citation style", k, || parse_style(&text, &rel));
    }
    let k = crate::cache::key(&[b"archive", name.as_bytes()]);
    let archived = project
        .cache
        .cached::<_, ()>("citation style", k, || {
            Ok(ArchivedStyle::by_name(&name).map(|s| s.get()))
        })
        .ok()
        .flatten();
    match archived {
        Some(Style::Independent(s)) => Ok(s),
        Some(_) => Err(Diagnostic::error(format!("style `{name}` is a dependent style")).at(manifest, name_span)),
        None => Err(Diagnostic::error(format!(
            "unknown citation style `{name}`; give a path to a .csl file or a name such as apa, american-medical-association, nature, ieee, chicago-author-date"
        ))
        .at(manifest, name_span)),
    }
}

pub fn parse_style(text: &str, rel: &Path) -> Result<IndependentStyle, Diagnostic> {
    match citationberg::Style::from_xml(text) {
        Ok(Style::Independent(s)) => Ok(s),
        Ok(Style::Dependent(_)) => Err(Diagnostic::error(
            "dependent CSL styles are not supported; use the independent parent style",
        )
        .in_file(rel)),
        Err(e) => {
            let msg = e.to_string();
            let span = xml_error_span(text, &msg);
            let d = Diagnostic::error(format!("invalid CSL style: {msg}"));
            Err(match span {
                Some(s) => d.at(rel, s),
                None => d.in_file(rel),
            })
        }
    }
}

/// XML errors mention a byte position ("at position N") or an element name.
fn xml_error_span(text: &str, msg: &str) -> Option<Range<usize>> {
    if let Some(i) = msg.find("position ") {
        let digits: String = msg[i + 9..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        if let Ok(n) = digits.parse::<usize>() {
            let n = n.min(text.len().saturating_sub(1));
            return Some(n..n + 1);
        }
    }
    // serde_path_to_error paths like `bibliography.layout.$value[1]` or
    // `locale[0].terms.term[2].@form`: walk the XML element by element.
    // `name[k]` is the k-th child element called `name`, `$value[k]` the
    // k-th child element of any name, `@attr` an attribute.
    let path = msg.split('`').nth(1)?;
    let mut pos = text.find("<style")?;
    let mut found = None;
    for part in path.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        if let Some(attr) = name.strip_prefix('@') {
            let open_end = text[pos..].find('>').map_or(text.len(), |i| pos + i);
            let at = text[pos..open_end]
                .find(&format!(" {attr}="))
                .map(|i| pos + i + 1)?;
            return Some(at..at + attr.len());
        }
        if name == "$value" && index.is_none() {
            continue;
        }
        let wanted = (name != "$value").then_some(name);
        let child = nth_child(text, pos, index.unwrap_or(0), wanted)?;
        let end = text[child..]
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .map_or(text.len(), |e| child + e);
        found = Some(child..end);
        pos = child;
    }
    found
}

/// Offset of the `k`-th child element (of the given name, if any) of the
/// element that opens at `inside`.
fn nth_child(text: &str, inside: usize, k: usize, name: Option<&str>) -> Option<usize> {
    let open_end = text[inside..].find('>')? + inside + 1;
    if text[..open_end].ends_with("/>") {
        return None;
    }
    let mut depth = 0usize;
    let mut count = 0usize;
    let mut i = open_end;
    while let Some(lt) = text[i..].find('<').map(|x| x + i) {
        if text[lt..].starts_with("<!--") {
            i = text[lt..].find("-->").map_or(text.len(), |e| lt + e + 3);
            continue;
        }
        let gt = text[lt..].find('>')? + lt;
        let tag = &text[lt + 1..gt];
        if tag.starts_with('/') {
            if depth == 0 {
                return None;
            }
            depth -= 1;
        } else if !tag.starts_with('!') && !tag.starts_with('?') {
            if depth == 0 {
                let tag_name = tag
                    .split(|c: char| c.is_whitespace() || c == '/')
                    .next()
                    .unwrap_or("");
                if name.is_none_or(|n| n == tag_name) {
                    if count == k {
                        return Some(lt);
                    }
                    count += 1;
                }
            }
            if !tag.ends_with('/') {
                depth += 1;
            }
        }
        i = gt + 1;
    }
    None
}

fn locator_kind(label: &str) -> Locator {
    match label {
        "chapter" => Locator::Chapter,
        "section" => Locator::Section,
        "figure" => Locator::Figure,
        "paragraph" => Locator::Paragraph,
        "volume" => Locator::Volume,
        "line" => Locator::Line,
        "note" => Locator::Note,
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
fn chunkable(style: &IndependentStyle) -> bool {
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
fn resolve_with(
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
            // Purposes drop the style's affixes; restore parentheses.
            inl.insert(0, Inline::Text("(".into()));
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
            ElemChild::Markup(s) => push_text(&mut out, s),
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

fn push_formatted(out: &mut Vec<Inline>, text: &str, f: &hayagriva::Formatting) {
    let mut node = vec![Inline::Text(text.to_string())];
    if f.font_style == FontStyle::Italic {
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

    /// The paper's citations and references, resolved on one thread and in
    /// parallel chunks.
    fn paper_resolved(chunks: usize) -> Document {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let project = Project::load(root, &crate::cache::Cache::off())
            .unwrap_or_else(|_| panic!("the paper loads"));
        let a =
            crate::assemble::document::assemble(&project).unwrap_or_else(|_| panic!("assembles"));
        let mut sources = SourceMap::default();
        let style = load_style(&project, &mut sources).unwrap();
        assert!(chunkable(&style));
        let mut doc = a.doc.clone();
        resolve_with(&mut doc, &a.bibliography, &style, chunks, &project.cache);
        doc
    }

    #[test]
    fn a_reference_list_in_chunks_is_the_same_as_in_one() {
        let one = paper_resolved(1);
        assert_eq!(one.references.len(), 66);
        let rendered = |d: &Document| {
            d.citations
                .iter()
                .map(|c| format!("{:?}", c.rendered))
                .collect::<Vec<_>>()
        };
        // Even and uneven splits, down to chunks of one or two entries.
        for n in [2, 3, 7, 40] {
            let chunked = paper_resolved(n);
            assert_eq!(
                format!("{:?}", one.references),
                format!("{:?}", chunked.references),
                "{n} chunks"
            );
            assert_eq!(rendered(&one), rendered(&chunked), "{n} chunks");
        }
    }

    #[test]
    fn decodes_only_the_locales_needed() {
        assert_eq!(langs("en"), ["en-US"]);
        assert_eq!(langs("de"), ["de-DE", "en-US"]);
        assert_eq!(langs("pt-BR"), ["en-US", "pt-BR"]);
    }
}
