//! Node commands: ls, get, set, create, delete, deleteall, stat, sync, getEphemerals,
//! getAllChildrenNumber, close, version.

use std::collections::VecDeque;

use zkrs_jute::CreateMode;

use super::acl::{open_acl_unsafe, parse_acl};
use super::{parse, parse_int, sort_java, usage_error, Ctx};
use crate::api;
use crate::client::Client;
use crate::error::{CliError, KeeperError, OpError};
use crate::getopt::{Opt, OptSpec};
use crate::path::validate_path;
use crate::stat_printer::format_stat;

const fn flag(name: &'static str, desc: &'static str) -> Opt {
    Opt {
        name,
        has_arg: false,
        desc,
    }
}

const fn valued(name: &'static str, desc: &'static str) -> Opt {
    Opt {
        name,
        has_arg: true,
        desc,
    }
}

const LS: OptSpec = OptSpec {
    opts: &[
        flag("?", "help"),
        flag("s", "stat"),
        flag("w", "watch"),
        flag("R", "recurse"),
    ],
    group: None,
};
const GET: OptSpec = OptSpec {
    opts: &[flag("s", "stats"), flag("w", "watch")],
    group: None,
};
const SET: OptSpec = OptSpec {
    opts: &[flag("s", "stats"), valued("v", "version")],
    group: None,
};
const CREATE: OptSpec = OptSpec {
    opts: &[
        flag("e", "ephemeral"),
        flag("s", "sequential"),
        flag("c", "container"),
        valued("t", "ttl"),
    ],
    group: None,
};
const DELETE: OptSpec = OptSpec {
    opts: &[valued("v", "version")],
    group: None,
};
const DELETEALL: OptSpec = OptSpec {
    opts: &[valued("b", "batch size")],
    group: None,
};
const STAT: OptSpec = OptSpec {
    opts: &[flag("w", "watch")],
    group: None,
};

/// `MalformedPathException` for an illegal argument, `CliWrapperException` otherwise.
fn wrap(e: OpError) -> CliError {
    e.into()
}

/// `retainCompatibility` of ls/get/stat: a third argument becomes `-w` (with a warning).
fn retain_watch_compat(
    spec: &OptSpec,
    cmd_args: &mut [String],
    parsed: crate::getopt::Parsed,
    warning: &str,
) -> Result<crate::getopt::Parsed, CliError> {
    if parsed.args.len() > 2 {
        cmd_args[2] = "-w".to_string();
        eprintln!("{warning}");
        return parse(spec, cmd_args);
    }
    Ok(parsed)
}

/// `ZKUtil.visitSubTreeDFS`: calls `f` on `path` and every descendant, children sorted.
pub fn visit_subtree(
    zk: &Client,
    path: &str,
    watch: bool,
    f: &mut dyn FnMut(&str),
) -> Result<(), OpError> {
    validate_path(path).map_err(OpError::Illegal)?;
    api::get_data(zk, path, watch)?;
    f(path);
    visit_helper(zk, path, watch, f)
}

fn visit_helper(
    zk: &Client,
    path: &str,
    watch: bool,
    f: &mut dyn FnMut(&str),
) -> Result<(), OpError> {
    let mut children = match api::get_children(zk, path, watch) {
        Ok(c) => c,
        Err(OpError::Keeper(KeeperError { code: -101, .. })) => return Ok(()),
        Err(e) => return Err(e),
    };
    sort_java(&mut children);
    let child_path = |c: &str| {
        if path.len() == 1 {
            format!("{path}{c}")
        } else {
            format!("{path}/{c}")
        }
    };
    for c in &children {
        f(&child_path(c));
    }
    for c in &children {
        visit_helper(zk, &child_path(c), watch, f)?;
    }
    Ok(())
}

/// `ls [-s] [-w] [-R] path`.
pub fn ls(ctx: &mut Ctx<'_>) -> Result<bool, CliError> {
    let parsed = parse(&LS, &ctx.args)?;
    if parsed.has("?") {
        println!("usage: ls [options] path\n -?   help\n -R   recurse\n -s   stat\n -w   watch");
    }
    let parsed = retain_watch_compat(
        &LS,
        &mut ctx.args,
        parsed,
        "'ls path [watch]' has been deprecated. Please use 'ls [-w] path' instead.",
    )?;
    if parsed.args.len() < 2 {
        return Err(usage_error("ls"));
    }
    let path = parsed.args[1].clone();
    let watch = parsed.has("w");
    if parsed.has("R") {
        visit_subtree(ctx.zk, &path, watch, &mut |p| println!("{p}")).map_err(wrap)?;
    } else {
        let (mut children, stat) = api::get_children2(ctx.zk, &path, watch).map_err(wrap)?;
        sort_java(&mut children);
        let mut out = format!("[{}]\n", children.join(", "));
        if parsed.has("s") {
            out.push_str(&format_stat(&stat));
        }
        print!("{out}");
    }
    Ok(watch)
}

/// `get [-s] [-w] path`.
pub fn get(ctx: &mut Ctx<'_>) -> Result<bool, CliError> {
    let parsed = parse(&GET, &ctx.args)?;
    if parsed.args.len() < 2 {
        return Err(usage_error("get"));
    }
    let parsed = retain_watch_compat(
        &GET,
        &mut ctx.args,
        parsed,
        "'get path [watch]' has been deprecated. Please use 'get [-s] [-w] path' instead.",
    )?;
    let watch = parsed.has("w");
    let path = parsed.args.get(1).cloned().unwrap_or_default();
    let (data, stat) = api::get_data(ctx.zk, &path, watch).map_err(wrap)?;
    let mut out = match data {
        None => "null".to_string(),
        Some(d) => String::from_utf8_lossy(&d).into_owned(),
    };
    out.push('\n');
    if parsed.has("s") {
        out.push_str(&format_stat(&stat));
    }
    print!("{out}");
    Ok(watch)
}

/// `set [-s] [-v version] path data`.
pub fn set(ctx: &mut Ctx<'_>) -> Result<bool, CliError> {
    let parsed = parse(&SET, &ctx.args)?;
    if parsed.args.len() < 3 {
        return Err(usage_error("set"));
    }
    let version = match parsed.value("v") {
        Some(v) => parse_int(v)?,
        None if parsed.has("v") => return Err(super::fatal_number("null")),
        None => -1,
    };
    let stat =
        api::set_data(ctx.zk, &parsed.args[1], parsed.args[2].as_bytes(), version).map_err(wrap)?;
    if parsed.has("s") {
        print!("{}", format_stat(&stat));
    }
    Ok(false)
}

/// The largest TTL (`EphemeralType.TTL.maxValue()`).
const MAX_TTL: i64 = 0xff_ffff_ffff;

/// `create [-s] [-e] [-c] [-t ttl] path [data] [acl]`.
pub fn create(ctx: &mut Ctx<'_>) -> Result<bool, CliError> {
    let parsed = parse(&CREATE, &ctx.args)?;
    if parsed.args.len() < 2 {
        return Err(usage_error("create"));
    }
    let (e, s, c, t) = (
        parsed.has("e"),
        parsed.has("s"),
        parsed.has("c"),
        parsed.has("t"),
    );
    if c && (e || s) {
        return Err(CliError::msg(
            "-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential.",
        ));
    }
    let ttl = if t {
        parsed
            .value("t")
            .and_then(super::java_parse_long)
            .ok_or_else(|| CliError::msg("-t argument must be a long value"))?
    } else {
        0
    };
    if t && e {
        return Err(CliError::msg("TTLs cannot be used with Ephemeral znodes"));
    }
    if t && c {
        return Err(CliError::msg("TTLs cannot be used with Container znodes"));
    }
    let mode = match (e, s, c, t) {
        (true, true, _, _) => CreateMode::EphemeralSequential,
        (true, false, _, _) => CreateMode::Ephemeral,
        (false, true, _, true) => CreateMode::PersistentSequentialWithTtl,
        (false, true, _, false) => CreateMode::PersistentSequential,
        (false, false, true, _) => CreateMode::Container,
        (false, false, false, true) => CreateMode::PersistentWithTtl,
        (false, false, false, false) => CreateMode::Persistent,
    };
    if t && (ttl > MAX_TTL || ttl <= 0) {
        return Err(CliError::msg(format!(
            "ttl must be positive and cannot be larger than: {MAX_TTL}"
        )));
    }
    let path = parsed.args[1].clone();
    let data = parsed.args.get(2).map(|d| d.as_bytes().to_vec());
    let acl = match parsed.args.get(3) {
        Some(a) => parse_acl(a),
        None => open_acl_unsafe(),
    };
    match api::create(ctx.zk, &path, data.as_deref(), &acl, mode, t.then_some(ttl)) {
        Ok(created) => {
            eprintln!("Created {created}");
            Ok(true)
        }
        Err(OpError::Keeper(k)) if k.code == -120 => {
            eprintln!("Unable to create ephemeral node on a local session");
            Err(k.into())
        }
        Err(OpError::Keeper(k)) if k.code == -114 => {
            eprintln!("{}", k.message());
            Err(k.into())
        }
        Err(e) => Err(wrap(e)),
    }
}

/// `delete [-v version] path`.
pub fn delete(ctx: &mut Ctx<'_>) -> Result<bool, CliError> {
    let mut parsed = parse(&DELETE, &ctx.args)?;
    if parsed.args.len() < 2 {
        return Err(usage_error("delete"));
    }
    if parsed.args.len() > 2 {
        eprintln!("'delete path [version]' has been deprecated. Please use 'delete [-v version] path' instead.");
        parsed = parse(&DELETE, &ctx.args)?;
    }
    let version = match parsed.value("v") {
        Some(v) => parse_int(v)?,
        None => -1,
    };
    api::delete(ctx.zk, &parsed.args[1], version).map_err(wrap)?;
    Ok(false)
}

/// `deleteall path [-b batch size]`.
pub fn deleteall(ctx: &mut Ctx<'_>) -> Result<bool, CliError> {
    let parsed = parse(&DELETEALL, &ctx.args)?;
    if parsed.args.len() < 2 {
        return Err(usage_error("deleteall"));
    }
    let batch = match parsed.value("b") {
        Some(b) => super::java_parse_long(b)
            .and_then(|v| i32::try_from(v).ok())
            .ok_or_else(|| CliError::msg("-b argument must be an int value"))?,
        None => 1000,
    };
    let root = parsed.args[1].clone();
    validate_path(&root).map_err(CliError::msg)?;
    // ZKUtil.listSubTreeBFS
    let mut tree = vec![root.clone()];
    let mut queue = VecDeque::from([root]);
    while let Some(node) = queue.pop_front() {
        let children = api::get_children(ctx.zk, &node, false).map_err(wrap)?;
        for c in children {
            let p = if node == "/" {
                format!("/{c}")
            } else {
                format!("{node}/{c}")
            };
            queue.push_back(p.clone());
            tree.push(p);
        }
    }
    // ZKUtil.deleteInBatch: deepest first, `batch` deletes per multi.
    let mut ok = true;
    let mut ops: Vec<String> = Vec::new();
    for i in (0..tree.len()).rev() {
        ops.push(tree[i].clone());
        if ops.len() as i64 == i64::from(batch) || i == 0 {
            if !ok {
                break;
            }
            ok &= api::multi_delete(ctx.zk, &ops).map_err(wrap)?;
            ops.clear();
        }
    }
    if !ok {
        eprintln!("Failed to delete some node(s) in the subtree!");
    }
    Ok(false)
}

/// `stat [-w] path`.
pub fn stat(ctx: &mut Ctx<'_>) -> Result<bool, CliError> {
    let parsed = parse(&STAT, &ctx.args)?;
    if parsed.args.len() < 2 {
        return Err(usage_error("stat"));
    }
    let parsed = retain_watch_compat(
        &STAT,
        &mut ctx.args,
        parsed,
        "'stat path [watch]' has been deprecated. Please use 'stat [-w] path' instead.",
    )?;
    let path = parsed.args.get(1).cloned().unwrap_or_default();
    let watch = parsed.has("w");
    match api::exists(ctx.zk, &path, watch).map_err(wrap)? {
        Some(stat) => print!("{}", format_stat(&stat)),
        None => return Err(KeeperError::new(-101, &path).into()),
    }
    Ok(watch)
}

/// `sync path`.
pub fn sync(ctx: &mut Ctx<'_>) -> Result<bool, CliError> {
    let parsed = parse(&OptSpec::NONE, &ctx.args)?;
    if parsed.args.len() < 2 {
        return Err(usage_error("sync"));
    }
    match api::sync(ctx.zk, &parsed.args[1]).map_err(wrap)? {
        0 => println!("Sync is OK"),
        rc => println!("Sync has failed. rc={rc}"),
    }
    Ok(false)
}

/// `getEphemerals path`.
pub fn get_ephemerals(ctx: &mut Ctx<'_>) -> Result<bool, CliError> {
    let parsed = parse(&OptSpec::NONE, &ctx.args)?;
    let prefix = parsed.args.get(1).map_or("/", String::as_str);
    let list = api::get_ephemerals(ctx.zk, prefix).map_err(wrap)?;
    println!("[{}]", list.join(", "));
    Ok(false)
}

/// `getAllChildrenNumber path`.
pub fn get_all_children_number(ctx: &mut Ctx<'_>) -> Result<bool, CliError> {
    let parsed = parse(&OptSpec::NONE, &ctx.args)?;
    if parsed.args.len() < 2 {
        return Err(usage_error("getAllChildrenNumber"));
    }
    let n = api::get_all_children_number(ctx.zk, &parsed.args[1]).map_err(wrap)?;
    println!("{n}");
    Ok(false)
}

/// `close`.
pub fn close(ctx: &mut Ctx<'_>) -> Result<bool, CliError> {
    ctx.zk.close();
    Ok(false)
}

/// `version`.
pub fn version(ctx: &mut Ctx<'_>) -> Result<bool, CliError> {
    let parsed = parse(&OptSpec::NONE, &ctx.args)?;
    if parsed.args.len() > 1 {
        return Err(usage_error("version"));
    }
    println!(
        "ZooKeeper CLI version: {}",
        zkrs_server::version::FULL_VERSION
    );
    Ok(false)
}
