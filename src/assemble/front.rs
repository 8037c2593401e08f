//! The front and back matter: title, authors, affiliations, dates,
//! journal, license, abstract, summary boxes, declarations.

use std::collections::HashMap;

use super::assembler::Assembler;
use crate::diag::Diagnostic;
use crate::load::meta::{AbstractSpec, JournalSpec, LicenseSpec, Meta};
use crate::load::project::MANIFEST;
use crate::model::dates::parse_iso_date;
use crate::model::ids::{is_file_id, slugify};
use crate::model::*;

impl Assembler<'_> {
    pub(super) fn front_matter(&mut self) -> Document {
        let meta = &self.project.meta;
        let title = self.manifest_inline(&meta.title, "the title");
        let title_text = Inline::plain(&title, None);
        let subtitle = meta
            .subtitle
            .clone()
            .map(|s| self.manifest_inline(&s, "the subtitle"));
        let (authors, affiliations) = authors(meta);
        let dates = self.dates();
        let journal_full = match &meta.journal {
            Some(JournalSpec::Full(j)) => Some(j),
            _ => None,
        };
        let (journal, year, publisher) = match &meta.journal {
            Some(JournalSpec::Name(n)) => (Some(n.clone()), None, None),
            Some(JournalSpec::Full(j)) => (Some(j.name.clone()), j.year, j.publisher.clone()),
            None => (None, None, None),
        };
        let year = year.or_else(|| {
            dates
                .iter()
                .rev()
                .find_map(|d| parse_iso_date(&d.iso).map(|(y, _, _)| y as i64))
        });
        let (license_name, license_url) = match &meta.license {
            Some(LicenseSpec::Name(n)) => (Some(n.clone()), None),
            Some(LicenseSpec::Full(l)) => (Some(l.name.clone()), l.url.clone()),
            None => (None, None),
        };
        let slug = self.slug(&title_text);
        Document {
            title,
            title_text,
            subtitle,
            lang: self.project.lang().to_string(),
            slug,
            article_type: meta.article_type.clone(),
            authors,
            affiliations,
            dates,
            keywords: meta.keywords.clone(),
            journal,
            volume: journal_full.and_then(|j| j.volume.clone()),
            issue: journal_full.and_then(|j| j.issue.clone()),
            pages: journal_full.and_then(|j| j.pages.clone()),
            year,
            publisher,
            doi: meta.doi.clone(),
            license_name,
            license_url,
            numeric_citations: true,
            ..Document::default()
        }
    }

    /// The dates manuscript.yaml gives, in the order of a paper's life.
    fn dates(&mut self) -> Vec<DateEntry> {
        let mut dates = Vec::new();
        let Some(d) = &self.project.meta.dates else {
            return dates;
        };
        for (kind, v) in [
            ("received", &d.received),
            ("revised", &d.revised),
            ("accepted", &d.accepted),
            ("published", &d.published),
        ] {
            let Some(v) = v else { continue };
            if parse_iso_date(v).is_none() {
                let t = self.manifest_text();
                let span = t.find(v.as_str()).map_or(0..1, |i| i..i + v.len());
                self.diags.push(
                    Diagnostic::error(format!("date `{v}` is not an ISO date (YYYY-MM-DD)"))
                        .at(MANIFEST, span),
                );
            }
            dates.push(DateEntry {
                kind: kind.to_string(),
                iso: v.clone(),
            });
        }
        dates
    }

    /// The name of the output files: `slug`, else the title's first words.
    fn slug(&mut self, title_text: &str) -> String {
        let meta = &self.project.meta;
        if let Some(slug) = &meta.slug {
            if !is_file_id(slug) {
                let t = self.manifest_text();
                let span = crate::load::yaml::yaml_key_span(&t, "slug").unwrap_or(0..1);
                self.diags.push(
                    Diagnostic::error(format!(
                        "slug `{slug}` names output files; use only letters, digits, `-` and `_`"
                    ))
                    .at(MANIFEST, span),
                );
            }
        }
        meta.slug.clone().unwrap_or_else(|| {
            let s = slugify(title_text);
            let words: Vec<&str> = s.split('-').filter(|w| !w.is_empty()).take(6).collect();
            if words.is_empty() {
                "article".to_string()
            } else {
                words.join("-")
            }
        })
    }

    pub(super) fn abstract_blocks(&mut self) -> Vec<TitledBlocks> {
        match self.project.meta.abstract_.clone() {
            None => Vec::new(),
            Some(AbstractSpec::Plain(text)) => vec![TitledBlocks {
                title: "Abstract".into(),
                id: "abstract-text".into(),
                blocks: self.manifest_markdown(&text, "the abstract"),
            }],
            Some(AbstractSpec::Structured(parts)) => parts
                .iter()
                .map(|(title, text)| TitledBlocks {
                    title: title.clone(),
                    id: format!("abstract-{}", slugify(title)),
                    blocks: self.manifest_markdown(text, &format!("the abstract ({title})")),
                })
                .collect(),
        }
    }

    pub(super) fn summary_blocks(&mut self) -> Vec<TitledBlocks> {
        let Some(summary) = self.project.meta.summary.clone() else {
            return Vec::new();
        };
        summary
            .iter()
            .map(|(title, items)| {
                let items = items
                    .iter()
                    .map(|item| self.manifest_markdown(item, &format!("the summary ({title})")))
                    .map(|blocks| {
                        blocks
                            .into_iter()
                            .map(|b| match b {
                                Block::Para(i) => Block::Plain(i),
                                other => other,
                            })
                            .collect()
                    })
                    .collect();
                TitledBlocks {
                    title: title.clone(),
                    id: format!("summary-{}", slugify(title)),
                    blocks: vec![Block::List {
                        start: None,
                        items,
                        letters: None,
                    }],
                }
            })
            .collect()
    }

    pub(super) fn back_matter_blocks(&mut self) -> Vec<TitledBlocks> {
        self.project
            .meta
            .back_matter
            .clone()
            .iter()
            .enumerate()
            .map(|(i, b)| TitledBlocks {
                title: b.title.clone(),
                id: b.id.clone().unwrap_or_else(|| {
                    let s = slugify(&b.title);
                    if s.is_empty() {
                        format!("back-{}", i + 1)
                    } else {
                        s
                    }
                }),
                blocks: self.manifest_markdown(&b.content, &b.title),
            })
            .collect()
    }
}

fn split_name(name: &str) -> (String, String) {
    let name = name.trim();
    match name.rfind(' ') {
        Some(i) => (name[..i].trim().to_string(), name[i + 1..].to_string()),
        None => (String::new(), name.to_string()),
    }
}

/// The authors, with the marks of their affiliations, and the
/// affiliations numbered in order.
fn authors(meta: &Meta) -> (Vec<Author>, Vec<Affiliation>) {
    let aff_index: HashMap<&str, usize> = meta
        .affiliations
        .keys()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i + 1))
        .collect();
    let authors = meta
        .authors
        .iter()
        .map(|a| {
            let (g, f) = split_name(&a.name);
            Author {
                name: a.name.clone(),
                given: a.given.clone().unwrap_or(g),
                family: a.family.clone().unwrap_or(f),
                marks: a
                    .affiliations
                    .iter()
                    .filter_map(|k| aff_index.get(k.as_str()).map(|n| n.to_string()))
                    .collect(),
                orcid: a.orcid.clone(),
                email: a.email.clone(),
                corresponding: a.corresponding,
            }
        })
        .collect();
    let affiliations = meta
        .affiliations
        .values()
        .enumerate()
        .map(|(i, t)| Affiliation {
            mark: (i + 1).to_string(),
            text: t.clone(),
        })
        .collect();
    (authors, affiliations)
}
