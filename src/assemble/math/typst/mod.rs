//! MathML (as math-core writes it) to Typst math. The PDF's formulas are
//! translated from the very tree the site shows, so the two outputs cannot
//! disagree on a symbol: every leaf of the MathML becomes the same
//! character in Typst, in the same order, and each layout element its
//! Typst function.

mod scripts;
mod tables;

use roxmltree::Node;

use scripts::{enclose, scripts, under_over};
use tables::table;

use crate::model::escape::typst_string;

/// Translate one `<math>` element. An element galley does not know is an
/// error naming it, never dropped.
pub fn from_mathml(mathml: &str) -> Result<String, String> {
    let doc = roxmltree::Document::parse(mathml)
        .map_err(|e| format!("internal: the MathML does not parse ({e})"))?;
    let root = doc.root_element();
    Ok(join(&seq(root.children().filter(Node::is_element))?))
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Atoms side by side. Typst keeps a space in the source as space next to
/// text, so there is one only where two atoms would otherwise read as one
/// name (`a b`, `2 x`, `x math.frac(...)`).
fn join(parts: &[String]) -> String {
    let mut out = String::new();
    for p in parts {
        let glue =
            out.chars().next_back().is_some_and(is_word) && p.chars().next().is_some_and(is_word);
        if glue {
            out.push(' ');
        }
        out.push_str(p);
    }
    out
}

/// Whether Typst text is one atom (a character, an escape, a string, one
/// call), so an attachment binds to all of it.
fn is_atom(t: &str) -> bool {
    let mut cs = t.chars();
    match (cs.next(), cs.next()) {
        (Some(_), None) => return true,
        (Some('\\'), Some(_)) if cs.next().is_none() => return true,
        _ => {}
    }
    if t.starts_with('"') {
        return t.len() > 1 && t.ends_with('"') && !t[1..t.len() - 1].contains('"');
    }
    // `name(...)` whose first parenthesis closes at the very end.
    let Some(open) = t.find('(') else {
        return t.chars().all(|c| is_word(c) || c == '.');
    };
    if !t[..open]
        .chars()
        .all(|c| is_word(c) || c == '.' || c == '#')
    {
        return false;
    }
    let mut depth = 0i32;
    let mut escaped = false;
    let mut in_str = false;
    for (i, c) in t.char_indices().skip_while(|(i, _)| *i < open) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => in_str = !in_str,
            '(' if !in_str => depth += 1,
            ')' if !in_str => {
                depth -= 1;
                if depth == 0 {
                    return i + 1 == t.len();
                }
            }
            _ => {}
        }
    }
    false
}

/// The element children of a node.
fn kids<'a, 'i: 'a>(n: Node<'a, 'i>) -> Vec<Node<'a, 'i>> {
    n.children().filter(Node::is_element).collect()
}

fn seq<'a, 'i: 'a>(nodes: impl Iterator<Item = Node<'a, 'i>>) -> Result<Vec<String>, String> {
    let nodes: Vec<Node> = nodes.collect();
    let mut out = Vec::with_capacity(nodes.len());
    for n in nodes {
        let t = node(n)?;
        if !t.is_empty() {
            out.push(t);
        }
    }
    Ok(out)
}

/// A group of nodes as one Typst argument or base.
fn group(nodes: &[Node]) -> Result<String, String> {
    Ok(join(&seq(nodes.iter().copied())?))
}

/// One node as an argument: its Typst text, or a zero-width placeholder
/// where it is empty (a function argument may not be).
fn arg(n: Node) -> Result<String, String> {
    let t = node(n)?;
    Ok(if t.is_empty() {
        "#std.sym.zws".to_string()
    } else {
        t
    })
}

fn text_of(n: Node) -> String {
    n.descendants()
        .filter(|d| d.is_text())
        .filter_map(|d| d.text())
        .collect::<String>()
        // Variation selectors (math-core marks roundhand capitals with
        // one) and invisible operators have no glyph of their own.
        .chars()
        .filter(|c| !matches!(c, '\u{fe00}'..='\u{fe0f}' | '\u{2061}'..='\u{2064}'))
        .collect()
}

/// One character as Typst math: ASCII punctuation escaped, so it is the
/// character and never Typst syntax (`(` grouping, `/` a fraction, `"` a
/// string, `#` code).
fn char_math(c: char, out: &mut String) {
    if c.is_ascii_punctuation() {
        out.push('\\');
        out.push(c);
    } else if c.is_whitespace() {
        out.push_str("space");
    } else {
        out.push(c);
    }
}

/// A token's characters, each its own atom.
fn chars_math(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if out.chars().next_back().is_some_and(is_word) && is_word(c) {
            out.push(' ');
        }
        char_math(c, &mut out);
    }
    out
}

fn node(n: Node) -> Result<String, String> {
    let name = n.tag_name().name();
    match name {
        "mi" => Ok(identifier(n)),
        "mn" => Ok(number(&text_of(n))),
        "mo" => Ok(operator(n)),
        "mtext" | "ms" => Ok(mtext(n)),
        "mspace" => Ok(space(n)),
        "mrow" | "mstyle" | "semantics" => row(n),
        "mfrac" => fraction(n),
        "msqrt" => Ok(format!("std.math.sqrt({})", nonempty(&group(&kids(n))?))),
        "mroot" => {
            let [base, index] = two(n)?;
            Ok(format!("std.math.root({}, {})", arg(index)?, arg(base)?))
        }
        "msup" | "msub" | "msubsup" => scripts(n),
        "munder" | "mover" | "munderover" => under_over(n),
        "mtable" => table(n, None),
        "mphantom" => Ok(format!("#std.hide(${}$)", nonempty(&group(&kids(n))?))),
        "menclose" => enclose(n),
        "mpadded" => group(&kids(n)),
        "annotation" | "annotation-xml" => Ok(String::new()),
        other => Err(format!("internal: no Typst form for MathML <{other}>")),
    }
}

fn nonempty(s: &str) -> &str {
    if s.is_empty() {
        "#std.sym.zws"
    } else {
        s
    }
}

fn two<'a, 'i: 'a>(n: Node<'a, 'i>) -> Result<[Node<'a, 'i>; 2], String> {
    let k = kids(n);
    match k.as_slice() {
        [a, b] => Ok([*a, *b]),
        _ => Err(format!(
            "internal: <{}> with {} children",
            n.tag_name().name(),
            k.len()
        )),
    }
}

fn identifier(n: Node) -> String {
    let t = text_of(n);
    let normal = n.attribute("mathvariant") == Some("normal");
    if t.chars().count() == 1 {
        let c = chars_math(&t);
        if normal {
            format!("std.math.upright({c})")
        } else {
            c
        }
    } else if t.is_empty() {
        String::new()
    } else {
        // Several letters (`\mathrm{Var}`, `\mathit{diff}`): a word, set
        // upright as MathML sets a multi-letter <mi>.
        typst_string(&t)
    }
}

fn number(t: &str) -> String {
    // `3.84` is one Typst number; anything else character by character.
    if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit() || c == '.') && !t.ends_with('.') {
        t.to_string()
    } else {
        chars_math(t)
    }
}

fn operator(n: Node) -> String {
    let t = text_of(n);
    match t.chars().count() {
        0 => String::new(),
        1 if "|‖".contains(t.as_str()) && n.attribute("minsize").is_none() => {
            // `\lvert`, `\rvert`, `\|`: which side of what they enclose.
            let class = match n.attribute("form") {
                Some("prefix") => "opening",
                Some("postfix") => "closing",
                _ if n.attribute("lspace") == Some("0") && n.attribute("rspace") == Some("0") => {
                    "normal"
                }
                _ => return chars_math(&t),
            };
            format!("std.math.class(\"{class}\", {})", chars_math(&t))
        }
        1 => {
            let sized = n
                .attribute("minsize")
                .and_then(em)
                .map(|size| format!("std.math.lr({}, size: #{size})", chars_math(&t)));
            sized.unwrap_or_else(|| chars_math(&t))
        }
        // `\sin`, `\operatorname{logit}`, `\lim`: an operator name.
        _ => {
            if n.attribute("movablelimits") == Some("true") {
                format!("std.math.op({}, limits: #true)", typst_string(&t))
            } else {
                format!("std.math.op({})", typst_string(&t))
            }
        }
    }
}

fn mtext(n: Node) -> String {
    let t = text_of(n);
    if t.is_empty() {
        return String::new();
    }
    let s = typst_string(&t);
    // `\textbf`, `\textit`: math-core wraps the text in <b> or <i>.
    match n
        .children()
        .find(Node::is_element)
        .map(|c| c.tag_name().name())
    {
        Some("b") => format!("#std.text(weight: \"bold\", {s})"),
        Some("i") => format!("#std.emph({s})"),
        _ => s,
    }
}

/// `0.16666667em` → `0.16666667em`, only a plain em length.
fn em(s: &str) -> Option<String> {
    let num = s.trim().strip_suffix("em")?;
    let ok = !num.is_empty()
        && num
            .trim_start_matches('-')
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.');
    ok.then(|| format!("{num}em"))
}

fn space(n: Node) -> String {
    if let Some(w) = n.attribute("width").and_then(em) {
        return format!("#std.h({w})");
    }
    // `\!`: math-core writes a negative margin.
    if let Some(w) = n
        .attribute("style")
        .and_then(|s| s.strip_prefix("margin-left:"))
        .and_then(|s| em(s.trim_end_matches(';')))
    {
        return format!("#std.h({w})");
    }
    String::new()
}

fn is_fence(n: &Node) -> bool {
    n.tag_name().name() == "mo"
        && n.attribute("stretchy") != Some("false")
        && n.attribute("minsize").is_none()
        && {
            let t: String = n.text().unwrap_or("").to_string();
            t.chars().count() == 1 && "()[]{}|‖⟨⟩⌊⌋⌈⌉⟦⟧/\\↑↓\u{2063}".contains(t.as_str())
        }
}

fn row(n: Node) -> Result<String, String> {
    let k = kids(n);
    let inner = fenced(&k)?.map_or_else(|| group(&k), Ok)?;
    let inner = match (n.attribute("displaystyle"), n.attribute("scriptlevel")) {
        (Some("true"), _) => format!("std.math.display({})", nonempty(&inner)),
        (Some("false"), Some("0")) => format!("std.math.inline({})", nonempty(&inner)),
        (_, Some("1")) => format!("std.math.script({})", nonempty(&inner)),
        (_, Some("2")) => format!("std.math.sscript({})", nonempty(&inner)),
        _ => inner,
    };
    Ok(match color(n) {
        Some(c) => format!(
            "#std.text(fill: std.rgb({}), ${}$)",
            typst_string(&c),
            nonempty(&inner)
        ),
        None => inner,
    })
}

/// `style="color:#FF0000;"` (math-core's `\color`).
fn color(n: Node) -> Option<String> {
    let v = n.attribute("style")?.trim().strip_prefix("color:")?;
    let v = v.trim_end_matches(';').trim();
    let hex = v.strip_prefix('#')?;
    (matches!(hex.len(), 3 | 6) && hex.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| v.to_string())
}

/// A row opened and closed by stretchy fences (`\left( ... \right)`,
/// `\binom`, `pmatrix`, `cases`): its Typst form, or `None`.
fn fenced(k: &[Node]) -> Result<Option<String>, String> {
    let (Some(first), Some(last)) = (k.first(), k.last()) else {
        return Ok(None);
    };
    if k.len() < 2 || !is_fence(first) || !is_fence(last) {
        return Ok(None);
    }
    let open = text_of(*first);
    let close = text_of(*last);
    let body = &k[1..k.len() - 1];
    if let [one] = body {
        match one.tag_name().name() {
            "mtable" => return table(*one, Some((&open, &close))).map(Some),
            "mfrac"
                if one.attribute("linethickness") == Some("0") && open == "(" && close == ")" =>
            {
                let [a, b] = two(*one)?;
                let binom = format!("std.math.binom({}, {})", arg(a)?, arg(b)?);
                return Ok(Some(frac_style(*one, binom)));
            }
            _ => {}
        }
    }
    let inner = group(body)?;
    let mut parts = Vec::new();
    if !open.is_empty() {
        parts.push(chars_math(&open));
    }
    parts.push(inner);
    if !close.is_empty() {
        parts.push(chars_math(&close));
    }
    Ok(Some(format!("std.math.lr({})", parts.join(" "))))
}

fn frac_style(n: Node, t: String) -> String {
    match n.attribute("displaystyle") {
        Some("true") => format!("std.math.display({t})"),
        Some("false") => format!("std.math.inline({t})"),
        _ => t,
    }
}

fn fraction(n: Node) -> Result<String, String> {
    let [a, b] = two(n)?;
    let t = if n.attribute("linethickness") == Some("0") {
        // `\atop`, `\genfrac` without a rule: a stack.
        format!("std.math.mat(delim: #none, {}; {})", arg(a)?, arg(b)?)
    } else {
        format!("std.math.frac({}, {})", arg(a)?, arg(b)?)
    };
    Ok(frac_style(n, t))
}
