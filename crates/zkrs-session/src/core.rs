//! [`ServerCore`]: the standalone ZooKeeper server as a value you step.
//!
//! SKELETON: the API is fixed here so the server shell can be written against it; the pipeline
//! (PrepRequestProcessor / FinalRequestProcessor semantics) is filled in behind it.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;

use bytes::Bytes;
use zkrs_jute::{
    ConnectRequest, ConnectResponse, ErrorCode, Jute, OpCode, ReplyHeader, Request,
    RequestDecodeError, RequestHeader,
};

use crate::clock::Clock;
use crate::config::CoreConfig;
use crate::output::Output;

/// Identifies one client connection; chosen by the driver, never reused while open.
pub type ConnId = u64;

/// Per-connection state the core keeps.
#[derive(Debug, Clone)]
struct Connection {
    #[allow(dead_code)]
    remote: SocketAddr,
    session_id: Option<i64>,
}

/// The sans-IO standalone server.
#[derive(Debug)]
pub struct ServerCore {
    config: CoreConfig,
    connections: BTreeMap<ConnId, Connection>,
    outputs: VecDeque<Output>,
    last_processed_zxid: i64,
}

impl ServerCore {
    /// A server with an empty data tree.
    pub fn new(config: CoreConfig, _now: Clock) -> Self {
        ServerCore {
            config,
            connections: BTreeMap::new(),
            outputs: VecDeque::new(),
            last_processed_zxid: 0,
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &CoreConfig {
        &self.config
    }

    /// The zxid of the last applied txn (`Zxid:` in srvr).
    pub fn last_processed_zxid(&self) -> i64 {
        self.last_processed_zxid
    }

    /// A new TCP connection was accepted from `remote`.
    pub fn handle_connection_opened(&mut self, conn: ConnId, remote: SocketAddr) {
        self.connections.insert(
            conn,
            Connection {
                remote,
                session_id: None,
            },
        );
    }

    /// The connection is gone (EOF, error, or after an `Output::Close`). Its watches are
    /// dropped; its session lives on until it expires or is closed.
    pub fn handle_connection_closed(&mut self, conn: ConnId) {
        self.connections.remove(&conn);
    }

    /// The first frame of a connection.
    pub fn handle_connect(&mut self, conn: ConnId, req: ConnectRequest, _now: Clock) {
        let Some(c) = self.connections.get_mut(&conn) else {
            return;
        };
        let session_id = (i64::from(self.config.server_id) << 56) | 1;
        c.session_id = Some(session_id);
        let timeout = (req.time_out.max(self.config.min_session_timeout_ms as i32))
            .min(self.config.max_session_timeout_ms as i32);
        let resp = ConnectResponse {
            protocol_version: 0,
            time_out: timeout,
            session_id,
            passwd: Bytes::from(vec![0u8; 16]),
            read_only: req.read_only.map(|_| false),
        };
        self.send(conn, &resp.to_bytes());
    }

    /// A request frame after the connect.
    pub fn handle_request(
        &mut self,
        conn: ConnId,
        header: RequestHeader,
        request: Result<Request, RequestDecodeError>,
        _now: Clock,
    ) {
        match request {
            Ok(Request::Ping) => {
                let h = ReplyHeader {
                    xid: zkrs_jute::xid::PING,
                    zxid: self.last_processed_zxid,
                    err: 0,
                };
                self.send(conn, &h.to_bytes());
            }
            Ok(Request::CloseSession) => {
                let h = ReplyHeader {
                    xid: header.xid,
                    zxid: self.last_processed_zxid,
                    err: 0,
                };
                self.send(conn, &h.to_bytes());
                self.outputs.push_back(Output::Close { conn });
            }
            Ok(req) if req.op() != OpCode::Notification => {
                let h = ReplyHeader {
                    xid: header.xid,
                    zxid: self.last_processed_zxid,
                    err: ErrorCode::Unimplemented.code(),
                };
                self.send(conn, &h.to_bytes());
            }
            _ => {
                let h = ReplyHeader {
                    xid: header.xid,
                    zxid: -1,
                    err: ErrorCode::Unimplemented.code(),
                };
                self.send(conn, &h.to_bytes());
                self.outputs.push_back(Output::Close { conn });
            }
        }
    }

    /// Time passes: session expiry and the container/TTL reaper run from here.
    pub fn handle_tick(&mut self, _now: Clock) {}

    /// Every `Output::Persist` up to and including `zxid` is durable (standalone) or committed
    /// by a quorum (ZAB, later).
    pub fn handle_committed(&mut self, _zxid: i64, _now: Clock) {}

    /// The next action for the driver.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// The next monotonic time at which `handle_tick` has work to do.
    pub fn poll_timeout(&self) -> Option<u64> {
        None
    }

    fn send(&mut self, conn: ConnId, payload: &[u8]) {
        self.outputs.push_back(Output::Send {
            conn,
            frame: Bytes::from(zkrs_jute::frame::frame(payload)),
        });
    }
}
