//! [`format_stat`]: `StatPrinter.print`, the eleven `name = value` lines of `get -s`, `stat`, ...

use zkrs_jute::Stat;
use zkrs_server::civil_time::CivilTime;

/// `java.util.Date.toString()` of epoch milliseconds, in UTC.
pub fn java_date(ms: i64) -> String {
    CivilTime::from_unix_ms(ms).java_date()
}

/// Java's `Long.toHexString`: two's complement, lower case, no padding.
pub fn hex(v: i64) -> String {
    format!("{:x}", v as u64)
}

/// The lines `StatPrinter` prints, each ending in a newline.
pub fn format_stat(s: &Stat) -> String {
    format!(
        "cZxid = 0x{}\nctime = {}\nmZxid = 0x{}\nmtime = {}\npZxid = 0x{}\ncversion = {}\n\
         dataVersion = {}\naclVersion = {}\nephemeralOwner = 0x{}\ndataLength = {}\nnumChildren = {}\n",
        hex(s.czxid),
        java_date(s.ctime),
        hex(s.mzxid),
        java_date(s.mtime),
        hex(s.pzxid),
        s.cversion,
        s.version,
        s.aversion,
        hex(s.ephemeral_owner),
        s.data_length,
        s.num_children
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_like_java() {
        let s = Stat {
            czxid: 2,
            mzxid: 0x1_0000_0003,
            ctime: 0,
            mtime: 1_700_000_000_000,
            version: 1,
            cversion: 0,
            aversion: 0,
            ephemeral_owner: -1,
            data_length: 5,
            num_children: 0,
            pzxid: 2,
        };
        let out = format_stat(&s);
        assert!(out.starts_with(
            "cZxid = 0x2\nctime = Thu Jan 01 00:00:00 UTC 1970\nmZxid = 0x100000003\n"
        ));
        assert!(out.contains("mtime = Tue Nov 14 22:13:20 UTC 2023\n"));
        assert!(out.contains("ephemeralOwner = 0xffffffffffffffff\n"));
        assert!(out.ends_with("numChildren = 0\n"));
    }
}
