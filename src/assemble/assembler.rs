//! Assembling the document model from a loaded project: Tera data
//! references, Markdown, tables, figures, citations and cross-references.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};

use tera::{Context, Tera};

use crate::assemble::markdown;
use crate::assemble::math;
use crate::assemble::template::{self, Origin};
use crate::diag::nearest;
use crate::diag::{line_col, offset_of, Diagnostic, Diagnostics};
use crate::load::bibliography::Bibliography;
use crate::load::meta::Templates;
use crate::load::project::{Project, MANIFEST};
use crate::load::tables::LoadedSpec;
use crate::load::yaml::find_template;
use crate::model::*;

impl Frame {
    /// `template` is the text as written at `base` in the file, `rendered`
    /// what Tera made of it.
    pub(super) fn new(
        file: &Path,
        file_text: &str,
        base: usize,
        template: &str,
        rendered: String,
    ) -> Frame {
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
pub(super) struct Frame {
    pub(super) file: PathBuf,
    /// Offset of the template in the file.
    pub(super) base: usize,
    /// The file's text.
    pub(super) file_text: String,
    /// The text handed to the Markdown parser (after Tera).
    pub(super) rendered: String,
    /// True when the rendered text is the file text itself (no template
    /// expanded), so spans map exactly.
    pub(super) exact: bool,
}

pub(super) struct Assembler<'p> {
    pub(super) project: &'p Project,
    pub(super) bib: &'p Bibliography,
    pub(super) specs: &'p BTreeMap<String, LoadedSpec>,
    pub(super) tera: Tera,
    pub(super) ctx: Context,
    pub(super) ctx_key: Option<[u8; 32]>,
    /// The scope of Jinja2 templates (`templates: manubot`): `ctx` and
    /// Manubot's variables.
    pub(super) jinja_ctx: Option<minijinja::Value>,
    pub(super) diags: Diagnostics,
    pub(super) citations: Vec<Citation>,
    /// Footnotes in order of first reference: (file#label, where).
    pub(super) footnote_labels: Vec<(String, PathBuf, Range<usize>)>,
    pub(super) footnote_defs: HashMap<String, Vec<Block>>,
    pub(super) counters: [usize; 6],
    /// Levels every heading moves up by (a document written from `##`).
    pub(super) heading_shift: u8,
    /// The analyses, computed, by stem (for forest plots).
    pub(super) analyses: BTreeMap<String, super::analyses::Result>,
    /// Citation aliases (`[@alias]: key`, Manubot's): alias to key.
    pub(super) cite_aliases: HashMap<String, String>,
    /// The level of the last heading, so that none skips a level (PDF/UA
    /// wants level 1 first, then at most one deeper at a time).
    pub(super) last_heading: u8,
    pub(super) targets: BTreeMap<String, Target>,
    pub(super) target_spans: HashMap<String, (PathBuf, Range<usize>)>,
    pub(super) xrefs: Vec<(String, PathBuf, Range<usize>)>,
    pub(super) tables_placed: usize,
    pub(super) figures_placed: usize,
    pub(super) equations: usize,
    /// Numbered display formulas without an id of their own.
    pub(super) unnamed_equations: usize,
    /// A `::: {#refs}` div was seen (the reference list's place).
    pub(super) refs_div: bool,
    /// Labels of executable cells (`#| label: fig-x`), which galley does
    /// not run: a cross-reference to one is a warning.
    pub(super) cell_labels: std::collections::HashSet<String>,
    /// Files whose executable cells were warned about.
    pub(super) warned_cells: Vec<PathBuf>,
    pub(super) placed: HashMap<String, (PathBuf, Range<usize>)>,
    pub(super) frame: Frame,
    pub(super) template_seq: usize,
    /// Renderings of the sections' templates made ahead on other threads,
    /// by the key of their text ([`super::prerender`]).
    pub(super) prerendered: HashMap<[u8; 32], String>,
    pub(super) images: Vec<String>,
    pub(super) image_refs: Vec<(PathBuf, Range<usize>)>,
    pub(super) mathml: BTreeMap<String, String>,
    pub(super) typst_math: BTreeMap<String, String>,
    pub(super) math: math::Converter,
}

impl<'p> Assembler<'p> {
    pub(super) fn new(
        project: &'p Project,
        bib: &'p Bibliography,
        specs: &'p BTreeMap<String, LoadedSpec>,
        ctx: Context,
        ctx_key: Option<[u8; 32]>,
    ) -> Assembler<'p> {
        let jinja_ctx = (project.meta.templates == Templates::Manubot).then(|| {
            let mut scope = match ctx.clone().into_json() {
                serde_json::Value::Object(m) => m,
                _ => serde_json::Map::new(),
            };
            let (manubot, pandoc) =
                template::manubot::variables(&project.meta, &project.meta_value);
            scope.insert("manubot".into(), manubot);
            scope.insert("pandoc".into(), pandoc);
            minijinja::Value::from(minijinja::value::Serde(&scope))
        });
        Assembler {
            project,
            bib,
            specs,
            tera: template::new_tera(),
            ctx,
            ctx_key,
            jinja_ctx,
            diags: Diagnostics::new(),
            citations: Vec::new(),
            footnote_labels: Vec::new(),
            footnote_defs: HashMap::new(),
            counters: [0; 6],
            heading_shift: 0,
            cite_aliases: HashMap::new(),
            analyses: BTreeMap::new(),
            last_heading: 0,
            targets: BTreeMap::new(),
            target_spans: HashMap::new(),
            xrefs: Vec::new(),
            tables_placed: 0,
            figures_placed: 0,
            equations: 0,
            unnamed_equations: 0,
            refs_div: false,
            cell_labels: std::collections::HashSet::new(),
            warned_cells: Vec::new(),
            placed: HashMap::new(),
            frame: Frame::default(),
            template_seq: 0,
            prerendered: HashMap::new(),
            images: Vec::new(),
            image_refs: Vec::new(),
            mathml: BTreeMap::new(),
            typst_math: BTreeMap::new(),
            math: math::Converter::new(),
        }
    }
}

/// An anchor from heading text: Unicode letters and digits kept, lowercase.
pub(super) fn anchor_slug(s: &str) -> String {
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

impl<'p> Assembler<'p> {
    pub(super) fn manifest_text(&self) -> String {
        self.project
            .sources
            .get(Path::new(MANIFEST))
            .unwrap_or("")
            .to_string()
    }

    /// Map a span of the rendered text to the source file, preferring the
    /// place where `needle` is written.
    pub(super) fn locate(
        &self,
        span: Range<usize>,
        needle: Option<&str>,
    ) -> (PathBuf, Range<usize>) {
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

    pub(super) fn error_at(
        &mut self,
        span: Range<usize>,
        needle: Option<&str>,
        msg: String,
    ) -> Diagnostic {
        let (file, range) = self.locate(span, needle);
        Diagnostic::error(msg).at(file, range)
    }

    pub(super) fn next_template_name(&mut self, hint: &str) -> String {
        self.template_seq += 1;
        format!("{hint}#{}", self.template_seq)
    }

    /// Render a template in the project's language, Tera or Jinja2.
    fn render_template(
        &mut self,
        name: &str,
        origin: &Origin,
        protected: &str,
        what: &str,
    ) -> Result<String, Diagnostic> {
        if let Some(r) = self.prerendered.remove(&super::prerender_key(protected)) {
            return Ok(r);
        }
        let jinja = self.jinja_ctx.as_ref();
        template::render_one(
            &mut self.tera,
            jinja,
            name,
            origin,
            protected,
            &self.ctx,
            what,
        )
    }

    /// Render a template (Tera or Jinja2) then parse it as Markdown.
    pub(super) fn markdown_template(
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
        let protected = self.protect(file, base, template);
        let rendered = match self.ctx_key {
            Some(scope) => {
                let k = crate::cache::key(&[&scope, protected.as_bytes()]);
                let cache = &self.project.cache;
                cache.cached("template", k, || {
                    self.render_template(&name, &origin, &protected, what)
                })
            }
            None => self.render_template(&name, &origin, &protected, what),
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

    pub(super) fn markdown_file(&mut self, path: &Path, text: &str) -> Vec<Block> {
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

    pub(super) fn manifest_markdown(&mut self, text: &str, what: &str) -> Vec<Block> {
        let manifest_text = self.manifest_text();
        self.markdown_template(Path::new(MANIFEST), &manifest_text, text, what)
            .unwrap_or_default()
    }

    pub(super) fn manifest_inline(&mut self, text: &str, what: &str) -> Vec<Inline> {
        markdown::inline(self.manifest_markdown(text, what))
    }

    pub(super) fn add_target(
        &mut self,
        id: &str,
        kind: &'static str,
        number: String,
        span: Range<usize>,
    ) {
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

    pub(super) fn finish(&mut self, doc: &mut Document) {
        for (id, file, span) in std::mem::take(&mut self.xrefs) {
            if !self.targets.contains_key(&id) && self.cell_labels.contains(&id) {
                self.diags.push(
                    Diagnostic::warning(format!(
                        "cross-reference `@{id}` points at an executable cell galley does not run; shown as `{id}`"
                    ))
                    .at(file, span),
                );
                continue;
            }
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

    // ------------------------------------------------------------ tables

    /// Parse Markdown with spans mapped through `frame`.
    pub(super) fn parse_in(&mut self, frame: Frame) -> Vec<Block> {
        let text = frame.rendered.clone();
        let saved = std::mem::replace(&mut self.frame, frame);
        let project = self.project;
        let blocks = markdown::parse(&text, self, &project.cache);
        self.frame = saved;
        blocks
    }

    // ----------------------------------------------------------- figures
}

/// Offset of a code fence that is opened and never closed.
pub(super) fn unclosed_fence(text: &str) -> Option<usize> {
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

    #[test]
    fn detects_unclosed_fence() {
        assert_eq!(unclosed_fence("a\n```rust\ncode\n"), Some(2));
        assert_eq!(unclosed_fence("```\nx\n```\n"), None);
    }
}
