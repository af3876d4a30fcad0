//! Limits over real TCP: bad frames close only their connection, maxClientCnxns, maxCnxns,
//! jute.maxbuffer, and globalOutstandingLimit back-pressure without deadlock.

mod common;

use anyhow::Result;
use common::{connect_request, is_closed_by_server, Client};
use tokio::io::AsyncWriteExt;
use zkrs_jute::{frame::frame, xid, Jute, OpCode, RequestHeader};

#[tokio::test]
async fn negative_frame_length_closes_only_that_connection() -> Result<()> {
    let server = common::start().await;
    let mut bystander = Client::connect(server.local_addr()).await?;
    let mut bad = Client::connect(server.local_addr()).await?;
    bad.stream.write_all(&(-5i32).to_be_bytes()).await?;
    assert!(is_closed_by_server(&mut bad.stream).await);
    bystander.ping().await?;
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn oversized_frame_before_connect_closes_that_connection() -> Result<()> {
    let server = common::start().await;
    let mut bystander = Client::connect(server.local_addr()).await?;
    let mut bad = common::tcp(server.local_addr()).await?;
    bad.write_all(&0x0010_0000i32.to_be_bytes()).await?;
    assert!(is_closed_by_server(&mut bad).await);
    bystander.ping().await?;
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn jute_maxbuffer_is_the_frame_limit() -> Result<()> {
    let server = common::start_with(|c| c.core.max_buffer = 64).await;
    let addr = server.local_addr();
    let mut ok = Client::connect(addr).await?;
    // A ping padded to exactly the limit is accepted (trailing bytes are ignored)...
    let mut at_limit = Vec::new();
    RequestHeader {
        xid: xid::PING,
        r#type: OpCode::Ping.code(),
    }
    .write_to(&mut at_limit);
    at_limit.resize(64, 0);
    ok.stream.write_all(&frame(&at_limit)).await?;
    assert_eq!(ok.reply_to(xid::PING).await?.header.err, 0);
    // ...one byte more closes the connection.
    at_limit.push(0);
    ok.stream.write_all(&frame(&at_limit)).await?;
    assert!(is_closed_by_server(&mut ok.stream).await);
    let mut other = Client::connect(addr).await?;
    other.ping().await?;
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn truncated_connect_request_closes_only_that_connection() -> Result<()> {
    let server = common::start().await;
    let mut bystander = Client::connect(server.local_addr()).await?;
    let mut bad = common::tcp(server.local_addr()).await?;
    // A complete frame too short for a ConnectRequest.
    bad.write_all(&frame(&[0, 0, 0, 0, 1, 2, 3])).await?;
    assert!(is_closed_by_server(&mut bad).await);
    bystander.ping().await?;
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn garbage_after_connect_closes_only_that_connection() -> Result<()> {
    let server = common::start().await;
    let mut bystander = Client::connect(server.local_addr()).await?;
    let mut bad = Client::connect(server.local_addr()).await?;
    // A frame too short for a RequestHeader.
    bad.stream.write_all(&frame(&[1, 2, 3])).await?;
    assert!(is_closed_by_server(&mut bad.stream).await);
    bystander.ping().await?;
    let fresh = Client::connect(server.local_addr()).await?;
    fresh.close_session().await?;
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn max_client_cnxns_per_ip() -> Result<()> {
    let server = common::start_with(|c| c.max_client_cnxns = 2).await;
    let addr = server.local_addr();
    let first = Client::connect(addr).await?;
    let mut second = Client::connect(addr).await?;
    // The third from the same IP is closed at accept, without a reply.
    let mut third = common::tcp(addr).await?;
    third
        .write_all(&frame(&connect_request(30_000).to_bytes()))
        .await?;
    assert!(is_closed_by_server(&mut third).await);
    second.ping().await?;
    // Closing one frees a place.
    first.close_session().await?;
    let mut again = None;
    for _ in 0..50 {
        match Client::connect(addr).await {
            Ok(c) => {
                again = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
        }
    }
    let mut again = again.expect("a place after a close");
    again.ping().await?;
    second.ping().await?;
    let mntr = common::four_letter(addr, "mntr").await;
    // The four-letter connection is over the limit too (2 open), so it is refused as well.
    let mntr = mntr.unwrap_or_default();
    assert!(mntr.is_empty(), "{mntr}");
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn max_cnxns_total() -> Result<()> {
    let server = common::start_with(|c| c.max_cnxns = 1).await;
    let addr = server.local_addr();
    let mut only = Client::connect(addr).await?;
    let mut refused = common::tcp(addr).await?;
    assert!(is_closed_by_server(&mut refused).await);
    only.ping().await?;
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn rejected_connections_are_counted() -> Result<()> {
    let server = common::start_with(|c| c.max_client_cnxns = 1).await;
    let addr = server.local_addr();
    {
        let _held = Client::connect(addr).await?;
        let mut refused = common::tcp(addr).await?;
        assert!(is_closed_by_server(&mut refused).await);
    }
    // Once the held connection is gone, mntr can run and shows the refusal.
    let mut text = String::new();
    for _ in 0..50 {
        text = common::four_letter(addr, "mntr").await.unwrap_or_default();
        if !text.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(text.contains("\nzk_connection_rejected\t1\n"), "{text}");
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn outstanding_limit_throttles_without_deadlock() -> Result<()> {
    let server = common::start_with(|c| c.global_outstanding_limit = 1).await;
    let addr = server.local_addr();
    let mut clients = Vec::new();
    for _ in 0..4 {
        clients.push(Client::connect(addr).await?);
    }
    // Every client pipelines 200 pings in one write; all must be answered.
    let mut burst = Vec::new();
    for _ in 0..200 {
        let mut payload = Vec::new();
        RequestHeader {
            xid: xid::PING,
            r#type: OpCode::Ping.code(),
        }
        .write_to(&mut payload);
        burst.extend_from_slice(&frame(&payload));
    }
    for c in &mut clients {
        c.stream.write_all(&burst).await?;
    }
    for c in &mut clients {
        for _ in 0..200 {
            assert_eq!(c.reply_to(xid::PING).await?.header.err, 0);
        }
    }
    let srvr = common::four_letter(addr, "srvr").await?;
    assert!(srvr.contains("\nOutstanding: 0\n"), "{srvr}");
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn connection_without_a_session_is_expired() -> Result<()> {
    let server = common::start_with(|c| {
        c.core.tick_time_ms = 50;
        c.sessionless_cnxn_timeout_ms = 200;
    })
    .await;
    let addr = server.local_addr();
    let mut idle = common::tcp(addr).await?;
    // Never sends a ConnectRequest: closed after the sessionless timeout (rounded up).
    assert!(is_closed_by_server(&mut idle).await);
    let mntr = common::four_letter(addr, "mntr").await?;
    assert!(
        mntr.contains("\nzk_sessionless_connections_expired\t1\n"),
        "{mntr}"
    );
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn a_client_that_does_not_read_does_not_stall_others() -> Result<()> {
    let server = common::start().await;
    let addr = server.local_addr();
    let mut setup = Client::connect(addr).await?;
    let big = zkrs_jute::CreateRequest {
        path: "/big".to_string(),
        data: Some(bytes::Bytes::from(vec![7u8; 256 * 1024])),
        acl: zkrs_jute::perms::open_acl_unsafe(),
        flags: 0,
    };
    assert_eq!(
        setup
            .call(zkrs_jute::Request::Create(big))
            .await?
            .header
            .err,
        0
    );

    // The hog asks for the big node again and again and never reads a reply.
    let mut hog = Client::connect(addr).await?;
    let mut burst = Vec::new();
    for xid in 1..=200 {
        let mut payload = Vec::new();
        RequestHeader {
            xid,
            r#type: OpCode::GetData.code(),
        }
        .write_to(&mut payload);
        zkrs_jute::GetDataRequest {
            path: "/big".to_string(),
            watch: false,
        }
        .write_to(&mut payload);
        burst.extend_from_slice(&frame(&payload));
    }
    // The write itself may block once the server stops reading the hog: bound it.
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        hog.stream.write_all(&burst),
    )
    .await;

    // Everyone else is served meanwhile.
    let mut other = Client::connect(addr).await?;
    for _ in 0..20 {
        other.ping().await?;
    }
    let srvr = common::four_letter(addr, "srvr").await?;
    assert!(srvr.contains("Mode: standalone"), "{srvr}");
    drop(hog);
    other.ping().await?;
    server.stop().await?;
    Ok(())
}
