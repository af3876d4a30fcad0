//! [`NodeMap`]: the znode table, a persistent hash map from path to shared node.
//!
//! ZooKeeper's `NodeHashMapImpl` is a `ConcurrentHashMap` that its snapshot thread reads while
//! the commit processor writes (a "fuzzy" snapshot, fixed up by replaying the log). Here the
//! table is a persistent (structurally shared) map of `Arc`ed nodes instead: copying it is
//! O(1), so a snapshot gets an exact, consistent copy at one zxid without stopping writes, and
//! a write after the copy duplicates only the few map chunks and the one node it touches
//! (`Arc::make_mut`). While no copy is alive, every node and chunk is unique and is changed in
//! place, as a plain hash map would be.

use std::sync::Arc;

use crate::data_node::DataNode;

/// The hasher of the znode table: seeded per process (paths come from clients), and much
/// cheaper than SipHash on short strings.
pub type NodeHasher = foldhash::quality::RandomState;

/// Path (`""` for the root) to node.
pub type NodeMap =
    imbl::GenericHashMap<Arc<str>, Arc<DataNode>, NodeHasher, imbl::shared_ptr::DefaultSharedPtr>;

/// A node's child names, sorted; shares structure with its copies like [`NodeMap`].
pub type ChildSet = imbl::OrdSet<Arc<str>>;
