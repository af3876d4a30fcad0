//! Small re-implementations of the JDK behaviour that leaks onto the wire.
//!
//! ZooKeeper derives session passwords from `java.util.Random`, and several replies list the
//! members of a `HashSet` or `ConcurrentHashMap` in their iteration order (whoAmI, the expansion of
//! `auth` ACLs, getEphemerals, the CloseSessionTxn path list). These modules reproduce exactly
//! those orders so the bytes match a JVM server.
//!
//! - `random`: [`JavaRandom`], the 48-bit LCG of `java.util.Random`.
//! - `hash`: `String.hashCode`, the jute-generated `Id.hashCode`, `Long.hashCode`.
//! - `hash_set`: [`JavaHashSet`], bucket layout and iteration order of `java.util.HashSet`.
//! - `concurrent_hash_set`: [`ConcurrentHashSet`], the same for
//!   `ConcurrentHashMap.newKeySet()` / `Collections.newSetFromMap(new ConcurrentHashMap<>())`.

pub mod concurrent_hash_set;
pub mod hash;
pub mod hash_set;
pub mod random;

pub use concurrent_hash_set::ConcurrentHashSet;
pub use hash_set::JavaHashSet;
pub use random::JavaRandom;
