//! [`QuorumFrameDecoder`]: the learner-port packets a real ZooKeeper 3.8.0 ensemble exchanged
//! with a fake third server (`/work/shared/reference/captures/fake3*.py`, `fake3*_out.txt`),
//! decoded byte-exactly in one piece, split at every byte boundary and one byte at a time; and
//! hostile input (oversize and negative lengths, garbage) rejected without panicking or
//! allocating beyond the limit.

// The counting allocator below needs `unsafe impl GlobalAlloc`; it only forwards to `System`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use zkrs_jute::*;

struct Counting;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
    static TRACK: Cell<bool> = const { Cell::new(false) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn note(size: usize) {
    let _ = TRACK.try_with(|t| {
        if t.get() {
            let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
        }
    });
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` and returns the largest single allocation it made.
fn largest_allocation<R>(f: impl FnOnce() -> R) -> (usize, R) {
    LARGEST.with(|l| l.set(0));
    TRACK.with(|t| t.set(true));
    let r = f();
    TRACK.with(|t| t.set(false));
    (LARGEST.with(|l| l.get()), r)
}

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

const CONFIG: &str = "server.1=127.0.0.1:42888:43888:participant;127.0.0.1:42181\n\
server.2=127.0.0.1:42889:43889:participant;127.0.0.1:42182\n\
server.3=127.0.0.1:42890:43890:participant;127.0.0.1:42183\nversion=0";

/// One captured packet: its bytes and what they must decode to.
struct Captured {
    what: &'static str,
    bytes: Vec<u8>,
    packet: QuorumPacket,
}

fn qp(r#type: i32, zxid: i64, data: Option<&[u8]>, authinfo: Option<Vec<Id>>) -> QuorumPacket {
    QuorumPacket {
        r#type,
        zxid,
        data: data.map(Bytes::copy_from_slice),
        authinfo,
    }
}

/// Every packet of fake3_out.txt, fake3req_out.txt and fake3obs_out.txt, in the order of the
/// first capture. Packets logged as `raw=` are the captured bytes verbatim; the others are
/// rebuilt from their logged fields (`type, zxid, data, authinfo` determine the bytes; a data
/// logged as empty on COMMIT, PING and SYNC is null, as `Leader` builds those packets with
/// `null` data, while our PING reply sent `b''`).
fn captured() -> Vec<Captured> {
    let ip = || Some(vec![Id::new("ip", "127.0.0.1")]);
    let mut newleader = unhex("0000000a 0000000100000000 000000ba");
    newleader.extend_from_slice(CONFIG.as_bytes());
    newleader.extend_from_slice(&unhex("ffffffff"));
    let proposal1 =
        "0100000873280000000000000000000100000001000001a20000877afffffff600004e20000000020000000051c6d660";
    let proposal4 = "0100000873280000000000030000000100000004000001a20000879cfffffff5\
                     00000001000000032f713200000002000000018920322b";
    let proposal8 =
        "0300000000001234000000000000000100000008000001a2000110bbfffffff600003a9800000002000000015f0a3556";
    let inform6 = "0100000873280001000000010000000100000006000001a20000dd5100000005000000032f7131\
                   000000036f62730000000100000002000000015f0a3556";
    let with_data = |t: &str, z: &str, d: &str| {
        let d = unhex(d);
        let mut b = unhex(t);
        b.extend(unhex(z));
        b.extend((d.len() as i32).to_be_bytes());
        b.extend(&d);
        b.extend(unhex("ffffffff"));
        b
    };
    vec![
        Captured {
            what: "FOLLOWERINFO (raw)",
            bytes: unhex(
                "0000000b0000000000000000000000140000000000000003000100000000000000000000ffffffff",
            ),
            packet: qp(
                11,
                0,
                Some(
                    &LearnerInfo {
                        serverid: 3,
                        protocol_version: 0x10000,
                        config_version: 0,
                    }
                    .to_bytes(),
                ),
                None,
            ),
        },
        Captured {
            what: "OBSERVERINFO (raw)",
            bytes: unhex(
                "000000100000000000000000000000140000000000000003000100000000000000000000ffffffff",
            ),
            packet: qp(
                16,
                0,
                Some(&unhex("0000000000000003 00010000 0000000000000000")),
                None,
            ),
        },
        Captured {
            what: "LEADERINFO",
            bytes: unhex("00000011 0000000100000000 00000004 00010000 ffffffff"),
            packet: qp(17, 0x1_0000_0000, Some(&unhex("00010000")), None),
        },
        Captured {
            what: "ACKEPOCH (raw)",
            bytes: unhex("0000001200000000000000000000000400000000ffffffff"),
            packet: qp(18, 0, Some(&[0, 0, 0, 0]), None),
        },
        Captured {
            what: "SNAP",
            bytes: unhex("0000000f 0000000100000000 ffffffff ffffffff"),
            packet: qp(15, 0x1_0000_0000, None, None),
        },
        Captured {
            what: "NEWLEADER",
            bytes: newleader,
            packet: qp(10, 0x1_0000_0000, Some(CONFIG.as_bytes()), None),
        },
        Captured {
            what: "ACK of NEWLEADER (raw)",
            bytes: unhex("000000030000000100000000ffffffffffffffff"),
            packet: qp(3, 0x1_0000_0000, None, None),
        },
        Captured {
            what: "UPTODATE",
            bytes: unhex("0000000c ffffffffffffffff ffffffff ffffffff"),
            packet: qp(12, -1, None, None),
        },
        Captured {
            what: "PING",
            bytes: unhex("00000005 0000000100000000 ffffffff ffffffff"),
            packet: qp(5, 0x1_0000_0000, None, None),
        },
        Captured {
            what: "PING reply without sessions",
            bytes: unhex("00000005 0000000100000000 00000000 ffffffff"),
            packet: qp(5, 0x1_0000_0000, Some(&[]), None),
        },
        Captured {
            what: "PROPOSAL createSession",
            bytes: with_data("00000002", "0000000100000001", proposal1),
            packet: qp(2, 0x1_0000_0001, Some(&unhex(proposal1)), None),
        },
        Captured {
            what: "COMMIT",
            bytes: unhex("00000004 0000000100000001 ffffffff ffffffff"),
            packet: qp(4, 0x1_0000_0001, None, None),
        },
        Captured {
            what: "PROPOSAL closeSession",
            bytes: with_data("00000002", "0000000100000004", proposal4),
            packet: qp(2, 0x1_0000_0004, Some(&unhex(proposal4)), None),
        },
        Captured {
            what: "REQUEST createSession with authinfo (raw)",
            bytes: unhex(
                "00000001ffffffffffffffff00000014030000000000123400000000fffffff600003a98\
                 00000001000000026970000000093132372e302e302e31",
            ),
            packet: qp(
                1,
                -1,
                Some(&unhex("0300000000001234 00000000 fffffff6 00003a98")),
                ip(),
            ),
        },
        Captured {
            what: "REQUEST create with authinfo (raw)",
            bytes: unhex(
                "00000001ffffffffffffffff0000004303000000000012340000000100000001000000092f66726f\
                 6d66616b6500000003616263000000010000001f00000005776f726c6400000006616e796f6e6500\
                 00000100000001000000026970000000093132372e302e302e31",
            ),
            packet: qp(
                1,
                -1,
                Some(&unhex(
                    "0300000000001234000000010000000100000009 2f66726f6d66616b65 00000003616263\
                     00000001 0000001f 00000005776f726c64 00000006616e796f6e65 00000001",
                )),
                ip(),
            ),
        },
        Captured {
            what: "PROPOSAL of a forwarded createSession",
            bytes: with_data("00000002", "0000000100000008", proposal8),
            packet: qp(2, 0x1_0000_0008, Some(&unhex(proposal8)), None),
        },
        Captured {
            what: "SYNC",
            bytes: unhex("00000007 0000000000000000 ffffffff ffffffff"),
            packet: qp(7, 0, None, None),
        },
        Captured {
            what: "INFORM create",
            bytes: with_data("00000008", "0000000100000006", inform6),
            packet: qp(8, 0x1_0000_0006, Some(&unhex(inform6)), None),
        },
    ]
}

fn stream() -> (Vec<u8>, Vec<QuorumPacket>) {
    let mut bytes = Vec::new();
    let mut packets = Vec::new();
    for c in captured() {
        bytes.extend_from_slice(&c.bytes);
        packets.push(c.packet);
    }
    (bytes, packets)
}

fn drain(d: &mut QuorumFrameDecoder, buf: &mut BytesMut, out: &mut Vec<QuorumPacket>) {
    while let Some(p) = d.decode(buf).unwrap() {
        out.push(p);
    }
}

#[test]
fn every_captured_packet_decodes_byte_exactly() {
    for c in captured() {
        let mut d = QuorumFrameDecoder::new(limits::DEFAULT_MAX_BUFFER);
        let mut buf = BytesMut::from(&c.bytes[..]);
        let p = d
            .decode(&mut buf)
            .unwrap()
            .unwrap_or_else(|| panic!("{}", c.what));
        assert_eq!(p, c.packet, "{}", c.what);
        assert!(buf.is_empty(), "{}: {} bytes left", c.what, buf.len());
        assert_eq!(d.pending_len(), 0);
        // And back to the same bytes.
        let mut out = BytesMut::new();
        encode_quorum_packet(&p, &mut out);
        assert_eq!(&out[..], &c.bytes[..], "{}", c.what);
        // Every proper prefix asks for more and consumes nothing.
        for k in 0..c.bytes.len() {
            let mut d = QuorumFrameDecoder::new(limits::DEFAULT_MAX_BUFFER);
            let mut buf = BytesMut::from(&c.bytes[..k]);
            assert_eq!(d.decode(&mut buf).unwrap(), None, "{} cut at {k}", c.what);
            assert_eq!(buf.len(), k);
        }
    }
}

#[test]
fn captured_packets_with_extra_fields_decode_as_records() {
    let c = captured();
    let info = LearnerInfo::from_bytes(c[0].packet.data.as_deref().unwrap()).unwrap();
    assert_eq!(
        (info.serverid, info.protocol_version, info.config_version),
        (3, 0x10000, 0)
    );
    assert_eq!(
        PacketType::from_i32(c[0].packet.r#type),
        Some(PacketType::FollowerInfo)
    );
    let e = TxnEntry::decode(c[10].packet.data.as_deref().unwrap()).unwrap();
    assert_eq!(e.header.zxid, 0x1_0000_0001);
    assert_eq!(&e.encode()[..], c[10].packet.data.as_deref().unwrap());
}

#[test]
fn the_whole_capture_split_at_every_byte_boundary() {
    let (bytes, packets) = stream();
    for k in 0..=bytes.len() {
        let mut d = QuorumFrameDecoder::new(limits::DEFAULT_MAX_BUFFER);
        let mut buf = BytesMut::from(&bytes[..k]);
        let mut out = Vec::new();
        drain(&mut d, &mut buf, &mut out);
        buf.extend_from_slice(&bytes[k..]);
        drain(&mut d, &mut buf, &mut out);
        assert_eq!(out, packets, "split at {k}");
        assert!(buf.is_empty());
    }
}

#[test]
fn the_whole_capture_one_byte_at_a_time() {
    let (bytes, packets) = stream();
    let mut d = QuorumFrameDecoder::new(limits::DEFAULT_MAX_BUFFER);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for b in &bytes {
        buf.extend_from_slice(&[*b]);
        drain(&mut d, &mut buf, &mut out);
    }
    assert_eq!(out, packets);
    assert!(buf.is_empty());
}

#[test]
fn bytes_after_a_snap_packet_are_left_for_the_snapshot_stream() {
    let mut buf =
        BytesMut::from(&unhex("0000000f 0000000100000000 ffffffff ffffffff 00000000")[..]);
    let mut d = QuorumFrameDecoder::new(1024);
    let p = d.decode(&mut buf).unwrap().unwrap();
    assert_eq!(p.r#type, PacketType::Snap as i32);
    assert_eq!(&buf[..], &[0, 0, 0, 0]);
}

#[test]
fn unknown_types_are_decoded() {
    let p = qp(99, 7, Some(b"x"), Some(vec![Id::new("a", "b")]));
    let mut buf = BytesMut::new();
    encode_quorum_packet(&p, &mut buf);
    let mut d = QuorumFrameDecoder::new(1024);
    assert_eq!(d.decode(&mut buf).unwrap(), Some(p));
}

#[test]
fn many_auth_ids_fed_byte_by_byte_are_measured_once() {
    // 2,000 Ids: rescanning from the start on every byte would be ~10^9 steps.
    let ids: Vec<Id> = (0..2000)
        .map(|i| Id::new("ip", format!("10.0.{i}")))
        .collect();
    let p = qp(1, -1, Some(b"req"), Some(ids));
    let mut bytes = BytesMut::new();
    encode_quorum_packet(&p, &mut bytes);
    let mut d = QuorumFrameDecoder::new(1 << 20);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for b in bytes.iter() {
        buf.extend_from_slice(&[*b]);
        drain(&mut d, &mut buf, &mut out);
    }
    assert_eq!(out, [p]);
}

#[test]
fn oversize_and_negative_lengths_are_rejected_before_allocating() {
    let max = 1000;
    type Case = (&'static str, Vec<u8>, fn(&QuorumFrameError) -> bool);
    let cases: Vec<Case> = vec![
        (
            "data longer than the limit",
            unhex("00000002 0000000000000001 000003e9"),
            |e| matches!(e, QuorumFrameError::BadDataLength { len: 1001, .. }),
        ),
        (
            "data of i32::MAX",
            unhex("00000002 0000000000000001 7fffffff"),
            |e| matches!(e, QuorumFrameError::BadDataLength { .. }),
        ),
        (
            "data length -2",
            unhex("00000002 0000000000000001 fffffffe"),
            |e| matches!(e, QuorumFrameError::BadDataLength { len: -2, .. }),
        ),
        (
            "authinfo count -2",
            unhex("00000001 ffffffffffffffff ffffffff fffffffe"),
            |e| matches!(e, QuorumFrameError::BadAuthCount { count: -2, .. }),
        ),
        (
            "authinfo count 2^31-1",
            unhex("00000001 ffffffffffffffff ffffffff 7fffffff"),
            |e| matches!(e, QuorumFrameError::BadAuthCount { .. }),
        ),
        (
            "scheme longer than the limit",
            unhex("00000001 ffffffffffffffff ffffffff 00000001 000003e9"),
            |e| matches!(e, QuorumFrameError::BadAuthStringLength { len: 1001, .. }),
        ),
        (
            "id length -7",
            unhex("00000001 ffffffffffffffff ffffffff 00000001 00000000 fffffff9"),
            |e| matches!(e, QuorumFrameError::BadAuthStringLength { len: -7, .. }),
        ),
        (
            "authinfo adding up past the limit",
            // 100 Ids; the first scheme is 500 bytes, the first id claims 500 more.
            [
                unhex("00000001 ffffffffffffffff ffffffff 00000064 000001f4"),
                vec![b'x'; 500],
                unhex("000001f4"),
            ]
            .concat(),
            |e| matches!(e, QuorumFrameError::AuthInfoTooLong { len: 1008, .. }),
        ),
    ];
    for (what, bytes, ok) in cases {
        let mut d = QuorumFrameDecoder::new(max);
        let mut buf = BytesMut::from(&bytes[..]);
        let (largest, r) = largest_allocation(|| d.decode(&mut buf));
        match r {
            Err(e) => assert!(ok(&e), "{what}: {e:?}"),
            other => panic!("{what}: {other:?}"),
        }
        assert!(largest < 4096, "{what}: allocated {largest}");
        assert!(buf.capacity() < 4096, "{what}: capacity {}", buf.capacity());
        // The decoder starts over after an error.
        assert_eq!(d.pending_len(), 0);
    }
}

#[test]
fn a_length_within_the_limit_reserves_only_that_much() {
    let max = 1 << 20;
    let mut d = QuorumFrameDecoder::new(max);
    let mut buf = BytesMut::from(&unhex("00000002 0000000000000001 00100000")[..]);
    assert_eq!(d.decode(&mut buf).unwrap(), None);
    assert!(buf.capacity() <= max + 64, "capacity {}", buf.capacity());
    assert_eq!(d.pending_len(), 16 + max);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Garbage never panics; no allocation and no buffer growth goes past the limit.
    #[test]
    fn garbage_never_panics_nor_overallocates(
        input in proptest::collection::vec(any::<u8>(), 0..200),
        cut in 0usize..200,
    ) {
        let max = 4096;
        let mut d = QuorumFrameDecoder::new(max);
        let cut = cut.min(input.len());
        let mut buf = BytesMut::from(&input[..cut]);
        let (largest, ()) = largest_allocation(|| {
            let mut rest = Some(&input[cut..]);
            loop {
                match d.decode(&mut buf) {
                    Ok(Some(_)) => continue,
                    Ok(None) => match rest.take() {
                        Some(r) => buf.extend_from_slice(r),
                        None => break,
                    },
                    Err(_) => break,
                }
            }
        });
        // Worst case: a data buffer and an authinfo of `max` bytes each plus their headers.
        prop_assert!(largest <= 2 * max + 256 + 2 * input.len(), "allocated {}", largest);
        prop_assert!(buf.capacity() <= 2 * max + 256 + 2 * input.len());
    }

    /// Arbitrary packets round-trip through any split.
    #[test]
    fn packets_round_trip_through_any_split(
        r#type in any::<i32>(),
        zxid in any::<i64>(),
        data in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..64)),
        auth in proptest::option::of(proptest::collection::vec(("[a-z]{0,5}", "[ -~]{0,12}"), 0..4)),
        split in any::<prop::sample::Index>(),
    ) {
        let p = QuorumPacket {
            r#type,
            zxid,
            data: data.map(Bytes::from),
            authinfo: auth.map(|v| v.into_iter().map(|(s, i)| Id::new(s, i)).collect()),
        };
        let mut bytes = BytesMut::new();
        encode_quorum_packet(&p, &mut bytes);
        encode_quorum_packet(&p, &mut bytes);
        let k = split.index(bytes.len() + 1);
        let mut d = QuorumFrameDecoder::new(1024);
        let mut buf = BytesMut::from(&bytes[..k]);
        let mut out = Vec::new();
        drain(&mut d, &mut buf, &mut out);
        buf.extend_from_slice(&bytes[k..]);
        drain(&mut d, &mut buf, &mut out);
        prop_assert_eq!(out, vec![p.clone(), p]);
        prop_assert!(buf.is_empty());
    }
}
