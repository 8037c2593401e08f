//! Quarto's author and affiliation schema, which manuscript.yaml accepts
//! beside galley's own: an author's `name` as text or `{given, family,
//! literal}`, `affiliations` as names, `{ref: id}` or whole objects (`{id,
//! name, department, city, ...}`), `attributes: {corresponding: true}`;
//! top-level `affiliations` as a list of such objects. `galley new --from`
//! reads front matter with the same rules.

use indexmap::IndexMap;
use serde_yaml::{Mapping, Value};

/// An affiliation an author names: a key of `affiliations`, or one written
/// in place (its id, if any, and its text).
#[derive(Debug, Clone, PartialEq)]
pub enum AffiliationRef {
    Key(String),
    Inline { id: Option<String>, text: String },
}

/// An author, from either schema.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Author {
    pub name: String,
    pub given: Option<String>,
    pub family: Option<String>,
    pub affiliations: Vec<AffiliationRef>,
    pub orcid: Option<String>,
    pub email: Option<String>,
    pub corresponding: bool,
}

/// galley's author keys, then Quarto's.
pub const AUTHOR_KEYS: &[&str] = &[
    "name",
    "given",
    "family",
    "affiliations",
    "orcid",
    "email",
    "corresponding",
    "affiliation",
    "attributes",
    "roles",
    "role",
    "url",
    "note",
    "degrees",
    "acknowledgements",
    "phone",
    "fax",
    "id",
    "number",
    // Manubot's, kept for its templates.
    "initials",
    "github",
    "twitter",
    "mastodon",
    "mastodon-server",
    "funders",
];

pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn get<'v>(m: &'v Mapping, key: &str) -> Option<&'v Value> {
    m.get(Value::String(key.to_string()))
}

/// An affiliation's text from Quarto's fields, in reading order.
pub fn affiliation_text(m: &Mapping) -> String {
    [
        "department",
        "name",
        "address",
        "city",
        "region",
        "state",
        "postal-code",
        "country",
    ]
    .iter()
    .filter_map(|k| get(m, k).and_then(text))
    .collect::<Vec<_>>()
    .join(", ")
}

fn affiliation_ref(v: &Value) -> Option<AffiliationRef> {
    match v {
        Value::String(s) => Some(AffiliationRef::Key(s.clone())),
        Value::Mapping(m) => match get(m, "ref").and_then(text) {
            Some(r) => Some(AffiliationRef::Key(r)),
            None => Some(AffiliationRef::Inline {
                id: get(m, "id").and_then(text),
                text: affiliation_text(m),
            }),
        },
        _ => None,
    }
}

/// One author from its YAML; an unknown key is an error naming it.
pub fn author(v: &Value) -> Result<Author, String> {
    let m = match v {
        Value::String(s) => {
            return Ok(Author {
                name: s.clone(),
                ..Author::default()
            })
        }
        Value::Mapping(m) => m,
        _ => return Err("an author is a name or a mapping with `name:`".into()),
    };
    for k in m.keys() {
        let k = k.as_str().unwrap_or("");
        if !AUTHOR_KEYS.contains(&k) && k != "affilations" {
            let hint = crate::diag::nearest(k, AUTHOR_KEYS.iter().copied())
                .map(|n| format!(" (did you mean `{n}`?)"))
                .unwrap_or_default();
            return Err(format!(
                "unknown author field `{k}`{hint}, expected one of {}",
                AUTHOR_KEYS[..7]
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    let mut a = Author {
        given: get(m, "given").and_then(text),
        family: get(m, "family").and_then(text),
        orcid: get(m, "orcid").and_then(text),
        email: get(m, "email").and_then(text),
        ..Author::default()
    };
    match get(m, "name") {
        Some(Value::Mapping(n)) => {
            a.given = get(n, "given").and_then(text).or(a.given);
            a.family = get(n, "family").and_then(text).or(a.family);
            a.name = get(n, "literal").and_then(text).unwrap_or_else(|| {
                [a.given.clone(), a.family.clone()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ")
            });
        }
        Some(n) => a.name = text(n).unwrap_or_default(),
        None => {}
    }
    if a.name.is_empty() {
        return Err("an author needs a `name`".into());
    }
    let attrs = get(m, "attributes").and_then(Value::as_mapping);
    a.corresponding = [
        get(m, "corresponding"),
        attrs.and_then(|x| get(x, "corresponding")),
    ]
    .into_iter()
    .flatten()
    .any(|v| v.as_bool() == Some(true));
    // Quarto spells it `affiliations`; `affiliation` and the common
    // misspelling `affilations` mean the same.
    for key in ["affiliations", "affiliation", "affilations"] {
        match get(m, key) {
            Some(Value::Sequence(list)) => a
                .affiliations
                .extend(list.iter().filter_map(affiliation_ref)),
            Some(one @ (Value::String(_) | Value::Mapping(_))) => {
                a.affiliations.extend(affiliation_ref(one))
            }
            _ => {}
        }
    }
    Ok(a)
}

/// Top-level `affiliations`: galley's map (key: text) or Quarto's list of
/// objects (a key each: its id, else a1, a2, ...).
pub fn affiliations(v: &Value) -> Result<IndexMap<String, String>, String> {
    let mut out = IndexMap::new();
    match v {
        Value::Null => {}
        Value::Mapping(m) => {
            for (k, v) in m {
                let k = text(k).ok_or("an affiliation's key is a name or number")?;
                let t = match v {
                    Value::Mapping(obj) => affiliation_text(obj),
                    other => {
                        text(other).ok_or_else(|| format!("affiliation `{k}` needs a text"))?
                    }
                };
                out.insert(k, t);
            }
        }
        Value::Sequence(list) => {
            for item in list {
                let (id, t) = match item {
                    Value::Mapping(m) => (get(m, "id").and_then(text), affiliation_text(m)),
                    other => (None, text(other).unwrap_or_default()),
                };
                let key = id.unwrap_or_else(|| format!("a{}", out.len() + 1));
                out.insert(key, t);
            }
        }
        _ => return Err("`affiliations` is a map of key: text or a list of affiliations".into()),
    }
    Ok(out)
}

/// Authors' affiliations written in place added to `affs` (the same text is
/// the same affiliation) and replaced by their keys.
pub fn resolve(authors: &[Author], affs: &mut IndexMap<String, String>) -> Vec<Vec<String>> {
    authors
        .iter()
        .map(|a| {
            a.affiliations
                .iter()
                .map(|r| match r {
                    AffiliationRef::Key(k) => {
                        // A name rather than a key (Quarto's `affiliations:
                        // [Curvenote]`): the affiliation of that text.
                        if affs.contains_key(k) {
                            k.clone()
                        } else if let Some((key, _)) = affs.iter().find(|(_, t)| *t == k) {
                            key.clone()
                        } else if !affs.is_empty()
                            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                            && k.len() < 4
                        {
                            // Looks like a key that is not there: kept, so
                            // the check reports it.
                            k.clone()
                        } else {
                            let key = format!("a{}", affs.len() + 1);
                            affs.insert(key.clone(), k.clone());
                            key
                        }
                    }
                    AffiliationRef::Inline { id, text } => {
                        if let Some(id) = id.as_ref().filter(|i| affs.contains_key(*i)) {
                            return id.clone();
                        }
                        if let Some((key, _)) = affs.iter().find(|(_, t)| *t == text) {
                            return key.clone();
                        }
                        let key = id.clone().unwrap_or_else(|| format!("a{}", affs.len() + 1));
                        affs.insert(key.clone(), text.clone());
                        key
                    }
                })
                .collect()
        })
        .collect()
}
