//! [`ZkClient`]: a ZooKeeper client with only what the membership agent needs, over the
//! client protocol (length-prefixed frames; `ConnectRequest`, `RequestHeader` + record,
//! `ReplyHeader` + record). Every read and write is bounded by the request timeout; a reply
//! that does not decode is an error, never a panic.

use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zkrs_jute::{
    AuthPacket, ConnectRequest, ConnectResponse, GetDataRequest, GetDataResponse, Jute, JuteReader,
    OpCode, ReconfigRequest, ReplyHeader, RequestHeader, Stat,
};

/// The largest reply accepted (a configuration is small; `jute.maxbuffer` is 1 MiB).
const MAX_REPLY_LEN: usize = 4 * 1024 * 1024;

/// Why a client call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("timed out")]
    Timeout,
    #[error("the server closed the session (expired or refused)")]
    SessionRefused,
    #[error("malformed reply: {0}")]
    Malformed(String),
    /// A ZooKeeper error code in the reply header (e.g. -103 BADVERSION).
    #[error("ZooKeeper error {0}")]
    Keeper(i32),
}

/// One session with one server.
#[derive(Debug)]
pub struct ZkClient {
    stream: TcpStream,
    xid: i32,
    timeout: Duration,
}

impl ZkClient {
    /// Connects to `addr` (`host:port`) and opens a session of `session_timeout_ms`.
    pub async fn connect(
        addr: &str,
        session_timeout_ms: i32,
        timeout: Duration,
    ) -> Result<ZkClient, ClientError> {
        let stream = tokio::time::timeout(timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| ClientError::Timeout)??;
        stream.set_nodelay(true)?;
        let mut c = ZkClient {
            stream,
            xid: 0,
            timeout,
        };
        let req = ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: 0,
            time_out: session_timeout_ms,
            session_id: 0,
            passwd: Bytes::from_static(&[0; 16]),
            read_only: Some(false),
        };
        c.write_frame(&req.to_bytes()).await?;
        let frame = c.read_frame().await?;
        let resp = ConnectResponse::read_from(&mut JuteReader::new(&frame))
            .map_err(|e| ClientError::Malformed(e.to_string()))?;
        if resp.time_out <= 0 || resp.session_id == 0 {
            return Err(ClientError::SessionRefused);
        }
        Ok(c)
    }

    /// `addauth digest user:password`.
    pub async fn add_digest_auth(&mut self, user_password: &str) -> Result<(), ClientError> {
        let packet = AuthPacket {
            r#type: 0,
            scheme: "digest".into(),
            auth: Bytes::from(user_password.as_bytes().to_vec()),
        };
        self.call_xid(-4, OpCode::Auth.code(), &packet.to_bytes())
            .await
            .map(|_| ())
    }

    /// `getData(path)`: the data and the Stat.
    pub async fn get_data(&mut self, path: &str) -> Result<(Bytes, Stat), ClientError> {
        let req = GetDataRequest {
            path: path.into(),
            watch: false,
        };
        let body = self.call(OpCode::GetData.code(), &req.to_bytes()).await?;
        let resp = GetDataResponse::read_from(&mut JuteReader::new(&body))
            .map_err(|e| ClientError::Malformed(e.to_string()))?;
        Ok((resp.data.unwrap_or_default(), resp.stat))
    }

    /// `reconfig(joining, leaving, null, from_version)`: the new configuration's text.
    pub async fn reconfig(
        &mut self,
        joining: Option<&str>,
        leaving: Option<&str>,
        from_version: i64,
    ) -> Result<String, ClientError> {
        let req = ReconfigRequest {
            joining_servers: joining.map(str::to_owned),
            leaving_servers: leaving.map(str::to_owned),
            new_members: None,
            cur_config_id: from_version,
        };
        let body = self.call(OpCode::Reconfig.code(), &req.to_bytes()).await?;
        let resp = GetDataResponse::read_from(&mut JuteReader::new(&body))
            .map_err(|e| ClientError::Malformed(e.to_string()))?;
        Ok(String::from_utf8_lossy(&resp.data.unwrap_or_default()).into_owned())
    }

    /// Closes the session (best effort).
    pub async fn close(mut self) {
        let _ = self.call(OpCode::CloseSession.code(), &[]).await;
    }

    async fn call(&mut self, op: i32, body: &[u8]) -> Result<Bytes, ClientError> {
        self.xid = self.xid.wrapping_add(1).max(1);
        let xid = self.xid;
        self.call_xid(xid, op, body).await
    }

    async fn call_xid(&mut self, xid: i32, op: i32, body: &[u8]) -> Result<Bytes, ClientError> {
        let mut frame = RequestHeader { xid, r#type: op }.to_bytes();
        frame.extend_from_slice(body);
        self.write_frame(&frame).await?;
        loop {
            let reply = self.read_frame().await?;
            let mut r = JuteReader::new(&reply);
            let header = ReplyHeader::read_from(&mut r)
                .map_err(|e| ClientError::Malformed(e.to_string()))?;
            // Watch notifications (-1) and pings (-2) are not answers.
            if header.xid != xid {
                continue;
            }
            if header.err != 0 {
                return Err(ClientError::Keeper(header.err));
            }
            return Ok(Bytes::copy_from_slice(
                &reply[reply.len() - r.remaining()..],
            ));
        }
    }

    async fn write_frame(&mut self, payload: &[u8]) -> Result<(), ClientError> {
        let len = u32::try_from(payload.len())
            .map_err(|_| ClientError::Malformed("request too large".into()))?;
        let mut buf = Vec::with_capacity(4 + payload.len());
        buf.extend_from_slice(&len.to_be_bytes());
        buf.extend_from_slice(payload);
        tokio::time::timeout(self.timeout, self.stream.write_all(&buf))
            .await
            .map_err(|_| ClientError::Timeout)??;
        Ok(())
    }

    async fn read_frame(&mut self) -> Result<Vec<u8>, ClientError> {
        let read = async {
            let len = self.stream.read_u32().await? as usize;
            if len > MAX_REPLY_LEN {
                return Err(ClientError::Malformed(format!("a {len}-byte reply")));
            }
            let mut buf = vec![0; len];
            self.stream.read_exact(&mut buf).await?;
            Ok(buf)
        };
        tokio::time::timeout(self.timeout, read)
            .await
            .map_err(|_| ClientError::Timeout)?
    }
}
