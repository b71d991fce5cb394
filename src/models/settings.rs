//! Key/value settings: generated secrets and vendor-wide options.

use diesel::prelude::*;
use rand::RngCore;

use crate::config::Secret;
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

/// The 64-byte key that encrypts and signs session cookies: derived from
/// `KEYFOLD_SECRET_KEY` when set, otherwise generated once and kept in `settings`.
pub fn cookie_key(conn: &mut DbConnection, configured: Option<&Secret>) -> Result<Vec<u8>, String> {
    let master = match configured {
        Some(secret) => {
            if secret.expose().len() < 32 {
                return Err("KEYFOLD_SECRET_KEY must be at least 32 characters long".to_owned());
            }
            secret.expose().as_bytes().to_vec()
        }
        None => {
            let stored = get_or_create(conn, COOKIE_KEY, || {
                let mut bytes = [0u8; 64];
                rand::rng().fill_bytes(&mut bytes);
                hex::encode(bytes)
            })
            .map_err(|e| format!("cannot read or store the cookie key: {e}"))?;
            stored.into_bytes()
        }
    };
    Ok(actix_web::cookie::Key::derive_from(&master)
        .master()
        .to_vec())
}
