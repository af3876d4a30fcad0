//! The hand-written tables and the client frame decoder, checked against values from the
//! reference (zookeeper-protocol.md §1, §3 and Appendix A).

use bytes::BytesMut;
use zkrs_jute::frame::frame;
use zkrs_jute::*;

#[test]
fn four_letter_codes_match_zookeeper() {
    let expected = [
        ("conf", 0x636f6e66),
        ("cons", 0x636f6e73),
        ("crst", 0x63727374),
        ("dirs", 0x64697273),
        ("dump", 0x64756d70),
        ("envi", 0x656e7669),
        ("gtmk", 0x67746d6b),
        ("ruok", 0x72756f6b),
        ("stmk", 0x73746d6b),
        ("srvr", 0x73727672),
        ("srst", 0x73727374),
        ("stat", 0x73746174),
        ("wchc", 0x77636863),
        ("wchp", 0x77636870),
        ("wchs", 0x77636873),
        ("mntr", 0x6d6e7472),
        ("isro", 0x6973726f),
        ("hash", 0x68617368),
    ];
    for (name, code) in expected {
        let w = FourLetterWord::from_code(code).expect(name);
        assert_eq!(w.name(), name);
        assert_eq!(w.code(), code);
        assert_eq!(FourLetterWord::from_name(name), Some(w));
    }
    assert_eq!(FourLetterWord::ALL.len(), expected.len());
}

#[test]
fn opcodes_round_trip_and_unknown_is_none() {
    for op in OpCode::ALL {
        assert_eq!(OpCode::from_i32(op.code()), Some(op));
    }
    assert_eq!(OpCode::from_i32(999), None);
    assert_eq!(OpCode::from_i32(10), None);
    assert_eq!(OpCode::Create2.code(), 15);
    assert_eq!(OpCode::CloseSession.code(), -11);
}

#[test]
fn error_codes_have_zookeeper_values() {
    assert_eq!(ErrorCode::NoNode.code(), -101);
    assert_eq!(ErrorCode::RuntimeInconsistency.code(), -2);
    assert_eq!(ErrorCode::ThrottledOp.code(), -127);
    assert_eq!(ErrorCode::from_i32(-126), None);
    for c in ErrorCode::ALL {
        assert_eq!(ErrorCode::from_i32(c.code()), Some(*c));
    }
}

#[test]
fn create_mode_flags() {
    for f in 0..=6 {
        assert_eq!(CreateMode::from_flag(f).unwrap().flag(), f);
    }
    assert_eq!(CreateMode::from_flag(7), None);
    assert!(CreateMode::EphemeralSequential.is_ephemeral());
    assert!(CreateMode::PersistentSequentialWithTtl.is_sequential());
    assert!(CreateMode::PersistentSequentialWithTtl.is_ttl());
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn connect_with_and_without_read_only() {
    // The observed 45-byte Java-style request (reference §1.3).
    let with = hex(
        "0000002d 00000000 0000000000000000 00007530 0000000000000000
                    00000010 00000000000000000000000000000000 01",
    );
    let mut d = ClientFrameDecoder::new(0xfffff);
    let mut buf = BytesMut::from(&with[..]);
    let Some(ClientFrame::Connect(req)) = d.decode(&mut buf).unwrap() else {
        panic!("expected connect");
    };
    assert_eq!(req.time_out, 30000);
    assert_eq!(req.read_only, Some(true));
    assert_eq!(frame(&req.to_bytes()), with);
    assert!(buf.is_empty());

    // An old client omits the byte: 44 bytes, and the response omits it too.
    let without = &with[..with.len() - 1];
    let mut without = without.to_vec();
    without[3] = 0x2c;
    let mut d = ClientFrameDecoder::new(0xfffff);
    let mut buf = BytesMut::from(&without[..]);
    let Some(ClientFrame::Connect(req)) = d.decode(&mut buf).unwrap() else {
        panic!("expected connect");
    };
    assert_eq!(req.read_only, None);
    assert_eq!(frame(&req.to_bytes()), without);

    // The observed response, 37 bytes with readOnly, 36 without.
    let resp = hex("00000025 00000000 00007530 01000006b4b70000
                    00000010 5bd6206d4c380a4a310cff2a757f5ac4 00");
    let r = ConnectResponse::from_bytes(&resp[4..]).unwrap();
    assert_eq!(r.session_id, 0x01000006b4b70000);
    assert_eq!(r.read_only, Some(false));
    let old = ConnectResponse {
        read_only: None,
        ..r
    };
    assert_eq!(old.to_bytes().len(), 36);
}

#[test]
fn frames_arrive_in_pieces() {
    let mut d = ClientFrameDecoder::new(0xfffff);
    let connect = ConnectRequest {
        time_out: 4000,
        passwd: vec![0u8; 16].into(),
        read_only: Some(false),
        ..Default::default()
    };
    let get = {
        let mut p = RequestHeader { xid: 1, r#type: 4 }.to_bytes();
        GetDataRequest {
            path: "/a".into(),
            watch: true,
        }
        .write_to(&mut p);
        p
    };
    let mut stream = frame(&connect.to_bytes());
    stream.extend(frame(&get));
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for b in stream {
        buf.extend_from_slice(&[b]);
        if let Some(f) = d.decode(&mut buf).unwrap() {
            frames.push(f);
        }
    }
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0], ClientFrame::Connect(connect));
    let ClientFrame::Request { header, request } = &frames[1] else {
        panic!()
    };
    assert_eq!(header.xid, 1);
    assert_eq!(
        request,
        &Ok(Request::GetData(GetDataRequest {
            path: "/a".into(),
            watch: true
        }))
    );
}

#[test]
fn four_letter_word_only_before_connect() {
    let mut d = ClientFrameDecoder::new(0xfffff);
    let mut buf = BytesMut::from(&b"ruok"[..]);
    assert_eq!(
        d.decode(&mut buf).unwrap(),
        Some(ClientFrame::FourLetter {
            word: FourLetterWord::Ruok,
            arg: None
        })
    );
    let mut buf = BytesMut::from(&b"stmk\x00\x00\x00\x00\x00\x00\x01\x32"[..]);
    assert_eq!(
        d.decode(&mut buf).unwrap(),
        Some(ClientFrame::FourLetter {
            word: FourLetterWord::Stmk,
            arg: Some(306)
        })
    );
}

#[test]
fn oversize_and_negative_lengths_close_the_connection() {
    let mut d = ClientFrameDecoder::new(1000);
    let mut buf = BytesMut::from(&1001i32.to_be_bytes()[..]);
    assert_eq!(
        d.decode(&mut buf),
        Err(FrameError::BadLength {
            len: 1001,
            max: 1000
        })
    );
    let mut buf = BytesMut::from(&(-5i32).to_be_bytes()[..]);
    assert!(d.decode(&mut buf).is_err());
}

#[test]
fn unknown_opcode_keeps_the_xid() {
    let mut d = ClientFrameDecoder::new(0xfffff);
    let mut buf = BytesMut::from(&frame(&ConnectRequest::default().to_bytes())[..]);
    d.decode(&mut buf).unwrap();
    let mut buf = BytesMut::from(
        &frame(
            &RequestHeader {
                xid: 7,
                r#type: 999,
            }
            .to_bytes(),
        )[..],
    );
    let Some(ClientFrame::Request { header, request }) = d.decode(&mut buf).unwrap() else {
        panic!()
    };
    assert_eq!(header.xid, 7);
    assert_eq!(request, Err(RequestDecodeError::UnknownOpcode(999)));
}

#[test]
fn failed_multi_response_matches_observed_bytes() {
    // Reference §1.10: two ok, one -101, one -2, then the end marker.
    let observed = hex(
        "ffffffff 00 00000000 00000000  ffffffff 00 00000000 00000000
         ffffffff 00 ffffff9b ffffff9b  ffffffff 00 fffffffe fffffffe
         ffffffff 01 ffffffff",
    );
    let m = MultiResponse::from_bytes(&observed).unwrap();
    assert_eq!(
        m.results,
        vec![
            MultiResult::Error(0),
            MultiResult::Error(0),
            MultiResult::Error(-101),
            MultiResult::Error(-2)
        ]
    );
    assert_eq!(m.to_bytes(), observed);
}

#[test]
fn multi_with_unknown_op_is_a_decode_error() {
    let mut body = MultiHeader {
        r#type: 3,
        done: false,
        err: -1,
    }
    .to_bytes();
    ExistsRequest::default().write_to(&mut body);
    assert!(MultiRequest::from_bytes(&body).is_err());
}

#[test]
fn close_session_body_follows_the_setting_not_the_bytes() {
    let header = TxnHeader {
        client_id: 1,
        cxid: 0,
        zxid: 5,
        time: 0,
        r#type: OpCode::CloseSession.code(),
    };
    // closeSessionTxn.enabled=false: no body, then a digest whose bytes also parse as a
    // CloseSessionTxn of two empty strings.
    let entry = TxnEntry {
        header: header.clone(),
        body: TxnBody::CloseSession(None),
        digest: Some(TxnDigest {
            version: 2,
            tree_digest: 0,
        }),
    };
    let bytes = entry.encode();
    assert_eq!(TxnEntry::decode_with(&bytes, false).unwrap(), entry);
    // Enabled (the default): a 3.6+ body, and a bodiless pre-3.6 entry.
    let with_body = TxnEntry {
        header: header.clone(),
        body: TxnBody::CloseSession(Some(CloseSessionTxn {
            paths2_delete: vec!["/eph".into()],
        })),
        digest: None,
    };
    assert_eq!(TxnEntry::decode(&with_body.encode()).unwrap(), with_body);
    let old = TxnEntry {
        header,
        body: TxnBody::CloseSession(None),
        digest: None,
    };
    assert_eq!(TxnEntry::decode(&old.encode()).unwrap(), old);
}
