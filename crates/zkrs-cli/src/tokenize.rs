//! [`tokenize`]: splits a shell line into arguments as `ZooKeeperMain.MyCommandOptions.parseCommand`
//! does with `\s*([^"']\S*|"[^"]*"|'[^']*')\s*`, then strips one pair of matching quotes.

/// Java's `\s`: space, tab, newline, vertical tab, form feed, carriage return.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r')
}

/// The end (exclusive) of the `\S*` run starting at `from`.
fn non_space_end(chars: &[char], from: usize) -> usize {
    let mut i = from;
    while i < chars.len() && !is_space(chars[i]) {
        i += 1;
    }
    i
}

/// Tries the group `([^"']\S*|"[^"]*"|'[^']*')` at `at`; returns its end.
fn group_at(chars: &[char], at: usize) -> Option<usize> {
    let c = *chars.get(at)?;
    if c == '"' || c == '\'' {
        let close = chars[at + 1..].iter().position(|&d| d == c)?;
        Some(at + 1 + close + 1)
    } else {
        Some(non_space_end(chars, at + 1))
    }
}

/// One `Matcher.find()` from `start`: the group's range and where the next search starts.
fn find(chars: &[char], start: usize) -> Option<((usize, usize), usize)> {
    for s in start..chars.len() {
        // Greedy `\s*`, then backtrack one character at a time.
        let mut e = s;
        while e < chars.len() && is_space(chars[e]) {
            e += 1;
        }
        let mut k = e;
        loop {
            if let Some(end) = group_at(chars, k) {
                let mut next = end;
                while next < chars.len() && is_space(chars[next]) {
                    next += 1;
                }
                return Some(((k, end), next));
            }
            if k == s {
                break;
            }
            k -= 1;
        }
    }
    None
}

/// The arguments of `line`, quotes stripped as `QUOTED_PATTERN` does.
pub fn tokenize(line: &str) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut pos = 0;
    while pos <= chars.len() {
        let Some(((a, b), next)) = find(&chars, pos) else {
            break;
        };
        let mut value: &[char] = &chars[a..b];
        if value.len() >= 2 {
            let q = value[0];
            if (q == '"' || q == '\'') && value[value.len() - 1] == q {
                value = &value[1..value.len() - 1];
            }
        }
        out.push(value.iter().collect());
        if next == pos {
            break;
        }
        pos = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::tokenize;

    #[test]
    fn splits_on_whitespace() {
        assert_eq!(tokenize("ls  -R   /a"), ["ls", "-R", "/a"]);
        assert_eq!(tokenize("  get /x  "), ["get", "/x"]);
        assert!(tokenize("").is_empty());
        // Java's regex backtracks: a blank line is one blank argument.
        assert_eq!(tokenize("   "), [" "]);
    }

    #[test]
    fn quotes_group_and_are_stripped() {
        assert_eq!(
            tokenize("create /a \"hello world\""),
            ["create", "/a", "hello world"]
        );
        assert_eq!(tokenize("set /a 'x y' z"), ["set", "/a", "x y", "z"]);
        assert_eq!(tokenize("set /a \"\""), ["set", "/a", ""]);
        // A quote inside a word does not group.
        assert_eq!(tokenize("set /a x\"y z\""), ["set", "/a", "x\"y", "z\""]);
    }

    #[test]
    fn unterminated_quote_is_skipped_like_java() {
        assert_eq!(tokenize("get \"abc"), ["get", "abc"]);
    }
}
