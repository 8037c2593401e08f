//! What an image must be before the build reads it whole: a regular file
//! (a FIFO would block the build), a raster image small enough to decode
//! (a few megabytes of PNG can decode to gigabytes), or an SVG without
//! scripts (the site copies figures as they are).

use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::cache::Cache;
use crate::diag::Diagnostics;

/// Raster images may have at most this many pixels (decoded, 4 bytes each).
pub const MAX_PIXELS: u64 = 50_000_000;

/// Check the image at `full`, written as `src` in the manuscript. The error
/// completes a sentence about the image.
pub fn inspect(full: &Path, src: &str, cache: &Cache) -> Result<(), String> {
    let meta = match std::fs::metadata(full) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!(
                "image `{src}` does not exist (looked for manuscript/{src})"
            ))
        }
        Err(e) => return Err(format!("image `{src}` cannot be read: {e}")),
    };
    if !meta.is_file() {
        return Err(format!(
            "image `{src}` is not a regular file (a folder, FIFO, socket or device); galley reads only regular files"
        ));
    }
    let is_svg = full
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("svg"));
    if is_svg {
        let bytes = cache
            .read_file(full)
            .map_err(|e| format!("image `{src}` cannot be read: {e}"))?;
        return check_svg(&bytes).map_err(|m| format!("image `{src}` {m}"));
    }
    let is_pdf = full
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("pdf"));
    if is_pdf {
        // A vector figure as journals' templates have them: the PDF embeds
        // it, the site shows its first page as SVG (made by Typst).
        let bytes = cache
            .read_file(full)
            .map_err(|e| format!("image `{src}` cannot be read: {e}"))?;
        return if bytes.starts_with(b"%PDF-") {
            Ok(())
        } else {
            Err(format!(
                "image `{src}` is not a PDF file (it does not start with %PDF-)"
            ))
        };
    }
    match imagesize::size(full) {
        Ok(dim) => {
            let pixels = dim.width as u64 * dim.height as u64;
            if pixels > MAX_PIXELS {
                return Err(format!(
                    "image `{src}` is {}×{} pixels ({} megapixels); galley accepts at most {} megapixels (decoded, it would take {} MB): scale it down",
                    dim.width,
                    dim.height,
                    pixels / 1_000_000,
                    MAX_PIXELS / 1_000_000,
                    (pixels * 4) >> 20
                ));
            }
            Ok(())
        }
        Err(e) => Err(format!(
            "image `{src}` is not a PNG, JPEG, GIF, WebP, SVG or PDF image galley can read ({e})"
        )),
    }
}

/// An SVG file must parse and hold no script: no `<script>` element, no
/// event attribute (`onload=`), no `javascript:` link.
pub fn check_svg(bytes: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "is not UTF-8 text (SVG)".to_string())?;
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, opts)
        .map_err(|e| format!("is not valid SVG: {e}"))?;
    for node in doc.descendants().filter(|n| n.is_element()) {
        let line = doc.text_pos_at(node.range().start).row;
        let name = node.tag_name().name();
        if name.eq_ignore_ascii_case("script") {
            return Err(format!(
                "holds a <script> (line {line} of the SVG); figures may not carry scripts: remove it"
            ));
        }
        for a in node.attributes() {
            let attr = a.name();
            if attr.len() > 2 && attr[..2].eq_ignore_ascii_case("on") {
                return Err(format!(
                    "has an event attribute `{attr}` on <{name}> (line {line} of the SVG); figures may not carry scripts: remove it"
                ));
            }
            let value: String = a.value().chars().filter(|c| !c.is_whitespace()).collect();
            if value.len() >= 11 && value[..11].eq_ignore_ascii_case("javascript:") {
                return Err(format!(
                    "links to `javascript:` in `{attr}` on <{name}> (line {line} of the SVG); figures may not carry scripts: remove it"
                ));
            }
        }
    }
    Ok(())
}

/// The Typst source galley generates names images by their path: an error
/// there about an image (one Typst cannot decode) is moved to where the
/// manuscript names that image.
pub fn locate_errors(
    mut diags: Diagnostics,
    images: &[String],
    refs: &[(PathBuf, Range<usize>)],
) -> Diagnostics {
    const GENERATED: &str = "in the Typst source galley generated";
    for d in diags.0.iter_mut().filter(|d| d.file.is_none()) {
        let Some(note) = d.notes.iter().position(|n| n.starts_with(GENERATED)) else {
            continue;
        };
        let found = images.iter().zip(refs).find(|(img, _)| {
            let src = img.strip_prefix("manuscript/").unwrap_or(img);
            d.notes[note].contains(&format!("\"/images/{src}\""))
        });
        if let Some((img, (file, span))) = found {
            d.message = format!("{} in {img}", d.message);
            d.file = Some(file.clone());
            d.span = Some(span.clone());
            d.notes.remove(note);
        }
    }
    diags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_scripts_are_refused() {
        let ok = br#"<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>"#;
        assert!(check_svg(ok).is_ok());
        let script = br#"<svg xmlns="http://www.w3.org/2000/svg">
<script>alert(1)</script></svg>"#;
        assert!(check_svg(script).unwrap_err().contains("line 2"));
        let handler = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#;
        assert!(check_svg(handler).unwrap_err().contains("onload"));
        let link = br#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><a xlink:href=" JavaScript:alert(1)"><text>x</text></a></svg>"#;
        assert!(check_svg(link).unwrap_err().contains("javascript:"));
        assert!(check_svg(b"<svg").unwrap_err().contains("not valid SVG"));
    }
}
