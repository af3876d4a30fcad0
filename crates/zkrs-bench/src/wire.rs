//! The few ZooKeeper wire encodings the raw engine (`raw.rs`) needs, written by hand.
//!
//! This deliberately shares no code with the zkrs server (no zkrs-jute): a codec bug cannot hide
//! on both ends. Everything is Jute, big-endian: `int` 4 bytes, `long` 8, `boolean` 1,
//! `ustring`/`buffer` = int32 length + bytes (-1 = null), `vector` = int32 count + items. Every
//! frame on the socket is an int32 length followed by that many bytes.
//!
//! Requests: `RequestHeader {xid int, type int}` + body. Replies: `ReplyHeader {xid int, zxid long,
//! err int}` + body (the raw engine ignores reply bodies). The unit tests compare the encoders
//! with frames captured from the ZooKeeper 3.8 Java client (`crates/zkrs-jute/tests/golden/`,
//! used here as data only).

/// create (`CreateRequest`).
pub const OP_CREATE: i32 = 1;
/// delete (`DeleteRequest`).
pub const OP_DELETE: i32 = 2;
/// getData (`GetDataRequest`).
pub const OP_GET_DATA: i32 = 4;
/// setData (`SetDataRequest`).
pub const OP_SET_DATA: i32 = 5;
/// ping (no body, xid -2).
pub const OP_PING: i32 = 11;
/// closeSession (no body).
pub const OP_CLOSE_SESSION: i32 = -11;

/// The xid of a watch notification sent by the server.
pub const XID_NOTIFICATION: i32 = -1;
/// The xid of a ping and of its reply.
pub const XID_PING: i32 = -2;

/// `KeeperException.Code.NODEEXISTS`.
pub const ERR_NODE_EXISTS: i32 = -110;

/// ZooDefs.Perms.ALL.
const PERMS_ALL: i32 = 31;

/// Largest reply frame accepted (ZooKeeper's default jute.maxbuffer is 1 MiB; leave headroom).
pub const MAX_FRAME: usize = 64 << 20;

/// Bytes of a reply header (xid, zxid, err).
pub const REPLY_HEADER_LEN: usize = 16;

fn put_i32(buf: &mut Vec<u8>, v: i32) {
    buf.extend_from_slice(&v.to_be_bytes());
}

fn put_i64(buf: &mut Vec<u8>, v: i64) {
    buf.extend_from_slice(&v.to_be_bytes());
}

/// A Jute `ustring` or `buffer` (never null here).
fn put_bytes(buf: &mut Vec<u8>, b: &[u8]) {
    put_i32(buf, i32::try_from(b.len()).unwrap_or(i32::MAX));
    buf.extend_from_slice(b);
}

/// Starts a frame: a length placeholder; returns where it is, for [`end_frame`].
fn begin_frame(buf: &mut Vec<u8>) -> usize {
    let at = buf.len();
    buf.extend_from_slice(&[0; 4]);
    at
}

/// Back-patches the length of the frame begun at `at`.
fn end_frame(buf: &mut [u8], at: usize) {
    let len = i32::try_from(buf.len() - at - 4).unwrap_or(i32::MAX);
    buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
}

/// Appends a request frame: length, `RequestHeader {xid, op}`, then what `body` writes.
fn request(buf: &mut Vec<u8>, xid: i32, op: i32, body: impl FnOnce(&mut Vec<u8>)) {
    let at = begin_frame(buf);
    put_i32(buf, xid);
    put_i32(buf, op);
    body(buf);
    end_frame(buf, at);
}

/// Appends a `ConnectRequest` frame for a new session: protocolVersion 0, lastZxidSeen 0,
/// timeOut, sessionId 0, a 16-byte zero password, readOnly false.
pub fn connect_request(buf: &mut Vec<u8>, timeout_ms: i32) {
    let at = begin_frame(buf);
    put_i32(buf, 0);
    put_i64(buf, 0);
    put_i32(buf, timeout_ms);
    put_i64(buf, 0);
    put_bytes(buf, &[0; 16]);
    buf.push(0);
    end_frame(buf, at);
}

/// The parts of a `ConnectResponse` the engine uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectResponse {
    /// The session timeout the server granted (ms).
    pub timeout_ms: i32,
    /// 0 means the server refused the session.
    pub session_id: i64,
}

/// Parses a `ConnectResponse` payload (without the frame length): protocolVersion, timeOut,
/// sessionId, passwd, then an optional readOnly byte. `None` when it is too short.
pub fn parse_connect_response(p: &[u8]) -> Option<ConnectResponse> {
    let timeout_ms = i32::from_be_bytes(p.get(4..8)?.try_into().ok()?);
    let session_id = i64::from_be_bytes(p.get(8..16)?.try_into().ok()?);
    let passwd_len = i32::from_be_bytes(p.get(16..20)?.try_into().ok()?);
    let passwd_len = usize::try_from(passwd_len).unwrap_or(0);
    p.get(20..20 + passwd_len)?;
    Some(ConnectResponse {
        timeout_ms,
        session_id,
    })
}

/// The path of a request: given bytes, or key `idx` under `parent` written in place.
#[derive(Debug, Clone, Copy)]
pub enum Path<'a> {
    /// A literal path (the unit tests encode the captured frames' paths with it).
    #[cfg_attr(not(test), allow(dead_code))]
    Bytes(&'a [u8]),
    /// `<parent>/k` + `idx` zero-padded to 10 digits, exactly as `KeySpace::key` spells it.
    Key { parent: &'a [u8], idx: u64 },
}

/// Appends `path` as a Jute ustring (no `String` is built for a key).
fn put_path(buf: &mut Vec<u8>, path: Path<'_>) {
    match path {
        Path::Bytes(b) => put_bytes(buf, b),
        Path::Key { parent, idx } => {
            let mut digits = [b'0'; 20];
            let mut n = idx;
            let mut i = digits.len();
            while n > 0 {
                i -= 1;
                digits[i] = b'0' + (n % 10) as u8;
                n /= 10;
            }
            let digits = &digits[i.min(digits.len() - 10)..];
            put_i32(
                buf,
                i32::try_from(parent.len() + 2 + digits.len()).unwrap_or(i32::MAX),
            );
            buf.extend_from_slice(parent);
            buf.extend_from_slice(b"/k");
            buf.extend_from_slice(digits);
        }
    }
}

/// Appends a getData request: `{path ustring, watch boolean}`.
pub fn get_data(buf: &mut Vec<u8>, xid: i32, path: Path<'_>, watch: bool) {
    request(buf, xid, OP_GET_DATA, |b| {
        put_path(b, path);
        b.push(u8::from(watch));
    });
}

/// Appends a setData request: `{path ustring, data buffer, version int}`.
pub fn set_data(buf: &mut Vec<u8>, xid: i32, path: Path<'_>, data: &[u8], version: i32) {
    request(buf, xid, OP_SET_DATA, |b| {
        put_path(b, path);
        put_bytes(b, data);
        put_i32(b, version);
    });
}

/// Appends a create request of a persistent znode with the open ACL (world:anyone, all
/// permissions): `{path ustring, data buffer, acl vector<ACL>, flags int}`.
pub fn create(buf: &mut Vec<u8>, xid: i32, path: Path<'_>, data: &[u8]) {
    request(buf, xid, OP_CREATE, |b| {
        put_path(b, path);
        put_bytes(b, data);
        put_i32(b, 1);
        put_i32(b, PERMS_ALL);
        put_bytes(b, b"world");
        put_bytes(b, b"anyone");
        put_i32(b, 0);
    });
}

/// Appends a delete request: `{path ustring, version int}`.
pub fn delete(buf: &mut Vec<u8>, xid: i32, path: Path<'_>, version: i32) {
    request(buf, xid, OP_DELETE, |b| {
        put_path(b, path);
        put_i32(b, version);
    });
}

/// Appends a ping (xid -2, no body).
pub fn ping(buf: &mut Vec<u8>) {
    request(buf, XID_PING, OP_PING, |_| {});
}

/// Appends a closeSession request (no body).
pub fn close_session(buf: &mut Vec<u8>, xid: i32) {
    request(buf, xid, OP_CLOSE_SESSION, |_| {});
}

/// A reply header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyHeader {
    pub xid: i32,
    pub zxid: i64,
    pub err: i32,
}

/// A frame whose length the engine refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadFrame(pub i64);

/// The length of the frame at the start of `buf` (prefix included), once its 4-byte length is
/// there: `Ok(None)` when fewer than 4 bytes are buffered.
pub fn frame_len(buf: &[u8]) -> Result<Option<usize>, BadFrame> {
    let Some(len) = buf.get(..4) else {
        return Ok(None);
    };
    let len = i32::from_be_bytes([len[0], len[1], len[2], len[3]]);
    match usize::try_from(len) {
        Ok(n) if n <= MAX_FRAME => Ok(Some(4 + n)),
        _ => Err(BadFrame(i64::from(len))),
    }
}

/// Parses the reply frame at the start of `buf`: its header and its whole length (prefix
/// included), or `Ok(None)` while the frame is incomplete. A frame shorter than a reply header
/// or longer than [`MAX_FRAME`] is an error.
pub fn parse_reply(buf: &[u8]) -> Result<Option<(ReplyHeader, usize)>, BadFrame> {
    let Some(total) = frame_len(buf)? else {
        return Ok(None);
    };
    if total < 4 + REPLY_HEADER_LEN {
        return Err(BadFrame(total as i64 - 4));
    }
    let Some(f) = buf.get(4..total) else {
        return Ok(None);
    };
    let xid = i32::from_be_bytes([f[0], f[1], f[2], f[3]]);
    let zxid = i64::from_be_bytes([f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11]]);
    let err = i32::from_be_bytes([f[12], f[13], f[14], f[15]]);
    Ok(Some((ReplyHeader { xid, zxid, err }, total)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    // Frames below come from crates/zkrs-jute/tests/golden/{session,raw_client}.txt (Apache
    // ZooKeeper 3.8.0 and its Java client), copied as data.

    #[test]
    fn connect_request_matches_a_zookeeper_client() {
        // raw_client.txt, conn 2, with the session id and password zeroed (a new session).
        let mut b = Vec::new();
        connect_request(&mut b, 10_000);
        let want = hex(concat!(
            "0000002d",
            "00000000",
            "0000000000000000",
            "00002710",
            "0000000000000000",
            "00000010",
            "00000000000000000000000000000000",
            "00"
        ));
        assert_eq!(b, want);
        // The Java client's connect (session.txt line 8), but for timeout and readOnly.
        let java = hex("0000002d00000000000000000000000000000fa00000000000000000000000100000000000000000000000000000000001");
        let mut b = Vec::new();
        connect_request(&mut b, 4000);
        assert_eq!(b[..b.len() - 1], java[..java.len() - 1]);
    }

    #[test]
    fn connect_response_parses_with_and_without_read_only() {
        let with = hex(
            "0000002500000000000027100100000b7b7f0002000000108d2b9c1a8421e8af5f09dff306cf661b00",
        );
        let without =
            hex("0000002400000000000027100100000b7b7f0002000000108d2b9c1a8421e8af5f09dff306cf661b");
        for f in [&with, &without] {
            let r = parse_connect_response(&f[4..]).unwrap();
            assert_eq!(r.timeout_ms, 10_000);
            assert_eq!(r.session_id, 0x0100_000b_7b7f_0002);
        }
        assert_eq!(parse_connect_response(&without[4..30]), None);
        assert_eq!(parse_connect_response(&[]), None);
    }

    #[test]
    fn get_data_matches_java_client() {
        let mut b = Vec::new();
        get_data(&mut b, 12, Path::Bytes(b"/golden/w"), true);
        assert_eq!(
            b,
            hex("000000160000000c00000004000000092f676f6c64656e2f7701")
        );
        let mut b = Vec::new();
        get_data(&mut b, 13, Path::Bytes(b"/golden/nulldata"), false);
        assert_eq!(
            b,
            hex("0000001d0000000d00000004000000102f676f6c64656e2f6e756c6c6461746100")
        );
    }

    #[test]
    fn set_data_matches_java_client() {
        let mut b = Vec::new();
        set_data(&mut b, 14, Path::Bytes(b"/golden/w"), b"v1", -1);
        assert_eq!(
            b,
            hex("0000001f0000000e00000005000000092f676f6c64656e2f77000000027631ffffffff")
        );
        let mut b = Vec::new();
        set_data(&mut b, 15, Path::Bytes(b"/golden/w"), b"bad", 42);
        assert_eq!(
            b,
            hex("000000200000000f00000005000000092f676f6c64656e2f77000000036261640000002a")
        );
    }

    #[test]
    fn create_matches_java_client() {
        let mut b = Vec::new();
        create(&mut b, 1, Path::Bytes(b"/golden"), b"root");
        assert_eq!(b, hex("0000003a0000000100000001000000072f676f6c64656e00000004726f6f74000000010000001f00000005776f726c6400000006616e796f6e6500000000"));
    }

    #[test]
    fn delete_ping_close_match_zookeeper_clients() {
        let mut b = Vec::new();
        delete(&mut b, 0x2d, Path::Bytes(b"/golden"), -1);
        assert_eq!(
            b,
            hex("000000170000002d00000002000000072f676f6c64656effffffff")
        );
        let mut b = Vec::new();
        ping(&mut b);
        assert_eq!(b, hex("00000008fffffffe0000000b"));
        let mut b = Vec::new();
        close_session(&mut b, 4);
        assert_eq!(b, hex("0000000800000004fffffff5"));
    }

    #[test]
    fn key_paths_spell_keys_like_keyspace() {
        let parent = "/zkrs-bench/keys-100";
        for idx in [0u64, 7, 42, 9_999_999_999, 10_000_000_000, u64::MAX] {
            let path = format!("{parent}/k{idx:010}");
            let mut want = Vec::new();
            set_data(&mut want, 9, Path::Bytes(path.as_bytes()), b"abc", -1);
            let mut got = vec![0xaa];
            let key = Path::Key {
                parent: parent.as_bytes(),
                idx,
            };
            set_data(&mut got, 9, key, b"abc", -1);
            assert_eq!(got[1..], want[..], "{idx}");
        }
    }

    /// Replies from session.txt: a notification (xid -1) then the setData reply, an error-only
    /// reply, a getData reply with a body and a ping reply, back to back.
    fn reply_stream() -> (Vec<u8>, Vec<ReplyHeader>) {
        let frames = [
            "00000025ffffffffffffffffffffffff000000000000000300000003000000092f676f6c64656e2f77",
            "000000540000000e000000000000000f00000000000000000000000e000000000000000f000001a2007dd01f000001a2007dd03200000001000000000000000000000000000000000000000200000000000000000000000e",
            "000000100000000f0000000000000010ffffff99",
            "0000005a0000000c000000000000000e00000000000000027630000000000000000e000000000000000e000001a2007dd01f000001a2007dd01f00000000000000000000000000000000000000000000000200000000000000000000000e",
            "00000010fffffffe000000000000001d00000000",
        ];
        let headers = vec![
            ReplyHeader {
                xid: -1,
                zxid: -1,
                err: 0,
            },
            ReplyHeader {
                xid: 14,
                zxid: 0xf,
                err: 0,
            },
            ReplyHeader {
                xid: 15,
                zxid: 0x10,
                err: -103,
            },
            ReplyHeader {
                xid: 12,
                zxid: 0xe,
                err: 0,
            },
            ReplyHeader {
                xid: -2,
                zxid: 0x1d,
                err: 0,
            },
        ];
        (frames.iter().flat_map(|f| hex(f)).collect(), headers)
    }

    /// Feeds `stream` in two pieces split at `cut` the way the engine does (append, parse all
    /// complete frames, keep the rest) and returns the headers seen.
    fn parse_split(stream: &[u8], cut: usize) -> Vec<ReplyHeader> {
        let mut buf = Vec::new();
        let mut seen = Vec::new();
        for piece in [&stream[..cut], &stream[cut..]] {
            buf.extend_from_slice(piece);
            let mut at = 0;
            while let Some((h, n)) = parse_reply(&buf[at..]).unwrap() {
                seen.push(h);
                at += n;
            }
            buf.drain(..at);
        }
        assert!(buf.is_empty());
        seen
    }

    #[test]
    fn replies_parse_when_split_at_every_byte() {
        let (stream, want) = reply_stream();
        for cut in 0..=stream.len() {
            assert_eq!(parse_split(&stream, cut), want, "cut at {cut}");
        }
    }

    #[test]
    fn replies_parse_when_fed_one_byte_at_a_time() {
        let (stream, want) = reply_stream();
        let mut buf = Vec::new();
        let mut seen = Vec::new();
        for &byte in &stream {
            buf.push(byte);
            while let Some((h, n)) = parse_reply(&buf).unwrap() {
                seen.push(h);
                buf.drain(..n);
            }
        }
        assert_eq!(seen, want);
    }

    #[test]
    fn bad_frame_lengths_are_errors() {
        assert_eq!(parse_reply(&hex("ffffffff")), Err(BadFrame(-1)));
        assert_eq!(parse_reply(&hex("0000000800000001")), Err(BadFrame(8)));
        assert_eq!(
            parse_reply(&hex("7fffffff")),
            Err(BadFrame(i64::from(i32::MAX)))
        );
        assert_eq!(parse_reply(&hex("000000")), Ok(None));
    }
}
