//! Inline content: text runs, emphasis, links, code, math, notes and
//! images, as the reader meets them.

use super::*;

impl<'a> Reader<'a, '_> {
    /// Inline events at block level (a tight list item's text).
    pub(super) fn inlines_while_inline(&mut self) -> Vec<Inline> {
        let mut out = Vec::new();
        let mut text = TextRun::default();
        while self.pos < self.events.len() && is_inline_event(&self.events[self.pos].0) {
            self.inline_event(&mut out, &mut text);
        }
        self.flush(&mut out, &mut text);
        super::pandoc::spans(out)
    }

    /// Inline content until `end` (consumed).
    pub(super) fn inlines(&mut self, end: TagEnd) -> Vec<Inline> {
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
        super::pandoc::spans(out)
    }

    pub(super) fn flush(&mut self, out: &mut Vec<Inline>, text: &mut TextRun) {
        if text.text.is_empty() {
            return;
        }
        let run = std::mem::take(text);
        if self.in_link > 0 {
            out.extend(restore_breaks(vec![Inline::Text(unescape_at(
                &run.text, "@",
            ))]));
        } else {
            out.extend(restore_breaks(scan_citations(&run, self.sink)));
        }
    }

    /// `{#eq-id}` right after display math labels it (Pandoc's syntax); the
    /// attribute is taken out of the following text.
    pub(super) fn take_equation_label(&mut self) -> Option<String> {
        let (Event::Text(t), range) = self.events.get(self.pos)?.clone() else {
            return None;
        };
        let lead = t.len() - t.trim_start().len();
        let rest = t.trim_start().strip_prefix("{#")?;
        let end = rest.find('}')?;
        let id = rest[..end].trim().to_string();
        if !crate::model::ids::is_kind(&id, "eq") || id.contains(char::is_whitespace) {
            return None;
        }
        let used = lead + 2 + end + 1;
        let remaining = t[used..].to_string();
        self.events[self.pos] = (Event::Text(remaining.into()), range.start + used..range.end);
        Some(id)
    }

    pub(super) fn inline_event(&mut self, out: &mut Vec<Inline>, text: &mut TextRun) {
        let (ev, range) = self.events[self.pos].clone();
        self.pos += 1;
        let span = self.span(&range);
        if let Event::Text(t) = &ev {
            text.push(t, span);
            return;
        }
        if let Event::SoftBreak = &ev {
            // Kept in the run, so a citation or an inline note may go on
            // over the line's end; made a break again after the scan.
            text.push(&SOFT_BREAK.to_string(), span);
            return;
        }
        if matches!(&ev, Event::Start(Tag::Emphasis | Tag::Strong)) && self.citation_markup(text) {
            // `[*see* @a p. **32**]`: the group read as one citation (its
            // markup kept as text), not broken at the emphasis.
            return;
        }
        if let Event::TaskListMarker(done) = &ev {
            // A task list's box, as text both outputs show.
            text.push(if *done { "☒ " } else { "☐ " }, span);
            return;
        }
        self.flush(out, text);
        match ev {
            Event::Code(c) => {
                let code = unescape_at(&c, "\\@");
                out.push(self.code_span(code, span));
            }
            Event::InlineMath(m) => {
                out.push(self.sink.math(&unescape_at(&m, "\\@"), false, None, span))
            }
            Event::DisplayMath(m) => {
                let label = self.take_equation_label();
                out.push(self.sink.math(&unescape_at(&m, "\\@"), true, label, span))
            }
            // Inline HTML is the site's where the project allows it (the
            // PDF has none), else shown as text (escaped by the renderers).
            Event::InlineHtml(h) if is_comment(&h) => {}
            Event::InlineHtml(h) if self.sink.allow_html() => out.push(Inline::Raw {
                format: "html".into(),
                text: h.to_string(),
            }),
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
                    // `![](a.png){width=50%}` in running text: the
                    // attributes are the image's, not text.
                    let _ = self.take_attributes();
                }
                _ => self.skip_to_end(),
            },
            _ => {}
        }
    }
}

impl Reader<'_, '_> {
    /// At an emphasis (just consumed) inside an open `[` of the text run:
    /// when the bracket closes, a few events on, as a citation group, the
    /// events up to its `]` join the run as plain text. False (nothing
    /// consumed) otherwise.
    fn citation_markup(&mut self, text: &mut TextRun) -> bool {
        let Some(open) = text.text.rfind('[') else {
            return false;
        };
        if text.text[open..].contains(']') {
            return false;
        }
        // The events from the emphasis on, up to the text holding `]`.
        let mut plain = String::new();
        let mut end = None;
        // Emphasis opened inside the group (the one just consumed first):
        // an end closing one opened before the `[` is not the group's, and
        // the `]` counts only with all of them closed.
        let mut depth = 1usize;
        for (k, (ev, _)) in self.events.iter().enumerate().skip(self.pos) {
            match ev {
                Event::Start(Tag::Emphasis | Tag::Strong) => depth += 1,
                Event::End(TagEnd::Emphasis | TagEnd::Strong) => {
                    if depth == 0 {
                        return false;
                    }
                    depth -= 1;
                }
                Event::Text(t) => {
                    if let Some(close) = t.find(']').filter(|_| depth == 0) {
                        plain.push_str(&t[..close]);
                        end = Some(k);
                        break;
                    }
                    plain.push_str(t);
                }
                _ => return false,
            }
        }
        let Some(end) = end else { return false };
        let group = format!("{}{plain}", &text.text[open + 1..]);
        let is_citation = group.contains('@')
            && group
                .split(';')
                .all(|item| super::citations::parse_cite_item(item).is_some());
        if !is_citation {
            return false;
        }
        for k in self.pos..=end {
            if let (Event::Text(t), range) = &self.events[k] {
                text.push(t, range.clone());
            }
        }
        self.pos = end + 1;
        true
    }
}

/// Stands for a soft line break inside a text run.
pub(super) const SOFT_BREAK: char = '\u{E00E}';

/// Text holding [`SOFT_BREAK`]s as text and soft breaks, in nested inlines
/// too.
pub(super) fn restore_breaks(v: Vec<Inline>) -> Vec<Inline> {
    let mut out = Vec::with_capacity(v.len());
    for i in v {
        match i {
            Inline::Text(t) if t.contains(SOFT_BREAK) => {
                for (k, part) in t.split(SOFT_BREAK).enumerate() {
                    if k > 0 {
                        out.push(Inline::SoftBreak);
                    }
                    if !part.is_empty() {
                        out.push(Inline::Text(part.to_string()));
                    }
                }
            }
            Inline::Emph(c) => out.push(Inline::Emph(restore_breaks(c))),
            Inline::Strong(c) => out.push(Inline::Strong(restore_breaks(c))),
            Inline::Sup(c) => out.push(Inline::Sup(restore_breaks(c))),
            Inline::Sub(c) => out.push(Inline::Sub(restore_breaks(c))),
            Inline::SmallCaps(c) => out.push(Inline::SmallCaps(restore_breaks(c))),
            Inline::Span { attrs, content } => out.push(Inline::Span {
                attrs,
                content: restore_breaks(content),
            }),
            other => out.push(other),
        }
    }
    out
}

/// Consecutive text events merged, with where each piece came from.
#[derive(Default)]
pub(super) struct TextRun {
    pub(super) text: String,
    /// (offset in `text`, span in the source)
    pub(super) pieces: Vec<(usize, Range<usize>)>,
}

impl TextRun {
    pub(super) fn push(&mut self, s: &str, span: Range<usize>) {
        self.pieces.push((self.text.len(), span));
        self.text.push_str(s);
    }

    /// Source span of a byte range of the merged text.
    pub(super) fn source_span(&self, r: Range<usize>) -> Range<usize> {
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

pub(super) fn is_inline_event(e: &Event) -> bool {
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
