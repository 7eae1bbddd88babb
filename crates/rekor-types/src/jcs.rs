//! RFC 8785 JSON Canonicalization Scheme (JCS) for [`serde_json::Value`].
//!
//! Spec: <https://www.rfc-editor.org/rfc/rfc8785>. Rekor v1 applies JCS to every entry body
//! before it becomes a Merkle leaf, and to the four members signed by the SET.
//!
//! - Object members are sorted by the UTF-16 code units of their names (§3.2.3).
//! - Strings are written as ECMAScript `JSON.stringify` writes them (§3.2.2.2): only `"`, `\` and
//!   the C0 controls are escaped; `\b \f \n \r \t` use their short forms and the other controls
//!   `\u00xx` with lowercase hex. `/`, `<`, `>`, `&`, U+2028/U+2029 and all non-ASCII characters
//!   are written as they are.
//! - Numbers are IEEE 754 doubles written as ECMAScript `Number.prototype.toString` does
//!   (§3.2.2.3). Integers of magnitude up to 2^53 come out as plain decimals; larger integers are
//!   first rounded to a double, exactly as a JCS implementation that parses JSON into doubles does.
//! - No whitespace between tokens.
//!
//! [`canonicalize_json`] parses with `serde_json`'s `float_roundtrip` feature (enabled by this
//! crate), so fractions become the correctly rounded double, as RFC 8785 assumes.
//!
//! A `serde_json::Value` cannot hold NaN or infinities, nor strings with lone surrogates (the
//! parser rejects `"\ud800"`), so canonicalization cannot fail.

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

/// The JCS form of `value` as a string.
pub fn to_canonical_string(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

/// The JCS form of `value` as UTF-8 bytes.
pub fn to_canonical_vec(value: &Value) -> Vec<u8> {
    to_canonical_string(value).into_bytes()
}

/// Parse `json` and return its JCS form.
pub fn canonicalize_json(json: &[u8]) -> Result<Vec<u8>, serde_json::Error> {
    let value: Value = serde_json::from_slice(json)?;
    Ok(to_canonical_vec(&value))
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => write_object(out, map),
    }
}

fn write_object(out: &mut String, map: &Map<String, Value>) {
    let mut members: Vec<(&String, &Value)> = map.iter().collect();
    members.sort_by(|(a, _), (b, _)| utf16_cmp(a, b));
    out.push('{');
    for (i, (name, value)) in members.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(out, name);
        out.push(':');
        write_value(out, value);
    }
    out.push('}');
}

/// Order two strings by their UTF-16 code units (RFC 8785 §3.2.3).
pub(crate) fn utf16_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// Write `s` as a JSON string literal, escaped as RFC 8785 §3.2.2.2 requires.
pub(crate) fn write_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let code = c as u32 as usize;
                out.push_str("\\u00");
                out.push(HEX[code >> 4] as char);
                out.push(HEX[code & 0xf] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// 2^53: integers up to this magnitude are exact doubles and print the same either way.
const MAX_EXACT_INTEGER: u64 = 1 << 53;

fn write_number(out: &mut String, n: &Number) {
    if let Some(u) = n.as_u64()
        && u <= MAX_EXACT_INTEGER
    {
        out.push_str(&u.to_string());
        return;
    }
    if let Some(i) = n.as_i64()
        && i.unsigned_abs() <= MAX_EXACT_INTEGER
    {
        out.push_str(&i.to_string());
        return;
    }
    // Large integers and fractions: go through the double, as JCS does.
    match n.as_f64() {
        Some(f) => write_es6_number(out, f),
        // Unreachable for serde_json without `arbitrary_precision`; write the text as a
        // best effort rather than panic.
        None => out.push_str(&n.to_string()),
    }
}

/// Write a finite double as ECMAScript's `Number.prototype.toString` (ECMA-262 §6.1.6.1.20),
/// which RFC 8785 §3.2.2.3 adopts: the shortest digits that round-trip, the closest of those,
/// and the even one on a tie.
pub(crate) fn write_es6_number(out: &mut String, value: f64) {
    if !value.is_finite() {
        // Not representable in JSON; a serde_json Value never holds one.
        out.push_str("null");
        return;
    }
    if value == 0.0 {
        out.push('0');
        return;
    }
    if value < 0.0 {
        out.push('-');
    }
    // `{:e}` gives the shortest round-trip digit count k. When two k-digit decimals are equally
    // close (an exact tie), ECMAScript takes the even one; Rust's shortest mode may not, so the
    // digits are re-made with k digits of precision, which rounds the exact value half-to-even.
    let shortest = format!("{:e}", value.abs());
    let k = shortest
        .split_once('e')
        .map_or(shortest.as_str(), |(m, _)| m)
        .chars()
        .filter(char::is_ascii_digit)
        .count();
    let sci = format!("{:.*e}", k.saturating_sub(1), value.abs());
    let (mantissa, exponent) = match sci.split_once('e') {
        Some(parts) => parts,
        None => (sci.as_str(), "0"),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let exponent: i32 = exponent.parse().unwrap_or(0);
    // value = 0.d1d2...dk × 10^n, with k digits.
    let k = digits.len() as i32;
    let n = exponent + 1;
    if k <= n && n <= 21 {
        out.push_str(&digits);
        for _ in 0..(n - k) {
            out.push('0');
        }
    } else if 0 < n && n <= 21 {
        let (int_part, frac_part) = digits.split_at(n as usize);
        out.push_str(int_part);
        out.push('.');
        out.push_str(frac_part);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        for _ in 0..(-n) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push('e');
        let e = n - 1;
        out.push(if e < 0 { '-' } else { '+' });
        out.push_str(&e.unsigned_abs().to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn es6(value: f64) -> String {
        let mut s = String::new();
        write_es6_number(&mut s, value);
        s
    }

    /// RFC 8785 Appendix B: IEEE 754 bit patterns and their expected JCS text.
    #[test]
    fn rfc8785_appendix_b_numbers() {
        let cases: &[(u64, &str)] = &[
            (0x0000000000000000, "0"),
            (0x8000000000000000, "0"),
            (0x0000000000000001, "5e-324"),
            (0x8000000000000001, "-5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0xffefffffffffffff, "-1.7976931348623157e+308"),
            (0x4340000000000000, "9007199254740992"),
            (0xc340000000000000, "-9007199254740992"),
            (0x4430000000000000, "295147905179352830000"),
            (0x44b52d02c7e14af5, "9.999999999999997e+22"),
            (0x44b52d02c7e14af6, "1e+23"),
            (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
            (0x444b1ae4d6e2ef4e, "999999999999999700000"),
            (0x444b1ae4d6e2ef4f, "999999999999999900000"),
            (0x444b1ae4d6e2ef50, "1e+21"),
            (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
            (0x3eb0c6f7a0b5ed8d, "0.000001"),
            (0x41b3de4355555553, "333333333.3333332"),
            (0x41b3de4355555554, "333333333.33333325"),
            (0x41b3de4355555555, "333333333.3333333"),
            (0x41b3de4355555556, "333333333.3333334"),
            (0x41b3de4355555557, "333333333.33333343"),
            (0xbecbf647612f3696, "-0.0000033333333333333333"),
            (0x43143ff3c1cb0959, "1424953923781206.2"),
        ];
        for (bits, want) in cases {
            assert_eq!(es6(f64::from_bits(*bits)), *want, "bits {bits:#018x}");
        }
    }

    #[test]
    fn utf16_ordering_differs_from_utf8_for_astral_characters() {
        // U+FB33 (one UTF-16 unit 0xFB33) sorts after U+1F600 (surrogates 0xD83D 0xDE00) in
        // UTF-16 order, but before it in UTF-8 / code point order.
        assert_eq!(utf16_cmp("\u{1F600}", "\u{FB33}"), Ordering::Less);
        assert_eq!("\u{1F600}".cmp("\u{FB33}"), Ordering::Greater);
    }
}
