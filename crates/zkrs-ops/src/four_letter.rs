//! [`FourLetterWord`]: a four-letter-word exchange over TCP, as ZooKeeper's
//! `FourLetterWordMain` (for `zkServer.sh status`) and `echo <cmd> | nc <host> <port>` (for
//! the probe scripts) do it: send the word, read until the server closes.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// One request: a word to a host and port.
#[derive(Debug, Clone)]
pub struct FourLetterWord {
    pub host: String,
    pub port: u16,
    /// The bytes sent (`srvr`, or `ruok\n` as `echo` writes it).
    pub request: Vec<u8>,
    /// The bound on connecting and on the whole read.
    pub timeout: Duration,
}

impl FourLetterWord {
    /// The addresses of the host, IPv4 first (Java resolves `localhost` to 127.0.0.1 unless
    /// `java.net.preferIPv6Addresses` is set).
    fn addresses(&self, ipv4_first: bool) -> io::Result<Vec<SocketAddr>> {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        let mut addrs: Vec<SocketAddr> = (host, self.port).to_socket_addrs()?.collect();
        if ipv4_first {
            addrs.sort_by_key(|a| !a.is_ipv4());
        }
        Ok(addrs)
    }

    /// `FourLetterWordMain`: the response, or the error (the script drops it).
    pub fn java(&self) -> io::Result<String> {
        let addr = self
            .addresses(true)?
            .into_iter()
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address"))?;
        let stream = TcpStream::connect_timeout(&addr, self.timeout)?;
        self.exchange(stream)
    }

    /// `echo <word> | nc <host> <port>`: tries each address in turn, printing nc's message for
    /// each that refuses; the response, or `None` when none connected.
    pub fn nc(&self) -> Option<String> {
        let addrs = match self.addresses(false) {
            Ok(a) => a,
            Err(e) => {
                eprintln!(
                    "nc: getaddrinfo for host \"{}\" port {}: {e}",
                    self.host, self.port
                );
                return None;
            }
        };
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, self.timeout) {
                Ok(stream) => return Some(self.exchange(stream).unwrap_or_default()),
                Err(e) => eprintln!(
                    "nc: connect to {} port {} (tcp) failed: {}",
                    self.host,
                    self.port,
                    os_message(&e)
                ),
            }
        }
        None
    }

    fn exchange(&self, mut stream: TcpStream) -> io::Result<String> {
        let deadline = Instant::now() + self.timeout;
        stream.set_write_timeout(Some(self.timeout))?;
        stream.write_all(&self.request)?;
        // The server answers and closes; a half-close tells servers that wait for more.
        let _ = stream.shutdown(Shutdown::Write);
        let mut out = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            stream.set_read_timeout(Some(left))?;
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if out.is_empty() => return Err(e),
                Err(_) => break,
            }
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

/// The error text without Rust's ` (os error N)` suffix.
fn os_message(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn sends_the_word_and_reads_to_close() {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        let t = std::thread::spawn(move || {
            let (mut s, _) = l.accept().expect("accept");
            let mut w = [0u8; 4];
            s.read_exact(&mut w).expect("read");
            assert_eq!(&w, b"srvr");
            s.write_all(b"Zookeeper version: x\nMode: follower\n")
                .expect("write");
        });
        let r = FourLetterWord {
            host: "localhost".into(),
            port,
            request: b"srvr".to_vec(),
            timeout: Duration::from_secs(5),
        }
        .java()
        .expect("response");
        t.join().expect("join");
        assert!(r.contains("Mode: follower"));
    }
}
