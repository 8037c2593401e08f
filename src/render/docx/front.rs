//! The title block (title, authors with affiliation marks, affiliations,
//! correspondence, dates, keywords, license, the structured abstract and
//! the summary box), and what follows the body: back matter, the
//! reference list (each entry bookmarked for its citations) and the
//! credit to the original article.

use super::blocks::{ppr, Par};
use super::writer::{run, Fmt, Writer, HYPERLINK};
use crate::model::dates::long_date;
use crate::model::*;

const BOLD: Fmt = Fmt {
    bold: true,
    italic: false,
    strike: false,
    sup: false,
    sub: false,
    small_caps: false,
    code: false,
    link: false,
};

fn sup() -> Fmt {
    Fmt {
        sup: true,
        ..Fmt::default()
    }
}

impl Writer<'_> {
    /// A paragraph of style `style` with what `inner` writes.
    fn p(&self, out: &mut String, style: &str, inner: impl FnOnce(&mut String)) {
        out.push_str("<w:p>");
        ppr(out, &Par::styled(style));
        inner(out);
        out.push_str("</w:p>");
    }

    fn link(&self, out: &mut String, url: &str, text: &str) {
        let id = self.rel(HYPERLINK, url, true);
        out.push_str(&format!("<w:hyperlink r:id=\"{id}\">"));
        run(
            out,
            text,
            Fmt {
                link: true,
                ..Fmt::default()
            },
        );
        out.push_str("</w:hyperlink>");
    }

    pub fn title_block(&self, out: &mut String) {
        let doc = self.doc;
        if let Some(t) = &doc.article_type {
            self.p(out, "ArticleType", |out| run(out, t, Fmt::default()));
        }
        self.p(out, "Title", |out| {
            self.inlines(out, &doc.title, Fmt::default())
        });
        if let Some(s) = &doc.subtitle {
            self.p(out, "Subtitle", |out| self.inlines(out, s, Fmt::default()));
        }
        if !doc.authors.is_empty() {
            self.p(out, "Author", |out| {
                for (k, a) in doc.authors.iter().enumerate() {
                    if k > 0 {
                        run(out, ", ", Fmt::default());
                    }
                    match &a.orcid {
                        Some(o) => {
                            let id = o.trim_start_matches("https://orcid.org/");
                            self.link(out, &format!("https://orcid.org/{id}"), &a.name);
                        }
                        None => run(out, &a.name, Fmt::default()),
                    }
                    let mut marks = a.marks.join(",");
                    if a.corresponding {
                        marks.push('*');
                    }
                    run(out, &marks, sup());
                }
            });
        }
        for f in &doc.affiliations {
            self.p(out, "Affiliation", |out| {
                run(out, &f.mark, sup());
                run(out, &f.text, Fmt::default());
            });
        }
        self.article_info(out);
        self.abstract_(out);
        self.summary(out);
    }

    /// Correspondence, dates, keywords and license, a line each.
    fn article_info(&self, out: &mut String) {
        let doc = self.doc;
        let corr: Vec<&Author> = doc.authors.iter().filter(|a| a.corresponding).collect();
        if !corr.is_empty() {
            self.p(out, "ArticleInfo", |out| {
                run(out, "*Correspondence: ", BOLD);
                for (k, a) in corr.iter().enumerate() {
                    if k > 0 {
                        run(out, "; ", Fmt::default());
                    }
                    run(out, &a.name, Fmt::default());
                    if let Some(e) = &a.email {
                        run(out, " (", Fmt::default());
                        self.link(out, &format!("mailto:{e}"), e);
                        run(out, ")", Fmt::default());
                    }
                }
            });
        }
        if !doc.dates.is_empty() {
            self.p(out, "ArticleInfo", |out| {
                for (k, d) in doc.dates.iter().enumerate() {
                    if k > 0 {
                        run(out, " | ", Fmt::default());
                    }
                    let mut label = d.kind.clone();
                    if let Some(f) = label.get_mut(..1) {
                        f.make_ascii_uppercase();
                    }
                    run(out, &format!("{label}: "), BOLD);
                    run(out, &long_date(&d.iso), Fmt::default());
                }
            });
        }
        if !doc.keywords.is_empty() {
            self.p(out, "ArticleInfo", |out| {
                run(out, "Keywords: ", BOLD);
                run(out, &doc.keywords.join("; "), Fmt::default());
            });
        }
        if let Some(l) = &doc.license_name {
            self.p(out, "ArticleInfo", |out| {
                run(out, "License: ", BOLD);
                match &doc.license_url {
                    Some(u) => self.link(out, u, l),
                    None => run(out, l, Fmt::default()),
                }
            });
        }
    }

    /// The abstract: its heading, each part's title in bold before its
    /// first paragraph.
    fn abstract_(&self, out: &mut String) {
        let doc = self.doc;
        if doc.abstract_.is_empty() {
            return;
        }
        self.p(out, "AbstractTitle", |out| {
            run(out, "Abstract", Fmt::default())
        });
        let plain = doc.abstract_.len() == 1 && doc.abstract_[0].title == "Abstract";
        for part in &doc.abstract_ {
            self.titled(out, part, !plain, "Abstract");
        }
    }

    /// Blocks in `style`; with `lead`, the part's title in bold opens its
    /// first paragraph ("Background: ...").
    fn titled(&self, out: &mut String, part: &TitledBlocks, lead: bool, style: &str) {
        let p = Par::styled(style);
        match part.blocks.split_first() {
            Some((Block::Para(first), rest)) if lead => {
                let mut with_title = vec![Inline::Strong(vec![Inline::Text(format!(
                    "{}: ",
                    part.title
                ))])];
                with_title.extend(first.iter().cloned());
                self.para(out, &with_title, &p);
                self.blocks(out, rest, &p, 0);
            }
            _ => {
                if lead {
                    self.p(out, style, |out| run(out, &part.title, BOLD));
                }
                self.blocks(out, &part.blocks, &p, 0);
            }
        }
    }

    /// The summary box: its parts, each under its title, in a shaded
    /// box ruled at the left.
    fn summary(&self, out: &mut String) {
        if self.doc.summary.is_empty() {
            return;
        }
        self.boxed(out, |out| {
            self.p(out, "SummaryTitle", |out| {
                run(out, "Summary", Fmt::default())
            });
            for part in &self.doc.summary {
                self.p(out, "SummaryHeading", |out| run(out, &part.title, BOLD));
                self.blocks(out, &part.blocks, &Par::styled("Summary"), 0);
            }
        });
    }

    /// Back matter, references and the credit line.
    pub fn end_matter(&self, out: &mut String, generator: &str) {
        let doc = self.doc;
        let body = Par {
            headings: true,
            ..Par::default()
        };
        for b in &doc.back_matter {
            self.heading(
                out,
                &Heading {
                    level: 1,
                    id: b.id.clone(),
                    number: String::new(),
                    content: vec![Inline::Text(b.title.clone())],
                },
            );
            self.blocks(out, &b.blocks, &body, 0);
        }
        if !doc.references.is_empty() {
            let title = doc.references_title.as_deref().unwrap_or("References");
            self.p(out, "Heading1", |out| run(out, title, Fmt::default()));
            for r in &doc.references {
                let style = if r.label.is_empty() {
                    "Bibliography"
                } else {
                    "BibliographyNumbered"
                };
                self.p(out, style, |out| {
                    self.bookmarked(out, &format!("ref-{}", r.key), |out| {
                        self.inlines(out, &r.label, Fmt::default());
                    });
                    if !r.label.is_empty() {
                        out.push_str("<w:r><w:tab/></w:r>");
                    }
                    self.inlines(out, &r.content, Fmt::default());
                });
            }
        }
        self.credit(out, generator);
    }

    /// Where the article was first published and under what license.
    fn credit(&self, out: &mut String, generator: &str) {
        let doc = self.doc;
        self.p(out, "Credit", |out| {
            if let Some(j) = &doc.journal {
                run(
                    out,
                    &format!(
                        "Originally published as: {}. “{}.” ",
                        doc.credit_authors(),
                        doc.title_text
                    ),
                    Fmt::default(),
                );
                run(out, j, Fmt { italic: true, ..Fmt::default() });
                if let Some(y) = doc.year {
                    run(out, &format!(" ({y})"), Fmt::default());
                }
                if let Some(d) = &doc.doi {
                    run(out, ", ", Fmt::default());
                    self.link(out, &format!("https://doi.org/{d}"), &format!("doi:{d}"));
                }
                run(out, ". ", Fmt::default());
                if let Some(p) = &doc.publisher {
                    let year = doc.year.map(|y| format!("{y} ")).unwrap_or_default();
                    run(
                        out,
                        &format!("© {year}The Author(s); published by {p}. "),
                        Fmt::default(),
                    );
                }
            }
            if let Some(l) = &doc.license_name {
                run(out, "This article is distributed under the terms of the ", Fmt::default());
                match &doc.license_url {
                    Some(u) => self.link(out, u, l),
                    None => run(out, l, Fmt::default()),
                }
                run(out, " license, which permits use, distribution and reproduction in any medium, provided the original work is properly cited. ", Fmt::default());
            }
            run(
                out,
                &format!("This edition was built from plain files by {generator}; every number, table, citation and figure is generated from the data."),
                Fmt::default(),
            );
        });
    }

    /// The footnotes part's notes, each opening with its mark.
    pub fn footnotes(&self, out: &mut String) {
        let p = Par::styled("FootnoteText");
        for (n, blocks) in self.doc.footnotes.iter().enumerate() {
            out.push_str(&format!("<w:footnote w:id=\"{}\">", n + 1));
            let mut inner = String::new();
            self.blocks(&mut inner, blocks, &p, 0);
            let mark = "<w:r><w:rPr><w:rStyle w:val=\"FootnoteReference\"/></w:rPr><w:footnoteRef/></w:r><w:r><w:t xml:space=\"preserve\"> </w:t></w:r>";
            // The mark opens the first paragraph (after its properties).
            match inner.find("<w:p>") {
                Some(at) => {
                    let after_ppr = inner[at..]
                        .find("</w:pPr>")
                        .map(|e| at + e + "</w:pPr>".len())
                        .filter(|e| !inner[at..*e].contains("</w:p>"))
                        .unwrap_or(at + "<w:p>".len());
                    inner.insert_str(after_ppr, mark);
                }
                None => {
                    inner.insert_str(
                        0,
                        &format!(
                            "<w:p><w:pPr><w:pStyle w:val=\"FootnoteText\"/></w:pPr>{mark}</w:p>"
                        ),
                    );
                }
            }
            out.push_str(&inner);
            out.push_str("</w:footnote>");
        }
    }
}
