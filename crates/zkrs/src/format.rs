//! Text forms shared by the inspection tools: times, opcode names as ZooKeeper's
//! `Request.op2String` prints them, txn bodies in Jute's CSV `toString` form (what
//! `TxnLogToolkit` prints), ACLs and stats.

use std::fmt::Write as _;

use bytes::Bytes;
use zkrs_jute::records::txn::Txn;
use zkrs_jute::{Acl, OpCode, StatPersisted, TxnBody};
use zkrs_server::civil_time::CivilTime;

/// `2024-01-31T12:00:00.123Z` (UTC).
pub fn time(unix_ms: i64) -> String {
    let t = CivilTime::from_unix_ms(unix_ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year,
        t.month,
        t.day,
        t.hour,
        t.minute,
        t.second,
        unix_ms.rem_euclid(1000)
    )
}

/// `java.util.Date.toString()` in UTC (SnapshotFormatter's ctime/mtime).
pub fn java_date(unix_ms: i64) -> String {
    CivilTime::from_unix_ms(unix_ms).java_date()
}

/// `Request.op2String`.
pub fn op_name(op: i32) -> String {
    let name = match OpCode::from_i32(op) {
        Some(OpCode::Notification) => "notification",
        Some(OpCode::Create) => "create",
        Some(OpCode::Create2) => "create2",
        Some(OpCode::CreateTtl) => "createTtl",
        Some(OpCode::CreateContainer) => "createContainer",
        Some(OpCode::Delete) => "delete",
        Some(OpCode::DeleteContainer) => "deleteContainer",
        Some(OpCode::SetData) => "setData",
        Some(OpCode::SetAcl) => "setACL",
        Some(OpCode::Check) => "check",
        Some(OpCode::Multi) => "multi",
        Some(OpCode::Reconfig) => "reconfig",
        Some(OpCode::CreateSession) => "createSession",
        Some(OpCode::CloseSession) => "closeSession",
        Some(OpCode::Error) => "error",
        _ => return format!("unknown {op}"),
    };
    name.to_owned()
}

/// Jute's CSV `ustring`: `'` + the text with `,`, `}`, `%`, newlines escaped as `%xx`.
fn ustring(out: &mut String, s: &str) {
    out.push('\'');
    for c in s.chars() {
        match c {
            '\0' => out.push_str("%00"),
            '\n' => out.push_str("%0A"),
            '\r' => out.push_str("%0D"),
            ',' => out.push_str("%2C"),
            '}' => out.push_str("%7D"),
            '%' => out.push_str("%25"),
            c => out.push(c),
        }
    }
}

/// Jute's CSV `buffer`: `#` + lowercase hex; null is empty.
fn buffer(out: &mut String, b: Option<&Bytes>) {
    out.push('#');
    if let Some(b) = b {
        for byte in b.iter() {
            let _ = write!(out, "{byte:02x}");
        }
    }
}

fn acls(out: &mut String, acl: &[Acl]) {
    out.push_str("v{");
    for (i, a) in acl.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "s{{{},s{{", a.perms);
        ustring(out, &a.id.scheme);
        out.push(',');
        ustring(out, &a.id.id);
        out.push_str("}}");
    }
    out.push('}');
}

fn strings(out: &mut String, v: &[String]) {
    out.push_str("v{");
    for (i, s) in v.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        ustring(out, s);
    }
    out.push('}');
}

fn boolean(out: &mut String, b: bool) {
    out.push(if b { 'T' } else { 'F' });
}

/// A txn body as `TxnLogToolkit` prints it (the record's CSV `toString`).
pub fn txn_body(body: &TxnBody) -> String {
    let mut o = String::new();
    match body {
        TxnBody::CreateSession(t) => {
            let _ = write!(o, "{}", t.time_out);
        }
        TxnBody::CloseSession(None) | TxnBody::Empty => {}
        TxnBody::CloseSession(Some(t)) => strings(&mut o, &t.paths2_delete),
        TxnBody::Create(t) => {
            ustring(&mut o, &t.path);
            o.push(',');
            buffer(&mut o, t.data.as_ref());
            o.push(',');
            acls(&mut o, &t.acl);
            o.push(',');
            boolean(&mut o, t.ephemeral);
            let _ = write!(o, ",{}", t.parent_c_version);
        }
        TxnBody::CreateV0(t) => {
            ustring(&mut o, &t.path);
            o.push(',');
            buffer(&mut o, t.data.as_ref());
            o.push(',');
            acls(&mut o, &t.acl);
            o.push(',');
            boolean(&mut o, t.ephemeral);
        }
        TxnBody::CreateTtl(t) => {
            ustring(&mut o, &t.path);
            o.push(',');
            buffer(&mut o, t.data.as_ref());
            o.push(',');
            acls(&mut o, &t.acl);
            let _ = write!(o, ",{},{}", t.parent_c_version, t.ttl);
        }
        TxnBody::CreateContainer(t) => {
            ustring(&mut o, &t.path);
            o.push(',');
            buffer(&mut o, t.data.as_ref());
            o.push(',');
            acls(&mut o, &t.acl);
            let _ = write!(o, ",{}", t.parent_c_version);
        }
        TxnBody::Delete(t) => ustring(&mut o, &t.path),
        TxnBody::SetData(t) => {
            ustring(&mut o, &t.path);
            o.push(',');
            buffer(&mut o, t.data.as_ref());
            let _ = write!(o, ",{}", t.version);
        }
        TxnBody::SetAcl(t) => {
            ustring(&mut o, &t.path);
            o.push(',');
            acls(&mut o, &t.acl);
            let _ = write!(o, ",{}", t.version);
        }
        TxnBody::Check(t) => {
            ustring(&mut o, &t.path);
            let _ = write!(o, ",{}", t.version);
        }
        TxnBody::Error(t) => {
            let _ = write!(o, "{}", t.err);
        }
        TxnBody::Multi(m) => {
            o.push_str("v{");
            for (i, sub) in m.txns.iter().enumerate() {
                if i > 0 {
                    o.push(',');
                }
                o.push_str(&sub_txn(sub));
            }
            o.push('}');
        }
    }
    o
}

/// One sub-txn of a multi: `s{<type>,<body>}` (decoded; raw bytes if it does not decode).
fn sub_txn(sub: &Txn) -> String {
    match TxnBody::from_sub_txn(sub) {
        Ok(body) => format!("s{{{} {}}}", op_name(sub.r#type), txn_body(&body)),
        Err(_) => {
            let mut o = format!("s{{{},", sub.r#type);
            buffer(&mut o, Some(&sub.data));
            o.push('}');
            o
        }
    }
}

/// An ACL list as zkCli prints it: `world:anyone:cdrwa, digest:u:x=:r`.
pub fn acl_list(acl: &[Acl]) -> String {
    if acl.is_empty() {
        return "[]".to_owned();
    }
    acl.iter()
        .map(|a| {
            format!(
                "{}:{}:{}",
                a.id.scheme,
                a.id.id,
                zkrs_jute::perms::to_letters(a.perms)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `0x` + lowercase hex of a zxid or session id (Java's `Long.toHexString`).
pub fn hex(v: i64) -> String {
    format!("0x{v:x}")
}

/// `String.format("0x%014x", v)`, SnapshotFormatter's zxid form.
fn hex14(v: i64) -> String {
    format!("0x{v:014x}")
}

/// The stat lines of `SnapshotFormatter.printStat` (cversion as stored: children created).
pub fn stat_lines(out: &mut String, s: &StatPersisted, data_len: usize) {
    let _ = writeln!(out, "  cZxid = {}", hex14(s.czxid));
    let _ = writeln!(out, "  ctime = {}", java_date(s.ctime));
    let _ = writeln!(out, "  mZxid = {}", hex14(s.mzxid));
    let _ = writeln!(out, "  mtime = {}", java_date(s.mtime));
    let _ = writeln!(out, "  pZxid = {}", hex14(s.pzxid));
    let _ = writeln!(out, "  cversion = {}", s.cversion);
    let _ = writeln!(out, "  dataVersion = {}", s.version);
    let _ = writeln!(out, "  aclVersion = {}", s.aversion);
    let _ = writeln!(out, "  ephemeralOwner = {}", hex14(s.ephemeral_owner));
    let _ = writeln!(out, "  dataLength = {data_len}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use zkrs_jute::records::txn::{CreateTxn, SetDataTxn};

    #[test]
    fn times_are_utc() {
        assert_eq!(time(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(time(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    }

    #[test]
    fn bodies_in_jute_csv() {
        let create = TxnBody::Create(CreateTxn {
            path: "/a,b".to_owned(),
            data: Some(Bytes::from_static(b"hi")),
            acl: zkrs_jute::perms::open_acl_unsafe(),
            ephemeral: false,
            parent_c_version: 3,
        });
        assert_eq!(
            txn_body(&create),
            "'/a%2Cb,#6869,v{s{31,s{'world,'anyone}}},F,3"
        );
        let set = TxnBody::SetData(SetDataTxn {
            path: "/a".to_owned(),
            data: None,
            version: 2,
        });
        assert_eq!(txn_body(&set), "'/a,#,2");
        assert_eq!(op_name(-10), "createSession");
    }
}
