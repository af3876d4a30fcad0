//! [`Conn`]: one raw client-port TCP connection with length-prefixed framing and bounded reads.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use zkrs_jute::frame::frame;

/// The largest frame accepted from a server (ZooKeeper's default `jute.maxbuffer` plus room).
const MAX_FRAME: usize = 4 << 20;

/// The result of waiting for one frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// One complete frame payload (without its length prefix).
    Frame(Vec<u8>),
    /// The server closed the connection.
    Eof,
    /// Nothing complete arrived before the deadline.
    Timeout,
}

/// What one read did.
enum Fill {
    Data,
    Eof,
    Timeout,
}

/// A blocking connection; every read is bounded by a deadline.
#[derive(Debug)]
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    eof: bool,
}

impl Conn {
    /// Connects with a bounded connect timeout.
    pub fn connect(addr: SocketAddr, timeout: Duration) -> io::Result<Conn> {
        let stream = TcpStream::connect_timeout(&addr, timeout)?;
        stream.set_nodelay(true)?;
        stream.set_write_timeout(Some(timeout))?;
        Ok(Conn {
            stream,
            buf: Vec::new(),
            eof: false,
        })
    }

    /// Sends one length-prefixed frame.
    pub fn send(&mut self, payload: &[u8]) -> io::Result<()> {
        self.stream.write_all(&frame(payload))
    }

    /// Sends raw bytes (four-letter words).
    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Takes the next frame out of the buffer, reading until `deadline` at most.
    pub fn recv(&mut self, deadline: Instant) -> io::Result<Incoming> {
        loop {
            if self.buf.len() >= 4 {
                let len = i32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]);
                if len < 0 || len as usize > MAX_FRAME {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("frame length {len} out of range"),
                    ));
                }
                let len = len as usize;
                if self.buf.len() >= 4 + len {
                    let payload = self.buf[4..4 + len].to_vec();
                    self.buf.drain(..4 + len);
                    return Ok(Incoming::Frame(payload));
                }
            }
            if self.eof {
                return Ok(Incoming::Eof);
            }
            match self.fill(deadline)? {
                Fill::Eof => self.eof = true,
                Fill::Data => {}
                Fill::Timeout => return Ok(Incoming::Timeout),
            }
        }
    }

    /// Reads everything until EOF or the deadline (four-letter-word answers).
    pub fn read_to_end(&mut self, deadline: Instant) -> io::Result<Vec<u8>> {
        while !self.eof {
            match self.fill(deadline)? {
                Fill::Eof => self.eof = true,
                Fill::Data => {}
                Fill::Timeout => break,
            }
        }
        Ok(std::mem::take(&mut self.buf))
    }

    /// One read into the buffer.
    fn fill(&mut self, deadline: Instant) -> io::Result<Fill> {
        let now = Instant::now();
        if now >= deadline {
            return Ok(Fill::Timeout);
        }
        let wait = (deadline - now).max(Duration::from_millis(1));
        self.stream.set_read_timeout(Some(wait))?;
        let mut tmp = [0u8; 16 * 1024];
        match self.stream.read(&mut tmp) {
            Ok(0) => Ok(Fill::Eof),
            Ok(n) => {
                self.buf.extend_from_slice(&tmp[..n]);
                Ok(Fill::Data)
            }
            Err(e) => match e.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Ok(Fill::Timeout),
                io::ErrorKind::Interrupted => Ok(Fill::Data),
                io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => Ok(Fill::Eof),
                _ => Err(e),
            },
        }
    }

    /// Closes both directions (the server sees EOF).
    pub fn shutdown(&self) {
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}
