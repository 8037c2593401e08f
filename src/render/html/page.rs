//! The page: the document as the values the theme's templates see
//! (`page.*`), rendered through templates/article.html and 404.html.

use super::*;
use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Value};
use tera::{Context, Tera};

use super::meta::{citation_meta, json_ld};
use crate::assemble::sandbox;
use crate::assemble::template::locate_error;
use crate::assemble::template::Origin;
use crate::diag::{Diagnostic, SourceMap};
use crate::load::bibliography::Bibliography;
use crate::load::theme::Theme;
use crate::model::dates::long_date;
use crate::model::*;
use serde_json::Map;

/// A dataset file offered for download.
pub struct DataLink {
    pub name: String,
    pub json: String,
    pub csv: Option<String>,
}

/// What the page needs beyond the document.
pub struct PageInfo<'a> {
    pub pdf_file: Option<String>,
    pub jats_file: Option<String>,
    pub docx_file: Option<String>,
    pub bib_file: String,
    pub data_files: Vec<DataLink>,
    pub base_url: Option<String>,
    /// Site path → published path of theme assets (`assets/galley.css`),
    /// figures and images: the same, or with a content hash.
    pub urls: BTreeMap<String, String>,
    pub bibliography: &'a Bibliography,
    pub version: &'static str,
}

pub(super) fn date_text(iso: &str) -> String {
    long_date(iso)
}

/// From this many references the site's metadata is made on a thread of
/// its own.
const PARALLEL_REFERENCES: usize = 500;

/// Render index.html and 404.html.
pub fn render_page(
    doc: &Document,
    info: &PageInfo,
    theme: &Theme,
    sources: &mut SourceMap,
) -> Result<Pages, Diagnostic> {
    // The site's metadata (a citation tag per reference) beside the
    // document's HTML: in a long document both take long.
    let (mut page, site) = std::thread::scope(|scope| {
        let site = (doc.references.len() >= PARALLEL_REFERENCES)
            .then(|| scope.spawn(|| site_value(doc, info)));
        let w = HtmlWriter::new(doc, &info.urls);
        let mut page = front_value(doc, &w);
        page.extend(content_value(doc, &w));
        let site = match site.map(|h| h.join()) {
            Some(Ok(site)) => site,
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => site_value(doc, info),
        };
        (page, site)
    });
    page.extend(site);
    render_templates(theme, &Value::Object(page), sources)
}

/// `page.*` of the front matter: title, authors, dates, journal, license.
fn front_value(doc: &Document, w: &HtmlWriter) -> Map<String, Value> {
    let authors: Vec<Value> = doc
        .authors
        .iter()
        .map(|a| {
            json!({
                "name": a.name, "marks": a.marks, "orcid": a.orcid, "email": a.email,
                "corresponding": a.corresponding,
            })
        })
        .collect();
    let dates: Vec<Value> = doc
        .dates
        .iter()
        .map(|d| {
            let mut label = d.kind.clone();
            if let Some(f) = label.get_mut(..1) {
                f.make_ascii_uppercase();
            }
            json!({"kind": d.kind, "label": label, "iso": d.iso, "text": date_text(&d.iso)})
        })
        .collect();
    let page = json!({
        "lang": doc.lang,
        "title_html": w.inline_string(&doc.title),
        "title_text": doc.title_text,
        "subtitle_html": doc.subtitle.as_ref().map(|s| w.inline_string(s)),
        "article_type": doc.article_type,
        "authors": authors,
        "affiliations": doc.affiliations.iter().map(|a| json!({"mark": a.mark, "text": a.text})).collect::<Vec<_>>(),
        "corresponding": doc.authors.iter().filter(|a| a.corresponding).map(|a| json!({"name": a.name, "email": a.email})).collect::<Vec<_>>(),
        "dates": dates,
        "keywords": doc.keywords,
        "journal": doc.journal,
        "year": doc.year,
        "publisher": doc.publisher,
        "doi": doc.doi,
        "license_name": doc.license_name,
        "license_url": doc.license_url,
    });
    into_map(page)
}

/// `page.*` of the content: abstract, summary, body and its table of
/// contents, back matter, references, notes.
fn content_value(doc: &Document, w: &HtmlWriter) -> Map<String, Value> {
    let parts = |parts: &[TitledBlocks]| -> Vec<Value> {
        parts
            .iter()
            .map(|p| json!({"title": p.title, "id": p.id, "html": w.blocks_string(&p.blocks)}))
            .collect()
    };
    let mut body = String::new();
    for s in &doc.sections {
        w.blocks(&mut body, &s.blocks);
    }
    let references: Vec<Value> = doc
        .references
        .iter()
        .map(|rf| {
            json!({
                "key": rf.key,
                "id": format!("ref-{}", rf.key),
                "label": w.inline_string(&rf.label),
                "html": w.inline_string(&rf.content),
                "backlinks": rf.cited_by.iter().map(|c| format!("cite-{}", c + 1)).collect::<Vec<_>>(),
            })
        })
        .collect();
    let footnotes: Vec<Value> = doc
        .footnotes
        .iter()
        .enumerate()
        .map(|(i, b)| json!({"id": format!("fn-{}", i + 1), "back": format!("fnref-{}", i + 1), "html": w.blocks_string(b)}))
        .collect();
    let mut toc: Vec<Value> = Vec::new();
    for s in &doc.sections {
        for b in &s.blocks {
            if let Block::Heading(h) = b {
                if h.level <= 2 {
                    toc.push(json!({
                        "id": h.id, "number": h.number, "level": h.level,
                        "html": w.plain().inline_string(&h.content),
                    }));
                }
            }
        }
    }
    into_map(json!({
        "abstract": parts(&doc.abstract_),
        "summary": parts(&doc.summary),
        "body": body,
        "toc": toc,
        "back_matter": parts(&doc.back_matter),
        "references": references,
        "references_title": doc.references_title.as_deref().unwrap_or("References"),
        "footnotes": footnotes,
        "numeric_citations": doc.numeric_citations,
    }))
}

/// `page.*` for the site: metadata, links to the other files, assets.
fn site_value(doc: &Document, info: &PageInfo) -> Map<String, Value> {
    let abstract_plain = doc
        .abstract_
        .iter()
        .flat_map(|p| p.blocks.iter())
        .filter_map(|b| match b {
            Block::Para(i) | Block::Plain(i) => Some(Inline::plain(i, Some(doc))),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(" ");
    let mut description: String = abstract_plain.chars().take(300).collect();
    if abstract_plain.chars().count() > 300 {
        description.push('…');
    }
    let asset = |name: &str| {
        let path = format!("assets/{name}");
        info.urls.get(&path).cloned().unwrap_or(path)
    };
    let assets: BTreeMap<&str, &String> = info
        .urls
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("assets/").map(|n| (n, v)))
        .collect();
    let root = info
        .base_url
        .as_ref()
        .map(|b| format!("{}/", b.trim_end_matches('/')));
    into_map(json!({
        "meta_tags": citation_meta(doc, info),
        "json_ld": json_ld(doc, info, &abstract_plain),
        "description": description,
        "canonical": root,
        "pdf_file": info.pdf_file,
        "jats_file": info.jats_file,
        "docx_file": info.docx_file,
        "bib_file": info.bib_file,
        "data_files": info.data_files.iter().map(|d| json!({"name": d.name, "json": d.json, "csv": d.csv})).collect::<Vec<_>>(),
        "pub_date": doc.publication_date().map(|d| d.iso.clone()),
        "credit_authors": doc.credit_authors(),
        "css": asset("galley.css"),
        // Every static file of the theme by its name under static/, for
        // templates: {{ page.assets["logo.svg"] }}.
        "assets": assets,
        // 404.html is served at any depth: its links start from the site root.
        "root": root.clone().unwrap_or_default(),
        "js": asset("galley.js"),
        "site_name": doc.journal,
        "generator": format!("galley {}", info.version),
    }))
}

fn into_map(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The theme's page templates rendered with `page`. Every template of the
/// theme is loaded, so templates can include or extend one another; the
/// page is templates/article.html.
fn render_templates(
    theme: &Theme,
    page: &Value,
    sources: &mut SourceMap,
) -> Result<Pages, Diagnostic> {
    let mut tera = Tera::default();
    sandbox::install(&mut tera);
    tera.autoescape_on(vec![".html"]);
    tera.set_escape_fn(esc);
    // The page holds the whole document: its size bounds the output.
    let size: usize = sources.iter().map(|(_, t)| t.len()).sum();
    let mut origins = HashMap::new();
    for name in theme.names("templates", ".html") {
        let file = theme.get(&name, sources)?;
        let short = name.trim_start_matches("templates/").to_string();
        let origin = Origin {
            file: file.origin.clone(),
            offset: 0,
            text: file.text.clone(),
        };
        sandbox::add_cached(&mut tera, &short, &file.text, theme.cache())
            .map_err(|e| locate_error(&e, &origin, &format!("the template {short}")))?;
        origins.insert(short, origin);
    }
    let mut ctx = Context::new();
    ctx.insert("page", page);
    let render = |name: &str| {
        sandbox::render(&tera, name, &ctx, size).map_err(|e| {
            // Name the template the error happened in, if Tera says which.
            let chain = sandbox::error_chain(&e).join(" ");
            let culprit = origins
                .keys()
                .find(|k| *k != name && chain.contains(&format!("'{k}'")))
                .cloned();
            let origin = origins
                .get(culprit.as_deref().unwrap_or(name))
                .or_else(|| origins.values().next());
            match origin {
                Some(o) => locate_error(&e, o, &format!("the template {name}")),
                None => Diagnostic::error(format!("the theme has no templates/{name}")),
            }
        })
    };
    Ok(Pages {
        article: render("article.html")?,
        not_found: render("404.html")?,
    })
}

/// The pages of the site.
pub struct Pages {
    pub article: String,
    /// 404.html, for static hosts that serve it for missing pages.
    pub not_found: String,
}
