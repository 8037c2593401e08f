//! Pandoc's grid, simple and multiline tables, rewritten as the pipe
//! tables the parser reads (a cell's lines joined by spaces). Columns are
//! counted in display columns, as authors line tables up (a CJK character
//! takes two).

use super::syntax::grid_border;

/// The table starting at `lines[0]` (after a blank line, `after_blank`),
/// tried in Pandoc's order: multiline with a header, simple without and
/// with one, multiline without, grid. The pipe table and the lines taken.
pub(super) fn table_at(lines: &[(usize, &str)], after_blank: bool) -> Option<(String, usize)> {
    if let Some(t) = grid_table(lines) {
        return Some(t);
    }
    if !after_blank {
        return None;
    }
    multiline_table(lines, false)
        .or_else(|| simple_table(lines, true))
        .or_else(|| simple_table(lines, false))
        .or_else(|| multiline_table(lines, true))
}

/// A line's characters between two display columns.
fn cut(line: &str, from: usize, to: usize) -> String {
    let mut col = 0;
    let mut out = String::new();
    for c in line.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if col >= from && col + w <= to {
            out.push(c);
        }
        col += w;
        if col >= to {
            break;
        }
    }
    out
}

fn width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// A cell's text for a pipe table.
fn cell(s: &str) -> String {
    s.trim().replace('|', "\\|")
}

/// Text added to a cell, a space between.
fn join(into: &mut String, s: &str) {
    let s = s.trim();
    if !s.is_empty() {
        if !into.is_empty() {
            into.push(' ');
        }
        into.push_str(&s.replace('|', "\\|"));
    }
}

/// The pipe table: one header row (empty cells for a headerless table),
/// the delimiter row, the body.
fn pipe(header: &[String], aligns: &[&str], rows: &[Vec<String>]) -> String {
    let row = |cells: &[String]| format!("| {} |", cells.join(" | "));
    let mut out = row(header);
    out.push('\n');
    out.push_str(&format!("|{}|", aligns.join("|")));
    for r in rows {
        out.push('\n');
        out.push_str(&row(r));
    }
    out
}

/// Pandoc's grid table at the start of `lines`.
pub(super) fn grid_table(lines: &[(usize, &str)]) -> Option<(String, usize)> {
    let first = lines.first()?.1.trim();
    if !grid_border(first) {
        return None;
    }
    let n = lines
        .iter()
        .take_while(|(_, l)| {
            let t = l.trim();
            grid_border(t) || (t.starts_with('|') && t.ends_with('|'))
        })
        .count();
    if n < 3 || !grid_border(lines[n - 1].1) {
        return None;
    }
    // Column boundaries: the `+`s of the first border (ASCII).
    let cuts: Vec<usize> = lines[0]
        .1
        .trim_end()
        .chars()
        .enumerate()
        .filter(|(_, c)| *c == '+')
        .map(|(i, _)| i)
        .collect();
    if cuts.len() < 2 {
        return None;
    }
    let cols = cuts.len() - 1;
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut current: Vec<String> = vec![String::new(); cols];
    let mut header_rows = 0;
    let mut aligns: Vec<&str> = vec!["---"; cols];
    for (k, (_, line)) in lines[..n].iter().enumerate() {
        let line = line.trim_end();
        if k == 0 {
            // The top border: a headerless table's alignments.
            if line.contains(':') {
                for (c, w) in cuts.windows(2).enumerate() {
                    let seg = cut(line, w[0] + 1, w[1]);
                    aligns[c] = match (seg.starts_with(':'), seg.ends_with(':')) {
                        (true, true) => ":---:",
                        (true, false) => ":---",
                        (false, true) => "---:",
                        _ => aligns[c],
                    };
                }
            }
            continue;
        }
        if grid_border(line) {
            if current.iter().any(|c| !c.is_empty()) {
                rows.push(std::mem::take(&mut current));
                current = vec![String::new(); cols];
            }
            if line.contains('=') {
                header_rows = rows.len();
            }
            if line.contains(':') || k == 1 {
                for (c, w) in cuts.windows(2).enumerate() {
                    let seg = cut(line, w[0] + 1, w[1]);
                    aligns[c] = match (seg.starts_with(':'), seg.ends_with(':')) {
                        (true, true) => ":---:",
                        (true, false) => ":---",
                        (false, true) => "---:",
                        _ => aligns[c],
                    };
                }
            }
            continue;
        }
        for (c, w) in cuts.windows(2).enumerate() {
            join(&mut current[c], &cut(line, w[0] + 1, w[1]));
        }
    }
    let (head, body) = rows.split_at(header_rows);
    // A pipe table has one header row: several are joined.
    let mut header = vec![String::new(); cols];
    for r in head {
        for (c, v) in r.iter().enumerate() {
            join(&mut header[c], v);
        }
    }
    Some((pipe(&header, &aligns, body), n))
}

/// The runs of dashes of a line made only of dashes and spaces, as
/// display columns `[start, end)`.
fn dash_runs(line: &str) -> Option<Vec<(usize, usize)>> {
    let t = line.trim_end();
    if t.is_empty() || !t.chars().all(|c| c == '-' || c == ' ') || !t.contains("--") {
        return None;
    }
    let mut runs = Vec::new();
    let mut start = None;
    for (i, c) in t.chars().enumerate() {
        match (c, start) {
            ('-', None) => start = Some(i),
            (' ', Some(s)) => {
                runs.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        runs.push((s, t.chars().count()));
    }
    Some(runs)
}

/// The columns the dashes give: each from its run's start to the next's,
/// the first from the line's start, the last to its end.
fn spans(runs: &[(usize, usize)]) -> Vec<(usize, usize)> {
    (0..runs.len())
        .map(|i| {
            let from = if i == 0 { 0 } else { runs[i].0 };
            let to = runs.get(i + 1).map_or(usize::MAX, |r| r.0);
            (from, to)
        })
        .collect()
}

/// A column's alignment from where its text lies against its dashes:
/// flush with both ends, the default; with one, that side; with neither,
/// centred.
fn alignment(text: &[&str], span: (usize, usize), run: (usize, usize)) -> &'static str {
    let mut extent: Option<(usize, usize)> = None;
    for line in text {
        let seg = cut(line, span.0, span.1);
        let lead = width(&seg) - width(seg.trim_start());
        if seg.trim().is_empty() {
            continue;
        }
        let (s, e) = (span.0 + lead, span.0 + width(seg.trim_end()));
        extent = Some(extent.map_or((s, e), |(a, b)| (a.min(s), b.max(e))));
    }
    let Some((s, e)) = extent else {
        return "---";
    };
    match (s == run.0, e == run.1) {
        (true, true) => "---",
        (true, false) => ":---",
        (false, true) => "---:",
        (false, false) => ":---:",
    }
}

fn blank(line: &str) -> bool {
    line.trim().is_empty()
}

/// Pandoc's simple table: a header line (or none) over a line of dash
/// runs, one line per row, ended by a blank line (a headerless one by a
/// line of dashes, too).
fn simple_table(lines: &[(usize, &str)], headless: bool) -> Option<(String, usize)> {
    let line = |i: usize| lines.get(i).map(|(_, l)| l.trim_end_matches(['\n', '\r']));
    let (header, dashes_at) = if headless {
        (None, 0)
    } else {
        let h = line(0).filter(|l| !blank(l) && dash_runs(l).is_none())?;
        (Some(h), 1)
    };
    let runs = dash_runs(line(dashes_at)?)?;
    // One run under a line is a setext heading, not a table.
    if runs.len() < 2 {
        return None;
    }
    let spans = spans(&runs);
    let mut rows: Vec<&str> = Vec::new();
    let mut n = dashes_at + 1;
    let mut closed = false;
    while let Some(l) = line(n) {
        if blank(l) {
            break;
        }
        n += 1;
        if dash_runs(l).is_some() {
            closed = true;
            break;
        }
        rows.push(l);
    }
    if rows.is_empty() || (headless && !(closed && line(n).is_none_or(blank))) {
        return None;
    }
    let aligns: Vec<&str> = spans
        .iter()
        .zip(&runs)
        .map(|(s, r)| match header {
            Some(h) => alignment(&[h], *s, *r),
            None => alignment(&rows[..1], *s, *r),
        })
        .collect();
    let split =
        |l: &str| -> Vec<String> { spans.iter().map(|s| cell(&cut(l, s.0, s.1))).collect() };
    let head = header.map_or_else(|| vec![String::new(); spans.len()], split);
    let body: Vec<Vec<String>> = rows.iter().map(|l| split(l)).collect();
    Some((pipe(&head, &aligns, &body), n))
}

/// Pandoc's multiline table: a line of dashes, header lines, a line of
/// dash runs, rows of several lines with blank lines between, a closing
/// line of dashes. Headerless, it starts at the dash runs.
fn multiline_table(lines: &[(usize, &str)], headless: bool) -> Option<(String, usize)> {
    let line = |i: usize| lines.get(i).map(|(_, l)| l.trim_end_matches(['\n', '\r']));
    let mut n = 0;
    let mut header: Vec<&str> = Vec::new();
    if !headless {
        // The opening line: one run of dashes.
        if dash_runs(line(0)?)?.len() != 1 {
            return None;
        }
        n = 1;
        while let Some(l) = line(n).filter(|l| !blank(l) && dash_runs(l).is_none()) {
            header.push(l);
            n += 1;
        }
        if header.is_empty() {
            return None;
        }
    }
    let runs = dash_runs(line(n)?)?;
    // Without a header, one run is a rule; and the first row follows its
    // line at once, as Pandoc has it.
    if (headless && runs.len() < 2) || line(n + 1).is_none_or(blank) {
        return None;
    }
    n += 1;
    let spans = spans(&runs);
    let mut rows: Vec<Vec<&str>> = vec![Vec::new()];
    let mut closed = false;
    while let Some(l) = line(n) {
        n += 1;
        if dash_runs(l).is_some() {
            closed = true;
            break;
        }
        if blank(l) {
            if rows.last().is_some_and(|r| !r.is_empty()) {
                rows.push(Vec::new());
            }
            continue;
        }
        if let Some(r) = rows.last_mut() {
            r.push(l);
        }
    }
    rows.retain(|r| !r.is_empty());
    if !closed || rows.is_empty() || !line(n).is_none_or(blank) {
        return None;
    }
    // Without a header, rows separated by blank lines tell a multiline
    // table from a simple one (tried first).
    let aligns: Vec<&str> = spans
        .iter()
        .zip(&runs)
        .map(|(s, r)| {
            let text: &[&str] = if headless { &rows[0] } else { &header };
            alignment(text, *s, *r)
        })
        .collect();
    let joined = |ls: &[&str]| -> Vec<String> {
        spans
            .iter()
            .map(|s| {
                let mut c = String::new();
                for l in ls {
                    join(&mut c, &cut(l, s.0, s.1));
                }
                c
            })
            .collect()
    };
    let head = if headless {
        vec![String::new(); spans.len()]
    } else {
        joined(&header)
    };
    let body: Vec<Vec<String>> = rows.iter().map(|r| joined(r)).collect();
    Some((pipe(&head, &aligns, &body), n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<(usize, &str)> {
        let mut at = 0;
        s.split_inclusive('\n')
            .map(|l| {
                let r = (at, l);
                at += l.len();
                r
            })
            .collect()
    }

    #[test]
    fn simple_tables_as_pandocs_manual_writes_them() {
        let src = "  Right     Left     Center     Default\n-------     ------ ----------   -------\n     12     12        12            12\n    123     123       123          123\n      1     1          1             1\n\nTable: after\n";
        let (t, n) = table_at(&lines(src), true).unwrap();
        assert_eq!(n, 5);
        assert_eq!(
            t,
            "| Right | Left | Center | Default |\n|---:|:---|:---:|---|\n| 12 | 12 | 12 | 12 |\n| 123 | 123 | 123 | 123 |\n| 1 | 1 | 1 | 1 |"
        );
        // Headerless: closed by dashes; alignment from the first row.
        let src = "-------     ------ ----------   -------\n     12     12        12             12\n    123     123       123           123\n-------     ------ ----------   -------\n\n";
        let (t, n) = table_at(&lines(src), true).unwrap();
        assert_eq!(n, 4);
        assert!(
            t.starts_with("|  |  |  |  |\n|---:|:---|:---:|---:|\n| 12 |"),
            "{t}"
        );
        // A setext heading and a thematic break are not tables.
        assert!(table_at(&lines("Title\n-----\n\ntext\n"), true).is_none());
        assert!(table_at(&lines("- - -\n\ntext\n"), true).is_none());
        assert!(table_at(&lines("text\n--- ---\nrow\n"), false).is_none());
    }

    #[test]
    fn multiline_tables_as_pandocs_manual_writes_them() {
        let src = "-------------------------------------------------------------\n Centered   Default           Right Left\n  Header    Aligned         Aligned Aligned\n----------- ------- --------------- -------------------------\n   First    row                12.0 Example of a row that\n                                    spans multiple lines.\n\n  Second    row                 5.0 Here's another one. Note\n                                    the blank line between\n                                    rows.\n-------------------------------------------------------------\n\nTable: Here's the caption.\n";
        let (t, n) = table_at(&lines(src), true).unwrap();
        assert_eq!(n, 11);
        assert_eq!(
            t,
            "| Centered Header | Default Aligned | Right Aligned | Left Aligned |\n|:---:|---|---:|:---|\n| First | row | 12.0 | Example of a row that spans multiple lines. |\n| Second | row | 5.0 | Here's another one. Note the blank line between rows. |"
        );
        // Headerless, rows apart.
        let src = "----------- ------- --------------- -------------------------\n   First    row                12.0 Example of a row that\n                                    spans multiple lines.\n\n  Second    row                 5.0 Here's another one.\n----------- ------- --------------- -------------------------\n\n";
        let (t, n) = table_at(&lines(src), true).unwrap();
        assert_eq!(n, 6);
        assert!(
            t.contains("| First | row | 12.0 | Example of a row that spans multiple lines. |"),
            "{t}"
        );
        // A rule over a paragraph is not a table.
        assert!(table_at(&lines("-----\nSome text.\n\nMore.\n"), true).is_none());
        // Two rules around paragraphs are rules (found by review).
        assert!(table_at(&lines("---\n\nPara one.\n\nPara two.\n\n---\n\n"), true).is_none());
        assert!(table_at(&lines("---\n\nMethods\n-------\n"), true).is_none());
    }
}
