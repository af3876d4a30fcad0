//! Four-letter words over real TCP: shapes as ZooKeeper 3.8.0 prints them, the whitelist, and
//! close-after-reply.

mod common;

use anyhow::Result;
use common::{four_letter, Client};
use tokio::io::AsyncWriteExt;
use zkrs_jute::FourLetterWord;
use zkrs_server::FourLetterWhitelist;

#[tokio::test]
async fn ruok_is_imok_without_newline() -> Result<()> {
    let server = common::start().await;
    assert_eq!(four_letter(server.local_addr(), "ruok").await?, "imok");
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn ruok_after_half_close_like_netcat() -> Result<()> {
    let server = common::start().await;
    let mut stream = common::tcp(server.local_addr()).await?;
    stream.write_all(b"ruok").await?;
    stream.shutdown().await?;
    let reply = common::read_to_eof(&mut stream).await?;
    assert_eq!(reply, b"imok");
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn srvr_has_zookeepers_shape() -> Result<()> {
    let server = common::start().await;
    let mut client = Client::connect(server.local_addr()).await?;
    client.ping().await?;
    let text = four_letter(server.local_addr(), "srvr").await?;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 9, "{text}");
    assert!(lines[0].starts_with("Zookeeper version: 3.8.0-"), "{text}");
    assert!(lines[0].contains(", built on "), "{text}");
    assert!(lines[1].starts_with("Latency min/avg/max: "), "{text}");
    let latency: Vec<&str> = lines[1]["Latency min/avg/max: ".len()..]
        .split('/')
        .collect();
    assert_eq!(latency.len(), 3);
    assert!(latency[1].contains('.'), "avg is a Java double: {text}");
    assert!(lines[2].starts_with("Received: "));
    assert!(lines[3].starts_with("Sent: "));
    // The session's connection and this one.
    assert_eq!(lines[4], "Connections: 2");
    assert_eq!(lines[5], "Outstanding: 0");
    assert!(lines[6].starts_with("Zxid: 0x"));
    assert_eq!(lines[7], "Mode: standalone");
    assert!(lines[8].starts_with("Node count: "));
    assert!(text.ends_with("\n"));
    let received: u64 = lines[2]["Received: ".len()..].parse()?;
    assert!(received >= 3, "connect + ping + srvr: {text}");
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn stat_lists_clients() -> Result<()> {
    let server = common::start().await;
    let _client = Client::connect(server.local_addr()).await?;
    let text = four_letter(server.local_addr(), "stat").await?;
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("Zookeeper version: "));
    assert_eq!(lines[1], "Clients:");
    assert!(lines[2].starts_with(" /127.0.0.1:"), "{text}");
    assert!(lines[2].ends_with("](queued=0,recved=1,sent=1)"), "{text}");
    // This connection: four-letter connections show interest ops 0 and one packet received.
    assert!(
        lines[3].ends_with("[0](queued=0,recved=1,sent=0)"),
        "{text}"
    );
    assert_eq!(lines[4], "");
    assert!(lines[5].starts_with("Latency min/avg/max: "));
    assert!(text.contains("\nMode: standalone\n"));
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn cons_shows_session_details() -> Result<()> {
    let server = common::start().await;
    let mut client = Client::connect(server.local_addr()).await?;
    client.ping().await?;
    let text = four_letter(server.local_addr(), "cons").await?;
    let sid = format!(",sid=0x{:x},", client.session_id());
    let line = text
        .lines()
        .find(|l| l.contains(&sid))
        .unwrap_or_else(|| panic!("no line for the session in {text:?}"));
    assert!(line.starts_with(" /127.0.0.1:"), "{line}");
    assert!(line.contains("[1](queued=0,recved=2,sent=2,"), "{line}");
    assert!(line.contains(",lop=PING,"), "{line}");
    assert!(line.contains(",to=30000,"), "{line}");
    // createSession has cxid 0; pings (xid -2) do not move it.
    assert!(line.contains(",lcxid=0x0,"), "{line}");
    assert!(line.contains(",llat="), "{line}");
    assert!(line.ends_with(")"), "{line}");
    assert!(text.ends_with(")\n\n"), "{text:?}");
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn conf_dirs_and_counters() -> Result<()> {
    let server = common::start().await;
    let addr = server.local_addr();
    let conf = four_letter(addr, "conf").await?;
    let keys: Vec<&str> = conf
        .lines()
        .map(|l| l.split('=').next().unwrap_or(""))
        .collect();
    assert_eq!(
        keys,
        [
            "clientPort",
            "secureClientPort",
            "dataDir",
            "dataDirSize",
            "dataLogDir",
            "dataLogSize",
            "tickTime",
            "maxClientCnxns",
            "minSessionTimeout",
            "maxSessionTimeout",
            "clientPortListenBacklog",
            "serverId"
        ]
    );
    assert!(conf.contains(&format!("clientPort={}\n", addr.port())));
    assert!(conf.contains("tickTime=2000\nmaxClientCnxns=60\nminSessionTimeout=4000\n"));
    assert!(conf.contains("/version-2\n"));
    assert!(conf.ends_with("serverId=0\n"));

    let dirs = four_letter(addr, "dirs").await?;
    assert!(dirs.starts_with("datadir_size: "), "{dirs}");
    assert!(dirs.contains("\nlogdir_size: "), "{dirs}");

    assert_eq!(four_letter(addr, "isro").await?, "rw");
    assert_eq!(four_letter(addr, "gtmk").await?, "306");
    assert_eq!(
        four_letter(addr, "crst").await?,
        "Connection stats reset.\n"
    );
    assert_eq!(four_letter(addr, "srst").await?, "Server stats reset.\n");
    // After srst only the srvr itself has been received.
    let srvr = four_letter(addr, "srvr").await?;
    assert!(srvr.contains("\nReceived: 1\n"), "{srvr}");
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn stmk_sets_the_mask_gtmk_reads() -> Result<()> {
    let server = common::start().await;
    let mut stream = common::tcp(server.local_addr()).await?;
    let mut msg = b"stmk".to_vec();
    msg.extend_from_slice(&1234i64.to_be_bytes());
    stream.write_all(&msg).await?;
    let reply = common::read_to_eof(&mut stream).await?;
    assert_eq!(reply, b"1234");
    assert_eq!(four_letter(server.local_addr(), "gtmk").await?, "1234");
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn watches_words_shapes() -> Result<()> {
    let server = common::start().await;
    let addr = server.local_addr();
    let wchs = four_letter(addr, "wchs").await?;
    assert!(wchs.contains(" connections watching "), "{wchs}");
    assert!(wchs.contains(" paths\nTotal watches:"), "{wchs}");
    assert!(wchs.ends_with('\n'));
    assert!(four_letter(addr, "wchc").await?.ends_with('\n'));
    assert!(four_letter(addr, "wchp").await?.ends_with('\n'));
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn dump_has_its_sections() -> Result<()> {
    let server = common::start().await;
    let client = Client::connect(server.local_addr()).await?;
    let dump = four_letter(server.local_addr(), "dump").await?;
    assert!(
        dump.starts_with("SessionTracker dump:\nSession Sets ("),
        "{dump}"
    );
    assert!(dump.contains("\nephemeral nodes dump:\nSessions with Ephemerals ("));
    assert!(
        dump.contains("\nConnections dump:\nConnections Sets ("),
        "{dump}"
    );
    let sid = format!(" sessionId: 0x{:x}\n", client.session_id());
    assert!(dump.contains(&sid), "{dump}");
    assert!(dump.contains(" expire at "), "{dump}");
    assert!(dump.contains(" UTC "), "{dump}");
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn envi_starts_with_the_version() -> Result<()> {
    let server = common::start().await;
    let text = four_letter(server.local_addr(), "envi").await?;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "Environment:");
    assert!(lines[1].starts_with("zookeeper.version=3.8.0-"), "{text}");
    assert!(lines[2].starts_with("host.name="), "{text}");
    for key in [
        "java.version=",
        "os.name=",
        "os.arch=",
        "os.version=",
        "user.name=",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(key)),
            "{key} missing: {text}"
        );
    }
    assert!(lines.last().unwrap_or(&"").starts_with("os.memory.total="));
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn mntr_lists_the_metrics() -> Result<()> {
    let server = common::start().await;
    let mut client = Client::connect(server.local_addr()).await?;
    client.ping().await?;
    let text = four_letter(server.local_addr(), "mntr").await?;
    let pairs: Vec<(&str, &str)> = text
        .lines()
        .map(|l| l.split_once('\t').unwrap_or((l, "")))
        .collect();
    assert_eq!(pairs[0].0, "zk_version");
    assert!(pairs[0].1.starts_with("3.8.0-"));
    assert_eq!(pairs[1], ("zk_server_state", "standalone"));
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| *key == k)
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("{k} missing"))
    };
    assert_eq!(get("zk_num_alive_connections"), "2");
    assert_eq!(get("zk_outstanding_requests"), "0");
    assert_eq!(get("zk_connection_drop_probability"), "0.0");
    assert!(get("zk_avg_latency").contains('.'));
    assert!(get("zk_packets_received").parse::<u64>()? >= 3);
    assert!(get("zk_znode_count").parse::<u64>()? >= 5);
    assert!(get("zk_uptime").parse::<u64>().is_ok());
    assert_eq!(get("zk_cnt_readlatency"), "1", "one ping");
    assert_eq!(get("zk_p999_updatelatency"), get("zk_max_updatelatency"));
    for line in text.lines() {
        assert!(line.starts_with("zk_") && line.contains('\t'), "{line}");
    }
    assert!(pairs.len() >= 485, "{} keys", pairs.len());
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn every_word_answers_and_closes() -> Result<()> {
    let server = common::start().await;
    for word in FourLetterWord::ALL {
        if word == FourLetterWord::Stmk {
            continue; // needs its 8-byte argument; covered above
        }
        let text = four_letter(server.local_addr(), word.name()).await?;
        if word != FourLetterWord::Hash {
            assert!(!text.is_empty(), "{} answered nothing", word.name());
        }
    }
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn whitelist_refuses_and_closes() -> Result<()> {
    let server = common::start_with(|c| {
        c.four_letter_whitelist = FourLetterWhitelist::from_property(Some("ruok, conf"), false);
    })
    .await;
    let addr = server.local_addr();
    assert_eq!(four_letter(addr, "ruok").await?, "imok");
    assert!(four_letter(addr, "conf").await?.starts_with("clientPort="));
    // srvr is always enabled.
    assert!(four_letter(addr, "srvr")
        .await?
        .starts_with("Zookeeper version: "));
    for word in ["mntr", "stat", "wchc", "envi", "isro"] {
        assert_eq!(
            four_letter(addr, word).await?,
            format!("{word} is not executed because it is not in the whitelist.\n")
        );
    }
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn default_whitelist_is_srvr_only() -> Result<()> {
    let server =
        common::start_with(|c| c.four_letter_whitelist = FourLetterWhitelist::default()).await;
    let addr = server.local_addr();
    assert_eq!(
        four_letter(addr, "ruok").await?,
        "ruok is not executed because it is not in the whitelist.\n"
    );
    assert!(four_letter(addr, "srvr")
        .await?
        .contains("Mode: standalone"));
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn four_letter_word_after_connect_is_a_bad_frame() -> Result<()> {
    // Once connected, "ruok" is read as a frame length (0x72756f6b > jute.maxbuffer).
    let server = common::start().await;
    let mut client = Client::connect(server.local_addr()).await?;
    client.stream.write_all(b"ruok").await?;
    assert!(common::is_closed_by_server(&mut client.stream).await);
    server.stop().await?;
    Ok(())
}
