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
        let (attrs, after) = match self.events.get(end + 1) {
            Some((Event::End(TagEnd::Paragraph), _)) => (Attrs::default(), end + 1),
            Some((Event::Text(t), _)) => {
                let (a, used) = attrs::leading(t.trim_start())?;
                if !t.trim_start()[used..].trim().is_empty() {
                    return None;
                }
                match self.events.get(end + 2) {
                    Some((Event::End(TagEnd::Paragraph), _)) => (a, end + 2),
                    _ => return None,
                }
            }
            _ => return None,
        };
        self.pos += 1;
        let caption = self.inlines(TagEnd::Image);
        if caption.is_empty() && attrs.id.is_none() {
            // No caption, no id: an image in a paragraph, as Pandoc has it.
            self.pos -= 1;
            return None;
        }
        self.pos = after + 1;
        Some(self.sink.image_figure(&dest_url, caption, attrs, span))
    }

    /// `{#id ...}` right after an inline image: taken out of the text.
    pub(super) fn take_attributes(&mut self) -> Option<Attrs> {
        let (Event::Text(t), range) = self.events.get(self.pos)?.clone() else {
            return None;
        };
        let (a, used) = attrs::leading(&t)?;
        let remaining = t[used..].to_string();
        self.events[self.pos] = (Event::Text(remaining.into()), range.start + used..range.end);
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
                *t = t.trim_start_matches(CAPTION).to_string();
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
