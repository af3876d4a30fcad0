//! The `Jute` trait, its impls for the primitive types, and the `jute_record!` macro that declares
//! the records of `zookeeper.jute`.
//!
//! Type mapping (`BinaryOutputArchive` / `BinaryInputArchive`):
//!
//! | jute        | Rust                     | wire                                      |
//! |-------------|--------------------------|-------------------------------------------|
//! | `int`       | `i32`                    | 4 bytes big-endian                        |
//! | `long`      | `i64`                    | 8 bytes big-endian                        |
//! | `boolean`   | `bool`                   | 1 byte; any non-zero byte reads as true   |
//! | `byte`      | `u8`                     | 1 byte                                    |
//! | `ustring`   | `String` / `Option<String>` | `int len` + UTF-8; -1 = null           |
//! | `buffer`    | `Bytes` / `Option<Bytes>`   | `int len` + bytes; -1 = null           |
//! | `vector<T>` | `Vec<T>` / `Option<Vec<T>>` | `int count` + elements; -1 = null      |
//!
//! A field is an `Option` where ZooKeeper really sends null (node data, `QuorumPacket.data` and
//! `authinfo`, SASL tokens); a non-`Option` field reads a null as empty, which is what every
//! ZooKeeper code path that reads it does with a null in practice.

use bytes::{BufMut, Bytes};

use crate::error::DecodeError;
use crate::reader::JuteReader;

/// A value with a Jute binary encoding.
pub trait Jute: Sized {
    /// The fewest bytes any encoding of this type takes; bounds vector counts before allocating.
    const MIN_LEN: usize;

    /// Appends the encoding of `self` to `out`.
    fn write_to<B: BufMut>(&self, out: &mut B);

    /// Reads one value, leaving the reader just past it.
    fn read_from(r: &mut JuteReader<'_>) -> Result<Self, DecodeError>;

    /// The encoding of `self` as a new vector.
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::MIN_LEN.max(16));
        self.write_to(&mut out);
        out
    }

    /// Decodes a value that must fill `bytes` exactly, with the default `jute.maxbuffer` limit.
    fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = JuteReader::new(bytes);
        let v = Self::read_from(&mut r)?;
        r.finish()?;
        Ok(v)
    }
}

/// Types whose null is written as a -1 length prefix, so `Option<T>` can carry it.
pub trait Nullable: Jute {}

impl Jute for i32 {
    const MIN_LEN: usize = 4;
    fn write_to<B: BufMut>(&self, out: &mut B) {
        out.put_i32(*self);
    }
    fn read_from(r: &mut JuteReader<'_>) -> Result<Self, DecodeError> {
        r.read_i32()
    }
}

impl Jute for i64 {
    const MIN_LEN: usize = 8;
    fn write_to<B: BufMut>(&self, out: &mut B) {
        out.put_i64(*self);
    }
    fn read_from(r: &mut JuteReader<'_>) -> Result<Self, DecodeError> {
        r.read_i64()
    }
}

impl Jute for bool {
    const MIN_LEN: usize = 1;
    fn write_to<B: BufMut>(&self, out: &mut B) {
        out.put_u8(u8::from(*self));
    }
    fn read_from(r: &mut JuteReader<'_>) -> Result<Self, DecodeError> {
        r.read_bool()
    }
}

impl Jute for u8 {
    const MIN_LEN: usize = 1;
    fn write_to<B: BufMut>(&self, out: &mut B) {
        out.put_u8(*self);
    }
    fn read_from(r: &mut JuteReader<'_>) -> Result<Self, DecodeError> {
        r.read_u8()
    }
}

/// Writes a length prefix. Lengths above `i32::MAX` cannot be represented in Jute; encoders never
/// produce them because every length is bounded by `jute.maxbuffer` on the way in.
fn put_len<B: BufMut>(out: &mut B, len: usize) {
    debug_assert!(len <= i32::MAX as usize, "jute length overflow");
    out.put_i32(len as i32);
}

impl Jute for String {
    const MIN_LEN: usize = 4;
    fn write_to<B: BufMut>(&self, out: &mut B) {
        put_len(out, self.len());
        out.put_slice(self.as_bytes());
    }
    fn read_from(r: &mut JuteReader<'_>) -> Result<Self, DecodeError> {
        Ok(r.read_ustring()?.unwrap_or_default())
    }
}
impl Nullable for String {}

impl Jute for Bytes {
    const MIN_LEN: usize = 4;
    fn write_to<B: BufMut>(&self, out: &mut B) {
        put_len(out, self.len());
        out.put_slice(self);
    }
    fn read_from(r: &mut JuteReader<'_>) -> Result<Self, DecodeError> {
        Ok(r.read_buffer()?
            .map(Bytes::copy_from_slice)
            .unwrap_or_default())
    }
}
impl Nullable for Bytes {}

impl<T: Jute> Jute for Vec<T> {
    const MIN_LEN: usize = 4;
    fn write_to<B: BufMut>(&self, out: &mut B) {
        put_len(out, self.len());
        for v in self {
            v.write_to(out);
        }
    }
    fn read_from(r: &mut JuteReader<'_>) -> Result<Self, DecodeError> {
        let Some(count) = r.read_vector_len(T::MIN_LEN)? else {
            return Ok(Vec::new());
        };
        // `read_vector_len` proved `count * MIN_LEN <= remaining`, so this reservation is bounded
        // by the size of the input.
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            out.push(T::read_from(r)?);
        }
        Ok(out)
    }
}
impl<T: Jute> Nullable for Vec<T> {}

impl<T: Nullable> Jute for Option<T> {
    const MIN_LEN: usize = 4;
    fn write_to<B: BufMut>(&self, out: &mut B) {
        match self {
            None => out.put_i32(-1),
            Some(v) => v.write_to(out),
        }
    }
    fn read_from(r: &mut JuteReader<'_>) -> Result<Self, DecodeError> {
        let mut peek = r.clone();
        if peek.read_i32()? == -1 {
            *r = peek;
            Ok(None)
        } else {
            T::read_from(r).map(Some)
        }
    }
}

/// Declares Jute records: a plain struct whose fields are encoded in declaration order, with no
/// tag, length or padding, exactly as the Java classes generated from `zookeeper.jute`.
///
/// Each struct gets `Debug, Clone, PartialEq, Eq, Default`, a [`Jute`] impl, and (with the
/// `arbitrary` feature) an `arbitrary::Arbitrary` impl for property tests and fuzzing.
#[macro_export]
macro_rules! jute_record {
    ($(
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty ),* $(,)?
        }
    )*) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl $crate::Jute for $name {
            const MIN_LEN: usize = 0 $( + <$ty as $crate::Jute>::MIN_LEN )*;

            #[allow(unused_variables)]
            fn write_to<B: $crate::__bytes::BufMut>(&self, out: &mut B) {
                $( $crate::Jute::write_to(&self.$field, out); )*
            }

            #[allow(unused_variables)]
            fn read_from(
                r: &mut $crate::JuteReader<'_>,
            ) -> ::core::result::Result<Self, $crate::DecodeError> {
                Ok(Self { $( $field: <$ty as $crate::Jute>::read_from(r)?, )* })
            }
        }

        $crate::__arb_record!($name { $( $field ),* });
    )*};
}

#[cfg(feature = "arbitrary")]
#[doc(hidden)]
#[macro_export]
macro_rules! __arb_record {
    ($name:ident { $( $field:ident ),* }) => {
        impl<'a> ::arbitrary::Arbitrary<'a> for $name {
            #[allow(unused_variables)]
            fn arbitrary(u: &mut ::arbitrary::Unstructured<'a>) -> ::arbitrary::Result<Self> {
                Ok(Self { $( $field: $crate::arb::Arb::arb(u)?, )* })
            }
        }
        impl $crate::arb::Arb for $name {
            fn arb(u: &mut ::arbitrary::Unstructured<'_>) -> ::arbitrary::Result<Self> {
                <Self as ::arbitrary::Arbitrary>::arbitrary(u)
            }
        }
    };
}

#[cfg(not(feature = "arbitrary"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __arb_record {
    ($($t:tt)*) => {};
}
