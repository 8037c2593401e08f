//! Line-level recognizers of Pandoc's block syntax, for `prepare`:
//! fences, div fences, grid and pipe tables, captions, line blocks and
//! letter lists.

/// A div fence: `Some(Some(attrs))` opens (`::: {#id .class}`, `:::
/// note`), `Some(None)` closes (`:::`).
pub(super) fn div_fence(line: &str) -> Option<Option<&str>> {
    let t = line.trim();
    let colons = t.chars().take_while(|c| *c == ':').count();
    if colons < 3 {
        return None;
    }
    let rest = t[colons..].trim().trim_end_matches(':').trim();
    if rest.is_empty() {
        return Some(None);
    }
    let ok = (rest.starts_with('{') && rest.ends_with('}'))
        || rest
            .chars()
            .all(|c| c.is_alphanumeric() || "-_".contains(c));
    ok.then_some(Some(rest))
}

/// Whether a line is a grid table's border (`+---+---+`, `+===+`,
/// `+:--+--:+`).
pub(super) fn grid_border(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 3
        && t.starts_with('+')
        && t.ends_with('+')
        && t.contains(['-', '='])
        && t.chars().all(|c| "+-=: ".contains(c))
}

/// An item of a lettered or roman list (`a)`, `(b)`, `C.`, `iv.`), as
/// Pandoc's fancy lists read it, given the pattern of the list open at its
/// indentation (`open`): its indentation, the marker's length, its number
/// and its list's pattern (`a)`, `(A)`, `i.`). A lone `i`/`I` starts a
/// roman list; inside a lettered list it is the ninth letter.
pub(super) fn letter_item(line: &str, open: Option<&str>) -> Option<(usize, usize, usize, String)> {
    let lead = line.len() - line.trim_start().len();
    let t = &line[lead..];
    let (paren, rest) = match t.strip_prefix('(') {
        Some(r) => (true, r),
        None => (false, t),
    };
    let n = rest.chars().take_while(char::is_ascii_alphabetic).count();
    let word = &rest[..n];
    let delim = rest[n..].chars().next()?;
    if n == 0 || !matches!((paren, delim), (true, ')') | (false, ')' | '.')) {
        return None;
    }
    let after = &rest[n + 1..];
    let spaces = after.len() - after.trim_start_matches(' ').len();
    if spaces == 0 || after.trim().is_empty() {
        return None;
    }
    let upper = word.chars().all(|c| c.is_ascii_uppercase());
    if !upper && !word.chars().all(|c| c.is_ascii_lowercase()) {
        return None;
    }
    // `A. Smith`: an initial, unless two spaces follow (Pandoc's rule).
    if upper && delim == '.' && spaces < 2 {
        return None;
    }
    let open_roman = open.is_some_and(|p| p.contains(['i', 'I']));
    let alpha = n == 1
        && (open.is_some_and(|_| !open_roman) || (!open_roman && !matches!(word, "i" | "I")));
    let (number, kind) = if alpha {
        let c = word.as_bytes()[0].to_ascii_lowercase();
        (usize::from(c - b'a' + 1), if upper { 'A' } else { 'a' })
    } else if open.is_some_and(|_| !open_roman) {
        return None;
    } else {
        (roman_value(word)?, if upper { 'I' } else { 'i' })
    };
    let pattern = match (paren, delim) {
        (true, _) => format!("({kind})"),
        (false, d) => format!("{kind}{d}"),
    };
    Some((lead, usize::from(paren) + n + 1, number, pattern))
}

/// The value of a roman numeral (`iv` → 4), if `word` is one.
fn roman_value(word: &str) -> Option<usize> {
    let digit = |c: char| match c.to_ascii_lowercase() {
        'i' => Some(1),
        'v' => Some(5),
        'x' => Some(10),
        'l' => Some(50),
        'c' => Some(100),
        'd' => Some(500),
        'm' => Some(1000),
        _ => None,
    };
    let values: Vec<i64> = word.chars().map(digit).collect::<Option<_>>()?;
    let mut total: i64 = 0;
    for (i, v) in values.iter().enumerate() {
        if values.get(i + 1).is_some_and(|next| next > v) {
            total -= v;
        } else {
            total += v;
        }
    }
    let total = usize::try_from(total).ok().filter(|t| *t > 0)?;
    // Only well-formed numerals: written back, the value gives the word.
    (to_roman(total) == word.to_ascii_lowercase()).then_some(total)
}

fn to_roman(mut n: usize) -> String {
    const PARTS: &[(usize, &str)] = &[
        (1000, "m"),
        (900, "cm"),
        (500, "d"),
        (400, "cd"),
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ];
    let mut out = String::new();
    for &(v, s) in PARTS {
        while n >= v {
            out.push_str(s);
            n -= v;
        }
    }
    out
}

/// A bullet or numbered list item's line (`- x`, `3. x`, `2) x`).
pub(super) fn plain_item(line: &str) -> bool {
    let t = line.trim_start();
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    let rest = if digits > 0 {
        t[digits..].strip_prefix(['.', ')'])
    } else {
        t.strip_prefix(['-', '*', '+'])
    };
    rest.is_some_and(|r| r.starts_with([' ', '\t']))
}

/// Pandoc's line block at the start of `lines` (`| ` lines, none of them a
/// table's delimiter row, not all ending in `|`): how many lines.
pub(super) fn line_block(lines: &[(usize, &str)]) -> Option<usize> {
    let first = lines.first()?.1;
    if !(first.trim_start().starts_with("| ") || first.trim() == "|") {
        return None;
    }
    let n = lines
        .iter()
        .take_while(|(_, l)| l.trim_start().starts_with('|'))
        .count();
    let block = &lines[..n];
    let delimiter = block.iter().any(|(_, l)| {
        let t = l.trim();
        t.contains('-') && t.chars().all(|c| "|-: ".contains(c))
    });
    let all_closed = block
        .iter()
        .all(|(_, l)| l.trim_end().ends_with('|') && l.trim() != "|");
    (!delimiter && !all_closed).then_some(n)
}

pub(super) fn is_table_row(line: &str) -> bool {
    if grid_border(line) {
        return true;
    }
    let t = line.trim();
    t.starts_with('|') || (t.contains('|') && t.contains("---"))
}

/// A table caption line's prefix length (`: ` or `Table: `).
pub(super) fn caption_prefix(line: &str) -> Option<usize> {
    let lead = line.len() - line.trim_start().len();
    let t = &line[lead..];
    if t.starts_with(": ") {
        return Some(lead + 2);
    }
    let lower = t.get(..7).map(str::to_ascii_lowercase);
    (lower.as_deref() == Some("table: ")).then_some(lead + 7)
}

/// A citation alias, as Manubot defines one: `[@alias]: key` on a line of
/// its own (a Markdown link definition to anything else). The alias and
/// the key it stands for.
pub fn citation_alias(line: &str) -> Option<(&str, &str)> {
    let t = line.trim_end();
    let lead = t.len() - t.trim_start_matches(' ').len();
    if lead > 3 {
        return None;
    }
    let rest = t[lead..].strip_prefix("[@")?;
    let (alias, after) = rest.split_once("]:")?;
    let key = after.trim();
    let key = key.strip_prefix('@').unwrap_or(key);
    let plain =
        |s: &str| !s.is_empty() && !s.contains(char::is_whitespace) && !s.contains(['[', ']']);
    (plain(alias) && plain(key)).then_some((alias, key))
}
