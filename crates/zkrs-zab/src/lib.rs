//! Sans-IO ZAB: ZooKeeper's FastLeaderElection and learner protocol as values you step.
//!
//! Nothing here owns a socket, a file, a thread or a clock. The server crate (or the
//! simulator) feeds decoded messages, clock readings in milliseconds and persistence
//! completions in, and carries out the outputs (bytes to send, epochs and txns to make
//! durable, committed txns to apply). The byte formats are Apache ZooKeeper's, so a zkrs
//! member can sit in an ensemble of Java members.
//!
//! # Layout
//!
//! - `election`: FastLeaderElection (`FastLeaderElection.java`) and the election port's wire
//!   formats (`QuorumCnxManager`'s connection handshake, notifications).
//!   - `election::notification`: [`election::Notification`], versions 0/1/2 in, 2 out.
//!   - `election::initial_message`: [`election::InitialMessage`], the first bytes of an
//!     election connection.
//!   - `election::vote`: [`election::Vote`], [`election::ServerState`] and the total order.
//!   - `election::fast_leader_election`: [`election::FastLeaderElection`], the sans-IO state
//!     machine of one election round.
//! - `zab_config`: [`ZabConfig`], the settings (ticks, limits, membership).
//! - `zab_output`: [`ZabOutput`], what the leader and learner ask the shell to do.
//! - `packet`: building and reading learner-port packets.
//! - `leader`: [`Leader`], discovery, sync and broadcast on the leader;
//!   `learner_handler`: [`LearnerHandler`], its record of one learner.
//! - `committed_log`: [`CommittedLog`], the committed proposals kept for DIFF.

#![forbid(unsafe_code)]

pub mod committed_log;
pub mod election;
pub mod leader;
pub mod learner;
pub mod learner_handler;
pub mod packet;
pub mod zab_config;
pub mod zab_output;

pub use committed_log::{CommittedLog, CommittedProposal};
pub use leader::{Leader, LeaderPhase, LeaderStart, ProposeError};
pub use learner::{Learner, LearnerPhase, LearnerStart};
pub use learner_handler::{HandlerState, LearnerHandler, SyncMode};
pub use zab_config::ZabConfig;
pub use zab_output::{EpochKind, HandlerId, ZabOutput};
pub use zkrs_jute::Zxid;
