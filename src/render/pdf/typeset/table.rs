//! Tables as Typst: header rows, column widths, spans, marks and notes.

use super::*;

impl TypstWriter<'_> {
    pub(super) fn table(&self, out: &mut String, t: &Table) {
        let widths: Vec<String> = if t.columns.iter().all(|c| c.width.is_some()) {
            t.columns
                .iter()
                .map(|c| format!("{}fr", (c.width.unwrap_or(1.0) * 1000.0).round() / 10.0))
                .collect()
        } else {
            t.columns.iter().map(|_| "auto".to_string()).collect()
        };
        let aligns: Vec<&str> = t
            .columns
            .iter()
            .map(|c| match c.align {
                Some(Align::Center) => "center",
                Some(Align::Right) => "right",
                _ => "left",
            })
            .collect();
        let mut body = String::new();
        let _ = writeln!(
            body,
            "table(columns: ({},), align: ({},),",
            widths.join(", "),
            aligns.join(", ")
        );
        self.table_header(&mut body, t);
        self.table_rows(&mut body, t);
        body.push_str("table.hline(stroke: 0.8pt),\n)");
        let caption = self.content(&t.caption);
        let notes = if t.notes.is_empty() {
            "none".to_string()
        } else {
            format!("[{}]", self.blocks_string(&t.notes))
        };
        let legend = legend(t);
        match (t.number, &t.id) {
            (Some(n), Some(id)) => {
                let _ = write!(
                    out,
                    "#tbl(number: {}, caption: {caption}, notes: {notes}, legend: {legend}, {body}) <{}>",
                    string(&n.to_string()),
                    label(id)
                );
            }
            _ if !t.caption.is_empty() => {
                let _ = write!(
                    out,
                    "#figure(kind: table, supplement: none, numbering: none, caption: figure.caption(position: top, {caption}), {body})"
                );
            }
            _ => {
                let _ = write!(out, "#align(center, {body})");
            }
        }
    }

    /// The header rows (repeated on every page), with rules under
    /// spanning cells.
    fn table_header(&self, body: &mut String, t: &Table) {
        if t.header.is_empty() {
            return;
        }
        body.push_str("table.header(repeat: true, table.hline(stroke: 0.8pt),\n");
        for (r, row) in t.header.iter().enumerate() {
            for cell in row {
                let _ = writeln!(
                    body,
                    "table.cell(colspan: {}, rowspan: {}, align: {})[#strong{}],",
                    cell.colspan.max(1),
                    cell.rowspan.max(1),
                    if cell.colspan > 1 { "center" } else { "auto" },
                    self.content(&cell.content)
                );
            }
            if r + 1 < t.header.len() {
                // A rule under spanning header cells only.
                let mut col = 0;
                for cell in row {
                    if cell.colspan > 1 {
                        let _ = writeln!(
                            body,
                            "table.hline(y: {}, start: {}, end: {}, stroke: 0.4pt),",
                            r + 1,
                            col,
                            col + cell.colspan
                        );
                    }
                    col += cell.colspan.max(1);
                }
            }
        }
        body.push_str("table.hline(stroke: 0.5pt),\n),\n");
    }

    /// The rows: group headings and cells.
    fn table_rows(&self, body: &mut String, t: &Table) {
        let ncols = t.columns.len().max(1);
        for (i, row) in t.rows.iter().enumerate() {
            if i > 0 {
                body.push_str("table.hline(stroke: 0.3pt + luma(200)),\n");
            }
            match row {
                Row::Group(g) => {
                    let _ = writeln!(
                        body,
                        "table.cell(colspan: {ncols}, align: left, fill: luma(240))[#strong{}],",
                        self.content(g)
                    );
                }
                Row::Cells(cells) => {
                    for cell in cells {
                        match cell {
                            Cell::Blocks(b) => {
                                let _ = writeln!(body, "[{}],", self.blocks_string(b));
                            }
                            Cell::Mark(m) => {
                                let _ = writeln!(
                                    body,
                                    "[#mark({}, {}, {})],",
                                    string(&m.key),
                                    string(&m.label),
                                    string(&m.tone)
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The legend of the table's marks, or `none`.
fn legend(t: &Table) -> String {
    if t.marks.is_empty() {
        "none".to_string()
    } else {
        let parts: Vec<String> = t
            .marks
            .iter()
            .map(|m| {
                format!(
                    "#mark({}, {}, {}) {}",
                    string(&m.key),
                    string(&m.label),
                    string(&m.tone),
                    esc(&m.label)
                )
            })
            .collect();
        format!("[{}]", parts.join("; "))
    }
}
