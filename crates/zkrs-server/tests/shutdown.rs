//! Graceful shutdown over real TCP.

mod common;

use std::time::Duration;

use anyhow::Result;
use common::{is_closed_by_server, Client};

#[tokio::test]
async fn stop_closes_connections_and_the_port() -> Result<()> {
    let server = common::start().await;
    let addr = server.local_addr();
    let mut a = Client::connect(addr).await?;
    let mut b = Client::connect(addr).await?;
    a.ping().await?;
    b.ping().await?;
    tokio::time::timeout(Duration::from_secs(10), server.stop())
        .await
        .expect("stop is bounded")?;
    assert!(is_closed_by_server(&mut a.stream).await);
    assert!(is_closed_by_server(&mut b.stream).await);
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "port still open"
    );
    Ok(())
}

#[tokio::test]
async fn stop_with_a_half_open_four_letter_connection() -> Result<()> {
    let server = common::start().await;
    let addr = server.local_addr();
    // A connection that never sends anything, and one stuck in the middle of a frame.
    let _idle = common::tcp(addr).await?;
    let mut partial = common::tcp(addr).await?;
    tokio::io::AsyncWriteExt::write_all(&mut partial, &[0, 0, 0, 40, 1, 2]).await?;
    tokio::time::timeout(Duration::from_secs(10), server.stop())
        .await
        .expect("stop is bounded")?;
    assert!(is_closed_by_server(&mut partial).await);
    Ok(())
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() -> Result<()> {
    let server = common::start().await;
    let addr = server.local_addr();
    let mut client = Client::connect(addr).await?;
    drop(server);
    assert!(is_closed_by_server(&mut client.stream).await);
    Ok(())
}

#[tokio::test]
async fn a_second_server_can_bind_the_freed_port() -> Result<()> {
    let server = common::start().await;
    let addr = server.local_addr();
    server.stop().await?;
    let again = common::start_with(|c| c.client_addr = addr).await;
    let mut client = Client::connect(again.local_addr()).await?;
    client.ping().await?;
    again.stop().await?;
    Ok(())
}
