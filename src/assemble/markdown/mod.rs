//! Markdown (after Tera) to document blocks, with Pandoc-style citations,
//! cross-references and placement markers recognised on the way.

use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::assemble::template::MARKER_PREFIX;
use crate::cache::Cache;
use crate::model::{
    Align, Block, Cell, CiteItem, CiteMode, Column, HeaderCell, Inline, Row, Table,
};

/// Stand-in for an escaped at-sign (`\@`) while parsing: two bytes in
/// UTF-8, like `\@`, so byte offsets stay those of the source.
mod citations;
mod inline;

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
}

/// Parse Markdown into blocks.
pub fn parse(text: &str, sink: &mut dyn Sink, cache: &Cache) -> Vec<Block> {
    let prepared = text.replace("\\@", &ESCAPED_AT.to_string());
    let events: Vec<(Event, Range<usize>)> = if cache.enabled() {
        // While serving, a text parsed in the last build is not parsed again.
        let k = crate::cache::key(&[prepared.as_bytes()]);
        cache
            .cached::<_, ()>("markdown", k, || {
                Ok(Parser::new_ext(&prepared, options())
                    .into_offset_iter()
                    .map(|(e, r)| (e.into_static(), r))
                    .collect::<Vec<_>>())
            })
            .unwrap_or_default()
    } else {
        Parser::new_ext(&prepared, options())
            .into_offset_iter()
            .collect()
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
}

impl<'a, 's> Reader<'a, 's> {
    fn span(&self, r: &Range<usize>) -> Range<usize> {
        r.clone()
    }

    /// Blocks until the End of the enclosing tag (consumed) or the end.
    fn blocks(&mut self, end: Option<TagEnd>) -> Vec<Block> {
        let mut out = Vec::new();
        while self.pos < self.events.len() {
            let (ev, range) = self.events[self.pos].clone();
            if let Event::End(e) = &ev {
                if Some(*e) == end {
                    self.pos += 1;
                    return out;
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
                let lang = match kind {
                    CodeBlockKind::Fenced(l) => {
                        l.split_whitespace().next().unwrap_or("").to_string()
                    }
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
                Some(Block::Code {
                    lang,
                    text: unescape_at(&text, "\\@"),
                })
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
                Some(Block::List { start, items })
            }
            Tag::FootnoteDefinition(label) => {
                let blocks = self.blocks(Some(TagEnd::FootnoteDefinition));
                self.sink.footnote_def(&label, blocks, span);
                None
            }
            Tag::Table(aligns) => Some(self.gfm_table(aligns)),
            Tag::DefinitionList
            | Tag::DefinitionListTitle
            | Tag::DefinitionListDefinition
            | Tag::MetadataBlock(_) => {
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
mod tests {
    use super::*;

    #[derive(Default)]
    struct Rec {
        cites: Vec<(Vec<CiteItem>, CiteMode, Range<usize>)>,
        xrefs: Vec<String>,
        markers: Vec<String>,
    }

    impl Sink for Rec {
        fn cite(&mut self, items: Vec<CiteItem>, mode: CiteMode, span: Range<usize>) -> Inline {
            self.cites.push((items, mode, span));
            Inline::Cite(self.cites.len() - 1)
        }
        fn xref(&mut self, id: &str, _: Range<usize>) -> Inline {
            self.xrefs.push(id.to_string());
            Inline::XRef(id.to_string())
        }
        fn marker(&mut self, payload: &str, _: Range<usize>) -> Option<Block> {
            self.markers.push(payload.to_string());
            None
        }
        fn heading(
            &mut self,
            level: u8,
            id: Option<String>,
            _: Vec<String>,
            content: Vec<Inline>,
            _: Range<usize>,
        ) -> Block {
            Block::Heading(crate::model::Heading {
                level,
                id: id.unwrap_or_default(),
                number: String::new(),
                content,
            })
        }
        fn footnote_ref(&mut self, _: &str, _: Range<usize>) -> Inline {
            Inline::Note(0)
        }
        fn footnote_def(&mut self, _: &str, _: Vec<Block>, _: Range<usize>) {}
        fn error(&mut self, _: Range<usize>, message: String) {
            self.markers.push(format!("error: {message}"));
        }
        fn image(&mut self, src: &str, alt: String, _: Range<usize>) -> Inline {
            Inline::Image {
                src: src.into(),
                alt,
            }
        }
        fn math(
            &mut self,
            tex: &str,
            display: bool,
            label: Option<String>,
            _: Range<usize>,
        ) -> Inline {
            Inline::Math {
                tex: tex.into(),
                display,
                label,
            }
        }
        fn allow_html(&self) -> bool {
            false
        }
    }

    #[test]
    fn citations_groups_locators_narrative_and_email() {
        let src = "See [@a; @b, p. 33] and @c. Mail roger@bcdf.org, \\@d, [-@e] (@tbl-x).";
        let mut rec = Rec::default();
        let blocks = parse(src, &mut rec, &Cache::off());
        assert_eq!(rec.cites.len(), 3);
        assert_eq!(
            rec.cites[0].0[1].locator,
            Some(("page".into(), "33".into()))
        );
        assert_eq!(&src[rec.cites[0].2.clone()], "[@a; @b, p. 33]");
        assert_eq!(rec.cites[1].1, CiteMode::Narrative);
        assert_eq!(rec.cites[1].0[0].key, "c");
        assert_eq!(rec.cites[2].1, CiteMode::SuppressAuthor);
        assert_eq!(rec.xrefs, vec!["tbl-x"]);
        let text = Inline::plain(
            match &blocks[0] {
                Block::Para(i) => i,
                _ => panic!(),
            },
            None,
        );
        assert!(text.contains("roger@bcdf.org"), "{text}");
        assert!(text.contains(" @d,"), "{text}");
    }

    #[test]
    fn markers_and_headings() {
        let src = "# Intro {#sec-intro}\n\n<!--galley:table tbl-a-->\n\ntext\n";
        let mut rec = Rec::default();
        let blocks = parse(src, &mut rec, &Cache::off());
        assert_eq!(rec.markers, vec!["table tbl-a"]);
        match &blocks[0] {
            Block::Heading(h) => assert_eq!(h.id, "sec-intro"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn link_with_at_is_not_a_citation() {
        let mut rec = Rec::default();
        parse("[@k](http://x) and [see](#y)", &mut rec, &Cache::off());
        assert!(rec.cites.is_empty());
    }
}
