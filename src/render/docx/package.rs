//! The package: document, styles, numbering, footnotes, settings, footer,
//! images, properties and their relationships, zipped with every entry
//! dated 1980-01-01 so two builds give the same bytes.

use std::fmt::Write as _;
use std::io::Write as _;

use super::blocks::Par;
use super::esc;
use super::styles::{self, Reference, W};
use super::writer::{Rel, Writer};
use crate::diag::{Diagnostic, Diagnostics};
use crate::render::Job;

/// What the package holds besides its bytes.
pub struct Made {
    pub bytes: Vec<u8>,
    pub warnings: Diagnostics,
    pub images: usize,
}

const NAMESPACES: &str = "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\" xmlns:m=\"http://schemas.openxmlformats.org/officeDocument/2006/math\" xmlns:wp=\"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing\" xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" xmlns:pic=\"http://schemas.openxmlformats.org/drawingml/2006/picture\"";

const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const XML_HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";

/// Page width and height in twips of a Typst paper name (A4 for one
/// Word has no common size for).
fn page_size(paper: &str) -> (u32, u32) {
    match paper {
        "us-letter" => (12240, 15840),
        "us-legal" => (12240, 20160),
        "a5" => (8391, 11906),
        "a3" => (16838, 23811),
        _ => (11906, 16838),
    }
}

/// A relationships part.
fn rels(list: &[Rel]) -> String {
    let mut out = format!(
        "{XML_HEAD}<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    );
    for r in list {
        let _ = write!(
            out,
            "<Relationship Id=\"{}\" Type=\"{}\" Target=\"{}\"{}/>",
            r.id,
            r.kind,
            esc(&r.target),
            if r.external {
                " TargetMode=\"External\""
            } else {
                ""
            }
        );
    }
    out.push_str("</Relationships>");
    out
}

fn fixed(id: &str, kind: &str, target: &str) -> Rel {
    Rel {
        id: id.to_string(),
        kind: format!("{REL}/{kind}"),
        target: target.to_string(),
        external: false,
    }
}

/// docProps/core.xml: title, authors, keywords, language, date.
fn core(job: &Job) -> String {
    let doc = &job.assembled.doc;
    let authors: Vec<&str> = doc.authors.iter().map(|a| a.name.as_str()).collect();
    let mut out = format!(
        "{XML_HEAD}<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><dc:title>{}</dc:title><dc:creator>{}</dc:creator><cp:keywords>{}</cp:keywords><dc:language>{}</dc:language>",
        esc(&doc.title_text),
        esc(&authors.join("; ")),
        esc(&doc.keywords.join(", ")),
        esc(&doc.lang)
    );
    if let Some(d) = &doc.doi {
        let _ = write!(out, "<dc:identifier>doi:{}</dc:identifier>", esc(d));
    }
    if let Some((y, m, d)) = crate::render::pdf::typeset::document_date(doc) {
        let stamp = format!("{y:04}-{m:02}-{d:02}T00:00:00Z");
        let _ = write!(
            out,
            "<dcterms:created xsi:type=\"dcterms:W3CDTF\">{stamp}</dcterms:created><dcterms:modified xsi:type=\"dcterms:W3CDTF\">{stamp}</dcterms:modified>"
        );
    }
    out.push_str("</cp:coreProperties>");
    out
}

fn content_types(media: &[(String, Vec<u8>)], theme: bool) -> String {
    let mut out = format!(
        "{XML_HEAD}<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/>"
    );
    let mut exts: Vec<&str> = media
        .iter()
        .filter_map(|(n, _)| n.rsplit('.').next())
        .collect();
    exts.sort_unstable();
    exts.dedup();
    for e in exts {
        let ct = match e {
            "svg" => "image/svg+xml".to_string(),
            other => format!("image/{other}"),
        };
        let _ = write!(out, "<Default Extension=\"{e}\" ContentType=\"{ct}\"/>");
    }
    let wml = "application/vnd.openxmlformats-officedocument.wordprocessingml";
    let mut parts = vec![
        ("/word/document.xml", format!("{wml}.document.main+xml")),
        ("/word/styles.xml", format!("{wml}.styles+xml")),
        ("/word/numbering.xml", format!("{wml}.numbering+xml")),
        ("/word/footnotes.xml", format!("{wml}.footnotes+xml")),
        ("/word/settings.xml", format!("{wml}.settings+xml")),
        ("/word/footer1.xml", format!("{wml}.footer+xml")),
        (
            "/docProps/core.xml",
            "application/vnd.openxmlformats-package.core-properties+xml".into(),
        ),
        (
            "/docProps/app.xml",
            "application/vnd.openxmlformats-officedocument.extended-properties+xml".into(),
        ),
    ];
    if theme {
        parts.push((
            "/word/theme/theme1.xml",
            "application/vnd.openxmlformats-officedocument.theme+xml".into(),
        ));
    }
    for (p, ct) in parts {
        let _ = write!(out, "<Override PartName=\"{p}\" ContentType=\"{ct}\"/>");
    }
    out.push_str("</Types>");
    out
}

/// The document part's body: title block, sections, end matter, the
/// page setup.
fn document(w: &Writer, job: &Job) -> String {
    let doc = w.doc;
    let mut body = String::new();
    w.title_block(&mut body);
    let top = Par {
        headings: true,
        ..Par::default()
    };
    for s in &doc.sections {
        w.blocks(&mut body, &s.blocks, &top, 0);
    }
    w.end_matter(&mut body, &format!("galley {}", crate::VERSION));
    let (pw, ph) = page(job);
    format!(
        "{XML_HEAD}<w:document {NAMESPACES}><w:body>{body}<w:sectPr><w:footerReference w:type=\"default\" r:id=\"rFooter\"/><w:footnotePr><w:numFmt w:val=\"decimal\"/></w:footnotePr><w:pgSz w:w=\"{pw}\" w:h=\"{ph}\"/><w:pgMar w:top=\"1440\" w:right=\"1440\" w:bottom=\"1440\" w:left=\"1440\" w:header=\"708\" w:footer=\"708\" w:gutter=\"0\"/></w:sectPr></w:body></w:document>"
    )
}

/// The page the document is set on (the PDF's paper), in twips.
fn page(job: &Job) -> (u32, u32) {
    let paper = job
        .project
        .meta
        .pdf
        .as_ref()
        .and_then(|p| p.paper.as_ref())
        .map_or("a4", |p| p.name());
    page_size(paper)
}

/// The text width of the page, in twips (one-inch margins).
fn text_width(job: &Job) -> u32 {
    page(job).0 - 2 * 1440
}

pub fn package(job: &Job, reference: Option<&Reference>) -> Result<Made, Diagnostics> {
    let w = Writer::new(job, text_width(job));
    let document = document(&w, job);
    let doc_rels = std::mem::take(&mut w.st.borrow_mut().rels);
    let mut notes = format!(
        "{XML_HEAD}<w:footnotes {NAMESPACES}><w:footnote w:type=\"separator\" w:id=\"-1\"><w:p><w:pPr><w:spacing w:after=\"0\" w:line=\"240\" w:lineRule=\"auto\"/></w:pPr><w:r><w:separator/></w:r></w:p></w:footnote><w:footnote w:type=\"continuationSeparator\" w:id=\"0\"><w:p><w:pPr><w:spacing w:after=\"0\" w:line=\"240\" w:lineRule=\"auto\"/></w:pPr><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>"
    );
    w.footnotes(&mut notes);
    notes.push_str("</w:footnotes>");
    let note_rels = std::mem::take(&mut w.st.borrow_mut().rels);
    let st = w.st.into_inner();
    let theme = reference.and_then(|r| r.theme.clone());

    let mut doc_rels_all = vec![
        fixed("rStyles", "styles", "styles.xml"),
        fixed("rNumbering", "numbering", "numbering.xml"),
        fixed("rFootnotes", "footnotes", "footnotes.xml"),
        fixed("rSettings", "settings", "settings.xml"),
        fixed("rFooter", "footer", "footer1.xml"),
    ];
    if theme.is_some() {
        doc_rels_all.push(fixed("rTheme", "theme", "theme/theme1.xml"));
    }
    doc_rels_all.extend(doc_rels);
    let package_rels = vec![
        fixed("rDoc", "officeDocument", "word/document.xml"),
        Rel {
            id: "rCore".into(),
            kind: "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties".into(),
            target: "docProps/core.xml".into(),
            external: false,
        },
        fixed("rApp", "extended-properties", "docProps/app.xml"),
    ];
    let footer = format!(
        "{XML_HEAD}<w:ftr xmlns:w=\"{W}\"><w:p><w:pPr><w:pStyle w:val=\"Footer\"/></w:pPr><w:fldSimple w:instr=\" PAGE \"><w:r><w:t>1</w:t></w:r></w:fldSimple></w:p></w:ftr>"
    );
    let app = format!(
        "{XML_HEAD}<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\"><Application>{}</Application></Properties>",
        esc(&format!("galley {}", crate::VERSION))
    );
    let mut parts: Vec<(String, Vec<u8>)> = vec![
        (
            "[Content_Types].xml".into(),
            content_types(&st.media, theme.is_some()).into_bytes(),
        ),
        ("_rels/.rels".into(), rels(&package_rels).into_bytes()),
        ("docProps/core.xml".into(), core(job).into_bytes()),
        ("docProps/app.xml".into(), app.into_bytes()),
        ("word/document.xml".into(), document.into_bytes()),
        (
            "word/_rels/document.xml.rels".into(),
            rels(&doc_rels_all).into_bytes(),
        ),
        (
            "word/styles.xml".into(),
            styles::styles(reference, &w_lang(job)).into_bytes(),
        ),
        (
            "word/numbering.xml".into(),
            styles::numbering(&st.lists).into_bytes(),
        ),
        ("word/settings.xml".into(), styles::settings().into_bytes()),
        ("word/footnotes.xml".into(), notes.into_bytes()),
        (
            "word/_rels/footnotes.xml.rels".into(),
            rels(&note_rels).into_bytes(),
        ),
        ("word/footer1.xml".into(), footer.into_bytes()),
    ];
    if let Some(t) = theme {
        parts.push(("word/theme/theme1.xml".into(), t));
    }
    for (name, bytes) in st.media {
        parts.push((format!("word/media/{name}"), bytes));
    }
    let bytes = zip_parts(&parts).map_err(|e| {
        Diagnostics::from(Diagnostic::error(format!(
            "internal: cannot write the Word file: {e}"
        )))
    })?;
    Ok(Made {
        bytes,
        warnings: st.warnings,
        images: st.images,
    })
}

/// The document's language as Word writes it (`en-GB`).
fn w_lang(job: &Job) -> String {
    job.assembled.doc.lang.replace('_', "-")
}

/// The parts as a zip, in order, deflated, each dated 1980-01-01.
fn zip_parts(parts: &[(String, Vec<u8>)]) -> zip::result::ZipResult<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    for (name, bytes) in parts {
        // PNG and JPEG are compressed already.
        let stored = name.ends_with(".png") || name.ends_with(".jpeg") || name.ends_with(".gif");
        let o = if stored {
            options.compression_method(zip::CompressionMethod::Stored)
        } else {
            options
        };
        zip.start_file(name.as_str(), o)?;
        zip.write_all(bytes)?;
    }
    Ok(zip.finish()?.into_inner())
}
