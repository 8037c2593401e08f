//! Dates as manuscripts write them (YYYY, YYYY-MM, YYYY-MM-DD), parsed
//! and formatted (strftime-like), for every output alike.

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Parse "YYYY", "YYYY-MM" or "YYYY-MM-DD".
pub fn parse_iso_date(s: &str) -> Option<(i32, Option<u32>, Option<u32>)> {
    let mut parts = s.trim().splitn(3, '-');
    let y: i32 = parts.next()?.parse().ok()?;
    let m: Option<u32> = match parts.next() {
        Some(p) => Some(p.parse().ok().filter(|m| (1..=12).contains(m))?),
        None => None,
    };
    let d: Option<u32> = match parts.next() {
        Some(p) => Some(
            p.get(..2)
                .unwrap_or(p)
                .parse()
                .ok()
                .filter(|d| (1..=31).contains(d))?,
        ),
        None => None,
    };
    Some((y, m, d))
}

/// strftime-like formatting for the subset authors need.
pub fn format_date(iso: &str, format: &str) -> Option<String> {
    let (y, m, d) = parse_iso_date(iso)?;
    let mut out = String::new();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut pad = true;
        if chars.peek() == Some(&'-') {
            pad = false;
            chars.next();
        }
        match chars.next()? {
            'Y' => out.push_str(&y.to_string()),
            'm' => {
                let m = m?;
                out.push_str(&if pad {
                    format!("{m:02}")
                } else {
                    m.to_string()
                })
            }
            'd' => {
                let d = d?;
                out.push_str(&if pad {
                    format!("{d:02}")
                } else {
                    d.to_string()
                })
            }
            'B' => out.push_str(MONTHS[(m? - 1) as usize]),
            'b' => out.push_str(&MONTHS[(m? - 1) as usize][..3]),
            '%' => out.push('%'),
            _ => return None,
        }
    }
    Some(out)
}

/// A date as the outputs print it: "14 November 2025" (or as written,
/// when it is no date).
pub fn long_date(iso: &str) -> String {
    format_date(iso, "%-d %B %Y").unwrap_or_else(|| iso.to_string())
}
