//! `read_log_file` (`Fs::read_trimmed` with `scan_padding`) drops most of a log's
//! preallocated zeros; the scan of what it returns must be the scan of the whole file, for clean,
//! torn and corrupt files alike, on both filesystems.

use std::path::Path;

use zkrs_jute::{FileHeader, Jute};
use zkrs_storage::log_record::encode_record;
use zkrs_storage::log_scan::{read_log_file, scan_padding};
use zkrs_storage::*;

/// A small record limit, so that the padding kept (limit + 29 bytes) is much shorter than the
/// files below and the trimming is really exercised.
const MAX: usize = 4096;

fn header() -> Vec<u8> {
    FileHeader {
        magic: FileHeader::TXNLOG_MAGIC,
        version: 2,
        dbid: 0,
    }
    .to_bytes()
}

fn txn(zxid: i64, extra: usize) -> Vec<u8> {
    let mut t = vec![0u8; 32 + extra];
    t[12..20].copy_from_slice(&zxid.to_be_bytes());
    t[31] = 1;
    t
}

fn records(n: i64) -> Vec<u8> {
    let mut f = header();
    for z in 1..=n {
        encode_record(&txn(z, (z as usize * 37) % 300), &mut f);
    }
    f
}

/// The files: name, bytes.
fn cases() -> Vec<(&'static str, Vec<u8>)> {
    let mut out = Vec::new();
    let pad = |mut f: Vec<u8>, to: usize| {
        f.resize(to, 0);
        f
    };
    let big = 1 << 20; // more than one 256 KiB read chunk
    out.push(("empty", Vec::new()));
    out.push(("short zero stub", vec![0; 7]));
    out.push(("zeroed header", vec![0; 16]));
    out.push(("all zeros", vec![0; big]));
    out.push(("header only", header()));
    out.push(("header then zeros", pad(header(), big)));
    out.push(("records, no padding", records(20)));
    out.push(("records then padding", pad(records(20), big)));
    out.push((
        "records then a few zeros",
        pad(records(20), records(20).len() + 5),
    ));
    // A torn write: garbage far into the padding, past what is kept after the last record.
    let mut f = pad(records(20), big);
    f[big - 3 * MAX] = 0x5a;
    out.push(("dirt far in the padding", f));
    // A record intact far after the end marker: corruption in the middle.
    let mut f = pad(records(5), big);
    let mut late = Vec::new();
    encode_record(&txn(99, 10), &mut late);
    let at = 700_000;
    f[at..at + late.len()].copy_from_slice(&late);
    out.push(("intact record after the end marker", f));
    // A damaged record followed by intact ones.
    let mut f = records(10);
    let bad = f.len();
    let mut more = records(14);
    more.drain(..bad);
    f.extend_from_slice(&more);
    f[bad + 20] ^= 0xff;
    out.push(("damage then intact records", pad(f, big)));
    // A record cut short by zeros (a torn write of its second half), then padding.
    let mut f = records(8);
    let cut = f.len() - 40;
    f.truncate(cut);
    out.push(("record cut by zeros", pad(f, big)));
    // A length field claiming more than the limit, then zeros.
    let mut f = records(3);
    f.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0x40, 0]);
    out.push(("bad length", pad(f, big)));
    out.push(("bad magic", pad(b"NOTALOGFILE.....".to_vec(), big)));
    out
}

#[test]
fn trimmed_scan_equals_whole_file_scan() {
    let tmp = tempfile::tempdir().unwrap();
    let mem = MemFs::new();
    for (name, bytes) in cases() {
        let whole = LogFileScan::scan(&bytes, MAX);
        let path = tmp.path().join("log.1");
        std::fs::write(&path, &bytes).unwrap();
        let mpath = Path::new("/d/log.1");
        mem.put(mpath, &bytes);
        for (fs_name, trimmed) in [
            ("OsFs", read_log_file(&OsFs, &path, MAX).unwrap()),
            ("MemFs", read_log_file(&mem, mpath, MAX).unwrap()),
        ] {
            assert!(
                trimmed.len() <= bytes.len(),
                "{name} ({fs_name}): longer than the file"
            );
            assert_eq!(
                trimmed[..],
                bytes[..trimmed.len()],
                "{name} ({fs_name}): not a prefix of the file"
            );
            assert!(
                bytes[trimmed.len()..].iter().all(|&b| b == 0),
                "{name} ({fs_name}): dropped a non-zero byte"
            );
            let nonzero = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
            assert_eq!(
                trimmed.len(),
                bytes.len().min(nonzero + scan_padding(MAX)),
                "{name} ({fs_name}): kept the wrong number of zeros"
            );
            assert_eq!(
                LogFileScan::scan(&trimmed, MAX),
                whole,
                "{name} ({fs_name}): scan differs"
            );
        }
    }
}
