//! `DigestAuthenticationProvider`: `user:password` credentials, stored as
//! `user:base64(sha1("user:password"))`.

use base64::Engine as _;

/// `generateDigest("user:password")`: the part before the first `:`, a `:`, and the padded
/// base64 of the SHA-1 of the whole string.
pub fn generate_digest(id_password: &str) -> String {
    let user = id_password.split(':').next().unwrap_or("");
    let sha = sha1_smol::Sha1::from(id_password.as_bytes())
        .digest()
        .bytes();
    let b64 = base64::engine::general_purpose::STANDARD.encode(sha);
    format!("{user}:{b64}")
}

/// Java's `s.split(":")`: splits on every `:` and drops trailing empty strings (an empty input
/// gives one empty string).
fn java_split_colon(s: &str) -> Vec<&str> {
    if s.is_empty() {
        return vec![""];
    }
    let mut parts: Vec<&str> = s.split(':').collect();
    while parts.last() == Some(&"") {
        parts.pop();
    }
    parts
}

/// `isValid(id)`: `id.split(":").length == 2`.
pub fn is_valid(id: &str) -> bool {
    java_split_colon(id).len() == 2
}

/// `getUserName(id)`: `id.split(":")[0]`.
pub fn user_name(id: &str) -> String {
    java_split_colon(id)
        .first()
        .copied()
        .unwrap_or("")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors() {
        // Reference appendix A (JVM).
        assert_eq!(
            generate_digest("user:password"),
            "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY="
        );
        assert_eq!(
            generate_digest("bob:bob"),
            "bob:X1SKGw3XQQSIPMZRf5lW7e07VPY="
        );
        assert_eq!(
            generate_digest("super:secret"),
            "super:lK75jTNcA+U9vtVEw5vB51mj/w4="
        );
    }

    #[test]
    fn validity() {
        assert!(is_valid("user:abc"));
        assert!(is_valid(":abc"));
        assert!(is_valid("user:abc:"));
        assert!(!is_valid("user"));
        assert!(!is_valid("user:"));
        assert!(!is_valid("a:b:c"));
        assert!(!is_valid(""));
        assert!(!is_valid(":"));
    }

    #[test]
    fn user_names() {
        assert_eq!(user_name("user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY="), "user");
        assert_eq!(user_name(":x"), "");
        assert_eq!(user_name("nocolon"), "nocolon");
    }
}
