//! YAML rendering: one function, so every writer quotes and orders the same way.
//!
//! The output is serde_norway's (libyaml's emitter, no line width). A direct writer produces the
//! same bytes for what generated files nearly always hold (maps, lists, integers, booleans and
//! single-line printable ASCII strings, or multi-line strings as map values), several times
//! faster than the emitter; anything else goes to serde_norway. Debug builds (every test) check
//! that both agree on every document.

use serde::Serialize;
use serde_json::Value;
use std::fmt::Write;

/// One YAML document (no leading `---`), keys in the order the value holds them.
pub fn to_yaml<T: Serialize + 'static>(value: &T) -> String {
    // A JSON value is written as it is; anything else is made one first.
    let owned;
    let v = match (value as &dyn std::any::Any).downcast_ref::<Value>() {
        Some(v) => Some(v),
        None => {
            owned = serde_json::to_value(value).ok();
            owned.as_ref()
        }
    };
    let fast = v.and_then(direct);
    match fast {
        Some(text) => {
            #[cfg(debug_assertions)]
            assert_eq!(text, norway(value), "the direct YAML writer differs");
            text
        }
        None => norway(value),
    }
}

fn norway<T: Serialize + ?Sized>(value: &T) -> String {
    serde_norway::to_string(value).expect("generated values serialise to YAML")
}

/// Several documents joined by `---` lines.
pub fn documents<'a, T: Serialize + 'static>(values: impl IntoIterator<Item = &'a T>) -> String {
    values
        .into_iter()
        .map(|v| to_yaml(v))
        .collect::<Vec<_>>()
        .join("---\n")
}

/// The document as serde_norway writes it, or None where this writer does not know for sure.
fn direct(v: &Value) -> Option<String> {
    let mut out = String::with_capacity(1024);
    match v {
        Value::Object(m) if !m.is_empty() => map(&mut out, m, 0)?,
        Value::Array(a) if !a.is_empty() => seq(&mut out, a, 0)?,
        _ => {
            inline(&mut out, v)?;
            out.push('\n');
        }
    }
    Some(out)
}

/// A block mapping at `indent`; the cursor is at the start of the first key's line (already
/// indented, for the first key of a list item).
fn map(out: &mut String, m: &serde_json::Map<String, Value>, indent: usize) -> Option<()> {
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 {
            pad(out, indent);
        }
        // libyaml writes keys over 128 bytes as complex keys (`? key`).
        if k.len() > 128 {
            return None;
        }
        scalar(out, k)?;
        out.push(':');
        match v {
            Value::Object(inner) if !inner.is_empty() => {
                out.push('\n');
                pad(out, indent + 2);
                map(out, inner, indent + 2)?;
            }
            // Lists in a mapping are not indented.
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                pad(out, indent);
                seq(out, items, indent)?;
            }
            Value::String(s) if s.contains('\n') => {
                out.push(' ');
                literal(out, s, indent + 2)?;
            }
            _ => {
                out.push(' ');
                inline(out, v)?;
                out.push('\n');
            }
        }
    }
    Some(())
}

/// A block sequence at `indent`; the cursor is after the indentation of the first item.
fn seq(out: &mut String, items: &[Value], indent: usize) -> Option<()> {
    for (i, v) in items.iter().enumerate() {
        if i > 0 {
            pad(out, indent);
        }
        out.push_str("- ");
        match v {
            Value::Object(inner) if !inner.is_empty() => map(out, inner, indent + 2)?,
            Value::Array(inner) if !inner.is_empty() => seq(out, inner, indent + 2)?,
            Value::String(s) if s.contains('\n') => return None,
            _ => {
                inline(out, v)?;
                out.push('\n');
            }
        }
    }
    Some(())
}

fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// A value on the current line: a scalar, `{}` or `[]`.
fn inline(out: &mut String, v: &Value) -> Option<()> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) if n.is_i64() || n.is_u64() => {
            let _ = write!(out, "{n}");
        }
        Value::Number(_) => return None, // floats: ryu's format, left to serde_norway
        Value::String(s) => scalar(out, s)?,
        Value::Object(m) if m.is_empty() => out.push_str("{}"),
        Value::Array(a) if a.is_empty() => out.push_str("[]"),
        _ => return None,
    }
    Some(())
}

/// A single-line string: plain when libyaml allows it and it does not read as another type,
/// else single-quoted. Only printable ASCII; anything else is left to serde_norway.
/// (Keys and values alike: an empty key is quoted by the emitter, an empty value reads as null
/// and is quoted by serde_norway; both give `''`.)
fn scalar(out: &mut String, s: &str) -> Option<()> {
    if !s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return None;
    }
    if plain_allowed(s) && !reads_as_other_type(s) {
        out.push_str(s);
    } else {
        out.push('\'');
        out.push_str(&s.replace('\'', "''"));
        out.push('\'');
    }
    Some(())
}

/// libyaml's `yaml_emitter_analyze_scalar`, for single-line printable ASCII in block context.
fn plain_allowed(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || b[0] == b' ' || b[b.len() - 1] == b' ' {
        return false;
    }
    if s.starts_with("---") || s.starts_with("...") {
        return false;
    }
    for (i, &c) in b.iter().enumerate() {
        let followed_by_space = b.get(i + 1).is_none_or(|n| *n == b' ');
        if i == 0 {
            match c {
                b'#' | b',' | b'[' | b']' | b'{' | b'}' | b'&' | b'*' | b'!' | b'|' | b'>'
                | b'\'' | b'"' | b'%' | b'@' | b'`' => return false,
                b'?' | b':' | b'-' if followed_by_space => return false,
                _ => {}
            }
        } else {
            match c {
                b':' if followed_by_space => return false,
                b'#' if b[i - 1] == b' ' => return false,
                _ => {}
            }
        }
    }
    true
}

/// serde_norway quotes strings that would read back as null, a boolean or a number.
fn reads_as_other_type(s: &str) -> bool {
    matches!(
        s,
        "" | "~"
            | "null"
            | "Null"
            | "NULL"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
    ) || digits_but_not_number(s)
        || unsigned_int(s)
        || negative_int(s)
        || float(s)
}

fn digits_but_not_number(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    s.len() > 1 && s.starts_with('0') && s[1..].bytes().all(|b| b.is_ascii_digit())
}

fn radix_prefixed(rest: &str, radix: u32, negative: bool) -> bool {
    if rest.starts_with(['+', '-']) && !negative {
        return false;
    }
    let digits = if negative {
        format!("-{rest}")
    } else {
        rest.to_string()
    };
    i128::from_str_radix(&digits, radix).is_ok() || u128::from_str_radix(&digits, radix).is_ok()
}

/// serde_norway's `parse_unsigned_int` (u64, then u128).
fn unsigned_int(s: &str) -> bool {
    let unpositive = s.strip_prefix('+').unwrap_or(s);
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(rest) = unpositive.strip_prefix(prefix) {
            if rest.starts_with(['+', '-']) {
                return false;
            }
            if u128::from_str_radix(rest, radix).is_ok() {
                return true;
            }
        }
    }
    if unpositive.starts_with(['+', '-']) || digits_but_not_number(s) {
        return false;
    }
    unpositive.parse::<u128>().is_ok()
}

/// serde_norway's `parse_negative_int` (i64, then i128).
fn negative_int(s: &str) -> bool {
    for (prefix, radix) in [("-0x", 16), ("-0o", 8), ("-0b", 2)] {
        if let Some(rest) = s.strip_prefix(prefix)
            && radix_prefixed(rest, radix, true)
        {
            return true;
        }
    }
    if digits_but_not_number(s) {
        return false;
    }
    s.parse::<i128>().is_ok()
}

/// serde_norway's `parse_f64`, unless `digits_but_not_number`.
fn float(s: &str) -> bool {
    if digits_but_not_number(s) {
        return false;
    }
    let unpositive = match s.strip_prefix('+') {
        Some(u) if u.starts_with(['+', '-']) => return false,
        Some(u) => u,
        None => s,
    };
    matches!(unpositive, ".inf" | ".Inf" | ".INF")
        || matches!(s, "-.inf" | "-.Inf" | "-.INF" | ".nan" | ".NaN" | ".NAN")
        || unpositive.parse::<f64>().is_ok_and(f64::is_finite)
}

/// A multi-line map value as a literal block (`|`, `|-`), content at `indent`; None where
/// libyaml would pick another style or hints this writer does not produce.
fn literal(out: &mut String, s: &str, indent: usize) -> Option<()> {
    let b = s.as_bytes();
    // Printable ASCII and line feeds only; no space before a line break, no trailing space, no
    // leading space or break (indentation hint), no kept final breaks (`|+`).
    if !b.iter().all(|c| (0x20..0x7f).contains(c) || *c == b'\n')
        || s.contains(" \n")
        || s.ends_with(' ')
        || s.starts_with([' ', '\n'])
        || s.ends_with("\n\n")
    {
        return None;
    }
    out.push('|');
    if !s.ends_with('\n') {
        out.push('-');
    }
    out.push('\n');
    for line in s.strip_suffix('\n').unwrap_or(s).split('\n') {
        if !line.is_empty() {
            pad(out, indent);
            out.push_str(line);
        }
        out.push('\n');
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn same_bytes_as_serde_norway() {
        let strings = [
            "",
            " ",
            "a b",
            " a",
            "a ",
            "-",
            "- a",
            "-a",
            "a-",
            ":",
            "a:",
            "a: b",
            "a:b",
            "?",
            "? a",
            "?a",
            "#a",
            "a #b",
            "a#b",
            "*",
            "&a",
            "!a",
            "|",
            ">",
            "'a'",
            "\"a\"",
            "%a",
            "@a",
            "`a",
            "a,b",
            "[a]",
            "{a}",
            "a[b]",
            "---",
            "--- a",
            "...",
            "~",
            "null",
            "Null",
            "NULL",
            "nULL",
            "true",
            "TRUE",
            "yes",
            "no",
            "on",
            "off",
            "y",
            "n",
            "0",
            "00",
            "012",
            "-012",
            "+012",
            "1",
            "-1",
            "+1",
            "++1",
            "1.5",
            "1e3",
            "1e",
            ".5",
            "5.",
            "inf",
            "-inf",
            "infinity",
            "nan",
            "NaN",
            ".inf",
            "-.inf",
            "+.inf",
            ".nan",
            ".NaN",
            "0x1f",
            "0x",
            "0xg",
            "-0x1f",
            "0o17",
            "0o8",
            "0b101",
            "-0b101",
            "+0x1f",
            "0x+1",
            "1_000",
            "123456789012345678901234567890123456789012",
            "1.2.3",
            "v1.2",
            "it's",
            "a'b",
            "a\"b",
            "a\\b",
            "http://x:8080/health",
            "curl -f http://localhost/ || exit 1",
            "{\"type\":\"forward\"}",
            "arn:aws:iam::1:role/x",
            "100%",
            "a\nb",
            "a\nb\n",
            "a\n\nb",
            "a\nb\n\n",
            "\na",
            " a\nb",
            "a \nb",
            "a\n b",
            "a\nb ",
            "a\tb",
            "é",
        ];
        let mut compared = 0;
        for s in strings {
            for v in [
                json!({ "k": s }),
                json!({ s: 1 }),
                json!([s]),
                json!({ "l": [{ "k": s, "m": { "n": s } }] }),
                json!({ "a": { "b": [[s, { "c": s }]] } }),
            ] {
                let direct = direct(&v);
                if let Some(text) = direct {
                    assert_eq!(text, norway(&v), "{v}");
                    compared += 1;
                }
            }
        }
        // Only non-ASCII, tabs and multi-line strings in lists or keys are left to serde_norway.
        assert!(compared > 450, "{compared}");
        for v in [
            json!({}),
            json!([]),
            json!(null),
            json!({ "a": {}, "b": [], "c": null, "d": true, "e": -3, "f": 18446744073709551615u64 }),
            json!([[], {}, [1, [2, 3]], { "x": [] }]),
            json!({ "patch": "- op: replace\n  path: /spec\n  value: 1\n" }),
            json!([{ "k": { "patch": "a\nb" } }]),
        ] {
            assert_eq!(direct(&v).as_deref(), Some(norway(&v).as_str()), "{v}");
        }
    }
}
