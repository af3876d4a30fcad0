//! [`ServerClock`]: where the shell reads time for the core.
//!
//! The core takes time as input ([`Clock`]). Monotonic milliseconds come from tokio's clock
//! (so tests may pause it), offset by the wall clock at startup: ZooKeeper seeds session ids
//! from its elapsed-time clock, and a base that differs across restarts keeps session ids from
//! repeating after a restart, as `System.nanoTime()` does for the JVM.

use std::time::{SystemTime, UNIX_EPOCH};

use tokio::time::Instant;
use zkrs_session::Clock;

/// The shell's clock.
#[derive(Debug, Clone, Copy)]
pub struct ServerClock {
    start: Instant,
    mono_base_ms: u64,
}

impl ServerClock {
    /// A clock whose monotonic milliseconds start at the current Unix time.
    pub fn new() -> ServerClock {
        ServerClock {
            start: Instant::now(),
            mono_base_ms: wall_now_ms().max(0) as u64,
        }
    }

    /// Both clocks, now.
    pub fn now(&self) -> Clock {
        Clock {
            mono_ms: self.mono_base_ms + self.start.elapsed().as_millis() as u64,
            wall_ms: wall_now_ms(),
        }
    }

    /// The tokio instant of a monotonic millisecond value (clamped to the clock's start).
    pub fn instant_at(&self, mono_ms: u64) -> Instant {
        self.start + std::time::Duration::from_millis(mono_ms.saturating_sub(self.mono_base_ms))
    }

    /// Milliseconds since the clock started (`uptime`).
    pub fn uptime_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }
}

impl Default for ServerClock {
    fn default() -> Self {
        ServerClock::new()
    }
}

/// `Time.elapsedTimeToDate`: the wall-clock time of monotonic instant `mono_ms`, given `now`.
pub fn wall_of(mono_ms: u64, now: Clock) -> i64 {
    now.wall_ms - (now.mono_ms as i64 - mono_ms as i64)
}

fn wall_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
