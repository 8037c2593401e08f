//! LaTeX math to MathML (for the site), converted once at build time.

use math_core::{LatexToMathML, MathCoreConfig, MathDisplay};

/// Cache key of a formula.
pub fn key(tex: &str, display: bool) -> String {
    format!("{}{tex}", if display { 'D' } else { 'I' })
}

pub struct Converter {
    inner: LatexToMathML,
}

impl Default for Converter {
    fn default() -> Self {
        Self::new()
    }
}

impl Converter {
    pub fn new() -> Self {
        let config = MathCoreConfig {
            annotation: false,
            ..Default::default()
        };
        // The default configuration has no macros, so this cannot fail.
        let inner = LatexToMathML::new(config).unwrap_or_default();
        Converter { inner }
    }

    pub fn to_mathml(&self, tex: &str, display: bool) -> Result<String, String> {
        let mode = if display {
            MathDisplay::Block
        } else {
            MathDisplay::Inline
        };
        self.inner
            .convert_with_local_state(tex, mode)
            .map(|r| r.mathml)
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
