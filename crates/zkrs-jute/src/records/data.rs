//! Module `org.apache.zookeeper.data`.

use crate::jute_record;

jute_record! {
    /// `Id`: an authentication identity, `scheme:id` (for example `world:anyone`, `ip:10.0.0.1`).
    pub struct Id {
        pub scheme: String,
        pub id: String,
    }

    /// `ACL`: a permission bit set (`crate::perms`) granted to an `Id`.
    pub struct Acl {
        pub perms: i32,
        pub id: Id,
    }

    /// `Stat`: the 68-byte node metadata a client sees.
    pub struct Stat {
        pub czxid: i64,
        pub mzxid: i64,
        pub ctime: i64,
        pub mtime: i64,
        pub version: i32,
        pub cversion: i32,
        pub aversion: i32,
        pub ephemeral_owner: i64,
        pub data_length: i32,
        pub num_children: i32,
        pub pzxid: i64,
    }

    /// `StatPersisted`: the 60-byte node metadata stored in snapshots (no dataLength/numChildren).
    pub struct StatPersisted {
        pub czxid: i64,
        pub mzxid: i64,
        pub ctime: i64,
        pub mtime: i64,
        pub version: i32,
        pub cversion: i32,
        pub aversion: i32,
        pub ephemeral_owner: i64,
        pub pzxid: i64,
    }

    /// `ClientInfo` (3.7+): one authenticated identity in a `whoAmI` reply.
    pub struct ClientInfo {
        pub auth_scheme: String,
        pub user: String,
    }
}

impl Id {
    /// Builds an id from its two parts.
    pub fn new(scheme: impl Into<String>, id: impl Into<String>) -> Self {
        Id {
            scheme: scheme.into(),
            id: id.into(),
        }
    }
}

impl Acl {
    /// Builds an ACL entry.
    pub fn new(perms: i32, scheme: impl Into<String>, id: impl Into<String>) -> Self {
        Acl {
            perms,
            id: Id::new(scheme, id),
        }
    }
}
