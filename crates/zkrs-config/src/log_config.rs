//! [`LogConfig`]: zkrs's logging keys in zoo.cfg, `zkrs.log.level` and `zkrs.log.format`.
//!
//! ZooKeeper configures logging in `logback.xml`, not zoo.cfg; these two keys are zkrs's own
//! (the binary also reads `ZKRS_LOG_LEVEL`, `ZKRS_LOG_FORMAT`, `ZOO_LOG4J_PROP` and `RUST_LOG`,
//! see `docs/logging.md`). Both are validated while parsing: a bad value is an error naming
//! its line, like every other bad zoo.cfg line.

use std::fmt;

/// The zoo.cfg key of the level.
pub const LOG_LEVEL_KEY: &str = "zkrs.log.level";
/// The zoo.cfg key of the format.
pub const LOG_FORMAT_KEY: &str = "zkrs.log.format";

/// A logging threshold, as logback names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// `TRACE`: everything.
    Trace,
    /// `DEBUG`.
    Debug,
    /// `INFO` (the default, as in ZooKeeper's `logback.xml`).
    Info,
    /// `WARN`.
    Warn,
    /// `ERROR`.
    Error,
    /// `OFF`: nothing (only from `ZOO_LOG4J_PROP`).
    Off,
}

impl LogLevel {
    /// The five levels `zkrs.log.level` and `ZKRS_LOG_LEVEL` accept.
    pub const NAMES: &'static str = "TRACE, DEBUG, INFO, WARN, ERROR";

    /// `TRACE`, `DEBUG`, `INFO`, `WARN` or `ERROR`, in any case and trimmed.
    pub fn parse(s: &str) -> Option<LogLevel> {
        match s.trim().to_ascii_uppercase().as_str() {
            "TRACE" => Some(LogLevel::Trace),
            "DEBUG" => Some(LogLevel::Debug),
            "INFO" => Some(LogLevel::Info),
            "WARN" => Some(LogLevel::Warn),
            "ERROR" => Some(LogLevel::Error),
            _ => None,
        }
    }

    /// A log4j level name (`Level.toLevel`): the five above, `WARNING` is not one, plus `ALL`
    /// (= TRACE), `FATAL` (= ERROR) and `OFF`.
    pub fn parse_log4j(s: &str) -> Option<LogLevel> {
        match s.trim().to_ascii_uppercase().as_str() {
            "ALL" => Some(LogLevel::Trace),
            "FATAL" => Some(LogLevel::Error),
            "OFF" => Some(LogLevel::Off),
            other => LogLevel::parse(other),
        }
    }

    /// The upper-case name (`OFF` for [`LogLevel::Off`]).
    pub fn name(self) -> &'static str {
        match self {
            LogLevel::Trace => "TRACE",
            LogLevel::Debug => "DEBUG",
            LogLevel::Info => "INFO",
            LogLevel::Warn => "WARN",
            LogLevel::Error => "ERROR",
            LogLevel::Off => "OFF",
        }
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LogFormat {
    /// One line per event in the shape of ZooKeeper's console pattern (the default).
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

impl LogFormat {
    /// `text` or `json`, in any case and trimmed.
    pub fn parse(s: &str) -> Option<LogFormat> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" => Some(LogFormat::Text),
            "json" => Some(LogFormat::Json),
            _ => None,
        }
    }

    /// `text` or `json`.
    pub fn name(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What zoo.cfg says about logging; `None` where it says nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LogConfig {
    /// `zkrs.log.level`.
    pub level: Option<LogLevel>,
    /// `zkrs.log.format`.
    pub format: Option<LogFormat>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_in_any_case() {
        assert_eq!(LogLevel::parse(" warn "), Some(LogLevel::Warn));
        assert_eq!(LogLevel::parse("Trace"), Some(LogLevel::Trace));
        assert_eq!(LogLevel::parse("OFF"), None);
        assert_eq!(LogLevel::parse("WARNING"), None);
        assert_eq!(LogLevel::parse_log4j("fatal"), Some(LogLevel::Error));
        assert_eq!(LogLevel::parse_log4j("ALL"), Some(LogLevel::Trace));
        assert_eq!(LogLevel::parse_log4j("OFF"), Some(LogLevel::Off));
        assert_eq!(LogLevel::parse_log4j("verbose"), None);
    }

    #[test]
    fn formats_parse_in_any_case() {
        assert_eq!(LogFormat::parse("JSON"), Some(LogFormat::Json));
        assert_eq!(LogFormat::parse("text"), Some(LogFormat::Text));
        assert_eq!(LogFormat::parse("logfmt"), None);
    }
}
