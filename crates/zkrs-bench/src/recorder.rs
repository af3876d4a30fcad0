//! [`Recorder`]: the latencies and errors of one session (merged across sessions at the end).

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;

/// Highest latency the histogram tracks (larger values are clamped): 10 minutes in µs.
const MAX_TRACKABLE_US: u64 = 600_000_000;

/// Latency histogram (µs) plus error counts by kind.
#[derive(Debug, Clone)]
pub struct Recorder {
    pub histogram: Histogram<u64>,
    /// Completed requests that failed, by error text.
    pub errors: BTreeMap<String, u64>,
}

impl Recorder {
    /// An empty recorder.
    pub fn new() -> anyhow::Result<Recorder> {
        let histogram = Histogram::new_with_bounds(1, MAX_TRACKABLE_US, 3)
            .map_err(|e| anyhow::anyhow!("hdrhistogram: {e}"))?;
        Ok(Recorder {
            histogram,
            errors: BTreeMap::new(),
        })
    }

    /// Records one successful request.
    pub fn ok(&mut self, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.histogram
            .saturating_record(us.clamp(1, MAX_TRACKABLE_US));
    }

    /// Records one failed request (its latency is not recorded).
    pub fn error(&mut self, kind: String) {
        *self.errors.entry(kind).or_insert(0) += 1;
    }

    /// Number of failed requests.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    /// Adds another session's recorder into this one.
    pub fn merge(&mut self, other: &Recorder) -> anyhow::Result<()> {
        self.histogram
            .add(&other.histogram)
            .map_err(|e| anyhow::anyhow!("merging histograms: {e:?}"))?;
        for (k, v) in &other.errors {
            *self.errors.entry(k.clone()).or_insert(0) += v;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_adds_counts_and_errors() -> anyhow::Result<()> {
        let mut a = Recorder::new()?;
        let mut b = Recorder::new()?;
        a.ok(Duration::from_micros(100));
        b.ok(Duration::from_micros(300));
        b.ok(Duration::from_nanos(10)); // clamped to 1 µs
        b.error("node not exists".into());
        a.merge(&b)?;
        assert_eq!(a.histogram.len(), 3);
        assert_eq!(a.histogram.min(), 1);
        assert_eq!(a.error_count(), 1);
        Ok(())
    }
}
