//! Differential testing of zkrs against Apache ZooKeeper 3.8.
//!
//! A seeded [`Generator`] produces one [`Program`] (a list of [`Step`]s over several session
//! slots); a [`Driver`] runs it against a server over the raw client protocol (the `zkrs-jute`
//! codec over a blocking `TcpStream`) and records a [`Transcript`]: per step, the reply (error
//! code, normalized body) and every notification each session received, in order. Two
//! transcripts of the same program must be identical ([`compare`]).
//!
//! # Layout
//!
//! - `rng`: [`SplitMix64`], the seeded PRNG.
//! - `step`: [`Step`] / [`Action`] and their one-line descriptions.
//! - `generator`: [`Generator`], seed → [`Program`].
//! - `conn`: [`Conn`], a framed TCP connection with deadline-bounded reads.
//! - `normalize`: [`Normalizer`], zxid / session-id / time / ordering normalization.
//! - `driver`: [`Driver`], runs a program against one server.
//! - `transcript`: [`Transcript`], [`compare`] and [`diff_report`].
//! - `server`: [`ServerProcess`], starts ZooKeeper or zkrs with the shared [`zoo_cfg`].

#![forbid(unsafe_code)]

pub mod conn;
pub mod driver;
pub mod generator;
pub mod normalize;
pub mod rng;
pub mod server;
pub mod step;
pub mod transcript;

pub use conn::{Conn, Incoming};
pub use driver::{Barrier, Driver, DriverConfig};
pub use generator::{program, GenConfig, Generator, Program};
pub use normalize::{Normalizer, ZxidMode};
pub use rng::SplitMix64;
pub use server::{zoo_cfg, ServerKind, ServerProcess};
pub use step::{Action, Step};
pub use transcript::{compare, diff_report, Comparison, StepRecord, Transcript};
