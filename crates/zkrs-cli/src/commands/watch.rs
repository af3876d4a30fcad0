//! `addWatch [-m mode] path` and `removewatches path [-c|-d|-a] [-l]`.

use zkrs_jute::{AddWatchMode, KeeperState, WatcherType};

use super::{parse, usage_error, Ctx};
use crate::api;
use crate::client::print_event;
use crate::error::{CliError, KeeperError};
use crate::getopt::{Opt, OptSpec};

const ADD_WATCH: OptSpec = OptSpec {
    opts: &[Opt {
        name: "m",
        has_arg: true,
        desc: "",
    }],
    group: None,
};
const REMOVE_WATCHES: OptSpec = OptSpec {
    opts: &[
        Opt {
            name: "c",
            has_arg: false,
            desc: "child watcher type",
        },
        Opt {
            name: "d",
            has_arg: false,
            desc: "data watcher type",
        },
        Opt {
            name: "a",
            has_arg: false,
            desc: "any watcher type",
        },
        Opt {
            name: "l",
            has_arg: false,
            desc: "remove locally when there is no server connection",
        },
    ],
    group: None,
};

/// `addWatch [-m mode] path`.
pub fn add_watch(ctx: &mut Ctx<'_>) -> Result<bool, CliError> {
    let parsed = parse(&ADD_WATCH, &ctx.args)?;
    if parsed.args.len() != 2 {
        return Err(usage_error("addWatch"));
    }
    let mut mode = AddWatchMode::PersistentRecursive;
    if parsed.has("m") {
        mode = match parsed.value("m").map(str::to_uppercase).as_deref() {
            Some("PERSISTENT") => AddWatchMode::Persistent,
            Some("PERSISTENT_RECURSIVE") => AddWatchMode::PersistentRecursive,
            _ => return Err(usage_error("addWatch")),
        };
    }
    api::add_watch(ctx.zk, &parsed.args[1], mode).map_err(CliError::from)?;
    Ok(false)
}

/// `removewatches path [-c|-d|-a] [-l]`.
pub fn removewatches(ctx: &mut Ctx<'_>) -> Result<bool, CliError> {
    let parsed = parse(&REMOVE_WATCHES, &ctx.args)?;
    if parsed.args.len() < 2 {
        return Err(usage_error("removewatches"));
    }
    let path = parsed.args[1].clone();
    let ty = if parsed.has("c") {
        WatcherType::Children
    } else if parsed.has("d") {
        WatcherType::Data
    } else {
        WatcherType::Any
    };
    let local = parsed.has("l");
    let rc = api::remove_watches(ctx.zk, &path, ty as i32).map_err(CliError::from)?;
    let removed = ctx.zk.watches().remove(&path, ty, local, rc);
    match removed {
        Ok(types) => {
            let state = if rc == -4 || rc == -112 {
                KeeperState::Disconnected
            } else {
                KeeperState::SyncConnected
            };
            for t in types {
                print_event(ctx.zk.print_flag(), state, t, Some(&path));
            }
            Ok(true)
        }
        Err(code) => Err(KeeperError::new(code, &path).into()),
    }
}
