//! The Tera stage on its own: any template text is rendered within the
//! sandbox's budget or refused with an error that can be located, never a
//! panic, a stack overflow or a runaway.
#![no_main]

// As in galley's binary: the template sandbox bounds memory per thread.
#[global_allocator]
static ALLOCATOR: galley::assemble::sandbox::memory::Counting = galley::assemble::sandbox::memory::Counting;

use std::path::PathBuf;

use galley::assemble::template::{locate_error, new_tera, Origin};
use tera::Context;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut tera = new_tera();
    let mut ctx = Context::new();
    ctx.insert(
        "data",
        &serde_json::json!({"rows": [{"x": 1, "g": "a"}, {"x": 2.5, "g": "b"}], "n": 3}),
    );
    let origin = Origin {
        file: PathBuf::from("manuscript/sections/a.md"),
        offset: 0,
        text: text.to_string(),
    };
    // Shortcodes expanded to nothing, code and attributes guarded, as a
    // section is.
    let protected = galley::assemble::template::protect::protect(text, &mut |_| String::new());
    if let Err(d) =
        galley::assemble::template::render_one(&mut tera, "a.md", &origin, &protected, &ctx, "a.md")
    {
        assert!(d.span.is_some_and(|s| s.end <= text.len()), "{}", d.message);
    }
    // The error of a plain add, located the same way.
    let mut tera = new_tera();
    if let Err(e) = galley::assemble::sandbox::add(&mut tera, "b", text) {
        let _ = locate_error(&e, &origin, "b");
    }
});
