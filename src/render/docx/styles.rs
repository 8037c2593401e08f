//! The Word styles galley writes with: Word's built-in ones by their
//! built-in names (Normal, Title, Subtitle, heading 1–6, caption,
//! footnote text, Bibliography, Hyperlink, Block Text, ...) and a few of
//! galley's own (Author, Affiliation, Abstract, Summary, Compact, Source
//! Code, ...). A project's `theme/reference.docx` gives the styles: its
//! styles.xml is used as it is, with galley's styles it lacks added, and
//! its theme (fonts, colours) comes along.

use std::io::Read as _;

/// The styles and theme of a reference document.
pub struct Reference {
    styles: String,
    pub theme: Option<Vec<u8>>,
}

/// The largest part read from a reference document.
const MAX_PART: u64 = 32 << 20;

impl Reference {
    pub fn read(bytes: &[u8]) -> Result<Reference, String> {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
            .map_err(|e| format!("it is not a zip package ({e})"))?;
        let mut part = |name: &str| -> Result<Option<Vec<u8>>, String> {
            let Ok(f) = zip.by_name(name) else {
                return Ok(None);
            };
            let mut out = Vec::new();
            f.take(MAX_PART)
                .read_to_end(&mut out)
                .map_err(|e| format!("{name} cannot be read ({e})"))?;
            Ok(Some(out))
        };
        let styles = part("word/styles.xml")?.ok_or("it has no word/styles.xml")?;
        let styles = String::from_utf8(styles)
            .map_err(|_| "its word/styles.xml is not UTF-8".to_string())?;
        roxmltree::Document::parse(&styles)
            .map_err(|e| format!("its word/styles.xml is not XML ({e})"))?;
        if !styles.contains("</w:styles>") {
            return Err("its word/styles.xml has no w:styles element".into());
        }
        let theme = part("word/theme/theme1.xml")?;
        Ok(Reference { styles, theme })
    }
}

/// The style ids a styles.xml defines.
fn style_ids(xml: &str) -> std::collections::HashSet<String> {
    let Ok(doc) = roxmltree::Document::parse(xml) else {
        return Default::default();
    };
    doc.descendants()
        .filter(|n| n.tag_name().name() == "style")
        .filter_map(|n| {
            n.attributes()
                .find(|a| a.name() == "styleId")
                .map(|a| a.value().to_string())
        })
        .collect()
}

/// One style: type, id, name, what it is based on, and its properties.
struct Style {
    kind: &'static str,
    id: &'static str,
    name: &'static str,
    based: &'static str,
    /// Paragraph properties (inside `w:pPr`), run properties (`w:rPr`),
    /// table properties (`w:tblPr`).
    ppr: &'static str,
    rpr: &'static str,
    tblpr: &'static str,
}

const fn para(id: &'static str, name: &'static str, ppr: &'static str, rpr: &'static str) -> Style {
    Style {
        kind: "paragraph",
        id,
        name,
        based: "Normal",
        ppr,
        rpr,
        tblpr: "",
    }
}

const fn chars(id: &'static str, name: &'static str, rpr: &'static str) -> Style {
    Style {
        kind: "character",
        id,
        name,
        based: "",
        ppr: "",
        rpr,
        tblpr: "",
    }
}

const HEADING: &str =
    "<w:rFonts w:ascii=\"Arial\" w:hAnsi=\"Arial\" w:cs=\"Arial\"/><w:b/><w:bCs/>";

const STYLES: &[Style] = &[
    Style {
        kind: "paragraph",
        id: "Normal",
        name: "Normal",
        based: "",
        ppr: "<w:spacing w:after=\"120\" w:line=\"300\" w:lineRule=\"auto\"/>",
        rpr: "",
        tblpr: "",
    },
    para("Title", "Title", "<w:keepNext/><w:spacing w:before=\"0\" w:after=\"160\" w:line=\"240\" w:lineRule=\"auto\"/>", "<w:rFonts w:ascii=\"Arial\" w:hAnsi=\"Arial\" w:cs=\"Arial\"/><w:b/><w:bCs/><w:sz w:val=\"36\"/><w:szCs w:val=\"36\"/>"),
    para("Subtitle", "Subtitle", "<w:keepNext/><w:spacing w:after=\"160\"/>", "<w:color w:val=\"555555\"/><w:sz w:val=\"28\"/><w:szCs w:val=\"28\"/>"),
    para("ArticleType", "Article Type", "<w:keepNext/><w:spacing w:after=\"60\"/>", "<w:rFonts w:ascii=\"Arial\" w:hAnsi=\"Arial\" w:cs=\"Arial\"/><w:b/><w:caps/><w:color w:val=\"1F4E79\"/><w:sz w:val=\"18\"/>"),
    para("Author", "Author", "<w:keepNext/><w:spacing w:after=\"120\"/>", ""),
    para("Affiliation", "Affiliation", "<w:spacing w:after=\"20\" w:line=\"240\" w:lineRule=\"auto\"/>", "<w:sz w:val=\"18\"/><w:szCs w:val=\"18\"/>"),
    para("ArticleInfo", "Article Info", "<w:spacing w:before=\"60\" w:after=\"40\" w:line=\"240\" w:lineRule=\"auto\"/>", "<w:sz w:val=\"20\"/><w:szCs w:val=\"20\"/>"),
    para("AbstractTitle", "Abstract Title", "<w:keepNext/><w:spacing w:before=\"240\" w:after=\"80\"/>", HEADING),
    para("Abstract", "Abstract", "<w:spacing w:after=\"100\"/>", ""),
    para("SummaryTitle", "Summary Title", "<w:keepNext/><w:spacing w:before=\"60\" w:after=\"60\"/>", "<w:rFonts w:ascii=\"Arial\" w:hAnsi=\"Arial\" w:cs=\"Arial\"/><w:b/><w:caps/><w:color w:val=\"1F4E79\"/>"),
    para("SummaryHeading", "Summary Heading", "<w:keepNext/><w:spacing w:before=\"80\" w:after=\"20\"/>", "<w:sz w:val=\"20\"/>"),
    para("Summary", "Summary", "<w:spacing w:before=\"0\" w:after=\"40\" w:line=\"240\" w:lineRule=\"auto\"/>", "<w:sz w:val=\"20\"/>"),
    para("Heading1", "heading 1", "<w:keepNext/><w:keepLines/><w:spacing w:before=\"360\" w:after=\"120\"/><w:outlineLvl w:val=\"0\"/>", "<w:rFonts w:ascii=\"Arial\" w:hAnsi=\"Arial\" w:cs=\"Arial\"/><w:b/><w:bCs/><w:sz w:val=\"30\"/><w:szCs w:val=\"30\"/>"),
    para("Heading2", "heading 2", "<w:keepNext/><w:keepLines/><w:spacing w:before=\"240\" w:after=\"80\"/><w:outlineLvl w:val=\"1\"/>", "<w:rFonts w:ascii=\"Arial\" w:hAnsi=\"Arial\" w:cs=\"Arial\"/><w:b/><w:bCs/><w:sz w:val=\"26\"/><w:szCs w:val=\"26\"/>"),
    para("Heading3", "heading 3", "<w:keepNext/><w:keepLines/><w:spacing w:before=\"200\" w:after=\"60\"/><w:outlineLvl w:val=\"2\"/>", "<w:rFonts w:ascii=\"Arial\" w:hAnsi=\"Arial\" w:cs=\"Arial\"/><w:b/><w:bCs/><w:sz w:val=\"24\"/><w:szCs w:val=\"24\"/>"),
    para("Heading4", "heading 4", "<w:keepNext/><w:keepLines/><w:spacing w:before=\"160\" w:after=\"40\"/><w:outlineLvl w:val=\"3\"/>", "<w:rFonts w:ascii=\"Arial\" w:hAnsi=\"Arial\" w:cs=\"Arial\"/><w:b/><w:bCs/><w:i/><w:iCs/>"),
    para("Heading5", "heading 5", "<w:keepNext/><w:keepLines/><w:spacing w:before=\"160\" w:after=\"40\"/><w:outlineLvl w:val=\"4\"/>", "<w:i/><w:iCs/>"),
    para("Heading6", "heading 6", "<w:keepNext/><w:keepLines/><w:spacing w:before=\"160\" w:after=\"40\"/><w:outlineLvl w:val=\"5\"/>", "<w:i/><w:iCs/>"),
    para("Caption", "caption", "<w:spacing w:before=\"120\" w:after=\"120\" w:line=\"240\" w:lineRule=\"auto\"/>", "<w:sz w:val=\"20\"/><w:szCs w:val=\"20\"/>"),
    para("Figure", "Figure", "<w:keepNext/><w:spacing w:before=\"120\" w:after=\"0\"/><w:jc w:val=\"center\"/>", ""),
    para("TableNote", "Table Note", "<w:spacing w:before=\"40\" w:after=\"40\" w:line=\"240\" w:lineRule=\"auto\"/>", "<w:sz w:val=\"18\"/><w:szCs w:val=\"18\"/>"),
    para("Compact", "Compact", "<w:spacing w:before=\"20\" w:after=\"20\" w:line=\"240\" w:lineRule=\"auto\"/>", "<w:sz w:val=\"18\"/><w:szCs w:val=\"18\"/>"),
    para("BlockText", "Block Text", "<w:ind w:left=\"720\" w:right=\"720\"/>", "<w:i/><w:iCs/>"),
    para("SourceCode", "Source Code", "<w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"F5F5F5\"/><w:spacing w:after=\"120\" w:line=\"240\" w:lineRule=\"auto\"/>", "<w:rFonts w:ascii=\"Courier New\" w:hAnsi=\"Courier New\" w:cs=\"Courier New\"/><w:sz w:val=\"18\"/><w:szCs w:val=\"18\"/>"),
    para("Callout", "Callout", "<w:spacing w:before=\"40\" w:after=\"60\"/>", ""),
    para("DefinitionTerm", "Definition Term", "<w:keepNext/><w:spacing w:after=\"0\"/>", "<w:b/><w:bCs/>"),
    para("Definition", "Definition", "<w:ind w:left=\"720\"/>", ""),
    para("Bibliography", "Bibliography", "<w:spacing w:after=\"60\" w:line=\"240\" w:lineRule=\"auto\"/><w:ind w:left=\"480\" w:hanging=\"480\"/>", "<w:sz w:val=\"20\"/><w:szCs w:val=\"20\"/>"),
    Style {
        kind: "paragraph",
        id: "BibliographyNumbered",
        name: "Bibliography Numbered",
        based: "Bibliography",
        ppr: "<w:tabs><w:tab w:val=\"left\" w:pos=\"480\"/></w:tabs>",
        rpr: "",
        tblpr: "",
    },
    para("FootnoteText", "footnote text", "<w:spacing w:after=\"40\" w:line=\"240\" w:lineRule=\"auto\"/>", "<w:sz w:val=\"20\"/><w:szCs w:val=\"20\"/>"),
    para("Credit", "Credit", "<w:pBdr><w:top w:val=\"single\" w:sz=\"4\" w:space=\"4\" w:color=\"999999\"/></w:pBdr><w:spacing w:before=\"360\" w:line=\"240\" w:lineRule=\"auto\"/>", "<w:color w:val=\"555555\"/><w:sz w:val=\"16\"/><w:szCs w:val=\"16\"/>"),
    para("Footer", "footer", "<w:jc w:val=\"center\"/>", "<w:sz w:val=\"18\"/>"),
    chars("FootnoteReference", "footnote reference", "<w:vertAlign w:val=\"superscript\"/>"),
    chars("Hyperlink", "Hyperlink", "<w:color w:val=\"0563C1\"/><w:u w:val=\"single\"/>"),
    chars("VerbatimChar", "Verbatim Char", "<w:rFonts w:ascii=\"Courier New\" w:hAnsi=\"Courier New\" w:cs=\"Courier New\"/><w:sz w:val=\"20\"/>"),
    Style {
        kind: "table",
        id: "Table",
        name: "Table",
        based: "TableNormal",
        ppr: "",
        rpr: "",
        tblpr: "<w:tblBorders><w:top w:val=\"single\" w:sz=\"8\" w:space=\"0\" w:color=\"auto\"/><w:bottom w:val=\"single\" w:sz=\"8\" w:space=\"0\" w:color=\"auto\"/></w:tblBorders><w:tblCellMar><w:left w:w=\"80\" w:type=\"dxa\"/><w:right w:w=\"80\" w:type=\"dxa\"/></w:tblCellMar>",
    },
    Style {
        kind: "table",
        id: "TableNormal",
        name: "Normal Table",
        based: "",
        ppr: "",
        rpr: "",
        tblpr: "<w:tblInd w:w=\"0\" w:type=\"dxa\"/><w:tblCellMar><w:top w:w=\"0\" w:type=\"dxa\"/><w:left w:w=\"108\" w:type=\"dxa\"/><w:bottom w:w=\"0\" w:type=\"dxa\"/><w:right w:w=\"108\" w:type=\"dxa\"/></w:tblCellMar>",
    },
];

pub const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

fn style_xml(s: &Style) -> String {
    let default = if matches!(s.id, "Normal" | "TableNormal") {
        " w:default=\"1\""
    } else {
        ""
    };
    let mut out = format!(
        "<w:style w:type=\"{}\"{default} w:styleId=\"{}\"><w:name w:val=\"{}\"/>",
        s.kind, s.id, s.name
    );
    if !s.based.is_empty() {
        out.push_str(&format!("<w:basedOn w:val=\"{}\"/>", s.based));
    }
    if s.kind == "paragraph" && s.id.starts_with("Heading") {
        out.push_str("<w:next w:val=\"Normal\"/>");
    }
    out.push_str("<w:qFormat/>");
    if !s.ppr.is_empty() {
        out.push_str(&format!("<w:pPr>{}</w:pPr>", s.ppr));
    }
    if !s.rpr.is_empty() {
        out.push_str(&format!("<w:rPr>{}</w:rPr>", s.rpr));
    }
    if !s.tblpr.is_empty() {
        out.push_str(&format!("<w:tblPr>{}</w:tblPr>", s.tblpr));
    }
    out.push_str("</w:style>");
    out
}

/// styles.xml: the reference document's with galley's styles it lacks,
/// or galley's own, in the document's language.
pub fn styles(reference: Option<&Reference>, lang: &str) -> String {
    if let Some(r) = reference {
        let have = style_ids(&r.styles);
        let missing: String = STYLES
            .iter()
            .filter(|s| !have.contains(s.id))
            .map(style_xml)
            .collect();
        let at = r.styles.rfind("</w:styles>").unwrap_or(r.styles.len());
        return format!("{}{missing}{}", &r.styles[..at], &r.styles[at..]);
    }
    let lang = super::esc(lang);
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:styles xmlns:w=\"{W}\"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii=\"Times New Roman\" w:hAnsi=\"Times New Roman\" w:eastAsia=\"Times New Roman\" w:cs=\"Times New Roman\"/><w:sz w:val=\"24\"/><w:szCs w:val=\"24\"/><w:lang w:val=\"{lang}\" w:eastAsia=\"{lang}\" w:bidi=\"{lang}\"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after=\"120\"/></w:pPr></w:pPrDefault></w:docDefaults>"
    );
    for s in STYLES {
        out.push_str(&style_xml(s));
    }
    out.push_str("</w:styles>");
    out
}

/// numbering.xml: each list's definition, then the numbers that use them.
pub fn numbering(lists: &[String]) -> String {
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:numbering xmlns:w=\"{W}\">"
    );
    for l in lists {
        out.push_str(l);
    }
    for k in 0..lists.len() {
        out.push_str(&format!(
            "<w:num w:numId=\"{}\"><w:abstractNumId w:val=\"{k}\"/></w:num>",
            k + 1
        ));
    }
    out.push_str("</w:numbering>");
    out
}

/// settings.xml: footnote separators, Word 2013+ layout, math defaults.
pub fn settings() -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:settings xmlns:w=\"{W}\" xmlns:m=\"{}\"><w:defaultTabStop w:val=\"720\"/><w:characterSpacingControl w:val=\"doNotCompress\"/><w:footnotePr><w:footnote w:id=\"-1\"/><w:footnote w:id=\"0\"/></w:footnotePr><w:compat><w:compatSetting w:name=\"compatibilityMode\" w:uri=\"http://schemas.microsoft.com/office/word\" w:val=\"15\"/></w:compat><m:mathPr><m:mathFont m:val=\"Cambria Math\"/><m:brkBin m:val=\"before\"/><m:smallFrac m:val=\"0\"/><m:dispDef/><m:lMargin m:val=\"0\"/><m:rMargin m:val=\"0\"/><m:defJc m:val=\"centerGroup\"/><m:intLim m:val=\"subSup\"/><m:naryLim m:val=\"undOvr\"/></m:mathPr></w:settings>",
        crate::assemble::math::omml::NS
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_parse_and_have_unique_ids() {
        let xml = styles(None, "en-GB");
        let ids = style_ids(&xml);
        assert_eq!(ids.len(), STYLES.len());
        assert!(ids.contains("Heading1") && ids.contains("FootnoteText"));
    }

    #[test]
    fn a_reference_keeps_its_styles_and_gains_the_missing() {
        let r = Reference {
            styles: format!("<w:styles xmlns:w=\"{W}\"><w:style w:type=\"paragraph\" w:styleId=\"Title\"><w:name w:val=\"Title\"/><w:rPr><w:color w:val=\"FF0000\"/></w:rPr></w:style></w:styles>"),
            theme: None,
        };
        let xml = styles(Some(&r), "en");
        assert_eq!(xml.matches("w:styleId=\"Title\"").count(), 1);
        assert!(xml.contains("FF0000"));
        assert!(style_ids(&xml).contains("Heading2"));
    }
}
