//! Note styles (`<style class="note">`, Chicago's notes and bibliography):
//! every citation of the text becomes a footnote holding it, numbered with
//! the other notes in order of appearance, in the site and the PDF alike.
//! A citation already in a footnote stays where it is.

use std::collections::HashMap;

use crate::model::{Block, Cell, CiteMode, Document, Inline, Row};

/// Apply a mutable function to every inline run of `blocks`, in document
/// order (table cells and nested blocks included, footnotes not).
fn each_run(blocks: &mut [Block], f: &mut impl FnMut(&mut Vec<Inline>)) {
    for b in blocks {
        match b {
            Block::Heading(h) => f(&mut h.content),
            Block::Para(i) | Block::Plain(i) => f(i),
            Block::List { items, .. } => items.iter_mut().for_each(|i| each_run(i, f)),
            Block::Quote(inner)
            | Block::Div { blocks: inner, .. }
            | Block::Callout { blocks: inner, .. } => each_run(inner, f),
            Block::Definitions(items) => {
                for (term, defs) in items {
                    f(term);
                    defs.iter_mut().for_each(|d| each_run(d, f));
                }
            }
            Block::Table(t) => {
                f(&mut t.caption);
                for row in &mut t.rows {
                    match row {
                        Row::Group(i) => f(i),
                        Row::Cells(cells) => {
                            for c in cells {
                                if let Cell::Blocks(b) = c {
                                    each_run(b, f);
                                }
                            }
                        }
                    }
                }
                each_run(&mut t.notes, f);
            }
            Block::Figure(fig) => f(&mut fig.caption),
            _ => {}
        }
    }
}

/// The state of the conversion: the old notes, the new ones, where each
/// old one went, and the narrative citations (their author's name).
struct Notes<'a> {
    old: &'a [Vec<Block>],
    notes: Vec<Vec<Block>>,
    seen: HashMap<usize, usize>,
    narrative: &'a HashMap<usize, String>,
    /// The citations in the order of the notes (and of the text).
    order: Vec<usize>,
}

/// Every citation and note reference of `inl`, in order, nested ones too:
/// a citation becomes a new note (a narrative one keeps its author's name
/// in the text: "Doe says¹"), a note keeps its content under its new
/// number. In a note (`in_note`), a citation stays.
fn renumber(inl: &mut Vec<Inline>, st: &mut Notes, in_note: bool) {
    let mut k = 0;
    while k < inl.len() {
        match &mut inl[k] {
            Inline::Cite(n) => {
                let n = *n;
                st.order.push(n);
                let name = st.narrative.get(&n).cloned();
                if !in_note {
                    st.notes.push(vec![Block::Para(vec![Inline::Cite(n)])]);
                    inl[k] = Inline::Note(st.notes.len() - 1);
                    // As Pandoc sets a note: no space before its mark, and
                    // after the punctuation that follows ("claim.¹").
                    let before = k.checked_sub(1).and_then(|p| inl.get_mut(p));
                    if let (None, Some(Inline::Text(t))) = (&name, before) {
                        let trimmed = t.trim_end().len();
                        t.truncate(trimmed);
                    }
                    if let Some(Inline::Text(t)) = inl.get(k + 1) {
                        let p = t.chars().take_while(|c| ".,;:!?".contains(*c)).count();
                        if p > 0 {
                            let (punct, rest) = t.split_at(p);
                            let (punct, rest) = (punct.to_string(), rest.to_string());
                            inl[k + 1] = Inline::Text(rest);
                            inl.insert(k, Inline::Text(punct));
                            k += 1;
                        }
                    }
                }
                // In a note, the citation itself names the author.
                if let Some(name) = name.filter(|_| !in_note) {
                    inl.insert(k, Inline::Text(name));
                    k += 1;
                }
            }
            Inline::Note(n) => {
                let n = *n;
                let new = match st.seen.get(&n) {
                    Some(&new) => new,
                    None => {
                        st.notes.push(Vec::new());
                        let new = st.notes.len() - 1;
                        st.seen.insert(n, new);
                        let mut content = st.old.get(n).cloned().unwrap_or_default();
                        each_run(&mut content, &mut |i| renumber(i, st, true));
                        st.notes[new] = content;
                        new
                    }
                };
                inl[k] = Inline::Note(new);
            }
            other => {
                if let Some(c) = other.children_mut() {
                    renumber(c, st, in_note);
                }
            }
        }
        k += 1;
    }
}

/// The document's citations made footnotes (a note style). `name` gives
/// the author's name of a citation's first entry, for narrative ones,
/// which become normal citations after the name.
pub fn citations_to_notes(doc: &mut Document, name: &dyn Fn(&str) -> Option<String>) {
    let mut narrative = HashMap::new();
    for (n, c) in doc.citations.iter_mut().enumerate() {
        if c.mode == CiteMode::Narrative {
            if let Some(first) = c.items.first().and_then(|i| name(&i.key)) {
                narrative.insert(n, first);
            }
            c.mode = CiteMode::Normal;
        }
    }
    let old = std::mem::take(&mut doc.footnotes);
    let mut st = Notes {
        old: &old,
        notes: Vec::new(),
        seen: HashMap::new(),
        narrative: &narrative,
        order: Vec::new(),
    };
    let mut f = |inl: &mut Vec<Inline>| renumber(inl, &mut st, false);
    for part in &mut doc.abstract_ {
        each_run(&mut part.blocks, &mut f);
    }
    for s in &mut doc.sections {
        each_run(&mut s.blocks, &mut f);
    }
    for part in &mut doc.back_matter {
        each_run(&mut part.blocks, &mut f);
    }
    // Notes no text refers to keep their place at the end.
    let mut notes = st.notes;
    for (n, content) in old.iter().enumerate() {
        if !st.seen.contains_key(&n) {
            notes.push(content.clone());
        }
    }
    doc.footnotes = notes;
    in_note_order(doc, &st.order);
}

/// The citations renumbered in the order given (then any others), so the
/// style renders them as the reader meets them: ibid. and short forms
/// follow the notes, not the source's order.
fn in_note_order(doc: &mut Document, order: &[usize]) {
    let mut new_of = vec![usize::MAX; doc.citations.len()];
    let mut sequence = Vec::with_capacity(doc.citations.len());
    for n in order.iter().copied().chain(0..doc.citations.len()) {
        if n < new_of.len() && new_of[n] == usize::MAX {
            new_of[n] = sequence.len();
            sequence.push(n);
        }
    }
    if sequence.iter().enumerate().all(|(i, &n)| i == n) {
        return;
    }
    let mut old: Vec<Option<crate::model::Citation>> = std::mem::take(&mut doc.citations)
        .into_iter()
        .map(Some)
        .collect();
    doc.citations = sequence.iter().filter_map(|&n| old[n].take()).collect();
    let mut remap = |inl: &mut Vec<Inline>| remap_cites(inl, &new_of);
    for part in &mut doc.abstract_ {
        each_run(&mut part.blocks, &mut remap);
    }
    for s in &mut doc.sections {
        each_run(&mut s.blocks, &mut remap);
    }
    for part in &mut doc.back_matter {
        each_run(&mut part.blocks, &mut remap);
    }
    for note in &mut doc.footnotes {
        each_run(note, &mut remap);
    }
}

fn remap_cites(inl: &mut [Inline], new_of: &[usize]) {
    for i in inl.iter_mut() {
        match i {
            Inline::Cite(n) => *n = new_of.get(*n).copied().unwrap_or(*n),
            other => {
                if let Some(c) = other.children_mut() {
                    remap_cites(c, new_of);
                }
            }
        }
    }
}

/// Whether rendered content ends with a period.
fn ends_with_period(inl: &[Inline]) -> bool {
    match inl.last() {
        Some(Inline::Text(t)) => t.trim_end().ends_with('.'),
        Some(other) => other.children().is_some_and(|c| ends_with_period(c)),
        None => false,
    }
}

/// In the notes, a citation that ends with the style's period and the
/// author's own period after it: one period, as citeproc leaves it.
pub fn one_period(doc: &mut Document) {
    let ends: Vec<bool> = doc
        .citations
        .iter()
        .map(|c| ends_with_period(&c.rendered))
        .collect();
    for note in &mut doc.footnotes {
        each_run(note, &mut |inl| {
            for k in 1..inl.len() {
                let cited = matches!(inl[k - 1], Inline::Cite(n) if ends.get(n) == Some(&true));
                if let (true, Inline::Text(t)) = (cited, &mut inl[k]) {
                    if let Some(rest) = t.strip_prefix('.') {
                        *t = rest.to_string();
                    }
                }
            }
        });
    }
}
