//! Four-letter words over a raw TCP socket: write the word, read until the server closes.

use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Largest answer read (a `dump`/`wchp` of a big server can be long; `srvr` is ~300 bytes).
const MAX_ANSWER: u64 = 16 << 20;

/// Sends `word` to `server` and returns the whole answer.
pub async fn four_letter(server: &str, word: &str, timeout: Duration) -> anyhow::Result<String> {
    anyhow::ensure!(
        word.len() == 4 && word.is_ascii(),
        "a four-letter word has four ASCII letters"
    );
    let exchange = async {
        let mut s = TcpStream::connect(server)
            .await
            .with_context(|| format!("connecting to {server}"))?;
        s.write_all(word.as_bytes()).await?;
        let mut out = Vec::new();
        (&mut s).take(MAX_ANSWER).read_to_end(&mut out).await?;
        anyhow::Ok(String::from_utf8_lossy(&out).into_owned())
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .with_context(|| format!("{word} to {server} timed out"))?
}

/// The `Node count:` of a `srvr`/`stat` answer.
pub fn node_count(answer: &str) -> Option<u64> {
    answer
        .lines()
        .find_map(|l| l.strip_prefix("Node count:"))
        .and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_node_count() {
        let srvr = "Zookeeper version: 3.8.0\nLatency min/avg/max: 0/0.0/0\nMode: standalone\nNode count: 200005\n";
        assert_eq!(node_count(srvr), Some(200_005));
        assert_eq!(node_count("nothing"), None);
    }
}
