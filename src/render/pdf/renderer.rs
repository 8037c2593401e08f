//! The PDF renderer: the document typeset as Typst source
//! ([`super::typeset`]) with the theme's template, figures and images, laid
//! out and exported by Typst ([`super::GalleyWorld`]).

use std::collections::HashMap;
use std::path::PathBuf;

use super::{typeset, GalleyWorld, InFile};
use crate::diag::{Diagnostic, Diagnostics, SourceMap};
use crate::load::meta::PdfConformance;
use crate::load::project::Project;
use crate::render::{Job, OutFile, Rendered, Renderer};

/// The Typst version galley typesets with (the `typst` crate's).
pub const TYPST_VERSION: &str = "0.15.1";

/// The PDF. A renderer that is [`Pdf::kept`] between builds (`serve`)
/// keeps its Typst world, so a rebuild lays out only what changed, and
/// gives back the last PDF when nothing it is made of changed.
#[derive(Default)]
pub struct Pdf {
    keep: bool,
    /// This build's world, from [`Renderer::prepare`], and what it warned
    /// of (system fonts it uses).
    next: Option<(GalleyWorld, Diagnostics)>,
    /// The world kept from the last build.
    world: Option<GalleyWorld>,
    /// The last PDF made, and the digest of what it was made of.
    last: Option<([u8; 32], Vec<u8>, usize)>,
}

impl Pdf {
    /// A renderer for one build.
    pub fn new() -> Pdf {
        Pdf::default()
    }

    /// A renderer kept between builds, reusing its work.
    pub fn kept() -> Pdf {
        Pdf {
            keep: true,
            ..Pdf::default()
        }
    }
}

impl Renderer for Pdf {
    fn name(&self) -> &'static str {
        "PDF"
    }

    fn main_file(&self, slug: &str) -> Option<String> {
        Some(format!("{slug}.pdf"))
    }

    fn prepare(&mut self, job: &Job, sources: &mut SourceMap) -> Result<(), Diagnostics> {
        self.next = Some(world(job, sources)?);
        Ok(())
    }

    fn render(&mut self, job: &Job, _sources: &mut SourceMap) -> Result<Rendered, Diagnostics> {
        let (next, font_warnings) = self
            .next
            .take()
            .ok_or_else(|| Diagnostic::error("internal: the PDF was not prepared"))?;
        let doc = &job.assembled.doc;
        let file = format!("{}.pdf", doc.slug);
        // What the PDF is made of, for the next build: the same digest,
        // galley's and Typst's versions and the PDF standard.
        let world_digest = next.digest();
        let conformance = format!("{:?}", standard(job.project));
        let inputs = crate::render::reuse::digest(&[
            &world_digest,
            file.as_bytes(),
            creator().as_bytes(),
            conformance.as_bytes(),
        ]);
        // A build reuses the previous build's PDF made of the same.
        if !self.keep {
            if let Some((bytes, summary)) = job.reuse.get(&file, &inputs) {
                return Ok(Rendered {
                    files: vec![OutFile::new(&file, bytes)],
                    warnings: font_warnings,
                    unchanged: true,
                    summary,
                    inputs: Some(inputs),
                    ..Rendered::default()
                });
            }
        }
        // Only a kept renderer compares with its last PDF. The file name
        // counts too: a new slug needs the PDF under its new name.
        let digest = self
            .keep
            .then(|| crate::cache::key(&[&world_digest, file.as_bytes()]));
        let last = self.last.as_ref().filter(|l| Some(l.0) == digest);
        if let Some((_, bytes, pages)) = last {
            return Ok(Rendered {
                files: vec![OutFile::new(&file, bytes.clone())],
                warnings: font_warnings,
                unchanged: true,
                summary: Some(pages_text(*pages)),
                inputs: Some(inputs),
                ..Rendered::default()
            });
        }
        let world = match self.world.as_mut().filter(|_| self.keep) {
            Some(w) => {
                w.update(next);
                w
            }
            None => self.world.insert(next),
        };
        let result = super::render(world, &doc.slug, &creator(), standard(job.project));
        if self.keep {
            // Typst's cache keeps results for a few compilations only.
            typst::comemo::evict(10);
        } else {
            self.world = None;
        }
        let out = match result {
            Ok(out) => out,
            Err(d) => {
                self.last = None;
                let a = job.assembled;
                return Err(crate::load::images::locate_errors(
                    d,
                    &a.images,
                    &a.image_refs,
                ));
            }
        };
        if let Some(digest) = digest {
            self.last = Some((digest, out.bytes.clone(), out.pages));
        }
        // A PDF Typst warned of is made again, so the warning is seen.
        let inputs = out.warnings.is_empty().then_some(inputs);
        let mut warnings = font_warnings;
        warnings.extend(out.warnings);
        Ok(Rendered {
            files: vec![OutFile::new(&file, out.bytes)],
            warnings,
            timings: vec![
                ("  PDF: Typst layout".into(), out.compile_seconds),
                ("  PDF: export".into(), out.export_seconds),
            ],
            unchanged: false,
            summary: Some(pages_text(out.pages)),
            inputs,
        })
    }
}

/// The PDF's Creator: galley's version and Typst's.
pub fn creator() -> String {
    format!("galley {} (Typst {TYPST_VERSION})", crate::VERSION)
}

fn pages_text(n: usize) -> String {
    format!("{n} pages")
}

fn standard(project: &Project) -> PdfConformance {
    project
        .meta
        .pdf
        .as_ref()
        .and_then(|p| p.standard)
        .unwrap_or(PdfConformance::Ua1)
}

/// The Typst world for the document: generated source, theme template,
/// figures and images.
pub fn world(
    job: &Job,
    sources: &mut SourceMap,
) -> Result<(GalleyWorld, Diagnostics), Diagnostics> {
    let doc = &job.assembled.doc;
    // Every Typst file of the theme, so templates can import one another.
    let mut files = Vec::new();
    for name in job.theme.names("typst", ".typ") {
        let file = job.theme.get(&name, sources).map_err(Diagnostics::from)?;
        files.push(InFile {
            vpath: format!("/theme/{name}"),
            bytes: file.text.into_bytes(),
            origin: file.origin,
        });
    }
    for (path, svg) in doc.svg_figures() {
        files.push(InFile {
            vpath: format!("/{path}"),
            bytes: svg.into_bytes(),
            origin: PathBuf::from(path),
        });
    }
    let mut images = HashMap::new();
    for (img, bytes) in job.images {
        let src = img.strip_prefix("manuscript/").unwrap_or(img).to_string();
        // A PDF figure goes in as the SVG Typst draws of it: Typst cannot
        // embed a PDF in a PDF/UA or PDF/A file.
        let (vpath, bytes) = if src.to_ascii_lowercase().ends_with(".pdf") {
            let svg = super::convert::pdf_to_svg(bytes, img).map_err(|e| {
                Diagnostics::from(
                    Diagnostic::error(format!("cannot draw the PDF figure: {e}"))
                        .in_file(img.as_str()),
                )
            })?;
            (format!("/images/{src}.svg"), svg.into_bytes())
        } else {
            (format!("/images/{src}"), bytes.clone())
        };
        images.insert(src, vpath.clone());
        files.push(InFile {
            vpath,
            bytes,
            origin: PathBuf::from(img),
        });
    }
    let spec = job.project.meta.pdf.clone().unwrap_or_default();
    let main = typeset::main_source(
        doc,
        &images,
        spec.paper.unwrap_or_default().name(),
        spec.font_size.unwrap_or(10.0),
        spec.columns.unwrap_or(1).max(1),
        &format!("galley {}", crate::VERSION),
    );
    if let Some(dir) = job.emit_typst {
        super::emit_typst(dir, &main, &files).map_err(Diagnostics::from)?;
    }
    let theme_fonts = super::fonts::theme_fonts(job.fonts)?;
    let (fonts, warnings) = super::fonts::for_document(
        &main,
        super::embedded_infos(),
        theme_fonts,
        &job.assembled.sources,
    )?;
    let world = GalleyWorld::new(main, files, typeset::document_date(doc))
        .map_err(Diagnostics::from)?
        .with_fonts(fonts);
    Ok((world, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The version the PDF names is the one Cargo.lock builds.
    #[test]
    fn typst_version_is_the_locked_one() {
        let lock = include_str!("../../../Cargo.lock");
        let locked = lock
            .split("[[package]]")
            .find(|p| p.contains("\nname = \"typst\"\n"))
            .and_then(|p| p.split("\nversion = \"").nth(1))
            .and_then(|v| v.split('"').next());
        assert_eq!(locked, Some(TYPST_VERSION));
    }
}
