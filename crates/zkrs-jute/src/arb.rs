//! Arbitrary values of the Jute field types, for property tests and fuzzing.
//!
//! `bytes::Bytes` has no `Arbitrary` impl, so records build their fields through this small trait
//! rather than `#[derive(Arbitrary)]`.

use arbitrary::{Arbitrary, Result, Unstructured};
use bytes::Bytes;

/// A value generated from fuzzer-provided bytes.
pub trait Arb: Sized {
    /// Builds one value, consuming bytes from `u`.
    fn arb(u: &mut Unstructured<'_>) -> Result<Self>;
}

macro_rules! via_arbitrary {
    ($($t:ty),*) => {$(
        impl Arb for $t {
            fn arb(u: &mut Unstructured<'_>) -> Result<Self> {
                <$t as Arbitrary>::arbitrary(u)
            }
        }
    )*};
}
via_arbitrary!(i32, i64, bool, u8, String);

impl Arb for Bytes {
    fn arb(u: &mut Unstructured<'_>) -> Result<Self> {
        Ok(Bytes::from(<Vec<u8> as Arbitrary>::arbitrary(u)?))
    }
}

impl<T: Arb> Arb for Vec<T> {
    fn arb(u: &mut Unstructured<'_>) -> Result<Self> {
        // Bound the length so deeply nested vectors stay small.
        let n = u.int_in_range(0..=8usize)?;
        (0..n).map(|_| T::arb(u)).collect()
    }
}

impl<T: Arb> Arb for Option<T> {
    fn arb(u: &mut Unstructured<'_>) -> Result<Self> {
        if u.arbitrary()? {
            Ok(Some(T::arb(u)?))
        } else {
            Ok(None)
        }
    }
}
