//! Assemble: a loaded project into the format-neutral document model.
//! The [`assembler::Assembler`] renders every text through Tera (data
//! references), reads it as Markdown ([`markdown`]) and turns what the
//! reader reports into the model ([`sink`]): front matter ([`front`]),
//! generated tables ([`tables`]) and figures ([`figures`]), math
//! ([`math`]), then resolves cross-references and citations ([`cite`]).

pub mod analyses;
mod assembler;
pub mod checks;
pub mod cite;
mod cite_list;
mod cite_numeric;
mod cite_text;
mod figures;
mod forest;
mod front;
pub mod markdown;
pub mod math;
mod notes;
mod pandoc;
mod prerender;
mod rob;
pub mod sandbox;
mod shortcodes;
mod sink;
mod tables;
pub mod template;

use std::ops::Range;
use std::path::PathBuf;

use tera::Context;

use crate::diag::{Diagnostic, Diagnostics, Failure, SourceMap};
use crate::load::bibliography::{self, Bibliography};
use crate::load::project::Project;
use crate::load::style;
use crate::load::tables::{self as table_specs};
use crate::model::{Block, Document, Inline, Section};
use assembler::Assembler;

/// The result of assembling: the document, what it needs besides, and the
/// warnings found on the way.
pub struct Assembled {
    pub doc: Document,
    pub warnings: Diagnostics,
    pub sources: SourceMap,
    /// Images referenced by the document (project-relative), to copy.
    pub images: Vec<String>,
    /// Where each of [`Assembled::images`] is first referenced.
    pub image_refs: Vec<(PathBuf, Range<usize>)>,
    pub bibliography: Bibliography,
}

/// Build the document model.
/// The key of a section's rendering in [`prerender`]: its protected text
/// (everything else it depends on is the same for every section).
fn prerender_key(protected: &str) -> [u8; 32] {
    crate::cache::key(&[b"prerendered", protected.as_bytes()])
}

pub fn assemble(project: &Project) -> Result<Assembled, Failure> {
    let mut sources = project.sources.clone();
    let fail = |diags: Diagnostics, sources: SourceMap| Failure { diags, sources };

    let style = match style::load_style(project, &mut sources) {
        Ok(s) => s,
        Err(d) => return Err(fail(d.into(), sources)),
    };
    // The sections' templates are parsed on another core meanwhile.
    let (bib, ahead) = prerender::parsed_while(project, || bibliography::load(project, &style));
    let bib = match bib {
        Ok(b) => b,
        Err(d) => return Err(fail(d, sources)),
    };
    let specs = match table_specs::load_specs(&project.tables) {
        Ok(s) => s,
        Err(d) => return Err(fail(d, sources)),
    };

    let mut ctx = Context::new();
    ctx.insert("data", &project.data);
    ctx.insert("meta", &project.meta_value);
    ctx.insert("bib", &bib.template_value());
    let analysis_specs = match crate::load::analyses::load(&project.analyses) {
        Ok(a) => a,
        Err(d) => return Err(fail(d, sources)),
    };
    let (analysis_results, analysis_warnings) =
        match analyses::compute(project, &analysis_specs, &ctx) {
            Ok(r) => r,
            Err(d) => return Err(fail(d, sources)),
        };
    ctx.insert("analyses", &analyses::to_value(&analysis_results));
    // While serving, a section whose text and data are unchanged is not
    // rendered again: its key is the text and everything in scope.
    let ctx_key = project.cache.enabled().then(|| {
        let scope = ctx.clone().into_json().to_string();
        crate::cache::key(&[scope.as_bytes()])
    });

    let mut asm = Assembler::new(project, &bib, &specs, ctx, ctx_key);
    asm.analyses = analysis_results;
    asm.diags.extend(analysis_warnings);
    asm.heading_shift =
        markdown::prepare::top_heading_level(project.sections.iter().map(|s| s.text.as_str())) - 1;
    asm.cite_aliases =
        markdown::prepare::citation_aliases(project.sections.iter().map(|s| s.text.as_str()));
    asm.prerender(ahead);
    let mut doc = asm.front_matter();
    doc.abstract_ = asm.abstract_blocks();
    doc.summary = asm.summary_blocks();
    for file in &project.sections {
        let blocks = asm.markdown_file(&file.path, &file.text);
        doc.sections.push(Section {
            file: file.path.display().to_string(),
            blocks,
        });
    }
    doc.references_title = take_references_heading(&mut doc.sections);
    doc.back_matter = asm.back_matter_blocks();
    asm.finish(&mut doc);

    let Assembler {
        diags,
        citations,
        targets,
        mathml,
        typst_math,
        images,
        image_refs,
        ..
    } = asm;
    doc.citations = citations;
    doc.targets = targets;
    doc.mathml = mathml;
    doc.typst_math = typst_math;
    if diags.has_errors() {
        return Err(fail(diags, sources));
    }
    if style.settings.class == hayagriva::citationberg::StyleClass::Note {
        // Before the citations are rendered: in order of the notes, as
        // note styles' ibid. and short forms need.
        notes::citations_to_notes(&mut doc, &|key| {
            let e = bib.get(key)?;
            bibliography::entry_summary(e)["authors_short"]
                .as_str()
                .map(str::to_string)
        });
    }
    cite::resolve(&mut doc, &bib, &style, &project.cache);
    if style.settings.class == hayagriva::citationberg::StyleClass::Note {
        notes::one_period(&mut doc);
    }
    let math_errors = reference_math(&mut doc, &bib);
    if math_errors.has_errors() {
        return Err(fail(math_errors, sources));
    }
    let mut warnings = diags;
    let listed: std::collections::HashSet<&str> =
        doc.references.iter().map(|r| r.key.as_str()).collect();
    for (i, e) in bib.entries.iter().enumerate() {
        if !listed.contains(e.key()) {
            let (file, span) = bib.origins[i].clone();
            warnings.push(
                Diagnostic::warning(format!("bibliography entry `{}` is never cited", e.key()))
                    .at(file, span),
            );
        }
    }
    Ok(Assembled {
        doc,
        warnings,
        sources,
        images,
        image_refs,
        bibliography: bib,
    })
}

/// Headings authors give their reference list.
const REFERENCE_HEADINGS: &[&str] = &[
    "references",
    "bibliography",
    "literature cited",
    "works cited",
    "reference list",
    "literatur",
    "literaturverzeichnis",
    "références",
    "bibliographie",
    "referencias",
    "bibliografía",
    "referências",
];

/// An author's own heading for the reference list, last in the body (as
/// Pandoc and Quarto documents end: `# References` and `::: {#refs}`),
/// taken out: galley's reference list goes there, under its text.
fn take_references_heading(sections: &mut [Section]) -> Option<String> {
    let last = sections.iter_mut().rev().find(|s| !s.blocks.is_empty())?;
    let Some(Block::Heading(h)) = last.blocks.last() else {
        return None;
    };
    let text = Inline::plain(&h.content, None);
    if !REFERENCE_HEADINGS.contains(&text.trim().to_lowercase().as_str()) {
        return None;
    }
    last.blocks.pop();
    Some(text.trim().to_string())
}

/// Math in the reference list and citations (`$...$` in a BibTeX field),
/// converted for both outputs like the sections' math; a formula galley
/// cannot convert is an error at the entry's key.
fn reference_math(doc: &mut Document, bib: &Bibliography) -> Diagnostics {
    fn collect<'a>(inlines: &'a [Inline], out: &mut Vec<&'a str>) {
        for i in inlines {
            match i {
                Inline::Math { tex, .. } => out.push(tex),
                other => other.children().into_iter().for_each(|c| collect(c, out)),
            }
        }
    }
    let mut diags = Diagnostics::new();
    let mut found: Vec<(String, &str)> = Vec::new();
    for r in &doc.references {
        let mut texs = Vec::new();
        collect(&r.content, &mut texs);
        found.extend(texs.into_iter().map(|t| (t.to_string(), r.key.as_str())));
    }
    for c in &doc.citations {
        let mut texs = Vec::new();
        collect(&c.rendered, &mut texs);
        let key = c.items.first().map_or("", |i| i.key.as_str());
        found.extend(texs.into_iter().map(|t| (t.to_string(), key)));
    }
    if found.is_empty() {
        return diags;
    }
    let converter = math::Converter::new();
    let mut converted = Vec::new();
    for (tex, key) in found {
        let k = crate::model::math_key(&tex, false);
        if doc.mathml.contains_key(&k) || converted.iter().any(|(c, _): &(String, _)| *c == k) {
            continue;
        }
        match converter.convert(&tex, false) {
            Ok(f) => converted.push((k, f)),
            Err(e) => {
                let at = bib.index_of(key).map(|i| bib.origins[i].clone());
                let d = Diagnostic::error(format!(
                    "cannot convert math `{}` in bibliography entry `{key}`: {e}",
                    crate::diag::shorten(&tex, 60)
                ));
                diags.push(match at {
                    Some((file, span)) => d.at(file, span),
                    None => d,
                });
            }
        }
    }
    for (k, f) in converted {
        doc.mathml.insert(k.clone(), f.mathml);
        doc.typst_math.insert(k, f.typst);
    }
    diags
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The paper's citations and references, resolved on one thread and in
    /// parallel chunks.
    fn paper_resolved(chunks: usize) -> Document {
        paper_resolved_by(chunks, true)
    }

    /// `one_pass`: galley numbers the citations (else hayagriva does).
    fn paper_resolved_by(chunks: usize, one_pass: bool) -> Document {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let project = Project::load(root, &crate::cache::Cache::off())
            .unwrap_or_else(|_| panic!("the paper loads"));
        let a = assemble(&project).unwrap_or_else(|_| panic!("assembles"));
        let mut sources = SourceMap::default();
        let style = crate::load::style::load_style(&project, &mut sources).unwrap();
        assert!(cite_list::chunkable(&style));
        let mut doc = a.doc.clone();
        cite::resolve_using(
            &mut doc,
            &a.bibliography,
            &style,
            chunks,
            &project.cache,
            one_pass,
        );
        doc
    }

    #[test]
    fn the_papers_citations_are_numbered_as_hayagriva_numbers_them() {
        let ours = paper_resolved_by(1, true);
        let theirs = paper_resolved_by(1, false);
        assert!(ours.citations.len() > 50, "{}", ours.citations.len());
        assert!(ours.numeric_citations && theirs.numeric_citations);
        for (a, b) in ours.citations.iter().zip(&theirs.citations) {
            assert!(!a.rendered.is_empty());
            assert_eq!(a.rendered, b.rendered, "{:?}", a.items);
        }
        assert_eq!(ours.citations.len(), theirs.citations.len());
        assert_eq!(
            format!("{:?}", ours.references),
            format!("{:?}", theirs.references)
        );
    }

    #[test]
    fn a_reference_list_in_chunks_is_the_same_as_in_one() {
        let one = paper_resolved(1);
        assert_eq!(one.references.len(), 66);
        let rendered = |d: &Document| {
            d.citations
                .iter()
                .map(|c| format!("{:?}", c.rendered))
                .collect::<Vec<_>>()
        };
        // Even and uneven splits, down to chunks of one or two entries.
        for n in [2, 3, 7, 40] {
            let chunked = paper_resolved(n);
            assert_eq!(
                format!("{:?}", one.references),
                format!("{:?}", chunked.references),
                "{n} chunks"
            );
            assert_eq!(rendered(&one), rendered(&chunked), "{n} chunks");
        }
    }
}
