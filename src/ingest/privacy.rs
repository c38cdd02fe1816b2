//! Hashing identifiers at ingest (`[settings] hash_identifiers = true`): every identifier is
//! replaced by the hex SHA-256 of the salt's bytes followed by the identifier's bytes, before
//! it reaches stitching, reports, identity maps or the rejects file.

use sha2::{Digest, Sha256};

use super::junk::{JunkFilter, HASHED_JUNK};
use crate::config::Config;
use crate::error::Result;

/// Environment variable read for the salt when the config gives none, so the salt need not be
/// committed with the config.
pub const SALT_ENV: &str = "OMNITOUCH_IDENTIFIER_SALT";

/// A salted SHA-256 of identifiers.
#[derive(Debug, Clone)]
pub struct IdHasher {
    salt: Vec<u8>,
    /// Junk is recognised before hashing (a hash hides it) and kept as a marker, so
    /// stitching still counts and ignores it.
    junk: Option<JunkFilter>,
}

impl IdHasher {
    /// A hasher with this salt (may be empty).
    pub fn new(salt: &str) -> IdHasher {
        IdHasher {
            salt: salt.as_bytes().to_vec(),
            junk: None,
        }
    }

    /// The config's hasher: None unless `[settings] hash_identifiers = true`; the salt is
    /// `identifier_salt`, else the `OMNITOUCH_IDENTIFIER_SALT` environment variable, else empty.
    pub fn from_config(config: &Config) -> Result<Option<IdHasher>> {
        let settings = &config.settings;
        if !settings.hash_identifiers {
            return Ok(None);
        }
        let salt = settings
            .identifier_salt
            .clone()
            .or_else(|| std::env::var(SALT_ENV).ok())
            .unwrap_or_default();
        Ok(Some(IdHasher {
            junk: Some(JunkFilter::from_config(config)?),
            ..IdHasher::new(&salt)
        }))
    }

    /// The identifier as stitching will see it: its hash, or the junk marker.
    pub fn protect(&self, identifier: &str) -> String {
        match &self.junk {
            Some(j) if j.is_junk(identifier) => HASHED_JUNK.to_string(),
            _ => self.hash(identifier),
        }
    }

    /// Lowercase hex SHA-256 of salt ‖ identifier.
    pub fn hash(&self, identifier: &str) -> String {
        sha256_hex(&[&self.salt, identifier.as_bytes()])
    }
}

/// Lowercase hex SHA-256 of the parts, concatenated (also how the generator writes hashed
/// emails and phones).
pub fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for part in parts {
        h.update(part);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_published_sha256_of_salt_and_identifier() {
        // SHA-256("abc") from FIPS 180-2, appendix B.1.
        assert_eq!(
            IdHasher::new("").hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // The salt is a prefix: salt "a" and identifier "bc" hash as "abc".
        assert_eq!(IdHasher::new("a").hash("bc"), IdHasher::new("").hash("abc"));
        assert_ne!(IdHasher::new("s1").hash("x"), IdHasher::new("s2").hash("x"));
    }
}
