//! `AvgMinMaxCounter`: request latency in milliseconds.

/// Min/avg/max over the data points since the last reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latency {
    total: i64,
    count: i64,
    min: i64,
    max: i64,
}

impl Default for Latency {
    fn default() -> Self {
        Latency {
            total: 0,
            count: 0,
            min: i64::MAX,
            max: i64::MIN,
        }
    }
}

impl Latency {
    /// Adds one request latency.
    pub fn add(&mut self, ms: i64) {
        self.total = self.total.wrapping_add(ms);
        self.count += 1;
        self.min = self.min.min(ms);
        self.max = self.max.max(ms);
    }

    /// The smallest latency (0 with no data).
    pub fn min(&self) -> i64 {
        if self.min == i64::MAX {
            0
        } else {
            self.min
        }
    }

    /// The largest latency (0 with no data).
    pub fn max(&self) -> i64 {
        if self.max == i64::MIN {
            0
        } else {
            self.max
        }
    }

    /// The mean, rounded half-up to 4 decimals as `AvgMinMaxCounter.getAvg` does (0 with no
    /// data).
    pub fn avg(&self) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let avg = self.total as f64 / self.count as f64;
        (avg * 10_000.0 + 0.5).floor() / 10_000.0
    }

    /// The integer mean `cons` prints (`totalLatency / count`).
    pub fn avg_truncated(&self) -> i64 {
        if self.count == 0 {
            0
        } else {
            self.total / self.count
        }
    }

    /// Number of data points.
    pub fn count(&self) -> i64 {
        self.count
    }

    /// Sum of the data points.
    pub fn total(&self) -> i64 {
        self.total
    }

    /// Back to no data.
    pub fn reset(&mut self) {
        *self = Latency::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters() {
        let mut l = Latency::default();
        assert_eq!((l.min(), l.max(), l.avg()), (0, 0, 0.0));
        for v in [0, 1, 5] {
            l.add(v);
        }
        assert_eq!((l.min(), l.max()), (0, 5));
        assert_eq!(l.avg(), 2.0);
        l.add(0);
        assert_eq!(l.avg(), 1.5);
        l.add(0);
        l.add(0);
        // 6/6... then 6/7 = 0.857142.. -> 0.8571
        l.add(0);
        assert_eq!(l.avg(), 0.8571);
        assert_eq!(l.avg_truncated(), 0);
    }
}
