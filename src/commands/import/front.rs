//! A Pandoc/Quarto document's YAML front matter as galley's
//! manuscript.yaml: title, subtitle, authors with Quarto's author and
//! affiliation schema (ids, refs, ORCID, e-mail, corresponding), abstract,
//! keywords, date, bibliography, csl and lang. What galley does not carry
//! over is listed, once.

use serde_yaml::{Mapping, Value};

/// Keys that only steer Pandoc's or Quarto's rendering, which galley does
/// in its own way: not reported as lost.
const RENDERING_KEYS: &[&str] = &[
    "format",
    "execute",
    "jupyter",
    "engine",
    "knitr",
    "editor",
    "editor_options",
    "toc",
    "toc-depth",
    "toc-title",
    "number-sections",
    "number-depth",
    "crossref",
    "tbl-cap-location",
    "fig-cap-location",
    "filters",
    "citeproc",
    "link-citations",
    "reference-section-title",
    "documentclass",
    "classoption",
    "geometry",
    "fontsize",
    "mainfont",
    "header-includes",
    "include-in-header",
    "keep-tex",
    "output",
    "notebook-links",
    "notebook-view",
    "embed-resources",
    "theme",
];

/// The manuscript.yaml values of a front matter.
#[derive(Debug, Default)]
pub struct Front {
    pub title: Option<String>,
    pub subtitle: Option<String>,
    /// Read by galley's rules (`load::quarto`), each affiliation made a
    /// key of `affiliations`.
    pub authors: Vec<crate::load::quarto::Author>,
    /// (key, text), in order.
    pub affiliations: Vec<(String, String)>,
    pub abstract_: Option<String>,
    pub keywords: Vec<String>,
    pub published: Option<String>,
    pub bibliography: Vec<String>,
    pub csl: Option<String>,
    pub lang: Option<String>,
    /// Pandoc's `references:` (CSL-YAML), as written.
    pub references: Option<Value>,
    /// Keys not carried over (rendering keys aside).
    pub dropped: Vec<String>,
}

use crate::load::quarto::text;

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Sequence(s) => s.iter().filter_map(text).collect(),
        Value::String(s) => s
            .split([',', ';'])
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect(),
        other => text(other).into_iter().collect(),
    }
}

/// An ISO date (`2024-03-01`), or `None` for Quarto's `today`,
/// `last-modified` and other words (a build must not depend on the day).
fn iso_date(v: &Value) -> Option<String> {
    let s = text(v)?;
    let b = s.as_bytes();
    let ok = s.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit);
    ok.then(|| s[..10].to_string())
}

/// Read a front matter (merged over a Quarto project's `_quarto.yml`).
pub fn read(meta: &Mapping) -> Front {
    use crate::load::quarto;
    let mut f = Front::default();
    let mut authors: Vec<quarto::Author> = Vec::new();
    let mut affs = meta
        .get("affiliations")
        .and_then(|v| quarto::affiliations(v).ok())
        .unwrap_or_default();
    for (k, v) in meta {
        let Some(key) = k.as_str() else { continue };
        match key {
            "title" => f.title = text(v),
            "subtitle" => f.subtitle = text(v),
            "author" | "authors" => {
                let list = match v {
                    Value::Sequence(s) => s.clone(),
                    other => vec![other.clone()],
                };
                for a in &list {
                    match quarto::author(a) {
                        Ok(a) => authors.push(a),
                        Err(e) => f.dropped.push(format!("an author ({e})")),
                    }
                }
            }
            "affiliations" => {}
            "abstract" => f.abstract_ = text(v),
            "keywords" => f.keywords = strings(v),
            "date" => {
                f.published = iso_date(v);
                if f.published.is_none() {
                    f.dropped
                        .push(format!("date ({})", text(v).unwrap_or_default()));
                }
            }
            "bibliography" => f.bibliography = strings(v),
            "csl" => f.csl = text(v),
            "lang" => f.lang = text(v),
            "references" => f.references = Some(v.clone()),
            k if RENDERING_KEYS.contains(&k) => {}
            other => f.dropped.push(other.to_string()),
        }
    }
    let keys = quarto::resolve(&authors, &mut affs);
    f.authors = authors
        .into_iter()
        .zip(keys)
        .map(|(a, k)| quarto::Author {
            affiliations: k.into_iter().map(quarto::AffiliationRef::Key).collect(),
            ..a
        })
        .collect();
    f.affiliations = affs.into_iter().collect();
    f
}

/// A YAML scalar, quoted as needed.
fn scalar(s: &str) -> String {
    serde_yaml::to_string(s)
        .map(|y| y.trim_end().to_string())
        .unwrap_or_else(|_| format!("{s:?}"))
}

/// A block scalar (`|`) for Markdown that spans lines.
fn block(s: &str, indent: &str) -> String {
    if !s.contains('\n') {
        return scalar(s);
    }
    let mut out = String::from("|\n");
    for line in s.lines() {
        if line.is_empty() {
            out.push('\n');
        } else {
            out.push_str(indent);
            out.push_str(line);
            out.push('\n');
        }
    }
    out.trim_end_matches('\n').to_string()
}

impl Front {
    /// manuscript.yaml for these values and the section files.
    pub fn manuscript_yaml(&self, sections: &[String], title_fallback: &str) -> String {
        let mut y =
            String::from("# Imported by `galley new --from`; see galley's manuscript.yaml keys.\n");
        let title = self
            .title
            .clone()
            .unwrap_or_else(|| title_fallback.to_string());
        y.push_str(&format!("title: {}\n", scalar(&title)));
        if let Some(s) = &self.subtitle {
            y.push_str(&format!("subtitle: {}\n", scalar(s)));
        }
        y.push_str("authors:\n");
        if self.authors.is_empty() {
            y.push_str("  - name: Anonymous\n");
        }
        for a in &self.authors {
            y.push_str(&format!("  - name: {}\n", scalar(&a.name)));
            for (k, v) in [
                ("given", &a.given),
                ("family", &a.family),
                ("orcid", &a.orcid),
                ("email", &a.email),
            ] {
                if let Some(v) = v {
                    y.push_str(&format!("    {k}: {}\n", scalar(v)));
                }
            }
            if !a.affiliations.is_empty() {
                let list: Vec<String> = a
                    .affiliations
                    .iter()
                    .filter_map(|r| match r {
                        crate::load::quarto::AffiliationRef::Key(k) => Some(scalar(k)),
                        crate::load::quarto::AffiliationRef::Inline { .. } => None,
                    })
                    .collect();
                y.push_str(&format!("    affiliations: [{}]\n", list.join(", ")));
            }
            if a.corresponding {
                y.push_str("    corresponding: true\n");
            }
        }
        if !self.affiliations.is_empty() {
            y.push_str("affiliations:\n");
            for (k, t) in &self.affiliations {
                y.push_str(&format!("  {}: {}\n", scalar(k), scalar(t)));
            }
        }
        if let Some(a) = &self.abstract_ {
            y.push_str(&format!("abstract: {}\n", block(a, "  ")));
        }
        if !self.keywords.is_empty() {
            let list: Vec<String> = self.keywords.iter().map(|k| scalar(k)).collect();
            y.push_str(&format!("keywords: [{}]\n", list.join(", ")));
        }
        if let Some(d) = &self.published {
            y.push_str(&format!("dates:\n  published: {d}\n"));
        }
        if let Some(l) = &self.lang {
            y.push_str(&format!("lang: {}\n", scalar(l)));
        }
        if let Some(c) = &self.csl {
            y.push_str(&format!("csl: {}\n", scalar(c)));
        }
        y.push_str("sections:\n");
        for s in sections {
            y.push_str(&format!("  - {}\n", scalar(s)));
        }
        y.push_str(
            "# As Pandoc does: a citation whose key is in no bibliography is a warning\n\
             # (shown as the key with a question mark). `error` makes it fail the build.\n\
             missing_citations: warn\n",
        );
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarto_authors_and_affiliations() {
        let yaml = r#"
title: Short Paper
author:
  - name: Alice Anonymous
    email: alice@example.com
    affiliations:
      - id: some-tech
        name: Some Institute of Technology
        department: Department Name
    attributes:
      corresponding: true
  - name: Cat Memes
    affiliations:
      - ref: some-tech
  - name: {given: Bob, family: Security}
    affiliations: [Another University]
    orcid: 0000-0002-0760-5497
date: last-modified
format: html
key-points: [a]
"#;
        let m: Mapping = serde_yaml::from_str(yaml).unwrap();
        let f = read(&m);
        assert_eq!(f.title.as_deref(), Some("Short Paper"));
        assert_eq!(f.authors.len(), 3);
        assert!(f.authors[0].corresponding);
        let key = |k: &str| vec![crate::load::quarto::AffiliationRef::Key(k.into())];
        assert_eq!(f.authors[0].affiliations, key("some-tech"));
        assert_eq!(f.authors[1].affiliations, key("some-tech"));
        assert_eq!(f.authors[2].name, "Bob Security");
        assert_eq!(f.authors[2].family.as_deref(), Some("Security"));
        assert_eq!(
            f.affiliations,
            [
                (
                    "some-tech".to_string(),
                    "Department Name, Some Institute of Technology".to_string()
                ),
                ("a2".to_string(), "Another University".to_string())
            ]
        );
        assert_eq!(f.dropped, ["date (last-modified)", "key-points"]);
        let y = f.manuscript_yaml(&["sections/index.md".into()], "x");
        assert!(y.contains("affiliations: [some-tech]"), "{y}");
        assert!(y.contains("orcid: 0000-0002-0760-5497"), "{y}");
    }
}
