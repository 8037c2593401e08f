//! Markdown (after Tera) to document blocks, with Pandoc-style citations,
//! cross-references and placement markers recognised on the way.

use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::assemble::template::MARKER_PREFIX;
use crate::cache::Cache;
use crate::model::attrs::Attrs;
use crate::model::{
    Align, Block, Cell, CiteItem, CiteMode, Column, HeaderCell, Inline, Row, Table,
};

/// Stand-in for an escaped at-sign (`\@`) while parsing: two bytes in
/// UTF-8, like `\@`, so byte offsets stay those of the source.
mod citations;
mod inline;
mod pandoc;
pub mod prepare;
mod syntax;
mod tables;

pub use citations::is_xref_id;
use citations::*;
use inline::*;

const ESCAPED_AT: char = '\u{91}';

/// What the parser needs from the document being assembled. Spans are byte
/// ranges in the text handed to [`parse`].
pub trait Sink {
    fn cite(&mut self, items: Vec<CiteItem>, mode: CiteMode, span: Range<usize>) -> Inline;
    fn xref(&mut self, id: &str, span: Range<usize>) -> Inline;
    fn marker(&mut self, payload: &str, span: Range<usize>) -> Option<Block>;
    fn heading(
        &mut self,
        level: u8,
        id: Option<String>,
        classes: Vec<String>,
        content: Vec<Inline>,
        span: Range<usize>,
    ) -> Block;
    fn footnote_ref(&mut self, label: &str, span: Range<usize>) -> Inline;
    fn footnote_def(&mut self, label: &str, blocks: Vec<Block>, span: Range<usize>);
    fn image(&mut self, src: &str, alt: String, span: Range<usize>) -> Inline;
    fn math(
        &mut self,
        tex: &str,
        display: bool,
        label: Option<String>,
        span: Range<usize>,
    ) -> Inline;
    fn allow_html(&self) -> bool;
    /// A problem with the Markdown itself at `span`.
    fn error(&mut self, span: Range<usize>, message: String);
    /// Something the reader left out or changed, at `span`.
    fn warning(&mut self, _span: Range<usize>, _message: String) {}
    /// A fenced div's blocks, by its attributes: a figure, a table, a
    /// callout (`title`: its first heading), the reference list's place,
    /// or a div kept as it is.
    fn div(
        &mut self,
        attrs: Attrs,
        _title: Option<Vec<Inline>>,
        blocks: Vec<Block>,
        _span: Range<usize>,
    ) -> Vec<Block> {
        vec![Block::Div { attrs, blocks }]
    }
    /// An image alone in its paragraph, with a caption or an id.
    fn image_figure(
        &mut self,
        _src: &str,
        caption: Vec<Inline>,
        _attrs: Attrs,
        _span: Range<usize>,
    ) -> Block {
        Block::Para(caption)
    }
    /// A pipe table with its caption (`: Caption {#tbl-x}`).
    fn caption_table(
        &mut self,
        mut table: Table,
        caption: Vec<Inline>,
        _attrs: Attrs,
        _span: Range<usize>,
    ) -> Block {
        table.caption = caption;
        Block::Table(Box::new(table))
    }
    /// An inline note (`^[text]`): a footnote whose text is `content`.
    fn inline_note(&mut self, content: Vec<Inline>, _span: Range<usize>) -> Inline {
        Inline::Span {
            attrs: Attrs::default(),
            content,
        }
    }
    /// An executable cell (```` ```{r} ````), shown as code.
    fn code_cell(&mut self, lang: &str, text: String, _span: Range<usize>) -> Block {
        Block::Code {
            lang: lang.to_string(),
            text,
        }
    }
}

/// Blocks and inline elements inside one another (quotes in lists in
/// quotes, emphasis in emphasis...); markdown-it's limit too. Deeper
/// nesting is refused: every stage after the parser recurses on it.
pub const MAX_NESTING: usize = 100;

/// The range of the first element nested more than [`MAX_NESTING`] deep.
fn too_deep(events: &[(Event, Range<usize>)]) -> Option<Range<usize>> {
    let mut depth = 0usize;
    for (e, r) in events {
        match e {
            Event::Start(_) => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(r.clone());
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_MATH
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_SUPERSCRIPT
        | Options::ENABLE_SUBSCRIPT
        | Options::ENABLE_DEFINITION_LIST
        | Options::ENABLE_TASKLISTS
        // "x" and 'x' curly, -- and --- dashes, ... an ellipsis: Pandoc's
        // `smart` extension.
        | Options::ENABLE_SMART_PUNCTUATION
}

/// Parse Markdown into blocks.
pub fn parse(text: &str, sink: &mut dyn Sink, cache: &Cache) -> Vec<Block> {
    let escaped = text.replace("\\@", &ESCAPED_AT.to_string());
    let prepared = prepare::prepare(&escaped);
    let parse_events = || {
        Parser::new_ext(&prepared.text, options())
            .into_offset_iter()
            .map(|(e, r)| (e, prepared.original_range(&r)))
    };
    let events: Vec<(Event, Range<usize>)> = if cache.enabled() {
        // While serving, a text parsed in the last build is not parsed again.
        let k = crate::cache::key(&[escaped.as_bytes()]);
        cache
            .cached::<_, ()>("markdown", k, || {
                Ok(parse_events()
                    .map(|(e, r)| (e.into_static(), r))
                    .collect::<Vec<_>>())
            })
            .unwrap_or_default()
    } else {
        parse_events().collect()
    };
    if let Some(range) = too_deep(&events) {
        let at = range.start..(range.start + 1).min(range.end.max(range.start + 1));
        sink.error(
            at,
            format!("Markdown nests more than {MAX_NESTING} deep here (quotes, lists or emphasis inside one another); galley stops there"),
        );
        return Vec::new();
    }
    let mut p = Reader {
        events,
        pos: 0,
        sink,
        in_link: 0,
        depth: 0,
        div_stack: Vec::new(),
        list_letters: None,
    };
    p.blocks(None)
}

/// The inline content of parsed blocks (captions, headers, titles): the
/// paragraphs joined by a space.
pub fn inline(blocks: Vec<Block>) -> Vec<Inline> {
    let mut out = Vec::new();
    for b in blocks {
        if let Block::Para(i) | Block::Plain(i) = b {
            if !out.is_empty() {
                out.push(Inline::Text(" ".into()));
            }
            out.extend(i);
        }
    }
    out
}

fn is_comment(html: &str) -> bool {
    let t = html.trim();
    t.starts_with("<!--") && t.ends_with("-->")
}

fn unescape_at(s: &str, literal: &str) -> String {
    s.replace(ESCAPED_AT, literal)
}

struct Reader<'a, 's> {
    events: Vec<(Event<'a>, Range<usize>)>,
    pos: usize,
    sink: &'s mut dyn Sink,
    /// Inside link text: `@` is literal there.
    in_link: usize,
    /// How many `blocks` calls are running.
    depth: usize,
    /// The `depth` of each open fenced div's blocks.
    div_stack: Vec<usize>,
    /// The letters of the next ordered list (`a)` lists), from its marker.
    list_letters: Option<String>,
}

impl<'a, 's> Reader<'a, 's> {
    fn span(&self, r: &Range<usize>) -> Range<usize> {
        r.clone()
    }

    /// Blocks until the End of the enclosing tag (consumed) or the end
    /// (or, inside a fenced div, its closing fence).
    fn blocks(&mut self, end: Option<TagEnd>) -> Vec<Block> {
        self.depth += 1;
        let start = self.events.get(self.pos).map_or(0, |(_, r)| r.start);
        let out = self.blocks_inner(end);
        self.depth -= 1;
        // The container's whole text: a caption's problem is found in it.
        let until = self.pos.checked_sub(1).and_then(|p| self.events.get(p));
        let span = start..until.map_or(start, |(_, r)| r.end.max(start));
        pandoc::attach_captions(out, self.sink, &span)
    }

    fn blocks_inner(&mut self, end: Option<TagEnd>) -> Vec<Block> {
        let mut out = Vec::new();
        while self.pos < self.events.len() {
            let (ev, range) = self.events[self.pos].clone();
            if let Event::End(e) = &ev {
                if Some(*e) == end {
                    self.pos += 1;
                    return out;
                }
                // A div left open in a list item or quote ends with it,
                // rather than taking in what follows (found by review).
                if end.is_none() && self.div_stack.last() == Some(&self.depth) {
                    self.div_stack.pop();
                    return out;
                }
            }
            if let Some((payload, after)) = self.marker_at(self.pos) {
                if payload == "/div" {
                    self.pos = after;
                    if self.div_stack.last() == Some(&self.depth) {
                        self.div_stack.pop();
                        return out;
                    }
                    continue;
                }
                if let Some(pattern) = payload.strip_prefix("letters ") {
                    self.pos = after;
                    self.list_letters = Some(pattern.to_string());
                    continue;
                }
                if let Some(attrs) = payload.strip_prefix("div ") {
                    self.pos = after;
                    let blocks = self.div(attrs, range);
                    out.extend(blocks);
                    continue;
                }
            }
            if is_inline_event(&ev) {
                let inl = self.inlines_while_inline();
                if !inl.is_empty() {
                    out.push(Block::Plain(inl));
                }
                continue;
            }
            self.pos += 1;
            match ev {
                Event::Start(tag) => {
                    if let Some(b) = self.block(tag, range) {
                        out.push(b);
                    }
                }
                Event::Rule => out.push(Block::Rule),
                Event::Html(h) => out.extend(self.raw_html(h.to_string())),
                _ => {}
            }
        }
        out
    }

    /// Raw HTML: kept when the project allows it, else shown as text;
    /// comments are dropped, as readers of the source expect.
    fn raw_html(&mut self, html: String) -> Option<Block> {
        if is_refs_div(&html) {
            // `<div id="refs"></div>`, Pandoc's (and Manubot's) place for
            // the reference list: galley's is the end.
            return None;
        }
        if self.sink.allow_html() {
            Some(Block::Html(html))
        } else if is_comment(&html) {
            None
        } else {
            Some(Block::Para(vec![Inline::Text(html.trim_end().to_string())]))
        }
    }

    fn block(&mut self, tag: Tag<'a>, range: Range<usize>) -> Option<Block> {
        let span = self.span(&range);
        match tag {
            Tag::Paragraph => {
                if let Some(figure) = self.figure_paragraph(span.clone()) {
                    return Some(figure);
                }
                let inl = self.inlines(TagEnd::Paragraph);
                if inl.is_empty() {
                    None
                } else {
                    Some(Block::Para(inl))
                }
            }
            Tag::Heading {
                level, id, classes, ..
            } => {
                let lvl = match level {
                    HeadingLevel::H1 => 1,
                    HeadingLevel::H2 => 2,
                    HeadingLevel::H3 => 3,
                    HeadingLevel::H4 => 4,
                    HeadingLevel::H5 => 5,
                    HeadingLevel::H6 => 6,
                };
                let content = self.inlines(TagEnd::Heading(level));
                let classes = classes.iter().map(|c| c.to_string()).collect();
                Some(
                    self.sink
                        .heading(lvl, id.map(|s| s.to_string()), classes, content, span),
                )
            }
            Tag::BlockQuote(k) => Some(Block::Quote(self.blocks(Some(TagEnd::BlockQuote(k))))),
            Tag::CodeBlock(kind) => {
                let info = match kind {
                    CodeBlockKind::Fenced(l) => l.to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                let mut text = String::new();
                while self.pos < self.events.len() {
                    let (ev, _) = self.events[self.pos].clone();
                    self.pos += 1;
                    match ev {
                        Event::Text(t) => text.push_str(&t),
                        Event::End(TagEnd::CodeBlock) => break,
                        _ => {}
                    }
                }
                self.fenced(&info, unescape_at(&text, "\\@"), span)
            }
            Tag::HtmlBlock => {
                let mut html = String::new();
                while self.pos < self.events.len() {
                    let (ev, _) = self.events[self.pos].clone();
                    self.pos += 1;
                    match ev {
                        Event::Html(t) | Event::Text(t) => html.push_str(&t),
                        Event::End(TagEnd::HtmlBlock) => break,
                        _ => {}
                    }
                }
                let trimmed = html.trim();
                if let Some(rest) = trimmed.strip_prefix(MARKER_PREFIX) {
                    let payload = rest.trim_end_matches("-->").trim();
                    return self.sink.marker(payload, span);
                }
                self.raw_html(html)
            }
            Tag::List(start) => {
                // Its own letters, before its items' lists take theirs.
                let letters = if start.is_some() {
                    self.list_letters.take()
                } else {
                    None
                };
                let mut items = Vec::new();
                while self.pos < self.events.len() {
                    let (ev, _) = self.events[self.pos].clone();
                    self.pos += 1;
                    match ev {
                        Event::Start(Tag::Item) => items.push(self.blocks(Some(TagEnd::Item))),
                        Event::End(TagEnd::List(_)) => break,
                        _ => {}
                    }
                }
                Some(Block::List {
                    start,
                    items,
                    letters,
                })
            }
            Tag::FootnoteDefinition(label) => {
                let blocks = self.blocks(Some(TagEnd::FootnoteDefinition));
                self.sink.footnote_def(&label, blocks, span);
                None
            }
            Tag::Table(aligns) => Some(self.gfm_table(aligns)),
            Tag::DefinitionList => Some(self.definitions()),
            Tag::DefinitionListTitle | Tag::DefinitionListDefinition | Tag::MetadataBlock(_) => {
                self.skip_to_end();
                None
            }
            other => {
                // Inline tags are handled by `inlines_while_inline`; anything
                // else is skipped with its content.
                let _ = other;
                self.skip_to_end();
                None
            }
        }
    }

    fn skip_to_end(&mut self) {
        let mut depth = 1;
        while self.pos < self.events.len() && depth > 0 {
            match &self.events[self.pos].0 {
                Event::Start(_) => depth += 1,
                Event::End(_) => depth -= 1,
                _ => {}
            }
            self.pos += 1;
        }
    }

    fn gfm_table(&mut self, aligns: Vec<pulldown_cmark::Alignment>) -> Block {
        let columns = aligns
            .iter()
            .map(|a| Column {
                align: match a {
                    pulldown_cmark::Alignment::None => None,
                    pulldown_cmark::Alignment::Left => Some(Align::Left),
                    pulldown_cmark::Alignment::Center => Some(Align::Center),
                    pulldown_cmark::Alignment::Right => Some(Align::Right),
                },
                width: None,
            })
            .collect();
        let mut header = Vec::new();
        let mut rows = Vec::new();
        let mut current: Vec<Vec<Inline>> = Vec::new();
        while self.pos < self.events.len() {
            let (ev, _) = self.events[self.pos].clone();
            self.pos += 1;
            match ev {
                Event::Start(Tag::TableCell) => current.push(self.inlines(TagEnd::TableCell)),
                Event::End(TagEnd::TableHead) => {
                    header.push(
                        current
                            .drain(..)
                            .map(|content| HeaderCell {
                                content,
                                colspan: 1,
                                rowspan: 1,
                            })
                            .collect(),
                    );
                }
                Event::End(TagEnd::TableRow) => {
                    rows.push(Row::Cells(
                        current
                            .drain(..)
                            .map(|c| Cell::Blocks(vec![Block::Plain(c)]))
                            .collect(),
                    ));
                }
                Event::End(TagEnd::Table) => break,
                _ => {}
            }
        }
        Block::Table(Box::new(Table {
            id: None,
            number: None,
            caption: Vec::new(),
            columns,
            header,
            rows,
            notes: Vec::new(),
            marks: Vec::new(),
        }))
    }
}

#[cfg(test)]
mod tests;

/// An empty `<div id="refs"></div>`, which Pandoc reads as the refs div.
fn is_refs_div(html: &str) -> bool {
    let compact: String = html.split_whitespace().collect::<Vec<_>>().join(" ");
    matches!(
        compact.as_str(),
        "<div id=\"refs\"></div>" | "<div id='refs'></div>" | "<div id=refs></div>"
    )
}
