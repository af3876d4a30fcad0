//! [`Location`]: the file, line and key a diagnostic is about.

use std::fmt;

/// Where a problem is: the file as it was named, the 1-based line of the logical line that set
/// the key (a `\`-continued line counts from its first physical line), and the key as written.
///
/// Displays as `conf/zoo.cfg:7: key 'tickTime'`; parts that are unknown are left out.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    /// The file name as given to the parser (or the `source_name` of `parse_str`).
    pub file: String,
    /// The line the key was set on, if the problem is tied to a line.
    pub line: Option<usize>,
    /// The key as written in the file, if the problem is tied to a key.
    pub key: Option<String>,
}

impl Location {
    /// A location naming only a file.
    pub fn file(file: impl Into<String>) -> Location {
        Location {
            file: file.into(),
            line: None,
            key: None,
        }
    }

    /// A location naming a file, a line and a key.
    pub fn key(file: impl Into<String>, line: usize, key: impl Into<String>) -> Location {
        Location {
            file: file.into(),
            line: Some(line),
            key: Some(key.into()),
        }
    }

    /// A location naming a file and a key that is not set on any line (a missing key).
    pub fn missing_key(file: impl Into<String>, key: impl Into<String>) -> Location {
        Location {
            file: file.into(),
            line: None,
            key: Some(key.into()),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": key '{key}'")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_forms() {
        assert_eq!(
            Location::key("conf/zoo.cfg", 7, "tickTime").to_string(),
            "conf/zoo.cfg:7: key 'tickTime'"
        );
        assert_eq!(
            Location::missing_key("zoo.cfg", "dataDir").to_string(),
            "zoo.cfg: key 'dataDir'"
        );
        assert_eq!(Location::file("zoo.cfg").to_string(), "zoo.cfg");
        let mut no_key = Location::file("myid");
        no_key.line = Some(1);
        assert_eq!(no_key.to_string(), "myid:1");
    }
}
