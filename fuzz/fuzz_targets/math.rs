//! LaTeX math to MathML (the site) and to Typst (the PDF): a result or an
//! error, never a panic or a stack overflow.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(tex) = std::str::from_utf8(data) else {
        return;
    };
    let converter = galley::assemble::math::Converter::new();
    // MathML, then the Typst translated from it.
    let _ = converter.convert(tex, false);
    let _ = converter.convert(tex, true);
});
