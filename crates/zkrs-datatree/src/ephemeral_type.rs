//! `EphemeralType`: what a znode's `ephemeralOwner` means (`server/EphemeralType.java`).
//!
//! | owner | type |
//! |---|---|
//! | `0` | [`EphemeralType::Void`] (persistent) |
//! | `i64::MIN` (`0x8000000000000000`) | [`EphemeralType::Container`], always |
//! | high byte `0xff`, next two bytes `0` | [`EphemeralType::Ttl`], only with `zookeeper.extendedTypesEnabled` |
//! | anything else | [`EphemeralType::Normal`]: the owning session id |
//!
//! The legacy `zookeeper.emulate353TTLNodes` encoding is not supported.

/// `EphemeralType.CONTAINER_EPHEMERAL_OWNER`.
pub const CONTAINER_EPHEMERAL_OWNER: i64 = i64::MIN;
/// `EphemeralType.MAX_EXTENDED_SERVER_ID`: with extended types, server ids must not exceed this
/// (session ids start with the server id, and `0xff` would read as an extended owner).
pub const MAX_EXTENDED_SERVER_ID: i64 = 0xfe;
/// The largest TTL, in ms (`TTL.maxValue()`, 2^40-1, about 34 years).
pub const TTL_MAX: i64 = 0x0000_00ff_ffff_ffff;

const EXTENDED_MASK: i64 = 0xff00_0000_0000_0000_u64 as i64;
const EXTENDED_BIT_TTL: i64 = 0;
const RESERVED_BITS_MASK: i64 = 0x00ff_ff00_0000_0000;
const RESERVED_BITS_SHIFT: u32 = 40;
const EXTENDED_FEATURE_VALUE_MASK: i64 = !(EXTENDED_MASK | RESERVED_BITS_MASK);

/// The kind of a znode, from its `ephemeralOwner`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum EphemeralType {
    /// Persistent (owner 0).
    #[default]
    Void,
    /// A session's ephemeral (owner = session id).
    Normal,
    /// A container node.
    Container,
    /// A TTL node (extended types only).
    Ttl,
}

impl EphemeralType {
    /// `EphemeralType.get(owner)` with `zookeeper.extendedTypesEnabled` given explicitly.
    ///
    /// ZooKeeper throws for an extended owner whose feature bits are not TTL; that cannot come from
    /// a valid txn, and this returns [`EphemeralType::Normal`] for it instead.
    pub fn get(ephemeral_owner: i64, extended_types_enabled: bool) -> EphemeralType {
        if extended_types_enabled
            && (ephemeral_owner & EXTENDED_MASK) == EXTENDED_MASK
            && (ephemeral_owner & RESERVED_BITS_MASK) >> RESERVED_BITS_SHIFT == EXTENDED_BIT_TTL
        {
            return EphemeralType::Ttl;
        }
        if ephemeral_owner == CONTAINER_EPHEMERAL_OWNER {
            EphemeralType::Container
        } else if ephemeral_owner == 0 {
            EphemeralType::Void
        } else {
            EphemeralType::Normal
        }
    }

    /// `TTL.toEphemeralOwner(ttl)`: `0xff00000000000000 | ttl`, or `None` unless `0 < ttl <= 2^40-1`
    /// (ZooKeeper throws IllegalArgumentException; the prep stage answers BADARGUMENTS).
    pub fn ttl_to_ephemeral_owner(ttl: i64) -> Option<i64> {
        if ttl <= 0 || ttl > TTL_MAX {
            None
        } else {
            Some(EXTENDED_MASK | EXTENDED_BIT_TTL | ttl)
        }
    }

    /// `TTL.getValue(owner)`: the TTL in ms carried by a TTL owner (0 for other types).
    pub fn ttl_value(self, ephemeral_owner: i64) -> i64 {
        match self {
            EphemeralType::Ttl => ephemeral_owner & EXTENDED_FEATURE_VALUE_MASK,
            _ => 0,
        }
    }

    /// The `ephemeralOwner` a client sees (`DataNode.getClientEphemeralOwner`): the owner for a
    /// NORMAL ephemeral, 0 otherwise.
    pub fn client_ephemeral_owner(self, ephemeral_owner: i64) -> i64 {
        if self == EphemeralType::Normal {
            ephemeral_owner
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert_eq!(EphemeralType::get(0, true), EphemeralType::Void);
        assert_eq!(EphemeralType::get(0, false), EphemeralType::Void);
        assert_eq!(
            EphemeralType::get(i64::MIN, false),
            EphemeralType::Container
        );
        assert_eq!(EphemeralType::get(i64::MIN, true), EphemeralType::Container);
        assert_eq!(
            EphemeralType::get(0x1_0000_0001, true),
            EphemeralType::Normal
        );
        let ttl = 0xff00_0000_0001_86a0_u64 as i64;
        assert_eq!(EphemeralType::get(ttl, true), EphemeralType::Ttl);
        assert_eq!(EphemeralType::get(ttl, false), EphemeralType::Normal);
        // Reserved bits set: not a TTL.
        let odd = 0xff01_0000_0000_0001_u64 as i64;
        assert_eq!(EphemeralType::get(odd, true), EphemeralType::Normal);
        // Negative session ids that are not extended owners stay NORMAL.
        assert_eq!(EphemeralType::get(-5, true), EphemeralType::Normal);
    }

    #[test]
    fn ttl_encoding() {
        assert_eq!(
            EphemeralType::ttl_to_ephemeral_owner(100_000),
            Some(0xff00_0000_0001_86a0_u64 as i64)
        );
        assert_eq!(
            EphemeralType::ttl_to_ephemeral_owner(1),
            Some(0xff00_0000_0000_0001_u64 as i64)
        );
        assert_eq!(EphemeralType::ttl_to_ephemeral_owner(0), None);
        assert_eq!(EphemeralType::ttl_to_ephemeral_owner(-1), None);
        assert_eq!(
            EphemeralType::ttl_to_ephemeral_owner(TTL_MAX),
            Some(0xff00_00ff_ffff_ffff_u64 as i64)
        );
        assert_eq!(EphemeralType::ttl_to_ephemeral_owner(TTL_MAX + 1), None);
        let owner = EphemeralType::ttl_to_ephemeral_owner(12345).unwrap();
        assert_eq!(EphemeralType::Ttl.ttl_value(owner), 12345);
        assert_eq!(EphemeralType::Normal.ttl_value(owner), 0);
    }

    #[test]
    fn client_owner() {
        assert_eq!(EphemeralType::Normal.client_ephemeral_owner(42), 42);
        assert_eq!(EphemeralType::Container.client_ephemeral_owner(i64::MIN), 0);
        assert_eq!(EphemeralType::Ttl.client_ephemeral_owner(-1), 0);
        assert_eq!(EphemeralType::Void.client_ephemeral_owner(0), 0);
    }
}
