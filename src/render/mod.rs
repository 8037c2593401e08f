//! Render: the assembled document into output files. Every output is a
//! [`Renderer`]; the pipeline hands each the same [`Job`] (document,
//! theme, images, links) and gathers their files. A new output is a new
//! module here plus one variant of [`Format`].

pub mod docx;
pub mod html;
pub mod jats;
pub mod pdf;
pub mod reuse;

#[derive(Clone)]
pub struct OutFile {
    /// Path inside the output folder, with forward slashes.
    pub path: String,
    pub bytes: Vec<u8>,
}

impl OutFile {
    pub fn new(path: &str, bytes: Vec<u8>) -> Self {
        OutFile {
            path: path.to_string(),
            bytes,
        }
    }
}

use std::path::Path;

use crate::assemble::Assembled;
use crate::diag::{Diagnostics, SourceMap};
use crate::load::project::Project;
use crate::load::theme::{Asset, Theme};

/// Wall time of named stages, in seconds.
pub type Timings = Vec<(std::borrow::Cow<'static, str>, f64)>;

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

/// What every renderer is given: the checked project and its document,
/// the theme, the files pages and the PDF load, and how outputs link to
/// one another.
pub struct Job<'a> {
    pub project: &'a Project,
    pub assembled: &'a Assembled,
    pub theme: &'a Theme,
    /// The manuscript's images: (project-relative path, bytes).
    pub images: &'a [(String, Vec<u8>)],
    /// The theme's static files (style sheet, script).
    pub assets: &'a [Asset],
    /// The theme's fonts, for the PDF.
    pub fonts: &'a [Asset],
    /// `theme/reference.docx`, for the Word file's styles.
    pub word_reference: Option<&'a Asset>,
    pub naming: Naming,
    /// The absolute URL the site is served from, if known.
    pub base_url: Option<&'a str>,
    /// The PDF's file name, when there is one to link to (built now, or
    /// kept from an earlier build).
    pub pdf_link: Option<&'a str>,
    /// The JATS XML's file name, likewise.
    pub jats_link: Option<&'a str>,
    /// The Word file's name, likewise.
    pub docx_link: Option<&'a str>,
    /// Also write the PDF's generated Typst source and files here.
    pub emit_typst: Option<&'a Path>,
    /// The previous build's outputs that may stand for this one's.
    pub reuse: &'a reuse::Reuse,
}

/// What a renderer made.
#[derive(Default)]
pub struct Rendered {
    pub files: Vec<OutFile>,
    pub warnings: Diagnostics,
    /// Its own stages' times, for `build --timings`.
    pub timings: Timings,
    /// The output is the one it made last time: nothing it is made of
    /// changed (a renderer kept between `serve` rebuilds).
    pub unchanged: bool,
    /// For the terminal: what was made ("12 pages").
    pub summary: Option<String>,
    /// A digest of everything the output is made of, which the manifest
    /// records so the next build can take the file as it is
    /// ([`reuse::Reuse`]).
    pub inputs: Option<String>,
}

/// One output format. The pipeline calls [`Renderer::prepare`] for every
/// renderer in turn (the first error stops the build there), then
/// [`Renderer::render`] for all of them in parallel (the first error, in
/// the order of [`Format::ALL`], is the build's).
pub trait Renderer: Send {
    /// The output's name for users ("site", "PDF").
    fn name(&self) -> &'static str;

    /// The output's main file, to link to (`paper.pdf`), if it has one
    /// besides the site.
    fn main_file(&self, _slug: &str) -> Option<String> {
        None
    }

    /// Gather what rendering needs, on the calling thread. Files read are
    /// recorded in `sources`, so messages can quote them.
    fn prepare(&mut self, _job: &Job, _sources: &mut SourceMap) -> Result<(), Diagnostics> {
        Ok(())
    }

    /// Render the output. `sources` holds every file the build read (their
    /// size bounds what a template may write); files read here are added
    /// and merged into the build's afterwards.
    fn render(&mut self, job: &Job, sources: &mut SourceMap) -> Result<Rendered, Diagnostics>;
}

/// The output formats galley makes. A new one is a variant here and its
/// renderer in [`Format::renderer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The HTML site (index.html and what it links).
    Site,
    Pdf,
    /// JATS XML.
    Jats,
    /// Word (DOCX).
    Docx,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Site, Format::Pdf, Format::Jats, Format::Docx];

    /// A renderer of this format; `kept` for one that lives across builds.
    pub fn renderer(self, kept: bool) -> Box<dyn Renderer> {
        match self {
            Format::Site => Box::new(html::site::Site),
            Format::Pdf => Box::new(if kept {
                pdf::renderer::Pdf::kept()
            } else {
                pdf::renderer::Pdf::new()
            }),
            Format::Jats => Box::new(jats::Jats),
            Format::Docx => Box::new(docx::Docx::default()),
        }
    }
}
