//! `zkrs snapshot-dump <snapshot file>`: the content of a snapshot, like ZooKeeper's
//! `SnapshotFormatter`: every znode with its stat, ACL and data length (`--data` adds the data),
//! the sessions with their timeouts and ephemeral counts, the digest section and the zxid.
//! The file is fully verified first (decompression, structure, every seal); a snapshot that
//! does not verify is reported and the exit status is 1.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use zkrs_datatree::TreeConfig;
use zkrs_storage::file_snap::MAX_UNCOMPRESSED_SNAPSHOT;
use zkrs_storage::names::{zxid_from_name, SNAPSHOT_PREFIX};
use zkrs_storage::snapshot_reader::is_valid_checked_stream;
use zkrs_storage::{LoadedSnapshot, SnapshotCompression, SnapshotReadOptions};

use crate::format;

/// Reads and verifies a snapshot file (any compression, chosen by its name).
pub fn load(path: &Path, read: SnapshotReadOptions) -> anyhow::Result<LoadedSnapshot> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let file = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let raw = match SnapshotCompression::from_file_name(name) {
        SnapshotCompression::None => {
            if !is_valid_checked_stream(&file) {
                anyhow::bail!(
                    "{}: invalid snapshot: it does not end with a seal's \"/\"",
                    path.display()
                );
            }
            file
        }
        c => c
            .decompress(&file, MAX_UNCOMPRESSED_SNAPSHOT)
            .map_err(|e| anyhow::anyhow!("{}: cannot decompress: {e}", path.display()))?,
    };
    LoadedSnapshot::deserialize(&raw, read)
        .with_context(|| format!("{}: invalid snapshot", path.display()))
}

/// Prints one snapshot to stdout.
pub fn run(path: &Path, with_data: bool, extended_types: bool) -> anyhow::Result<ExitCode> {
    let read = SnapshotReadOptions {
        tree_config: TreeConfig {
            extended_types_enabled: extended_types,
            ..TreeConfig::default()
        },
        max_len: usize::MAX,
    };
    let loaded = match load(path, read) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e:#}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let tree = &loaded.tree;
    let mut out = String::new();
    let _ = writeln!(out, "ZNode Details (count={}):", tree.node_count());
    for (path, node) in tree.iter_preorder() {
        let _ = writeln!(out, "----");
        let _ = writeln!(out, "{}", if path.is_empty() { "/" } else { path });
        format::stat_lines(&mut out, &node.stat, node.data_len());
        let _ = writeln!(out, "  acl = {}", format::acl_list(tree.acl_of(node)));
        if with_data {
            match &node.data {
                None => {
                    let _ = writeln!(out, "  data = null");
                }
                Some(d) => {
                    let _ = writeln!(out, "  data = {}", String::from_utf8_lossy(d));
                }
            }
        }
    }
    let _ = writeln!(out, "----");
    let ephemerals: BTreeMap<i64, usize> = tree
        .sessions_with_ephemerals()
        .map(|(id, paths)| (id, paths.len()))
        .collect();
    let _ = writeln!(out, "Session Details (sid, timeout, ephemeralCount):");
    for (id, timeout) in &loaded.sessions {
        let _ = writeln!(
            out,
            "{}, {timeout}, {}",
            format::hex(*id),
            ephemerals.get(id).copied().unwrap_or(0)
        );
    }
    let _ = writeln!(out, "----");
    match loaded.zxid_digest {
        Some(d) => {
            let _ = writeln!(
                out,
                "Digest: zxid {} version {} digest {}",
                format::hex(d.zxid),
                d.digest_version,
                d.digest
            );
            let computed = tree.digest();
            if d.zxid != 0 && computed != d.digest {
                let _ = writeln!(
                    out,
                    "  (the tree's digest is {computed}: the snapshot is fuzzy, the txn log after \
                     it brings the tree to this digest)"
                );
            }
        }
        None => {
            let _ = writeln!(out, "Digest: none");
        }
    }
    if let Some(z) = loaded.last_processed_zxid {
        let _ = writeln!(out, "Last processed zxid (3.9 section): {}", format::hex(z));
    }
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if let Some(z) = zxid_from_name(name, SNAPSHOT_PREFIX) {
        let _ = writeln!(out, "Last zxid: {}", format::hex(z));
    }
    let _ = writeln!(out, "Seals: verified");
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    // A closed pipe (`| head`) is not an error.
    let _ = lock.write_all(out.as_bytes());
    let _ = lock.flush();
    Ok(ExitCode::SUCCESS)
}
