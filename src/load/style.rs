//! The citation style: a CSL file of the project or one of the styles
//! hayagriva archives, parsed with errors located in the file.

use std::ops::Range;
use std::path::{Path, PathBuf};

use hayagriva::archive::ArchivedStyle;
use hayagriva::citationberg::{self, IndependentStyle, Style};

use crate::diag::{Diagnostic, SourceMap};
use crate::load::project::Project;

/// The project's citation style: a `.csl` file of the project (read and
/// quoted in diagnostics like every source) or a name from hayagriva's
/// archive.
pub fn load_style(
    project: &Project,
    sources: &mut SourceMap,
) -> Result<IndependentStyle, Diagnostic> {
    let manifest = Path::new(crate::load::project::MANIFEST);
    let manifest_text = project.sources.get(manifest).unwrap_or("");
    let name = project
        .meta
        .csl
        .clone()
        .unwrap_or_else(|| "american-medical-association".to_string());
    let name_span = manifest_text
        .find(&name)
        .map_or(0..1, |i| i..i + name.len());
    if name.ends_with(".csl") {
        let rel = PathBuf::from(&name);
        let text = crate::load::files::read_text(&project.root, &rel, sources, &project.cache)
            .map_err(|d| {
                if d.span.is_some() {
                    d
                } else {
                    Diagnostic::error(format!(
                        "cannot read citation style `{name}`: {}",
                        d.message
                    ))
                    .at(manifest, name_span.clone())
                }
            })?;
        let k = crate::cache::key(&[b"file", text.as_bytes()]);
        return project
            .cache
            .cached("citation style", k, || parse_style(&text, &rel));
    }
    let k = crate::cache::key(&[b"archive", name.as_bytes()]);
    let archived = project
        .cache
        .cached::<_, ()>("citation style", k, || {
            Ok(ArchivedStyle::by_name(&name).map(|s| s.get()))
        })
        .ok()
        .flatten();
    match archived {
        Some(Style::Independent(s)) => Ok(s),
        Some(_) => Err(Diagnostic::error(format!("style `{name}` is a dependent style")).at(manifest, name_span)),
        None => Err(Diagnostic::error(format!(
            "unknown citation style `{name}`; give a path to a .csl file or a name such as apa, american-medical-association, nature, ieee, chicago-author-date"
        ))
        .at(manifest, name_span)),
    }
}

pub fn parse_style(text: &str, rel: &Path) -> Result<IndependentStyle, Diagnostic> {
    match citationberg::Style::from_xml(text) {
        Ok(Style::Independent(s)) => Ok(s),
        Ok(Style::Dependent(_)) => Err(Diagnostic::error(
            "dependent CSL styles are not supported; use the independent parent style",
        )
        .in_file(rel)),
        Err(e) => {
            let msg = e.to_string();
            let span = xml_error_span(text, &msg);
            let d = Diagnostic::error(format!("invalid CSL style: {msg}"));
            Err(match span {
                Some(s) => d.at(rel, s),
                None => d.in_file(rel),
            })
        }
    }
}

/// XML errors mention a byte position ("at position N") or an element name.
fn xml_error_span(text: &str, msg: &str) -> Option<Range<usize>> {
    if let Some(i) = msg.find("position ") {
        let digits: String = msg[i + 9..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        if let Ok(n) = digits.parse::<usize>() {
            let n = n.min(text.len().saturating_sub(1));
            return Some(n..n + 1);
        }
    }
    // serde_path_to_error paths like `bibliography.layout.$value[1]` or
    // `locale[0].terms.term[2].@form`: walk the XML element by element.
    // `name[k]` is the k-th child element called `name`, `$value[k]` the
    // k-th child element of any name, `@attr` an attribute.
    let path = msg.split('`').nth(1)?;
    let mut pos = text.find("<style")?;
    let mut found = None;
    for part in path.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        if let Some(attr) = name.strip_prefix('@') {
            let open_end = text[pos..].find('>').map_or(text.len(), |i| pos + i);
            let at = text[pos..open_end]
                .find(&format!(" {attr}="))
                .map(|i| pos + i + 1)?;
            return Some(at..at + attr.len());
        }
        if name == "$value" && index.is_none() {
            continue;
        }
        let wanted = (name != "$value").then_some(name);
        let child = nth_child(text, pos, index.unwrap_or(0), wanted)?;
        let end = text[child..]
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .map_or(text.len(), |e| child + e);
        found = Some(child..end);
        pos = child;
    }
    found
}

/// Offset of the `k`-th child element (of the given name, if any) of the
/// element that opens at `inside`.
fn nth_child(text: &str, inside: usize, k: usize, name: Option<&str>) -> Option<usize> {
    let open_end = text[inside..].find('>')? + inside + 1;
    if text[..open_end].ends_with("/>") {
        return None;
    }
    let mut depth = 0usize;
    let mut count = 0usize;
    let mut i = open_end;
    while let Some(lt) = text[i..].find('<').map(|x| x + i) {
        if text[lt..].starts_with("<!--") {
            i = text[lt..].find("-->").map_or(text.len(), |e| lt + e + 3);
            continue;
        }
        let gt = text[lt..].find('>')? + lt;
        let tag = &text[lt + 1..gt];
        if tag.starts_with('/') {
            if depth == 0 {
                return None;
            }
            depth -= 1;
        } else if !tag.starts_with('!') && !tag.starts_with('?') {
            if depth == 0 {
                let tag_name = tag
                    .split(|c: char| c.is_whitespace() || c == '/')
                    .next()
                    .unwrap_or("");
                if name.is_none_or(|n| n == tag_name) {
                    if count == k {
                        return Some(lt);
                    }
                    count += 1;
                }
            }
            if !tag.ends_with('/') {
                depth += 1;
            }
        }
        i = gt + 1;
    }
    None
}
