//! The fonts a PDF is set in: Typst's embedded ones (Latin, Greek,
//! Cyrillic, math), the project's own in `theme/fonts/` (hashed into the
//! manifest like every input), and, for a character neither has (Chinese,
//! Arabic, Devanagari, ...), a font of the system, named in a warning since
//! another machine may have another. A character no font has is an error
//! naming it and where it is written.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use typst::foundations::Bytes;
use typst::text::{Font, FontInfo};
use typst_kit::fonts::FontPath;

use crate::diag::{Diagnostic, Diagnostics, SourceMap};
use crate::load::theme::Asset;

/// The system's fonts, found once per process, in a fixed order.
fn system() -> &'static [(FontPath, FontInfo)] {
    static SYSTEM: OnceLock<Vec<(FontPath, FontInfo)>> = OnceLock::new();
    SYSTEM.get_or_init(|| {
        let mut all: Vec<(FontPath, FontInfo)> = typst_kit::fonts::system().collect();
        all.sort_by(|a, b| {
            (&a.1.family, &a.0.path, a.0.index).cmp(&(&b.1.family, &b.0.path, b.0.index))
        });
        all
    })
}

/// The theme's fonts, each file read by Typst; one it cannot read is an
/// error at the file.
pub fn theme_fonts(assets: &[Asset]) -> Result<Vec<Font>, Diagnostics> {
    let mut out = Vec::new();
    let mut diags = Diagnostics::new();
    for a in assets {
        let fonts: Vec<Font> = Font::iter(Bytes::new(a.bytes.clone())).collect();
        if fonts.is_empty() {
            let d =
                Diagnostic::error("not a font Typst can read (TrueType, OpenType or a collection)");
            diags.push(match &a.origin {
                Some(o) => d.in_file(o.as_str()),
                None => d,
            });
        }
        out.extend(fonts);
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(out)
    }
}

/// Characters of `text` that need a glyph (not ASCII, spacing or marks
/// Typst draws itself).
fn needed(text: &str) -> std::collections::BTreeSet<char> {
    text.chars()
        .filter(|c| !c.is_ascii() && !c.is_whitespace() && !c.is_control())
        .filter(|c| !matches!(*c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{206F}' | '\u{FE00}'..='\u{FE0F}' | '\u{E000}'..='\u{F8FF}'))
        .collect()
}

/// Where a character is first written in the project's sources.
fn first_use(sources: &SourceMap, c: char) -> Option<(std::path::PathBuf, std::ops::Range<usize>)> {
    let mut files: Vec<_> = sources
        .iter()
        .filter(|(p, _)| !p.to_string_lossy().starts_with('<'))
        .collect();
    files.sort_by(|a, b| a.0.cmp(b.0));
    files
        .into_iter()
        .find_map(|(p, text)| text.find(c).map(|i| (p.to_path_buf(), i..i + c.len_utf8())))
}

/// The fonts beyond the embedded ones the document needs: the theme's,
/// then system fonts for what neither covers. Warnings name the system
/// fonts used.
pub fn for_document(
    text: &str,
    embedded: &[FontInfo],
    theme: Vec<Font>,
    sources: &SourceMap,
) -> Result<(Vec<Font>, Diagnostics), Diagnostics> {
    let mut fonts = theme;
    let covered = |c: char, fonts: &[Font]| {
        embedded.iter().any(|i| i.coverage.contains(c as u32))
            || fonts.iter().any(|f| f.info().coverage.contains(c as u32))
    };
    let missing: Vec<char> = needed(text)
        .into_iter()
        .filter(|c| !covered(*c, &fonts))
        .collect();
    let mut warnings = Diagnostics::new();
    if missing.is_empty() {
        return Ok((fonts, warnings));
    }
    // For each character still missing, the first system font that has it.
    let mut used: BTreeMap<String, Vec<char>> = BTreeMap::new();
    let first_system = fonts.len();
    let mut none = Vec::new();
    for c in missing {
        if let Some(f) = fonts[first_system..]
            .iter()
            .find(|f| f.info().coverage.contains(c as u32))
        {
            used.entry(f.info().family.clone()).or_default().push(c);
            continue;
        }
        let found = system()
            .iter()
            .filter(|(_, info)| info.coverage.contains(c as u32))
            .find_map(|(path, info)| {
                let data = std::fs::read(&path.path).ok()?;
                Font::new(Bytes::new(data), path.index).map(|f| (f, info.family.clone()))
            });
        match found {
            Some((font, family)) => {
                fonts.push(font);
                used.entry(family).or_default().push(c);
            }
            None => none.push(c),
        }
    }
    for (family, chars) in &used {
        let shown: String = chars.iter().take(8).collect();
        let more = chars.len().saturating_sub(8);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        warnings.push(Diagnostic::warning(format!(
            "the PDF sets {shown}{more} in the system font `{family}`, which galley's fonts lack: \
             put a font for them in theme/fonts/ so that every machine makes the same PDF"
        )));
    }
    if none.is_empty() {
        return Ok((fonts, warnings));
    }
    let mut errors = Diagnostics::new();
    for c in none.iter().take(5) {
        let d = Diagnostic::error(format!(
            "no font has the character `{c}` (U+{:04X}): put a font that has it in theme/fonts/",
            *c as u32
        ));
        errors.push(match first_use(sources, *c) {
            Some((file, span)) => d.at(file, span),
            None => d,
        });
    }
    Err(errors)
}
