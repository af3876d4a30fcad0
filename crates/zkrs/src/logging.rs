//! Logging: which level and format, from zoo.cfg and the environment, and the two line
//! formats (`docs/logging.md`).
//!
//! The level, most specific first:
//! 1. `RUST_LOG`: a full `tracing` filter (`info,zkrs_server::driver=debug`); wins over all.
//! 2. `ZKRS_LOG_LEVEL`: `TRACE`, `DEBUG`, `INFO`, `WARN` or `ERROR`.
//! 3. `zkrs.log.level` in zoo.cfg (same values).
//! 4. `ZOO_LOG4J_PROP` (`INFO,CONSOLE`, `WARN,ROLLINGFILE`): its level part, the root logger
//!    level `zkServer.sh` passes up to 3.7 (`-Dzookeeper.root.logger`). It ranks below zoo.cfg
//!    because 3.7's `zkEnv.sh` sets it to `INFO,CONSOLE` whenever it is unset, so it rarely
//!    says more than "the default"; the appender names are ignored (zkrs logs to stderr).
//! 5. `INFO`.
//!
//! The format: `ZKRS_LOG_FORMAT`, else `zkrs.log.format`, else `text`.
//!
//! Bad values of `ZKRS_LOG_LEVEL` and `ZKRS_LOG_FORMAT` are configuration errors (exit 2), as
//! bad zoo.cfg values are; a bad `RUST_LOG` or `ZOO_LOG4J_PROP` level is warned about and
//! skipped (ZooKeeper's log4j falls back silently too).
//!
//! [`LineFormat`] writes each event as one line, in one `write` to stderr:
//! - text, ZooKeeper's console pattern `%d{ISO8601} [myid:%X{myid}] - %-5p [%t:%C{1}@%L] - %m`
//!   with the target for the class and UTC time:
//!   `2026-12-07 22:21:44,123 [myid:1] - INFO  [zkrs:zkrs_server::driver::quorum@571] - LEADING`;
//! - json, one object: `{"timestamp":"2026-12-07T22:21:44.123Z","level":"INFO",
//!   "logger":"zkrs_server::driver::quorum","thread":"zkrs","myid":1,"line":571,
//!   "message":"LEADING"}` plus `"fields":{...}` when the event has fields besides its message.

use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;
use zkrs_config::{LogConfig, LogFormat, LogLevel};
use zkrs_server::civil_time::CivilTime;

/// The environment variable with the level (`zkrs.log.level`'s values).
pub const LEVEL_ENV: &str = "ZKRS_LOG_LEVEL";
/// The environment variable with the format (`text` / `json`).
pub const FORMAT_ENV: &str = "ZKRS_LOG_FORMAT";
/// ZooKeeper's root logger setting (`zkEnv.sh` up to 3.7).
pub const LOG4J_ENV: &str = "ZOO_LOG4J_PROP";
/// The full `tracing` filter.
pub const RUST_LOG_ENV: &str = "RUST_LOG";

/// Where the level came from (reported at start-up, and checked by the tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LevelSource {
    RustLog,
    Env,
    ZooCfg,
    Log4jProp,
    Default,
}

/// The logging set-up chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    /// An `EnvFilter` directive: `RUST_LOG` as given, or a level (`info`, `off`).
    pub filter: String,
    pub source: LevelSource,
    pub format: LogFormat,
    /// Things to warn about once logging runs.
    pub warnings: Vec<String>,
}

/// Chooses the level and format from zoo.cfg's `cfg` and the environment (`env` looks a
/// variable up). Errors are bad `ZKRS_LOG_LEVEL` / `ZKRS_LOG_FORMAT` values.
pub fn resolve(
    cfg: &LogConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<LogSettings, String> {
    let mut warnings = Vec::new();
    let format = match env(FORMAT_ENV) {
        Some(v) => LogFormat::parse(&v)
            .ok_or_else(|| format!("invalid {FORMAT_ENV} '{v}': expected 'text' or 'json'"))?,
        None => cfg.format.unwrap_or_default(),
    };
    let env_level = match env(LEVEL_ENV) {
        Some(v) => Some(LogLevel::parse(&v).ok_or_else(|| {
            format!(
                "invalid {LEVEL_ENV} '{v}': expected one of {}",
                LogLevel::NAMES
            )
        })?),
        None => None,
    };
    let log4j_level = env(LOG4J_ENV).and_then(|v| {
        // `level[, appender...]`; log4j allows an empty level ("inherited").
        let level = v.split(',').next().unwrap_or("").trim().to_owned();
        if level.is_empty() {
            return None;
        }
        let parsed = LogLevel::parse_log4j(&level);
        if parsed.is_none() {
            warnings.push(format!(
                "{LOG4J_ENV}='{v}': unknown level '{level}', ignored"
            ));
        }
        parsed
    });
    if let Some(rust_log) = env(RUST_LOG_ENV).filter(|v| !v.trim().is_empty()) {
        match tracing_subscriber::EnvFilter::try_new(&rust_log) {
            Ok(_) => {
                return Ok(LogSettings {
                    filter: rust_log,
                    source: LevelSource::RustLog,
                    format,
                    warnings,
                })
            }
            Err(e) => warnings.push(format!(
                "{RUST_LOG_ENV}='{rust_log}' is not a filter ({e}); ignored"
            )),
        }
    }
    let (level, source) = if let Some(l) = env_level {
        (l, LevelSource::Env)
    } else if let Some(l) = cfg.level {
        (l, LevelSource::ZooCfg)
    } else if let Some(l) = log4j_level {
        (l, LevelSource::Log4jProp)
    } else {
        (LogLevel::Info, LevelSource::Default)
    };
    Ok(LogSettings {
        filter: level.name().to_ascii_lowercase(),
        source,
        format,
        warnings,
    })
}

/// Installs the global subscriber: stderr, `settings`' filter and format, `[myid:N]` for a
/// quorum member. Logs the warnings of the resolution.
pub fn install(settings: &LogSettings, myid: Option<u64>) {
    let filter = tracing_subscriber::EnvFilter::try_new(&settings.filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .event_format(LineFormat {
            format: settings.format,
            myid,
        })
        .init();
    for w in &settings.warnings {
        tracing::warn!("{w}");
    }
}

/// The logging of the tools and of a start-up whose zoo.cfg cannot be read: the environment
/// only. A bad `ZKRS_LOG_*` value is reported on stderr and the defaults are used.
pub fn install_from_env() {
    let env = |k: &str| std::env::var(k).ok();
    let settings = resolve(&LogConfig::default(), &env).unwrap_or_else(|e| {
        eprintln!("zkrs: {e}; logging at INFO as text");
        LogSettings {
            filter: "info".into(),
            source: LevelSource::Default,
            format: LogFormat::Text,
            warnings: Vec::new(),
        }
    });
    install(&settings, None);
}

/// Writes events in the chosen [`LogFormat`].
#[derive(Debug, Clone, Copy)]
pub struct LineFormat {
    pub format: LogFormat,
    pub myid: Option<u64>,
}

impl<S, N> FormatEvent<S, N> for LineFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let meta = event.metadata();
        let thread = std::thread::current();
        let line = Line {
            unix_ms: unix_ms_now(),
            level: level_name(meta.level()),
            target: meta.target(),
            line: meta.line(),
            thread: thread.name().unwrap_or("unnamed"),
            myid: self.myid,
            fields: &fields,
        };
        let mut out = String::with_capacity(160);
        match self.format {
            LogFormat::Text => line.write_text(&mut out)?,
            LogFormat::Json => line.write_json(&mut out)?,
        }
        out.push('\n');
        writer.write_str(&out)
    }
}

fn unix_ms_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn level_name(level: &tracing::Level) -> &'static str {
    match *level {
        tracing::Level::TRACE => "TRACE",
        tracing::Level::DEBUG => "DEBUG",
        tracing::Level::INFO => "INFO",
        tracing::Level::WARN => "WARN",
        tracing::Level::ERROR => "ERROR",
    }
}

/// One field value: JSON keeps numbers and booleans as such.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Str(String),
    Int(i128),
    Float(f64),
    Bool(bool),
}

/// The message and the other fields of an event.
#[derive(Debug, Default)]
struct Fields {
    message: String,
    others: Vec<(&'static str, Value)>,
}

impl Fields {
    fn put(&mut self, field: &Field, value: Value) {
        if field.name() == "message" {
            match value {
                Value::Str(s) => self.message = s,
                Value::Int(i) => self.message = i.to_string(),
                Value::Float(f) => self.message = f.to_string(),
                Value::Bool(b) => self.message = b.to_string(),
            }
        } else {
            self.others.push((field.name(), value));
        }
    }
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, Value::Str(format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::Str(value.to_owned()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::Int(value.into()));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::Int(value.into()));
    }
    fn record_i128(&mut self, field: &Field, value: i128) {
        self.put(field, Value::Int(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, Value::Float(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::Bool(value));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, Value::Str(value.to_string()));
    }
}

/// Everything one line shows.
struct Line<'a> {
    unix_ms: i64,
    level: &'static str,
    target: &'a str,
    line: Option<u32>,
    thread: &'a str,
    myid: Option<u64>,
    fields: &'a Fields,
}

impl Line<'_> {
    /// `2026-12-07 22:21:44,123 [myid:1] - INFO  [thread:target@line] - message k=v`.
    fn write_text(&self, out: &mut String) -> fmt::Result {
        let t = CivilTime::from_unix_ms(self.unix_ms);
        write!(
            out,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02},{:03} [myid:",
            t.year,
            t.month,
            t.day,
            t.hour,
            t.minute,
            t.second,
            self.unix_ms.rem_euclid(1000)
        )?;
        if let Some(id) = self.myid {
            write!(out, "{id}")?;
        }
        write!(
            out,
            "] - {:<5} [{}:{}@{}] - {}",
            self.level,
            self.thread,
            self.target,
            self.line.unwrap_or(0),
            self.fields.message
        )?;
        for (name, value) in &self.fields.others {
            match value {
                Value::Str(s) => write!(out, " {name}={s}")?,
                Value::Int(i) => write!(out, " {name}={i}")?,
                Value::Float(f) => write!(out, " {name}={f}")?,
                Value::Bool(b) => write!(out, " {name}={b}")?,
            }
        }
        Ok(())
    }

    /// One JSON object (no trailing newline).
    fn write_json(&self, out: &mut String) -> fmt::Result {
        let t = CivilTime::from_unix_ms(self.unix_ms);
        write!(
            out,
            "{{\"timestamp\":\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z\",\"level\":\"{}\",\
             \"logger\":",
            t.year,
            t.month,
            t.day,
            t.hour,
            t.minute,
            t.second,
            self.unix_ms.rem_euclid(1000),
            self.level
        )?;
        json_string(out, self.target);
        out.push_str(",\"thread\":");
        json_string(out, self.thread);
        if let Some(id) = self.myid {
            write!(out, ",\"myid\":{id}")?;
        }
        if let Some(line) = self.line {
            write!(out, ",\"line\":{line}")?;
        }
        out.push_str(",\"message\":");
        json_string(out, &self.fields.message);
        if !self.fields.others.is_empty() {
            out.push_str(",\"fields\":{");
            for (i, (name, value)) in self.fields.others.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(out, name);
                out.push(':');
                match value {
                    Value::Str(s) => json_string(out, s),
                    Value::Int(n) => write!(out, "{n}")?,
                    Value::Float(f) if f.is_finite() => write!(out, "{f}")?,
                    Value::Float(f) => json_string(out, &f.to_string()),
                    Value::Bool(b) => write!(out, "{b}")?,
                }
            }
            out.push('}');
        }
        out.push('}');
        Ok(())
    }
}

/// `s` as a JSON string literal (RFC 8259 escapes; control characters as `\u00XX`).
fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k: &str| map.get(k).cloned()
    }

    fn cfg(level: Option<LogLevel>, format: Option<LogFormat>) -> LogConfig {
        LogConfig { level, format }
    }

    fn resolved(c: &LogConfig, pairs: &[(&str, &str)]) -> LogSettings {
        resolve(c, &env_of(pairs)).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn default_is_info_text() {
        let s = resolved(&LogConfig::default(), &[]);
        assert_eq!(s.filter, "info");
        assert_eq!(s.source, LevelSource::Default);
        assert_eq!(s.format, LogFormat::Text);
        assert!(s.warnings.is_empty());
    }

    #[test]
    fn zoo_cfg_sets_level_and_format() {
        let s = resolved(&cfg(Some(LogLevel::Warn), Some(LogFormat::Json)), &[]);
        assert_eq!(
            (s.filter.as_str(), s.source, s.format),
            ("warn", LevelSource::ZooCfg, LogFormat::Json)
        );
    }

    #[test]
    fn environment_overrides_zoo_cfg() {
        let c = cfg(Some(LogLevel::Warn), Some(LogFormat::Json));
        let s = resolved(&c, &[(LEVEL_ENV, "debug"), (FORMAT_ENV, "TEXT")]);
        assert_eq!(
            (s.filter.as_str(), s.source, s.format),
            ("debug", LevelSource::Env, LogFormat::Text)
        );
    }

    #[test]
    fn rust_log_wins_over_everything() {
        let c = cfg(Some(LogLevel::Warn), None);
        let s = resolved(
            &c,
            &[
                (RUST_LOG_ENV, "error,zkrs_server=debug"),
                (LEVEL_ENV, "TRACE"),
                (LOG4J_ENV, "DEBUG,CONSOLE"),
            ],
        );
        assert_eq!(s.filter, "error,zkrs_server=debug");
        assert_eq!(s.source, LevelSource::RustLog);
    }

    #[test]
    fn a_bad_rust_log_is_skipped_with_a_warning() {
        let s = resolved(&LogConfig::default(), &[(RUST_LOG_ENV, "zkrs=loud")]);
        assert_eq!(s.filter, "info");
        assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
        let s = resolved(&LogConfig::default(), &[(RUST_LOG_ENV, "  ")]);
        assert!(s.warnings.is_empty());
    }

    #[test]
    fn zoo_log4j_prop_gives_its_level_below_zoo_cfg() {
        let s = resolved(&LogConfig::default(), &[(LOG4J_ENV, "WARN,ROLLINGFILE")]);
        assert_eq!(
            (s.filter.as_str(), s.source),
            ("warn", LevelSource::Log4jProp)
        );
        let s = resolved(&LogConfig::default(), &[(LOG4J_ENV, " fatal , CONSOLE")]);
        assert_eq!(s.filter, "error");
        let s = resolved(&LogConfig::default(), &[(LOG4J_ENV, "OFF")]);
        assert_eq!(s.filter, "off");
        let c = cfg(Some(LogLevel::Debug), None);
        let s = resolved(&c, &[(LOG4J_ENV, "INFO,CONSOLE")]);
        assert_eq!(
            (s.filter.as_str(), s.source),
            ("debug", LevelSource::ZooCfg)
        );
        let s = resolved(&LogConfig::default(), &[(LOG4J_ENV, "LOUD,CONSOLE")]);
        assert_eq!(
            (s.filter.as_str(), s.source),
            ("info", LevelSource::Default)
        );
        assert_eq!(s.warnings.len(), 1);
        let s = resolved(&LogConfig::default(), &[(LOG4J_ENV, ",CONSOLE")]);
        assert!(s.warnings.is_empty());
    }

    #[test]
    fn bad_environment_values_are_errors() {
        let c = LogConfig::default();
        let e = resolve(&c, &env_of(&[(LEVEL_ENV, "VERBOSE")])).unwrap_err();
        assert_eq!(
            e,
            "invalid ZKRS_LOG_LEVEL 'VERBOSE': expected one of TRACE, DEBUG, INFO, WARN, ERROR"
        );
        let e = resolve(&c, &env_of(&[(FORMAT_ENV, "xml")])).unwrap_err();
        assert_eq!(
            e,
            "invalid ZKRS_LOG_FORMAT 'xml': expected 'text' or 'json'"
        );
        // Even when RUST_LOG would decide the level.
        let pairs = [(LEVEL_ENV, "OFF"), (RUST_LOG_ENV, "info")];
        assert!(resolve(&c, &env_of(&pairs)).is_err());
    }

    fn sample_fields() -> Fields {
        Fields {
            message: "Expiring session 0x1, \"quoted\"\n".into(),
            others: vec![
                ("conn", Value::Int(7)),
                ("remote", Value::Str("127.0.0.1:5".into())),
                ("ok", Value::Bool(true)),
            ],
        }
    }

    #[test]
    fn text_line_follows_zookeepers_console_pattern() {
        let fields = sample_fields();
        let line = Line {
            unix_ms: 1_796_681_704_123, // 2026-12-07T22:15:04.123Z
            level: "INFO",
            target: "zkrs_server::driver",
            line: Some(42),
            thread: "zkrs",
            myid: Some(3),
            fields: &fields,
        };
        let mut out = String::new();
        line.write_text(&mut out).unwrap_or_default();
        assert_eq!(
            out,
            "2026-12-07 22:15:04,123 [myid:3] - INFO  [zkrs:zkrs_server::driver@42] - Expiring \
             session 0x1, \"quoted\"\n conn=7 remote=127.0.0.1:5 ok=true"
        );
        let empty = Fields::default();
        let standalone = Line {
            myid: None,
            level: "WARN",
            fields: &empty,
            ..line
        };
        let mut out = String::new();
        standalone.write_text(&mut out).unwrap_or_default();
        assert_eq!(
            out,
            "2026-12-07 22:15:04,123 [myid:] - WARN  [zkrs:zkrs_server::driver@42] - "
        );
    }

    #[test]
    fn json_line_has_the_documented_keys() {
        let fields = sample_fields();
        let line = Line {
            unix_ms: 1_796_681_704_005,
            level: "ERROR",
            target: "zkrs",
            line: Some(9),
            thread: "main",
            myid: Some(1),
            fields: &fields,
        };
        let mut out = String::new();
        line.write_json(&mut out).unwrap_or_default();
        assert_eq!(
            out,
            "{\"timestamp\":\"2026-12-07T22:15:04.005Z\",\"level\":\"ERROR\",\"logger\":\"zkrs\",\
             \"thread\":\"main\",\"myid\":1,\"line\":9,\"message\":\"Expiring session 0x1, \
             \\\"quoted\\\"\\n\",\"fields\":{\"conn\":7,\"remote\":\"127.0.0.1:5\",\"ok\":true}}"
        );
        let mut s = String::new();
        json_string(&mut s, "a\u{1}b\\");
        assert_eq!(s, "\"a\\u0001b\\\\\"");
    }
}
