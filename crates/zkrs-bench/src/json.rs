//! [`JsonLine`]: a minimal writer for one flat JSON object on one line (no serde needed for
//! strings, integers and floats).

use std::fmt::Write;

/// Builds `{"k":v,...}` field by field.
#[derive(Debug, Default)]
pub struct JsonLine {
    out: String,
}

impl JsonLine {
    /// An empty object.
    pub fn new() -> JsonLine {
        JsonLine::default()
    }

    fn key(&mut self, key: &str) {
        self.out.push(if self.out.is_empty() { '{' } else { ',' });
        push_str(&mut self.out, key);
        self.out.push(':');
    }

    /// A string field.
    pub fn str(mut self, key: &str, value: &str) -> JsonLine {
        self.key(key);
        push_str(&mut self.out, value);
        self
    }

    /// An integer field.
    pub fn int(mut self, key: &str, value: impl Into<i128>) -> JsonLine {
        self.key(key);
        let _ = write!(self.out, "{}", value.into());
        self
    }

    /// A float field (`null` when not finite), three decimals.
    pub fn float(mut self, key: &str, value: f64) -> JsonLine {
        self.key(key);
        if value.is_finite() {
            let _ = write!(self.out, "{value:.3}");
        } else {
            self.out.push_str("null");
        }
        self
    }

    /// A nested object given as already-rendered JSON.
    pub fn raw(mut self, key: &str, json: &str) -> JsonLine {
        self.key(key);
        self.out.push_str(json);
        self
    }

    /// The finished object.
    pub fn finish(mut self) -> String {
        if self.out.is_empty() {
            self.out.push('{');
        }
        self.out.push('}');
        self.out
    }
}

/// Appends `s` as a JSON string literal.
fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_escaped_flat_object() {
        let s = JsonLine::new()
            .str("a", "x\"y\\z\n")
            .int("n", 42u64)
            .float("f", 1.5)
            .float("nan", f64::NAN)
            .raw("o", "{}")
            .finish();
        assert_eq!(s, r#"{"a":"x\"y\\z\n","n":42,"f":1.500,"nan":null,"o":{}}"#);
        assert_eq!(JsonLine::new().finish(), "{}");
    }
}
