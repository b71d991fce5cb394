//! bcrypt hashing and verification, run off the async executor.

use std::sync::OnceLock;

use actix_web::web;

use crate::error::AppError;

/// Hashes a password with the configured cost.
pub async fn hash(password: String, cost: u32) -> Result<String, AppError> {
    web::block(move || bcrypt::hash(password, cost))
        .await?
        .map_err(|e| AppError::Internal(format!("bcrypt: {e}")))
}

/// Hashes synchronously (CLI commands and seeding).
pub fn hash_blocking(password: &str, cost: u32) -> Result<String, String> {
    bcrypt::hash(password, cost).map_err(|e| e.to_string())
}

/// Checks a password against a stored hash. Without a hash (unknown user, or a user who
/// has not chosen a password yet) a dummy hash of the same cost is checked instead, so
/// the answer takes as long as for a real user.
pub async fn verify(password: String, stored: Option<String>, cost: u32) -> Result<bool, AppError> {
    web::block(move || match stored {
        Some(hash) => bcrypt::verify(password, &hash).unwrap_or(false),
        None => {
            let _ = bcrypt::verify(password, dummy_hash(cost));
            false
        }
    })
    .await
    .map_err(AppError::from)
}

fn dummy_hash(cost: u32) -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| bcrypt::hash("keyfold-dummy-password", cost).unwrap_or_default())
}
