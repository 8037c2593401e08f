//! Loading a manuscript project: metadata, sections, data, table specs,
//! bibliography and theme. Every file read is kept in a [`SourceMap`] so
//! later stages can quote it in diagnostics.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;

use crate::cache::Cache;
use crate::diag::{offset_of, Diagnostic, Diagnostics, Failure, SourceMap};
use crate::load::yaml::yaml_to_json;
use crate::load::yaml::{parse_yaml, yaml_error, yaml_key_span};

pub const MANIFEST: &str = "manuscript/manuscript.yaml";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorSpec {
    pub name: String,
    #[serde(default)]
    pub given: Option<String>,
    #[serde(default)]
    pub family: Option<String>,
    #[serde(default)]
    pub affiliations: Vec<String>,
    #[serde(default)]
    pub orcid: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub corresponding: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum AbstractSpec {
    Plain(String),
    Structured(IndexMap<String, String>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dates {
    pub received: Option<String>,
    pub revised: Option<String>,
    pub accepted: Option<String>,
    pub published: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum JournalSpec {
    Name(String),
    Full(JournalFull),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JournalFull {
    pub name: String,
    pub year: Option<i64>,
    pub volume: Option<String>,
    pub issue: Option<String>,
    pub pages: Option<String>,
    pub publisher: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum LicenseSpec {
    Name(String),
    Full(LicenseFull),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LicenseFull {
    pub name: String,
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TitledMarkdown {
    pub title: String,
    pub content: String,
    #[serde(default)]
    pub id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    #[serde(rename = "assert")]
    pub expr: String,
    pub message: String,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PdfSpec {
    /// Typst paper name: a4, us-letter, ...
    pub paper: Option<String>,
    pub font_size: Option<f64>,
    /// Text columns of the body (the title block and abstract span them).
    pub columns: Option<u8>,
    /// ua-1 (tagged, accessible; the default), a-2b, a-3b or none.
    pub standard: Option<PdfConformance>,
}

/// The standard a PDF claims to conform to (`pdf: {standard: ...}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum PdfConformance {
    #[serde(rename = "ua-1")]
    Ua1,
    #[serde(rename = "a-2b")]
    A2b,
    #[serde(rename = "a-3b")]
    A3b,
    #[serde(rename = "none")]
    None,
}

impl PdfConformance {
    pub fn name(self) -> &'static str {
        match self {
            PdfConformance::Ua1 => "ua-1",
            PdfConformance::A2b => "a-2b",
            PdfConformance::A3b => "a-3b",
            PdfConformance::None => "none",
        }
    }
}

/// manuscript.yaml
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    pub title: String,
    #[serde(default)]
    pub subtitle: Option<String>,
    pub authors: Vec<AuthorSpec>,
    #[serde(default)]
    pub affiliations: IndexMap<String, String>,
    pub sections: Vec<String>,
    #[serde(default, rename = "abstract")]
    pub abstract_: Option<AbstractSpec>,
    /// The highlights box: titled lists of Markdown items.
    #[serde(default)]
    pub summary: Option<IndexMap<String, Vec<String>>>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub dates: Option<Dates>,
    #[serde(default)]
    pub journal: Option<JournalSpec>,
    #[serde(default)]
    pub article_type: Option<String>,
    #[serde(default)]
    pub doi: Option<String>,
    #[serde(default)]
    pub license: Option<LicenseSpec>,
    #[serde(default)]
    pub lang: Option<String>,
    #[serde(default)]
    pub csl: Option<String>,
    /// Bibliography files relative to the project root; default: every file
    /// in bibliography/.
    #[serde(default)]
    pub bibliography: Option<Vec<String>>,
    #[serde(default)]
    pub checks: Vec<CheckSpec>,
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub pdf: Option<PdfSpec>,
    #[serde(default)]
    pub back_matter: Vec<TitledMarkdown>,
    /// File name stem of the PDF and BibTeX outputs.
    #[serde(default)]
    pub slug: Option<String>,
    /// Let raw HTML in Markdown through (escaped otherwise).
    #[serde(default)]
    pub allow_html: bool,
}

/// A text file of the project.
#[derive(Debug, Clone)]
pub struct TextFile {
    /// Relative to the project root.
    pub path: PathBuf,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Project {
    pub root: PathBuf,
    pub meta: Meta,
    /// manuscript.yaml as a value, for templates (`meta`).
    pub meta_value: Value,
    pub sections: Vec<TextFile>,
    /// `data.<stem>`
    pub data: BTreeMap<String, Value>,
    pub data_files: Vec<PathBuf>,
    pub tables: Vec<TextFile>,
    pub bibliography: Vec<TextFile>,
    pub sources: SourceMap,
    /// The cache the project was loaded with, for the later stages' steps.
    pub cache: Cache,
}

/// The address a site is served from (`base_url`, `--base-url`), for every
/// command alike: an absolute http(s) URL without user, query or fragment,
/// ending in `/`. The error completes "base_url `...` ".
pub fn parse_base_url(given: &str) -> std::result::Result<url::Url, String> {
    let mut url =
        url::Url::parse(given.trim()).map_err(|e| format!("is not an absolute URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err("is not an http:// or https:// address".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("may not have a query or a fragment".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("may not hold a user name or password".into());
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// Walk up from `start` to the folder holding manuscript/manuscript.yaml.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        if d.join(MANIFEST).is_file() {
            return Some(d.to_path_buf());
        }
        dir = d.parent();
    }
    None
}

/// Join a project-relative path, refusing absolute paths, `..` that leave the
/// project, and symlinks that point outside it.
pub fn resolve_inside(root: &Path, rel: &str) -> std::result::Result<PathBuf, String> {
    let p = Path::new(rel);
    let mut depth: i32 = 0;
    for c in p.components() {
        match c {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => {
                depth -= 1;
                if depth < 0 {
                    return Err(format!("`{rel}` points outside the project"));
                }
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!(
                    "`{rel}` is an absolute path; paths are relative to the project"
                ))
            }
        }
    }
    let full = root.join(p);
    if let (Ok(canon), Ok(root_canon)) = (full.canonicalize(), root.canonicalize()) {
        if !canon.starts_with(&root_canon) {
            return Err(format!(
                "`{rel}` resolves outside the project (through a symbolic link)"
            ));
        }
    }
    Ok(full)
}

/// The largest text file galley reads (data files included).
pub const MAX_TEXT_FILE: u64 = 64 << 20;
/// The most text the sections may hold in all. Typesetting takes 200 to
/// 500 bytes of memory per byte of Markdown (Typst's layout), so 8 MB of
/// text (a book of several thousand pages) needs 2 to 4 GB.
pub const MAX_SECTIONS: usize = 8 << 20;

/// Read a file as UTF-8 (BOM stripped); non-UTF-8 bytes are a located error.
pub fn read_text(
    root: &Path,
    rel: &Path,
    sources: &mut SourceMap,
    cache: &Cache,
) -> std::result::Result<String, Diagnostic> {
    let full = resolve_inside(root, &rel.to_string_lossy())
        .map_err(|m| Diagnostic::error(format!("refusing to read it: {m}")).in_file(rel))?;
    if let Ok(meta) = std::fs::metadata(&full) {
        if meta.is_file() && meta.len() > MAX_TEXT_FILE {
            return Err(Diagnostic::error(format!(
                "file is {} MB; galley reads text files of up to {} MB",
                meta.len() >> 20,
                MAX_TEXT_FILE >> 20
            ))
            .in_file(rel));
        }
    }
    let bytes = cache.read_file(&full).map_err(|e| {
        Diagnostic::error(format!("cannot read file: {}", io_reason(&e))).in_file(rel)
    })?;
    match String::from_utf8(bytes) {
        Ok(mut s) => {
            if s.starts_with('\u{FEFF}') {
                s.drain(..3);
            }
            sources.insert(rel, s.as_str());
            if let Some(at) = s.find('\0') {
                return Err(Diagnostic::error(
                    "file holds a NUL byte (U+0000), which a text file cannot; is part of it binary?",
                )
                .at(rel, at..at + 1)
                .with_label("NUL byte here"));
            }
            Ok(s)
        }
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            // Map the byte offset to the lossy text (same up to `at`).
            sources.insert(rel, lossy.as_str());
            Err(
                Diagnostic::error("file is not valid UTF-8; save it as UTF-8")
                    .at(rel, at..at + 1)
                    .with_label("invalid byte here"),
            )
        }
    }
}

pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

fn list_dir(root: &Path, rel: &str, exts: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(root.join(rel)) {
        for e in rd.flatten() {
            let p = e.path();
            let ext = p
                .extension()
                .and_then(|s| s.to_str())
                .unwrap_or("")
                .to_ascii_lowercase();
            if p.is_file() && exts.contains(&ext.as_str()) {
                if let Some(name) = p.file_name() {
                    out.push(Path::new(rel).join(name));
                }
            }
        }
    }
    out.sort();
    out
}

/// Load a data file into a JSON-like value.
pub fn load_data_file(
    root: &Path,
    rel: &Path,
    sources: &mut SourceMap,
    cache: &Cache,
) -> std::result::Result<Value, Diagnostic> {
    let text = read_text(root, rel, sources, cache)?;
    parse_data(&text, rel)
}

/// A data file's text as a value, by the file's extension.
pub fn parse_data(text: &str, rel: &Path) -> std::result::Result<Value, Diagnostic> {
    let ext = rel
        .extension()
        .and_then(|s| s.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "yaml" | "yml" => {
            let v: serde_yaml::Value = parse_yaml(text, rel)?;
            Ok(yaml_to_json(v))
        }
        "json" => serde_json::from_str(text).map_err(|e| {
            // serde_json counts columns in bytes.
            let line_start = offset_of(text, e.line(), 1);
            let off = crate::diag::floor_char_boundary(
                text,
                (line_start + e.column().saturating_sub(1)).min(text.len()),
            );
            Diagnostic::error(format!("invalid JSON: {e}")).at(rel, off..off + 1)
        }),
        "csv" => parse_csv(text, rel),
        _ => Err(
            Diagnostic::error("unsupported data file type (use .yaml, .yml, .json or .csv)")
                .in_file(rel),
        ),
    }
}

/// CSV rows become maps; numbers are parsed as numbers, empty cells as null.
fn parse_csv(text: &str, rel: &Path) -> std::result::Result<Value, Diagnostic> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| csv_error(&e, rel, text))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect::<Vec<_>>();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(&e, rel, text))?;
        let mut row = serde_json::Map::new();
        for (h, cell) in headers.iter().zip(record.iter()) {
            row.insert(h.clone(), csv_value(cell));
        }
        rows.push(Value::Object(row));
    }
    Ok(Value::Array(rows))
}

fn csv_value(cell: &str) -> Value {
    let t = cell.trim();
    if t.is_empty() {
        return Value::Null;
    }
    if let Ok(i) = t.parse::<i64>() {
        return Value::Number(i.into());
    }
    if let Ok(f) = t.parse::<f64>() {
        if f.is_finite() {
            if let Some(n) = serde_json::Number::from_f64(f) {
                return Value::Number(n);
            }
        }
    }
    match t {
        "true" | "TRUE" => Value::Bool(true),
        "false" | "FALSE" => Value::Bool(false),
        _ => Value::String(cell.to_string()),
    }
}

fn csv_error(e: &csv::Error, rel: &Path, text: &str) -> Diagnostic {
    let (msg, pos) = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => (
            format!("CSV row has {len} fields but the header has {expected_len}"),
            pos.clone(),
        ),
        _ => (format!("invalid CSV: {e}"), e.position().cloned()),
    };
    let d = Diagnostic::error(msg);
    match pos {
        Some(p) => {
            let off = offset_of(text, p.line() as usize, 1);
            let end = text[off..].find('\n').map_or(text.len(), |i| off + i);
            d.at(rel, off..end.max(off + 1))
        }
        None => d.in_file(rel),
    }
}

impl Project {
    /// Load everything a build reads. Problems are collected, not stopped at.
    pub fn load(root: &Path, cache: &Cache) -> std::result::Result<Project, Failure> {
        let mut sources = SourceMap::default();
        let mut diags = Diagnostics::new();
        let manifest = PathBuf::from(MANIFEST);
        let text = match read_text(root, &manifest, &mut sources, cache) {
            Ok(t) => t,
            Err(d) => {
                return Err(Failure {
                    diags: d.into(),
                    sources,
                })
            }
        };
        let mut meta: Meta = match parse_yaml(&text, &manifest) {
            Ok(m) => m,
            Err(d) => {
                return Err(Failure {
                    diags: d.into(),
                    sources,
                })
            }
        };
        if let Some(given) = meta.base_url.take() {
            match parse_base_url(&given) {
                Ok(url) => meta.base_url = Some(url.to_string()),
                Err(m) => {
                    let span = yaml_key_span(&text, "base_url").unwrap_or(0..1);
                    diags.push(
                        Diagnostic::error(format!("base_url `{given}` {m}")).at(&manifest, span),
                    );
                }
            }
        }
        let meta_value = match serde_yaml::from_str::<serde_yaml::Value>(&text) {
            Ok(v) => yaml_to_json(v),
            Err(e) => {
                return Err(Failure {
                    diags: yaml_error(&e, &manifest, &text).into(),
                    sources,
                })
            }
        };
        for (i, a) in meta.authors.iter().enumerate() {
            for aff in &a.affiliations {
                if !meta.affiliations.contains_key(aff) {
                    let span = yaml_key_span(&text, "affiliations").unwrap_or(0..1);
                    diags.push(
                        Diagnostic::error(format!(
                            "author {} ({}) names affiliation `{aff}`, which `affiliations` does not define",
                            i + 1,
                            a.name
                        ))
                        .at(&manifest, span),
                    );
                }
            }
        }

        let mut sections = Vec::new();
        let mut total = 0usize;
        for s in &meta.sections {
            let rel = Path::new("manuscript").join(s);
            let rel_str = rel.to_string_lossy().to_string();
            if let Err(msg) = resolve_inside(root, &rel_str) {
                let span = text.find(s.as_str()).map_or(0..1, |i| i..i + s.len());
                diags.push(Diagnostic::error(format!("section path {msg}")).at(&manifest, span));
                continue;
            }
            match read_text(root, &rel, &mut sources, cache) {
                Ok(t) if total + t.len() > MAX_SECTIONS => {
                    let span = text.find(s.as_str()).map_or(0..1, |i| i..i + s.len());
                    diags.push(
                        Diagnostic::error(format!(
                            "section file `{}` brings the sections to {} MB of text; galley typesets at most {} MB in all",
                            rel.display(),
                            (total + t.len()) >> 20,
                            MAX_SECTIONS >> 20
                        ))
                        .at(&manifest, span),
                    );
                    break;
                }
                Ok(t) => {
                    total += t.len();
                    sections.push(TextFile { path: rel, text: t })
                }
                Err(mut d) => {
                    if d.span.is_none() {
                        let span = text.find(s.as_str()).map_or(0..1, |i| i..i + s.len());
                        d = Diagnostic::error(format!(
                            "section file `{}` cannot be read: {}",
                            rel.display(),
                            d.message
                        ))
                        .at(&manifest, span);
                    }
                    diags.push(d);
                }
            }
        }

        let mut data = BTreeMap::new();
        let data_files = list_dir(root, "manuscript/data", &["yaml", "yml", "json", "csv"]);
        for rel in &data_files {
            let stem = rel
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("")
                .to_string();
            if data.contains_key(&stem) {
                diags.push(
                    Diagnostic::error(format!("two data files define `data.{stem}`; rename one"))
                        .in_file(rel),
                );
                continue;
            }
            match load_data_file(root, rel, &mut sources, cache) {
                Ok(v) => {
                    data.insert(stem, v);
                }
                Err(d) => diags.push(d),
            }
        }

        let mut tables = Vec::new();
        for rel in list_dir(root, "manuscript/tables", &["yaml", "yml"]) {
            match read_text(root, &rel, &mut sources, cache) {
                Ok(t) => tables.push(TextFile { path: rel, text: t }),
                Err(d) => diags.push(d),
            }
        }

        let bib_paths: Vec<PathBuf> = match &meta.bibliography {
            Some(list) => {
                let mut out = Vec::new();
                for b in list {
                    match resolve_inside(root, b) {
                        Ok(_) => out.push(PathBuf::from(b)),
                        Err(msg) => {
                            let span = text.find(b.as_str()).map_or(0..1, |i| i..i + b.len());
                            diags.push(
                                Diagnostic::error(format!("bibliography path {msg}"))
                                    .at(&manifest, span),
                            );
                        }
                    }
                }
                out
            }
            None => list_dir(root, "bibliography", &["bib", "yaml", "yml"]),
        };
        let mut bibliography = Vec::new();
        for rel in bib_paths {
            match read_text(root, &rel, &mut sources, cache) {
                Ok(t) => bibliography.push(TextFile { path: rel, text: t }),
                Err(d) => diags.push(d),
            }
        }

        if diags.has_errors() {
            return Err(Failure { diags, sources });
        }
        Ok(Project {
            root: root.to_path_buf(),
            meta,
            meta_value,
            sections,
            data,
            data_files,
            tables,
            bibliography,
            sources,
            cache: cache.clone(),
        })
    }

    /// The data file that defines `data.<stem>`.
    pub fn data_file(&self, stem: &str) -> Option<&Path> {
        self.data_files
            .iter()
            .find(|p| p.file_stem().and_then(|s| s.to_str()) == Some(stem))
            .map(PathBuf::as_path)
    }

    pub fn lang(&self) -> &str {
        self.meta.lang.as_deref().unwrap_or("en")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_paths_outside() {
        let root = std::env::temp_dir();
        assert!(resolve_inside(&root, "../../etc/passwd").is_err());
        assert!(resolve_inside(&root, "/etc/passwd").is_err());
        assert!(resolve_inside(&root, "a/../b.md").is_ok());
    }

    #[test]
    fn csv_ragged_row_is_located() {
        let text = "a,b\n1,2\n3\n";
        let err = parse_csv(text, Path::new("d.csv")).unwrap_err();
        let (line, _) = crate::diag::line_col(text, err.span.unwrap().start);
        assert_eq!(line, 3, "{}", err.message);
    }

    #[test]
    fn csv_numbers_are_numbers() {
        let v = parse_csv("n,name\n12,x\n0.5,\n", Path::new("d.csv")).unwrap();
        assert_eq!(v[0]["n"], 12);
        assert_eq!(v[1]["n"], 0.5);
        assert!(v[1]["name"].is_null());
    }
}
