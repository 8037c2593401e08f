//! Quarto shortcodes in sections: `pagebreak`, `meta` and `var` (values
//! from manuscript.yaml), `include` (a file inside the project, read with
//! the sections). Any other is left out with a warning naming it.

use std::ops::Range;
use std::path::Path;

use serde_json::Value;

use super::assembler::Assembler;
use crate::assemble::template::protect::{self, Shortcode};
use crate::diag::Diagnostic;
use crate::load::project::Project;

/// The marker `{{< pagebreak >}}` leaves for the Markdown reader.
pub const PAGEBREAK: &str = "<!--galley:pagebreak-->";

/// A dotted key (`author.name`, `keywords.0`) in a value.
fn lookup<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    key.split('.').try_fold(v, |v, k| match v {
        Value::Object(m) => m.get(k),
        Value::Array(a) => a.get(k.parse::<usize>().ok()?),
        _ => None,
    })
}

/// A value as the text a shortcode puts in place.
fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(as_text).collect::<Vec<_>>().join(", "),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A text protected for Tera, and what protecting it found: warnings, and
/// the labels of notebook cells it left out.
pub(super) struct Protected {
    pub text: String,
    pub warnings: Vec<Diagnostic>,
    pub cell_labels: Vec<String>,
}

impl Assembler<'_> {
    /// `template` (at `base` in `file`) protected for Tera, its shortcodes
    /// expanded.
    pub(super) fn protect(&mut self, file: &Path, base: usize, template: &str) -> String {
        let p = protected(self.project, file, base, template, 0);
        for d in p.warnings {
            self.diags.push(d);
        }
        self.cell_labels.extend(p.cell_labels);
        p.text
    }
}

/// `template` (at `base` in `file` of `project`) protected for Tera, its
/// shortcodes expanded, and what protecting it found. It reads only the
/// project, so it can run before the bibliography is read.
pub(super) fn protected(
    project: &Project,
    file: &Path,
    base: usize,
    template: &str,
    depth: usize,
) -> Protected {
    let mut problems: Vec<(Range<usize>, String)> = Vec::new();
    let mut included: Vec<std::path::PathBuf> = Vec::new();
    let mut embedded: Vec<String> = Vec::new();
    let meta = &project.meta_value;
    let sources = &project.sources;
    let out = protect::protect(template, &mut |sc: &Shortcode| match sc.name {
        "pagebreak" => PAGEBREAK.to_string(),
        "meta" | "var" => {
            let key = sc.args.first().copied().unwrap_or("");
            match lookup(meta, key) {
                Some(v) => protect::literal(&as_text(v)),
                None => {
                    problems.push((
                        sc.span.clone(),
                        format!(
                            "shortcode `{}` names `{key}`, which manuscript.yaml does not set; left out",
                            sc.name
                        ),
                    ));
                    String::new()
                }
            }
        }
        "include" => {
            let arg = sc.args.first().copied().unwrap_or("");
            let rel = crate::load::includes::include_path(file, arg);
            match rel.filter(|r| sources.get(r).is_some()) {
                Some(rel) if depth < crate::load::includes::MAX_DEPTH => {
                    // Put in place after this pass (it is protected too).
                    included.push(rel);
                    format!("\u{E00C}{}\u{E00C}", included.len() - 1)
                }
                _ => String::new(),
            }
        }
        "embed" => {
            // A notebook cell's output: galley runs no notebooks. Its
            // label is known, so a cross-reference to it only warns.
            let arg = sc.args.first().copied().unwrap_or("");
            if let Some((_, label)) = arg.split_once('#') {
                embedded.push(label.to_string());
            }
            problems.push((
                sc.span.clone(),
                format!("`{{{{< embed {arg} >}}}}` is left out: galley does not run notebooks"),
            ));
            String::new()
        }
        other => {
            problems.push((
                sc.span.clone(),
                format!("shortcode `{{{{< {other} >}}}}` is not one galley knows; left out"),
            ));
            String::new()
        }
    });
    let mut found = Protected {
        text: out,
        warnings: problems
            .into_iter()
            .map(|(span, msg)| {
                let at = base + span.start..base + span.end;
                Diagnostic::warning(msg).at(file, at)
            })
            .collect(),
        cell_labels: embedded,
    };
    for (i, rel) in included.into_iter().enumerate() {
        let text = project.sources.get(&rel).unwrap_or("");
        let inner = protected(project, &rel, 0, text, depth + 1);
        found.text = found.text.replace(
            &format!("\u{E00C}{i}\u{E00C}"),
            inner.text.trim_end_matches('\n'),
        );
        found.warnings.extend(inner.warnings);
        found.cell_labels.extend(inner.cell_labels);
    }
    found
}
