//! Blocks as Word paragraphs: headings, paragraphs (a display formula in
//! one becomes a paragraph of its own), lists with their own numbering,
//! quotes, code, callouts, definitions, rules and page breaks.

use std::fmt::Write as _;

use super::writer::{run, Fmt, Writer};
use crate::model::*;

/// How a paragraph is set: its style, list number, indent, alignment.
#[derive(Clone, Copy, Default)]
pub struct Par<'s> {
    /// Style id; empty for Normal.
    pub style: &'s str,
    /// Numbering (`w:numId`, level) of a list item's first paragraph.
    pub num: Option<(usize, usize)>,
    /// Left indent in twips (a list item's later paragraphs).
    pub indent: u32,
    pub jc: Option<&'static str>,
    pub keep_next: bool,
    /// Headings are Word headings (the body), not bold paragraphs (a
    /// note, a cell).
    pub headings: bool,
}

impl<'s> Par<'s> {
    pub fn styled(style: &'s str) -> Par<'s> {
        Par {
            style,
            ..Par::default()
        }
    }
}

/// Paragraph properties, in the order the schema gives them.
pub fn ppr(out: &mut String, p: &Par) {
    let mut s = String::new();
    if !p.style.is_empty() {
        let _ = write!(s, "<w:pStyle w:val=\"{}\"/>", p.style);
    }
    if p.keep_next {
        s.push_str("<w:keepNext/>");
    }
    if let Some((id, lvl)) = p.num {
        let _ = write!(
            s,
            "<w:numPr><w:ilvl w:val=\"{}\"/><w:numId w:val=\"{id}\"/></w:numPr>",
            lvl.min(8)
        );
    } else if p.indent > 0 {
        let _ = write!(s, "<w:ind w:left=\"{}\"/>", p.indent);
    }
    if let Some(jc) = p.jc {
        let _ = write!(s, "<w:jc w:val=\"{jc}\"/>");
    }
    if !s.is_empty() {
        let _ = write!(out, "<w:pPr>{s}</w:pPr>");
    }
}

/// A list's number format and level text for level `lvl` (`%1.`, `(%1)`).
fn list_format(start: Option<u64>, letters: Option<&str>, lvl: usize) -> (&'static str, String) {
    let n = format!("%{}", lvl + 1);
    let Some(_) = start else {
        let bullet = ["•", "◦", "▪"][lvl % 3];
        return ("bullet", bullet.to_string());
    };
    let Some(pattern) = letters else {
        return ("decimal", format!("{n}."));
    };
    let fmt = if pattern.contains('A') {
        "upperLetter"
    } else if pattern.contains('I') {
        "upperRoman"
    } else if pattern.contains('i') {
        "lowerRoman"
    } else {
        "lowerLetter"
    };
    // The pattern's letter (or numeral) stands for the number.
    let text = match pattern.find(|c: char| c.is_ascii_alphanumeric()) {
        Some(at) => {
            let end = pattern[at..]
                .find(|c: char| !c.is_ascii_alphanumeric())
                .map_or(pattern.len(), |e| at + e);
            format!("{}{n}{}", &pattern[..at], &pattern[end..])
        }
        None => format!("{n}."),
    };
    (fmt, text)
}

impl Writer<'_> {
    pub fn blocks(&self, out: &mut String, blocks: &[Block], p: &Par, depth: usize) {
        for b in blocks {
            self.block(out, b, p, depth);
        }
    }

    fn block(&self, out: &mut String, b: &Block, p: &Par, depth: usize) {
        match b {
            Block::Heading(h) if p.headings => self.heading(out, h),
            Block::Heading(h) => {
                out.push_str("<w:p>");
                ppr(out, &Par { keep_next: true, ..*p });
                self.inlines(out, &h.content, Fmt { bold: true, ..Fmt::default() });
                out.push_str("</w:p>");
            }
            Block::Para(i) | Block::Plain(i) => self.para(out, i, p),
            Block::List {
                start,
                items,
                letters,
            } => self.list(out, *start, items, letters.as_deref(), p, depth),
            Block::Quote(inner) => {
                let q = Par {
                    style: "BlockText",
                    headings: false,
                    ..*p
                };
                self.blocks(out, inner, &q, depth);
            }
            Block::Code { text, .. } => {
                out.push_str("<w:p>");
                ppr(out, &Par { style: "SourceCode", ..*p });
                for (k, line) in text.trim_end_matches('\n').split('\n').enumerate() {
                    if k > 0 {
                        out.push_str("<w:r><w:br/></w:r>");
                    }
                    run(out, line, Fmt::default());
                }
                out.push_str("</w:p>");
            }
            Block::Table(t) => self.table(out, t),
            Block::Figure(f) => self.figure(out, f),
            Block::Rule => out.push_str("<w:p><w:pPr><w:pBdr><w:bottom w:val=\"single\" w:sz=\"6\" w:space=\"1\" w:color=\"auto\"/></w:pBdr></w:pPr></w:p>"),
            Block::PageBreak => out.push_str("<w:p><w:r><w:br w:type=\"page\"/></w:r></w:p>"),
            Block::Html(_) | Block::Raw { .. } => {}
            Block::Div { blocks, .. } => self.blocks(out, blocks, p, depth),
            Block::Callout { title, blocks, .. } => {
                let c = Par {
                    style: "Callout",
                    headings: false,
                    ..*p
                };
                self.boxed(out, |out| {
                    if !title.is_empty() {
                        out.push_str("<w:p>");
                        ppr(out, &Par { keep_next: true, ..c });
                        self.inlines(out, title, Fmt { bold: true, ..Fmt::default() });
                        out.push_str("</w:p>");
                    }
                    self.blocks(out, blocks, &c, 0);
                });
            }
            Block::Definitions(items) => {
                for (term, defs) in items {
                    out.push_str("<w:p>");
                    ppr(out, &Par { style: "DefinitionTerm", keep_next: true, ..*p });
                    self.inlines(out, term, Fmt::default());
                    out.push_str("</w:p>");
                    for d in defs {
                        let dp = Par {
                            style: "Definition",
                            headings: false,
                            ..*p
                        };
                        self.blocks(out, d, &dp, depth);
                    }
                }
            }
        }
    }

    /// What `inner` writes in a box: a table of one cell across the
    /// text, shaded and ruled at the left (a paragraph's own border would
    /// follow each list item's indent).
    pub fn boxed(&self, out: &mut String, inner: impl FnOnce(&mut String)) {
        let w = self.text_width;
        let _ = write!(
            out,
            "<w:tbl><w:tblPr><w:tblW w:w=\"{w}\" w:type=\"dxa\"/><w:tblLayout w:type=\"fixed\"/><w:tblCellMar><w:top w:w=\"100\" w:type=\"dxa\"/><w:left w:w=\"180\" w:type=\"dxa\"/><w:bottom w:w=\"60\" w:type=\"dxa\"/><w:right w:w=\"180\" w:type=\"dxa\"/></w:tblCellMar><w:tblLook w:val=\"0000\" w:firstRow=\"0\" w:lastRow=\"0\" w:firstColumn=\"0\" w:lastColumn=\"0\" w:noHBand=\"1\" w:noVBand=\"1\"/></w:tblPr><w:tblGrid><w:gridCol w:w=\"{w}\"/></w:tblGrid><w:tr><w:tc><w:tcPr><w:tcW w:w=\"{w}\" w:type=\"dxa\"/><w:tcBorders><w:left w:val=\"single\" w:sz=\"24\" w:space=\"0\" w:color=\"1F4E79\"/></w:tcBorders><w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"F3F5F8\"/></w:tcPr>"
        );
        let start = out.len();
        inner(out);
        if out.len() == start || !out.ends_with("</w:p>") {
            out.push_str("<w:p/>");
        }
        // Space after the box.
        out.push_str("</w:tc></w:tr></w:tbl><w:p><w:pPr><w:spacing w:before=\"0\" w:after=\"0\"/></w:pPr></w:p>");
    }

    /// A heading: Word's Heading 1–6, its number before it, bookmarked.
    pub fn heading(&self, out: &mut String, h: &Heading) {
        out.push_str("<w:p>");
        ppr(
            out,
            &Par::styled(&format!("Heading{}", h.level.clamp(1, 6))),
        );
        self.bookmarked(out, &h.id, |out| {
            if !h.number.is_empty() {
                run(out, &format!("{} ", h.number), Fmt::default());
            }
            self.inlines(out, &h.content, Fmt::default());
        });
        out.push_str("</w:p>");
    }

    /// A paragraph; a display formula in it stands in a paragraph of its
    /// own between the text before and after it.
    pub fn para(&self, out: &mut String, inl: &[Inline], p: &Par) {
        let mut p = *p;
        for piece in split_display(inl) {
            match piece {
                Piece::Text(text) if Inline::visible(text) => {
                    out.push_str("<w:p>");
                    ppr(out, &p);
                    self.inlines(out, text, Fmt::default());
                    out.push_str("</w:p>");
                    p.num = None;
                }
                Piece::Text(_) => {}
                Piece::Display { tex, label } => {
                    if let Some(n) = p.num.take() {
                        // A list item that opens with a formula: its number
                        // on a paragraph of its own.
                        out.push_str("<w:p>");
                        ppr(out, &Par { num: Some(n), ..p });
                        out.push_str("</w:p>");
                    }
                    self.display_math(out, tex, label, &p);
                }
            }
        }
    }

    /// A display formula: centred; numbered ones in a borderless table of
    /// three cells, the number at the right (Word's own layout for them).
    fn display_math(&self, out: &mut String, tex: &str, label: Option<&str>, p: &Par) {
        let centred = Par {
            num: None,
            jc: Some("center"),
            ..*p
        };
        let Some((id, t)) = label.and_then(|l| self.doc.targets.get(l).map(|t| (l, t))) else {
            out.push_str("<w:p>");
            ppr(out, &centred);
            self.math(out, tex, true, true);
            out.push_str("</w:p>");
            return;
        };
        let w = self.text_width.saturating_sub(p.indent);
        let side = w / 10;
        let mid = w - 2 * side;
        let _ = write!(
            out,
            "<w:tbl><w:tblPr><w:tblW w:w=\"{w}\" w:type=\"dxa\"/><w:tblInd w:w=\"{}\" w:type=\"dxa\"/><w:tblLayout w:type=\"fixed\"/><w:tblLook w:val=\"0000\" w:firstRow=\"0\" w:lastRow=\"0\" w:firstColumn=\"0\" w:lastColumn=\"0\" w:noHBand=\"1\" w:noVBand=\"1\"/></w:tblPr><w:tblGrid><w:gridCol w:w=\"{side}\"/><w:gridCol w:w=\"{mid}\"/><w:gridCol w:w=\"{side}\"/></w:tblGrid><w:tr>",
            p.indent
        );
        let cell = |out: &mut String, width: u32, inner: &dyn Fn(&mut String)| {
            let _ = write!(
                out,
                "<w:tc><w:tcPr><w:tcW w:w=\"{width}\" w:type=\"dxa\"/><w:vAlign w:val=\"center\"/></w:tcPr>"
            );
            inner(out);
            out.push_str("</w:tc>");
        };
        cell(out, side, &|out| out.push_str("<w:p/>"));
        cell(out, mid, &|out| {
            out.push_str("<w:p>");
            ppr(
                out,
                &Par {
                    style: "Compact",
                    indent: 0,
                    ..centred
                },
            );
            self.math(out, tex, true, true);
            out.push_str("</w:p>");
        });
        cell(out, side, &|out| {
            out.push_str("<w:p>");
            ppr(
                out,
                &Par {
                    style: "Compact",
                    jc: Some("right"),
                    ..Par::default()
                },
            );
            self.bookmarked(out, id, |out| {
                run(out, &format!("({})", t.number), Fmt::default())
            });
            out.push_str("</w:p>");
        });
        out.push_str("</w:tr></w:tbl>");
    }

    fn list(
        &self,
        out: &mut String,
        start: Option<u64>,
        items: &[Vec<Block>],
        letters: Option<&str>,
        p: &Par,
        depth: usize,
    ) {
        // In a table cell, a list takes less room.
        let step = if p.style == "Compact" { 280 } else { 720 };
        let num = self.new_list(start, letters, step);
        let indent = step * (depth as u32 + 1);
        for item in items {
            let numbered = Par {
                num: Some((num, depth)),
                indent,
                headings: false,
                ..*p
            };
            let after = Par {
                num: None,
                ..numbered
            };
            if !matches!(item.first(), Some(Block::Para(_) | Block::Plain(_))) {
                out.push_str("<w:p>");
                ppr(out, &numbered);
                out.push_str("</w:p>");
            }
            for (k, b) in item.iter().enumerate() {
                let bp = if k == 0 { numbered } else { after };
                match b {
                    Block::Para(i) | Block::Plain(i) => self.para(out, i, &bp),
                    Block::List {
                        start,
                        items,
                        letters,
                    } => self.list(out, *start, items, letters.as_deref(), &after, depth + 1),
                    other => self.block(out, other, &after, depth + 1),
                }
            }
        }
    }

    /// A numbering definition of its own for one list (so each numbered
    /// list starts at its start); its `w:numId`.
    fn new_list(&self, start: Option<u64>, letters: Option<&str>, step: u32) -> usize {
        let mut st = self.st.borrow_mut();
        let id = st.lists.len();
        let mut def = format!(
            "<w:abstractNum w:abstractNumId=\"{id}\"><w:multiLevelType w:val=\"multilevel\"/>"
        );
        for lvl in 0..9 {
            let (fmt, text) = list_format(start, letters, lvl);
            let _ = write!(
                def,
                "<w:lvl w:ilvl=\"{lvl}\"><w:start w:val=\"{}\"/><w:numFmt w:val=\"{fmt}\"/><w:lvlText w:val=\"{}\"/><w:lvlJc w:val=\"left\"/><w:pPr><w:ind w:left=\"{}\" w:hanging=\"{}\"/></w:pPr></w:lvl>",
                start.unwrap_or(1).min(32767),
                super::esc(&text),
                step * (lvl as u32 + 1),
                step / 2
            );
        }
        def.push_str("</w:abstractNum>");
        st.lists.push(def);
        id + 1
    }
}

#[cfg(test)]
mod tests {
    use super::list_format;

    #[test]
    fn list_levels_follow_the_pattern() {
        assert_eq!(list_format(None, None, 1), ("bullet", "◦".into()));
        assert_eq!(list_format(Some(1), None, 0), ("decimal", "%1.".into()));
        assert_eq!(
            list_format(Some(1), Some("(A)"), 0),
            ("upperLetter", "(%1)".into())
        );
        assert_eq!(
            list_format(Some(1), Some("i."), 2),
            ("lowerRoman", "%3.".into())
        );
        assert_eq!(
            list_format(Some(1), Some("a)"), 0),
            ("lowerLetter", "%1)".into())
        );
    }
}
