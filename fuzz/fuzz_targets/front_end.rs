//! Markdown, citations, cross-references, placements and data references
//! of one section: a document or located diagnostics, never a panic.
#![no_main]

// As in galley's binary: the template sandbox bounds memory per thread.
#[global_allocator]
static ALLOCATOR: galley::assemble::sandbox::memory::Counting = galley::assemble::sandbox::memory::Counting;

#[path = "../common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        common::check_one(text.to_string());
    }
});
