//! [`StatsTrack`]: the `count=..,bytes=..=;byteHardLimit=..;countHardLimit=..` strings of the
//! quota nodes, parsed and printed as `org.apache.zookeeper.StatsTrack` does.

use std::collections::BTreeMap;

/// A quota limit or usage record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatsTrack {
    stats: BTreeMap<String, i64>,
}

impl StatsTrack {
    /// Parses the node data (pairs separated by `,` or `;`).
    pub fn parse(s: &str) -> StatsTrack {
        let mut stats = BTreeMap::new();
        for pair in s.split([',', ';']).filter(|p| !p.is_empty()) {
            let kv = super::commands::java_split(pair, '=');
            let key = kv.first().cloned().unwrap_or_default();
            let v = kv
                .get(1)
                .filter(|v| !v.is_empty())
                .and_then(|v| v.parse::<i64>().ok())
                .unwrap_or(-1);
            stats.insert(key, v);
        }
        StatsTrack { stats }
    }

    /// A value, -1 when absent.
    pub fn get(&self, key: &str) -> i64 {
        self.stats.get(key).copied().unwrap_or(-1)
    }

    /// Sets a value.
    pub fn set(&mut self, key: &str, v: i64) {
        self.stats.insert(key.to_string(), v);
    }
}

impl std::fmt::Display for StatsTrack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "count={},bytes={}", self.get("count"), self.get("bytes"))?;
        let rest: Vec<_> = self
            .stats
            .iter()
            .filter(|(k, _)| k.as_str() != "count" && k.as_str() != "bytes")
            .collect();
        if !rest.is_empty() {
            write!(f, "=")?;
            for (k, v) in rest {
                write!(f, ";{k}={v}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut s = StatsTrack::default();
        s.set("count", 5);
        s.set("bytes", -1);
        s.set("countHardLimit", -1);
        s.set("byteHardLimit", 10);
        let t = s.to_string();
        assert_eq!(t, "count=5,bytes=-1=;byteHardLimit=10;countHardLimit=-1");
        assert_eq!(StatsTrack::parse(&t), s);
        assert_eq!(
            StatsTrack::parse("count=1,bytes=2").to_string(),
            "count=1,bytes=2"
        );
    }
}
