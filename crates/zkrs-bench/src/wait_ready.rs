//! The start-up probe: poll `srvr` every 2 ms until the server answers it as a serving server,
//! then establish a session; report both instants.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::flw;
use crate::json::JsonLine;

/// Poll interval.
const POLL: Duration = Duration::from_millis(2);

/// When the server became ready.
#[derive(Debug, Clone)]
pub struct Ready {
    /// Unix time (ns) of the first `srvr` answered by a serving server.
    pub srvr_unix_ns: u128,
    /// Unix time (ns) when the first session was established.
    pub connect_unix_ns: u128,
    /// `Node count:` of a `srvr` sent after the session was established.
    pub node_count: Option<u64>,
    /// Failed attempts before success.
    pub attempts: u64,
}

impl Ready {
    /// One JSON line; with `since_ns` it also carries milliseconds from that instant.
    pub fn to_json_line(&self, since_ns: Option<u128>) -> String {
        let mut j = JsonLine::new()
            .str("tool", "zkrs-bench")
            .str("probe", "wait-ready")
            .int(
                "srvr_unix_ns",
                i128::try_from(self.srvr_unix_ns).unwrap_or(-1),
            )
            .int(
                "connect_unix_ns",
                i128::try_from(self.connect_unix_ns).unwrap_or(-1),
            )
            .int("attempts", self.attempts)
            .int("node_count", self.node_count.map_or(-1, i128::from));
        if let Some(since) = since_ns {
            let ms = |t: u128| t.saturating_sub(since) as f64 / 1e6;
            j = j
                .float("srvr_ms", ms(self.srvr_unix_ns))
                .float("ready_ms", ms(self.connect_unix_ns));
        }
        j.finish()
    }
}

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// Waits until `server` answers `srvr` and accepts a session, at most `timeout`.
pub async fn wait_ready(server: &str, timeout: Duration) -> anyhow::Result<Ready> {
    let deadline = Instant::now() + timeout;
    let mut attempts = 0u64;
    let srvr_unix_ns = loop {
        anyhow::ensure!(
            Instant::now() < deadline,
            "{server} did not answer srvr within {timeout:?}"
        );
        match flw::four_letter(server, "srvr", Duration::from_secs(1)).await {
            // ZooKeeper answers "This ZooKeeper instance is not currently serving requests"
            // until its database is loaded.
            Ok(answer) if answer.contains("Zookeeper version") => break now_ns(),
            _ => {
                attempts += 1;
                tokio::time::sleep(POLL).await;
            }
        }
    };
    let connect_unix_ns = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        anyhow::ensure!(
            !left.is_zero(),
            "{server} did not accept a session within {timeout:?}"
        );
        let connect = zookeeper_client::Client::connector()
            .with_session_timeout(Duration::from_secs(10))
            .connect(server);
        match tokio::time::timeout(left, connect).await {
            Ok(Ok(client)) => {
                let t = now_ns();
                drop(client);
                break t;
            }
            _ => {
                attempts += 1;
                tokio::time::sleep(POLL).await;
            }
        }
    };
    let node_count = flw::four_letter(server, "srvr", Duration::from_secs(5))
        .await
        .ok()
        .and_then(|a| flw::node_count(&a));
    Ok(Ready {
        srvr_unix_ns,
        connect_unix_ns,
        node_count,
        attempts,
    })
}
