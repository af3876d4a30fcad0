//! The tokio shell of zkrs: it owns the sockets, the clock and the tasks, and drives the
//! sans-IO [`zkrs_session::ServerCore`].
//!
//! ```text
//!  clients ──TCP──> Listener ──spawn──> Connection task (one per client)
//!                                         read loop: bytes → ClientFrameDecoder → Event ──┐
//!                                         write loop: <── bounded queue of frames ───┐    │
//!                                         (or the driver's try_write when idle)      │    │
//!                                                                                    │    ▼
//!                                              Driver (one task; owns the ServerCore) ◄───┘
//!                                                handle_* → poll_output → Send / Close / Persist
//!                                                   │ batches (bounded)          ▲ Durable(zxid)
//!                                                   ▼                            │
//!                                              SyncThread (owns the txn log: append, one fsync
//!                                                per batch, roll) ── SnapshotDue ──> Driver
//!                                              Snapshot Thread (writes a clone of the tree)
//! ```
//!
//! Start-up loads the database from `dataDir`/`dataLogDir` in ZooKeeper's on-disk format
//! (newest valid snapshot + txn log replay, torn tail cut, start-up snapshot) before serving.
//! Persist-before-ack: a write's reply is released only once the sync thread reports its txn
//! durable; a txn log failure stops the server without acknowledging anything more.
//!
//! The listener enforces `maxClientCnxns` and `maxCnxns`; readers enforce `jute.maxbuffer`
//! (through the decoder) and `globalOutstandingLimit` (by not reading); every channel is
//! bounded; a bad frame closes only its own connection. Four-letter words are answered by the
//! driver from the core's introspection and the shell's own counters.
//!
//! # Layout
//!
//! - `server`: [`run`], [`BoundServer`], [`ServerHandle`] — start and graceful stop.
//! - `config`: [`ServerConfig`], the validated settings, and their mapping from zoo.cfg.
//! - `listener`: `Listener`, the accept loop; `conn_limits`: `ConnLimits`, the per-IP and total
//!   connection limits.
//! - `connection`: `Connection`, one client's read and write loops; `event`: `Event`, the
//!   messages to the core task.
//! - `driver`: `Driver`, the core task; `conn_entry`: `ConnEntry`, its per-connection record;
//!   `wire_stats`: `WireStats`, the metrics only the shell can measure; `quorum_stats`:
//!   `QuorumStats`, a quorum member's election, sync and broadcast figures; `summary`:
//!   `Summary`, ZooKeeper's avg/min/max counters.
//! - `throttle`: `Throttle`, `globalOutstandingLimit` and write-queue back-pressure.
//! - `database`: `Database`, the start-up load (restore, dead sessions, start-up snapshot).
//! - `persister`: `Persister`, where `Output::Persist` goes: the core task's end of the txn
//!   log. `sync_thread`: `SyncThread`, the blocking thread that commits the txn log (group
//!   commit); `txn_log_writer`: `TxnLogWriter`, the log and its snapshot trigger, shared by
//!   that thread and the core task's inline commits. `storage_event`: `StorageEvent`, its reports to the core task.
//! - `snapshotter`: `Snapshotter`, background snapshots; `purger`: `Purger`, autopurge.
//! - `storage_config`: [`StorageConfig`], the storage settings from zoo.cfg.
//! - `four_letter`: rendering of every four-letter word; `core_view`: `CoreView`, the core
//!   accessors it reads. `four_letter::prometheus`: the Prometheus provider's families and
//!   values (the `/metrics` exposition via `zkrs-metrics`, and `mntr` in that form);
//!   `process_stats`: `ProcessStats`, the `process_*` values from `/proc`.
//! - `quorum_cnx_manager`: `QuorumCnxManager`, the election-port connections to other servers.
//! - `quorum_link`: `QuorumLink`, one learner-port connection's reader and writer tasks;
//!   `driver::quorum`: the quorum member's election, role engines and their outputs.
//! - `server_clock`: `ServerClock`; `civil_time`: `CivilTime`, dates without a time crate;
//!   `java_fmt`: Java `toString` shapes; `version`: the versions zkrs reports.

#![forbid(unsafe_code)]

mod admin;
pub mod civil_time;
mod config;
mod conn_entry;
mod conn_limits;
mod connection;
mod core_view;
mod database;
mod driver;
mod dynamic_config;
mod error;
mod event;
mod four_letter;
mod http;
mod http_servers;
mod java_fmt;
mod listener;
mod persister;
mod process_stats;
mod purger;
pub mod quorum_cnx_manager;
mod quorum_link;
mod quorum_stats;
mod server;
mod server_clock;
mod snapshotter;
mod storage_config;
mod storage_event;
mod summary;
mod sync_thread;
mod throttle;
mod txn_log_writer;

pub mod version;
mod wire_stats;

pub use config::{
    QuorumSettings, ServerConfig, DEFAULT_GLOBAL_OUTSTANDING_LIMIT, DEFAULT_MAX_CLIENT_CNXNS,
    DEFAULT_SESSIONLESS_CNXN_TIMEOUT_MS,
};
pub use error::ServerError;
pub use server::{run, BoundServer, ServerHandle};
pub use storage_config::{
    StorageConfig, DEFAULT_FSYNC_WARNING_THRESHOLD_MS, DEFAULT_SNAP_COUNT,
    DEFAULT_SNAP_SIZE_LIMIT_BYTES,
};
pub use zkrs_config::FourLetterWhitelist;
pub use zkrs_session::CoreConfig;
pub use zkrs_storage::{SnapshotCompression, StorageOptions};
