//! Loading what a project holds besides sections: YAML, CSV and JSON data,
//! BibTeX and hayagriva YAML bibliographies, CSL styles. The first byte
//! picks the kind. Any text gives a value or a located error.
#![no_main]

use std::path::{Path, PathBuf};

use galley::load::project::TextFile;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let located = |d: galley::diag::Diagnostic| {
        assert!(d.file.is_some(), "unlocated: {}", d.message);
        if let Some(s) = d.span {
            assert!(s.start <= text.len(), "{}: {s:?}", d.message);
        }
    };
    match kind % 6 {
        0 => galley::load::data::parse_data(text, Path::new("d.yaml")).err().map(located),
        1 => galley::load::data::parse_data(text, Path::new("d.csv")).err().map(located),
        2 => galley::load::data::parse_data(text, Path::new("d.json")).err().map(located),
        3 | 4 => {
            let path = PathBuf::from(if kind % 6 == 3 { "b.bib" } else { "b.yaml" });
            let file = TextFile {
                path,
                text: text.to_string(),
            };
            galley::load::bibliography::parse_file_uncached(&file).err().map(located)
        }
        _ => galley::load::style::parse_style(text, Path::new("s.csl")).err().map(located),
    };
});
