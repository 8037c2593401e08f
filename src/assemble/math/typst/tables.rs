//! `mtable`: matrices, `cases` and alignments.

use roxmltree::Node;

use super::*;

/// Cells of a table, row by row, each cell's Typst text.
fn cells(t: Node) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    for r in kids(t) {
        if r.tag_name().name() != "mtr" && r.tag_name().name() != "mlabeledtr" {
            continue;
        }
        let mut row = Vec::new();
        for c in kids(r) {
            row.push(group(&kids(c))?);
        }
        rows.push(row);
    }
    Ok(rows)
}

/// Whether the table is an alignment (`aligned`, `gathered`): display
/// style, columns alternately right and left with no padding between.
fn is_alignment(t: Node) -> bool {
    t.attribute("displaystyle") == Some("true")
}

pub(super) fn table(t: Node, fences: Option<(&str, &str)>) -> Result<String, String> {
    let rows = cells(t)?;
    if is_alignment(t) && fences.is_none() {
        // `a &= b \ c &= d`: Typst's alignment points alternate right and
        // left just as `aligned`'s columns do.
        let lines: Vec<String> = rows.iter().map(|r| r.join(" & ")).collect();
        return Ok(lines.join(" \\ "));
    }
    let body: Vec<String> = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| nonempty(c).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect();
    let scripted = t.attribute("scriptlevel") == Some("1");
    let delim = |s: &str| -> String {
        if s.is_empty() {
            "#none".to_string()
        } else {
            typst_string(s)
        }
    };
    let out = match fences {
        // `cases`: a left brace and nothing on the right.
        Some(("{", "")) => {
            let branches: Vec<String> = rows.iter().map(|r| r.join(" & ")).collect();
            format!("std.math.cases({})", branches.join(", "))
        }
        Some((open, close)) => format!(
            "std.math.mat(delim: #({}, {}), {})",
            delim(open),
            delim(close),
            body.join("; ")
        ),
        None => {
            let align = column_align(t);
            format!("std.math.mat(delim: #none{align}, {})", body.join("; "))
        }
    };
    // Typst sets cells one style smaller than what is around them (as
    // fraction parts); LaTeX sets a matrix's cells in text style, so an
    // inline matrix is made in display style, its cells then text-sized.
    Ok(if scripted {
        format!("std.math.script({out})")
    } else {
        format!("std.math.display({out})")
    })
}

/// `array{l...}` / `subarray{l}`: one alignment for every column, where
/// all columns agree (Typst's matrices have one).
fn column_align(t: Node) -> &'static str {
    let styles: Vec<&str> = t
        .descendants()
        .filter(|d| d.tag_name().name() == "mtd")
        .map(|d| d.attribute("style").unwrap_or(""))
        .collect();
    let all = |s: &str| !styles.is_empty() && styles.iter().all(|x| x.contains(s));
    if all("text-align: left") {
        ", align: #left"
    } else if all("text-align: right") {
        ", align: #right"
    } else {
        ""
    }
}
