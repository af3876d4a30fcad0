//! Quota commands: setquota, listquota, delquota (`SetQuotaCommand.createQuota`,
//! `ListQuotaCommand.listQuota`, `DelQuotaCommand.delQuota`).

use super::node::visit_subtree;
use super::{java_parse_long, java_split, parse, usage_error, Ctx};
use crate::api;
use crate::client::Client;
use crate::error::{CliError, KeeperError, OpError};
use crate::getopt::{Opt, OptSpec};
use crate::stats_track::StatsTrack;

const QUOTA_ROOT: &str = "/zookeeper/quota";
const LIMIT: &str = "zookeeper_limits";
const STATS: &str = "zookeeper_stats";

const SETQUOTA: OptSpec = OptSpec {
    opts: &[
        Opt {
            name: "n",
            has_arg: true,
            desc: "num soft quota",
        },
        Opt {
            name: "b",
            has_arg: true,
            desc: "bytes soft quota",
        },
        Opt {
            name: "N",
            has_arg: true,
            desc: "num hard quota",
        },
        Opt {
            name: "B",
            has_arg: true,
            desc: "bytes hard quota",
        },
    ],
    group: Some((&["n", "b", "N", "B"], true)),
};
const DELQUOTA: OptSpec = OptSpec {
    opts: &[
        Opt {
            name: "n",
            has_arg: false,
            desc: "num soft quota",
        },
        Opt {
            name: "b",
            has_arg: false,
            desc: "bytes soft quota",
        },
        Opt {
            name: "N",
            has_arg: false,
            desc: "num hard quota",
        },
        Opt {
            name: "B",
            has_arg: false,
            desc: "bytes hard quota",
        },
    ],
    group: Some((&["n", "b", "N", "B"], false)),
};

fn get_string(zk: &Client, path: &str) -> Result<String, OpError> {
    let (data, _) = api::get_data(zk, path, false)?;
    Ok(data
        .map(|d| String::from_utf8_lossy(&d).into_owned())
        .unwrap_or_default())
}

fn create_ignore_exists(zk: &Client, path: &str, data: Option<&[u8]>) -> Result<(), OpError> {
    match api::create(
        zk,
        path,
        data,
        &super::acl::open_acl_unsafe(),
        zkrs_jute::CreateMode::Persistent,
        None,
    ) {
        Ok(_) | Err(OpError::Keeper(KeeperError { code: -110, .. })) => Ok(()),
        Err(e) => Err(e),
    }
}

fn check_quota(quota: &StatsTrack, stat: &StatsTrack) {
    let (qc, qch, sc) = (
        quota.get("count"),
        quota.get("countHardLimit"),
        stat.get("count"),
    );
    if (qc > -1 && qc < sc) || (qch > -1 && qch < sc) {
        println!("[Warning]: the count quota you create is less than the existing count:{sc}");
    }
    let (qb, qbh, sb) = (
        quota.get("bytes"),
        quota.get("byteHardLimit"),
        stat.get("bytes"),
    );
    if (qb > -1 && qb < sb) || (qbh > -1 && qbh < sb) {
        println!("[Warning]: the bytes quota you create is less than the existing bytes:{sb}");
    }
}

fn create_quota(zk: &Client, path: &str, quota: &StatsTrack) -> Result<(), OpError> {
    if api::exists(zk, path, false)?.is_none() {
        return Err(OpError::Illegal(format!("{path} does not exist.")));
    }
    // checkIfChildQuota
    let real = format!("{QUOTA_ROOT}{path}");
    let mut found: Option<String> = None;
    let mut inner: Option<OpError> = None;
    let r = visit_subtree(zk, &real, false, &mut |qp| {
        if found.is_some() || inner.is_some() {
            return;
        }
        match api::get_children(zk, qp, false) {
            Ok(children) => {
                if qp != real && children.iter().any(|c| c == LIMIT) {
                    found = Some(qp[QUOTA_ROOT.len()..].to_string());
                }
            }
            Err(OpError::Keeper(KeeperError { code: -101, .. })) => {}
            Err(e) => inner = Some(e),
        }
    });
    if let Some(child) = found {
        return Err(OpError::Illegal(format!(
            "{path} has a child {child} which has a quota"
        )));
    }
    match r {
        Ok(()) | Err(OpError::Keeper(KeeperError { code: -101, .. })) => {}
        Err(e) => return Err(e),
    }
    // checkIfParentQuota
    let splits = java_split(path, '/');
    let mut qp = QUOTA_ROOT.to_string();
    for s in splits.iter().take(splits.len().saturating_sub(1)).skip(1) {
        qp.push('/');
        qp.push_str(s);
        let children = match api::get_children(zk, &qp, false) {
            Ok(c) => c,
            Err(OpError::Keeper(KeeperError { code: -101, .. })) => break,
            Err(e) => return Err(e),
        };
        if children.is_empty() {
            break;
        }
        if qp != real && children.iter().any(|c| c == LIMIT) {
            return Err(OpError::Illegal(format!(
                "{path} has a parent {} which has a quota",
                &qp[QUOTA_ROOT.len()..]
            )));
        }
    }
    if api::exists(zk, QUOTA_ROOT, false)?.is_none() {
        create_ignore_exists(zk, "/zookeeper", None)?;
        create_ignore_exists(zk, QUOTA_ROOT, None)?;
    }
    let mut qp = QUOTA_ROOT.to_string();
    for s in splits.iter().skip(1) {
        qp.push('/');
        qp.push_str(s);
        if api::exists(zk, &qp, false)?.is_none() {
            create_ignore_exists(zk, &qp, None)?;
        }
    }
    let stat_path = format!("{qp}/{STATS}");
    let limit_path = format!("{qp}/{LIMIT}");
    if api::exists(zk, &limit_path, false)?.is_none() {
        api::create(
            zk,
            &limit_path,
            Some(quota.to_string().as_bytes()),
            &super::acl::open_acl_unsafe(),
            zkrs_jute::CreateMode::Persistent,
            None,
        )?;
        let mut stats = StatsTrack::default();
        stats.set("count", 0);
        stats.set("bytes", 0);
        api::create(
            zk,
            &stat_path,
            Some(stats.to_string().as_bytes()),
            &super::acl::open_acl_unsafe(),
            zkrs_jute::CreateMode::Persistent,
            None,
        )?;
        let q = StatsTrack::parse(&get_string(zk, &limit_path)?);
        let st = StatsTrack::parse(&get_string(zk, &stat_path)?);
        check_quota(&q, &st);
    } else {
        let mut q = StatsTrack::parse(&get_string(zk, &limit_path)?);
        for key in ["count", "bytes", "countHardLimit", "byteHardLimit"] {
            if quota.get(key) > -1 {
                q.set(key, quota.get(key));
            }
        }
        let st = StatsTrack::parse(&get_string(zk, &stat_path)?);
        check_quota(&q, &st);
        api::set_data(zk, &limit_path, q.to_string().as_bytes(), -1)?;
    }
    Ok(())
}

/// `setquota -n|-b|-N|-B val path`.
pub fn setquota(ctx: &mut Ctx<'_>) -> Result<bool, CliError> {
    let parsed = parse(&SETQUOTA, &ctx.args)?;
    if parsed.args.len() < 2 {
        return Err(usage_error("setquota"));
    }
    let path = parsed.args[1].clone();
    if path.starts_with(QUOTA_ROOT) {
        eprintln!("cannot set a quota under the path: {QUOTA_ROOT}");
        return Ok(false);
    }
    let mut quota = StatsTrack::default();
    quota.set("count", -1);
    quota.set("bytes", -1);
    quota.set("countHardLimit", -1);
    quota.set("byteHardLimit", -1);
    for (opt, key, is_count) in [
        ("n", "count", true),
        ("b", "bytes", false),
        ("N", "countHardLimit", true),
        ("B", "byteHardLimit", false),
    ] {
        let Some(v) = parsed.value(opt) else { continue };
        let n = if is_count {
            java_parse_long(v).and_then(|x| i32::try_from(x).ok().map(i64::from))
        } else {
            java_parse_long(v)
        };
        let Some(n) = n else {
            eprintln!("NumberFormatException happens when parsing the option value");
            return Ok(false);
        };
        if is_count && n <= 0 {
            eprintln!("the num quota must be greater than zero");
            return Ok(false);
        }
        if !is_count && n < 0 {
            eprintln!("the bytes quota must be greater than or equal to zero");
            return Ok(false);
        }
        quota.set(key, n);
    }
    create_quota(ctx.zk, &path, &quota).map_err(CliError::from)?;
    Ok(false)
}

/// `listquota path`.
pub fn listquota(ctx: &mut Ctx<'_>) -> Result<bool, CliError> {
    let parsed = parse(&OptSpec::NONE, &ctx.args)?;
    if parsed.args.len() < 2 {
        return Err(usage_error("listquota"));
    }
    let path = parsed.args[1].clone();
    let limit_path = format!("{QUOTA_ROOT}{path}/{LIMIT}");
    eprintln!("absolute path is {limit_path}");
    let result = (|| -> Result<(StatsTrack, StatsTrack), OpError> {
        let q = StatsTrack::parse(&get_string(ctx.zk, &limit_path)?);
        let s = StatsTrack::parse(&get_string(ctx.zk, &format!("{QUOTA_ROOT}{path}/{STATS}"))?);
        Ok((q, s))
    })();
    match result {
        Ok((q, s)) => {
            println!("Output quota for {path} {q}");
            println!("Output stat for {path} {s}");
        }
        Err(OpError::Keeper(KeeperError { code: -101, .. })) => {
            eprintln!("quota for {path} does not exist.");
        }
        Err(e) => return Err(e.into()),
    }
    Ok(false)
}

fn del_quota(zk: &Client, path: &str, flags: Option<[bool; 4]>) -> Result<(), OpError> {
    let parent = format!("{QUOTA_ROOT}{path}");
    let limit_path = format!("{parent}/{LIMIT}");
    if api::exists(zk, &limit_path, false)?.is_none() {
        println!("Quota does not exist for {path}");
        return Ok(());
    }
    let mut st = StatsTrack::parse(&get_string(zk, &limit_path)?);
    match flags {
        None => {
            for c in api::get_children(zk, &parent, false)? {
                api::delete(zk, &format!("{parent}/{c}"), -1)?;
            }
            // trimProcQuotas
            let mut p = parent;
            while p != QUOTA_ROOT {
                if !api::get_children(zk, &p, false)?.is_empty() {
                    break;
                }
                api::delete(zk, &p, -1)?;
                match p.rfind('/') {
                    Some(i) => p.truncate(i),
                    None => break,
                }
            }
        }
        Some([n, b, nn, bb]) => {
            for (on, key) in [
                (n, "count"),
                (b, "bytes"),
                (nn, "countHardLimit"),
                (bb, "byteHardLimit"),
            ] {
                if on {
                    st.set(key, -1);
                }
            }
            api::set_data(zk, &limit_path, st.to_string().as_bytes(), -1)?;
        }
    }
    Ok(())
}

/// `delquota [-n|-b|-N|-B] path`.
pub fn delquota(ctx: &mut Ctx<'_>) -> Result<bool, CliError> {
    let parsed = parse(&DELQUOTA, &ctx.args)?;
    if parsed.args.len() < 2 {
        return Err(usage_error("delquota"));
    }
    let path = parsed.args[1].clone();
    let f = [
        parsed.has("n"),
        parsed.has("b"),
        parsed.has("N"),
        parsed.has("B"),
    ];
    let flags = f.iter().any(|x| *x).then_some(f);
    match del_quota(ctx.zk, &path, flags) {
        Ok(()) => {}
        Err(OpError::Keeper(KeeperError { code: -101, .. })) => {
            eprintln!("quota for {path} does not exist.");
        }
        Err(e) => return Err(e.into()),
    }
    Ok(false)
}
