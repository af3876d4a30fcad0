//! ZooKeeper 3.8's metric families and their Prometheus text exposition, byte for byte as
//! `PrometheusMetricsProvider` (simpleclient 0.9.0) writes them, plus the `mntr` lines the
//! provider's `dump()` derives from the same samples.
//!
//! The crate is sans-IO: it computes no value. The server passes in a [`FamilySamples`] per
//! family (values it already keeps), and gets text back.
//!
//! # Layout
//!
//! - `role`: [`Role`] (standalone, follower, observer, leader) and [`Roles`], the set of roles
//!   a family exists on.
//! - `family`: [`Family`], one catalogue entry (name, [`Kind`], quantiles, label name, roles,
//!   [`Origin`]: ZooKeeper's own, help = name, or a `process_*` collector with its help text).
//! - `catalogue`: [`CATALOGUE`], every family in the order a 3.8.0 leader printed them, and
//!   [`families_for`].
//! - `samples`: [`FamilySamples`], a family with its values ([`Samples`], [`SummaryValue`]).
//! - `text_format`: [`write_text`] (the 0.0.4 exposition) and [`mntr_samples`] (the sample
//!   names and values of the Prometheus provider's `mntr`).
//! - `java_double`: [`java_double`], Java's `Double.toString`.

mod catalogue;
mod family;
mod java_double;
mod role;
mod samples;
mod text_format;

pub use catalogue::{families_for, find, CATALOGUE};
pub use family::{Family, Kind, Origin, ADVANCED, BASIC};
pub use java_double::java_double;
pub use role::{Role, Roles};
pub use samples::{FamilySamples, Samples, SummaryValue};
pub use text_format::{mntr_samples, write_text, CONTENT_TYPE_004};
