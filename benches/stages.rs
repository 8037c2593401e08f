//! Micro-benchmarks of the build's stages on the paper at the repository
//! root (divan; `cargo bench --bench stages`). Each stage is measured alone,
//! from the previous stage's output:
//!
//! load → Tera (data references) → Markdown → assemble (Tera, Markdown,
//! tables, figures, citations together) → citations (hayagriva) → HTML →
//! Typst compile (layout) → PDF export.
//!
//! The Typst compile starts from an empty cache on each iteration: Typst
//! memoises across compilations in one process, which `galley build` (one
//! compilation per process) never benefits from.

use std::ops::Range;
use std::path::PathBuf;

use galley::assemble::cite;
use galley::assemble::markdown::{self, Sink};
use galley::assemble::template::{self, Origin};
use galley::assemble::{self, Assembled};
use galley::cache::Cache;
use galley::diag::SourceMap;
use galley::load::meta::PdfConformance;
use galley::load::project::Project;
use galley::load::theme::Theme;
use galley::model::{Block, CiteItem, CiteMode, Heading, Inline};
use galley::render::{html, Job, Naming};

fn main() {
    divan::main();
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn project() -> Project {
    Project::load(&root(), &Cache::off()).unwrap_or_else(|_| panic!("the paper does not load"))
}

fn assembled(p: &Project) -> Assembled {
    assemble::assemble(p).unwrap_or_else(|_| panic!("the paper does not assemble"))
}

/// The sections' Tera context, as the build makes it.
fn context(p: &Project) -> tera::Context {
    let mut sources = SourceMap::default();
    let style = galley::load::style::load_style(p, &mut sources).unwrap();
    let bib =
        galley::load::bibliography::load(p, &style).unwrap_or_else(|_| panic!("bibliography"));
    let mut ctx = tera::Context::new();
    ctx.insert("data", &p.data);
    ctx.insert("meta", &p.meta_value);
    ctx.insert("bib", &bib.template_value());
    ctx
}

fn origins(p: &Project) -> Vec<Origin> {
    p.sections
        .iter()
        .map(|s| Origin {
            file: s.path.clone(),
            offset: 0,
            text: s.text.clone(),
        })
        .collect()
}

#[divan::bench]
fn load() -> Project {
    project()
}

#[divan::bench]
fn tera(b: divan::Bencher) {
    let p = project();
    let ctx = context(&p);
    let origins = origins(&p);
    b.bench(|| {
        let mut tera = template::new_tera();
        origins
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let protected = template::protect::protect(&o.text, &mut |_| String::new());
                template::render_one(&mut tera, None, &i.to_string(), o, &protected, &ctx, "")
                    .unwrap()
            })
            .collect::<Vec<_>>()
    });
}

/// A sink that builds the blocks and nothing else.
struct Plain;

impl Sink for Plain {
    fn cite(&mut self, _: Vec<CiteItem>, _: CiteMode, _: Range<usize>) -> Inline {
        Inline::Text("[1]".into())
    }
    fn xref(&mut self, id: &str, _: Range<usize>) -> Inline {
        Inline::Text(id.into())
    }
    fn marker(&mut self, _: &str, _: Range<usize>) -> Option<Block> {
        None
    }
    fn heading(
        &mut self,
        level: u8,
        id: Option<String>,
        _: Vec<String>,
        content: Vec<Inline>,
        _: Range<usize>,
    ) -> Block {
        Block::Heading(Heading {
            level,
            id: id.unwrap_or_default(),
            number: String::new(),
            content,
        })
    }
    fn footnote_ref(&mut self, label: &str, _: Range<usize>) -> Inline {
        Inline::Text(label.into())
    }
    fn footnote_def(&mut self, _: &str, _: Vec<Block>, _: Range<usize>) {}
    fn error(&mut self, _: Range<usize>, message: String) {
        panic!("{message}");
    }
    fn image(&mut self, src: &str, _: String, _: Range<usize>) -> Inline {
        Inline::Text(src.into())
    }
    fn math(&mut self, tex: &str, _: bool, _: Option<String>, _: Range<usize>) -> Inline {
        Inline::Text(tex.into())
    }
    fn allow_html(&self) -> bool {
        false
    }
}

#[divan::bench]
fn markdown(b: divan::Bencher) {
    let p = project();
    let ctx = context(&p);
    let mut tera = template::new_tera();
    let rendered: Vec<String> = origins(&p)
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let protected = template::protect::protect(&o.text, &mut |_| String::new());
            template::render_one(&mut tera, None, &i.to_string(), o, &protected, &ctx, "").unwrap()
        })
        .collect();
    b.bench(|| {
        rendered
            .iter()
            .map(|t| markdown::parse(t, &mut Plain, &Cache::off()))
            .collect::<Vec<_>>()
    });
}

#[divan::bench]
fn assemble(b: divan::Bencher) {
    let p = project();
    b.bench(|| assembled(&p));
}

#[divan::bench]
fn citations(b: divan::Bencher) {
    let p = project();
    let a = assembled(&p);
    let mut sources = SourceMap::default();
    let style = galley::load::style::load_style(&p, &mut sources).unwrap();
    b.with_inputs(|| a.doc.clone())
        .bench_local_refs(|doc| cite::resolve(doc, &a.bibliography, &style, &Cache::off()));
}

#[divan::bench]
fn html(b: divan::Bencher) {
    let p = project();
    let a = assembled(&p);
    let theme = Theme::new(&p.root, &Cache::off());
    let info = html::PageInfo {
        pdf_file: Some("paper.pdf".into()),
        jats_file: None,
        docx_file: None,
        bib_file: "paper.bib".into(),
        data_files: Vec::new(),
        base_url: None,
        urls: Default::default(),
        bibliography: &a.bibliography,
        version: galley::VERSION,
    };
    let mut sources = a.sources.clone();
    b.bench_local(|| html::render_page(&a.doc, &info, &theme, &mut sources).unwrap());
}

fn world(p: &Project, a: &Assembled) -> galley::render::pdf::GalleyWorld {
    let mut sources = a.sources.clone();
    let theme = Theme::new(&p.root, &Cache::off());
    let job = Job {
        project: p,
        assembled: a,
        theme: &theme,
        images: &[],
        assets: &[],
        fonts: &[],
        word_reference: None,
        reuse: &Default::default(),
        naming: Naming::Plain,
        base_url: None,
        pdf_link: None,
        jats_link: None,
        docx_link: None,
        emit_typst: None,
    };
    galley::render::pdf::renderer::world(&job, &mut sources)
        .unwrap_or_else(|_| panic!("the Typst world"))
        .0
}

#[divan::bench(sample_count = 10)]
fn typst_compile(b: divan::Bencher) {
    let p = project();
    let a = assembled(&p);
    let w = world(&p, &a);
    b.with_inputs(|| typst::comemo::evict(0))
        .bench_local_values(|()| {
            galley::render::pdf::compile(&w).unwrap_or_else(|_| panic!("compile"))
        });
}

#[divan::bench(sample_count = 10)]
fn pdf_export(b: divan::Bencher) {
    let p = project();
    let a = assembled(&p);
    let w = world(&p, &a);
    let (doc, _) = galley::render::pdf::compile(&w).unwrap_or_else(|_| panic!("compile"));
    b.bench_local(|| {
        galley::render::pdf::export(&w, &doc, "paper", "galley", PdfConformance::Ua1).unwrap()
    });
}
