//! manuscript.yaml: the metadata and settings of a manuscript, as the
//! file writes them.

use indexmap::IndexMap;
use serde::Deserialize;

/// An author, as galley writes one or as Quarto does (`load::quarto`).
#[derive(Debug, Clone)]
pub struct AuthorSpec {
    pub name: String,
    pub given: Option<String>,
    pub family: Option<String>,
    /// Keys of `affiliations` (those written in place included, once
    /// [`Meta::resolve_affiliations`] has run).
    pub affiliations: Vec<String>,
    pub orcid: Option<String>,
    pub email: Option<String>,
    pub corresponding: bool,
    refs: Vec<crate::load::quarto::AffiliationRef>,
}

impl<'de> Deserialize<'de> for AuthorSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_yaml::Value::deserialize(d)?;
        let a = crate::load::quarto::author(&v).map_err(serde::de::Error::custom)?;
        Ok(AuthorSpec {
            name: a.name,
            given: a.given,
            family: a.family,
            affiliations: Vec::new(),
            orcid: a.orcid,
            email: a.email,
            corresponding: a.corresponding,
            refs: a.affiliations,
        })
    }
}

fn affiliations_spec<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<IndexMap<String, String>, D::Error> {
    let v = serde_yaml::Value::deserialize(d)?;
    crate::load::quarto::affiliations(&v).map_err(serde::de::Error::custom)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum AbstractSpec {
    Plain(String),
    Structured(IndexMap<String, String>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dates {
    pub received: Option<String>,
    pub revised: Option<String>,
    pub accepted: Option<String>,
    pub published: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum JournalSpec {
    Name(String),
    Full(JournalFull),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JournalFull {
    pub name: String,
    pub year: Option<i64>,
    pub volume: Option<String>,
    pub issue: Option<String>,
    pub pages: Option<String>,
    pub publisher: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum LicenseSpec {
    Name(String),
    Full(LicenseFull),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LicenseFull {
    pub name: String,
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TitledMarkdown {
    pub title: String,
    pub content: String,
    #[serde(default)]
    pub id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    #[serde(rename = "assert")]
    pub expr: String,
    pub message: String,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PdfSpec {
    /// Typst paper name: a4, us-letter, ...
    pub paper: Option<PaperSize>,
    pub font_size: Option<f64>,
    /// Text columns of the body (the title block and abstract span them).
    pub columns: Option<u8>,
    /// ua-1 (tagged, accessible; the default), a-2b, a-3b or none.
    pub standard: Option<PdfConformance>,
}

/// A paper size by Typst's name for it (`pdf: {paper: ...}`): a4,
/// us-letter, iso-b5, ...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperSize(String);

impl PaperSize {
    pub fn name(&self) -> &str {
        &self.0
    }
}

impl Default for PaperSize {
    fn default() -> Self {
        PaperSize("a4".into())
    }
}

/// Every paper name Typst knows, in its order.
fn paper_names() -> Vec<String> {
    use typst::foundations::{CastInfo, Reflect, Value};
    fn walk(info: &CastInfo, out: &mut Vec<String>) {
        match info {
            CastInfo::Value(Value::Str(s), _) => out.push(s.to_string()),
            CastInfo::Union(list) => list.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(&<typst::layout::Paper as Reflect>::input(), &mut out);
    out
}

impl<'de> Deserialize<'de> for PaperSize {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let given = String::deserialize(d)?;
        let names = paper_names();
        if names.contains(&given) {
            return Ok(PaperSize(given));
        }
        let hint = match crate::diag::nearest(&given, names.iter().map(String::as_str)) {
            Some(n) => format!("did you mean `{n}`? "),
            None => String::new(),
        };
        Err(serde::de::Error::custom(format!(
            "unknown paper size `{given}`; {hint}expected one of Typst's paper names, such as `a4`, `a5`, `us-letter`, `us-legal`, `iso-b5` ({} in all)",
            names.len()
        )))
    }
}

/// The standard a PDF claims to conform to (`pdf: {standard: ...}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum PdfConformance {
    #[serde(rename = "ua-1")]
    Ua1,
    #[serde(rename = "a-2b")]
    A2b,
    #[serde(rename = "a-3b")]
    A3b,
    #[serde(rename = "none")]
    None,
}

/// manuscript.yaml
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    pub title: String,
    #[serde(default)]
    pub subtitle: Option<String>,
    pub authors: Vec<AuthorSpec>,
    #[serde(default, deserialize_with = "affiliations_spec")]
    pub affiliations: IndexMap<String, String>,
    pub sections: Vec<String>,
    #[serde(default, rename = "abstract")]
    pub abstract_: Option<AbstractSpec>,
    /// The highlights box: titled lists of Markdown items.
    #[serde(default)]
    pub summary: Option<IndexMap<String, Vec<String>>>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub dates: Option<Dates>,
    #[serde(default)]
    pub journal: Option<JournalSpec>,
    #[serde(default)]
    pub article_type: Option<String>,
    #[serde(default)]
    pub doi: Option<String>,
    #[serde(default)]
    pub license: Option<LicenseSpec>,
    #[serde(default)]
    pub lang: Option<String>,
    #[serde(default)]
    pub csl: Option<String>,
    /// Bibliography files relative to the project root; default: every file
    /// in bibliography/.
    #[serde(default)]
    pub bibliography: Option<Vec<String>>,
    #[serde(default)]
    pub checks: Vec<CheckSpec>,
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub pdf: Option<PdfSpec>,
    #[serde(default)]
    pub back_matter: Vec<TitledMarkdown>,
    /// File name stem of the PDF and BibTeX outputs.
    #[serde(default)]
    pub slug: Option<String>,
    /// Let raw HTML in Markdown through (escaped otherwise).
    #[serde(default)]
    pub allow_html: bool,
    /// A citation whose key is in no bibliography: an error (the default)
    /// or, as Pandoc has it, a warning and the key shown with a `?`.
    #[serde(default)]
    pub missing_citations: MissingCitations,
    /// Pandoc's `references:`: CSL items written in manuscript.yaml, a
    /// bibliography beside the files of bibliography/.
    #[serde(default)]
    pub references: Option<serde_yaml::Value>,
    /// The template language of the sections: Tera (galley's own) or
    /// Jinja2 as Manubot runs it.
    #[serde(default)]
    pub templates: Templates,
}

impl Meta {
    /// Affiliations the authors write in place (Quarto's schema) added to
    /// `affiliations`, and every author's list made of keys.
    pub fn resolve_affiliations(&mut self) {
        let authors: Vec<crate::load::quarto::Author> = self
            .authors
            .iter()
            .map(|a| crate::load::quarto::Author {
                affiliations: a.refs.clone(),
                ..Default::default()
            })
            .collect();
        let keys = crate::load::quarto::resolve(&authors, &mut self.affiliations);
        for (a, k) in self.authors.iter_mut().zip(keys) {
            a.affiliations = k;
        }
    }
}

/// The template language of the sections (`templates:`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Templates {
    /// Tera, with galley's filters and functions.
    #[default]
    Tera,
    /// Jinja2 as Manubot configures it: `{## ##}` comments and the
    /// `manubot` and `pandoc` variables, beside galley's.
    Manubot,
}

/// What a citation of an unknown key is (`missing_citations:`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MissingCitations {
    #[default]
    Error,
    Warn,
}

/// The address a site is served from (`base_url`, `--base-url`), for every
/// command alike: an absolute http(s) URL without user, query or fragment,
/// ending in `/`. The error completes "base_url `...` ".
pub fn parse_base_url(given: &str) -> std::result::Result<url::Url, String> {
    let mut url =
        url::Url::parse(given.trim()).map_err(|e| format!("is not an absolute URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err("is not an http:// or https:// address".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("may not have a query or a fragment".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("may not hold a user name or password".into());
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}
