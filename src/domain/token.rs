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

/// A run of this many token characters (letters, digits, `-`, `_`) in a URL is taken for
/// a secret: tokens are 64 hex digits, and nothing else in Keyfold's URLs is that long.
const SECRET_RUN: usize = 32;

/// `text` (a URL's path and query) with every run that could be a token replaced by
/// `[redacted]`, for log lines and `?next=` paths.
pub fn redact_secrets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= SECRET_RUN {
            out.push_str("[redacted]");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Whether `text` holds something [`redact_secrets`] would hide.
pub fn carries_secret(text: &str) -> bool {
    redact_secrets(text) != text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_in_urls_are_redacted_and_nothing_else() {
        let t = random_token();
        assert_eq!(
            redact_secrets(&format!("/portal/invite/{t}?next=%2F{t}")),
            "/portal/invite/[redacted]?next=%[redacted]"
        );
        assert!(carries_secret(&format!("/portal/reset-password/{t}")));
        let plain = "/licenses?key=ABCD-EFGH-JKLM-NPQR-STUV&before=1234567";
        assert_eq!(redact_secrets(plain), plain);
        assert!(!carries_secret(plain));
    }

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
