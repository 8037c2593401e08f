//! Tables as HTML: grouped header rows, spans, marks and notes.

use super::*;
use std::fmt::Write as _;

use crate::model::*;

impl HtmlWriter<'_> {
    pub(super) fn table(&self, out: &mut String, t: &Table) {
        let id_attr =
            t.id.as_ref()
                .map(|i| format!(" id=\"{}\"", esc(i)))
                .unwrap_or_default();
        let cap_id = t.id.as_ref().map(|i| format!("{}-caption", esc(i)));
        let wide = if t.columns.len() >= 5 { " wide" } else { "" };
        let _ = writeln!(out, "<figure class=\"table-figure{wide}\"{id_attr}>");
        if let (Some(n), Some(cid)) = (t.number, &cap_id) {
            let _ = write!(out, "<figcaption id=\"{cid}\"><span class=\"label\">Table {n}</span><span class=\"secsep\" aria-hidden=\"true\"> | </span>");
            self.inlines(out, &t.caption);
            out.push_str("</figcaption>\n");
        } else if !t.caption.is_empty() {
            // Pandoc's caption without a `tbl-` id: no number.
            out.push_str("<figcaption>");
            self.inlines(out, &t.caption);
            out.push_str("</figcaption>\n");
        }
        let region = match &cap_id {
            Some(cid) => format!(" role=\"region\" aria-labelledby=\"{cid}\" tabindex=\"0\""),
            None => String::new(),
        };
        let _ = writeln!(out, "<div class=\"table-scroll\"{region}>\n<table>");
        if t.columns.iter().any(|c| c.width.is_some()) {
            out.push_str("<colgroup>");
            for c in &t.columns {
                match c.width {
                    Some(w) => {
                        let _ = write!(
                            out,
                            "<col style=\"width:{}%\">",
                            (w * 1000.0).round() / 10.0
                        );
                    }
                    None => out.push_str("<col>"),
                }
            }
            out.push_str("</colgroup>\n");
        }
        self.table_head(out, t);
        self.table_body(out, t);
        out.push_str("</tbody>\n</table>\n</div>\n");
        self.table_notes(out, t);
        out.push_str("</figure>\n");
    }

    /// The header rows, each cell aligned as its column.
    fn table_head(&self, out: &mut String, t: &Table) {
        if t.header.is_empty() {
            return;
        }
        out.push_str("<thead>\n");
        // Columns covered by each header row, to align header cells.
        let spanned = header_columns(&t.header);
        for (r, row) in t.header.iter().enumerate() {
            out.push_str("<tr>");
            let mut slots = spanned[r].iter();
            for cell in row {
                let col = slots.next().copied().unwrap_or(0);
                let mut attrs = String::new();
                if cell.colspan > 1 {
                    let _ = write!(attrs, " colspan=\"{}\" scope=\"colgroup\"", cell.colspan);
                } else {
                    attrs.push_str(" scope=\"col\"");
                }
                if cell.rowspan > 1 {
                    let _ = write!(attrs, " rowspan=\"{}\"", cell.rowspan);
                }
                if cell.colspan == 1 {
                    match t.columns.get(col).and_then(|c| c.align) {
                        Some(Align::Center) => attrs.push_str(" class=\"align-center\""),
                        Some(Align::Right) => attrs.push_str(" class=\"align-right\""),
                        _ => {}
                    }
                }
                let _ = write!(out, "<th{attrs}>");
                self.inlines(out, &cell.content);
                out.push_str("</th>");
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</thead>\n");
    }

    /// The rows: group headings and cells.
    fn table_body(&self, out: &mut String, t: &Table) {
        out.push_str("<tbody>\n");
        let ncols = t.columns.len().max(1);
        for row in &t.rows {
            match row {
                Row::Group(g) => {
                    let _ = write!(
                        out,
                        "<tr class=\"group\"><th colspan=\"{ncols}\" scope=\"rowgroup\">"
                    );
                    self.inlines(out, g);
                    out.push_str("</th></tr>\n");
                }
                Row::Cells(cells) => {
                    out.push_str("<tr>");
                    for (i, cell) in cells.iter().enumerate() {
                        let align = t.columns.get(i).and_then(|c| c.align);
                        let class = match align {
                            Some(Align::Center) => " class=\"align-center\"",
                            Some(Align::Right) => " class=\"align-right\"",
                            _ => "",
                        };
                        let _ = write!(out, "<td{class}>");
                        match cell {
                            Cell::Blocks(b) => {
                                // A single paragraph prints without <p>.
                                match b.as_slice() {
                                    [Block::Para(i)] => self.inlines(out, i),
                                    _ => self.blocks(out, b),
                                }
                            }
                            Cell::Mark(m) => mark(out, m),
                        }
                        out.push_str("</td>");
                    }
                    out.push_str("</tr>\n");
                }
            }
        }
    }

    /// The notes under the table and the legend of its marks.
    fn table_notes(&self, out: &mut String, t: &Table) {
        if t.notes.is_empty() && t.marks.is_empty() {
            return;
        }
        out.push_str("<div class=\"table-notes\">\n");
        self.blocks(out, &t.notes);
        if !t.marks.is_empty() {
            out.push_str("<p class=\"mark-legend\">");
            for (i, m) in t.marks.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                mark(out, m);
                let _ = write!(out, " {}", esc(&m.label));
                if i + 1 < t.marks.len() {
                    out.push(';');
                }
            }
            out.push_str("</p>\n");
        }
        out.push_str("</div>\n");
    }
}

/// For each header row, the column index where each of its cells starts
/// (cells spanning rows from above take their columns).
pub(super) fn header_columns(header: &[Vec<HeaderCell>]) -> Vec<Vec<usize>> {
    let mut taken: Vec<Vec<bool>> = Vec::new();
    let mut out = Vec::new();
    for (r, row) in header.iter().enumerate() {
        if taken.len() <= r {
            taken.push(Vec::new());
        }
        let mut starts = Vec::new();
        let mut col = 0;
        for cell in row {
            while taken[r].get(col).copied().unwrap_or(false) {
                col += 1;
            }
            starts.push(col);
            for rr in r..r + cell.rowspan.max(1) {
                while taken.len() <= rr {
                    taken.push(Vec::new());
                }
                for c in col..col + cell.colspan.max(1) {
                    if taken[rr].len() <= c {
                        taken[rr].resize(c + 1, false);
                    }
                    taken[rr][c] = true;
                }
            }
            col += cell.colspan.max(1);
        }
        out.push(starts);
    }
    out
}

pub(super) fn mark(out: &mut String, m: &Mark) {
    let _ = write!(
        out,
        "<span class=\"mark mark-{}\" title=\"{}\"><span aria-hidden=\"true\">{}</span><span class=\"visually-hidden\">{}</span></span>",
        esc(&m.tone),
        esc(&m.label),
        esc(&m.key),
        esc(&m.label)
    );
}
