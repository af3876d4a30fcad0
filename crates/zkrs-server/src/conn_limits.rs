//! [`ConnLimits`]: `maxClientCnxns` (per source IP) and `maxCnxns` (total), checked at accept.
//!
//! As in `NIOServerCnxnFactory.AcceptThread.doAccept`, a connection over either limit is closed
//! right after `accept` and counted in `connection_rejected`; nothing is written to it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Why an accepted connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// `maxClientCnxns` connections from this IP are already open.
    PerIp { max: u32 },
    /// `maxCnxns` connections are already open.
    Total { max: u32 },
}

#[derive(Debug, Default)]
struct Counts {
    per_ip: HashMap<IpAddr, u32>,
    total: u32,
}

/// Open-connection counts, shared by the listener (which acquires) and the connection tasks
/// (whose [`ConnPermit`] releases on drop).
#[derive(Debug)]
pub struct ConnLimits {
    max_per_ip: u32,
    max_total: u32,
    // A std mutex: held only for a map update, never across an await.
    counts: Mutex<Counts>,
    /// `connection_request_count`: connections accepted by the OS.
    pub accepted: AtomicU64,
    /// `connection_rejected`: connections refused by a limit.
    pub rejected: AtomicU64,
}

/// One open connection's place in the counts; released when dropped.
#[derive(Debug)]
pub struct ConnPermit {
    limits: Arc<ConnLimits>,
    ip: IpAddr,
}

impl ConnLimits {
    /// Limits with 0 meaning unlimited.
    pub fn new(max_per_ip: u32, max_total: u32) -> Arc<ConnLimits> {
        Arc::new(ConnLimits {
            max_per_ip,
            max_total,
            counts: Mutex::new(Counts::default()),
            accepted: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Counts> {
        // The counts stay consistent even if a holder panicked: every update is one statement.
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Admits one connection from `ip`, or says which limit refuses it.
    pub fn try_acquire(self: &Arc<Self>, ip: IpAddr) -> Result<ConnPermit, Rejection> {
        self.accepted.fetch_add(1, Ordering::Relaxed);
        let ip = canonical(ip);
        let mut counts = self.lock();
        let from_ip = counts.per_ip.get(&ip).copied().unwrap_or(0);
        let refused = if self.max_per_ip > 0 && from_ip >= self.max_per_ip {
            Some(Rejection::PerIp {
                max: self.max_per_ip,
            })
        } else if self.max_total > 0 && counts.total >= self.max_total {
            Some(Rejection::Total {
                max: self.max_total,
            })
        } else {
            None
        };
        if let Some(r) = refused {
            drop(counts);
            self.rejected.fetch_add(1, Ordering::Relaxed);
            return Err(r);
        }
        counts.per_ip.insert(ip, from_ip + 1);
        counts.total += 1;
        Ok(ConnPermit {
            limits: Arc::clone(self),
            ip,
        })
    }

    /// Open connections from `ip`.
    #[cfg(test)]
    pub fn open_from(&self, ip: IpAddr) -> u32 {
        self.lock().per_ip.get(&canonical(ip)).copied().unwrap_or(0)
    }

    /// Resets the counters (`srst`).
    pub fn reset_counters(&self) {
        self.accepted.store(0, Ordering::Relaxed);
        self.rejected.store(0, Ordering::Relaxed);
    }
}

impl Drop for ConnPermit {
    fn drop(&mut self) {
        let mut counts = self.limits.lock();
        counts.total = counts.total.saturating_sub(1);
        if let Some(n) = counts.per_ip.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.per_ip.remove(&self.ip);
            }
        }
    }
}

/// An IPv4-mapped IPv6 address counts as its IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn per_ip_and_total() {
        let a = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
        let b = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
        let limits = ConnLimits::new(2, 3);
        let p1 = limits.try_acquire(a).expect("first");
        let _p2 = limits.try_acquire(a).expect("second");
        assert_eq!(
            limits.try_acquire(a).err(),
            Some(Rejection::PerIp { max: 2 })
        );
        let _p3 = limits.try_acquire(b).expect("other ip");
        assert_eq!(
            limits.try_acquire(b).err(),
            Some(Rejection::Total { max: 3 })
        );
        drop(p1);
        assert_eq!(limits.open_from(a), 1);
        let _p4 = limits.try_acquire(a).expect("after release");
        assert_eq!(limits.rejected.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn zero_is_unlimited() {
        let limits = ConnLimits::new(0, 0);
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let permits: Vec<_> = (0..100).map(|_| limits.try_acquire(ip)).collect();
        assert!(permits.iter().all(Result::is_ok));
    }
}
