//! Writes the seed corpora into `fuzz/seeds/<target>/`: a few valid streams and txn entries, so
//! the fuzzer starts past the length prefix and the opcode dispatch.
//!
//! Run from the repository root: `cargo run --manifest-path fuzz/Cargo.toml --example gen_seeds`.
//! The output is committed; re-run only when the seeds should change.

use std::fs;
use std::path::Path;

use bytes::Bytes;
use zkrs_jute::frame::frame;
use zkrs_jute::*;

fn connect(read_only: Option<bool>) -> Vec<u8> {
    frame(
        &ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: 0,
            time_out: 30_000,
            session_id: 0,
            passwd: Bytes::from_static(&[0; 16]),
            read_only,
        }
        .to_bytes(),
    )
}

fn request(xid: i32, req: &Request) -> Vec<u8> {
    let mut payload = RequestHeader {
        xid,
        r#type: req.op().code(),
    }
    .to_bytes();
    req.write_body(&mut payload);
    frame(&payload)
}

fn create(path: &str, data: &[u8]) -> CreateRequest {
    CreateRequest {
        path: path.into(),
        data: Some(Bytes::copy_from_slice(data)),
        acl: vec![Acl::new(31, "world", "anyone")],
        flags: 0,
    }
}

fn client_frame_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let session = [
        connect(Some(false)),
        request(1, &Request::Create(create("/a", b"hello"))),
        request(
            2,
            &Request::GetData(GetDataRequest {
                path: "/a".into(),
                watch: true,
            }),
        ),
        request(
            3,
            &Request::SetData(SetDataRequest {
                path: "/a".into(),
                data: None,
                version: -1,
            }),
        ),
        request(
            4,
            &Request::Multi(MultiRequest {
                ops: vec![
                    MultiOp::Create2(create("/b", b"")),
                    MultiOp::Check(CheckVersionRequest {
                        path: "/a".into(),
                        version: 0,
                    }),
                    MultiOp::Delete(DeleteRequest {
                        path: "/b".into(),
                        version: -1,
                    }),
                ],
            }),
        ),
        request(
            xid::SET_WATCHES,
            &Request::SetWatches2(SetWatches2 {
                relative_zxid: 7,
                data_watches: vec!["/a".into()],
                exist_watches: vec![],
                child_watches: vec!["/".into()],
                persistent_watches: vec![],
                persistent_recursive_watches: vec!["/b".into()],
            }),
        ),
        request(
            xid::AUTH,
            &Request::Auth(AuthPacket {
                r#type: 0,
                scheme: "digest".into(),
                auth: Bytes::from_static(b"user:pw"),
            }),
        ),
        request(xid::PING, &Request::Ping),
        request(5, &Request::CloseSession),
    ]
    .concat();
    let old_client = [
        connect(None),
        request(
            1,
            &Request::Exists(ExistsRequest {
                path: "/zookeeper".into(),
                watch: false,
            }),
        ),
        request(
            2,
            &Request::CreateTtl(CreateTtlRequest {
                path: "/t".into(),
                data: Some(Bytes::from_static(b"x")),
                acl: vec![Acl::new(31, "world", "anyone")],
                flags: 5,
                ttl: 1000,
            }),
        ),
        request(
            3,
            &Request::GetChildren2(GetChildren2Request {
                path: "/".into(),
                watch: false,
            }),
        ),
    ]
    .concat();
    let mut stmk = b"stmk".to_vec();
    stmk.extend_from_slice(&0x1f_i64.to_be_bytes());
    // The first byte of every client_frame input is the chunking control byte.
    let with_ctrl = |ctrl: u8, stream: &[u8]| [&[ctrl][..], stream].concat();
    vec![
        ("session_whole", with_ctrl(0, &session)),
        ("session_bytewise", with_ctrl(0x40, &session)),
        ("session_chunks64", with_ctrl(0x82, &session)),
        ("old_client", with_ctrl(0x13, &old_client)),
        ("ruok", with_ctrl(1, b"ruok")),
        ("stmk", with_ctrl(1, &stmk)),
        ("connect_only", with_ctrl(3, &connect(Some(true)))),
    ]
}

fn txn_entry_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let header = |op: OpCode| TxnHeader {
        client_id: 0x1_0000_0001,
        cxid: 1,
        zxid: 0x1_0000_0002,
        time: 1_700_000_000_000,
        r#type: op.code(),
    };
    let digest = Some(TxnDigest {
        version: 2,
        tree_digest: 0x1234_5678_9abc_def0,
    });
    let create = CreateTxn {
        path: "/a".into(),
        data: Some(Bytes::from_static(b"hello")),
        acl: vec![Acl::new(31, "world", "anyone")],
        ephemeral: false,
        parent_c_version: 1,
    };
    let entry = |op, body, digest| TxnEntry {
        header: header(op),
        body,
        digest,
    };
    let multi = TxnBody::Multi(MultiTxn {
        txns: vec![
            TxnBody::Create(create.clone()).to_sub_txn(OpCode::Create.code()),
            TxnBody::SetData(SetDataTxn {
                path: "/a".into(),
                data: Some(Bytes::from_static(b"x")),
                version: 1,
            })
            .to_sub_txn(OpCode::SetData.code()),
            TxnBody::Delete(DeleteTxn { path: "/b".into() }).to_sub_txn(OpCode::Delete.code()),
        ],
    });
    vec![
        (
            "create_digest",
            entry(
                OpCode::Create,
                TxnBody::Create(create.clone()),
                digest.clone(),
            ),
        ),
        (
            "create_v0",
            entry(
                OpCode::Create,
                TxnBody::CreateV0(CreateTxnV0 {
                    path: "/old".into(),
                    data: None,
                    acl: vec![],
                    ephemeral: true,
                }),
                None,
            ),
        ),
        (
            "create_session",
            entry(
                OpCode::CreateSession,
                TxnBody::CreateSession(CreateSessionTxn { time_out: 30_000 }),
                digest.clone(),
            ),
        ),
        (
            "close_session",
            entry(
                OpCode::CloseSession,
                TxnBody::CloseSession(Some(CloseSessionTxn {
                    paths2_delete: vec!["/e1".into(), "/e2".into()],
                })),
                digest.clone(),
            ),
        ),
        (
            "close_session_old",
            entry(OpCode::CloseSession, TxnBody::CloseSession(None), None),
        ),
        (
            "error",
            entry(OpCode::Error, TxnBody::Error(ErrorTxn { err: -101 }), None),
        ),
        ("multi", entry(OpCode::Multi, multi, digest)),
    ]
    .into_iter()
    .map(|(name, e)| (name, e.encode()))
    .collect()
}

fn write(dir: &Path, seeds: Vec<(&str, Vec<u8>)>) {
    fs::create_dir_all(dir).unwrap();
    for (name, bytes) in seeds {
        fs::write(dir.join(name), bytes).unwrap();
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    write(&root.join("client_frame"), client_frame_seeds());
    write(&root.join("txn_entry"), txn_entry_seeds());
    println!("seeds written under {}", root.display());
}
