//! The document model written as HTML: inline content, citations,
//! blocks and figures.

use super::*;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use crate::model::*;

#[derive(Clone)]
/// Writes the model as HTML, with the site's URLs for figures and images.
pub(super) struct HtmlWriter<'d> {
    pub(super) doc: &'d Document,
    pub(super) refs: std::rc::Rc<HashMap<&'d str, &'d Reference>>,
    /// Site path of each image, figure and asset as published.
    pub(super) urls: &'d BTreeMap<String, String>,
    /// Inside a tooltip: no links, no ids.
    pub(super) plain_links: bool,
}

impl<'d> HtmlWriter<'d> {
    pub(super) fn new(doc: &'d Document, urls: &'d BTreeMap<String, String>) -> Self {
        let refs = std::rc::Rc::new(doc.references.iter().map(|r| (r.key.as_str(), r)).collect());
        HtmlWriter {
            doc,
            refs,
            urls,
            plain_links: false,
        }
    }

    /// The same renderer without links or ids (tooltips, the contents).
    pub(super) fn plain(&self) -> HtmlWriter<'d> {
        HtmlWriter {
            plain_links: true,
            ..self.clone()
        }
    }

    /// The published path of a site file (hashed names when publishing).
    pub(super) fn url<'s>(&'s self, path: &'s str) -> &'s str {
        self.urls.get(path).map_or(path, String::as_str)
    }

    /// An image's address: a PDF figure's SVG stands in for it.
    pub(super) fn image_url(&self, src: &str) -> String {
        if src.to_ascii_lowercase().ends_with(".pdf") {
            let svg = format!("{src}.svg");
            return self.urls.get(&svg).cloned().unwrap_or(svg);
        }
        self.url(src).to_string()
    }

    pub(super) fn inlines(&self, out: &mut String, inl: &[Inline]) {
        for i in inl {
            self.inline(out, i);
        }
    }

    pub(super) fn inline_string(&self, inl: &[Inline]) -> String {
        let mut s = String::new();
        self.inlines(&mut s, inl);
        s
    }

    pub(super) fn wrap(&self, out: &mut String, tag: &str, inner: &[Inline]) {
        let _ = write!(out, "<{tag}>");
        self.inlines(out, inner);
        let _ = write!(out, "</{tag}>");
    }

    pub(super) fn inline(&self, out: &mut String, i: &Inline) {
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
            Inline::Raw { format, text } if format == "html" => out.push_str(text),
            Inline::Raw { .. } => {}
            Inline::Span { attrs, content } => {
                out.push_str("<span");
                self.attributes(out, attrs);
                out.push('>');
                self.inlines(out, content);
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
                    esc(&self.image_url(src)),
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
            Inline::XRef(id) | Inline::XRefNumber(id) => match self.doc.targets.get(id) {
                Some(t) => {
                    let text = match i {
                        Inline::XRefNumber(_) => t.number.clone(),
                        _ => t.label(),
                    };
                    if self.plain_links {
                        out.push_str(&esc(&text));
                    } else {
                        let _ = write!(
                            out,
                            "<a class=\"xref\" href=\"#{}\">{}</a>",
                            esc(id),
                            esc(&text)
                        );
                    }
                }
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
    pub(super) fn citation(&self, out: &mut String, n: usize) {
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

    pub(super) fn blocks(&self, out: &mut String, blocks: &[Block]) {
        for b in blocks {
            self.block(out, b);
        }
    }

    pub(super) fn blocks_string(&self, blocks: &[Block]) -> String {
        let mut s = String::new();
        self.blocks(&mut s, blocks);
        s
    }

    pub(super) fn block(&self, out: &mut String, b: &Block) {
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
            Block::List {
                start,
                items,
                letters,
            } => {
                let kind = match letters.as_deref() {
                    Some(l) if l.contains('A') => " type=\"A\"",
                    Some(l) if l.contains('I') => " type=\"I\"",
                    Some(l) if l.contains('i') => " type=\"i\"",
                    Some(_) => " type=\"a\"",
                    None => "",
                };
                match start {
                    Some(1) => {
                        let _ = writeln!(out, "<ol{kind}>");
                    }
                    Some(s) => {
                        let _ = writeln!(out, "<ol{kind} start=\"{s}\">");
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
            // A new page when printed; nothing on screen.
            Block::PageBreak => out.push_str("<div class=\"pagebreak\"></div>\n"),
            Block::Html(h) => out.push_str(h),
            Block::Table(t) => self.table(out, t),
            Block::Figure(f) => self.figure(out, f),
            Block::Div { attrs, blocks } => {
                out.push_str("<div");
                self.attributes(out, attrs);
                out.push_str(">\n");
                self.blocks(out, blocks);
                out.push_str("</div>\n");
            }
            Block::Callout {
                kind,
                title,
                blocks,
            } => {
                let _ = write!(
                    out,
                    "<aside class=\"callout callout-{}\" role=\"note\">\n<p class=\"callout-title\">",
                    esc(kind)
                );
                self.inlines(out, title);
                out.push_str("</p>\n");
                self.blocks(out, blocks);
                out.push_str("</aside>\n");
            }
            Block::Raw { format, text } if format == "html" => out.push_str(text),
            Block::Raw { .. } => {}
            Block::Definitions(items) => {
                out.push_str("<dl>\n");
                for (term, defs) in items {
                    out.push_str("<dt>");
                    self.inlines(out, term);
                    out.push_str("</dt>\n");
                    for d in defs {
                        out.push_str("<dd>");
                        self.blocks(out, d);
                        out.push_str("</dd>\n");
                    }
                }
                out.push_str("</dl>\n");
            }
        }
    }

    /// ` id="..." class="..." data-key="value"`, each escaped; keys that
    /// are not plain names are left out.
    pub(super) fn attributes(&self, out: &mut String, a: &crate::model::attrs::Attrs) {
        if let Some(id) = &a.id {
            let _ = write!(out, " id=\"{}\"", esc(id));
        }
        if !a.classes.is_empty() {
            let _ = write!(out, " class=\"{}\"", esc(&a.classes.join(" ")));
        }
        for (k, v) in &a.pairs {
            if k.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                let k = k.to_ascii_lowercase();
                let k = k.strip_prefix("data-").unwrap_or(&k);
                let _ = write!(out, " data-{}=\"{}\"", esc(k), esc(v));
            }
        }
    }

    pub(super) fn figure(&self, out: &mut String, f: &Figure) {
        if f.id.is_empty() {
            out.push_str("<figure class=\"figure\">\n");
        } else {
            let _ = writeln!(out, "<figure class=\"figure\" id=\"{}\">", esc(&f.id));
        }
        out.push_str("<div class=\"figure-body\">");
        match &f.body {
            FigureBody::Svg { svg, .. } => out.push_str(svg),
            FigureBody::Image { src } => {
                let _ = write!(
                    out,
                    "<img src=\"{}\" alt=\"{}\">",
                    esc(&self.image_url(src)),
                    esc(&f.alt)
                );
            }
            FigureBody::Remote { url } => {
                let _ = write!(
                    out,
                    "<p class=\"figure-remote\"><a href=\"{}\">Image at {}</a></p>",
                    esc(url),
                    esc(&crate::model::remote_host(url))
                );
            }
        }
        out.push_str("</div>\n");
        if let Some(t) = &f.data {
            out.push_str("<details class=\"figure-data\"><summary>The figure's numbers as a table</summary>\n");
            self.table(out, t);
            out.push_str("</details>\n");
        }
        if f.number == 0 {
            // Pandoc's figure without a `fig-` id: a caption, no number.
            if !f.caption.is_empty() {
                out.push_str("<figcaption>");
                self.inlines(out, &f.caption);
                out.push_str("</figcaption>\n");
            }
            out.push_str("</figure>\n");
            return;
        }
        let _ = write!(out, "<figcaption><span class=\"label\">Figure {}</span><span class=\"secsep\" aria-hidden=\"true\"> | </span>", f.number);
        self.inlines(out, &f.caption);
        out.push_str("</figcaption>\n</figure>\n");
    }
}

/// Add `aria-describedby` to every link of a rendered citation.
pub(super) fn with_described_by(html: &str, tip: &str) -> String {
    html.replace(
        "<a href=\"#ref-",
        &format!("<a aria-describedby=\"{tip}\" href=\"#ref-"),
    )
}
