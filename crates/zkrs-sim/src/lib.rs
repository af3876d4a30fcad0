//! A deterministic simulator of a whole zkrs ensemble.
//!
//! N full members (FastLeaderElection, the ZAB leader and learner engines, the server core,
//! the real txn log and snapshot code over an in-memory filesystem) run in one thread over a
//! simulated network and disk. A seed fixes every delivery delay, every fault and every client
//! request, so a run replays exactly; ZooKeeper's invariants are checked after every step.
//! `docs/simulator.md` says what is modelled and what is not, and how to run it.
//!
//! # Layout
//!
//! - `simulation`: [`Simulation`], the event loop, the effects of the nodes, the nemesis,
//!   random runs ([`Simulation::run_random`]) and their [`RunReport`].
//! - `node`: [`Node`], one member: the driver's wiring of `FastLeaderElection`, `Leader` /
//!   `Learner` and `ServerCore`, made synchronous, over `FileTxnSnapLog<MemFs>`.
//! - `checker`: [`Checker`], the invariants (I1–I4, I7, serving only after UPTODATE).
//! - `client`: [`Client`], the workload: sessions writing their own znodes, and the I10
//!   oracle of acknowledged writes.
//! - `link`: [`Link`], one learner connection: FIFO both ways, broken by loss, decoded with
//!   the real frame and snapshot-stream decoders.
//! - `network`: [`Network`], partitions (directed blocked pairs).
//! - `event`, `event_queue`: [`Event`] and [`EventQueue`], logical time.
//! - `effect`: [`Effect`], what a node asks the world to do.
//! - `observation`: [`Observation`], what a node reports to the checker and to tests.
//! - `sim_config`: [`SimConfig`]; `sim_rng`: [`SimRng`] (SplitMix64); `trace`: [`Trace`].
//! - `scripted_disk`: scripted disk faults (`eio`, lost renames, power cuts after N disk
//!   mutations) and what a member's disk holds, for the catalogue 25–30 scenarios.
//! - `scripted_client`: raw client connections a scenario drives request by request (reads,
//!   `sync`, ephemerals, session moves), for the catalogue 36–38 scenarios.
//! - `scripted_sync`: scripted faults of the sync-phase scenarios (election notification
//!   rules and chaos, packet delay/skip, link reset after a packet, crash after an epoch
//!   write or a SNAP read) and wire records of votes and quorum packets.

#![forbid(unsafe_code)]

pub mod checker;
pub mod client;
pub mod effect;
pub mod event;
pub mod event_queue;
pub mod link;
pub mod network;
pub mod node;
pub mod observation;
pub mod scripted_client;
pub mod scripted_disk;
pub mod scripted_sync;
pub mod sim_config;
pub mod sim_rng;
pub mod simulation;
pub mod trace;

pub use checker::Checker;
pub use client::Client;
pub use effect::{Effect, LinkId};
pub use event::Event;
pub use event_queue::EventQueue;
pub use link::Link;
pub use network::Network;
pub use node::Node;
pub use observation::Observation;
pub use sim_config::SimConfig;
pub use sim_rng::SimRng;
pub use simulation::{RunReport, Simulation};
pub use trace::Trace;
