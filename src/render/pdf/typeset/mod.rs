//! The PDF renderer's first half: document model to Typst markup. The
//! theme's `typst/article.typ` decides the look; this file only says what is
//! there, with the same strings as the site (citations, references, numbers).

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::model::dates::{long_date, parse_iso_date};
use crate::model::*;

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

pub use crate::model::escape::{typst_markup as esc, typst_string as string};

mod source;
mod table;

pub use source::{document_date, main_source};

/// Writes the model as Typst markup, with the virtual paths of images.
struct TypstWriter<'d> {
    doc: &'d Document,
    /// Footnotes being written (a note that cites itself stops here).
    notes: std::cell::RefCell<Vec<usize>>,
    /// Virtual paths of images by their source path.
    images: &'d HashMap<String, String>,
}

impl TypstWriter<'_> {
    pub(super) fn inlines(&self, out: &mut String, inl: &[Inline]) {
        for i in inl {
            self.inline(out, i);
        }
    }

    pub(super) fn content(&self, inl: &[Inline]) -> String {
        let mut s = String::from("[");
        self.inlines(&mut s, inl);
        s.push(']');
        s
    }

    pub(super) fn wrap(&self, out: &mut String, func: &str, inner: &[Inline]) {
        let _ = write!(out, "#{func}");
        out.push_str(&self.content(inner));
    }

    pub(super) fn inline(&self, out: &mut String, i: &Inline) {
        match i {
            Inline::Text(t) => out.push_str(&esc(t)),
            Inline::Emph(c) => self.wrap(out, "emph", c),
            Inline::Strong(c) => self.wrap(out, "strong", c),
            Inline::Strike(c) => self.wrap(out, "strike", c),
            Inline::Sup(c) => self.wrap(out, "super", c),
            Inline::Sub(c) => self.wrap(out, "sub", c),
            Inline::SmallCaps(c) => self.wrap(out, "smallcaps", c),
            Inline::Span { attrs, content } if attrs.has_class("smallcaps") => {
                self.wrap(out, "smallcaps", content)
            }
            Inline::Span { content, .. } => self.inlines(out, content),
            Inline::Raw { format, text } if format == "typst" => out.push_str(text),
            Inline::Raw { .. } => {}
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
                // No alt text: a decorative image, an artifact to PDF/UA
                // (as `alt=""` is to a screen reader on the site).
                Some(vpath) if alt.trim().is_empty() => {
                    let _ = write!(
                        out,
                        "#pdf.artifact(box(image({}, height: 1.2em)))",
                        string(vpath)
                    );
                }
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
            Inline::XRef(id) | Inline::XRefNumber(id) => match self.doc.targets.get(id) {
                Some(t) => {
                    let text = match i {
                        Inline::XRefNumber(_) => t.number.clone(),
                        _ => t.label(),
                    };
                    let _ = write!(out, "#link(<{}>)[{}]", label(id), esc(&text));
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

    pub(super) fn blocks_string(&self, blocks: &[Block]) -> String {
        let mut s = String::new();
        for (i, b) in blocks.iter().enumerate() {
            if i > 0 {
                s.push_str("\n\n");
            }
            self.block(&mut s, b);
        }
        s
    }

    pub(super) fn block(&self, out: &mut String, b: &Block) {
        match b {
            Block::Heading(h) => {
                let _ = write!(out, "#sec({}, {}, ", h.level, string(&h.number));
                out.push_str(&self.content(&h.content));
                let _ = write!(out, ") <{}>", label(&h.id));
            }
            Block::Para(i) | Block::Plain(i) => match lone_image(i) {
                // An image alone in its paragraph, without a caption (so
                // not a figure): at its own size, as Pandoc's LaTeX has it,
                // not the height of a line.
                Some((src, alt)) => match self.images.get(src) {
                    Some(vpath) if alt.trim().is_empty() => {
                        let _ = write!(out, "#pdf.artifact(image({}))", string(vpath));
                    }
                    Some(vpath) => {
                        let _ = write!(out, "#image({}, alt: {})", string(vpath), string(alt));
                    }
                    None => self.inlines(out, i),
                },
                None => self.inlines(out, i),
            },
            Block::List {
                start,
                items,
                letters,
            } => {
                match (start, letters) {
                    (Some(s), Some(l)) => {
                        let _ = write!(out, "#enum(numbering: {}, start: {s}", string(l));
                    }
                    (Some(s), None) => {
                        let _ = write!(out, "#enum(start: {s}");
                    }
                    (None, _) => out.push_str("#list("),
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
            Block::PageBreak => out.push_str("#pagebreak(weak: true)"),
            Block::Html(_) => {}
            Block::Table(t) => self.table(out, t),
            Block::Figure(f) => self.figure(out, f),
            Block::Div { attrs, blocks } => {
                let _ = write!(out, "#block[{}]", self.blocks_string(blocks));
                if let Some(id) = &attrs.id {
                    let _ = write!(out, " <{}>", label(id));
                }
            }
            Block::Callout {
                kind,
                title,
                blocks,
            } => {
                let colour = match kind.as_str() {
                    "warning" => "rgb(\"#b45309\")",
                    "important" | "caution" => "rgb(\"#b91c1c\")",
                    "tip" => "rgb(\"#15803d\")",
                    _ => "rgb(\"#1d4ed8\")",
                };
                let _ = write!(
                    out,
                    "#block(width: 100%, inset: (left: 10pt, rest: 7pt), stroke: (left: 2pt + {colour}), fill: {colour}.lighten(93%))[#strong{}\n\n{}]",
                    self.content(title),
                    self.blocks_string(blocks)
                );
            }
            Block::Raw { format, text } if format == "typst" => out.push_str(text),
            Block::Raw { .. } => {}
            Block::Definitions(items) => {
                out.push_str("#terms(");
                for (k, (term, defs)) in items.iter().enumerate() {
                    if k > 0 {
                        out.push_str(", ");
                    }
                    let body: Vec<String> = defs.iter().map(|d| self.blocks_string(d)).collect();
                    let _ = write!(
                        out,
                        "terms.item({}, [{}])",
                        self.content(term),
                        body.join("\n\n")
                    );
                }
                out.push(')');
            }
        }
    }

    pub(super) fn figure(&self, out: &mut String, f: &Figure) {
        let body = match &f.body {
            FigureBody::Svg { file, svg } => match svg_width(svg) {
                // At its own size (a CSS pixel is 0.75pt), narrower than
                // the text when it is small, fitted to it when wide.
                Some(w) => format!(
                    "layout(size => image({}, alt: {}, width: calc.min(size.width, {:.2}pt)))",
                    string(&format!("/{file}")),
                    string(&f.alt),
                    w * 0.75
                ),
                None => format!(
                    "image({}, alt: {}, width: 100%)",
                    string(&format!("/{file}")),
                    string(&f.alt)
                ),
            },
            FigureBody::Image { src } => match self.images.get(src) {
                Some(vpath) => format!(
                    "image({}, alt: {}, width: 100%)",
                    string(vpath),
                    string(&f.alt)
                ),
                None => format!("[{}]", esc(&f.alt)),
            },
            FigureBody::Remote { url } => format!(
                "block(width: 100%, inset: 8pt, stroke: 0.5pt + luma(160), link({})[Image at {}])",
                string(url),
                esc(&crate::model::remote_host(url))
            ),
        };
        if f.number == 0 {
            let _ = write!(
                out,
                "#figure(kind: image, supplement: none, numbering: none, caption: {}, {body})",
                self.content(&f.caption)
            );
            if !f.id.is_empty() {
                let _ = write!(out, " <{}>", label(&f.id));
            }
            return;
        }
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

/// The `width` of an SVG's root element, in CSS pixels.
fn svg_width(svg: &str) -> Option<f64> {
    let open = &svg[svg.find("<svg")?..];
    let open = &open[..open.find('>')?];
    let at = open.find(" width=\"")? + 8;
    let rest = &open[at..];
    rest[..rest.find('"')?].trim_end_matches("px").parse().ok()
}

/// The image a paragraph holds alone (spaces aside).
fn lone_image(inl: &[Inline]) -> Option<(&str, &str)> {
    let mut found = None;
    for i in inl {
        match i {
            Inline::Image { src, alt } if found.is_none() => {
                found = Some((src.as_str(), alt.as_str()))
            }
            Inline::Text(t) if t.trim().is_empty() => {}
            Inline::SoftBreak => {}
            _ => return None,
        }
    }
    found
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
