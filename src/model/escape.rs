//! Escaping text for the formats galley writes: HTML (pages, SVG figures),
//! XML and Typst (markup and string literals). One of each, shared by every
//! stage that writes them.

/// HTML-escape text for element content and attribute values (SVG too).
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Text for XML (JATS, Word): escaped as for HTML, and without the
/// characters XML 1.0 may not hold (C0 controls but tab and newlines,
/// U+FFFE, U+FFFF), which a PDF's copied text can bring.
pub fn xml(s: &str) -> String {
    let forbidden = |c: char| {
        (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{FFFE}' || c == '\u{FFFF}'
    };
    if s.chars().any(forbidden) {
        html(&s.chars().filter(|c| !forbidden(*c)).collect::<String>())
    } else {
        html(s)
    }
}

/// Escape text for Typst markup: every character with a meaning is escaped.
pub fn typst_markup(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '\\' | '*' | '_' | '`' | '$' | '#' | '[' | ']' | '<' | '>' | '@' | '=' | '-' | '+'
            | '/' | '~' | '"' | '\'' | '.' | '(' | ')' | ':' | ';' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// A Typst string literal.
pub fn typst_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            '\t' => out.push_str("\\t"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(
            html("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(typst_string("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
        assert_eq!(typst_markup("#f(x) *y*"), "\\#f\\(x\\) \\*y\\*");
    }
}
