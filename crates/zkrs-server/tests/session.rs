//! Connect handshake, ping and close over real TCP.

mod common;

use anyhow::Result;
use common::{connect_request, Client};
use tokio::io::AsyncWriteExt;
use zkrs_jute::{frame::frame, xid, ConnectRequest, Jute, Request};

#[tokio::test]
async fn connect_with_read_only_byte_gets_it_back() -> Result<()> {
    let server = common::start().await;
    let client = Client::connect(server.local_addr()).await?;
    let r = &client.response;
    assert_eq!(r.protocol_version, 0);
    assert_ne!(r.session_id, 0);
    assert_eq!(r.passwd.len(), 16);
    assert_eq!(r.read_only, Some(false));
    assert!(
        (4000..=40000).contains(&r.time_out),
        "timeout {}",
        r.time_out
    );
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn connect_without_read_only_byte_gets_the_short_response() -> Result<()> {
    let server = common::start().await;
    let req = ConnectRequest {
        read_only: None,
        ..connect_request(30_000)
    };
    let mut stream = common::tcp(server.local_addr()).await?;
    stream.write_all(&frame(&req.to_bytes())).await?;
    let mut client = Client::raw(stream);
    // 4+4+8+(4+16) bytes: no readOnly byte.
    let payload = client.read_frame().await?.expect("connect response");
    assert_eq!(payload.len(), 36, "old clients get no readOnly byte");
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn session_timeout_is_clamped_to_the_bounds() -> Result<()> {
    let server = common::start().await;
    let low = Client::connect_with(server.local_addr(), connect_request(10)).await?;
    assert_eq!(low.response.time_out, 4000);
    let high = Client::connect_with(server.local_addr(), connect_request(1_000_000)).await?;
    assert_eq!(high.response.time_out, 40000);
    assert_ne!(low.session_id(), high.session_id());
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn ping_is_answered_with_the_ping_xid() -> Result<()> {
    let server = common::start().await;
    let mut client = Client::connect(server.local_addr()).await?;
    for _ in 0..3 {
        let h = client.ping().await?;
        assert_eq!(h.xid, xid::PING);
        assert_eq!(h.err, 0);
    }
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn pipelined_pings_in_one_write_are_all_answered() -> Result<()> {
    let server = common::start().await;
    let mut client = Client::connect(server.local_addr()).await?;
    let mut burst = Vec::new();
    for _ in 0..50 {
        let mut payload = Vec::new();
        zkrs_jute::RequestHeader {
            xid: xid::PING,
            r#type: zkrs_jute::OpCode::Ping.code(),
        }
        .write_to(&mut payload);
        burst.extend_from_slice(&frame(&payload));
    }
    client.stream.write_all(&burst).await?;
    for _ in 0..50 {
        assert_eq!(client.reply_to(xid::PING).await?.header.err, 0);
    }
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn close_session_replies_then_closes() -> Result<()> {
    let server = common::start().await;
    let client = Client::connect(server.local_addr()).await?;
    let h = client.close_session().await?;
    assert_eq!(h.err, 0);
    // The server is still fine.
    let mut other = Client::connect(server.local_addr()).await?;
    other.ping().await?;
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn frames_split_across_writes_are_reassembled() -> Result<()> {
    let server = common::start().await;
    let mut stream = common::tcp(server.local_addr()).await?;
    let bytes = frame(&connect_request(30_000).to_bytes());
    for b in &bytes {
        stream.write_all(&[*b]).await?;
        stream.flush().await?;
    }
    let mut client = Client::raw(stream);
    let payload = client.read_frame().await?.expect("connect response");
    let resp = zkrs_jute::ConnectResponse::from_bytes(&payload)?;
    assert_ne!(resp.session_id, 0);
    let xid = client.send(&Request::Ping).await?;
    assert_eq!(client.reply_to(xid).await?.header.err, 0);
    server.stop().await?;
    Ok(())
}
