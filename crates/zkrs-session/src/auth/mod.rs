//! Authentication providers and the ACL algorithm (`server/auth/`, `ZooKeeperServer.checkACL`,
//! `PrepRequestProcessor.fixupACL`).
//!
//! Only the two providers a default ZooKeeper registers exist: `ip` and `digest`. `world:anyone`
//! and the `auth` placeholder are handled by the ACL code, and a `super` id (added by the digest
//! provider when the credentials match `superDigest`) bypasses every check.
//!
//! - `digest`: [`digest::generate_digest`] and the digest provider's rules.
//! - `ip`: the IPv4 provider of ZooKeeper 3.8 (addresses with optional `/bits` masks).
//! - `auth_ids`: [`AuthIds`], the identities of one connection in the JVM's iteration order.
//! - `acl`: [`check_acl`], [`fixup_acl`] and the getACL redaction.

pub mod acl;
pub mod auth_ids;
pub mod digest;
pub mod ip;

pub use acl::{check_acl, fixup_acl, redact_digest_ids};
pub use auth_ids::AuthIds;

/// The registered providers (`ProviderRegistry` with its defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    Ip,
    Digest,
}

impl Provider {
    /// `ProviderRegistry.getServerProvider(scheme)`.
    pub fn for_scheme(scheme: &str) -> Option<Provider> {
        match scheme {
            "ip" => Some(Provider::Ip),
            "digest" => Some(Provider::Digest),
            _ => None,
        }
    }

    /// `isAuthenticated()`: whether an `auth` ACL may expand to this provider's ids.
    pub fn is_authenticated(self) -> bool {
        matches!(self, Provider::Digest)
    }

    /// `isValid(id)`: whether an ACL id of this scheme is well formed.
    pub fn is_valid(self, id: &str) -> bool {
        match self {
            Provider::Ip => ip::is_valid(id),
            Provider::Digest => digest::is_valid(id),
        }
    }

    /// `matches(authId, aclId)`.
    pub fn matches(self, id: &str, acl_expr: &str) -> bool {
        match self {
            Provider::Ip => ip::matches(id, acl_expr),
            Provider::Digest => id == acl_expr,
        }
    }

    /// `getUserName(id)`, shown by whoAmI.
    pub fn user_name(self, id: &str) -> String {
        match self {
            Provider::Ip => id.to_owned(),
            Provider::Digest => digest::user_name(id),
        }
    }
}
