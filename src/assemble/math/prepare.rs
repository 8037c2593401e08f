//! What galley does to a formula before the converter sees it: the parts
//! of LaTeX that are about the document, not the math. `\label` and `\tag`
//! become the equation's cross-reference target and number (galley numbers
//! equations, so the site and the PDF agree), `\nonumber` goes, and the
//! numbered environments (`equation`, `align`, `gather`, ...) become the
//! alignments they contain, as Pandoc users write them inside `$$`.

/// A formula ready for the converter, with what was taken out of it.
#[derive(Debug, Default, PartialEq)]
pub struct Prepared {
    pub tex: String,
    /// `\label{...}` names, in order (an `align` may label several lines;
    /// all point at the one equation galley numbers).
    pub labels: Vec<String>,
    /// `\tag{...}`: the number to show instead of galley's.
    pub tag: Option<String>,
    /// A numbered environment (`equation`, `align`, ... without `*`).
    pub numbered: bool,
}

/// The environment galley gives the converter for one the author wrote,
/// whether it is numbered in LaTeX, and whether it takes an argument
/// (`alignat{2}`) that the replacement does not.
fn environment(name: &str) -> Option<(&'static str, bool, bool)> {
    Some(match name {
        "equation" | "displaymath" => ("", true, false),
        "equation*" | "math" => ("", false, false),
        "align" | "flalign" | "eqnarray" => ("aligned", true, false),
        "align*" | "flalign*" | "eqnarray*" | "split" => ("aligned", false, false),
        "alignat" | "xalignat" => ("aligned", true, true),
        "alignat*" | "xalignat*" | "alignedat" => ("aligned", false, true),
        "gather" | "multline" => ("gathered", true, false),
        "gather*" | "multline*" => ("gathered", false, false),
        "smallmatrix" => ("matrix", false, false),
        _ => return None,
    })
}

/// The command name starting at byte `i` (just after a backslash): letters,
/// then an optional `*`.
fn command_at(tex: &str, i: usize) -> &str {
    let rest = &tex[i..];
    let mut end = rest
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(rest.len());
    if end > 0 && rest[end..].starts_with('*') {
        end += 1;
    }
    &rest[..end]
}

/// The braced argument starting at or after byte `i` (spaces skipped):
/// its content and the byte after its closing brace.
fn braced(tex: &str, i: usize) -> Option<(&str, usize)> {
    let start = i + tex[i..].len() - tex[i..].trim_start().len();
    if !tex[start..].starts_with('{') {
        return None;
    }
    let mut depth = 0usize;
    let mut escaped = false;
    for (k, c) in tex[start..].char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    let end = start + k;
                    return Some((&tex[start + 1..end], end + 1));
                }
            }
            _ => {}
        }
    }
    None
}

pub fn prepare(tex: &str) -> Prepared {
    let mut p = Prepared::default();
    let mut out = String::with_capacity(tex.len());
    let mut i = 0;
    while let Some(off) = tex[i..].find('\\') {
        let at = i + off;
        out.push_str(&tex[i..at]);
        let name = command_at(tex, at + 1);
        let after = at + 1 + name.len();
        if name.is_empty() {
            // `\\`, `\{`: an escaped character, kept.
            let next = tex[at + 1..].chars().next().map_or(0, char::len_utf8);
            out.push_str(&tex[at..at + 1 + next]);
            i = at + 1 + next;
            continue;
        }
        match name {
            "label" | "tag" | "tag*" => {
                if let Some((arg, end)) = braced(tex, after) {
                    if name == "label" {
                        p.labels.push(arg.trim().to_string());
                    } else {
                        p.tag = Some(arg.trim().to_string());
                    }
                    i = end;
                    continue;
                }
            }
            "nonumber" | "notag" => {
                i = after;
                continue;
            }
            "begin" | "end" => {
                if let Some((env, end)) = braced(tex, after) {
                    if let Some((with, numbered, takes_arg)) = environment(env.trim()) {
                        let mut end = end;
                        if name == "begin" {
                            p.numbered |= numbered;
                            if takes_arg {
                                end = braced(tex, end).map_or(end, |(_, e)| e);
                            }
                        }
                        if !with.is_empty() {
                            out.push_str(&format!("\\{name}{{{with}}}"));
                        }
                        i = end;
                        continue;
                    }
                }
            }
            _ => {}
        }
        out.push_str(&tex[at..after]);
        i = after;
    }
    out.push_str(&tex[i..]);
    p.tex = out;
    p
}

/// Commands papers use that the converter spells differently, as macros
/// it expands.
pub fn macros() -> Vec<(String, String)> {
    [
        ("mbox", r"\text{#1}"),
        ("hbox", r"\text{#1}"),
        ("textnormal", r"\text{#1}"),
        ("substack", r"\begin{subarray}{c}#1\end{subarray}"),
        ("dddot", r"\overset{\cdots}{#1}"),
        ("bigstar", r"\star"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_tags_and_environments_come_out() {
        let p = prepare(r"\begin{equation} E = mc^2 \label{eq:e} \end{equation}");
        assert_eq!(p.tex.trim(), "E = mc^2");
        assert_eq!(p.labels, ["eq:e"]);
        assert!(p.numbered);
        let p = prepare(r"\begin{align*} a &= b \\ c &= d \nonumber \end{align*}");
        assert_eq!(p.tex, r"\begin{aligned} a &= b \\ c &= d  \end{aligned}");
        assert!(!p.numbered);
        let p = prepare(r"\begin{alignat}{2} a &= b \end{alignat}");
        assert_eq!(p.tex, r"\begin{aligned} a &= b \end{aligned}");
        let p = prepare(r"x = 1 \tag{3a}");
        assert_eq!((p.tex.as_str(), p.tag.as_deref()), ("x = 1 ", Some("3a")));
        // Everything else, escapes included, is kept as written.
        let s = r"\{ \frac{a}{b} \\ \left( x \right) \} \begin{pmatrix} 1 \end{pmatrix} é";
        assert_eq!(prepare(s).tex, s);
        // An unclosed argument is left for the converter to report.
        assert_eq!(prepare(r"\label{x").tex, r"\label{x");
    }
}
