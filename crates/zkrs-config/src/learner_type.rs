//! [`LearnerType`]: a server's role, from `peerType` or the role part of `server.N`.

use std::fmt;

/// Whether a server votes (`QuorumPeer.LearnerType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum LearnerType {
    /// A voting member (the default).
    #[default]
    Participant,
    /// A non-voting member that only follows.
    Observer,
}

impl LearnerType {
    /// Parses `participant` / `observer` in any ASCII case, after trimming (as both
    /// `peerType` and `QuorumServer.getType` do). `None` for anything else.
    pub fn parse(s: &str) -> Option<LearnerType> {
        let s = crate::java::trim(s);
        if s.eq_ignore_ascii_case("participant") {
            Some(LearnerType::Participant)
        } else if s.eq_ignore_ascii_case("observer") {
            Some(LearnerType::Observer)
        } else {
            None
        }
    }

    /// The lowercase name used in `server.N` lines and `/zookeeper/config`.
    pub fn as_str(self) -> &'static str {
        match self {
            LearnerType::Participant => "participant",
            LearnerType::Observer => "observer",
        }
    }

    /// The enum ordinal the `conf` four-letter word prints as `peerType=` (0 or 1).
    pub fn ordinal(self) -> u8 {
        match self {
            LearnerType::Participant => 0,
            LearnerType::Observer => 1,
        }
    }
}

impl fmt::Display for LearnerType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_any_case() {
        assert_eq!(LearnerType::parse("Observer "), Some(LearnerType::Observer));
        assert_eq!(
            LearnerType::parse("PARTICIPANT"),
            Some(LearnerType::Participant)
        );
        assert_eq!(LearnerType::parse("voter"), None);
        assert_eq!(LearnerType::Observer.to_string(), "observer");
        assert_eq!(LearnerType::Observer.ordinal(), 1);
    }
}
