//! ACL and auth commands: getAcl, setAcl, addauth, whoami; `AclParser` and the printed forms.

use zkrs_jute::{Acl, Id};

use super::node::visit_subtree;
use super::{parse, parse_int, usage_error, Ctx};
use crate::api;
use crate::error::{CliError, OpError};
use crate::getopt::{Opt, OptSpec};
use crate::stat_printer::format_stat;

const GET_ACL: OptSpec = OptSpec {
    opts: &[Opt {
        name: "s",
        has_arg: false,
        desc: "stats",
    }],
    group: None,
};
const SET_ACL: OptSpec = OptSpec {
    opts: &[
        Opt {
            name: "s",
            has_arg: false,
            desc: "stats",
        },
        Opt {
            name: "v",
            has_arg: true,
            desc: "version",
        },
        Opt {
            name: "R",
            has_arg: false,
            desc: "recursive",
        },
    ],
    group: None,
};

/// `Ids.OPEN_ACL_UNSAFE`.
pub fn open_acl_unsafe() -> Vec<Acl> {
    vec![Acl {
        perms: 31,
        id: Id::new("world", "anyone"),
    }]
}

/// `AclParser.parse`: bad entries are reported on stderr and skipped.
pub fn parse_acl(s: &str) -> Vec<Acl> {
    let mut out = Vec::new();
    for a in super::java_split(s, ',') {
        let (Some(first), Some(last)) = (a.find(':'), a.rfind(':')) else {
            eprintln!("{a} does not have the form scheme:id:perm");
            continue;
        };
        if first == last {
            eprintln!("{a} does not have the form scheme:id:perm");
            continue;
        }
        let mut perms = 0;
        for ch in a[last + 1..].chars() {
            match ch {
                'r' => perms |= 1,
                'w' => perms |= 2,
                'c' => perms |= 4,
                'd' => perms |= 8,
                'a' => perms |= 16,
                other => eprintln!("Unknown perm type: {other}"),
            }
        }
        out.push(Acl {
            perms,
            id: Id::new(&a[..first], &a[first + 1..last]),
        });
    }
    out
}

/// `ZKUtil.getPermString`.
pub fn perm_string(perms: i32) -> String {
    let mut p = String::new();
    for (bit, ch) in [(4, 'c'), (8, 'd'), (1, 'r'), (2, 'w'), (16, 'a')] {
        if perms & bit != 0 {
            p.push(ch);
        }
    }
    p
}

/// Jute's `Utils.toCSVString`.
fn csv(s: &str) -> String {
    let mut out = String::from("'");
    for c in s.chars() {
        match c {
            '\0' => out.push_str("%00"),
            '\n' => out.push_str("%0A"),
            '\r' => out.push_str("%0D"),
            ',' => out.push_str("%2C"),
            '}' => out.push_str("%7D"),
            '%' => out.push_str("%25"),
            c => out.push(c),
        }
    }
    out
}

/// `Id.toString()` (the Jute CSV form, with its trailing newline) + `: ` + perms.
pub fn format_acl(a: &Acl) -> String {
    format!(
        "{},{}\n: {}",
        csv(&a.id.scheme),
        csv(&a.id.id),
        perm_string(a.perms)
    )
}

/// `getAcl [-s] path`.
pub fn get_acl(ctx: &mut Ctx<'_>) -> Result<bool, CliError> {
    let parsed = parse(&GET_ACL, &ctx.args)?;
    if parsed.args.len() < 2 {
        return Err(usage_error("getAcl"));
    }
    let (acl, stat) = api::get_acl(ctx.zk, &parsed.args[1]).map_err(CliError::from)?;
    let mut out = String::new();
    for a in &acl {
        out.push_str(&format_acl(a));
        out.push('\n');
    }
    if parsed.has("s") {
        out.push_str(&format_stat(&stat));
    }
    print!("{out}");
    Ok(false)
}

/// `setAcl [-s] [-v version] [-R] path acl`.
pub fn set_acl(ctx: &mut Ctx<'_>) -> Result<bool, CliError> {
    let parsed = parse(&SET_ACL, &ctx.args)?;
    if parsed.args.len() < 3 {
        return Err(usage_error("setAcl"));
    }
    let path = parsed.args[1].clone();
    let acl = parse_acl(&parsed.args[2]);
    let version = match parsed.value("v") {
        Some(v) => parse_int(v)?,
        None => -1,
    };
    if parsed.has("R") {
        let zk: &crate::client::Client = ctx.zk;
        visit_subtree(zk, &path, false, &mut |p| {
            if let Err(e) = api::set_acl(zk, p, &acl, version) {
                match e {
                    OpError::Keeper(k) => print!("{}", k.message()),
                    OpError::Illegal(m) => print!("{m}"),
                }
            }
        })
        .map_err(CliError::from)?;
    } else {
        let stat = api::set_acl(ctx.zk, &path, &acl, version).map_err(CliError::from)?;
        if parsed.has("s") {
            print!("{}", format_stat(&stat));
        }
    }
    Ok(false)
}

/// `addauth scheme auth`.
pub fn addauth(ctx: &mut Ctx<'_>) -> Result<bool, CliError> {
    let parsed = parse(&OptSpec::NONE, &ctx.args)?;
    if parsed.args.len() < 2 {
        return Err(usage_error("addauth"));
    }
    let auth = parsed.args.get(2).map(|a| a.as_bytes().to_vec());
    ctx.zk.add_auth(&parsed.args[1], auth);
    Ok(false)
}

/// `whoami`.
pub fn whoami(ctx: &mut Ctx<'_>) -> Result<bool, CliError> {
    let infos = api::who_am_i(ctx.zk).map_err(CliError::from)?;
    let mut out = String::from("Auth scheme: User\n");
    for i in infos {
        out.push_str(&format!("{}: {}\n", i.auth_scheme, i.user));
    }
    print!("{out}");
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acl_strings() {
        let a = parse_acl("world:anyone:cdrwa,digest:u:h:r,ip:1.2.3.4:rw");
        assert_eq!(a.len(), 3);
        assert_eq!(a[1].id.id, "u:h");
        assert_eq!(a[1].perms, 1);
        assert_eq!(format_acl(&a[0]), "'world,'anyone\n: cdrwa");
        assert_eq!(perm_string(3), "rw");
        assert!(parse_acl("bad").is_empty());
    }
}
