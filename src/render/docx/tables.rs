//! Tables as Word tables: the caption above (a Word caption, numbered by a
//! SEQ field and bookmarked), header rows that repeat on every page, cells
//! aligned as their columns, group rows across the table, marks as
//! coloured badges with their letter, notes and the marks' legend below.

use std::fmt::Write as _;

use super::blocks::{ppr, Par};
use super::writer::{rpr, run, Fmt, Writer};
use crate::model::*;

/// A mark's fill and ink, as the site and the PDF colour them.
fn mark_colours(tone: &str) -> (&'static str, &'static str) {
    match tone {
        "good" => ("1E6B34", "FFFFFF"),
        "warn" => ("FFD866", "3A2A00"),
        "bad" => ("B3261E", "FFFFFF"),
        _ => ("DCDCDC", "000000"),
    }
}

/// A mark: its letter, bold, on its colour.
pub fn mark(out: &mut String, m: &Mark) {
    let (fill, ink) = mark_colours(&m.tone);
    out.push_str("<w:r>");
    rpr(
        out,
        Fmt {
            bold: true,
            ..Fmt::default()
        },
        &format!(
            "<w:color w:val=\"{ink}\"/><w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"{fill}\"/>"
        ),
    );
    let _ = write!(
        out,
        "<w:t xml:space=\"preserve\"> {} </w:t></w:r>",
        super::esc(&m.key)
    );
}

fn jc(a: Option<Align>) -> Option<&'static str> {
    match a {
        Some(Align::Left) => Some("left"),
        Some(Align::Center) => Some("center"),
        Some(Align::Right) => Some("right"),
        None => None,
    }
}

/// How wide a column's text asks to be, in characters: its longest
/// word at least, its typical cell at most 40.
fn natural(t: &Table, k: usize, doc: &Document) -> f64 {
    let mut texts: Vec<String> = Vec::new();
    for row in &t.rows {
        if let Row::Cells(cells) = row {
            match cells.get(k) {
                Some(Cell::Mark(m)) => texts.push(format!(" {} ", m.key)),
                Some(Cell::Blocks(b)) => {
                    let mut s = String::new();
                    visit_blocks(b, &mut |b| {
                        if let Block::Para(i) | Block::Plain(i) = b {
                            s.push_str(&Inline::plain(i, Some(doc)));
                            s.push(' ');
                        }
                    });
                    texts.push(s);
                }
                None => {}
            }
        }
    }
    // A header's words must fit too ("Tuberculosis").
    for (col, c) in header_cells(t) {
        if col == k && c.colspan <= 1 {
            texts.push(Inline::plain(&c.content, Some(doc)));
        }
    }
    let word = texts
        .iter()
        .flat_map(|t| t.split_whitespace())
        .map(|w| w.chars().count())
        .max()
        .unwrap_or(1);
    let mean =
        texts.iter().map(|t| t.chars().count()).sum::<usize>() as f64 / texts.len().max(1) as f64;
    (word as f64).max(mean.min(40.0)).max(3.0)
}

/// The header's cells with the grid column each starts at (a cell
/// spanning rows takes its columns in the rows below).
fn header_cells(t: &Table) -> Vec<(usize, &HeaderCell)> {
    let mut covered: Vec<usize> = Vec::new();
    let mut out = Vec::new();
    for row in &t.header {
        let mut col = 0;
        for c in row {
            while covered.get(col).is_some_and(|r| *r > 0) {
                col += 1;
            }
            out.push((col, c));
            let span = c.colspan.max(1);
            if covered.len() < col + span {
                covered.resize(col + span, 0);
            }
            for r in &mut covered[col..col + span] {
                *r = c.rowspan.max(1);
            }
            col += span;
        }
        for r in &mut covered {
            *r = r.saturating_sub(1);
        }
    }
    out
}

/// Column widths in twips: the given fractions, the rest shared as
/// their text asks.
fn widths(t: &Table, n: usize, total: u32, doc: &Document) -> Vec<u32> {
    let given: f64 = t.columns.iter().take(n).filter_map(|c| c.width).sum();
    let free: Vec<usize> = (0..n)
        .filter(|k| t.columns.get(*k).and_then(|c| c.width).is_none())
        .collect();
    let rest = if given < 1.0 { 1.0 - given } else { 0.0 };
    let asks: Vec<f64> = (0..n).map(|k| natural(t, k, doc)).collect();
    let asked: f64 = free.iter().map(|k| asks[*k]).sum();
    (0..n)
        .map(|k| {
            let frac = match t.columns.get(k).and_then(|c| c.width) {
                Some(w) if given > 1.0 => w / given,
                Some(w) => w,
                None if rest > 0.0 && asked > 0.0 => rest * asks[k] / asked,
                None => 1.0 / n as f64,
            };
            ((total as f64 * frac).round() as u32).max(200)
        })
        .collect()
}

/// The number of grid columns: the widest row.
fn columns(t: &Table) -> usize {
    let header = t
        .header
        .iter()
        .map(|r| r.iter().map(|c| c.colspan.max(1)).sum::<usize>())
        .max()
        .unwrap_or(0);
    let body = t
        .rows
        .iter()
        .map(|r| match r {
            Row::Cells(c) => c.len(),
            Row::Group(_) => 0,
        })
        .max()
        .unwrap_or(0);
    t.columns.len().max(header).max(body).max(1)
}

impl Writer<'_> {
    /// A caption paragraph: "Table 1" (or "Figure 1") bookmarked for
    /// cross-references, then the caption.
    pub fn caption(
        &self,
        out: &mut String,
        kind: &str,
        id: &str,
        number: Option<usize>,
        caption: &[Inline],
        keep_next: bool,
    ) {
        if number.is_none() && caption.is_empty() {
            return;
        }
        out.push_str("<w:p>");
        ppr(
            out,
            &Par {
                style: "Caption",
                keep_next,
                ..Par::default()
            },
        );
        let bold = Fmt {
            bold: true,
            ..Fmt::default()
        };
        if let Some(n) = number {
            self.bookmarked(out, id, |out| {
                run(out, &format!("{kind} "), bold);
                let _ = write!(out, "<w:fldSimple w:instr=\" SEQ {kind} \\* ARABIC \">");
                run(out, &n.to_string(), bold);
                out.push_str("</w:fldSimple>");
            });
            if !caption.is_empty() {
                run(out, ". ", bold);
            }
        }
        self.inlines(out, caption, Fmt::default());
        out.push_str("</w:p>");
    }

    pub fn table(&self, out: &mut String, t: &Table) {
        let id = t.id.clone().unwrap_or_default();
        self.caption(out, "Table", &id, t.number, &t.caption, true);
        let n = columns(t);
        let w = widths(t, n, self.text_width, self.doc);
        let total: u32 = w.iter().sum();
        let _ = write!(
            out,
            "<w:tbl><w:tblPr><w:tblStyle w:val=\"Table\"/><w:tblW w:w=\"{total}\" w:type=\"dxa\"/><w:tblLayout w:type=\"fixed\"/><w:tblLook w:val=\"04A0\" w:firstRow=\"1\" w:lastRow=\"0\" w:firstColumn=\"0\" w:lastColumn=\"0\" w:noHBand=\"1\" w:noVBand=\"1\"/></w:tblPr><w:tblGrid>"
        );
        for c in &w {
            let _ = write!(out, "<w:gridCol w:w=\"{c}\"/>");
        }
        out.push_str("</w:tblGrid>");
        self.header(out, t, &w);
        for row in &t.rows {
            match row {
                Row::Group(g) => {
                    let _ = write!(
                        out,
                        "<w:tr><w:trPr><w:cantSplit/></w:trPr><w:tc><w:tcPr><w:tcW w:w=\"{total}\" w:type=\"dxa\"/><w:gridSpan w:val=\"{n}\"/><w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"F2F2F2\"/></w:tcPr><w:p>"
                    );
                    ppr(
                        out,
                        &Par {
                            style: "Compact",
                            keep_next: true,
                            ..Par::default()
                        },
                    );
                    self.inlines(
                        out,
                        g,
                        Fmt {
                            bold: true,
                            ..Fmt::default()
                        },
                    );
                    out.push_str("</w:p></w:tc></w:tr>");
                }
                Row::Cells(cells) => {
                    out.push_str("<w:tr><w:trPr><w:cantSplit/></w:trPr>");
                    for (k, width) in w.iter().enumerate() {
                        let _ = write!(
                            out,
                            "<w:tc><w:tcPr><w:tcW w:w=\"{width}\" w:type=\"dxa\"/></w:tcPr>"
                        );
                        let p = Par {
                            style: "Compact",
                            jc: jc(t.columns.get(k).and_then(|c| c.align)),
                            ..Par::default()
                        };
                        let start = out.len();
                        match cells.get(k) {
                            Some(Cell::Mark(m)) => {
                                out.push_str("<w:p>");
                                ppr(out, &p);
                                mark(out, m);
                                out.push_str("</w:p>");
                            }
                            Some(Cell::Blocks(b)) => self.blocks(out, b, &p, 0),
                            None => {}
                        }
                        // A cell ends with a paragraph.
                        if out.len() == start || !out.ends_with("</w:p>") {
                            out.push_str("<w:p/>");
                        }
                        out.push_str("</w:tc>");
                    }
                    out.push_str("</w:tr>");
                }
            }
        }
        out.push_str("</w:tbl>");
        let note = Par::styled("TableNote");
        self.blocks(out, &t.notes, &note, 0);
        if !t.marks.is_empty() {
            out.push_str("<w:p>");
            ppr(out, &note);
            for (k, m) in t.marks.iter().enumerate() {
                if k > 0 {
                    run(out, "; ", Fmt::default());
                }
                mark(out, m);
                run(out, &format!(" {}", m.label), Fmt::default());
            }
            out.push_str("</w:p>");
        }
    }

    /// The header rows: repeated on every page, bold, a rule under the
    /// last; a cell spanning rows is merged down.
    fn header(&self, out: &mut String, t: &Table, w: &[u32]) {
        let n = w.len();
        // Per grid column: rows still covered from above, and the width in
        // columns of the cell covering them.
        let mut covered: Vec<(usize, usize)> = vec![(0, 1); n];
        let last = t.header.len().saturating_sub(1);
        for (r, row) in t.header.iter().enumerate() {
            let border = if r == last {
                "<w:tcBorders><w:bottom w:val=\"single\" w:sz=\"6\" w:space=\"0\" w:color=\"auto\"/></w:tcBorders>"
            } else {
                ""
            };
            out.push_str("<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>");
            let mut col = 0;
            let mut cells = row.iter();
            while col < n {
                let span_w = |from: usize, span: usize| -> u32 {
                    w[from..(from + span).min(n)].iter().sum()
                };
                if covered[col].0 > 0 {
                    let span = covered[col].1;
                    covered[col].0 -= 1;
                    let _ = write!(
                        out,
                        "<w:tc><w:tcPr><w:tcW w:w=\"{}\" w:type=\"dxa\"/>{}<w:vMerge/>{border}</w:tcPr><w:p/></w:tc>",
                        span_w(col, span),
                        grid_span(span)
                    );
                    col += span;
                    continue;
                }
                let Some(c) = cells.next() else {
                    let _ = write!(out, "<w:tc><w:tcPr><w:tcW w:w=\"{}\" w:type=\"dxa\"/>{border}</w:tcPr><w:p/></w:tc>", w[col]);
                    col += 1;
                    continue;
                };
                let span = c.colspan.max(1).min(n - col);
                let merge = if c.rowspan > 1 {
                    covered[col] = (c.rowspan - 1, span);
                    "<w:vMerge w:val=\"restart\"/>"
                } else {
                    ""
                };
                let _ = write!(
                    out,
                    "<w:tc><w:tcPr><w:tcW w:w=\"{}\" w:type=\"dxa\"/>{}{merge}{border}<w:vAlign w:val=\"bottom\"/></w:tcPr><w:p>",
                    span_w(col, span),
                    grid_span(span)
                );
                let align = if span == 1 {
                    jc(t.columns.get(col).and_then(|c| c.align))
                } else {
                    Some("center")
                };
                ppr(
                    out,
                    &Par {
                        style: "Compact",
                        jc: align,
                        keep_next: true,
                        ..Par::default()
                    },
                );
                self.inlines(
                    out,
                    &c.content,
                    Fmt {
                        bold: true,
                        ..Fmt::default()
                    },
                );
                out.push_str("</w:p></w:tc>");
                col += span;
            }
            out.push_str("</w:tr>");
        }
    }
}

fn grid_span(span: usize) -> String {
    if span > 1 {
        format!("<w:gridSpan w:val=\"{span}\"/>")
    } else {
        String::new()
    }
}
