//! [`Summary`]: ZooKeeper's `AvgMinMaxCounter` (and `AvgMinMaxPercentileCounter`): count, sum,
//! min, max, an average rounded to 4 decimals, and quantiles over recent samples (the default
//! provider prints p50..p999 of ADVANCED summaries; the Prometheus provider a median of every
//! summary).

/// Samples kept for an ADVANCED summary's percentiles (Dropwizard's uniform reservoir in
/// ZooKeeper keeps 1028).
const SAMPLES_MAX: usize = 1028;
/// Samples kept for a BASIC summary's median (the Prometheus provider exports one).
const BASIC_SAMPLES_MAX: usize = 128;

/// One summary metric.
#[derive(Debug, Clone)]
pub struct Summary {
    count: u64,
    total: u64,
    min: u64,
    max: u64,
    /// ADVANCED: p50/p95/p99/p999 in `mntr`, 0.5/0.9/0.99 quantiles in Prometheus.
    advanced: bool,
    /// The most recent samples, a ring (allocated at the first one; order does not matter
    /// for quantiles).
    samples: Vec<u64>,
    /// Where the next sample goes once the ring is full.
    next: usize,
}

impl Summary {
    /// A BASIC summary: avg, min, max, cnt, sum.
    pub fn basic() -> Summary {
        Summary {
            count: 0,
            total: 0,
            min: u64::MAX,
            max: 0,
            advanced: false,
            samples: Vec::new(),
            next: 0,
        }
    }

    /// An ADVANCED summary: BASIC plus p50, p95, p99, p999.
    pub fn advanced() -> Summary {
        Summary {
            advanced: true,
            ..Summary::basic()
        }
    }

    /// Records one value.
    #[inline]
    pub fn add(&mut self, value: u64) {
        self.count += 1;
        self.total = self.total.saturating_add(value);
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        let cap = if self.advanced {
            SAMPLES_MAX
        } else {
            BASIC_SAMPLES_MAX
        };
        if self.samples.len() < cap {
            if self.samples.capacity() == 0 {
                self.samples.reserve_exact(cap);
            }
            self.samples.push(value);
        } else if let Some(slot) = self.samples.get_mut(self.next) {
            *slot = value;
            self.next = if self.next + 1 == cap {
                0
            } else {
                self.next + 1
            };
        }
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn sum(&self) -> u64 {
        self.total
    }

    /// 0 when empty, as ZooKeeper reports.
    pub fn min(&self) -> u64 {
        if self.count == 0 {
            0
        } else {
            self.min
        }
    }

    pub fn max(&self) -> u64 {
        self.max
    }

    /// The mean rounded half-up to 4 decimals (`AvgMinMaxCounter.getAvg`); 0 when empty.
    pub fn avg(&self) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let avg = self.total as f64 / self.count as f64;
        (avg * 10_000.0).round() / 10_000.0
    }

    /// True for an ADVANCED summary.
    pub fn is_advanced(&self) -> bool {
        self.advanced
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The `q` quantile (0..=1) of the recent samples (BASIC summaries too); 0 when empty.
    pub fn percentile(&self, q: f64) -> u64 {
        self.percentiles(&[q]).first().copied().unwrap_or(0)
    }

    /// The quantiles `qs` of the recent samples, sorting them once; 0s when empty.
    pub fn percentiles(&self, qs: &[f64]) -> Vec<u64> {
        if self.samples.is_empty() {
            return vec![0; qs.len()];
        }
        let mut sorted: Vec<u64> = self.samples.clone();
        sorted.sort_unstable();
        qs.iter()
            .map(|q| {
                let rank = (q * sorted.len() as f64).ceil() as usize;
                sorted[rank.clamp(1, sorted.len()) - 1]
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Summary;

    #[test]
    fn avg_min_max() {
        let mut s = Summary::advanced();
        assert_eq!(
            (s.min(), s.max(), s.avg(), s.percentile(0.5)),
            (0, 0, 0.0, 0)
        );
        for v in [0, 1, 5, 0, 1, 0, 1] {
            s.add(v);
        }
        assert_eq!(s.count(), 7);
        assert_eq!(s.sum(), 8);
        assert_eq!(s.min(), 0);
        assert_eq!(s.max(), 5);
        assert_eq!(s.avg(), 1.1429);
        assert_eq!(s.percentile(0.5), 1);
        assert_eq!(s.percentile(0.999), 5);
    }

    #[test]
    fn basic_summaries_have_a_median() {
        let mut s = Summary::basic();
        for v in [3, 1, 2] {
            s.add(v);
        }
        assert!(!s.is_advanced());
        assert_eq!(s.percentile(0.5), 2);
        assert_eq!(s.percentiles(&[0.5, 0.9, 0.99]), vec![2, 3, 3]);
        assert_eq!(Summary::basic().percentiles(&[0.5]), vec![0]);
    }
}
