//! Random secrets handed to a user (session ids, invite and reset links) and the hashes
//! kept of them at rest.

use rand::{RngCore, TryRngCore};
use sha2::{Digest, Sha256};

/// 256 bits from the operating system's generator, hex-encoded.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // The OS generator failing is not recoverable; `unwrap_err` turns it into a panic.
    rand::rngs::OsRng.unwrap_err().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The SHA-256 of a token, hex-encoded: what the database keeps.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_distinct_and_hashed() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), a);
        assert!(constant_time_eq(&a, &a.clone()));
        assert!(!constant_time_eq(&a, &b));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
