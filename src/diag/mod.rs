//! Diagnostics: what users read when their manuscript has a problem.
//!
//! Every stage reports problems as [`Diagnostic`]s that carry the file, a byte
//! span inside it and a message. They are printed with codespan-reporting as
//! `error: file:line:col: message` followed by the offending line and a caret.

pub mod contain;

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::{Files, SimpleFiles};
use codespan_reporting::term;
use codespan_reporting::term::termcolor::{ColorChoice, NoColor, StandardStream, WriteColor};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// One problem found in the project.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    /// Path relative to the project root (or as given, for files outside it).
    pub file: Option<PathBuf>,
    /// Byte range inside `file`.
    pub span: Option<Range<usize>>,
    pub label: Option<String>,
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            message: message.into(),
            file: None,
            span: None,
            label: None,
            notes: Vec::new(),
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(message)
        }
    }

    pub fn in_file(mut self, file: impl Into<PathBuf>) -> Self {
        self.file = Some(file.into());
        self
    }

    pub fn at(mut self, file: impl Into<PathBuf>, span: Range<usize>) -> Self {
        self.file = Some(file.into());
        self.span = Some(span);
        self
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A list of diagnostics; the common error type of the pipeline.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Self {
        Self(Vec::new())
    }
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.is_error())
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{d}")?;
        }
        Ok(())
    }
}

pub type Result<T, E = Diagnostics> = std::result::Result<T, E>;

/// A failed run: its diagnostics and the texts they point into.
#[derive(Debug, Clone, Default)]
pub struct Failure {
    pub diags: Diagnostics,
    pub sources: SourceMap,
}

/// Texts of every file read during a build, so diagnostics can quote them.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: BTreeMap<PathBuf, Arc<str>>,
}

impl SourceMap {
    pub fn insert(&mut self, path: impl Into<PathBuf>, text: impl Into<Arc<str>>) {
        self.files.insert(path.into(), text.into());
    }
    pub fn get(&self, path: &Path) -> Option<&str> {
        self.files.get(path).map(|s| &**s)
    }
    pub fn iter(&self) -> impl Iterator<Item = (&PathBuf, &Arc<str>)> {
        self.files.iter()
    }
}

/// 1-based line and column (in characters) of a byte offset in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = text[line_start..offset].chars().count() + 1;
    (line, col)
}

/// Byte offset of a 1-based line and column (in characters).
pub fn offset_of(text: &str, line: usize, col: usize) -> usize {
    let mut start = 0;
    for _ in 1..line.max(1) {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let line_text = &text[start..];
    let end = line_text.find('\n').unwrap_or(line_text.len());
    line_text[..end]
        .char_indices()
        .nth(col.saturating_sub(1))
        .map_or(start + end, |(i, _)| start + i)
}

/// `text` cut to `max` characters (with "…"), for quoting in a message.
pub fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

pub fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Widen an empty span to the character at its start so the caret shows.
fn visible_span(text: &str, span: Range<usize>) -> Range<usize> {
    let start = floor_char_boundary(text, span.start.min(text.len()));
    let end = floor_char_boundary(text, span.end.min(text.len())).max(start);
    if end > start {
        return start..end;
    }
    let next = text[start..].chars().next().map_or(0, char::len_utf8);
    start..start + next
}

/// Characters of the offending line shown around the caret.
const SHOWN: usize = 160;

/// The line of `span`, if it cannot be quoted as it is: too long to read,
/// or holding control characters that would reach the terminal raw.
fn needs_excerpt(text: &str, span: &Range<usize>) -> bool {
    // Every line the span covers is printed (an excerpt shows only the
    // first).
    let start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
    let last = span.end.max(span.start).min(text.len());
    let end = text[last..].find('\n').map_or(text.len(), |i| last + i);
    text[start..end].split('\n').any(|line| {
        line.len() > SHOWN
            || line
                .chars()
                .any(|c| c.is_control() && c != '\t' && c != '\r')
    })
}

/// A stand-in for `text` that holds only the line of `span` (at its line
/// number), cut to [`SHOWN`] characters around the span, control
/// characters shown as symbols (NUL as ␀); the span inside it; and how
/// many characters of the line it leaves out before the span.
fn excerpt(text: &str, span: Range<usize>) -> (String, Range<usize>, usize) {
    let start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
    let end = text[span.start..]
        .find('\n')
        .map_or(text.len(), |i| span.start + i);
    let line = &text[start..end];
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let at = chars.partition_point(|(i, _)| start + i < span.start);
    let from = at.saturating_sub(SHOWN / 3);
    let to = (from + SHOWN).min(chars.len());
    let mut out = "\n".repeat(text[..start].matches('\n').count());
    if from > 0 {
        out.push('…');
    }
    let (mut a, mut b) = (None, None);
    for &(i, c) in &chars[from..to] {
        if start + i == span.start {
            a = Some(out.len());
        }
        if start + i >= span.end && b.is_none() && a.is_some() {
            b = Some(out.len());
        }
        match c {
            '\0'..='\u{1f}' if c != '\t' => {
                out.push(char::from_u32(0x2400 + c as u32).unwrap_or('?'))
            }
            '\u{7f}' => out.push('␡'),
            c if c.is_control() => out.push('�'),
            c => out.push(c),
        }
    }
    let a = a.unwrap_or(out.len());
    let b = b.unwrap_or(out.len()).max(a);
    if to < chars.len() {
        out.push('…');
    }
    out.push('\n');
    let b = if b == a {
        a + out[a..].chars().next().map_or(0, char::len_utf8)
    } else {
        b
    };
    // The excerpt's column of the span is `at - from` (+1 for "…").
    (out, a..b, from - usize::from(from > 0))
}

/// Print diagnostics to stderr, coloured when it is a terminal.
pub fn emit(diags: &Diagnostics, sources: &SourceMap) {
    let choice = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        ColorChoice::Auto
    } else {
        ColorChoice::Never
    };
    let mut out = StandardStream::stderr(choice);
    write_all(&mut out, diags, sources);
}

/// Diagnostics as plain text (for tests and the serve overlay).
pub fn render_plain(diags: &Diagnostics, sources: &SourceMap) -> String {
    let mut out = NoColor::new(Vec::new());
    write_all(&mut out, diags, sources);
    String::from_utf8_lossy(&out.into_inner()).into_owned()
}

/// The files diagnostics quote: whole sources, or excerpts whose columns
/// are counted from where the excerpt starts in the real line.
#[derive(Default)]
struct Quoted {
    files: SimpleFiles<String, String>,
    /// Per file id: characters of the real line left out before the excerpt.
    shift: Vec<usize>,
}

impl Quoted {
    fn add(&mut self, name: String, text: String, shift: usize) -> usize {
        self.shift.push(shift);
        self.files.add(name, text)
    }
}

impl<'a> Files<'a> for Quoted {
    type FileId = usize;
    type Name = String;
    type Source = &'a str;
    fn name(&'a self, id: usize) -> Result<String, codespan_reporting::files::Error> {
        self.files.name(id)
    }
    fn source(&'a self, id: usize) -> Result<&'a str, codespan_reporting::files::Error> {
        self.files.source(id)
    }
    fn line_index(
        &'a self,
        id: usize,
        byte: usize,
    ) -> Result<usize, codespan_reporting::files::Error> {
        self.files.line_index(id, byte)
    }
    fn line_range(
        &'a self,
        id: usize,
        line: usize,
    ) -> Result<Range<usize>, codespan_reporting::files::Error> {
        self.files.line_range(id, line)
    }
    fn column_number(
        &'a self,
        id: usize,
        line: usize,
        byte: usize,
    ) -> Result<usize, codespan_reporting::files::Error> {
        let col = self.files.column_number(id, line, byte)?;
        Ok(col + self.shift.get(id).copied().unwrap_or(0))
    }
}

fn write_all(out: &mut dyn WriteColor, diags: &Diagnostics, sources: &SourceMap) {
    let config = term::Config::default();
    let mut files = Quoted::default();
    let mut ids: BTreeMap<PathBuf, usize> = BTreeMap::new();
    for d in &diags.0 {
        let severity = match d.severity {
            Severity::Error => codespan_reporting::diagnostic::Severity::Error,
            Severity::Warning => codespan_reporting::diagnostic::Severity::Warning,
        };
        let mut cs = CsDiagnostic::new(severity).with_notes(d.notes.clone());
        let mut message = d.message.clone();
        if let Some(file) = &d.file {
            let shown = file.display().to_string();
            match (d.span.clone(), sources.get(file)) {
                (Some(span), Some(text)) => {
                    let span = visible_span(text, span);
                    let (line, col) = line_col(text, span.start);
                    message = format!("{shown}:{line}:{col}: {message}");
                    let (id, span) = if needs_excerpt(text, &span) {
                        let (excerpt, span, shift) = excerpt(text, span);
                        (files.add(shown.clone(), excerpt, shift), span)
                    } else {
                        let id = *ids
                            .entry(file.clone())
                            .or_insert_with(|| files.add(shown.clone(), text.to_string(), 0));
                        (id, span)
                    };
                    let mut label = Label::primary(id, span);
                    if let Some(l) = &d.label {
                        label = label.with_message(l);
                    }
                    cs = cs.with_labels(vec![label]);
                }
                _ => message = format!("{shown}: {message}"),
            }
        }
        cs = cs.with_message(message);
        if term::emit(out, &config, &files, &cs).is_err() {
            let _ = writeln!(out, "{}", d.message);
        }
    }
}

/// The closest id by string similarity.
pub fn nearest<'a>(id: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(&str, f64)> = None;
    for c in candidates {
        let s = strsim::jaro_winkler(&id.to_lowercase(), &c.to_lowercase());
        if s > 0.8 && best.is_none_or(|(_, b)| s > b) {
            best = Some((c, s));
        }
    }
    best.map(|(c, _)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let text = "ab\nDanböck x\n";
        let off = text.find('x').unwrap();
        assert_eq!(line_col(text, off), (2, 9));
        assert_eq!(offset_of(text, 2, 9), off);
    }

    #[test]
    fn long_lines_and_control_characters_are_cut_and_shown() {
        let mut sources = SourceMap::default();
        let long = format!("a\n{}XY{}\n", "[".repeat(100_000), "]".repeat(100_000));
        sources.insert("deep.yaml", long.as_str());
        let at = long.find('X').unwrap();
        let text = render_plain(
            &Diagnostic::error("too deep")
                .at("deep.yaml", at..at + 1)
                .into(),
            &sources,
        );
        assert!(
            text.starts_with("error: deep.yaml:2:100001: too deep"),
            "{text}"
        );
        assert!(text.contains("┌─ deep.yaml:2:100001"), "{text}");
        assert!(text.len() < 2_000, "{} bytes", text.len());
        assert!(text.contains("…[[[") && text.contains("XY]]]"), "{text}");
        sources.insert("nul.md", "ok\nab\0cd\n");
        let text = render_plain(
            &Diagnostic::error("NUL").at("nul.md", 5..6).into(),
            &sources,
        );
        assert!(text.contains("ab␀cd") && !text.contains('\0'), "{text}");
    }

    #[test]
    fn renders_location_and_caret() {
        let mut sources = SourceMap::default();
        sources.insert("a.md", "first\nsee [@nope] here\n");
        let d = Diagnostic::error("unknown citation key `nope`").at("a.md", 11..16);
        let text = render_plain(&d.into(), &sources);
        assert!(
            text.starts_with("error: a.md:2:6: unknown citation key `nope`"),
            "{text}"
        );
        assert!(text.contains("see [@nope] here"));
        assert!(text.contains("^^^^^"));
    }
}
