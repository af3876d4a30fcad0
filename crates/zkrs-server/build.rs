//! Stamps the build date into `ZKRS_BUILD_DATE` for the `Zookeeper version: ..., built on ...`
//! line. `SOURCE_DATE_EPOCH` (seconds) makes the stamp reproducible.

#[allow(dead_code)]
#[path = "src/civil_time.rs"]
mod civil_time;

use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    let unix_ms = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .map(|s| s.saturating_mul(1000))
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0)
        });
    let date = civil_time::CivilTime::from_unix_ms(unix_ms).build_date();
    println!("cargo:rustc-env=ZKRS_BUILD_DATE={date}");
}
