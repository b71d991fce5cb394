//! The license API's Ed25519 signing keys and their rotation in stages:
//! `next` (published, not signing) → `active` (signs) → `outgoing` (still signs beside
//! the new active key during the overlap) → `retired` (published, verify-only), or
//! `revoked` at any time (no longer published).
//!
//! The private key is stored only sealed (XChaCha20-Poly1305) with a key derived by HKDF
//! from the server's secret, which comes from outside the database: a database dump
//! alone never yields a key that signs.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use ed25519_dalek::SigningKey;
use hkdf::Hkdf;
use sha2::{Digest, Sha256};

use super::{ModelError, ModelResult};
use crate::db::schema::signing_keys;
use crate::db::DbConnection;
use crate::domain::KeyState;

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = signing_keys)]
pub struct StoredKey {
    pub id: i64,
    /// The key id clients see in `keyid` (from the public key).
    pub kid: String,
    /// The raw 32-byte public key, base64.
    pub public_key: String,
    sealed_private: String,
    pub state: KeyState,
    pub created_at: NaiveDateTime,
    pub state_changed_at: NaiveDateTime,
}

/// Seals and opens private keys with a key derived from the server's secret.
#[derive(Clone)]
pub struct KeySealer {
    cipher: XChaCha20Poly1305,
}

const NONCE_LEN: usize = 24;

impl KeySealer {
    /// The sealer of `secret` (at least 32 bytes, from `KEYFOLD_SECRET_KEY` or
    /// `data/secret.key`): HKDF-SHA256 with its own label, apart from the cookie and
    /// outbox keys.
    pub fn new(secret: &[u8]) -> Self {
        let mut key = [0u8; 32];
        Hkdf::<Sha256>::new(Some(b"keyfold"), secret)
            .expand(b"keyfold signing keys v1", &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        KeySealer {
            cipher: XChaCha20Poly1305::new(&key.into()),
        }
    }

    fn seal(&self, key: &SigningKey) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(&nonce, key.to_bytes().as_slice())
            .expect("XChaCha20-Poly1305 encrypts 32 bytes");
        let mut out = nonce.to_vec();
        out.extend(sealed);
        hex::encode(out)
    }

    /// The signing key of a stored row; `None` when this secret did not seal it.
    pub fn open(&self, stored: &StoredKey) -> Option<SigningKey> {
        let bytes = hex::decode(&stored.sealed_private).ok()?;
        if bytes.len() <= NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), sealed)
            .ok()?;
        let seed: [u8; 32] = plain.try_into().ok()?;
        let key = SigningKey::from_bytes(&seed);
        (STANDARD.encode(key.verifying_key().to_bytes()) == stored.public_key).then_some(key)
    }
}

/// The key id of a public key: `kf-` and the first 12 hex digits of its SHA-256.
fn kid_of(public: &[u8]) -> String {
    format!("kf-{}", &hex::encode(Sha256::digest(public))[..12])
}

fn in_state(conn: &mut DbConnection, state: KeyState) -> QueryResult<Option<StoredKey>> {
    signing_keys::table
        .filter(signing_keys::state.eq(state))
        .select(StoredKey::as_select())
        .first(conn)
        .optional()
}

fn set_state(conn: &mut DbConnection, id: i64, state: KeyState) -> QueryResult<usize> {
    diesel::update(signing_keys::table.find(id))
        .set((
            signing_keys::state.eq(state),
            signing_keys::state_changed_at.eq(super::now()),
        ))
        .execute(conn)
}

/// Every key, newest first (the Settings page and `keyfold signing-key list`).
pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<StoredKey>> {
    signing_keys::table
        .order(signing_keys::id.desc())
        .select(StoredKey::as_select())
        .load(conn)
}

/// The keys clients may verify with (`GET /api/v1/keys`): all but the revoked.
pub fn published(conn: &mut DbConnection) -> QueryResult<Vec<StoredKey>> {
    signing_keys::table
        .filter(signing_keys::state.ne(KeyState::Revoked))
        .order(signing_keys::id.asc())
        .select(StoredKey::as_select())
        .load(conn)
}

/// Adds a new key: the first one becomes active at once; later ones wait as `next`
/// (published, not signing) until promoted. Refused while a next key waits.
pub fn rotate(conn: &mut DbConnection, sealer: &KeySealer) -> ModelResult<StoredKey> {
    if in_state(conn, KeyState::Next)?.is_some() {
        return Err(ModelError::refused(
            "next_key_waiting",
            "A next key already waits: promote or revoke it first.".to_owned(),
        ));
    }
    let state = if in_state(conn, KeyState::Active)?.is_some() {
        KeyState::Next
    } else {
        KeyState::Active
    };
    let key = SigningKey::generate(&mut OsRng);
    let public = key.verifying_key().to_bytes();
    let now = super::now();
    Ok(diesel::insert_into(signing_keys::table)
        .values((
            signing_keys::kid.eq(kid_of(&public)),
            signing_keys::public_key.eq(STANDARD.encode(public)),
            signing_keys::sealed_private.eq(sealer.seal(&key)),
            signing_keys::state.eq(state),
            signing_keys::created_at.eq(now),
            signing_keys::state_changed_at.eq(now),
        ))
        .returning(signing_keys::all_columns)
        .get_result(conn)?)
}

/// Makes the next key active; the active one goes on signing beside it (`outgoing`)
/// until it is retired. Refused while an earlier overlap is still open.
pub fn promote(conn: &mut DbConnection) -> ModelResult<StoredKey> {
    let next = in_state(conn, KeyState::Next)?.ok_or_else(|| {
        ModelError::refused(
            "no_next_key",
            "There is no next key: rotate first.".to_owned(),
        )
    })?;
    if in_state(conn, KeyState::Outgoing)?.is_some() {
        return Err(ModelError::refused(
            "overlap_open",
            "The previous key still signs beside the active one: retire it first.".to_owned(),
        ));
    }
    if let Some(active) = in_state(conn, KeyState::Active)? {
        set_state(conn, active.id, KeyState::Outgoing)?;
    }
    set_state(conn, next.id, KeyState::Active)?;
    in_state(conn, KeyState::Active)?.ok_or(ModelError::NotFound)
}

/// Ends the overlap: the outgoing key no longer signs but stays published.
pub fn retire(conn: &mut DbConnection) -> ModelResult<StoredKey> {
    let outgoing = in_state(conn, KeyState::Outgoing)?.ok_or_else(|| {
        ModelError::refused(
            "no_outgoing_key",
            "No previous key is signing: nothing to retire.".to_owned(),
        )
    })?;
    set_state(conn, outgoing.id, KeyState::Retired)?;
    Ok(StoredKey {
        state: KeyState::Retired,
        ..outgoing
    })
}

/// Revokes a key by its id: it neither signs nor is published any more.
pub fn revoke(conn: &mut DbConnection, kid: &str) -> ModelResult<StoredKey> {
    let key: StoredKey = signing_keys::table
        .filter(signing_keys::kid.eq(kid))
        .select(StoredKey::as_select())
        .first(conn)
        .optional()?
        .ok_or(ModelError::NotFound)?;
    set_state(conn, key.id, KeyState::Revoked)?;
    Ok(StoredKey {
        state: KeyState::Revoked,
        ..key
    })
}

/// The keys that sign now, in signature order: the outgoing key (`sig1`) during an
/// overlap, then the active one. `None` when this secret cannot open them.
pub fn signers(
    conn: &mut DbConnection,
    sealer: &KeySealer,
) -> QueryResult<Option<Vec<(String, SigningKey)>>> {
    let mut out = Vec::new();
    for state in [KeyState::Outgoing, KeyState::Active] {
        if let Some(stored) = in_state(conn, state)? {
            match sealer.open(&stored) {
                Some(key) => out.push((stored.kid, key)),
                None => return Ok(None),
            }
        }
    }
    Ok(Some(out))
}
