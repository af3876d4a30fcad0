//! [`SnapshotCompression`]: `snapshot.compression.method` (`SnapStream.StreamMode`, 3.6+).

use std::fmt;

/// How new snapshots are written. Existing snapshots are read according to their file
/// extension whatever this says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SnapshotCompression {
    /// Uncompressed, Adler-32 checked (`""`, the default).
    #[default]
    Checked,
    /// `gz`: gzip, file extension `.gz`.
    Gzip,
    /// `snappy`: Snappy framing, file extension `.snappy`.
    Snappy,
}

impl SnapshotCompression {
    /// `StreamMode.fromString`: `gz` / `snappy` / empty in any case. `None` for anything else
    /// (ZooKeeper then silently uses [`SnapshotCompression::Checked`]).
    pub fn parse(s: &str) -> Option<SnapshotCompression> {
        [
            SnapshotCompression::Checked,
            SnapshotCompression::Gzip,
            SnapshotCompression::Snappy,
        ]
        .into_iter()
        .find(|m| m.name().eq_ignore_ascii_case(s))
    }

    /// The property value and file extension without the dot (`""`, `gz`, `snappy`).
    pub fn name(self) -> &'static str {
        match self {
            SnapshotCompression::Checked => "",
            SnapshotCompression::Gzip => "gz",
            SnapshotCompression::Snappy => "snappy",
        }
    }

    /// The snapshot file name suffix (`""`, `.gz`, `.snappy`).
    pub fn file_extension(self) -> &'static str {
        match self {
            SnapshotCompression::Checked => "",
            SnapshotCompression::Gzip => ".gz",
            SnapshotCompression::Snappy => ".snappy",
        }
    }
}

impl fmt::Display for SnapshotCompression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_names() {
        assert_eq!(
            SnapshotCompression::parse(""),
            Some(SnapshotCompression::Checked)
        );
        assert_eq!(
            SnapshotCompression::parse("GZ"),
            Some(SnapshotCompression::Gzip)
        );
        assert_eq!(
            SnapshotCompression::parse("snappy"),
            Some(SnapshotCompression::Snappy)
        );
        assert_eq!(SnapshotCompression::parse("zstd"), None);
        assert_eq!(SnapshotCompression::Snappy.file_extension(), ".snappy");
    }
}
