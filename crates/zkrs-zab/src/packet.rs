//! Building and reading the learner-port packets (`QuorumPacket` by `Leader.java` type).

use bytes::{BufMut, Bytes, BytesMut};
use zkrs_config::QuorumVerifier;
use zkrs_jute::{
    Jute, JuteReader, LearnerInfo, OpCode, PacketType, QuorumPacket, TxnBody, TxnEntry, TxnHeader,
    Zxid,
};

/// A packet with no data and no authinfo.
pub fn bare(ty: PacketType, zxid: Zxid) -> QuorumPacket {
    QuorumPacket {
        r#type: ty as i32,
        zxid: zxid.raw(),
        data: None,
        authinfo: None,
    }
}

/// A packet with data and no authinfo.
pub fn with_data(ty: PacketType, zxid: Zxid, data: Bytes) -> QuorumPacket {
    QuorumPacket {
        r#type: ty as i32,
        zxid: zxid.raw(),
        data: Some(data),
        authinfo: None,
    }
}

/// FOLLOWERINFO / OBSERVERINFO: `zxid = acceptedEpoch << 32`, data = LearnerInfo.
pub fn learner_info(ty: PacketType, accepted_epoch: i64, info: &LearnerInfo) -> QuorumPacket {
    with_data(
        ty,
        Zxid::new(accepted_epoch, 0),
        Bytes::from(info.to_bytes()),
    )
}

/// The LearnerInfo of a FOLLOWERINFO/OBSERVERINFO. Pre-3.5 learners send 12 bytes (no
/// configVersion), older ones 8 (sid only); both are accepted as Java's LearnerHandler does.
pub fn read_learner_info(data: &[u8]) -> Option<LearnerInfo> {
    let mut r = JuteReader::new(data);
    let serverid = r.read_i64().ok()?;
    let protocol_version = if r.remaining() >= 4 {
        r.read_i32().ok()?
    } else {
        0
    };
    let config_version = if r.remaining() >= 8 {
        r.read_i64().ok()?
    } else {
        0
    };
    Some(LearnerInfo {
        serverid,
        protocol_version,
        config_version,
    })
}

/// An `int` as 4 bytes (LEADERINFO's protocol version, ACKEPOCH's current epoch).
pub fn int_data(v: i32) -> Bytes {
    Bytes::copy_from_slice(&v.to_be_bytes())
}

/// Reads a leading `int` of a packet's data.
pub fn read_int(data: Option<&Bytes>) -> Option<i32> {
    let d = data?;
    let b: [u8; 4] = d.get(..4)?.try_into().ok()?;
    Some(i32::from_be_bytes(b))
}

/// The data of a learner's PING reply: `(long sessionId, int timeout)*`.
pub fn session_touches(sessions: &[(i64, i32)]) -> Bytes {
    let mut out = BytesMut::with_capacity(sessions.len() * 12);
    for &(id, timeout) in sessions {
        out.put_i64(id);
        out.put_i32(timeout);
    }
    out.freeze()
}

/// Reads a PING reply's session touches; a trailing partial entry is ignored (Java reads
/// until the stream ends).
pub fn read_session_touches(data: Option<&Bytes>) -> Vec<(i64, i32)> {
    let Some(d) = data else {
        return Vec::new();
    };
    d.chunks_exact(12)
        .filter_map(|c| {
            let id = i64::from_be_bytes(c.get(..8)?.try_into().ok()?);
            let timeout = i32::from_be_bytes(c.get(8..12)?.try_into().ok()?);
            Some((id, timeout))
        })
        .collect()
}

/// REVALIDATE from a learner: `long sessionId; int timeout`.
pub fn read_revalidate_request(data: Option<&Bytes>) -> Option<(i64, i32)> {
    let d = data?;
    let id = i64::from_be_bytes(d.get(..8)?.try_into().ok()?);
    let timeout = i32::from_be_bytes(d.get(8..12)?.try_into().ok()?);
    Some((id, timeout))
}

/// REVALIDATE request data, learner → leader.
pub fn revalidate_request(session_id: i64, timeout_ms: i32) -> Bytes {
    let mut out = BytesMut::with_capacity(12);
    out.put_i64(session_id);
    out.put_i32(timeout_ms);
    out.freeze()
}

/// REVALIDATE answer data, leader → learner: `long sessionId; boolean valid`.
pub fn revalidate_answer(session_id: i64, valid: bool) -> Bytes {
    let mut out = BytesMut::with_capacity(9);
    out.put_i64(session_id);
    out.put_u8(u8::from(valid));
    out.freeze()
}

/// Reads a REVALIDATE answer.
pub fn read_revalidate_answer(data: Option<&Bytes>) -> Option<(i64, bool)> {
    let d = data?;
    let id = i64::from_be_bytes(d.get(..8)?.try_into().ok()?);
    let valid = *d.get(8)? != 0;
    Some((id, valid))
}

/// REQUEST data: `long sessionId; int cxid; int type;` then the request record bytes.
pub fn request_data(session_id: i64, cxid: i32, op: i32, request: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(16 + request.len());
    out.put_i64(session_id);
    out.put_i32(cxid);
    out.put_i32(op);
    out.extend_from_slice(request);
    out.freeze()
}

/// Reads REQUEST data into `(sessionId, cxid, type, request bytes)`.
pub fn read_request(data: Option<&Bytes>) -> Option<(i64, i32, i32, Bytes)> {
    let d = data?;
    let id = i64::from_be_bytes(d.get(..8)?.try_into().ok()?);
    let cxid = i32::from_be_bytes(d.get(8..12)?.try_into().ok()?);
    let op = i32::from_be_bytes(d.get(12..16)?.try_into().ok()?);
    Some((id, cxid, op, d.slice(16..)))
}

/// The configuration a reconfig txn (txn-log entry bytes) activates: `None` if the txn is not
/// a reconfig (header type 16), `Some(Err)` if it is one whose `SetDataTxn` does not hold a
/// readable configuration.
pub fn reconfig_verifier(txn: &[u8]) -> Option<Result<QuorumVerifier, String>> {
    let header = TxnHeader::read_from(&mut JuteReader::new(txn)).ok()?;
    if header.r#type != OpCode::Reconfig.code() {
        return None;
    }
    let entry = match TxnEntry::decode(txn) {
        Ok(e) => e,
        Err(e) => return Some(Err(format!("reconfig txn does not decode: {e}"))),
    };
    let TxnBody::SetData(set) = entry.body else {
        return Some(Err("reconfig txn without a SetDataTxn".into()));
    };
    let data = set.data.unwrap_or_default();
    let Ok(text) = std::str::from_utf8(&data) else {
        return Some(Err("reconfig txn config is not UTF-8".into()));
    };
    Some(QuorumVerifier::parse(text, "reconfig txn", true).map_err(|e| e.to_string()))
}

/// The designated leader of a COMMITANDACTIVATE / INFORMANDACTIVATE (its first 8 bytes).
pub fn read_designated_leader(data: Option<&Bytes>) -> Option<u64> {
    let d = data?;
    let b: [u8; 8] = d.get(..8)?.try_into().ok()?;
    u64::try_from(i64::from_be_bytes(b)).ok()
}

/// The data of a COMMITANDACTIVATE: `long designatedLeader`.
pub fn designated_leader_data(sid: u64) -> Bytes {
    Bytes::copy_from_slice(&i64::try_from(sid).unwrap_or(i64::MAX).to_be_bytes())
}

/// The data of an INFORMANDACTIVATE: `long designatedLeader` then the proposal's txn bytes.
pub fn inform_and_activate_data(sid: u64, txn: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(8 + txn.len());
    out.put_slice(&designated_leader_data(sid));
    out.put_slice(txn);
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captured_followerinfo_body() {
        // FOLLOWERINFO data of a 3.8.0-speaking learner with sid 3 (captures/fake3_out.txt).
        let info = LearnerInfo {
            serverid: 3,
            protocol_version: 0x10000,
            config_version: 0,
        };
        let p = learner_info(PacketType::FollowerInfo, 0, &info);
        assert_eq!(
            p.data.as_deref(),
            Some(&[0, 0, 0, 0, 0, 0, 0, 3, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0][..])
        );
        assert_eq!(
            read_learner_info(p.data.as_deref().unwrap_or_default()),
            Some(info)
        );
    }

    #[test]
    fn short_and_truncated_bodies() {
        assert_eq!(
            read_learner_info(&[0, 0, 0, 0, 0, 0, 0, 7]).map(|i| i.serverid),
            Some(7)
        );
        assert_eq!(read_learner_info(&[0, 0, 0]), None);
        let touches = session_touches(&[(1, 2), (3, 4)]);
        assert_eq!(read_session_touches(Some(&touches)), vec![(1, 2), (3, 4)]);
        assert_eq!(
            read_session_touches(Some(&touches.slice(..20))),
            vec![(1, 2)]
        );
        assert_eq!(read_request(Some(&Bytes::from_static(&[0; 15]))), None);
        let r = request_data(9, 8, 1, b"xy");
        assert_eq!(
            read_request(Some(&r)),
            Some((9, 8, 1, Bytes::from_static(b"xy")))
        );
        let a = revalidate_answer(5, true);
        assert_eq!(read_revalidate_answer(Some(&a)), Some((5, true)));
    }
}
