//! What a static host gets besides the build: `.nojekyll`, the
//! `.galley-publish` marker, `sitemap.xml`; and the commit message.

use std::fmt::Write as _;

use url::Url;

use super::git;
use crate::render::OutFile;

/// The file that marks a folder as a previous publish, which the next one
/// may replace.
pub const MARKER: &str = ".galley-publish";

/// Add the host's files to the site's.
pub fn add_files(files: &mut Vec<OutFile>, base: &Url, pdf: &str) {
    files.push(OutFile::new(".nojekyll", Vec::new()));
    files.push(OutFile::new(MARKER, marker(base).into_bytes()));
    files.push(OutFile::new("sitemap.xml", sitemap(base, pdf).into_bytes()));
    files.sort_by(|a, b| a.path.cmp(&b.path));
}
/// `.galley-publish`: what wrote the folder, and for which address.
fn marker(base: &Url) -> String {
    format!(
        "This folder is a site written by `galley publish` (galley {}) for {base}.\n\
         The next publish to it replaces everything in it but .git.\n",
        crate::VERSION
    )
}

/// sitemap.xml: the article and its PDF, by absolute URL.
fn sitemap(base: &Url, pdf: &str) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for loc in [base.to_string(), format!("{base}{pdf}")] {
        let _ = writeln!(
            s,
            "  <url><loc>{}</loc></url>",
            crate::model::escape::html(&loc)
        );
    }
    s.push_str("</urlset>\n");
    s
}

pub fn commit_message(source: &git::Source, base: &Url) -> String {
    format!(
        "Publish the site built from {}\n\n\
         Built by galley {} for {base}.\n",
        source.describe(),
        crate::VERSION
    )
}

pub fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::meta::parse_base_url;

    #[test]
    fn sitemap_lists_the_article_and_the_pdf() {
        let base = parse_base_url("https://u.github.io/paper/").unwrap();
        let s = sitemap(&base, "a&b.pdf");
        assert!(s.contains("<loc>https://u.github.io/paper/</loc>"));
        assert!(s.contains("<loc>https://u.github.io/paper/a&amp;b.pdf</loc>"));
    }
}
