//! JATS 1.2 (Archiving, MathML 3): the article as publishers, PubMed
//! Central and archives exchange it, from the same document as the other
//! outputs. `front` holds the metadata, `body` the sections nested by
//! their headings, `back` the references (typed fields and the CSL's
//! formatting), notes and back matter. Valid under the DTD
//! (`tests/jats.rs` runs xmllint on it).

mod blocks;
mod front;
mod refs;

use std::collections::HashMap;
use std::fmt::Write as _;

use super::{Job, OutFile, Rendered, Renderer};
use crate::diag::{Diagnostics, SourceMap};
use crate::model::*;

pub(crate) use crate::model::escape::xml as esc;

/// Pages as JATS writes them: `<fpage>`/`<lpage>` for a range
/// (`101-110`), an `<elocation-id>` for anything else (`e70031`).
pub(crate) fn pages(out: &mut String, p: &str) {
    match p.split_once(['-', '–']) {
        Some((a, b)) => {
            let _ = write!(
                out,
                "<fpage>{}</fpage><lpage>{}</lpage>",
                esc(a.trim()),
                esc(b.trim())
            );
        }
        None => {
            let _ = write!(out, "<elocation-id>{}</elocation-id>", esc(p));
        }
    }
}

/// The JATS renderer (`<slug>.xml`).
pub struct Jats;

impl Renderer for Jats {
    fn name(&self) -> &'static str {
        "JATS"
    }

    fn main_file(&self, slug: &str) -> Option<String> {
        Some(format!("{slug}.xml"))
    }

    fn render(&mut self, job: &Job, _sources: &mut SourceMap) -> Result<Rendered, Diagnostics> {
        let doc = &job.assembled.doc;
        let xml = article(job);
        Ok(Rendered {
            files: vec![OutFile::new(&format!("{}.xml", doc.slug), xml.into_bytes())],
            summary: Some(format!("{} references", doc.references.len())),
            ..Rendered::default()
        })
    }
}

/// What writing needs besides the document: valid XML ids for its ids.
pub(crate) struct Writer<'a> {
    pub doc: &'a Document,
    pub job: &'a Job<'a>,
    ids: HashMap<String, String>,
}

/// An id as an XML name: characters a name may not hold become `_`, and
/// it starts with a letter.
fn xml_id(id: &str) -> String {
    let mut out: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !out.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
        out.insert(0, 'x');
    }
    out
}

impl<'a> Writer<'a> {
    fn new(job: &'a Job<'a>) -> Writer<'a> {
        let doc = &job.assembled.doc;
        let mut ids = HashMap::new();
        let mut used = std::collections::HashSet::new();
        let mut add = |id: &str| {
            let mut x = xml_id(id);
            let base = x.clone();
            let mut n = 1;
            while used.contains(&x) {
                n += 1;
                x = format!("{base}-{n}");
            }
            used.insert(x.clone());
            ids.insert(id.to_string(), x);
        };
        for r in &doc.references {
            add(&format!("ref-{}", r.key));
        }
        for id in doc.targets.keys() {
            add(id);
        }
        Writer { doc, job, ids }
    }

    /// The XML id of a document id (a target, `ref-<key>`).
    pub fn id(&self, id: &str) -> String {
        self.ids.get(id).cloned().unwrap_or_else(|| xml_id(id))
    }

    pub fn inlines(&self, out: &mut String, inl: &[Inline]) {
        for i in inl {
            self.inline(out, i);
        }
    }

    fn wrap(&self, out: &mut String, tag: &str, inl: &[Inline]) {
        let _ = write!(out, "<{tag}>");
        self.inlines(out, inl);
        let _ = write!(out, "</{tag}>");
    }

    fn inline(&self, out: &mut String, i: &Inline) {
        match i {
            Inline::Text(t) => out.push_str(&esc(t)),
            Inline::Emph(c) => self.wrap(out, "italic", c),
            Inline::Strong(c) => self.wrap(out, "bold", c),
            Inline::Strike(c) => self.wrap(out, "strike", c),
            Inline::Sup(c) => self.wrap(out, "sup", c),
            Inline::Sub(c) => self.wrap(out, "sub", c),
            Inline::SmallCaps(c) => self.wrap(out, "sc", c),
            Inline::Span { content, .. } => self.inlines(out, content),
            Inline::Code(c) => {
                let _ = write!(out, "<monospace>{}</monospace>", esc(c));
            }
            Inline::Raw { .. } => {}
            Inline::Math {
                tex,
                display: true,
                label,
            } => self.disp_formula(out, tex, label.as_deref()),
            Inline::Math { tex, display, .. } => {
                let _ = write!(
                    out,
                    "<inline-formula><alternatives>{}<tex-math>{}</tex-math></alternatives></inline-formula>",
                    self.mathml(tex, *display),
                    esc(tex)
                );
            }
            Inline::Link { url, content }
                if url
                    .strip_prefix('#')
                    .is_some_and(|id| self.doc.targets.contains_key(id)) =>
            {
                // A link to an id of the document: a cross-reference.
                let id = &url[1..];
                let kind = xref_kind(self.doc.targets[id].kind);
                let _ = write!(out, "<xref ref-type=\"{kind}\" rid=\"{}\">", self.id(id));
                self.inlines(out, content);
                out.push_str("</xref>");
            }
            Inline::Link { url, content } => {
                let _ = write!(
                    out,
                    "<ext-link ext-link-type=\"uri\" xlink:href=\"{}\">",
                    esc(url)
                );
                self.inlines(out, content);
                out.push_str("</ext-link>");
            }
            Inline::Image { src, alt } => {
                let _ = write!(
                    out,
                    "<inline-graphic xlink:href=\"{}\"><alt-text>{}</alt-text></inline-graphic>",
                    esc(src),
                    esc(alt)
                );
            }
            Inline::Cite(n) => {
                if let Some(c) = self.doc.citations.get(*n) {
                    self.inlines(out, &c.rendered);
                }
            }
            Inline::RefLink { key, content } => {
                let _ = write!(
                    out,
                    "<xref ref-type=\"bibr\" rid=\"{}\">",
                    self.id(&format!("ref-{key}"))
                );
                self.inlines(out, content);
                out.push_str("</xref>");
            }
            Inline::XRef(id) | Inline::XRefNumber(id) => match self.doc.targets.get(id) {
                Some(t) => {
                    let text = match i {
                        Inline::XRefNumber(_) => t.number.clone(),
                        _ => t.label(),
                    };
                    let kind = xref_kind(t.kind);
                    let _ = write!(
                        out,
                        "<xref ref-type=\"{kind}\" rid=\"{}\">{}</xref>",
                        self.id(id),
                        esc(&text)
                    );
                }
                None => out.push_str(&esc(id)),
            },
            Inline::Note(n) => {
                let _ = write!(
                    out,
                    "<xref ref-type=\"fn\" rid=\"fn{}\"><sup>{}</sup></xref>",
                    n + 1,
                    n + 1
                );
            }
            Inline::SoftBreak => out.push('\n'),
            Inline::LineBreak => out.push('\n'),
        }
    }

    /// A formula's MathML with the `mml:` prefix the DTD names its
    /// elements by.
    pub fn mathml(&self, tex: &str, display: bool) -> String {
        match self.doc.mathml.get(&math_key(tex, display)) {
            Some(m) => prefixed(m),
            None => String::new(),
        }
    }
}

/// The `ref-type` of a cross-reference to a target of this kind.
fn xref_kind(kind: &str) -> &'static str {
    match kind {
        "Table" => "table",
        "Figure" => "fig",
        "Equation" => "disp-formula",
        _ => "sec",
    }
}

/// MathML with every element in the `mml:` prefix (the DTD is not
/// namespace-aware).
fn prefixed(mathml: &str) -> String {
    let Ok(tree) = roxmltree::Document::parse(mathml) else {
        return String::new();
    };
    fn node(out: &mut String, n: roxmltree::Node) {
        if n.is_text() {
            out.push_str(&esc(n.text().unwrap_or("")));
            return;
        }
        if !n.is_element() {
            return;
        }
        let name = n.tag_name().name();
        let _ = write!(out, "<mml:{name}");
        for a in n.attributes() {
            if a.name() != "xmlns" {
                let _ = write!(out, " {}=\"{}\"", a.name(), esc(a.value()));
            }
        }
        out.push('>');
        for c in n.children() {
            node(out, c);
        }
        let _ = write!(out, "</mml:{name}>");
    }
    let mut out = String::new();
    node(&mut out, tree.root_element());
    out
}

/// The whole article.
fn article(job: &Job) -> String {
    let w = Writer::new(job);
    let doc = w.doc;
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE article PUBLIC \"-//NLM//DTD JATS (Z39.96) Journal Archiving and Interchange DTD with MathML3 v1.2 20190208//EN\" \"JATS-archivearticle1-mathml3.dtd\">\n",
    );
    let _ = writeln!(
        out,
        "<article xmlns:mml=\"http://www.w3.org/1998/Math/MathML\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" article-type=\"{}\" dtd-version=\"1.2\" xml:lang=\"{}\">",
        esc(&doc.article_type.clone().unwrap_or_else(|| "research-article".into()).to_lowercase().replace(' ', "-")),
        esc(&doc.lang)
    );
    front::front(&w, &mut out);
    out.push_str("<body>\n");
    let all: Vec<&Block> = doc.sections.iter().flat_map(|s| s.blocks.iter()).collect();
    w.body(&mut out, &all);
    out.push_str("</body>\n");
    refs::back(&w, &mut out);
    out.push_str("</article>\n");
    out
}
