//! What writing a part of the Word file needs (bookmarks for ids, the
//! part's relationships, the images and lists made so far) and inline
//! content as runs.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use super::esc;
use crate::diag::{Diagnostic, Diagnostics};
use crate::model::*;
use crate::render::Job;

/// A relationship of the part being written (a hyperlink, an image).
pub struct Rel {
    pub id: String,
    pub kind: String,
    pub target: String,
    pub external: bool,
}

pub const HYPERLINK: &str =
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink";
pub const IMAGE: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image";

/// Where a picture's media are and how large it stands.
#[derive(Clone, Copy)]
pub struct Placed {
    pub index: usize,
    pub width: f64,
    pub height: f64,
    pub svg: bool,
}

/// What the parts written so far made.
#[derive(Default)]
pub struct State {
    /// The current part's relationships.
    pub rels: Vec<Rel>,
    /// The package's images: (file name under word/media, bytes).
    pub media: Vec<(String, Vec<u8>)>,
    /// An image's media index by what it was made from, so a figure used
    /// twice is stored once.
    pub media_of: HashMap<String, Placed>,
    pub bookmarks: u32,
    /// Drawing ids (unique in the document).
    pub drawings: u32,
    /// One numbering definition per list, in order (`w:abstractNum`).
    pub lists: Vec<String>,
    pub warnings: Diagnostics,
    /// Figures drawn (for the terminal's summary).
    pub images: usize,
}

/// Inline formatting carried down to each run.
#[derive(Clone, Copy, Default)]
pub struct Fmt {
    pub bold: bool,
    pub italic: bool,
    pub strike: bool,
    pub sup: bool,
    pub sub: bool,
    pub small_caps: bool,
    pub code: bool,
    /// Inside a hyperlink (Word may not nest them).
    pub link: bool,
}

pub struct Writer<'a> {
    pub doc: &'a Document,
    pub job: &'a Job<'a>,
    /// The bookmark name of each document id (targets, `ref-<key>`).
    names: HashMap<String, String>,
    pub st: RefCell<State>,
    /// The width of the text, in twentieths of a point.
    pub text_width: u32,
    /// The fonts figures are drawn with ([`super::media`]).
    pub fonts: std::cell::OnceCell<std::sync::Arc<resvg::usvg::fontdb::Database>>,
}

/// A name as Word takes it for a bookmark: letters, digits and `_`,
/// starting with a letter, at most 40 characters.
fn bookmark_name(id: &str) -> String {
    let mut out: String = id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if !out.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
        out.insert(0, 'x');
    }
    out.truncate(36);
    out
}

impl<'a> Writer<'a> {
    pub fn new(job: &'a Job<'a>, text_width: u32) -> Writer<'a> {
        let doc = &job.assembled.doc;
        let mut names = HashMap::new();
        let mut used = HashSet::new();
        let ids = doc
            .references
            .iter()
            .map(|r| format!("ref-{}", r.key))
            .chain(doc.targets.keys().cloned());
        for id in ids {
            let base = bookmark_name(&id);
            let mut name = base.clone();
            let mut n = 1;
            while used.contains(&name) {
                n += 1;
                name = format!("{base}{n}");
            }
            used.insert(name.clone());
            names.insert(id, name);
        }
        Writer {
            doc,
            job,
            names,
            st: RefCell::new(State::default()),
            text_width,
            fonts: Default::default(),
        }
    }

    /// The bookmark of a document id, if it has one.
    pub fn bookmark(&self, id: &str) -> Option<&str> {
        self.names.get(id).map(String::as_str)
    }

    /// `inner` between the start and end of the bookmark of `id` (as is
    /// when the id has none).
    pub fn bookmarked(&self, out: &mut String, id: &str, inner: impl FnOnce(&mut String)) {
        match self.bookmark(id) {
            Some(name) => {
                let n = {
                    let mut st = self.st.borrow_mut();
                    st.bookmarks += 1;
                    st.bookmarks
                };
                let _ = write!(out, "<w:bookmarkStart w:id=\"{n}\" w:name=\"{name}\"/>");
                inner(out);
                let _ = write!(out, "<w:bookmarkEnd w:id=\"{n}\"/>");
            }
            None => inner(out),
        }
    }

    /// A relationship of the current part; its id.
    pub fn rel(&self, kind: &'static str, target: &str, external: bool) -> String {
        let mut st = self.st.borrow_mut();
        if let Some(r) = st
            .rels
            .iter()
            .find(|r| r.kind == kind && r.target == target)
        {
            return r.id.clone();
        }
        let id = format!("rId{}", st.rels.len() + 1);
        st.rels.push(Rel {
            id: id.clone(),
            kind: kind.to_string(),
            target: target.to_string(),
            external,
        });
        id
    }

    pub fn warn(&self, d: Diagnostic) {
        self.st.borrow_mut().warnings.push(d);
    }

    pub fn inlines(&self, out: &mut String, inl: &[Inline], f: Fmt) {
        for i in inl {
            self.inline(out, i, f);
        }
    }

    pub fn inline(&self, out: &mut String, i: &Inline, f: Fmt) {
        match i {
            Inline::Text(t) => run(out, t, f),
            Inline::Emph(c) => self.inlines(
                out,
                c,
                Fmt {
                    italic: !f.italic,
                    ..f
                },
            ),
            Inline::Strong(c) => self.inlines(out, c, Fmt { bold: true, ..f }),
            Inline::Strike(c) => self.inlines(out, c, Fmt { strike: true, ..f }),
            Inline::Sup(c) => self.inlines(out, c, Fmt { sup: true, ..f }),
            Inline::Sub(c) => self.inlines(out, c, Fmt { sub: true, ..f }),
            Inline::SmallCaps(c) => self.inlines(
                out,
                c,
                Fmt {
                    small_caps: true,
                    ..f
                },
            ),
            Inline::Span { content, .. } => self.inlines(out, content, f),
            Inline::Code(c) => run(out, c, Fmt { code: true, ..f }),
            Inline::Raw { .. } => {}
            Inline::Math { tex, display, .. } => self.math(out, tex, *display, false),
            Inline::Link { url, content } => {
                if f.link {
                    return self.inlines(out, content, f);
                }
                // A link to an id of the document goes to its bookmark.
                if let Some(id) = url.strip_prefix('#') {
                    return self.anchor(out, id, f, |out, f| self.inlines(out, content, f));
                }
                let id = self.rel(HYPERLINK, &link_target(url), true);
                let _ = write!(out, "<w:hyperlink r:id=\"{id}\">");
                self.inlines(out, content, Fmt { link: true, ..f });
                out.push_str("</w:hyperlink>");
            }
            Inline::Image { src, alt } => self.inline_image(out, src, alt),
            Inline::Cite(n) => {
                if let Some(c) = self.doc.citations.get(*n) {
                    self.inlines(out, &c.rendered, f);
                }
            }
            Inline::RefLink { key, content } => {
                self.anchor(out, &format!("ref-{key}"), f, |out, f| {
                    self.inlines(out, content, f)
                });
            }
            Inline::XRef(id) | Inline::XRefNumber(id) => match self.doc.targets.get(id) {
                Some(t) => {
                    let text = match i {
                        Inline::XRefNumber(_) => t.number.clone(),
                        _ => t.label(),
                    };
                    self.anchor(out, id, f, |out, f| run(out, &text, f));
                }
                None => run(out, id, f),
            },
            Inline::Note(n) => {
                let _ = write!(
                    out,
                    "<w:r><w:rPr><w:rStyle w:val=\"FootnoteReference\"/></w:rPr><w:footnoteReference w:id=\"{}\"/></w:r>",
                    n + 1
                );
            }
            Inline::SoftBreak => run(out, " ", f),
            Inline::LineBreak => out.push_str("<w:r><w:br/></w:r>"),
        }
    }

    /// A link to the bookmark of `id` around what `inner` writes.
    fn anchor(&self, out: &mut String, id: &str, f: Fmt, inner: impl FnOnce(&mut String, Fmt)) {
        match self.bookmark(id).filter(|_| !f.link) {
            Some(name) => {
                let _ = write!(out, "<w:hyperlink w:anchor=\"{name}\">");
                inner(out, Fmt { link: true, ..f });
                out.push_str("</w:hyperlink>");
            }
            None => inner(out, f),
        }
    }

    /// A formula as Word math: `<m:oMath>`, in a `<m:oMathPara>` when
    /// `para` (a display formula in a paragraph of its own). A formula
    /// the converter cannot write is a warning and its LaTeX as text.
    pub fn math(&self, out: &mut String, tex: &str, display: bool, para: bool) {
        let omml = self
            .doc
            .mathml
            .get(&math_key(tex, display))
            .ok_or_else(|| "it has no MathML".to_string())
            .and_then(|m| crate::assemble::math::omml::from_mathml(m));
        match omml {
            Ok(m) if para => {
                let _ = write!(out, "<m:oMathPara><m:oMath>{m}</m:oMath></m:oMathPara>");
            }
            Ok(m) => {
                let _ = write!(out, "<m:oMath>{m}</m:oMath>");
            }
            Err(e) => {
                self.warn(Diagnostic::warning(format!(
                    "the Word file shows the formula `{tex}` as LaTeX: {e}"
                )));
                run(out, tex, Fmt::default());
            }
        }
    }
}

/// A link's address as a relationship's target: an absolute URL as the
/// URL parser writes it (spaces and the like percent-encoded), any other
/// with its spaces encoded.
fn link_target(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => u.to_string(),
        Err(_) => url.replace(' ', "%20"),
    }
}

/// One run of text.
pub fn run(out: &mut String, text: &str, f: Fmt) {
    if text.is_empty() {
        return;
    }
    out.push_str("<w:r>");
    rpr(out, f, "");
    let _ = write!(out, "<w:t xml:space=\"preserve\">{}</w:t></w:r>", esc(text));
}

/// Run properties, in the order the schema gives them; `extra` goes
/// before the vertical alignment (a colour, a shading).
pub fn rpr(out: &mut String, f: Fmt, extra: &str) {
    let style = if f.link {
        Some("Hyperlink")
    } else if f.code {
        Some("VerbatimChar")
    } else {
        None
    };
    let mut p = String::new();
    if let Some(s) = style {
        let _ = write!(p, "<w:rStyle w:val=\"{s}\"/>");
    }
    if f.bold {
        p.push_str("<w:b/><w:bCs/>");
    }
    if f.italic {
        p.push_str("<w:i/><w:iCs/>");
    }
    if f.small_caps {
        p.push_str("<w:smallCaps/>");
    }
    if f.strike {
        p.push_str("<w:strike/>");
    }
    p.push_str(extra);
    if f.sup {
        p.push_str("<w:vertAlign w:val=\"superscript\"/>");
    } else if f.sub {
        p.push_str("<w:vertAlign w:val=\"subscript\"/>");
    }
    if !p.is_empty() {
        let _ = write!(out, "<w:rPr>{p}</w:rPr>");
    }
}
