//! Metadata for indexers and reference managers: Highwire/Dublin Core
//! meta tags, schema.org JSON-LD, and the article as a BibTeX entry.

use super::*;
use crate::load::latex_text::plain;
use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::model::*;

pub(super) fn citation_meta(doc: &Document, info: &PageInfo) -> Vec<Value> {
    let mut tags: Vec<(String, String)> = vec![("citation_title".into(), doc.title_text.clone())];
    for a in &doc.authors {
        tags.push((
            "citation_author".into(),
            format!("{}, {}", a.family, a.given),
        ));
        for m in &a.marks {
            if let Some(aff) = doc.affiliations.iter().find(|x| &x.mark == m) {
                tags.push(("citation_author_institution".into(), aff.text.clone()));
            }
        }
        if let Some(e) = &a.email {
            tags.push(("citation_author_email".into(), e.clone()));
        }
        if let Some(o) = &a.orcid {
            tags.push(("citation_author_orcid".into(), o.clone()));
        }
    }
    let date = doc
        .publication_date()
        .map(|d| iso_slash(&d.iso))
        .or_else(|| doc.year.map(|y| y.to_string()));
    if let Some(d) = date {
        tags.push(("citation_publication_date".into(), d));
    }
    if let Some(j) = &doc.journal {
        tags.push(("citation_journal_title".into(), j.clone()));
    }
    for (name, value) in [
        ("citation_volume", &doc.volume),
        ("citation_issue", &doc.issue),
    ] {
        if let Some(v) = value {
            tags.push((name.into(), v.clone()));
        }
    }
    if let Some(p) = &doc.pages {
        let mut parts = p.splitn(2, ['-', '–']);
        if let Some(first) = parts.next() {
            tags.push(("citation_firstpage".into(), first.trim().to_string()));
        }
        if let Some(last) = parts.next() {
            tags.push((
                "citation_lastpage".into(),
                last.trim_start_matches(['-', '–']).trim().to_string(),
            ));
        }
    }
    if let Some(p) = &doc.publisher {
        tags.push(("citation_publisher".into(), p.clone()));
    }
    if let Some(d) = &doc.doi {
        tags.push(("citation_doi".into(), d.clone()));
    }
    if !doc.keywords.is_empty() {
        tags.push(("citation_keywords".into(), doc.keywords.join("; ")));
    }
    tags.push(("citation_language".into(), doc.lang.clone()));
    if let Some(pdf) = &info.pdf_file {
        tags.push(("citation_pdf_url".into(), abs_url(&info.base_url, pdf)));
    }
    if let Some(b) = &info.base_url {
        tags.push((
            "citation_fulltext_html_url".into(),
            format!("{}/", b.trim_end_matches('/')),
        ));
    }
    for rf in &doc.references {
        if let Some(e) = info.bibliography.get(&rf.key) {
            tags.push(("citation_reference".into(), reference_tag(e)));
        }
    }
    tags.into_iter()
        .map(|(n, c)| json!({"name": n, "content": c}))
        .collect()
}

/// Highwire `citation_reference` content: "citation_title=...; ...".
pub(super) fn reference_tag(e: &hayagriva::Entry) -> String {
    let mut parts = Vec::new();
    if let Some(a) = e.authors() {
        for p in a.iter().filter(|p| p.name != "Unlisted") {
            let given = p.given_name.clone().unwrap_or_default();
            parts.push(
                format!("citation_author={}, {}", plain(&p.name), plain(&given))
                    .trim_end_matches(", ")
                    .to_string(),
            );
        }
    }
    if let Some(t) = e.title() {
        parts.push(format!("citation_title={}", plain(&t.to_string())));
    }
    if let Some(parent) = e.parents().first() {
        if let Some(t) = parent.title() {
            parts.push(format!("citation_journal_title={}", plain(&t.to_string())));
        }
    }
    if let Some(d) = e.date_any() {
        parts.push(format!("citation_publication_date={}", d.year));
    }
    if let Some(v) = e
        .volume()
        .or_else(|| e.parents().first().and_then(|p| p.volume()))
    {
        parts.push(format!("citation_volume={v}"));
    }
    if let Some(i) = e
        .issue()
        .or_else(|| e.parents().first().and_then(|p| p.issue()))
    {
        parts.push(format!("citation_issue={i}"));
    }
    if let Some(pr) = e.page_range() {
        parts.push(format!("citation_firstpage={pr}"));
    }
    if let Some(doi) = e.doi() {
        parts.push(format!("citation_doi={doi}"));
    }
    parts.join("; ").replace("<", "").replace(">", "")
}

pub(super) fn json_ld(doc: &Document, info: &PageInfo, abstract_plain: &str) -> String {
    let authors: Vec<Value> = doc
        .authors
        .iter()
        .map(|a| {
            let affs: Vec<Value> = a
                .marks
                .iter()
                .filter_map(|m| doc.affiliations.iter().find(|x| &x.mark == m))
                .map(|x| json!({"@type": "Organization", "name": x.text}))
                .collect();
            let mut v = json!({"@type": "Person", "name": a.name, "givenName": a.given, "familyName": a.family, "affiliation": affs});
            if let Some(e) = &a.email {
                v["email"] = json!(e);
            }
            if let Some(o) = &a.orcid {
                v["identifier"] = json!(format!("https://orcid.org/{}", o.trim_start_matches("https://orcid.org/")));
            }
            v
        })
        .collect();
    let mut v = json!({
        "@context": "https://schema.org",
        "@type": "ScholarlyArticle",
        "headline": doc.title_text,
        "name": doc.title_text,
        "author": authors,
        "inLanguage": doc.lang,
        "keywords": doc.keywords,
        "abstract": abstract_plain,
    });
    if let Some(d) = doc.publication_date() {
        v["datePublished"] = json!(d.iso);
    }
    if let Some(d) = doc.dates.iter().find(|d| d.kind == "received") {
        v["dateCreated"] = json!(d.iso);
    }
    if let Some(j) = &doc.journal {
        v["isPartOf"] = json!({"@type": "Periodical", "name": j});
    }
    if let Some(p) = &doc.publisher {
        v["publisher"] = json!({"@type": "Organization", "name": p});
    }
    if let Some(u) = &doc.license_url {
        v["license"] = json!(u);
    } else if let Some(n) = &doc.license_name {
        v["license"] = json!(n);
    }
    if let Some(d) = &doc.doi {
        v["identifier"] = json!(format!("https://doi.org/{d}"));
    }
    if let Some(b) = &info.base_url {
        v["url"] = json!(format!("{}/", b.trim_end_matches('/')));
    }
    if let Some(pdf) = &info.pdf_file {
        v["encoding"] = json!({"@type": "MediaObject", "encodingFormat": "application/pdf", "contentUrl": abs_url(&info.base_url, pdf)});
    }
    let cites: Vec<Value> = doc
        .references
        .iter()
        .map(|r| json!({"@type": "CreativeWork", "name": Inline::plain(&r.content, Some(doc))}))
        .collect();
    v["citation"] = json!(cites);
    // Safe inside <script>: no "</" sequence can close the element.
    // Safe inside <script>: no markup character survives (JSON allows the
    // \u escapes, so HTML never sees `<!--` or `</script`).
    serde_json::to_string_pretty(&v)
        .unwrap_or_default()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// BibTeX entry for the article itself.
pub fn article_bibtex(doc: &Document) -> String {
    let field = |s: &str| s.replace('{', "\\{").replace('}', "\\}");
    let authors = doc
        .authors
        .iter()
        .map(|a| format!("{}, {}", a.family, a.given))
        .collect::<Vec<_>>()
        .join(" and ");
    let key = format!(
        "{}{}",
        doc.authors
            .first()
            .map(|a| crate::model::ids::slugify(&a.family).replace('-', ""))
            .unwrap_or_default(),
        doc.year.map(|y| y.to_string()).unwrap_or_default()
    );
    let mut s = format!(
        "@article{{{key},\n  author = {{{}}},\n  title = {{{{{}}}}},\n",
        field(&authors),
        field(&doc.title_text)
    );
    if let Some(j) = &doc.journal {
        let _ = writeln!(s, "  journal = {{{}}},", field(j));
    }
    for (name, value) in [
        ("volume", &doc.volume),
        ("number", &doc.issue),
        ("pages", &doc.pages),
    ] {
        if let Some(v) = value {
            let _ = writeln!(s, "  {name} = {{{}}},", field(v));
        }
    }
    if let Some(y) = doc.year {
        let _ = writeln!(s, "  year = {{{y}}},");
    }
    if let Some(p) = &doc.publisher {
        let _ = writeln!(s, "  publisher = {{{}}},", field(p));
    }
    if let Some(d) = &doc.doi {
        let _ = writeln!(s, "  doi = {{{}}},", field(d));
    }
    if !doc.keywords.is_empty() {
        let _ = writeln!(s, "  keywords = {{{}}},", field(&doc.keywords.join(", ")));
    }
    if let Some(l) = &doc.license_name {
        let _ = writeln!(s, "  note = {{Published under {}}},", field(l));
    }
    s.push_str("}\n");
    s
}

pub(super) fn iso_slash(iso: &str) -> String {
    iso.replace('-', "/")
}

pub(super) fn abs_url(base: &Option<String>, rel: &str) -> String {
    match base {
        Some(b) => format!("{}/{}", b.trim_end_matches('/'), rel),
        None => rel.to_string(),
    }
}
