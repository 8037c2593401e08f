//! Table specifications (manuscript/tables/*.yaml).

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;

use indexmap::IndexMap;
use serde::Deserialize;

use crate::diag::{Diagnostic, Diagnostics};
use crate::load::project::TextFile;
use crate::load::yaml::{parse_yaml, yaml_key_span};
use crate::model::Align;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarkSpec {
    pub label: String,
    #[serde(default)]
    pub tone: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    pub header: String,
    pub cell: String,
    #[serde(default)]
    pub align: Option<Align>,
    #[serde(default)]
    pub width: Option<f64>,
    #[serde(default)]
    pub supheader: Option<String>,
    #[serde(default)]
    pub mark: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    pub id: String,
    #[serde(default)]
    pub caption: String,
    pub source: String,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub marks: IndexMap<String, MarkSpec>,
    pub columns: Vec<ColumnSpec>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// A spec with the file it came from.
#[derive(Debug, Clone)]
pub struct LoadedSpec {
    pub spec: TableSpec,
    pub file: PathBuf,
    pub text: String,
}

impl LoadedSpec {
    /// Byte offset of an embedded template (a cell, caption...) in the file.
    pub fn offset_of(&self, template: &str) -> usize {
        crate::load::yaml::find_template(&self.text, template)
    }

    pub fn key_span(&self, key: &str) -> Range<usize> {
        yaml_key_span(&self.text, key).unwrap_or(0..1)
    }
}

pub fn load_specs(files: &[TextFile]) -> Result<BTreeMap<String, LoadedSpec>, Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut out: BTreeMap<String, LoadedSpec> = BTreeMap::new();
    for f in files {
        let spec: TableSpec = match parse_yaml(&f.text, &f.path) {
            Ok(s) => s,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        let loaded = LoadedSpec {
            spec,
            file: f.path.clone(),
            text: f.text.clone(),
        };
        let id = loaded.spec.id.clone();
        if !id.starts_with("tbl-") || !crate::model::ids::is_file_id(&id) {
            diags.push(
                Diagnostic::error(format!(
                    "table id `{id}` must start with `tbl-` and use only letters, digits, `-` and `_`"
                ))
                .at(&f.path, loaded.key_span("id")),
            );
        }
        if loaded.spec.columns.is_empty() {
            diags.push(
                Diagnostic::error("a table needs at least one column")
                    .at(&f.path, loaded.key_span("columns")),
            );
        }
        for (i, c) in loaded.spec.columns.iter().enumerate() {
            if c.mark && loaded.spec.marks.is_empty() {
                diags.push(
                    Diagnostic::error(format!(
                        "column {} is a mark column but the table defines no `marks`",
                        i + 1
                    ))
                    .at(&f.path, loaded.key_span("columns")),
                );
            }
        }
        if let Some(prev) = out.get(&id) {
            diags.push(
                Diagnostic::error(format!("duplicate table id `{id}`"))
                    .at(&f.path, loaded.key_span("id"))
                    .with_note(format!("also defined in {}", prev.file.display())),
            );
            continue;
        }
        out.insert(id, loaded);
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(out)
    }
}
