//! Figures and images: a drawn figure (an SVG) as a PNG at print
//! resolution with the SVG beside it (Word 2016 and later show the SVG,
//! others the PNG), a PDF figure drawn the same way, a raster image as it
//! is; each with its alt text, the figure's caption below.

use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};

use resvg::tiny_skia;
use resvg::usvg::{self, fontdb};

use super::blocks::{ppr, Par};
use super::esc;
use super::writer::{run, Fmt, Placed, Writer, IMAGE};
use crate::diag::Diagnostic;
use crate::model::*;

/// Pixels per inch of a PNG drawn from an SVG.
const DPI: f64 = 300.0;
/// English Metric Units per inch (drawing sizes).
const EMU: f64 = 914_400.0;
/// The tallest a figure may stand, in inches (an A4 page's text less a
/// caption).
const MAX_HEIGHT: f64 = 8.0;

/// A picture to place: its media (PNG or the raster as it is, and the
/// SVG if any) and its size on the page in inches.
#[derive(Clone)]
struct Picture {
    raster: (String, Vec<u8>),
    svg: Option<Vec<u8>>,
    width: f64,
    height: f64,
}

/// The fonts SVG text is drawn with: Typst's embedded ones (the PDF's),
/// with its serif for the generic families, and the theme's.
fn fonts(theme: &[crate::load::theme::Asset]) -> Arc<fontdb::Database> {
    static BASE: OnceLock<fontdb::Database> = OnceLock::new();
    let mut db = BASE
        .get_or_init(|| {
            let mut db = fontdb::Database::new();
            for f in typst_assets::fonts() {
                db.load_font_source(fontdb::Source::Binary(Arc::new(f)));
            }
            db.set_serif_family("Libertinus Serif");
            db.set_sans_serif_family("Libertinus Serif");
            db.set_monospace_family("DejaVu Sans Mono");
            db
        })
        .clone();
    for a in theme {
        db.load_font_data(a.bytes.clone());
    }
    Arc::new(db)
}

/// Width and height in inches of something `w` × `h` pixels (CSS pixels,
/// 96 to the inch), shrunk to fit `max_width` and [`MAX_HEIGHT`].
fn fit(w: f64, h: f64, max_width: f64) -> (f64, f64) {
    let (mut wi, mut hi) = (w / 96.0, h / 96.0);
    if wi > max_width {
        hi *= max_width / wi;
        wi = max_width;
    }
    if hi > MAX_HEIGHT {
        wi *= MAX_HEIGHT / hi;
        hi = MAX_HEIGHT;
    }
    (wi.max(0.01), hi.max(0.01))
}

/// An SVG as a picture: its size, and a PNG of it at [`DPI`] on white.
fn from_svg(svg: &str, max_width: f64, db: &Arc<fontdb::Database>) -> Result<Picture, String> {
    let opt = usvg::Options {
        fontdb: db.clone(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &opt).map_err(|e| e.to_string())?;
    let size = tree.size();
    let (width, height) = fit(size.width() as f64, size.height() as f64, max_width);
    let scale = (width * DPI / size.width() as f64) as f32;
    let px = |v: f32| ((v * scale).ceil() as u32).clamp(1, 8000);
    let mut pixmap = tiny_skia::Pixmap::new(px(size.width()), px(size.height()))
        .ok_or("the figure is too large to draw")?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    let png = pixmap.encode_png().map_err(|e| e.to_string())?;
    Ok(Picture {
        raster: ("png".into(), png),
        svg: Some(svg.as_bytes().to_vec()),
        width,
        height,
    })
}

/// A raster image as it is, if Word shows its format.
fn from_raster(bytes: &[u8], ext: &str, max_width: f64) -> Result<Picture, String> {
    let ext = match ext {
        "jpg" | "jpeg" => "jpeg",
        "png" | "gif" | "bmp" | "tiff" => ext,
        "tif" => "tiff",
        other => return Err(format!("Word does not show .{other} images")),
    };
    let size = imagesize::blob_size(bytes).map_err(|e| e.to_string())?;
    let (width, height) = fit(size.width as f64, size.height as f64, max_width);
    Ok(Picture {
        raster: (ext.into(), bytes.to_vec()),
        svg: None,
        width,
        height,
    })
}

impl Writer<'_> {
    fn text_inches(&self) -> f64 {
        self.text_width as f64 / 1440.0
    }

    /// The bytes of a manuscript image by its source (`figures/a.png`).
    fn image_bytes(&self, src: &str) -> Option<&[u8]> {
        self.job
            .images
            .iter()
            .find(|(p, _)| p == src || p.strip_prefix("manuscript/") == Some(src))
            .map(|(_, b)| b.as_slice())
    }

    /// The media of an image file, made once per source: its index in
    /// the package's media, its size, whether an SVG follows it.
    fn picture_of(
        &self,
        key: &str,
        make: impl FnOnce() -> Result<Picture, String>,
    ) -> Result<Placed, String> {
        if let Some(p) = self.st.borrow().media_of.get(key) {
            return Ok(*p);
        }
        let pic = make()?;
        let mut st = self.st.borrow_mut();
        let index = st.media.len();
        let n = st.media_of.len() + 1;
        st.media
            .push((format!("image{n}.{}", pic.raster.0), pic.raster.1));
        if let Some(svg) = pic.svg.as_ref() {
            st.media.push((format!("image{n}.svg"), svg.clone()));
        }
        let placed = Placed {
            index,
            width: pic.width,
            height: pic.height,
            svg: pic.svg.is_some(),
        };
        st.media_of.insert(key.to_string(), placed);
        Ok(placed)
    }

    /// [`from_svg`], kept in the build's cache (serve): a figure that did
    /// not change is not drawn again.
    fn drawn(
        &self,
        svg: &str,
        max_width: f64,
        fonts: &dyn Fn() -> Arc<fontdb::Database>,
    ) -> Result<Picture, String> {
        let cache = &self.job.project.cache;
        if !cache.enabled() {
            return from_svg(svg, max_width, &fonts());
        }
        let mut parts: Vec<&[u8]> = vec![svg.as_bytes()];
        let width = max_width.to_le_bytes();
        parts.push(&width);
        for f in self.job.fonts {
            parts.extend([f.name.as_bytes(), f.bytes.as_slice()]);
        }
        let k = crate::cache::key(&parts);
        cache.cached("Word figure", k, || from_svg(svg, max_width, &fonts()))
    }

    /// A picture of `src` (a drawn figure when `svg` is given), as a
    /// drawing; a warning and None when it cannot be made.
    fn drawing(&self, src: &str, svg: Option<&str>, alt: &str, max_width: f64) -> Option<String> {
        // Loaded once per Word file, when the first figure needs them.
        let fonts = || self.fonts.get_or_init(|| fonts(self.job.fonts)).clone();
        let lower = src.to_ascii_lowercase();
        let made = self.picture_of(src, || match svg {
            Some(svg) => self.drawn(svg, max_width, &fonts),
            None => {
                let bytes = self.image_bytes(src).ok_or("it was not read")?;
                if lower.ends_with(".svg") {
                    self.drawn(&String::from_utf8_lossy(bytes), max_width, &fonts)
                } else if lower.ends_with(".pdf") {
                    let svg = crate::render::pdf::convert::pdf_to_svg(bytes, src)?;
                    self.drawn(&svg, max_width, &fonts)
                } else {
                    let ext = lower.rsplit('.').next().unwrap_or("");
                    from_raster(bytes, ext, max_width)
                }
            }
        });
        let pic = match made {
            Ok(m) => m,
            Err(e) => {
                self.warn(Diagnostic::warning(format!(
                    "the Word file leaves out the image `{src}`: {e}"
                )));
                return None;
            }
        };
        let st_media = |k: usize| self.st.borrow().media[k].0.clone();
        let raster = self.rel(IMAGE, &format!("media/{}", st_media(pic.index)), false);
        let svg_ext = pic.svg.then(|| {
            let id = self.rel(IMAGE, &format!("media/{}", st_media(pic.index + 1)), false);
            format!("<a:extLst><a:ext uri=\"{{96DAC541-7B7A-43D3-8B79-37D633B846F1}}\"><asvg:svgBlip xmlns:asvg=\"http://schemas.microsoft.com/office/drawing/2016/SVG/main\" r:embed=\"{id}\"/></a:ext></a:extLst>")
        });
        let n = {
            let mut st = self.st.borrow_mut();
            st.drawings += 1;
            st.images += 1;
            st.drawings
        };
        let (cx, cy) = (
            (pic.width * EMU).round() as u64,
            (pic.height * EMU).round() as u64,
        );
        let alt = esc(alt);
        let mut out = String::new();
        let _ = write!(
            out,
            "<w:r><w:drawing><wp:inline distT=\"0\" distB=\"0\" distL=\"0\" distR=\"0\"><wp:extent cx=\"{cx}\" cy=\"{cy}\"/><wp:effectExtent l=\"0\" t=\"0\" r=\"0\" b=\"0\"/><wp:docPr id=\"{n}\" name=\"Picture {n}\" descr=\"{alt}\"/><wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect=\"1\"/></wp:cNvGraphicFramePr><a:graphic><a:graphicData uri=\"http://schemas.openxmlformats.org/drawingml/2006/picture\"><pic:pic><pic:nvPicPr><pic:cNvPr id=\"{n}\" name=\"Picture {n}\" descr=\"{alt}\"/><pic:cNvPicPr/></pic:nvPicPr><pic:blipFill><a:blip r:embed=\"{raster}\">{}</a:blip><a:stretch><a:fillRect/></a:stretch></pic:blipFill><pic:spPr><a:xfrm><a:off x=\"0\" y=\"0\"/><a:ext cx=\"{cx}\" cy=\"{cy}\"/></a:xfrm><a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r>",
            svg_ext.unwrap_or_default()
        );
        Some(out)
    }

    /// An image in running text: at its own size, no wider than the text.
    pub fn inline_image(&self, out: &mut String, src: &str, alt: &str) {
        if src.contains("://") || src.starts_with("//") {
            let id = self.rel(super::writer::HYPERLINK, src, true);
            let _ = write!(out, "<w:hyperlink r:id=\"{id}\">");
            run(
                out,
                if alt.is_empty() { src } else { alt },
                Fmt {
                    link: true,
                    ..Fmt::default()
                },
            );
            out.push_str("</w:hyperlink>");
            return;
        }
        match self.drawing(src, None, alt, self.text_inches()) {
            Some(d) => out.push_str(&d),
            None => run(out, alt, Fmt::default()),
        }
    }

    /// A figure: the picture centred, its caption below.
    pub fn figure(&self, out: &mut String, f: &Figure) {
        let body = Par {
            style: "Figure",
            keep_next: true,
            jc: Some("center"),
            ..Par::default()
        };
        out.push_str("<w:p>");
        ppr(out, &body);
        match &f.body {
            FigureBody::Svg { svg, file } => {
                let d = self.drawing(file, Some(svg), &f.alt, self.text_inches());
                out.push_str(&d.unwrap_or_default());
            }
            FigureBody::Image { src } => {
                let d = self.drawing(src, None, &f.alt, self.text_inches());
                out.push_str(&d.unwrap_or_default());
            }
            FigureBody::Remote { url } => {
                let id = self.rel(super::writer::HYPERLINK, url, true);
                let _ = write!(out, "<w:hyperlink r:id=\"{id}\">");
                run(
                    out,
                    &format!("Image at {}", remote_host(url)),
                    Fmt {
                        link: true,
                        ..Fmt::default()
                    },
                );
                out.push_str("</w:hyperlink>");
            }
        }
        out.push_str("</w:p>");
        let number = (f.number > 0).then_some(f.number);
        self.caption(out, "Figure", &f.id, number, &f.caption, false);
    }
}
