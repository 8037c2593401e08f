//! LaTeX math to MathML (for the site), converted once at build time.

use crate::model::escape::typst_string;
use math_core::{LatexToMathML, MathCoreConfig, MathDisplay};

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
}

/// LaTeX math (the subset papers use) to Typst math. Anything galley cannot
/// convert is an error, never dropped.
pub fn to_typst(tex: &str) -> Result<String, String> {
    check_nesting(tex)?;
    let mut p = TexParser {
        chars: tex.chars().collect(),
        pos: 0,
        in_call: 0,
    };
    let out = p.seq(None)?;
    if p.pos < p.chars.len() {
        return Err(format!("unexpected `{}`", p.chars[p.pos]));
    }
    Ok(out.join(" "))
}

struct TexParser {
    chars: Vec<char>,
    pos: usize,
    /// Inside the arguments of a Typst function (frac, sqrt): a comma or
    /// semicolon there is literal, not an argument separator.
    in_call: usize,
}

fn symbol(cmd: &str) -> Option<&'static str> {
    Some(match cmd {
        "alpha" => "alpha",
        "beta" => "beta",
        "gamma" => "gamma",
        "delta" => "delta",
        "epsilon" => "epsilon.alt",
        "varepsilon" => "epsilon",
        "zeta" => "zeta",
        "eta" => "eta",
        "theta" => "theta",
        "vartheta" => "theta.alt",
        "iota" => "iota",
        "kappa" => "kappa",
        "lambda" => "lambda",
        "mu" => "mu",
        "nu" => "nu",
        "xi" => "xi",
        "pi" => "pi",
        "rho" => "rho",
        "sigma" => "sigma",
        "tau" => "tau",
        "upsilon" => "upsilon",
        "phi" => "phi.alt",
        "varphi" => "phi",
        "chi" => "chi",
        "psi" => "psi",
        "omega" => "omega",
        "Gamma" => "Gamma",
        "Delta" => "Delta",
        "Theta" => "Theta",
        "Lambda" => "Lambda",
        "Xi" => "Xi",
        "Pi" => "Pi",
        "Sigma" => "Sigma",
        "Upsilon" => "Upsilon",
        "Phi" => "Phi",
        "Psi" => "Psi",
        "Omega" => "Omega",
        "geq" | "ge" => ">=",
        "leq" | "le" => "<=",
        "neq" | "ne" => "!=",
        "approx" => "approx",
        "sim" => "tilde.op",
        "simeq" => "tilde.eq",
        "equiv" => "equiv",
        "pm" => "plus.minus",
        "mp" => "minus.plus",
        "times" => "times",
        "cdot" => "dot.op",
        "div" => "div",
        "to" | "rightarrow" => "->",
        "leftarrow" => "<-",
        "Rightarrow" => "=>",
        "leftrightarrow" => "<->",
        "infty" => "infinity",
        "ldots" | "dots" => "...",
        "cdots" => "dots.c",
        "sum" => "sum",
        "prod" => "product",
        "int" => "integral",
        "partial" => "partial",
        "nabla" => "nabla",
        "log" => "log",
        "ln" => "ln",
        "exp" => "exp",
        "sin" => "sin",
        "cos" => "cos",
        "tan" => "tan",
        "max" => "max",
        "min" => "min",
        "lim" => "lim",
        "in" => "in",
        "notin" => "in.not",
        "subset" => "subset",
        "cup" => "union",
        "cap" => "sect",
        "forall" => "forall",
        "exists" => "exists",
        "circ" => "compose",
        "degree" => "degree",
        "prime" => "prime",
        "ll" => "lt.double",
        "gg" => "gt.double",
        "propto" => "prop",
        "mid" => "divides",
        "perp" => "perp",
        "," => "thin",
        ";" => "med",
        ":" => "med",
        " " => "space",
        "quad" => "quad",
        "qquad" => "wide",
        "!" => "",
        "%" => "%",
        "{" => "\\{",
        "}" => "\\}",
        "_" => "\\_",
        "&" => "\\&",
        "#" => "\\#",
        "$" => "\\$",
        "|" => "||",
        _ => return None,
    })
}

impl TexParser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// Tokens until `end` (consumed) or the end of input.
    fn seq(&mut self, end: Option<char>) -> Result<Vec<String>, String> {
        let mut out: Vec<String> = Vec::new();
        loop {
            self.skip_ws();
            let Some(c) = self.peek() else {
                return match end {
                    Some(e) => Err(format!("missing `{e}`")),
                    None => Ok(out),
                };
            };
            if Some(c) == end {
                self.pos += 1;
                return Ok(out);
            }
            if c == '_' || c == '^' {
                self.pos += 1;
                let arg = self.argument()?;
                let base = out.pop().unwrap_or_else(|| "\"\"".to_string());
                out.push(format!("{base}{c}({arg})"));
                continue;
            }
            let tok = self.atom()?;
            if !tok.is_empty() {
                out.push(tok);
            }
        }
    }

    /// One argument of `_`, `^` or a command: a group or a single token.
    fn argument(&mut self) -> Result<String, String> {
        self.skip_ws();
        match self.peek() {
            Some('{') => {
                self.pos += 1;
                Ok(self.seq(Some('}'))?.join(" "))
            }
            Some(_) => self.single(),
            None => Err("missing argument".into()),
        }
    }

    /// A single token (one digit or letter, or one command).
    fn single(&mut self) -> Result<String, String> {
        let c = self.peek().ok_or("missing argument")?;
        if c.is_ascii_digit() || c.is_alphabetic() {
            self.pos += 1;
            return Ok(c.to_string());
        }
        self.atom()
    }

    fn raw_group(&mut self) -> Result<String, String> {
        self.skip_ws();
        if self.peek() != Some('{') {
            return Err("expected `{`".into());
        }
        self.pos += 1;
        let mut depth = 1;
        let mut s = String::new();
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(s);
                    }
                }
                _ => {}
            }
            s.push(c);
        }
        Err("missing `}`".into())
    }

    fn atom(&mut self) -> Result<String, String> {
        let c = self.peek().ok_or("unexpected end")?;
        self.pos += 1;
        Ok(match c {
            '0'..='9' | '.' => {
                let mut s = c.to_string();
                while let Some(d) = self.peek() {
                    if d.is_ascii_digit()
                        || (d == '.'
                            && self
                                .chars
                                .get(self.pos + 1)
                                .is_some_and(char::is_ascii_digit))
                    {
                        s.push(d);
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
                if s == "." {
                    ".".into()
                } else {
                    s
                }
            }
            c if c.is_alphabetic() => c.to_string(),
            '{' => self.seq(Some('}'))?.join(" "),
            ',' | ';' if self.in_call > 0 => format!("\\{c}"),
            '=' | '+' | '-' | '<' | '>' | '(' | ')' | '[' | ']' | ',' | ';' | ':' | '!' | '|'
            | '/' | '\'' | '*' => match c {
                '*' => "ast.op".into(),
                '/' => "slash".into(),
                '\'' => "prime".into(),
                _ => c.to_string(),
            },
            '~' => "space".into(),
            '\\' => self.command()?,
            '&' => return Err("alignment `&` is not supported here".into()),
            '%' => return Err("`%` starts a LaTeX comment; write `\\%`".into()),
            // Anything else is literal; escaped unless a letter or digit,
            // so it cannot open a string, end the formula or start code.
            other if other.is_alphanumeric() => other.to_string(),
            other => format!("\\{other}"),
        })
    }

    fn command(&mut self) -> Result<String, String> {
        let mut name = String::new();
        while let Some(c) = self.peek() {
            if c.is_ascii_alphabetic() {
                name.push(c);
                self.pos += 1;
            } else {
                break;
            }
        }
        if name.is_empty() {
            let c = self.peek().ok_or("lone `\\`")?;
            self.pos += 1;
            name.push(c);
        }
        match name.as_str() {
            "text" | "textrm" | "mathrm" | "textit" | "mathit" | "textbf" | "mathbf"
            | "operatorname" => {
                let raw = self.raw_group()?;
                let s = typst_string(&raw);
                Ok(match name.as_str() {
                    "mathrm" | "operatorname" => format!("upright({s})"),
                    "textit" | "mathit" => format!("italic({s})"),
                    "textbf" | "mathbf" => format!("bold({s})"),
                    _ => s,
                })
            }
            "frac" | "dfrac" | "tfrac" => {
                self.in_call += 1;
                let args = self
                    .argument()
                    .and_then(|a| self.argument().map(|b| (a, b)));
                self.in_call -= 1;
                let (a, b) = args?;
                Ok(format!("frac({a}, {b})"))
            }
            "sqrt" => {
                self.in_call += 1;
                let a = self.argument();
                self.in_call -= 1;
                Ok(format!("sqrt({})", a?))
            }
            "left" | "right" | "big" | "Big" | "bigl" | "bigr" => Ok(String::new()),
            other => match symbol(other) {
                Some(s) => Ok(s.to_string()),
                None => Err(format!("unknown command `\\{other}`")),
            },
        }
    }
}

#[cfg(test)]
mod typst_tests {
    use super::to_typst;

    #[test]
    fn converts_the_papers_math() {
        assert_eq!(
            to_typst(r"F_{(9,133)}=37.1").unwrap(),
            "F_(( 9 , 133 )) = 37.1"
        );
        assert_eq!(to_typst(r"p<0.0001").unwrap(), "p < 0.0001");
        assert_eq!(to_typst(r"\geq 25\%").unwrap(), ">= 25 %");
        assert_eq!(
            to_typst(r"3.5\text{ }\mu\text{M}").unwrap(),
            "3.5 \" \" mu \"M\""
        );
        assert_eq!(to_typst(r"\frac{a}{b}").unwrap(), "frac(a, b)");
        assert!(to_typst(r"\unknowncmd x")
            .unwrap_err()
            .contains("unknowncmd"));
        // Nothing can open a string, end the formula or add arguments.
        assert_eq!(to_typst("x\"y").unwrap(), "x \\\" y");
        assert_eq!(to_typst("a$b").unwrap(), "a \\$ b");
        assert_eq!(to_typst(r"\frac{a,b}{c}").unwrap(), "frac(a \\, b, c)");
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
        assert!(to_typst(&deep).is_err());
        assert!(to_typst(&format!("{}x", "\\sqrt".repeat(5000))).is_err());
        assert!(to_typst(&format!(
            "{}x{}",
            "\\left(".repeat(100),
            "\\right)".repeat(100)
        ))
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
