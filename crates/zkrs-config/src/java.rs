//! The few `java.lang` parsing rules that zoo.cfg values go through.
//!
//! ZooKeeper reads numbers with `Integer.parseInt` / `Long.parseLong` (strict decimal), system
//! properties with `Integer.getInteger` / `Long.getLong` (which use `decode`: `0x`, `#` and octal
//! prefixes, and silently fall back to the default), and booleans with either the lenient
//! `Boolean.parseBoolean` or its own strict `true`/`false` check. These helpers reproduce those
//! rules so that zkrs reads every value the way ZooKeeper does.
//!
//! Only ASCII digits are accepted: Java's `Character.digit` also accepts other Unicode decimal
//! digits, which no real configuration uses.

/// `String.trim()`: strips every char `<= U+0020` from both ends (not Unicode whitespace).
pub(crate) fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// `String.split(sep)` for a single literal character: like `str::split`, but trailing empty
/// strings are removed, and a string without the separator is returned whole (so `""` gives
/// `[""]` while `":"` gives `[]`).
pub(crate) fn split(s: &str, sep: char) -> Vec<&str> {
    if !s.contains(sep) {
        return vec![s];
    }
    let mut parts: Vec<&str> = s.split(sep).collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

/// Parses an optionally signed run of digits in `radix`, like `Long.parseLong(s, radix)`.
fn parse_signed(s: &str, radix: u32) -> Option<i64> {
    let (negative, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    // Accumulate negatively so that i64::MIN parses, as Java does.
    let mut acc: i64 = 0;
    for c in digits.chars() {
        let d = i64::from(c.to_digit(radix)?);
        acc = acc.checked_mul(i64::from(radix))?.checked_sub(d)?;
    }
    if negative {
        Some(acc)
    } else {
        acc.checked_neg()
    }
}

/// `Integer.parseInt(s)`.
pub(crate) fn parse_int(s: &str) -> Option<i32> {
    parse_signed(s, 10).and_then(|v| i32::try_from(v).ok())
}

/// `Long.parseLong(s)`.
pub(crate) fn parse_long(s: &str) -> Option<i64> {
    parse_signed(s, 10)
}

/// `Long.parseLong(s, 16)`, used for the config `version`.
pub(crate) fn parse_hex_long(s: &str) -> Option<i64> {
    parse_signed(s, 16)
}

/// `Long.decode(s)`: optional sign, then `0x`/`0X`/`#` for hex, a leading `0` for octal, else
/// decimal. A sign after the radix prefix is rejected.
pub(crate) fn decode_long(s: &str) -> Option<i64> {
    let (negative, rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = if let Some(r) = rest.strip_prefix("0x").or(rest.strip_prefix("0X")) {
        (16, r)
    } else if let Some(r) = rest.strip_prefix('#') {
        (16, r)
    } else if rest.len() > 1 && rest.starts_with('0') {
        (8, &rest[1..])
    } else {
        (10, rest)
    };
    if digits.starts_with('-') || digits.starts_with('+') {
        return None;
    }
    if negative {
        // Parsing with the sign keeps the minimum value in range.
        parse_signed(&format!("-{digits}"), radix)
    } else {
        parse_signed(digits, radix)
    }
}

/// `Integer.decode(s)`.
pub(crate) fn decode_int(s: &str) -> Option<i32> {
    decode_long(s).and_then(|v| i32::try_from(v).ok())
}

/// `Boolean.parseBoolean(s)`: `true` (any case) is true, everything else is false.
pub(crate) fn parse_boolean_lenient(s: &str) -> bool {
    s.eq_ignore_ascii_case("true")
}

/// QuorumPeerConfig's own `parseBoolean`: `true` or `false` in any case, anything else fails.
pub(crate) fn parse_boolean_strict(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// `Long.toHexString(v)`: the two's-complement bits as lowercase hex, no leading zeros.
pub(crate) fn to_hex_string(v: i64) -> String {
    format!("{:x}", v as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_is_java_trim() {
        assert_eq!(trim(" \t\x0b a b \r\n\x00"), "a b");
        // U+00A0 and U+3000 are not <= U+0020, so Java keeps them.
        assert_eq!(trim("\u{a0}x\u{3000}"), "\u{a0}x\u{3000}");
    }

    #[test]
    fn split_drops_trailing_empties() {
        assert_eq!(split("", ':'), vec![""]);
        assert_eq!(split(":", ':'), Vec::<&str>::new());
        assert_eq!(split("a:b:", ':'), vec!["a", "b"]);
        assert_eq!(split(":a::b", ':'), vec!["", "a", "", "b"]);
        assert_eq!(split("abc", ':'), vec!["abc"]);
    }

    #[test]
    fn parse_int_matches_java() {
        assert_eq!(parse_int("2000"), Some(2000));
        assert_eq!(parse_int("+7"), Some(7));
        assert_eq!(parse_int("-7"), Some(-7));
        assert_eq!(parse_int("007"), Some(7));
        assert_eq!(parse_int("2147483647"), Some(i32::MAX));
        assert_eq!(parse_int("-2147483648"), Some(i32::MIN));
        assert_eq!(parse_int("2147483648"), None);
        for bad in [
            "", "+", "-", "1 ", " 1", "0x10", "1e3", "1_000", "abc", "１",
        ] {
            assert_eq!(parse_int(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn parse_long_matches_java() {
        assert_eq!(parse_long("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_long("9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_long("9223372036854775808"), None);
        assert_eq!(parse_hex_long("100000000"), Some(0x1_0000_0000));
        assert_eq!(parse_hex_long("-1"), Some(-1));
        assert_eq!(parse_hex_long("ffffffffffffffff"), None);
        assert_eq!(parse_hex_long("0x10"), None);
    }

    #[test]
    fn decode_matches_java() {
        assert_eq!(decode_int("0x10"), Some(16));
        assert_eq!(decode_int("0X10"), Some(16));
        assert_eq!(decode_int("#10"), Some(16));
        assert_eq!(decode_int("010"), Some(8));
        assert_eq!(decode_int("0"), Some(0));
        assert_eq!(decode_int("-0x10"), Some(-16));
        assert_eq!(decode_int("-2147483648"), Some(i32::MIN));
        assert_eq!(decode_int("-0x80000000"), Some(i32::MIN));
        assert_eq!(decode_long("-9223372036854775808"), Some(i64::MIN));
        for bad in ["", "0x", "0x-1", "08", "1.5", "yes", " 1"] {
            assert_eq!(decode_int(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn booleans() {
        assert!(parse_boolean_lenient("TRUE"));
        assert!(!parse_boolean_lenient("yes"));
        assert!(!parse_boolean_lenient(" true"));
        assert_eq!(parse_boolean_strict("False"), Some(false));
        assert_eq!(parse_boolean_strict("yes"), None);
    }

    #[test]
    fn hex_string() {
        assert_eq!(to_hex_string(0), "0");
        assert_eq!(to_hex_string(0x1_0000_0000), "100000000");
        assert_eq!(to_hex_string(-1), "ffffffffffffffff");
    }
}
