//! [`SnapshotCompression`]: `SnapStream.StreamMode` — plain (`CHECKED`), gzip and xerial Snappy.
//!
//! The Adler32 seals of a snapshot are always computed over the **uncompressed** stream, so
//! compression is a wrapper around the bytes [`crate::snapshot_writer`] produces.
//!
//! The Snappy format is snappy-java's `SnappyOutputStream` stream (not the Snappy framing
//! format): a 16-byte header (`0x82 "SNAPPY" 0x00`, int version 1, int compatible version 1),
//! then blocks of `int compressedLength` + one raw Snappy block, each of at most 32 KiB of input.
//! `SnappyInputStream` also accepts concatenated streams (a header where a block length is
//! expected) and, when the header is missing, one raw Snappy block for the whole input.

use std::io::{Read, Write};

use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;

/// `SnappyCodec.MAGIC_HEADER`.
pub const SNAPPY_MAGIC: [u8; 8] = [0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0];
/// `SnappyCodec.headerSize()`: the magic plus two ints.
pub const SNAPPY_HEADER_LEN: usize = 16;
/// `SnappyOutputStream.DEFAULT_BLOCK_SIZE`.
pub const SNAPPY_BLOCK_SIZE: usize = 32 * 1024;
/// `GZIPInputStream.GZIP_MAGIC` as it appears in the file.
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// How a snapshot file is wrapped (`zookeeper.snapshot.compression.method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum SnapshotCompression {
    /// `CHECKED`: the plain stream, `snapshot.<zxid>`. The default.
    #[default]
    None,
    /// `GZIP`: `snapshot.<zxid>.gz`.
    Gzip,
    /// `SNAPPY`: `snapshot.<zxid>.snappy` (snappy-java stream format).
    Snappy,
}

impl SnapshotCompression {
    /// `StreamMode.fromString`: `gz` or `snappy` (case-insensitive); anything else, including the
    /// empty string, is the plain stream.
    pub fn from_method(name: &str) -> SnapshotCompression {
        if name.eq_ignore_ascii_case("gz") {
            SnapshotCompression::Gzip
        } else if name.eq_ignore_ascii_case("snappy") {
            SnapshotCompression::Snappy
        } else {
            SnapshotCompression::None
        }
    }

    /// `SnapStream.getStreamMode(fileName)`: from the last dot-separated part of the name.
    pub fn from_file_name(name: &str) -> SnapshotCompression {
        match name.rsplit_once('.') {
            Some((_, ext)) => Self::from_method(ext),
            None => SnapshotCompression::None,
        }
    }

    /// The method name (`""`, `"gz"`, `"snappy"`).
    pub fn method(self) -> &'static str {
        match self {
            SnapshotCompression::None => "",
            SnapshotCompression::Gzip => "gz",
            SnapshotCompression::Snappy => "snappy",
        }
    }

    /// The file name suffix (`""`, `".gz"`, `".snappy"`).
    pub fn extension(self) -> &'static str {
        match self {
            SnapshotCompression::None => "",
            SnapshotCompression::Gzip => ".gz",
            SnapshotCompression::Snappy => ".snappy",
        }
    }

    /// Wraps an uncompressed snapshot stream.
    pub fn compress(self, raw: &[u8]) -> Vec<u8> {
        match self {
            SnapshotCompression::None => raw.to_vec(),
            SnapshotCompression::Gzip => gzip(raw),
            SnapshotCompression::Snappy => snappy_stream(raw),
        }
    }

    /// Unwraps a snapshot file's bytes; `max_len` bounds the uncompressed size.
    pub fn decompress(self, file: &[u8], max_len: usize) -> Result<Vec<u8>, String> {
        match self {
            SnapshotCompression::None => Ok(file.to_vec()),
            SnapshotCompression::Gzip => gunzip(file, max_len),
            SnapshotCompression::Snappy => unsnappy_stream(file, max_len),
        }
    }
}

fn gzip(raw: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(raw);
    enc.finish().unwrap_or_default()
}

fn gunzip(file: &[u8], max_len: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let limit = u64::try_from(max_len).unwrap_or(u64::MAX).saturating_add(1);
    MultiGzDecoder::new(file)
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| format!("gzip: {e}"))?;
    if out.len() > max_len {
        return Err(format!("gzip: uncompressed size exceeds {max_len} bytes"));
    }
    Ok(out)
}

fn snappy_stream(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(SNAPPY_HEADER_LEN + raw.len() / 2 + 64);
    out.extend_from_slice(&SNAPPY_MAGIC);
    out.extend_from_slice(&1i32.to_be_bytes());
    out.extend_from_slice(&1i32.to_be_bytes());
    let mut enc = snap::raw::Encoder::new();
    for chunk in raw.chunks(SNAPPY_BLOCK_SIZE) {
        // A block of at most 32 KiB always compresses (the size limit is 2^32 - 1).
        let block = enc.compress_vec(chunk).unwrap_or_default();
        out.extend_from_slice(&(block.len() as i32).to_be_bytes());
        out.extend_from_slice(&block);
    }
    out
}

fn raw_snappy(block: &[u8], room: usize) -> Result<Vec<u8>, String> {
    let n = snap::raw::decompress_len(block).map_err(|e| format!("snappy: {e}"))?;
    // No Snappy element expands more than ~22x (a 3-byte copy of 64 bytes): a larger claim is
    // corrupt, and refusing it avoids allocating for it.
    if n > block.len().saturating_mul(32).saturating_add(64) {
        return Err(format!(
            "snappy: block of {} bytes claims {n} bytes",
            block.len()
        ));
    }
    if n > room {
        return Err("snappy: uncompressed size exceeds the limit".to_owned());
    }
    snap::raw::Decoder::new()
        .decompress_vec(block)
        .map_err(|e| format!("snappy: {e}"))
}

fn unsnappy_stream(file: &[u8], max_len: usize) -> Result<Vec<u8>, String> {
    if file.len() < SNAPPY_HEADER_LEN || file[..SNAPPY_MAGIC.len()] != SNAPPY_MAGIC {
        // `SnappyInputStream.readFully`: no stream header, one raw block.
        return raw_snappy(file, max_len);
    }
    let magic_head = i32::from_be_bytes([
        SNAPPY_MAGIC[0],
        SNAPPY_MAGIC[1],
        SNAPPY_MAGIC[2],
        SNAPPY_MAGIC[3],
    ]);
    let mut pos = SNAPPY_HEADER_LEN;
    let mut out = Vec::new();
    while pos < file.len() {
        let Some(len_bytes) = file.get(pos..pos + 4) else {
            return Err(format!("snappy: truncated block length at offset {pos}"));
        };
        let len = i32::from_be_bytes([len_bytes[0], len_bytes[1], len_bytes[2], len_bytes[3]]);
        if len == magic_head {
            // A concatenated stream: skip its header.
            match file.get(pos..pos + SNAPPY_HEADER_LEN) {
                Some(h) if h[..SNAPPY_MAGIC.len()] == SNAPPY_MAGIC => {
                    pos += SNAPPY_HEADER_LEN;
                    continue;
                }
                _ => return Err(format!("snappy: bad stream header at offset {pos}")),
            }
        }
        let Ok(len) = usize::try_from(len) else {
            return Err(format!("snappy: negative block length at offset {pos}"));
        };
        let start = pos + 4;
        let Some(block) = file.get(start..start.saturating_add(len)) else {
            return Err(format!("snappy: truncated block at offset {pos}"));
        };
        let room = max_len.saturating_sub(out.len());
        out.extend_from_slice(&raw_snappy(block, room)?);
        pos = start + len;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_from_names() {
        assert_eq!(
            SnapshotCompression::from_file_name("snapshot.1e"),
            SnapshotCompression::None
        );
        assert_eq!(
            SnapshotCompression::from_file_name("snapshot.1e.gz"),
            SnapshotCompression::Gzip
        );
        assert_eq!(
            SnapshotCompression::from_file_name("snapshot.1e.SNAPPY"),
            SnapshotCompression::Snappy
        );
        assert_eq!(
            SnapshotCompression::from_method("lz4"),
            SnapshotCompression::None
        );
    }

    #[test]
    fn round_trips() {
        let raw: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        for c in [
            SnapshotCompression::None,
            SnapshotCompression::Gzip,
            SnapshotCompression::Snappy,
        ] {
            let packed = c.compress(&raw);
            assert_eq!(c.decompress(&packed, usize::MAX).unwrap(), raw, "{c:?}");
        }
        let snappy = SnapshotCompression::Snappy.compress(&raw);
        assert_eq!(snappy[..8], SNAPPY_MAGIC);
        assert_eq!(snappy[8..16], [0, 0, 0, 1, 0, 0, 0, 1]);
        // Four 32 KiB blocks.
        let first = i32::from_be_bytes([snappy[16], snappy[17], snappy[18], snappy[19]]);
        assert!(first > 0);
        // Concatenated snappy streams read as one.
        let mut two = SnapshotCompression::Snappy.compress(b"hello ");
        two.extend_from_slice(&SnapshotCompression::Snappy.compress(b"world"));
        assert_eq!(
            SnapshotCompression::Snappy
                .decompress(&two, usize::MAX)
                .unwrap(),
            b"hello world"
        );
        // The limit holds.
        assert!(SnapshotCompression::Gzip
            .decompress(&SnapshotCompression::Gzip.compress(&raw), 10)
            .is_err());
    }
}
