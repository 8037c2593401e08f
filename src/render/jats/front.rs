//! `front`: journal and article metadata, authors and affiliations,
//! dates, license, abstract and keywords.

use std::fmt::Write as _;

use super::esc;
use super::Writer;
use crate::model::*;

/// `<day>`, `<month>`, `<year>` of an ISO date (`2025-07-15`, `2025-07`,
/// `2025`).
fn date_parts(iso: &str) -> String {
    let mut parts = iso.split('-');
    let (y, m, d) = (parts.next(), parts.next(), parts.next());
    let mut out = String::new();
    if let Some(d) = d {
        let _ = write!(out, "<day>{}</day>", esc(d));
    }
    if let Some(m) = m {
        let _ = write!(out, "<month>{}</month>", esc(m));
    }
    let _ = write!(out, "<year>{}</year>", esc(y.unwrap_or("")));
    out
}

fn aff_id(mark: &str) -> String {
    format!("aff{}", super::xml_id(mark).trim_start_matches('x'))
}

pub fn front(w: &Writer, out: &mut String) {
    let doc = w.doc;
    out.push_str("<front>\n");
    if doc.journal.is_some() || doc.publisher.is_some() {
        out.push_str("<journal-meta>");
        if let Some(j) = &doc.journal {
            let _ = write!(
                out,
                "<journal-title-group><journal-title>{}</journal-title></journal-title-group>",
                esc(j)
            );
        }
        if let Some(p) = &doc.publisher {
            let _ = write!(
                out,
                "<publisher><publisher-name>{}</publisher-name></publisher>",
                esc(p)
            );
        }
        out.push_str("</journal-meta>\n");
    }
    out.push_str("<article-meta>\n");
    if let Some(doi) = &doc.doi {
        let _ = writeln!(
            out,
            "<article-id pub-id-type=\"doi\">{}</article-id>",
            esc(doi)
        );
    }
    out.push_str("<title-group><article-title>");
    w.inlines(out, &doc.title);
    out.push_str("</article-title>");
    if let Some(s) = &doc.subtitle {
        out.push_str("<subtitle>");
        w.inlines(out, s);
        out.push_str("</subtitle>");
    }
    out.push_str("</title-group>\n");
    contribs(w, out);
    dates(doc, out);
    permissions(doc, out);
    abstract_(w, out);
    if !doc.keywords.is_empty() {
        out.push_str("<kwd-group kwd-group-type=\"author\">");
        for k in &doc.keywords {
            let _ = write!(out, "<kwd>{}</kwd>", esc(k));
        }
        out.push_str("</kwd-group>\n");
    }
    out.push_str("</article-meta>\n</front>\n");
}

fn contribs(w: &Writer, out: &mut String) {
    let doc = w.doc;
    let corresp: Vec<&Author> = doc.authors.iter().filter(|a| a.corresponding).collect();
    if doc.authors.is_empty() {
        return;
    }
    out.push_str("<contrib-group>\n");
    for a in &doc.authors {
        let _ = write!(
            out,
            "<contrib contrib-type=\"author\"{}>",
            if a.corresponding {
                " corresp=\"yes\""
            } else {
                ""
            }
        );
        if let Some(o) = &a.orcid {
            let _ = write!(
                out,
                "<contrib-id contrib-id-type=\"orcid\">https://orcid.org/{}</contrib-id>",
                esc(o.trim_start_matches("https://orcid.org/"))
            );
        }
        if a.family.is_empty() {
            let _ = write!(out, "<string-name>{}</string-name>", esc(&a.name));
        } else {
            let _ = write!(out, "<name><surname>{}</surname>", esc(&a.family));
            if !a.given.is_empty() {
                let _ = write!(out, "<given-names>{}</given-names>", esc(&a.given));
            }
            out.push_str("</name>");
        }
        if let Some(e) = &a.email {
            let _ = write!(out, "<email>{}</email>", esc(e));
        }
        for m in &a.marks {
            let _ = write!(
                out,
                "<xref ref-type=\"aff\" rid=\"{}\"><sup>{}</sup></xref>",
                aff_id(m),
                esc(m)
            );
        }
        if a.corresponding {
            out.push_str("<xref ref-type=\"corresp\" rid=\"cor1\"><sup>*</sup></xref>");
        }
        out.push_str("</contrib>\n");
    }
    out.push_str("</contrib-group>\n");
    for a in &doc.affiliations {
        let _ = writeln!(
            out,
            "<aff id=\"{}\"><label>{}</label>{}</aff>",
            aff_id(&a.mark),
            esc(&a.mark),
            esc(&a.text)
        );
    }
    if !corresp.is_empty() {
        out.push_str("<author-notes><corresp id=\"cor1\"><bold>Correspondence:</bold> ");
        for (i, a) in corresp.iter().enumerate() {
            if i > 0 {
                out.push_str("; ");
            }
            out.push_str(&esc(&a.name));
            if let Some(e) = &a.email {
                let _ = write!(out, " (<email>{}</email>)", esc(e));
            }
        }
        out.push_str("</corresp></author-notes>\n");
    }
}

fn dates(doc: &Document, out: &mut String) {
    if let Some(p) = doc.dates.iter().find(|d| d.kind == "published") {
        let _ = writeln!(
            out,
            "<pub-date date-type=\"pub\" publication-format=\"electronic\">{}</pub-date>",
            date_parts(&p.iso)
        );
    } else if let Some(y) = doc.year {
        let _ = writeln!(
            out,
            "<pub-date date-type=\"pub\"><year>{y}</year></pub-date>"
        );
    }
    if let Some(v) = &doc.volume {
        let _ = write!(out, "<volume>{}</volume>", esc(v));
    }
    if let Some(i) = &doc.issue {
        let _ = write!(out, "<issue>{}</issue>", esc(i));
    }
    if let Some(p) = &doc.pages {
        super::pages(out, p);
    }
    let history: Vec<&DateEntry> = doc
        .dates
        .iter()
        .filter(|d| matches!(d.kind.as_str(), "received" | "revised" | "accepted"))
        .collect();
    if !history.is_empty() {
        out.push_str("<history>");
        for d in history {
            let kind = if d.kind == "revised" {
                "rev-recd"
            } else {
                d.kind.as_str()
            };
            let _ = write!(
                out,
                "<date date-type=\"{kind}\">{}</date>",
                date_parts(&d.iso)
            );
        }
        out.push_str("</history>\n");
    }
}

fn permissions(doc: &Document, out: &mut String) {
    let (Some(name), url) = (&doc.license_name, &doc.license_url) else {
        return;
    };
    out.push_str("<permissions>");
    match url {
        Some(u) => {
            let _ = write!(
                out,
                "<license xlink:href=\"{u}\"><license-p>This article is distributed under the terms of the <ext-link ext-link-type=\"uri\" xlink:href=\"{u}\">{}</ext-link> license.</license-p></license>",
                esc(name),
                u = esc(u)
            );
        }
        None => {
            let _ = write!(
                out,
                "<license><license-p>{}</license-p></license>",
                esc(name)
            );
        }
    }
    out.push_str("</permissions>\n");
}

fn abstract_(w: &Writer, out: &mut String) {
    let doc = w.doc;
    if doc.abstract_.is_empty() {
        return;
    }
    out.push_str("<abstract>");
    let plain = doc.abstract_.len() == 1 && doc.abstract_[0].title == "Abstract";
    for part in &doc.abstract_ {
        if plain {
            w.paras(out, &part.blocks);
        } else {
            let _ = write!(out, "<sec><title>{}</title>", esc(&part.title));
            w.paras(out, &part.blocks);
            out.push_str("</sec>");
        }
    }
    out.push_str("</abstract>\n");
}
