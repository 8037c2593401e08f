//! The list filters of data references (flatten, slice, filter, map,
//! first, last, nth, having) and dotted paths into values.

use serde_json::Value;

use super::*;

pub(super) fn filter_flatten(v: &Value, _: &Args) -> tera::Result<Value> {
    let items = v.as_array().ok_or_else(|| {
        tera::Error::msg(format!(
            "filter `flatten` expects a list, got {}",
            type_name(v)
        ))
    })?;
    let mut out = Vec::new();
    for item in items {
        match item {
            Value::Array(inner) => out.extend(inner.iter().cloned()),
            other => out.push(other.clone()),
        }
    }
    Ok(Value::Array(out))
}

/// Value at a dotted path inside a map.
pub(super) fn array<'a>(v: &'a Value, filter: &str) -> tera::Result<&'a [Value]> {
    v.as_array().map(Vec::as_slice).ok_or_else(|| {
        tera::Error::msg(format!(
            "filter `{filter}` needs a list, but got {} `{}`",
            type_name(v),
            short(v)
        ))
    })
}

pub(super) fn arg_str<'a>(args: &'a Args, filter: &str, name: &str) -> tera::Result<&'a str> {
    match args.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(tera::Error::msg(format!(
            "filter `{filter}`: `{name}` must be a string, not {}",
            type_name(other)
        ))),
        None => Err(tera::Error::msg(format!(
            "filter `{filter}` needs an `{name}` argument"
        ))),
    }
}

/// `start`/`end` of `slice`: a number, negative counting from the end.
pub(super) fn slice_index(
    args: &Args,
    name: &str,
    len: usize,
    default: usize,
) -> tera::Result<usize> {
    match args.get(name) {
        None => Ok(default),
        Some(v) => {
            let i = v.as_f64().ok_or_else(|| {
                tera::Error::msg(format!("filter `slice`: `{name}` must be a number"))
            })?;
            Ok(if i >= 0.0 {
                i as usize
            } else {
                (len as f64 + i).max(0.0) as usize
            })
        }
    }
}

pub(super) fn filter_slice(v: &Value, args: &Args) -> tera::Result<Value> {
    let a = array(v, "slice")?;
    if a.is_empty() {
        return Ok(Value::Array(Vec::new()));
    }
    let start = slice_index(args, "start", a.len(), 0)?;
    let end = slice_index(args, "end", a.len(), a.len())?.min(a.len());
    Ok(Value::Array(if start < end {
        a[start..end].to_vec()
    } else {
        Vec::new()
    }))
}

pub(super) fn filter_filter(v: &Value, args: &Args) -> tera::Result<Value> {
    let a = array(v, "filter")?;
    if a.is_empty() {
        return Ok(Value::Array(Vec::new()));
    }
    let attr = arg_str(args, "filter", "attribute")?;
    let want = args.get("value").unwrap_or(&Value::Null);
    Ok(Value::Array(
        a.iter()
            .filter(|x| {
                let got = dotted(x, attr).unwrap_or(&Value::Null);
                if want.is_null() {
                    !got.is_null()
                } else {
                    got == want
                }
            })
            .cloned()
            .collect(),
    ))
}

pub(super) fn filter_map(v: &Value, args: &Args) -> tera::Result<Value> {
    let a = array(v, "map")?;
    if a.is_empty() {
        return Ok(Value::Array(Vec::new()));
    }
    let attr = arg_str(args, "map", "attribute")?;
    Ok(Value::Array(
        a.iter()
            .filter_map(|x| dotted(x, attr).filter(|y| !y.is_null()).cloned())
            .collect(),
    ))
}

pub(super) fn filter_first(v: &Value, _: &Args) -> tera::Result<Value> {
    Ok(or_empty(array(v, "first")?.first()))
}

pub(super) fn filter_last(v: &Value, _: &Args) -> tera::Result<Value> {
    Ok(or_empty(array(v, "last")?.last()))
}

pub(super) fn filter_nth(v: &Value, args: &Args) -> tera::Result<Value> {
    let a = array(v, "nth")?;
    if a.is_empty() {
        return Ok(or_empty(None));
    }
    let n = arg_usize(args, "n", usize::MAX)?;
    if n == usize::MAX && !args.contains_key("n") {
        return Err(tera::Error::msg("filter `nth` needs an `n` argument"));
    }
    Ok(or_empty(a.get(n)))
}

/// A missing element is "", as in Tera's own filters.
pub(super) fn or_empty(v: Option<&Value>) -> Value {
    v.cloned().unwrap_or_else(|| Value::String(String::new()))
}

pub fn dotted<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    for part in path.split('.') {
        cur = match cur {
            Value::Object(m) => m.get(part)?,
            Value::Array(a) => a.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

pub(super) fn is_present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
        _ => true,
    }
}

pub(super) fn filter_having(v: &Value, args: &Args) -> tera::Result<Value> {
    let items = v.as_array().ok_or_else(|| {
        tera::Error::msg(format!(
            "filter `having` expects a list, got {}",
            type_name(v)
        ))
    })?;
    let attr = args
        .get("attribute")
        .and_then(Value::as_str)
        .ok_or_else(|| tera::Error::msg("filter `having` needs `attribute=\"a.b\"`"))?;
    Ok(Value::Array(
        items
            .iter()
            .filter(|item| dotted(item, attr).is_some_and(is_present))
            .cloned()
            .collect(),
    ))
}
