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
        let made = package::package(job, self.reference.as_ref())?;
        Ok(Rendered {
            files: vec![OutFile::new(&format!("{}.docx", doc.slug), made.bytes)],
            warnings: made.warnings,
            summary: Some(word_summary(doc.footnotes.len(), made.images)),
            ..Rendered::default()
        })
    }
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
