//! The build pipeline shared by every command: load → assemble → check →
//! render → write.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::checks;
use crate::diag::{Diagnostic, Diagnostics, Failure, SourceMap};
use crate::document::{assemble, Assembled};
use crate::html;
use crate::model::{Block, FigureBody};
use crate::output::{self, OutFile};
use crate::project::Project;
use crate::theme::Theme;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Debug, Clone)]
pub struct Options {
    pub root: PathBuf,
    pub out: PathBuf,
    pub html: bool,
    pub force: bool,
    pub base_url: Option<String>,
}

/// A successful run.
pub struct Report {
    pub warnings: Diagnostics,
    pub sources: SourceMap,
    pub files: Vec<String>,
    pub seconds: f64,
}

/// Everything `check` does: load, assemble, validate. Writes nothing.
pub fn check(root: &Path) -> Result<(Project, Assembled, Diagnostics), Failure> {
    let project = Project::load(root)?;
    let assembled = assemble(&project)?;
    let mut warnings = assembled.warnings.clone();
    let extra = checks::run(&project, &assembled.doc);
    warnings.extend(extra);
    if warnings.has_errors() {
        return Err(Failure {
            diags: warnings,
            sources: assembled.sources.clone(),
        });
    }
    Ok((project, assembled, warnings))
}

/// Build the site into `opts.out`, atomically replacing what was there.
pub fn build(opts: &Options) -> Result<Report, Failure> {
    let start = Instant::now();
    if let Err(d) = output::check_out_dir(&opts.root, &opts.out, opts.force) {
        return Err(Failure {
            diags: d.into(),
            sources: SourceMap::default(),
        });
    }
    let (project, assembled, warnings) = check(&opts.root)?;
    let mut sources = assembled.sources.clone();
    let files = match render(&project, &assembled, opts, &mut sources) {
        Ok(f) => f,
        Err(d) => return Err(Failure { diags: d, sources }),
    };
    let names: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
    if let Err(d) = output::write_atomically(&opts.out, &files) {
        return Err(Failure {
            diags: d.into(),
            sources,
        });
    }
    Ok(Report {
        warnings,
        sources,
        files: names,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Every output file, in memory.
pub fn render(
    project: &Project,
    a: &Assembled,
    opts: &Options,
    sources: &mut SourceMap,
) -> Result<Vec<OutFile>, Diagnostics> {
    let doc = &a.doc;
    let theme = Theme::new(&project.root);
    let mut files = Vec::new();
    let bib_file = format!("{}.bib", doc.slug);
    let mut data_links = Vec::new();
    for (stem, value) in &project.data {
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
        data_links.push(html::DataLink {
            name: stem.clone(),
            json: json_path,
            csv: csv_path,
        });
    }
    let base_url = opts
        .base_url
        .clone()
        .or_else(|| project.meta.base_url.clone());
    let info = html::PageInfo {
        pdf_file: None,
        bib_file: bib_file.clone(),
        data_files: data_links,
        base_url,
        bibliography: &a.bibliography,
        version: VERSION,
    };
    let page = html::render_page(doc, &info, &theme, sources).map_err(Diagnostics::from)?;
    files.push(OutFile::new("index.html", page.into_bytes()));
    files.push(OutFile::new(
        &bib_file,
        html::article_bibtex(doc).into_bytes(),
    ));
    for (name, bytes) in theme.static_files().map_err(Diagnostics::from)? {
        files.push(OutFile::new(&format!("assets/{name}"), bytes));
    }
    for fig in figures(doc) {
        files.push(OutFile::new(&fig.0, fig.1.into_bytes()));
    }
    for img in &a.images {
        let rel = img.strip_prefix("manuscript/").unwrap_or(img);
        let bytes = std::fs::read(project.root.join(img)).map_err(|e| {
            Diagnostics::from(Diagnostic::error(format!("cannot read image: {e}")).in_file(img))
        })?;
        files.push(OutFile::new(rel, bytes));
    }
    files.push(OutFile::new(
        "manifest.json",
        manifest(sources).into_bytes(),
    ));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    Ok(files)
}

fn figures(doc: &crate::model::Document) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for s in &doc.sections {
        for b in &s.blocks {
            if let Block::Figure(f) = b {
                if let FigureBody::Svg { svg, file } = &f.body {
                    out.push((file.clone(), svg.clone()));
                }
            }
        }
    }
    out
}

/// manifest.json: tool version and a hash of every input.
fn manifest(sources: &SourceMap) -> String {
    let inputs: Vec<Value> = sources
        .iter()
        .filter(|(p, _)| !p.to_string_lossy().starts_with('<'))
        .map(|(p, text)| {
            let digest = Sha256::digest(text.as_bytes());
            json!({"path": p.to_string_lossy().replace('\\', "/"), "sha256": hex(&digest)})
        })
        .collect();
    let v = json!({"generator": "galley", "version": VERSION, "inputs": inputs});
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
