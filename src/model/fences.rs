//! Which lines of a Markdown text are fenced code (``` or ~~~, three or
//! more, CommonMark's rules): the passes that read a section before the
//! Markdown parser (includes, the Tera guard, Pandoc's block syntax) leave
//! code alone.

/// A fence opening or closing a code block: its character, its length and
/// whether nothing follows it.
pub fn code_fence(line: &str) -> Option<(char, usize, bool)> {
    let t = line.trim_start();
    let c = t.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let n = t.chars().take_while(|x| *x == c).count();
    // A backtick fence's info may not hold a backtick (CommonMark):
    // ```js``` at a line's start is inline code.
    if c == '`' && t[n..].contains('`') {
        return None;
    }
    (n >= 3).then(|| (c, n, t[n..].trim().is_empty()))
}

/// The fence state while reading a text line by line.
#[derive(Default)]
pub struct Fences {
    open: Option<(char, usize)>,
}

impl Fences {
    /// Whether `line` (read in order) is code: a fence or inside one.
    pub fn code(&mut self, line: &str) -> bool {
        match (self.open, code_fence(line)) {
            (Some((c, n)), Some((c2, n2, bare))) if c == c2 && n2 >= n && bare => {
                self.open = None;
                true
            }
            (Some(_), _) => true,
            (None, Some((c, n, _))) => {
                self.open = Some((c, n));
                true
            }
            (None, None) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_and_what_is_not_one() {
        let mut f = Fences::default();
        let code: Vec<bool> = [
            "a",
            "```{r}",
            "x",
            "~~~",
            "```",
            "b",
            "```js``` inline",
            "c",
        ]
        .iter()
        .map(|l| f.code(l))
        .collect();
        assert_eq!(code, [false, true, true, true, true, false, false, false]);
    }
}
