//! [`FourLetterWhitelist`]: which four-letter words the server answers
//! (`4lw.commands.whitelist`, read by `FourLetterCommands.isEnabled`).

use std::collections::BTreeSet;

use zkrs_jute::FourLetterWord;

use crate::java;

/// The enabled four-letter words.
///
/// Built like ZooKeeper 3.5.3+: the value is split on `,` and each entry trimmed; `*` enables
/// every known command (entries after it are ignored); names are case-sensitive. Without the
/// key only `srvr` is enabled. `srvr` is always enabled (zkServer.sh needs it), and `isro` is
/// added when read-only mode is enabled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FourLetterWhitelist {
    commands: BTreeSet<String>,
}

impl Default for FourLetterWhitelist {
    /// The default: `srvr` only.
    fn default() -> FourLetterWhitelist {
        FourLetterWhitelist::from_property(None, false)
    }
}

impl FourLetterWhitelist {
    /// Builds the whitelist from the property value (`None` when the key is absent).
    pub fn from_property(value: Option<&str>, read_only_mode: bool) -> FourLetterWhitelist {
        let mut commands = BTreeSet::new();
        if let Some(value) = value {
            for entry in java::split(value, ',') {
                let entry = java::trim(entry);
                if entry == "*" {
                    commands.extend(FourLetterWord::ALL.iter().map(|w| w.name().to_owned()));
                    break;
                }
                if !entry.is_empty() {
                    commands.insert(entry.to_owned());
                }
            }
        }
        if read_only_mode {
            commands.insert(FourLetterWord::Isro.name().to_owned());
        }
        commands.insert(FourLetterWord::Srvr.name().to_owned());
        FourLetterWhitelist { commands }
    }

    /// Whether the command named `name` (e.g. `"ruok"`) may run.
    pub fn is_allowed(&self, name: &str) -> bool {
        self.commands.contains(name)
    }

    /// Whether `word` may run.
    pub fn is_word_allowed(&self, word: FourLetterWord) -> bool {
        self.is_allowed(word.name())
    }

    /// The enabled names, sorted (may include names that are not commands; they are harmless).
    pub fn commands(&self) -> impl Iterator<Item = &str> {
        self.commands.iter().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_srvr_only() {
        let w = FourLetterWhitelist::default();
        assert_eq!(w.commands().collect::<Vec<_>>(), vec!["srvr"]);
        assert!(w.is_allowed("srvr"));
        assert!(!w.is_allowed("ruok"));
        assert!(!w.is_allowed("isro"));
    }

    #[test]
    fn list_is_trimmed_and_case_sensitive() {
        let w = FourLetterWhitelist::from_property(Some(" ruok , mntr,,conf ,RUOK"), false);
        for c in ["ruok", "mntr", "conf", "srvr", "RUOK"] {
            assert!(w.is_allowed(c), "{c}");
        }
        assert!(!w.is_allowed("stat"));
        assert!(!w.is_allowed("Mntr"));
        assert!(w.is_word_allowed(FourLetterWord::Mntr));
    }

    #[test]
    fn star_enables_every_command() {
        let w = FourLetterWhitelist::from_property(Some("*"), false);
        for word in FourLetterWord::ALL {
            assert!(w.is_word_allowed(word), "{}", word.name());
        }
        let w = FourLetterWhitelist::from_property(Some("ruok, *"), false);
        assert!(w.is_allowed("wchc"));
    }

    #[test]
    fn read_only_adds_isro() {
        assert!(FourLetterWhitelist::from_property(None, true).is_allowed("isro"));
        assert!(FourLetterWhitelist::from_property(Some(""), false).is_allowed("srvr"));
    }
}
