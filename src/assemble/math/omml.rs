//! MathML (as math-core writes it) to Office Math (OMML), Word's native
//! equations: the same tree the site shows and the PDF translates, so a
//! Word file's formulas carry the same symbols. The result goes inside
//! `<m:oMath>` (the `m:` prefix bound to
//! `http://schemas.openxmlformats.org/officeDocument/2006/math`).

use roxmltree::Node;

use crate::model::escape::html as esc;

/// The OMML namespace.
pub const NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/math";

/// Translate one `<math>` element. An element galley does not know is an
/// error naming it, never dropped.
pub fn from_mathml(mathml: &str) -> Result<String, String> {
    let doc = roxmltree::Document::parse(mathml)
        .map_err(|e| format!("internal: the MathML does not parse ({e})"))?;
    seq(&kids(doc.root_element()))
}

fn kids<'a, 'i: 'a>(n: Node<'a, 'i>) -> Vec<Node<'a, 'i>> {
    n.children().filter(Node::is_element).collect()
}

fn seq(nodes: &[Node]) -> Result<String, String> {
    let mut out = String::new();
    let mut i = 0;
    while i < nodes.len() {
        // A fence pair around what is between: a delimiter that grows.
        if let Some((end, d)) = delimited(nodes, i)? {
            out.push_str(&d);
            i = end + 1;
            continue;
        }
        let t = node(nodes[i])?;
        // A large operator takes what follows as its operand (Word draws
        // an empty one as a box).
        if t.starts_with("<m:nary>") && t.ends_with("<m:e/></m:nary>") && i + 1 < nodes.len() {
            let operand = node(nodes[i + 1])?;
            out.push_str(&t.replace("<m:e/></m:nary>", &format!("<m:e>{operand}</m:e></m:nary>")));
            i += 2;
            continue;
        }
        out.push_str(&t);
        i += 1;
    }
    Ok(out)
}

fn text_of(n: Node) -> String {
    n.descendants()
        .filter(Node::is_text)
        .filter_map(|t| t.text())
        .collect::<String>()
        .trim()
        .to_string()
}

/// A run of math text; `plain` sets it upright (numbers, names,
/// operators, text), `bold` and `italic` as MathML's `mathvariant` asks.
fn run(t: &str, style: Option<&str>) -> String {
    if t.is_empty() {
        return String::new();
    }
    let sty = match style {
        Some(s) => format!("<m:rPr><m:sty m:val=\"{s}\"/></m:rPr>"),
        None => String::new(),
    };
    format!(
        "<m:r>{sty}<m:t xml:space=\"preserve\">{}</m:t></m:r>",
        esc(t)
    )
}

fn variant_style(n: Node, default: Option<&'static str>) -> Option<&'static str> {
    match n.attribute("mathvariant") {
        Some("normal") => Some("p"),
        Some("bold") => Some("b"),
        Some("bold-italic") => Some("bi"),
        Some("italic") => Some("i"),
        _ => default,
    }
}

fn wrap(tag: &str, inner: &str) -> String {
    format!("<m:{tag}>{inner}</m:{tag}>")
}

/// A child as an OMML argument (`e`, `num`, `sup`, ...): empty stays empty.
fn arg(tag: &str, n: Node) -> Result<String, String> {
    Ok(wrap(tag, &node(n)?))
}

fn two<'a, 'i: 'a>(n: Node<'a, 'i>) -> Result<[Node<'a, 'i>; 2], String> {
    match kids(n).as_slice() {
        [a, b] => Ok([*a, *b]),
        _ => Err(format!(
            "internal: <{}> without two children",
            n.tag_name().name()
        )),
    }
}

fn three<'a, 'i: 'a>(n: Node<'a, 'i>) -> Result<[Node<'a, 'i>; 3], String> {
    match kids(n).as_slice() {
        [a, b, c] => Ok([*a, *b, *c]),
        _ => Err(format!(
            "internal: <{}> without three children",
            n.tag_name().name()
        )),
    }
}

fn is_fence(n: &Node) -> bool {
    n.tag_name().name() == "mo"
        && (n.attribute("fence") == Some("true") || n.attribute("stretchy") == Some("true"))
}

/// `nodes[i]` opens a fence closed later at the same level: the index of
/// the closing one and the delimiter.
fn delimited(nodes: &[Node], i: usize) -> Result<Option<(usize, String)>, String> {
    let open = nodes[i];
    if !is_fence(&open)
        || !matches!(
            text_of(open).as_str(),
            "(" | "[" | "{" | "|" | "‖" | "⟨" | "⌊" | "⌈" | ""
        )
    {
        return Ok(None);
    }
    // Without a closing fence (`cases`), the delimiter holds the rest.
    let open_text = text_of(open);
    let closing = |j: &usize| -> bool {
        let t = text_of(nodes[*j]);
        is_fence(&nodes[*j])
            && (matches!(t.as_str(), ")" | "]" | "}" | "⟩" | "⌋" | "⌉" | "") || t == open_text)
    };
    // The matching fence: the first closing one at the same depth.
    let mut depth = 0usize;
    let mut found = None;
    for (j, n) in nodes.iter().enumerate().skip(i + 1) {
        if !is_fence(n) {
            continue;
        }
        let t = text_of(*n);
        if closing(&j) {
            if depth == 0 {
                found = Some(j);
                break;
            }
            depth -= 1;
        } else if matches!(t.as_str(), "(" | "[" | "{" | "⟨" | "⌊" | "⌈") {
            depth += 1;
        }
    }
    let (end, close, inner) = match found {
        Some(end) => (end, text_of(nodes[end]), seq(&nodes[i + 1..end])?),
        None if i + 1 < nodes.len() => (nodes.len() - 1, String::new(), seq(&nodes[i + 1..])?),
        None => return Ok(None),
    };
    Ok(Some((
        end,
        format!(
            "<m:d><m:dPr><m:begChr m:val=\"{}\"/><m:endChr m:val=\"{}\"/></m:dPr><m:e>{inner}</m:e></m:d>",
            esc(&text_of(open)),
            esc(&close)
        ),
    )))
}

/// A large operator (∑, ∫, ∏, ...) with its limits.
fn nary(op: &str, sub: &str, sup: &str, under_over: bool) -> String {
    let loc = if under_over { "undOvr" } else { "subSup" };
    let hide = |s: &str, tag: &str| {
        if s.is_empty() {
            format!("<m:{tag}Hide m:val=\"1\"/>")
        } else {
            String::new()
        }
    };
    format!(
        "<m:nary><m:naryPr><m:chr m:val=\"{}\"/><m:limLoc m:val=\"{loc}\"/>{}{}</m:naryPr><m:sub>{sub}</m:sub><m:sup>{sup}</m:sup><m:e/></m:nary>",
        esc(op),
        hide(sub, "sub"),
        hide(sup, "sup")
    )
}

/// An accent as Word writes it: the combining character of a spacing
/// mark (¯ is U+0304, → is U+20D7).
fn combining(mark: &str) -> String {
    let c = match mark {
        "¯" | "‾" | "_" => '\u{304}',
        "ˆ" | "^" => '\u{302}',
        "˜" | "~" => '\u{303}',
        "˙" => '\u{307}',
        "¨" => '\u{308}',
        "ˇ" => '\u{30c}',
        "˘" => '\u{306}',
        "`" => '\u{300}',
        "´" => '\u{301}',
        "→" => '\u{20d7}',
        "←" => '\u{20d6}',
        "↔" => '\u{20e1}',
        other => return esc(other),
    };
    c.to_string()
}

fn is_large_op(n: Node) -> Option<String> {
    let t = text_of(n);
    (n.tag_name().name() == "mo"
        && t.chars().count() == 1
        && t.chars()
            .next()
            .is_some_and(|c| "∑∏∐∫∬∭∮∯∰⋀⋁⋂⋃⨀⨁⨂⨄⨆".contains(c)))
    .then_some(t)
}

fn node(n: Node) -> Result<String, String> {
    let name = n.tag_name().name();
    Ok(match name {
        "mi" => {
            let t = text_of(n);
            // A name of several letters (sin, log) is upright.
            let default = if t.chars().count() > 1 {
                Some("p")
            } else {
                None
            };
            run(&t, variant_style(n, default))
        }
        "mn" => run(&text_of(n), variant_style(n, Some("p"))),
        "mo" => run(&text_of(n), Some("p")),
        // Text in a formula: Word's normal text, not math italic.
        "mtext" | "ms" => {
            let t = text_of(n);
            if t.is_empty() {
                String::new()
            } else {
                format!(
                    "<m:r><m:rPr><m:nor/></m:rPr><m:t xml:space=\"preserve\">{}</m:t></m:r>",
                    esc(&t)
                )
            }
        }
        "mspace" => {
            let w = n.attribute("width").unwrap_or("");
            if w.starts_with('-') || w.is_empty() {
                String::new()
            } else {
                run("\u{2009}", Some("p"))
            }
        }
        "mrow" | "mstyle" | "mpadded" | "math" => seq(&kids(n))?,
        "semantics" => kids(n)
            .first()
            .map(|k| node(*k))
            .transpose()?
            .unwrap_or_default(),
        "annotation" | "annotation-xml" => String::new(),
        "mphantom" => format!(
            "<m:phant><m:phantPr><m:show m:val=\"0\"/></m:phantPr><m:e>{}</m:e></m:phant>",
            seq(&kids(n))?
        ),
        "mfrac" => {
            let [a, b] = two(n)?;
            let pr = if n
                .attribute("linethickness")
                .is_some_and(|t| t.trim_start_matches('0').is_empty() || t == "0pt" || t == "0em")
            {
                "<m:fPr><m:type m:val=\"noBar\"/></m:fPr>"
            } else {
                ""
            };
            format!("<m:f>{pr}{}{}</m:f>", arg("num", a)?, arg("den", b)?)
        }
        "msqrt" => format!(
            "<m:rad><m:radPr><m:degHide m:val=\"1\"/></m:radPr><m:deg/><m:e>{}</m:e></m:rad>",
            seq(&kids(n))?
        ),
        "mroot" => {
            let [b, i] = two(n)?;
            format!("<m:rad>{}{}</m:rad>", arg("deg", i)?, arg("e", b)?)
        }
        "msup" | "msub" | "msubsup" | "mover" | "munder" | "munderover" => scripts(n, name)?,
        "mtable" => {
            let mut rows = String::new();
            for r in kids(n) {
                rows.push_str("<m:mr>");
                for c in kids(r) {
                    rows.push_str(&wrap("e", &seq(&kids(c))?));
                }
                rows.push_str("</m:mr>");
            }
            wrap("m", &rows)
        }
        "mtr" | "mtd" => seq(&kids(n))?,
        "menclose" => wrap("borderBox", &wrap("e", &seq(&kids(n))?)),
        other => {
            return Err(format!(
                "MathML element <{other}> has no Word equation form yet"
            ))
        }
    })
}

/// Scripts, limits and accents: `msup`, `msub`, `msubsup`, `mover`,
/// `munder`, `munderover` (a large operator's are an n-ary).
fn scripts(n: Node, name: &str) -> Result<String, String> {
    Ok(match name {
        "msup" => {
            let [b, s] = two(n)?;
            match is_large_op(b) {
                Some(op) => nary(&op, "", &node(s)?, false),
                None => format!("<m:sSup>{}{}</m:sSup>", arg("e", b)?, arg("sup", s)?),
            }
        }
        "msub" => {
            let [b, s] = two(n)?;
            match is_large_op(b) {
                Some(op) => nary(&op, &node(s)?, "", false),
                None => format!("<m:sSub>{}{}</m:sSub>", arg("e", b)?, arg("sub", s)?),
            }
        }
        "msubsup" => {
            let [b, s, t] = three(n)?;
            match is_large_op(b) {
                Some(op) => nary(&op, &node(s)?, &node(t)?, false),
                None => format!(
                    "<m:sSubSup>{}{}{}</m:sSubSup>",
                    arg("e", b)?,
                    arg("sub", s)?,
                    arg("sup", t)?
                ),
            }
        }
        "mover" => {
            let [b, a] = two(n)?;
            let mark = text_of(a);
            if n.attribute("accent") == Some("true")
                && kids(a).is_empty()
                && mark.chars().count() == 1
            {
                format!(
                    "<m:acc><m:accPr><m:chr m:val=\"{}\"/></m:accPr>{}</m:acc>",
                    combining(&mark),
                    arg("e", b)?
                )
            } else if let Some(op) = is_large_op(b) {
                nary(&op, "", &node(a)?, true)
            } else {
                format!("<m:limUpp>{}{}</m:limUpp>", arg("e", b)?, arg("lim", a)?)
            }
        }
        "munder" => {
            let [b, u] = two(n)?;
            match is_large_op(b) {
                Some(op) => nary(&op, &node(u)?, "", true),
                None => format!("<m:limLow>{}{}</m:limLow>", arg("e", b)?, arg("lim", u)?),
            }
        }
        "munderover" => {
            let [b, u, o] = three(n)?;
            match is_large_op(b) {
                Some(op) => nary(&op, &node(u)?, &node(o)?, true),
                None => format!(
                    "<m:limUpp><m:e><m:limLow>{}{}</m:limLow></m:e>{}</m:limUpp>",
                    arg("e", b)?,
                    arg("lim", u)?,
                    arg("lim", o)?
                ),
            }
        }
        other => return Err(format!("internal: <{other}> is not a script")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn omml(mathml: &str) -> String {
        let out = from_mathml(mathml).unwrap();
        // Well-formed inside its element.
        let doc = format!("<m:oMath xmlns:m=\"{NS}\">{out}</m:oMath>");
        roxmltree::Document::parse(&doc).unwrap_or_else(|e| panic!("{e}: {doc}"));
        out
    }

    #[test]
    fn layouts_become_word_equations() {
        let f = omml("<math><mfrac><mi>a</mi><mn>2</mn></mfrac></math>");
        assert_eq!(f, "<m:f><m:num><m:r><m:t xml:space=\"preserve\">a</m:t></m:r></m:num><m:den><m:r><m:rPr><m:sty m:val=\"p\"/></m:rPr><m:t xml:space=\"preserve\">2</m:t></m:r></m:den></m:f>");
        let s = omml("<math><msubsup><mo>∑</mo><mi>i</mi><mi>n</mi></msubsup><msup><mi>x</mi><mn>2</mn></msup></math>");
        assert!(
            s.starts_with("<m:nary><m:naryPr><m:chr m:val=\"∑\"/>") && s.contains("<m:sSup>"),
            "{s}"
        );
        let d = omml("<math><mrow><mo stretchy=\"true\" fence=\"true\">(</mo><mi>x</mi><mo stretchy=\"true\" fence=\"true\">)</mo></mrow></math>");
        // Two pairs side by side stay two.
        let two_pairs = omml("<math><mo fence=\"true\">(</mo><mi>a</mi><mo fence=\"true\">)</mo><mo fence=\"true\">(</mo><mi>b</mi><mo fence=\"true\">)</mo></math>");
        assert_eq!(two_pairs.matches("<m:d>").count(), 2, "{two_pairs}");
        assert!(
            d.contains("<m:begChr m:val=\"(\"/><m:endChr m:val=\")\"/>"),
            "{d}"
        );
        let a = omml("<math><mover accent=\"true\"><mi>x</mi><mo>¯</mo></mover></math>");
        assert!(
            a.contains("<m:acc><m:accPr><m:chr m:val=\"\u{304}\"/>"),
            "{a}"
        );
        let r = omml("<math><mroot><mi>x</mi><mn>3</mn></mroot><msqrt><mi>y</mi></msqrt></math>");
        assert!(
            r.contains("<m:deg><m:r>") && r.contains("<m:degHide m:val=\"1\"/>"),
            "{r}"
        );
        let m = omml(
            "<math><mtable><mtr><mtd><mi>a</mi></mtd><mtd><mi>b</mi></mtd></mtr></mtable></math>",
        );
        assert!(m.starts_with("<m:m><m:mr><m:e>"), "{m}");
        assert!(from_mathml("<math><mglyph/></math>")
            .unwrap_err()
            .contains("mglyph"));
    }
}
