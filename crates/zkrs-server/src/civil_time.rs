//! [`CivilTime`]: a UTC calendar date and time computed from Unix milliseconds, without a time
//! crate. Shared with `build.rs` (through `#[path]`), which stamps the build date.

/// A UTC date and time broken into calendar fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CivilTime {
    pub year: i64,
    /// 1..=12
    pub month: u32,
    /// 1..=31
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// 0 = Sunday .. 6 = Saturday.
    pub weekday: u32,
}

const MS_PER_DAY: i64 = 86_400_000;

impl CivilTime {
    /// The UTC calendar time of `unix_ms` milliseconds since 1970-01-01T00:00:00Z.
    pub fn from_unix_ms(unix_ms: i64) -> CivilTime {
        let days = unix_ms.div_euclid(MS_PER_DAY);
        let ms_of_day = unix_ms.rem_euclid(MS_PER_DAY);
        let secs = ms_of_day / 1000;
        // Howard Hinnant's civil_from_days: exact for the whole i64 day range we can meet.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        // 1970-01-01 was a Thursday (4).
        let weekday = (days + 4).rem_euclid(7) as u32;
        CivilTime {
            year,
            month,
            day,
            hour: (secs / 3600) as u32,
            minute: ((secs / 60) % 60) as u32,
            second: (secs % 60) as u32,
            weekday,
        }
    }

    /// `2024-12-29 17:54 UTC`, the shape of ZooKeeper's build date (used by `build.rs`).
    #[allow(dead_code)]
    pub fn build_date(&self) -> String {
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02} UTC",
            self.year, self.month, self.day, self.hour, self.minute
        )
    }

    /// `Sat Nov 21 21:24:27 UTC 2026`: `java.util.Date.toString()` in the UTC zone.
    pub fn java_date(&self) -> String {
        const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        format!(
            "{} {} {:02} {:02}:{:02}:{:02} UTC {}",
            DAYS[self.weekday as usize % 7],
            MONTHS[(self.month as usize + 11) % 12],
            self.day,
            self.hour,
            self.minute,
            self.second,
            self.year
        )
    }
}

#[cfg(test)]
mod tests {
    use super::CivilTime;

    #[test]
    fn epoch_and_known_dates() {
        let t = CivilTime::from_unix_ms(0);
        assert_eq!(t.java_date(), "Thu Jan 01 00:00:00 UTC 1970");
        // 2026-11-21T21:24:27Z, a Saturday (the date in the 3.8.0 `dump` capture).
        let t = CivilTime::from_unix_ms(1_795_296_267_000);
        assert_eq!(t.java_date(), "Sat Nov 21 21:24:27 UTC 2026");
        assert_eq!(t.build_date(), "2026-11-21 21:24 UTC");
        // Leap day.
        let t = CivilTime::from_unix_ms(951_782_400_000);
        assert_eq!((t.year, t.month, t.day), (2000, 2, 29));
        // Before the epoch.
        let t = CivilTime::from_unix_ms(-1);
        assert_eq!(t.java_date(), "Wed Dec 31 23:59:59 UTC 1969");
    }
}
