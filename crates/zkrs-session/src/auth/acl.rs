//! The ACL algorithm: `ZooKeeperServer.checkACL`, `PrepRequestProcessor.fixupACL`, and the
//! redaction getACL applies without ADMIN.

use zkrs_jute::{Acl, ErrorCode, Id};

#[cfg(test)]
use super::AuthIds;
use super::Provider;

/// `checkACL(acl, perm, ids)`: Ok if `skip_acl`, if the list is empty, if the caller is super,
/// or if an entry granting `perm` is `world:anyone` or matches one of the caller's ids of the
/// same scheme; NOAUTH otherwise.
pub fn check_acl(skip_acl: bool, acl: &[Acl], perm: i32, ids: &[Id]) -> Result<(), ErrorCode> {
    if skip_acl || acl.is_empty() {
        return Ok(());
    }
    if ids.iter().any(|id| id.scheme == "super") {
        return Ok(());
    }
    for a in acl {
        if a.perms & perm == 0 {
            continue;
        }
        if a.id.scheme == "world" && a.id.id == "anyone" {
            return Ok(());
        }
        if let Some(p) = Provider::for_scheme(&a.id.scheme) {
            if ids
                .iter()
                .any(|id| id.scheme == a.id.scheme && p.matches(&id.id, &a.id.id))
            {
                return Ok(());
            }
        }
    }
    Err(ErrorCode::NoAuth)
}

/// `fixupACL`: removes duplicates, expands `auth` entries to the caller's authenticated ids
/// (digest, not ip), and rejects an empty list or an invalid id with INVALIDACL.
pub fn fixup_acl<'i, I>(acl: &[Acl], ids: I) -> Result<Vec<Acl>, ErrorCode>
where
    I: IntoIterator<Item = &'i Id> + Copy,
{
    let mut uniq: Vec<&Acl> = Vec::with_capacity(acl.len());
    for a in acl {
        if !uniq.contains(&a) {
            uniq.push(a);
        }
    }
    if uniq.is_empty() {
        return Err(ErrorCode::InvalidAcl);
    }
    let mut out = Vec::with_capacity(uniq.len());
    for a in uniq {
        if a.id.scheme == "world" && a.id.id == "anyone" {
            out.push(a.clone());
        } else if a.id.scheme == "auth" {
            let mut valid = false;
            for cid in ids {
                if let Some(p) = Provider::for_scheme(&cid.scheme) {
                    if p.is_authenticated() {
                        valid = true;
                        out.push(Acl {
                            perms: a.perms,
                            id: cid.clone(),
                        });
                    }
                }
            }
            if !valid {
                return Err(ErrorCode::InvalidAcl);
            }
        } else {
            match Provider::for_scheme(&a.id.scheme) {
                Some(p) if p.is_valid(&a.id.id) => out.push(a.clone()),
                _ => return Err(ErrorCode::InvalidAcl),
            }
        }
    }
    Ok(out)
}

/// What getACL returns to a caller without ADMIN: every digest id rewritten by
/// `id.replaceAll(":.*", ":x")` (Java's `.` stops at line terminators, so each line of a
/// multi-line id is rewritten from its first `:`).
pub fn redact_digest_ids(acl: &[Acl]) -> Vec<Acl> {
    acl.iter()
        .map(|a| {
            if a.id.scheme == "digest" {
                Acl {
                    perms: a.perms,
                    id: Id {
                        scheme: a.id.scheme.clone(),
                        id: replace_colon_rest(&a.id.id),
                    },
                }
            } else {
                a.clone()
            }
        })
        .collect()
}

fn is_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn replace_colon_rest(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut skipping = false;
    for c in s.chars() {
        if skipping {
            if is_line_terminator(c) {
                skipping = false;
                out.push(c);
            }
        } else if c == ':' {
            out.push_str(":x");
            skipping = true;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use zkrs_jute::perms::{ADMIN, ALL, CREATE, READ, WRITE};

    fn ids(list: &[(&str, &str)]) -> Vec<Id> {
        list.iter().map(|(s, i)| Id::new(*s, *i)).collect()
    }

    #[test]
    fn check_rules() {
        let open = vec![Acl::new(ALL, "world", "anyone")];
        assert_eq!(check_acl(false, &open, WRITE, &[]), Ok(()));
        assert_eq!(check_acl(false, &[], WRITE, &[]), Ok(()));
        let ro = vec![Acl::new(READ, "world", "anyone")];
        assert_eq!(check_acl(false, &ro, WRITE, &[]), Err(ErrorCode::NoAuth));
        assert_eq!(check_acl(true, &ro, WRITE, &[]), Ok(()));
        assert_eq!(check_acl(false, &ro, WRITE, &ids(&[("super", "")])), Ok(()));
        let d = vec![Acl::new(ALL, "digest", "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY=")];
        assert_eq!(
            check_acl(
                false,
                &d,
                ADMIN,
                &ids(&[("digest", "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY=")])
            ),
            Ok(())
        );
        assert_eq!(
            check_acl(false, &d, ADMIN, &ids(&[("ip", "127.0.0.1")])),
            Err(ErrorCode::NoAuth)
        );
        let ip = vec![Acl::new(READ, "ip", "127.0.0.0/8")];
        assert_eq!(
            check_acl(false, &ip, READ, &ids(&[("ip", "127.0.0.1")])),
            Ok(())
        );
        assert_eq!(
            check_acl(false, &ip, CREATE, &ids(&[("ip", "127.0.0.1")])),
            Err(ErrorCode::NoAuth)
        );
        // Scheme must agree: an ip id never matches a digest entry with the same text.
        let odd = vec![Acl::new(ALL, "digest", "127.0.0.1")];
        assert_eq!(
            check_acl(false, &odd, READ, &ids(&[("ip", "127.0.0.1")])),
            Err(ErrorCode::NoAuth)
        );
        // Unknown schemes never match.
        let sasl = vec![Acl::new(ALL, "sasl", "bob")];
        assert_eq!(
            check_acl(false, &sasl, READ, &ids(&[("sasl", "bob")])),
            Err(ErrorCode::NoAuth)
        );
    }

    #[test]
    fn fixup_rules() {
        let mut a = AuthIds::new();
        a.add(Id::new("ip", "127.0.0.1"));
        assert_eq!(fixup_acl(&[], &a), Err(ErrorCode::InvalidAcl));
        assert_eq!(
            fixup_acl(&[Acl::new(ALL, "auth", "")], &a),
            Err(ErrorCode::InvalidAcl)
        );
        assert_eq!(
            fixup_acl(&[Acl::new(ALL, "digest", "nocolon")], &a),
            Err(ErrorCode::InvalidAcl)
        );
        assert_eq!(
            fixup_acl(&[Acl::new(ALL, "world", "someone")], &a),
            Err(ErrorCode::InvalidAcl)
        );
        assert_eq!(
            fixup_acl(&[Acl::new(ALL, "ip", "::1")], &a),
            Err(ErrorCode::InvalidAcl)
        );
        let open = Acl::new(ALL, "world", "anyone");
        assert_eq!(
            fixup_acl(&[open.clone(), open.clone()], &a),
            Ok(vec![open.clone()])
        );
        a.add(Id::new("digest", "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY="));
        assert_eq!(
            fixup_acl(&[Acl::new(ALL, "auth", "")], &a),
            Ok(vec![Acl::new(
                ALL,
                "digest",
                "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY="
            )])
        );
    }

    #[test]
    fn redaction() {
        let acl = vec![
            Acl::new(ALL, "digest", "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY="),
            Acl::new(READ, "ip", "127.0.0.0/8"),
        ];
        let r = redact_digest_ids(&acl);
        assert_eq!(r[0].id.id, "user:x");
        assert_eq!(r[1], acl[1]);
        assert_eq!(replace_colon_rest("a:b\nc:d"), "a:x\nc:x");
        assert_eq!(replace_colon_rest("nocolon"), "nocolon");
    }
}
