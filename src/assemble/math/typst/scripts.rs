//! Attachments, limits, accents and braces: `msub`, `msup`, `munder`,
//! `mover` and their kin, and `menclose`.

use roxmltree::Node;

use super::*;

fn is_prime(n: &Node) -> bool {
    n.tag_name().name() == "mo" && matches!(n.text(), Some("′" | "″" | "‴" | "⁗"))
}

pub(super) fn scripts(n: Node) -> Result<String, String> {
    let k = kids(n);
    let name = n.tag_name().name();
    let (base, sub, sup) = match (name, k.as_slice()) {
        ("msup", [b, t]) => (*b, None, Some(*t)),
        ("msub", [b, s]) => (*b, Some(*s), None),
        ("msubsup", [b, s, t]) => (*b, Some(*s), Some(*t)),
        _ => return Err(format!("internal: <{name}> with {} children", k.len())),
    };
    let b = arg(base)?;
    let primes: Option<usize> = sup.filter(is_prime).map(|t| {
        text_of(t)
            .chars()
            .map(|c| match c {
                '″' => 2,
                '‴' => 3,
                '⁗' => 4,
                _ => 1,
            })
            .sum()
    });
    if is_atom(&b) {
        let mut out = b;
        if let Some(s) = sub {
            out = format!("{out}_({})", arg(s)?);
        }
        match (sup, primes) {
            // `f'`: Typst's prime, set as TeX sets it.
            (_, Some(n)) => out.push_str(&"'".repeat(n)),
            (Some(t), None) => out = format!("{out}^({})", arg(t)?),
            (None, None) => {}
        }
        return Ok(out);
    }
    // `{a b}^2`: the group is the base.
    let mut out = format!("std.math.attach({b}");
    if let Some(s) = sub {
        out.push_str(&format!(", b: {}", arg(s)?));
    }
    if let Some(t) = sup {
        out.push_str(&format!(", t: {}", arg(t)?));
    }
    out.push(')');
    Ok(out)
}

/// The single character of an accent or brace <mo>, if `n` is one.
fn mo_char(n: &Node) -> Option<char> {
    if n.tag_name().name() != "mo" {
        return None;
    }
    let t = text_of(*n);
    let mut cs = t.chars();
    let c = cs.next()?;
    cs.next().is_none().then_some(c)
}

/// Whether a script is only spacing (math-core pads `\xrightarrow` so).
fn only_space(n: &Node) -> bool {
    n.descendants()
        .filter(Node::is_element)
        .all(|d| matches!(d.tag_name().name(), "mspace" | "mrow"))
}

fn is_large_op(n: &Node) -> bool {
    mo_char(n).is_some_and(|c| "∑∏∐⋃⋂⨁⨂⨀⨄⋁⋀∫∬∭∮∯∰⨌".contains(c))
}

pub(super) fn under_over(n: Node) -> Result<String, String> {
    let k = kids(n);
    let name = n.tag_name().name();
    let (base, under, over) = match (name, k.as_slice()) {
        ("munder", [b, u]) => (*b, Some(*u), None),
        ("mover", [b, o]) => (*b, None, Some(*o)),
        ("munderover", [b, u, o]) => (*b, Some(*u), Some(*o)),
        _ => return Err(format!("internal: <{name}> with {} children", k.len())),
    };
    // An accent or a brace over (or under) the base.
    if let (Some(acc), None) | (None, Some(acc)) = (over, under) {
        if let Some(c) = mo_char(&acc) {
            let b = arg(base)?;
            let below = under.is_some();
            match (c, below) {
                ('\u{0332}' | '‾' | '¯', false) if acc.attribute("stretchy") == Some("true") => {
                    return Ok(format!("std.math.overline({b})"))
                }
                ('\u{0332}' | '_', true) => return Ok(format!("std.math.underline({b})")),
                ('⏞', false) => return Ok(format!("std.math.overbrace({b})")),
                ('⏟', true) => return Ok(format!("std.math.underbrace({b})")),
                ('⎴', false) => return Ok(format!("std.math.overbracket({b})")),
                ('⎵', true) => return Ok(format!("std.math.underbracket({b})")),
                ('⏜', false) => return Ok(format!("std.math.overparen({b})")),
                ('⏝', true) => return Ok(format!("std.math.underparen({b})")),
                _ if n.attribute("accent") == Some("true")
                    || n.attribute("accentunder") == Some("true") =>
                {
                    let mut s = String::new();
                    s.push(c);
                    return Ok(format!("std.math.accent({b}, {})", typst_string(&s)));
                }
                _ => {}
            }
        }
    }
    let over = over.filter(|o| !only_space(o));
    let under = under.filter(|u| !only_space(u));
    let b = node(base)?;
    let mut out = if is_large_op(&base) || base.attribute("movablelimits") == Some("true") {
        // `\sum`, `\lim`: limits in display, scripts inline, as in TeX.
        b
    } else if mo_char(&base).is_some_and(|c| "→←↔⇒⇐⇔↦⟶⟵".contains(c)) {
        // `\xrightarrow{f}`: an arrow as long as its label.
        format!("std.math.limits(std.math.stretch({b}))")
    } else {
        format!("std.math.limits({})", nonempty(&b))
    };
    if under.is_none() && over.is_none() {
        return Ok(out);
    }
    if let Some(u) = under {
        out = format!("{out}_({})", arg(u)?);
    }
    if let Some(o) = over {
        out = format!("{out}^({})", arg(o)?);
    }
    Ok(out)
}

pub(super) fn enclose(n: Node) -> Result<String, String> {
    let body = nonempty(&group(&kids(n))?).to_string();
    Ok(match n.attribute("notation").unwrap_or("") {
        "updiagonalstrike" => format!("std.math.cancel({body})"),
        "downdiagonalstrike" => format!("std.math.cancel(inverted: #true, {body})"),
        "updiagonalstrike downdiagonalstrike" => format!("std.math.cancel(cross: #true, {body})"),
        "horizontalstrike" => format!("#std.strike(${body}$)"),
        _ => format!("#std.box(stroke: 0.5pt, inset: 2pt, ${body}$)"),
    })
}
