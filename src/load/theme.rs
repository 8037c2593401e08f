//! The theme: built into the binary, overridable file by file from the
//! project's `theme/` folder.

use std::path::{Path, PathBuf};

use crate::cache::Cache;
use crate::diag::{Diagnostic, SourceMap};
use crate::load::files::read_text;

/// Built-in theme files (path under theme/, contents).
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "templates/article.html",
        include_str!("theme/templates/article.html"),
    ),
    (
        "templates/404.html",
        include_str!("theme/templates/404.html"),
    ),
    ("static/galley.css", include_str!("theme/static/galley.css")),
    ("static/galley.js", include_str!("theme/static/galley.js")),
    ("typst/article.typ", include_str!("theme/typst/article.typ")),
];

#[derive(Debug, Clone)]
pub struct ThemeFile {
    /// Path under theme/ (e.g. "templates/article.html").
    pub name: String,
    pub text: String,
    /// Project-relative path when overridden, else a "<built-in>" label.
    pub origin: PathBuf,
}

/// A static file of the theme (CSS, JS, fonts...).
pub struct Asset {
    /// Path under static/.
    pub name: String,
    pub bytes: Vec<u8>,
    /// Project-relative path when the project supplies it.
    pub origin: Option<String>,
}

/// The project's theme: its overrides over the built-in one.
pub struct Theme {
    root: PathBuf,
    cache: Cache,
}

impl Theme {
    /// The theme of the project at `root`, its files read through `cache`.
    pub fn new(root: &Path, cache: &Cache) -> Self {
        Theme {
            root: root.to_path_buf(),
            cache: cache.clone(),
        }
    }

    /// A theme file: the project's override if present, else the built-in.
    /// The cache the theme's files are read through (and parsed templates
    /// kept in).
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    pub fn get(&self, name: &str, sources: &mut SourceMap) -> Result<ThemeFile, Diagnostic> {
        let rel = Path::new("theme").join(name);
        if self.root.join(&rel).is_file() {
            let text = read_text(&self.root, &rel, sources, &self.cache)?;
            return Ok(ThemeFile {
                name: name.to_string(),
                text,
                origin: rel,
            });
        }
        match BUILTIN.iter().find(|(n, _)| *n == name) {
            Some((_, text)) => {
                let origin = PathBuf::from(format!("<built-in theme>/{name}"));
                sources.insert(&origin, *text);
                Ok(ThemeFile {
                    name: name.to_string(),
                    text: text.to_string(),
                    origin,
                })
            }
            None => Err(Diagnostic::error(format!(
                "theme file `{name}` not found (neither theme/{name} nor built in)"
            ))),
        }
    }

    /// Names of the theme files under `dir` (e.g. "templates") with the given
    /// extension: the built-in ones and the project's own, sorted.
    pub fn names(&self, dir: &str, ext: &str) -> Vec<String> {
        let mut names: std::collections::BTreeSet<String> = BUILTIN
            .iter()
            .map(|(n, _)| n.to_string())
            .filter(|n| n.starts_with(&format!("{dir}/")) && n.ends_with(ext))
            .collect();
        if let Ok(rd) = std::fs::read_dir(self.root.join("theme").join(dir)) {
            for e in rd.flatten() {
                let n = e.file_name().to_string_lossy().to_string();
                if n.ends_with(ext) && e.path().is_file() {
                    names.insert(format!("{dir}/{n}"));
                }
            }
        }
        names.into_iter().collect()
    }

    /// The project's fonts for the PDF: the font files of theme/fonts/,
    /// sorted by name.
    pub fn fonts(&self) -> Result<Vec<Asset>, Diagnostic> {
        let dir = self.root.join("theme/fonts");
        let mut out = Vec::new();
        let Ok(rd) = std::fs::read_dir(&dir) else {
            return Ok(out);
        };
        for e in rd.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().to_string();
            let ext = p
                .extension()
                .and_then(|x| x.to_str())
                .unwrap_or("")
                .to_ascii_lowercase();
            if !p.is_file() || !matches!(ext.as_str(), "ttf" | "otf" | "ttc" | "otc") {
                continue;
            }
            let origin = format!("theme/fonts/{name}");
            let bytes = self.cache.read_file(&p).map_err(|e| {
                Diagnostic::error(format!("cannot read it: {e}")).in_file(origin.as_str())
            })?;
            out.push(Asset {
                name,
                bytes,
                origin: Some(origin),
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// The project's reference document for the Word file
    /// (`theme/reference.docx`), if it has one.
    pub fn word_reference(&self) -> Result<Option<Asset>, Diagnostic> {
        let origin = "theme/reference.docx";
        let p = self.root.join(origin);
        if !p.is_file() {
            return Ok(None);
        }
        let bytes = self
            .cache
            .read_file(&p)
            .map_err(|e| Diagnostic::error(format!("cannot read it: {e}")).in_file(origin))?;
        Ok(Some(Asset {
            name: "reference.docx".into(),
            bytes,
            origin: Some(origin.into()),
        }))
    }

    /// Static files for the site: built-ins, replaced or extended by
    /// theme/static/ (recursively), sorted by name.
    pub fn static_files(&self) -> Result<Vec<Asset>, Diagnostic> {
        type Files = std::collections::BTreeMap<String, (Vec<u8>, Option<String>)>;
        let mut files: Files = BUILTIN
            .iter()
            .filter_map(|(n, t)| {
                n.strip_prefix("static/")
                    .map(|s| (s.to_string(), (t.as_bytes().to_vec(), None)))
            })
            .collect();
        let dir = self.root.join("theme/static");
        if dir.is_dir() {
            let mut stack = vec![dir.clone()];
            while let Some(d) = stack.pop() {
                let rd = std::fs::read_dir(&d)
                    .map_err(|e| Diagnostic::error(format!("cannot read {}: {e}", d.display())))?;
                for entry in rd.flatten() {
                    let p = entry.path();
                    let meta = std::fs::symlink_metadata(&p).map_err(|e| {
                        Diagnostic::error(format!("cannot read {}: {e}", p.display()))
                    })?;
                    if meta.file_type().is_symlink() {
                        return Err(Diagnostic::error(
                            "theme static files may not be symbolic links",
                        )
                        .in_file(p.strip_prefix(&self.root).unwrap_or(&p)));
                    }
                    if meta.is_dir() {
                        stack.push(p);
                    } else if let Ok(rel) = p.strip_prefix(&dir) {
                        let bytes = self.cache.read_file(&p).map_err(|e| {
                            Diagnostic::error(format!("cannot read it: {e}"))
                                .in_file(p.strip_prefix(&self.root).unwrap_or(&p))
                        })?;
                        let name = rel.to_string_lossy().replace('\\', "/");
                        files.insert(name.clone(), (bytes, Some(format!("theme/static/{name}"))));
                    }
                }
            }
        }
        Ok(files
            .into_iter()
            .map(|(name, (bytes, origin))| Asset {
                name,
                bytes,
                origin,
            })
            .collect())
    }
}
