//! Figures: generated ones (PRISMA) and images, placed and numbered.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use serde_json::Value;

use super::assembler::{Assembler, Frame};
use crate::assemble::markdown;
use crate::assemble::template::{self};
use crate::diag::Diagnostic;
use crate::figures::prisma;
use crate::load::files::resolve_inside;
use crate::load::yaml::find_template;
use crate::model::ids::is_file_id;
use crate::model::*;

impl Assembler<'_> {
    pub(super) fn place_figure(&mut self, json: &str, span: Range<usize>) -> Option<Block> {
        let args: BTreeMap<String, Value> =
            match serde_json::from_str(&template::unescape_marker(json)) {
                Ok(a) => a,
                Err(e) => {
                    let d = self.error_at(span, Some("figure("), format!("bad figure() call: {e}"));
                    self.diags.push(d);
                    return None;
                }
            };
        let get = |k: &str| args.get(k).and_then(Value::as_str).map(str::to_string);
        let id = get("id").unwrap_or_default();
        let needle = format!("\"{id}\"");
        if !id.starts_with("fig-") || !is_file_id(&id) {
            let d = self.error_at(
                span,
                Some(&needle),
                format!("figure id `{id}` must start with `fig-` and use only letters, digits, `-` and `_`"),
            );
            self.diags.push(d);
            return None;
        }
        if !self.note_placement(&id, span.clone()) {
            return None;
        }
        let mut data_caption = None;
        let (body, alt) = match (get("kind").as_deref(), get("src")) {
            (Some("prisma"), _) => {
                let stem = get("data").unwrap_or_else(|| "prisma".to_string());
                let Some(value) = self.project.data.get(&stem) else {
                    let d = self.error_at(
                        span,
                        Some(&format!("\"{stem}\"")),
                        format!("figure `{id}` reads `data.{stem}`, but manuscript/data has no file `{stem}.*`"),
                    );
                    self.diags.push(d);
                    return None;
                };
                match prisma::render(value, &id) {
                    Ok(fig) => {
                        data_caption = fig.caption;
                        (
                            FigureBody::Svg {
                                svg: fig.svg,
                                file: format!("figures/{id}.svg"),
                            },
                            get("alt").unwrap_or(fig.description),
                        )
                    }
                    Err(msg) => {
                        let file = self
                            .project
                            .data_file(&stem)
                            .map(Path::to_path_buf)
                            .unwrap_or_default();
                        let text = self.project.sources.get(&file).unwrap_or("");
                        let span = msg
                            .split('`')
                            .nth(1)
                            .and_then(|k| crate::load::yaml::yaml_key_span(text, k))
                            .unwrap_or(0..1);
                        self.diags
                            .push(Diagnostic::error(format!("PRISMA data: {msg}")).at(file, span));
                        return None;
                    }
                }
            }
            (Some(other), _) => {
                let d = self.error_at(
                    span,
                    Some(&format!("\"{other}\"")),
                    format!("unknown figure kind `{other}` (galley draws: prisma)"),
                );
                self.diags.push(d);
                return None;
            }
            (None, Some(src)) => {
                if !self.check_image(&src, span.clone()) {
                    return None;
                }
                let alt = get("alt").unwrap_or_default();
                if alt.is_empty() {
                    let d = self.error_at(
                        span.clone(),
                        Some(&src),
                        format!("figure `{id}` needs an `alt` text"),
                    );
                    self.diags.push(Diagnostic {
                        severity: crate::diag::Severity::Warning,
                        ..d
                    });
                }
                (FigureBody::Image { src: src.clone() }, alt)
            }
            (None, None) => {
                let d = self.error_at(
                    span,
                    Some(&needle),
                    format!("figure `{id}` needs `kind=` (generated) or `src=` (an image)"),
                );
                self.diags.push(d);
                return None;
            }
        };
        let caption = match get("caption") {
            Some(c) => {
                let (file, file_text) = (self.frame.file.clone(), self.frame.file_text.clone());
                let base = find_template(&file_text, &c);
                markdown::inline(self.parse_in(Frame::new(&file, &file_text, base, &c, c.clone())))
            }
            None => match data_caption {
                Some(c) => {
                    let stem = get("data").unwrap_or_else(|| "prisma".to_string());
                    let file = self
                        .project
                        .data_file(&stem)
                        .map(Path::to_path_buf)
                        .unwrap_or_default();
                    let file_text = self.project.sources.get(&file).unwrap_or("").to_string();
                    let base = find_template(&file_text, &c);
                    markdown::inline(self.parse_in(Frame::new(
                        &file,
                        &file_text,
                        base,
                        &c,
                        c.clone(),
                    )))
                }
                None => Vec::new(),
            },
        };
        self.figures_placed += 1;
        let number = self.figures_placed;
        self.add_target(&id, "Figure", number.to_string(), span);
        Some(Block::Figure(Box::new(Figure {
            id,
            number,
            caption,
            alt,
            body,
        })))
    }

    /// An image path (relative to manuscript/) must name a file inside
    /// manuscript/; it is then copied to the site at the same path.
    pub(super) fn check_image(&mut self, src: &str, span: Range<usize>) -> bool {
        let problem = if src.starts_with("http://")
            || src.starts_with("https://")
            || src.starts_with("//")
        {
            Some(format!(
                "image `{src}` is on another host; the site loads nothing from other hosts — put the file in manuscript/figures/"
            ))
        } else {
            match resolve_inside(&self.project.root.join("manuscript"), src) {
                Ok(full) => crate::load::images::inspect(&full, src, &self.project.cache).err(),
                Err(m) => Some(format!("image path {m} folder manuscript/")),
            }
        };
        match problem {
            None => {
                let rel = format!("manuscript/{src}");
                if !self.images.contains(&rel) {
                    self.images.push(rel);
                    let at = self.locate(span, Some(src));
                    self.image_refs.push(at);
                }
                true
            }
            Some(msg) => {
                let d = self.error_at(span, Some(src), msg);
                self.diags.push(d);
                false
            }
        }
    }
}
