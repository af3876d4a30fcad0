//! Module `org.apache.zookeeper.server.persistence`.

use crate::jute_record;

jute_record! {
    /// `FileHeader`: the first 16 bytes of a txn log (`ZKLG`) or snapshot (`ZKSN`).
    pub struct FileHeader {
        pub magic: i32,
        pub version: i32,
        pub dbid: i64,
    }
}

impl FileHeader {
    /// `FileTxnLog.TXNLOG_MAGIC`: "ZKLG".
    pub const TXNLOG_MAGIC: i32 = 0x5A4B_4C47;
    /// `FileSnap.SNAP_MAGIC`: "ZKSN".
    pub const SNAP_MAGIC: i32 = 0x5A4B_534E;
    /// The only on-disk format version ZooKeeper 3.x writes.
    pub const VERSION: i32 = 2;
}
