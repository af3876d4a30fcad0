//! [`PacedWriter`]: how a streamed snapshot goes into its file without getting in the way of
//! the txn log on the same disk and of the threads clients wait on.
//!
//! Measured on the benchmark machine (docs/performance.md, "Snapshots"): a txn log fsync that
//! is issued while the snapshot flushes N bytes waits for them, about 2.5 ms behind a 4 MiB
//! flush and under 0.5 ms behind 256 KiB. So the file is synced every [`SNAPSHOT_SYNC_BYTES`],
//! and after each such sync the writer pauses for as long as the sync took, which leaves the
//! disk to the log at least half of the time (RocksDB's `bytes_per_sync` with a rate limit,
//! for the same reason). Each chunk the serializer hands over starts with a `yield`: the
//! snapshot thread runs at the lowest priority, but the scheduler may still let it finish a
//! time slice of several ms before a woken client thread gets the CPU.

use std::io;
use std::time::Instant;

use crate::fs::FsFile;

/// How much of a snapshot is written between two syncs of its file.
pub const SNAPSHOT_SYNC_BYTES: usize = 256 << 10;

/// Appends to a file, syncing every [`SNAPSHOT_SYNC_BYTES`] and pausing after each sync.
pub(crate) struct PacedWriter<'f, F: FsFile> {
    file: &'f mut F,
    offset: u64,
    unsynced: usize,
    syncs: usize,
}

impl<'f, F: FsFile> PacedWriter<'f, F> {
    /// A writer at the start of `file`.
    pub(crate) fn new(file: &'f mut F) -> Self {
        PacedWriter {
            file,
            offset: 0,
            unsynced: 0,
            syncs: 0,
        }
    }

    /// Appends `chunk`, syncing (and pausing) each time another [`SNAPSHOT_SYNC_BYTES`] are
    /// written. What is left unsynced at the end is the caller's final sync.
    pub(crate) fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        std::thread::yield_now();
        let mut rest = chunk;
        while !rest.is_empty() {
            let n = rest.len().min(SNAPSHOT_SYNC_BYTES - self.unsynced);
            let (now, later) = rest.split_at(n);
            self.file.write_all_at(self.offset, now)?;
            self.offset += n as u64;
            self.unsynced += n;
            rest = later;
            if self.unsynced == SNAPSHOT_SYNC_BYTES {
                let started = Instant::now();
                self.file.sync_data()?;
                self.syncs += 1;
                self.unsynced = 0;
                std::thread::sleep(started.elapsed());
            }
        }
        Ok(())
    }

    /// The intermediate syncs so far.
    #[cfg(test)]
    pub(crate) fn syncs(&self) -> usize {
        self.syncs
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::fs::Fs;
    use crate::mem_fs::MemFs;

    #[test]
    fn syncs_every_sync_bytes_whatever_the_chunk_sizes() {
        let fs = MemFs::new();
        let path = Path::new("/d/f");
        fs.create_dir_all(Path::new("/d")).unwrap();
        let mut f = fs.create(path).unwrap();
        let mut expected = Vec::new();
        let mut w = PacedWriter::new(&mut f);
        // 100 KiB chunks of distinct bytes: syncs fall inside chunks.
        for i in 0..10u8 {
            let chunk = vec![i; 100 << 10];
            w.write(&chunk).unwrap();
            expected.extend_from_slice(&chunk);
        }
        assert_eq!(w.syncs(), (1000 << 10) / SNAPSHOT_SYNC_BYTES);
        // A crash keeps exactly what the last sync covered.
        fs.crash();
        let synced = fs.read(path).unwrap();
        assert_eq!(synced.len(), 3 * SNAPSHOT_SYNC_BYTES);
        assert!(synced[..] == expected[..synced.len()]);
    }
}
