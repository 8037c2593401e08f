//! The HTML renderer: document model to the site's index.html, through the
//! theme's Tera page template.

pub mod fingerprint;
pub mod site;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use serde_json::{json, Value};
use tera::{Context, Tera};

use crate::assemble::template::Origin;
use crate::diag::{Diagnostic, SourceMap};
use crate::load::bibliography::Bibliography;
use crate::load::theme::Theme;
use crate::model::dates::long_date;
use crate::model::*;

/// HTML-escape text for element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Only links that cannot run script.
fn safe_url(url: &str) -> bool {
    let lower: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_lowercase();
    !(lower.starts_with("javascript:")
        || lower.starts_with("vbscript:")
        || lower.starts_with("data:"))
}

#[derive(Clone)]
struct HtmlWriter<'d> {
    doc: &'d Document,
    refs: std::rc::Rc<HashMap<&'d str, &'d Reference>>,
    /// Site path of each image, figure and asset as published.
    urls: &'d BTreeMap<String, String>,
    /// Inside a tooltip: no links, no ids.
    plain_links: bool,
}

impl<'d> HtmlWriter<'d> {
    fn new(doc: &'d Document, urls: &'d BTreeMap<String, String>) -> Self {
        let refs = std::rc::Rc::new(doc.references.iter().map(|r| (r.key.as_str(), r)).collect());
        HtmlWriter {
            doc,
            refs,
            urls,
            plain_links: false,
        }
    }

    /// The same renderer without links or ids (tooltips, the contents).
    fn plain(&self) -> HtmlWriter<'d> {
        HtmlWriter {
            plain_links: true,
            ..self.clone()
        }
    }

    /// The published path of a site file (hashed names when publishing).
    fn url<'s>(&'s self, path: &'s str) -> &'s str {
        self.urls.get(path).map_or(path, String::as_str)
    }

    fn inlines(&self, out: &mut String, inl: &[Inline]) {
        for i in inl {
            self.inline(out, i);
        }
    }

    fn inline_string(&self, inl: &[Inline]) -> String {
        let mut s = String::new();
        self.inlines(&mut s, inl);
        s
    }

    fn wrap(&self, out: &mut String, tag: &str, inner: &[Inline]) {
        let _ = write!(out, "<{tag}>");
        self.inlines(out, inner);
        let _ = write!(out, "</{tag}>");
    }

    fn inline(&self, out: &mut String, i: &Inline) {
        match i {
            Inline::Text(t) => out.push_str(&esc(t)),
            Inline::Emph(c) => self.wrap(out, "em", c),
            Inline::Strong(c) => self.wrap(out, "strong", c),
            Inline::Strike(c) => self.wrap(out, "del", c),
            Inline::Sup(c) => self.wrap(out, "sup", c),
            Inline::Sub(c) => self.wrap(out, "sub", c),
            Inline::SmallCaps(c) => {
                out.push_str("<span class=\"smallcaps\">");
                self.inlines(out, c);
                out.push_str("</span>");
            }
            Inline::Code(c) => {
                let _ = write!(out, "<code>{}</code>", esc(c));
            }
            Inline::Math {
                tex,
                display,
                label,
            } => {
                let numbered = label
                    .as_ref()
                    .and_then(|id| self.doc.targets.get(id).map(|t| (id, t)));
                if let Some((id, _)) = numbered {
                    let _ = write!(out, "<span class=\"equation\" id=\"{}\">", esc(id));
                }
                match self.doc.mathml.get(&crate::model::math_key(tex, *display)) {
                    Some(m) => out.push_str(m),
                    None => {
                        let _ = write!(out, "<code class=\"math-source\">{}</code>", esc(tex));
                    }
                }
                if let Some((_, t)) = numbered {
                    let _ = write!(
                        out,
                        "<span class=\"eq-number\">({})</span></span>",
                        esc(&t.number)
                    );
                }
            }
            Inline::Link { url, content } => {
                if self.plain_links || !safe_url(url) {
                    self.inlines(out, content);
                } else {
                    let _ = write!(out, "<a href=\"{}\">", esc(self.url(url)));
                    self.inlines(out, content);
                    out.push_str("</a>");
                }
            }
            Inline::Image { src, alt } => {
                let _ = write!(
                    out,
                    "<img src=\"{}\" alt=\"{}\" loading=\"lazy\">",
                    esc(self.url(src)),
                    esc(alt)
                );
            }
            Inline::Cite(n) => self.citation(out, *n),
            Inline::RefLink { key, content } => {
                if self.plain_links {
                    self.inlines(out, content);
                } else {
                    let _ = write!(out, "<a href=\"#ref-{}\">", esc(key));
                    self.inlines(out, content);
                    out.push_str("</a>");
                }
            }
            Inline::XRef(id) => match self.doc.targets.get(id) {
                Some(t) if !self.plain_links => {
                    let _ = write!(
                        out,
                        "<a class=\"xref\" href=\"#{}\">{}</a>",
                        esc(id),
                        esc(&t.label())
                    );
                }
                Some(t) => out.push_str(&esc(&t.label())),
                None => out.push_str(&esc(id)),
            },
            Inline::Note(n) => {
                if self.plain_links {
                    let _ = write!(out, "<sup>{}</sup>", n + 1);
                } else {
                    let k = n + 1;
                    let _ = write!(
                        out,
                        "<sup class=\"fn-ref\"><a href=\"#fn-{k}\" id=\"fnref-{k}\" aria-label=\"Note {k}\">{k}</a></sup>"
                    );
                }
            }
            Inline::SoftBreak => out.push('\n'),
            Inline::LineBreak => out.push_str("<br>\n"),
        }
    }

    /// A citation: links to each entry and a tooltip with the formatted
    /// references, shown on hover and keyboard focus.
    fn citation(&self, out: &mut String, n: usize) {
        let Some(c) = self.doc.citations.get(n) else {
            return;
        };
        let id = n + 1;
        if self.plain_links {
            self.inlines(out, &c.rendered);
            return;
        }
        let tip = format!("cite-{id}-tip");
        let _ = write!(out, "<span class=\"cite\" id=\"cite-{id}\">");
        let linked = with_described_by(&self.inline_string(&c.rendered), &tip);
        out.push_str(&linked);
        let _ = write!(
            out,
            "<span class=\"cite-tip\" role=\"tooltip\" id=\"{tip}\">"
        );
        let plain = self.plain();
        let mut seen = Vec::new();
        for item in &c.items {
            if seen.contains(&item.key.as_str()) {
                continue;
            }
            seen.push(item.key.as_str());
            if let Some(r) = self.refs.get(item.key.as_str()) {
                out.push_str("<span class=\"cite-tip-entry\">");
                if !r.label.is_empty() {
                    let _ = write!(
                        out,
                        "<span class=\"cite-tip-label\">{}</span> ",
                        plain.inline_string(&r.label)
                    );
                }
                out.push_str(&plain.inline_string(&r.content));
                out.push_str("</span>");
            }
        }
        out.push_str("</span></span>");
    }

    fn blocks(&self, out: &mut String, blocks: &[Block]) {
        for b in blocks {
            self.block(out, b);
        }
    }

    fn blocks_string(&self, blocks: &[Block]) -> String {
        let mut s = String::new();
        self.blocks(&mut s, blocks);
        s
    }

    fn block(&self, out: &mut String, b: &Block) {
        match b {
            Block::Heading(h) => {
                let level = (h.level + 1).min(6);
                let _ = write!(out, "<h{level} id=\"{}\">", esc(&h.id));
                if !h.number.is_empty() {
                    let _ = write!(out, "<span class=\"secnum\">{}</span><span class=\"secsep\" aria-hidden=\"true\"> | </span>", esc(&h.number));
                }
                self.inlines(out, &h.content);
                let _ = writeln!(out, "</h{level}>");
            }
            Block::Para(i) => {
                out.push_str("<p>");
                self.inlines(out, i);
                out.push_str("</p>\n");
            }
            Block::Plain(i) => self.inlines(out, i),
            Block::List { start, items } => {
                match start {
                    Some(1) => out.push_str("<ol>\n"),
                    Some(s) => {
                        let _ = writeln!(out, "<ol start=\"{s}\">");
                    }
                    None => out.push_str("<ul>\n"),
                }
                for item in items {
                    out.push_str("<li>");
                    self.blocks(out, item);
                    out.push_str("</li>\n");
                }
                out.push_str(if start.is_some() {
                    "</ol>\n"
                } else {
                    "</ul>\n"
                });
            }
            Block::Quote(b) => {
                out.push_str("<blockquote>\n");
                self.blocks(out, b);
                out.push_str("</blockquote>\n");
            }
            Block::Code { lang, text } => {
                if lang.is_empty() {
                    let _ = writeln!(out, "<pre><code>{}</code></pre>", esc(text));
                } else {
                    let _ = writeln!(
                        out,
                        "<pre><code class=\"language-{}\">{}</code></pre>",
                        esc(lang),
                        esc(text)
                    );
                }
            }
            Block::Rule => out.push_str("<hr>\n"),
            Block::Html(h) => out.push_str(h),
            Block::Table(t) => self.table(out, t),
            Block::Figure(f) => self.figure(out, f),
        }
    }

    fn table(&self, out: &mut String, t: &Table) {
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
        if !t.header.is_empty() {
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
        out.push_str("</tbody>\n</table>\n</div>\n");
        if !t.notes.is_empty() || !t.marks.is_empty() {
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
        out.push_str("</figure>\n");
    }

    fn figure(&self, out: &mut String, f: &Figure) {
        let _ = writeln!(out, "<figure class=\"figure\" id=\"{}\">", esc(&f.id));
        out.push_str("<div class=\"figure-body\">");
        match &f.body {
            FigureBody::Svg { svg, .. } => out.push_str(svg),
            FigureBody::Image { src } => {
                let _ = write!(
                    out,
                    "<img src=\"{}\" alt=\"{}\">",
                    esc(self.url(src)),
                    esc(&f.alt)
                );
            }
        }
        out.push_str("</div>\n");
        let _ = write!(out, "<figcaption><span class=\"label\">Figure {}</span><span class=\"secsep\" aria-hidden=\"true\"> | </span>", f.number);
        self.inlines(out, &f.caption);
        out.push_str("</figcaption>\n</figure>\n");
    }
}

/// For each header row, the column index where each of its cells starts
/// (cells spanning rows from above take their columns).
fn header_columns(header: &[Vec<HeaderCell>]) -> Vec<Vec<usize>> {
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

fn mark(out: &mut String, m: &Mark) {
    let _ = write!(
        out,
        "<span class=\"mark mark-{}\" title=\"{}\"><span aria-hidden=\"true\">{}</span><span class=\"visually-hidden\">{}</span></span>",
        esc(&m.tone),
        esc(&m.label),
        esc(&m.key),
        esc(&m.label)
    );
}

/// Add `aria-describedby` to every link of a rendered citation.
fn with_described_by(html: &str, tip: &str) -> String {
    html.replace(
        "<a href=\"#ref-",
        &format!("<a aria-describedby=\"{tip}\" href=\"#ref-"),
    )
}

/// A dataset file offered for download.
pub struct DataLink {
    pub name: String,
    pub json: String,
    pub csv: Option<String>,
}

/// What the page needs beyond the document.
pub struct PageInfo<'a> {
    pub pdf_file: Option<String>,
    pub bib_file: String,
    pub data_files: Vec<DataLink>,
    pub base_url: Option<String>,
    /// Site path → published path of theme assets (`assets/galley.css`),
    /// figures and images: the same, or with a content hash.
    pub urls: BTreeMap<String, String>,
    pub bibliography: &'a Bibliography,
    pub version: &'static str,
}

fn iso_slash(iso: &str) -> String {
    iso.replace('-', "/")
}

fn date_text(iso: &str) -> String {
    long_date(iso)
}

fn abs_url(base: &Option<String>, rel: &str) -> String {
    match base {
        Some(b) => format!("{}/{}", b.trim_end_matches('/'), rel),
        None => rel.to_string(),
    }
}

/// Render index.html.
pub fn render_page(
    doc: &Document,
    info: &PageInfo,
    theme: &Theme,
    sources: &mut SourceMap,
) -> Result<Pages, Diagnostic> {
    let r = HtmlWriter::new(doc, &info.urls);
    let mut body = String::new();
    for s in &doc.sections {
        r.blocks(&mut body, &s.blocks);
    }
    let abstract_parts: Vec<Value> = doc
        .abstract_
        .iter()
        .map(|p| json!({"title": p.title, "id": p.id, "html": r.blocks_string(&p.blocks)}))
        .collect();
    let summary: Vec<Value> = doc
        .summary
        .iter()
        .map(|p| json!({"title": p.title, "id": p.id, "html": r.blocks_string(&p.blocks)}))
        .collect();
    let back_matter: Vec<Value> = doc
        .back_matter
        .iter()
        .map(|p| json!({"title": p.title, "id": p.id, "html": r.blocks_string(&p.blocks)}))
        .collect();
    let references: Vec<Value> = doc
        .references
        .iter()
        .map(|rf| {
            json!({
                "key": rf.key,
                "id": format!("ref-{}", rf.key),
                "label": r.inline_string(&rf.label),
                "html": r.inline_string(&rf.content),
                "backlinks": rf.cited_by.iter().map(|c| format!("cite-{}", c + 1)).collect::<Vec<_>>(),
            })
        })
        .collect();
    let footnotes: Vec<Value> = doc
        .footnotes
        .iter()
        .enumerate()
        .map(|(i, b)| json!({"id": format!("fn-{}", i + 1), "back": format!("fnref-{}", i + 1), "html": r.blocks_string(b)}))
        .collect();
    let mut toc: Vec<Value> = Vec::new();
    for s in &doc.sections {
        for b in &s.blocks {
            if let Block::Heading(h) = b {
                if h.level <= 2 {
                    toc.push(json!({
                        "id": h.id, "number": h.number, "level": h.level,
                        "html": r.plain().inline_string(&h.content),
                    }));
                }
            }
        }
    }
    let authors: Vec<Value> = doc
        .authors
        .iter()
        .map(|a| {
            json!({
                "name": a.name, "marks": a.marks, "orcid": a.orcid, "email": a.email,
                "corresponding": a.corresponding,
            })
        })
        .collect();
    let dates: Vec<Value> = doc
        .dates
        .iter()
        .map(|d| {
            let mut label = d.kind.clone();
            if let Some(f) = label.get_mut(..1) {
                f.make_ascii_uppercase();
            }
            json!({"kind": d.kind, "label": label, "iso": d.iso, "text": date_text(&d.iso)})
        })
        .collect();
    let abstract_plain = doc
        .abstract_
        .iter()
        .flat_map(|p| p.blocks.iter())
        .filter_map(|b| match b {
            Block::Para(i) | Block::Plain(i) => Some(Inline::plain(i, Some(doc))),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(" ");
    let description: String = {
        let mut d: String = abstract_plain.chars().take(300).collect();
        if abstract_plain.chars().count() > 300 {
            d.push('…');
        }
        d
    };
    let meta_tags = citation_meta(doc, info);
    let json_ld = json_ld(doc, info, &abstract_plain);
    let pub_date = doc.publication_date().map(|d| d.iso.clone());
    let credit_authors = doc.credit_authors();
    let asset = |name: &str| {
        let path = format!("assets/{name}");
        info.urls.get(&path).cloned().unwrap_or(path)
    };
    let assets: BTreeMap<&str, &String> = info
        .urls
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("assets/").map(|n| (n, v)))
        .collect();
    let page = json!({
        "lang": doc.lang,
        "title_html": r.inline_string(&doc.title),
        "title_text": doc.title_text,
        "subtitle_html": doc.subtitle.as_ref().map(|s| r.inline_string(s)),
        "article_type": doc.article_type,
        "authors": authors,
        "affiliations": doc.affiliations.iter().map(|a| json!({"mark": a.mark, "text": a.text})).collect::<Vec<_>>(),
        "corresponding": doc.authors.iter().filter(|a| a.corresponding).map(|a| json!({"name": a.name, "email": a.email})).collect::<Vec<_>>(),
        "dates": dates,
        "keywords": doc.keywords,
        "journal": doc.journal,
        "year": doc.year,
        "publisher": doc.publisher,
        "doi": doc.doi,
        "license_name": doc.license_name,
        "license_url": doc.license_url,
        "abstract": abstract_parts,
        "summary": summary,
        "body": body,
        "toc": toc,
        "back_matter": back_matter,
        "references": references,
        "footnotes": footnotes,
        "numeric_citations": doc.numeric_citations,
        "meta_tags": meta_tags,
        "json_ld": json_ld,
        "description": description,
        "canonical": info.base_url.as_ref().map(|b| format!("{}/", b.trim_end_matches('/'))),
        "pdf_file": info.pdf_file,
        "bib_file": info.bib_file,
        "data_files": info.data_files.iter().map(|d| json!({"name": d.name, "json": d.json, "csv": d.csv})).collect::<Vec<_>>(),
        "pub_date": pub_date,
        "credit_authors": credit_authors,
        "css": asset("galley.css"),
        // Every static file of the theme by its name under static/, for
        // templates: {{ page.assets["logo.svg"] }}.
        "assets": assets,
        // 404.html is served at any depth: its links start from the site root.
        "root": info.base_url.as_ref().map(|b| format!("{}/", b.trim_end_matches('/'))).unwrap_or_default(),
        "js": asset("galley.js"),
        "site_name": doc.journal,
        "generator": format!("galley {}", info.version),
    });
    // Every template of the theme is loaded, so templates can include or
    // extend one another; the page is templates/article.html.
    let mut tera = Tera::default();
    crate::assemble::sandbox::install(&mut tera);
    tera.autoescape_on(vec![".html"]);
    tera.set_escape_fn(esc);
    // The page holds the whole document: its size bounds the output.
    let size: usize = sources.iter().map(|(_, t)| t.len()).sum();
    let mut origins = std::collections::HashMap::new();
    for name in theme.names("templates", ".html") {
        let file = theme.get(&name, sources)?;
        let short = name.trim_start_matches("templates/").to_string();
        let origin = Origin {
            file: file.origin.clone(),
            offset: 0,
            text: file.text.clone(),
        };
        crate::assemble::sandbox::add(&mut tera, &short, &file.text).map_err(|e| {
            crate::assemble::template::locate_error(&e, &origin, &format!("the template {short}"))
        })?;
        origins.insert(short, origin);
    }
    let mut ctx = Context::new();
    ctx.insert("page", &page);
    let render = |name: &str| {
        crate::assemble::sandbox::render(&tera, name, &ctx, size).map_err(|e| {
            // Name the template the error happened in, if Tera says which.
            let chain = crate::assemble::template::error_chain(&e).join(" ");
            let culprit = origins
                .keys()
                .find(|k| *k != name && chain.contains(&format!("'{k}'")))
                .cloned();
            let origin = origins
                .get(culprit.as_deref().unwrap_or(name))
                .or_else(|| origins.values().next());
            match origin {
                Some(o) => {
                    crate::assemble::template::locate_error(&e, o, &format!("the template {name}"))
                }
                None => Diagnostic::error(format!("the theme has no templates/{name}")),
            }
        })
    };
    Ok(Pages {
        article: render("article.html")?,
        not_found: render("404.html")?,
    })
}

/// The pages of the site.
pub struct Pages {
    pub article: String,
    /// 404.html, for static hosts that serve it for missing pages.
    pub not_found: String,
}

fn citation_meta(doc: &Document, info: &PageInfo) -> Vec<Value> {
    let mut tags: Vec<(String, String)> = vec![("citation_title".into(), doc.title_text.clone())];
    for a in &doc.authors {
        tags.push((
            "citation_author".into(),
            format!("{}, {}", a.family, a.given),
        ));
        for m in &a.marks {
            if let Some(aff) = doc.affiliations.iter().find(|x| &x.mark == m) {
                tags.push(("citation_author_institution".into(), aff.text.clone()));
            }
        }
        if let Some(e) = &a.email {
            tags.push(("citation_author_email".into(), e.clone()));
        }
        if let Some(o) = &a.orcid {
            tags.push(("citation_author_orcid".into(), o.clone()));
        }
    }
    let date = doc
        .publication_date()
        .map(|d| iso_slash(&d.iso))
        .or_else(|| doc.year.map(|y| y.to_string()));
    if let Some(d) = date {
        tags.push(("citation_publication_date".into(), d));
    }
    if let Some(j) = &doc.journal {
        tags.push(("citation_journal_title".into(), j.clone()));
    }
    for (name, value) in [
        ("citation_volume", &doc.volume),
        ("citation_issue", &doc.issue),
    ] {
        if let Some(v) = value {
            tags.push((name.into(), v.clone()));
        }
    }
    if let Some(p) = &doc.pages {
        let mut parts = p.splitn(2, ['-', '–']);
        if let Some(first) = parts.next() {
            tags.push(("citation_firstpage".into(), first.trim().to_string()));
        }
        if let Some(last) = parts.next() {
            tags.push((
                "citation_lastpage".into(),
                last.trim_start_matches(['-', '–']).trim().to_string(),
            ));
        }
    }
    if let Some(p) = &doc.publisher {
        tags.push(("citation_publisher".into(), p.clone()));
    }
    if let Some(d) = &doc.doi {
        tags.push(("citation_doi".into(), d.clone()));
    }
    if !doc.keywords.is_empty() {
        tags.push(("citation_keywords".into(), doc.keywords.join("; ")));
    }
    tags.push(("citation_language".into(), doc.lang.clone()));
    if let Some(pdf) = &info.pdf_file {
        tags.push(("citation_pdf_url".into(), abs_url(&info.base_url, pdf)));
    }
    if let Some(b) = &info.base_url {
        tags.push((
            "citation_fulltext_html_url".into(),
            format!("{}/", b.trim_end_matches('/')),
        ));
    }
    for rf in &doc.references {
        if let Some(e) = info.bibliography.get(&rf.key) {
            tags.push(("citation_reference".into(), reference_tag(e)));
        }
    }
    tags.into_iter()
        .map(|(n, c)| json!({"name": n, "content": c}))
        .collect()
}

/// Highwire `citation_reference` content: "citation_title=...; ...".
fn reference_tag(e: &hayagriva::Entry) -> String {
    let mut parts = Vec::new();
    if let Some(a) = e.authors() {
        for p in a.iter().filter(|p| p.name != "Unlisted") {
            let given = p.given_name.clone().unwrap_or_default();
            parts.push(
                format!("citation_author={}, {}", p.name, given)
                    .trim_end_matches(", ")
                    .to_string(),
            );
        }
    }
    if let Some(t) = e.title() {
        parts.push(format!("citation_title={t}"));
    }
    if let Some(parent) = e.parents().first() {
        if let Some(t) = parent.title() {
            parts.push(format!("citation_journal_title={t}"));
        }
    }
    if let Some(d) = e.date_any() {
        parts.push(format!("citation_publication_date={}", d.year));
    }
    if let Some(v) = e
        .volume()
        .or_else(|| e.parents().first().and_then(|p| p.volume()))
    {
        parts.push(format!("citation_volume={v}"));
    }
    if let Some(i) = e
        .issue()
        .or_else(|| e.parents().first().and_then(|p| p.issue()))
    {
        parts.push(format!("citation_issue={i}"));
    }
    if let Some(pr) = e.page_range() {
        parts.push(format!("citation_firstpage={pr}"));
    }
    if let Some(doi) = e.doi() {
        parts.push(format!("citation_doi={doi}"));
    }
    parts.join("; ").replace("<", "").replace(">", "")
}

fn json_ld(doc: &Document, info: &PageInfo, abstract_plain: &str) -> String {
    let authors: Vec<Value> = doc
        .authors
        .iter()
        .map(|a| {
            let affs: Vec<Value> = a
                .marks
                .iter()
                .filter_map(|m| doc.affiliations.iter().find(|x| &x.mark == m))
                .map(|x| json!({"@type": "Organization", "name": x.text}))
                .collect();
            let mut v = json!({"@type": "Person", "name": a.name, "givenName": a.given, "familyName": a.family, "affiliation": affs});
            if let Some(e) = &a.email {
                v["email"] = json!(e);
            }
            if let Some(o) = &a.orcid {
                v["identifier"] = json!(format!("https://orcid.org/{}", o.trim_start_matches("https://orcid.org/")));
            }
            v
        })
        .collect();
    let mut v = json!({
        "@context": "https://schema.org",
        "@type": "ScholarlyArticle",
        "headline": doc.title_text,
        "name": doc.title_text,
        "author": authors,
        "inLanguage": doc.lang,
        "keywords": doc.keywords,
        "abstract": abstract_plain,
    });
    if let Some(d) = doc.publication_date() {
        v["datePublished"] = json!(d.iso);
    }
    if let Some(d) = doc.dates.iter().find(|d| d.kind == "received") {
        v["dateCreated"] = json!(d.iso);
    }
    if let Some(j) = &doc.journal {
        v["isPartOf"] = json!({"@type": "Periodical", "name": j});
    }
    if let Some(p) = &doc.publisher {
        v["publisher"] = json!({"@type": "Organization", "name": p});
    }
    if let Some(u) = &doc.license_url {
        v["license"] = json!(u);
    } else if let Some(n) = &doc.license_name {
        v["license"] = json!(n);
    }
    if let Some(d) = &doc.doi {
        v["identifier"] = json!(format!("https://doi.org/{d}"));
    }
    if let Some(b) = &info.base_url {
        v["url"] = json!(format!("{}/", b.trim_end_matches('/')));
    }
    if let Some(pdf) = &info.pdf_file {
        v["encoding"] = json!({"@type": "MediaObject", "encodingFormat": "application/pdf", "contentUrl": abs_url(&info.base_url, pdf)});
    }
    let cites: Vec<Value> = doc
        .references
        .iter()
        .map(|r| json!({"@type": "CreativeWork", "name": Inline::plain(&r.content, Some(doc))}))
        .collect();
    v["citation"] = json!(cites);
    // Safe inside <script>: no "</" sequence can close the element.
    // Safe inside <script>: no markup character survives (JSON allows the
    // \u escapes, so HTML never sees `<!--` or `</script`).
    serde_json::to_string_pretty(&v)
        .unwrap_or_default()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// BibTeX entry for the article itself.
pub fn article_bibtex(doc: &Document) -> String {
    let field = |s: &str| s.replace('{', "\\{").replace('}', "\\}");
    let authors = doc
        .authors
        .iter()
        .map(|a| format!("{}, {}", a.family, a.given))
        .collect::<Vec<_>>()
        .join(" and ");
    let key = format!(
        "{}{}",
        doc.authors
            .first()
            .map(|a| crate::model::ids::slugify(&a.family).replace('-', ""))
            .unwrap_or_default(),
        doc.year.map(|y| y.to_string()).unwrap_or_default()
    );
    let mut s = format!(
        "@article{{{key},\n  author = {{{}}},\n  title = {{{{{}}}}},\n",
        field(&authors),
        field(&doc.title_text)
    );
    if let Some(j) = &doc.journal {
        let _ = writeln!(s, "  journal = {{{}}},", field(j));
    }
    for (name, value) in [
        ("volume", &doc.volume),
        ("number", &doc.issue),
        ("pages", &doc.pages),
    ] {
        if let Some(v) = value {
            let _ = writeln!(s, "  {name} = {{{}}},", field(v));
        }
    }
    if let Some(y) = doc.year {
        let _ = writeln!(s, "  year = {{{y}}},");
    }
    if let Some(p) = &doc.publisher {
        let _ = writeln!(s, "  publisher = {{{}}},", field(p));
    }
    if let Some(d) = &doc.doi {
        let _ = writeln!(s, "  doi = {{{}}},", field(d));
    }
    if !doc.keywords.is_empty() {
        let _ = writeln!(s, "  keywords = {{{}}},", field(&doc.keywords.join(", ")));
    }
    if let Some(l) = &doc.license_name {
        let _ = writeln!(s, "  note = {{Published under {}}},", field(l));
    }
    s.push_str("}\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_refuses_script_urls() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert!(!safe_url(" JavaScript:alert(1)"));
        assert!(safe_url("https://doi.org/10.1/x"));
    }
}
