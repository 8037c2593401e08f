//! The site renderer: index.html, 404.html, the article's BibTeX, the
//! datasets as JSON and CSV, and the files pages load (theme assets,
//! figures, images), named plainly or by their contents.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{article_bibtex, fingerprint, render_page, DataLink, PageInfo};
use crate::diag::{Diagnostic, Diagnostics, SourceMap};
use crate::render::{Job, Naming, OutFile, Rendered, Renderer};

/// The HTML site.
#[derive(Default)]
pub struct Site;

impl Renderer for Site {
    fn name(&self) -> &'static str {
        "site"
    }

    fn render(&mut self, job: &Job, sources: &mut SourceMap) -> Result<Rendered, Diagnostics> {
        let doc = &job.assembled.doc;
        let mut files = Vec::new();
        let bib_file = format!("{}.bib", doc.slug);
        let data_files = data_files(job, &mut files);
        let urls = linked_files(job, &mut files)?;
        let info = PageInfo {
            pdf_file: job.pdf_link.map(str::to_string),
            jats_file: job.jats_link.map(str::to_string),
            docx_file: job.docx_link.map(str::to_string),
            bib_file: bib_file.clone(),
            data_files,
            base_url: job.base_url.map(str::to_string),
            urls,
            bibliography: &job.assembled.bibliography,
            version: crate::VERSION,
        };
        let page = render_page(doc, &info, job.theme, sources).map_err(Diagnostics::from)?;
        files.push(OutFile::new("index.html", page.article.into_bytes()));
        files.push(OutFile::new("404.html", page.not_found.into_bytes()));
        files.push(OutFile::new(&bib_file, article_bibtex(doc).into_bytes()));
        Ok(Rendered {
            files,
            ..Rendered::default()
        })
    }
}

/// Every dataset as JSON, and as CSV where it has that shape.
fn data_files(job: &Job, files: &mut Vec<OutFile>) -> Vec<DataLink> {
    let mut links = Vec::new();
    for (stem, value) in &job.project.data {
        let json_path = format!("data/{stem}.json");
        let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
        text.push('\n');
        files.push(OutFile::new(&json_path, text.into_bytes()));
        let mut csv_path = None;
        if let Some(csv) = to_csv(value) {
            let p = format!("data/{stem}.csv");
            files.push(OutFile::new(&p, csv.into_bytes()));
            csv_path = Some(p);
        }
        links.push(DataLink {
            name: stem.clone(),
            json: json_path,
            csv: csv_path,
        });
    }
    links
}

/// Theme assets, figures and images: the files pages load, which may be
/// renamed by their contents. Returns each one's site path → published path.
fn linked_files(
    job: &Job,
    files: &mut Vec<OutFile>,
) -> Result<BTreeMap<String, String>, Diagnostics> {
    let mut linked: BTreeMap<String, Vec<u8>> = job
        .assets
        .iter()
        .map(|a| (format!("assets/{}", a.name), a.bytes.clone()))
        .collect();
    for (path, svg) in job.assembled.doc.svg_figures() {
        linked.entry(path).or_insert_with(|| svg.into_bytes());
    }
    for (img, bytes) in job.images {
        let rel = img.strip_prefix("manuscript/").unwrap_or(img);
        // A PDF figure: the page shows the SVG of its first page (the PDF
        // itself is not published: nothing links to it).
        if !rel.to_ascii_lowercase().ends_with(".pdf") {
            linked
                .entry(rel.to_string())
                .or_insert_with(|| bytes.clone());
        } else {
            let svg = crate::render::pdf::convert::pdf_to_svg(bytes, img).map_err(|e| {
                Diagnostics::from(
                    Diagnostic::error(format!("cannot draw the PDF figure for the site: {e}"))
                        .in_file(img.as_str()),
                )
            })?;
            linked.insert(format!("{rel}.svg"), svg.into_bytes());
        }
    }
    let mut urls = BTreeMap::new();
    match job.naming {
        Naming::Plain => {
            for (path, bytes) in linked {
                urls.insert(path.clone(), path.clone());
                files.push(OutFile::new(&path, bytes));
            }
        }
        Naming::Hashed => {
            for (path, (new, bytes)) in fingerprint::rename(linked).files {
                files.push(OutFile::new(&new, bytes));
                urls.insert(path, new);
            }
        }
    }
    Ok(urls)
}

/// A list of maps as CSV (nested values JSON-encoded); a single map as one
/// row. Other shapes have no CSV form.
fn to_csv(v: &Value) -> Option<String> {
    let rows: Vec<&serde_json::Map<String, Value>> = match v {
        Value::Array(a) if !a.is_empty() && a.iter().all(Value::is_object) => {
            a.iter().filter_map(Value::as_object).collect()
        }
        Value::Object(m) => vec![m],
        _ => return None,
    };
    let mut headers: Vec<&str> = Vec::new();
    for r in &rows {
        for k in r.keys() {
            if !headers.contains(&k.as_str()) {
                headers.push(k);
            }
        }
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&headers).ok()?;
    for r in &rows {
        let rec: Vec<String> = headers
            .iter()
            .map(|h| match r.get(*h) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                Some(Value::Bool(b)) => b.to_string(),
                Some(other) => other.to_string(),
            })
            .collect();
        w.write_record(&rec).ok()?;
    }
    String::from_utf8(w.into_inner().ok()?).ok()
}
