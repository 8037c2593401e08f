//! Link checking of a built site, in memory, before anything is written:
//! every internal `href`, `src`, `srcset`, `poster` (and stylesheet `url()`)
//! must name a file of the site, and every `#fragment` an id in the page it
//! points to. Links to other hosts and schemes (mailto:, data:) are not
//! followed.

use std::collections::{BTreeMap, BTreeSet};

use url::Url;

use crate::diag::SourceMap;
use crate::diag::{Diagnostic, Diagnostics};
use crate::render::OutFile;

/// An attribute of a start tag, as found in the HTML text.
#[derive(Debug)]
pub struct Attr {
    pub tag: String,
    pub name: String,
    /// The value with character references decoded.
    pub value: String,
    /// Byte offset of the value (or the name, for an attribute without one).
    pub offset: usize,
}

/// Every attribute of every start tag, skipping comments, doctypes and the
/// contents of `<script>`, `<style>`, `<textarea>` and `<title>`.
pub fn attributes(html: &str) -> Vec<Attr> {
    let b = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let find = |from: usize, pat: &str| html[from..].find(pat).map(|k| from + k);
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        let rest = &html[i..];
        if rest.starts_with("<!--") {
            i = find(i + 4, "-->").map_or(b.len(), |k| k + 3);
        } else if rest.starts_with("<![CDATA[") {
            i = find(i + 9, "]]>").map_or(b.len(), |k| k + 3);
        } else if rest.starts_with("<!") || rest.starts_with("<?") || rest.starts_with("</") {
            i = find(i + 2, ">").map_or(b.len(), |k| k + 1);
        } else if b.get(i + 1).is_some_and(u8::is_ascii_alphabetic) {
            let (tag, end, self_closing) = start_tag(html, i + 1, &mut out);
            i = end;
            let raw = ["script", "style", "textarea", "title"];
            if !self_closing && raw.contains(&tag.as_str()) {
                let close = format!("</{tag}");
                i = html[i..]
                    .to_ascii_lowercase()
                    .find(&close)
                    .map_or(b.len(), |k| i + k);
            }
        } else {
            i += 1;
        }
    }
    out
}

/// Parse a start tag whose name begins at `i`; returns its lowercased
/// name, the offset after `>`, and whether it ended with `/>`.
fn start_tag(html: &str, mut i: usize, out: &mut Vec<Attr>) -> (String, usize, bool) {
    let b = html.as_bytes();
    let name_start = i;
    while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'/' && b[i] != b'>' {
        i += 1;
    }
    let tag = html[name_start..i].to_ascii_lowercase();
    let mut self_closing = false;
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            self_closing = b[i] == b'/';
            i += 1;
        }
        if i >= b.len() {
            return (tag, i, false);
        }
        if b[i] == b'>' {
            return (tag, i + 1, self_closing);
        }
        self_closing = false;
        let an = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'/' | b'>' | b'=') {
            i += 1;
        }
        // A stray `=` (or quote) where a name belongs: take it as part of one.
        if i == an {
            i += 1;
        }
        let name = html[an..i].to_ascii_lowercase();
        let mut j = i;
        while j < b.len() && b[j].is_ascii_whitespace() {
            j += 1;
        }
        if b.get(j) != Some(&b'=') {
            out.push(Attr {
                tag: tag.clone(),
                name,
                value: String::new(),
                offset: an,
            });
            continue;
        }
        j += 1;
        while j < b.len() && b[j].is_ascii_whitespace() {
            j += 1;
        }
        let (start, end, next) = match b.get(j) {
            Some(q @ (b'"' | b'\'')) => match html[j + 1..].find(*q as char) {
                Some(k) => (j + 1, j + 1 + k, j + 2 + k),
                None => (j + 1, b.len(), b.len()),
            },
            _ => {
                let mut k = j;
                while k < b.len() && !b[k].is_ascii_whitespace() && b[k] != b'>' {
                    k += 1;
                }
                (j, k, k)
            }
        };
        out.push(Attr {
            tag: tag.clone(),
            name,
            value: decode_entities(&html[start..end]),
            offset: start,
        });
        i = next;
    }
}

/// Decode character references: numeric ones and the few named ones that
/// appear in URLs.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest[1..]
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '#')
            .map_or(rest.len(), |k| k + 1);
        let body = &rest[1..end];
        let decoded = if let Some(num) = body.strip_prefix('#') {
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => num.parse().ok(),
            };
            code.and_then(char::from_u32).map(String::from)
        } else {
            match body {
                "amp" => Some("&".into()),
                "quot" => Some("\"".into()),
                "apos" => Some("'".into()),
                "lt" => Some("<".into()),
                "gt" => Some(">".into()),
                "nbsp" => Some("\u{a0}".into()),
                _ => None,
            }
        };
        match decoded {
            Some(d) => {
                out.push_str(&d);
                rest = &rest[end..];
                if rest.starts_with(';') {
                    rest = &rest[1..];
                }
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A URL found in a file of the site.
struct Link {
    url: String,
    offset: usize,
}

/// The URLs a page loads or links to, and the ids it defines.
fn page_links(html: &str) -> (Vec<Link>, BTreeSet<String>) {
    let mut links = Vec::new();
    let mut ids = BTreeSet::new();
    for a in attributes(html) {
        match a.name.as_str() {
            "id" => {
                ids.insert(a.value);
            }
            "name" if a.tag == "a" => {
                ids.insert(a.value);
            }
            "href" | "src" | "poster" | "xlink:href" | "action" | "cite" | "data"
                if a.name != "data" || a.tag == "object" =>
            {
                links.push(Link {
                    url: a.value.trim().to_string(),
                    offset: a.offset,
                });
            }
            // Absolute URLs in metadata (og:url, citation_pdf_url) that
            // name this site are checked too.
            "content"
                if a.tag == "meta"
                    && (a.value.starts_with("https://") || a.value.starts_with("http://")) =>
            {
                links.push(Link {
                    url: a.value.trim().to_string(),
                    offset: a.offset,
                });
            }
            "srcset" | "imagesrcset" => {
                for candidate in a.value.split(',') {
                    if let Some(u) = candidate.split_whitespace().next() {
                        links.push(Link {
                            url: u.to_string(),
                            offset: a.offset,
                        });
                    }
                }
            }
            _ => {}
        }
    }
    (links, ids)
}

/// Check every internal link of the site served at `base` (a URL ending in
/// `/`). Each problem points at the link in its page (by the page's path
/// in the site); the pages with problems are returned to quote them.
pub fn check(files: &[OutFile], base: &Url) -> (Diagnostics, SourceMap) {
    let paths: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let mut ids: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut found: Vec<(&OutFile, &str, Vec<Link>)> = Vec::new();
    for f in files {
        let Ok(text) = std::str::from_utf8(&f.bytes) else {
            continue;
        };
        if is_html(&f.path) {
            let (links, page_ids) = page_links(text);
            ids.insert(&f.path, page_ids);
            found.push((f, text, links));
        } else if f.path.ends_with(".css") {
            let links = crate::render::html::fingerprint::css_refs(text)
                .into_iter()
                .map(|r| Link {
                    url: r.url,
                    offset: r.start,
                })
                .collect();
            found.push((f, text, links));
        }
    }
    let mut diags = Diagnostics::new();
    let mut pages = SourceMap::default();
    for (file, text, links) in found {
        let Ok(here) = base.join(&file.path) else {
            continue;
        };
        for link in links {
            if let Err(problem) = check_link(&link.url, &here, base, &paths, &ids, &file.path) {
                // The link as written: up to its closing quote or bracket.
                let rest = &text[link.offset..];
                let len = rest
                    .find(['"', '\'', ')', '>', ' ', '\n'])
                    .unwrap_or(rest.len())
                    .max(1);
                let span = link.offset..(link.offset + len).min(text.len());
                diags.push(
                    Diagnostic::error(format!("broken link `{}`: {problem}", link.url))
                        .at(&file.path, span),
                );
                pages.insert(&file.path, text);
            }
        }
    }
    (diags, pages)
}

fn is_html(path: &str) -> bool {
    path.ends_with(".html") || path.ends_with(".htm")
}

fn check_link(
    raw: &str,
    here: &Url,
    base: &Url,
    paths: &BTreeSet<&str>,
    ids: &BTreeMap<&str, BTreeSet<String>>,
    page: &str,
) -> Result<(), String> {
    if raw.is_empty() || raw == "#" {
        return Ok(());
    }
    let target = here
        .join(raw)
        .map_err(|e| format!("not a valid URL ({e})"))?;
    if !matches!(target.scheme(), "http" | "https") {
        return Ok(());
    }
    // A link written with its own scheme or host points elsewhere, unless it
    // names this site.
    let has_host = raw.starts_with("//") || raw.contains("://");
    let inside = target.origin() == base.origin() && target.path().starts_with(base.path());
    if !inside {
        if has_host {
            return Ok(());
        }
        return Err(format!(
            "it leaves the site, which is served from {base}; write it relative to the page"
        ));
    }
    let rel = &target.path()[base.path().len()..];
    let rel = percent_encoding::percent_decode_str(rel)
        .decode_utf8_lossy()
        .into_owned();
    let file = if rel.is_empty() || rel.ends_with('/') {
        format!("{rel}index.html")
    } else if !paths.contains(rel.as_str()) && paths.contains(format!("{rel}/index.html").as_str())
    {
        format!("{rel}/index.html")
    } else {
        rel
    };
    if !paths.contains(file.as_str()) {
        let mut msg = format!("the site has no file `{file}`");
        if file.starts_with("assets/") || file.starts_with("figures/") {
            msg.push_str(
                " (published assets and figures carry a content hash in their names: \
                 in a template, write {{ page.assets[\"name\"] }} or {{ page.css }})",
            );
        }
        return Err(msg);
    }
    if let Some(fragment) = target.fragment().filter(|f| !f.is_empty()) {
        let fragment = percent_encoding::percent_decode_str(fragment)
            .decode_utf8_lossy()
            .into_owned();
        if let Some(page_ids) = ids.get(file.as_str()) {
            if !page_ids.contains(&fragment) {
                let which = if file == page {
                    "this page".to_string()
                } else {
                    format!("`{file}`")
                };
                return Err(format!("{which} has no element with id `{fragment}`"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::line_col;

    fn site(pages: &[(&str, &str)]) -> Vec<OutFile> {
        pages
            .iter()
            .map(|(p, t)| OutFile::new(p, t.as_bytes().to_vec()))
            .collect()
    }

    fn problems(files: &[OutFile], base: &str) -> Vec<String> {
        let (diags, pages) = check(files, &Url::parse(base).unwrap());
        diags
            .0
            .into_iter()
            .map(|d| {
                let file = d.file.unwrap();
                let text = pages.get(&file).unwrap();
                let (line, col) = line_col(text, d.span.unwrap().start);
                format!("{}:{line}:{col}: {}", file.display(), d.message)
            })
            .collect()
    }

    #[test]
    fn attributes_skip_comments_and_scripts() {
        let html = "<!doctype html><!-- <a href=x> --><p id=a class='b c'>x</p>\
            <script>var s = '<a href=\"y\">';</script><a href=\"z&amp;w\" download>";
        let attrs: Vec<(String, String, String)> = attributes(html)
            .into_iter()
            .map(|a| (a.tag, a.name, a.value))
            .collect();
        let want = [
            ("p", "id", "a"),
            ("p", "class", "b c"),
            ("a", "href", "z&w"),
            ("a", "download", ""),
        ];
        let want: Vec<(String, String, String)> = want
            .iter()
            .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
            .collect();
        assert_eq!(attrs, want);
    }

    #[test]
    fn finds_missing_files_and_anchors() {
        let files = site(&[
            (
                "index.html",
                "<a href=\"#top\">t</a><h1 id=\"top\">x</h1>\n<a href=\"#gone\">g</a>\
                 <img src=\"figures/a.svg\" srcset=\"figures/a.svg 1x, figures/b.svg 2x\">\
                 <a href=\"data/x.csv\">d</a><a href=\"https://doi.org/10.1/x\">e</a>\
                 <a href=\"mailto:a@b.c\">m</a><a href=\"404.html#main\">n</a>\
                 <a href=\"/assets/x.css\">r</a><a href=\"https://u.github.io/paper/index.html#top\">s</a>",
            ),
            ("404.html", "<main id=\"main\"><a href=\"/paper/#nope\">x</a></main>"),
            ("figures/a.svg", "<svg/>"),
            ("data/x.csv", "a\n"),
            ("assets/s.css", "a{b:url(missing.woff2)}"),
        ]);
        let p = problems(&files, "https://u.github.io/paper/");
        assert_eq!(
            p,
            [
                "index.html:2:10: broken link `#gone`: this page has no element with id `gone`",
                "index.html:2:55: broken link `figures/b.svg`: the site has no file `figures/b.svg` (published assets and figures carry a content hash in their names: in a template, write {{ page.assets[\"name\"] }} or {{ page.css }})",
                "index.html:2:221: broken link `/assets/x.css`: it leaves the site, which is served from https://u.github.io/paper/; write it relative to the page",
                "404.html:1:26: broken link `/paper/#nope`: `index.html` has no element with id `nope`",
                "assets/s.css:1:9: broken link `missing.woff2`: the site has no file `assets/missing.woff2` (published assets and figures carry a content hash in their names: in a template, write {{ page.assets[\"name\"] }} or {{ page.css }})",
            ]
        );
        // At the root of a domain the same root-relative link stays inside.
        let p = problems(&files, "https://example.org/");
        assert!(
            p.iter()
                .any(|m| m.contains("`/assets/x.css`: the site has no file")),
            "{p:?}"
        );
    }
}
