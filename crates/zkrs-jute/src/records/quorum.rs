//! Module `org.apache.zookeeper.server.quorum`.

use bytes::Bytes;

use super::data::Id;
use crate::jute_record;

jute_record! {
    /// `LearnerInfo`: the body of FOLLOWERINFO / OBSERVERINFO (20 bytes since 3.5).
    pub struct LearnerInfo {
        pub serverid: i64,
        pub protocol_version: i32,
        pub config_version: i64,
    }

    /// `QuorumPacket`: every message on the learner port (2888), written back to back with no
    /// length prefix. `data` and `authinfo` are null in most packets.
    pub struct QuorumPacket {
        pub r#type: i32,
        pub zxid: i64,
        pub data: Option<Bytes>,
        pub authinfo: Option<Vec<Id>>,
    }

    /// `QuorumAuthPacket`: the quorum SASL exchange that precedes election/learner traffic.
    pub struct QuorumAuthPacket {
        pub magic: i64,
        pub status: i32,
        pub token: Option<Bytes>,
    }
}
