//! [`Shell`]: `ZooKeeperMain` — connects, then runs one command from the command line or reads
//! commands from stdin (with the `[zk: host(STATE) N] ` prompt when stdin is a terminal), keeps
//! the history, and handles connect, close, quit, history, redo and printwatches itself.

use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::client::Client;
use crate::commands::{self, Ctx, COMMANDS, FATAL};
use crate::error::CliError;
use crate::hosts::ConnectString;
use crate::launch::LaunchOptions;
use crate::tokenize::tokenize;

/// What ends the shell early.
pub enum Exit {
    /// `System.exit(code)`.
    Code(u8),
}

/// The shell state.
pub struct Shell {
    opts: LaunchOptions,
    zk: Option<Client>,
    host: String,
    history: HashMap<i64, String>,
    command_count: i64,
    exit_code: u8,
    print_watches: Arc<AtomicBool>,
    /// The arguments of the last parsed line (`MyCommandOptions.cmdArgs`).
    last_args: Option<Vec<String>>,
}

/// `ZooKeeperMain.usage()` (on stderr).
pub fn usage() {
    let mut names: Vec<(&str, &str)> = COMMANDS.iter().map(|c| (c.name, c.options)).collect();
    names.extend([
        ("connect", "host:port"),
        ("history", ""),
        ("redo", "cmdno"),
        ("printwatches", "on|off"),
        ("quit", ""),
    ]);
    names.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = String::from(
        "ZooKeeper -server host:port -client-configuration properties-file cmd args\n",
    );
    for (n, o) in names {
        out.push_str(&format!("\t{n} {o}\n"));
    }
    eprint!("{out}");
}

fn is_known(cmd: &str) -> bool {
    matches!(
        cmd,
        "connect" | "history" | "redo" | "printwatches" | "quit"
    ) || COMMANDS.iter().any(|c| c.name == cmd)
}

/// `Integer.decode`.
fn java_decode(s: &str) -> Option<i32> {
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) =
        if let Some(h) = rest.strip_prefix("0x").or_else(|| rest.strip_prefix("0X")) {
            (16, h)
        } else if let Some(h) = rest.strip_prefix('#') {
            (16, h)
        } else if rest.len() > 1 && rest.starts_with('0') {
            (8, &rest[1..])
        } else {
            (10, rest)
        };
    if digits.is_empty() || digits.starts_with(['-', '+']) {
        return None;
    }
    let v = i64::from_str_radix(digits, radix).ok()?;
    i32::try_from(if neg { -v } else { v }).ok()
}

impl Shell {
    /// Parses the command line and connects (`new ZooKeeperMain(args)`).
    pub fn new(args: &[String]) -> Result<Shell, Exit> {
        let opts = LaunchOptions::parse(args);
        println!("Connecting to {}", opts.server);
        let mut shell = Shell {
            host: String::new(),
            opts,
            zk: None,
            history: HashMap::new(),
            command_count: 0,
            exit_code: 0,
            print_watches: Arc::new(AtomicBool::new(true)),
            last_args: None,
        };
        let server = shell.opts.server.clone();
        shell.connect_to_zk(&server)?;
        Ok(shell)
    }

    /// `connectToZK`.
    fn connect_to_zk(&mut self, new_host: &str) -> Result<(), Exit> {
        if let Some(zk) = self.zk.as_mut() {
            if zk.phase().is_alive() {
                zk.close();
            }
        }
        self.host = new_host.to_string();
        if let Some(file) = &self.opts.client_configuration {
            if std::fs::metadata(file)
                .map(|m| !m.is_file())
                .unwrap_or(true)
            {
                eprintln!(
                    "org.apache.zookeeper.server.quorum.QuorumPeerConfig$ConfigException: Error processing {file}"
                );
                return Err(Exit::Code(2));
            }
        }
        let Some(timeout) =
            commands::java_parse_long(&self.opts.timeout).and_then(|t| i32::try_from(t).ok())
        else {
            eprintln!(
                "Exception in thread \"main\" java.lang.NumberFormatException: For input string: \"{}\"",
                self.opts.timeout
            );
            return Err(Exit::Code(1));
        };
        let cs = match ConnectString::parse(new_host) {
            Ok(cs) => cs,
            Err(e) => {
                eprintln!("Exception in thread \"main\" java.lang.IllegalArgumentException: {e}");
                return Err(Exit::Code(1));
            }
        };
        let zk = Client::start(cs, timeout, self.opts.read_only, self.print_watches.clone());
        if self.opts.wait_for_connection
            && !zk.wait_connected(Duration::from_millis(timeout.max(0) as u64))
        {
            let mut zk = zk;
            zk.close();
            eprintln!("Exception in thread \"main\" java.io.IOException: org.apache.zookeeper.KeeperException$ConnectionLossException: KeeperErrorCode = ConnectionLoss");
            return Err(Exit::Code(1));
        }
        self.zk = Some(zk);
        Ok(())
    }

    fn prompt(&self) -> String {
        let state = self.zk.as_ref().map_or("CLOSED", |z| z.phase().name());
        format!("[zk: {}({}) {}] ", self.host, state, self.command_count)
    }

    /// `run()`: the exit status.
    pub fn run(mut self) -> u8 {
        if let Some(cmd) = self.opts.command.clone() {
            return match self.process_cmd(cmd) {
                Ok(()) => self.exit_code,
                Err(Exit::Code(c)) => c,
            };
        }
        println!("Welcome to ZooKeeper!");
        let tty = std::io::stdin().is_terminal();
        println!(
            "JLine support is {}",
            if tty { "enabled" } else { "disabled" }
        );
        let stdin = std::io::stdin();
        let mut lines = stdin.lock();
        loop {
            if tty {
                print!("{}", self.prompt());
                let _ = std::io::stdout().flush();
            }
            let mut buf = Vec::new();
            match lines.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                buf.pop();
            }
            let line = String::from_utf8_lossy(&buf).into_owned();
            if let Err(Exit::Code(c)) = self.execute_line(&line) {
                return c;
            }
        }
        self.exit_code
    }

    /// `executeLine`.
    fn execute_line(&mut self, line: &str) -> Result<(), Exit> {
        if line.is_empty() {
            return Ok(());
        }
        let toks = tokenize(line);
        if !toks.is_empty() {
            self.last_args = Some(toks);
        }
        self.history.insert(self.command_count, line.to_string());
        let Some(args) = self.last_args.clone() else {
            eprintln!("Exception in thread \"main\" java.lang.NullPointerException");
            return Err(Exit::Code(1));
        };
        self.process_cmd(args)?;
        self.command_count += 1;
        Ok(())
    }

    /// `processCmd`: runs one command and records its exit code.
    fn process_cmd(&mut self, args: Vec<String>) -> Result<(), Exit> {
        match self.process_zk_cmd(args)? {
            Ok(()) => self.exit_code = 0,
            Err(e) if e.exit_code == FATAL => {
                eprintln!("{}", e.message);
                return Err(Exit::Code(1));
            }
            Err(e) => {
                self.exit_code = e.exit_code;
                eprintln!("{}", e.message);
            }
        }
        Ok(())
    }

    /// `processZKCmd`.
    fn process_zk_cmd(&mut self, args: Vec<String>) -> Result<Result<(), CliError>, Exit> {
        let Some(cmd) = args.first().cloned() else {
            usage();
            return Ok(Err(CliError::msg("No command entered")));
        };
        if !is_known(&cmd) {
            usage();
            return Ok(Err(CliError {
                message: format!("Command not found: Command not found {cmd}"),
                exit_code: 127,
            }));
        }
        match cmd.as_str() {
            "quit" => {
                if let Some(zk) = self.zk.as_mut() {
                    zk.close();
                }
                return Err(Exit::Code(self.exit_code));
            }
            "redo" if args.len() >= 2 => {
                let Some(i) = java_decode(&args[1]) else {
                    return Ok(Err(commands::fatal_number(&args[1])));
                };
                let i = i64::from(i);
                if self.command_count <= i || i < 0 {
                    return Ok(Err(CliError::msg("Command index out of range")));
                }
                let line = self.history.get(&i).cloned().unwrap_or_default();
                let toks = tokenize(&line);
                if !toks.is_empty() {
                    self.last_args = Some(toks);
                }
                let redo_args = self.last_args.clone().unwrap_or_default();
                if redo_args.first().map(String::as_str) == Some("redo") {
                    return Ok(Err(CliError::msg("No redoing redos")));
                }
                self.history.insert(self.command_count, line);
                self.process_cmd(redo_args)?;
            }
            "history" => {
                let mut out = String::new();
                for i in (self.command_count - 10)..=self.command_count {
                    if i < 0 {
                        continue;
                    }
                    let h = self.history.get(&i).map_or("null", String::as_str);
                    out.push_str(&format!("{i} - {h}\n"));
                }
                print!("{out}");
            }
            "printwatches" => {
                if args.len() == 1 {
                    let on = self.print_watches.load(Ordering::SeqCst);
                    println!("printwatches is {}", if on { "on" } else { "off" });
                } else {
                    self.print_watches.store(args[1] == "on", Ordering::SeqCst);
                }
            }
            "connect" => {
                let host = args.get(1).cloned().unwrap_or_else(|| self.host.clone());
                self.connect_to_zk(&host)?;
            }
            _ => {}
        }
        let alive = self.zk.as_ref().is_some_and(|z| z.phase().is_alive());
        if !alive {
            println!("Not connected");
            return Ok(Ok(()));
        }
        let Some(def) = COMMANDS.iter().find(|c| c.name == cmd) else {
            return Ok(Ok(()));
        };
        let Some(zk) = self.zk.as_mut() else {
            return Ok(Ok(()));
        };
        let mut ctx = Ctx { zk, args };
        Ok((def.run)(&mut ctx).map(|_| ()))
    }
}

#[cfg(test)]
mod tests {
    use super::java_decode;

    #[test]
    fn decode_like_java() {
        assert_eq!(java_decode("12"), Some(12));
        assert_eq!(java_decode("0x1f"), Some(31));
        assert_eq!(java_decode("010"), Some(8));
        assert_eq!(java_decode("-3"), Some(-3));
        assert_eq!(java_decode("x"), None);
    }
}
