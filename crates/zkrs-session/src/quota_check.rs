//! `ZooKeeperServer.checkQuota` (3.7+): with `zookeeper.enforceQuota=true`, the prep stage
//! refuses a create or setData that would take the deepest quota'd ancestor past a hard limit.
//!
//! As in ZooKeeper 3.8.0:
//! - Only the deepest quota'd path above (or at) the node counts (`getMaxPrefixWithQuota`);
//!   quotas further up are not looked at.
//! - Usage is read from the applied tree's `zookeeper_stats`, never from outstanding changes, so
//!   several creates of one multi (or pipelined writes) are each checked against the same
//!   usage and may together overshoot the limit.
//! - Only `countHardLimit` / `byteHardLimit` fail the write (QUOTAEXCEEDED, -125). Going past a
//!   soft `count` / `bytes` limit only logs a rate-limited warning in ZooKeeper (not reproduced:
//!   this crate does not log).
//! - A count check happens only when `countDiff != 0` and a byte check only when
//!   `bytesDiff != 0`: a create with empty data is never refused on bytes, a same-length
//!   setData never, and a shrinking setData still fails while the usage stays above the limit.
//! - A missing limit or stat node means no check. A limit (or, when read, stat) node whose data
//!   `new StatsTrack(byte[])` cannot parse (null data, a pair without a value, a value that is
//!   not a number) throws a runtime exception in ZooKeeper: the request becomes
//!   `ErrorTxn(MARSHALLINGERROR)`, the whole multi included.
//!
//! ZooKeeper also counts refusals per top-level namespace (`quota_exceeded_error_per_namespace`,
//! a metrics-provider counter set); that counter is not kept here.

use zkrs_datatree::quota::{self, StatsTrack};
use zkrs_datatree::DataTree;
use zkrs_jute::ErrorCode;

use crate::prep::PrepError;

/// `checkQuota(lastPrefix, bytesDiff, countDiff)` for a write at `path` (the final path of a
/// create, sequential suffix included). The caller checks `enforceQuota` first.
pub(crate) fn check_quota(
    tree: &DataTree,
    path: &str,
    bytes_diff: i64,
    count_diff: i64,
) -> Result<(), PrepError> {
    let Some(prefix) = tree.max_prefix_with_quota(path) else {
        return Ok(());
    };
    // "Missing limit node for quota": logged, no check.
    let Some(limit_node) = tree.node(&quota::limit_path(&prefix)) else {
        return Ok(());
    };
    let limits = java_stats_track(limit_node.data.as_deref())?;
    let check_count = count_diff != 0 && (limits.count() > -1 || limits.count_hard_limit() > -1);
    let check_bytes = bytes_diff != 0 && (limits.bytes() > -1 || limits.byte_hard_limit() > -1);
    if !check_count && !check_bytes {
        return Ok(());
    }
    // "Missing node for stat": logged, no check.
    let Some(stat_node) = tree.node(&quota::stat_path(&prefix)) else {
        return Ok(());
    };
    let current = java_stats_track(stat_node.data.as_deref())?;
    if check_count
        && over_hard_limit(
            current.count(),
            count_diff,
            limits.count_hard_limit(),
            limits.count(),
        )
    {
        return Err(ErrorCode::QuotaExceeded.into());
    }
    if check_bytes
        && over_hard_limit(
            current.bytes(),
            bytes_diff,
            limits.byte_hard_limit(),
            limits.bytes(),
        )
    {
        return Err(ErrorCode::QuotaExceeded.into());
    }
    Ok(())
}

/// The hard limit wins when set (> -1); otherwise the soft limit is compared, which only warns.
fn over_hard_limit(current: i64, diff: i64, hard: i64, soft: i64) -> bool {
    let new_value = current.wrapping_add(diff);
    let is_hard = hard > -1;
    let limit = if is_hard { hard } else { soft };
    // Over a soft limit ZooKeeper logs "Quota exceeded: ... softCountLimit=..." and goes on.
    is_hard && new_value > limit
}

/// `new StatsTrack(byte[])`, failing (`PrepError::Fatal`) where Java throws. The values of a
/// string Java accepts are those of the lenient [`StatsTrack::parse`].
fn java_stats_track(data: Option<&[u8]>) -> Result<StatsTrack, PrepError> {
    // `new String(null, UTF_8)`: NullPointerException.
    let data = data.ok_or(PrepError::Fatal)?;
    if java_parse_ok(&String::from_utf8_lossy(data)) {
        Ok(StatsTrack::parse(data))
    } else {
        Err(PrepError::Fatal)
    }
}

/// Whether `StatsTrack(String)` parses `stat` without an exception: the pairs of
/// `Pattern.compile("[,;]+").split(stat)` (a leading empty pair kept, trailing ones dropped)
/// each `split("=")` into at least two parts (trailing empty parts dropped), the second empty or
/// a `Long.parseLong` number. Java also accepts non-ASCII Unicode digits there; this does not.
fn java_parse_ok(stat: &str) -> bool {
    if stat.is_empty() {
        return true;
    }
    // Runs of separators split once; only the first piece may be empty and survive, unless
    // every piece is empty (then the array is empty).
    let mut pairs: Vec<&str> = stat
        .split([',', ';'])
        .enumerate()
        .filter(|(i, p)| *i == 0 || !p.is_empty())
        .map(|(_, p)| p)
        .collect();
    while pairs.last() == Some(&"") {
        pairs.pop();
    }
    pairs.iter().all(|pair| {
        let mut kv: Vec<&str> = pair.split('=').collect();
        while kv.last() == Some(&"") {
            kv.pop();
        }
        match kv.get(1) {
            None => false,
            Some(&"") => true,
            Some(v) => v.parse::<i64>().is_ok(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_parse_rules() {
        // Accepted by StatsTrack(String) (observed with 3.8.0 as a limit node).
        for ok in [
            "",
            "count=1,bytes=2",
            "count=-1,bytes=-1=;countHardLimit=2",
            "countHardLimit=1;;",
            "countHardLimit=+1",
            "a==5",
            ",,,",
            "count=1,,bytes=2",
        ] {
            assert!(java_parse_ok(ok), "{ok:?}");
        }
        // Thrown on (MARSHALLINGERROR with 3.8.0).
        for bad in [
            "junk",
            "count=",
            ",countHardLimit=1",
            "countHardLimit=x",
            "=",
            "count=1,bytes",
            "count= 1",
            "count=99999999999999999999",
        ] {
            assert!(!java_parse_ok(bad), "{bad:?}");
        }
        assert!(java_stats_track(None).is_err());
        assert_eq!(
            java_stats_track(Some(b"countHardLimit=+1;;"))
                .map(|t| t.count_hard_limit())
                .ok(),
            Some(1)
        );
    }

    #[test]
    fn hard_limit_wins_over_soft() {
        assert!(!over_hard_limit(5, 1, -1, 1), "soft only: warn");
        assert!(!over_hard_limit(1, 1, 3, 1), "hard 3 allows 2");
        assert!(!over_hard_limit(2, 1, 3, 1), "hard 3 allows 3");
        assert!(over_hard_limit(3, 1, 3, 1));
        assert!(over_hard_limit(0, 1, 0, -1), "hard 0");
        assert!(over_hard_limit(5, -1, 2, -1), "shrinking but still over");
    }
}
