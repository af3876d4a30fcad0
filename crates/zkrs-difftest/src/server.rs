//! [`ServerProcess`]: starts Apache ZooKeeper (Debian's jars) or zkrs on a free loopback port
//! with a fresh dataDir and the shared [`zoo_cfg`], waits until it serves, stops it on drop.

use std::fs;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::conn::Conn;

/// The jars Debian's zookeeper package needs on the classpath (see
/// shared/reference/running-real-clients.md §1: netty-codec is missing from the manifest, and an
/// slf4j binding is needed for any log output).
pub const ZK_CLASSPATH: &str = "/usr/share/java/zookeeper.jar:/usr/share/java/netty-codec.jar:\
/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar";

/// `znode.container.checkIntervalMs` for both servers: the container/TTL reaper runs on a
/// wall-clock timer (default every 60 s) and its deletions consume zxids at random points of a
/// run, so it is pushed out of reach (Integer.MAX_VALUE ms).
pub const CONTAINER_CHECK_INTERVAL_MS: &str = "2147483647";

/// The zoo.cfg both servers get (only dataDir and clientPort differ).
pub fn zoo_cfg(data_dir: &Path, port: u16) -> String {
    format!(
        "# zkrs-difftest: identical for Apache ZooKeeper and zkrs\n\
tickTime=2000\n\
initLimit=10\n\
syncLimit=5\n\
dataDir={}\n\
clientPort={port}\n\
clientPortAddress=127.0.0.1\n\
maxClientCnxns=0\n\
admin.enableServer=false\n\
4lw.commands.whitelist=*\n\
extendedTypesEnabled=true\n\
forceSync=no\n\
# ZooKeeper reads this one only as -Dznode.container.checkIntervalMs (given on its command\n\
# line); in zoo.cfg it is for zkrs, which should honour it the same way.\n\
znode.container.checkIntervalMs={CONTAINER_CHECK_INTERVAL_MS}\n",
        data_dir.display()
    )
}

/// Waits until the server at `addr` is serving: `srvr` answers with a `Mode:` line. (`ruok`
/// is no use: ZooKeeper answers `imok` as soon as the port is bound, before the server runs,
/// and closes session connections in that window.) A server that accepts connections but
/// answers four-letter words with nothing at all is taken as ready after 25 tries (~5 s).
/// Fails if `alive` says the process is gone or `limit` passes.
pub fn wait_ready(
    addr: SocketAddr,
    limit: Duration,
    alive: &mut dyn FnMut() -> io::Result<bool>,
    log: &Path,
) -> io::Result<()> {
    let start = Instant::now();
    let mut silent = 0;
    while start.elapsed() < limit {
        if !alive()? {
            return Err(io::Error::other(format!(
                "server exited during startup; see {}",
                log.display()
            )));
        }
        if let Ok(mut conn) = Conn::connect(addr, Duration::from_secs(1)) {
            if conn.send_raw(b"srvr").is_ok() {
                let answer = conn
                    .read_to_end(Instant::now() + Duration::from_secs(2))
                    .unwrap_or_default();
                let text = String::from_utf8_lossy(&answer);
                if text.contains("Mode:") {
                    return Ok(());
                }
                if answer.is_empty() {
                    silent += 1;
                    if silent >= 25 {
                        return Ok(());
                    }
                }
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(io::Error::new(
        io::ErrorKind::TimedOut,
        format!("server at {addr} not ready after {limit:?}"),
    ))
}

/// True while process `pid` exists and is not a zombie (Linux `/proc`).
pub fn pid_alive(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        // Field 3 (after the parenthesised command name) is the state.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

/// Which server to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerKind {
    Zookeeper,
    /// The zkrs binary (`zkrs server zoo.cfg`).
    Zkrs(PathBuf),
}

/// A running server; killed and reaped on drop.
#[derive(Debug)]
pub struct ServerProcess {
    child: Option<Child>,
    addr: SocketAddr,
    dir: PathBuf,
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> io::Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

impl ServerProcess {
    /// Starts a server in a fresh directory `dir` (created; must not hold an old dataDir).
    pub fn start(kind: &ServerKind, dir: &Path) -> io::Result<ServerProcess> {
        let _ = fs::remove_dir_all(dir);
        let data = dir.join("data");
        fs::create_dir_all(&data)?;
        let port = free_port()?;
        let cfg = dir.join("zoo.cfg");
        fs::write(&cfg, zoo_cfg(&data, port))?;
        let log = fs::File::create(dir.join("server.log"))?;
        let log2 = log.try_clone()?;
        let mut cmd = match kind {
            ServerKind::Zookeeper => {
                let l4j = dir.join("log4j.properties");
                fs::write(
                    &l4j,
                    "log4j.rootLogger=INFO, CONSOLE\n\
log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender\n\
log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout\n\
log4j.appender.CONSOLE.layout.ConversionPattern=%d{ISO8601} [myid:%X{myid}] - %-5p [%t:%C{1}@%L] - %m%n\n",
                )?;
                let mut c = Command::new("java");
                c.arg("-Xmx512m")
                    .arg(format!(
                        "-Dznode.container.checkIntervalMs={CONTAINER_CHECK_INTERVAL_MS}"
                    ))
                    .arg(format!("-Dzookeeper.log.dir={}", dir.display()))
                    .arg(format!("-Dlog4j.configuration=file:{}", l4j.display()))
                    .arg("-cp")
                    .arg(ZK_CLASSPATH)
                    .arg("org.apache.zookeeper.server.quorum.QuorumPeerMain")
                    .arg(&cfg);
                c
            }
            ServerKind::Zkrs(bin) => {
                let mut c = Command::new(bin);
                c.arg("server").arg(&cfg);
                c
            }
        };
        cmd.current_dir(dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2);
        let child = cmd.spawn()?;
        let mut p = ServerProcess {
            child: Some(child),
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            dir: dir.to_path_buf(),
        };
        p.wait_ready(Duration::from_secs(60))?;
        Ok(p)
    }

    /// The client address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's directory (zoo.cfg, data/, server.log).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn wait_ready(&mut self, limit: Duration) -> io::Result<()> {
        let log = self.dir.join("server.log");
        let child = &mut self.child;
        let mut alive = || match child.as_mut() {
            Some(c) => Ok(c.try_wait()?.is_none()),
            None => Ok(false),
        };
        wait_ready(self.addr, limit, &mut alive, &log)
    }

    /// Kills and reaps the process.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}
