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

fn is_inline_event(e: &Event) -> bool {
    match e {
        Event::Text(_)
        | Event::Code(_)
        | Event::InlineMath(_)
        | Event::DisplayMath(_)
        | Event::InlineHtml(_)
        | Event::FootnoteReference(_)
        | Event::SoftBreak
        | Event::HardBreak
        | Event::TaskListMarker(_) => true,
        Event::Start(t) => matches!(
            t,
            Tag::Emphasis
                | Tag::Strong
                | Tag::Strikethrough
                | Tag::Superscript
                | Tag::Subscript
                | Tag::Link { .. }
                | Tag::Image { .. }
        ),
        _ => false,
    }
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

    /// Inline events at block level (a tight list item's text).
    fn inlines_while_inline(&mut self) -> Vec<Inline> {
        let mut out = Vec::new();
        let mut text = TextRun::default();
        while self.pos < self.events.len() && is_inline_event(&self.events[self.pos].0) {
            self.inline_event(&mut out, &mut text);
        }
        self.flush(&mut out, &mut text);
        out
    }

    /// Inline content until `end` (consumed).
    fn inlines(&mut self, end: TagEnd) -> Vec<Inline> {
        let mut out = Vec::new();
        let mut text = TextRun::default();
        while self.pos < self.events.len() {
            if let Event::End(e) = &self.events[self.pos].0 {
                if *e == end {
                    self.pos += 1;
                    break;
                }
            }
            self.inline_event(&mut out, &mut text);
        }
        self.flush(&mut out, &mut text);
        out
    }

    fn flush(&mut self, out: &mut Vec<Inline>, text: &mut TextRun) {
        if text.text.is_empty() {
            return;
        }
        let run = std::mem::take(text);
        if self.in_link > 0 {
            out.push(Inline::Text(unescape_at(&run.text, "@")));
        } else {
            out.extend(scan_citations(&run, self.sink));
        }
    }

    /// `{#eq-id}` right after display math labels it (Pandoc's syntax); the
    /// attribute is taken out of the following text.
    fn take_equation_label(&mut self) -> Option<String> {
        let (Event::Text(t), range) = self.events.get(self.pos)?.clone() else {
            return None;
        };
        let lead = t.len() - t.trim_start().len();
        let rest = t.trim_start().strip_prefix("{#")?;
        let end = rest.find('}')?;
        let id = rest[..end].trim().to_string();
        if !id.starts_with("eq-") || id.contains(char::is_whitespace) {
            return None;
        }
        let used = lead + 2 + end + 1;
        let remaining = t[used..].to_string();
        self.events[self.pos] = (Event::Text(remaining.into()), range.start + used..range.end);
        Some(id)
    }

    fn inline_event(&mut self, out: &mut Vec<Inline>, text: &mut TextRun) {
        let (ev, range) = self.events[self.pos].clone();
        self.pos += 1;
        let span = self.span(&range);
        if let Event::Text(t) = &ev {
            text.push(t, span);
            return;
        }
        if let Event::TaskListMarker(done) = &ev {
            text.push(if *done { "[x] " } else { "[ ] " }, span);
            return;
        }
        self.flush(out, text);
        match ev {
            Event::Code(c) => out.push(Inline::Code(unescape_at(&c, "\\@"))),
            Event::InlineMath(m) => {
                out.push(self.sink.math(&unescape_at(&m, "\\@"), false, None, span))
            }
            Event::DisplayMath(m) => {
                let label = self.take_equation_label();
                out.push(self.sink.math(&unescape_at(&m, "\\@"), true, label, span))
            }
            // Inline HTML is shown as text (escaped by the renderers).
            Event::InlineHtml(h) if is_comment(&h) => {}
            Event::InlineHtml(h) => out.push(Inline::Text(h.to_string())),
            Event::FootnoteReference(label) => out.push(self.sink.footnote_ref(&label, span)),
            Event::SoftBreak => out.push(Inline::SoftBreak),
            Event::HardBreak => out.push(Inline::LineBreak),
            Event::Start(tag) => match tag {
                Tag::Emphasis => out.push(Inline::Emph(self.inlines(TagEnd::Emphasis))),
                Tag::Strong => out.push(Inline::Strong(self.inlines(TagEnd::Strong))),
                Tag::Strikethrough => out.push(Inline::Strike(self.inlines(TagEnd::Strikethrough))),
                Tag::Superscript => out.push(Inline::Sup(self.inlines(TagEnd::Superscript))),
                Tag::Subscript => out.push(Inline::Sub(self.inlines(TagEnd::Subscript))),
                Tag::Link { dest_url, .. } => {
                    self.in_link += 1;
                    let content = self.inlines(TagEnd::Link);
                    self.in_link -= 1;
                    out.push(Inline::Link {
                        url: dest_url.to_string(),
                        content,
                    });
                }
                Tag::Image { dest_url, .. } => {
                    let alt = self.inlines(TagEnd::Image);
                    let alt = Inline::plain(&alt, None);
                    out.push(self.sink.image(&dest_url, alt, span));
                }
                _ => self.skip_to_end(),
            },
            _ => {}
        }
    }
}

/// Consecutive text events merged, with where each piece came from.
#[derive(Default)]
struct TextRun {
    text: String,
    /// (offset in `text`, span in the source)
    pieces: Vec<(usize, Range<usize>)>,
}

impl TextRun {
    fn push(&mut self, s: &str, span: Range<usize>) {
        self.pieces.push((self.text.len(), span));
        self.text.push_str(s);
    }

    /// Source span of a byte range of the merged text.
    fn source_span(&self, r: Range<usize>) -> Range<usize> {
        let map = |off: usize| -> usize {
            let piece = self.pieces.iter().rev().find(|(start, _)| *start <= off);
            match piece {
                Some((start, span)) => (span.start + (off - start)).min(span.end),
                None => 0,
            }
        };
        let s = map(r.start);
        let e = map(r.end.saturating_sub(1)) + 1;
        s..e.max(s)
    }
}

fn is_key_start(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn is_key_char(c: char) -> bool {
    c.is_alphanumeric() || "_:.#$%&-+?<>~/".contains(c)
}

/// Length in bytes of a citation key at the start of `s` (trailing
/// punctuation excluded), or 0.
fn key_len(s: &str) -> usize {
    let mut chars = s.char_indices();
    match chars.next() {
        Some((_, c)) if is_key_start(c) => {}
        _ => return 0,
    }
    let mut end = s.len();
    for (i, c) in s.char_indices() {
        if !is_key_char(c) {
            end = i;
            break;
        }
    }
    // Internal punctuation only: strip trailing punctuation.
    let mut key = &s[..end];
    while let Some(c) = key.chars().last() {
        if c.is_alphanumeric() || c == '_' {
            break;
        }
        key = &key[..key.len() - c.len_utf8()];
    }
    key.len()
}

pub fn is_xref_id(key: &str) -> bool {
    ["tbl-", "fig-", "sec-", "eq-"]
        .iter()
        .any(|p| key.starts_with(p))
}

/// One item of a bracketed citation: `-@key, p. 33`.
fn parse_cite_item(s: &str) -> Option<(CiteItem, bool)> {
    let t = s.trim();
    let (suppress, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let t = t.strip_prefix('@')?;
    let n = key_len(t);
    if n == 0 {
        return None;
    }
    let key = &t[..n];
    let rest = t[n..].trim();
    let locator = if rest.is_empty() {
        None
    } else {
        let loc = rest.strip_prefix(',')?.trim();
        if loc.is_empty() {
            return None;
        }
        Some(split_locator(loc))
    };
    Some((
        CiteItem {
            key: key.to_string(),
            locator,
        },
        suppress,
    ))
}

/// "p. 33" -> ("page", "33"); "chap. 2" -> ("chapter", "2"); "33" -> ("page", "33").
fn split_locator(loc: &str) -> (String, String) {
    const LABELS: [(&str, &str); 16] = [
        ("pp.", "page"),
        ("p.", "page"),
        ("pages", "page"),
        ("page", "page"),
        ("chap.", "chapter"),
        ("ch.", "chapter"),
        ("chapter", "chapter"),
        ("sec.", "section"),
        ("section", "section"),
        ("§", "section"),
        ("fig.", "figure"),
        ("figure", "figure"),
        ("para.", "paragraph"),
        ("vol.", "volume"),
        ("l.", "line"),
        ("n.", "note"),
    ];
    let lower = loc.to_lowercase();
    for (prefix, label) in LABELS {
        if lower.starts_with(prefix) {
            let value = loc[prefix.len()..].trim();
            if !value.is_empty() {
                return (label.to_string(), value.to_string());
            }
        }
    }
    ("page".to_string(), loc.to_string())
}

/// Split merged text into text, citations and cross-references.
fn scan_citations(run: &TextRun, sink: &mut dyn Sink) -> Vec<Inline> {
    let s = run.text.as_str();
    let mut out = Vec::new();
    let mut plain_start = 0;
    let mut i = 0;
    let push_text = |out: &mut Vec<Inline>, t: &str| {
        if !t.is_empty() {
            let t = unescape_at(t, "@");
            if let Some(Inline::Text(prev)) = out.last_mut() {
                prev.push_str(&t);
            } else {
                out.push(Inline::Text(t));
            }
        }
    };
    while i < s.len() {
        let c = s[i..].chars().next().unwrap_or(' ');
        if c == '[' {
            if let Some(close) = s[i + 1..].find(']').map(|j| i + 1 + j) {
                let inner = &s[i + 1..close];
                // A footnote reference pulldown-cmark left as text has no
                // definition: report it rather than print `[^x]`.
                if let Some(label) = inner.strip_prefix('^') {
                    if !label.is_empty() && !label.contains(char::is_whitespace) {
                        push_text(&mut out, &s[plain_start..i]);
                        out.push(sink.footnote_ref(label, run.source_span(i..close + 1)));
                        i = close + 1;
                        plain_start = i;
                        continue;
                    }
                }
                if inner.contains('@')
                    && !s[close + 1..].starts_with('(')
                    && !s[close + 1..].starts_with('[')
                {
                    let parsed: Option<Vec<(CiteItem, bool)>> =
                        inner.split(';').map(parse_cite_item).collect();
                    if let Some(items) = parsed {
                        if !items.is_empty() && items.iter().all(|(it, _)| !is_xref_id(&it.key)) {
                            push_text(&mut out, &s[plain_start..i]);
                            let suppress = items.iter().all(|(_, sup)| *sup);
                            let mode = if suppress {
                                CiteMode::SuppressAuthor
                            } else {
                                CiteMode::Normal
                            };
                            let span = run.source_span(i..close + 1);
                            out.push(sink.cite(
                                items.into_iter().map(|(it, _)| it).collect(),
                                mode,
                                span,
                            ));
                            i = close + 1;
                            plain_start = i;
                            continue;
                        }
                    }
                }
            }
        }
        if c == '@' {
            let prev = s[..i].chars().last();
            let word_before =
                prev.is_some_and(|p| p.is_alphanumeric() || p == ESCAPED_AT || p == '_');
            let n = key_len(&s[i + 1..]);
            if !word_before && n > 0 {
                let key = &s[i + 1..i + 1 + n];
                push_text(&mut out, &s[plain_start..i]);
                let span = run.source_span(i..i + 1 + n);
                if is_xref_id(key) {
                    out.push(sink.xref(key, span));
                } else {
                    out.push(sink.cite(
                        vec![CiteItem {
                            key: key.to_string(),
                            locator: None,
                        }],
                        CiteMode::Narrative,
                        span,
                    ));
                }
                i += 1 + n;
                plain_start = i;
                continue;
            }
        }
        i += c.len_utf8();
    }
    push_text(&mut out, &s[plain_start..]);
    out
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
