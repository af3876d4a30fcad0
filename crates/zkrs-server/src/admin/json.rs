//! [`Json`]: the values the AdminServer answers with, written exactly as Jackson's
//! `DefaultPrettyPrinter` writes them (what ZooKeeper's `JsonOutputter` uses).
//!
//! The shape, byte for byte:
//! - objects: `{` newline, `"key" : value` per line joined by `,` newline, newline, `}`; keys
//!   indented by two spaces per *object* level (arrays do not indent); empty `{ }`;
//! - arrays on one line: `[ a, b ]`, empty `[ ]`; an object in an array opens on the same line
//!   (`[ {` ... `} ]`);
//! - doubles as Java's `Double.toString` (`0.0`, `1.4E7`), `NaN` and the infinities quoted;
//! - strings with Jackson's escapes (`\"`, `\\`, `\n`, `\t`, `\r`, `\b`, `\f`, other control
//!   characters `\u00XX`; non-ASCII written as UTF-8);
//! - no trailing newline.

use crate::java_fmt;

/// A JSON value; objects keep their keys in insertion order (Java's `LinkedHashMap`).
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Long(i64),
    Double(f64),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// An empty object.
    pub fn object() -> Json {
        Json::Object(Vec::new())
    }

    /// A string value.
    pub fn str(s: impl Into<String>) -> Json {
        Json::Str(s.into())
    }

    /// An array of strings.
    pub fn strings<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Json {
        Json::Array(items.into_iter().map(|s| Json::Str(s.into())).collect())
    }

    /// An array of longs.
    pub fn longs(items: impl IntoIterator<Item = i64>) -> Json {
        Json::Array(items.into_iter().map(Json::Long).collect())
    }

    /// `Map.put` on an object: replaces the value of an existing key in place, else appends.
    /// Does nothing on other values.
    pub fn put(&mut self, key: &str, value: Json) {
        if let Json::Object(entries) = self {
            match entries.iter_mut().find(|(k, _)| k == key) {
                Some(entry) => entry.1 = value,
                None => entries.push((key.to_string(), value)),
            }
        }
    }

    /// Builder form of [`Json::put`].
    pub fn with(mut self, key: &str, value: Json) -> Json {
        self.put(key, value);
        self
    }

    /// The value under `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The pretty-printed text, as Jackson's `DefaultPrettyPrinter` writes it.
    pub fn pretty(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, 0);
        out
    }

    fn write(&self, out: &mut String, depth: usize) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Long(v) => out.push_str(&v.to_string()),
            Json::Double(v) if v.is_finite() => out.push_str(&java_fmt::double(*v)),
            Json::Double(v) => {
                out.push('"');
                out.push_str(&java_fmt::double(*v));
                out.push('"');
            }
            Json::Str(s) => write_string(out, s),
            Json::Array(items) => {
                if items.is_empty() {
                    out.push_str("[ ]");
                    return;
                }
                out.push_str("[ ");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write(out, depth);
                }
                out.push_str(" ]");
            }
            Json::Object(entries) => {
                if entries.is_empty() {
                    out.push_str("{ }");
                    return;
                }
                out.push('{');
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push('\n');
                    indent(out, depth + 1);
                    write_string(out, key);
                    out.push_str(" : ");
                    value.write(out, depth + 1);
                }
                out.push('\n');
                indent(out, depth);
                out.push('}');
            }
        }
    }
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// A quoted string with Jackson's escapes.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_and_empty_containers() {
        assert_eq!(Json::Null.pretty(), "null");
        assert_eq!(Json::Double(0.0).pretty(), "0.0");
        assert_eq!(Json::Double(1.4e7).pretty(), "1.4E7");
        assert_eq!(Json::Double(f64::NAN).pretty(), "\"NaN\"");
        assert_eq!(Json::Array(vec![]).pretty(), "[ ]");
        assert_eq!(Json::object().pretty(), "{ }");
        assert_eq!(
            Json::str("a\"b\\c\n\u{1}").pretty(),
            "\"a\\\"b\\\\c\\n\\u0001\""
        );
    }

    #[test]
    fn put_replaces_in_place() {
        let j = Json::object()
            .with("error", Json::str("x"))
            .with("command", Json::str("leader"))
            .with("error", Json::str("y"));
        assert_eq!(
            j.pretty(),
            "{\n  \"error\" : \"y\",\n  \"command\" : \"leader\"\n}"
        );
    }

    #[test]
    fn nested_like_jackson() {
        let conn = Json::object()
            .with("a", Json::Long(1))
            .with("b", Json::strings(["x", "y"]));
        let j = Json::object()
            .with("connections", Json::Array(vec![conn]))
            .with("m", Json::object().with("k", Json::longs([1, 2])))
            .with("e", Json::object());
        assert_eq!(
            j.pretty(),
            "{\n  \"connections\" : [ {\n    \"a\" : 1,\n    \"b\" : [ \"x\", \"y\" ]\n  } ],\n  \
             \"m\" : {\n    \"k\" : [ 1, 2 ]\n  },\n  \"e\" : { }\n}"
        );
    }
}
