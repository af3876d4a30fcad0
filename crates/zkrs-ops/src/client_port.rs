//! [`ClientPort`]: where `zkServer.sh status` sends `srvr`, found in the script's order:
//! `clientPort=`, the `;[address:]port` of this member's `server.<myid>=` line (myid read from
//! `<dataDir>/myid`), the same line in the `dynamicConfigFile`, then `secureClientPort=`.

use crate::cfg_grep::CfgGrep;

/// The address and port `status` asks, as the script prints them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientPort {
    /// The port text (untrimmed, as the script prints it).
    pub port: String,
    /// The address text (`localhost` unless configured).
    pub address: String,
    /// Whether it is the `secureClientPort`.
    pub ssl: bool,
}

/// `if ! [ $v ]`: true when unquoted `$v` splits into no words.
fn blank(v: &str) -> bool {
    v.split_whitespace().next().is_none()
}

/// `[[ $v =~ ^[0-9]+$ ]]`.
fn all_digits(v: &str) -> bool {
    !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())
}

/// Applies `f` to each line of `v` (a `sed` in a pipeline).
fn per_line(v: &str, f: impl Fn(&str) -> &str) -> String {
    v.split('\n').map(f).collect::<Vec<_>>().join("\n")
}

impl ClientPort {
    /// Looks the port up in `cfg`; the lines the script prints on stdout are pushed to `out`.
    /// `None` when there is none (the script then exits 1).
    pub fn lookup(cfg: &CfgGrep, out: &mut Vec<String>) -> Option<ClientPort> {
        let mut ssl = false;
        let mut address = cfg.key("clientPortAddress");
        if blank(&address) {
            address = "localhost".to_owned();
        }
        let mut port = cfg.key("clientPort");
        if !all_digits(&port) {
            let data_dir = cfg.prefixed("dataDir");
            let myid = std::fs::read_to_string(format!("{data_dir}/myid"))
                .map(|s| s.trim_end_matches('\n').to_owned())
                .unwrap_or_default();
            if !all_digits(&myid) {
                out.push(
                    "myid could not be determined, will not able to locate clientPort in the \
                     server configs."
                        .to_owned(),
                );
            } else {
                let mut part = cfg.server_client_part(&myid);
                if part.is_empty() {
                    out.push(
                        "Client port not found in static config file. Looking in dynamic config \
                         file."
                            .to_owned(),
                    );
                    let dynamic = cfg.prefixed("dynamicConfigFile");
                    part = CfgGrep::open(&dynamic).server_client_part(&myid);
                }
                if part.is_empty() {
                    out.push("Client port not found in the server configs".to_owned());
                } else {
                    if has_port_suffix(&part) {
                        address = if has_bracketed_address(&part) {
                            part.split('\n')
                                .map(|l| {
                                    let l = l.replacen('[', "", 1);
                                    match l.find("]:") {
                                        Some(i) => l[..i].to_owned(),
                                        None => l,
                                    }
                                })
                                .collect::<Vec<_>>()
                                .join("\n")
                        } else {
                            per_line(&part, |l| l.split_once(':').map(|(a, _)| a).unwrap_or(l))
                        };
                    }
                    port = per_line(&part, |l| l.rsplit_once(':').map(|(_, p)| p).unwrap_or(l));
                }
            }
        }
        if port.is_empty() {
            out.push(
                "Client port not found. Looking for secureClientPort in the static config."
                    .to_owned(),
            );
            let secure = cfg.key("secureClientPort");
            if secure.is_empty() {
                out.push(
                    "Unable to find either secure or unsecure client port in any configs. \
                     Terminating."
                        .to_owned(),
                );
                return None;
            }
            ssl = true;
            port = secure;
            address = cfg.key("secureClientPortAddress");
            if blank(&address) {
                address = "localhost".to_owned();
            }
        }
        out.push(format!(
            "Client port found: {port}. Client address: {address}. Client SSL: {ssl}."
        ));
        Some(ClientPort { port, address, ssl })
    }
}

/// `[[ $v =~ ^.*:[0-9]+ ]]`: a colon followed by a digit somewhere.
fn has_port_suffix(v: &str) -> bool {
    v.match_indices(':')
        .any(|(i, _)| v[i + 1..].starts_with(|c: char| c.is_ascii_digit()))
}

/// `[[ $v =~ \[.*\]:[0-9]+ ]]`.
fn has_bracketed_address(v: &str) -> bool {
    let Some(open) = v.find('[') else {
        return false;
    };
    v[open..]
        .match_indices("]:")
        .any(|(i, _)| v[open + i + 2..].starts_with(|c: char| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn look(cfg: &str) -> (Option<ClientPort>, Vec<String>) {
        let mut out = Vec::new();
        let r = ClientPort::lookup(&CfgGrep::from_text(cfg), &mut out);
        (r, out)
    }

    #[test]
    fn client_port_line_first() {
        let (r, out) = look("clientPortAddress=127.0.0.1\nclientPort=2181\n");
        let r = r.expect("found");
        assert_eq!(
            (r.port.as_str(), r.address.as_str(), r.ssl),
            ("2181", "127.0.0.1", false)
        );
        assert_eq!(
            out,
            ["Client port found: 2181. Client address: 127.0.0.1. Client SSL: false."]
        );
    }

    #[test]
    fn own_server_line_then_dynamic_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path().display();
        std::fs::write(dir.path().join("myid"), "2\n").expect("myid");
        let dynamic = dir.path().join("zoo.cfg.dynamic");
        std::fs::write(&dynamic, "server.2=b:2888:3888:participant;[::1]:2182\n").expect("dyn");
        let (r, _) = look(&format!(
            "dataDir={d}\nserver.1=a:2888:3888;2181\nserver.2=b:2888:3888;0.0.0.0:2182\n"
        ));
        let r = r.expect("found");
        assert_eq!((r.port.as_str(), r.address.as_str()), ("2182", "0.0.0.0"));
        let (r, out) = look(&format!(
            "dataDir={d}\nserver.2=b:2888:3888\ndynamicConfigFile={}\n",
            dynamic.display()
        ));
        let r = r.expect("found");
        assert_eq!((r.port.as_str(), r.address.as_str()), ("2182", "::1"));
        assert_eq!(
            out[0],
            "Client port not found in static config file. Looking in dynamic config file."
        );
    }

    #[test]
    fn no_myid_then_secure_port_then_nothing() {
        let (r, out) = look("dataDir=/nonexistent\nsecureClientPort=2281\n");
        let r = r.expect("found");
        assert!(r.ssl);
        assert_eq!(r.port, "2281");
        assert_eq!(out.len(), 3);
        assert!(out[0].starts_with("myid could not be determined"));
        let (r, out) = look("dataDir=/nonexistent\n");
        assert!(r.is_none());
        assert_eq!(
            out.last().map(String::as_str),
            Some(
                "Unable to find either secure or unsecure client port in any configs. Terminating."
            )
        );
    }
}
