//! Word (DOCX): the article as journals take it, from the same document as
//! the other outputs. Built-in Word styles an editor can restyle (or a
//! project's `theme/reference.docx` replaces), native equations (OMML)
//! converted from the MathML the site shows, real tables, footnotes,
//! bookmarks for every citation and cross-reference, figures as PNG with
//! their SVG beside. The package is written with fixed timestamps, so two
//! builds give the same bytes.

mod blocks;
mod front;
mod media;
mod package;
mod styles;
mod tables;
mod writer;

use super::{Job, OutFile, Rendered, Renderer};
use crate::diag::{Diagnostic, Diagnostics, SourceMap};

pub(crate) use crate::model::escape::xml as esc;

/// The reference document's path in the project (Pandoc's convention).
pub const REFERENCE: &str = "theme/reference.docx";

/// The DOCX renderer (`<slug>.docx`).
#[derive(Default)]
pub struct Docx {
    /// `theme/reference.docx`, read in [`Renderer::prepare`].
    reference: Option<styles::Reference>,
}

impl Renderer for Docx {
    fn name(&self) -> &'static str {
        "Word"
    }

    fn main_file(&self, slug: &str) -> Option<String> {
        Some(format!("{slug}.docx"))
    }

    fn prepare(&mut self, job: &Job, _sources: &mut SourceMap) -> Result<(), Diagnostics> {
        self.reference = match job.word_reference {
            Some(r) => Some(styles::Reference::read(&r.bytes).map_err(|m| {
                Diagnostics::from(
                    Diagnostic::error(format!("not a Word reference document: {m}"))
                        .in_file(REFERENCE)
                        .with_note("save a Word file (.docx) whose styles the output should take"),
                )
            })?),
            None => None,
        };
        Ok(())
    }

    fn render(&mut self, job: &Job, _sources: &mut SourceMap) -> Result<Rendered, Diagnostics> {
        let doc = &job.assembled.doc;
        let file = format!("{}.docx", doc.slug);
        let inputs = inputs(job, &file);
        if let Some((bytes, summary)) = job.reuse.get(&file, &inputs) {
            return Ok(Rendered {
                files: vec![OutFile::new(&file, bytes)],
                unchanged: true,
                summary,
                inputs: Some(inputs),
                ..Rendered::default()
            });
        }
        let started = std::time::Instant::now();
        let made = package::package(job, self.reference.as_ref())?;
        // A file that warned is made again, so the warning is seen.
        let inputs = made.warnings.is_empty().then_some(inputs);
        Ok(Rendered {
            files: vec![OutFile::new(&file, made.bytes)],
            warnings: made.warnings,
            timings: vec![("  Word: write".into(), started.elapsed().as_secs_f64())],
            inputs,
            summary: Some(word_summary(doc.footnotes.len(), made.images)),
            ..Rendered::default()
        })
    }
}

/// A digest of everything the Word file is made of: the document, the
/// images, the theme's fonts and reference document, galley's version.
fn inputs(job: &Job, file: &str) -> String {
    let doc = format!("{:?}", job.assembled.doc);
    let paper = format!("{:?}", job.project.meta.pdf.as_ref().map(|p| &p.paper));
    let mut parts: Vec<&[u8]> = vec![
        crate::VERSION.as_bytes(),
        file.as_bytes(),
        doc.as_bytes(),
        paper.as_bytes(),
    ];
    for (path, bytes) in job.images {
        parts.push(path.as_bytes());
        parts.push(bytes);
    }
    for f in job.fonts.iter().chain(job.word_reference) {
        parts.push(f.name.as_bytes());
        parts.push(&f.bytes);
    }
    crate::render::reuse::digest(&parts)
}

/// "2 images, 3 footnotes" (what there is of them).
fn word_summary(notes: usize, images: usize) -> String {
    let count = |n: usize, one: &str, many: &str| match n {
        0 => None,
        1 => Some(format!("1 {one}")),
        n => Some(format!("{n} {many}")),
    };
    let parts: Vec<String> = [
        count(images, "image", "images"),
        count(notes, "footnote", "footnotes"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        "text only".into()
    } else {
        parts.join(", ")
    }
}
