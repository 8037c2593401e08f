//! The PDF renderer's first half: document model to Typst markup. The
//! theme's `typst/article.typ` decides the look; this file only says what is
//! there, with the same strings as the site (citations, references, numbers).

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::model::dates::{long_date, parse_iso_date};
use crate::model::*;

/// Escape text for Typst markup: every character with a meaning is escaped.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '\\' | '*' | '_' | '`' | '$' | '#' | '[' | ']' | '<' | '>' | '@' | '=' | '-' | '+'
            | '/' | '~' | '"' | '\'' | '.' | '(' | ')' | ':' | ';' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// A Typst string literal.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            '\t' => out.push_str("\\t"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A label name Typst accepts (`<name>`), derived from an id.
pub fn label(id: &str) -> String {
    let mut out = String::new();
    for c in id.chars() {
        if c.is_alphanumeric() || c == '_' || c == '-' || c == '.' || c == ':' {
            out.push(c);
        } else {
            let _ = write!(out, "_{:x}_", c as u32);
        }
    }
    out
}

struct TypstWriter<'d> {
    doc: &'d Document,
    /// Footnotes being written (a note that cites itself stops here).
    notes: std::cell::RefCell<Vec<usize>>,
    /// Virtual paths of images by their source path.
    images: &'d HashMap<String, String>,
}

impl TypstWriter<'_> {
    fn inlines(&self, out: &mut String, inl: &[Inline]) {
        for i in inl {
            self.inline(out, i);
        }
    }

    fn content(&self, inl: &[Inline]) -> String {
        let mut s = String::from("[");
        self.inlines(&mut s, inl);
        s.push(']');
        s
    }

    fn wrap(&self, out: &mut String, func: &str, inner: &[Inline]) {
        let _ = write!(out, "#{func}");
        out.push_str(&self.content(inner));
    }

    fn inline(&self, out: &mut String, i: &Inline) {
        match i {
            Inline::Text(t) => out.push_str(&esc(t)),
            Inline::Emph(c) => self.wrap(out, "emph", c),
            Inline::Strong(c) => self.wrap(out, "strong", c),
            Inline::Strike(c) => self.wrap(out, "strike", c),
            Inline::Sup(c) => self.wrap(out, "super", c),
            Inline::Sub(c) => self.wrap(out, "sub", c),
            Inline::SmallCaps(c) => self.wrap(out, "smallcaps", c),
            Inline::Code(c) => {
                let _ = write!(out, "#raw({})", string(c));
            }
            Inline::Math {
                tex,
                display,
                label: eq,
            } => match self
                .doc
                .typst_math
                .get(&crate::model::math_key(tex, *display))
            {
                Some(m) => {
                    // Numbered with galley's number, so both outputs agree.
                    match eq
                        .as_ref()
                        .and_then(|id| self.doc.targets.get(id).map(|t| (id, t)))
                    {
                        Some((id, t)) => {
                            let _ = write!(
                                out,
                                "#math.equation(block: true, numbering: _ => {}, alt: {}, ${m}$) <{}>",
                                string(&format!("({})", t.number)),
                                string(tex),
                                label(id)
                            );
                        }
                        None => {
                            let _ = write!(
                                out,
                                "#math.equation(block: {display}, alt: {}, ${m}$)",
                                string(tex)
                            );
                        }
                    }
                }
                None => out.push_str(&esc(tex)),
            },
            Inline::Link { url, content } => {
                let _ = write!(out, "#link({})", string(url));
                out.push_str(&self.content(content));
            }
            Inline::Image { src, alt } => match self.images.get(src) {
                Some(vpath) => {
                    let _ = write!(
                        out,
                        "#box(image({}, alt: {}, height: 1.2em))",
                        string(vpath),
                        string(alt)
                    );
                }
                None => out.push_str(&esc(alt)),
            },
            Inline::Cite(n) => {
                if let Some(c) = self.doc.citations.get(*n) {
                    self.inlines(out, &c.rendered);
                }
            }
            Inline::RefLink { key, content } => {
                let _ = write!(out, "#link(<ref-{}>)", label(key));
                out.push_str(&self.content(content));
            }
            Inline::XRef(id) => match self.doc.targets.get(id) {
                Some(t) => {
                    let _ = write!(out, "#link(<{}>)[{}]", label(id), esc(&t.label()));
                }
                None => out.push_str(&esc(id)),
            },
            Inline::Note(n) => {
                if self.notes.borrow().contains(n) {
                    let _ = write!(out, "#super[{}]", n + 1);
                    return;
                }
                self.notes.borrow_mut().push(*n);
                let blocks = self.doc.footnotes.get(*n).cloned().unwrap_or_default();
                let _ = write!(out, "#footnote[{}]", self.blocks_string(&blocks));
                self.notes.borrow_mut().pop();
            }
            Inline::SoftBreak => out.push(' '),
            Inline::LineBreak => out.push_str("#linebreak()"),
        }
    }

    fn blocks_string(&self, blocks: &[Block]) -> String {
        let mut s = String::new();
        for (i, b) in blocks.iter().enumerate() {
            if i > 0 {
                s.push_str("\n\n");
            }
            self.block(&mut s, b);
        }
        s
    }

    fn block(&self, out: &mut String, b: &Block) {
        match b {
            Block::Heading(h) => {
                let _ = write!(out, "#sec({}, {}, ", h.level, string(&h.number));
                out.push_str(&self.content(&h.content));
                let _ = write!(out, ") <{}>", label(&h.id));
            }
            Block::Para(i) | Block::Plain(i) => self.inlines(out, i),
            Block::List { start, items } => {
                match start {
                    Some(s) => {
                        let _ = write!(out, "#enum(start: {s}");
                    }
                    None => out.push_str("#list("),
                }
                for (k, item) in items.iter().enumerate() {
                    if k > 0 || start.is_some() {
                        out.push_str(", ");
                    }
                    let _ = write!(out, "[{}]", self.blocks_string(item));
                }
                out.push(')');
            }
            Block::Quote(b) => {
                let _ = write!(out, "#quote(block: true)[{}]", self.blocks_string(b));
            }
            Block::Code { lang, text } => {
                let _ = write!(
                    out,
                    "#raw(block: true, lang: {}, {})",
                    string(lang),
                    string(text)
                );
            }
            Block::Rule => out.push_str("#line(length: 100%, stroke: 0.5pt)"),
            Block::Html(_) => {}
            Block::Table(t) => self.table(out, t),
            Block::Figure(f) => self.figure(out, f),
        }
    }

    fn table(&self, out: &mut String, t: &Table) {
        let ncols = t.columns.len().max(1);
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
        if !t.header.is_empty() {
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
        body.push_str("table.hline(stroke: 0.8pt),\n)");
        let caption = self.content(&t.caption);
        let notes = if t.notes.is_empty() {
            "none".to_string()
        } else {
            format!("[{}]", self.blocks_string(&t.notes))
        };
        let legend = if t.marks.is_empty() {
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
        };
        match (t.number, &t.id) {
            (Some(n), Some(id)) => {
                let _ = write!(
                    out,
                    "#tbl(number: {}, caption: {caption}, notes: {notes}, legend: {legend}, {body}) <{}>",
                    string(&n.to_string()),
                    label(id)
                );
            }
            _ => {
                let _ = write!(out, "#align(center, {body})");
            }
        }
    }

    fn figure(&self, out: &mut String, f: &Figure) {
        let body = match &f.body {
            FigureBody::Svg { file, .. } => {
                format!(
                    "image({}, alt: {}, width: 100%)",
                    string(&format!("/{file}")),
                    string(&f.alt)
                )
            }
            FigureBody::Image { src } => match self.images.get(src) {
                Some(vpath) => format!(
                    "image({}, alt: {}, width: 100%)",
                    string(vpath),
                    string(&f.alt)
                ),
                None => format!("[{}]", esc(&f.alt)),
            },
        };
        let _ = write!(
            out,
            "#fig(number: {}, caption: {}, alt: {}, {body}) <{}>",
            string(&f.number.to_string()),
            self.content(&f.caption),
            string(&f.alt),
            label(&f.id)
        );
    }
}

fn titled(w: &TypstWriter, parts: &[TitledBlocks]) -> String {
    let items: Vec<String> = parts
        .iter()
        .map(|p| {
            format!(
                "(title: {}, body: [{}])",
                string(&p.title),
                w.blocks_string(&p.blocks)
            )
        })
        .collect();
    format!(
        "({})",
        items.iter().map(|s| format!("{s},")).collect::<String>()
    )
}

/// The Typst date of the document (published, else accepted, else the
/// latest date given): fixed, so the PDF is the same bytes every time.
pub fn document_date(doc: &Document) -> Option<(i32, u32, u32)> {
    let pick = doc.publication_date().or_else(|| doc.dates.last())?;
    let (y, m, d) = parse_iso_date(&pick.iso)?;
    Some((y, m.unwrap_or(1), d.unwrap_or(1)))
}

/// Generate main.typ. `images` maps image sources to virtual paths.
pub fn main_source(
    doc: &Document,
    images: &HashMap<String, String>,
    paper: &str,
    font_size: f64,
    columns: u8,
    generator: &str,
) -> String {
    let w = TypstWriter {
        doc,
        images,
        notes: Default::default(),
    };
    let mut s = String::new();
    s.push_str("// Generated by galley from the document model; do not edit.\n");
    s.push_str("#import \"/theme/typst/article.typ\": *\n");
    s.push_str("#show: article.with(\n");
    let _ = writeln!(s, "  title: {},", w.content(&doc.title));
    let _ = writeln!(s, "  title-text: {},", string(&doc.title_text));
    if let Some(sub) = &doc.subtitle {
        let _ = writeln!(s, "  subtitle: {},", w.content(sub));
    }
    if let Some(t) = &doc.article_type {
        let _ = writeln!(s, "  article-type: {},", string(t));
    }
    s.push_str("  authors: (\n");
    for a in &doc.authors {
        let marks: String = a.marks.iter().map(|m| format!("{},", string(m))).collect();
        let _ = writeln!(
            s,
            "    (name: {}, marks: ({marks}), corresponding: {}),",
            string(&a.name),
            a.corresponding
        );
    }
    s.push_str("  ),\n");
    let names: String = doc
        .authors
        .iter()
        .map(|a| format!("{},", string(&a.name)))
        .collect();
    let _ = writeln!(s, "  author-names: ({names}),");
    s.push_str("  affiliations: (\n");
    for f in &doc.affiliations {
        let _ = writeln!(
            s,
            "    (mark: {}, text: {}),",
            string(&f.mark),
            string(&f.text)
        );
    }
    s.push_str("  ),\n");
    let corr: Vec<String> = doc
        .authors
        .iter()
        .filter(|a| a.corresponding)
        .map(|a| match &a.email {
            Some(e) => format!(
                "{} (#link({})[{}])",
                esc(&a.name),
                string(&format!("mailto:{e}")),
                esc(e)
            ),
            None => esc(&a.name),
        })
        .collect();
    if !corr.is_empty() {
        let _ = writeln!(s, "  correspondence: [{}],", corr.join("; "));
    }
    s.push_str("  dates: (\n");
    for d in &doc.dates {
        let mut lbl = d.kind.clone();
        if let Some(f) = lbl.get_mut(..1) {
            f.make_ascii_uppercase();
        }
        let text = long_date(&d.iso);
        let _ = writeln!(s, "    (label: {}, text: {}),", string(&lbl), string(&text));
    }
    s.push_str("  ),\n");
    let kws: String = doc
        .keywords
        .iter()
        .map(|k| format!("{},", string(k)))
        .collect();
    let _ = writeln!(s, "  keywords: ({kws}),");
    let _ = writeln!(s, "  abstract: {},", titled(&w, &doc.abstract_));
    let _ = writeln!(s, "  summary: {},", titled(&w, &doc.summary));
    let first = doc
        .authors
        .first()
        .map(|a| a.family.clone())
        .unwrap_or_default();
    let who = if doc.authors.len() > 1 {
        format!("{first} et al.")
    } else {
        first
    };
    let head = match (&doc.journal, doc.year) {
        (Some(j), Some(y)) => format!("{who} · {j}, {y}"),
        (Some(j), None) => format!("{who} · {j}"),
        _ => who,
    };
    let _ = writeln!(s, "  running-head: {},", string(&head));
    let _ = writeln!(s, "  credit: [{}],", credit(doc, generator));
    if let Some(l) = &doc.license_name {
        let lic = match &doc.license_url {
            Some(u) => format!("#link({})[{}]", string(u), esc(l)),
            None => esc(l),
        };
        let origin = match (&doc.journal, doc.year, &doc.publisher) {
            (Some(j), y, p) => format!(
                " · originally published in #emph[{}]{}{}",
                esc(j),
                y.map(|y| format!(" \\({y}\\)")).unwrap_or_default(),
                p.as_ref()
                    .map(|p| format!(" by {}", esc(p)))
                    .unwrap_or_default()
            ),
            _ => String::new(),
        };
        let _ = writeln!(s, "  license: [{lic}{origin}],");
    }
    let _ = writeln!(s, "  lang: {},", string(&doc.lang));
    match document_date(doc) {
        Some((y, m, d)) => {
            let _ = writeln!(s, "  date: datetime(year: {y}, month: {m}, day: {d}),");
        }
        None => s.push_str("  date: none,\n"),
    }
    let _ = writeln!(s, "  paper: {},", string(paper));
    let _ = writeln!(s, "  font-size: {font_size}pt,");
    let _ = writeln!(s, "  columns: {columns},");
    s.push_str(")\n\n");
    for sec in &doc.sections {
        for b in &sec.blocks {
            w.block(&mut s, b);
            s.push_str("\n\n");
        }
    }
    for b in &doc.back_matter {
        let _ = write!(
            s,
            "#backmatter({}, [{}]) <{}>\n\n",
            string(&b.title),
            w.blocks_string(&b.blocks),
            label(&b.id)
        );
    }
    if !doc.references.is_empty() {
        s.push_str("#sec(1, \"\", [References]) <references>\n\n#{\nset text(size: 8pt)\nset par(justify: false)\n[\n");
        for r in &doc.references {
            let _ = writeln!(
                s,
                "#ref-entry({}, {}) <ref-{}>",
                w.content(&r.label),
                w.content(&r.content),
                label(&r.key)
            );
        }
        s.push_str("]\n}\n");
    }
    s
}

fn credit(doc: &Document, generator: &str) -> String {
    let mut s = String::new();
    if let Some(j) = &doc.journal {
        let authors = doc.credit_authors();
        let _ = write!(
            s,
            "Originally published as: {}. “{}.” #emph[{}]",
            esc(&authors),
            esc(&doc.title_text),
            esc(j)
        );
        if let Some(y) = doc.year {
            let _ = write!(s, " \\({y}\\)");
        }
        if let Some(d) = &doc.doi {
            let _ = write!(
                s,
                ", #link({})[doi:{}]",
                string(&format!("https://doi.org/{d}")),
                esc(d)
            );
        }
        s.push_str("\\.");
        if let Some(p) = &doc.publisher {
            let _ = write!(
                s,
                " © {}The Author\\(s\\); published by {}\\.",
                doc.year.map(|y| format!("{y} ")).unwrap_or_default(),
                esc(p)
            );
        }
        s.push(' ');
    }
    if let Some(l) = &doc.license_name {
        let lic = match &doc.license_url {
            Some(u) => format!("#link({})[{}]", string(u), esc(l)),
            None => esc(l),
        };
        let _ = write!(s, "This article is distributed under the terms of the {lic} license, which permits use, distribution and reproduction in any medium, provided the original work is properly cited\\. ");
    }
    let _ = write!(s, "This edition was built from plain files by {}; every number, table, citation and figure is generated from the data\\.", esc(generator));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("a*b_c #x [1] <y> @z 1. - \"q\""),
            "a\\*b\\_c \\#x \\[1\\] \\<y\\> \\@z 1\\. \\- \\\"q\\\""
        );
        assert_eq!(string("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(label("ref-smith 2020"), "ref-smith_20_2020");
    }
}
