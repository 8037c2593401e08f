//! Loading a manuscript project: metadata, sections, data, table specs and
//! bibliography. Every file read is kept in a [`SourceMap`] so later stages
//! can quote it in diagnostics; problems are collected, not stopped at.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::data::load_data_file;
pub use super::files::MANIFEST;
use super::files::{
    has_extension, list_dir, list_files, read_text, resolve_inside, unreadable_bibliography,
    MAX_SECTIONS,
};

/// What galley reads in manuscript/data/.
const DATA_EXTENSIONS: &[&str] = &["yaml", "yml", "json", "csv"];

/// What galley reads in bibliography/.
const BIBLIOGRAPHY_EXTENSIONS: &[&str] = &["bib", "bibtex", "json", "yaml", "yml"];
use super::meta::{parse_base_url, Meta};
use super::yaml::{parse_yaml, yaml_error, yaml_key_span, yaml_to_json};
use crate::cache::Cache;
use crate::diag::{Diagnostic, Diagnostics, Failure, SourceMap};

/// A text file of the project: its project-relative path and text.
#[derive(Debug, Clone)]
pub struct TextFile {
    pub path: PathBuf,
    pub text: String,
}

/// Everything a build reads, loaded.
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
    /// manuscript/analyses/*.yaml
    pub analyses: Vec<TextFile>,
    pub bibliography: Vec<TextFile>,
    pub sources: SourceMap,
    /// The cache the project was loaded with, for the later stages' steps.
    pub cache: Cache,
}

impl Project {
    /// Load everything a build reads. Problems are collected, not stopped at.
    pub fn load(root: &Path, cache: &Cache) -> Result<Project, Failure> {
        let mut loader = Loader {
            root,
            cache,
            sources: SourceMap::default(),
            diags: Diagnostics::new(),
            text: String::new(),
        };
        let (meta, meta_value) = match loader.manifest() {
            Ok(m) => m,
            Err(d) => {
                return Err(Failure {
                    diags: d.into(),
                    sources: loader.sources,
                })
            }
        };
        let sections = loader.sections(&meta);
        loader.includes(&sections);
        let (data, data_files) = loader.data();
        let tables = loader.texts(list_dir(root, "manuscript/tables", &["yaml", "yml"]));
        let analyses = loader.texts(list_dir(root, "manuscript/analyses", &["yaml", "yml"]));
        let bib_paths = loader.bibliography_paths(&meta);
        let bibliography = loader.texts(bib_paths);
        let Loader { sources, diags, .. } = loader;
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
            analyses,
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

/// A project being loaded: the files read and the problems found so far.
struct Loader<'a> {
    root: &'a Path,
    cache: &'a Cache,
    sources: SourceMap,
    diags: Diagnostics,
    /// manuscript.yaml's text.
    text: String,
}

impl Loader<'_> {
    /// manuscript.yaml, parsed and as a value. Its problems are collected
    /// unless it cannot be read or parsed at all.
    fn manifest(&mut self) -> Result<(Meta, Value), Diagnostic> {
        let manifest = PathBuf::from(MANIFEST);
        self.text = read_text(self.root, &manifest, &mut self.sources, self.cache)?;
        let text = &self.text;
        let mut meta: Meta = parse_yaml(text, &manifest)?;
        meta.resolve_affiliations();
        if let Some(given) = meta.base_url.take() {
            match parse_base_url(&given) {
                Ok(url) => meta.base_url = Some(url.to_string()),
                Err(m) => {
                    let span = yaml_key_span(text, "base_url").unwrap_or(0..1);
                    self.diags.push(
                        Diagnostic::error(format!("base_url `{given}` {m}")).at(&manifest, span),
                    );
                }
            }
        }
        let meta_value = match serde_yaml::from_str::<serde_yaml::Value>(text) {
            Ok(v) => yaml_to_json(v),
            Err(e) => return Err(yaml_error(&e, &manifest, text)),
        };
        for (i, a) in meta.authors.iter().enumerate() {
            for aff in &a.affiliations {
                if !meta.affiliations.contains_key(aff) {
                    let span = yaml_key_span(text, "affiliations").unwrap_or(0..1);
                    self.diags.push(
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
        Ok((meta, meta_value))
    }

    /// Where manuscript.yaml names `s` as a value of `key` (searched from
    /// the key on: serde does not say where values are).
    fn span_of(&self, key: &str, s: &str) -> std::ops::Range<usize> {
        let from = yaml_key_span(&self.text, key).map_or(0, |k| k.end);
        self.text[from..]
            .find(s)
            .map_or(0..1, |i| from + i..from + i + s.len())
    }

    /// The sections manuscript.yaml lists, in order.
    fn sections(&mut self, meta: &Meta) -> Vec<TextFile> {
        let mut sections = Vec::new();
        let mut total = 0usize;
        for s in &meta.sections {
            let rel = Path::new("manuscript").join(s);
            let rel_str = rel.to_string_lossy().to_string();
            if let Err(msg) = resolve_inside(self.root, &rel_str) {
                let d = Diagnostic::error(format!("section path {msg}"));
                self.diags.push(d.at(MANIFEST, self.span_of("sections", s)));
                continue;
            }
            match read_text(self.root, &rel, &mut self.sources, self.cache) {
                Ok(t) if total + t.len() > MAX_SECTIONS => {
                    let d = Diagnostic::error(format!(
                        "section file `{}` brings the sections to {} MB of text; galley typesets at most {} MB in all",
                        rel.display(),
                        (total + t.len()) >> 20,
                        MAX_SECTIONS >> 20
                    ));
                    self.diags.push(d.at(MANIFEST, self.span_of("sections", s)));
                    break;
                }
                Ok(t) => {
                    total += t.len();
                    sections.push(TextFile { path: rel, text: t })
                }
                Err(mut d) => {
                    if d.span.is_none() {
                        d = Diagnostic::error(format!(
                            "section file `{}` cannot be read: {}",
                            rel.display(),
                            d.message
                        ))
                        .at(MANIFEST, self.span_of("sections", s));
                    }
                    self.diags.push(d);
                }
            }
        }
        sections
    }

    /// The files the sections include (`{{< include file >}}`), and the
    /// files those include, into the sources. A missing one is an error at
    /// its shortcode.
    fn includes(&mut self, sections: &[TextFile]) {
        let mut todo: Vec<(PathBuf, String, usize)> = sections
            .iter()
            .map(|s| (s.path.clone(), s.text.clone(), 0))
            .collect();
        while let Some((from, text, depth)) = todo.pop() {
            for (arg, span) in crate::load::includes::includes(&text) {
                let Some(rel) = crate::load::includes::include_path(&from, &arg) else {
                    self.diags.push(
                        Diagnostic::error(format!("included file `{arg}` is outside the project"))
                            .at(&from, span),
                    );
                    continue;
                };
                if self.sources.get(&rel).is_some() {
                    continue;
                }
                if depth >= crate::load::includes::MAX_DEPTH {
                    self.diags.push(
                        Diagnostic::error(format!(
                            "includes nest more than {} deep here (does a file include itself?)",
                            crate::load::includes::MAX_DEPTH
                        ))
                        .at(&from, span),
                    );
                    continue;
                }
                match read_text(self.root, &rel, &mut self.sources, self.cache) {
                    Ok(t) => todo.push((rel, t, depth + 1)),
                    Err(d) => self.diags.push(
                        Diagnostic::error(format!(
                            "included file `{}` cannot be read: {}",
                            rel.display(),
                            d.message
                        ))
                        .at(&from, span),
                    ),
                }
            }
        }
    }

    /// Every data file of manuscript/data/, by stem.
    fn data(&mut self) -> (BTreeMap<String, Value>, Vec<PathBuf>) {
        let mut data = BTreeMap::new();
        let mut data_files = list_files(self.root, "manuscript/data");
        data_files.retain(|rel| {
            let known = has_extension(rel, DATA_EXTENSIONS);
            if !known {
                self.diags.push(
                    Diagnostic::error("galley cannot read this file as data")
                        .in_file(rel)
                        .with_note(
                            "data files are .csv, .json, .yaml or .yml; \
                             save a spreadsheet as CSV (one file per sheet)",
                        ),
                );
            }
            known
        });
        for rel in &data_files {
            let stem = rel
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("")
                .to_string();
            if data.contains_key(&stem) {
                self.diags.push(
                    Diagnostic::error(format!("two data files define `data.{stem}`; rename one"))
                        .in_file(rel),
                );
                continue;
            }
            match load_data_file(self.root, rel, &mut self.sources, self.cache) {
                Ok(v) => {
                    data.insert(stem, v);
                }
                Err(d) => self.diags.push(d),
            }
        }
        (data, data_files)
    }

    /// The bibliography files manuscript.yaml names, else every one in
    /// bibliography/.
    fn bibliography_paths(&mut self, meta: &Meta) -> Vec<PathBuf> {
        let Some(list) = &meta.bibliography else {
            let mut all = list_files(self.root, "bibliography");
            all.retain(|rel| {
                let known = has_extension(rel, BIBLIOGRAPHY_EXTENSIONS);
                if !known {
                    self.diags.push(unreadable_bibliography(rel));
                }
                known
            });
            return all;
        };
        let mut out = Vec::new();
        for b in list {
            match resolve_inside(self.root, b) {
                Ok(_) => out.push(PathBuf::from(b)),
                Err(msg) => {
                    let d = Diagnostic::error(format!("bibliography path {msg}"));
                    self.diags
                        .push(d.at(MANIFEST, self.span_of("bibliography", b)));
                }
            }
        }
        out
    }

    /// These files' texts; the unreadable ones are problems.
    fn texts(&mut self, paths: Vec<PathBuf>) -> Vec<TextFile> {
        let mut out = Vec::new();
        for rel in paths {
            match read_text(self.root, &rel, &mut self.sources, self.cache) {
                Ok(t) => out.push(TextFile { path: rel, text: t }),
                Err(d) => self.diags.push(d),
            }
        }
        out
    }
}
