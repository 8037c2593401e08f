//! The PDF renderer's second half: Typst as a library. A [`GalleyWorld`]
//! serves only in-memory files (the generated main.typ, the theme template,
//! figures and images read and checked by galley), with embedded fonts and a
//! fixed date, so the PDF is the same on every machine.

pub mod convert;
pub mod fonts;
pub mod renderer;
pub mod typeset;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use typst::diag::{FileError, FileResult, Severity as TSeverity, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_kit::fonts::FontStore;
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards};

use crate::diag::{Diagnostic, Diagnostics};
use crate::load::meta::PdfConformance;

/// Fonts and the standard library, built once per process.
struct Shared {
    library: LazyHash<Library>,
    fonts: FontStore,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let mut fonts = FontStore::new();
        fonts.extend(typst_kit::fonts::embedded());
        Shared {
            library: LazyHash::new(Library::default()),
            fonts,
        }
    })
}

/// The embedded fonts' descriptions, in the order of their indices.
pub fn embedded_infos() -> &'static [typst::text::FontInfo] {
    static INFOS: OnceLock<Vec<typst::text::FontInfo>> = OnceLock::new();
    INFOS.get_or_init(|| {
        (0..)
            .map_while(|i| shared().fonts.font(i))
            .map(|f| f.info().clone())
            .collect()
    })
}

/// An in-memory file for the Typst world, with where it came from for
/// diagnostics.
pub struct InFile {
    /// Virtual path, starting with '/'.
    pub vpath: String,
    pub bytes: Vec<u8>,
    /// Project-relative origin for messages (e.g. theme/typst/article.typ).
    pub origin: PathBuf,
}

pub struct GalleyWorld {
    /// Fonts beyond the embedded ones (the theme's, system fallbacks), and
    /// the book of all, when there are any.
    extra: Option<(LazyHash<FontBook>, Vec<Font>)>,
    main: FileId,
    sources: HashMap<FileId, Source>,
    files: HashMap<FileId, Bytes>,
    origins: HashMap<FileId, PathBuf>,
    today: Option<Datetime>,
}

fn file_id(vpath: &str) -> Option<FileId> {
    let vp = VirtualPath::new(vpath).ok()?;
    Some(FileId::new(RootedPath::new(VirtualRoot::Project, vp)))
}

impl GalleyWorld {
    pub fn new(
        main: String,
        files: Vec<InFile>,
        date: Option<(i32, u32, u32)>,
    ) -> Result<Self, Diagnostic> {
        let main_id =
            file_id("/main.typ").ok_or_else(|| Diagnostic::error("internal: bad main path"))?;
        let mut sources = HashMap::new();
        let mut bytes = HashMap::new();
        let mut origins = HashMap::new();
        sources.insert(main_id, Source::new(main_id, main));
        origins.insert(main_id, PathBuf::from("<generated>/main.typ"));
        for f in files {
            let id = file_id(&f.vpath).ok_or_else(|| {
                Diagnostic::error(format!("file path `{}` cannot be used in the PDF", f.vpath))
            })?;
            if f.vpath.ends_with(".typ") {
                let text = String::from_utf8(f.bytes.clone()).map_err(|_| {
                    Diagnostic::error("Typst template is not valid UTF-8").in_file(&f.origin)
                })?;
                sources.insert(id, Source::new(id, text));
            }
            bytes.insert(id, Bytes::new(f.bytes));
            origins.insert(id, f.origin);
        }
        let today = date.and_then(|(y, m, d)| Datetime::from_ymd(y, m as u8, d as u8));
        Ok(GalleyWorld {
            extra: None,
            main: main_id,
            sources,
            files: bytes,
            origins,
            today,
        })
    }

    /// The same world with `fonts` beside the embedded ones.
    pub fn with_fonts(mut self, fonts: Vec<Font>) -> Self {
        if fonts.is_empty() {
            self.extra = None;
            return self;
        }
        let mut book = FontBook::new();
        for info in embedded_infos() {
            book.push(info.clone());
        }
        for f in &fonts {
            book.push(f.info().clone());
        }
        self.extra = Some((LazyHash::new(book), fonts));
        self
    }

    /// Take the next build's world, keeping this one's parsed main source
    /// and editing it in place, so Typst reparses only what changed and its
    /// memoised layout of unchanged content stays valid (`galley serve`).
    pub fn update(&mut self, mut next: GalleyWorld) {
        if let Some(mut main) = self.sources.remove(&self.main) {
            let text = next.main_source().text().to_string();
            main.replace(&text);
            next.sources.insert(next.main, main);
        }
        *self = next;
    }

    /// A digest of everything the document is made of (the generated
    /// source, the files it reads, the date), to tell an unchanged PDF.
    pub fn digest(&self) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(self.main_source().text().as_bytes());
        let mut files: Vec<(&PathBuf, &Bytes)> = self
            .files
            .iter()
            .filter_map(|(id, b)| Some((self.origins.get(id)?, b)))
            .collect();
        files.sort_by(|a, b| a.0.cmp(b.0));
        for (origin, bytes) in files {
            h.update((origin.as_os_str().len() as u64).to_le_bytes());
            h.update(origin.as_os_str().as_encoded_bytes());
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(bytes.as_slice());
        }
        h.update(format!("{:?}", self.today).as_bytes());
        for f in self.extra.iter().flat_map(|(_, fonts)| fonts) {
            h.update((f.data().len() as u64).to_le_bytes());
            h.update(f.data().as_slice());
            h.update(f.index().to_le_bytes());
        }
        h.finalize().into()
    }

    pub fn main_source(&self) -> &Source {
        &self.sources[&self.main]
    }
}

impl World for GalleyWorld {
    fn library(&self) -> &LazyHash<Library> {
        &shared().library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        match &self.extra {
            Some((book, _)) => book,
            None => shared().fonts.book(),
        }
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        self.sources
            .get(&id)
            .cloned()
            .ok_or_else(|| FileError::NotFound(id.get().vpath().get_without_slash().into()))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if let Some(b) = self.files.get(&id) {
            return Ok(b.clone());
        }
        if let Some(s) = self.sources.get(&id) {
            return Ok(Bytes::from_string(s.clone()));
        }
        Err(FileError::NotFound(
            id.get().vpath().get_without_slash().into(),
        ))
    }

    fn font(&self, index: usize) -> Option<Font> {
        let n = embedded_infos().len();
        match &self.extra {
            Some((_, extra)) if index >= n => extra.get(index - n).cloned(),
            _ => shared().fonts.font(index),
        }
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        self.today
    }
}

pub struct PdfOutput {
    pub bytes: Vec<u8>,
    pub pages: usize,
    pub warnings: Diagnostics,
    /// Seconds spent in Typst layout and in PDF export.
    pub compile_seconds: f64,
    pub export_seconds: f64,
}

/// Typst diagnostics as galley diagnostics, pointing into the theme
/// template (or the generated source, quoted).
fn convert_diags(world: &GalleyWorld, diags: &[SourceDiagnostic]) -> Diagnostics {
    let mut out = Diagnostics::new();
    for d in diags {
        let mut msg = d.message.to_string();
        for h in &d.hints {
            msg.push_str(&format!(" (hint: {})", h.v));
        }
        let base = match d.severity {
            TSeverity::Error => Diagnostic::error(format!("Typst: {msg}")),
            TSeverity::Warning => Diagnostic::warning(format!("Typst: {msg}")),
        };
        let located = d.span.id().and_then(|id| {
            let range = world.range(d.span)?;
            let origin = world.origins.get(&id)?.clone();
            Some((id, origin, range))
        });
        let diag = match located {
            Some((id, origin, range)) if id != world.main => base.at(origin, range),
            Some((_, _, range)) => {
                let text = world.main_source().text();
                let start = text[..range.start.min(text.len())]
                    .rfind('\n')
                    .map_or(0, |i| i + 1);
                let end = text[range.start.min(text.len())..]
                    .find('\n')
                    .map_or(text.len(), |i| range.start + i);
                let line: String = text[start..end].chars().take(200).collect();
                base.with_note(format!("in the Typst source galley generated: {line}"))
            }
            None => base,
        };
        out.push(diag);
    }
    out
}

/// Lay the document out (Typst's compile): the document and the warnings.
pub fn compile(world: &GalleyWorld) -> Result<(PagedDocument, Diagnostics), Diagnostics> {
    let result = typst::compile::<PagedDocument>(world);
    let mut warnings = convert_diags(world, &result.warnings);
    warnings.0.retain(|d| !d.is_error());
    match result.output {
        Ok(doc) => Ok((doc, warnings)),
        Err(errors) => Err(convert_diags(world, &errors)),
    }
}

/// Export a laid-out document, claiming conformance to `standard`.
pub fn export(
    world: &GalleyWorld,
    doc: &PagedDocument,
    ident: &str,
    creator: &str,
    standard: PdfConformance,
) -> Result<Vec<u8>, Diagnostics> {
    let list: Vec<PdfStandard> = match standard {
        PdfConformance::Ua1 => vec![PdfStandard::Ua_1],
        PdfConformance::A2b => vec![PdfStandard::A_2b],
        PdfConformance::A3b => vec![PdfStandard::A_3b],
        PdfConformance::None => vec![],
    };
    let standards = PdfStandards::new(&list).map_err(|e| {
        Diagnostics::from(Diagnostic::error(format!("PDF standard: {}", e.message())))
    })?;
    let options = PdfOptions {
        ident: Smart::Custom(ident.to_string()),
        creator: Smart::Custom(Some(creator.to_string())),
        timestamp: None,
        page_ranges: None,
        standards,
        tagged: true,
        pretty: false,
    };
    typst_pdf::pdf(doc, &options).map_err(|errors| convert_diags(world, &errors))
}

/// Compile and export, timing both.
pub fn render(
    world: &GalleyWorld,
    ident: &str,
    creator: &str,
    standard: PdfConformance,
) -> Result<PdfOutput, Diagnostics> {
    let started = std::time::Instant::now();
    let (doc, warnings) = compile(world)?;
    let compile_seconds = started.elapsed().as_secs_f64();
    let started = std::time::Instant::now();
    let bytes = export(world, &doc, ident, creator, standard)?;
    let export_seconds = started.elapsed().as_secs_f64();
    Ok(PdfOutput {
        bytes,
        pages: doc.pages().len(),
        compile_seconds,
        export_seconds,
        warnings,
    })
}

/// Write main.typ and the files it reads, laid out as the Typst world sees
/// them, so `typst compile DIR/main.typ` gives the same document.
pub fn emit_typst(dir: &std::path::Path, main: &str, files: &[InFile]) -> Result<(), Diagnostic> {
    let write = |rel: &str, bytes: &[u8]| -> Result<(), Diagnostic> {
        let path = dir.join(rel.trim_start_matches('/'));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                Diagnostic::error(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
        std::fs::write(&path, bytes)
            .map_err(|e| Diagnostic::error(format!("cannot write {}: {e}", path.display())))
    };
    write("main.typ", main.as_bytes())?;
    for f in files {
        write(&f.vpath, &f.bytes)?;
    }
    Ok(())
}
