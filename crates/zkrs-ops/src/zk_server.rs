//! [`ZkServer`]: `zkServer.sh [--config <dir>] {start|start-foreground|stop|restart|status|
//! version|print-cmd}` with the settings `zkEnv.sh` resolves (ZooKeeper 3.8's `bin/`), the
//! server being `zkrs server <zoo.cfg>` instead of a JVM.

use std::ffi::OsString;
use std::fs::File;
use std::io::Write as _;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

use crate::cfg_grep::{is_posix_space, CfgGrep};
use crate::client_port::ClientPort;
use crate::env::Env;
use crate::four_letter::FourLetterWord;
use crate::invocation::Invocation;
use crate::process::ServerPid;

/// The usage line's commands, in the script's order.
const COMMANDS: &str = "{start|start-foreground|stop|version|restart|status|print-cmd}";

/// How long `stop` waits for the server to exit after SIGTERM (the script sleeps 1 s and does
/// not check; a zkrs server stops within a few hundred milliseconds).
const STOP_WAIT: Duration = Duration::from_secs(10);

/// The script's settings after `zkEnv.sh`.
#[derive(Debug, Clone)]
pub struct ZkServer {
    /// The environment with `zookeeper-env.sh` and `java.env` applied.
    pub env: Env,
    /// `$0`.
    pub dollar0: String,
    /// `$ZOOCFGDIR`.
    pub conf_dir: String,
    /// `$ZOOCFG` before the command's optional second argument.
    pub zoo_cfg: String,
    /// `$ZOO_LOG_DIR`.
    pub log_dir: String,
    /// The arguments after `--config <dir>`.
    pub args: Vec<String>,
}

/// POSIX `dirname`.
pub fn dirname(p: &str) -> String {
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return if p.is_empty() { ".".into() } else { "/".into() };
    }
    match t.rfind('/') {
        None => ".".into(),
        Some(i) => {
            let d = t[..i].trim_end_matches('/');
            if d.is_empty() {
                "/".into()
            } else {
                d.into()
            }
        }
    }
}

impl ZkServer {
    /// `zkEnv.sh`: the config dir (`--config`, `$ZOOCFGDIR`, `<bin>/../conf`,
    /// `<bin>/../etc/zookeeper`), the sourced files, `$ZOOCFG`, `$ZOO_LOG_DIR`.
    pub fn resolve(inv: &Invocation, args: Vec<String>, mut env: Env) -> ZkServer {
        let bin_dir = inv.bin_dir(&env).display().to_string();
        let prefix = format!("{bin_dir}/..");
        let mut args = args;
        let mut conf_dir = env.get("ZOOCFGDIR").unwrap_or("").to_owned();
        if args.len() > 1 && args[0] == "--config" {
            conf_dir = args[1].clone();
            args.drain(..2);
        }
        if conf_dir.is_empty() {
            conf_dir = if Path::new(&format!("{prefix}/conf")).exists() {
                format!("{bin_dir}/../conf")
            } else {
                format!("{bin_dir}/../etc/zookeeper")
            };
        }
        for file in ["zookeeper-env.sh", "java.env"] {
            if let Ok(text) = std::fs::read_to_string(format!("{conf_dir}/{file}")) {
                env.source_assignments(&text);
            }
        }
        let zoo_cfg = format!("{conf_dir}/{}", env.nonempty_or("ZOOCFG", "zoo.cfg"));
        let log_dir = env.nonempty_or("ZOO_LOG_DIR", &format!("{prefix}/logs"));
        ZkServer {
            env,
            dollar0: inv.dollar0.display().to_string(),
            conf_dir,
            zoo_cfg,
            log_dir,
            args,
        }
    }

    /// The JMX lines the script prints on stderr first (the JVM's JMX agent settings; zkrs
    /// has no JMX, the lines are kept for tools that match them).
    pub fn jmx_lines(&self) -> Vec<String> {
        let e = &self.env;
        if e.is_nonempty("JMXDISABLE") && e.get("JMXDISABLE") != Some("false") {
            return vec!["JMX disabled by user request".into()];
        }
        let mut lines = vec!["ZooKeeper JMX enabled by default".to_owned()];
        if let Some(port) = e.get("JMXPORT").filter(|p| !p.is_empty()) {
            lines.push(format!("ZooKeeper remote JMX Port set to {port}"));
            lines.push(format!(
                "ZooKeeper remote JMX authenticate set to {}",
                e.nonempty_or("JMXAUTH", "false")
            ));
            lines.push(format!(
                "ZooKeeper remote JMX ssl set to {}",
                e.nonempty_or("JMXSSL", "false")
            ));
            lines.push(format!(
                "ZooKeeper remote JMX log4j set to {}",
                e.nonempty_or("JMXLOG4J", "true")
            ));
            if let Some(h) = e.get("JMXHOSTNAME").filter(|h| !h.is_empty()) {
                lines.push(format!("ZooKeeper remote JMX Hostname set to {h}"));
            }
        }
        lines
    }

    /// `$ZOOCFG` after the command's second argument (`zkServer.sh start other.cfg`).
    pub fn config_path(&self) -> String {
        let second = self.args.get(1).map(String::as_str).unwrap_or("");
        let mut cfg = self.zoo_cfg.clone();
        if !second.is_empty() {
            cfg = format!("{}/{second}", self.conf_dir);
        }
        if dirname(&cfg) != self.conf_dir {
            cfg = second.to_owned();
        }
        cfg
    }

    /// Runs the command; the exit status.
    pub fn run(self) -> ExitCode {
        for line in self.jmx_lines() {
            eprintln!("{line}");
        }
        let cfg_path = self.config_path();
        eprintln!("Using config: {cfg_path}");
        let cfg = CfgGrep::open(&cfg_path);
        let data_dir = cfg
            .prefixed("dataDir")
            .split('\n')
            .map(|l| l.trim_matches(is_posix_space))
            .collect::<Vec<_>>()
            .join("\n");
        let data_log_dir = cfg.prefixed("dataLogDir");
        if self.env.is_nonempty("ZOO_DATADIR_AUTOCREATE_DISABLE") {
            if !Path::new(&format!("{data_dir}/version-2")).is_dir() {
                println!(
                    "ZooKeeper data directory is missing at {data_dir} fix the path or run initialize"
                );
                return ExitCode::from(1);
            }
            if !data_log_dir.is_empty() && !Path::new(&format!("{data_log_dir}/version-2")).is_dir()
            {
                println!(
                    "ZooKeeper txnlog directory is missing at {data_log_dir} fix the path or run initialize"
                );
                return ExitCode::from(1);
            }
        }
        let pid_file = match self.env.get("ZOOPIDFILE").filter(|p| !p.is_empty()) {
            None => {
                if !Path::new(&data_dir).is_dir() {
                    mkdir_p(&data_dir);
                }
                format!("{data_dir}/zookeeper_server.pid")
            }
            Some(p) => {
                mkdir_p(&dirname(p));
                p.to_owned()
            }
        };
        if !Path::new(&self.log_dir).exists() {
            mkdir_p(&self.log_dir);
        }
        let user = self.env.or("USER", "");
        let host = self
            .env
            .get("HOSTNAME")
            .map(str::to_owned)
            .unwrap_or_else(|| crate::host::Host::current().hostname);
        let out_file = format!("{}/zookeeper-{user}-server-{host}.out", self.log_dir);
        let cmd = self.args.first().map(String::as_str).unwrap_or("");
        match cmd {
            "start" => self.start(&cfg_path, &pid_file, &out_file),
            "start-foreground" => self.start_foreground(&cfg_path),
            "print-cmd" => {
                let exe = server_exe();
                println!("\"{exe}\" server \"{cfg_path}\" > \"{out_file}\" 2>&1 < /dev/null");
                ExitCode::SUCCESS
            }
            "stop" => {
                stop(&pid_file);
                ExitCode::SUCCESS
            }
            "version" => {
                println!("{}", version_line());
                ExitCode::SUCCESS
            }
            "restart" => self.restart(),
            "status" => status(&cfg),
            _ => {
                eprintln!("Usage: {} [--config <conf-dir>] {COMMANDS}", self.dollar0);
                ExitCode::SUCCESS
            }
        }
    }

    /// The environment the server runs with: the caller's, plus `ZOO_LOG4J_PROP` from a
    /// `log4j.properties` console threshold in the config dir (what the Kubernetes images'
    /// scripts write to set the level) when not set already.
    fn server_env(&self) -> Env {
        let mut env = self.env.clone();
        if env.get("ZOO_LOG4J_PROP").is_none() {
            let props = std::fs::read_to_string(format!("{}/log4j.properties", self.conf_dir))
                .unwrap_or_default();
            let level = props.lines().find_map(|l| {
                l.trim()
                    .strip_prefix("zookeeper.console.threshold=")
                    .map(|v| v.trim().to_owned())
            });
            if let Some(level) = level.filter(|l| !l.is_empty()) {
                env.set("ZOO_LOG4J_PROP", &format!("{level},CONSOLE"));
            }
        }
        env
    }

    fn server_command(&self, cfg_path: &str) -> Command {
        let mut cmd = Command::new(server_exe());
        cmd.arg("server")
            .arg(cfg_path)
            .env_clear()
            .envs(self.server_env().iter());
        cmd
    }

    fn start(&self, cfg_path: &str, pid_file: &str, out_file: &str) -> ExitCode {
        print!("Starting zookeeper ... ");
        let _ = std::io::stdout().flush();
        if Path::new(pid_file).is_file() {
            let text = std::fs::read_to_string(pid_file).unwrap_or_default();
            if ServerPid::parse(&text).is_some_and(ServerPid::is_running) {
                println!("already running as process {}.", text.trim());
                return ExitCode::from(1);
            }
        }
        let out = match File::create(out_file) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("zkServer.sh: {out_file}: {e}");
                println!("SERVER DID NOT START");
                return ExitCode::from(1);
            }
        };
        let err = match out.try_clone() {
            Ok(f) => f,
            Err(e) => {
                eprintln!("zkServer.sh: {out_file}: {e}");
                println!("SERVER DID NOT START");
                return ExitCode::from(1);
            }
        };
        let mut cmd = self.server_command(cfg_path);
        // `nohup ... &`: out of the caller's process group, so the terminal's hangup and ^C
        // do not reach it.
        cmd.stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0);
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                eprintln!("zkServer.sh: {e}");
                println!("SERVER DID NOT START");
                return ExitCode::from(1);
            }
        };
        if std::fs::write(pid_file, child.id().to_string()).is_err() {
            println!("FAILED TO WRITE PID");
            return ExitCode::from(1);
        }
        std::thread::sleep(Duration::from_secs(1));
        match child.try_wait() {
            Ok(None) => {
                println!("STARTED");
                ExitCode::SUCCESS
            }
            _ => {
                println!("FAILED TO START");
                ExitCode::from(1)
            }
        }
    }

    fn start_foreground(&self, cfg_path: &str) -> ExitCode {
        let mut cmd = self.server_command(cfg_path);
        if self.env.is_nonempty("ZOO_NOEXEC") {
            return match cmd.status() {
                Ok(s) => ExitCode::from(s.code().unwrap_or(1).clamp(0, 255) as u8),
                Err(e) => {
                    eprintln!("zkServer.sh: {e}");
                    ExitCode::from(127)
                }
            };
        }
        let e = cmd.exec();
        eprintln!("zkServer.sh: exec {}: {e}", server_exe());
        ExitCode::from(126)
    }

    /// `stop`, then 3 s, then `start`, each printing its own header as the script's
    /// `"$0" stop` / `"$0" start` do. The config dir of `--config` is kept (the script's
    /// children lose it unless `ZOOCFGDIR` is exported).
    fn restart(&self) -> ExitCode {
        let rest: Vec<String> = self.args.iter().skip(1).cloned().collect();
        let again = |cmd: &str| {
            let mut s = self.clone();
            s.args = std::iter::once(cmd.to_owned())
                .chain(rest.clone())
                .collect();
            s.run()
        };
        let _ = again("stop");
        std::thread::sleep(Duration::from_secs(3));
        again("start")
    }
}

/// `stop`: SIGTERM to the pid file's process, remove the file, wait for the process to go.
fn stop(pid_file: &str) {
    print!("Stopping zookeeper ... ");
    let _ = std::io::stdout().flush();
    if !Path::new(pid_file).is_file() {
        println!("no zookeeper to stop (could not find file {pid_file})");
        return;
    }
    let text = std::fs::read_to_string(pid_file).unwrap_or_default();
    let pid = ServerPid::parse(&text);
    match pid {
        Some(p) => {
            if let Err(e) = p.terminate() {
                let msg = if e.raw_os_error() == Some(3) {
                    "No such process".to_owned()
                } else {
                    e.to_string()
                };
                eprintln!("kill: ({}) - {msg}", p.raw());
            }
        }
        None => eprintln!("kill: usage: kill [-s sigspec | -n signum | -sigspec] pid | jobspec ... or kill -l [sigspec]"),
    }
    if let Err(e) = std::fs::remove_file(pid_file) {
        eprintln!("rm: cannot remove '{pid_file}': {e}");
    }
    match pid {
        Some(p) => {
            let _ = p.wait_gone(STOP_WAIT);
        }
        None => std::thread::sleep(Duration::from_secs(1)),
    }
    println!("STOPPED");
}

/// `status`: the client port, then `srvr` and its `Mode` line.
fn status(cfg: &CfgGrep) -> ExitCode {
    let mut out = Vec::new();
    let found = ClientPort::lookup(cfg, &mut out);
    for line in out {
        println!("{line}");
    }
    let Some(found) = found else {
        return ExitCode::from(1);
    };
    let mode = if found.ssl {
        None
    } else {
        let host = found.address.split_whitespace().next().unwrap_or("");
        let port = found
            .port
            .split_whitespace()
            .next()
            .and_then(|p| p.parse().ok());
        port.and_then(|port| {
            FourLetterWord {
                host: host.to_owned(),
                port,
                request: b"srvr".to_vec(),
                timeout: Duration::from_secs(5),
            }
            .java()
            .ok()
        })
        .map(|r| {
            r.lines()
                .filter(|l| l.contains("Mode"))
                .flat_map(str::split_whitespace)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|m| !m.is_empty())
    };
    match mode {
        Some(m) => {
            println!("{m}");
            ExitCode::SUCCESS
        }
        None => {
            if found.ssl {
                println!(" ");
                println!(
                    "Note: zkrs's zkServer.sh status cannot speak TLS to secureClientPort ({}); \
                          ask the server with a TLS client, or give it a plain clientPort.",
                    found.port
                );
                println!(" ");
            }
            println!("Error contacting service. It is probably not running.");
            ExitCode::from(1)
        }
    }
}

/// `VersionInfoMain`'s line, `Apache ZooKeeper, version <version> <build time>`, with zkrs's
/// version (`3.8.0-zkrs-<v>`) where ZooKeeper's is.
pub fn version_line() -> String {
    let full = zkrs_server::version::FULL_VERSION;
    let (version, built) = full.split_once(", built on ").unwrap_or((full, ""));
    format!("Apache ZooKeeper, version {version} {built}")
}

/// `mkdir -p`, with coreutils' message on failure.
fn mkdir_p(dir: &str) {
    let result = if dir.is_empty() {
        Err(std::io::Error::from(std::io::ErrorKind::NotFound))
    } else {
        std::fs::create_dir_all(dir)
    };
    if let Err(e) = result {
        let msg = match e.kind() {
            std::io::ErrorKind::NotFound => "No such file or directory".to_owned(),
            std::io::ErrorKind::PermissionDenied => "Permission denied".to_owned(),
            _ => e.to_string(),
        };
        let (open, close) = quotes();
        eprintln!("mkdir: cannot create directory {open}{dir}{close}: {msg}");
    }
}

/// The quotes coreutils puts around a file name: typographic ones in a UTF-8 locale.
fn quotes() -> (&'static str, &'static str) {
    let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .unwrap_or_default()
        .to_ascii_lowercase();
    if locale.contains("utf-8") || locale.contains("utf8") {
        ("\u{2018}", "\u{2019}")
    } else {
        ("'", "'")
    }
}

/// The binary that runs the server.
fn server_exe() -> String {
    std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "zkrs".to_owned())
}

/// `zkServer.sh` reached as `inv` with `args`.
pub fn main(inv: &Invocation, args: Vec<OsString>, env: Env) -> ExitCode {
    let args = args
        .into_iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    ZkServer::resolve(inv, args, env).run()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn server(args: &[&str], env: &[(&str, &str)]) -> ZkServer {
        let inv = Invocation {
            dollar0: PathBuf::from("/nonexistent/zk/bin/zkServer.sh"),
        };
        ZkServer::resolve(
            &inv,
            args.iter().map(|s| (*s).to_owned()).collect(),
            Env::from_pairs(env),
        )
    }

    #[test]
    fn config_dir_order() {
        let s = server(&["status"], &[]);
        assert_eq!(s.conf_dir, "/nonexistent/zk/bin/../etc/zookeeper");
        assert_eq!(s.log_dir, "/nonexistent/zk/bin/../logs");
        let s = server(&["status"], &[("ZOOCFGDIR", "/conf")]);
        assert_eq!(s.config_path(), "/conf/zoo.cfg");
        let s = server(&["--config", "/c", "status"], &[("ZOOCFGDIR", "/conf")]);
        assert_eq!(s.config_path(), "/c/zoo.cfg");
        assert_eq!(s.args, ["status"]);
        let s = server(
            &["status"],
            &[("ZOOCFGDIR", "/conf"), ("ZOOCFG", "other.cfg")],
        );
        assert_eq!(s.config_path(), "/conf/other.cfg");
        let s = server(&["start", "/elsewhere/z.cfg"], &[("ZOOCFGDIR", "/conf")]);
        assert_eq!(s.config_path(), "/elsewhere/z.cfg");
        let s = server(&["start", "b.cfg"], &[("ZOOCFGDIR", "/conf")]);
        assert_eq!(s.config_path(), "/conf/b.cfg");
        // The script's quirk: a trailing slash makes dirname differ, and $2 (empty) wins.
        let s = server(&["status"], &[("ZOOCFGDIR", "/conf/")]);
        assert_eq!(s.config_path(), "");
        // `--config` alone is not an option (the script needs two arguments).
        let s = server(&["--config"], &[("ZOOCFGDIR", "/conf")]);
        assert_eq!(s.args, ["--config"]);
    }

    #[test]
    fn jmx_lines() {
        assert_eq!(
            server(&[], &[]).jmx_lines(),
            ["ZooKeeper JMX enabled by default"]
        );
        assert_eq!(
            server(&[], &[("JMXDISABLE", "false")]).jmx_lines(),
            ["ZooKeeper JMX enabled by default"]
        );
        assert_eq!(
            server(&[], &[("JMXDISABLE", "yes")]).jmx_lines(),
            ["JMX disabled by user request"]
        );
        assert_eq!(server(&[], &[("JMXPORT", "9010")]).jmx_lines().len(), 5);
    }

    #[test]
    fn sourced_files_set_variables() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conf = dir.path().display().to_string();
        std::fs::write(
            dir.path().join("java.env"),
            "ZOO_LOG_DIR=/var/log/zk\nJVMFLAGS=\"-Xmx512M -Xms512M\"\n",
        )
        .expect("write");
        let s = server(&["status"], &[("ZOOCFGDIR", &conf)]);
        assert_eq!(s.log_dir, "/var/log/zk");
    }

    #[test]
    fn version_in_java_format() {
        let v = version_line();
        assert!(
            v.starts_with("Apache ZooKeeper, version 3.8.0-zkrs-"),
            "{v}"
        );
        assert!(!v.contains("built on"), "{v}");
        assert!(v.ends_with(" UTC") || v.split(' ').count() >= 5, "{v}");
    }

    #[test]
    fn dirname_is_posix() {
        assert_eq!(dirname("/conf/zoo.cfg"), "/conf");
        assert_eq!(dirname("/conf//zoo.cfg"), "/conf");
        assert_eq!(dirname("zoo.cfg"), ".");
        assert_eq!(dirname("/zoo.cfg"), "/");
        assert_eq!(dirname(""), ".");
    }
}
