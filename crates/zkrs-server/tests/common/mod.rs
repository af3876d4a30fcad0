//! A small raw-TCP ZooKeeper client for the integration tests: frames built with zkrs-jute,
//! every wait bounded by [`WAIT`].

#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zkrs_jute::{
    frame::frame, xid, ConnectRequest, ConnectResponse, Jute, JuteReader, ReplyHeader, Request,
    RequestHeader, WatcherEvent,
};
use zkrs_server::{ServerConfig, ServerHandle};

/// Upper bound on every wait in the tests.
pub const WAIT: Duration = Duration::from_secs(5);

/// A fresh, empty dataDir for one server: servers persist their data now, so tests that run
/// in parallel must not share one. Under `<tmp>/zkrs-server-tests/<pid>/`; the directories of
/// test processes that are no longer running are removed on the first call.
pub fn data_dir() -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Once;
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static CLEAN: Once = Once::new();
    let root = std::env::temp_dir().join("zkrs-server-tests");
    CLEAN.call_once(|| {
        for entry in std::fs::read_dir(&root).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let alive = name
                .parse::<u32>()
                .is_ok_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
            if !alive {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    });
    let dir = root
        .join(std::process::id().to_string())
        .join(NEXT.fetch_add(1, Ordering::Relaxed).to_string());
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Small txn log files (16 KiB preallocation) so test directories stay small.
pub fn small_logs(config: &mut ServerConfig) {
    config.storage.options.txn_log.pre_alloc_size = 16 * 1024;
}

/// Starts a server on 127.0.0.1:0 with the defaults and every four-letter word enabled.
pub async fn start() -> ServerHandle {
    start_with(|_| {}).await
}

/// Starts a server after `tweak` adjusts the config.
pub async fn start_with(tweak: impl FnOnce(&mut ServerConfig)) -> ServerHandle {
    let mut config = ServerConfig::loopback(data_dir());
    small_logs(&mut config);
    tweak(&mut config);
    match ServerHandle::start(config).await {
        Ok(handle) => handle,
        Err(e) => panic!("server failed to start: {e}"),
    }
}

/// Sends a four-letter word on a fresh connection and reads the reply until the server closes.
pub async fn four_letter(addr: SocketAddr, word: &str) -> Result<String> {
    let mut stream = tcp(addr).await?;
    stream.write_all(word.as_bytes()).await?;
    let bytes = read_to_eof(&mut stream).await?;
    Ok(String::from_utf8(bytes)?)
}

/// Opens a TCP connection (bounded).
pub async fn tcp(addr: SocketAddr) -> Result<TcpStream> {
    tokio::time::timeout(WAIT, TcpStream::connect(addr))
        .await
        .context("connect timed out")?
        .context("connect failed")
}

/// Reads until EOF (a reset after some data also ends the read), bounded by [`WAIT`].
pub async fn read_to_eof(stream: &mut TcpStream) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let read = async {
        let mut chunk = [0u8; 4096];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) => return Ok::<(), anyhow::Error>(()),
                Ok(n) => out.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Ok(()),
                Err(e) => return Err(e.into()),
            }
        }
    };
    tokio::time::timeout(WAIT, read)
        .await
        .context("timed out waiting for the server to close")??;
    Ok(out)
}

/// True once the server has closed `stream` (EOF or reset) within [`WAIT`].
pub async fn is_closed_by_server(stream: &mut TcpStream) -> bool {
    let mut chunk = [0u8; 256];
    let wait = async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return true,
                Ok(_) => continue,
            }
        }
    };
    tokio::time::timeout(WAIT, wait).await.unwrap_or(false)
}

/// A reply to one request.
#[derive(Debug)]
pub struct Reply {
    pub header: ReplyHeader,
    /// The bytes after the reply header.
    pub body: Bytes,
}

impl Reply {
    /// Decodes the body as `T`.
    pub fn decode<T: Jute>(&self) -> Result<T> {
        let mut r = JuteReader::new(&self.body);
        Ok(T::read_from(&mut r)?)
    }
}

/// A connected ZooKeeper session over raw TCP.
#[derive(Debug)]
pub struct Client {
    pub stream: TcpStream,
    buf: BytesMut,
    next_xid: i32,
    pub response: ConnectResponse,
    /// Watch notifications received while waiting for replies.
    pub events: VecDeque<WatcherEvent>,
}

/// A ConnectRequest for a new session, with the `readOnly` byte.
pub fn connect_request(timeout_ms: i32) -> ConnectRequest {
    ConnectRequest {
        protocol_version: 0,
        last_zxid_seen: 0,
        time_out: timeout_ms,
        session_id: 0,
        passwd: Bytes::from(vec![0u8; 16]),
        read_only: Some(false),
    }
}

impl Client {
    /// Opens a new session (30 s timeout, readOnly byte present).
    pub async fn connect(addr: SocketAddr) -> Result<Client> {
        Client::connect_with(addr, connect_request(30_000)).await
    }

    /// Wraps a raw connection on which no handshake happened yet.
    pub fn raw(stream: TcpStream) -> Client {
        Client {
            stream,
            buf: BytesMut::new(),
            next_xid: 1,
            response: ConnectResponse::default(),
            events: VecDeque::new(),
        }
    }

    /// Sends `req` as the first packet and reads the ConnectResponse.
    pub async fn connect_with(addr: SocketAddr, req: ConnectRequest) -> Result<Client> {
        let mut stream = tcp(addr).await?;
        stream.write_all(&frame(&req.to_bytes())).await?;
        let mut client = Client::raw(stream);
        let payload = client
            .read_frame()
            .await?
            .ok_or_else(|| anyhow!("closed before the connect response"))?;
        client.response = ConnectResponse::from_bytes(&payload)?;
        Ok(client)
    }

    /// The session id the server assigned.
    pub fn session_id(&self) -> i64 {
        self.response.session_id
    }

    /// Reads one frame's payload; `None` on EOF. Bounded by [`WAIT`].
    pub async fn read_frame(&mut self) -> Result<Option<Bytes>> {
        loop {
            if self.buf.len() >= 4 {
                let len = i32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]);
                let len = usize::try_from(len).context("negative frame length")?;
                if self.buf.len() >= 4 + len {
                    self.buf.advance(4);
                    return Ok(Some(self.buf.split_to(len).freeze()));
                }
            }
            let n = tokio::time::timeout(WAIT, self.stream.read_buf(&mut self.buf))
                .await
                .context("timed out waiting for a frame")??;
            if n == 0 {
                if self.buf.is_empty() {
                    return Ok(None);
                }
                bail!("EOF inside a frame");
            }
        }
    }

    /// Writes a raw request (header + body) without waiting; returns the xid.
    pub async fn send(&mut self, req: &Request) -> Result<i32> {
        let xid = match req {
            Request::Ping => xid::PING,
            Request::Auth(_) => xid::AUTH,
            Request::SetWatches(_) | Request::SetWatches2(_) => xid::SET_WATCHES,
            _ => {
                let x = self.next_xid;
                self.next_xid += 1;
                x
            }
        };
        self.send_with_xid(xid, req.op().code(), req).await?;
        Ok(xid)
    }

    /// Writes a request with an explicit xid and opcode.
    pub async fn send_with_xid(&mut self, xid: i32, op: i32, req: &Request) -> Result<()> {
        let mut payload = Vec::new();
        RequestHeader { xid, r#type: op }.write_to(&mut payload);
        req.write_body(&mut payload);
        self.stream.write_all(&frame(&payload)).await?;
        Ok(())
    }

    /// Reads frames until the reply with `xid`; notifications on the way are kept in
    /// [`Client::events`].
    pub async fn reply_to(&mut self, xid: i32) -> Result<Reply> {
        loop {
            let payload = self
                .read_frame()
                .await?
                .ok_or_else(|| anyhow!("connection closed while waiting for xid {xid}"))?;
            let mut r = JuteReader::new(&payload);
            let header = ReplyHeader::read_from(&mut r)?;
            let body = Bytes::copy_from_slice(r.rest());
            if header.xid == xid::NOTIFICATION {
                self.events
                    .push_back(WatcherEvent::read_from(&mut JuteReader::new(&body))?);
                continue;
            }
            if header.xid != xid {
                bail!("reply for xid {} while waiting for {xid}", header.xid);
            }
            return Ok(Reply { header, body });
        }
    }

    /// Sends `req` and waits for its reply.
    pub async fn call(&mut self, req: Request) -> Result<Reply> {
        let xid = self.send(&req).await?;
        self.reply_to(xid).await
    }

    /// Waits for the next watch notification.
    pub async fn next_event(&mut self) -> Result<WatcherEvent> {
        if let Some(e) = self.events.pop_front() {
            return Ok(e);
        }
        let payload = self
            .read_frame()
            .await?
            .ok_or_else(|| anyhow!("connection closed while waiting for a notification"))?;
        let mut r = JuteReader::new(&payload);
        let header = ReplyHeader::read_from(&mut r)?;
        if header.xid != xid::NOTIFICATION {
            bail!(
                "expected a notification, got a reply for xid {}",
                header.xid
            );
        }
        Ok(WatcherEvent::read_from(&mut r)?)
    }

    /// `ping`.
    pub async fn ping(&mut self) -> Result<ReplyHeader> {
        Ok(self.call(Request::Ping).await?.header)
    }

    /// `closeSession`, then checks the server closes the connection.
    pub async fn close_session(mut self) -> Result<ReplyHeader> {
        let reply = self.call(Request::CloseSession).await?;
        if !is_closed_by_server(&mut self.stream).await {
            bail!("the server did not close the connection after closeSession");
        }
        Ok(reply.header)
    }
}
