//! [`Trace`]: what happened in a run, one line per step, and its running hash. Two runs of
//! one seed must produce the same hash (the determinism self-check); a failing run prints the
//! lines.

use std::fmt::Write as _;

/// The trace of one run.
#[derive(Debug, Clone)]
pub struct Trace {
    hash: u64,
    lines: Vec<String>,
    keep: bool,
    /// Lines kept even when `keep` is off: the tail, printed on failure.
    tail: std::collections::VecDeque<String>,
}

/// Lines kept from the end of a run whose full trace is not kept.
const TAIL_LINES: usize = 400;

impl Trace {
    pub fn new(keep: bool) -> Trace {
        Trace {
            hash: 0xCBF2_9CE4_8422_2325,
            lines: Vec::new(),
            keep,
            tail: std::collections::VecDeque::new(),
        }
    }

    /// Records one line at `now_ms`.
    pub fn record(&mut self, now_ms: u64, line: &str) {
        // FNV-1a over the time and the text.
        for b in now_ms.to_be_bytes().iter().chain(line.as_bytes()) {
            self.hash ^= u64::from(*b);
            self.hash = self.hash.wrapping_mul(0x0000_0100_0000_01B3);
        }
        let mut s = String::with_capacity(line.len() + 12);
        let _ = write!(s, "{now_ms:>8} {line}");
        if self.keep {
            self.lines.push(s);
        } else {
            if self.tail.len() == TAIL_LINES {
                self.tail.pop_front();
            }
            self.tail.push_back(s);
        }
    }

    /// The running hash of every line recorded.
    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// The lines kept (all of them with `keep`, else the last few hundred).
    pub fn lines(&self) -> Vec<String> {
        if self.keep {
            self.lines.clone()
        } else {
            self.tail.iter().cloned().collect()
        }
    }
}
