//! Pandoc's block syntax that CommonMark does not have, turned into what
//! the parser reads before it runs: a fenced div's fences (`::: {#fig-x}`,
//! `:::`) become markers the reader pairs up, a table caption (`: Caption
//! {#tbl-x}` or `Table: Caption`, before or after a pipe table) a paragraph
//! the reader attaches to its table. The edits are recorded, so every
//! position the parser reports maps back to the text as written.

use std::collections::HashMap;
use std::ops::Range;

use crate::assemble::template::MARKER_PREFIX;

use super::syntax::*;

/// Starts a table caption's paragraph in the prepared text.
pub const CAPTION: char = '\u{E00D}';

/// The prepared text and where its pieces came from.
pub struct Prepared {
    pub text: String,
    /// (range in the prepared text, range in the original, copied), in
    /// order: a copied piece maps byte for byte, a rewritten one to its
    /// start.
    pieces: Vec<(Range<usize>, Range<usize>, bool)>,
}

impl Prepared {
    /// The original position of a prepared one.
    pub fn original(&self, p: usize) -> usize {
        let i = self.pieces.partition_point(|(prep, _, _)| prep.end <= p);
        match self.pieces.get(i) {
            Some((prep, orig, true)) => orig.start + (p - prep.start),
            Some((_, orig, false)) => orig.start,
            None => self.pieces.last().map_or(p, |(_, o, _)| o.end),
        }
    }

    /// The original range of a prepared one.
    pub fn original_range(&self, r: &Range<usize>) -> Range<usize> {
        let s = self.original(r.start);
        let e = if r.end > r.start {
            self.original(r.end - 1) + 1
        } else {
            s
        };
        s..e.max(s)
    }
}

struct Builder<'t> {
    src: &'t str,
    out: String,
    pieces: Vec<(Range<usize>, Range<usize>, bool)>,
}

impl Builder<'_> {
    fn copy(&mut self, orig: Range<usize>) {
        if orig.is_empty() {
            return;
        }
        let start = self.out.len();
        self.out.push_str(&self.src[orig.clone()]);
        self.pieces.push((start..self.out.len(), orig, true));
    }

    fn replace(&mut self, orig: Range<usize>, with: &str) {
        let start = self.out.len();
        self.out.push_str(with);
        self.pieces.push((start..self.out.len(), orig, false));
    }
}

/// Citation aliases (`[@alias]: key`, Manubot's) defined in `texts`
/// outside code: alias to key.
pub fn citation_aliases<'t>(texts: impl Iterator<Item = &'t str>) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for text in texts {
        let mut fences = crate::model::fences::Fences::default();
        for line in text.lines() {
            if fences.code(line) {
                continue;
            }
            if let Some((alias, key)) = citation_alias(line) {
                out.entry(alias.to_string())
                    .or_insert_with(|| key.to_string());
            }
        }
    }
    out
}

/// The level of the first heading in `texts`, outside code: a document
/// written from `##` down (Quarto's and Manubot's, whose title is the `#`)
/// has its headings moved up by one less than this, so the PDF's first
/// heading is level 1, as PDF/UA needs, and numbers start at 1. A later
/// heading above it (Manubot's `# Heading 1` sample) is clamped to level 1.
pub fn top_heading_level<'t>(texts: impl Iterator<Item = &'t str>) -> u8 {
    for text in texts {
        let mut fences = crate::model::fences::Fences::default();
        let mut prev_blank = true;
        for line in text.lines() {
            if fences.code(line) {
                continue;
            }
            let t = line.trim_start();
            let hashes = t.chars().take_while(|c| *c == '#').count();
            if line.len() - t.len() < 4
                && (1..=6).contains(&hashes)
                && t[hashes..].chars().next().is_none_or(char::is_whitespace)
            {
                return hashes as u8;
            }
            if !prev_blank && !t.is_empty() && t.chars().all(|c| c == '=') {
                return 1;
            }
            prev_blank = t.is_empty();
        }
    }
    1
}

/// The pass over the lines: the output being built and what is open.
struct Pass<'t> {
    lines: Vec<(usize, &'t str)>,
    b: Builder<'t>,
    /// How far the source has been copied or rewritten.
    copied: usize,
    divs: usize,
    /// The line after the current line block.
    line_block_end: usize,
    /// The lettered lists open: their markers' indentation and pattern.
    letters: Vec<(usize, String)>,
    /// The grid, simple and multiline tables, found before the pass (a
    /// caption before one must know it): first line and line count, and
    /// their pipe tables, in order.
    tables: Vec<(usize, usize)>,
    table_text: Vec<String>,
}

impl Pass<'_> {
    fn blank(&self, i: usize) -> bool {
        self.lines.get(i).is_none_or(|(_, l)| l.trim().is_empty())
    }

    fn row(&self, i: Option<usize>) -> bool {
        i.is_some_and(|i| {
            self.lines.get(i).is_some_and(|(_, l)| is_table_row(l))
                || self.tables.iter().any(|(s, n)| (*s..s + n).contains(&i))
        })
    }

    /// Replace `orig` (a range of the source) with `with`.
    fn edit(&mut self, orig: Range<usize>, with: &str) {
        self.b.copy(self.copied..orig.start);
        self.b.replace(orig.clone(), with);
        self.copied = orig.end;
    }

    /// A line of a line block: its `| ` out, a hard break after it (but
    /// the last), its leading spaces kept as no-break spaces.
    fn line_block_line(&mut self, i: usize, at: usize, body: &str) -> bool {
        let first = i >= self.line_block_end;
        if first {
            match line_block(&self.lines[i..]) {
                Some(n) => self.line_block_end = i + n,
                None => return false,
            }
        }
        let lead = body.len() - body.trim_start().len();
        let after_bar = &body[lead + 1..];
        let kept = after_bar.strip_prefix(' ').unwrap_or(after_bar);
        let spaces = kept.len() - kept.trim_start_matches(' ').len();
        let brk = if i + 1 < self.line_block_end {
            "\\"
        } else {
            ""
        };
        let text = format!("{}{}{brk}", "\u{a0}".repeat(spaces), &kept[spaces..]);
        self.edit(at..at + body.len(), &text);
        true
    }

    /// Lettered and roman lists (`a)`, `i.`): numbered for the parser,
    /// their pattern in a marker before the first item. Lists open at
    /// each indentation are kept, so `i.` under `a.` under `1.` nests.
    fn letter_line(&mut self, i: usize, at: usize, body: &str) -> bool {
        let lead = body.len() - body.trim_start().len();
        if !body.trim().is_empty() {
            // A line at or left of a list's markers, other than its next
            // item, ends it.
            while self.letters.last().is_some_and(|(l, _)| *l > lead) {
                self.letters.pop();
            }
        }
        let open = self
            .letters
            .last()
            .filter(|(l, _)| *l == lead)
            .map(|(_, p)| p.clone());
        let Some((lead, len, number, pattern)) = letter_item(body, open.as_deref()) else {
            if !body.trim().is_empty() && self.letters.last().is_some_and(|(l, _)| *l == lead) {
                self.letters.pop();
            }
            return false;
        };
        if open.is_none() {
            // A new list: after a blank line, or as a sublist right under
            // an item.
            let prev = i.checked_sub(1).map(|p| self.lines[p].1);
            let prev_blank = prev.is_none_or(|l| l.trim().is_empty());
            let under_item = prev.is_some_and(|l| {
                let pl = l.len() - l.trim_start().len();
                pl < lead && (plain_item(l) || letter_item(l, None).is_some())
            });
            if !(prev_blank || under_item) {
                return false;
            }
            // At the item's own indentation, so a letter list inside a
            // list item stays there (found by review).
            let indent = &body[..lead];
            self.edit(
                at + lead..at + lead,
                &format!("{MARKER_PREFIX}letters {pattern}-->\n{indent}"),
            );
            self.letters.push((lead, pattern.clone()));
        }
        let delim = if pattern.ends_with('.') { "." } else { ")" };
        self.edit(at + lead..at + lead + len, &format!("{number}{delim}"));
        true
    }

    /// A line of a grid, simple or multiline table: the pipe table it
    /// is, in place of its first line, and its other lines taken.
    fn table_line(&mut self, i: usize, at: usize) -> bool {
        let Some(k) = self
            .tables
            .iter()
            .position(|(s, n)| (*s..s + n).contains(&i))
        else {
            return false;
        };
        let (start, n) = self.tables[k];
        if i == start {
            let (last_at, last) = self.lines[i + n - 1];
            let end = last_at + last.trim_end_matches(['\n', '\r']).len();
            let table = std::mem::take(&mut self.table_text[k]);
            self.edit(at..end, &table);
        }
        true
    }

    /// A div's fence: a marker in its place.
    fn div_line(&mut self, at: usize, body: &str) -> bool {
        let with = match div_fence(body) {
            Some(Some(attrs)) => {
                self.divs += 1;
                format!(
                    "{MARKER_PREFIX}div {}-->",
                    crate::assemble::template::escape_marker(attrs)
                )
            }
            Some(None) if self.divs > 0 => {
                self.divs -= 1;
                format!("{MARKER_PREFIX}/div-->")
            }
            _ => return false,
        };
        let lead = body.len() - body.trim_start().len();
        self.edit(at + lead..at + body.len(), &with);
        true
    }

    /// A citation alias's definition (`[@alias]: key`, Manubot's): out of
    /// the text, or it would make `[@alias]` a link.
    fn alias_line(&mut self, at: usize, body: &str) -> bool {
        if citation_alias(body).is_none() {
            return false;
        }
        self.edit(at..at + body.len(), "");
        true
    }

    /// A caption next to a pipe table (one blank line between at most).
    fn caption_line(&mut self, i: usize, at: usize, body: &str) {
        let Some(prefix) = caption_prefix(body) else {
            return;
        };
        let before = self.row(i.checked_sub(1))
            || (self.blank(i.wrapping_sub(1)) && self.row(i.checked_sub(2)));
        // Before its table, a caption stands alone: after a definition's
        // term (`Term\n: def`) it is the definition (found by review).
        let alone = self.blank(i.wrapping_sub(1));
        let after =
            alone && (self.row(Some(i + 1)) || (self.blank(i + 1) && self.row(Some(i + 2))));
        if !(before || after) {
            return;
        }
        // Right after the table's last row: a blank line first, or it would
        // be read as one more row; right before its first, one after.
        let glue = if self.row(i.checked_sub(1)) { "\n" } else { "" };
        self.edit(at..at + prefix, &format!("{glue}{CAPTION}"));
        if self.row(Some(i + 1)) {
            let end = at + body.len();
            self.edit(end..end, "\n");
        }
    }
}

pub fn prepare(src: &str) -> Prepared {
    let lines: Vec<(usize, &str)> = {
        let mut at = 0;
        src.split_inclusive('\n')
            .map(|l| {
                let r = (at, l);
                at += l.len();
                r
            })
            .collect()
    };
    let mut p = Pass {
        lines: lines.clone(),
        b: Builder {
            src,
            out: String::with_capacity(src.len() + 64),
            pieces: Vec::new(),
        },
        copied: 0,
        divs: 0,
        line_block_end: 0,
        letters: Vec::new(),
        tables: Vec::new(),
        table_text: Vec::new(),
    };
    // Every line passes through the fence tracker, a table's too, so this
    // pass and the next agree on what is code; an indented line (code, or
    // a list item's continuation) starts no table.
    let mut fences = crate::model::fences::Fences::default();
    let mut until = 0;
    for i in 0..lines.len() {
        let line = lines[i].1;
        if fences.code(line) || i < until || line.starts_with("    ") || line.starts_with('\t') {
            continue;
        }
        let after_blank = i == 0 || lines[i - 1].1.trim().is_empty();
        if let Some((text, n)) = super::tables::table_at(&lines[i..], after_blank) {
            p.tables.push((i, n));
            p.table_text.push(text);
            until = i + n;
        }
    }
    let mut fences = crate::model::fences::Fences::default();
    for (i, &(at, line)) in lines.iter().enumerate() {
        let body = line.trim_end_matches(['\n', '\r']);
        if fences.code(line) {
            continue;
        }
        let done = p.table_line(i, at)
            || p.line_block_line(i, at, body)
            || p.letter_line(i, at, body)
            || p.div_line(at, body)
            || p.alias_line(at, body);
        if !done {
            p.caption_line(i, at, body);
        }
    }
    let mut b = p.b;
    b.copy(p.copied..src.len());
    Prepared {
        text: b.out,
        pieces: b.pieces,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn div_fences_become_markers_and_positions_map_back() {
        let src = "A\n\n::: {#fig-x}\n![Cap](a.png)\n:::\n\nB @x\n";
        let p = prepare(src);
        assert!(p
            .text
            .contains("<!--galley:div {#fig-x}-->\n![Cap](a.png)\n<!--galley:/div-->"));
        let at = p.text.find("B @x").unwrap();
        assert_eq!(&src[p.original(at)..p.original(at) + 4], "B @x");
        let img = p.text.find("![Cap]").unwrap();
        assert_eq!(p.original(img), src.find("![Cap]").unwrap());
        // A marker maps to the fence it replaced.
        let m = p.text.find("<!--galley:/div").unwrap();
        assert_eq!(p.original(m), src.find(":::\n\nB").unwrap());
        // `:::` without an open div, and fences in code, are left alone.
        assert_eq!(prepare(":::\n").text, ":::\n");
        let code = "```\n::: {.x}\n```\n";
        assert_eq!(prepare(code).text, code);
    }

    #[test]
    fn letter_lists() {
        let p = prepare("Intro.\n\na) first\nb) second\n\nA. Smith wrote.\n");
        assert!(
            p.text
                .contains("<!--galley:letters a)-->\n1) first\n2) second"),
            "{:?}",
            p.text
        );
        assert!(
            p.text.contains("A. Smith wrote."),
            "a name stays a sentence"
        );
        let at = p.text.find("second").unwrap();
        assert_eq!(p.original(at), "Intro.\n\na) first\nb) ".len());
        assert!(prepare("(c) third\n")
            .text
            .contains("letters (a)-->\n3) third"));
        // Manubot's sample: letters under numbers, roman under letters,
        // no blank lines between.
        let p = prepare("1. One\n2. Two\n    a. Sub\n    b. Sub\n        i. Subsub\n        ii. Two\n3. Three\n    a. Again\n");
        assert_eq!(
            p.text,
            "1. One\n2. Two\n    <!--galley:letters a.-->\n    1. Sub\n    2. Sub\n        <!--galley:letters i.-->\n        1. Subsub\n        2. Two\n3. Three\n    <!--galley:letters a.-->\n    1. Again\n"
        );
    }

    #[test]
    fn inline_code_at_a_line_start_is_no_fence() {
        let p = prepare("```js``` is code\n\n::: {.note}\nHi\n:::\n");
        assert!(p.text.contains("<!--galley:div {.note}-->"), "{:?}", p.text);
    }

    #[test]
    fn grid_tables() {
        let src = "+---------+---------+\n| Fruit   | Price   |\n+=========+========:+\n| Bananas | $1.34   |\n| and all | each    |\n+---------+---------+\n| Oranges | $2.10   |\n+---------+---------+\n\nAfter.\n";
        let p = prepare(src);
        assert!(
            p.text.starts_with("| Fruit | Price |\n|---|---:|\n| Bananas and all | $1.34 each |\n| Oranges | $2.10 |\n\nAfter."),
            "{:?}",
            p.text
        );
        let at = p.text.find("After").unwrap();
        assert_eq!(p.original(at), src.find("After").unwrap());
        // Cells of more than one byte a character (found by review).
        let p = prepare("+------+-----+\n| 日本 | ü   |\n+------+-----+\n");
        assert!(
            p.text.starts_with("|  |  |\n|---|---|\n| 日本 | ü |"),
            "{:?}",
            p.text
        );
    }

    #[test]
    fn line_blocks() {
        let src = "| The limerick packs laughs anatomical\n|    Into space that is quite economical.\n\n| a | b |\n|---|---|\n";
        let p = prepare(src);
        assert!(p.text.starts_with("The limerick packs laughs anatomical\\\n\u{a0}\u{a0}\u{a0}Into space that is quite economical.\n"), "{:?}", p.text);
        assert!(p.text.contains("| a | b |\n|---|---|"), "a table stays");
    }

    #[test]
    fn the_top_heading_level() {
        let t = ["## A\n\n### B\n", "```\n# not a heading\n```\n## C\n"];
        assert_eq!(top_heading_level(t.iter().copied()), 2);
        assert_eq!(top_heading_level(["Title\n=====\n## x\n"].into_iter()), 1);
        assert_eq!(top_heading_level(["no headings\n"].into_iter()), 1);
        assert_eq!(
            top_heading_level(["#hashtag, not a heading\n### Real\n"].into_iter()),
            3
        );
        // The first heading's, not the highest's.
        assert_eq!(top_heading_level(["## A\n\n# B\n"].into_iter()), 2);
    }

    #[test]
    fn table_captions_before_and_after() {
        let src = "| a |\n|---|\n| 1 |\n: Numbers {#tbl-n}\n\nTable: Other\n\n| b |\n|---|\n";
        let p = prepare(src);
        assert!(
            p.text.contains("| 1 |\n\n\u{E00D}Numbers {#tbl-n}"),
            "{:?}",
            p.text
        );
        assert!(p.text.contains("\u{E00D}Other\n\n| b |"), "{:?}", p.text);
        let cap = p.text.find("Numbers").unwrap();
        assert_eq!(p.original(cap), src.find("Numbers").unwrap());
        // A definition-list-like line far from any table stays.
        assert_eq!(prepare("Term\n: def\n").text, "Term\n: def\n");
    }
}
