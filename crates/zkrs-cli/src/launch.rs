//! [`LaunchOptions`]: `ZooKeeperMain.MyCommandOptions.parseOptions`, the command line of
//! `zkCli.sh` (`-server`, `-timeout`, `-r`, `-client-configuration`, `-waitforconnection`, then an
//! optional command with its arguments).

/// The parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchOptions {
    pub server: String,
    pub timeout: String,
    pub read_only: bool,
    pub client_configuration: Option<String>,
    pub wait_for_connection: bool,
    /// The one-shot command and its arguments (`args[0]` is the command).
    pub command: Option<Vec<String>>,
}

impl LaunchOptions {
    /// Parses `args` as Java does; a missing option value is reported on stderr and the rest is
    /// ignored (Java ignores the failure and goes on with what it has).
    pub fn parse(args: &[String]) -> LaunchOptions {
        let mut o = LaunchOptions {
            server: "localhost:2181".to_string(),
            timeout: "30000".to_string(),
            read_only: false,
            client_configuration: None,
            wait_for_connection: false,
            command: None,
        };
        let mut it = args.iter();
        while let Some(opt) = it.next() {
            let target = match opt.as_str() {
                "-server" => Some(&mut o.server),
                "-timeout" => Some(&mut o.timeout),
                "-client-configuration" => {
                    o.client_configuration = Some(String::new());
                    o.client_configuration.as_mut()
                }
                "-r" => {
                    o.read_only = true;
                    None
                }
                "-waitforconnection" => {
                    o.wait_for_connection = true;
                    None
                }
                _ => None,
            };
            if let Some(t) = target {
                match it.next() {
                    Some(v) => *t = v.clone(),
                    None => {
                        if opt == "-client-configuration" {
                            o.client_configuration = None;
                        }
                        eprintln!("Error: no argument found for option {opt}");
                        return o;
                    }
                }
            }
            if !opt.starts_with('-') {
                let mut cmd = vec![opt.clone()];
                cmd.extend(it.cloned());
                o.command = Some(cmd);
                return o;
            }
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn parses_like_zookeeper_main() {
        let o = LaunchOptions::parse(&v(&[
            "-server", "h:1", "-timeout", "5000", "-r", "ls", "-R", "/",
        ]));
        assert_eq!(o.server, "h:1");
        assert_eq!(o.timeout, "5000");
        assert!(o.read_only);
        assert_eq!(o.command, Some(v(&["ls", "-R", "/"])));
        let o = LaunchOptions::parse(&v(&["-bogus", "-waitforconnection"]));
        assert_eq!(o.server, "localhost:2181");
        assert!(o.wait_for_connection);
        assert_eq!(o.command, None);
        let o = LaunchOptions::parse(&v(&["-server"]));
        assert_eq!(o.server, "localhost:2181");
    }
}
