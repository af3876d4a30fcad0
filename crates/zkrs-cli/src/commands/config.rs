//! `config [-c] [-w] [-s]` and `reconfig` (`GetConfigCommand`, `ReconfigCommand`).

use super::{parse, usage_error, Ctx};
use crate::api;
use crate::error::CliError;
use crate::getopt::{Opt, OptSpec};
use crate::stat_printer::format_stat;

const CONFIG: OptSpec = OptSpec {
    opts: &[
        Opt {
            name: "s",
            has_arg: false,
            desc: "stats",
        },
        Opt {
            name: "w",
            has_arg: false,
            desc: "watch",
        },
        Opt {
            name: "c",
            has_arg: false,
            desc: "client connection string",
        },
    ],
    group: None,
};
const RECONFIG: OptSpec = OptSpec {
    opts: &[
        Opt {
            name: "s",
            has_arg: false,
            desc: "stats",
        },
        Opt {
            name: "v",
            has_arg: true,
            desc: "required current config version",
        },
        Opt {
            name: "file",
            has_arg: true,
            desc: "path of config file to parse for membership",
        },
        Opt {
            name: "members",
            has_arg: true,
            desc: "comma-separated list of config strings for non-incremental reconfig",
        },
        Opt {
            name: "add",
            has_arg: true,
            desc: "comma-separated list of config strings for new servers",
        },
        Opt {
            name: "remove",
            has_arg: true,
            desc: "comma-separated list of server IDs to remove",
        },
    ],
    group: None,
};

/// `java.util.Properties.load` for simple `key=value` / `key: value` lines.
pub fn load_properties(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let l = line.trim_start();
        if l.is_empty() || l.starts_with('#') || l.starts_with('!') {
            continue;
        }
        let sep = l.find(['=', ':']).unwrap_or(l.len());
        let key = l[..sep].trim().to_string();
        let value = l.get(sep + 1..).unwrap_or("").trim_start().to_string();
        if let Some(e) = out.iter_mut().find(|(k, _)| *k == key) {
            e.1 = value;
        } else {
            out.push((key, value));
        }
    }
    out
}

/// Java's `String.hashCode`.
fn java_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// The iteration order of a `Properties` (a `ConcurrentHashMap` of 16 buckets below 12 keys).
fn properties_order(props: &mut [(String, String)]) {
    let buckets = if props.len() < 12 { 16 } else { 64 };
    props.sort_by_key(|(k, _)| {
        let h = java_hash(k);
        let spread = (h ^ ((h as u32) >> 16) as i32) & 0x7fff_ffff;
        spread & (buckets - 1)
    });
}

/// The client address of a `server.N` value (`QuorumServer.clientAddr`), `host:port`.
fn client_addr(value: &str) -> Option<String> {
    let (_, client) = value.split_once(';')?;
    let client = client.trim();
    match client.rsplit_once(':') {
        Some((h, p)) => Some(format!("{h}:{p}")),
        None => Some(format!("0.0.0.0:{client}")),
    }
}

/// `ConfigUtils.getClientConfigStr`: `version host:port,host:port`.
pub fn client_config_str(data: &str) -> String {
    let mut props = load_properties(data);
    properties_order(&mut props);
    let mut version = String::new();
    let mut addrs: Vec<String> = Vec::new();
    for (k, v) in &props {
        if k == "version" {
            version = v.trim().to_string();
        }
        if !k.starts_with("server.") {
            continue;
        }
        addrs.push(client_addr(v.trim()).unwrap_or_default());
    }
    format!("{version} {}", addrs.join(","))
}

/// `config [-c] [-w] [-s]`.
pub fn config(ctx: &mut Ctx<'_>) -> Result<bool, CliError> {
    let parsed = parse(&CONFIG, &ctx.args)?;
    if parsed.args.is_empty() {
        return Err(usage_error("config"));
    }
    let watch = parsed.has("w");
    let (data, stat) = api::get_config(ctx.zk, watch).map_err(CliError::from)?;
    let text = match data {
        None => "null".to_string(),
        Some(d) => String::from_utf8_lossy(&d).into_owned(),
    };
    let mut out = if parsed.has("c") {
        client_config_str(&text)
    } else {
        text
    };
    out.push('\n');
    if parsed.has("s") {
        out.push_str(&format_stat(&stat));
    }
    print!("{out}");
    Ok(watch)
}

/// The membership of a dynamic config file, as `QuorumVerifier.toString()` renders it.
fn members_from_file(path: &str) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!(" ({e})"))?;
    let mut servers: Vec<(i64, String)> = Vec::new();
    for (k, v) in load_properties(&text) {
        if let Some(id) = k.strip_prefix("server.") {
            let id: i64 = id
                .parse()
                .map_err(|_| format!("{k} is not a valid server id"))?;
            servers.push((id, v.trim().to_string()));
        }
    }
    servers.sort();
    let mut out = String::new();
    for (id, v) in servers {
        out.push_str(&format!("server.{id}={v}\n"));
    }
    out.push_str("version=0");
    Ok(out)
}

/// `reconfig ...`.
pub fn reconfig(ctx: &mut Ctx<'_>) -> Result<bool, CliError> {
    let parsed = parse(&RECONFIG, &ctx.args)?;
    let (file, members, add, remove) = (
        parsed.has("file"),
        parsed.has("members"),
        parsed.has("add"),
        parsed.has("remove"),
    );
    if !(file || members || add || remove) {
        return Err(usage_error("reconfig"));
    }
    let version = match parsed.value("v") {
        Some(v) => i64::from_str_radix(v.trim_start_matches('+'), 16)
            .ok()
            .filter(|_| !v.is_empty())
            .ok_or_else(|| {
                CliError::msg("-v must be followed by a long (configuration version)")
            })?,
        None => -1,
    };
    if (file || members) && (add || remove) {
        return Err(CliError::msg("Can't use -file or -members together with -add or -remove (mixing incremental and non-incremental modes is not allowed)"));
    }
    if file && members {
        return Err(CliError::msg(
            "Can't use -file and -members together (conflicting non-incremental modes)",
        ));
    }
    let joining = parsed.value("add").map(str::to_lowercase);
    let leaving = parsed.value("remove").map(str::to_lowercase);
    let mut new_members = parsed.value("members").map(str::to_lowercase);
    if let Some(f) = parsed.value("file") {
        new_members = Some(
            members_from_file(f).map_err(|e| CliError::msg(format!("Error processing {f}{e}")))?,
        );
    }
    let (data, stat) =
        api::reconfig(ctx.zk, joining, leaving, new_members, version).map_err(CliError::from)?;
    let text = data
        .map(|d| String::from_utf8_lossy(&d).into_owned())
        .unwrap_or_default();
    let mut out = format!("Committed new configuration:\n{text}\n");
    if parsed.has("s") {
        out.push_str(&format_stat(&stat));
    }
    print!("{out}");
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_config() {
        let s = client_config_str(
            "server.1=127.0.0.1:2888:3888:participant;127.0.0.1:2181\nversion=100000000",
        );
        assert_eq!(s, "100000000 127.0.0.1:2181");
        assert_eq!(client_config_str(""), " ");
    }
}
