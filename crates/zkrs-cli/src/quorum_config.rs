//! The membership parsing `config -c` and `reconfig -file` go through in ZooKeeper 3.8's
//! client: `QuorumPeer.QuorumServer` (a `server.N` value), `QuorumMaj` / `QuorumHierarchical`
//! built by `QuorumPeerConfig.parseDynamicConfig`, their `toString()` (what `reconfig -file`
//! sends) and `ConfigUtils.getClientConfigStr` (what `config -c` prints). Error texts are the
//! exception messages the Java CLI prints after `Error processing <file>`.

use crate::javautil::{
    load_properties, parse_int, parse_long, properties_order, split, LongHashMap,
};

const WRONG_FORMAT: &str = " does not have the form server_config or server_config;client_config where server_config is the pipe separated list of host:port:port or host:port:port:type and client_config is port or host:port";

/// `InetSocketAddress.getHostString()` and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addr {
    pub host: String,
    pub port: i32,
}

impl Addr {
    /// `new InetSocketAddress(host, port)`: Err is its `IllegalArgumentException` message.
    fn new(host: &str, port: i32) -> Result<Addr, String> {
        if !(0..=0xffff).contains(&port) {
            return Err(format!("port out of range:{port}"));
        }
        Ok(Addr {
            host: host.to_string(),
            port,
        })
    }

    /// `QuorumServer.delimitedHostString`.
    fn delimited_host(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }
}

/// A parsed `server.N` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumServer {
    pub id: i64,
    pub addr: Option<Addr>,
    pub election: Option<Addr>,
    pub client: Option<Addr>,
    pub observer: bool,
}

/// `ConfigUtils.getHostAndPort`.
fn host_and_port(s: &str) -> Result<Vec<String>, String> {
    if let Some(rest) = s.strip_prefix('[') {
        let Some(i) = rest.find(']') else {
            return Err(format!("{s} starts with '[' but has no matching ']:'"));
        };
        let i = i + 1; // index of ']' in s
        if i + 2 == s.len() {
            return Err(format!("{s} doesn't have a port after colon"));
        }
        if i + 2 < s.len() {
            let mut out = vec![s[1..i].to_string()];
            out.extend(split(&s[i + 2..], ':').into_iter().map(str::to_string));
            return Ok(out);
        }
        return Ok(vec![s.replace(['[', ']'], "")]);
    }
    Ok(split(s, ':').into_iter().map(str::to_string).collect())
}

impl QuorumServer {
    /// `new QuorumServer(sid, addressStr)` (multiple addresses disabled, no canonicalization:
    /// 3.8's defaults). Err: the exception's message.
    pub fn parse(id: i64, address: &str) -> Result<QuorumServer, String> {
        let server_client = split(address, ';');
        let servers = split(server_client.first().copied().unwrap_or(""), '|');
        let mut qs = QuorumServer {
            id,
            addr: None,
            election: None,
            client: None,
            observer: false,
        };
        if server_client.len() == 2 {
            let parts = host_and_port(server_client[1])?;
            if parts.len() > 2 {
                return Err(format!("{address}{WRONG_FORMAT}"));
            }
            let host = if parts.len() == 2 {
                parts[0].as_str()
            } else {
                "0.0.0.0"
            };
            let port_str = parts.last().map(String::as_str).unwrap_or("");
            // `hostname` is not set yet when Java builds this message.
            let port =
                parse_int(port_str).map_err(|_| format!("Address unresolved: null:{port_str}"))?;
            qs.client = Some(Addr::new(host, port)?);
        }
        if servers.len() > 1 {
            return Err(format!("Multiple address feature is disabled, but multiple addresses were specified for sid {id}"));
        }
        let mut role: Option<bool> = None;
        for server in servers {
            let parts = host_and_port(server)?;
            if server_client.len() > 2 || parts.len() < 3 || parts.len() > 4 {
                return Err(format!("{address}{WRONG_FORMAT}"));
            }
            let host = &parts[0];
            let port = parse_int(&parts[1])
                .map_err(|_| format!("Address unresolved: {host}:{}", parts[1]))?;
            let addr = Addr::new(host, port)?;
            qs.addr = Some(addr);
            let eport = parse_int(&parts[2])
                .map_err(|_| format!("Address unresolved: {host}:{}", parts[2]))?;
            let election = Addr::new(host, eport)?;
            qs.election = Some(election);
            if port == eport {
                return Err(format!("Client and election port must be different! Please update the configuration file on server.{id}"));
            }
            if parts.len() == 4 {
                let observer = match parts[3].trim().to_lowercase().as_str() {
                    "observer" => true,
                    "participant" => false,
                    _ => return Err(format!("Unrecognised peertype: {}", parts[3])),
                };
                role = Some(observer);
            }
        }
        qs.observer = role.unwrap_or(false);
        Ok(qs)
    }
}

impl std::fmt::Display for QuorumServer {
    /// `QuorumServer.toString()`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let (Some(a), Some(e)) = (&self.addr, &self.election) {
            write!(f, "{}:{}:{}", a.delimited_host(), a.port, e.port)?;
        }
        f.write_str(if self.observer {
            ":observer"
        } else {
            ":participant"
        })?;
        if let Some(c) = &self.client {
            write!(f, ";{}:{}", c.delimited_host(), c.port)?;
        }
        Ok(())
    }
}

/// The sid of a `server.N` / `group.N` / `weight.N` key (`Long.parseLong` of what follows the
/// first dot).
fn key_id(key: &str) -> Result<i64, String> {
    let rest = key.find('.').map(|d| &key[d + 1..]).unwrap_or(key);
    parse_long(rest, 10)
}

/// `QuorumPeerConfig.parseDynamicConfig(props, 0, true, false, null).toString()` for the
/// `Properties` loaded from `text` (`reconfig -file`). Err: the exception's message.
pub fn dynamic_config_string(text: &str) -> Result<String, String> {
    let props = properties_order(&load_properties(text)?);
    let mut hierarchical = false;
    for (k, _) in &props {
        let key = k.trim();
        if key.starts_with("group") || key.starts_with("weight") {
            hierarchical = true;
        } else if !key.starts_with("server.") && key != "version" {
            return Err(format!("Unrecognised parameter: {key}"));
        }
    }
    let mut all: LongHashMap<QuorumServer> = LongHashMap::default();
    let mut version: i64 = 0;
    let mut server_group: LongHashMap<i64> = LongHashMap::default();
    let mut server_weight: LongHashMap<i64> = LongHashMap::default();
    for (key, value) in &props {
        if key.starts_with("server.") {
            let sid = key_id(key)?;
            all.put(sid, QuorumServer::parse(sid, value)?);
        } else if hierarchical && key.starts_with("group") {
            let gid = key_id(key)?;
            for s in split(value, ':') {
                let sid = parse_long(s, 10)?;
                if server_group.contains_key(sid) {
                    return Err(format!("Server {sid}is in multiple groups"));
                }
                server_group.put(sid, gid);
            }
        } else if hierarchical && key.starts_with("weight") {
            let sid = key_id(key)?;
            server_weight.put(sid, parse_long(value, 10)?);
        } else if key == "version" {
            version = parse_long(value, 16)?;
        }
    }
    let members = all.iter();
    if hierarchical {
        for (id, qs) in &members {
            if !qs.observer {
                if !server_group.contains_key(*id) {
                    return Err(format!("Server {id}is not in a group"));
                }
                if !server_weight.contains_key(*id) {
                    server_weight.put(*id, 1);
                }
            }
        }
    }
    let voters = members.iter().filter(|(_, qs)| !qs.observer).count();
    let observers = members.len() - voters;
    // standaloneEnabled is true in the client's JVM.
    if voters == 0 && observers > 0 {
        return Err("Observers w/o participants is an invalid configuration".to_string());
    }
    if voters == 1 && observers > 0 {
        return Err("Observers w/o quorum is an invalid configuration".to_string());
    }
    let mut out = String::new();
    for (id, qs) in &members {
        out.push_str(&format!("server.{id}={qs}\n"));
    }
    if hierarchical {
        let mut groups: LongHashMap<String> = LongHashMap::default();
        for (sid, gid) in server_group.iter() {
            let s = match groups.get(*gid) {
                None => sid.to_string(),
                Some(prev) => format!("{prev}:{sid}"),
            };
            groups.put(*gid, s);
        }
        for (gid, s) in groups.iter() {
            out.push_str(&format!("group.{gid}={s}\n"));
        }
        for (sid, w) in server_weight.iter() {
            out.push_str(&format!("weight.{sid}={w}\n"));
        }
    }
    out.push_str(&format!("version={:x}", version as u64));
    Ok(out)
}

/// `ConfigUtils.getClientConfigStr`: `version host:port,...` in the `Properties` order; a
/// server value that does not parse is skipped (Java prints its stack trace).
pub fn client_config_str(data: &str) -> String {
    let props = properties_order(&load_properties(data).unwrap_or_default());
    let mut version = String::new();
    let mut addrs: Vec<String> = Vec::new();
    for (k, v) in &props {
        let (key, value) = (k.trim(), v.trim());
        if key == "version" {
            version = value.to_string();
        }
        if !key.starts_with("server.") {
            continue;
        }
        let Ok(qs) = QuorumServer::parse(-1, value) else {
            continue;
        };
        addrs.push(
            qs.client
                .map(|c| format!("{}:{}", c.host, c.port))
                .unwrap_or_default(),
        );
    }
    format!("{version} {}", addrs.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_strings() {
        let qs = QuorumServer::parse(1, "h:1:2;3").unwrap();
        assert_eq!(qs.to_string(), "h:1:2:participant;0.0.0.0:3");
        let qs = QuorumServer::parse(2, "[::1]:1:2:OBSERVER;[::1]:3").unwrap();
        assert_eq!(qs.to_string(), "[::1]:1:2:observer;[::1]:3");
        assert_eq!(
            QuorumServer::parse(1, "h:1:1").unwrap_err(),
            "Client and election port must be different! Please update the configuration file on server.1"
        );
        assert_eq!(
            QuorumServer::parse(1, "h:1:2;x").unwrap_err(),
            "Address unresolved: null:x"
        );
        assert_eq!(
            QuorumServer::parse(1, "h:1:2:boss").unwrap_err(),
            "Unrecognised peertype: boss"
        );
        assert!(QuorumServer::parse(1, "h:1")
            .unwrap_err()
            .ends_with("client_config is port or host:port"));
    }

    #[test]
    fn dynamic_config() {
        let s = dynamic_config_string(
            "server.3=h:5:6;7\nserver.1 = h:1:2:participant;h:3\nversion=abc\n",
        )
        .unwrap();
        assert_eq!(
            s,
            "server.1=h:1:2:participant;h:3\nserver.3=h:5:6:participant;0.0.0.0:7\nversion=abc"
        );
        assert_eq!(dynamic_config_string("").unwrap(), "version=0");
        assert_eq!(
            dynamic_config_string("foo=1").unwrap_err(),
            "Unrecognised parameter: foo"
        );
        assert_eq!(
            dynamic_config_string("server.x=h:1:2").unwrap_err(),
            "For input string: \"x\""
        );
        let s = dynamic_config_string(
            "server.1=h:1:2\nserver.2=h:3:4\nserver.3=h:5:6\ngroup.1=1:2\ngroup.2=3\nweight.1=2\n",
        )
        .unwrap();
        assert_eq!(s, "server.1=h:1:2:participant\nserver.2=h:3:4:participant\nserver.3=h:5:6:participant\ngroup.1=1:2\ngroup.2=3\nweight.1=2\nweight.2=1\nweight.3=1\nversion=0");
    }

    #[test]
    fn client_config() {
        let s = client_config_str(
            "server.1=127.0.0.1:2888:3888:participant;127.0.0.1:2181\nversion=100000000",
        );
        assert_eq!(s, "100000000 127.0.0.1:2181");
        assert_eq!(client_config_str(""), " ");
    }
}
#[cfg(test)]
mod java_order {
    //! Expected strings printed by ConfigUtils.getClientConfigStr and
    //! parseDynamicConfig(...).toString() of Debian's zookeeper.jar 3.8.0 on JDK 17.

    fn srv(i: u64) -> String {
        let p = i % 1000;
        format!(
            "server.{i}=127.0.0.1:{}:{};127.0.0.1:{}",
            20000 + p,
            21000 + p,
            22000 + p
        )
    }

    fn cfg(ids: impl IntoIterator<Item = u64>, version: &str, version_first: bool) -> String {
        let mut lines: Vec<String> = ids.into_iter().map(srv).collect();
        let v = format!("version={version}");
        if version_first {
            lines.insert(0, v);
        } else {
            lines.push(v);
        }
        lines.join("\n") + "\n"
    }

    /// The client ports of a `config -c` line, without the common 127.0.0.1:220 prefix.
    fn ports(s: &str) -> String {
        s.replace("127.0.0.1:220", "")
    }

    #[test]
    fn client_config_order_across_resizes() {
        // 12 keys: the table doubles to 32 bins at the 12th put.
        let c = super::client_config_str(&cfg((1..=13).rev(), "100000003", false));
        assert_eq!(
            ports(&c),
            "100000003 10,11,02,01,12,13,06,05,04,03,09,08,07"
        );
        let c = super::client_config_str(&cfg(1..=30, "200000000", true));
        assert_eq!(
            ports(&c),
            "200000000 18,19,16,17,10,11,30,14,15,12,13,29,27,28,21,22,20,02,25,01,26,23,24,06,05,04,03,09,08,07"
        );
        let c = super::client_config_str(&cfg((1..=40).rev().step_by(3), "1", false));
        assert_eq!(ports(&c), "1 19,16,28,10,22,31,25,37,01,34,13,04,40,07");
    }

    #[test]
    fn dynamic_config_order() {
        let d = super::dynamic_config_string(&cfg(
            [100, 17, 1, 65536, 33, 4294967296, 16, 2],
            "5",
            false,
        ))
        .unwrap();
        let ids: Vec<&str> = d.lines().map(|l| l.split('=').next().unwrap()).collect();
        assert_eq!(
            ids,
            [
                "server.16",
                "server.33",
                "server.1",
                "server.17",
                "server.65536",
                "server.4294967296",
                "server.2",
                "server.100",
                "version"
            ]
        );
        let d = super::dynamic_config_string(&cfg((1..=40).rev().step_by(3), "1", false)).unwrap();
        let ids: Vec<&str> = d
            .lines()
            .map(|l| l.split('=').next().unwrap().trim_start_matches("server."))
            .collect();
        assert_eq!(
            ids.join(","),
            "1,34,4,37,7,40,10,13,16,19,22,25,28,31,version"
        );
        let hier = [1, 2, 3, 4].map(srv).join("\n")
            + "\nserver.5=127.0.0.1:20005:21005:observer;127.0.0.1:22005\ngroup.2=3:4\ngroup.1=1:2\nweight.2=3\nweight.1=0\nversion=7\n";
        let d = super::dynamic_config_string(&hier).unwrap();
        assert!(d.ends_with("server.5=127.0.0.1:20005:21005:observer;127.0.0.1:22005\ngroup.1=1:2\ngroup.2=3:4\nweight.1=0\nweight.2=3\nweight.3=1\nweight.4=1\nversion=7"), "{d}");
    }
}
