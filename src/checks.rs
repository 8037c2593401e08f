//! Data assertions: the built-in PRISMA arithmetic and the project's own
//! `checks:` (Tera boolean expressions). A failed check is a warning.

use std::path::Path;

use tera::Context;

use crate::diag::{Diagnostic, Diagnostics};
use crate::model::Document;
use crate::prisma;
use crate::project::{yaml_key_span, Project, MANIFEST};
use crate::template;

pub fn run(project: &Project, _doc: &Document) -> Diagnostics {
    let mut out = Diagnostics::new();
    for (stem, value) in &project.data {
        let looks_like_prisma = ["identified", "screened", "included"]
            .iter()
            .all(|k| value.get(k).is_some());
        if !looks_like_prisma {
            continue;
        }
        let file = project
            .data_files
            .iter()
            .find(|p| p.file_stem().and_then(|s| s.to_str()) == Some(stem.as_str()))
            .cloned()
            .unwrap_or_default();
        let text = project.sources.get(&file).unwrap_or("");
        match prisma::arithmetic(value) {
            Ok(checks) => {
                for c in checks.into_iter().filter(|c| c.expected != c.actual) {
                    let key = if c.label.starts_with("identified") {
                        "screened"
                    } else if c.label.starts_with("screened") {
                        "excluded_screening"
                    } else {
                        "included"
                    };
                    let span = yaml_key_span(text, key).unwrap_or(0..1);
                    out.push(
                        Diagnostic::warning(format!("PRISMA counts do not add up: {}", c.label))
                            .at(&file, span),
                    );
                }
            }
            Err(msg) => out.push(Diagnostic::error(format!("PRISMA data: {msg}")).in_file(&file)),
        }
    }
    if !project.meta.checks.is_empty() {
        let mut tera = template::new_tera();
        let mut ctx = Context::new();
        ctx.insert("data", &project.data);
        ctx.insert("meta", &project.meta_value);
        let manifest = Path::new(MANIFEST);
        let mtext = project.sources.get(manifest).unwrap_or("");
        for (i, c) in project.meta.checks.iter().enumerate() {
            let span = mtext
                .find(c.expr.as_str())
                .map_or(0..1, |s| s..s + c.expr.len());
            let src = format!("{{% if {} %}}true{{% else %}}false{{% endif %}}", c.expr);
            let name = format!("check#{i}");
            let result = tera
                .add_raw_template(&name, &src)
                .and_then(|_| tera.render(&name, &ctx));
            match result.as_deref() {
                Ok("true") => {}
                Ok(_) => out.push(
                    Diagnostic::warning(format!(
                        "check failed: {} (`{}` is false)",
                        c.message, c.expr
                    ))
                    .at(manifest, span),
                ),
                Err(e) => {
                    let msg = template::error_chain(e)
                        .into_iter()
                        .filter(|m| !m.starts_with("Failed to"))
                        .collect::<Vec<_>>()
                        .join(": ");
                    out.push(
                        Diagnostic::error(format!("check `{}` cannot be evaluated: {msg}", c.expr))
                            .at(manifest, span),
                    );
                }
            }
        }
    }
    out
}
