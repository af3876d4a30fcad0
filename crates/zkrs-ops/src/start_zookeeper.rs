//! [`StartZookeeper`]: `start-zookeeper [--flag=value ...]` of the Kubernetes tutorial image
//! (kow3ns/kubernetes-zookeeper `docker/scripts`): myid from the pod's hostname ordinal,
//! zoo.cfg, `java.env` and `log4j.properties` rewritten on every start (with the script's
//! `autopurge.purgeInteval` key and its ` 4000` session timeouts), the data dirs, myid when
//! absent and the ensemble has more than one server, then `zkServer.sh start-foreground`.

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

use crate::env::Env;
use crate::host::Host;

/// The script's `--help` text.
const USAGE: &str = "\
Usage: start-zookeeper [OPTIONS]
Starts a ZooKeeper server based on the supplied options.
    --servers           The number of servers in the ensemble. The default 
                        value is 1.

    --data_dir          The directory where the ZooKeeper process will store its
                        snapshots. The default is /var/lib/zookeeper/data.

    --data_log_dir      The directory where the ZooKeeper process will store its 
                        write ahead log. The default is 
                        /var/lib/zookeeper/data/log.

    --conf_dir          The directoyr where the ZooKeeper process will store its
                        configuration. The default is /opt/zookeeper/conf.

    --client_port       The port on which the ZooKeeper process will listen for 
                        client requests. The default is 2181.

    --election_port     The port on which the ZooKeeper process will perform 
                        leader election. The default is 3888.

    --server_port       The port on which the ZooKeeper process will listen for 
                        requests from other servers in the ensemble. The 
                        default is 2888. 

    --tick_time         The length of a ZooKeeper tick in ms. The default is 
                        2000.

    --init_limit        The number of Ticks that an ensemble member is allowed 
                        to perform leader election. The default is 10.

    --sync_limit        The maximum session timeout that the ensemble will 
                        allows a client to request. The default is 5.

    --heap              The maximum amount of heap to use. The format is the 
                        same as that used for the Xmx and Xms parameters to the 
                        JVM. e.g. --heap=2G. The default is 2G.

    --max_client_cnxns  The maximum number of client connections that the 
                        ZooKeeper process will accept simultaneously. The 
                        default is 60.

    --snap_retain_count The maximum number of snapshots the ZooKeeper process 
                        will retain if purge_interval is greater than 0. The 
                        default is 3.

    --purge_interval    The number of hours the ZooKeeper process will wait 
                        between purging its old snapshots. If set to 0 old 
                        snapshots will never be purged. The default is 0.

    --max_session_timeout The maximum time in milliseconds for a client session 
                        timeout. The default value is 2 * tick time.

    --min_session_timeout The minimum time in milliseconds for a client session 
                        timeout. The default value is 20 * tick time.

    --log_level         The log level for the zookeeeper server. Either FATAL,
                        ERROR, WARN, INFO, DEBUG. The default is INFO.

";

/// The last line of the Kubernetes images' zoo.cfg, not in the originals: their ZooKeeper
/// (3.4.10) answered every four-letter word, and their probes send `ruok` and `mntr`; zkrs
/// follows 3.5+, where only `srvr` is enabled unless `4lw.commands.whitelist` says more.
pub const ALL_FOUR_LETTER_WORDS: &str = "4lw.commands.whitelist=*\n";

/// The options, with the script's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartZookeeper {
    pub servers: String,
    pub data_dir: String,
    pub data_log_dir: String,
    pub log_dir: String,
    pub conf_dir: String,
    pub client_port: String,
    pub election_port: String,
    pub server_port: String,
    pub tick_time: String,
    pub init_limit: String,
    pub sync_limit: String,
    pub heap: String,
    pub max_client_cnxns: String,
    pub snap_retain_count: String,
    pub purge_interval: String,
    /// `--min_session_timeout`, else `$MIN_SESSION_TIMEOUT`, else `" $((tick*2))"`.
    pub min_session_timeout: String,
    pub max_session_timeout: String,
    pub log_level: String,
    /// `--self_managing=<client addresses>` (a zkrs extension): the first `--servers` pods
    /// bootstrap a reconfigurable ensemble, higher ordinals join it through these addresses
    /// (`zkrs.autoMembership`) and leave it in their preStop hook (`stop-zookeeper`). Empty:
    /// the script's static ensemble.
    pub self_managing: String,
    /// `--super_password_file=<path>` (zkrs extension, with `--self_managing`): the super
    /// user's password, for the members' `reconfig`s; its digest becomes the ensemble's
    /// `DigestAuthenticationProvider.superDigest`.
    pub super_password_file: String,
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// Start with these options.
    Run(Box<StartZookeeper>),
    /// `-h`: the usage text, exit 0.
    Help,
    /// An unknown `--option`: exit 1.
    Unknown(String),
}

/// `$((v))` of a decimal word (0 when not a number).
pub fn arith(v: &str) -> i64 {
    v.trim().parse().unwrap_or(0)
}

/// `[[ $host =~ (.*)-([0-9]+)$ ]]`: the StatefulSet name and the ordinal.
pub fn parse_ordinal(host: &str) -> Option<(&str, u64)> {
    let (name, ord) = host.rsplit_once('-')?;
    if ord.is_empty() || !ord.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((name, ord.parse().ok()?))
}

impl StartZookeeper {
    /// Parses the flags as the script's `getopts ":hv-:"` loop does; `-v` and stray
    /// single-letter options are reported on stderr and skipped.
    pub fn parse(args: &[String], env: &Env) -> Parsed {
        let mut s = StartZookeeper {
            servers: "1".into(),
            data_dir: "/var/lib/zookeeper/data".into(),
            data_log_dir: "/var/lib/zookeeper/log".into(),
            log_dir: "/var/log/zookeeper".into(),
            conf_dir: "/opt/zookeeper/conf".into(),
            client_port: "2181".into(),
            election_port: "3888".into(),
            server_port: "2888".into(),
            tick_time: "2000".into(),
            init_limit: "10".into(),
            sync_limit: "5".into(),
            heap: "2G".into(),
            max_client_cnxns: "60".into(),
            snap_retain_count: "3".into(),
            purge_interval: "0".into(),
            min_session_timeout: String::new(),
            max_session_timeout: String::new(),
            log_level: "INFO".into(),
            self_managing: String::new(),
            super_password_file: String::new(),
        };
        let mut min = env.or("MIN_SESSION_TIMEOUT", "");
        let mut max = env.or("MAX_SESSION_TIMEOUT", "");
        for arg in args {
            let Some(opts) = arg.strip_prefix('-').filter(|o| !o.is_empty()) else {
                break; // getopts stops at the first operand
            };
            if opts == "-" {
                break; // `--` ends the options
            }
            if let Some(long) = opts.strip_prefix('-') {
                let value = long.rsplit_once('=').map(|(_, v)| v.to_owned());
                let key = long.split_once('=').map(|(k, _)| k);
                let (Some(key), Some(value)) = (key, value) else {
                    return Parsed::Unknown(long.to_owned());
                };
                let field = match key {
                    "servers" => &mut s.servers,
                    "data_dir" => &mut s.data_dir,
                    "data_log_dir" => &mut s.data_log_dir,
                    "log_dir" => &mut s.log_dir,
                    "conf_dir" => &mut s.conf_dir,
                    "client_port" => &mut s.client_port,
                    "election_port" => &mut s.election_port,
                    "server_port" => &mut s.server_port,
                    "tick_time" => &mut s.tick_time,
                    "init_limit" => &mut s.init_limit,
                    "sync_limit" => &mut s.sync_limit,
                    "heap" => &mut s.heap,
                    "max_client_cnxns" => &mut s.max_client_cnxns,
                    "snap_retain_count" => &mut s.snap_retain_count,
                    "purge_interval" => &mut s.purge_interval,
                    "max_session_timeout" => &mut max,
                    "min_session_timeout" => &mut min,
                    "log_level" => &mut s.log_level,
                    "self_managing" => &mut s.self_managing,
                    "super_password_file" => &mut s.super_password_file,
                    _ => return Parsed::Unknown(long.to_owned()),
                };
                *field = value;
                continue;
            }
            for c in opts.chars() {
                match c {
                    'h' => return Parsed::Help,
                    'v' => eprintln!("Parsing option: '-v'"),
                    _ => eprintln!("Non-option argument: '-{c}'"),
                }
            }
        }
        let tick = arith(&s.tick_time);
        s.min_session_timeout = if min.is_empty() {
            format!(" {}", tick * 2)
        } else {
            min
        };
        s.max_session_timeout = if max.is_empty() {
            format!(" {}", tick * 20)
        } else {
            max
        };
        Parsed::Run(Box::new(s))
    }

    fn ensemble(&self) -> bool {
        arith(&self.servers) > 1
    }

    /// zoo.cfg for the pod `name-<ord>` in `domain`.
    pub fn zoo_cfg(&self, name: &str, domain: &str) -> String {
        let mut out = format!(
            "#This file was autogenerated DO NOT EDIT\nclientPort={}\ndataDir={}\n\
             dataLogDir={}\ntickTime={}\ninitLimit={}\nsyncLimit={}\nmaxClientCnxns={}\n\
             minSessionTimeout={}\nmaxSessionTimeout={}\nautopurge.snapRetainCount={}\n\
             autopurge.purgeInteval={}\n",
            self.client_port,
            self.data_dir,
            self.data_log_dir,
            self.tick_time,
            self.init_limit,
            self.sync_limit,
            self.max_client_cnxns,
            self.min_session_timeout,
            self.max_session_timeout,
            self.snap_retain_count,
            self.purge_interval
        );
        if self.ensemble() {
            for i in 1..=arith(&self.servers) {
                out.push_str(&format!(
                    "server.{i}={name}-{}.{domain}:{}:{}\n",
                    i - 1,
                    self.server_port,
                    self.election_port
                ));
            }
        }
        out.push_str(crate::start_zookeeper::ALL_FOUR_LETTER_WORDS);
        out
    }

    /// Whether the pod with ordinal `ord` joins and leaves by itself (`--self_managing`, an
    /// ordinal at or above `--servers`).
    pub fn elastic(&self, ord: u64) -> bool {
        !self.self_managing.is_empty()
            && i64::try_from(ord).unwrap_or(i64::MAX) >= arith(&self.servers)
    }

    /// zoo.cfg of a `--self_managing` pod `name-<ord>` in `domain`: the script's settings,
    /// a reconfigurable quorum, the super user's digest, `extra` (ZOO_CFG_EXTRA's words), then
    /// the membership: `dynamicConfigFile=` when the ensemble already wrote one for this pod
    /// (`dynamic`), else the static bootstrap list (ordinals below `--servers`) or, for an
    /// elastic pod, its own line and the `zkrs.autoMembership` settings.
    pub fn self_managing_zoo_cfg(
        &self,
        name: &str,
        domain: &str,
        ord: u64,
        super_digest: Option<&str>,
        extra: &[&str],
        dynamic: Option<&str>,
    ) -> String {
        let mut out = format!(
            "#This file was autogenerated DO NOT EDIT\nclientPort={}\ndataDir={}\n\
             dataLogDir={}\ntickTime={}\ninitLimit={}\nsyncLimit={}\nmaxClientCnxns={}\n\
             minSessionTimeout={}\nmaxSessionTimeout={}\nautopurge.snapRetainCount={}\n\
             autopurge.purgeInterval={}\nstandaloneEnabled=false\nreconfigEnabled=true\n",
            self.client_port,
            self.data_dir,
            self.data_log_dir,
            self.tick_time,
            self.init_limit,
            self.sync_limit,
            self.max_client_cnxns,
            self.min_session_timeout.trim(),
            self.max_session_timeout.trim(),
            self.snap_retain_count,
            self.purge_interval
        );
        if let Some(d) = super_digest {
            out.push_str(&format!("DigestAuthenticationProvider.superDigest={d}\n"));
        }
        if !extra
            .iter()
            .any(|w| w.starts_with("4lw.commands.whitelist="))
        {
            out.push_str(ALL_FOUR_LETTER_WORDS);
        }
        for w in extra {
            out.push_str(w);
            out.push('\n');
        }
        let line = |i: u64| {
            format!(
                "server.{}={name}-{i}.{domain}:{}:{}:participant;{}\n",
                i + 1,
                self.server_port,
                self.election_port,
                self.client_port
            )
        };
        if self.elastic(ord) {
            out.push_str("zkrs.autoMembership=true\n");
            out.push_str(&format!(
                "zkrs.autoMembership.ensemble={}\n",
                self.self_managing
            ));
            if !self.super_password_file.is_empty() {
                out.push_str(&format!(
                    "zkrs.autoMembership.superPasswordFile={}\n",
                    self.super_password_file
                ));
            }
        }
        match dynamic {
            Some(path) => out.push_str(&format!("dynamicConfigFile={path}\n")),
            None if self.elastic(ord) => out.push_str(&line(ord)),
            None => {
                let n = u64::try_from(arith(&self.servers)).unwrap_or(0);
                for i in 0..n {
                    out.push_str(&line(i));
                }
            }
        }
        out
    }

    /// The `dynamicConfigFile=` the ensemble wrote into `<conf_dir>/zoo.cfg`, if its file
    /// exists.
    fn existing_dynamic_config(&self) -> Option<String> {
        let text = std::fs::read_to_string(format!("{}/zoo.cfg", self.conf_dir)).ok()?;
        let path = text
            .lines()
            .rev()
            .find_map(|l| l.trim().strip_prefix("dynamicConfigFile="))?
            .trim()
            .to_owned();
        Path::new(&path).is_file().then_some(path)
    }

    /// An elastic pod that left the ensemble (its preStop hook removed it) starts afresh: its
    /// data, its txn log and the configuration files the ensemble wrote go, myid stays.
    fn forget_if_removed(&self) {
        let state = format!("{}/zkrs-membership", self.data_dir);
        if !std::fs::read_to_string(&state).is_ok_and(|s| s.trim() == "removed") {
            return;
        }
        println!("This member left the ensemble when it stopped; it joins again afresh");
        for dir in [&self.data_dir, &self.data_log_dir] {
            let _ = std::fs::remove_dir_all(format!("{dir}/version-2"));
        }
        let _ = std::fs::remove_file(&state);
        if let Ok(entries) = std::fs::read_dir(&self.conf_dir) {
            for e in entries.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if n.starts_with("zoo.cfg.dynamic") || n == "zoo.cfg.bak" {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        let _ = std::fs::remove_file(format!("{}/zoo.cfg", self.conf_dir));
    }

    /// `super:<base64(sha1("super:<password>"))>` of `--super_password_file`.
    fn super_digest(&self) -> Result<Option<String>, String> {
        if self.super_password_file.is_empty() {
            return Ok(None);
        }
        let pw = std::fs::read_to_string(&self.super_password_file)
            .map_err(|e| format!("{}: {e}", self.super_password_file))?;
        let pw = pw.trim_end_matches(['\n', '\r']);
        let sha = sha1_smol::Sha1::from(format!("super:{pw}"))
            .digest()
            .bytes();
        use base64::Engine as _;
        Ok(Some(format!(
            "super:{}",
            base64::engine::general_purpose::STANDARD.encode(sha)
        )))
    }

    /// `java.env`.
    pub fn java_env(&self) -> String {
        format!(
            "ZOO_LOG_DIR={}\nJVMFLAGS=\"-Xmx{} -Xms{}\"\n",
            self.log_dir, self.heap, self.heap
        )
    }

    /// `log4j.properties`.
    pub fn log4j_properties(&self) -> String {
        log4j_properties(&self.log_level)
    }

    /// Writes the files, creates the dirs, then runs `zkServer.sh start-foreground`.
    fn start(&self, env: Env) -> ExitCode {
        let host = Host::current();
        let Some((name, ord)) = parse_ordinal(host.short()) else {
            println!("Fialed to parse name and ordinal of Pod");
            return ExitCode::from(1);
        };
        let my_id = ord + 1;
        let cfg = if self.self_managing.is_empty() {
            self.zoo_cfg(name, host.domain())
        } else {
            if self.elastic(ord) {
                self.forget_if_removed();
            }
            let digest = match self.super_digest() {
                Ok(d) => d,
                Err(e) => {
                    eprintln!("start-zookeeper: --super_password_file {e}");
                    return ExitCode::from(1);
                }
            };
            let extra = env.or("ZOO_CFG_EXTRA", "");
            let words: Vec<&str> = extra.split_whitespace().collect();
            let dynamic = self.existing_dynamic_config();
            self.self_managing_zoo_cfg(
                name,
                host.domain(),
                ord,
                digest.as_deref(),
                &words,
                dynamic.as_deref(),
            )
        };
        let cfg_file = format!("{}/zoo.cfg", self.conf_dir);
        // The tutorial image has its conf dir; a volume path (--self_managing keeps the
        // ensemble's configuration files on the pod's volume) may not exist yet.
        if let Err(e) = std::fs::create_dir_all(&self.conf_dir) {
            eprintln!("start-zookeeper: {}: {e}", self.conf_dir);
            return ExitCode::from(1);
        }
        if let Err(e) = replace(&cfg_file, &cfg) {
            eprintln!("start-zookeeper: {cfg_file}: {e}");
            return ExitCode::from(1);
        }
        eprint!("{cfg}");
        let java_env = format!("{}/java.env", self.conf_dir);
        if let Err(e) = replace(&java_env, &self.java_env()) {
            eprintln!("start-zookeeper: {java_env}: {e}");
            return ExitCode::from(1);
        }
        println!("Creating ZooKeeper log4j configuration");
        let props = format!("{}/log4j.properties", self.conf_dir);
        if let Err(e) = replace(&props, &self.log4j_properties()) {
            eprintln!("start-zookeeper: {props}: {e}");
            return ExitCode::from(1);
        }
        let user = Host::whoami().unwrap_or_default();
        for (dir, group) in [
            (&self.data_dir, user.as_str()),
            // The script writes `$USER:USER` here: the group is the literal `USER`.
            (&self.data_log_dir, "USER"),
            (&self.log_dir, user.as_str()),
        ] {
            if !Path::new(dir).is_dir() {
                make_owned_dir(dir, &user, group);
            }
        }
        let id_file = format!("{}/myid", self.data_dir);
        if !Path::new(&id_file).is_file() && self.ensemble() {
            if let Err(e) = append(&id_file, &format!("{my_id}\n")) {
                eprintln!("start-zookeeper: {id_file}: {e}");
                return ExitCode::from(1);
            }
        }
        // The image's zkServer.sh would look in $ZOOCFGDIR (the official image's /conf) or
        // beside itself; the tutorial image's found the conf dir by its layout. Say it.
        let mut env = env;
        env.set("ZOOCFGDIR", &self.conf_dir);
        crate::invocation::run_zk_server(
            "start-zookeeper",
            vec![OsString::from("start-foreground")],
            env,
        )
    }

    /// `stop-zookeeper` (zkrs extension, the preStop hook beside `start-zookeeper`): an
    /// elastic member (its zoo.cfg in `--conf_dir` has `zkrs.autoMembership=true`) removes
    /// itself from the ensemble (`zkrs leave`, retried for up to 120 s); a bootstrap member,
    /// or one without `--self_managing`, stays.
    fn stop(&self) -> ExitCode {
        let host = Host::current();
        let Some((_, ord)) = parse_ordinal(host.short()) else {
            println!("Fialed to parse name and ordinal of Pod");
            return ExitCode::from(1);
        };
        // What start-zookeeper wrote for this pod decides: an elastic pod's zoo.cfg turns
        // zkrs.autoMembership on.
        let cfg = format!("{}/zoo.cfg", self.conf_dir);
        let elastic = std::fs::read_to_string(&cfg)
            .is_ok_and(|t| t.lines().any(|l| l.trim() == "zkrs.autoMembership=true"));
        if !elastic {
            println!(
                "{} is not an elastic member (see {cfg}): it stays in the ensemble",
                host.short()
            );
            return ExitCode::SUCCESS;
        }
        let exe = match std::env::current_exe() {
            Ok(e) => e,
            Err(e) => {
                eprintln!("stop-zookeeper: {e}");
                return ExitCode::from(1);
            }
        };
        println!(
            "{} leaves the ensemble (reconfig -remove {})",
            host.short(),
            ord + 1
        );
        match std::process::Command::new(exe)
            .arg("leave")
            .arg(&cfg)
            .status()
        {
            Ok(st) if st.success() => ExitCode::SUCCESS,
            Ok(st) => ExitCode::from(u8::try_from(st.code().unwrap_or(1)).unwrap_or(1)),
            Err(e) => {
                eprintln!("stop-zookeeper: zkrs leave: {e}");
                ExitCode::from(1)
            }
        }
    }
}

/// The log4j 1 console configuration both Kubernetes images write.
pub fn log4j_properties(level: &str) -> String {
    format!(
        "zookeeper.root.logger=CONSOLE\nzookeeper.console.threshold={level}\n\
         log4j.rootLogger=${{zookeeper.root.logger}}\n\
         log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender\n\
         log4j.appender.CONSOLE.Threshold=${{zookeeper.console.threshold}}\n\
         log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout\n\
         log4j.appender.CONSOLE.layout.ConversionPattern=%d{{ISO8601}} [myid:%X{{myid}}] - %-5p [%t:%C{{1}}@%L] - %m%n\n"
    )
}

/// `rm -f file` then write.
pub fn replace(path: &str, text: &str) -> std::io::Result<()> {
    let _ = std::fs::remove_file(path);
    std::fs::write(path, text)
}

/// `echo ... >> file`.
pub fn append(path: &str, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?
        .write_all(text.as_bytes())
}

/// `mkdir -p dir; chown -R user:group dir`; failures are reported and not fatal (the
/// scripts do not check them).
pub fn make_owned_dir(dir: &str, user: &str, group: &str) {
    if let Err(e) = std::fs::create_dir_all(dir) {
        eprintln!("mkdir: cannot create directory '{dir}': {e}");
        return;
    }
    let uid = Host::user(user).map(|u| u.uid);
    let gid = Host::group_gid(group);
    let (Some(uid), Some(gid)) = (uid, gid) else {
        let what = if uid.is_none() { "user" } else { "group" };
        eprintln!("chown: invalid {what}: '{user}:{group}'");
        return;
    };
    if uid == Host::euid() && gid == Host::egid() {
        return; // a directory this process just made is already theirs
    }
    if let Err(e) = std::os::unix::fs::chown(dir, Some(uid), Some(gid)) {
        eprintln!("chown: changing ownership of '{dir}': {e}");
    }
}

/// The script with `args`.
pub fn main(args: Vec<OsString>, env: Env) -> ExitCode {
    let args: Vec<String> = args
        .into_iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    match StartZookeeper::parse(&args, &env) {
        Parsed::Help => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Parsed::Unknown(o) => {
            eprintln!("Unknown option --{o}");
            ExitCode::from(1)
        }
        Parsed::Run(s) => s.start(env),
    }
}

/// `stop-zookeeper` with the flags `start-zookeeper` was given (see [`StartZookeeper::stop`]).
pub fn stop_main(args: Vec<OsString>, env: Env) -> ExitCode {
    let args: Vec<String> = args
        .into_iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    match StartZookeeper::parse(&args, &env) {
        Parsed::Help => {
            println!("Usage: stop-zookeeper [the start-zookeeper options]");
            ExitCode::SUCCESS
        }
        Parsed::Unknown(o) => {
            eprintln!("Unknown option --{o}");
            ExitCode::from(1)
        }
        Parsed::Run(s) => s.stop(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str], env: &[(&str, &str)]) -> Parsed {
        let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        StartZookeeper::parse(&args, &Env::from_pairs(env))
    }

    fn run(args: &[&str]) -> StartZookeeper {
        match parse(args, &[]) {
            Parsed::Run(s) => *s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let s = run(&[]);
        assert_eq!(
            s.zoo_cfg("zk", "zk-hs.default.svc.cluster.local"),
            "#This file was autogenerated DO NOT EDIT\nclientPort=2181\n\
             dataDir=/var/lib/zookeeper/data\ndataLogDir=/var/lib/zookeeper/log\n\
             tickTime=2000\ninitLimit=10\nsyncLimit=5\nmaxClientCnxns=60\n\
             minSessionTimeout= 4000\nmaxSessionTimeout= 40000\n\
             autopurge.snapRetainCount=3\nautopurge.purgeInteval=0\n\
             4lw.commands.whitelist=*\n"
        );
        assert_eq!(
            s.java_env(),
            "ZOO_LOG_DIR=/var/log/zookeeper\nJVMFLAGS=\"-Xmx2G -Xms2G\"\n"
        );
        assert!(s
            .log4j_properties()
            .contains("zookeeper.console.threshold=INFO\n"));
        assert_eq!(s.log4j_properties().lines().count(), 7);
    }

    #[test]
    fn tutorial_flags() {
        let s = run(&[
            "--servers=3",
            "--data_dir=/var/lib/zookeeper/data",
            "--data_log_dir=/var/lib/zookeeper/data/log",
            "--conf_dir=/opt/zookeeper/conf",
            "--client_port=2181",
            "--election_port=3888",
            "--server_port=2888",
            "--tick_time=2000",
            "--init_limit=10",
            "--sync_limit=5",
            "--heap=512M",
            "--max_client_cnxns=60",
            "--snap_retain_count=3",
            "--purge_interval=12",
            "--max_session_timeout=40000",
            "--min_session_timeout=4000",
            "--log_level=INFO",
        ]);
        assert_eq!(
            s.zoo_cfg("zk", "zk-hs.default.svc.cluster.local"),
            "#This file was autogenerated DO NOT EDIT\nclientPort=2181\n\
             dataDir=/var/lib/zookeeper/data\ndataLogDir=/var/lib/zookeeper/data/log\n\
             tickTime=2000\ninitLimit=10\nsyncLimit=5\nmaxClientCnxns=60\n\
             minSessionTimeout=4000\nmaxSessionTimeout=40000\n\
             autopurge.snapRetainCount=3\nautopurge.purgeInteval=12\n\
             server.1=zk-0.zk-hs.default.svc.cluster.local:2888:3888\n\
             server.2=zk-1.zk-hs.default.svc.cluster.local:2888:3888\n\
             server.3=zk-2.zk-hs.default.svc.cluster.local:2888:3888\n\
             4lw.commands.whitelist=*\n"
        );
        assert_eq!(
            s.java_env(),
            "ZOO_LOG_DIR=/var/log/zookeeper\nJVMFLAGS=\"-Xmx512M -Xms512M\"\n"
        );
    }

    #[test]
    fn session_timeouts_follow_tick_and_env() {
        let s = run(&["--tick_time=1000"]);
        assert_eq!(s.min_session_timeout, " 2000");
        assert_eq!(s.max_session_timeout, " 20000");
        match parse(&["--tick_time=1000"], &[("MIN_SESSION_TIMEOUT", "500")]) {
            Parsed::Run(s) => assert_eq!(s.min_session_timeout, "500"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn flags_like_getopts() {
        assert_eq!(
            parse(&["--bogus=1"], &[]),
            Parsed::Unknown("bogus=1".into())
        );
        assert_eq!(
            parse(&["--servers", "3"], &[]),
            Parsed::Unknown("servers".into())
        );
        assert_eq!(parse(&["-h"], &[]), Parsed::Help);
        assert_eq!(parse(&["-vh"], &[]), Parsed::Help);
        // The value is what follows the last `=`.
        assert_eq!(run(&["--data_dir=/a=b"]).data_dir, "b");
        // Operands and `--` end the options.
        assert_eq!(run(&["x", "--bogus=1"]).servers, "1");
        assert_eq!(run(&["--", "--bogus=1"]).servers, "1");
        assert_eq!(run(&["-x", "--servers=2"]).servers, "2");
    }

    #[test]
    fn hostname_ordinals() {
        assert_eq!(parse_ordinal("zk-0"), Some(("zk", 0)));
        assert_eq!(parse_ordinal("my-zk-12"), Some(("my-zk", 12)));
        assert_eq!(parse_ordinal("zk"), None);
        assert_eq!(parse_ordinal("zk-"), None);
        assert_eq!(parse_ordinal("zk-1a"), None);
        assert_eq!(parse_ordinal("-3"), Some(("", 3)));
    }

    #[test]
    fn self_managing_bootstrap_and_elastic_pods() {
        let s = run(&["--servers=3", "--self_managing=zk-cs:2181", "--conf_dir=/c"]);
        assert!(!s.elastic(2) && s.elastic(3));
        let d = "zk-hs.default.svc.cluster.local";
        let boot = s.self_managing_zoo_cfg("zk", d, 1, Some("super:x"), &["a.b=c"], None);
        assert!(boot.contains("standaloneEnabled=false\nreconfigEnabled=true\n"));
        assert!(boot.contains("DigestAuthenticationProvider.superDigest=super:x\n"));
        assert!(boot.contains("4lw.commands.whitelist=*\na.b=c\n"));
        assert!(boot.ends_with(&format!(
            "server.1=zk-0.{d}:2888:3888:participant;2181\n\
             server.2=zk-1.{d}:2888:3888:participant;2181\n\
             server.3=zk-2.{d}:2888:3888:participant;2181\n"
        )));
        assert!(!boot.contains("autoMembership"));
        let elastic =
            s.self_managing_zoo_cfg("zk", d, 4, None, &["4lw.commands.whitelist=ruok"], None);
        assert!(!elastic.contains("4lw.commands.whitelist=*"));
        assert!(elastic.ends_with(&format!(
            "zkrs.autoMembership=true\nzkrs.autoMembership.ensemble=zk-cs:2181\n\
             server.5=zk-4.{d}:2888:3888:participant;2181\n"
        )));
        // Once the ensemble wrote a dynamic configuration, a restart keeps it.
        let again = s.self_managing_zoo_cfg("zk", d, 4, None, &[], Some("/c/zoo.cfg.dynamic.1"));
        assert!(again.ends_with(
            "zkrs.autoMembership.ensemble=zk-cs:2181\ndynamicConfigFile=/c/zoo.cfg.dynamic.1\n"
        ));
        assert!(!again.contains("server.5="));
    }

    #[test]
    fn super_digest_of_the_password_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("pw");
        std::fs::write(&f, "secret\n").unwrap();
        let arg = format!("--super_password_file={}", f.display());
        let s = run(&["--self_managing=zk-cs:2181", &arg]);
        // base64(sha1("super:secret")), as DigestAuthenticationProvider computes it.
        assert_eq!(
            s.super_digest().unwrap().as_deref(),
            Some("super:lK75jTNcA+U9vtVEw5vB51mj/w4=")
        );
    }
}
