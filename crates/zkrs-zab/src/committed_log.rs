//! [`CommittedLog`]: the last committed proposals kept in memory (`ZKDatabase.committedLog`),
//! from which a leader DIFF-syncs learners that are only a little behind.

use std::collections::VecDeque;

use bytes::Bytes;
use zkrs_jute::Zxid;

/// One committed txn: its zxid and its txn-log entry bytes (TxnHeader + body + digest), which
/// are also the data of its PROPOSAL and INFORM packets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedProposal {
    pub zxid: Zxid,
    pub txn: Bytes,
}

/// A bounded, contiguous run of committed proposals in zxid order.
///
/// To ensure correctness: the run never has a hole (ZOOKEEPER-4925): a proposal that does not
/// follow the last one (same epoch and counter + 1, or the first of a later epoch) resets the
/// log to start at it, so a DIFF computed from it can never skip a txn.
#[derive(Debug, Clone, Default)]
pub struct CommittedLog {
    proposals: VecDeque<CommittedProposal>,
    capacity: usize,
}

impl CommittedLog {
    /// An empty log keeping at most `capacity` proposals.
    pub fn new(capacity: usize) -> CommittedLog {
        CommittedLog {
            proposals: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// Adds the proposal committed after the last one.
    pub fn add(&mut self, zxid: Zxid, txn: Bytes) {
        if let Some(last) = self.proposals.back() {
            let follows = (zxid.epoch() == last.zxid.epoch() && zxid.raw() == last.zxid.raw() + 1)
                || zxid.epoch() > last.zxid.epoch();
            if !follows {
                self.proposals.clear();
            }
        }
        self.proposals.push_back(CommittedProposal { zxid, txn });
        while self.proposals.len() > self.capacity {
            self.proposals.pop_front();
        }
    }

    /// Forgets everything (after a TRUNC or a SNAP).
    pub fn clear(&mut self) {
        self.proposals.clear();
    }

    /// `minCommittedLog`, or `None` when empty.
    pub fn min_zxid(&self) -> Option<Zxid> {
        self.proposals.front().map(|p| p.zxid)
    }

    /// `maxCommittedLog`, or `None` when empty.
    pub fn max_zxid(&self) -> Option<Zxid> {
        self.proposals.back().map(|p| p.zxid)
    }

    /// The proposals in zxid order.
    pub fn iter(&self) -> impl Iterator<Item = &CommittedProposal> {
        self.proposals.iter()
    }

    /// How many proposals are kept.
    pub fn len(&self) -> usize {
        self.proposals.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.proposals.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_and_contiguous() {
        let mut log = CommittedLog::new(3);
        for c in 1..=5 {
            log.add(Zxid::new(1, c), Bytes::new());
        }
        assert_eq!(log.min_zxid(), Some(Zxid::new(1, 3)));
        assert_eq!(log.max_zxid(), Some(Zxid::new(1, 5)));
        log.add(Zxid::new(2, 1), Bytes::new());
        assert_eq!(log.max_zxid(), Some(Zxid::new(2, 1)));
        assert_eq!(log.len(), 3);
        // A hole resets the run.
        log.add(Zxid::new(2, 3), Bytes::new());
        assert_eq!(log.min_zxid(), Some(Zxid::new(2, 3)));
        assert_eq!(log.len(), 1);
    }
}
