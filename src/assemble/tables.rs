//! Generated tables: a table spec (manuscript/tables/*.yaml) and its data
//! into a table of the model, numbered where it is placed.

use std::ops::Range;

use serde_json::Value;
use tera::Context;

use super::assembler::{Assembler, Frame};
use crate::assemble::markdown;
use crate::assemble::template::{self, Origin};
use crate::diag::nearest;
use crate::diag::{line_col, Diagnostic};
use crate::load::tables::LoadedSpec;
use crate::load::yaml::find_template;
use crate::model::*;

impl Assembler<'_> {
    pub(super) fn place_table(&mut self, id: &str, span: Range<usize>) -> Option<Block> {
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

    pub(super) fn note_placement(&mut self, id: &str, span: Range<usize>) -> bool {
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

    pub(super) fn spec_template(
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
        match crate::assemble::sandbox::add_cached(&mut self.tera, &name, text, &self.project.cache)
        {
            Ok(()) => Some((name, origin)),
            Err(e) => {
                self.diags.push(template::locate_error(&e, &origin, what));
                None
            }
        }
    }

    pub(super) fn render_spec(
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
    pub(super) fn spec_markdown(
        &mut self,
        spec: &LoadedSpec,
        origin: &Origin,
        rendered: &str,
    ) -> Vec<Block> {
        self.parse_in(Frame::new(
            &spec.file,
            &spec.text,
            origin.offset,
            &origin.text,
            rendered.to_string(),
        ))
    }

    pub(super) fn build_table(&mut self, spec: &LoadedSpec, number: usize) -> Option<Block> {
        let s = &spec.spec;
        let rows = self.table_source(spec)?;
        let templates = self.table_templates(spec)?;
        let mut ctx = self.ctx.clone();
        let caption = match &templates.caption {
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
            if let Some((n, o)) = &templates.group {
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
            let cells = self.table_row(spec, &templates.cells, &ctx, idx, &marks)?;
            out_rows.push(Row::Cells(cells));
        }
        let notes = match &templates.notes {
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
                align: c.align,
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

    /// The rows `source:` gives: a list, or an error at the key.
    fn table_source(&mut self, spec: &LoadedSpec) -> Option<Vec<Value>> {
        let s = &spec.spec;
        let file_label = spec.file.display().to_string();
        let name = self.next_template_name(&file_label);
        let problem = match template::eval_expr(&mut self.tera, &name, &s.source, &self.ctx) {
            Ok(Value::Array(rows)) => return Some(rows),
            Ok(other) => {
                let kind = match other {
                    Value::Object(_) => "a map",
                    Value::Null => "nothing (null)",
                    Value::String(_) => "a string",
                    Value::Number(_) => "a number",
                    Value::Bool(_) => "a boolean",
                    Value::Array(_) => "a list",
                };
                format!("gives {kind}, not a list of rows")
            }
            Err(e) => {
                let msg = crate::assemble::sandbox::error_message(&e);
                format!("cannot be evaluated: {msg}")
            }
        };
        self.diags.push(
            Diagnostic::error(format!("table source `{}` {problem}", s.source))
                .at(&spec.file, spec.key_span("source")),
        );
        None
    }

    /// The spec's templates, each added to Tera once; None if one of the
    /// cells' does not parse (its error is reported).
    fn table_templates(&mut self, spec: &LoadedSpec) -> Option<TableTemplates> {
        let s = &spec.spec;
        let caption = self.spec_template(spec, &s.caption, "the table caption");
        let group = s
            .group
            .as_ref()
            .and_then(|g| self.spec_template(spec, g, "the table group"));
        let notes = s
            .notes
            .as_ref()
            .and_then(|n| self.spec_template(spec, n, "the table notes"));
        let mut cells = Vec::new();
        for (i, c) in s.columns.iter().enumerate() {
            cells.push(self.spec_template(
                spec,
                &c.cell,
                &format!("column {} (`{}`) of {}", i + 1, c.header, s.id),
            ));
        }
        let cells = cells.into_iter().collect::<Option<Vec<_>>>()?;
        Some(TableTemplates {
            caption,
            group,
            notes,
            cells,
        })
    }

    /// One row's cells: Markdown, or a mark of the table's legend.
    fn table_row(
        &mut self,
        spec: &LoadedSpec,
        cells: &[(String, Origin)],
        ctx: &Context,
        idx: usize,
        marks: &[Mark],
    ) -> Option<Vec<Cell>> {
        let s = &spec.spec;
        let mut out = Vec::new();
        for (ci, col) in s.columns.iter().enumerate() {
            let (n, o) = &cells[ci];
            let what = format!(
                "row {} column {} (`{}`) of {}",
                idx + 1,
                ci + 1,
                col.header,
                s.id
            );
            let text = self.render_spec(n, o, ctx, &what)?;
            if !col.mark {
                out.push(Cell::Blocks(self.spec_markdown(spec, o, &text)));
                continue;
            }
            let key = text.trim();
            match marks.iter().find(|m| m.key == key) {
                Some(m) => out.push(Cell::Mark(m.clone())),
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
                    out.push(Cell::Blocks(Vec::new()));
                }
            }
        }
        Some(out)
    }

    pub(super) fn table_header(&mut self, spec: &LoadedSpec) -> Vec<Vec<HeaderCell>> {
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
}

/// A table spec's templates: (Tera name, origin) of each.
struct TableTemplates {
    caption: Option<(String, Origin)>,
    group: Option<(String, Origin)>,
    notes: Option<(String, Origin)>,
    cells: Vec<(String, Origin)>,
}
