//! Ids: what may name a file, and headings turned into ids.

/// Ids that become file names (figures, the slug): letters, digits, `-`, `_`.
pub fn is_file_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Whether `id` names a target of `kind` (`fig`, `tbl`, `eq`, `sec`):
/// `fig-x` as Quarto writes it, or `fig:x` as pandoc-crossref and
/// Manubot do.
pub fn is_kind(id: &str, kind: &str) -> bool {
    id.strip_prefix(kind)
        .is_some_and(|rest| rest.len() > 1 && (rest.starts_with('-') || rest.starts_with(':')))
}

pub fn slugify(s: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
            dash = false;
        } else if !dash && !out.is_empty() {
            out.push('-');
            dash = true;
        }
    }
    out.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_of_ids() {
        assert!(is_kind("fig-a", "fig") && is_kind("fig:a", "fig"));
        assert!(!is_kind("fig-", "fig") && !is_kind("figure", "fig") && !is_kind("tbl-a", "fig"));
    }

    #[test]
    fn slugs() {
        assert_eq!(
            slugify("Effects of Intravenous Ketamine (PTSD)"),
            "effects-of-intravenous-ketamine-ptsd"
        );
    }
}
