//! Sealing the raw token of a token-bearing email: XChaCha20-Poly1305 with a key derived
//! from the server's secret, so the database alone never yields a live link.

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

/// Seals and opens outbox tokens with one key.
#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(****)")
    }
}

const NONCE_LEN: usize = 24;

impl Sealer {
    /// A sealer keyed by SHA-256("keyfold outbox token v1" ‖ secret).
    pub fn new(secret: &[u8]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"keyfold outbox token v1");
        hasher.update(secret);
        let key = hasher.finalize();
        Sealer {
            cipher: XChaCha20Poly1305::new(&key),
        }
    }

    /// Hex of nonce ‖ ciphertext.
    pub fn seal(&self, plain: &str) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(&nonce, plain.as_bytes())
            .expect("XChaCha20-Poly1305 encrypts any input that fits in memory");
        let mut out = nonce.to_vec();
        out.extend(sealed);
        hex::encode(out)
    }

    /// The plain text, or `None` when the value was not sealed with this key.
    pub fn open(&self, sealed: &str) -> Option<String> {
        let bytes = hex::decode(sealed).ok()?;
        if bytes.len() <= NONCE_LEN {
            return None;
        }
        let (nonce, body) = bytes.split_at(NONCE_LEN);
        let plain = self.cipher.decrypt(XNonce::from_slice(nonce), body).ok()?;
        String::from_utf8(plain).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_tokens_open_only_with_the_same_secret() {
        let a = Sealer::new(b"first secret of the server, long enough");
        let b = Sealer::new(b"another secret of another server........");
        let sealed = a.seal("token-123");
        assert!(!sealed.contains("token-123"));
        assert_ne!(sealed, a.seal("token-123"), "a fresh nonce each time");
        assert_eq!(a.open(&sealed).as_deref(), Some("token-123"));
        assert_eq!(b.open(&sealed), None);
        assert_eq!(a.open("zz"), None);
        assert_eq!(a.open(""), None);
    }
}
