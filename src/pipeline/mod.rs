//! The build pipeline shared by every command: load → assemble → check →
//! render → write.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::assemble::checks;
use crate::assemble::document::{assemble, Assembled};
use crate::diag::{Diagnostic, Diagnostics, Failure, SourceMap};
use crate::load::project::Project;
use crate::load::theme::Theme;
use crate::model::{Block, FigureBody};
use crate::render::html;
use crate::site::fingerprint::hex;
use crate::site::output::{self, OutFile};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Debug, Clone)]
pub struct Options {
    pub root: PathBuf,
    pub out: PathBuf,
    /// Write the site (index.html, assets, data, figures).
    pub html: bool,
    /// Write the PDF.
    pub pdf: bool,
    pub force: bool,
    pub base_url: Option<String>,
    /// Also write the generated Typst source and its files here (for
    /// comparing with a bare `typst compile`).
    pub emit_typst: Option<PathBuf>,
}

/// How the site names its theme assets, figures and images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Naming {
    /// As in the theme and the manuscript (`assets/galley.css`).
    #[default]
    Plain,
    /// With a hash of the contents (`assets/galley.3f9c0a1b2d.css`), so a
    /// static host can let browsers cache them forever.
    Hashed,
}

/// Wall time of named stages, in seconds.
pub type Timings = Vec<(&'static str, f64)>;

/// A successful run.
pub struct Report {
    pub warnings: Diagnostics,
    /// Wall time of each stage, in order (seconds).
    pub timings: Timings,
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

/// Everything `build` does but writing: every validation, and the outputs
/// rendered in memory.
pub fn prepare(opts: &Options) -> Result<(Vec<OutFile>, Report), Failure> {
    let start = Instant::now();
    let (project, assembled, warnings) = check(&opts.root)?;
    prepare_checked(&project, &assembled, warnings, opts, Naming::Plain, start)
}

/// The rendering half of [`prepare`], for a project `check` accepted.
pub fn prepare_checked(
    project: &Project,
    assembled: &Assembled,
    mut warnings: Diagnostics,
    opts: &Options,
    naming: Naming,
    start: Instant,
) -> Result<(Vec<OutFile>, Report), Failure> {
    let mut timings = vec![("load + assemble", start.elapsed().as_secs_f64())];
    let mut sources = assembled.sources.clone();
    let rendering = Instant::now();
    let rendered = render_named(project, assembled, opts, naming, &mut sources);
    let (files, pdf_warnings, pdf_times) = match rendered {
        Ok(f) => f,
        Err(d) => return Err(Failure { diags: d, sources }),
    };
    timings.push((
        "render (site and PDF in parallel)",
        rendering.elapsed().as_secs_f64(),
    ));
    timings.extend(pdf_times);
    warnings.extend(pdf_warnings);
    let names = files.iter().map(|f| f.path.clone()).collect();
    let report = Report {
        warnings,
        timings,
        sources,
        files: names,
        seconds: start.elapsed().as_secs_f64(),
    };
    Ok((files, report))
}

/// Build into `opts.out`, atomically replacing what was there.
pub fn build(opts: &Options) -> Result<Report, Failure> {
    let start = Instant::now();
    output::clean_strays(&opts.out);
    if let Err(d) = output::check_out_dir(&opts.root, &opts.out, opts.force) {
        return Err(Failure {
            diags: d.into(),
            sources: SourceMap::default(),
        });
    }
    let (mut files, mut report) = prepare(opts)?;
    let writing = Instant::now();
    // Building one output keeps the other from the previous build.
    let keep = !(opts.html && opts.pdf);
    let written = (|| {
        let inputs = report.sources.iter().map(|(p, _)| p.as_path());
        output::check_no_sources(&opts.root, &opts.out, inputs)?;
        let kept = if keep {
            output::kept_files(&opts.out, &files)?
        } else {
            Vec::new()
        };
        output::list_outputs(&mut files, &kept);
        // Again, just before replacing it: the folder may have changed
        // while the outputs were rendered.
        output::check_out_dir(&opts.root, &opts.out, opts.force)?;
        output::write_atomically(&opts.out, &files, keep)
    })();
    if let Err(d) = written {
        return Err(Failure {
            diags: d.into(),
            sources: report.sources,
        });
    }
    report
        .timings
        .push(("write", writing.elapsed().as_secs_f64()));
    report.seconds = start.elapsed().as_secs_f64();
    Ok(report)
}

/// Every output file, in memory, and the PDF engine's warnings.
pub fn render(
    project: &Project,
    a: &Assembled,
    opts: &Options,
    sources: &mut SourceMap,
) -> Result<(Vec<OutFile>, Diagnostics, Timings), Diagnostics> {
    render_named(project, a, opts, Naming::Plain, sources)
}

/// [`render`], with assets, figures and images named as `naming` says.
pub fn render_named(
    project: &Project,
    a: &Assembled,
    opts: &Options,
    naming: Naming,
    sources: &mut SourceMap,
) -> Result<(Vec<OutFile>, Diagnostics, Timings), Diagnostics> {
    let doc = &a.doc;
    let theme = Theme::new(&project.root);
    let pdf_file = format!("{}.pdf", doc.slug);
    let images = a
        .images
        .iter()
        .map(|img| Ok((img.clone(), read_image(project, img)?)))
        .collect::<Result<Vec<_>, Diagnostics>>()?;
    let assets = theme.static_files().map_err(Diagnostics::from)?;
    // The PDF's inputs are gathered first; it then typesets on its own
    // thread while the site renders.
    let pdf_world = if opts.pdf {
        Some(pdf_world(
            project,
            a,
            &theme,
            &images,
            opts.emit_typst.as_deref(),
            sources,
        )?)
    } else {
        None
    };
    let creator = format!("galley {VERSION} (Typst 0.15.1)");
    let standard = pdf_standard(project);
    let (site, pdf) = std::thread::scope(|scope| {
        let pdf_job = pdf_world.as_ref().map(|world| {
            scope.spawn(|| crate::render::pdf::render(world, &doc.slug, &creator, &standard))
        });
        let site = if opts.html {
            render_site(
                project,
                a,
                opts,
                Linked {
                    images: &images,
                    assets: &assets,
                    naming,
                },
                sources,
                // A site built alone still links the PDF kept from before.
                (opts.pdf || opts.out.join(&pdf_file).is_file()).then(|| pdf_file.clone()),
            )
        } else {
            Ok(Vec::new())
        };
        let pdf = pdf_job.map(|j| {
            j.join()
                .unwrap_or_else(|_| Err(Diagnostic::error("the PDF engine crashed").into()))
        });
        (site, pdf)
    });
    let mut files = site?;
    let mut warnings = Diagnostics::new();
    let mut times = Vec::new();
    if let Some(pdf) = pdf {
        let out =
            pdf.map_err(|d| crate::load::images::locate_errors(d, &a.images, &a.image_refs))?;
        warnings.extend(out.warnings);
        times.push(("  PDF: Typst layout", out.compile_seconds));
        times.push(("  PDF: export", out.export_seconds));
        files.push(OutFile::new(&pdf_file, out.bytes));
    }
    files.push(OutFile::new(
        "manifest.json",
        manifest(sources, &images, &assets).into_bytes(),
    ));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    Ok((files, warnings, times))
}

/// The first half of a `serve` rebuild: the site, in memory, linking the
/// PDF that follows from [`SiteStage::pdf`].
pub struct SiteStage {
    pub project: Project,
    pub assembled: Assembled,
    pub warnings: Diagnostics,
    pub sources: SourceMap,
    pub images: Vec<(String, Vec<u8>)>,
    pub files: Vec<OutFile>,
    pub pdf_file: String,
}

/// Load, assemble, check and render the site (not the PDF).
pub fn site_stage(opts: &Options) -> Result<SiteStage, Failure> {
    let (project, assembled, warnings) = check(&opts.root)?;
    let mut sources = assembled.sources.clone();
    let pdf_file = format!("{}.pdf", assembled.doc.slug);
    let rendered = (|| {
        let images = assembled
            .images
            .iter()
            .map(|img| Ok((img.clone(), read_image(&project, img)?)))
            .collect::<Result<Vec<_>, Diagnostics>>()?;
        let assets = Theme::new(&project.root)
            .static_files()
            .map_err(Diagnostics::from)?;
        let files = render_site(
            &project,
            &assembled,
            opts,
            Linked {
                images: &images,
                assets: &assets,
                naming: Naming::Plain,
            },
            &mut sources,
            Some(pdf_file.clone()),
        )?;
        Ok((images, files))
    })();
    let (images, files) = rendered.map_err(|diags| Failure {
        diags,
        sources: sources.clone(),
    })?;
    Ok(SiteStage {
        project,
        assembled,
        warnings,
        sources,
        images,
        files,
        pdf_file,
    })
}

impl SiteStage {
    /// The Typst world of this build (to compile, or to update a kept one).
    pub fn pdf_world(&mut self) -> Result<crate::render::pdf::GalleyWorld, Failure> {
        let theme = Theme::new(&self.project.root);
        pdf_world(
            &self.project,
            &self.assembled,
            &theme,
            &self.images,
            None,
            &mut self.sources,
        )
        .map_err(|diags| Failure {
            diags,
            sources: self.sources.clone(),
        })
    }

    /// Compile and export the PDF of `world` (this build's, or a kept world
    /// updated to it).
    pub fn pdf(
        &self,
        world: &crate::render::pdf::GalleyWorld,
    ) -> Result<crate::render::pdf::PdfOutput, Failure> {
        let creator = format!("galley {VERSION} (Typst 0.15.1)");
        crate::render::pdf::render(
            world,
            &self.assembled.doc.slug,
            &creator,
            &pdf_standard(&self.project),
        )
        .map_err(|diags| Failure {
            diags: crate::load::images::locate_errors(
                diags,
                &self.assembled.images,
                &self.assembled.image_refs,
            ),
            sources: self.sources.clone(),
        })
    }
}

fn pdf_standard(project: &Project) -> String {
    project
        .meta
        .pdf
        .as_ref()
        .and_then(|p| p.standard)
        .map_or("ua-1", |s| s.name())
        .to_string()
}

/// The Typst world for the document: generated source, theme template,
/// figures and images.
pub fn pdf_world(
    project: &Project,
    a: &Assembled,
    theme: &Theme,
    image_files: &[(String, Vec<u8>)],
    emit: Option<&Path>,
    sources: &mut SourceMap,
) -> Result<crate::render::pdf::GalleyWorld, Diagnostics> {
    let doc = &a.doc;
    // Every Typst file of the theme, so templates can import one another.
    let mut files = Vec::new();
    for name in theme.names("typst", ".typ") {
        let file = theme.get(&name, sources).map_err(Diagnostics::from)?;
        files.push(crate::render::pdf::InFile {
            vpath: format!("/theme/{name}"),
            bytes: file.text.into_bytes(),
            origin: file.origin,
        });
    }
    for (path, svg) in figures(doc) {
        files.push(crate::render::pdf::InFile {
            vpath: format!("/{path}"),
            bytes: svg.into_bytes(),
            origin: PathBuf::from(path),
        });
    }
    let mut images = std::collections::HashMap::new();
    for (img, bytes) in image_files {
        let bytes = bytes.clone();
        let src = img.strip_prefix("manuscript/").unwrap_or(img).to_string();
        let vpath = format!("/images/{src}");
        images.insert(src, vpath.clone());
        files.push(crate::render::pdf::InFile {
            vpath,
            bytes,
            origin: PathBuf::from(img),
        });
    }
    let spec = project.meta.pdf.clone().unwrap_or_default();
    let main = crate::render::pdf::typeset::main_source(
        doc,
        &images,
        spec.paper.as_deref().unwrap_or("a4"),
        spec.font_size.unwrap_or(10.0),
        spec.columns.unwrap_or(1).max(1),
        &format!("galley {VERSION}"),
    );
    if let Some(dir) = emit {
        crate::render::pdf::emit_typst(dir, &main, &files).map_err(Diagnostics::from)?;
    }
    crate::render::pdf::GalleyWorld::new(
        main,
        files,
        crate::render::pdf::typeset::document_date(doc),
    )
    .map_err(Diagnostics::from)
}

fn read_image(project: &Project, img: &str) -> Result<Vec<u8>, Diagnostics> {
    crate::cache::read_file(&project.root.join(img)).map_err(|e| {
        Diagnostics::from(Diagnostic::error(format!("cannot read image: {e}")).in_file(img))
    })
}

/// The files pages load besides the document's own, and how to name them.
struct Linked<'a> {
    images: &'a [(String, Vec<u8>)],
    assets: &'a [crate::load::theme::Asset],
    naming: Naming,
}

/// The site's files.
fn render_site(
    project: &Project,
    a: &Assembled,
    opts: &Options,
    linked_files: Linked,
    sources: &mut SourceMap,
    pdf_file: Option<String>,
) -> Result<Vec<OutFile>, Diagnostics> {
    let Linked {
        images,
        assets,
        naming,
    } = linked_files;
    let doc = &a.doc;
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
    // Theme assets, figures and images: the files pages load, which may be
    // renamed by their contents.
    let mut linked: std::collections::BTreeMap<String, Vec<u8>> = assets
        .iter()
        .map(|a| (format!("assets/{}", a.name), a.bytes.clone()))
        .collect();
    for (path, svg) in figures(doc) {
        linked.entry(path).or_insert_with(|| svg.into_bytes());
    }
    for (img, bytes) in images {
        let rel = img.strip_prefix("manuscript/").unwrap_or(img);
        linked
            .entry(rel.to_string())
            .or_insert_with(|| bytes.clone());
    }
    let mut urls = std::collections::BTreeMap::new();
    match naming {
        Naming::Plain => {
            for (path, bytes) in linked {
                urls.insert(path.clone(), path.clone());
                files.push(OutFile::new(&path, bytes));
            }
        }
        Naming::Hashed => {
            for (path, (new, bytes)) in crate::site::fingerprint::rename(linked).files {
                files.push(OutFile::new(&new, bytes));
                urls.insert(path, new);
            }
        }
    }
    let base_url = opts
        .base_url
        .clone()
        .or_else(|| project.meta.base_url.clone());
    let info = html::PageInfo {
        pdf_file,
        bib_file: bib_file.clone(),
        data_files: data_links,
        base_url,
        urls,
        bibliography: &a.bibliography,
        version: VERSION,
    };
    let page = html::render_page(doc, &info, &Theme::new(&project.root), sources)
        .map_err(Diagnostics::from)?;
    files.push(OutFile::new("index.html", page.article.into_bytes()));
    files.push(OutFile::new("404.html", page.not_found.into_bytes()));
    files.push(OutFile::new(
        &bib_file,
        html::article_bibtex(doc).into_bytes(),
    ));
    Ok(files)
}

fn figures(doc: &crate::model::Document) -> Vec<(String, String)> {
    let mut out = Vec::new();
    doc.visit(&mut |b| {
        if let Block::Figure(f) = b {
            if let FigureBody::Svg { svg, file } = &f.body {
                out.push((file.clone(), svg.clone()));
            }
        }
    });
    out
}

/// manifest.json: tool version and a hash of every input (text sources,
/// images, the project's theme assets).
fn manifest(
    sources: &SourceMap,
    images: &[(String, Vec<u8>)],
    assets: &[crate::load::theme::Asset],
) -> String {
    let mut all: Vec<(String, &[u8])> = sources
        .iter()
        .filter(|(p, _)| !p.to_string_lossy().starts_with('<'))
        .map(|(p, text)| (p.to_string_lossy().replace('\\', "/"), text.as_bytes()))
        .collect();
    all.extend(images.iter().map(|(p, b)| (p.clone(), b.as_slice())));
    all.extend(
        assets
            .iter()
            .filter_map(|a| a.origin.as_ref().map(|o| (o.clone(), a.bytes.as_slice()))),
    );
    all.sort();
    all.dedup_by(|a, b| a.0 == b.0);
    let inputs: Vec<Value> = all
        .iter()
        .map(|(p, bytes)| json!({"path": p, "sha256": hex(&Sha256::digest(bytes))}))
        .collect();
    let v = json!({"generator": "galley", "version": VERSION, "inputs": inputs});
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
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
