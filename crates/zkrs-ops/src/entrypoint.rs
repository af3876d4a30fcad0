//! [`DockerEntrypoint`]: `/docker-entrypoint.sh` of the official image (31z4/zookeeper-docker,
//! 3.8.x): as root with `zkServer.sh` it hands the data dirs to the `zookeeper` user (uid
//! 1000) and runs itself again as that user; it writes `$ZOO_CONF_DIR/zoo.cfg` from the
//! `ZOO_*` variables when there is none, and `$ZOO_DATA_DIR/myid` when there is none; then it
//! runs its arguments.

use std::ffi::{OsStr, OsString};
use std::io::Write as _;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::ExitCode;

use crate::env::Env;
use crate::host::Host;
use crate::invocation;

/// The uid and gid of the image's `zookeeper` user when `/etc/passwd` has none.
const ZOOKEEPER_ID: u32 = 1000;

/// The image's settings: the `ZOO_*` variables with the Dockerfile's `ENV` defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerEntrypoint {
    pub conf_dir: String,
    pub data_dir: String,
    pub data_log_dir: String,
    pub log_dir: String,
    pub tick_time: String,
    pub init_limit: String,
    pub sync_limit: String,
    pub autopurge_purge_interval: String,
    pub autopurge_snap_retain_count: String,
    pub max_client_cnxns: String,
    pub standalone_enabled: String,
    pub admin_server_enabled: String,
    /// `ZOO_SERVERS`, empty when unset.
    pub servers: String,
    pub four_lw_whitelist: String,
    pub cfg_extra: String,
    /// `${ZOO_MY_ID:-1}`.
    pub my_id: String,
}

impl DockerEntrypoint {
    /// The settings from `env` (a variable set to the empty string stays empty, as with the
    /// image's `ENV` overridden by `-e VAR=`).
    pub fn from_env(env: &Env) -> DockerEntrypoint {
        DockerEntrypoint {
            conf_dir: env.or("ZOO_CONF_DIR", "/conf"),
            data_dir: env.or("ZOO_DATA_DIR", "/data"),
            data_log_dir: env.or("ZOO_DATA_LOG_DIR", "/datalog"),
            log_dir: env.or("ZOO_LOG_DIR", "/logs"),
            tick_time: env.or("ZOO_TICK_TIME", "2000"),
            init_limit: env.or("ZOO_INIT_LIMIT", "5"),
            sync_limit: env.or("ZOO_SYNC_LIMIT", "2"),
            autopurge_purge_interval: env.or("ZOO_AUTOPURGE_PURGEINTERVAL", "0"),
            autopurge_snap_retain_count: env.or("ZOO_AUTOPURGE_SNAPRETAINCOUNT", "3"),
            max_client_cnxns: env.or("ZOO_MAX_CLIENT_CNXNS", "60"),
            standalone_enabled: env.or("ZOO_STANDALONE_ENABLED", "true"),
            admin_server_enabled: env.or("ZOO_ADMINSERVER_ENABLED", "true"),
            servers: env.or("ZOO_SERVERS", ""),
            four_lw_whitelist: env.or("ZOO_4LW_COMMANDS_WHITELIST", ""),
            cfg_extra: env.or("ZOO_CFG_EXTRA", ""),
            my_id: env.nonempty_or("ZOO_MY_ID", "1"),
        }
    }

    /// The zoo.cfg the script writes, line for line.
    pub fn zoo_cfg(&self) -> String {
        let mut lines = vec![
            format!("dataDir={}", self.data_dir),
            format!("dataLogDir={}", self.data_log_dir),
            format!("tickTime={}", self.tick_time),
            format!("initLimit={}", self.init_limit),
            format!("syncLimit={}", self.sync_limit),
            format!(
                "autopurge.snapRetainCount={}",
                self.autopurge_snap_retain_count
            ),
            format!("autopurge.purgeInterval={}", self.autopurge_purge_interval),
            format!("maxClientCnxns={}", self.max_client_cnxns),
            format!("standaloneEnabled={}", self.standalone_enabled),
            format!("admin.enableServer={}", self.admin_server_enabled),
        ];
        // `for server in $ZOO_SERVERS`: one line per word.
        let servers = if self.servers.is_empty() {
            "server.1=localhost:2888:3888;2181"
        } else {
            &self.servers
        };
        lines.extend(servers.split_whitespace().map(str::to_owned));
        if !self.four_lw_whitelist.is_empty() {
            lines.push(format!("4lw.commands.whitelist={}", self.four_lw_whitelist));
        }
        lines.extend(self.cfg_extra.split_whitespace().map(str::to_owned));
        let mut text = lines.join("\n");
        text.push('\n');
        text
    }

    /// The myid file's text.
    pub fn myid(&self) -> String {
        format!("{}\n", self.my_id)
    }

    /// Writes zoo.cfg and myid when absent. Errors end the script (`set -e`).
    pub fn write_files(&self) -> Result<(), String> {
        let cfg = format!("{}/zoo.cfg", self.conf_dir);
        if !Path::new(&cfg).is_file() {
            append(&cfg, &self.zoo_cfg())?;
        }
        let myid = format!("{}/myid", self.data_dir);
        if !Path::new(&myid).is_file() {
            std::fs::write(&myid, self.myid()).map_err(|e| format!("{myid}: {e}"))?;
        }
        Ok(())
    }

    /// `chown -R zookeeper "$ZOO_DATA_DIR" "$ZOO_DATA_LOG_DIR" "$ZOO_LOG_DIR"` (the owner only,
    /// links not followed); every directory must exist.
    pub fn chown_dirs(&self, uid: u32) -> Result<(), String> {
        let mut failed = None;
        for dir in [&self.data_dir, &self.data_log_dir, &self.log_dir] {
            if let Err(e) = chown_tree(Path::new(dir), uid) {
                eprintln!("chown: {e}");
                failed = Some(e);
            }
        }
        failed.map_or(Ok(()), Err)
    }
}

fn append(path: &str, text: &str) -> Result<(), String> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("{path}: {e}"))
}

/// `chown -R <uid> <path>` (group unchanged).
pub fn chown_tree(path: &Path, uid: u32) -> Result<(), String> {
    let meta = std::fs::symlink_metadata(path)
        .map_err(|e| format!("cannot access '{}': {e}", path.display()))?;
    std::os::unix::fs::lchown(path, Some(uid), None)
        .map_err(|e| format!("changing ownership of '{}': {e}", path.display()))?;
    if meta.is_dir() {
        let entries = std::fs::read_dir(path)
            .map_err(|e| format!("cannot read directory '{}': {e}", path.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("'{}': {e}", path.display()))?;
            chown_tree(&entry.path(), uid)?;
        }
    }
    Ok(())
}

/// The script, reached as `argv0` with `args`.
pub fn main(argv0: &OsStr, args: Vec<OsString>, env: Env) -> ExitCode {
    let settings = DockerEntrypoint::from_env(&env);
    let first = args.first().and_then(|a| a.to_str()).unwrap_or("");
    if first == "zkServer.sh" && Host::euid() == 0 {
        let user = Host::user("zookeeper");
        let uid = user.as_ref().map_or(ZOOKEEPER_ID, |u| u.uid);
        let gid = user.as_ref().map_or(ZOOKEEPER_ID, |u| u.gid);
        if settings.chown_dirs(uid).is_err() {
            return ExitCode::from(1);
        }
        // `exec gosu zookeeper "$0" "$@"`.
        let home = user.map(|u| u.home).filter(|h| !h.is_empty());
        let mut env = env;
        env.set("HOME", home.as_deref().unwrap_or("/"));
        let mut cmd = match invocation::self_command("docker-entrypoint.sh", argv0, &args) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("docker-entrypoint.sh: {e}");
                return ExitCode::from(1);
            }
        };
        let e = cmd.env_clear().envs(env.iter()).uid(uid).gid(gid).exec();
        eprintln!("docker-entrypoint.sh: cannot run as uid {uid}: {e}");
        return ExitCode::from(1);
    }
    if let Err(e) = settings.write_files() {
        eprintln!("docker-entrypoint.sh: {e}");
        return ExitCode::from(1);
    }
    if first == "zkServer.sh" {
        return invocation::run_zk_server("docker-entrypoint.sh", args[1..].to_vec(), env);
    }
    invocation::exec_command("docker-entrypoint.sh", &args, &env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_zoo_cfg() {
        let e = DockerEntrypoint::from_env(&Env::from_pairs(&[]));
        assert_eq!(
            e.zoo_cfg(),
            "dataDir=/data\ndataLogDir=/datalog\ntickTime=2000\ninitLimit=5\nsyncLimit=2\n\
             autopurge.snapRetainCount=3\nautopurge.purgeInterval=0\nmaxClientCnxns=60\n\
             standaloneEnabled=true\nadmin.enableServer=true\n\
             server.1=localhost:2888:3888;2181\n"
        );
        assert_eq!(e.myid(), "1\n");
    }

    #[test]
    fn compose_ensemble_zoo_cfg() {
        let e = DockerEntrypoint::from_env(&Env::from_pairs(&[
            ("ZOO_MY_ID", "2"),
            (
                "ZOO_SERVERS",
                "server.1=zoo1:2888:3888;2181 server.2=zoo2:2888:3888;2181\n\tserver.3=zoo3:2888:3888;2181",
            ),
            ("ZOO_4LW_COMMANDS_WHITELIST", "srvr, mntr, ruok"),
            ("ZOO_CFG_EXTRA", "metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider metricsProvider.httpPort=7070"),
            ("ZOO_TICK_TIME", "1000"),
            ("ZOO_INIT_LIMIT", ""),
            ("ZOO_STANDALONE_ENABLED", "false"),
            ("ZOO_DATA_DIR", "/var/zk"),
        ]));
        assert_eq!(
            e.zoo_cfg(),
            "dataDir=/var/zk\ndataLogDir=/datalog\ntickTime=1000\ninitLimit=\nsyncLimit=2\n\
             autopurge.snapRetainCount=3\nautopurge.purgeInterval=0\nmaxClientCnxns=60\n\
             standaloneEnabled=false\nadmin.enableServer=true\n\
             server.1=zoo1:2888:3888;2181\nserver.2=zoo2:2888:3888;2181\n\
             server.3=zoo3:2888:3888;2181\n4lw.commands.whitelist=srvr, mntr, ruok\n\
             metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider\n\
             metricsProvider.httpPort=7070\n"
        );
        assert_eq!(e.myid(), "2\n");
    }

    #[test]
    fn files_only_when_absent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path().display().to_string();
        let env = Env::from_pairs(&[
            ("ZOO_CONF_DIR", &d),
            ("ZOO_DATA_DIR", &d),
            ("ZOO_MY_ID", "3"),
        ]);
        let e = DockerEntrypoint::from_env(&env);
        std::fs::write(dir.path().join("myid"), "7\n").expect("myid");
        e.write_files().expect("write");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("myid")).expect("read"),
            "7\n"
        );
        std::fs::write(dir.path().join("zoo.cfg"), "clientPort=1\n").expect("cfg");
        e.write_files().expect("write");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("zoo.cfg")).expect("read"),
            "clientPort=1\n"
        );
        let missing =
            DockerEntrypoint::from_env(&Env::from_pairs(&[("ZOO_CONF_DIR", "/nonexistent/c")]));
        assert!(missing.write_files().is_err());
    }
}
