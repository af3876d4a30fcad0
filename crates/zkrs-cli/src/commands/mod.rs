//! The `CliCommand`s: [`COMMANDS`] lists each with its option string (the usage text) and the
//! function that parses and runs it.
//!
//! - `node`: ls, get, set, create, delete, deleteall, stat, sync, getEphemerals,
//!   getAllChildrenNumber, close, version.
//! - `acl`: getAcl, setAcl, addauth, whoami (and `AclParser`).
//! - `quota`: setquota, listquota, delquota.
//! - `config`: config, reconfig.
//! - `watch`: addWatch, removewatches.

pub mod acl;
pub mod config;
pub mod node;
pub mod quota;
pub mod watch;

use crate::client::Client;
use crate::error::CliError;
use crate::getopt::{OptSpec, Parsed};

/// What a command runs with.
pub struct Ctx<'a> {
    pub zk: &'a mut Client,
    pub args: Vec<String>,
}

/// One command: name, option string, entry point (returns the "watch" flag, unused by zkCli).
pub struct CommandDef {
    pub name: &'static str,
    pub options: &'static str,
    pub run: fn(&mut Ctx<'_>) -> Result<bool, CliError>,
}

/// `CliParseException(ParseException)`.
pub fn parse(spec: &OptSpec, args: &[String]) -> Result<Parsed, CliError> {
    spec.parse(args).map_err(CliError::msg)
}

/// `MalformedCommandException` / `CliParseException` with the usage string.
pub fn usage_error(name: &str) -> CliError {
    let def = COMMANDS.iter().find(|c| c.name == name);
    CliError::msg(match def {
        Some(d) => format!("{} {}", d.name, d.options),
        None => name.to_string(),
    })
}

/// Java's `Integer.parseInt` (uncaught in several commands: the JVM dies with this text).
pub fn parse_int(s: &str) -> Result<i32, CliError> {
    java_parse_long(s)
        .and_then(|v| i32::try_from(v).ok())
        .ok_or_else(|| fatal_number(s))
}

/// Java's `Long.parseLong(s, 10)`.
pub fn java_parse_long(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i64>().ok()
}

/// An uncaught `NumberFormatException` ends the JVM: exit code 1, the message on stderr.
pub fn fatal_number(s: &str) -> CliError {
    CliError {
        message: format!(
            "Exception in thread \"main\" java.lang.NumberFormatException: For input string: \"{s}\""
        ),
        exit_code: FATAL,
    }
}

/// Marks a [`CliError`] that ends the shell (an uncaught Java exception); exit status 1.
pub const FATAL: u8 = 255;

/// Every command of `CommandFactory`, ZooKeeperMain's own commands excluded.
pub const COMMANDS: &[CommandDef] = &[
    CommandDef { name: "close", options: "", run: node::close },
    CommandDef { name: "create", options: "[-s] [-e] [-c] [-t ttl] path [data] [acl]", run: node::create },
    CommandDef { name: "delete", options: "[-v version] path", run: node::delete },
    CommandDef { name: "deleteall", options: "path [-b batch size]", run: node::deleteall },
    CommandDef { name: "set", options: "[-s] [-v version] path data", run: node::set },
    CommandDef { name: "get", options: "[-s] [-w] path", run: node::get },
    CommandDef { name: "ls", options: "[-s] [-w] [-R] path", run: node::ls },
    CommandDef { name: "getAcl", options: "[-s] path", run: acl::get_acl },
    CommandDef { name: "setAcl", options: "[-s] [-v version] [-R] path acl", run: acl::set_acl },
    CommandDef { name: "stat", options: "[-w] path", run: node::stat },
    CommandDef { name: "sync", options: "path", run: node::sync },
    CommandDef { name: "setquota", options: "-n|-b|-N|-B val path", run: quota::setquota },
    CommandDef { name: "listquota", options: "path", run: quota::listquota },
    CommandDef { name: "delquota", options: "[-n|-b|-N|-B] path", run: quota::delquota },
    CommandDef { name: "addauth", options: "scheme auth", run: acl::addauth },
    CommandDef {
        name: "reconfig",
        options: "[-s] [-v version] [[-file path] | [-members serverID=host:port1:port2;port3[,...]*]] | [-add serverId=host:port1:port2;port3[,...]]* [-remove serverId[,...]*]",
        run: config::reconfig,
    },
    CommandDef { name: "config", options: "[-c] [-w] [-s]", run: config::config },
    CommandDef { name: "removewatches", options: "path [-c|-d|-a] [-l]", run: watch::removewatches },
    CommandDef { name: "getEphemerals", options: "path", run: node::get_ephemerals },
    CommandDef { name: "getAllChildrenNumber", options: "path", run: node::get_all_children_number },
    CommandDef { name: "version", options: "", run: node::version },
    CommandDef {
        name: "addWatch",
        options: "[-m mode] path # optional mode is one of [PERSISTENT, PERSISTENT_RECURSIVE] - default is PERSISTENT_RECURSIVE",
        run: watch::add_watch,
    },
    CommandDef { name: "whoami", options: "", run: acl::whoami },
];

/// Java's `String.compareTo` order (UTF-16 code units).
pub fn sort_java(v: &mut [String]) {
    v.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
}

/// Java's `String.split(sep)` for a literal one-character separator: trailing empty strings
/// are dropped (and an input without the separator is returned whole).
pub fn java_split(s: &str, sep: char) -> Vec<String> {
    if !s.contains(sep) {
        return vec![s.to_string()];
    }
    let mut v: Vec<String> = s.split(sep).map(str::to_string).collect();
    while v.last().is_some_and(String::is_empty) {
        v.pop();
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_like_java() {
        assert_eq!(java_split("", ','), [""]);
        assert!(java_split(",", ',').is_empty());
        assert_eq!(java_split("/a/b", '/'), ["", "a", "b"]);
        assert!(java_split("/", '/').is_empty());
        assert_eq!(java_split("a,,b,,", ','), ["a", "", "b"]);
    }

    #[test]
    fn numbers_like_java() {
        assert_eq!(java_parse_long("-12"), Some(-12));
        assert_eq!(java_parse_long("+7"), Some(7));
        assert_eq!(java_parse_long(" 1"), None);
        assert!(parse_int("99999999999").is_err());
    }
}
