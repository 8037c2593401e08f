//! What Pandoc's and Quarto's block syntax means in the document: figures
//! (`![Caption](a.png){#fig-x}`, `::: {#fig-x}`), captioned tables (`:
//! Caption {#tbl-x}`, `::: {#tbl-x}`), callouts, the reference list's
//! place (`::: {#refs}`), other divs kept, and executable cells shown as
//! code.

use std::ops::Range;

use super::assembler::Assembler;
use crate::diag::Diagnostic;
use crate::model::attrs::Attrs;
use crate::model::ids::is_kind;
use crate::model::*;

/// Callout kinds and the title each has when it is given none.
const CALLOUTS: &[(&str, &str)] = &[
    ("note", "Note"),
    ("tip", "Tip"),
    ("warning", "Warning"),
    ("important", "Important"),
    ("caution", "Caution"),
];

impl Assembler<'_> {
    pub(super) fn pandoc_image_figure(
        &mut self,
        src: &str,
        caption: Vec<Inline>,
        attrs: Attrs,
        span: Range<usize>,
    ) -> Block {
        let alt = attrs
            .get("fig-alt")
            .or(attrs.get("alt"))
            .map(str::to_string)
            .unwrap_or_else(|| Inline::plain(&caption, None));
        let body = if self.remote_image(src, span.clone()) {
            FigureBody::Remote {
                url: src.to_string(),
            }
        } else if self.check_image(src, span.clone()) {
            FigureBody::Image {
                src: src.to_string(),
            }
        } else {
            return Block::Para(caption);
        };
        let (id, number) = self.number_figure(attrs.id.as_deref(), span);
        Block::Figure(Box::new(Figure {
            id,
            number,
            caption,
            alt,
            body,
            data: None,
        }))
    }

    /// A figure's id and number: `fig-` ids are numbered and can be
    /// cross-referenced; a figure without one is not numbered (number 0).
    fn number_figure(&mut self, id: Option<&str>, span: Range<usize>) -> (String, usize) {
        match id {
            Some(id) if is_kind(id, "fig") => {
                self.figures_placed += 1;
                let n = self.figures_placed;
                self.add_target(id, "Figure", n.to_string(), span);
                (id.to_string(), n)
            }
            Some(id) => (id.to_string(), 0),
            None => (String::new(), 0),
        }
    }

    pub(super) fn pandoc_caption_table(
        &mut self,
        mut table: Table,
        caption: Vec<Inline>,
        attrs: Attrs,
        span: Range<usize>,
    ) -> Block {
        table.caption = caption;
        if let Some(id) = attrs
            .id
            .as_deref()
            .filter(|i| matches!(*i, "tbl:" | "tbl-"))
        {
            let d = self.error_at(
                span.clone(),
                Some(&format!("#{id}")),
                format!("table id `{id}` has no name after the prefix (is there a space after `{id}`?); the table is not numbered"),
            );
            self.diags.push(Diagnostic {
                severity: crate::diag::Severity::Warning,
                ..d
            });
        }
        if let Some(id) = attrs.id.filter(|i| is_kind(i, "tbl")) {
            self.tables_placed += 1;
            let n = self.tables_placed;
            self.add_target(&id, "Table", n.to_string(), span);
            table.id = Some(id);
            table.number = Some(n);
        }
        Block::Table(Box::new(table))
    }

    pub(super) fn pandoc_div(
        &mut self,
        attrs: Attrs,
        heading_title: Option<Vec<Inline>>,
        blocks: Vec<Block>,
        span: Range<usize>,
    ) -> Vec<Block> {
        let id = attrs.id.clone().unwrap_or_default();
        if id == "refs" {
            // The reference list goes where galley puts it: the end.
            self.refs_div = true;
            return Vec::new();
        }
        if let Some((kind, default_title)) = attrs
            .classes
            .iter()
            .find_map(|c| c.strip_prefix("callout-"))
            .and_then(|k| CALLOUTS.iter().find(|(name, _)| *name == k))
        {
            let title = match (attrs.get("title"), heading_title) {
                (Some(t), _) => vec![Inline::Text(t.to_string())],
                (None, Some(h)) => h,
                _ => vec![Inline::Text(default_title.to_string())],
            };
            return vec![Block::Callout {
                kind: kind.to_string(),
                title,
                blocks,
            }];
        }
        if is_kind(&id, "fig") {
            return vec![self.figure_div(&id, blocks, span)];
        }
        let mut blocks = blocks;
        if is_kind(&id, "tbl") {
            if let Some(i) = blocks.iter().position(|b| matches!(b, Block::Table(_))) {
                let caption = match blocks.iter().rposition(|b| matches!(b, Block::Para(_))) {
                    Some(p) => match blocks.remove(p) {
                        Block::Para(c) => c,
                        _ => Vec::new(),
                    },
                    None => Vec::new(),
                };
                let i = i.min(blocks.len().saturating_sub(1));
                if let Block::Table(t) = blocks.remove(i) {
                    let attrs = Attrs {
                        id: Some(id),
                        ..Attrs::default()
                    };
                    let table = self.pandoc_caption_table(*t, caption, attrs, span);
                    blocks.insert(i, table);
                }
                return blocks;
            }
        }
        vec![Block::Div { attrs, blocks }]
    }

    /// `::: {#fig-x}` around an image (or a figure) and a caption
    /// paragraph: one numbered figure. Around several images (subfigures),
    /// the figures are kept in a div numbered as one figure, its caption
    /// under them.
    fn figure_div(&mut self, id: &str, mut blocks: Vec<Block>, span: Range<usize>) -> Block {
        let caption = match blocks.last() {
            Some(Block::Para(_)) if blocks.len() > 1 => match blocks.pop() {
                Some(Block::Para(c)) => c,
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        let images: Vec<usize> = blocks
            .iter()
            .enumerate()
            .filter(|(_, b)| matches!(b, Block::Figure(_)))
            .map(|(i, _)| i)
            .collect();
        if let ([only], 1) = (images.as_slice(), blocks.len()) {
            if let Block::Figure(mut f) = blocks.remove(*only) {
                if !f.caption.is_empty() && caption.is_empty() {
                    // The image's own caption is the figure's.
                } else {
                    f.caption = caption;
                }
                let (fid, n) = self.number_figure(Some(id), span);
                if f.alt.is_empty() {
                    f.alt = Inline::plain(&f.caption, None);
                }
                f.id = fid;
                f.number = n;
                return Block::Figure(f);
            }
        }
        let (fid, n) = self.number_figure(Some(id), span);
        let mut label = vec![Inline::Strong(vec![Inline::Text(format!("Figure {n}"))])];
        if !caption.is_empty() {
            label.push(Inline::Text(": ".into()));
            label.extend(caption);
        }
        blocks.push(Block::Para(label));
        Block::Div {
            attrs: Attrs {
                id: Some(fid),
                classes: vec!["figure-panels".into()],
                pairs: Vec::new(),
            },
            blocks,
        }
    }

    pub(super) fn pandoc_code_cell(
        &mut self,
        lang: &str,
        text: String,
        span: Range<usize>,
    ) -> Block {
        // `#| label: fig-x`: cross-references to it are warnings.
        for line in text.lines() {
            let opt = line.trim_start().strip_prefix("#|").map(str::trim);
            if let Some(label) = opt.and_then(|o| o.strip_prefix("label:")) {
                self.cell_labels.insert(label.trim().to_string());
            }
        }
        if !self.warned_cells.contains(&self.frame.file) {
            self.warned_cells.push(self.frame.file.clone());
            let (file, range) = self.locate(span, None);
            self.diags.push(
                Diagnostic::warning(format!(
                    "executable `{lang}` cells are shown as code: galley does not run them"
                ))
                .at(file, range),
            );
        }
        Block::Code {
            lang: lang.to_string(),
            text,
        }
    }
}
