//! The sans-IO core of a ZooKeeper server: sessions, the request pipeline and ACL checks.
//!
//! [`ServerCore`] is a plain value. The server crate feeds it inputs (connections opened and
//! closed, decoded client frames, clock ticks, "committed up to zxid") and drains outputs
//! ([`Output`]: bytes to send, connections to close, txns to make durable). It owns no sockets,
//! files, threads or clocks, so a simulator can drive many of them deterministically.
//!
//! # Layout
//!
//! - `core`: [`ServerCore`], the `handle_*` / `poll_output` API.
//! - `output`: [`Output`], what the driver must do.
//! - `clock`: [`Clock`], the time inputs (monotonic and wall milliseconds).
//! - `config`: [`CoreConfig`], the settings the core needs, validated by the caller.

#![forbid(unsafe_code)]

pub mod clock;
pub mod config;
pub mod core;
pub mod output;

pub use clock::Clock;
pub use config::CoreConfig;
pub use core::{ConnId, ServerCore};
pub use output::Output;
