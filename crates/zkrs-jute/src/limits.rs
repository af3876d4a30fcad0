//! Size limits, all in one place.

/// ZooKeeper's default `jute.maxbuffer`: 0xfffff bytes (1 MiB - 1).
///
/// The server closes a client connection whose frame length exceeds this
/// (`NIOServerCnxn.readLength`), and `BinaryInputArchive` rejects longer strings and buffers.
pub const DEFAULT_MAX_BUFFER: usize = 0xfffff;
