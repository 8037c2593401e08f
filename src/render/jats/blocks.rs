//! `body`: sections nested by their headings, paragraphs, lists, tables,
//! figures and display formulas.

use std::fmt::Write as _;

use super::esc;
use super::Writer;
use crate::model::*;

impl Writer<'_> {
    /// Blocks in sections: each heading opens a `sec` that holds what
    /// follows until a heading of its level or above.
    pub fn body(&self, out: &mut String, blocks: &[&Block]) {
        let mut open: Vec<u8> = Vec::new();
        for b in blocks {
            if let Block::Heading(h) = b {
                while open.last().is_some_and(|l| *l >= h.level) {
                    out.push_str("</sec>\n");
                    open.pop();
                }
                let _ = write!(out, "<sec id=\"{}\">", self.id(&h.id));
                if !h.number.is_empty() {
                    let _ = write!(out, "<label>{}</label>", esc(&h.number));
                }
                out.push_str("<title>");
                self.inlines(out, &h.content);
                out.push_str("</title>\n");
                open.push(h.level);
            } else {
                self.block(out, b);
            }
        }
        for _ in open {
            out.push_str("</sec>\n");
        }
    }

    /// Blocks where JATS takes only paragraphs and lists (a list item, a
    /// note, a definition, a table's foot): anything else goes inside a
    /// paragraph, and an empty result is an empty paragraph.
    pub fn p_only(&self, out: &mut String, blocks: &[Block]) {
        self.p_only_with(out, blocks, false);
    }

    /// [`Writer::p_only`] where lists may stand beside the paragraphs (a
    /// list item).
    fn p_only_with(&self, out: &mut String, blocks: &[Block], lists: bool) {
        let start = out.len();
        for b in blocks {
            match b {
                Block::List { .. } | Block::Definitions(_) if lists => self.block(out, b),
                Block::Para(i) | Block::Plain(i) => self.para_with(out, i, true),
                Block::Heading(_) => self.paras(out, std::slice::from_ref(b)),
                other => {
                    let mut inner = String::new();
                    self.block(&mut inner, other);
                    if !inner.is_empty() {
                        out.push_str("<p>");
                        out.push_str(inner.trim_end());
                        out.push_str("</p>\n");
                    }
                }
            }
        }
        if out.len() == start {
            out.push_str("<p/>");
        }
    }

    /// Paragraph-level blocks (in an abstract, a section).
    pub fn paras(&self, out: &mut String, blocks: &[Block]) {
        for b in blocks {
            match b {
                // A heading inside a note or cell: a bold paragraph.
                Block::Heading(h) => {
                    out.push_str("<p><bold>");
                    self.inlines(out, &h.content);
                    out.push_str("</bold></p>\n");
                }
                other => self.block(out, other),
            }
        }
    }

    fn block(&self, out: &mut String, b: &Block) {
        match b {
            Block::Heading(_) => self.paras(out, std::slice::from_ref(b)),
            Block::Para(i) | Block::Plain(i) => self.para(out, i),
            Block::List {
                start,
                items,
                letters,
            } => {
                let kind = match (start, letters.as_deref()) {
                    (None, _) => "bullet",
                    (_, Some(l)) if l.contains('A') => "alpha-upper",
                    (_, Some(l)) if l.contains('I') => "roman-upper",
                    (_, Some(l)) if l.contains('i') => "roman-lower",
                    (_, Some(_)) => "alpha-lower",
                    _ => "order",
                };
                let _ = write!(out, "<list list-type=\"{kind}\">");
                for item in items {
                    out.push_str("<list-item>");
                    self.p_only_with(out, item, true);
                    out.push_str("</list-item>");
                }
                out.push_str("</list>\n");
            }
            Block::Quote(inner) => {
                out.push_str("<disp-quote>");
                self.paras(out, inner);
                out.push_str("</disp-quote>\n");
            }
            Block::Code { text, lang } => {
                if lang.is_empty() {
                    let _ = writeln!(out, "<preformat>{}</preformat>", esc(text));
                } else {
                    let _ = writeln!(out, "<code language=\"{}\">{}</code>", esc(lang), esc(text));
                }
            }
            Block::Table(t) => self.table(out, t),
            Block::Figure(f) => self.figure(out, f),
            Block::Rule | Block::PageBreak | Block::Html(_) | Block::Raw { .. } => {}
            Block::Div { blocks, .. } => self.paras(out, blocks),
            Block::Callout { title, blocks, .. } => {
                out.push_str("<boxed-text><caption><title>");
                self.inlines(out, title);
                out.push_str("</title></caption>");
                self.paras(out, blocks);
                out.push_str("</boxed-text>\n");
            }
            Block::Definitions(items) => {
                out.push_str("<def-list>");
                for (term, defs) in items {
                    out.push_str("<def-item><term>");
                    self.inlines(out, term);
                    out.push_str("</term>");
                    for d in defs {
                        out.push_str("<def>");
                        self.p_only(out, d);
                        out.push_str("</def>");
                    }
                    out.push_str("</def-item>");
                }
                out.push_str("</def-list>\n");
            }
        }
    }

    /// A paragraph; a display formula in it becomes a `disp-formula` of
    /// its own (JATS puts them beside paragraphs, not inside).
    fn para(&self, out: &mut String, inl: &[Inline]) {
        self.para_with(out, inl, false);
    }

    /// A paragraph; with `one`, a single `p` that holds its display
    /// formulas (where a `disp-formula` may not stand alone).
    fn para_with(&self, out: &mut String, inl: &[Inline], one: bool) {
        if one {
            // Display formulas are written as `disp-formula` wherever they
            // stand (`Writer::inline`), here inside the paragraph.
            out.push_str("<p>");
            self.inlines(out, inl);
            out.push_str("</p>\n");
            return;
        }
        for piece in split_display(inl) {
            match piece {
                Piece::Text(text) if Inline::visible(text) => {
                    out.push_str("<p>");
                    self.inlines(out, text);
                    out.push_str("</p>\n");
                }
                Piece::Text(_) => {}
                Piece::Display { tex, label } => self.disp_formula(out, tex, label),
            }
        }
    }

    pub(super) fn disp_formula(&self, out: &mut String, tex: &str, label: Option<&str>) {
        match label.and_then(|l| self.doc.targets.get(l).map(|t| (l, t))) {
            Some((l, t)) => {
                let _ = write!(
                    out,
                    "<disp-formula id=\"{}\"><label>({})</label>",
                    self.id(l),
                    esc(&t.number)
                );
            }
            None => out.push_str("<disp-formula>"),
        }
        let _ = writeln!(
            out,
            "<alternatives>{}<tex-math>{}</tex-math></alternatives></disp-formula>",
            self.mathml(tex, true),
            esc(tex)
        );
    }

    fn caption(&self, out: &mut String, inl: &[Inline]) {
        if !inl.is_empty() {
            out.push_str("<caption><p>");
            self.inlines(out, inl);
            out.push_str("</p></caption>");
        }
    }

    fn figure(&self, out: &mut String, f: &Figure) {
        if f.id.is_empty() {
            out.push_str("<fig>");
        } else {
            let _ = write!(out, "<fig id=\"{}\">", self.id(&f.id));
        }
        if f.number > 0 {
            let _ = write!(out, "<label>Figure {}</label>", f.number);
        }
        self.caption(out, &f.caption);
        let href = match &f.body {
            FigureBody::Svg { file, .. } => file.clone(),
            FigureBody::Image { src } => src.clone(),
            FigureBody::Remote { url } => url.clone(),
        };
        let _ = writeln!(
            out,
            "<graphic xlink:href=\"{}\"><alt-text>{}</alt-text></graphic></fig>",
            esc(&href),
            esc(f.alt.chars().take(2000).collect::<String>().as_str())
        );
    }

    fn table(&self, out: &mut String, t: &Table) {
        match &t.id {
            Some(id) => {
                let _ = write!(out, "<table-wrap id=\"{}\">", self.id(id));
            }
            None => out.push_str("<table-wrap>"),
        }
        if let Some(n) = t.number {
            let _ = write!(out, "<label>Table {n}</label>");
        }
        self.caption(out, &t.caption);
        out.push_str("<table>");
        let align = |c: usize| match t.columns.get(c).and_then(|c| c.align) {
            Some(Align::Left) => " align=\"left\"",
            Some(Align::Center) => " align=\"center\"",
            Some(Align::Right) => " align=\"right\"",
            None => "",
        };
        let mut head = String::new();
        for row in &t.header {
            head.push_str("<tr>");
            for c in row {
                let span = |n: usize, what: &str| {
                    if n > 1 {
                        format!(" {what}=\"{n}\"")
                    } else {
                        String::new()
                    }
                };
                let _ = write!(
                    head,
                    "<th{}{}>",
                    span(c.colspan, "colspan"),
                    span(c.rowspan, "rowspan")
                );
                self.inlines(&mut head, &c.content);
                head.push_str("</th>");
            }
            head.push_str("</tr>");
        }
        // A table of header rows only: they go in the body (JATS needs a
        // row there).
        if t.rows.is_empty() {
            let _ = write!(out, "<tbody>{head}");
        } else {
            if !head.is_empty() {
                let _ = write!(out, "<thead>{head}</thead>");
            }
            out.push_str("<tbody>");
        }
        for row in &t.rows {
            match row {
                Row::Group(g) => {
                    let _ = write!(out, "<tr><td colspan=\"{}\"><bold>", t.columns.len().max(1));
                    self.inlines(out, g);
                    out.push_str("</bold></td></tr>");
                }
                Row::Cells(cells) => {
                    out.push_str("<tr>");
                    for (k, c) in cells.iter().enumerate() {
                        let _ = write!(out, "<td{}>", align(k));
                        match c {
                            Cell::Mark(m) => out.push_str(&esc(&m.key)),
                            Cell::Blocks(b) => self.cell(out, b),
                        }
                        out.push_str("</td>");
                    }
                    out.push_str("</tr>");
                }
            }
        }
        out.push_str("</tbody></table>");
        if !t.notes.is_empty() {
            out.push_str("<table-wrap-foot>");
            self.p_only(out, &t.notes);
            out.push_str("</table-wrap-foot>");
        }
        out.push_str("</table-wrap>\n");
    }

    /// A cell: one paragraph as text, more (or lists) as blocks.
    fn cell(&self, out: &mut String, blocks: &[Block]) {
        match blocks {
            [Block::Para(i) | Block::Plain(i)] => self.inlines(out, i),
            _ => self.paras(out, blocks),
        }
    }
}
