//! `FilePadding`: txn log preallocation.

/// `FilePadding.preAllocSize` default: 64 MiB (`zookeeper.preAllocSize` is in KiB).
pub const DEFAULT_PREALLOC_SIZE: u64 = 64 * 1024 * 1024;

/// How close (in bytes) the write position may come to the end of the file before it is
/// extended.
pub const PAD_THRESHOLD: u64 = 4096;

/// `FilePadding.calculateFileSizeWithPadding`: the new file size for a write position.
///
/// When `pre_alloc_size > 0` and `position + 4096 >= file_size`, the file grows: to
/// `position + pre_alloc_size` rounded down to a multiple of `pre_alloc_size` when the position is
/// already past the known size, else by `pre_alloc_size`. Otherwise the size is unchanged.
pub fn calculate_file_size_with_padding(position: u64, file_size: u64, pre_alloc_size: u64) -> u64 {
    if pre_alloc_size > 0 && position.saturating_add(PAD_THRESHOLD) >= file_size {
        if position > file_size {
            let grown = position.saturating_add(pre_alloc_size);
            grown - grown % pre_alloc_size
        } else {
            file_size.saturating_add(pre_alloc_size)
        }
    } else {
        file_size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_file_padding() {
        // A fresh log: header written (16 bytes), size tracked as 16 -> 16 + 64 MiB [observed].
        assert_eq!(
            calculate_file_size_with_padding(16, 16, DEFAULT_PREALLOC_SIZE),
            67_108_880
        );
        // Far from the end: unchanged.
        assert_eq!(calculate_file_size_with_padding(100, 10_000, 1000), 10_000);
        // Within 4 KiB of the end: one more preAllocSize.
        assert_eq!(
            calculate_file_size_with_padding(6_000, 10_000, 1000),
            11_000
        );
        // Past the end: rounded down to a multiple after adding.
        assert_eq!(
            calculate_file_size_with_padding(12_345, 10_000, 1000),
            13_000
        );
        // Disabled.
        assert_eq!(calculate_file_size_with_padding(12_345, 10_000, 0), 10_000);
    }
}
