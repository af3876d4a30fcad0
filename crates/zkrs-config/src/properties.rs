//! [`Properties`]: a `.properties` file read with `java.util.Properties.load` semantics, then
//! trimmed the way `QuorumPeerConfig.parseProperties` trims keys and values.
//!
//! The rules, as Java applies them:
//! - Line terminators are `\n`, `\r` and `\r\n`.
//! - Leading spaces, tabs and form feeds of every line are skipped; blank lines are skipped.
//! - A line whose first non-blank character is `#` or `!` is a comment (even if it ends with a
//!   backslash). Comments only start a line: `a=b # c` has the value `b # c`.
//! - A line ending in an odd number of backslashes continues on the next line, whose leading
//!   blanks are skipped. An empty continuation line ends the logical line; a backslash at the
//!   end of the file is dropped.
//! - The key ends at the first unescaped `=`, `:` or blank. Blanks around the separator are
//!   skipped, and one `=`/`:` after blanks still counts as the separator.
//! - Escapes in keys and values: `\t` `\n` `\r` `\f`, `\uXXXX` (exactly four hex digits, or the
//!   whole file is rejected), and `\x` = `x` for any other character (`\=`, `\:`, `\ `, `\\`, `\#`).
//! - A later duplicate key wins.
//!
//! ZooKeeper then trims keys and values with `String.trim()` (every char `<= U+0020`).

use crate::error::{ConfigError, ErrorKind};
use crate::java;
use crate::location::Location;

/// One key/value pair, trimmed, with the line of the logical line that set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    /// The key, unescaped and trimmed.
    pub key: String,
    /// The value, unescaped and trimmed.
    pub value: String,
    /// The 1-based line where the logical line starts.
    pub line: usize,
}

/// A key set more than once: the value on `line` replaced the one on `earlier_line`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// The key.
    pub key: String,
    /// The line whose value was replaced.
    pub earlier_line: usize,
    /// The line whose value won.
    pub line: usize,
}

/// The entries of a properties file, in file order of the occurrence that won.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Properties {
    entries: Vec<Property>,
    duplicates: Vec<Duplicate>,
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t' || c == '\x0c'
}

impl Properties {
    /// Parses `text`; `file` only names the source in errors.
    ///
    /// The only error is a malformed `\uXXXX` escape, which makes Java reject the whole file.
    pub fn parse(text: &str, file: &str) -> Result<Properties, ConfigError> {
        let mut all = Vec::new();
        for (line, logical) in logical_lines(text) {
            all.push(split_key_value(&logical, line, file)?);
        }
        Ok(Properties::dedup(all))
    }

    /// Keeps the last occurrence of every key, recording the others.
    fn dedup(all: Vec<Property>) -> Properties {
        let mut last = std::collections::HashMap::new();
        for (i, p) in all.iter().enumerate() {
            last.insert(p.key.clone(), i);
        }
        let mut entries = Vec::with_capacity(last.len());
        let mut duplicates = Vec::new();
        for (i, p) in all.iter().enumerate() {
            match last.get(&p.key) {
                Some(&winner) if winner == i => entries.push(p.clone()),
                Some(&winner) => duplicates.push(Duplicate {
                    key: p.key.clone(),
                    earlier_line: p.line,
                    line: all[winner].line,
                }),
                None => {}
            }
        }
        Properties {
            entries,
            duplicates,
        }
    }

    /// The entry for `key` (after trimming), if set.
    pub fn get(&self, key: &str) -> Option<&Property> {
        self.entries.iter().find(|p| p.key == key)
    }

    /// Whether `key` is set.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// All entries, in file order.
    pub fn iter(&self) -> std::slice::Iter<'_, Property> {
        self.entries.iter()
    }

    /// The number of distinct keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no key is set.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The keys that were set more than once.
    pub fn duplicates(&self) -> &[Duplicate] {
        &self.duplicates
    }
}

impl<'a> IntoIterator for &'a Properties {
    type Item = &'a Property;
    type IntoIter = std::slice::Iter<'a, Property>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter()
    }
}

/// Splits `text` into physical lines with their 1-based numbers (`\n`, `\r`, `\r\n`).
fn physical_lines(text: &str) -> Vec<(usize, &str)> {
    let mut lines = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(&text[start..i]);
                i += 1;
                start = i;
            }
            b'\r' => {
                lines.push(&text[start..i]);
                i += 1;
                if bytes.get(i) == Some(&b'\n') {
                    i += 1;
                }
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < bytes.len() {
        lines.push(&text[start..]);
    }
    lines
        .into_iter()
        .enumerate()
        .map(|(n, l)| (n + 1, l))
        .collect()
}

fn trailing_backslashes(s: &str) -> usize {
    s.bytes().rev().take_while(|&b| b == b'\\').count()
}

/// Joins continued lines and drops blank and comment lines (`Properties.LineReader`).
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let lines = physical_lines(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (number, raw) = lines[i];
        i += 1;
        let mut segment = raw.trim_start_matches(is_blank);
        if segment.is_empty() || segment.starts_with('#') || segment.starts_with('!') {
            continue;
        }
        let mut logical = String::new();
        loop {
            if trailing_backslashes(segment) % 2 == 1 {
                logical.push_str(&segment[..segment.len() - 1]);
                let Some(&(_, next)) = lines.get(i) else {
                    break;
                };
                i += 1;
                segment = next.trim_start_matches(is_blank);
                if segment.is_empty() {
                    break;
                }
            } else {
                logical.push_str(segment);
                break;
            }
        }
        if !logical.is_empty() {
            out.push((number, logical));
        }
    }
    out
}

/// Splits a logical line into key and value (`Properties.load0`), unescapes and trims both.
fn split_key_value(logical: &str, line: usize, file: &str) -> Result<Property, ConfigError> {
    let chars: Vec<char> = logical.chars().collect();
    let limit = chars.len();
    let mut key_len = 0;
    let mut value_start = limit;
    let mut has_separator = false;
    let mut escaped = false;
    while key_len < limit {
        let c = chars[key_len];
        if (c == '=' || c == ':') && !escaped {
            value_start = key_len + 1;
            has_separator = true;
            break;
        } else if is_blank(c) && !escaped {
            value_start = key_len + 1;
            break;
        }
        escaped = c == '\\' && !escaped;
        key_len += 1;
    }
    while value_start < limit {
        let c = chars[value_start];
        if !is_blank(c) {
            if !has_separator && (c == '=' || c == ':') {
                has_separator = true;
            } else {
                break;
            }
        }
        value_start += 1;
    }
    let raw_key: String = chars[..key_len].iter().collect();
    let key =
        unescape(&chars[..key_len]).ok_or_else(|| malformed(file, line, java::trim(&raw_key)))?;
    let value =
        unescape(&chars[value_start..]).ok_or_else(|| malformed(file, line, java::trim(&key)))?;
    Ok(Property {
        key: java::trim(&key).to_owned(),
        value: java::trim(&value).to_owned(),
        line,
    })
}

fn malformed(file: &str, line: usize, key: &str) -> ConfigError {
    ConfigError::new(Location::key(file, line, key), ErrorKind::MalformedEscape)
}

/// Resolves escapes (`Properties.loadConvert`). `None` for a malformed `\uXXXX`.
///
/// Java strings are UTF-16, so `\uD83D\uDE00` is one character; an unpaired surrogate becomes
/// U+FFFD.
fn unescape(chars: &[char]) -> Option<String> {
    let mut units: Vec<u16> = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c != '\\' {
            let mut buf = [0u16; 2];
            units.extend_from_slice(c.encode_utf16(&mut buf));
            continue;
        }
        // A lone trailing backslash cannot reach here from a logical line; drop it if it does.
        let Some(&e) = chars.get(i) else { break };
        i += 1;
        let unit = match e {
            'u' => {
                let hex = chars.get(i..i + 4)?;
                i += 4;
                let mut v: u16 = 0;
                for h in hex {
                    v = v * 16 + u16::try_from(h.to_digit(16)?).ok()?;
                }
                v
            }
            't' => u16::from(b'\t'),
            'n' => u16::from(b'\n'),
            'r' => u16::from(b'\r'),
            'f' => 0x0c,
            other => {
                let mut buf = [0u16; 2];
                units.extend_from_slice(other.encode_utf16(&mut buf));
                continue;
            }
        };
        units.push(unit);
    }
    Some(String::from_utf16_lossy(&units))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<(String, String, usize)> {
        Properties::parse(text, "t.cfg")
            .map(|p| {
                p.iter()
                    .map(|e| (e.key.clone(), e.value.clone(), e.line))
                    .collect()
            })
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn kv(text: &str) -> Vec<(String, String)> {
        parse(text).into_iter().map(|(k, v, _)| (k, v)).collect()
    }

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn separators() {
        assert_eq!(kv("a=1"), vec![pair("a", "1")]);
        assert_eq!(kv("a:1"), vec![pair("a", "1")]);
        assert_eq!(kv("a 1"), vec![pair("a", "1")]);
        assert_eq!(kv("a\t=\t1"), vec![pair("a", "1")]);
        assert_eq!(kv("a : = 1"), vec![pair("a", "= 1")]);
        assert_eq!(kv("a==1"), vec![pair("a", "=1")]);
        assert_eq!(kv("a"), vec![pair("a", "")]);
        assert_eq!(kv("a="), vec![pair("a", "")]);
        assert_eq!(kv("=v"), vec![pair("", "v")]);
        assert_eq!(
            kv("server.1=h:2888:3888"),
            vec![pair("server.1", "h:2888:3888")]
        );
    }

    #[test]
    fn comments_and_blank_lines() {
        let text = "# c1\n  ! c2\n\n   \t\nk=v # not a comment\n#k=other\n";
        assert_eq!(
            parse(text),
            vec![("k".into(), "v # not a comment".into(), 5)]
        );
        // A comment line ending in a backslash does not continue.
        assert_eq!(kv("# c \\\nk=v"), vec![pair("k", "v")]);
    }

    #[test]
    fn continuations() {
        assert_eq!(
            parse("k=a\\\n   b\\\n\tc\nx=y"),
            vec![("k".into(), "abc".into(), 1), ("x".into(), "y".into(), 4),]
        );
        // An even number of backslashes is an escaped backslash, not a continuation.
        assert_eq!(kv("k=a\\\\\nx=y"), vec![pair("k", "a\\"), pair("x", "y")]);
        // Three: one escaped backslash plus a continuation.
        assert_eq!(kv("k=a\\\\\\\nb"), vec![pair("k", "a\\b")]);
        // '#' at the start of a continuation line is data.
        assert_eq!(kv("k=a\\\n#b"), vec![pair("k", "a#b")]);
        // An empty continuation line ends the logical line.
        assert_eq!(kv("k=a\\\n\nx=y"), vec![pair("k", "a"), pair("x", "y")]);
        // Backslash at end of file is dropped.
        assert_eq!(kv("k=a\\"), vec![pair("k", "a")]);
        // CR and CRLF terminators.
        assert_eq!(
            parse("a=1\r\nb=2\rc=\\\r\n3"),
            vec![
                ("a".into(), "1".into(), 1),
                ("b".into(), "2".into(), 2),
                ("c".into(), "3".into(), 3),
            ]
        );
        // A key split over lines.
        assert_eq!(kv("ti\\\n  ckTime=1"), vec![pair("tickTime", "1")]);
    }

    #[test]
    fn escapes() {
        assert_eq!(kv("a\\=b=c"), vec![pair("a=b", "c")]);
        assert_eq!(kv("a\\:b:c"), vec![pair("a:b", "c")]);
        assert_eq!(kv("a\\ b c"), vec![pair("a b", "c")]);
        assert_eq!(kv("\\#k=v"), vec![pair("#k", "v")]);
        assert_eq!(kv("k=x\\ty"), vec![pair("k", "x\ty")]);
        assert_eq!(kv("k=x\\ny\\rz\\fw"), vec![pair("k", "x\ny\rz\x0cw")]);
        assert_eq!(kv("k=\\q\\\\"), vec![pair("k", "q\\")]);
        assert_eq!(kv("k=\\u0041\\u00e9"), vec![pair("k", "Aé")]);
        assert_eq!(kv("k=\\uD83D\\uDE00"), vec![pair("k", "😀")]);
        assert_eq!(kv("k=\\uD83D"), vec![pair("k", "\u{fffd}")]);
        // Escaped trailing whitespace is trimmed by ZooKeeper afterwards.
        assert_eq!(kv("k=v\\t"), vec![pair("k", "v")]);
        assert_eq!(kv("k=\\ \\ v"), vec![pair("k", "v")]);
    }

    #[test]
    fn malformed_unicode_escape_names_line_and_key() {
        for text in ["x=1\nk=\\u12", "x=1\nk=\\u12zz", "x=1\nk\\uzzzz=1"] {
            let e = Properties::parse(text, "z.cfg").expect_err(text);
            assert_eq!(e.kind(), &ErrorKind::MalformedEscape);
            assert_eq!(e.line(), Some(2));
            assert!(e.key().is_some_and(|k| k.starts_with('k')), "{e}");
        }
    }

    #[test]
    fn later_duplicates_win() {
        let p = Properties::parse("a=1\nb=2\na=3\n", "t").expect("parses");
        assert_eq!(
            p.get("a").map(|e| (e.value.as_str(), e.line)),
            Some(("3", 3))
        );
        assert_eq!(p.len(), 2);
        assert_eq!(
            p.duplicates(),
            &[Duplicate {
                key: "a".into(),
                earlier_line: 1,
                line: 3
            }]
        );
        // Keys are trimmed before comparison.
        let p = Properties::parse("a\\ =1\na=2", "t").expect("parses");
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn values_are_java_trimmed() {
        assert_eq!(
            kv("minSessionTimeout= 4000 \t"),
            vec![pair("minSessionTimeout", "4000")]
        );
        assert_eq!(kv("k=\u{3000}v"), vec![pair("k", "\u{3000}v")]);
    }
}
