//! What the Markdown reader reports (citations, cross-references,
//! headings, notes, images, math) turned into the model.

use std::ops::Range;

use super::assembler::{anchor_slug, Assembler};
use crate::assemble::markdown::Sink;
use crate::assemble::math;
use crate::assemble::template::{self};
use crate::diag::Diagnostic;
use crate::load::meta::MissingCitations;
use crate::model::attrs::Attrs;
use crate::model::*;

impl Sink for Assembler<'_> {
    fn error(&mut self, span: Range<usize>, message: String) {
        let d = self.error_at(span, None, message);
        self.diags.push(d);
    }
    fn warning(&mut self, span: Range<usize>, message: String) {
        let (file, range) = self.locate(span, None);
        self.diags
            .push(Diagnostic::warning(message).at(file, range));
    }
    fn div(
        &mut self,
        attrs: Attrs,
        title: Option<Vec<Inline>>,
        blocks: Vec<Block>,
        span: Range<usize>,
    ) -> Vec<Block> {
        self.pandoc_div(attrs, title, blocks, span)
    }
    fn image_figure(
        &mut self,
        src: &str,
        caption: Vec<Inline>,
        attrs: Attrs,
        span: Range<usize>,
    ) -> Block {
        self.pandoc_image_figure(src, caption, attrs, span)
    }
    fn caption_table(
        &mut self,
        table: Table,
        caption: Vec<Inline>,
        attrs: Attrs,
        span: Range<usize>,
    ) -> Block {
        self.pandoc_caption_table(table, caption, attrs, span)
    }
    fn inline_note(&mut self, content: Vec<Inline>, span: Range<usize>) -> Inline {
        let key = format!(
            "{}#^inline-{}",
            self.frame.file.display(),
            self.footnote_labels.len()
        );
        let (file, range) = self.locate(span, None);
        self.footnote_labels.push((key.clone(), file, range));
        self.footnote_defs.insert(key, vec![Block::Para(content)]);
        Inline::Note(self.footnote_labels.len() - 1)
    }
    fn code_cell(&mut self, lang: &str, text: String, span: Range<usize>) -> Block {
        self.pandoc_code_cell(lang, text, span)
    }
    fn cite(&mut self, mut items: Vec<CiteItem>, mode: CiteMode, span: Range<usize>) -> Inline {
        for item in &mut items {
            if self.bib.get(&item.key).is_none() {
                if let Some(key) = self.cite_aliases.get(&item.key) {
                    item.key = key.clone();
                }
            }
        }
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
                if self.project.meta.missing_citations == MissingCitations::Warn {
                    d.severity = crate::diag::Severity::Warning;
                }
                self.diags.push(d);
            }
        }
        if !ok && self.project.meta.missing_citations == MissingCitations::Warn {
            // As Pandoc shows it: the citation, its unknown keys marked.
            let known: Vec<CiteItem> = items
                .iter()
                .filter(|i| self.bib.get(&i.key).is_some())
                .cloned()
                .collect();
            let mut out = vec![Inline::Text("(".into())];
            for (n, item) in items
                .iter()
                .filter(|i| self.bib.get(&i.key).is_none())
                .enumerate()
            {
                if n > 0 {
                    out.push(Inline::Text("; ".into()));
                }
                out.push(Inline::Strong(vec![Inline::Text(format!("{}?", item.key))]));
            }
            out.push(Inline::Text(")".into()));
            if !known.is_empty() {
                let cite = self.cite(known, mode, span);
                out.insert(0, cite);
                out.insert(1, Inline::Text(" ".into()));
            }
            return Inline::Span {
                attrs: crate::model::attrs::Attrs {
                    classes: vec!["citation-missing".into()],
                    ..Default::default()
                },
                content: out,
            };
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
            "pagebreak" => Some(Block::PageBreak),
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
        let level = level
            .saturating_sub(self.heading_shift)
            .clamp(1, self.last_heading + 1);
        self.last_heading = level;
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
        if self.remote_image(src, span.clone()) {
            let text = if alt.is_empty() { src.to_string() } else { alt };
            Inline::Link {
                url: src.to_string(),
                content: vec![Inline::Text(text)],
            }
        } else if self.check_image(src, span) {
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
        let key = crate::model::math_key(tex, display);
        let label = if display {
            self.number_equation(label, &math::prepare(tex), span.clone())
        } else {
            label
        };
        if self.mathml.contains_key(&key) {
            return Inline::Math {
                tex: tex.to_string(),
                display,
                label,
            };
        }
        match self.math.convert(tex, display) {
            Ok(f) => {
                self.mathml.insert(key.clone(), f.mathml);
                self.typst_math.insert(key, f.typst);
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

impl Assembler<'_> {
    /// The id a display formula is numbered under: its `{#eq-x}`, else its
    /// first `\label`, else (a `\tag` or a numbered environment such as
    /// `equation`) one of galley's own. Every id it has becomes a target
    /// with the one number: the `\tag`, or the next of galley's.
    fn number_equation(
        &mut self,
        label: Option<String>,
        p: &math::Prepared,
        span: Range<usize>,
    ) -> Option<String> {
        let mut ids: Vec<String> = label.into_iter().chain(p.labels.iter().cloned()).collect();
        if ids.is_empty() && p.tag.is_none() && !p.numbered {
            return None;
        }
        let number = match &p.tag {
            Some(t) => t.clone(),
            None => {
                self.equations += 1;
                self.equations.to_string()
            }
        };
        if ids.is_empty() {
            self.unnamed_equations += 1;
            ids.push(format!("galley-equation-{}", self.unnamed_equations));
        }
        ids.dedup();
        for id in &ids {
            self.add_target(id, "Equation", number.clone(), span.clone());
        }
        ids.into_iter().next()
    }
}
