//! The sections' templates rendered on several threads before the sections
//! are read in order. A template's rendering depends only on its text and
//! the data in scope, and in a document of many sections with many data
//! references (a living review) rendering them is most of the work of
//! reading them. [`Assembler::markdown_template`] takes a rendering from
//! here when it comes to the same text; a template that fails is not kept,
//! so it is rendered again in order there and its error reported as before.

use std::collections::HashMap;

use super::assembler::Assembler;
use super::template::{self, Origin};

/// Fewer sections than this are rendered in order only: threads would cost
/// more than they save.
const MIN_SECTIONS: usize = 8;

impl Assembler<'_> {
    /// Render the sections' templates on the machine's cores into
    /// `prerendered`. Not while serving: the rebuild cache keeps the
    /// renderings of unchanged sections, and an edit renders one.
    pub(super) fn prerender(&mut self) {
        let sections = &self.project.sections;
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(sections.len());
        if self.project.cache.enabled() || sections.len() < MIN_SECTIONS || threads < 2 {
            return;
        }
        // The texts as markdown_template renders them.
        let jobs: Vec<(Origin, String)> = sections
            .iter()
            .filter(|s| !s.text.trim().is_empty())
            .map(|s| {
                let protected = self.protected(&s.path, 0, &s.text, 0).text;
                let origin = Origin {
                    file: s.path.clone(),
                    offset: 0,
                    text: s.text.clone(),
                };
                (origin, protected)
            })
            .collect();
        let (ctx, jinja) = (&self.ctx, self.jinja_ctx.as_ref());
        let jobs = &jobs;
        let rendered: HashMap<[u8; 32], String> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .filter_map(|first| {
                    // A stack as deep as the one the sections are read on.
                    let worker = std::thread::Builder::new().stack_size(64 << 20);
                    let work = move || {
                        let mut tera = template::new_tera();
                        let mut out = Vec::new();
                        for (origin, protected) in jobs.iter().skip(first).step_by(threads) {
                            let name = format!("{}#prerendered", origin.file.display());
                            // Its errors are not kept: the text is rendered
                            // again in order, and the error reported there.
                            let r = template::render_one(
                                &mut tera, jinja, &name, origin, protected, ctx, "",
                            );
                            if let Ok(r) = r {
                                out.push((super::prerender_key(protected), r));
                            }
                        }
                        out
                    };
                    worker.spawn_scoped(scope, work).ok()
                })
                .collect();
            workers
                .into_iter()
                .filter_map(|w| w.join().ok())
                .flatten()
                .collect()
        });
        self.prerendered = rendered;
    }
}

#[cfg(test)]
mod tests {
    use crate::cache::Cache;
    use crate::diag::render_plain;
    use crate::load::project::Project;
    use std::path::Path;

    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            let target = to.join(e.file_name());
            if e.file_type().unwrap().is_dir() {
                copy(&e.path(), &target);
            } else {
                std::fs::copy(e.path(), target).unwrap();
            }
        }
    }

    /// The paper with `extra` sections more after its own.
    fn paper_with(extra: &[String]) -> tempfile::TempDir {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = tempfile::tempdir().unwrap();
        for sub in ["manuscript", "bibliography", "theme"] {
            copy(&repo.join(sub), &dir.path().join(sub));
        }
        let yaml = dir.path().join("manuscript/manuscript.yaml");
        let mut listed = String::new();
        for (i, text) in extra.iter().enumerate() {
            let name = format!("sections/9{i:02}-extra.md");
            std::fs::write(dir.path().join("manuscript").join(&name), text).unwrap();
            listed.push_str(&format!("  - {name}\n"));
        }
        let manifest = std::fs::read_to_string(&yaml).unwrap();
        let at = manifest.find("sections:\n").unwrap() + "sections:\n".len();
        let manifest = format!("{}{listed}{}", &manifest[..at], &manifest[at..]);
        std::fs::write(&yaml, manifest).unwrap();
        dir
    }

    /// Assembled with the sections rendered ahead on other threads (no
    /// cache) and in order (a cache, as serve has): the document, or the
    /// errors as printed.
    fn both_ways(root: &Path) -> [String; 2] {
        [Cache::off(), Cache::new()].map(|cache| {
            let project = Project::load(root, &cache).unwrap_or_else(|_| panic!("loads"));
            assert!(project.sections.len() >= super::MIN_SECTIONS);
            match super::super::assemble(&project) {
                Ok(a) => format!("{:?}\n{}", a.doc, render_plain(&a.warnings, &a.sources)),
                Err(f) => render_plain(&f.diags, &f.sources),
            }
        })
    }

    #[test]
    fn sections_rendered_ahead_read_as_sections_rendered_in_order() {
        let extra: Vec<String> = (0..8)
            .map(|i| {
                format!(
                    "## Extra {i} {{#sec-extra-{i}}}\n\n{{{{ data.search.databases | length }}}} databases, \
                     {{{{< meta title >}}}}, {{{{< nosuch >}}}} and @sec-extra-{} [@compean2019].\n",
                    (i + 1) % 8
                )
            })
            .collect();
        let dir = paper_with(&extra);
        let [ahead, in_order] = both_ways(dir.path());
        assert!(ahead.contains("Extra 7"), "{ahead}");
        assert_eq!(ahead, in_order);
    }

    #[test]
    fn errors_of_sections_rendered_ahead_come_in_order() {
        let mut extra: Vec<String> = (0..8).map(|i| format!("## Fine {i}\n\nText.\n")).collect();
        extra[2] = "## Bad\n\nSee {{ data.nosuch.x }}.\n".into();
        extra[6] = "## Worse\n\n{{< nosuch >}} and {% if %}.\n".into();
        let dir = paper_with(&extra);
        let [ahead, in_order] = both_ways(dir.path());
        assert!(ahead.contains("902-extra.md"), "{ahead}");
        assert!(ahead.contains("906-extra.md"), "{ahead}");
        assert_eq!(ahead, in_order);
    }
}
