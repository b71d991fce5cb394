//! Key/value settings: generated secrets and vendor-wide options.

use diesel::prelude::*;
use rand::RngCore;

use crate::config::Config;
use crate::db::schema::settings;
use crate::db::{is_unique_violation, DbConnection};

pub const COOKIE_KEY: &str = "cookie_key";

/// Reads a setting.
pub fn get(conn: &mut DbConnection, key: &str) -> QueryResult<Option<String>> {
    settings::table
        .select(settings::value)
        .filter(settings::key.eq(key))
        .first(conn)
        .optional()
}

/// Returns the setting, creating it with `make()` if absent. Several instances starting at
/// once agree: the first insert wins and every instance reads that value back.
pub fn get_or_create(
    conn: &mut DbConnection,
    key: &str,
    make: impl FnOnce() -> String,
) -> QueryResult<String> {
    if let Some(v) = get(conn, key)? {
        return Ok(v);
    }
    let inserted = diesel::insert_into(settings::table)
        .values((
            settings::key.eq(key),
            settings::value.eq(make()),
            settings::updated_at.eq(super::now()),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {}
        Err(e) => return Err(e),
    }
    get(conn, key)?.ok_or(diesel::result::Error::NotFound)
}

/// The server's master secret, from which the session cookies' key, the outbox's
/// sealing key and the signing keys' sealing key are each derived with their own label:
/// `KEYFOLD_SECRET_KEY`, else the file [`crate::config::SECRET_FILE`] beside an SQLite
/// database (made at first start), so a database dump alone opens none of them. Only
/// where neither exists (PostgreSQL without `KEYFOLD_SECRET_KEY`, an in-memory SQLite
/// database) is one generated once and kept in `settings`; the license API does not
/// sign there. Changing the secret signs everyone out once and makes queued emails'
/// links unreadable (they are marked failed, to be resent).
pub fn server_secret(conn: &mut DbConnection, config: &Config) -> Result<Vec<u8>, String> {
    if let Some(secret) = config.signing_secret(true)? {
        return Ok(secret.expose().as_bytes().to_vec());
    }
    let stored = get_or_create(conn, COOKIE_KEY, || {
        let mut bytes = [0u8; 64];
        rand::rng().fill_bytes(&mut bytes);
        hex::encode(bytes)
    })
    .map_err(|e| format!("cannot read or store the cookie key: {e}"))?;
    Ok(stored.into_bytes())
}

/// The 64-byte key that encrypts and signs session cookies (HKDF of the server secret).
pub fn cookie_key(secret: &[u8]) -> Vec<u8> {
    actix_web::cookie::Key::derive_from(secret)
        .master()
        .to_vec()
}
