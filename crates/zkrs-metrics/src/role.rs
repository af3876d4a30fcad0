//! [`Role`]: what a server is (standalone or its quorum role), and [`Roles`]: the roles on which
//! a family exists.

/// A server's role, as far as its metric families go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// A standalone server (also a quorum member in read-only mode, which runs a plain
    /// `ZooKeeperServer`).
    Standalone,
    Follower,
    Observer,
    Leader,
}

impl Role {
    const fn bit(self) -> u8 {
        match self {
            Role::Standalone => 1,
            Role::Follower => 2,
            Role::Observer => 4,
            Role::Leader => 8,
        }
    }
}

/// A set of roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Roles(u8);

impl Roles {
    /// Every server.
    pub const ALL: Roles = Roles(1 | 2 | 4 | 8);
    /// Quorum members (`QuorumZooKeeperServer`: `quorum_size`).
    pub const QUORUM: Roles = Roles(2 | 4 | 8);
    /// Followers and the leader (`synced_observers`).
    pub const VOTERS: Roles = Roles(2 | 8);
    /// The leader only (`LeaderZooKeeperServer`).
    pub const LEADER: Roles = Roles(8);

    /// Whether `role` is in the set.
    pub const fn contains(self, role: Role) -> bool {
        self.0 & role.bit() != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets() {
        assert!(Roles::ALL.contains(Role::Standalone));
        assert!(!Roles::QUORUM.contains(Role::Standalone));
        assert!(Roles::VOTERS.contains(Role::Follower));
        assert!(!Roles::VOTERS.contains(Role::Observer));
        assert!(Roles::LEADER.contains(Role::Leader));
        assert!(!Roles::LEADER.contains(Role::Follower));
    }
}
