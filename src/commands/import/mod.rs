//! `galley new --from FILE DIR`: a Pandoc/Quarto document (a `.md` or
//! `.qmd` with YAML front matter, or a Quarto project folder with
//! `_quarto.yml`) as a galley project. The front matter becomes
//! manuscript.yaml (`front.rs`); the body, unchanged, the one section; the
//! images, included files, bibliography and CSL style it names are copied.

mod front;

use std::path::{Path, PathBuf};

use serde_yaml::{Mapping, Value};

/// What an import wrote and what it left behind.
pub struct Imported {
    pub files: Vec<PathBuf>,
    /// Front-matter keys not carried over.
    pub dropped: Vec<String>,
    /// Files the document names that are not there.
    pub missing: Vec<String>,
}

/// The document of a Quarto project folder, and the project's metadata.
fn project_document(dir: &Path) -> Result<(PathBuf, Mapping), String> {
    let config = ["_quarto.yml", "_quarto.yaml"]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            format!(
                "{} has no _quarto.yml; give the document itself",
                dir.display()
            )
        })?;
    let text = std::fs::read_to_string(&config)
        .map_err(|e| format!("cannot read {}: {e}", config.display()))?;
    let mut meta: Mapping = serde_yaml::from_str(&text)
        .map_err(|e| format!("{}: invalid YAML: {e}", config.display()))?;
    let article = meta
        .get("manuscript")
        .and_then(|m| m.get("article"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| {
            ["index.qmd", "index.md"]
                .iter()
                .find(|n| dir.join(n).is_file())
                .map(|s| s.to_string())
        })
        .ok_or_else(|| {
            format!(
                "{}: no `manuscript: article:` and no index.qmd",
                config.display()
            )
        })?;
    for k in [
        "project",
        "manuscript",
        "format",
        "execute",
        "website",
        "book",
    ] {
        meta.remove(k);
    }
    Ok((dir.join(article), meta))
}

/// A document's YAML front matter and its body.
fn split_front_matter(text: &str, path: &Path) -> Result<(Mapping, String), String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        return Ok((Mapping::new(), text.to_string()));
    };
    let mut at = 0;
    for line in rest.split_inclusive('\n') {
        let t = line.trim_end();
        if t == "---" || t == "..." {
            let yaml = &rest[..at];
            let body = &rest[at + line.len()..];
            let meta: Value = serde_yaml::from_str(yaml).map_err(|e| {
                let line = e.location().map_or(0, |l| l.line() + 1);
                format!(
                    "{}:{line}: the front matter is not valid YAML: {e}",
                    path.display()
                )
            })?;
            let meta = match meta {
                Value::Mapping(m) => m,
                Value::Null => Mapping::new(),
                _ => {
                    return Err(format!(
                        "{}: the front matter is not a mapping",
                        path.display()
                    ))
                }
            };
            return Ok((meta, body.trim_start_matches(['\r', '\n']).to_string()));
        }
        at += line.len();
    }
    Err(format!(
        "{}: the front matter (`---`) is never closed",
        path.display()
    ))
}

/// Relative paths of the images and included files a body names.
fn referenced(body: &str) -> (Vec<String>, Vec<String>) {
    let mut images = Vec::new();
    let b = body.as_bytes();
    let mut from = 0;
    while let Some(i) = body[from..].find("![").map(|i| from + i) {
        // The alt text's closing bracket (it may hold links), then `(`.
        let mut depth = 0usize;
        let mut close = None;
        for (k, &c) in b.iter().enumerate().skip(i + 1) {
            match c {
                b'[' => depth += 1,
                b']' => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(k);
                        break;
                    }
                }
                b'\n' if b.get(k + 1) == Some(&b'\n') => break,
                _ => {}
            }
        }
        from = i + 2;
        let Some(close) = close else { continue };
        let Some(after) = body[close + 1..].strip_prefix('(') else {
            continue;
        };
        let end = after.find([')', ' ', '\n']).unwrap_or(after.len());
        let target = after[..end].trim_matches(['<', '>']);
        if !target.contains("://") && !target.is_empty() && !target.starts_with('#') {
            images.push(target.to_string());
        }
    }
    let includes = crate::load::includes::includes(body)
        .into_iter()
        .map(|(a, _)| a.trim_matches(['"', '\'']).to_string())
        .collect();
    (images, includes)
}

/// A relative path that stays inside its folder.
fn safe(rel: &str) -> Option<PathBuf> {
    let p = Path::new(rel);
    p.components()
        .all(|c| {
            matches!(
                c,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        })
        .then(|| p.to_path_buf())
}

struct Writer<'d> {
    dir: &'d Path,
    files: Vec<PathBuf>,
}

impl Writer<'_> {
    fn write(&mut self, rel: &Path, bytes: &[u8]) -> Result<(), String> {
        let path = self.dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, bytes)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        if !self.files.contains(&rel.to_path_buf()) {
            self.files.push(rel.to_path_buf());
        }
        Ok(())
    }

    /// Copy `base/rel` to `to/rel`; false if it is not there.
    fn copy(&mut self, base: &Path, rel: &str, to: &str) -> Result<bool, String> {
        let Some(r) = safe(rel) else { return Ok(false) };
        let Ok(bytes) = std::fs::read(base.join(&r)) else {
            return Ok(false);
        };
        self.write(&Path::new(to).join(r), &bytes)?;
        Ok(true)
    }
}

/// Import `from` (a document or a Quarto project folder) into `dir`, which
/// must not exist or be empty.
pub fn import(from: &Path, dir: &Path) -> Result<Imported, String> {
    super::ensure_empty(dir)?;
    let (doc, mut meta) = if from.is_dir() {
        project_document(from)?
    } else {
        (from.to_path_buf(), Mapping::new())
    };
    let text =
        std::fs::read_to_string(&doc).map_err(|e| format!("cannot read {}: {e}", doc.display()))?;
    let (front_matter, body) = split_front_matter(&text, &doc)?;
    for (k, v) in front_matter {
        meta.insert(k, v);
    }
    let front = front::read(&meta);
    let base = doc.parent().map(Path::to_path_buf).unwrap_or_default();
    let stem = doc
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty())
        .unwrap_or("index");
    let mut w = Writer {
        dir,
        files: Vec::new(),
    };
    let mut missing = Vec::new();
    let section = format!("sections/{stem}.md");
    w.write(&Path::new("manuscript").join(&section), body.as_bytes())?;
    let (images, includes) = referenced(&body);
    for img in images {
        if !w.copy(&base, &img, "manuscript")? {
            missing.push(img);
        }
    }
    for inc in includes {
        if !w.copy(&base, &inc, "manuscript/sections")? {
            missing.push(inc);
        }
    }
    for b in &front.bibliography {
        let name = Path::new(b)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(b);
        match std::fs::read(base.join(b)) {
            Ok(bytes) => w.write(&Path::new("bibliography").join(name), &bytes)?,
            Err(_) => missing.push(b.clone()),
        }
    }
    if let Some(refs) = &front.references {
        let mut m = Mapping::new();
        m.insert("references".into(), refs.clone());
        let yaml = serde_yaml::to_string(&m).map_err(|e| e.to_string())?;
        w.write(Path::new("bibliography/front-matter.yaml"), yaml.as_bytes())?;
    }
    let mut front = front;
    if let Some(csl) = front
        .csl
        .clone()
        .filter(|c| c.ends_with(".csl") && !c.contains("://"))
    {
        let name = Path::new(&csl)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("style.csl")
            .to_string();
        match std::fs::read(base.join(&csl)) {
            Ok(bytes) => {
                w.write(&Path::new("theme").join(&name), &bytes)?;
                front.csl = Some(format!("theme/{name}"));
            }
            Err(_) => {
                missing.push(csl);
                front.csl = None;
            }
        }
    }
    let yaml = front.manuscript_yaml(&[section], stem);
    w.write(Path::new(crate::load::files::MANIFEST), yaml.as_bytes())?;
    w.files.sort();
    Ok(Imported {
        files: w.files,
        dropped: front.dropped,
        missing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_and_references() {
        let (m, body) =
            split_front_matter("---\ntitle: X\n---\n\n# A\n", Path::new("a.qmd")).unwrap();
        assert_eq!(m.get("title").and_then(Value::as_str), Some("X"));
        assert_eq!(body, "# A\n");
        assert!(
            split_front_matter("---\ntitle: [\n---\n", Path::new("a.qmd"))
                .unwrap_err()
                .contains("a.qmd:")
        );
        let (images, includes) = referenced(
            "![A [credit](https://x.org)](images/a.png){#fig-a} [link](b.png) ![B](https://x/y.png)\n{{< include _c.qmd >}}\n",
        );
        assert_eq!(images, ["images/a.png"]);
        assert_eq!(includes, ["_c.qmd"]);
        assert!(safe("../x").is_none());
    }
}
