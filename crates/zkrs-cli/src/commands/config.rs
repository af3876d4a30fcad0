//! `config [-c] [-w] [-s]` and `reconfig` (`GetConfigCommand`, `ReconfigCommand`).

use super::{parse, usage_error, Ctx};
use crate::api;
use crate::error::CliError;
use crate::getopt::{Opt, OptSpec};
use crate::javautil::parse_long;
use crate::quorum_config::{client_config_str, dynamic_config_string};
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

/// `reconfig -file`: the file's membership as `QuorumVerifier.toString()` renders it. Err:
/// what follows `Error processing <path>` (the exception's message).
fn members_from_file(path: &str) -> Result<String, String> {
    // `Properties.load(InputStream)` reads ISO 8859-1.
    let bytes = std::fs::read(path).map_err(|e| {
        // FileNotFoundException: "<path> (<strerror>)".
        let reason = e.to_string();
        let reason = match reason.rfind(" (os error ") {
            Some(i) => reason[..i].to_string(),
            None => reason,
        };
        format!("{path} ({reason})")
    })?;
    let text: String = bytes.iter().map(|&b| char::from(b)).collect();
    dynamic_config_string(&text)
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
        Some(v) => parse_long(v, 16)
            .map_err(|_| CliError::msg("-v must be followed by a long (configuration version)"))?,
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
