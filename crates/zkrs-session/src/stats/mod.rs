//! Counters the four-letter words, mntr and the AdminServer report.
//!
//! - `latency`: [`Latency`], min/avg/max as `AvgMinMaxCounter` keeps them.
//! - `conn_stats`: [`ConnStats`], one connection's `cons` fields.
//! - `server_stats`: [`ServerStats`], the `srvr` counters.

pub mod conn_stats;
pub mod latency;
pub mod server_stats;

pub use conn_stats::ConnStats;
pub use latency::Latency;
pub use server_stats::ServerStats;
