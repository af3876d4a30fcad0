//! Self-managing members: a zkrs extension to ZooKeeper's dynamic reconfiguration, off by
//! default (`zkrs.autoMembership=true` turns it on; ZooKeeper's behaviour is unchanged
//! without it).
//!
//! - **Join.** A new member is started with its own `server.N` line and the client addresses
//!   of the live ensemble (`zkrs.autoMembership.ensemble`). Before the server starts it reads
//!   the ensemble's `/zookeeper/config` and writes it, plus its own line, as its dynamic
//!   config at version 0, so it learns the real (newer) configuration from the election and
//!   syncs as a non-voting follower, exactly as ZooKeeper's documented joiner does. Once it
//!   serves (it is synced), it asks for `reconfig -add` of its own line, conditioned on the
//!   version it read (`-v`), retrying on BADVERSION, RECONFIGINPROGRESS and NEWCONFIGNOQUORUM.
//! - **Leave.** On `zkrs leave <zoo.cfg>` (or SIGUSR2 to the server, then it stops) the member
//!   asks for `reconfig -remove` of itself, conditioned on the version, and waits until it is
//!   out before the server stops. A plain SIGTERM (a restart, a rolling update) does not
//!   leave.
//! - **Guards.** Concurrent joiners and leavers are serialized by the version condition (one
//!   wins, the others read the new version and retry). A member that was removed (by itself or
//!   by an operator) records it in `<dataDir>/zkrs-membership` and never adds itself back;
//!   only a fresh data directory joins. A leave that the leader refuses (the remaining voters
//!   would not hold a quorum, or fewer than 2 would remain with `standaloneEnabled`) is
//!   retried, and the member does not stop while it is still a voter.
//!
//! # Layout
//!
//! - `client`: [`ZkClient`], the few client requests the agent needs (connect, digest auth,
//!   getData, reconfig, close) over ZooKeeper's client protocol.
//! - `agent`: [`MembershipAgent`], the join and leave procedures and their state file.

#![forbid(unsafe_code)]

pub mod agent;
pub mod client;

pub use agent::{AutoMembership, MembershipAgent, MembershipState};
pub use client::{ClientError, ZkClient};
