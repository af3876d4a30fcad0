//! [`Invocation`]: the path a script would see as `$0`, and starting other commands the way a
//! script's `exec` does (this binary's applets included).

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::process::CommandExt;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, ExitCode};

use crate::env::Env;

/// How an applet was reached: `$0` as bash would have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// The script path: the link that was run, or `<dir of zkrs>/<applet>` for `zkrs <applet>`,
    /// found through `PATH` when it was run by name.
    pub dollar0: PathBuf,
}

impl Invocation {
    /// The invocation of `applet` by the running process (its `argv[0]`).
    pub fn current(applet: &str, env: &Env) -> Invocation {
        let argv0 = std::env::args_os().next().unwrap_or_default();
        Invocation::from_argv0(&argv0, applet, env)
    }

    /// The invocation of `applet` when `argv[0]` is `argv0`.
    pub fn from_argv0(argv0: &OsStr, applet: &str, env: &Env) -> Invocation {
        let argv0 = Path::new(argv0);
        let resolved = if argv0.components().count() > 1 || argv0.is_absolute() {
            Some(argv0.to_path_buf())
        } else {
            which(argv0.as_os_str(), env)
        };
        let named_as_applet = argv0.file_name() == Some(OsStr::new(applet));
        let dollar0 = match (resolved, named_as_applet) {
            (Some(p), true) => p,
            (Some(p), false) => p.with_file_name(applet),
            (None, _) => Invocation::beside_exe(applet),
        };
        Invocation { dollar0 }
    }

    /// The invocation of `applet` as another script's `exec applet` reaches it: through `PATH`,
    /// else beside this binary.
    pub fn by_path(applet: &str, env: &Env) -> Invocation {
        let dollar0 =
            which(OsStr::new(applet), env).unwrap_or_else(|| Invocation::beside_exe(applet));
        Invocation { dollar0 }
    }

    fn beside_exe(applet: &str) -> PathBuf {
        std::env::current_exe()
            .map(|e| e.with_file_name(applet))
            .unwrap_or_else(|_| PathBuf::from(applet))
    }

    /// `$(cd "$(dirname "$0")"; pwd)`: the script's directory, absolute, `.` and `..` folded
    /// without resolving links (bash's logical `pwd`).
    pub fn bin_dir(&self, env: &Env) -> PathBuf {
        let dir = self
            .dollar0
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let base = env
            .get("PWD")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_else(|| PathBuf::from("/"));
        logical_join(&base, dir)
    }
}

/// `base/rel` with `.` and `..` folded lexically.
pub fn logical_join(base: &Path, rel: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    let joined = if rel.is_absolute() {
        rel.to_path_buf()
    } else {
        base.join(rel)
    };
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(n) => out.push(n),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

/// The first executable `name` in `$PATH` (`command -v`).
pub fn which(name: &OsStr, env: &Env) -> Option<PathBuf> {
    if name.is_empty() {
        return None;
    }
    let path = env.get("PATH").unwrap_or("/usr/local/bin:/usr/bin:/bin");
    path.split(':').find_map(|dir| {
        let dir = if dir.is_empty() { "." } else { dir };
        let candidate = Path::new(dir).join(name);
        is_executable(&candidate).then_some(candidate)
    })
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// A command for this binary's `applet` with `args`, shown in `ps` as `argv0`.
pub fn self_command(applet: &str, argv0: &OsStr, args: &[OsString]) -> io::Result<Command> {
    let exe = std::env::current_exe()?;
    let mut cmd = Command::new(&exe);
    if Path::new(argv0).file_name() == Some(OsStr::new(applet)) {
        cmd.arg0(argv0);
    } else {
        cmd.arg(applet);
    }
    cmd.args(args);
    Ok(cmd)
}

/// `exec "$@"` in a script named `script`: replaces this process with `args[0]` found through
/// `PATH`. This binary's applets are used when `PATH` has no such command. Returns only on
/// failure, with the shell's status (127 not found, 126 not executable).
pub fn exec_command(script: &str, args: &[OsString], env: &Env) -> ExitCode {
    let Some(program) = args.first() else {
        return ExitCode::SUCCESS;
    };
    let mut cmd = Command::new(program);
    cmd.args(&args[1..]).env_clear().envs(env.iter());
    let err = cmd.exec();
    let name = program.to_string_lossy();
    if err.kind() == io::ErrorKind::NotFound {
        let applet = Path::new(program)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("");
        let known = applet == "zkCli.sh" || crate::Applet::by_name(applet).is_some();
        if known && !name.contains('/') {
            if let Ok(mut cmd) = self_command(applet, OsStr::new("zkrs"), &args[1..]) {
                let err = cmd.env_clear().envs(env.iter()).exec();
                eprintln!("{script}: exec: {name}: {err}");
                return ExitCode::from(126);
            }
        }
        eprintln!("{script}: exec: {name}: not found");
        return ExitCode::from(127);
    }
    eprintln!("{script}: exec: {name}: {err}");
    ExitCode::from(126)
}

/// `exec zkServer.sh args...` from another script: the `zkServer.sh` found through `PATH`.
/// When that is a link to this binary (the zkrs image) it runs in this process; otherwise (an
/// image whose `zkServer.sh` starts a JVM) it is exec'd.
pub fn run_zk_server(script: &str, args: Vec<OsString>, env: Env) -> ExitCode {
    let found = which(OsStr::new("zkServer.sh"), &env);
    let this = std::env::current_exe().and_then(std::fs::canonicalize).ok();
    let is_this = match (&found, &this) {
        (Some(p), Some(exe)) => std::fs::canonicalize(p).ok().as_ref() == Some(exe),
        (None, _) => true,
        _ => false,
    };
    if is_this {
        let inv = Invocation::by_path("zkServer.sh", &env);
        return crate::zk_server::main(&inv, args, env);
    }
    let mut all = vec![OsString::from("zkServer.sh")];
    all.extend(args);
    exec_command(script, &all, &env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollar0_of_a_link_and_of_the_binary() {
        let env = Env::from_pairs(&[("PATH", "/nonexistent")]);
        let inv =
            Invocation::from_argv0(OsStr::new("/opt/zk/bin/zkServer.sh"), "zkServer.sh", &env);
        assert_eq!(inv.dollar0, PathBuf::from("/opt/zk/bin/zkServer.sh"));
        let inv = Invocation::from_argv0(OsStr::new("/usr/bin/zkrs"), "zkServer.sh", &env);
        assert_eq!(inv.dollar0, PathBuf::from("/usr/bin/zkServer.sh"));
        let env = Env::from_pairs(&[("PWD", "/opt/zk/bin")]);
        let inv = Invocation::from_argv0(OsStr::new("./zkServer.sh"), "zkServer.sh", &env);
        assert_eq!(inv.bin_dir(&env), PathBuf::from("/opt/zk/bin"));
        let inv = Invocation::from_argv0(OsStr::new("../x/bin/zkServer.sh"), "zkServer.sh", &env);
        assert_eq!(inv.bin_dir(&env), PathBuf::from("/opt/zk/x/bin"));
    }
}
