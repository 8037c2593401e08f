//! The numeric filters of data references (sum, mean, round_to, fixed,
//! percent, range, pvalue, words) and how numbers are written.

use serde_json::{Number, Value};

use super::*;

pub(super) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// The numbers of a list (nulls skipped), or an error naming the culprit.
pub(super) fn numbers(v: &Value, filter: &str) -> tera::Result<Vec<f64>> {
    let items = match v {
        Value::Array(a) => a,
        Value::Number(n) => return Ok(vec![n.as_f64().unwrap_or(f64::NAN)]),
        other => {
            return Err(tera::Error::msg(format!(
                "filter `{filter}` expects a list of numbers, got {}",
                type_name(other)
            )))
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Value::Null => {}
            Value::Number(n) => out.push(n.as_f64().unwrap_or(f64::NAN)),
            other => {
                return Err(tera::Error::msg(format!(
                    "filter `{filter}` expects a list of numbers, but the list holds {} ({})",
                    type_name(other),
                    short(other)
                )))
            }
        }
    }
    Ok(out)
}

pub(super) fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

pub(super) fn all_integers(v: &Value) -> bool {
    match v {
        Value::Array(a) => a.iter().all(|x| x.is_null() || x.is_i64() || x.is_u64()),
        Value::Number(n) => n.is_i64() || n.is_u64(),
        _ => false,
    }
}

/// A number as a Tera value: integral values stay integers.
pub fn num(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        Value::Number(Number::from(x as i64))
    } else {
        Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

/// Shortest decimal form: 0.2, 18, 85.7.
pub fn format_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        format!("{}", x as i64)
    } else {
        let s = format!("{:.10}", x);
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

pub(super) fn filter_words(v: &Value, _: &Args) -> tera::Result<Value> {
    let n = v.as_f64().ok_or_else(|| {
        tera::Error::msg(format!(
            "filter `words` expects a number, got {}",
            type_name(v)
        ))
    })?;
    Ok(Value::String(number_words(n)))
}

/// English words for whole numbers below 100; other numbers stay digits.
pub fn number_words(n: f64) -> String {
    const ONES: [&str; 20] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    const TENS: [&str; 10] = [
        "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    if n.fract() != 0.0 || !(0.0..100.0).contains(&n) {
        return format_number(n);
    }
    let n = n as usize;
    if n < 20 {
        ONES[n].to_string()
    } else if n.is_multiple_of(10) {
        TENS[n / 10].to_string()
    } else {
        format!("{}-{}", TENS[n / 10], ONES[n % 10])
    }
}

pub(super) fn filter_sum(v: &Value, _: &Args) -> tera::Result<Value> {
    let xs = numbers(v, "sum")?;
    let total: f64 = xs.iter().sum();
    Ok(if all_integers(v) {
        Value::Number(Number::from(total as i64))
    } else {
        num(total)
    })
}

pub(super) fn filter_min(v: &Value, _: &Args) -> tera::Result<Value> {
    let xs = numbers(v, "min")?;
    xs.iter()
        .copied()
        .reduce(f64::min)
        .map(num)
        .ok_or_else(|| tera::Error::msg("filter `min` got an empty list"))
}

pub(super) fn filter_max(v: &Value, _: &Args) -> tera::Result<Value> {
    let xs = numbers(v, "max")?;
    xs.iter()
        .copied()
        .reduce(f64::max)
        .map(num)
        .ok_or_else(|| tera::Error::msg("filter `max` got an empty list"))
}

pub(super) fn filter_mean(v: &Value, _: &Args) -> tera::Result<Value> {
    let xs = numbers(v, "mean")?;
    if xs.is_empty() {
        return Err(tera::Error::msg("filter `mean` got an empty list"));
    }
    Ok(num(xs.iter().sum::<f64>() / xs.len() as f64))
}

pub(super) fn arg_usize(args: &Args, name: &str, default: usize) -> tera::Result<usize> {
    match args.get(name) {
        None => Ok(default),
        Some(v) => v
            .as_u64()
            .map(|n| n as usize)
            .ok_or_else(|| tera::Error::msg(format!("argument `{name}` must be a whole number"))),
    }
}

pub(super) fn round(x: f64, digits: usize) -> f64 {
    let f = 10f64.powi(digits as i32);
    (x * f).round() / f
}

pub(super) fn filter_round_to(v: &Value, args: &Args) -> tera::Result<Value> {
    let x = v.as_f64().ok_or_else(|| {
        tera::Error::msg(format!(
            "filter `round_to` expects a number, got {}",
            type_name(v)
        ))
    })?;
    let n = arg_usize(args, "n", 2)?;
    Ok(num(round(x, n)))
}

/// A number with exactly `n` decimals, as printed in a paper ("38.00").
pub(super) fn filter_fixed(v: &Value, args: &Args) -> tera::Result<Value> {
    let x = v.as_f64().ok_or_else(|| {
        tera::Error::msg(format!(
            "filter `fixed` expects a number, got {}",
            type_name(v)
        ))
    })?;
    let n = arg_usize(args, "n", 2)?;
    Ok(Value::String(format!("{x:.n$}")))
}

pub(super) fn filter_percent(v: &Value, args: &Args) -> tera::Result<Value> {
    let x = v.as_f64().ok_or_else(|| {
        tera::Error::msg(format!(
            "filter `percent` expects a number, got {}",
            type_name(v)
        ))
    })?;
    let n = arg_usize(args, "decimals", 1)?;
    Ok(Value::String(format!(
        "{}%",
        format_number(round(x * 100.0, n))
    )))
}

pub(super) fn filter_range(v: &Value, args: &Args) -> tera::Result<Value> {
    let xs = numbers(v, "range")?;
    let lo = xs.iter().copied().reduce(f64::min);
    let hi = xs.iter().copied().reduce(f64::max);
    let sep = args
        .get("sep")
        .and_then(Value::as_str)
        .unwrap_or("\u{2013}");
    match (lo, hi) {
        (Some(lo), Some(hi)) if lo == hi => Ok(Value::String(format_number(lo))),
        (Some(lo), Some(hi)) => Ok(Value::String(format!(
            "{}{sep}{}",
            format_number(lo),
            format_number(hi)
        ))),
        _ => Err(tera::Error::msg("filter `range` got an empty list")),
    }
}

pub(super) fn filter_pvalue(v: &Value, args: &Args) -> tera::Result<Value> {
    let p = v.as_f64().ok_or_else(|| {
        tera::Error::msg(format!(
            "filter `pvalue` expects a number, got {}",
            type_name(v)
        ))
    })?;
    let threshold = args
        .get("threshold")
        .and_then(Value::as_f64)
        .unwrap_or(0.0001);
    if p < threshold {
        return Ok(Value::String(format!("<{}", format_number(threshold))));
    }
    let s = format!("{p:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    Ok(Value::String(s.to_string()))
}
