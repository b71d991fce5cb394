//! The license API (`/api/v1/…`): JSON for the vendor's applications, no session or
//! cookie, every answer signed (`signing.rs`, RFC 9421 in `signature.rs`), refusals as
//! problems with a stable code (`problem.rs`). Activation, checks, deactivation and a
//! license user's password change are in `client.rs`; this file publishes the signing
//! keys and product details.

pub mod client;
pub mod files;
pub mod openapi;
pub mod problem;
pub mod rate;
pub mod runtime;
pub mod seats;
pub mod signature;
pub mod signing;
pub mod trials;
pub mod usage;

use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::ToSchema;

use actix_web::http::StatusCode;
use actix_web::web;

use self::problem::ApiProblem;
use crate::error::AppResult;
use crate::models::{product, signing_key};
use crate::web::State;

/// A published key as `GET /api/v1/keys` lists it.
#[derive(Serialize, ToSchema)]
pub struct PublishedKey {
    kid: String,
    alg: &'static str,
    /// The raw 32-byte Ed25519 public key, base64.
    public_key: String,
    /// `next` (not signing yet), `active`, `outgoing` (still signing during a
    /// rotation's overlap) or `retired` (verify-only).
    state: String,
}

/// The answer of `GET /api/v1/keys`.
#[derive(Serialize, ToSchema)]
pub struct KeysAnswer {
    keys: Vec<PublishedKey>,
}

/// `GET /api/v1/keys`: the keys answers are or were signed with. Vendors pin their
/// public keys in the application; this list is for building and checking that pin.
#[utoipa::path(get, path = "/api/v1/keys", tag = "signing",
    responses((status = 200, description = "The published signing keys.", body = KeysAnswer)))]
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
    Ok(HttpResponse::Ok().json(KeysAnswer { keys }))
}

/// A product as `GET /api/v1/products/{code}` describes it to the application.
#[derive(Serialize, ToSchema)]
pub struct ProductDetails {
    code: String,
    name: String,
    /// The license type of its licenses (`perpetual`, `time_limited`, `subscription`,
    /// `consumption`, `floating`).
    license_type: String,
    /// Whether a trial can be started (trial days > 0).
    trials: bool,
    trial_days: i64,
    /// Whether licenses are used by named license users (email and password).
    user_based: bool,
    features: Vec<FeatureDetails>,
}

#[derive(Serialize, ToSchema)]
pub struct FeatureDetails {
    code: String,
    name: String,
    kind: String,
}

/// `GET /api/v1/products/{code}`: what the application needs to know of its product.
/// An unknown, archived or bundle product is `product_not_found`.
#[utoipa::path(get, path = "/api/v1/products/{code}", tag = "products",
    params(("code" = String, Path, description = "The product code (any case).")),
    responses(
        (status = 200, description = "The product.", body = ProductDetails),
    ))]
pub async fn product_details(
    state: State,
    path: web::Path<String>,
) -> Result<HttpResponse, actix_web::Error> {
    let code = path.into_inner();
    if code.len() > 100 || code.chars().any(char::is_control) {
        return Err(not_found().into());
    }
    let found = state
        .db(move |conn| {
            let Some(p) = product::find_by_code(conn, &code)?
                .filter(|p| p.archived_at.is_none() && !p.is_bundle)
            else {
                return Ok(None);
            };
            let features = product::features(conn, p.id)?;
            Ok(Some((p, features)))
        })
        .await?;
    let Some((p, features)) = found else {
        return Err(not_found().into());
    };
    Ok(HttpResponse::Ok().json(ProductDetails {
        code: p.code,
        name: p.name,
        license_type: p.license_type,
        trials: p.trial_days > 0,
        trial_days: p.trial_days,
        user_based: p.max_license_users > 0,
        features: features
            .into_iter()
            .map(|f| FeatureDetails {
                code: f.code,
                name: f.name,
                kind: f.kind,
            })
            .collect(),
    }))
}

fn not_found() -> ApiProblem {
    ApiProblem::new(
        StatusCode::NOT_FOUND,
        "product_not_found",
        "No product has this code.",
    )
}
