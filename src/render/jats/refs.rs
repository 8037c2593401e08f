//! `back`: the reference list (each entry's typed fields from the
//! bibliography, and its formatting by the CSL style), the notes and the
//! back matter.

use std::fmt::Write as _;

use hayagriva::types::EntryType;

use super::esc;
use super::Writer;
use crate::load::latex_text::plain;
use crate::model::*;

fn publication_type(e: &hayagriva::Entry) -> &'static str {
    match (e.entry_type(), ()) {
        (EntryType::Article, _) => "journal",
        (EntryType::Book | EntryType::Anthology, _) => "book",
        (EntryType::Chapter | EntryType::Anthos, _) => "book",
        (EntryType::Thesis, _) => "thesis",
        (EntryType::Report, _) => "report",
        (EntryType::Web, _) => "webpage",
        (EntryType::Patent, _) => "patent",
        (EntryType::Proceedings | EntryType::Conference, _) => "confproc",
        _ => "other",
    }
}

/// An entry's fields as `element-citation` types them.
fn element_citation(e: &hayagriva::Entry) -> String {
    let mut out = format!(
        "<element-citation publication-type=\"{}\">",
        publication_type(e)
    );
    if let Some(authors) = e.authors() {
        out.push_str("<person-group person-group-type=\"author\">");
        // "and others", and the names galley pads a list with so that the
        // style says "et al.": one <etal/>, at the end.
        let etal = |p: &hayagriva::types::Person| {
            (p.name == "others" && p.given_name.is_none()) || p.name == "Unlisted"
        };
        for p in authors {
            if etal(p) {
                continue;
            }
            let family = match &p.prefix {
                Some(prefix) => format!("{prefix} {}", p.name),
                None => p.name.clone(),
            };
            let _ = write!(out, "<name><surname>{}</surname>", esc(&plain(&family)));
            if let Some(g) = &p.given_name {
                let _ = write!(out, "<given-names>{}</given-names>", esc(&plain(g)));
            }
            out.push_str("</name>");
        }
        if authors.iter().any(etal) {
            out.push_str("<etal/>");
        }
        out.push_str("</person-group>");
    }
    let parent = e.parents().first();
    let title = e.title().map(|t| plain(&t.to_string()));
    let source = parent
        .and_then(|p| p.title())
        .map(|t| plain(&t.to_string()));
    match (publication_type(e), title, source) {
        ("journal" | "confproc", Some(t), s) => {
            let _ = write!(out, "<article-title>{}</article-title>", esc(&t));
            if let Some(s) = s {
                let _ = write!(out, "<source>{}</source>", esc(&s));
            }
        }
        ("book", Some(t), Some(s)) => {
            let _ = write!(
                out,
                "<chapter-title>{}</chapter-title><source>{}</source>",
                esc(&t),
                esc(&s)
            );
        }
        (_, Some(t), _) => {
            let _ = write!(out, "<source>{}</source>", esc(&t));
        }
        _ => {}
    }
    if let Some(d) = e.date_any() {
        let _ = write!(out, "<year>{}</year>", d.year);
    }
    if let Some(v) = e.volume().or_else(|| parent.and_then(|p| p.volume())) {
        let _ = write!(out, "<volume>{}</volume>", esc(&v.to_string()));
    }
    if let Some(i) = e.issue().or_else(|| parent.and_then(|p| p.issue())) {
        let _ = write!(out, "<issue>{}</issue>", esc(&i.to_string()));
    }
    if let Some(pr) = e.page_range() {
        super::pages(&mut out, &pr.to_string());
    }
    if let Some(p) = e.publisher().or_else(|| parent.and_then(|p| p.publisher())) {
        if let Some(name) = p.name() {
            let _ = write!(
                out,
                "<publisher-name>{}</publisher-name>",
                esc(&plain(&name.to_string()))
            );
        }
    }
    if let Some(doi) = e.doi() {
        let _ = write!(out, "<pub-id pub-id-type=\"doi\">{}</pub-id>", esc(doi));
    }
    if let Some(u) = e.url() {
        let _ = write!(
            out,
            "<ext-link ext-link-type=\"uri\" xlink:href=\"{}\">{}</ext-link>",
            esc(u.value.as_str()),
            esc(u.value.as_str())
        );
    }
    out.push_str("</element-citation>");
    out
}

/// The back matter's element: notes of a kind JATS names (conflicts,
/// contributions, funding), or a section.
fn back_matter(w: &Writer, out: &mut String, part: &TitledBlocks, fns: &mut String) {
    let t = part.title.to_lowercase();
    let fn_type = if t.contains("conflict") || t.contains("competing") {
        Some("COI-statement")
    } else if t.contains("contribution") {
        Some("con")
    } else if t.contains("funding") || t.contains("financial") {
        Some("financial-disclosure")
    } else {
        None
    };
    match fn_type {
        Some(kind) => {
            let _ = write!(
                fns,
                "<fn fn-type=\"{kind}\"><p><bold>{}</bold></p>",
                esc(&part.title)
            );
            w.p_only(fns, &part.blocks);
            fns.push_str("</fn>");
        }
        None if t.contains("acknowledg") => {
            let _ = write!(out, "<ack><title>{}</title>", esc(&part.title));
            w.paras(out, &part.blocks);
            out.push_str("</ack>\n");
        }
        None => {
            let sec_type = if t.contains("data") {
                " sec-type=\"data-availability\""
            } else {
                ""
            };
            let _ = write!(out, "<sec{sec_type}><title>{}</title>", esc(&part.title));
            w.paras(out, &part.blocks);
            out.push_str("</sec>\n");
        }
    }
}

pub fn back(w: &Writer, out: &mut String) {
    let doc = w.doc;
    out.push_str("<back>\n");
    let mut fns = String::new();
    for part in &doc.back_matter {
        back_matter(w, out, part, &mut fns);
    }
    if !fns.is_empty() {
        let _ = writeln!(
            out,
            "<fn-group content-type=\"declarations\">{fns}</fn-group>"
        );
    }
    if !doc.references.is_empty() {
        let _ = writeln!(
            out,
            "<ref-list><title>{}</title>",
            esc(doc.references_title.as_deref().unwrap_or("References"))
        );
        for r in &doc.references {
            let _ = write!(out, "<ref id=\"{}\">", w.id(&format!("ref-{}", r.key)));
            let label = plain(&Inline::plain(&r.label, None));
            let label = label.trim().trim_end_matches('.');
            if !label.is_empty() {
                let _ = write!(out, "<label>{}</label>", esc(label));
            }
            if let Some(e) = w.job.assembled.bibliography.get(&r.key) {
                out.push_str(&element_citation(e));
            }
            out.push_str("<mixed-citation>");
            w.inlines(out, &r.content);
            out.push_str("</mixed-citation></ref>\n");
        }
        out.push_str("</ref-list>\n");
    }
    if !doc.footnotes.is_empty() {
        out.push_str("<fn-group>");
        for (i, blocks) in doc.footnotes.iter().enumerate() {
            let _ = write!(out, "<fn id=\"fn{}\"><label>{}</label>", i + 1, i + 1);
            w.p_only(out, blocks);
            out.push_str("</fn>");
        }
        out.push_str("</fn-group>\n");
    }
    out.push_str("</back>\n");
}
