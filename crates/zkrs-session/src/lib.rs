//! The sans-IO core of a ZooKeeper server: sessions, the request pipeline and ACL checks.
//!
//! [`ServerCore`] is a plain value. The server crate feeds it inputs (connections opened and
//! closed, decoded client frames, clock ticks, "committed up to zxid") and drains outputs
//! ([`Output`]: bytes to send, connections to close, txns to make durable). It owns no sockets,
//! files, threads or clocks, so a simulator can drive many of them deterministically.
//!
//! The behaviour is ZooKeeper 3.8.0's in standalone mode, reply for reply and error code for
//! error code; `API.md` lists the places where it knowingly differs. As a quorum member
//! ([`CoreRole`]) it is the request side of `LeaderZooKeeperServer`, `FollowerZooKeeperServer`
//! and `ObserverZooKeeperServer`; the ZAB engine (crate `zkrs-zab`) carries its learner traffic.
//!
//! # Layout
//!
//! - `core`: [`ServerCore`], the `handle_*` / `poll_output` API and the client front end:
//!   connections, the handshake, request intake, per-connection reply order, commit.
//! - `core_role`: [`CoreRole`] (standalone, leader, follower, observer), role changes, serving,
//!   replacing the state after a sync with the leader.
//! - `prep`: the prep stage (`PrepRequestProcessor`): validation, ACL checks, txn building;
//!   connection-free, so the leader runs it for local writes and learners' requests alike.
//! - `apply`: the one apply of a committed txn (local write, learner's request, or a txn the
//!   leader committed): session events, the tree, notifications, the reply.
//! - `learner_front`: a follower's or observer's client front end: forwarding writes and syncs
//!   to the leader, matching the leader's commits with them, revalidation, session touches.
//! - `learner_requests`: the leader's side: learners' forwarded requests, syncs, pings'
//!   session touches, revalidation.
//! - `quorum_view`: [`QuorumView`], the leader's view of the ensemble that a `reconfig`'s prep
//!   checks against.
//! - `read_only`: read-only mode (`ReadOnlyZooKeeperServer`): a looking quorum member serving
//!   read-only clients from its tree.
//! - `quota_check`: `checkQuota`, the hard quota limits enforced with `enforceQuota`.
//! - `final_proc`: the final stage (`FinalRequestProcessor`): replies and read requests, and
//!   the container/TTL reaper.
//! - `introspect`: read-only views for the four-letter words, mntr and the AdminServer.
//! - `connection`: [`connection::Connection`], per-connection state and reply queue.
//! - `session_tracker`, `expiry_queue`: sessions, their owners and their expiry buckets.
//! - `change_record`, `outstanding`: the changes of prepared, not yet applied txns.
//! - `auth`: the `ip` and `digest` providers, ACL check and fixup.
//! - `password`: session passwords and session ids.
//! - `java`: JDK behaviour that shows on the wire (`java.util.Random`, hash-set orders).
//! - `stats`: connection and server counters.
//! - `output`: [`Output`], what the driver must do.
//! - `notice`: [`Notice`], session events for the driver to log.
//! - `clock`: [`Clock`], the time inputs (monotonic and wall milliseconds).
//! - `config`: [`CoreConfig`], the settings the core needs, validated by the caller.

#![forbid(unsafe_code)]

mod apply;
pub mod auth;
pub mod change_record;
pub mod clock;
pub mod config;
pub mod connection;
pub mod core;
pub mod core_role;
pub mod expiry_queue;
mod final_proc;
pub mod introspect;
pub mod java;
pub mod learner_front;
pub mod learner_requests;
pub mod notice;
pub mod output;
pub mod outstanding;
pub mod password;
mod prep;
pub mod quorum_view;
mod quota_check;
pub mod read_only;
pub mod session_tracker;
pub mod stats;

pub use clock::Clock;
pub use config::CoreConfig;
pub use core::{ConnId, ServerCore, ZxidDigest};
pub use core_role::CoreRole;
pub use introspect::{ConnectionInfo, SessionInfoView};
pub use notice::Notice;
pub use output::Output;
pub use password::generate_passwd;
pub use quorum_view::QuorumView;
pub use read_only::ReadOnlyMode;
pub use session_tracker::SessionOwner;
