//! `ZooDefs.Perms` and `ZooDefs.Ids`.

use crate::records::data::{Acl, Id};

/// Read data and list children.
pub const READ: i32 = 1;
/// Set data.
pub const WRITE: i32 = 2;
/// Create children.
pub const CREATE: i32 = 4;
/// Delete children.
pub const DELETE: i32 = 8;
/// Set the ACL.
pub const ADMIN: i32 = 16;
/// All of the above.
pub const ALL: i32 = READ | WRITE | CREATE | DELETE | ADMIN;

/// `Ids.ANYONE_ID_UNSAFE`: `world:anyone`.
pub fn anyone_id() -> Id {
    Id::new("world", "anyone")
}

/// `Ids.AUTH_IDS`: `auth:` (expanded to the caller's identities at create/setACL).
pub fn auth_ids() -> Id {
    Id::new("auth", "")
}

/// `Ids.OPEN_ACL_UNSAFE`.
pub fn open_acl_unsafe() -> Vec<Acl> {
    vec![Acl {
        perms: ALL,
        id: anyone_id(),
    }]
}

/// `Ids.CREATOR_ALL_ACL`.
pub fn creator_all_acl() -> Vec<Acl> {
    vec![Acl {
        perms: ALL,
        id: auth_ids(),
    }]
}

/// `Ids.READ_ACL_UNSAFE`.
pub fn read_acl_unsafe() -> Vec<Acl> {
    vec![Acl {
        perms: READ,
        id: anyone_id(),
    }]
}

/// The `cdrwa` letters ZooKeeper prints for a permission set (zkCli `getAcl`).
pub fn to_letters(perms: i32) -> String {
    let mut s = String::new();
    for (bit, c) in [
        (CREATE, 'c'),
        (DELETE, 'd'),
        (READ, 'r'),
        (WRITE, 'w'),
        (ADMIN, 'a'),
    ] {
        if perms & bit != 0 {
            s.push(c);
        }
    }
    s
}
