//! [`OptSpec`]: the subset of commons-cli 1.5's `DefaultParser` that zkCli's commands use (short
//! options, some taking a value, one optional exclusive group), with its exception messages.
//! Errors are returned as the text zkCli prints: `<exception class>: <message>`.

/// One option: its name (`s`, `v`, `file`), whether it takes a value, its description.
#[derive(Debug, Clone, Copy)]
pub struct Opt {
    pub name: &'static str,
    pub has_arg: bool,
    pub desc: &'static str,
}

/// The options of one command.
#[derive(Debug, Clone, Copy)]
pub struct OptSpec {
    pub opts: &'static [Opt],
    /// An `OptionGroup` (at most one of them), and whether it is required.
    pub group: Option<(&'static [&'static str], bool)>,
}

/// The result of a parse.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// Options in command-line order with their value.
    pub opts: Vec<(String, Option<String>)>,
    /// Non-option arguments; `args[0]` is the command name.
    pub args: Vec<String>,
}

impl Parsed {
    /// `CommandLine.hasOption`.
    pub fn has(&self, name: &str) -> bool {
        self.opts.iter().any(|(n, _)| n == name)
    }

    /// `CommandLine.getOptionValue`: the first value given.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.opts
            .iter()
            .filter(|(n, _)| n == name)
            .find_map(|(_, v)| v.as_deref())
    }
}

const PKG: &str = "org.apache.commons.cli.";

struct State<'a> {
    spec: &'a OptSpec,
    parsed: Parsed,
    /// The option waiting for its value.
    current: Option<String>,
    selected: Option<String>,
    skip: bool,
}

impl OptSpec {
    /// The options without any.
    pub const NONE: OptSpec = OptSpec {
        opts: &[],
        group: None,
    };

    fn get(&self, name: &str) -> Option<&Opt> {
        self.opts.iter().find(|o| o.name == name)
    }

    fn is_short_option(&self, token: &str) -> bool {
        if !token.starts_with('-') || token.len() == 1 {
            return false;
        }
        let body = &token[1..];
        let name = body.split('=').next().unwrap_or(body);
        if self.get(name).is_some() {
            return true;
        }
        name.chars()
            .next()
            .is_some_and(|c| self.get(c.encode_utf8(&mut [0; 4])).is_some())
    }

    /// `DefaultParser.parse(options, args)`.
    pub fn parse(&self, args: &[String]) -> Result<Parsed, String> {
        let mut st = State {
            spec: self,
            parsed: Parsed::default(),
            current: None,
            selected: None,
            skip: false,
        };
        for token in args {
            st.handle_token(token)?;
        }
        st.check_required_args()?;
        if let Some((names, true)) = self.group {
            if st.selected.is_none() {
                let list: Vec<String> = names
                    .iter()
                    .filter_map(|n| self.get(n))
                    .map(|o| format!("-{} {}", o.name, o.desc))
                    .collect();
                return Err(format!(
                    "{PKG}MissingOptionException: Missing required option: [{}]",
                    list.join(", ")
                ));
            }
        }
        Ok(st.parsed)
    }
}

/// Commons-cli's `Util.stripLeadingAndTrailingQuotes`.
fn strip_quotes(s: &str) -> String {
    if s.len() > 1 && s.starts_with('"') && s.ends_with('"') && !s[1..s.len() - 1].contains('"') {
        s[1..s.len() - 1].to_string()
    } else {
        s.to_string()
    }
}

/// `Double.parseDouble` accepts it (roughly: a decimal number with optional sign and exponent).
fn is_number(s: &str) -> bool {
    let t = s.trim();
    !t.is_empty() && t.parse::<f64>().is_ok() && !t.eq_ignore_ascii_case("inf")
}

impl State<'_> {
    fn handle_token(&mut self, token: &str) -> Result<(), String> {
        let accepts_arg = self
            .current
            .as_deref()
            .and_then(|c| self.spec.get(c))
            .is_some_and(|o| o.has_arg);
        if self.skip {
            self.parsed.args.push(token.to_string());
        } else if token == "--" {
            self.skip = true;
        } else if self.current.is_some()
            && accepts_arg
            && (!self.spec.is_short_option(token) || is_number(token))
        {
            self.add_value(strip_quotes(token));
        } else if token.starts_with("--") {
            self.unknown(token)?;
        } else if token.starts_with('-') && token != "-" {
            self.short_or_long(token)?;
        } else {
            self.unknown(token)?;
        }
        Ok(())
    }

    fn add_value(&mut self, v: String) {
        if let Some(last) = self.parsed.opts.last_mut() {
            last.1 = Some(v);
        }
        self.current = None;
    }

    fn unknown(&mut self, token: &str) -> Result<(), String> {
        if token.starts_with('-') && token.len() > 1 {
            return Err(format!(
                "{PKG}UnrecognizedOptionException: Unrecognized option: {token}"
            ));
        }
        self.parsed.args.push(token.to_string());
        Ok(())
    }

    fn check_required_args(&self) -> Result<(), String> {
        if let Some(c) = &self.current {
            return Err(format!(
                "{PKG}MissingArgumentException: Missing argument for option: {c}"
            ));
        }
        Ok(())
    }

    fn handle_option(&mut self, name: &str) -> Result<(), String> {
        self.check_required_args()?;
        if let Some((names, _)) = self.spec.group {
            if names.contains(&name) {
                match &self.selected {
                    Some(sel) if sel != name => {
                        return Err(format!(
                            "{PKG}AlreadySelectedException: The option '{name}' was specified but an option from this group has already been selected: '{sel}'"
                        ));
                    }
                    _ => self.selected = Some(name.to_string()),
                }
            }
        }
        self.parsed.opts.push((name.to_string(), None));
        let has_arg = self.spec.get(name).is_some_and(|o| o.has_arg);
        self.current = has_arg.then(|| name.to_string());
        Ok(())
    }

    fn short_or_long(&mut self, token: &str) -> Result<(), String> {
        let t = token.trim_start_matches('-');
        match t.find('=') {
            None => {
                if self.spec.get(t).is_some() {
                    self.handle_option(t)
                } else if t.chars().count() == 1 {
                    self.unknown(token)
                } else {
                    // -S1S2S3 or -SV
                    for (i, ch) in token.char_indices().skip(1) {
                        let name = ch.to_string();
                        if self.spec.get(&name).is_some() {
                            self.handle_option(&name)?;
                            let rest = &token[i + ch.len_utf8()..];
                            if self.current.is_some() && !rest.is_empty() {
                                self.add_value(rest.to_string());
                                break;
                            }
                        } else {
                            self.unknown(token)?;
                            break;
                        }
                    }
                    Ok(())
                }
            }
            Some(pos) => {
                let opt = &t[..pos];
                let value = &t[pos + 1..];
                match self.spec.get(opt) {
                    Some(o) if opt.chars().count() == 1 && o.has_arg => {
                        self.handle_option(opt)?;
                        self.add_value(value.to_string());
                        Ok(())
                    }
                    _ => self.unknown(token),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SET: OptSpec = OptSpec {
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
        ],
        group: None,
    };

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn options_and_args() {
        let p = SET.parse(&v(&["set", "-s", "-v", "3", "/a", "d"])).unwrap();
        assert!(p.has("s"));
        assert_eq!(p.value("v"), Some("3"));
        assert_eq!(p.args, v(&["set", "/a", "d"]));
        let p = SET.parse(&v(&["set", "-sv7", "/a", "d"])).unwrap();
        assert_eq!(p.value("v"), Some("7"));
        let p = SET.parse(&v(&["set", "/a", "--", "-s"])).unwrap();
        assert_eq!(p.args, v(&["set", "/a", "-s"]));
        let p = SET.parse(&v(&["set", "-v", "-1", "/a", "d"])).unwrap();
        assert_eq!(p.value("v"), Some("-1"));
    }

    #[test]
    fn errors_match_commons_cli() {
        assert_eq!(
            SET.parse(&v(&["set", "-x", "/a"])).unwrap_err(),
            "org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: -x"
        );
        assert_eq!(
            SET.parse(&v(&["set", "/a", "d", "-v"])).unwrap_err(),
            "org.apache.commons.cli.MissingArgumentException: Missing argument for option: v"
        );
        assert_eq!(
            SET.parse(&v(&["set", "-v", "-s"])).unwrap_err(),
            "org.apache.commons.cli.MissingArgumentException: Missing argument for option: v"
        );
    }

    #[test]
    fn groups() {
        const Q: OptSpec = OptSpec {
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
            ],
            group: Some((&["n", "b"], true)),
        };
        assert_eq!(
            Q.parse(&v(&["setquota", "/a"])).unwrap_err(),
            "org.apache.commons.cli.MissingOptionException: Missing required option: [-n num soft quota, -b bytes soft quota]"
        );
        assert_eq!(
            Q.parse(&v(&["setquota", "-n", "1", "-b", "2", "/a"])).unwrap_err(),
            "org.apache.commons.cli.AlreadySelectedException: The option 'b' was specified but an option from this group has already been selected: 'n'"
        );
    }
}
