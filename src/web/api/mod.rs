//! The license API (`/api/v1/…`): JSON for the vendor's applications, no session or
//! cookie, every answer signed (`signing.rs`, RFC 9421 in `signature.rs`). This first
//! part publishes the signing keys; activation, checks and deactivation follow.

pub mod signature;
pub mod signing;

use actix_web::HttpResponse;
use serde::Serialize;

use crate::error::AppResult;
use crate::models::signing_key;
use crate::web::State;

/// A published key as `GET /api/v1/keys` lists it.
#[derive(Serialize)]
struct PublishedKey {
    kid: String,
    alg: &'static str,
    /// The raw 32-byte Ed25519 public key, base64.
    public_key: String,
    /// `next` (not signing yet), `active`, `outgoing` (still signing during a
    /// rotation's overlap) or `retired` (verify-only).
    state: String,
}

/// `GET /api/v1/keys`: the keys answers are or were signed with. Vendors pin their
/// public keys in the application; this list is for building and checking that pin.
pub async fn keys(state: State) -> AppResult<HttpResponse> {
    let keys = state
        .db(|conn| Ok(signing_key::published(conn)?))
        .await?
        .into_iter()
        .map(|k| PublishedKey {
            kid: k.kid,
            alg: "ed25519",
            public_key: k.public_key,
            state: k.state.to_string(),
        })
        .collect::<Vec<_>>();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "keys": keys })))
}
