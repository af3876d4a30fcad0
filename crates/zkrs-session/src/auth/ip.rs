//! `IPAuthenticationProvider` as shipped in ZooKeeper 3.8: IPv4 only (`a.b.c.d` or
//! `a.b.c.d/bits`). IPv6 ACL ids are invalid and an IPv6 client address never matches; 3.9.3
//! added IPv6.

use std::net::IpAddr;

/// `v4addr2Bytes`: four decimal parts (Java `Integer.parseInt`, so `+1` and leading zeros are
/// accepted), each 0..=255.
fn v4_bytes(addr: &str) -> Option<[u8; 4]> {
    let parts: Vec<&str> = addr.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut b = [0u8; 4];
    for (i, p) in parts.iter().enumerate() {
        let v: i32 = p.parse().ok()?;
        if !(0..=255).contains(&v) {
            return None;
        }
        b[i] = v as u8;
    }
    Some(b)
}

fn mask(b: &mut [u8; 4], bits: usize) {
    let mut start = bits / 8;
    let mut start_mask: i32 = !((1 << (8 - (bits % 8))) - 1);
    while start < b.len() {
        b[start] &= start_mask as u8;
        start_mask = 0;
        start += 1;
    }
}

/// Splits `addr[/bits]` and checks the mask length.
fn parse_expr(expr: &str) -> Option<([u8; 4], usize)> {
    let mut it = expr.splitn(2, '/');
    let addr = v4_bytes(it.next().unwrap_or(""))?;
    let bits = match it.next() {
        None => 32,
        Some(b) => {
            let n: i32 = b.parse().ok()?;
            if !(0..=32).contains(&n) {
                return None;
            }
            n as usize
        }
    };
    Some((addr, bits))
}

/// `matches(id, aclExpr)`: the client address and the ACL address agree on the masked bits.
pub fn matches(id: &str, acl_expr: &str) -> bool {
    let Some((mut acl, bits)) = parse_expr(acl_expr) else {
        return false;
    };
    let Some(mut remote) = v4_bytes(id) else {
        return false;
    };
    mask(&mut acl, bits);
    mask(&mut remote, bits);
    acl == remote
}

/// `isValid(id)`.
pub fn is_valid(id: &str) -> bool {
    parse_expr(id).is_some()
}

/// `InetAddress.getHostAddress()` for a client address: dotted quad for IPv4 (and IPv4-mapped
/// IPv6, which the JVM turns into `Inet4Address`), eight uncompressed lower-case hex groups for
/// IPv6.
pub fn java_host_address(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => v6
                .segments()
                .iter()
                .map(|s| format!("{s:x}"))
                .collect::<Vec<_>>()
                .join(":"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_and_cidr() {
        assert!(matches("127.0.0.1", "127.0.0.1"));
        assert!(!matches("127.0.0.2", "127.0.0.1"));
        assert!(matches("127.0.0.1", "127.0.0.0/8"));
        assert!(matches("127.255.3.4", "127.0.0.0/8"));
        assert!(!matches("128.0.0.1", "127.0.0.0/8"));
        assert!(matches("10.1.2.3", "10.1.0.0/16"));
        assert!(!matches("10.2.2.3", "10.1.0.0/16"));
        assert!(matches("192.168.1.130", "192.168.1.128/25"));
        assert!(!matches("192.168.1.127", "192.168.1.128/25"));
        assert!(matches("1.2.3.4", "9.9.9.9/0"));
        assert!(!matches("1.2.3.4", "1.2.3.4/33"));
        assert!(!matches("1.2.3.4", "1.2.3.4/"));
        assert!(!matches("1.2.3.4", "1.2.3"));
    }

    #[test]
    fn ipv6_never_matches() {
        assert!(!matches("0:0:0:0:0:0:0:1", "127.0.0.1"));
        assert!(!matches("127.0.0.1", "::1"));
        assert!(!is_valid("::1"));
        assert!(!is_valid("0:0:0:0:0:0:0:1/128"));
    }

    #[test]
    fn validity() {
        assert!(is_valid("10.0.0.1"));
        assert!(is_valid("10.0.0.0/8"));
        assert!(is_valid("010.0.0.+1"));
        assert!(!is_valid("10.0.0.256"));
        assert!(!is_valid("10.0.0.0/40"));
        assert!(!is_valid("10.0.0.0/-1"));
        assert!(!is_valid("localhost"));
        assert!(!is_valid(""));
    }

    #[test]
    fn host_address() {
        assert_eq!(java_host_address("127.0.0.1".parse().unwrap()), "127.0.0.1");
        assert_eq!(java_host_address("::1".parse().unwrap()), "0:0:0:0:0:0:0:1");
        assert_eq!(
            java_host_address("::ffff:10.0.0.1".parse().unwrap()),
            "10.0.0.1"
        );
        assert_eq!(
            java_host_address("fe80::1:abcd".parse().unwrap()),
            "fe80:0:0:0:0:0:1:abcd"
        );
    }
}
