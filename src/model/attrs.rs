//! Pandoc attributes: `{#id .class key=value key="quoted value"}`, as
//! they follow headings, images, spans and fenced divs.

/// An element's id, classes and key-value pairs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attrs {
    pub id: Option<String>,
    pub classes: Vec<String>,
    pub pairs: Vec<(String, String)>,
}

impl Attrs {
    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn has_class(&self, class: &str) -> bool {
        self.classes.iter().any(|c| c == class)
    }
}

/// Parse the attributes of `{...}` (braces included) or of a div's bare
/// word (`::: note` is the class `note`); `None` if it is not attribute
/// syntax.
pub fn parse(s: &str) -> Option<Attrs> {
    // Smart punctuation may have curled the quotes of `key="value"`.
    let straight: String = s
        .chars()
        .map(|c| match c {
            '“' | '”' => '"',
            '‘' | '’' => '\'',
            c => c,
        })
        .collect();
    let s = straight.trim();
    let Some(inner) = s.strip_prefix('{').and_then(|x| x.strip_suffix('}')) else {
        let word = s.chars().all(|c| c.is_alphanumeric() || "-_".contains(c)) && !s.is_empty();
        return word.then(|| Attrs {
            classes: vec![s.to_string()],
            ..Attrs::default()
        });
    };
    let mut a = Attrs::default();
    let mut rest = inner.trim();
    while !rest.is_empty() {
        let (token, after) = next_token(rest)?;
        rest = after.trim_start();
        if let Some(id) = token.strip_prefix('#') {
            if id.is_empty() {
                return None;
            }
            a.id = Some(id.to_string());
        } else if let Some(class) = token.strip_prefix('.') {
            if class.is_empty() {
                return None;
            }
            a.classes.push(class.to_string());
        } else if token == "-" {
            a.classes.push("unnumbered".to_string());
        } else if let Some((k, v)) = token.split_once('=') {
            if k.is_empty() {
                return None;
            }
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(v);
            a.pairs.push((k.to_string(), v.replace("\\\"", "\"")));
        } else if token.starts_with('=') {
            // `{=html}`: a raw attribute, not these.
            return None;
        } else {
            a.classes.push(token.to_string());
        }
    }
    Some(a)
}

/// One token: up to whitespace, with `"..."` values kept whole.
fn next_token(s: &str) -> Option<(&str, &str)> {
    let mut in_quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quote.is_some() => escaped = true,
            '"' | '\'' if in_quote == Some(c) => in_quote = None,
            '"' | '\'' if in_quote.is_none() && s[..i].ends_with('=') => in_quote = Some(c),
            c if c.is_whitespace() && in_quote.is_none() => return Some((&s[..i], &s[i..])),
            _ => {}
        }
    }
    in_quote.is_none().then_some((s, ""))
}

/// Attributes at the very start of `s` (`{#fig-x width=60%} rest`): them
/// and the byte length they take.
pub fn leading(s: &str) -> Option<(Attrs, usize)> {
    if !s.starts_with('{') {
        return None;
    }
    let close = s.find('}')?;
    let a = parse(&s[..=close])?;
    Some((a, close + 1))
}

/// Attributes at the very end of `s` (`Caption {#tbl-x}`): the text before
/// them, trimmed, and them.
pub fn trailing(s: &str) -> Option<(&str, Attrs)> {
    let t = s.trim_end();
    if !t.ends_with('}') {
        return None;
    }
    let open = t.rfind('{')?;
    let a = parse(&t[open..])?;
    Some((t[..open].trim_end(), a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pandoc_attributes() {
        let a = parse(r#"{#fig-x .wide width=60% title="A \"quoted\" title" key='v w'}"#).unwrap();
        assert_eq!(a.id.as_deref(), Some("fig-x"));
        assert_eq!(a.classes, ["wide"]);
        assert_eq!(a.get("width"), Some("60%"));
        assert_eq!(a.get("title"), Some("A \"quoted\" title"));
        assert_eq!(a.get("key"), Some("v w"));
        assert_eq!(parse("note").unwrap().classes, ["note"]);
        assert_eq!(parse("{-}").unwrap().classes, ["unnumbered"]);
        assert!(parse("{=html}").is_none());
        assert!(parse("{#}").is_none());
        let (a, n) = leading("{#fig-a width=50%} and more").unwrap();
        assert_eq!((a.id.as_deref(), n), (Some("fig-a"), 18));
        let (text, a) = trailing("Numbers of studies {#tbl-n}").unwrap();
        assert_eq!(
            (text, a.id.as_deref()),
            ("Numbers of studies", Some("tbl-n"))
        );
    }
}
