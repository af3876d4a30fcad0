//! [`InitialMessage`]: the first bytes the initiator of an election-port connection sends
//! (`QuorumCnxManager.startConnection`, parsed by `InitialMessage.parse` and
//! `handleConnection`).
//!
//! ```text
//! long protocolVersion   // -65536 (V1, 3.5+) or -65535 (V2, 3.6+, multiAddress.enabled)
//! long sid               // the initiator's server id
//! int  len               // 0 < len <= 2048
//! byte[len]              // UTF-8 "host:port" (V1) or "h1:p1|h2:p2|..." (V2)
//! ```
//!
//! A first long that is `>= 0` is the pre-3.5 handshake: that long is the sid and nothing
//! follows. Observed from 3.8.0: `ffffffffffff0000 0000000000000003 0000000f
//! 3132372e302e302e313a3433383930` (V1, sid 3, "127.0.0.1:43890").
//!
//! Decoding follows ZooKeeper's receiver: both versions split the text on `|` with Java's
//! `String.split` (trailing empty parts vanish), each part is split like
//! `ConfigUtils.getHostAndPort` (a leading `[` starts an IPv6 literal; the character after
//! `]` is skipped whatever it is) and must give exactly a host and a port, the port is
//! `Integer.parseInt` in 0..=65535, and wildcard IP literals (`0.0.0.0`, `::`) are left out
//! of the list. Bytes that are not UTF-8 are replaced (`new String(b, UTF_8)`).
//!
//! Differences from Java, all stricter or equal: a port outside 0..=65535 is an error here
//! (Java throws an unchecked exception that ends its listener thread); only ASCII digits are
//! accepted in a port (Java's `parseInt` also takes other Unicode digits); a host is
//! recognised as a wildcard only when it is an IP literal (Java resolves it).

use std::fmt;

use zkrs_config::HostPort;

/// `QuorumCnxManager.PROTOCOL_VERSION_V1`: one election address.
pub const PROTOCOL_VERSION_V1: i64 = -65536;
/// `QuorumCnxManager.PROTOCOL_VERSION_V2`: `|`-separated election addresses (multiAddress).
pub const PROTOCOL_VERSION_V2: i64 = -65535;
/// `QuorumCnxManager.maxBuffer`: the longest address text a receiver accepts, in bytes.
pub const MAX_ADDRESS_LEN_BYTES: usize = 2048;
/// `QuorumPeer.OBSERVER_ID` (`Long.MAX_VALUE`): the sid of an anonymous observer; the
/// receiver gives such a peer a fresh negative id of its own.
pub const OBSERVER_ID: i64 = i64::MAX;
/// The longest V1/V2 handshake: two longs, an int and the longest address text.
pub const MAX_ENCODED_LEN_BYTES: usize = HEADER_LEN_BYTES + MAX_ADDRESS_LEN_BYTES;

/// Protocol version, sid and address length.
const HEADER_LEN_BYTES: usize = 8 + 8 + 4;

/// Which handshake the initiator used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProtocolVersion {
    /// Pre-3.5: the first (non-negative) long is the sid, and nothing follows.
    Legacy,
    /// `-65536`: one election address.
    V1,
    /// `-65535`: every election address of the server, `|`-separated.
    V2,
}

impl ProtocolVersion {
    /// The value on the wire (`None` for [`ProtocolVersion::Legacy`], which has none).
    pub fn wire_value(self) -> Option<i64> {
        match self {
            ProtocolVersion::Legacy => None,
            ProtocolVersion::V1 => Some(PROTOCOL_VERSION_V1),
            ProtocolVersion::V2 => Some(PROTOCOL_VERSION_V2),
        }
    }
}

/// The first message of an election connection: who is connecting and where it listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitialMessage {
    /// The handshake used.
    pub protocol_version: ProtocolVersion,
    /// The initiator's server id as sent ([`OBSERVER_ID`] for an anonymous observer).
    pub sid: i64,
    /// The initiator's election addresses (none for [`ProtocolVersion::Legacy`]; wildcard IP
    /// literals are left out when decoding, so the list may be empty for V1/V2 too).
    pub addresses: Vec<HostPort>,
}

/// Why a handshake was refused; the receiver closes the connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InitialMessageError {
    /// A negative first long that is neither V1 nor V2.
    #[error("unrecognized protocol version {0}")]
    UnknownProtocolVersion(i64),
    /// The address length is not in 1..=2048.
    #[error("unreasonable address length {0} (must be 1..=2048)")]
    BadAddressLength(i32),
    /// An address is not `host:port` (or `[ipv6]:port`).
    #[error("badly formed address {0:?}")]
    BadlyFormedAddress(String),
    /// A port that is not a number in 0..=65535.
    #[error("bad port number {0:?}")]
    BadPort(String),
}

impl InitialMessage {
    /// A V1 handshake advertising one election address (what ZooKeeper sends unless
    /// `multiAddress.enabled`).
    pub fn v1(sid: i64, address: HostPort) -> InitialMessage {
        InitialMessage {
            protocol_version: ProtocolVersion::V1,
            sid,
            addresses: vec![address],
        }
    }

    /// A V2 handshake advertising every election address.
    pub fn v2(sid: i64, addresses: Vec<HostPort>) -> InitialMessage {
        InitialMessage {
            protocol_version: ProtocolVersion::V2,
            sid,
            addresses,
        }
    }

    /// The pre-3.5 handshake: the sid alone.
    pub fn legacy(sid: i64) -> InitialMessage {
        InitialMessage {
            protocol_version: ProtocolVersion::Legacy,
            sid,
            addresses: Vec::new(),
        }
    }

    /// Whether the initiator is an anonymous observer (sid [`OBSERVER_ID`]).
    pub fn is_anonymous_observer(&self) -> bool {
        self.sid == OBSERVER_ID
    }

    /// The address text as sent: `host:port` items joined by `|`, IPv6 hosts in brackets
    /// (`NetUtils.formatInetAddr`).
    pub fn address_text(&self) -> String {
        let items: Vec<String> = self.addresses.iter().map(HostPort::to_string).collect();
        items.join("|")
    }

    /// The bytes on the wire. Legacy is the sid alone; V1 and V2 write every address in
    /// [`InitialMessage::addresses`]. Nothing is checked here: a receiver refuses an empty
    /// address text or one longer than [`MAX_ADDRESS_LEN_BYTES`], as ZooKeeper's does.
    pub fn encode(&self) -> Vec<u8> {
        let Some(version) = self.protocol_version.wire_value() else {
            return self.sid.to_be_bytes().to_vec();
        };
        let text = self.address_text();
        let text_len = i32::try_from(text.len()).unwrap_or(i32::MAX);
        let mut out = Vec::with_capacity(HEADER_LEN_BYTES + text.len());
        out.extend_from_slice(&version.to_be_bytes());
        out.extend_from_slice(&self.sid.to_be_bytes());
        out.extend_from_slice(&text_len.to_be_bytes());
        out.extend_from_slice(text.as_bytes());
        out
    }

    /// Decodes a handshake from the start of `buf`.
    ///
    /// `Ok(None)`: more bytes are needed (at most [`MAX_ENCODED_LEN_BYTES`] in all).
    /// `Ok(Some((message, consumed)))`: the bytes after `consumed` belong to the framed
    /// messages that follow. A bad version or length is reported as soon as its bytes are
    /// in, before the rest arrives.
    pub fn decode(buf: &[u8]) -> Result<Option<(InitialMessage, usize)>, InitialMessageError> {
        let Some(first) = read_i64(buf, 0) else {
            return Ok(None);
        };
        if first >= 0 {
            return Ok(Some((InitialMessage::legacy(first), 8)));
        }
        let protocol_version = match first {
            PROTOCOL_VERSION_V1 => ProtocolVersion::V1,
            PROTOCOL_VERSION_V2 => ProtocolVersion::V2,
            other => return Err(InitialMessageError::UnknownProtocolVersion(other)),
        };
        let (Some(sid), Some(len)) = (read_i64(buf, 8), read_i32(buf, 16)) else {
            return Ok(None);
        };
        let text_len = match usize::try_from(len) {
            Ok(n) if (1..=MAX_ADDRESS_LEN_BYTES).contains(&n) => n,
            _ => return Err(InitialMessageError::BadAddressLength(len)),
        };
        let end = HEADER_LEN_BYTES + text_len;
        let Some(text) = buf.get(HEADER_LEN_BYTES..end) else {
            return Ok(None);
        };
        let text = String::from_utf8_lossy(text);
        let mut addresses = Vec::new();
        for item in java_split(&text, '|') {
            let parts = host_and_port(item)?;
            let [host, port] = parts.as_slice() else {
                return Err(InitialMessageError::BadlyFormedAddress(item.to_owned()));
            };
            let port =
                parse_port(port).ok_or_else(|| InitialMessageError::BadPort(port.clone()))?;
            let address = HostPort::new(host.clone(), port);
            if !address.is_wildcard() {
                addresses.push(address);
            }
        }
        let message = InitialMessage {
            protocol_version,
            sid,
            addresses,
        };
        Ok(Some((message, end)))
    }
}

impl fmt::Display for InitialMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "InitialMessage{{sid={}, electionAddr=[{}]}}",
            self.sid,
            self.addresses
                .iter()
                .map(HostPort::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

fn read_i64(buf: &[u8], at: usize) -> Option<i64> {
    let bytes: [u8; 8] = buf.get(at..at + 8)?.try_into().ok()?;
    Some(i64::from_be_bytes(bytes))
}

fn read_i32(buf: &[u8], at: usize) -> Option<i32> {
    let bytes: [u8; 4] = buf.get(at..at + 4)?.try_into().ok()?;
    Some(i32::from_be_bytes(bytes))
}

/// Java's `String.split` on a one-character separator with limit 0: no separator gives the
/// whole string; otherwise trailing empty parts are removed (possibly all of them).
fn java_split(s: &str, separator: char) -> Vec<&str> {
    if !s.contains(separator) {
        return vec![s];
    }
    let mut parts: Vec<&str> = s.split(separator).collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

/// `ConfigUtils.getHostAndPort`: `[v6]?port...` or a plain split on `:`.
fn host_and_port(s: &str) -> Result<Vec<String>, InitialMessageError> {
    let bad = || InitialMessageError::BadlyFormedAddress(s.to_owned());
    if !s.starts_with('[') {
        return Ok(java_split(s, ':').into_iter().map(str::to_owned).collect());
    }
    let close = s.find(']').ok_or_else(bad)?;
    let mut after_close = s[close + 1..].chars();
    if after_close.next().is_none() {
        // "[...]" with nothing after it: Java strips the brackets, leaving no port.
        return Err(bad());
    }
    let ports = after_close.as_str();
    if ports.is_empty() {
        return Err(bad());
    }
    let mut parts = vec![s[1..close].to_owned()];
    parts.extend(java_split(ports, ':').into_iter().map(str::to_owned));
    Ok(parts)
}

/// `Integer.parseInt` (ASCII digits, optional sign) restricted to a valid port.
fn parse_port(s: &str) -> Option<u16> {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if digits.is_empty() || digits.len() > 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: u64 = digits.parse().ok()?;
    if negative && value != 0 {
        return None;
    }
    u16::try_from(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The V1 handshake 3.8.0 sent (captures/fake3_out.txt).
    const CAPTURED: &str = "ffffffffffff000000000000000000030000000f3132372e302e302e313a3433383930";

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn header(version: i64, sid: i64, len: i32) -> Vec<u8> {
        let mut out = version.to_be_bytes().to_vec();
        out.extend_from_slice(&sid.to_be_bytes());
        out.extend_from_slice(&len.to_be_bytes());
        out
    }

    fn with_text(version: i64, sid: i64, text: &str) -> Vec<u8> {
        let mut out = header(version, sid, text.len() as i32);
        out.extend_from_slice(text.as_bytes());
        out
    }

    fn decoded(bytes: &[u8]) -> InitialMessage {
        let (message, consumed) = InitialMessage::decode(bytes).unwrap().unwrap();
        assert_eq!(consumed, bytes.len());
        message
    }

    #[test]
    fn initial_message_captured_v1_decodes() {
        let bytes = hex(CAPTURED);
        let message = decoded(&bytes);
        assert_eq!(message.protocol_version, ProtocolVersion::V1);
        assert_eq!(message.sid, 3);
        assert_eq!(message.addresses, vec![HostPort::new("127.0.0.1", 43890)]);
        assert_eq!(message.encode(), bytes);
        assert_eq!(
            InitialMessage::v1(3, HostPort::new("127.0.0.1", 43890)).encode(),
            bytes
        );
    }

    #[test]
    fn initial_message_every_prefix_needs_more() {
        let bytes = hex(CAPTURED);
        for n in 0..bytes.len() {
            assert_eq!(InitialMessage::decode(&bytes[..n]), Ok(None), "prefix {n}");
        }
    }

    #[test]
    fn initial_message_trailing_bytes_are_not_consumed() {
        let mut bytes = hex(CAPTURED);
        let len = bytes.len();
        bytes.extend_from_slice(&[0, 0, 0, 4, 1, 2, 3, 4]);
        let (_, consumed) = InitialMessage::decode(&bytes).unwrap().unwrap();
        assert_eq!(consumed, len);
    }

    #[test]
    fn initial_message_v2_round_trip_with_ipv6() {
        let message = InitialMessage::v2(
            7,
            vec![
                HostPort::new("10.0.0.1", 3888),
                HostPort::new("::1", 3889),
                HostPort::new("zk7.example", 3890),
            ],
        );
        let bytes = message.encode();
        assert_eq!(&bytes[..8], &PROTOCOL_VERSION_V2.to_be_bytes());
        assert_eq!(
            &bytes[HEADER_LEN_BYTES..],
            b"10.0.0.1:3888|[::1]:3889|zk7.example:3890"
        );
        assert_eq!(decoded(&bytes), message);
    }

    #[test]
    fn initial_message_legacy_first_long_is_the_sid() {
        let bytes = 5i64.to_be_bytes();
        assert_eq!(decoded(&bytes), InitialMessage::legacy(5));
        assert_eq!(InitialMessage::legacy(5).encode(), bytes.to_vec());
        assert_eq!(decoded(&0i64.to_be_bytes()).sid, 0);
    }

    #[test]
    fn initial_message_observer_id() {
        let message = decoded(&with_text(PROTOCOL_VERSION_V1, OBSERVER_ID, "h:1"));
        assert!(message.is_anonymous_observer());
        assert!(decoded(&OBSERVER_ID.to_be_bytes()).is_anonymous_observer());
        assert!(!InitialMessage::legacy(1).is_anonymous_observer());
    }

    #[test]
    fn initial_message_unknown_negative_version_is_refused_early() {
        for version in [-1i64, -65537, -65534, i64::MIN] {
            assert_eq!(
                InitialMessage::decode(&version.to_be_bytes()),
                Err(InitialMessageError::UnknownProtocolVersion(version))
            );
        }
    }

    #[test]
    fn initial_message_length_limits() {
        for len in [0, -1, 2049, i32::MAX, i32::MIN] {
            assert_eq!(
                InitialMessage::decode(&header(PROTOCOL_VERSION_V1, 1, len)),
                Err(InitialMessageError::BadAddressLength(len)),
                "len {len}"
            );
        }
        let host = "a".repeat(2048 - 5);
        let message = decoded(&with_text(PROTOCOL_VERSION_V2, 1, &format!("{host}:3888")));
        assert_eq!(message.addresses, vec![HostPort::new(host, 3888)]);
        // 2048 bytes announced but only the header sent: wait, not fail.
        assert_eq!(
            InitialMessage::decode(&header(PROTOCOL_VERSION_V1, 1, 2048)),
            Ok(None)
        );
    }

    #[test]
    fn initial_message_badly_formed_addresses() {
        let bad = |text: &str| InitialMessage::decode(&with_text(PROTOCOL_VERSION_V2, 1, text));
        for text in [
            "host", "host:", "a:b:c", "[::1]", "[::1]:", "[::1", "h:1||h:2", "|h:1",
        ] {
            assert!(
                matches!(bad(text), Err(InitialMessageError::BadlyFormedAddress(_))),
                "{text}: {:?}",
                bad(text)
            );
        }
        for text in ["h:x", "h:65536", "h:-1", "h:+", "h:99999999999", "[::1]:p"] {
            assert!(
                matches!(bad(text), Err(InitialMessageError::BadPort(_))),
                "{text}: {:?}",
                bad(text)
            );
        }
    }

    #[test]
    fn initial_message_java_split_quirks() {
        let addrs = |text: &str| decoded(&with_text(PROTOCOL_VERSION_V1, 1, text)).addresses;
        // Trailing empty parts vanish, as with Java's String.split.
        assert_eq!(addrs("h:1|"), vec![HostPort::new("h", 1)]);
        assert_eq!(addrs("h:1:"), vec![HostPort::new("h", 1)]);
        assert_eq!(addrs("|"), vec![]);
        // V1 is split on '|' too (ZooKeeper's parser does not look at the version).
        assert_eq!(addrs("a:1|b:2").len(), 2);
        // The character after ']' is skipped whatever it is.
        assert_eq!(
            addrs("[fe80::1]x2888"),
            vec![HostPort::new("fe80::1", 2888)]
        );
        assert_eq!(addrs("h:+80"), vec![HostPort::new("h", 80)]);
        assert_eq!(addrs("h:0"), vec![HostPort::new("h", 0)]);
    }

    #[test]
    fn initial_message_wildcards_are_left_out() {
        let message = decoded(&with_text(PROTOCOL_VERSION_V2, 2, "0.0.0.0:1|[::]:2|h:3"));
        assert_eq!(message.addresses, vec![HostPort::new("h", 3)]);
    }

    #[test]
    fn initial_message_invalid_utf8_is_replaced() {
        let mut bytes = header(PROTOCOL_VERSION_V1, 1, 4);
        bytes.extend_from_slice(&[0xff, b':', b'1', b'2']);
        assert_eq!(
            decoded(&bytes).addresses,
            vec![HostPort::new("\u{fffd}", 12)]
        );
    }

    #[test]
    fn initial_message_display() {
        let message = InitialMessage::v2(4, vec![HostPort::new("::1", 1), HostPort::new("h", 2)]);
        assert_eq!(
            message.to_string(),
            "InitialMessage{sid=4, electionAddr=[[::1]:1, h:2]}"
        );
    }

    fn host() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z][a-z0-9.-]{0,20}",
            any::<[u8; 4]>().prop_map(|b| format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3].max(1))),
            Just("::1".to_owned()),
            Just("fe80::1:2".to_owned()),
        ]
    }

    proptest! {
        #[test]
        fn initial_message_decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = InitialMessage::decode(&bytes);
        }

        #[test]
        fn initial_message_decode_garbage_after_valid_header(
            version in prop_oneof![Just(PROTOCOL_VERSION_V1), Just(PROTOCOL_VERSION_V2)],
            sid in any::<i64>(),
            body in proptest::collection::vec(any::<u8>(), 1..200),
        ) {
            let mut bytes = header(version, sid, body.len() as i32);
            bytes.extend_from_slice(&body);
            if let Ok(Some((message, consumed))) = InitialMessage::decode(&bytes) {
                prop_assert_eq!(consumed, bytes.len());
                prop_assert_eq!(message.sid, sid);
            }
            for n in 0..bytes.len() {
                prop_assert!(!matches!(InitialMessage::decode(&bytes[..n]), Ok(Some(_))));
            }
        }

        #[test]
        fn initial_message_round_trip(
            sid in 0i64..=i64::MAX,
            v2 in any::<bool>(),
            addrs in proptest::collection::vec((host(), 1u16..), 1..4),
        ) {
            let addrs: Vec<HostPort> = addrs.into_iter().map(|(h, p)| HostPort::new(h, p)).collect();
            let message = if v2 {
                InitialMessage::v2(sid, addrs)
            } else {
                InitialMessage::v1(sid, addrs[0].clone())
            };
            let bytes = message.encode();
            prop_assert_eq!(InitialMessage::decode(&bytes), Ok(Some((message, bytes.len()))));
        }
    }
}
