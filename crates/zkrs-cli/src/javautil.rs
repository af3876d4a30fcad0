//! The few JDK behaviours the config commands' output depends on: `Properties.load`, the
//! iteration order of a `Properties` (a `ConcurrentHashMap`) and of a `HashMap<Long, _>`, and
//! `Integer.parseInt` / `Long.parseLong` with their `NumberFormatException` messages.

/// `java.util.Properties.load`: the `(key, value)` pairs of `text` in the order the keys were
/// first put (a repeated key keeps its first position and takes the last value). Logical
/// lines (a line ending in an odd number of backslashes continues on the next one, whose
/// leading whitespace is dropped), `#`/`!` comments, `=`/`:`/whitespace separators and the
/// `\t \n \r \f \uXXXX` escapes as Java reads them. Err: Java's `IllegalArgumentException`
/// message for a malformed `\u` escape.
pub fn load_properties(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in logical_lines(text) {
        let (key, value) = split_key_value(&line);
        let key = unescape(&key)?;
        let value = unescape(&value)?;
        if let Some(e) = out.iter_mut().find(|(k, _)| *k == key) {
            e.1 = value;
        } else {
            out.push((key, value));
        }
    }
    Ok(out)
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\u{c}')
}

/// `Properties.LineReader`: logical lines, comments and blank lines dropped.
fn logical_lines(text: &str) -> Vec<Vec<char>> {
    let mut lines = Vec::new();
    let mut buf: Vec<char> = Vec::new();
    let mut skip_ws = true; // at the start of a natural line
    let mut new_line = true; // at the start of a logical line (comments are recognized there)
    let mut comment = false;
    let mut appended = false; // a continuation line: a blank one ends the logical line
    let mut backslash = false;
    let mut skip_lf = false;
    for c in text.chars() {
        if skip_lf {
            skip_lf = false;
            if c == '\n' {
                continue;
            }
        }
        if skip_ws {
            if is_ws(c) || (!appended && (c == '\r' || c == '\n')) {
                continue;
            }
            skip_ws = false;
            appended = false;
        }
        if new_line {
            new_line = false;
            if c == '#' || c == '!' {
                comment = true;
                continue;
            }
        }
        if c != '\n' && c != '\r' {
            if !comment {
                buf.push(c);
                backslash = c == '\\' && !backslash;
            }
            continue;
        }
        // The end of a natural line.
        if c == '\r' {
            skip_lf = true;
        }
        if comment || buf.is_empty() {
            comment = false;
            new_line = true;
            skip_ws = true;
            backslash = false;
            buf.clear();
            continue;
        }
        if backslash {
            buf.pop();
            backslash = false;
            skip_ws = true;
            appended = true;
        } else {
            lines.push(std::mem::take(&mut buf));
            new_line = true;
            skip_ws = true;
        }
    }
    if !comment && !buf.is_empty() {
        if backslash {
            buf.pop();
        }
        lines.push(buf);
    }
    lines
}

/// `Properties.load0`: a logical line's raw key and value.
fn split_key_value(line: &[char]) -> (String, String) {
    let mut key_len = 0;
    let mut value_start = line.len();
    let mut has_sep = false;
    let mut backslash = false;
    while key_len < line.len() {
        let c = line[key_len];
        if (c == '=' || c == ':') && !backslash {
            value_start = key_len + 1;
            has_sep = true;
            break;
        } else if is_ws(c) && !backslash {
            value_start = key_len + 1;
            break;
        }
        backslash = c == '\\' && !backslash;
        key_len += 1;
    }
    while value_start < line.len() {
        let c = line[value_start];
        if !is_ws(c) {
            if !has_sep && (c == '=' || c == ':') {
                has_sep = true;
            } else {
                break;
            }
        }
        value_start += 1;
    }
    (
        line[..key_len].iter().collect(),
        line[value_start..].iter().collect(),
    )
}

/// `Properties.loadConvert`.
fn unescape(s: &str) -> Result<String, String> {
    let cs: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        i += 1;
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(&e) = cs.get(i) else {
            // A lone trailing backslash (only after a dropped continuation): kept as Java does
            // not reach it; nothing to add.
            break;
        };
        i += 1;
        match e {
            'u' => {
                let mut v: u32 = 0;
                for _ in 0..4 {
                    let d = cs
                        .get(i)
                        .and_then(|h| h.to_digit(16))
                        .ok_or_else(|| "Malformed \\uxxxx encoding.".to_string())?;
                    v = v * 16 + d;
                    i += 1;
                }
                out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
            }
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'n' => out.push('\n'),
            'f' => out.push('\u{c}'),
            other => out.push(other),
        }
    }
    Ok(out)
}

/// Java's `String.hashCode`.
pub fn string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// The order in which a `new Properties()` (JDK 9+: a `ConcurrentHashMap` created with
/// capacity 8, i.e. a table of 16 bins, doubled whenever the count reaches 3/4 of the table)
/// iterates keys put in the order of `entries`. A bin keeps its keys in insertion order; a
/// resize splits it the way `ConcurrentHashMap.transfer` does (the longest tail that stays
/// together keeps its order, the nodes before it are prepended in reverse).
pub fn properties_order<T: Clone>(entries: &[(String, T)]) -> Vec<(String, T)> {
    let spread = |k: &str| {
        let h = string_hash(k);
        (h ^ ((h as u32) >> 16) as i32) & 0x7fff_ffff
    };
    let mut n: usize = 16;
    let mut size_ctl: usize = 12;
    let mut table: Vec<Vec<(i32, String, T)>> = vec![Vec::new(); n];
    let mut count = 0usize;
    for (k, v) in entries {
        let h = spread(k);
        let bin = &mut table[(h as usize) & (n - 1)];
        if let Some(e) = bin.iter_mut().find(|e| e.1 == *k) {
            e.2 = v.clone();
            continue;
        }
        bin.push((h, k.clone(), v.clone()));
        count += 1;
        if count >= size_ctl {
            let mut next: Vec<Vec<(i32, String, T)>> = vec![Vec::new(); 2 * n];
            for (i, bin) in table.into_iter().enumerate() {
                if bin.is_empty() {
                    continue;
                }
                let bit = |e: &(i32, String, T)| (e.0 as usize) & n != 0;
                // lastRun: the start of the longest suffix whose nodes share the new bit.
                let mut last_run = 0;
                for j in 1..bin.len() {
                    if bit(&bin[j]) != bit(&bin[j - 1]) {
                        last_run = j;
                    }
                }
                let run_high = bit(&bin[last_run]);
                let (mut lo, mut hi): (Vec<_>, Vec<_>) = (Vec::new(), Vec::new());
                if run_high {
                    hi.extend_from_slice(&bin[last_run..]);
                } else {
                    lo.extend_from_slice(&bin[last_run..]);
                }
                for e in &bin[..last_run] {
                    if bit(e) {
                        hi.insert(0, e.clone());
                    } else {
                        lo.insert(0, e.clone());
                    }
                }
                next[i] = lo;
                next[i + n] = hi;
            }
            table = next;
            n *= 2;
            size_ctl = n - n / 4;
        }
    }
    table
        .into_iter()
        .flatten()
        .map(|(_, k, v)| (k, v))
        .collect()
}

/// A `java.util.HashMap<Long, V>` (default capacity): iteration in bin order, insertion order
/// within a bin (preserved by resizes); `put` of a present key replaces its value in place.
#[derive(Debug, Clone)]
pub struct LongHashMap<V> {
    entries: Vec<(i64, V)>,
}

impl<V> Default for LongHashMap<V> {
    fn default() -> Self {
        LongHashMap {
            entries: Vec::new(),
        }
    }
}

impl<V> LongHashMap<V> {
    pub fn put(&mut self, k: i64, v: V) {
        if let Some(e) = self.entries.iter_mut().find(|e| e.0 == k) {
            e.1 = v;
        } else {
            self.entries.push((k, v));
        }
    }

    pub fn get(&self, k: i64) -> Option<&V> {
        self.entries.iter().find(|e| e.0 == k).map(|e| &e.1)
    }

    pub fn contains_key(&self, k: i64) -> bool {
        self.get(k).is_some()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries in the map's iteration order.
    pub fn iter(&self) -> Vec<(i64, &V)> {
        // The table size after inserting everything: 16, doubled while size > 3/4 of it.
        let mut n: usize = 16;
        while self.entries.len() > n * 3 / 4 {
            n *= 2;
        }
        let bin = |k: i64| {
            let h = (k ^ ((k as u64) >> 32) as i64) as i32;
            ((h ^ ((h as u32) >> 16) as i32) as u32 as usize) & (n - 1)
        };
        let mut v: Vec<(usize, usize, i64, &V)> = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, (k, val))| (bin(*k), i, *k, val))
            .collect();
        v.sort_by_key(|e| (e.0, e.1));
        v.into_iter().map(|(_, _, k, val)| (k, val)).collect()
    }
}

fn number_format(s: &str, radix: u32) -> String {
    if radix == 10 {
        format!("For input string: \"{s}\"")
    } else {
        format!("For input string: \"{s}\" under radix {radix}")
    }
}

/// `Long.parseLong(s, radix)`; Err: the `NumberFormatException` message.
pub fn parse_long(s: &str, radix: u32) -> Result<i64, String> {
    let err = || number_format(s, radix);
    let (neg, digits) = match s.chars().next() {
        Some('-') => (true, &s[1..]),
        Some('+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return Err(err());
    }
    let mut v: i128 = 0;
    for c in digits.chars() {
        let d = c.to_digit(radix).ok_or_else(err)?;
        v = v * i128::from(radix) + i128::from(d);
        if v > i128::from(i64::MAX) + 1 {
            return Err(err());
        }
    }
    let v = if neg { -v } else { v };
    i64::try_from(v).map_err(|_| err())
}

/// `Integer.parseInt(s)`; Err: the `NumberFormatException` message.
pub fn parse_int(s: &str) -> Result<i32, String> {
    let v = parse_long(s, 10)?;
    i32::try_from(v).map_err(|_| number_format(s, 10))
}

/// `String.split(regex)` for a literal one-character separator: trailing empty strings are
/// removed (an empty input gives one empty string).
pub fn split(s: &str, sep: char) -> Vec<&str> {
    let mut parts: Vec<&str> = s.split(sep).collect();
    if s.is_empty() {
        return parts;
    }
    while parts.len() > 1 && parts.last() == Some(&"") {
        parts.pop();
    }
    if parts.len() == 1 && parts[0].is_empty() {
        parts.clear();
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_load() {
        let p = load_properties(
            "  # c\n! c2\na=1\nb : 2 \nc 3\nd\\\n   x=4\n\ne\\=f=5\\u0041\\t\nb=6\r\ng = \\\n",
        )
        .unwrap();
        let want = [
            ("a", "1"),
            ("b", "6"),
            ("c", "3"),
            ("dx", "4"),
            ("e=f", "5A\t"),
            ("g", ""),
        ];
        assert_eq!(
            p,
            want.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
        );
        assert!(load_properties("a=\\u00zz").is_err());
    }

    #[test]
    fn parse_numbers() {
        assert_eq!(parse_long("ff", 16), Ok(255));
        assert_eq!(parse_long("+5", 10), Ok(5));
        assert_eq!(
            parse_long("zz", 16),
            Err("For input string: \"zz\" under radix 16".into())
        );
        assert_eq!(parse_long("", 10), Err("For input string: \"\"".into()));
        assert_eq!(parse_long("-", 10), Err("For input string: \"-\"".into()));
        assert_eq!(parse_int("70000"), Ok(70000));
        assert!(parse_int("3000000000").is_err());
        assert_eq!(parse_long("-8000000000000000", 16), Ok(i64::MIN));
        assert!(parse_long("8000000000000000", 16).is_err());
    }

    #[test]
    fn java_split() {
        assert_eq!(split("a;b;", ';'), vec!["a", "b"]);
        assert_eq!(split("", ';'), vec![""]);
        assert_eq!(split(";5", ';'), vec!["", "5"]);
        assert!(split(";;", ';').is_empty());
    }

    #[test]
    fn long_hash_map_order() {
        let mut m = LongHashMap::default();
        for k in [17, 3, 1, 16, 2] {
            m.put(k, ());
        }
        let keys: Vec<i64> = m.iter().into_iter().map(|e| e.0).collect();
        assert_eq!(keys, vec![16, 17, 1, 2, 3]);
    }
}
