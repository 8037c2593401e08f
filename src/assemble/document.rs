//! Assembling the document model from a loaded project: Tera data
//! references, Markdown, tables, figures, citations and cross-references.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tera::{Context, Tera};

use crate::assemble::cite;
use crate::assemble::markdown::{self, Sink};
use crate::assemble::math;
use crate::assemble::template::{self, Origin};
use crate::diag::nearest;
use crate::diag::{line_col, offset_of, Diagnostic, Diagnostics, Failure, SourceMap};
use crate::figures::prisma;
use crate::load::bibliography::{self, Bibliography};
use crate::load::project::{
    resolve_inside, AbstractSpec, JournalSpec, LicenseSpec, Project, MANIFEST,
};
use crate::load::style;
use crate::load::tables::{self, LoadedSpec};
use crate::load::yaml::find_template;
use crate::model::ids::{is_file_id, slugify};
use crate::model::*;

/// The result of assembling: the document, what it needs besides, and the
/// warnings found on the way.
pub struct Assembled {
    pub doc: Document,
    pub warnings: Diagnostics,
    pub sources: SourceMap,
    /// Images referenced by the document (project-relative), to copy.
    pub images: Vec<String>,
    /// Where each of [`Assembled::images`] is first referenced.
    pub image_refs: Vec<(PathBuf, Range<usize>)>,
    pub bibliography: Bibliography,
}

/// Build the document model.
pub fn assemble(project: &Project) -> Result<Assembled, Failure> {
    let mut sources = project.sources.clone();
    let fail = |diags: Diagnostics, sources: SourceMap| Failure { diags, sources };

    let style = match style::load_style(project, &mut sources) {
        Ok(s) => s,
        Err(d) => return Err(fail(d.into(), sources)),
    };
    let bib = match bibliography::load(project, &style) {
        Ok(b) => b,
        Err(d) => return Err(fail(d, sources)),
    };
    let specs = match tables::load_specs(&project.tables) {
        Ok(s) => s,
        Err(d) => return Err(fail(d, sources)),
    };

    let mut ctx = Context::new();
    ctx.insert("data", &project.data);
    ctx.insert("meta", &project.meta_value);
    ctx.insert("bib", &bib.template_value());
    // While serving, a section whose text and data are unchanged is not
    // rendered again: its key is the text and everything in scope.
    let ctx_key = project.cache.enabled().then(|| {
        let scope = ctx.clone().into_json().to_string();
        crate::cache::key(&[scope.as_bytes()])
    });

    let mut asm = Asm {
        project,
        bib: &bib,
        specs: &specs,
        tera: template::new_tera(),
        ctx,
        ctx_key,
        diags: Diagnostics::new(),
        citations: Vec::new(),
        footnote_labels: Vec::new(),
        footnote_defs: HashMap::new(),
        counters: [0; 6],
        targets: BTreeMap::new(),
        target_spans: HashMap::new(),
        xrefs: Vec::new(),
        tables_placed: 0,
        figures_placed: 0,
        equations: 0,
        placed: HashMap::new(),
        frame: Frame::default(),
        template_seq: 0,
        images: Vec::new(),
        image_refs: Vec::new(),
        mathml: BTreeMap::new(),
        typst_math: BTreeMap::new(),
        math: math::Converter::new(),
    };
    let mut doc = asm.front_matter();
    doc.abstract_ = asm.abstract_blocks();
    doc.summary = asm.summary_blocks();
    for file in &project.sections {
        let blocks = asm.markdown_file(&file.path, &file.text);
        doc.sections.push(Section {
            file: file.path.display().to_string(),
            blocks,
        });
    }
    doc.back_matter = asm.back_matter_blocks();
    asm.finish(&mut doc);

    let Asm {
        diags,
        citations,
        targets,
        mathml,
        typst_math,
        images,
        image_refs,
        ..
    } = asm;
    doc.citations = citations;
    doc.targets = targets;
    doc.mathml = mathml;
    doc.typst_math = typst_math;
    if diags.has_errors() {
        return Err(fail(diags, sources));
    }
    cite::resolve(&mut doc, &bib, &style, &project.cache);
    let mut warnings = diags;
    for (i, e) in bib.entries.iter().enumerate() {
        if !doc.references.iter().any(|r| r.key == e.key()) {
            let (file, span) = bib.origins[i].clone();
            warnings.push(
                Diagnostic::warning(format!("bibliography entry `{}` is never cited", e.key()))
                    .at(file, span),
            );
        }
    }
    Ok(Assembled {
        doc,
        warnings,
        sources,
        images,
        image_refs,
        bibliography: bib,
    })
}

impl Frame {
    /// `template` is the text as written at `base` in the file, `rendered`
    /// what Tera made of it.
    fn new(file: &Path, file_text: &str, base: usize, template: &str, rendered: String) -> Frame {
        let exact =
            rendered == template && file_text.get(base..base + template.len()) == Some(template);
        Frame {
            file: file.to_path_buf(),
            base,
            file_text: file_text.to_string(),
            rendered,
            exact,
        }
    }
}

/// Where the text being parsed came from, to map spans back to files.
#[derive(Default, Clone)]
struct Frame {
    file: PathBuf,
    /// Offset of the template in the file.
    base: usize,
    /// The file's text.
    file_text: String,
    /// The text handed to the Markdown parser (after Tera).
    rendered: String,
    /// True when the rendered text is the file text itself (no template
    /// expanded), so spans map exactly.
    exact: bool,
}

struct Asm<'p> {
    project: &'p Project,
    bib: &'p Bibliography,
    specs: &'p BTreeMap<String, LoadedSpec>,
    tera: Tera,
    ctx: Context,
    ctx_key: Option<[u8; 32]>,
    diags: Diagnostics,
    citations: Vec<Citation>,
    /// Footnotes in order of first reference: (file#label, where).
    footnote_labels: Vec<(String, PathBuf, Range<usize>)>,
    footnote_defs: HashMap<String, Vec<Block>>,
    counters: [usize; 6],
    targets: BTreeMap<String, Target>,
    target_spans: HashMap<String, (PathBuf, Range<usize>)>,
    xrefs: Vec<(String, PathBuf, Range<usize>)>,
    tables_placed: usize,
    figures_placed: usize,
    equations: usize,
    placed: HashMap<String, (PathBuf, Range<usize>)>,
    frame: Frame,
    template_seq: usize,
    images: Vec<String>,
    image_refs: Vec<(PathBuf, Range<usize>)>,
    mathml: BTreeMap<String, String>,
    typst_math: BTreeMap<String, String>,
    math: math::Converter,
}

/// An anchor from heading text: Unicode letters and digits kept, lowercase.
fn anchor_slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

fn split_name(name: &str) -> (String, String) {
    let name = name.trim();
    match name.rfind(' ') {
        Some(i) => (name[..i].trim().to_string(), name[i + 1..].to_string()),
        None => (String::new(), name.to_string()),
    }
}

impl<'p> Asm<'p> {
    fn manifest_text(&self) -> String {
        self.project
            .sources
            .get(Path::new(MANIFEST))
            .unwrap_or("")
            .to_string()
    }

    /// Map a span of the rendered text to the source file, preferring the
    /// place where `needle` is written.
    fn locate(&self, span: Range<usize>, needle: Option<&str>) -> (PathBuf, Range<usize>) {
        let f = &self.frame;
        if f.exact {
            let (a, b) = (
                f.base + span.start,
                (f.base + span.end).min(f.file_text.len()),
            );
            if let Some(i) = needle.and_then(|n| {
                f.file_text
                    .get(a..b)
                    .and_then(|t| t.find(n))
                    .map(|i| (i, n.len()))
            }) {
                return (f.file.clone(), a + i.0..a + i.0 + i.1);
            }
            return (f.file.clone(), a..b);
        }
        let (base_line, _) = line_col(&f.file_text, f.base);
        let (rline, _) = line_col(&f.rendered, span.start);
        let want = base_line + rline - 1;
        if let Some(n) = needle.filter(|n| !n.is_empty()) {
            let mut best: Option<(usize, usize)> = None;
            for (i, _) in f.file_text[f.base.min(f.file_text.len())..].match_indices(n) {
                let pos = f.base + i;
                let (l, _) = line_col(&f.file_text, pos);
                let dist = l.abs_diff(want);
                if best.is_none_or(|(_, d)| dist < d) {
                    best = Some((pos, dist));
                }
            }
            if let Some((pos, _)) = best {
                return (f.file.clone(), pos..pos + n.len());
            }
        }
        let start = offset_of(&f.file_text, want, 1);
        let end = f.file_text[start..]
            .find('\n')
            .map_or(f.file_text.len(), |i| start + i);
        (f.file.clone(), start..end.max(start + 1))
    }

    fn error_at(&mut self, span: Range<usize>, needle: Option<&str>, msg: String) -> Diagnostic {
        let (file, range) = self.locate(span, needle);
        Diagnostic::error(msg).at(file, range)
    }

    fn next_template_name(&mut self, hint: &str) -> String {
        self.template_seq += 1;
        format!("{hint}#{}", self.template_seq)
    }

    /// Render a template (Tera) then parse it as Markdown.
    fn markdown_template(
        &mut self,
        file: &Path,
        file_text: &str,
        template: &str,
        what: &str,
    ) -> Option<Vec<Block>> {
        let base = if file_text == template {
            0
        } else {
            find_template(file_text, template)
        };
        let origin = Origin {
            file: file.to_path_buf(),
            offset: base,
            text: template.to_string(),
        };
        let name = self.next_template_name(&file.display().to_string());
        let rendered = match self.ctx_key {
            Some(scope) => {
                let k = crate::cache::key(&[&scope, template.as_bytes()]);
                self.project.cache.cached("template", k, || {
                    template::render_one(&mut self.tera, &name, &origin, &self.ctx, what)
                })
            }
            None => template::render_one(&mut self.tera, &name, &origin, &self.ctx, what),
        };
        let rendered = match rendered {
            Ok(r) => r,
            Err(d) => {
                self.diags.push(d);
                return None;
            }
        };
        Some(self.parse_in(Frame::new(file, file_text, base, template, rendered)))
    }

    fn markdown_file(&mut self, path: &Path, text: &str) -> Vec<Block> {
        if text.trim().is_empty() {
            self.diags.push(
                Diagnostic::error("section file is empty; write its heading and text, or remove it from `sections`")
                    .at(path, 0..0),
            );
            return Vec::new();
        }
        if let Some(off) = unclosed_fence(text) {
            self.diags.push(
                Diagnostic::error(
                    "code fence is never closed; everything after it would be shown as code",
                )
                .at(path, off..off + 3),
            );
        }
        self.markdown_template(path, text, text, &path.display().to_string())
            .unwrap_or_default()
    }

    fn manifest_markdown(&mut self, text: &str, what: &str) -> Vec<Block> {
        let manifest_text = self.manifest_text();
        self.markdown_template(Path::new(MANIFEST), &manifest_text, text, what)
            .unwrap_or_default()
    }

    fn manifest_inline(&mut self, text: &str, what: &str) -> Vec<Inline> {
        markdown::inline(self.manifest_markdown(text, what))
    }

    fn front_matter(&mut self) -> Document {
        let meta = &self.project.meta;
        let title = self.manifest_inline(&meta.title, "the title");
        let title_text = Inline::plain(&title, None);
        let subtitle = meta
            .subtitle
            .clone()
            .map(|s| self.manifest_inline(&s, "the subtitle"));
        let aff_index: HashMap<&str, usize> = meta
            .affiliations
            .keys()
            .enumerate()
            .map(|(i, k)| (k.as_str(), i + 1))
            .collect();
        let authors = meta
            .authors
            .iter()
            .map(|a| {
                let (g, f) = split_name(&a.name);
                Author {
                    name: a.name.clone(),
                    given: a.given.clone().unwrap_or(g),
                    family: a.family.clone().unwrap_or(f),
                    marks: a
                        .affiliations
                        .iter()
                        .filter_map(|k| aff_index.get(k.as_str()).map(|n| n.to_string()))
                        .collect(),
                    orcid: a.orcid.clone(),
                    email: a.email.clone(),
                    corresponding: a.corresponding,
                }
            })
            .collect();
        let affiliations = meta
            .affiliations
            .values()
            .enumerate()
            .map(|(i, t)| Affiliation {
                mark: (i + 1).to_string(),
                text: t.clone(),
            })
            .collect();
        let mut dates = Vec::new();
        if let Some(d) = &meta.dates {
            for (kind, v) in [
                ("received", &d.received),
                ("revised", &d.revised),
                ("accepted", &d.accepted),
                ("published", &d.published),
            ] {
                if let Some(v) = v {
                    if template::parse_iso_date(v).is_none() {
                        let t = self.manifest_text();
                        let span = t.find(v.as_str()).map_or(0..1, |i| i..i + v.len());
                        self.diags.push(
                            Diagnostic::error(format!(
                                "date `{v}` is not an ISO date (YYYY-MM-DD)"
                            ))
                            .at(MANIFEST, span),
                        );
                    }
                    dates.push(DateEntry {
                        kind: kind.to_string(),
                        iso: v.clone(),
                    });
                }
            }
        }
        let journal_full = match &meta.journal {
            Some(JournalSpec::Full(j)) => Some(j),
            _ => None,
        };
        let (journal, year, publisher) = match &meta.journal {
            Some(JournalSpec::Name(n)) => (Some(n.clone()), None, None),
            Some(JournalSpec::Full(j)) => (Some(j.name.clone()), j.year, j.publisher.clone()),
            None => (None, None, None),
        };
        let year = year.or_else(|| {
            dates
                .iter()
                .rev()
                .find_map(|d| template::parse_iso_date(&d.iso).map(|(y, _, _)| y as i64))
        });
        let (license_name, license_url) = match &meta.license {
            Some(LicenseSpec::Name(n)) => (Some(n.clone()), None),
            Some(LicenseSpec::Full(l)) => (Some(l.name.clone()), l.url.clone()),
            None => (None, None),
        };
        if let Some(slug) = &meta.slug {
            if !is_file_id(slug) {
                let t = self.manifest_text();
                let span = crate::load::yaml::yaml_key_span(&t, "slug").unwrap_or(0..1);
                self.diags.push(
                    Diagnostic::error(format!(
                        "slug `{slug}` names output files; use only letters, digits, `-` and `_`"
                    ))
                    .at(MANIFEST, span),
                );
            }
        }
        let slug = meta.slug.clone().unwrap_or_else(|| {
            let s = slugify(&title_text);
            let words: Vec<&str> = s.split('-').filter(|w| !w.is_empty()).take(6).collect();
            if words.is_empty() {
                "article".to_string()
            } else {
                words.join("-")
            }
        });
        Document {
            title,
            title_text,
            subtitle,
            lang: self.project.lang().to_string(),
            slug,
            article_type: meta.article_type.clone(),
            authors,
            affiliations,
            dates,
            keywords: meta.keywords.clone(),
            journal,
            volume: journal_full.and_then(|j| j.volume.clone()),
            issue: journal_full.and_then(|j| j.issue.clone()),
            pages: journal_full.and_then(|j| j.pages.clone()),
            year,
            publisher,
            doi: meta.doi.clone(),
            license_name,
            license_url,
            abstract_: Vec::new(),
            summary: Vec::new(),
            sections: Vec::new(),
            back_matter: Vec::new(),
            citations: Vec::new(),
            references: Vec::new(),
            footnotes: Vec::new(),
            targets: BTreeMap::new(),
            numeric_citations: true,
            mathml: BTreeMap::new(),
            typst_math: BTreeMap::new(),
        }
    }

    fn abstract_blocks(&mut self) -> Vec<TitledBlocks> {
        match self.project.meta.abstract_.clone() {
            None => Vec::new(),
            Some(AbstractSpec::Plain(text)) => vec![TitledBlocks {
                title: "Abstract".into(),
                id: "abstract-text".into(),
                blocks: self.manifest_markdown(&text, "the abstract"),
            }],
            Some(AbstractSpec::Structured(parts)) => parts
                .iter()
                .map(|(title, text)| TitledBlocks {
                    title: title.clone(),
                    id: format!("abstract-{}", slugify(title)),
                    blocks: self.manifest_markdown(text, &format!("the abstract ({title})")),
                })
                .collect(),
        }
    }

    fn summary_blocks(&mut self) -> Vec<TitledBlocks> {
        let Some(summary) = self.project.meta.summary.clone() else {
            return Vec::new();
        };
        summary
            .iter()
            .map(|(title, items)| {
                let items = items
                    .iter()
                    .map(|item| self.manifest_markdown(item, &format!("the summary ({title})")))
                    .map(|blocks| {
                        blocks
                            .into_iter()
                            .map(|b| match b {
                                Block::Para(i) => Block::Plain(i),
                                other => other,
                            })
                            .collect()
                    })
                    .collect();
                TitledBlocks {
                    title: title.clone(),
                    id: format!("summary-{}", slugify(title)),
                    blocks: vec![Block::List { start: None, items }],
                }
            })
            .collect()
    }

    fn back_matter_blocks(&mut self) -> Vec<TitledBlocks> {
        self.project
            .meta
            .back_matter
            .clone()
            .iter()
            .enumerate()
            .map(|(i, b)| TitledBlocks {
                title: b.title.clone(),
                id: b.id.clone().unwrap_or_else(|| {
                    let s = slugify(&b.title);
                    if s.is_empty() {
                        format!("back-{}", i + 1)
                    } else {
                        s
                    }
                }),
                blocks: self.manifest_markdown(&b.content, &b.title),
            })
            .collect()
    }

    fn add_target(&mut self, id: &str, kind: &'static str, number: String, span: Range<usize>) {
        let (file, range) = self.locate(span.clone(), Some(id));
        if let Some((pf, ps)) = self.target_spans.get(id) {
            let (pl, _) = line_col(self.project.sources.get(pf).unwrap_or(""), ps.start);
            let d = Diagnostic::error(format!("duplicate id `{id}`"))
                .at(&file, range)
                .with_note(format!("first used at {}:{pl}", pf.display()));
            self.diags.push(d);
            return;
        }
        self.target_spans.insert(id.to_string(), (file, range));
        self.targets.insert(id.to_string(), Target { kind, number });
    }

    fn finish(&mut self, doc: &mut Document) {
        for (id, file, span) in std::mem::take(&mut self.xrefs) {
            if !self.targets.contains_key(&id) {
                let mut d =
                    Diagnostic::error(format!("unknown cross-reference `@{id}`")).at(file, span);
                if let Some(s) = nearest(&id, self.targets.keys().map(String::as_str)) {
                    d = d.with_note(format!("did you mean `@{s}`?"));
                }
                self.diags.push(d);
            }
        }
        let mut footnotes = Vec::new();
        for (key, file, span) in &self.footnote_labels {
            match self.footnote_defs.get(key) {
                Some(b) => footnotes.push(b.clone()),
                None => {
                    let label = key.rsplit('#').next().unwrap_or(key);
                    self.diags.push(
                        Diagnostic::error(format!(
                            "footnote `[^{label}]` is never defined in this file"
                        ))
                        .at(file, span.clone()),
                    );
                    footnotes.push(Vec::new());
                }
            }
        }
        doc.footnotes = footnotes;
        for spec in self.specs.values() {
            if !self.placed.contains_key(&spec.spec.id) {
                self.diags.push(
                    Diagnostic::warning(format!(
                        "table `{}` is never placed; add {{{{ table(id=\"{}\") }}}} to a section",
                        spec.spec.id, spec.spec.id
                    ))
                    .at(&spec.file, spec.key_span("id")),
                );
            }
        }
    }

    /// An image path (relative to manuscript/) must name a file inside
    /// manuscript/; it is then copied to the site at the same path.
    fn check_image(&mut self, src: &str, span: Range<usize>) -> bool {
        let problem = if src.starts_with("http://")
            || src.starts_with("https://")
            || src.starts_with("//")
        {
            Some(format!(
                "image `{src}` is on another host; the site loads nothing from other hosts — put the file in manuscript/figures/"
            ))
        } else {
            match resolve_inside(&self.project.root.join("manuscript"), src) {
                Ok(full) => crate::load::images::inspect(&full, src, &self.project.cache).err(),
                Err(m) => Some(format!("image path {m} folder manuscript/")),
            }
        };
        match problem {
            None => {
                let rel = format!("manuscript/{src}");
                if !self.images.contains(&rel) {
                    self.images.push(rel);
                    let at = self.locate(span, Some(src));
                    self.image_refs.push(at);
                }
                true
            }
            Some(msg) => {
                let d = self.error_at(span, Some(src), msg);
                self.diags.push(d);
                false
            }
        }
    }

    // ------------------------------------------------------------ tables

    fn place_table(&mut self, id: &str, span: Range<usize>) -> Option<Block> {
        let Some(spec) = self.specs.get(id) else {
            let mut d = self.error_at(span, Some(id), format!("unknown table `{id}`"));
            if let Some(s) = nearest(id, self.specs.keys().map(String::as_str)) {
                d = d.with_note(format!("did you mean `{s}`?"));
            } else {
                d = d.with_note("tables are defined in manuscript/tables/*.yaml");
            }
            self.diags.push(d);
            return None;
        };
        if !self.note_placement(id, span.clone()) {
            return None;
        }
        self.tables_placed += 1;
        let number = self.tables_placed;
        self.add_target(id, "Table", number.to_string(), span);
        let spec = spec.clone();
        self.build_table(&spec, number)
    }

    fn note_placement(&mut self, id: &str, span: Range<usize>) -> bool {
        let (file, range) = self.locate(span, Some(id));
        if let Some((pf, ps)) = self.placed.get(id) {
            let (pl, _) = line_col(self.project.sources.get(pf).unwrap_or(""), ps.start);
            self.diags.push(
                Diagnostic::error(format!("`{id}` is placed twice"))
                    .at(file, range)
                    .with_note(format!("first placed at {}:{pl}", pf.display())),
            );
            return false;
        }
        self.placed.insert(id.to_string(), (file, range));
        true
    }

    fn spec_template(
        &mut self,
        spec: &LoadedSpec,
        text: &str,
        what: &str,
    ) -> Option<(String, Origin)> {
        let origin = Origin {
            file: spec.file.clone(),
            offset: spec.offset_of(text),
            text: text.to_string(),
        };
        let name = self.next_template_name(&spec.file.display().to_string());
        match crate::assemble::sandbox::add(&mut self.tera, &name, text) {
            Ok(()) => Some((name, origin)),
            Err(e) => {
                self.diags.push(template::locate_error(&e, &origin, what));
                None
            }
        }
    }

    fn render_spec(
        &mut self,
        name: &str,
        origin: &Origin,
        ctx: &Context,
        what: &str,
    ) -> Option<String> {
        match crate::assemble::sandbox::render(&self.tera, name, ctx, origin.text.len()) {
            Ok(s) => Some(s),
            Err(e) => {
                self.diags.push(template::locate_error(&e, origin, what));
                None
            }
        }
    }

    /// Parse rendered Markdown that came from a spec's template.
    fn spec_markdown(&mut self, spec: &LoadedSpec, origin: &Origin, rendered: &str) -> Vec<Block> {
        self.parse_in(Frame::new(
            &spec.file,
            &spec.text,
            origin.offset,
            &origin.text,
            rendered.to_string(),
        ))
    }

    /// Parse Markdown with spans mapped through `frame`.
    fn parse_in(&mut self, frame: Frame) -> Vec<Block> {
        let text = frame.rendered.clone();
        let saved = std::mem::replace(&mut self.frame, frame);
        let project = self.project;
        let blocks = markdown::parse(&text, self, &project.cache);
        self.frame = saved;
        blocks
    }

    fn build_table(&mut self, spec: &LoadedSpec, number: usize) -> Option<Block> {
        let s = &spec.spec;
        let file_label = spec.file.display().to_string();
        let name = self.next_template_name(&file_label);
        let rows = match template::eval_expr(&mut self.tera, &name, &s.source, &self.ctx) {
            Ok(Value::Array(rows)) => rows,
            Ok(other) => {
                let kind = match other {
                    Value::Object(_) => "a map",
                    Value::Null => "nothing (null)",
                    Value::String(_) => "a string",
                    Value::Number(_) => "a number",
                    Value::Bool(_) => "a boolean",
                    Value::Array(_) => "a list",
                };
                self.diags.push(
                    Diagnostic::error(format!(
                        "table source `{}` gives {kind}, not a list of rows",
                        s.source
                    ))
                    .at(&spec.file, spec.key_span("source")),
                );
                return None;
            }
            Err(e) => {
                let msg = template::error_chain(&e)
                    .into_iter()
                    .filter(|m| !m.starts_with("Failed to"))
                    .collect::<Vec<_>>()
                    .join(": ");
                self.diags.push(
                    Diagnostic::error(format!(
                        "table source `{}` cannot be evaluated: {msg}",
                        s.source
                    ))
                    .at(&spec.file, spec.key_span("source")),
                );
                return None;
            }
        };
        let caption_t = self.spec_template(spec, &s.caption, "the table caption");
        let group_t = s
            .group
            .as_ref()
            .and_then(|g| self.spec_template(spec, g, "the table group"));
        let notes_t = s
            .notes
            .as_ref()
            .and_then(|n| self.spec_template(spec, n, "the table notes"));
        let mut cell_ts = Vec::new();
        for (i, c) in s.columns.iter().enumerate() {
            cell_ts.push(self.spec_template(
                spec,
                &c.cell,
                &format!("column {} (`{}`) of {}", i + 1, c.header, s.id),
            ));
        }
        if cell_ts.iter().any(Option::is_none) {
            return None;
        }
        let mut ctx = self.ctx.clone();
        let caption = match &caption_t {
            Some((n, o)) => {
                let r = self.render_spec(n, o, &ctx, "the table caption")?;
                markdown::inline(self.spec_markdown(spec, o, &r))
            }
            None => Vec::new(),
        };
        let marks: Vec<Mark> = s
            .marks
            .iter()
            .map(|(k, m)| Mark {
                key: k.clone(),
                label: m.label.clone(),
                tone: m.tone.clone().unwrap_or_default(),
            })
            .collect();
        let mut out_rows = Vec::new();
        let mut last_group: Option<String> = None;
        let mut group_index = 0;
        for (idx, row) in rows.iter().enumerate() {
            ctx.insert("row", row);
            ctx.insert("index", &(idx + 1));
            if let Some((n, o)) = &group_t {
                let g = self
                    .render_spec(n, o, &ctx, "the table group")?
                    .trim()
                    .to_string();
                if last_group.as_deref() != Some(g.as_str()) {
                    let content = markdown::inline(self.spec_markdown(spec, o, &g));
                    out_rows.push(Row::Group(content));
                    last_group = Some(g);
                    group_index = 0;
                }
            }
            group_index += 1;
            ctx.insert("group_index", &group_index);
            let mut cells = Vec::new();
            for (ci, col) in s.columns.iter().enumerate() {
                let (n, o) = cell_ts[ci].clone()?;
                let what = format!(
                    "row {} column {} (`{}`) of {}",
                    idx + 1,
                    ci + 1,
                    col.header,
                    s.id
                );
                let text = self.render_spec(&n, &o, &ctx, &what)?;
                if col.mark {
                    let key = text.trim();
                    match marks.iter().find(|m| m.key == key) {
                        Some(m) => cells.push(Cell::Mark(m.clone())),
                        None => {
                            let keys = marks
                                .iter()
                                .map(|m| m.key.as_str())
                                .collect::<Vec<_>>()
                                .join(", ");
                            self.diags.push(
                                Diagnostic::error(format!(
                                    "{what}: `{key}` is not one of the table's marks ({keys})"
                                ))
                                .at(&spec.file, o.offset..o.offset + 1),
                            );
                            cells.push(Cell::Blocks(Vec::new()));
                        }
                    }
                } else {
                    cells.push(Cell::Blocks(self.spec_markdown(spec, &o, &text)));
                }
            }
            out_rows.push(Row::Cells(cells));
        }
        let notes = match &notes_t {
            Some((n, o)) => {
                let r = self.render_spec(n, o, &ctx, "the table notes")?;
                self.spec_markdown(spec, o, &r)
            }
            None => Vec::new(),
        };
        let columns = s
            .columns
            .iter()
            .map(|c| Column {
                align: match c.align.as_deref() {
                    Some("center") => Some(Align::Center),
                    Some("right") => Some(Align::Right),
                    Some("left") => Some(Align::Left),
                    _ => None,
                },
                width: c.width,
            })
            .collect();
        let header = self.table_header(spec);
        Some(Block::Table(Box::new(Table {
            id: Some(s.id.clone()),
            number: Some(number),
            caption,
            columns,
            header,
            rows: out_rows,
            notes,
            marks,
        })))
    }

    fn table_header(&mut self, spec: &LoadedSpec) -> Vec<Vec<HeaderCell>> {
        let cols = &spec.spec.columns;
        let inline = |a: &mut Self, t: &str| -> Vec<Inline> {
            let frame = Frame::new(
                &spec.file,
                &spec.text,
                find_template(&spec.text, t),
                t,
                t.to_string(),
            );
            markdown::inline(a.parse_in(frame))
        };
        if cols.iter().all(|c| c.supheader.is_none()) {
            let row = cols
                .iter()
                .map(|c| HeaderCell {
                    content: inline(self, &c.header),
                    colspan: 1,
                    rowspan: 1,
                })
                .collect();
            return vec![row];
        }
        let mut top = Vec::new();
        let mut bottom = Vec::new();
        let mut i = 0;
        while i < cols.len() {
            match &cols[i].supheader {
                None => {
                    top.push(HeaderCell {
                        content: inline(self, &cols[i].header),
                        colspan: 1,
                        rowspan: 2,
                    });
                    i += 1;
                }
                Some(sup) => {
                    let mut j = i;
                    while j < cols.len() && cols[j].supheader.as_ref() == Some(sup) {
                        bottom.push(HeaderCell {
                            content: inline(self, &cols[j].header),
                            colspan: 1,
                            rowspan: 1,
                        });
                        j += 1;
                    }
                    top.push(HeaderCell {
                        content: inline(self, sup),
                        colspan: j - i,
                        rowspan: 1,
                    });
                    i = j;
                }
            }
        }
        vec![top, bottom]
    }

    // ----------------------------------------------------------- figures

    fn place_figure(&mut self, json: &str, span: Range<usize>) -> Option<Block> {
        let args: BTreeMap<String, Value> =
            match serde_json::from_str(&template::unescape_marker(json)) {
                Ok(a) => a,
                Err(e) => {
                    let d = self.error_at(span, Some("figure("), format!("bad figure() call: {e}"));
                    self.diags.push(d);
                    return None;
                }
            };
        let get = |k: &str| args.get(k).and_then(Value::as_str).map(str::to_string);
        let id = get("id").unwrap_or_default();
        let needle = format!("\"{id}\"");
        if !id.starts_with("fig-") || !is_file_id(&id) {
            let d = self.error_at(
                span,
                Some(&needle),
                format!("figure id `{id}` must start with `fig-` and use only letters, digits, `-` and `_`"),
            );
            self.diags.push(d);
            return None;
        }
        if !self.note_placement(&id, span.clone()) {
            return None;
        }
        let mut data_caption = None;
        let (body, alt) = match (get("kind").as_deref(), get("src")) {
            (Some("prisma"), _) => {
                let stem = get("data").unwrap_or_else(|| "prisma".to_string());
                let Some(value) = self.project.data.get(&stem) else {
                    let d = self.error_at(
                        span,
                        Some(&format!("\"{stem}\"")),
                        format!("figure `{id}` reads `data.{stem}`, but manuscript/data has no file `{stem}.*`"),
                    );
                    self.diags.push(d);
                    return None;
                };
                match prisma::render(value, &id) {
                    Ok(fig) => {
                        data_caption = fig.caption;
                        (
                            FigureBody::Svg {
                                svg: fig.svg,
                                file: format!("figures/{id}.svg"),
                            },
                            get("alt").unwrap_or(fig.description),
                        )
                    }
                    Err(msg) => {
                        let file = self
                            .project
                            .data_file(&stem)
                            .map(Path::to_path_buf)
                            .unwrap_or_default();
                        let text = self.project.sources.get(&file).unwrap_or("");
                        let span = msg
                            .split('`')
                            .nth(1)
                            .and_then(|k| crate::load::yaml::yaml_key_span(text, k))
                            .unwrap_or(0..1);
                        self.diags
                            .push(Diagnostic::error(format!("PRISMA data: {msg}")).at(file, span));
                        return None;
                    }
                }
            }
            (Some(other), _) => {
                let d = self.error_at(
                    span,
                    Some(&format!("\"{other}\"")),
                    format!("unknown figure kind `{other}` (galley draws: prisma)"),
                );
                self.diags.push(d);
                return None;
            }
            (None, Some(src)) => {
                if !self.check_image(&src, span.clone()) {
                    return None;
                }
                let alt = get("alt").unwrap_or_default();
                if alt.is_empty() {
                    let d = self.error_at(
                        span.clone(),
                        Some(&src),
                        format!("figure `{id}` needs an `alt` text"),
                    );
                    self.diags.push(Diagnostic {
                        severity: crate::diag::Severity::Warning,
                        ..d
                    });
                }
                (FigureBody::Image { src: src.clone() }, alt)
            }
            (None, None) => {
                let d = self.error_at(
                    span,
                    Some(&needle),
                    format!("figure `{id}` needs `kind=` (generated) or `src=` (an image)"),
                );
                self.diags.push(d);
                return None;
            }
        };
        let caption = match get("caption") {
            Some(c) => {
                let (file, file_text) = (self.frame.file.clone(), self.frame.file_text.clone());
                let base = find_template(&file_text, &c);
                markdown::inline(self.parse_in(Frame::new(&file, &file_text, base, &c, c.clone())))
            }
            None => match data_caption {
                Some(c) => {
                    let stem = get("data").unwrap_or_else(|| "prisma".to_string());
                    let file = self
                        .project
                        .data_file(&stem)
                        .map(Path::to_path_buf)
                        .unwrap_or_default();
                    let file_text = self.project.sources.get(&file).unwrap_or("").to_string();
                    let base = find_template(&file_text, &c);
                    markdown::inline(self.parse_in(Frame::new(
                        &file,
                        &file_text,
                        base,
                        &c,
                        c.clone(),
                    )))
                }
                None => Vec::new(),
            },
        };
        self.figures_placed += 1;
        let number = self.figures_placed;
        self.add_target(&id, "Figure", number.to_string(), span);
        Some(Block::Figure(Box::new(Figure {
            id,
            number,
            caption,
            alt,
            body,
        })))
    }
}

impl Sink for Asm<'_> {
    fn error(&mut self, span: Range<usize>, message: String) {
        let d = self.error_at(span, None, message);
        self.diags.push(d);
    }
    fn cite(&mut self, items: Vec<CiteItem>, mode: CiteMode, span: Range<usize>) -> Inline {
        let mut ok = true;
        for item in &items {
            if self.bib.get(&item.key).is_none() {
                ok = false;
                let needle = format!("@{}", item.key);
                let (file, range) = self.locate(span.clone(), Some(&needle));
                let range = range.start + 1..range.end.max(range.start + 1);
                let mut d = Diagnostic::error(format!("unknown citation key `{}`", item.key))
                    .at(file, range)
                    .with_label("not in any bibliography file");
                if let Some(s) = self.bib.suggest(&item.key) {
                    d = d.with_note(format!("did you mean `{s}`?"));
                }
                self.diags.push(d);
            }
        }
        if !ok {
            return Inline::Text(String::new());
        }
        self.citations.push(Citation {
            items,
            mode,
            rendered: Vec::new(),
        });
        Inline::Cite(self.citations.len() - 1)
    }

    fn xref(&mut self, id: &str, span: Range<usize>) -> Inline {
        let needle = format!("@{id}");
        let (file, range) = self.locate(span, Some(&needle));
        self.xrefs.push((id.to_string(), file, range));
        Inline::XRef(id.to_string())
    }

    fn marker(&mut self, payload: &str, span: Range<usize>) -> Option<Block> {
        let (kind, rest) = payload.split_once(' ').unwrap_or((payload, ""));
        match kind {
            "table" => self.place_table(&template::unescape_marker(rest.trim()), span),
            "figure" => self.place_figure(rest.trim(), span),
            _ => None,
        }
    }

    fn heading(
        &mut self,
        level: u8,
        id: Option<String>,
        classes: Vec<String>,
        content: Vec<Inline>,
        span: Range<usize>,
    ) -> Block {
        let unnumbered = classes.iter().any(|c| c == "unnumbered" || c == "-");
        let l = (level as usize).clamp(1, 6);
        let number = if unnumbered {
            String::new()
        } else {
            self.counters[l - 1] += 1;
            for c in &mut self.counters[l..] {
                *c = 0;
            }
            self.counters[..l]
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(".")
        };
        let id = match id {
            Some(id) => id,
            None => {
                // Automatic ids, made unique with a suffix as Pandoc does.
                let base = format!("sec-{}", anchor_slug(&Inline::plain(&content, None)));
                let base = if base == "sec-" {
                    format!("sec-{}", self.targets.len() + 1)
                } else {
                    base
                };
                let mut id = base.clone();
                let mut n = 1;
                while self.targets.contains_key(&id) {
                    n += 1;
                    id = format!("{base}-{n}");
                }
                id
            }
        };
        if !number.is_empty() {
            self.add_target(&id, "Section", number.clone(), span);
        } else {
            self.add_target(&id, "Section", Inline::plain(&content, None), span);
        }
        Block::Heading(Heading {
            level,
            id,
            number,
            content,
        })
    }

    fn footnote_ref(&mut self, label: &str, span: Range<usize>) -> Inline {
        // Labels are local to the file that uses them.
        let key = format!("{}#{label}", self.frame.file.display());
        let idx = match self.footnote_labels.iter().position(|(l, _, _)| *l == key) {
            Some(i) => i,
            None => {
                let (file, range) = self.locate(span, Some(&format!("[^{label}]")));
                self.footnote_labels.push((key, file, range));
                self.footnote_labels.len() - 1
            }
        };
        Inline::Note(idx)
    }

    fn footnote_def(&mut self, label: &str, blocks: Vec<Block>, _span: Range<usize>) {
        let key = format!("{}#{label}", self.frame.file.display());
        self.footnote_defs.insert(key, blocks);
    }

    fn image(&mut self, src: &str, alt: String, span: Range<usize>) -> Inline {
        if self.check_image(src, span) {
            Inline::Image {
                src: src.to_string(),
                alt,
            }
        } else {
            Inline::Text(alt)
        }
    }

    fn math(
        &mut self,
        tex: &str,
        display: bool,
        label: Option<String>,
        span: Range<usize>,
    ) -> Inline {
        if let Some(id) = &label {
            self.equations += 1;
            self.add_target(id, "Equation", self.equations.to_string(), span.clone());
        }
        let key = crate::model::math_key(tex, display);
        if !self.mathml.contains_key(&key) {
            let converted = self
                .math
                .to_mathml(tex, display)
                .map_err(|e| format!("{e} (for the site)"))
                .and_then(|m| {
                    math::to_typst(tex)
                        .map(|t| (m, t))
                        .map_err(|e| format!("{e} (for the PDF)"))
                });
            match converted {
                Ok((m, t)) => {
                    self.mathml.insert(key.clone(), m);
                    self.typst_math.insert(key, t);
                }
                Err(e) => {
                    let d = self.error_at(
                        span,
                        Some(tex),
                        format!(
                            "cannot convert math `{}`: {e}",
                            crate::diag::shorten(tex, 60)
                        ),
                    );
                    self.diags.push(d);
                }
            }
        }
        Inline::Math {
            tex: tex.to_string(),
            display,
            label,
        }
    }

    fn allow_html(&self) -> bool {
        self.project.meta.allow_html
    }
}

/// Offset of a code fence that is opened and never closed.
fn unclosed_fence(text: &str) -> Option<usize> {
    let mut open: Option<(usize, char, usize)> = None;
    let mut off = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        let indent = line.len() - t.len();
        if indent < 4 {
            for fence in ['`', '~'] {
                let n = t.chars().take_while(|&c| c == fence).count();
                if n >= 3 {
                    match open {
                        None => {
                            open = Some((off + indent, fence, n));
                        }
                        Some((_, f, m)) if f == fence && n >= m && t[n..].trim().is_empty() => {
                            open = None
                        }
                        _ => {}
                    }
                    break;
                }
            }
        }
        off += line.len();
    }
    open.map(|(o, _, _)| o)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The paper's citations and references, resolved on one thread and in
    /// parallel chunks.
    fn paper_resolved(chunks: usize) -> Document {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let project = Project::load(root, &crate::cache::Cache::off())
            .unwrap_or_else(|_| panic!("the paper loads"));
        let a = assemble(&project).unwrap_or_else(|_| panic!("assembles"));
        let mut sources = SourceMap::default();
        let style = crate::load::style::load_style(&project, &mut sources).unwrap();
        assert!(cite::chunkable(&style));
        let mut doc = a.doc.clone();
        cite::resolve_with(&mut doc, &a.bibliography, &style, chunks, &project.cache);
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
    fn detects_unclosed_fence() {
        assert_eq!(unclosed_fence("a\n```rust\ncode\n"), Some(2));
        assert_eq!(unclosed_fence("```\nx\n```\n"), None);
    }

    #[test]
    fn slugs() {
        assert_eq!(
            slugify("Effects of Intravenous Ketamine (PTSD)"),
            "effects-of-intravenous-ketamine-ptsd"
        );
    }
}
