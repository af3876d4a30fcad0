//! Java hash codes of the values whose hash order shows up on the wire.

use zkrs_jute::Id;

/// `String.hashCode()`: `s[0]*31^(n-1) + ... + s[n-1]` over UTF-16 code units, wrapping.
pub fn string_hash(s: &str) -> i32 {
    let mut h: i32 = 0;
    for unit in s.encode_utf16() {
        h = h.wrapping_mul(31).wrapping_add(i32::from(unit));
    }
    h
}

/// The jute-generated `Id.hashCode()`: `37 * (37 * 17 + scheme.hashCode()) + id.hashCode()`.
pub fn id_hash(id: &Id) -> i32 {
    let mut result: i32 = 17;
    result = result
        .wrapping_mul(37)
        .wrapping_add(string_hash(&id.scheme));
    result = result.wrapping_mul(37).wrapping_add(string_hash(&id.id));
    result
}

/// `Long.hashCode()`: `(int) (v ^ (v >>> 32))`.
pub fn long_hash(v: i64) -> i32 {
    let u = v as u64;
    (u ^ (u >> 32)) as i32
}

/// `HashMap.hash(key)`: the hash code with its high half folded into the low half.
pub fn hashmap_spread(h: i32) -> i32 {
    h ^ ((h as u32) >> 16) as i32
}

/// `ConcurrentHashMap.spread(h)`: as [`hashmap_spread`], with the sign bit cleared.
pub fn chm_spread(h: i32) -> i32 {
    hashmap_spread(h) & 0x7fff_ffff
}

/// `HashMap.tableSizeFor(cap)`: the smallest power of two `>= cap` (at least 1).
pub fn table_size_for(cap: usize) -> usize {
    cap.max(1).next_power_of_two().min(1 << 30)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_hashes() {
        assert_eq!(string_hash(""), 0);
        assert_eq!(string_hash("a"), 97);
        // "hello".hashCode() == 99162322
        assert_eq!(string_hash("hello"), 99_162_322);
        // Wrapping: "polygenelubricants".hashCode() == Integer.MIN_VALUE
        assert_eq!(string_hash("polygenelubricants"), i32::MIN);
    }

    #[test]
    fn long_hashes() {
        assert_eq!(long_hash(0), 0);
        assert_eq!(long_hash(1), 1);
        assert_eq!(long_hash(-1), 0);
        assert_eq!(
            long_hash(0x0100_0006_b4b7_0000),
            0x0100_0006 ^ 0xb4b7_0000_u32 as i32
        );
    }

    #[test]
    fn table_sizes() {
        assert_eq!(table_size_for(0), 1);
        assert_eq!(table_size_for(1), 1);
        assert_eq!(table_size_for(3), 4);
        assert_eq!(table_size_for(16), 16);
        assert_eq!(table_size_for(17), 32);
    }
}
