//! The playbook version: a stable hash of its canonical form, so a browser's
//! verdict and the edge's can be tied to the exact same rules.
//!
//! Canonical form: the `RawPlaybook` serialized as compact JSON, with struct
//! fields in declaration order, maps sorted by key, and defaults left out. The
//! same playbook written in TOML or JSON, with keys in any order, hashes the same.

use sha2::{Digest, Sha256};

use crate::raw::RawPlaybook;

/// The canonical JSON of a playbook (without its `published` marker).
pub fn canonical_json(raw: &RawPlaybook) -> String {
    let mut raw = raw.clone();
    raw.published = None;
    // Serializing plain data into a String cannot fail.
    serde_json::to_string(&raw).unwrap_or_default()
}

/// First 16 hex digits (64 bits) of SHA-256 over the canonical JSON.
pub fn hash(raw: &RawPlaybook) -> String {
    let digest = Sha256::digest(canonical_json(raw).as_bytes());
    let mut out = String::with_capacity(16);
    for b in digest.iter().take(8) {
        out.push(char::from(
            HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0'),
        ));
        out.push(char::from(
            HEX.get(usize::from(b & 15)).copied().unwrap_or(b'0'),
        ));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";
