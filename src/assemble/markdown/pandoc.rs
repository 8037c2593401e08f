//! The reader's side of Pandoc's block syntax: fenced divs (paired from the
//! markers `prepare` left), figures (an image alone in its paragraph, with
//! a caption or an id), table captions, raw blocks and executable cells.

use super::prepare::CAPTION;
use super::*;
use crate::model::attrs::{self, Attrs};

/// What a fenced code block's info string says it is.
pub(super) enum Fence {
    /// ```` ```python ```` or ```` ```{.python} ````: code to show.
    Code(String),
    /// ```` ```{=html} ````: raw text for one output.
    Raw(String),
    /// ```` ```{r} ````, ```` ```{python echo=FALSE} ````: an executable cell.
    Cell(String),
}

pub(super) fn fence_kind(info: &str) -> Fence {
    let info = info.trim();
    let Some(inner) = info.strip_prefix('{').and_then(|i| i.strip_suffix('}')) else {
        return Fence::Code(info.split_whitespace().next().unwrap_or("").to_string());
    };
    let inner = inner.trim();
    if let Some(fmt) = inner.strip_prefix('=') {
        return Fence::Raw(fmt.trim().to_ascii_lowercase());
    }
    let first = inner
        .split(|c: char| c.is_whitespace() || c == ',')
        .next()
        .unwrap_or("");
    match first.strip_prefix('.') {
        Some(lang) => Fence::Code(lang.to_string()),
        None if first.starts_with('#') => Fence::Code(String::new()),
        None => Fence::Cell(first.to_ascii_lowercase()),
    }
}

impl<'a> Reader<'a, '_> {
    /// The galley marker of the HTML block starting at `pos`, and the
    /// position after the block.
    pub(super) fn marker_at(&self, pos: usize) -> Option<(String, usize)> {
        if !matches!(
            self.events.get(pos),
            Some((Event::Start(Tag::HtmlBlock), _))
        ) {
            return None;
        }
        let mut html = String::new();
        let mut i = pos + 1;
        while let Some((ev, _)) = self.events.get(i) {
            i += 1;
            match ev {
                Event::Html(t) | Event::Text(t) => html.push_str(t),
                Event::End(TagEnd::HtmlBlock) => break,
                _ => {}
            }
        }
        let payload = html
            .trim()
            .strip_prefix(MARKER_PREFIX)?
            .strip_suffix("-->")?;
        Some((payload.trim().to_string(), i))
    }

    /// A fenced div from its opening marker on: its blocks up to the
    /// matching close, given to the sink.
    pub(super) fn div(&mut self, attrs_text: &str, span: Range<usize>) -> Vec<Block> {
        let attrs_text = crate::assemble::template::unescape_marker(attrs_text);
        let attrs = attrs::parse(&attrs_text).unwrap_or_default();
        // A callout's first heading is its title, not a section heading.
        let mut title = None;
        if attrs.classes.iter().any(|c| c.starts_with("callout-")) {
            if let Some((Event::Start(Tag::Heading { level, .. }), _)) = self.events.get(self.pos) {
                let level = *level;
                self.pos += 1;
                title = Some(self.inlines(TagEnd::Heading(level)));
            }
        }
        self.div_stack.push(self.depth + 1);
        let blocks = self.blocks(None);
        self.sink.div(attrs, title, blocks, span)
    }

    /// An image alone in a paragraph (with attributes after it at most):
    /// a figure. `pos` is just after the paragraph's start.
    pub(super) fn figure_paragraph(&mut self, span: Range<usize>) -> Option<Block> {
        let (Event::Start(Tag::Image { dest_url, .. }), _) = self.events.get(self.pos)?.clone()
        else {
            return None;
        };
        // The image's end, then nothing but attributes before the paragraph's.
        let mut depth = 0usize;
        let mut end = None;
        for (i, (ev, _)) in self.events.iter().enumerate().skip(self.pos) {
            match ev {
                Event::Start(_) => depth += 1,
                Event::End(_) => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
        let end = end?;
        // After the image: nothing, or attributes (in one or more text
        // events), then the paragraph's end.
        let mut joined = String::new();
        let mut k = end + 1;
        while let Some((Event::Text(t), _)) = self.events.get(k) {
            joined.push_str(t);
            k += 1;
        }
        if !matches!(self.events.get(k), Some((Event::End(TagEnd::Paragraph), _))) {
            return None;
        }
        let attrs = if joined.trim().is_empty() {
            Attrs::default()
        } else {
            let (a, used) = attrs::leading(joined.trim_start())?;
            if !joined.trim_start()[used..].trim().is_empty() {
                return None;
            }
            a
        };
        let after = k;
        let start = self.pos;
        self.pos += 1;
        let caption = self.inlines(TagEnd::Image);
        if caption.is_empty() && attrs.id.is_none() {
            // No caption, no id: an image in a paragraph, as Pandoc has it.
            self.pos = start;
            return None;
        }
        self.pos = after + 1;
        Some(self.sink.image_figure(&dest_url, caption, attrs, span))
    }

    /// `{#id ...}` at `pos` (in one text event or, where smart
    /// punctuation split the text at its quotes, several): taken out.
    pub(super) fn take_attributes(&mut self) -> Option<Attrs> {
        let mut joined = String::new();
        let mut n = 0;
        while let Some((Event::Text(t), _)) = self.events.get(self.pos + n) {
            joined.push_str(t);
            n += 1;
            if joined.contains('}') {
                break;
            }
        }
        let (a, used) = attrs::leading(&joined)?;
        // Drop the events the attributes used up; keep the rest of the last.
        let mut left = used;
        while left > 0 {
            let (Event::Text(t), range) = self.events[self.pos].clone() else {
                break;
            };
            if t.len() <= left {
                left -= t.len();
                self.events.remove(self.pos);
            } else {
                let start = (range.start + left).min(range.end);
                self.events[self.pos] =
                    (Event::Text(t[left..].to_string().into()), start..range.end);
                left = 0;
            }
        }
        Some(a)
    }

    /// An inline code span, and what attributes after it make of it:
    /// `` `x`{=html} `` raw text for one output (`latex`/`tex`: none of
    /// galley's), `` `x`{.python} `` code.
    pub(super) fn code_span(&mut self, code: String, span: Range<usize>) -> Inline {
        if let Some((Event::Text(t), range)) = self.events.get(self.pos).cloned() {
            if let Some(rest) = t.strip_prefix("{=") {
                if let Some(close) = rest.find('}') {
                    let format = rest[..close].trim().to_ascii_lowercase();
                    if !format.is_empty() && format.chars().all(|c| c.is_ascii_alphanumeric()) {
                        let used = 2 + close + 1;
                        self.events[self.pos] = (
                            Event::Text(t[used..].to_string().into()),
                            range.start + used..range.end,
                        );
                        let format = if format == "html5" {
                            "html".to_string()
                        } else {
                            format
                        };
                        if !matches!(format.as_str(), "html" | "typst") {
                            self.sink.warning(
                                span,
                                format!("raw `{format}` is left out: galley's outputs are HTML and Typst"),
                            );
                            return Inline::Text(String::new());
                        }
                        return Inline::Raw { format, text: code };
                    }
                }
            }
            if t.starts_with('{') {
                let _ = self.take_attributes();
            }
        }
        Inline::Code(code)
    }

    /// A definition list, from just after its start.
    pub(super) fn definitions(&mut self) -> Block {
        let mut items: Vec<(Vec<Inline>, Vec<Vec<Block>>)> = Vec::new();
        while self.pos < self.events.len() {
            let (ev, _) = self.events[self.pos].clone();
            self.pos += 1;
            match ev {
                Event::Start(Tag::DefinitionListTitle) => {
                    let term = self.inlines(TagEnd::DefinitionListTitle);
                    items.push((term, Vec::new()));
                }
                Event::Start(Tag::DefinitionListDefinition) => {
                    let def = self.blocks(Some(TagEnd::DefinitionListDefinition));
                    match items.last_mut() {
                        Some((_, defs)) => defs.push(def),
                        None => items.push((Vec::new(), vec![def])),
                    }
                }
                Event::End(TagEnd::DefinitionList) => break,
                _ => {}
            }
        }
        Block::Definitions(items)
    }

    /// A fenced code block by its kind.
    pub(super) fn fenced(&mut self, info: &str, text: String, span: Range<usize>) -> Option<Block> {
        match fence_kind(info) {
            Fence::Code(lang) => Some(Block::Code { lang, text }),
            Fence::Raw(format) => match format.as_str() {
                "html" | "html5" => Some(Block::Raw {
                    format: "html".into(),
                    text,
                }),
                "typst" => Some(Block::Raw { format, text }),
                _ => {
                    self.sink.warning(
                        span,
                        format!("raw `{format}` is left out: galley's outputs are HTML and Typst"),
                    );
                    None
                }
            },
            Fence::Cell(lang) => Some(self.sink.code_cell(&lang, text, span)),
        }
    }
}

/// Table captions (`: Caption {#tbl-x}`, `Table: Caption`) given to the
/// table before or after them.
pub(super) fn attach_captions(
    blocks: Vec<Block>,
    sink: &mut dyn Sink,
    span: &Range<usize>,
) -> Vec<Block> {
    let is_caption = |b: &Block| matches!(b, Block::Para(i) if matches!(i.first(), Some(Inline::Text(t)) if t.starts_with(CAPTION)));
    if !blocks.iter().any(is_caption) {
        return blocks;
    }
    let mut out: Vec<Block> = Vec::with_capacity(blocks.len());
    let mut pending: Option<Vec<Inline>> = None;
    for b in blocks {
        if is_caption(&b) {
            let Block::Para(mut inl) = b else { continue };
            if let Some(Inline::Text(t)) = inl.first_mut() {
                *t = t.trim_start_matches(CAPTION).trim_start().to_string();
            }
            // After its table, or waiting for the next one.
            if let Some(Block::Table(_)) = out.last() {
                if let Some(Block::Table(t)) = out.pop() {
                    out.push(caption_table(*t, inl, sink, span));
                }
            } else {
                pending = Some(inl);
            }
            continue;
        }
        match (pending.take(), b) {
            (Some(cap), Block::Table(t)) => out.push(caption_table(*t, cap, sink, span)),
            (Some(cap), other) => {
                out.push(Block::Para(cap));
                out.push(other);
            }
            (None, other) => out.push(other),
        }
    }
    if let Some(cap) = pending {
        out.push(Block::Para(cap));
    }
    out
}

fn caption_table(
    t: Table,
    mut caption: Vec<Inline>,
    sink: &mut dyn Sink,
    span: &Range<usize>,
) -> Block {
    let mut attrs = Attrs::default();
    if let Some(Inline::Text(last)) = caption.last_mut() {
        if let Some((before, a)) = attrs::trailing(last) {
            *last = before.to_string();
            attrs = a;
        }
    }
    sink.caption_table(t, caption, attrs, span.clone())
}

/// Bracketed spans, `[text]{.smallcaps}`, `[words]{#id .class key=v}`: the
/// inlines between a `[` and a `]{attributes}` of the same level become a
/// span. A `[` with no such close is text as written.
pub(super) fn spans(v: Vec<Inline>) -> Vec<Inline> {
    if !v
        .iter()
        .any(|i| matches!(i, Inline::Text(t) if t.contains("]{")))
    {
        return v;
    }
    // (position in `out` where the span's content starts)
    let mut open: Vec<usize> = Vec::new();
    let mut out: Vec<Inline> = Vec::new();
    for inl in v {
        let Inline::Text(t) = inl else {
            out.push(inl);
            continue;
        };
        let mut rest = t.as_str();
        while !rest.is_empty() {
            let next_open = rest.find('[');
            let next_close = rest
                .find("]{")
                .filter(|&c| attrs::leading(&rest[c + 1..]).is_some());
            match (next_open, next_close) {
                (Some(o), c) if c.is_none_or(|c| o < c) => {
                    push(&mut out, &rest[..o]);
                    open.push(out.len());
                    out.push(Inline::Text("[".into()));
                    rest = &rest[o + 1..];
                }
                (_, Some(c)) => {
                    push(&mut out, &rest[..c]);
                    let Some((a, used)) = attrs::leading(&rest[c + 1..]) else {
                        push(&mut out, &rest[c..c + 1]);
                        rest = &rest[c + 1..];
                        continue;
                    };
                    match open.pop() {
                        Some(start) => {
                            let content: Vec<Inline> = out.drain(start..).skip(1).collect();
                            out.push(span_of(a, content));
                        }
                        None => push(&mut out, &rest[c..c + 1 + used]),
                    }
                    rest = &rest[c + 1 + used..];
                }
                _ => {
                    push(&mut out, rest);
                    rest = "";
                }
            }
        }
    }
    // Unclosed `[`s stay as the text they were (they already are).
    merge_text(out)
}

fn span_of(a: Attrs, content: Vec<Inline>) -> Inline {
    if a.classes == ["smallcaps"] && a.id.is_none() && a.pairs.is_empty() {
        return Inline::SmallCaps(content);
    }
    Inline::Span { attrs: a, content }
}

fn push(out: &mut Vec<Inline>, t: &str) {
    if !t.is_empty() {
        out.push(Inline::Text(t.to_string()));
    }
}

/// Adjacent text inlines as one.
fn merge_text(v: Vec<Inline>) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::with_capacity(v.len());
    for i in v {
        match (out.last_mut(), i) {
            (Some(Inline::Text(prev)), Inline::Text(t)) => prev.push_str(&t),
            (_, other) => out.push(other),
        }
    }
    out
}
