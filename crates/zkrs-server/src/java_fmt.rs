//! Java's `toString` shapes, so four-letter-word output matches ZooKeeper byte for byte.

use std::net::{IpAddr, SocketAddr};

/// `Double.toString(v)`: `0.0`, `1.0238`, `1.0E7`, `1.0E-4` (zkrs-metrics' `java_double`).
pub fn double(v: f64) -> String {
    zkrs_metrics::java_double(v)
}

/// `Long.toHexString(v)`: lowercase, no padding, two's complement for negative values.
pub fn hex(v: i64) -> String {
    format!("{:x}", v as u64)
}

/// `InetSocketAddress.toString()` for an address without a host name: `/127.0.0.1:37850`.
/// IPv4-mapped IPv6 addresses print as IPv4 (Java turns them into `Inet4Address`), and IPv6
/// addresses in Java's uncompressed form `/0:0:0:0:0:0:0:1:2181`.
pub fn socket_addr(addr: SocketAddr) -> String {
    format!("/{}:{}", ip(addr.ip()), addr.port())
}

/// `InetSocketAddress.toString()` of a listening address: the wildcard prints as
/// `0.0.0.0/0.0.0.0:2181` (`new InetSocketAddress(port)`), others as [`socket_addr`].
pub fn listen_addr(addr: SocketAddr) -> String {
    match addr.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => format!("0.0.0.0/0.0.0.0:{}", addr.port()),
        _ => socket_addr(addr),
    }
}

/// `InetAddress.getHostAddress()`; the session layer's rendering, so `cons` and ACL ids agree.
pub fn ip(ip: IpAddr) -> String {
    zkrs_session::auth::ip::java_host_address(ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_like_java() {
        assert_eq!(double(0.0), "0.0");
        assert_eq!(double(1.0), "1.0");
        assert_eq!(double(1.0238), "1.0238");
        assert_eq!(double(75.25), "75.25");
        assert_eq!(double(0.0714), "0.0714");
        assert_eq!(double(1e7), "1.0E7");
        assert_eq!(double(1.5e-4), "1.5E-4");
    }

    #[test]
    fn hex_like_java() {
        assert_eq!(hex(0x1000006b4b70003), "1000006b4b70003");
        assert_eq!(hex(0), "0");
        assert_eq!(hex(-1), "ffffffffffffffff");
    }

    #[test]
    fn socket_addrs_like_java() {
        let a: SocketAddr = "127.0.0.1:37850".parse().expect("addr");
        assert_eq!(socket_addr(a), "/127.0.0.1:37850");
        let a: SocketAddr = "[::1]:2181".parse().expect("addr");
        assert_eq!(socket_addr(a), "/0:0:0:0:0:0:0:1:2181");
        let a: SocketAddr = "[::ffff:10.0.0.1]:5"
            .parse()
            .unwrap_or_else(|_| unreachable!());
        assert_eq!(socket_addr(a), "/10.0.0.1:5");
        let a: SocketAddr = "0.0.0.0:2181".parse().unwrap_or_else(|_| unreachable!());
        assert_eq!(listen_addr(a), "0.0.0.0/0.0.0.0:2181");
        let a: SocketAddr = "127.0.0.2:2181".parse().unwrap_or_else(|_| unreachable!());
        assert_eq!(listen_addr(a), "/127.0.0.2:2181");
    }
}
