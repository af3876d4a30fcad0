//! FastLeaderElection and the election port's wire formats (`QuorumCnxManager`,
//! `FastLeaderElection`).

pub mod fast_leader_election;
pub mod initial_message;
pub mod notification;
pub mod vote;

pub use fast_leader_election::{ElectionConfig, ElectionOutput, FastLeaderElection};
pub use initial_message::{InitialMessage, InitialMessageError, ProtocolVersion};
pub use notification::{Notification, NotificationError};
pub use vote::{total_order_predicate, ServerState, Vote};
