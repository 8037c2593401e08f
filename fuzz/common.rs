//! The front end's fuzz input: one section of an in-memory project (data,
//! a table, a bibliography) assembled as a build would. Shared by the
//! libFuzzer target `front_end` and the property test tests/fuzz.rs.

use std::path::{Path, PathBuf};

use galley::assemble::assemble;
use galley::diag::SourceMap;
use galley::load::meta::Meta;
use galley::load::project::{Project, TextFile};

pub const BIB: &str = "@article{smith2020,\n  author = {Smith, John},\n  title = {A Study},\n  journaltitle = {J},\n  date = {2020},\n}\n@book{doe2019,\n  author = {Doe, Jane and Roe, R. and Poe, P. and others},\n  title = {B},\n  date = {2019},\n}\n";

pub const TABLE: &str = "id: tbl-a\ncaption: A [@smith2020].\nsource: data.rows\ngroup: \"{{ row.g }}\"\ncolumns:\n  - header: X\n    cell: \"{{ row.x }} $x^2$\"\n";

pub fn project(section: String) -> Project {
    let meta: Meta = serde_yaml::from_str(
        "title: T\nauthors:\n  - name: A B\nsections: [sections/a.md]\ncsl: ieee\n",
    )
    .unwrap();
    let mut data = std::collections::BTreeMap::new();
    data.insert(
        "rows".to_string(),
        serde_json::json!([{"x": 1, "g": "a"}, {"x": 2.5, "g": "b"}]),
    );
    data.insert(
        "prisma".to_string(),
        serde_json::json!({"identified": 10, "duplicates": 2, "screened": 8, "full_text": 4, "excluded_full_text": [{"reason": "r", "count": 1}], "included": 3}),
    );
    let mut sources = SourceMap::default();
    let sec = TextFile {
        path: PathBuf::from("manuscript/sections/a.md"),
        text: section,
    };
    let bib = TextFile {
        path: PathBuf::from("bibliography/r.bib"),
        text: BIB.to_string(),
    };
    let tbl = TextFile {
        path: PathBuf::from("manuscript/tables/a.yaml"),
        text: TABLE.to_string(),
    };
    for f in [&sec, &bib, &tbl] {
        sources.insert(&f.path, f.text.as_str());
    }
    sources.insert("manuscript/manuscript.yaml", "title: T\n");
    Project {
        root: Path::new("/nonexistent-galley-fuzz-root").to_path_buf(),
        meta,
        meta_value: serde_json::json!({"title": "T"}),
        sections: vec![sec],
        data,
        data_files: vec![],
        tables: vec![tbl],
        analyses: Vec::new(),
        bibliography: vec![bib],
        sources,
        cache: galley::cache::Cache::off(),
    }
}

/// Assemble `text` as a section: a document, or located diagnostics;
/// never a panic.
pub fn check_one(text: String) {
    let p = project(text);
    match assemble(&p) {
        Ok(a) => {
            // Rendering the model must not panic either.
            let _ = galley::render::pdf::typeset::main_source(
                &a.doc,
                &Default::default(),
                "a4",
                10.0,
                1,
                "galley",
            );
        }
        Err(f) => {
            for d in &f.diags.0 {
                assert!(d.file.is_some(), "unlocated diagnostic: {}", d.message);
            }
            let _ = galley::diag::render_plain(&f.diags, &f.sources);
        }
    }
}
