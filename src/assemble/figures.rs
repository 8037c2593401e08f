//! Figures: generated ones (PRISMA) and images, placed and numbered.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use serde_json::Value;

use super::assembler::{Assembler, Frame};
use crate::assemble::markdown;
use crate::assemble::template::{self};
use crate::diag::Diagnostic;
use crate::figures::{self, FigureKind};
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
        let mut data = None;
        let (body, alt, data_caption) = match (get("kind"), get("src")) {
            (Some(name), _) if name == "rob-traffic" || name == "rob-summary" => {
                let (svg, alt) = self.rob_figure(&id, &name, &args, span.clone())?;
                let body = FigureBody::Svg {
                    svg,
                    file: format!("figures/{id}.svg"),
                };
                (body, get("alt").unwrap_or(alt), None)
            }
            (Some(name), _) if name == "forest" => {
                let (svg, alt, table) = self.forest(&id, get("analysis"), span.clone())?;
                data = Some(Box::new(table));
                let body = FigureBody::Svg {
                    svg,
                    file: format!("figures/{id}.svg"),
                };
                (body, get("alt").unwrap_or(alt), None)
            }
            (Some(name), _) => {
                let Some(kind) = figures::kind(&name) else {
                    let d = self.error_at(
                        span,
                        Some(&format!("\"{name}\"")),
                        format!(
                            "unknown figure kind `{name}`, expected one of {}, `forest`, `rob-traffic`, `rob-summary`",
                            figures::names()
                        ),
                    );
                    self.diags.push(d);
                    return None;
                };
                let stem = get("data").unwrap_or_else(|| kind.default_data().to_string());
                let (body, alt, caption) = self.drawn(kind, &stem, &id, span.clone())?;
                (body, get("alt").unwrap_or(alt), caption.map(|c| (stem, c)))
            }
            (None, Some(src)) => {
                let alt = self.image_figure(&id, &src, get("alt"), span.clone())?;
                (FigureBody::Image { src }, alt, None)
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
        let caption = self.figure_caption(get("caption"), data_caption);
        self.figures_placed += 1;
        let number = self.figures_placed;
        self.add_target(&id, "Figure", number.to_string(), span);
        Some(Block::Figure(Box::new(Figure {
            id,
            number,
            caption,
            alt,
            body,
            data,
        })))
    }

    /// A generated figure drawn from `data.<stem>`: its body, text
    /// alternative and the caption its data gives.
    fn drawn(
        &mut self,
        kind: &dyn FigureKind,
        stem: &str,
        id: &str,
        span: Range<usize>,
    ) -> Option<(FigureBody, String, Option<String>)> {
        let Some(value) = self.project.data.get(stem) else {
            let d = self.error_at(
                span,
                Some(&format!("\"{stem}\"")),
                format!(
                    "figure `{id}` reads `data.{stem}`, but manuscript/data has no file `{stem}.*`"
                ),
            );
            self.diags.push(d);
            return None;
        };
        match kind.draw(value, id) {
            Ok(fig) => {
                let body = FigureBody::Svg {
                    svg: fig.svg,
                    file: format!("figures/{id}.svg"),
                };
                Some((body, fig.description, fig.caption))
            }
            Err(msg) => {
                let file = self
                    .project
                    .data_file(stem)
                    .map(Path::to_path_buf)
                    .unwrap_or_default();
                let text = self.project.sources.get(&file).unwrap_or("");
                let span = msg
                    .split('`')
                    .nth(1)
                    .and_then(|k| crate::load::yaml::yaml_key_span(text, k))
                    .unwrap_or(0..1);
                let d = Diagnostic::error(format!("{}: {msg}", kind.data_label()));
                self.diags.push(d.at(file, span));
                None
            }
        }
    }

    /// An image figure: the image checked, and its text alternative (a
    /// missing one is a warning).
    fn image_figure(
        &mut self,
        id: &str,
        src: &str,
        alt: Option<String>,
        span: Range<usize>,
    ) -> Option<String> {
        if !self.check_image(src, span.clone()) {
            return None;
        }
        let alt = alt.unwrap_or_default();
        if alt.is_empty() {
            let d = self.error_at(
                span,
                Some(src),
                format!("figure `{id}` needs an `alt` text"),
            );
            self.diags.push(Diagnostic {
                severity: crate::diag::Severity::Warning,
                ..d
            });
        }
        Some(alt)
    }

    /// The caption `figure()` gives, else the one its data file gives
    /// (`data`: the file's stem and the caption), each read as Markdown
    /// where it was written.
    fn figure_caption(
        &mut self,
        given: Option<String>,
        data: Option<(String, String)>,
    ) -> Vec<Inline> {
        let (file, file_text, c) = match (given, data) {
            (Some(c), _) => (self.frame.file.clone(), self.frame.file_text.clone(), c),
            (None, Some((stem, c))) => {
                let file = self
                    .project
                    .data_file(&stem)
                    .map(Path::to_path_buf)
                    .unwrap_or_default();
                let text = self.project.sources.get(&file).unwrap_or("").to_string();
                (file, text, c)
            }
            (None, None) => return Vec::new(),
        };
        let base = find_template(&file_text, &c);
        markdown::inline(self.parse_in(Frame::new(&file, &file_text, base, &c, c.clone())))
    }

    /// Whether a Markdown image is on another host, as Manubot's often
    /// are: galley does not fetch it (a build reads only the project), so
    /// it becomes a link, with a warning.
    pub(super) fn remote_image(&mut self, src: &str, span: Range<usize>) -> bool {
        if !is_remote(src) {
            return false;
        }
        let d = self.error_at(
            span,
            Some(src),
            format!(
                "image `{src}` is on another host, and galley reads only the project: it is shown as a link; put the file in manuscript/figures/ to show the image"
            ),
        );
        self.diags.push(Diagnostic {
            severity: crate::diag::Severity::Warning,
            ..d
        });
        true
    }

    /// An image path (relative to manuscript/) must name a file inside
    /// manuscript/; it is then copied to the site at the same path.
    pub(super) fn check_image(&mut self, src: &str, span: Range<usize>) -> bool {
        let problem = if is_remote(src) {
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

/// An address on another host.
pub fn is_remote(src: &str) -> bool {
    src.starts_with("http://") || src.starts_with("https://") || src.starts_with("//")
}
