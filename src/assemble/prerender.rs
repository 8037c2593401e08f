//! The sections' templates rendered on several threads before the sections
//! are read in order. A template's rendering depends only on its text and
//! the data in scope, and in a document of many sections with many data
//! references (a living review) rendering them is most of the work of
//! reading them. [`Assembler::markdown_template`] takes a rendering from
//! here when it comes to the same text; a template that fails is not kept,
//! so it is rendered again in order there and its error reported as before.
//! Parsing a Tera template needs no data at all, so [`parsed_while`] starts
//! on it while the bibliography is read, which takes one core.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use super::assembler::Assembler;
use super::template::{self, Origin};
use crate::assemble::sandbox::{self, Parsed};
use crate::load::meta::Templates;
use crate::load::project::Project;

/// Fewer sections than this are rendered in order only: threads would cost
/// more than they save.
const MIN_SECTIONS: usize = 8;

/// The stack of a thread that parses or renders a section: as deep as the
/// one the sections are read on.
const STACK: usize = 64 << 20;

/// The sections' texts as [`Assembler::markdown_template`] renders them,
/// with the Tera templates of those parsed before the data they render with
/// was read.
pub(super) struct Ahead {
    threads: usize,
    jobs: Vec<(Origin, String)>,
    parsed: Vec<Option<Parsed>>,
}

/// The threads to render the sections on; None where they are rendered in
/// order only. Not while serving: the rebuild cache keeps the renderings of
/// unchanged sections, and an edit renders one.
fn threads(project: &Project) -> Option<usize> {
    let sections = project.sections.len();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(sections);
    (!project.cache.enabled() && sections >= MIN_SECTIONS && threads >= 2).then_some(threads)
}

/// The name a section's template has on a rendering thread.
fn name(origin: &Origin) -> String {
    format!("{}#prerendered", origin.file.display())
}

/// `read` (the bibliography: a long BibTeX file is read on one core) while
/// another thread parses the sections' Tera templates, which need no data,
/// until `read` is done. None where the sections are rendered in order.
pub(super) fn parsed_while<T>(project: &Project, read: impl FnOnce() -> T) -> (T, Option<Ahead>) {
    let Some(threads) = threads(project) else {
        return (read(), None);
    };
    let jobs: Vec<(Origin, String)> = project
        .sections
        .iter()
        .filter(|s| !s.text.trim().is_empty())
        .map(|s| {
            let protected = super::shortcodes::protected(project, &s.path, 0, &s.text, 0).text;
            let origin = Origin {
                file: s.path.clone(),
                offset: 0,
                text: s.text.clone(),
            };
            (origin, protected)
        })
        .collect();
    if project.meta.templates == Templates::Manubot {
        // Jinja2 parses as it renders.
        let value = read();
        return (
            value,
            Some(Ahead {
                threads,
                jobs,
                parsed: Vec::new(),
            }),
        );
    }
    let done = AtomicBool::new(false);
    let (value, parsed) = std::thread::scope(|scope| {
        let (jobs, done) = (&jobs, &done);
        let parser = std::thread::Builder::new()
            .stack_size(STACK)
            .spawn_scoped(scope, move || {
                let mut out = Vec::new();
                for (origin, protected) in jobs {
                    if done.load(Ordering::Relaxed) {
                        break;
                    }
                    // A template that fails is parsed again in order, and
                    // its error reported there.
                    out.push(sandbox::parse_alone(&name(origin), protected).ok());
                }
                out
            });
        let value = read();
        done.store(true, Ordering::Relaxed);
        let parsed = parser.ok().and_then(|p| p.join().ok()).unwrap_or_default();
        (value, parsed)
    });
    let ahead = Ahead {
        threads,
        jobs,
        parsed,
    };
    (value, Some(ahead))
}

impl Assembler<'_> {
    /// Render the sections' templates on the machine's cores into
    /// `prerendered`, taking the ones parsed ahead as they are.
    pub(super) fn prerender(&mut self, ahead: Option<Ahead>) {
        let Some(Ahead {
            threads,
            jobs,
            parsed,
        }) = ahead
        else {
            return;
        };
        let mut parsed = parsed.into_iter();
        let parsed: Vec<Mutex<Option<Parsed>>> = (0..jobs.len())
            .map(|_| Mutex::new(parsed.next().flatten()))
            .collect();
        let next = AtomicUsize::new(0);
        let (ctx, jinja) = (&self.ctx, self.jinja_ctx.as_ref());
        let (jobs, parsed, next) = (&jobs, &parsed, &next);
        let rendered: HashMap<[u8; 32], String> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .filter_map(|_| {
                    let work = move || {
                        let mut tera = template::new_tera();
                        let mut out = Vec::new();
                        // Each takes the next section not taken yet.
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some((origin, protected)) = jobs.get(i) else {
                                break;
                            };
                            let name = name(origin);
                            let ready = parsed[i].lock().ok().and_then(|mut p| p.take());
                            // Its errors are not kept: the text is rendered
                            // again in order, and the error reported there.
                            let r = match ready {
                                Some(p) => template::render_parsed(
                                    &mut tera,
                                    &name,
                                    p,
                                    protected.len(),
                                    ctx,
                                )
                                .ok(),
                                None => template::render_one(
                                    &mut tera, jinja, &name, origin, protected, ctx, "",
                                )
                                .ok(),
                            };
                            if let Some(r) = r {
                                out.push((super::prerender_key(protected), r));
                            }
                        }
                        out
                    };
                    let worker = std::thread::Builder::new().stack_size(STACK);
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

    #[test]
    fn templates_are_parsed_while_the_bibliography_is_read() {
        let mut extra: Vec<String> = (0..8)
            .map(|i| format!("## Fine {i}\n\n{{{{ data.search.databases | length }}}}.\n"))
            .collect();
        extra[3] = "## Worse\n\n{% if %}.\n".into();
        let dir = paper_with(&extra);
        let project = Project::load(dir.path(), &Cache::off()).unwrap_or_else(|_| panic!("loads"));
        let slow_read = || std::thread::sleep(std::time::Duration::from_millis(500));
        let ((), ahead) = super::parsed_while(&project, slow_read);
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let Some(ahead) = ahead else {
            assert!(
                cores < 2,
                "{cores} cores, yet the sections are rendered in order"
            );
            return;
        };
        // Every section was parsed in the time the reading took, but the
        // one that does not parse: it is left to be parsed in order.
        assert_eq!(ahead.jobs.len(), ahead.parsed.len());
        for ((origin, _), parsed) in ahead.jobs.iter().zip(&ahead.parsed) {
            let bad = origin.file.ends_with("903-extra.md");
            assert_eq!(parsed.is_none(), bad, "{}", origin.file.display());
        }
    }
}
