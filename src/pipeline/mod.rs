//! The build: one [`Build`] value owns the stages (load → assemble →
//! check → render → write) and every command drives it: `build` writes
//! it, `check` renders it in memory, `serve` keeps one across rebuilds
//! (with its [`Cache`] and renderers), `publish` renders it for a host.

mod manifest;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use crate::assemble::checks;
use crate::assemble::{assemble, Assembled};
use crate::cache::Cache;
use crate::diag::{Diagnostic, Diagnostics, Failure, SourceMap};
use crate::load::project::Project;
use crate::load::theme::{Asset, Theme};
use crate::render::{Format, Job, Naming, OutFile, Renderer, Timings};
use crate::site::output;

/// A build of one project: where it is, what to make, how to name and link
/// it, and the cache and renderers it keeps.
pub struct Build {
    pub root: PathBuf,
    /// Where [`Build::write`] puts the outputs (and where a site built
    /// alone finds an earlier build's PDF to link).
    pub out: PathBuf,
    pub naming: Naming,
    /// The URL the site is served from (else manuscript.yaml's `base_url`).
    pub base_url: Option<String>,
    /// Also write the PDF's generated Typst source and files here.
    pub emit_typst: Option<PathBuf>,
    /// Told what the build is doing, for a progress display.
    pub on_step: Option<OnStep>,
    cache: Cache,
    /// The renderers live across runs (`serve`).
    kept: bool,
    renderers: Vec<(Format, Box<dyn Renderer>)>,
}

/// What a build is doing, as it goes.
#[derive(Clone, Copy, Debug)]
pub enum Step<'a> {
    /// Loading, assembling and checking the project.
    Assembling,
    /// Rendering these outputs (by their names), in parallel.
    Rendering(&'a [&'static str]),
    /// This output is rendered.
    Rendered(&'static str),
    /// Writing the outputs.
    Writing,
}

/// Where a build reports its [`Step`]s (from any of its threads).
pub type OnStep = Arc<dyn Fn(Step) + Send + Sync>;

/// A project that loaded, assembled and passed every check, with the
/// files its outputs load besides the document.
pub struct Checked {
    pub project: Project,
    pub assembled: Assembled,
    pub warnings: Diagnostics,
    /// The manuscript's images: (project-relative path, bytes).
    pub images: Images,
    /// The theme's static files.
    pub assets: Vec<Asset>,
    /// The theme's fonts (theme/fonts/), for the PDF.
    pub fonts: Vec<Asset>,
    /// theme/reference.docx, whose styles the Word file takes.
    pub word_reference: Option<Asset>,
    started: Instant,
    seconds: f64,
}

/// A successful run.
pub struct Report {
    pub warnings: Diagnostics,
    /// Wall time of each stage, in order (seconds).
    pub timings: Timings,
    pub sources: SourceMap,
    pub files: Vec<String>,
    pub seconds: f64,
    /// What each renderer made, in the order of [`Format::ALL`].
    pub made: Vec<Made>,
}

/// What one renderer made, for the terminal and `serve`.
pub struct Made {
    pub format: Format,
    /// The output's name for users ("site", "PDF").
    pub name: &'static str,
    /// Its main file (`paper.pdf`; the site's is `index.html`).
    pub file: String,
    /// Its files and their bytes in all.
    pub files: usize,
    pub bytes: u64,
    /// Nothing it is made of changed since the last build.
    pub unchanged: bool,
    /// What it made ("12 pages").
    pub summary: Option<String>,
    /// The digest of what it is made of, for the next build to reuse it.
    pub inputs: Option<String>,
}

impl Made {
    /// What the renderer of `format` made in `r` (its summary taken).
    fn of(
        renderers: &[(Format, Box<dyn Renderer>)],
        format: Format,
        slug: &str,
        r: &mut crate::render::Rendered,
    ) -> Made {
        let renderer = renderers.iter().find(|(f, _)| *f == format);
        Made {
            format,
            name: renderer.map_or("", |(_, x)| x.name()),
            file: renderer
                .and_then(|(_, x)| x.main_file(slug))
                .unwrap_or_else(|| "index.html".into()),
            files: r.files.len(),
            bytes: r.files.iter().map(|f| f.bytes.len() as u64).sum(),
            unchanged: r.unchanged,
            summary: r.summary.take(),
            inputs: r.inputs.take(),
        }
    }
}

/// Rendered outputs, in memory.
pub struct Built {
    pub files: Vec<OutFile>,
    pub report: Report,
}

impl Build {
    /// A build of the project at `root` into `root/public`, of every
    /// format, with no cache.
    pub fn new(root: PathBuf) -> Build {
        let out = root.join("public");
        Build {
            root,
            out,
            naming: Naming::Plain,
            base_url: None,
            emit_typst: None,
            on_step: None,
            cache: Cache::off(),
            kept: false,
            renderers: renderers(&Format::ALL, false),
        }
    }

    /// Make only these formats.
    pub fn formats(mut self, formats: &[Format]) -> Build {
        self.renderers.retain(|(f, _)| formats.contains(f));
        self
    }

    /// Keep results in `cache` and the renderers' work between runs
    /// (`serve`).
    pub fn kept(mut self, cache: Cache) -> Build {
        let formats: Vec<Format> = self.renderers.iter().map(|(f, _)| *f).collect();
        self.cache = cache;
        self.kept = true;
        self.renderers = renderers(&formats, true);
        self
    }

    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// Forget what the renderers kept (after a crash left it half-updated).
    pub fn restart_renderers(&mut self) {
        let formats: Vec<Format> = self.renderers.iter().map(|(f, _)| *f).collect();
        self.renderers = renderers(&formats, self.kept);
    }

    /// The formats this build makes.
    pub fn made(&self) -> Vec<Format> {
        self.renderers.iter().map(|(f, _)| *f).collect()
    }

    fn step(&self, step: Step) {
        if let Some(f) = &self.on_step {
            f(step);
        }
    }

    /// Stop this build's templates at their next step once `flag` is set
    /// (`serve`: a newer edit supersedes the rebuild), for this thread.
    pub fn cancel_on(&self, flag: Arc<AtomicBool>) {
        crate::assemble::sandbox::set_cancel(Some(flag));
    }

    /// Load, assemble and check the project. Writes nothing.
    pub fn check(&self) -> Result<Checked, Failure> {
        let started = Instant::now();
        self.step(Step::Assembling);
        let project = Project::load(&self.root, &self.cache)?;
        let assembled = assemble(&project)?;
        let mut warnings = assembled.warnings.clone();
        warnings.extend(checks::run(&project, &assembled.doc));
        if warnings.has_errors() {
            return Err(Failure {
                diags: warnings,
                sources: assembled.sources.clone(),
            });
        }
        let (images, assets) = linked_inputs(&project, &assembled)?;
        let theme = Theme::new(&project.root, &project.cache);
        let (fonts, word_reference) = theme
            .fonts()
            .and_then(|f| Ok((f, theme.word_reference()?)))
            .map_err(|d| Failure {
                diags: d.into(),
                sources: assembled.sources.clone(),
            })?;
        Ok(Checked {
            project,
            assembled,
            warnings,
            images,
            assets,
            fonts,
            word_reference,
            started,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// Everything but writing: check, then every output and manifest.json,
    /// in memory.
    pub fn run(&mut self) -> Result<Built, Failure> {
        let checked = self.check()?;
        self.complete(checked)
    }

    /// Every output of a checked project and manifest.json, in memory.
    pub fn complete(&mut self, checked: Checked) -> Result<Built, Failure> {
        let rendered = self.render(&checked, &self.made())?;
        let Built {
            mut files,
            mut report,
        } = rendered;
        files.push(OutFile::new(
            output::MANIFEST_FILE,
            manifest::manifest(
                &manifest::reusable(&report.made, &files),
                &report.sources,
                &checked.images,
                &checked
                    .assets
                    .iter()
                    .chain(&checked.fonts)
                    .chain(&checked.word_reference)
                    .collect::<Vec<_>>(),
            )
            .into_bytes(),
        ));
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files.dedup_by(|a, b| a.path == b.path);
        let mut timings: Timings = vec![("load + assemble".into(), checked.seconds)];
        timings.append(&mut report.timings);
        report.timings = timings;
        report.files = files.iter().map(|f| f.path.clone()).collect();
        report.seconds = checked.started.elapsed().as_secs_f64();
        Ok(Built { files, report })
    }

    /// The outputs of `formats` only (`serve` makes the site, then the
    /// others), without manifest.json.
    pub fn render(&mut self, checked: &Checked, formats: &[Format]) -> Result<Built, Failure> {
        let slug = &checked.assembled.doc.slug;
        // A site built alone still links the PDF (and the XML) kept from
        // before.
        let link = |format: Format, ext: &str| {
            self.renderers
                .iter()
                .filter(|(f, _)| *f == format)
                .find_map(|(_, r)| r.main_file(slug))
                .or_else(|| {
                    let kept = format!("{slug}.{ext}");
                    self.out.join(&kept).is_file().then_some(kept)
                })
        };
        let pdf_link = link(Format::Pdf, "pdf");
        let jats_link = link(Format::Jats, "xml");
        let docx_link = link(Format::Docx, "docx");
        let theme = Theme::new(&checked.project.root, &self.cache);
        let reuse = crate::render::reuse::Reuse::read(
            &self.out,
            &self.out.join(crate::site::output::MANIFEST_FILE),
        );
        let base_url = self
            .base_url
            .clone()
            .or_else(|| checked.project.meta.base_url.clone());
        let job = Job {
            project: &checked.project,
            assembled: &checked.assembled,
            theme: &theme,
            images: &checked.images,
            assets: &checked.assets,
            fonts: &checked.fonts,
            word_reference: checked.word_reference.as_ref(),
            naming: self.naming,
            base_url: base_url.as_deref(),
            pdf_link: pdf_link.as_deref(),
            jats_link: jats_link.as_deref(),
            docx_link: docx_link.as_deref(),
            emit_typst: self.emit_typst.as_deref(),
            reuse: &reuse,
        };
        let mut sources = checked.assembled.sources.clone();
        let on_step = self.on_step.clone();
        let mut selected: Vec<&mut Box<dyn Renderer>> = self
            .renderers
            .iter_mut()
            .filter(|(f, _)| formats.contains(f))
            .map(|(_, r)| r)
            .collect();
        for r in selected.iter_mut() {
            if let Err(diags) = r.prepare(&job, &mut sources) {
                return Err(Failure { diags, sources });
            }
        }
        let rendering = Instant::now();
        let names: Vec<&'static str> = selected.iter().map(|r| r.name()).collect();
        if let Some(f) = &on_step {
            f(Step::Rendering(&names));
        }
        let results = render_parallel(&mut selected, &job, &sources, on_step.as_ref());
        let mut report = Report {
            warnings: checked.warnings.clone(),
            timings: Vec::new(),
            sources,
            files: Vec::new(),
            seconds: 0.0,
            made: Vec::new(),
        };
        let mut files = Vec::new();
        let mut own_timings = Vec::new();
        let mut failed = None;
        for ((format, result), rendered_sources) in formats_of(&self.renderers, formats)
            .into_iter()
            .zip(results)
            .map(|(f, (r, s))| ((f, r), s))
        {
            for (p, t) in rendered_sources.iter() {
                report.sources.insert(p.clone(), t.clone());
            }
            match result {
                Ok(mut r) if failed.is_none() => {
                    report
                        .made
                        .push(Made::of(&self.renderers, format, slug, &mut r));
                    files.append(&mut r.files);
                    report.warnings.extend(r.warnings);
                    own_timings.append(&mut r.timings);
                }
                Ok(_) => {}
                Err(d) => {
                    failed.get_or_insert(d);
                }
            }
        }
        if let Some(diags) = failed {
            return Err(Failure {
                diags,
                sources: report.sources,
            });
        }
        let label = match names.as_slice() {
            [] => "render (nothing)".to_string(),
            [one] => format!("render ({one})"),
            _ => format!("render ({} in parallel)", names.join(" and ")),
        };
        report
            .timings
            .push((label.into(), rendering.elapsed().as_secs_f64()));
        report.timings.append(&mut own_timings);
        report.seconds = checked.started.elapsed().as_secs_f64();
        Ok(Built { files, report })
    }

    /// Build into [`Build::out`], atomically replacing what was there.
    /// `force` replaces a folder that is not a previous galley output.
    pub fn write(&mut self, force: bool) -> Result<Report, Failure> {
        let start = Instant::now();
        output::clean_strays(&self.out);
        let unsourced = |d: Diagnostic| Failure {
            diags: d.into(),
            sources: SourceMap::default(),
        };
        output::check_out_dir(&self.root, &self.out, force).map_err(unsourced)?;
        let Built {
            mut files,
            mut report,
        } = self.run()?;
        let writing = Instant::now();
        self.step(Step::Writing);
        // Building some of the outputs keeps the others from before.
        let keep = self.renderers.len() < Format::ALL.len();
        let written = (|| {
            let inputs = report.sources.iter().map(|(p, _)| p.as_path());
            output::check_no_sources(&self.root, &self.out, inputs)?;
            let kept = if keep {
                output::kept_files(&self.out, &files)?
            } else {
                Vec::new()
            };
            manifest::carry_reuse(&mut files, &self.out, &kept);
            output::list_outputs(&mut files, &kept);
            // Again, just before replacing it: the folder may have changed
            // while the outputs were rendered.
            output::check_out_dir(&self.root, &self.out, force)?;
            output::write_atomically(&self.out, &files, keep)
        })();
        if let Err(d) = written {
            return Err(Failure {
                diags: d.into(),
                sources: report.sources,
            });
        }
        report
            .timings
            .push(("write".into(), writing.elapsed().as_secs_f64()));
        report.seconds = start.elapsed().as_secs_f64();
        Ok(report)
    }
}

fn renderers(formats: &[Format], kept: bool) -> Vec<(Format, Box<dyn Renderer>)> {
    formats.iter().map(|f| (*f, f.renderer(kept))).collect()
}

fn formats_of(renderers: &[(Format, Box<dyn Renderer>)], formats: &[Format]) -> Vec<Format> {
    renderers
        .iter()
        .map(|(f, _)| *f)
        .filter(|f| formats.contains(f))
        .collect()
}

/// The manuscript's images: (project-relative path, bytes).
type Images = Vec<(String, Vec<u8>)>;

type Outcome = (Result<crate::render::Rendered, Diagnostics>, SourceMap);

/// Render on this thread (the first renderer) and one thread per other
/// renderer, in parallel; results in the renderers' order.
fn render_parallel(
    selected: &mut [&mut Box<dyn Renderer>],
    job: &Job,
    sources: &SourceMap,
    on_step: Option<&OnStep>,
) -> Vec<Outcome> {
    let Some((first, rest)) = selected.split_first_mut() else {
        return Vec::new();
    };
    let done = |name| {
        if let Some(f) = on_step {
            f(Step::Rendered(name));
        }
    };
    std::thread::scope(|scope| {
        let jobs: Vec<_> = rest
            .iter_mut()
            .map(|r| {
                let name = r.name();
                let mut sources = sources.clone();
                let handle = scope.spawn(move || {
                    let rendered = r.render(job, &mut sources);
                    done(name);
                    (rendered, sources)
                });
                (name, handle)
            })
            .collect();
        // This thread's renderer is contained like the others: a crash is
        // its error, not the end of the process.
        let name = first.name();
        let mut sources = sources.clone();
        let rendered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            first.render(job, &mut sources)
        }))
        .unwrap_or_else(|_| Err(Diagnostic::error(format!("the {name} engine crashed")).into()));
        done(name);
        let mut out = vec![(rendered, sources)];
        for (name, handle) in jobs {
            out.push(handle.join().unwrap_or_else(|_| {
                let crashed = Diagnostic::error(format!("the {name} engine crashed"));
                (Err(crashed.into()), SourceMap::default())
            }));
        }
        out
    })
}

/// The files the outputs load besides the document: the manuscript's
/// images and the theme's static files.
fn linked_inputs(
    project: &Project,
    assembled: &Assembled,
) -> Result<(Images, Vec<Asset>), Failure> {
    let fail = |diags: Diagnostics| Failure {
        diags,
        sources: assembled.sources.clone(),
    };
    let mut images = Vec::new();
    for img in &assembled.images {
        let bytes = project
            .cache
            .read_file(&project.root.join(img))
            .map_err(|e| {
                Diagnostics::from(
                    Diagnostic::error(format!("cannot read image: {e}")).in_file(img.as_str()),
                )
            })
            .map_err(fail)?;
        images.push((img.clone(), bytes));
    }
    let assets = Theme::new(&project.root, &project.cache)
        .static_files()
        .map_err(|d| fail(d.into()))?;
    Ok((images, assets))
}

/// Did this build stop because [`Build::cancel_on`]'s flag was set?
pub fn is_cancelled(f: &Failure) -> bool {
    f.diags
        .0
        .iter()
        .any(|d| d.message.contains(crate::assemble::sandbox::CANCELLED))
}
