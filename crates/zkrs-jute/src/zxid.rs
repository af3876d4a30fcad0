//! [`Zxid`]: a ZooKeeper transaction id, `epoch << 32 | counter` (`ZxidUtils`).

use std::fmt;

/// A transaction id: the leader's epoch in the high 32 bits, a counter in the low 32 bits.
///
/// On the wire and on disk a zxid is a signed 64-bit long; some protocol fields carry values
/// that are not zxids of a txn (`-1` in UPTODATE, `Long.MIN_VALUE` in an observer's vote), so
/// the type keeps the raw `i64` and derives the parts the way `ZxidUtils` does (arithmetic
/// shift for the epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Zxid(pub i64);

impl Zxid {
    /// Zxid 0: an empty database.
    pub const ZERO: Zxid = Zxid(0);

    /// `ZxidUtils.makeZxid(epoch, counter)`.
    pub const fn new(epoch: i64, counter: u32) -> Zxid {
        Zxid((epoch << 32) | counter as i64)
    }

    /// The raw wire value.
    pub const fn raw(self) -> i64 {
        self.0
    }

    /// `ZxidUtils.getEpochFromZxid`: `zxid >> 32`.
    pub const fn epoch(self) -> i64 {
        self.0 >> 32
    }

    /// `ZxidUtils.getCounterFromZxid`: `zxid & 0xffffffff`.
    pub const fn counter(self) -> u32 {
        (self.0 & 0xffff_ffff) as u32
    }

    /// The next zxid of the same epoch, or `None` when the counter would reach `0xffffffff`,
    /// which a leader never proposes (`Leader.propose`: the rollover forces a re-election).
    pub const fn next_in_epoch(self) -> Option<Zxid> {
        if self.counter() >= 0xffff_fffe {
            None
        } else {
            Some(Zxid(self.0 + 1))
        }
    }
}

impl From<i64> for Zxid {
    fn from(v: i64) -> Zxid {
        Zxid(v)
    }
}

impl From<Zxid> for i64 {
    fn from(z: Zxid) -> i64 {
        z.0
    }
}

/// `0x<hex>` as ZooKeeper logs zxids (`Long.toHexString`).
impl fmt::Display for Zxid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_and_rollover() {
        let z = Zxid::new(1, 1);
        assert_eq!(z.raw(), 0x1_0000_0001);
        assert_eq!((z.epoch(), z.counter()), (1, 1));
        assert_eq!(
            Zxid::new(3, 0xffff_fffd).next_in_epoch(),
            Some(Zxid::new(3, 0xffff_fffe))
        );
        assert_eq!(Zxid::new(3, 0xffff_fffe).next_in_epoch(), None);
        assert_eq!(Zxid(-1).epoch(), -1);
        assert_eq!(Zxid(i64::MIN).epoch(), -(1 << 31));
        assert_eq!(Zxid::new(1, 0).to_string(), "0x100000000");
    }
}
