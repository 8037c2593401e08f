//! The format-neutral document model shared by the HTML and PDF renderers.
//!
//! Everything a reader sees is resolved here once: section numbers, table and
//! figure numbers, citation texts and the reference list (from hayagriva), so
//! both outputs print the same strings.

pub mod attrs;
pub mod dates;
pub mod escape;
pub mod fences;
pub mod ids;

use std::collections::BTreeMap;

/// Inline content.
#[derive(Debug, Clone, PartialEq)]
pub enum Inline {
    Text(String),
    Emph(Vec<Inline>),
    Strong(Vec<Inline>),
    Strike(Vec<Inline>),
    Sup(Vec<Inline>),
    Sub(Vec<Inline>),
    SmallCaps(Vec<Inline>),
    /// A bracketed span (`[text]{.class key=v}`) galley has no other
    /// meaning for: its content, with its attributes in the site.
    Span {
        attrs: attrs::Attrs,
        content: Vec<Inline>,
    },
    Code(String),
    /// Raw text for one output (`` `<b>x</b>`{=html} ``, `{=typst}`).
    Raw {
        format: String,
        text: String,
    },
    /// LaTeX source of a formula; a display formula may carry an
    /// equation id (`$$...$$ {#eq-id}`), numbered in order.
    Math {
        tex: String,
        display: bool,
        label: Option<String>,
    },
    Link {
        url: String,
        content: Vec<Inline>,
    },
    Image {
        src: String,
        alt: String,
    },
    /// A citation group; index into [`Document::citations`].
    Cite(usize),
    /// Part of a formatted citation that points at one reference entry.
    RefLink {
        key: String,
        content: Vec<Inline>,
    },
    /// A cross-reference to a section, table, figure or equation id.
    XRef(String),
    /// Its number alone (`[Section @sec-m]`: the author's word before it).
    XRefNumber(String),
    /// Footnote reference; index into [`Document::footnotes`].
    Note(usize),
    SoftBreak,
    LineBreak,
}

/// Block content.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Heading(Heading),
    Para(Vec<Inline>),
    /// Text of a tight list item (no paragraph spacing).
    Plain(Vec<Inline>),
    List {
        start: Option<u64>,
        items: Vec<Vec<Block>>,
        /// Letters instead of numbers (Pandoc's `a)`, `(A)`, `b.`): the
        /// pattern, as Typst writes it (`a)`, `(A)`).
        letters: Option<String>,
    },
    Quote(Vec<Block>),
    Code {
        lang: String,
        text: String,
    },
    Table(Box<Table>),
    Figure(Box<Figure>),
    Rule,
    /// `{{< pagebreak >}}`: a new page in paged outputs.
    PageBreak,
    /// A fenced div (`::: {#id .class key=v}`) galley has no meaning for:
    /// kept with its attributes (a `<div>` in the site).
    Div {
        attrs: attrs::Attrs,
        blocks: Vec<Block>,
    },
    /// A callout (`::: {.callout-note}`): its kind (note, tip, warning,
    /// important, caution), title and content.
    Callout {
        kind: String,
        title: Vec<Inline>,
        blocks: Vec<Block>,
    },
    /// A definition list: each term with its definitions.
    Definitions(Vec<(Vec<Inline>, Vec<Vec<Block>>)>),
    /// A raw block for one output (```` ```{=typst} ````: the PDF).
    Raw {
        format: String,
        text: String,
    },
    /// Raw HTML the project allowed (`allow_html: true`); ignored by the PDF.
    Html(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Heading {
    /// 1 = section, 2 = subsection, ...
    pub level: u8,
    pub id: String,
    /// "2.3"; empty when unnumbered.
    pub number: String,
    pub content: Vec<Inline>,
}

/// A column's alignment (`align:` of a table column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Align {
    Left,
    Center,
    Right,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub align: Option<Align>,
    /// Fraction of the table width.
    pub width: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HeaderCell {
    pub content: Vec<Inline>,
    pub colspan: usize,
    pub rowspan: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub key: String,
    pub label: String,
    /// Theme class: good, warn, bad, or any word.
    pub tone: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Blocks(Vec<Block>),
    Mark(Mark),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    Group(Vec<Inline>),
    Cells(Vec<Cell>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// None for an anonymous GFM table written in the Markdown.
    pub id: Option<String>,
    pub number: Option<usize>,
    pub caption: Vec<Inline>,
    pub columns: Vec<Column>,
    pub header: Vec<Vec<HeaderCell>>,
    pub rows: Vec<Row>,
    pub notes: Vec<Block>,
    /// Marks used in this table, for a legend.
    pub marks: Vec<Mark>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FigureBody {
    /// An SVG document drawn by galley (or read from the project).
    Svg { svg: String, file: String },
    /// A raster or vector image file under the project, copied to the site.
    Image { src: String },
    /// An image on another host, which galley does not fetch: a link.
    Remote { url: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub id: String,
    pub number: usize,
    pub caption: Vec<Inline>,
    pub alt: String,
    pub body: FigureBody,
    /// The figure's numbers as a table, for readers who cannot see it (a
    /// forest plot's); the site offers it under the figure.
    pub data: Option<Box<Table>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CiteMode {
    /// `[@key]`
    Normal,
    /// `@key` in running text.
    Narrative,
    /// `[-@key]`
    SuppressAuthor,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CiteItem {
    pub key: String,
    /// e.g. ("page", "33")
    pub locator: Option<(String, String)>,
    /// Text before the key in its group (`see` of `[see @a]`).
    pub prefix: Option<String>,
    /// Text after the key and its locator (`, and nowhere else`).
    pub suffix: Option<String>,
    /// `-@key`: this entry's author left out (honoured where the whole
    /// group is `-@`: hayagriva has no per-entry form).
    pub suppress_author: bool,
}

/// One citation group, in reading order.
#[derive(Debug, Clone, PartialEq)]
pub struct Citation {
    pub items: Vec<CiteItem>,
    pub mode: CiteMode,
    /// Formatted by the citation style.
    pub rendered: Vec<Inline>,
}

/// One entry of the reference list.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    pub key: String,
    /// The first field (e.g. "1.") when the style aligns it; may be empty.
    pub label: Vec<Inline>,
    pub content: Vec<Inline>,
    /// Indices of the citations that cite this entry.
    pub cited_by: Vec<usize>,
}

/// A numbered section of the article body.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Path of the source file, relative to the project root.
    pub file: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TitledBlocks {
    pub title: String,
    pub id: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Author {
    pub name: String,
    pub given: String,
    pub family: String,
    /// Affiliation marks ("1", "2") in order.
    pub marks: Vec<String>,
    pub orcid: Option<String>,
    pub email: Option<String>,
    pub corresponding: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Affiliation {
    pub mark: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DateEntry {
    /// received / revised / accepted / published
    pub kind: String,
    /// ISO 8601
    pub iso: String,
}

/// What a cross-reference id points at.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// "Section", "Table", "Figure", "Equation"
    pub kind: &'static str,
    pub number: String,
}

impl Target {
    pub fn label(&self) -> String {
        format!("{} {}", self.kind, self.number)
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Document {
    pub title: Vec<Inline>,
    pub title_text: String,
    pub subtitle: Option<Vec<Inline>>,
    pub lang: String,
    pub slug: String,
    pub article_type: Option<String>,
    pub authors: Vec<Author>,
    pub affiliations: Vec<Affiliation>,
    pub dates: Vec<DateEntry>,
    pub keywords: Vec<String>,
    pub journal: Option<String>,
    /// Volume, issue and pages of the article in its journal, if given.
    pub volume: Option<String>,
    pub issue: Option<String>,
    pub pages: Option<String>,
    pub year: Option<i64>,
    pub publisher: Option<String>,
    pub doi: Option<String>,
    pub license_name: Option<String>,
    pub license_url: Option<String>,
    pub abstract_: Vec<TitledBlocks>,
    pub summary: Vec<TitledBlocks>,
    pub sections: Vec<Section>,
    pub back_matter: Vec<TitledBlocks>,
    pub citations: Vec<Citation>,
    pub references: Vec<Reference>,
    /// The reference list's heading where the author wrote one
    /// ("Bibliography", a heading above `::: {#refs}`); else "References".
    pub references_title: Option<String>,
    pub footnotes: Vec<Vec<Block>>,
    pub targets: BTreeMap<String, Target>,
    /// Whether citations are numeric (controls tooltip/backlink wording).
    pub numeric_citations: bool,
    /// MathML of every formula, keyed by [`math_key`].
    pub mathml: BTreeMap<String, String>,
    /// Typst math of every formula, keyed the same way.
    pub typst_math: BTreeMap<String, String>,
}

/// Call `f` on every block, depth first: nested lists, quotes, table cells
/// and notes included.
pub fn visit_blocks<'a>(blocks: &'a [Block], f: &mut impl FnMut(&'a Block)) {
    for b in blocks {
        f(b);
        match b {
            Block::List { items, .. } => items.iter().for_each(|i| visit_blocks(i, f)),
            Block::Quote(inner)
            | Block::Div { blocks: inner, .. }
            | Block::Callout { blocks: inner, .. } => visit_blocks(inner, f),
            Block::Definitions(items) => {
                for (_, defs) in items {
                    defs.iter().for_each(|d| visit_blocks(d, f));
                }
            }
            Block::Table(t) => {
                for row in &t.rows {
                    if let Row::Cells(cells) = row {
                        for c in cells {
                            if let Cell::Blocks(b) = c {
                                visit_blocks(b, f);
                            }
                        }
                    }
                }
                visit_blocks(&t.notes, f);
            }
            _ => {}
        }
    }
}

impl Author {
    /// "Yin L" / "Le GH": family name and initials, for short credits.
    pub fn short(&self) -> String {
        let initials: String = self
            .given
            .split(|c: char| c.is_whitespace() || c == '-')
            .filter_map(|w| w.chars().next())
            .filter(|c| c.is_alphabetic())
            .collect();
        format!("{} {}", self.family, initials)
    }
}

impl Document {
    /// The date the article counts as published: published, else accepted.
    pub fn publication_date(&self) -> Option<&DateEntry> {
        self.dates
            .iter()
            .find(|d| d.kind == "published")
            .or_else(|| self.dates.iter().find(|d| d.kind == "accepted"))
    }

    /// "Yin L, Lu A, Le GH, ..."
    pub fn credit_authors(&self) -> String {
        self.authors
            .iter()
            .map(Author::short)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Every block of the document, in reading order.
    pub fn visit<'a>(&'a self, f: &mut impl FnMut(&'a Block)) {
        for part in self.abstract_.iter().chain(&self.summary) {
            visit_blocks(&part.blocks, f);
        }
        for s in &self.sections {
            visit_blocks(&s.blocks, f);
        }
        for part in &self.back_matter {
            visit_blocks(&part.blocks, f);
        }
        for n in &self.footnotes {
            visit_blocks(n, f);
        }
    }

    /// The generated figures, as (site path, SVG), in reading order.
    pub fn svg_figures(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        self.visit(&mut |b| {
            if let Block::Figure(f) = b {
                if let FigureBody::Svg { svg, file } = &f.body {
                    out.push((file.clone(), svg.clone()));
                }
            }
        });
        out
    }
}

impl Inline {
    /// The inline content this one holds (emphasis, a span, a link, ...).
    pub fn children(&self) -> Option<&Vec<Inline>> {
        match self {
            Inline::Emph(c)
            | Inline::Strong(c)
            | Inline::Strike(c)
            | Inline::Sup(c)
            | Inline::Sub(c)
            | Inline::SmallCaps(c)
            | Inline::Span { content: c, .. }
            | Inline::Link { content: c, .. }
            | Inline::RefLink { content: c, .. } => Some(c),
            _ => None,
        }
    }

    /// [`Inline::children`], to change.
    pub fn children_mut(&mut self) -> Option<&mut Vec<Inline>> {
        match self {
            Inline::Emph(c)
            | Inline::Strong(c)
            | Inline::Strike(c)
            | Inline::Sup(c)
            | Inline::Sub(c)
            | Inline::SmallCaps(c)
            | Inline::Span { content: c, .. }
            | Inline::Link { content: c, .. }
            | Inline::RefLink { content: c, .. } => Some(c),
            _ => None,
        }
    }

    /// Whether inline content shows anything (not only spaces and
    /// breaks).
    pub fn visible(inlines: &[Inline]) -> bool {
        inlines.iter().any(|i| {
            !matches!(i, Inline::SoftBreak | Inline::LineBreak)
                && !matches!(i, Inline::Text(t) if t.trim().is_empty())
        })
    }

    /// Plain text of inline content (for alt texts, metadata, tooltips).
    pub fn plain(inlines: &[Inline], doc: Option<&Document>) -> String {
        let mut out = String::new();
        for i in inlines {
            i.plain_into(&mut out, doc);
        }
        out
    }

    fn plain_into(&self, out: &mut String, doc: Option<&Document>) {
        match self {
            Inline::Text(t) | Inline::Code(t) => out.push_str(t),
            Inline::Raw { .. } => {}
            Inline::Math { tex, .. } => out.push_str(tex),
            Inline::Image { alt, .. } => out.push_str(alt),
            Inline::Cite(i) => {
                if let Some(c) = doc.and_then(|d| d.citations.get(*i)) {
                    for x in &c.rendered {
                        x.plain_into(out, doc);
                    }
                }
            }
            Inline::XRefNumber(id) => match doc.and_then(|d| d.targets.get(id)) {
                Some(t) => out.push_str(&t.number),
                None => out.push_str(id),
            },
            Inline::XRef(id) => match doc.and_then(|d| d.targets.get(id)) {
                Some(t) => out.push_str(&t.label()),
                None => out.push_str(id),
            },
            Inline::Note(n) => out.push_str(&(n + 1).to_string()),
            Inline::SoftBreak | Inline::LineBreak => out.push(' '),
            other => {
                for i in other.children().into_iter().flatten() {
                    i.plain_into(out, doc);
                }
            }
        }
    }
}

/// A paragraph cut at its display formulas (which paged and XML outputs
/// set apart): the text between them and the formulas.
pub enum Piece<'a> {
    /// Inline content up to the next display formula (maybe blank).
    Text(&'a [Inline]),
    Display {
        tex: &'a str,
        label: Option<&'a str>,
    },
}

/// `inlines` as [`Piece`]s, in order.
pub fn split_display(inlines: &[Inline]) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (k, i) in inlines.iter().enumerate() {
        if let Inline::Math {
            tex,
            display: true,
            label,
        } = i
        {
            out.push(Piece::Text(&inlines[start..k]));
            out.push(Piece::Display {
                tex,
                label: label.as_deref(),
            });
            start = k + 1;
        }
    }
    out.push(Piece::Text(&inlines[start..]));
    out
}

/// The key of a formula in [`Document::mathml`] and [`Document::typst_math`].
pub fn math_key(tex: &str, display: bool) -> String {
    format!("{}{tex}", if display { 'D' } else { 'I' })
}

/// The host of an image address, for the link that stands in for it.
pub fn remote_host(url: &str) -> String {
    let full = if url.starts_with("//") {
        format!("https:{url}")
    } else {
        url.to_string()
    };
    url::Url::parse(&full)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| url.to_string())
}
