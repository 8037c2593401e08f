//! LaTeX math, converted once at build time: to MathML for the site by
//! math-core, then from that MathML to Typst for the PDF (`typst.rs`), so
//! one parse of the LaTeX feeds both outputs and they cannot disagree.

pub mod omml;
mod prepare;
mod typst;

use math_core::{LatexToMathML, MathCoreConfig, MathDisplay};

pub use prepare::{prepare, Prepared};

/// Groups (`{...}`, `\left...\right`, `\begin...\end`) inside one another,
/// and commands taking a command as argument (`\sqrt\sqrt x`), in one
/// formula. Both converters recurse on them.
pub const MAX_NESTING: usize = 64;

/// Refuse formulas nested deeper than [`MAX_NESTING`].
pub fn check_nesting(tex: &str) -> Result<(), String> {
    let too_deep = || {
        Err(format!(
            "the formula nests more than {MAX_NESTING} deep (braces, \\left...\\right or environments inside one another)"
        ))
    };
    let b = tex.as_bytes();
    let (mut depth, mut chain, mut i) = (0usize, 0usize, 0usize);
    while i < b.len() {
        match b[i] {
            b'\\' => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && b[j].is_ascii_alphabetic() {
                    j += 1;
                }
                if j == start {
                    // `\{`, `\\`: an escaped character.
                    i += 2;
                    chain = 0;
                    continue;
                }
                match &tex[start..j] {
                    "left" | "begin" => depth += 1,
                    "right" | "end" => depth = depth.saturating_sub(1),
                    _ => {}
                }
                chain += 1;
                if depth > MAX_NESTING || chain > MAX_NESTING {
                    return too_deep();
                }
                i = j;
                continue;
            }
            b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return too_deep();
                }
            }
            b'}' => depth = depth.saturating_sub(1),
            c if c.is_ascii_whitespace() => {}
            _ => chain = 0,
        }
        if !b[i].is_ascii_whitespace() && b[i] != b'{' {
            chain = 0;
        }
        i += 1;
    }
    Ok(())
}

pub struct Converter {
    inner: LatexToMathML,
}

impl Default for Converter {
    fn default() -> Self {
        Self::new()
    }
}

/// One formula in both outputs, with what galley took out of it to number
/// it (`\label`, `\tag`, a numbered environment).
#[derive(Debug)]
pub struct Formula {
    pub mathml: String,
    pub typst: String,
    pub labels: Vec<String>,
    pub tag: Option<String>,
    pub numbered: bool,
}

impl Converter {
    pub fn new() -> Self {
        let config = MathCoreConfig {
            annotation: false,
            macros: prepare::macros(),
            // Only `\widetilde`, `\widecheck` and `\utilde`: browsers draw
            // them a little less well than the other accents.
            allow_unreliable_rendering: true,
            ..Default::default()
        };
        // galley's own macros are fixed and known to parse; should they
        // not, the defaults still convert everything else.
        let inner = LatexToMathML::new(config).unwrap_or_default();
        Converter { inner }
    }

    /// MathML of a formula, as the site shows it.
    pub fn to_mathml(&self, tex: &str, display: bool) -> Result<String, String> {
        check_nesting(tex)?;
        let mode = if display {
            MathDisplay::Block
        } else {
            MathDisplay::Inline
        };
        // math-core panics on some input (`&` outside a table).
        crate::diag::contain::contain(|| self.inner.convert_with_local_state(tex, mode))
            .map_err(|what| format!("the MathML converter failed ({what})"))?
            .map(|r| r.mathml)
            .map_err(|e| e.to_string())
    }

    /// A formula for both outputs.
    pub fn convert(&self, tex: &str, display: bool) -> Result<Formula, String> {
        let p = prepare::prepare(tex);
        let mathml = self.to_mathml(&p.tex, display)?;
        let typst = typst::from_mathml(&mathml)?;
        Ok(Formula {
            mathml,
            typst,
            labels: p.labels,
            tag: p.tag,
            numbered: p.numbered,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_formulas_are_refused_not_overflowed() {
        let deep = format!("{}y{}", "x^{".repeat(5000), "}".repeat(5000));
        assert!(check_nesting(&deep).is_err());
        assert!(Converter::new().to_mathml(&deep, false).is_err());
        let c = Converter::new();
        assert!(c
            .convert(&format!("{}x", "\\sqrt".repeat(5000)), false)
            .is_err());
        assert!(c
            .convert(
                &format!("{}x{}", "\\left(".repeat(100), "\\right)".repeat(100)),
                false
            )
            .is_err());
        assert!(check_nesting(r"\frac{a_{i}^{2}}{\sqrt{b}} \left( \{x\} \right)").is_ok());
    }

    #[test]
    fn a_converter_panic_is_an_error() {
        // Found by fuzzing: math-core panics on this.
        let tex = r"\begin{matrix} a & b \\_ c & d \end{matrix}";
        assert!(Converter::new().to_mathml(tex, false).is_err());
    }

    #[test]
    fn converts_the_papers_math() {
        let c = Converter::new();
        for tex in [
            r"F_{(9,133)}=37.1",
            r"p<0.0001",
            r"\geq 25\%",
            r"3.5\text{ }\mu\text{M}",
            "n=11",
        ] {
            let m = c.to_mathml(tex, false).unwrap();
            assert!(m.starts_with("<math"), "{m}");
        }
        assert!(c.to_mathml(r"p<0.0001", false).unwrap().contains("&lt;"));
        assert!(c.to_mathml(r"\notacommand{x}", false).is_err());
    }
}
