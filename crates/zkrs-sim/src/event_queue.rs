//! [`EventQueue`]: events by logical time; events at the same time run in the order they were
//! scheduled.

use std::collections::BTreeMap;

use crate::event::Event;

/// A deterministic priority queue of events.
#[derive(Debug, Default)]
pub struct EventQueue {
    events: BTreeMap<(u64, u64), Event>,
    next_seq: u64,
}

impl EventQueue {
    pub fn new() -> EventQueue {
        EventQueue::default()
    }

    /// Schedules `event` at `at_ms`.
    pub fn push(&mut self, at_ms: u64, event: Event) {
        self.next_seq += 1;
        self.events.insert((at_ms, self.next_seq), event);
    }

    /// The earliest event and its time.
    pub fn pop(&mut self) -> Option<(u64, Event)> {
        self.events.pop_first().map(|((t, _), e)| (t, e))
    }

    /// The time of the earliest event.
    pub fn peek_time(&self) -> Option<u64> {
        self.events.keys().next().map(|(t, _)| *t)
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}
