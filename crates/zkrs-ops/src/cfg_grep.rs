//! [`CfgGrep`]: zoo.cfg read the way `zkServer.sh` reads it, with `grep "^[[:space:]]*key"`
//! and `sed -e 's/.*=//'` rather than a parser, so that the same files give the same answers
//! (several matching lines included: their values are joined with newlines, as `$(...)` does).

/// One file's lines, or the error `grep` would print for it.
#[derive(Debug, Clone)]
pub struct CfgGrep {
    path: String,
    text: Result<String, String>,
}

/// `[[:space:]]` in the C locale.
pub fn is_posix_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{0b}' | '\u{0c}' | '\r')
}

impl CfgGrep {
    /// Reads `path` (the error is printed on each grep, as each `grep` run prints it).
    pub fn open(path: &str) -> CfgGrep {
        let text = std::fs::read(path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => "No such file or directory".to_owned(),
                std::io::ErrorKind::PermissionDenied => "Permission denied".to_owned(),
                std::io::ErrorKind::IsADirectory => "Is a directory".to_owned(),
                _ => e.to_string(),
            });
        CfgGrep {
            path: path.to_owned(),
            text,
        }
    }

    /// A file with `text` (tests).
    #[cfg(test)]
    pub fn from_text(text: &str) -> CfgGrep {
        CfgGrep {
            path: "zoo.cfg".to_owned(),
            text: Ok(text.to_owned()),
        }
    }

    /// The lines `matches` accepts (given the line without its leading `[[:space:]]*`).
    fn grep(&self, matches: impl Fn(&str) -> bool) -> Vec<&str> {
        match &self.text {
            Ok(t) => {
                let mut lines: Vec<&str> = t.split('\n').collect();
                if lines.last() == Some(&"") {
                    lines.pop();
                }
                lines
                    .into_iter()
                    .filter(|l| matches(l.trim_start_matches(is_posix_space)))
                    .collect()
            }
            Err(e) => {
                eprintln!("grep: {}: {e}", self.path);
                Vec::new()
            }
        }
    }

    /// `grep "^[[:space:]]*<prefix>" | sed -e 's/.*=//'`.
    pub fn prefixed(&self, prefix: &str) -> String {
        join(self.grep(|l| l.starts_with(prefix)), after_last_eq)
    }

    /// `grep "^[[:space:]]*<key>[^[:alpha:]]" | sed -e 's/.*=//'`: the key not followed by a
    /// letter (`clientPort` but not `clientPortAddress`).
    pub fn key(&self, key: &str) -> String {
        join(
            self.grep(|l| {
                l.strip_prefix(key)
                    .and_then(|rest| rest.chars().next())
                    .is_some_and(|c| !c.is_ascii_alphabetic())
            }),
            after_last_eq,
        )
    }

    /// `grep "^[[:space:]]*server.<myid>=.*;.*" | sed -e 's/.*=//' | sed -e 's/.*;//'`: the
    /// client address part of this member's `server.` line.
    pub fn server_client_part(&self, myid: &str) -> String {
        join(
            self.grep(|l| {
                let Some(rest) = l.strip_prefix("server") else {
                    return false;
                };
                let mut chars = rest.chars();
                if chars.next().is_none() {
                    return false;
                }
                chars
                    .as_str()
                    .strip_prefix(myid)
                    .and_then(|r| r.strip_prefix('='))
                    .is_some_and(|r| r.contains(';'))
            }),
            |l| {
                let v = after_last_eq(l);
                v.rsplit_once(';').map(|(_, p)| p).unwrap_or(v)
            },
        )
    }
}

/// `sed -e 's/.*=//'` of one line.
pub fn after_last_eq(line: &str) -> &str {
    line.rsplit_once('=').map(|(_, v)| v).unwrap_or(line)
}

fn join<'a>(lines: Vec<&'a str>, f: impl Fn(&'a str) -> &'a str) -> String {
    lines.into_iter().map(f).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_like_grep() {
        let g = CfgGrep::from_text(
            "  clientPortAddress=0.0.0.0\nclientPort=2181\ndataDir = /data\n#dataDir=/x\n\
             dataLogDir=/log\nserver.1=a:2888:3888;2181\nserver.2=b:2888:3888\nserver.10=c:1:2;9\n",
        );
        assert_eq!(g.key("clientPort"), "2181");
        assert_eq!(g.key("clientPortAddress"), "0.0.0.0");
        assert_eq!(g.prefixed("dataDir"), " /data");
        assert_eq!(g.prefixed("dataLogDir"), "/log");
        assert_eq!(g.server_client_part("1"), "2181");
        assert_eq!(g.server_client_part("2"), "");
        assert_eq!(g.server_client_part("10"), "9");
        assert_eq!(g.key("secureClientPort"), "");
    }

    #[test]
    fn address_and_port_suffix() {
        let g = CfgGrep::from_text("server.3=h:2888:3888:participant;127.0.0.1:2183\r\n");
        assert_eq!(g.server_client_part("3"), "127.0.0.1:2183\r");
    }
}
