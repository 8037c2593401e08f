//! hayagriva's formatted output as galley's inline content: text with
//! its CSL formatting, BibTeX math and links, and cited entries as links
//! to their place in the reference list.

use hayagriva::citationberg::{FontStyle, FontVariant, FontWeight, VerticalAlign};
use hayagriva::{ElemChild, ElemChildren, ElemMeta};

use crate::model::Inline;

/// hayagriva's element tree to inline content. Elements tagged as a cited
/// entry become links to that entry when `keys` is given.
pub(super) fn convert(children: &ElemChildren, keys: Option<&[String]>) -> Vec<Inline> {
    let mut out = Vec::new();
    for child in &children.0 {
        match child {
            ElemChild::Text(f) => push_formatted(&mut out, &f.text, &f.formatting),
            // `$...$` in a BibTeX field: math, converted with the rest.
            ElemChild::Markup(s) => out.push(Inline::Math {
                tex: s.clone(),
                display: false,
                label: None,
            }),
            ElemChild::Link { text, url } => {
                let mut content = Vec::new();
                push_formatted(&mut content, &text.text, &text.formatting);
                out.push(Inline::Link {
                    url: url.clone(),
                    content,
                });
            }
            ElemChild::Elem(e) => {
                let inner = convert(&e.children, keys);
                match (&e.meta, keys) {
                    (Some(ElemMeta::Entry(i)), Some(keys)) if *i < keys.len() => {
                        out.push(Inline::RefLink {
                            key: keys[*i].clone(),
                            content: inner,
                        })
                    }
                    _ => {
                        for x in inner {
                            match x {
                                Inline::Text(t) => push_text(&mut out, &t),
                                other => out.push(other),
                            }
                        }
                    }
                }
            }
            ElemChild::Transparent { .. } => {}
        }
    }
    out
}

fn push_text(out: &mut Vec<Inline>, s: &str) {
    if s.is_empty() {
        return;
    }
    if let Some(Inline::Text(prev)) = out.last_mut() {
        prev.push_str(s);
    } else {
        out.push(Inline::Text(s.to_string()));
    }
}

/// Text holding galley's formatting marks (`load::latex_text`: a BibTeX
/// field's `\emph{...}`) as nested inlines.
fn marked(text: &str) -> Vec<Inline> {
    use crate::load::latex_text::MARKS;
    // A stack of (mark kind, content so far); the bottom is the text itself.
    let mut stack: Vec<(Option<usize>, Vec<Inline>)> = vec![(None, Vec::new())];
    for c in text.chars() {
        if let Some(k) = MARKS.iter().position(|m| m.0 == c) {
            stack.push((Some(k), Vec::new()));
        } else if let Some(k) = MARKS.iter().position(|m| m.1 == c) {
            if stack.len() > 1 && stack.last().is_some_and(|top| top.0 == Some(k)) {
                let (_, content) = stack.pop().unwrap_or_default();
                let node = match k {
                    0 => Inline::Emph(content),
                    1 => Inline::Strong(content),
                    2 => Inline::SmallCaps(content),
                    3 => Inline::Sup(content),
                    _ => Inline::Sub(content),
                };
                if let Some(top) = stack.last_mut() {
                    top.1.push(node);
                }
            }
        } else if let Some(top) = stack.last_mut() {
            let mut buf = [0u8; 4];
            push_text(&mut top.1, c.encode_utf8(&mut buf));
        }
    }
    // Marks left open (a field cut short) close at the end.
    while stack.len() > 1 {
        let (_, content) = stack.pop().unwrap_or_default();
        if let Some(top) = stack.last_mut() {
            top.1.extend(content);
        }
    }
    stack.pop().map(|b| b.1).unwrap_or_default()
}

pub(super) fn push_formatted(out: &mut Vec<Inline>, text: &str, f: &hayagriva::Formatting) {
    let mut node = if text.contains(|c: char| ('\u{E000}'..='\u{E009}').contains(&c)) {
        marked(text)
    } else {
        vec![Inline::Text(text.to_string())]
    };
    if f.font_style == FontStyle::Italic {
        // `\emph` inside a title the style sets in italics: the title's
        // italics hold it (citeproc would set it upright; galley's model
        // has no upright span).
        node = node
            .into_iter()
            .flat_map(|n| match n {
                Inline::Emph(inner) => inner,
                other => vec![other],
            })
            .collect();
        node = vec![Inline::Emph(node)];
    }
    if f.font_weight == FontWeight::Bold {
        node = vec![Inline::Strong(node)];
    }
    if f.font_variant == FontVariant::SmallCaps {
        node = vec![Inline::SmallCaps(node)];
    }
    match f.vertical_align {
        VerticalAlign::Sup => node = vec![Inline::Sup(node)],
        VerticalAlign::Sub => node = vec![Inline::Sub(node)],
        _ => {}
    }
    for n in node {
        match n {
            Inline::Text(t) => push_text(out, &t),
            other => out.push(other),
        }
    }
}
