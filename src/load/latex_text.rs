//! LaTeX text markup in BibTeX fields, as Pandoc reads it: `\emph{in
//! vivo}` is italic, `~` a no-break space, `{\'\i}` an í, an unknown
//! command's argument its text. The BibTeX parser keeps such markup as
//! text; galley rewrites it before hayagriva sees the entry. Formatting
//! that hayagriva's strings cannot hold travels as private-use marks,
//! which the citation stage turns into emphasis, bold, small capitals,
//! superscript and subscript, and every other reader strips ([`plain`]).

/// Opening and closing marks of each kind of formatting, in this order:
/// emphasis, bold, small capitals, superscript, subscript.
pub const MARKS: [(char, char); 5] = [
    ('\u{E000}', '\u{E001}'),
    ('\u{E002}', '\u{E003}'),
    ('\u{E004}', '\u{E005}'),
    ('\u{E006}', '\u{E007}'),
    ('\u{E008}', '\u{E009}'),
];

/// Which formatting a text command stands for (an index into [`MARKS`]),
/// `None` for one whose argument is plain text.
fn formatting(cmd: &str) -> Option<Option<usize>> {
    Some(match cmd {
        "emph" | "textit" | "textsl" | "mkbibemph" | "mkbibitalic" => Some(0),
        "textbf" | "mkbibbold" => Some(1),
        "textsc" | "mkbibsc" => Some(2),
        "textsuperscript" | "mkbibsuperscript" => Some(3),
        "textsubscript" | "mkbibsubscript" => Some(4),
        "textrm" | "textnormal" | "textsf" | "texttt" | "textup" | "text" | "mbox" | "hbox"
        | "url" | "nolinkurl" | "mkbibquote" | "enquote" | "NoCaseChange" | "MakeUppercase"
        | "MakeLowercase" | "uppercase" | "lowercase" | "ensuremath" => None,
        _ => return None,
    })
}

/// A font switch (`\\it`, `\\bf`: the rest of the group), as an index into
/// [`MARKS`], or `None` for one back to upright text (`\\rm`).
fn switch(cmd: &str) -> Option<Option<usize>> {
    Some(match cmd {
        "it" | "em" | "sl" | "itshape" | "slshape" => Some(0),
        "bf" | "bfseries" => Some(1),
        "sc" | "scshape" => Some(2),
        "rm" | "tt" | "sf" | "normalfont" | "upshape" | "mdseries" | "rmfamily" | "ttfamily"
        | "sffamily" => None,
        _ => return None,
    })
}

/// A command without argument that stands for a character.
fn symbol(cmd: &str) -> Option<&'static str> {
    Some(match cmd {
        "i" => "ı",
        "j" => "ȷ",
        "o" => "ø",
        "O" => "Ø",
        "ae" => "æ",
        "AE" => "Æ",
        "oe" => "œ",
        "OE" => "Œ",
        "aa" => "å",
        "AA" => "Å",
        "l" => "ł",
        "L" => "Ł",
        "ss" => "ß",
        "ldots" | "dots" | "textellipsis" => "…",
        "textendash" => "–",
        "textemdash" => "—",
        "textquoteleft" => "‘",
        "textquoteright" => "’",
        "textquotedblleft" => "“",
        "textquotedblright" => "”",
        "textregistered" => "®",
        "texttrademark" => "™",
        "textcopyright" | "copyright" => "©",
        "textdegree" => "°",
        "S" => "§",
        "P" => "¶",
        "dag" => "†",
        "ddag" => "‡",
        "LaTeX" => "LaTeX",
        "TeX" => "TeX",
        "textbackslash" => "\\",
        "textasciitilde" => "~",
        "textunderscore" => "_",
        "slash" => "/",
        "space" | "quad" | "qquad" | "enspace" | "thinspace" => " ",
        _ => return None,
    })
}

/// `i` or `j` with a combining accent (what the BibTeX parser makes of
/// `{\'\i}`) as one letter.
fn dotless_accent(letter: char, accent: char) -> Option<char> {
    Some(match (letter, accent) {
        ('i', '\u{301}') => 'í',
        ('i', '\u{300}') => 'ì',
        ('i', '\u{302}') => 'î',
        ('i', '\u{308}') => 'ï',
        ('i', '\u{304}') => 'ī',
        ('i', '\u{306}') => 'ĭ',
        ('i', '\u{30c}') => 'ǐ',
        ('i', '\u{303}') => 'ĩ',
        ('j', '\u{302}') => 'ĵ',
        _ => return None,
    })
}

/// The braced argument at the start of `s`: its content and the rest.
fn argument(s: &str) -> Option<(&str, &str)> {
    let s = s.strip_prefix('{')?;
    let mut depth = 1usize;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some((&s[..i], &s[i + 1..]));
                }
            }
            _ => {}
        }
    }
    None
}

/// A BibTeX field's text with its LaTeX markup resolved.
pub fn resolve(s: &str) -> String {
    resolve_at(s, 0)
}

/// Commands inside one another that are resolved; deeper ones are left as
/// written (BibTeX's own brace limit keeps real fields far below).
const MAX_DEPTH: usize = 64;

fn resolve_at(s: &str, depth: usize) -> String {
    let (mut out, open) = resolve_open_at(s, depth);
    for k in open.into_iter().rev() {
        out.push(MARKS[k].1);
    }
    out
}

/// [`resolve`], leaving the marks of a font switch (`\\it ...`) open: at
/// the top level of a field, a switch runs to the field's end, past the
/// braced groups after it. The marks left open, innermost last.
pub fn resolve_open(s: &str) -> (String, Vec<usize>) {
    resolve_open_at(s, 0)
}

fn resolve_open_at(s: &str, depth: usize) -> (String, Vec<usize>) {
    if depth > MAX_DEPTH {
        return (s.to_string(), Vec::new());
    }
    if !s.contains(['\\', '~']) {
        return (s.to_string(), Vec::new());
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if c == '~' {
            out.push('\u{a0}');
            rest = &rest[1..];
            continue;
        }
        if c != '\\' {
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let after = &rest[1..];
        // `\` + combining accent + `i`: the parser's `{\'\i}`.
        let mut cs = after.chars();
        if let (Some(acc), Some(letter)) = (cs.next(), cs.next()) {
            if let Some(l) = dotless_accent(letter, acc) {
                out.push(l);
                rest = &after[acc.len_utf8() + letter.len_utf8()..];
                continue;
            }
        }
        let name_len = after
            .find(|ch: char| !ch.is_ascii_alphabetic())
            .unwrap_or(after.len());
        if name_len == 0 {
            // `\&`, `\%`, `\{`: the character itself.
            match after.chars().next() {
                Some(ch) => {
                    out.push(if ch == ',' { ' ' } else { ch });
                    rest = &after[ch.len_utf8()..];
                }
                None => rest = after,
            }
            continue;
        }
        let name = &after[..name_len];
        let tail = &after[name_len..];
        if let Some(sym) = symbol(name) {
            out.push_str(sym);
            // A control word eats the spaces after it, or an empty `{}`.
            rest = tail
                .strip_prefix("{}")
                .unwrap_or(tail.trim_start_matches(' '));
            continue;
        }
        // `{\it text}`, `{\bf text}`: a switch, to the end of the group.
        if let Some(k) = switch(name) {
            let (body, mut open) = resolve_open_at(tail.trim_start_matches(' '), depth + 1);
            if let Some(k) = k {
                out.push(MARKS[k].0);
                open.insert(0, k);
            }
            out.push_str(&body);
            return (out, open);
        }
        let arg_tail = tail.trim_start_matches(' ');
        if let Some((arg, next)) = argument(arg_tail) {
            let inner = resolve_at(arg, depth + 1);
            match formatting(name) {
                Some(Some(k)) => {
                    out.push(MARKS[k].0);
                    out.push_str(&inner);
                    out.push(MARKS[k].1);
                }
                // Plain or unknown commands: their argument, as Pandoc
                // keeps it.
                _ => out.push_str(&inner),
            }
            rest = next;
            continue;
        }
        out.push('\\');
        out.push_str(name);
        rest = tail;
    }
    (out, Vec::new())
}

/// Text without galley's formatting marks (for meta tags, sorting, data
/// references).
pub fn plain(s: &str) -> String {
    s.chars()
        .filter(|c| !('\u{E000}'..='\u{E009}').contains(c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_as_pandoc_reads_it() {
        assert_eq!(
            plain(&resolve(r"The \emph{in vivo} effect~in \textit{et al.}")),
            "The in vivo effect\u{a0}in et al."
        );
        assert_eq!(
            resolve(r"\emph{a \textbf{b}}"),
            "\u{E000}a \u{E002}b\u{E003}\u{E001}"
        );
        assert_eq!(resolve("Garc\\\u{301}ia"), "García");
        assert_eq!(resolve(r"\o{}stergaard \ss{} \& \%"), "østergaard ß & %");
        assert_eq!(
            resolve(r"\unknown{kept} \url{https://x.org}"),
            "kept https://x.org"
        );
        assert_eq!(resolve(r"\unknowncmd alone"), r"\unknowncmd alone");
        assert_eq!(resolve("no markup"), "no markup");
        // Deeply nested commands do not overflow the stack (found by review).
        let deep = format!("{}x{}", "\\emph{".repeat(100_000), "}".repeat(100_000));
        assert!(resolve(&deep).contains('x'));
        assert!(!resolve(&"\\it ".repeat(100_000)).is_empty());
        // As the acm template's bibliography has them.
        assert_eq!(resolve(r"The \TeX{}book"), "The TeXbook");
        assert_eq!(resolve(r"\rm The Barbados"), "The Barbados");
        assert_eq!(
            resolve(r"\it LaTeX: A System"),
            "\u{E000}LaTeX: A System\u{E001}"
        );
    }
}
