//! The variables Manubot gives a template, made from manuscript.yaml:
//! `manubot` (authors with their affiliations as text and numbers, the
//! numbered affiliations, the dates, the site's address) and `pandoc`
//! (the document's metadata as Pandoc has it).
//!
//! Manubot dates a manuscript when it is built; galley's output is the
//! same on every build, so both `date_long` and `generated_date_long` are
//! `dates.published`. Without one they are undefined, and printing them
//! is an error that says to set it.

use serde_json::{json, Map, Value};

use crate::load::meta::Meta;
use crate::model::dates::format_date;

/// `manubot` and `pandoc`, from the metadata and manuscript.yaml as
/// written (`written`, where an author's other keys, such as `github`,
/// are kept for the template).
pub fn variables(meta: &Meta, written: &Value) -> (Value, Value) {
    let raw_authors = written
        .get("authors")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    // Affiliations are numbered in order of first mention, as Manubot
    // numbers them.
    let mut numbered: Vec<&str> = Vec::new();
    let mut authors = Vec::new();
    for (i, a) in meta.authors.iter().enumerate() {
        let mut out = match raw_authors.get(i) {
            Some(Value::Object(m)) => m.clone(),
            _ => Map::new(),
        };
        let texts: Vec<&str> = a
            .affiliations
            .iter()
            .filter_map(|k| meta.affiliations.get(k).map(String::as_str))
            .collect();
        let mut numbers = Vec::new();
        for t in &texts {
            let n = match numbered.iter().position(|x| x == t) {
                Some(p) => p + 1,
                None => {
                    numbered.push(t);
                    numbered.len()
                }
            };
            numbers.push(n);
        }
        numbers.sort_unstable();
        out.insert("name".into(), json!(a.name));
        out.insert("affiliations".into(), json!(texts));
        out.insert("affiliation_numbers".into(), json!(numbers));
        if let Some(o) = &a.orcid {
            out.insert("orcid".into(), json!(o));
        }
        if let Some(e) = &a.email {
            out.insert("email".into(), json!(e));
        }
        if a.corresponding {
            out.insert("corresponding".into(), json!(true));
        }
        authors.push(Value::Object(out));
    }
    let mut manubot = Map::new();
    manubot.insert("authors".into(), Value::Array(authors));
    manubot.insert(
        "affiliations".into(),
        Value::Array(
            numbered
                .iter()
                .enumerate()
                .map(|(i, t)| json!({"affiliation": t, "affiliation_number": i + 1}))
                .collect(),
        ),
    );
    let published = meta.dates.as_ref().and_then(|d| d.published.as_deref());
    if let Some(long) = published.and_then(|d| format_date(d, "%B %-d, %Y")) {
        for k in ["date", "date_long", "generated_date_long"] {
            manubot.insert(k.into(), json!(long));
        }
    }
    if let Some(url) = &meta.base_url {
        manubot.insert("html_url".into(), json!(url));
    }
    let mut pandoc = Map::new();
    pandoc.insert("title".into(), json!(meta.title));
    if let Some(s) = &meta.subtitle {
        pandoc.insert("subtitle".into(), json!(s));
    }
    pandoc.insert("keywords".into(), json!(meta.keywords));
    if let Some(l) = &meta.lang {
        pandoc.insert("lang".into(), json!(l));
    }
    pandoc.insert(
        "author-meta".into(),
        json!(meta.authors.iter().map(|a| &a.name).collect::<Vec<_>>()),
    );
    if let Some(d) = published {
        pandoc.insert("date-meta".into(), json!(d));
    }
    (Value::Object(manubot), Value::Object(pandoc))
}
