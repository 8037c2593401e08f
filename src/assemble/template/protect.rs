//! What Tera must not read in a section: code (fenced blocks, executable
//! cells, raw blocks, inline code spans), Pandoc attributes (`{#fig-x
//! width=60%}` would open a Tera comment) and Quarto shortcodes
//! (`{{< pagebreak >}}`), which galley expands itself. Everything else,
//! data references included, goes to Tera as written.
//!
//! A `{` that would open a Tera tag in protected text becomes [`GUARD`]
//! while Tera runs and is put back after ([`restore`]); the text keeps its
//! lines, so positions in it stay those of the source.

use std::ops::Range;

/// Stands in for a `{` that Tera must not read.
pub const GUARD: char = '\u{E00B}';

/// A Quarto shortcode, `{{< name args >}}`, found outside code.
#[derive(Debug, PartialEq)]
pub struct Shortcode<'t> {
    pub name: &'t str,
    pub args: Vec<&'t str>,
    /// Byte range in the text, `{{<` to `>}}`.
    pub span: Range<usize>,
}

/// Guard every `{` of `s` that starts a Tera tag.
fn guard_into(out: &mut String, s: &str) {
    let mut prev_brace = false;
    let b = s.as_bytes();
    for (i, c) in s.char_indices() {
        if c == '{' && matches!(b.get(i + 1), Some(b'{' | b'%' | b'#')) {
            out.push(GUARD);
            prev_brace = true;
            continue;
        }
        // `{{`'s second brace, too, so that `{{{` never pairs up.
        if c == '{' && prev_brace {
            out.push(GUARD);
            continue;
        }
        prev_brace = false;
        out.push(c);
    }
}

/// Whether the text after `{#` is a Pandoc attribute block (`fig-x
/// width=60%}`) and not a Tera comment (`{# note #}`): it starts with a
/// letter or digit and its first `}` on the line is not `#}`.
pub fn is_attribute(after: &str) -> bool {
    if !after.chars().next().is_some_and(char::is_alphanumeric) {
        return false;
    }
    let line = &after[..after.find('\n').unwrap_or(after.len())];
    match line.find('}') {
        Some(close) => !line[..close].ends_with('#') && !line[..close].contains('{'),
        None => false,
    }
}

/// The shortcode starting at `{{<` at the start of `s`, and its length.
fn shortcode_at(s: &str) -> Option<(&str, usize)> {
    let inner_start = 3;
    let close = s.find(">}}")?;
    let inner = &s[inner_start..close];
    (!inner.contains('\n')).then_some((inner, close + 3))
}

/// Protect `text` for Tera, expanding each shortcode outside code with
/// `expand` (its replacement, already safe for Tera).
pub fn protect(text: &str, expand: &mut dyn FnMut(&Shortcode) -> String) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut fences = crate::model::fences::Fences::default();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if fences.code(line) {
            guard_into(&mut out, line);
        } else {
            protect_line(line, at, &mut out, expand);
        }
        at += line.len();
    }
    out
}

/// One line outside fenced code: its code spans guarded, its attribute
/// blocks guarded, its shortcodes expanded.
fn protect_line(
    line: &str,
    base: usize,
    out: &mut String,
    expand: &mut dyn FnMut(&Shortcode) -> String,
) {
    let mut i = 0;
    while i < line.len() {
        let rest = &line[i..];
        if rest.starts_with('`') {
            let n = rest.chars().take_while(|c| *c == '`').count();
            let fence = &rest[..n];
            // The code span closes with a run of exactly as many backticks.
            let close = rest[n..]
                .match_indices(fence)
                .map(|(k, _)| n + k)
                .find(|&k| !rest[k + n..].starts_with('`') && !rest[..k].ends_with('`'));
            if let Some(k) = close {
                guard_into(out, &rest[..k + n]);
                i += k + n;
                continue;
            }
            out.push_str(fence);
            i += n;
            continue;
        }
        if let Some(after) = rest.strip_prefix("{{</*") {
            // `{{</* x */>}}`: Quarto's escape for a literal shortcode.
            if let Some(end) = after.find("*/>}}") {
                guard_into(out, &format!("{{{{<{}>}}}}", &after[..end]));
                i += 5 + end + 5;
                continue;
            }
        }
        if rest.starts_with("{{<") {
            if let Some((inner, len)) = shortcode_at(rest) {
                let mut words = inner.split_whitespace();
                let name = words.next().unwrap_or("");
                let sc = Shortcode {
                    name,
                    args: words.collect(),
                    span: base + i..base + i + len,
                };
                out.push_str(&expand(&sc));
                i += len;
                continue;
            }
        }
        if rest.starts_with("{#") && is_attribute(&rest[2..]) {
            out.push(GUARD);
            out.push('#');
            i += 2;
            continue;
        }
        // Plain text up to the next character that may start something
        // (past this one, whatever its length in bytes).
        let first = rest.chars().next().map_or(1, char::len_utf8);
        let plain = rest[first..]
            .find(['`', '{'])
            .map_or(rest.len(), |k| k + first);
        out.push_str(&rest[..plain]);
        i += plain;
    }
}

/// Text with every [`GUARD`] a `{` again.
pub fn restore(text: &str) -> String {
    if text.contains(GUARD) {
        text.replace(GUARD, "{")
    } else {
        text.to_string()
    }
}

/// Text to put in a section as it is, never read by Tera (a shortcode's
/// value).
pub fn literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    guard_into(&mut out, s);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &Shortcode) -> String {
        String::new()
    }

    #[test]
    fn code_attributes_and_shortcodes_are_kept_from_tera() {
        let src = "Value {{ data.x }} and `{{ not }}` here.\n\n```{r}\n#| label: fig-a\nx <- \"{{y}}\"\n```\n\n![A](a.png){#fig-a width=60%}\n\n{# a comment #}\n";
        let p = protect(src, &mut none);
        assert!(p.contains("Value {{ data.x }}"));
        assert!(!p.contains("`{{ not"));
        assert!(!p.contains("\"{{y}}\""));
        assert!(p.contains("{# a comment #}"));
        assert!(!p.contains("{#fig-a"));
        assert_eq!(restore(&p), src);
        // Lines are kept, so positions are too.
        assert_eq!(p.lines().count(), src.lines().count());
    }

    #[test]
    fn shortcodes_are_expanded_outside_code_only() {
        let src = "A {{< pagebreak >}} B `{{< meta x >}}` {{< meta title >}} {{</* var v */>}}\n";
        let mut seen = Vec::new();
        let p = protect(src, &mut |s: &Shortcode| {
            seen.push((s.name.to_string(), s.args.join(" "), s.span.clone()));
            format!("[{}]", s.name)
        });
        assert_eq!(
            seen,
            [
                ("pagebreak".to_string(), String::new(), 2..19),
                ("meta".to_string(), "title".to_string(), 39..57)
            ]
        );
        assert_eq!(
            restore(&p),
            "A [pagebreak] B `{{< meta x >}}` [meta] {{< var v >}}\n"
        );
    }

    #[test]
    fn attributes_and_comments() {
        assert!(is_attribute("fig-x width=60%}"));
        assert!(is_attribute("sec-m key=\"v\"}"));
        assert!(!is_attribute(" note #}"));
        assert!(!is_attribute("note#}"));
        assert!(!is_attribute("x"));
    }
}
