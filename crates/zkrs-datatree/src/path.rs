//! Znode path rules (`common/PathUtils.java`) and the special nodes of `DataTree`/`Quotas`.
//!
//! ZooKeeper works on Java strings, so positions in messages count UTF-16 code units and the
//! forbidden character ranges are UTF-16 ranges: every character outside the Basic Multilingual
//! Plane is a surrogate pair (`\uD800-\uDFFF`) and is therefore rejected.

/// `/`.
pub const ROOT: &str = "/";
/// `/zookeeper` (`Quotas.procZookeeper`).
pub const PROC_ZOOKEEPER: &str = "/zookeeper";
/// `/zookeeper/quota` (`Quotas.quotaZookeeper`).
pub const QUOTA_ZOOKEEPER: &str = "/zookeeper/quota";
/// `/zookeeper/config` (`ZooDefs.CONFIG_NODE`).
pub const CONFIG_NODE: &str = "/zookeeper/config";
/// `ZooDefs.ZOOKEEPER_NODE_SUBTREE`: nodes whose path starts with this are left out of the digest.
pub const ZOOKEEPER_NODE_SUBTREE: &str = "/zookeeper/";

/// Checks a znode path as `PathUtils.validatePath(String)` does. The error is ZooKeeper's
/// `IllegalArgumentException` message (the server answers BADARGUMENTS, -8).
pub fn validate_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("Path length must be > 0".to_owned());
    }
    if !path.starts_with('/') {
        return Err("Path must start with / character".to_owned());
    }
    if path.len() == 1 {
        return Ok(());
    }
    if path.ends_with('/') {
        return Err("Path must not end with / character".to_owned());
    }
    let reason = if path.is_ascii() {
        scan(path.as_bytes())
    } else {
        let units: Vec<u16> = path.encode_utf16().collect();
        scan(&units)
    };
    match reason {
        None => Ok(()),
        Some(reason) => Err(format!("Invalid path string \"{path}\" caused by {reason}")),
    }
}

/// `PathUtils.validatePath(path, isSequential)`: a sequential path is checked with a `1` appended
/// (the suffix is not known yet), so `"/a/"` is valid for a sequential create.
pub fn validate_path_sequential(path: &str, sequential: bool) -> Result<(), String> {
    if sequential {
        let mut p = String::with_capacity(path.len() + 1);
        p.push_str(path);
        p.push('1');
        validate_path(&p)
    } else {
        validate_path(path)
    }
}

/// The per-character loop of `validatePath`, over UTF-16 units (or ASCII bytes, which are the
/// same units). Returns the reason of the first violation.
fn scan<T: Copy + Into<u32>>(chars: &[T]) -> Option<String> {
    let at = |i: usize| -> u32 { chars[i].into() };
    let slash = u32::from(b'/');
    let dot = u32::from(b'.');
    let mut lastc = slash;
    let mut i = 1;
    while i < chars.len() {
        let c = at(i);
        if c == 0 {
            return Some(format!("null character not allowed @{i}"));
        } else if c == slash && lastc == slash {
            return Some(format!("empty node name specified @{i}"));
        } else if c == dot && lastc == dot {
            if at(i - 2) == slash && (i + 1 == chars.len() || at(i + 1) == slash) {
                return Some(format!("relative paths not allowed @{i}"));
            }
        } else if c == dot {
            if at(i - 1) == slash && (i + 1 == chars.len() || at(i + 1) == slash) {
                return Some(format!("relative paths not allowed @{i}"));
            }
        } else if (c > 0 && c <= 0x1f)
            || (0x7f..=0x9f).contains(&c)
            || (0xd800..=0xf8ff).contains(&c)
            || (0xfff0..=0xffff).contains(&c)
        {
            return Some(format!("invalid character @{i}"));
        }
        lastc = c;
        i += 1;
    }
    None
}

/// The parent as `DataTree` computes it: everything before the last `/`. The parent of a
/// top-level node (`/a`) and of `/` itself is `""`, which is the root's key in the tree
/// ([`crate::DataTree::node`] accepts both `""` and `"/"`). A string without `/` gives `""`.
pub fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[..i],
        None => "",
    }
}

/// The last segment: everything after the last `/` (the whole string if there is none).
pub fn child_name(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

/// The path a NodeChildrenChanged event for `parent(path)` carries: the root's `""` becomes `"/"`.
pub fn event_path(parent: &str) -> &str {
    if parent.is_empty() {
        ROOT
    } else {
        parent
    }
}

/// `DataTree.isSpecialPath`: `/`, `/zookeeper`, `/zookeeper/quota` and `/zookeeper/config`.
/// delete and setACL of these give BADARGUMENTS (`PrepRequestProcessor`).
pub fn is_special(path: &str) -> bool {
    path == ROOT || path == PROC_ZOOKEEPER || path == QUOTA_ZOOKEEPER || path == CONFIG_NODE
}

/// The length of a Java string: UTF-16 code units (used by `approximateDataSize`).
pub fn java_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().map(char::len_utf16).sum()
    }
}

/// Java's `s.substring(n)` with `n` counted in UTF-16 units. `None` where Java would throw
/// (`n` past the end) or the cut falls inside a surrogate pair.
pub(crate) fn java_substring_from(s: &str, n: usize) -> Option<&str> {
    let mut units = 0;
    for (byte, c) in s.char_indices() {
        if units == n {
            return Some(&s[byte..]);
        }
        if units > n {
            return None;
        }
        units += c.len_utf16();
    }
    if units == n {
        Some("")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(p: &str, reason: &str) -> Result<(), String> {
        Err(format!("Invalid path string \"{p}\" caused by {reason}"))
    }

    #[test]
    fn valid_paths() {
        for p in [
            "/",
            "/a",
            "/a/b",
            "/a.b",
            "/...",
            "/a/...",
            "/a..",
            "/..a",
            "/.a",
            "/a.",
            "/ ",
            "/é",
            "/zookeeper",
        ] {
            assert_eq!(validate_path(p), Ok(()), "{p}");
        }
    }

    #[test]
    fn structural_rules() {
        assert_eq!(validate_path(""), Err("Path length must be > 0".into()));
        assert_eq!(
            validate_path("a"),
            Err("Path must start with / character".into())
        );
        assert_eq!(
            validate_path("/a/"),
            Err("Path must not end with / character".into())
        );
        assert_eq!(
            validate_path("//a"),
            msg("//a", "empty node name specified @1")
        );
        assert_eq!(
            validate_path("/a//b"),
            msg("/a//b", "empty node name specified @3")
        );
    }

    #[test]
    fn relative_segments() {
        assert_eq!(
            validate_path("/."),
            msg("/.", "relative paths not allowed @1")
        );
        assert_eq!(
            validate_path("/.."),
            msg("/..", "relative paths not allowed @2")
        );
        assert_eq!(
            validate_path("/a/./b"),
            msg("/a/./b", "relative paths not allowed @3")
        );
        assert_eq!(
            validate_path("/a/../b"),
            msg("/a/../b", "relative paths not allowed @4")
        );
        assert_eq!(
            validate_path("/a/.."),
            msg("/a/..", "relative paths not allowed @4")
        );
    }

    #[test]
    fn characters() {
        assert_eq!(
            validate_path("/a\u{0}b"),
            msg("/a\u{0}b", "null character not allowed @2")
        );
        assert_eq!(
            validate_path("/a\u{1}"),
            msg("/a\u{1}", "invalid character @2")
        );
        assert_eq!(
            validate_path("/\u{1f}"),
            msg("/\u{1f}", "invalid character @1")
        );
        assert_eq!(
            validate_path("/\u{7f}"),
            msg("/\u{7f}", "invalid character @1")
        );
        assert_eq!(
            validate_path("/x\u{9f}"),
            msg("/x\u{9f}", "invalid character @2")
        );
        assert_eq!(validate_path("/\u{a0}"), Ok(()));
        assert_eq!(
            validate_path("/\u{e000}"),
            msg("/\u{e000}", "invalid character @1")
        );
        assert_eq!(validate_path("/\u{f900}"), Ok(()));
        assert_eq!(
            validate_path("/\u{fff0}"),
            msg("/\u{fff0}", "invalid character @1")
        );
        // Outside the BMP: a surrogate pair, rejected at its first unit; positions are UTF-16.
        assert_eq!(validate_path("/é😀"), msg("/é😀", "invalid character @2"));
        assert_eq!(
            validate_path("/😀/\u{1}"),
            msg("/😀/\u{1}", "invalid character @1")
        );
        assert_eq!(
            validate_path("/ab/\u{e9}\u{1}"),
            msg("/ab/\u{e9}\u{1}", "invalid character @5")
        );
    }

    #[test]
    fn sequential_appends_one() {
        assert_eq!(validate_path_sequential("/a/", true), Ok(()));
        assert!(validate_path_sequential("/a/", false).is_err());
        assert_eq!(
            validate_path_sequential("/a//", true),
            msg("/a//1", "empty node name specified @3")
        );
    }

    #[test]
    fn parents_and_names() {
        assert_eq!(parent("/a"), "");
        assert_eq!(parent("/a/b"), "/a");
        assert_eq!(parent("/"), "");
        assert_eq!(parent("abc"), "");
        assert_eq!(child_name("/a/b"), "b");
        assert_eq!(child_name("/a"), "a");
        assert_eq!(event_path(""), "/");
        assert_eq!(event_path("/a"), "/a");
    }

    #[test]
    fn special_paths() {
        for p in ["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"] {
            assert!(is_special(p), "{p}");
        }
        for p in ["", "/a", "/zookeeper/quota/a", "/zookeeper/"] {
            assert!(!is_special(p), "{p}");
        }
    }

    #[test]
    fn java_strings() {
        assert_eq!(java_len("/abc"), 4);
        assert_eq!(java_len("/é"), 2);
        assert_eq!(java_len("/😀"), 3);
        assert_eq!(java_substring_from("/zookeeper/quota/a", 16), Some("/a"));
        assert_eq!(java_substring_from("/zookeeper/quota", 16), Some(""));
        assert_eq!(java_substring_from("/zookeeper", 16), None);
        assert_eq!(java_substring_from("/😀b", 2), None);
        assert_eq!(java_substring_from("/😀b", 3), Some("b"));
    }
}
