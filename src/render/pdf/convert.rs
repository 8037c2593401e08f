//! A PDF figure for the site: its first page drawn as SVG by Typst (the
//! PDF output embeds the PDF itself). Same bytes every time: no date, no
//! fonts of the system.

use super::{compile, GalleyWorld, InFile};

/// The SVG of a PDF's first page.
pub fn pdf_to_svg(bytes: &[u8], origin: &str) -> Result<String, String> {
    let main = "#set page(width: auto, height: auto, margin: 0pt)\n#image(\"/figure.pdf\")\n";
    let world = GalleyWorld::new(
        main.to_string(),
        vec![InFile {
            vpath: "/figure.pdf".into(),
            bytes: bytes.to_vec(),
            origin: origin.into(),
        }],
        None,
    )
    .map_err(|d| d.message)?;
    let (doc, _) = compile(&world).map_err(|d| {
        d.0.first()
            .map_or_else(|| "Typst cannot read it".to_string(), |x| x.message.clone())
    })?;
    let page = doc.pages().first().ok_or("it has no page")?;
    let opts = typst_svg::SvgOptions {
        render_bleed: false,
        pretty: false,
    };
    Ok(typst_svg::svg(page, &opts))
}
