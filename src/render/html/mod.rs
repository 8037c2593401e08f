//! The HTML renderer: document model to the site's index.html, through the
//! theme's Tera page template.

pub mod fingerprint;
mod meta;
mod page;
pub mod site;
mod table;
mod writer;

pub use meta::article_bibtex;
pub use page::{render_page, DataLink, PageInfo, Pages};
use writer::HtmlWriter;

pub use crate::model::escape::html as esc;

/// Only links that cannot run script.
fn safe_url(url: &str) -> bool {
    let lower: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_lowercase();
    !(lower.starts_with("javascript:")
        || lower.starts_with("vbscript:")
        || lower.starts_with("data:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_refuses_script_urls() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert!(!safe_url(" JavaScript:alert(1)"));
        assert!(safe_url("https://doi.org/10.1/x"));
    }
}
